//! Taking part: join and leave as a profile, anonymous participation confirmed by email, and
//! the organisers' list (JSON or CSV), approvals, rejections and roles.

use crate::auth::{new_token, token_hash, Acting, Origin};
use crate::consistency;
use crate::events::viewer;
use crate::problem::{Body, Problem};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use convene_domain::event::ParticipantState;
use convene_domain::EventCommand;
use convene_projections::events::{self, ParticipationView, TokenKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(join, list))
        .routes(routes!(leave))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(change_role))
        .routes(routes!(join_anonymously))
        .routes(routes!(confirm, confirm_link))
        .routes(routes!(cancel, cancel_page))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// A few words for the organisers.
    pub message: Option<String>,
}

/// A participation without the anonymous participant's email: it never leaves the instance.
fn public(mut view: ParticipationView) -> ParticipationView {
    view.email = None;
    view
}

async fn find(state: &AppState, event: &str, id: &str) -> Result<ParticipationView, Problem> {
    events::participations(state.db.pool(), event, None)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .map(public)
        .ok_or_else(|| Problem::not_found("there is no such participation in this event"))
}

/// Take part in an event as the acting profile.
#[utoipa::path(post, path = "/events/{id}/participations", tag = "participations", request_body = JoinRequest,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = ParticipationView), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn join(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<ParticipationView>), Problem> {
    // The body is optional: joining needs nothing but may carry a message.
    let request: JoinRequest = if body.iter().all(u8::is_ascii_whitespace) {
        JoinRequest::default()
    } else {
        crate::problem::parse_json(&body)?
    };
    let joined = join_as(&state, &acting, &id, request.message).await?;
    Ok((StatusCode::CREATED, Json(joined)))
}

/// Joins event `id` as the acting profile; returns the new participation.
pub async fn join_as(
    state: &AppState,
    acting: &Acting,
    id: &str,
    message: Option<String>,
) -> Result<ParticipationView, Problem> {
    // What one may not see, one may not join (a private event answers 404).
    crate::events::visible(state, viewer(state, Some(&acting.session), id).await?, id).await?;
    let participation = uuid::Uuid::new_v4().to_string();
    let command = EventCommand::Join {
        participation: participation.clone(),
        profile: acting.profile.clone(),
        message,
    };
    consistency::command(state, &state.events, id, command, &acting.metadata()).await?;
    find(state, id, &participation).await
}

/// Leave an event as the acting profile; a freed seat goes to the first on the waitlist.
#[utoipa::path(delete, path = "/events/{id}/participations/mine", tag = "participations",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn leave(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let command = EventCommand::Leave {
        profile: acting.profile.clone(),
    };
    consistency::command(&state, &state.events, &id, command, &acting.metadata()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Only participations in this state (participant, waitlisted, not_approved…).
    pub state: Option<String>,
    /// `csv` for a spreadsheet export.
    pub format: Option<String>,
}

/// The participants, for the event's organisers (and instance moderators).
#[utoipa::path(get, path = "/events/{id}/participations", tag = "participations", params(("id" = String, Path), ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<ParticipationView>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Response, Problem> {
    let viewer = viewer(&state, Some(&acting.session), &id).await?;
    if !(viewer.organiser || viewer.moderator) {
        crate::events::visible(&state, viewer, &id).await?;
        return Err(Problem::forbidden(
            "only the event's organisers see its participants",
        ));
    }
    let wanted = match query.state.as_deref() {
        None => None,
        Some(text) => Some(ParticipantState::parse(text).ok_or_else(|| {
            Problem::invalid_field("state", format!("`{text}` is not a participation state"))
        })?),
    };
    let found: Vec<ParticipationView> = events::participations(state.db.pool(), &id, wanted)
        .await?
        .into_iter()
        .map(public)
        .collect();
    match query.format.as_deref() {
        None | Some("json") => Ok(Json(found).into_response()),
        Some("csv") => csv_export(&id, &found),
        Some(other) => Err(Problem::invalid_field(
            "format",
            format!("`{other}` is not a format: use json or csv"),
        )),
    }
}

fn csv_export(event: &str, found: &[ParticipationView]) -> Result<Response, Problem> {
    let bytes = csv(found)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"participants-{event}.csv\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Participations as CSV: who (never an email), state, place on the waitlist, message, date.
pub fn csv(found: &[ParticipationView]) -> Result<Vec<u8>, Problem> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = [
        "participant",
        "state",
        "waitlist_position",
        "message",
        "joined_at",
    ];
    writer.write_record(header).map_err(Problem::internal)?;
    // A cell starting with = + - @ would run as a formula in a spreadsheet: quote it.
    let cell = |text: &str| -> String {
        if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{text}")
        } else {
            text.to_string()
        }
    };
    for p in found {
        let who = p
            .profile
            .as_ref()
            .map_or("anonymous".to_string(), |u| format!("@{u}"));
        let place = p
            .waitlist_position
            .map(|n| n.to_string())
            .unwrap_or_default();
        writer
            .write_record([
                who.as_str(),
                &p.state,
                &place,
                &cell(p.message.as_deref().unwrap_or("")),
                &p.joined_at,
            ])
            .map_err(Problem::internal)?;
    }
    writer.into_inner().map_err(Problem::internal)
}

