//! Comments on events: threaded replies, edits, tombstones, and organisers' announcements
//! (mailed to everyone taking part).

use crate::auth::{Acting, MaybeSession};
use crate::consistency;
use crate::events::{viewer, visible};
use crate::problem::{Body, Problem};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use convene_domain::event::ParticipantState;
use convene_domain::EventCommand;
use convene_projections::events::{self, CommentView};
use convene_projections::{accounts, profiles};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, post))
        .routes(routes!(edit, delete))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// Simple HTML; anything unsafe is removed.
    pub body: String,
    /// The comment this one answers.
    pub in_reply_to: Option<String>,
    /// An organiser's announcement to everyone taking part (also mailed to them).
    #[serde(default)]
    pub announcement: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentEdit {
    pub body: String,
}

async fn comment_of(state: &AppState, id: &str) -> Result<CommentView, Problem> {
    events::comment(state.db.pool(), id)
        .await?
        .ok_or_else(|| Problem::not_found("there is no such comment"))
}

/// An event's comments, oldest first; replies name the comment they answer.
#[utoipa::path(get, path = "/events/{id}/comments", tag = "comments", params(("id" = String, Path)),
    responses((status = 200, body = Vec<CommentView>), (status = 404, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    Path(id): Path<String>,
) -> Result<Json<Vec<CommentView>>, Problem> {
    let viewer = viewer(&state, session.as_ref(), &id).await?;
    visible(&state, viewer, &id).await?;
    Ok(Json(events::comments(state.db.pool(), &id).await?))
}

/// Comment on an event, or answer a comment, as the acting profile.
#[utoipa::path(post, path = "/events/{id}/comments", tag = "comments", request_body = NewComment,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = CommentView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn post(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
    Body(new): Body<NewComment>,
) -> Result<(StatusCode, Json<CommentView>), Problem> {
    let view = post_comment(&state, &acting, &id, new).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Posts a comment (or an announcement, mailed to everyone taking part) as the acting profile.
pub async fn post_comment(
    state: &AppState,
    acting: &Acting,
    id: &str,
    new: NewComment,
) -> Result<CommentView, Problem> {
    let viewer = viewer(state, Some(&acting.session), id).await?;
    let event = visible(state, viewer, id).await?;
    let insider = viewer.participant || viewer.organiser;
    if event.details.visibility == convene_domain::event::details::Visibility::Private && !insider {
        return Err(Problem::forbidden(
            "only participants comment on a private event",
        ));
    }
    let comment = uuid::Uuid::new_v4().to_string();
    let command = EventCommand::PostComment {
        comment: comment.clone(),
        by: acting.profile.clone(),
        in_reply_to: new.in_reply_to,
        body: new.body,
        announcement: new.announcement,
    };
    consistency::command(state, &state.events, id, command, &acting.metadata()).await?;
    let view = comment_of(state, &comment).await?;
    if view.announcement {
        announce(
            state,
            id,
            &acting.profile,
            view.body.as_deref().unwrap_or_default(),
        )
        .await?;
    }
    Ok(view)
}

/// Mails an announcement to everyone going or waiting, one message each (no one sees the
/// others' addresses).
async fn announce(state: &AppState, event: &str, author: &str, body: &str) -> Result<(), Problem> {
    let title = events::find(state.db.pool(), event)
        .await?
        .map(|e| e.details.title)
        .unwrap_or_default();
    for p in events::participations(state.db.pool(), event, None).await? {
        let going = ParticipantState::parse(&p.state)
            .is_some_and(|s| s.is_going() || s == ParticipantState::Waitlisted);
        if !going || p.profile.as_deref() == Some(author) {
            continue;
        }
        let address = match (&p.email, &p.profile) {
            (Some(email), _) => Some(email.clone()),
            (None, Some(profile)) => match profiles::owner(state.db.pool(), profile).await? {
                Some(account) => accounts::by_id(state.db.pool(), &account)
                    .await?
                    .map(|a| a.email),
                None => None,
            },
            (None, None) => None,
        };
        if let Some(address) = address {
            let text = format!("@{author}, organiser of \"{title}\", writes:\n\n{body}\n");
            if let Err(error) = state
                .config
                .mailer
                .send(&address, &format!("Announcement: {title}"), text)
                .await
            {
                tracing::error!(%error, "an announcement mail was not sent");
            }
        }
    }
    Ok(())
}

/// Edit your comment.
#[utoipa::path(patch, path = "/comments/{id}", tag = "comments", request_body = CommentEdit,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = CommentView), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn edit(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
    Body(edit): Body<CommentEdit>,
) -> Result<Json<CommentView>, Problem> {
    let comment = comment_of(&state, &id).await?;
    let command = EventCommand::EditComment {
        comment: id.clone(),
        by: acting.profile.clone(),
        body: edit.body,
    };
    consistency::command(
        &state,
        &state.events,
        &comment.event_id,
        command,
        &acting.metadata(),
    )
    .await?;
    Ok(Json(comment_of(&state, &id).await?))
}

/// Delete a comment (its author, or the event's organisers); a tombstone keeps the thread.
#[utoipa::path(delete, path = "/comments/{id}", tag = "comments", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let comment = comment_of(&state, &id).await?;
    let command = EventCommand::DeleteComment {
        comment: id,
        by: acting.profile.clone(),
    };
    consistency::command(
        &state,
        &state.events,
        &comment.event_id,
        command,
        &acting.metadata(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
