//! `/groups/{handle}/discussions`.

use super::extract::Params;
use super::groups::ListQuery;
use super::problem::{Body, Problem};
use crate::auth::Acting;
use crate::group_discussions::{
    self, DiscussionChange, EditedComment, NewComment, NewDiscussion, Thread,
};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use convene_projections::group_discussions::DiscussionView;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start, list))
        .routes(routes!(show, change, delete))
        .routes(routes!(comment))
        .routes(routes!(edit_comment, delete_comment))
}

/// Start a discussion with its first comment (members).
#[utoipa::path(post, path = "/groups/{handle}/discussions", tag = "groups", request_body = NewDiscussion,
    params(("handle" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = Thread), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn start(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
    Body(new): Body<NewDiscussion>,
) -> Result<(StatusCode, Json<Thread>), Problem> {
    let started = group_discussions::start(&state, &acting, &handle, new).await?;
    Ok((StatusCode::CREATED, Json(started)))
}

/// The group's discussions, the last commented first, 20 a page (members).
#[utoipa::path(get, path = "/groups/{handle}/discussions", tag = "groups", params(("handle" = String, Path), ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<DiscussionView>), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
    Params(query): Params<ListQuery>,
) -> Result<Json<Vec<DiscussionView>>, Problem> {
    Ok(Json(
        group_discussions::list(&state, &acting, &handle, query.page()?).await?,
    ))
}

/// A discussion with its comments (members).
#[utoipa::path(get, path = "/groups/{handle}/discussions/{discussion}", tag = "groups",
    params(("handle" = String, Path), ("discussion" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Thread), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem)))]
async fn show(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, discussion)): Path<(String, String)>,
) -> Result<Json<Thread>, Problem> {
    Ok(Json(
        group_discussions::show(&state, &acting, &handle, &discussion).await?,
    ))
}

/// Rename a discussion and/or archive it (`archived: true`) or take it out of the archive (its
/// author or moderators). An archived discussion takes no comments.
#[utoipa::path(patch, path = "/groups/{handle}/discussions/{discussion}", tag = "groups",
    request_body = DiscussionChange, params(("handle" = String, Path), ("discussion" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Thread),
              (status = 403, body = Problem, description = "member-needed, or moderator-needed for someone else's discussion"),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn change(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, discussion)): Path<(String, String)>,
    Body(change): Body<DiscussionChange>,
) -> Result<Json<Thread>, Problem> {
    Ok(Json(
        group_discussions::change(&state, &acting, &handle, &discussion, change).await?,
    ))
}

/// Delete a discussion and its comments (its author or moderators).
#[utoipa::path(delete, path = "/groups/{handle}/discussions/{discussion}", tag = "groups",
    params(("handle" = String, Path), ("discussion" = String, Path)), security(("bearer" = [])),
    responses((status = 204),
              (status = 403, body = Problem, description = "member-needed, or moderator-needed for someone else's discussion"),
              (status = 404, body = Problem)))]
async fn delete(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, discussion)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    group_discussions::delete(&state, &acting, &handle, &discussion).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Comment on a discussion, or reply to one of its comments (members).
#[utoipa::path(post, path = "/groups/{handle}/discussions/{discussion}/comments", tag = "groups",
    request_body = NewComment, params(("handle" = String, Path), ("discussion" = String, Path)),
    security(("bearer" = [])),
    responses((status = 201, body = Thread), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem, description = "no such discussion, or unknown-comment to reply to"),
              (status = 409, body = Problem, description = "discussion-archived"), (status = 422, body = Problem)))]
async fn comment(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, discussion)): Path<(String, String)>,
    Body(new): Body<NewComment>,
) -> Result<(StatusCode, Json<Thread>), Problem> {
    let thread = group_discussions::comment(&state, &acting, &handle, &discussion, new).await?;
    Ok((StatusCode::CREATED, Json(thread)))
}

/// Delete a comment (its author or moderators); it stays as a tombstone so replies keep their
/// place.
#[utoipa::path(delete, path = "/groups/{handle}/discussions/{discussion}/comments/{comment}", tag = "groups",
    params(("handle" = String, Path), ("discussion" = String, Path), ("comment" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Thread),
              (status = 403, body = Problem, description = "member-needed, or moderator-needed for someone else's comment"),
              (status = 404, body = Problem)))]
async fn delete_comment(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, discussion, comment)): Path<(String, String, String)>,
) -> Result<Json<Thread>, Problem> {
    Ok(Json(
        group_discussions::delete_comment(&state, &acting, &handle, &discussion, &comment).await?,
    ))
}

/// Change what a comment says (its author only; not in an archived discussion).
#[utoipa::path(put, path = "/groups/{handle}/discussions/{discussion}/comments/{comment}", tag = "groups",
    request_body = EditedComment,
    params(("handle" = String, Path), ("discussion" = String, Path), ("comment" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Thread),
              (status = 403, body = Problem, description = "member-needed, or author-only for someone else's comment"),
              (status = 404, body = Problem, description = "no such discussion, or unknown-comment (deleted)"),
              (status = 409, body = Problem, description = "discussion-archived"), (status = 422, body = Problem)))]
async fn edit_comment(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, discussion, comment)): Path<(String, String, String)>,
    Body(edited): Body<EditedComment>,
) -> Result<Json<Thread>, Problem> {
    Ok(Json(
        group_discussions::edit_comment(&state, &acting, &handle, &discussion, &comment, edited)
            .await?,
    ))
}