/// Runs an organiser's decision on participation `pid`, then answers with it.
async fn decided(
    state: &AppState,
    acting: &Acting,
    id: &str,
    pid: &str,
    command: EventCommand,
) -> Result<Json<ParticipationView>, Problem> {
    consistency::command(state, &state.events, id, command, &acting.metadata()).await?;
    Ok(Json(find(state, id, pid).await?))
}

/// Approve a participation request; with no seat free it goes to the waitlist.
#[utoipa::path(post, path = "/events/{id}/participations/{pid}/approve", tag = "participations",
    params(("id" = String, Path), ("pid" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ParticipationView), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn approve(
    State(state): State<AppState>,
    acting: Acting,
    Path((id, pid)): Path<(String, String)>,
) -> Result<Json<ParticipationView>, Problem> {
    let command = EventCommand::Approve {
        by: acting.profile.clone(),
        participation: pid.clone(),
    };
    decided(&state, &acting, &id, &pid, command).await
}

/// Reject a participation; a freed seat goes to the first on the waitlist.
#[utoipa::path(post, path = "/events/{id}/participations/{pid}/reject", tag = "participations",
    params(("id" = String, Path), ("pid" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ParticipationView), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn reject(
    State(state): State<AppState>,
    acting: Acting,
    Path((id, pid)): Path<(String, String)>,
) -> Result<Json<ParticipationView>, Problem> {
    let command = EventCommand::Reject {
        by: acting.profile.clone(),
        participation: pid.clone(),
    };
    decided(&state, &acting, &id, &pid, command).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleRequest {
    /// participant, moderator, administrator or creator.
    pub role: ParticipantState,
}

/// Change a participant's role (creator and administrators).
#[utoipa::path(put, path = "/events/{id}/participations/{pid}/role", tag = "participations", request_body = RoleRequest,
    params(("id" = String, Path), ("pid" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ParticipationView), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn change_role(
    State(state): State<AppState>,
    acting: Acting,
    Path((id, pid)): Path<(String, String)>,
    Body(request): Body<RoleRequest>,
) -> Result<Json<ParticipationView>, Problem> {
    let command = EventCommand::ChangeRole {
        by: acting.profile.clone(),
        participation: pid.clone(),
        role: request.role,
    };
    decided(&state, &acting, &id, &pid, command).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnonymousJoin {
    pub email: String,
    pub message: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnonymousState {
    pub state: String,
    pub detail: String,
}

/// Take part without an account (when the event allows it): a link to confirm is mailed.
#[utoipa::path(post, path = "/events/{id}/anonymous-participations", tag = "participations", request_body = AnonymousJoin,
    params(("id" = String, Path)),
    responses((status = 202, body = AnonymousState), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn join_anonymously(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(request): Body<AnonymousJoin>,
) -> Result<(StatusCode, Json<AnonymousState>), Problem> {
    let state_now = join_anonymously_as(&state, &Origin::api(&headers), &id, request).await?;
    Ok((StatusCode::ACCEPTED, Json(state_now)))
}

/// Records an anonymous participation and mails its confirmation and cancellation links.
pub async fn join_anonymously_as(
    state: &AppState,
    origin: &Origin,
    id: &str,
    request: AnonymousJoin,
) -> Result<AnonymousState, Problem> {
    // Only events anyone may see can be joined without an account (private ones answer 404).
    crate::events::visible(state, crate::events::Viewer::default(), id).await?;
    let (confirm, cancel) = (new_token(), new_token());
    let email = request.email.trim().to_lowercase();
    let command = EventCommand::JoinAnonymously {
        participation: uuid::Uuid::new_v4().to_string(),
        email: email.clone(),
        message: request.message,
        confirm_token: token_hash(&confirm),
        cancel_token: token_hash(&cancel),
    };
    match consistency::command(state, &state.events, id, command, &origin.anonymous()).await {
        Ok(_) => {}
        // Answer as if it worked: otherwise anyone could test whether an address takes part.
        Err(problem) if problem.status == 409 && problem.detail.contains("already takes part") => {
            return Ok(AnonymousState {
                state: ParticipantState::NotConfirmed.as_str().into(),
                detail: "check your mailbox and follow the link to confirm".into(),
            });
        }
        Err(problem) => return Err(problem),
    }
    let title = events::find(state.db.pool(), id)
        .await?
        .map(|e| e.details.title)
        .unwrap_or_default();
    // The links open pages (confirm at once; cancel after pressing a button).
    let base = format!("{}/participations", state.config.public_url);
    let body = format!(
        "You asked to take part in \"{title}\".\n\n\
         Confirm your participation by following this link:\n\n{base}/confirm?token={confirm}\n\n\
         To cancel it at any time, follow this one:\n\n{base}/cancel?token={cancel}\n\n\
         If you did not ask, ignore this message: nothing happens until you confirm.\n"
    );
    if let Err(error) = state
        .config
        .mailer
        .send(
            &email,
            &format!("Confirm your participation: {title}"),
            body,
        )
        .await
    {
        tracing::error!(%error, "the anonymous participation mail was not sent");
    }
    Ok(AnonymousState {
        state: ParticipantState::NotConfirmed.as_str().into(),
        detail: "check your mailbox and follow the link to confirm".into(),
    })
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct TokenBody {
    pub token: String,
}

/// Confirms the anonymous participation whose mailed token is `token`.
pub async fn confirm_anonymous(
    state: &AppState,
    origin: &Origin,
    token: &str,
) -> Result<AnonymousState, Problem> {
    let hash = token_hash(token.trim());
    let found = events::participation_by_token(state.db.pool(), TokenKind::Confirm, &hash)
        .await?
        .ok_or_else(|| Problem::not_found("this link is not valid (any more)"))?;
    let command = EventCommand::ConfirmAnonymous {
        confirm_token: hash,
    };
    consistency::command(
        state,
        &state.events,
        &found.event_id,
        command,
        &origin.anonymous(),
    )
    .await?;
    let now = find(state, &found.event_id, &found.id).await?;
    let detail = match ParticipantState::parse(&now.state) {
        Some(ParticipantState::Participant) => "you take part: see you there",
        Some(ParticipantState::Waitlisted) => {
            "the event is full: you are on the waitlist and will get a seat when one frees"
        }
        Some(ParticipantState::NotApproved) => {
            "confirmed: the organisers will now approve or decline"
        }
        _ => "confirmed",
    };
    Ok(AnonymousState {
        state: now.state,
        detail: detail.into(),
    })
}

/// Confirm an anonymous participation with the token from the mail.
#[utoipa::path(post, path = "/anonymous-participations/confirm", tag = "participations", request_body = TokenBody,
    responses((status = 200, body = AnonymousState), (status = 404, body = Problem)))]
async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body<TokenBody>,
) -> Result<Json<AnonymousState>, Problem> {
    Ok(Json(
        confirm_anonymous(&state, &Origin::api(&headers), &body.token).await?,
    ))
}

/// The confirmation link in the mail (following it twice is harmless).
#[utoipa::path(get, path = "/anonymous-participations/confirm", tag = "participations", params(TokenBody),
    responses((status = 200, body = AnonymousState), (status = 404, body = Problem)))]
async fn confirm_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<TokenBody>,
) -> Result<Json<AnonymousState>, Problem> {
    Ok(Json(
        confirm_anonymous(&state, &Origin::api(&headers), &query.token).await?,
    ))
}

/// Cancel an anonymous participation with the token from the mail (JSON or a form post).
#[utoipa::path(post, path = "/anonymous-participations/cancel", tag = "participations", request_body = TokenBody,
    responses((status = 200, body = AnonymousState), (status = 404, body = Problem)))]
