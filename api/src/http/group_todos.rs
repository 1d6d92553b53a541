//! `/groups/{handle}/todo-lists` and `/groups/{handle}/todos`.

use super::problem::{Body, Problem};
use crate::auth::Acting;
use crate::group_todos::{self, NewTodoList, TodoInput};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use convene_projections::group_todos::TodoListView;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_list, lists))
        .routes(routes!(add))
        .routes(routes!(update, delete))
        .routes(routes!(delete_list))
}

/// Make a todo list (members).
#[utoipa::path(post, path = "/groups/{handle}/todo-lists", tag = "groups", request_body = NewTodoList,
    params(("handle" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = TodoListView), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_list(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
    Body(new): Body<NewTodoList>,
) -> Result<(StatusCode, Json<TodoListView>), Problem> {
    let made = group_todos::create_list(&state, &acting, &handle, new).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// The group's todo lists with their todos (members).
#[utoipa::path(get, path = "/groups/{handle}/todo-lists", tag = "groups", params(("handle" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<TodoListView>), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem)))]
async fn lists(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
) -> Result<Json<Vec<TodoListView>>, Problem> {
    Ok(Json(group_todos::lists(&state, &acting, &handle).await?))
}

/// Add a todo to a list (members); its assignee is a member. Answers the list.
#[utoipa::path(post, path = "/groups/{handle}/todo-lists/{list}/todos", tag = "groups", request_body = TodoInput,
    params(("handle" = String, Path), ("list" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = TodoListView), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem), (status = 422, body = Problem, description = "a field, such as an assignee who is not a member")))]
async fn add(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, list)): Path<(String, String)>,
    Body(input): Body<TodoInput>,
) -> Result<(StatusCode, Json<TodoListView>), Problem> {
    let added = group_todos::add(&state, &acting, &handle, &list, input).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// Replace what a todo says, done or not included (members). Answers its list.
#[utoipa::path(put, path = "/groups/{handle}/todos/{todo}", tag = "groups", request_body = TodoInput,
    params(("handle" = String, Path), ("todo" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = TodoListView), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, todo)): Path<(String, String)>,
    Body(input): Body<TodoInput>,
) -> Result<Json<TodoListView>, Problem> {
    Ok(Json(
        group_todos::update(&state, &acting, &handle, &todo, input).await?,
    ))
}

/// Delete a todo (members).
#[utoipa::path(delete, path = "/groups/{handle}/todos/{todo}", tag = "groups",
    params(("handle" = String, Path), ("todo" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem)))]
async fn delete(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, todo)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    group_todos::delete(&state, &acting, &handle, &todo).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a todo list with its todos (members).
#[utoipa::path(delete, path = "/groups/{handle}/todo-lists/{list}", tag = "groups",
    params(("handle" = String, Path), ("list" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem)))]
async fn delete_list(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, list)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    group_todos::delete_list(&state, &acting, &handle, &list).await?;
    Ok(StatusCode::NO_CONTENT)
}
