//! `/groups/{handle}/resources`.

use super::problem::{Body, Problem};
use crate::auth::Acting;
use crate::group_resources::{self, Listing, MoveTo, NewResource, ResourceChange};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use convene_projections::group_resources::ResourceView;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, top))
        .routes(routes!(folder, change, delete))
        .routes(routes!(move_to))
}

/// Add a folder or a link (members).
#[utoipa::path(post, path = "/groups/{handle}/resources", tag = "groups", request_body = NewResource,
    params(("handle" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = ResourceView), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem),
              (status = 422, body = Problem, description = "a field: title, url, summary, kind, or parent (no such folder)")))]
async fn create(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
    Body(new): Body<NewResource>,
) -> Result<(StatusCode, Json<ResourceView>), Problem> {
    let made = group_resources::create(&state, &acting, &handle, new).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// The group's resources at the top: folders first, then links (members).
#[utoipa::path(get, path = "/groups/{handle}/resources", tag = "groups", params(("handle" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Listing), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem)))]
async fn top(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
) -> Result<Json<Listing>, Problem> {
    Ok(Json(
        group_resources::listing(&state, &acting, &handle, None).await?,
    ))
}

/// A folder: what it holds and the way down to it (members).
#[utoipa::path(get, path = "/groups/{handle}/resources/{resource}", tag = "groups",
    params(("handle" = String, Path), ("resource" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Listing), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem, description = "no such folder")))]
async fn folder(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, resource)): Path<(String, String)>,
) -> Result<Json<Listing>, Problem> {
    Ok(Json(
        group_resources::listing(&state, &acting, &handle, Some(&resource)).await?,
    ))
}

/// Rename a resource or change what a link says; what is left out stays (members).
#[utoipa::path(patch, path = "/groups/{handle}/resources/{resource}", tag = "groups",
    request_body = ResourceChange, params(("handle" = String, Path), ("resource" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ResourceView), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn change(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, resource)): Path<(String, String)>,
    Body(change): Body<ResourceChange>,
) -> Result<Json<ResourceView>, Problem> {
    Ok(Json(
        group_resources::change(&state, &acting, &handle, &resource, change).await?,
    ))
}

/// Move a resource into a folder (`parent`), or to the top (`parent` null or left out);
/// a folder never goes into itself or one of its own folders (members).
#[utoipa::path(post, path = "/groups/{handle}/resources/{resource}/move", tag = "groups",
    request_body = MoveTo, params(("handle" = String, Path), ("resource" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = ResourceView), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem),
              (status = 422, body = Problem, description = "parent: no such folder, or the folder itself or one of its own")))]
async fn move_to(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, resource)): Path<(String, String)>,
    Body(to): Body<MoveTo>,
) -> Result<Json<ResourceView>, Problem> {
    Ok(Json(
        group_resources::move_to(&state, &acting, &handle, &resource, to).await?,
    ))
}

/// Delete a resource, a folder with everything in it (members).
#[utoipa::path(delete, path = "/groups/{handle}/resources/{resource}", tag = "groups",
    params(("handle" = String, Path), ("resource" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem)))]
async fn delete(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, resource)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    group_resources::delete(&state, &acting, &handle, &resource).await?;
    Ok(StatusCode::NO_CONTENT)
}
