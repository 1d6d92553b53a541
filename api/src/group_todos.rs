//! A group's todo lists: for its members only (403 `/problems/member-needed` to everyone else,
//! a removed member at once). Every member makes lists, adds todos, edits them, marks them
//! done and deletes them or a whole list; an assignee is a member of the group (422 naming `assignee` otherwise).

use crate::auth::Acting;
use crate::error::{Error, Result};
use crate::groups::{self};
use crate::AppState;
use convene_domain::group::{GroupActor, TodoContent};
use convene_domain::GroupCommand;
use convene_projections::group_todos::{self as rows, TodoListView};
use serde::Deserialize;
use utoipa::ToSchema;

/// A new todo list.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTodoList {
    /// 1 to 200 characters on one line.
    pub title: String,
}

/// A todo as written: the whole of it, to add it or to replace what it says.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TodoInput {
    /// 1 to 200 characters on one line.
    pub title: String,
    /// A day, YYYY-MM-DD.
    #[serde(default)]
    pub due_on: Option<String>,
    /// The username of a member of the group.
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub done: bool,
}

impl TodoInput {
    fn content(self) -> TodoContent {
        TodoContent {
            title: self.title,
            due_on: self.due_on,
            assignee: self
                .assignee
                .map(|a| a.trim().trim_start_matches('@').to_string())
                .filter(|a| !a.is_empty())
                .map(GroupActor::profile),
            done: self.done,
        }
    }
}

/// Group `handle`'s todo lists with their todos (members).
pub async fn lists(state: &AppState, acting: &Acting, handle: &str) -> Result<Vec<TodoListView>> {
    groups::member_role(state, acting, handle).await?;
    Ok(rows::of_group(state.db.pool(), handle).await?)
}

fn list_in(lists: Vec<TodoListView>, id: &str) -> Result<TodoListView> {
    lists
        .into_iter()
        .find(|l| l.id == id || l.todos.iter().any(|t| t.id == id))
        .ok_or_else(|| Error::not_found("there is no such todo list"))
}

/// Makes a todo list (members).
pub async fn create_list(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    new: NewTodoList,
) -> Result<TodoListView> {
    groups::member_role(state, acting, handle).await?;
    let id = uuid::Uuid::new_v4().to_string();
    let command = GroupCommand::CreateTodoList {
        by: GroupActor::profile(&acting.profile),
        list: id.clone(),
        title: new.title,
        object: None,
    };
    groups::run_as_member(state, acting, handle, command).await?;
    list_in(lists(state, acting, handle).await?, &id)
}

/// Adds a todo to list `list` (members); answers the list.
pub async fn add(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    list: &str,
    input: TodoInput,
) -> Result<TodoListView> {
    groups::member_role(state, acting, handle).await?;
    let command = GroupCommand::AddTodo {
        by: GroupActor::profile(&acting.profile),
        list: list.to_string(),
        todo: uuid::Uuid::new_v4().to_string(),
        content: input.content(),
        object: None,
    };
    groups::run_as_member(state, acting, handle, command).await?;
    list_in(lists(state, acting, handle).await?, list)
}

/// Replaces what todo `todo` says, done or not included (members); answers its list.
pub async fn update(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    todo: &str,
    input: TodoInput,
) -> Result<TodoListView> {
    groups::member_role(state, acting, handle).await?;
    let command = GroupCommand::UpdateTodo {
        by: GroupActor::profile(&acting.profile),
        todo: todo.to_string(),
        content: input.content(),
    };
    groups::run_as_member(state, acting, handle, command).await?;
    list_in(lists(state, acting, handle).await?, todo)
}

/// Deletes todo `todo` (members).
pub async fn delete(state: &AppState, acting: &Acting, handle: &str, todo: &str) -> Result<()> {
    groups::member_role(state, acting, handle).await?;
    let command = GroupCommand::DeleteTodo {
        by: GroupActor::profile(&acting.profile),
        todo: todo.to_string(),
    };
    groups::run_as_member(state, acting, handle, command).await
}

/// Deletes todo list `list` with its todos (members).
pub async fn delete_list(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    list: &str,
) -> Result<()> {
    groups::member_role(state, acting, handle).await?;
    let command = GroupCommand::DeleteTodoList {
        by: GroupActor::profile(&acting.profile),
        list: list.to_string(),
    };
    groups::run_as_member(state, acting, handle, command).await
}
