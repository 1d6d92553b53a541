//! `/events/{id}/participations` and `/anonymous-participations`.

use super::extract::{ApiOrigin, Params};
use super::mailed_links::{button_page, PostedToken};
use super::problem::{Body, BodyBytes, Problem};
use crate::auth::Acting;
use crate::participations::{self, AnonymousJoin, AnonymousState, JoinRequest};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use convene_domain::event::ParticipantState;
use convene_projections::events::ParticipationView;
use serde::Deserialize;
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

/// Take part in an event as the acting profile.
#[utoipa::path(post, path = "/events/{id}/participations", tag = "participations", request_body = JoinRequest,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = ParticipationView), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn join(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
    BodyBytes(body): BodyBytes,
) -> Result<(StatusCode, Json<ParticipationView>), Problem> {
    // The body is optional: joining needs nothing but may carry a message.
    let request: JoinRequest = if body.iter().all(u8::is_ascii_whitespace) {
        JoinRequest::default()
    } else {
        super::problem::parse_json(&body)?
    };
    let joined = participations::join(&state, &acting, &id, request).await?;
    Ok((StatusCode::CREATED, Json(joined)))
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
    participations::leave(&state, &acting, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
    Params(query): Params<ListQuery>,
) -> Result<Response, Problem> {
    let wanted = query.state.as_deref();
    let found = participations::participants(&state, &acting.session, &id, wanted).await?;
    match query.format.as_deref() {
        None | Some("json") => Ok(Json(found).into_response()),
        Some("csv") => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"participants-{id}.csv\""),
                ),
            ],
            participations::csv(&found)?,
        )
            .into_response()),
        Some(other) => Err(Problem::invalid_field(
            "format",
            format!("`{other}` is not a format: use json or csv"),
        )),
    }
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
    Ok(Json(
        participations::approve(&state, &acting, &id, &pid).await?,
    ))
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
    Ok(Json(
        participations::reject(&state, &acting, &id, &pid).await?,
    ))
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
    Ok(Json(
        participations::change_role(&state, &acting, &id, &pid, request.role).await?,
    ))
}

/// Take part without an account (when the event allows it): a link to confirm is mailed.
#[utoipa::path(post, path = "/events/{id}/anonymous-participations", tag = "participations", request_body = AnonymousJoin,
    params(("id" = String, Path)),
    responses((status = 202, body = AnonymousState), (status = 403, body = Problem), (status = 409, body = Problem),
              (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn join_anonymously(
    State(state): State<AppState>,
    ApiOrigin(origin): ApiOrigin,
    Path(id): Path<String>,
    Body(request): Body<AnonymousJoin>,
) -> Result<(StatusCode, Json<AnonymousState>), Problem> {
    let now = participations::join_anonymously(&state, &origin, &id, request).await?;
    Ok((StatusCode::ACCEPTED, Json(now)))
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenBody {
    pub token: String,
}

/// Confirm an anonymous participation with the token from the mail (JSON or the link page's
/// form).
#[utoipa::path(post, path = "/anonymous-participations/confirm", tag = "participations", request_body(content((TokenBody = "application/json"), (TokenBody = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = AnonymousState), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn confirm(
    State(state): State<AppState>,
    ApiOrigin(origin): ApiOrigin,
    PostedToken(token): PostedToken,
) -> Result<Json<AnonymousState>, Problem> {
    Ok(Json(
        participations::confirm_anonymous(&state, &origin, &token).await?,
    ))
}

/// The confirmation link in the mail: a page with a button that confirms (a GET changes
/// nothing: mail scanners follow links).
#[utoipa::path(get, path = "/anonymous-participations/confirm", tag = "participations", params(TokenBody),
    responses((status = 200, description = "an HTML page with a button that confirms", content_type = "text/html")))]
async fn confirm_link(Params(query): Params<TokenBody>) -> Html<String> {
    button_page(
        "Confirm your participation",
        "/anonymous-participations/confirm",
        &query.token,
        "Confirm my participation",
    )
}

/// Cancel an anonymous participation with the token from the mail (JSON or the link page's
/// form).
#[utoipa::path(post, path = "/anonymous-participations/cancel", tag = "participations", request_body(content((TokenBody = "application/json"), (TokenBody = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = AnonymousState), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn cancel(
    State(state): State<AppState>,
    ApiOrigin(origin): ApiOrigin,
    PostedToken(token): PostedToken,
) -> Result<Json<AnonymousState>, Problem> {
    Ok(Json(
        participations::cancel_anonymous(&state, &origin, &token).await?,
    ))
}

/// The cancellation link in the mail: a page with a button that cancels, so that mail scanners
/// following links cannot cancel anyone.
#[utoipa::path(get, path = "/anonymous-participations/cancel", tag = "participations", params(TokenBody),
    responses((status = 200, description = "an HTML page with a button that cancels", content_type = "text/html")))]
async fn cancel_page(Params(query): Params<TokenBody>) -> Html<String> {
    button_page(
        "Cancel your participation?",
        "/anonymous-participations/cancel",
        &query.token,
        "Yes, cancel my participation",
    )
}
