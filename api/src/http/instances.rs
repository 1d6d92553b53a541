//! `/admin/instances`: the instances this one follows or is followed by (Mobilizon's relays),
//! for administrators: listed, followed by host or URL, unfollowed.

use super::problem::{Body, Problem};
use crate::auth::Session;
use crate::instance_follows;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use convene_projections::instance_follows::InstanceFollowView;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, follow))
        .routes(routes!(unfollow))
}

/// An instance to follow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInstanceFollow {
    /// The instance: its host (`events.example`), its URL, or its actor's URL. Not this
    /// instance itself.
    pub instance: String,
}

/// The instances this one follows (`following`: pending or accepted) or is followed by
/// (`follower`), by host (administrators only).
#[utoipa::path(get, path = "/admin/instances", tag = "federation", security(("bearer" = [])),
    responses((status = 200, body = Vec<InstanceFollowView>), (status = 403, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<InstanceFollowView>>, Problem> {
    Ok(Json(instance_follows::list(&state, &session).await?))
}

/// Makes this instance follow another (administrators only). Its actor is found (by
/// WebFinger as `relay@host`, else `https://host/relay`) and fetched first: an instance that
/// does not answer, a suspended domain or this instance itself is 422 naming `instance`. 202:
/// the running server sends the `Follow`; the follow stays `pending` until the answer.
#[utoipa::path(post, path = "/admin/instances", tag = "federation", request_body = NewInstanceFollow,
    security(("bearer" = [])),
    responses((status = 202, body = InstanceFollowView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn follow(
    State(state): State<AppState>,
    session: Session,
    Body(new): Body<NewInstanceFollow>,
) -> Result<(StatusCode, Json<InstanceFollowView>), Problem> {
    let view = instance_follows::follow_instance(&state, &session, &new.instance).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

/// Stops following an instance, or withdraws the request (administrators only); the server
/// sends the `Undo`.
#[utoipa::path(delete, path = "/admin/instances/{instance}", tag = "federation",
    params(("instance" = String, Path, description = "the instance's host, or its actor's URL")),
    security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn unfollow(
    State(state): State<AppState>,
    session: Session,
    Path(instance): Path<String>,
) -> Result<StatusCode, Problem> {
    instance_follows::unfollow_instance(&state, &session, &instance).await?;
    Ok(StatusCode::NO_CONTENT)
}
