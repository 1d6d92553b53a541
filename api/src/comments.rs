//! Comments on events: threaded replies, edits, tombstones, and organisers' announcements
//! (everyone taking part or waiting hears of them through the notifications derived from the
//! log, by mail or in the inbox as each chose).

use crate::access;
use crate::auth::{Acting, Session};
use crate::consistency;
use crate::error::{Error, Result};
use crate::events::READS;
use crate::AppState;
use convene_domain::EventCommand;
use convene_projections::events::{self, CommentView};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// Simple HTML; anything unsafe is removed.
    pub body: String,
    /// The comment this one answers.
    pub in_reply_to: Option<String>,
    /// An organiser's announcement to everyone taking part or waiting (each hears of it through
    /// their notifications).
    #[serde(default)]
    pub announcement: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentEdit {
    pub body: String,
}

async fn comment_of(state: &AppState, id: &str) -> Result<CommentView> {
    events::comment(state.db.pool(), id)
        .await?
        .ok_or_else(|| Error::not_found("there is no such comment"))
}

/// Event `id`'s comments, oldest first, for whoever may see the event.
pub async fn list(
    state: &AppState,
    session: Option<&Session>,
    id: &str,
) -> Result<Vec<CommentView>> {
    let (_, viewer) = access::event_for(state, session, id).await?;
    let comments = events::comments(state.db.pool(), id).await?;
    Ok(access::comments_for(viewer, comments))
}

/// Posts a comment (or an announcement to everyone taking part) as the acting profile.
pub async fn post(
    state: &AppState,
    acting: &Acting,
    id: &str,
    new: NewComment,
) -> Result<CommentView> {
    let (event, viewer) = access::event_for(state, Some(&acting.session), id).await?;
    access::may_comment(viewer, &event)?;
    let comment = uuid::Uuid::new_v4().to_string();
    let command = EventCommand::PostComment {
        comment: comment.clone(),
        by: acting.profile.clone(),
        in_reply_to: new.in_reply_to,
        body: new.body,
        announcement: new.announcement,
    };
    consistency::command(state, &state.events, id, command, &acting.metadata(), READS).await?;
    comment_of(state, &comment).await
}

/// Edits comment `id` (its author only).
pub async fn edit(
    state: &AppState,
    acting: &Acting,
    id: &str,
    edit: CommentEdit,
) -> Result<CommentView> {
    let comment = comment_of(state, id).await?;
    let command = EventCommand::EditComment {
        comment: id.to_string(),
        by: acting.profile.clone(),
        body: edit.body,
    };
    let event = &comment.event_id;
    consistency::command(
        state,
        &state.events,
        event,
        command,
        &acting.metadata(),
        READS,
    )
    .await?;
    comment_of(state, id).await
}

/// Deletes comment `id` (its author, or the event's organisers); a tombstone keeps the thread.
pub async fn delete(state: &AppState, acting: &Acting, id: &str) -> Result<()> {
    let comment = comment_of(state, id).await?;
    // The author, or the event's organisers (a group's moderators for a group's event).
    let by = crate::events::acting_for(state, acting, &comment.event_id).await?;
    let command = EventCommand::DeleteComment {
        comment: id.to_string(),
        by,
    };
    let event = &comment.event_id;
    consistency::command(
        state,
        &state.events,
        event,
        command,
        &acting.metadata(),
        READS,
    )
    .await
    .map(drop)
}
