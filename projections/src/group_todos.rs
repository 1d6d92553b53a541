//! The read model of a group's todo lists (`group_todo_lists`, `group_todos`), written by the
//! groups projection. Members only: the application checks membership on every read.

use crate::error::Error;
use crate::projection::Applying;
use crate::tables::{flag, flag_of};
use convene_domain::group::TodoContent;
use serde::Serialize;
use sqlx::{AnyConnection, AnyPool, Row};

pub(crate) async fn list_created(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    (list, object): (&str, Option<&str>),
    title: &str,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO group_todo_lists (id, group_handle, title, position, object) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(list)
    .bind(on.id)
    .bind(title)
    .bind(on.position)
    .bind(object)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn added(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    list: &str,
    (todo, object): (&str, Option<&str>),
    content: &TodoContent,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO group_todos (id, list, position, title, due_on, assignee, done, updated_at, \
         object) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(todo)
    .bind(list)
    .bind(on.position)
    .bind(&content.title)
    .bind(&content.due_on)
    .bind(content.assignee.as_ref().map(|a| a.key()))
    .bind(flag(content.done))
    .bind(&on.at)
    .bind(object)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn updated(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    todo: &str,
    content: &TodoContent,
) -> Result<(), Error> {
    sqlx::query(
        "UPDATE group_todos SET title = $1, due_on = $2, assignee = $3, done = $4, \
         updated_at = $5 WHERE id = $6",
    )
    .bind(&content.title)
    .bind(&content.due_on)
    .bind(content.assignee.as_ref().map(|a| a.key()))
    .bind(flag(content.done))
    .bind(&on.at)
    .bind(todo)
    .execute(conn)
    .await?;
    Ok(())
}

/// The timeline entry a todo's new `done` makes: completed, reopened, or none when it is
/// unchanged (or the todo unknown).
pub(crate) async fn done_changed(
    conn: &mut AnyConnection,
    todo: &str,
    done: bool,
) -> Result<Option<crate::groups::Kind>, Error> {
    use crate::groups::Kind;
    let row = sqlx::query("SELECT done FROM group_todos WHERE id = $1")
        .bind(todo)
        .fetch_optional(conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(match (flag_of(&row, "done")?, done) {
        (false, true) => Some(Kind::TodoCompleted),
        (true, false) => Some(Kind::TodoReopened),
        _ => None,
    })
}

pub(crate) async fn deleted(conn: &mut AnyConnection, todo: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM group_todos WHERE id = $1")
        .bind(todo)
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn list_deleted(conn: &mut AnyConnection, list: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM group_todos WHERE list = $1")
        .bind(list)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM group_todo_lists WHERE id = $1")
        .bind(list)
        .execute(conn)
        .await?;
    Ok(())
}

/// One todo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TodoView {
    pub id: String,
    pub list: String,
    pub title: String,
    /// A day, YYYY-MM-DD.
    pub due_on: Option<String>,
    /// `@username` of a member.
    pub assignee: Option<String>,
    pub done: bool,
    pub updated_at: String,
    /// Its id on the instance of the member who added it from there; none when added here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
}

/// A todo list with its todos, in the order they were added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TodoListView {
    pub id: String,
    pub group: String,
    pub title: String,
    pub todos: Vec<TodoView>,
    /// As for a todo.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
}

/// The group holding todo list `id`, if one does.
pub async fn group_of_list(pool: &AnyPool, id: &str) -> Result<Option<String>, Error> {
    Ok(
        sqlx::query_scalar("SELECT group_handle FROM group_todo_lists WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

/// The group holding todo `id`, if one does.
pub async fn group_of_todo(pool: &AnyPool, id: &str) -> Result<Option<String>, Error> {
    Ok(sqlx::query_scalar(
        "SELECT l.group_handle FROM group_todos t JOIN group_todo_lists l ON l.id = t.list \
         WHERE t.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// Group `handle`'s todo lists with their todos, in the order they were made.
pub async fn of_group(pool: &AnyPool, handle: &str) -> Result<Vec<TodoListView>, Error> {
    let lists = sqlx::query(
        "SELECT id, title, object FROM group_todo_lists WHERE group_handle = $1 ORDER BY position",
    )
    .bind(handle)
    .fetch_all(pool)
    .await?;
    let todos = sqlx::query(
        "SELECT t.id, t.list, t.title, t.due_on, t.assignee, t.done, t.updated_at, t.object \
         FROM group_todos t JOIN group_todo_lists l ON l.id = t.list \
         WHERE l.group_handle = $1 ORDER BY t.position",
    )
    .bind(handle)
    .fetch_all(pool)
    .await?;
    let mut found = Vec::with_capacity(lists.len());
    for row in &lists {
        found.push(TodoListView {
            id: row.try_get("id")?,
            group: handle.to_string(),
            title: row.try_get("title")?,
            todos: Vec::new(),
            object: row.try_get("object")?,
        });
    }
    for row in &todos {
        let todo = TodoView {
            id: row.try_get("id")?,
            list: row.try_get("list")?,
            title: row.try_get("title")?,
            due_on: row.try_get("due_on")?,
            assignee: row.try_get("assignee")?,
            done: flag_of(row, "done")?,
            updated_at: row.try_get("updated_at")?,
            object: row.try_get("object")?,
        };
        if let Some(list) = found.iter_mut().find(|l| l.id == todo.list) {
            list.todos.push(todo);
        }
    }
    Ok(found)
}
