//! `/events`.

use super::extract::MaybeSession;
use super::problem::{Body, Problem};
use crate::auth::Acting;
use crate::events::{self, ListQuery, NewEvent};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use convene_domain::event::EventPatch;
use convene_projections::events::EventView;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, update, delete))
        .routes(routes!(publish))
        .routes(routes!(cancel))
}

/// Reads a new event field by field (serde's flatten would lose the failing field's name).
pub(super) fn parse_new_event(mut body: serde_json::Value) -> Result<NewEvent, Problem> {
    let draft = match body.as_object_mut().and_then(|o| o.remove("draft")) {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(draft)) => draft,
        Some(_) => return Err(Problem::invalid_field("draft", "draft is true or false")),
    };
    Ok(NewEvent {
        details: super::problem::from_value(body)?,
        draft,
    })
}

/// Create an event, organised by the acting profile.
#[utoipa::path(post, path = "/events", tag = "events", request_body = NewEvent, security(("bearer" = [])),
    responses((status = 201, body = EventView), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn create(
    State(state): State<AppState>,
    acting: Acting,
    Body(body): Body<serde_json::Value>,
) -> Result<(StatusCode, Json<EventView>), Problem> {
    let new = parse_new_event(body)?;
    let created = events::create_event(&state, &acting, new).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Upcoming public events, soonest first.
#[utoipa::path(get, path = "/events", tag = "events", params(ListQuery),
    responses((status = 200, body = Vec<EventView>), (status = 422, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<EventView>>, Problem> {
    Ok(Json(events::list(&state, query).await?))
}

/// One event.
#[utoipa::path(get, path = "/events/{id}", tag = "events", params(("id" = String, Path)),
    responses((status = 200, body = EventView), (status = 404, body = Problem)))]
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

/// Cancel an event; it stays visible, marked cancelled, and takes no more participants.
#[utoipa::path(post, path = "/events/{id}/cancel", tag = "events", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = EventView), (status = 403, body = Problem)))]
async fn cancel(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
) -> Result<Json<EventView>, Problem> {
    Ok(Json(events::cancel(&state, &acting, &id).await?))
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