async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<AnonymousState>, Problem> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let token = if form {
        serde_urlencoded_token(&body)
    } else {
        serde_json::from_slice::<TokenBody>(&body)
            .ok()
            .map(|b| b.token)
    }
    .ok_or_else(|| Problem::invalid_field("token", "send the token from the mail"))?;
    Ok(Json(
        cancel_anonymous(&state, &Origin::api(&headers), &token).await?,
    ))
}

/// Cancels the anonymous participation whose mailed cancellation token is `token`.
pub async fn cancel_anonymous(
    state: &AppState,
    origin: &Origin,
    token: &str,
) -> Result<AnonymousState, Problem> {
    let hash = token_hash(token.trim());
    let found = events::participation_by_token(state.db.pool(), TokenKind::Cancel, &hash)
        .await?
        .ok_or_else(|| {
            Problem::not_found(
                "this link is not valid (any more): the participation may already be cancelled",
            )
        })?;
    let command = EventCommand::LeaveAnonymously { cancel_token: hash };
    consistency::command(
        state,
        &state.events,
        &found.event_id,
        command,
        &origin.anonymous(),
    )
    .await?;
    Ok(AnonymousState {
        state: "cancelled".into(),
        detail: "your participation is cancelled".into(),
    })
}

fn serde_urlencoded_token(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
}

/// The cancellation link in the mail: a page asking to confirm, so that mail scanners
/// following links cannot cancel anyone.
#[utoipa::path(get, path = "/anonymous-participations/cancel", tag = "participations", params(TokenBody),
    responses((status = 200, description = "an HTML page with a button that cancels", content_type = "text/html")))]
async fn cancel_page(Query(query): Query<TokenBody>) -> Html<String> {
    let token: String = query
        .token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Cancel your participation</title></head><body><main>\
         <h1>Cancel your participation?</h1>\
         <form method=\"post\" action=\"/api/v1/anonymous-participations/cancel\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <button type=\"submit\">Yes, cancel my participation</button></form></main></body></html>"
    ))
}
