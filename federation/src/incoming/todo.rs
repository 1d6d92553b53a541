//! A group's todo lists and todos as Mobilizon federates them (its `converter/todo_list.ex` and
//! `converter/todo.ex`): a `TodoList` (`name`, its group as `actor`) and a `Todo` (`name`,
//! `status` true once done, its list as `todoList`, the member who created it as `actor`, the
//! group as `attributedTo`; Convene's groups add `dueDate` and `assignedTo`).

use super::values::{non_empty, same_origin, text, web_id};
use super::Ignored;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct IncomingTodoList {
    pub id: String,
    /// The group it belongs to.
    pub group: String,
    /// Checked by the rules of a group's todos.
    pub title: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IncomingTodo {
    pub id: String,
    /// The member who created it.
    pub actor: String,
    /// Its list.
    pub list: String,
    /// Checked by the rules of a group's todos, as the due day and the assignee are.
    pub title: String,
    pub done: bool,
    /// A day, `YYYY-MM-DD` (the day of an instant).
    pub due_on: Option<String>,
    /// The member it is assigned to, by actor id.
    pub assigned_to: Option<String>,
    /// The group it belongs to (`attributedTo`), when named.
    pub group: Option<String>,
}

pub fn parse_todo_list(object: &Value) -> Result<IncomingTodoList, Ignored> {
    Ok(IncomingTodoList {
        id: web_id(object, "id")?,
        group: web_id(object, "actor").or_else(|_| web_id(object, "attributedTo"))?,
        title: non_empty(text(object.get("name"))).unwrap_or_default(),
    })
}

pub fn parse_todo(object: &Value) -> Result<IncomingTodo, Ignored> {
    let id = web_id(object, "id")?;
    let actor = web_id(object, "actor")?;
    if !same_origin(&id, &actor) {
        return Err(Ignored::ForeignOrigin { id, actor });
    }
    Ok(IncomingTodo {
        id,
        actor,
        list: web_id(object, "todoList")?,
        title: non_empty(text(object.get("name"))).unwrap_or_default(),
        done: object
            .get("status")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        due_on: non_empty(text(object.get("dueDate"))).map(|due| due.chars().take(10).collect()),
        assigned_to: web_id(object, "assignedTo").ok(),
        group: web_id(object, "attributedTo").ok(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A todo as a Mobilizon member's instance sends it (`converter/todo.ex`).
    fn todo() -> Value {
        json!({
            "type": "Todo",
            "id": "https://b.example/todos/7",
            "actor": "https://b.example/@bea",
            "attributedTo": "https://a.example/@club",
            "name": " Book the hall ",
            "status": true,
            "todoList": "https://a.example/@club/todos/l1",
            "published": "2030-05-01T10:00:00Z",
        })
    }

    #[test]
    fn a_todo_and_a_list_are_read_as_mobilizon_writes_them() {
        let read = parse_todo(&todo()).expect("a todo");
        assert_eq!(
            (read.title.as_str(), read.done, read.list.as_str()),
            ("Book the hall", true, "https://a.example/@club/todos/l1")
        );
        assert_eq!((read.due_on, read.assigned_to), (None, None));
        let mut ours = todo();
        ours["dueDate"] = json!("2030-06-01T00:00:00Z");
        ours["assignedTo"] = json!("https://c.example/@cy");
        let read = parse_todo(&ours).expect("a todo as Convene's groups send it");
        assert_eq!(read.due_on.as_deref(), Some("2030-06-01"));
        assert_eq!(read.assigned_to.as_deref(), Some("https://c.example/@cy"));
        let list = json!({
            "type": "TodoList", "id": "https://b.example/todo-lists/3",
            "actor": "https://a.example/@club", "name": "Fair",
        });
        let read = parse_todo_list(&list).expect("a list");
        assert_eq!(
            (read.group.as_str(), read.title.as_str()),
            ("https://a.example/@club", "Fair")
        );
    }

    #[test]
    fn a_todo_from_another_origin_than_its_creator_or_with_no_list_is_ignored() {
        let mut foreign = todo();
        foreign["actor"] = json!("https://c.example/@tom");
        assert!(matches!(
            parse_todo(&foreign),
            Err(Ignored::ForeignOrigin { .. })
        ));
        let mut listless = todo();
        listless
            .as_object_mut()
            .expect("an object")
            .remove("todoList");
        assert!(parse_todo(&listless).is_err());
    }
}
