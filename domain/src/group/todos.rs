//! A group's todo lists: every member creates a list, adds todos, edits them, marks them done
//! and deletes them or a whole list; a todo's assignee, if any, is a member of the group, decided on the same version of
//! the members as every other rule.

use super::{check_object, invalid, Group, GroupActor, GroupChange, GroupError, MemberRole};
use crate::validation::{has_control, Errors, FieldError};
use serde::{Deserialize, Serialize};
use time::macros::format_description;

/// Longest title of a list or a todo, in characters.
pub const TODO_TITLE_MAX: usize = 200;

/// What a todo says: the whole of it, when added and at every edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TodoContent {
    pub title: String,
    /// A day, `YYYY-MM-DD`.
    #[serde(default)]
    pub due_on: Option<String>,
    #[serde(default)]
    pub assignee: Option<GroupActor>,
    #[serde(default)]
    pub done: bool,
}

fn title_ok(title: &str) -> bool {
    (1..=TODO_TITLE_MAX).contains(&title.chars().count()) && !has_control(title)
}

fn title_message() -> String {
    format!("a title is 1 to {TODO_TITLE_MAX} characters on one line")
}

impl TodoContent {
    /// Checks every rule (the assignee's membership is the group's to check) and returns the
    /// normalised content, or every broken rule by field.
    pub fn validate(mut self) -> Result<TodoContent, Vec<FieldError>> {
        let mut errors = Errors::default();
        self.title = self.title.trim().to_string();
        errors.check(title_ok(&self.title), "title", title_message());
        self.due_on = self
            .due_on
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty());
        if let Some(day) = &self.due_on {
            let format = format_description!("[year]-[month]-[day]");
            errors.check(
                time::Date::parse(day, &format).is_ok(),
                "due_on",
                "a due date is a day, YYYY-MM-DD",
            );
        }
        errors.finish(self)
    }
}

/// What the group remembers of a todo: the list it is on and who it is assigned to (the rest
/// is in the read model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TodoState {
    pub list: String,
    #[serde(default)]
    pub assignee: Option<GroupActor>,
}

type Decided = Result<Vec<GroupChange>, GroupError>;

impl Group {
    /// The todo's content, a new assignee a member of the group (one assigned before and gone
    /// since stays, so that the todo can still be edited and marked done).
    fn checked_todo(
        &self,
        content: TodoContent,
        assigned: Option<&GroupActor>,
    ) -> Result<TodoContent, GroupError> {
        let content = content.validate().map_err(GroupError::Invalid)?;
        if let Some(assignee) = content.assignee.as_ref().filter(|a| Some(*a) != assigned) {
            if !self.role_of(assignee).is_some_and(MemberRole::is_member) {
                return Err(invalid(
                    "assignee",
                    format!("{assignee} is not a member of this group"),
                ));
            }
        }
        Ok(content)
    }

    pub(super) fn create_todo_list(
        &self,
        by: &GroupActor,
        list: String,
        title: &str,
        object: Option<String>,
    ) -> Decided {
        self.require(by, MemberRole::Member)?;
        check_object(by, object.as_deref())?;
        if self.todo_lists.contains(&list) {
            return Err(invalid("list", "a list with this id exists"));
        }
        let title = title.trim().to_string();
        if !title_ok(&title) {
            return Err(invalid("title", title_message()));
        }
        Ok(vec![GroupChange::TodoListCreated {
            list,
            title,
            object,
        }])
    }

    pub(super) fn add_todo(
        &self,
        by: &GroupActor,
        (list, todo): (String, String),
        content: TodoContent,
        object: Option<String>,
    ) -> Decided {
        self.require(by, MemberRole::Member)?;
        check_object(by, object.as_deref())?;
        if !self.todo_lists.contains(&list) {
            return Err(GroupError::UnknownTodo);
        }
        if self.todos.contains_key(&todo) {
            return Err(invalid("todo", "a todo with this id exists"));
        }
        let content = self.checked_todo(content, None)?;
        Ok(vec![GroupChange::TodoAdded {
            list,
            todo,
            content,
            object,
        }])
    }

    pub(super) fn update_todo(
        &self,
        by: &GroupActor,
        todo: String,
        content: TodoContent,
    ) -> Decided {
        self.require(by, MemberRole::Member)?;
        let Some(current) = self.todos.get(&todo) else {
            return Err(GroupError::UnknownTodo);
        };
        let content = self.checked_todo(content, current.assignee.as_ref())?;
        Ok(vec![GroupChange::TodoUpdated { todo, content }])
    }

    pub(super) fn delete_todo(&self, by: &GroupActor, todo: String) -> Decided {
        self.require(by, MemberRole::Member)?;
        if !self.todos.contains_key(&todo) {
            return Err(GroupError::UnknownTodo);
        }
        Ok(vec![GroupChange::TodoDeleted { todo }])
    }

    /// Deletes a list with its todos, named in the change so that the read side needs no
    /// lookup.
    pub(super) fn delete_todo_list(&self, by: &GroupActor, list: String) -> Decided {
        self.require(by, MemberRole::Member)?;
        if !self.todo_lists.contains(&list) {
            return Err(GroupError::UnknownTodo);
        }
        let todos = self
            .todos
            .iter()
            .filter(|(_, state)| state.list == list)
            .map(|(id, _)| id.clone())
            .collect();
        Ok(vec![GroupChange::TodoListDeleted { list, todos }])
    }

    /// Sets what the group remembers of its todo lists, for [`Group::apply`].
    pub(super) fn apply_todo(&mut self, change: &GroupChange) {
        match change {
            GroupChange::TodoListCreated { list, .. } => {
                self.todo_lists.insert(list.clone());
            }
            GroupChange::TodoAdded {
                list,
                todo,
                content,
                ..
            } => {
                let state = TodoState {
                    list: list.clone(),
                    assignee: content.assignee.clone(),
                };
                self.todos.insert(todo.clone(), state);
            }
            GroupChange::TodoUpdated { todo, content } => {
                if let Some(state) = self.todos.get_mut(todo) {
                    state.assignee = content.assignee.clone();
                }
            }
            GroupChange::TodoDeleted { todo } => {
                self.todos.remove(todo);
            }
            GroupChange::TodoListDeleted { list, .. } => {
                self.todo_lists.remove(list);
                self.todos.retain(|_, state| state.list != *list);
            }
            _ => {}
        }
    }
}
