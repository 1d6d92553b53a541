//! `/groups/{handle}/posts`.

use super::extract::{MaybeSession, Params};
use super::groups::ListQuery;
use super::problem::{Body, Problem};
use crate::auth::Acting;
use crate::group_posts::{self, PostInput};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use convene_projections::group_posts::PostView;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(write, list))
        .routes(routes!(show, edit, delete))
}

/// Write a post in the group as the acting profile (moderators and above). It is published
/// at once unless `draft` is true.
#[utoipa::path(post, path = "/groups/{handle}/posts", tag = "groups", request_body = PostInput,
    params(("handle" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = PostView), (status = 403, body = Problem, description = "moderator-needed"),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn write(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
    Body(input): Body<PostInput>,
) -> Result<(StatusCode, Json<PostView>), Problem> {
    let written = group_posts::write(&state, &acting, &handle, input).await?;
    Ok((StatusCode::CREATED, Json(written)))
}

/// The group's posts, newest first, 20 a page: published public ones for everyone, every
/// published one for members, drafts too for moderators. The author is the group to those
/// outside it.
#[utoipa::path(get, path = "/groups/{handle}/posts", tag = "groups", params(("handle" = String, Path), ListQuery),
    responses((status = 200, body = Vec<PostView>), (status = 404, body = Problem), (status = 422, body = Problem),
              (status = 401, description = "a bearer token was sent and names no session", body = Problem)))]
async fn list(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    Path(handle): Path<String>,
    Params(query): Params<ListQuery>,
) -> Result<Json<Vec<PostView>>, Problem> {
    Ok(Json(
        group_posts::list(&state, session.as_ref(), &handle, query.page()?).await?,
    ))
}

/// One post, by slug or id. Drafts (but to moderators) and members-only posts (but to
/// members) answer 404, as if they did not exist.
#[utoipa::path(get, path = "/groups/{handle}/posts/{post}", tag = "groups",
    params(("handle" = String, Path), ("post" = String, Path, description = "slug or id")),
    responses((status = 200, body = PostView), (status = 404, body = Problem),
              (status = 401, description = "a bearer token was sent and names no session", body = Problem)))]
async fn show(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    Path((handle, post)): Path<(String, String)>,
) -> Result<Json<PostView>, Problem> {
    Ok(Json(
        group_posts::show(&state, session.as_ref(), &handle, &post).await?,
    ))
}

/// Replace what a post says (moderators and above): the whole post is sent. Leaving the draft
/// publishes it.
#[utoipa::path(put, path = "/groups/{handle}/posts/{post}", tag = "groups", request_body = PostInput,
    params(("handle" = String, Path), ("post" = String, Path, description = "slug or id")),
    security(("bearer" = [])),
    responses((status = 200, body = PostView), (status = 403, body = Problem, description = "moderator-needed"),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn edit(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, post)): Path<(String, String)>,
    Body(input): Body<PostInput>,
) -> Result<Json<PostView>, Problem> {
    Ok(Json(
        group_posts::edit(&state, &acting, &handle, &post, input).await?,
    ))
}

/// Delete a post (moderators and above).
#[utoipa::path(delete, path = "/groups/{handle}/posts/{post}", tag = "groups",
    params(("handle" = String, Path), ("post" = String, Path, description = "slug or id")),
    security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem, description = "moderator-needed"),
              (status = 404, body = Problem)))]
async fn delete(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, post)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    group_posts::delete(&state, &acting, &handle, &post).await?;
    Ok(StatusCode::NO_CONTENT)
}
