//! A group's resources and todo lists relayed to its remote members, in the shapes Mobilizon
//! federates them (its `converter/resource.ex`, `todo_list.ex` and `todo.ex`): a folder as a
//! `ResourceCollection` and a link as a `Document` (`name`, `url`, `summary`, `context` the
//! folder holding it or the group's `resources`, `attributedTo` the group, `actor` who added
//! it); a todo list as a `TodoList`, a todo as a `Todo` (`name`, `status`, `todoList`, `actor`
//! who created it, `dueDate`, `assignedTo`). Created, updated (a move is an `Update` with its new `context`) and
//! deleted by the group, addressed to its `members`, delivered to its remote members' inboxes.
//! Their ids are those of the group's members-only collections, but for what a member made on
//! another instance: that keeps the id it has there, so that its instance knows it again.

use super::derive::Outgoing;
use super::groups::{to_members, GroupLogs};
use crate::actors::local::{group_actor_id, group_id};
use crate::objects::{tombstone, ActivityKind};
use convene_domain::group::{GroupActor, ResourceContent, ResourceKind, TodoContent};
use convene_domain::{Group, GroupChange};
use convene_projections::{Error, StoredEvent};
use serde_json::{json, Value};
use std::collections::HashMap;
use time::OffsetDateTime;

/// What a group shows at one of its objects' addresses.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupDocument {
    Object(Value),
    /// Deleted: its `Tombstone`, answered 410 Gone.
    Gone(Value),
}

/// A resource as its object is sent.
#[derive(Debug, Clone)]
struct Resource {
    parent: Option<String>,
    author: GroupActor,
    content: ResourceContent,
    object: Option<String>,
}

/// A todo list as its object is sent.
#[derive(Debug, Clone)]
struct List {
    title: String,
    object: Option<String>,
}

/// A todo as its object is sent.
#[derive(Debug, Clone)]
struct Todo {
    list: String,
    /// Who created it (Mobilizon's `actor` of a `Todo`).
    creator: String,
    content: TodoContent,
    object: Option<String>,
}

/// The resources and todos of one group, as far as its log has gone; what was deleted stays,
/// with when in `deleted` (by its id here), for its `Tombstone`.
#[derive(Debug, Default)]
pub(super) struct Work {
    resources: HashMap<String, Resource>,
    lists: HashMap<String, List>,
    todos: HashMap<String, Todo>,
    deleted: HashMap<String, OffsetDateTime>,
}

impl Work {
    /// Takes `change`, made by the actor `by` (its id) at `at`.
    pub(super) fn follow(&mut self, change: &GroupChange, (by, at): (&str, OffsetDateTime)) {
        match change {
            GroupChange::ResourceAdded {
                resource,
                parent,
                author,
                content,
                object,
            } => {
                let added = Resource {
                    parent: parent.clone(),
                    author: author.clone(),
                    content: content.clone(),
                    object: object.clone(),
                };
                self.resources.insert(resource.clone(), added);
            }
            GroupChange::ResourceEdited { resource, content } => {
                if let Some(r) = self.resources.get_mut(resource) {
                    r.content = content.clone();
                }
            }
            GroupChange::ResourceMoved { resource, parent } => {
                if let Some(r) = self.resources.get_mut(resource) {
                    r.parent = parent.clone();
                }
            }
            GroupChange::ResourceDeleted { resource, content } => {
                self.deleted.insert(resource.clone(), at);
                self.deleted
                    .extend(content.iter().map(|id| (id.clone(), at)));
            }
            GroupChange::TodoListCreated {
                list,
                title,
                object,
            } => {
                let created = List {
                    title: title.clone(),
                    object: object.clone(),
                };
                self.lists.insert(list.clone(), created);
            }
            GroupChange::TodoAdded {
                list,
                todo,
                content,
                object,
            } => {
                let added = Todo {
                    list: list.clone(),
                    creator: by.to_string(),
                    content: content.clone(),
                    object: object.clone(),
                };
                self.todos.insert(todo.clone(), added);
            }
            GroupChange::TodoUpdated { todo, content } => {
                if let Some(t) = self.todos.get_mut(todo) {
                    t.content = content.clone();
                }
            }
            GroupChange::TodoDeleted { todo } => {
                self.deleted.insert(todo.clone(), at);
            }
            GroupChange::TodoListDeleted { list, todos } => {
                self.deleted.insert(list.clone(), at);
                self.deleted.extend(todos.iter().map(|id| (id.clone(), at)));
            }
            _ => {}
        }
    }

