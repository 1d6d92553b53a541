//! A group's resources and todo lists relayed to its remote members, in the shapes Mobilizon
//! federates them (its `converter/resource.ex`, `todo_list.ex` and `todo.ex`): a folder as a
//! `ResourceCollection` and a link as a `Document` (`name`, `url`, `summary`, `context` the
//! folder holding it or the group's `resources`, `attributedTo` the group, `actor` who added
//! it); a todo list as a `TodoList`, a todo as a `Todo` (`name`, `status`, `todoList`, `actor`
//! who created it, `dueDate`, `assignedTo`). Created, updated (a move is an `Update` with its new `context`) and
//! deleted by the group, addressed to its `members`, delivered to its remote members' inboxes.
//! Their ids are those of the group's members-only collections.

use super::derive::Outgoing;
use super::groups::{to_members, GroupLogs};
use crate::actors::local::{group_actor_id, group_id};
use crate::objects::{tombstone, ActivityKind};
use convene_domain::group::{GroupActor, ResourceContent, ResourceKind, TodoContent};
use convene_domain::{Group, GroupChange};
use convene_projections::{Error, StoredEvent};
use serde_json::{json, Value};
use std::collections::HashMap;

/// A resource as its object is sent.
#[derive(Debug, Clone)]
struct Resource {
    parent: Option<String>,
    author: GroupActor,
    content: ResourceContent,
}

/// The resources and todos of one group, as far as its log has gone.
#[derive(Debug, Default)]
pub(super) struct Work {
    resources: HashMap<String, Resource>,
    /// Each todo's list, and who created it (Mobilizon's `actor` of a `Todo`).
    todos: HashMap<String, (String, String)>,
}

impl Work {
    /// Takes `change`, made by the actor `by` (its id).
    pub(super) fn follow(&mut self, change: &GroupChange, by: &str) {
        match change {
            GroupChange::ResourceAdded {
                resource,
                parent,
                author,
                content,
            } => {
                let added = Resource {
                    parent: parent.clone(),
                    author: author.clone(),
                    content: content.clone(),
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
            GroupChange::TodoAdded { list, todo, .. } => {
                self.todos
                    .insert(todo.clone(), (list.clone(), by.to_string()));
            }
            _ => {}
        }
    }
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
    let resource = |id: &str| {
        let r = work.resources.get(id)?;
        Some(resource_object(
            &format!("{group_url}/resources/{id}"),
            &context(&group_url, r.parent.as_deref()),
            (&group_url, &group_actor_id(public_url, &r.author)),
            &r.content,
        ))
    };
    let gone = |id: String, former: &str| {
        serde_json::to_value(tombstone(&id, former, at, Some(&group_url))).unwrap_or_default()
    };
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
            let former = match work.resources.get(id).map(|r| r.content.kind) {
                Some(ResourceKind::Folder) => "ResourceCollection",
                _ => "Document",
            };
            let id = format!("{group_url}/resources/{id}");
            (ActivityKind::Delete, gone(id, former))
        }
        GroupChange::TodoListCreated { list, title } => {
            let object = json!({
                "id": format!("{group_url}/todos/{list}"),
                "type": "TodoList",
                "name": title,
                "actor": group_url,
                "attributedTo": group_url,
            });
            (ActivityKind::Create, object)
        }
        GroupChange::TodoAdded { todo, content, .. }
        | GroupChange::TodoUpdated { todo, content } => {
            let Some((list, creator)) = work.todos.get(todo) else {
                return Ok(None);
            };
            let kind = match change {
                GroupChange::TodoAdded { .. } => ActivityKind::Create,
                _ => ActivityKind::Update,
            };
            let ids = (list.as_str(), todo.as_str());
            let object = todo_object(public_url, (&group_url, creator), ids, content);
            (kind, object)
        }
        GroupChange::TodoDeleted { todo } => match work.todos.get(todo) {
            Some((list, _)) => {
                let id = format!("{group_url}/todos/{list}/{todo}");
                (ActivityKind::Delete, gone(id, "Todo"))
            }
            None => return Ok(None),
        },
        GroupChange::TodoListDeleted { list, .. } => {
            let id = format!("{group_url}/todos/{list}");
            (ActivityKind::Delete, gone(id, "TodoList"))
        }
        _ => return Ok(None),
    };
    let mut relayed = to_members(public_url, handle, stored, (kind, object), group, groups)?;
    if let (Some(out), GroupChange::ResourceAdded { resource: id, .. }) = (&mut relayed, change) {
        // Mobilizon's `Create` of a resource names where it goes.
        out.activity.target = work
            .resources
            .get(id)
            .map(|r| context(&group_url, r.parent.as_deref()));
    }
    Ok(relayed)
}

/// The folder holding a resource, or the group's `resources` at the top.
fn context(group: &str, parent: Option<&str>) -> String {
    match parent {
        Some(parent) => format!("{group}/resources/{parent}"),
        None => format!("{group}/resources"),
    }
}

/// `content` as the object `id` of `group`'s resources, in `context` (a folder or the group's
/// `resources`), added by `actor`: as the group relays it, and as a member sends it.
pub(super) fn resource_object(
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

/// Todo `todo` of `list`, created by `creator` (its actor id), as `group` relays it.
fn todo_object(
    public_url: &str,
    (group, creator): (&str, &str),
    (list, todo): (&str, &str),
    content: &TodoContent,
) -> Value {
    let mut object = json!({
        "id": format!("{group}/todos/{list}/{todo}"),
        "type": "Todo",
        "name": content.title,
        "status": content.done,
        "todoList": format!("{group}/todos/{list}"),
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
