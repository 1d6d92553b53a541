//! `/events`.

use super::extract::{MaybeSession, Params};
use super::problem::{Body, BodyBytes, JsonBytes, Problem};
use crate::auth::Acting;
use crate::events::{self, ListQuery, NewEvent};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderName, StatusCode};
use axum::Json;
use convene_domain::event::EventPatch;
use convene_projections::events::EventView;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, update, delete))
        .routes(routes!(publish))
        .routes(routes!(cancel))
}

/// Reads a new event: its details field by field (serde's flatten would lose the failing
/// field's name), then whether it stays a draft.
pub(super) fn parse_new_event(body: &[u8]) -> Result<NewEvent, Problem> {
    #[derive(serde::Deserialize)]
    struct Draft {
        #[serde(default)]
        draft: serde_json::Value,
    }
    let details = super::problem::parse_json(body)?;
    let draft = match super::problem::parse_json::<Draft>(body)?.draft {
        serde_json::Value::Null => false,
        serde_json::Value::Bool(draft) => draft,
        _ => return Err(Problem::invalid_field("draft", "draft is true or false")),
    };
    Ok(NewEvent { details, draft })
}

/// Create an event, organised by the acting profile.
#[utoipa::path(post, path = "/events", tag = "events", request_body = NewEvent, security(("bearer" = [])),
    responses((status = 201, body = EventView), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn create(
    State(state): State<AppState>,
    acting: Acting,
    JsonBytes(body): JsonBytes,
) -> Result<(StatusCode, Json<EventView>), Problem> {
    let new = parse_new_event(&body)?;
    let created = events::create_event(&state, &acting, new).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Upcoming public events, soonest first, one page at a time; `X-Total-Count` says how many
/// there are on every page.
#[utoipa::path(get, path = "/events", tag = "events", params(ListQuery),
    responses((status = 200, body = Vec<EventView>,
               headers(("x-total-count" = i64, description = "how many events match, on every page"))),
              (status = 422, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    Params(query): Params<ListQuery>,
) -> Result<([(HeaderName, String); 1], Json<Vec<EventView>>), Problem> {
    let listing = events::list(&state, query).await?;
    let total = [(
        HeaderName::from_static(TOTAL_COUNT),
        listing.total.to_string(),
    )];
    Ok((total, Json(listing.events)))
}

/// The header giving how many items a listing has on all its pages.
pub const TOTAL_COUNT: &str = "x-total-count";

/// One event.
#[utoipa::path(get, path = "/events/{id}", tag = "events", params(("id" = String, Path)),
    responses((status = 200, body = EventView), (status = 404, body = Problem),
              (status = 401, description = "a bearer token was sent and names no session", body = Problem)))]
async fn show(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    Path(id): Path<String>,
) -> Result<Json<EventView>, Problem> {
    Ok(Json(events::show(&state, session.as_ref(), &id).await?))
}

/// Change any of an event's fields (creator and administrators); `null` clears an optional one.
#[utoipa::path(patch, path = "/events/{id}", tag = "events", request_body = EventPatch,
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = EventView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn update(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
    Body(patch): Body<EventPatch>,
) -> Result<Json<EventView>, Problem> {
    Ok(Json(events::update(&state, &acting, &id, patch).await?))
}

/// Publish a draft.
#[utoipa::path(post, path = "/events/{id}/publish", tag = "events", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = EventView), (status = 403, body = Problem)))]
async fn publish(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
) -> Result<Json<EventView>, Problem> {
    Ok(Json(events::publish(&state, &acting, &id).await?))
}

/// Why an event is cancelled (the body is optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancellation {
    /// Shown on the event (`cancel_reason`): at most 1,000 characters.
    pub reason: Option<String>,
}

/// Cancel an event, saying why or not; it stays visible, marked cancelled, and takes no more
/// participants.
#[utoipa::path(post, path = "/events/{id}/cancel", tag = "events", params(("id" = String, Path)),
    request_body = Cancellation, security(("bearer" = [])),
    responses((status = 200, body = EventView), (status = 403, body = Problem),
              (status = 422, body = Problem)))]
async fn cancel(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
    BodyBytes(body): BodyBytes,
) -> Result<Json<EventView>, Problem> {
    let cancellation: Cancellation = if body.iter().all(u8::is_ascii_whitespace) {
        Cancellation::default()
    } else {
        super::problem::parse_json(&body)?
    };
    let reason = cancellation.reason.as_deref();
    Ok(Json(events::cancel(&state, &acting, &id, reason).await?))
}

/// Delete an event (its history stays in the log).
#[utoipa::path(delete, path = "/events/{id}", tag = "events", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    events::delete(&state, &acting, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