    /// Resource `id` as its object is sent by the group at `group`.
    fn resource(&self, public_url: &str, group: &str, id: &str) -> Option<Value> {
        let r = self.resources.get(id)?;
        Some(resource_object(
            &self.resource_id(group, id),
            &self.context(group, r.parent.as_deref()),
            (group, &group_actor_id(public_url, &r.author)),
            &r.content,
        ))
    }

    /// The type a resource had, for its tombstone.
    fn resource_type(&self, id: &str) -> &'static str {
        match self.resources.get(id).map(|r| r.content.kind) {
            Some(ResourceKind::Folder) => "ResourceCollection",
            _ => "Document",
        }
    }

    /// Todo list `list` as its object is sent by the group at `group`.
    fn list(&self, group: &str, list: &str) -> Option<Value> {
        let found = self.lists.get(list)?;
        Some(json!({
            "id": self.list_id(group, list),
            "type": "TodoList",
            "name": found.title,
            "actor": group,
            "attributedTo": group,
        }))
    }

    /// Todo `id` as its object is sent by the group at `group`.
    fn todo(&self, public_url: &str, group: &str, id: &str) -> Option<Value> {
        let todo = self.todos.get(id)?;
        let ids = (
            self.list_id(group, &todo.list),
            self.todo_id(group, id, todo),
        );
        let creator = (group, todo.creator.as_str());
        Some(todo_object(public_url, creator, ids, &todo.content))
    }

    /// What the group at `group` shows at the address of one of its own resources, todo lists
    /// or todos (`resources/{id}`, `todos/{list}`, `todos/{list}/{todo}`: `path`'s segments):
    /// the object, its tombstone once deleted, or nothing when it has none there (never made,
    /// or made on a member's instance, whose id is there).
    pub(super) fn at_address(
        &self,
        (public_url, group): (&str, &str),
        path: &[&str],
    ) -> Option<GroupDocument> {
        let (id, former, own) = match path {
            ["resources", id] => (
                *id,
                self.resource_type(id),
                self.resources.get(*id).is_some_and(|r| r.object.is_none()),
            ),
            ["todos", list] => (
                *list,
                "TodoList",
                self.lists.get(*list).is_some_and(|l| l.object.is_none()),
            ),
            ["todos", list, id] => (
                *id,
                "Todo",
                self.todos
                    .get(*id)
                    .is_some_and(|t| t.object.is_none() && t.list == *list),
            ),
            _ => return None,
        };
        if !own {
            return None;
        }
        if let Some(at) = self.deleted.get(id) {
            let address = format!("{group}/{}", path.join("/"));
            return Some(GroupDocument::Gone(gone(&address, former, *at, group)));
        }
        let object = match path {
            ["resources", id] => self.resource(public_url, group, id),
            ["todos", list] => self.list(group, list),
            _ => self.todo(public_url, group, id),
        };
        object.map(GroupDocument::Object)
    }

    /// The id resource `id` of the group at `group` is sent under.
    fn resource_id(&self, group: &str, id: &str) -> String {
        let object = self.resources.get(id).and_then(|r| r.object.as_deref());
        work_id(object, group, &format!("resources/{id}"))
    }

    /// The folder holding a resource, or the group's `resources` at the top.
    fn context(&self, group: &str, parent: Option<&str>) -> String {
        match parent {
            Some(parent) => self.resource_id(group, parent),
            None => format!("{group}/resources"),
        }
    }

    /// The id todo list `list` of the group at `group` is sent under.
    fn list_id(&self, group: &str, list: &str) -> String {
        let object = self.lists.get(list).and_then(|l| l.object.as_deref());
        work_id(object, group, &format!("todos/{list}"))
    }

    /// The id `todo` of the group at `group` is sent under.
    fn todo_id(&self, group: &str, id: &str, todo: &Todo) -> String {
        work_id(
            todo.object.as_deref(),
            group,
            &format!("todos/{}/{id}", todo.list),
        )
    }
}

/// The id a group's resource, todo list or todo is sent and listed under: `object`, its id on
/// the instance of the member who made it there, else its address `path` inside the group at
/// `group` (`resources/{id}`, `todos/{list}`, `todos/{list}/{todo}`).
pub(crate) fn work_id(object: Option<&str>, group: &str, path: &str) -> String {
    match object {
        Some(object) => object.to_string(),
        None => format!("{group}/{path}"),
    }
}

/// The `Tombstone` of the group at `group`'s object `id`, a `former` type deleted at `at`.
fn gone(id: &str, former: &str, at: OffsetDateTime, group: &str) -> Value {
    serde_json::to_value(tombstone(id, former, at, Some(group))).unwrap_or_default()
}

