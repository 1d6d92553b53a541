//! `/events/{id}/comments` and `/comments`.

use super::extract::MaybeSession;
use super::problem::{Body, Problem};
use crate::auth::Acting;
use crate::comments::{self, CommentEdit, NewComment};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use convene_projections::events::CommentView;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, post))
        .routes(routes!(edit, delete))
}

/// An event's comments, oldest first; replies name the comment they answer.
#[utoipa::path(get, path = "/events/{id}/comments", tag = "comments", params(("id" = String, Path)),
    responses((status = 200, body = Vec<CommentView>), (status = 404, body = Problem),
              (status = 401, description = "a bearer token was sent and names no session", body = Problem)))]
async fn list(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    Path(id): Path<String>,
) -> Result<Json<Vec<CommentView>>, Problem> {
    Ok(Json(comments::list(&state, session.as_ref(), &id).await?))
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
    let view = comments::post(&state, &acting, &id, new).await?;
    Ok((StatusCode::CREATED, Json(view)))
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
    Ok(Json(comments::edit(&state, &acting, &id, edit).await?))
}

/// Delete a comment (its author, or the event's organisers); a tombstone keeps the thread.
#[utoipa::path(delete, path = "/comments/{id}", tag = "comments", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    comments::delete(&state, &acting, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
