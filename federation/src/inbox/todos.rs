//! A remote member's todo lists and todos for one of our groups, as Mobilizon's members send
//! them: a `Create` of a `TodoList` (its `actor` the group) or of a `Todo` in one of the group's
//! lists (its `todoList`), an `Update` of a todo (its name, whether done, its due day, whom it
//! is assigned to: whatever the object's origin, the member's request), a `Delete` of either;
//! applied by the group's rules, the ids of what members add derived from the objects'. The
//! group then relays each change to its other members. And the other way: a todo another
//! instance's group relays to its members here ([`relayed`]).

use super::dispatch::refusal;
use super::members::member_named;
use super::{Inbox, Refusal};
use crate::incoming::{IncomingTodo, IncomingTodoList};
use axum::http::StatusCode;
use convene_api::groups_elsewhere::{self, Relayed};
use convene_api::remote_events::FromRemote;
use convene_api::remote_groups;
use convene_domain::group::TodoContent;
use convene_domain::profile::TodoElsewhere;

/// `list`, created by the actor of `from` for the group it names.
pub(super) async fn create_list(
    inbox: &Inbox,
    from: &FromRemote,
    list: &IncomingTodoList,
) -> Result<String, Refusal> {
    let Some(handle) = super::our_actor(inbox, &list.group) else {
        return Err(Refusal::ignored(format!(
            "{} is not a group here",
            list.group
        )));
    };
    let created = remote_groups::create_todo_list(&inbox.app, from, &handle, &list.id, &list.title)
        .await
        .map_err(refusal)?;
    Ok(format!(
        "{} created {} in the todos of @{handle}: list {created}",
        from.actor, list.id
    ))
}

/// `todo`, added by the actor of `from` (who must be the one it names) to one of our groups'
/// lists.
pub(super) async fn add(
    inbox: &Inbox,
    from: &FromRemote,
    todo: &IncomingTodo,
) -> Result<String, Refusal> {
    if todo.actor != from.actor {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!(
                "{} is created by {}, not by {}",
                todo.id, todo.actor, from.actor
            ),
        ));
    }
    let content = content_of(inbox, todo);
    let added = remote_groups::add_todo(&inbox.app, from, (&todo.list, &todo.id), content)
        .await
        .map_err(refusal)?;
    Ok(format!(
        "{} added {} to the todos of @{}: todo {}",
        from.actor, todo.id, added.0, added.1
    ))
}

/// `todo` as the actor of `from`, a member, asks one of our groups to change it.
pub(super) async fn change(
    inbox: &Inbox,
    from: &FromRemote,
    todo: &IncomingTodo,
) -> Result<String, Refusal> {
    let content = content_of(inbox, todo);
    let changed = remote_groups::change_todo(&inbox.app, from, &todo.id, content)
        .await
        .map_err(refusal)?;
    Ok(format!(
        "{} changed {} in the todos of @{}: todo {}",
        from.actor, todo.id, changed.0, changed.1
    ))
}

/// The actor of `from`, a member, deletes `id` when it is a todo or a todo list of one of our
/// groups; `None` when no group here holds it.
pub(super) async fn deleted(
    inbox: &Inbox,
    from: &FromRemote,
    id: &str,
) -> Result<Option<String>, Refusal> {
    let deleted = remote_groups::delete_todo_work(&inbox.app, from, id)
        .await
        .map_err(refusal)?;
    Ok(deleted.map(|handle| format!("{} deleted {id} from the todos of @{handle}", from.actor)))
}

/// The group of `from` relays `todo`, one of its own (`attributedTo` it; made or changed, as
/// the group sends it to its members): kept for its members here.
pub(super) async fn relayed(
    inbox: &Inbox,
    from: &FromRemote,
    todo: &IncomingTodo,
) -> Result<String, Refusal> {
    if todo.group.as_deref() != Some(from.actor.as_str()) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!("{} is not a todo of {}", todo.id, from.actor),
        ));
    }
    // Nothing is taken from a suspended domain, whoever relays it.
    super::not_suspended(inbox, &todo.id).await?;
    let kept = TodoElsewhere {
        todo: todo.id.clone(),
        list: todo.list.clone(),
        creator: todo.actor.clone(),
        title: todo.title.clone(),
        done: todo.done,
        due_on: todo.due_on.clone(),
        assignee: todo.assigned_to.clone(),
    };
    match groups_elsewhere::relayed_todo(&inbox.app, from, kept).await {
        Ok(Relayed::Kept(members)) => Ok(format!(
            "{} relayed its todo {}: kept for its {members} member(s) here",
            from.actor, todo.id
        )),
        Ok(Relayed::AlreadyHere) => Err(Refusal::ignored(format!("{} is already here", todo.id))),
        Ok(Relayed::NoMemberHere) => Err(Refusal::ignored(format!(
            "nobody here is a member of {}",
            from.actor
        ))),
        Err(error) => Err(refusal(error)),
    }
}

/// What `todo` says, its assignee as a member of the group (a profile here, or a remote actor).
fn content_of(inbox: &Inbox, todo: &IncomingTodo) -> TodoContent {
    TodoContent {
        title: todo.title.clone(),
        due_on: todo.due_on.clone(),
        assignee: todo.assigned_to.as_deref().map(|a| member_named(inbox, a)),
        done: todo.done,
    }
}