/// Whether `change` is about the group's resources or todos.
pub(super) fn is_work(change: &GroupChange) -> bool {
    matches!(
        change,
        GroupChange::ResourceAdded { .. }
            | GroupChange::ResourceEdited { .. }
            | GroupChange::ResourceMoved { .. }
            | GroupChange::ResourceDeleted { .. }
            | GroupChange::TodoListCreated { .. }
            | GroupChange::TodoAdded { .. }
            | GroupChange::TodoUpdated { .. }
            | GroupChange::TodoDeleted { .. }
            | GroupChange::TodoListDeleted { .. }
    )
}

/// What the group sends its remote members (as `group` counts them after the change) of a
/// change to its resources or todos, already followed by `work`; none without a remote member.
pub(super) fn relay(
    public_url: &str,
    handle: &str,
    stored: &StoredEvent,
    (change, group, work): (&GroupChange, &Group, &Work),
    groups: &GroupLogs,
) -> Result<Option<Outgoing>, Error> {
    let group_url = group_id(public_url, handle);
    let at = stored.metadata()?.recorded_at;
    let resource = |id: &str| work.resource(public_url, &group_url, id);
    let gone = |id: String, former: &str| gone(&id, former, at, &group_url);
    let (kind, object) = match change {
        GroupChange::ResourceAdded { resource: id, .. } => match resource(id) {
            Some(object) => (ActivityKind::Create, object),
            None => return Ok(None),
        },
        GroupChange::ResourceEdited { resource: id, .. }
        | GroupChange::ResourceMoved { resource: id, .. } => match resource(id) {
            Some(object) => (ActivityKind::Update, object),
            None => return Ok(None),
        },
        GroupChange::ResourceDeleted { resource: id, .. } => {
            let former = work.resource_type(id);
            (
                ActivityKind::Delete,
                gone(work.resource_id(&group_url, id), former),
            )
        }
        GroupChange::TodoListCreated { list, .. } => match work.list(&group_url, list) {
            Some(object) => (ActivityKind::Create, object),
            None => return Ok(None),
        },
        GroupChange::TodoAdded { todo: id, .. } | GroupChange::TodoUpdated { todo: id, .. } => {
            let Some(object) = work.todo(public_url, &group_url, id) else {
                return Ok(None);
            };
            let kind = match change {
                GroupChange::TodoAdded { .. } => ActivityKind::Create,
                _ => ActivityKind::Update,
            };
            (kind, object)
        }
        GroupChange::TodoDeleted { todo: id } => match work.todos.get(id) {
            Some(todo) => {
                let id = work.todo_id(&group_url, id, todo);
                (ActivityKind::Delete, gone(id, "Todo"))
            }
            None => return Ok(None),
        },
        GroupChange::TodoListDeleted { list, .. } => (
            ActivityKind::Delete,
            gone(work.list_id(&group_url, list), "TodoList"),
        ),
        _ => return Ok(None),
    };
    let mut relayed = to_members(public_url, handle, stored, (kind, object), group, groups)?;
    if let (Some(out), GroupChange::ResourceAdded { resource: id, .. }) = (&mut relayed, change) {
        // Mobilizon's `Create` of a resource names where it goes.
        out.activity.target = work
            .resources
            .get(id)
            .map(|r| work.context(&group_url, r.parent.as_deref()));
    }
    Ok(relayed)
}

/// `content` as the object `id` of `group`'s resources, in `context` (a folder or the group's
/// `resources`), added by `actor`: as the group relays it, and as a member sends it.
pub(crate) fn resource_object(
    id: &str,
    context: &str,
    (group, actor): (&str, &str),
    content: &ResourceContent,
) -> Value {
    let kind = match content.kind {
        ResourceKind::Folder => "ResourceCollection",
        _ => "Document",
    };
    let mut object = json!({
        "id": id,
        "type": kind,
        "name": content.title,
        "context": context,
        "attributedTo": group,
        "actor": actor,
    });
    if let Some(url) = &content.url {
        object["url"] = json!(url);
    }
    if let Some(summary) = &content.summary {
        object["summary"] = json!(summary);
    }
    object
}

/// Todo `todo` of `list` (both ids as sent), created by `creator` (its actor id), as `group`
/// relays it (and as a member sends it).
pub(super) fn todo_object(
    public_url: &str,
    (group, creator): (&str, &str),
    (list, todo): (String, String),
    content: &TodoContent,
) -> Value {
    let mut object = json!({
        "id": todo,
        "type": "Todo",
        "name": content.title,
        "status": content.done,
        "todoList": list,
        "actor": creator,
        "attributedTo": group,
    });
    if let Some(due) = &content.due_on {
        object["dueDate"] = json!(due);
    }
    if let Some(assignee) = &content.assignee {
        object["assignedTo"] = json!(group_actor_id(public_url, assignee));
    }
    object
}
