//! Remote actors and the groups of this instance: a remote actor's `Follow` of a group makes it
//! a follower (pending when the group approves its followers), its `Undo` ends it; a remote
//! person's `Join` makes it a member (or a request), its `Leave` ends it. The inbox
//! calls these with the incoming activity (`FromRemote`): the change's metadata names the remote
//! actor and the activity's id, which the outbox's `Accept` answers. An invited remote actor
//! accepts or declines (its `Accept` or `Reject` of the group's `Invite`); a remote member who
//! moderates the group invites, changes roles and removes members by the same rules as a local
//! one (its `Invite`, `Update` of a `Member`, `Remove`).

use crate::consistency;
use crate::error::{Error, Result};
use crate::groups::READS;
use crate::remote_events::{self, FromRemote};
use crate::AppState;
use convene_domain::event::{EventDetails, GroupLink, RemoteOrigin};
use convene_domain::group::{
    FollowState, GroupActor, MemberRole, ResourceContent, ResourcePatch, TodoContent,
};
use convene_domain::{GroupCommand, GroupError};
use convene_projections::group_todos as todos_model;
use convene_projections::groups;

/// Runs `command` on group `@handle` for the remote actor of `from`; an unknown group is said
/// by name.
async fn run(
    state: &AppState,
    from: &FromRemote,
    handle: &str,
    command: GroupCommand,
) -> Result<()> {
    consistency::command(
        state,
        &state.groups,
        handle,
        command,
        &from.metadata(),
        READS,
    )
    .await
    .map(drop)
    .map_err(|e| match e {
        Error::Group(GroupError::NotFound) => {
            Error::not_found(format!("there is no group @{handle}"))
        }
        other => other,
    })
}

/// The actor of `from` follows group `@handle`: approved at once, or pending until a moderator
/// approves it. A follower sending a new `Follow` stays as it is.
pub async fn follow(state: &AppState, from: &FromRemote, handle: &str) -> Result<FollowState> {
    let who = GroupActor::Remote(from.actor.clone());
    match run(
        state,
        from,
        handle,
        GroupCommand::Follow { who: who.clone() },
    )
    .await
    {
        Ok(()) | Err(Error::Group(GroupError::AlreadyFollowing(_))) => {}
        Err(other) => return Err(other),
    }
    groups::follower(state.db.pool(), handle, &who)
        .await?
        .map(|f| f.state)
        .ok_or_else(|| Error::conflict(format!("{who} followed @{handle}, then stopped at once")))
}

/// The actor of `from` no longer follows group `@handle` (its `Undo`); nothing when it did not.
pub async fn unfollow(state: &AppState, from: &FromRemote, handle: &str) -> Result<()> {
    let who = GroupActor::Remote(from.actor.clone());
    match run(state, from, handle, GroupCommand::Unfollow { who }).await {
        Ok(()) | Err(Error::Group(GroupError::NotFollowing(_))) => Ok(()),
        Err(other) => Err(other),
    }
}

/// The actor of `from` joins group `@handle` (its `Join`), by the rules local profiles follow:
/// a member of an open group at once, a request to approve in a moderated one, refused by an
/// invite-only one. Its role after the change.
pub async fn join(
    state: &AppState,
    from: &FromRemote,
    handle: &str,
    message: Option<String>,
) -> Result<MemberRole> {
    let who = GroupActor::Remote(from.actor.clone());
    let command = GroupCommand::Join {
        who: who.clone(),
        message,
    };
    run(state, from, handle, command).await?;
    groups::membership(state.db.pool(), handle, &who)
        .await?
        .map(|m| m.role)
        .ok_or_else(|| Error::conflict(format!("{who} joined @{handle}, then left at once")))
}

/// The actor of `from` leaves group `@handle`, or withdraws its request (its `Leave`).
pub async fn leave(state: &AppState, from: &FromRemote, handle: &str) -> Result<()> {
    let who = GroupActor::Remote(from.actor.clone());
    run(state, from, handle, GroupCommand::Leave { who }).await
}

/// Another instance's actor as found: its id, where it takes deliveries and what it says of
/// itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundActor {
    pub id: String,
    /// `Person`, `Group`, `Application`, `Organization` or `Service`.
    pub kind: String,
    /// `name@host`, as people write it (and as events here name their remote organiser).
    pub handle: String,
    pub name: Option<String>,
    /// HTML as sent: sanitise before showing it.
    pub summary: Option<String>,
    /// Its page on its own instance.
    pub url: Option<String>,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    /// The URL of its avatar, when it gives one.
    pub icon: Option<String>,
    /// The URL of its banner (`image`), when it gives one.
    pub banner: Option<String>,
    /// How many members a group says it has.
    pub member_count: Option<u64>,
    /// A group's collections for its members, as its document names them on its own origin.
    pub members_only: MembersOnlyCollections,
}

/// Where a group serves what only its members may read (Mobilizon's `members`, `discussions`,
/// `resources` and `todos`): fetched with a member's signature.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembersOnlyCollections {
    pub members: Option<String>,
    pub discussions: Option<String>,
    pub resources: Option<String>,
    pub todos: Option<String>,
}

impl FoundActor {
    pub fn is_group(&self) -> bool {
        self.kind == "Group"
    }
}

/// Another instance's event as fetched from its origin: where it comes from, and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundEvent {
    pub origin: RemoteOrigin,
    pub details: EventDetails,
}

/// What another instance serves at an address.
#[derive(Debug, Clone, PartialEq)]
pub enum FoundObject {
    Actor(Box<FoundActor>),
    Event(Box<FoundEvent>),
}

/// Finds another instance's actor by URL or by handle (`name@host`, `@name@host`, through
/// WebFinger): fetched from its origin and kept, so that the group's `Invite` or the profile's
/// `Follow` knows where it takes deliveries. The actor, or why not, in words.
#[async_trait::async_trait]
pub trait ActorResolver: Send + Sync {
    async fn find_actor(&self, who: &str) -> std::result::Result<FoundActor, String>;

    /// What another instance serves at `url`, fetched from its origin: an actor, or an event
    /// checked as the inbox checks a received one (with its organiser fetched too).
    async fn find_object(&self, url: &str) -> std::result::Result<FoundObject, String>;

    /// The items of the collection at `url` (its first page), fetched with a GET signed by this
    /// instance's profile `username`, as a group's members fetch what is for members only; or
    /// why not (the group's refusal included).
    async fn fetch_as(
        &self,
        url: &str,
        username: &str,
    ) -> std::result::Result<Vec<serde_json::Value>, String>;

    /// The id of the actor `who` names.
    async fn resolve_actor(&self, who: &str) -> std::result::Result<String, String> {
        self.find_actor(who).await.map(|actor| actor.id)
    }
}

/// The actor of `from`, a member of group `@handle`, comments in its discussion (a first-level
/// comment, or a reply to `parent` when the discussion holds that comment), writing `body`, as
/// its note `note` (the comment's id derived from it: the same note again is refused, nothing
/// added). The comment's id.
pub async fn comment_on_discussion(
    state: &AppState,
    from: &FromRemote,
    handle: &str,
    (discussion, parent): (&str, Option<String>),
    note: &str,
    body: &str,
) -> Result<String> {
    let comment = remote_events::comment_id(note);
    let command = |in_reply_to| GroupCommand::CommentOnDiscussion {
        by: GroupActor::Remote(from.actor.clone()),
        discussion: discussion.to_string(),
        comment: comment.clone(),
        in_reply_to,
        body: body.to_string(),
        note: Some(note.to_string()),
    };
    match run(state, from, handle, command(parent.clone())).await {
        // A reply to a comment never seen here stands as a first-level comment.
        Err(Error::Group(GroupError::UnknownComment)) if parent.is_some() => {
            run(state, from, handle, command(None)).await?
        }
        done => done?,
    }
    Ok(comment)
}

/// The resource `object` (its id on the member's instance) that the actor of `from`, a member
/// of group `@handle`, adds in folder `parent` (none: the top), by the group's rules; the id
/// of the resource here, derived from the object's.
pub async fn add_resource(
    state: &AppState,
    from: &FromRemote,
    handle: &str,
    (object, parent): (&str, Option<String>),
    content: ResourceContent,
) -> Result<String> {
    let resource = remote_events::derived_id("resource", object);
    let command = GroupCommand::AddResource {
        by: GroupActor::Remote(from.actor.clone()),
        resource: resource.clone(),
        parent,
        content,
        object: Some(object.to_string()),
    };
    run(state, from, handle, command).await?;
    Ok(resource)
}

/// The event `origin.object` that the actor of `from`, organising it on its own instance, made
/// for group `@handle` (moderators and above, as for a local member's group event), recorded as
/// the group's: listed with its events, changed and deleted by its organiser alone. A member
/// below moderator, or no member, is refused (`role-needed`, `not-in-group`); an unknown group
/// is not found, a suspended one refuses. Returns the event's id here.
pub async fn organise_event(
    state: &AppState,
    from: &FromRemote,
    handle: &str,
    origin: RemoteOrigin,
    details: EventDetails,
) -> Result<String> {
    crate::groups::open_for_work(state, handle).await?;
    let who = GroupActor::Remote(from.actor.clone());
    match groups::membership(state.db.pool(), handle, &who).await? {
        Some(m) if m.role.at_least(MemberRole::Moderator) => {}
        Some(_) => return Err(GroupError::RoleNeeded(MemberRole::Moderator).into()),
        None => return Err(GroupError::NotInGroup(who.to_string()).into()),
    }
    let group = GroupLink::here(handle, false, false);
    remote_events::import_event(state, from, origin, details, Some(group)).await
}

/// The group and the path inside its `collection` (`resources`, `todos`) of one of our
/// groups' own objects, when `object` is its address (`{public_url}/@{handle}/{collection}/…`):
/// one segment (a resource, a todo list) or two (a list's todo).
fn own_address(state: &AppState, object: &str, collection: &str) -> Option<(String, Vec<String>)> {
    let separator = format!("/{collection}/");
    let (handle, path) =
        crate::groups::in_group_here(&state.config.public_url, object, &separator)?;
    let segments: Vec<String> = path.split('/').map(str::to_string).collect();
    (segments.len() <= 2 && segments.iter().all(|s| crate::groups::is_plain(s)))
        .then_some((handle, segments))
}

/// One of our groups' own resources, when `object` is its address.
fn own_resource(state: &AppState, object: &str) -> Option<(String, String)> {
    match own_address(state, object, "resources")? {
        (handle, mut path) if path.len() == 1 => Some((handle, path.remove(0))),
        _ => None,
    }
}

/// The group here holding the resource `object` names, and its id here: one of a group's own,
/// or one a member added from its instance (its id derived from the object's, as
/// [`add_resource`] derives it). `None` when no group here holds it.
async fn resource_named(state: &AppState, object: &str) -> Result<Option<(String, String)>> {
    if let Some(found) = own_resource(state, object) {
        return Ok(Some(found));
    }
    let resource = remote_events::derived_id("resource", object);
    let pool = state.db.pool();
    let group = convene_projections::group_resources::group_of(pool, &resource).await?;
    Ok(group.map(|handle| (handle, resource)))
}

/// The actor of `from`, a member of the group holding the resource `object` names, changes it
/// to say `content` and to be in `place`: group `@handle`'s folder (none: the top), by the
/// group's rules, both at once (nothing applied when either is refused). A resource no group here holds is
/// not found; a folder of another group than the resource's is refused on `context`.
pub async fn change_resource(
    state: &AppState,
    from: &FromRemote,
    object: &str,
    (handle, parent): (&str, Option<String>),
    content: ResourceContent,
) -> Result<String> {
    let Some((group, resource)) = resource_named(state, object).await? else {
        return Err(Error::not_found(format!("no group here holds {object}")));
    };
    if group != handle {
        return Err(Error::invalid_field(
            "context",
            format!("{object} is a resource of @{group}, not of @{handle}"),
        ));
    }
    let by = GroupActor::Remote(from.actor.clone());
    let patch = ResourcePatch {
        kind: None,
        title: Some(content.title),
        url: content.url,
        summary: content.summary,
    };
    let command = GroupCommand::ChangeResource {
        by,
        resource: resource.clone(),
        patch,
        parent,
    };
    run(state, from, handle, command).await?;
    Ok(resource)
}

/// The actor of `from`, a member of the group holding the resource `object` names, deletes
/// it (a folder with everything in it) by the group's rules. The group's handle, or `None`
/// when no group here holds it.
pub async fn delete_resource(
    state: &AppState,
    from: &FromRemote,
    object: &str,
) -> Result<Option<String>> {
    let Some((handle, resource)) = resource_named(state, object).await? else {
        return Ok(None);
    };
    let by = GroupActor::Remote(from.actor.clone());
    run(
        state,
        from,
        &handle,
        GroupCommand::DeleteResource { by, resource },
    )
    .await?;
    Ok(Some(handle))
}

/// The actor of `from`, a member of group `@handle`, creates its todo list `object` (its id on
/// the member's instance; the list's id here derived from it) named `title`, by the group's
/// rules. The list's id here.
pub async fn create_todo_list(
    state: &AppState,
    from: &FromRemote,
    handle: &str,
    object: &str,
    title: &str,
) -> Result<String> {
    let list = remote_events::derived_id("todo-list", object);
    let command = GroupCommand::CreateTodoList {
        by: GroupActor::Remote(from.actor.clone()),
        list: list.clone(),
        title: title.to_string(),
        object: Some(object.to_string()),
    };
    run(state, from, handle, command).await?;
    Ok(list)
}

/// Where a todo list or a todo `object` names is here: its group and its id (one of a group's
/// own, at its address, or one a member added from its instance, its id derived as it was on
/// adding it). `None` when no group here holds it.
async fn todo_work_named(
    state: &AppState,
    object: &str,
    list: bool,
) -> Result<Option<(String, String)>> {
    let segments = if list { 1 } else { 2 };
    if let Some((handle, mut path)) = own_address(state, object, "todos") {
        return Ok((path.len() == segments).then(|| (handle, path.remove(segments - 1))));
    }
    let pool = state.db.pool();
    let id = remote_events::derived_id(if list { "todo-list" } else { "todo" }, object);
    let group = match list {
        true => todos_model::group_of_list(pool, &id).await?,
        false => todos_model::group_of_todo(pool, &id).await?,
    };
    Ok(group.map(|handle| (handle, id)))
}

/// The actor of `from`, a member, adds its todo `object` (its id on the member's instance; the
/// todo's id here derived from it) saying `content` to the list `list` names, by the group's
/// rules. The group's handle and the todo's id here; a list no group here holds is not found.
pub async fn add_todo(
    state: &AppState,
    from: &FromRemote,
    (list, object): (&str, &str),
    content: TodoContent,
) -> Result<(String, String)> {
    let Some((handle, list)) = todo_work_named(state, list, true).await? else {
        return Err(Error::not_found(format!(
            "no group here holds the list {list}"
        )));
    };
    let todo = remote_events::derived_id("todo", object);
    let command = GroupCommand::AddTodo {
        by: GroupActor::Remote(from.actor.clone()),
        list,
        todo: todo.clone(),
        content,
        object: Some(object.to_string()),
    };
    run(state, from, &handle, command).await?;
    Ok((handle, todo))
}

/// The actor of `from`, a member of the group holding the todo `object` names, makes it say
/// `content` (done or not included), by the group's rules. The group's handle and the todo's
/// id; a todo no group here holds is not found.
pub async fn change_todo(
    state: &AppState,
    from: &FromRemote,
    object: &str,
    content: TodoContent,
) -> Result<(String, String)> {
    let Some((handle, todo)) = todo_work_named(state, object, false).await? else {
        return Err(Error::not_found(format!("no group here holds {object}")));
    };
    let command = GroupCommand::UpdateTodo {
        by: GroupActor::Remote(from.actor.clone()),
        todo: todo.clone(),
        content,
    };
    run(state, from, &handle, command).await?;
    Ok((handle, todo))
}

/// The actor of `from`, a member of the group holding the todo or todo list `object` names,
/// deletes it (a list with its todos). The group's handle, or `None` when no group here holds
/// either.
pub async fn delete_todo_work(
    state: &AppState,
    from: &FromRemote,
    object: &str,
) -> Result<Option<String>> {
    let by = GroupActor::Remote(from.actor.clone());
    let (handle, command) =
        if let Some((handle, todo)) = todo_work_named(state, object, false).await? {
            (handle, GroupCommand::DeleteTodo { by, todo })
        } else if let Some((handle, list)) = todo_work_named(state, object, true).await? {
            (handle, GroupCommand::DeleteTodoList { by, list })
        } else {
            return Ok(None);
        };
    run(state, from, &handle, command).await?;
    Ok(Some(handle))
}

/// The actor of `from` accepts its invitation to group `@handle` (its `Accept` of the `Invite`).
pub async fn accept_invitation(state: &AppState, from: &FromRemote, handle: &str) -> Result<()> {
    let who = GroupActor::Remote(from.actor.clone());
    run(state, from, handle, GroupCommand::AcceptInvitation { who }).await
}

/// The actor of `from` declines its invitation to group `@handle` (its `Reject` of the `Invite`).
pub async fn decline_invitation(state: &AppState, from: &FromRemote, handle: &str) -> Result<()> {
    let who = GroupActor::Remote(from.actor.clone());
    run(state, from, handle, GroupCommand::DeclineInvitation { who }).await
}

/// The actor of `from`, a member of group `@handle`, invites `who` (moderators and above).
pub async fn invite(
    state: &AppState,
    from: &FromRemote,
    handle: &str,
    who: GroupActor,
) -> Result<()> {
    let by = GroupActor::Remote(from.actor.clone());
    run(state, from, handle, GroupCommand::Invite { by, who }).await
}

/// The actor of `from`, a member of group `@handle`, gives `who` the role `role`
/// (administrators, up to their own).
pub async fn change_role(
    state: &AppState,
    from: &FromRemote,
    handle: &str,
    who: GroupActor,
    role: MemberRole,
) -> Result<()> {
    let by = GroupActor::Remote(from.actor.clone());
    run(
        state,
        from,
        handle,
        GroupCommand::ChangeRole { by, who, role },
    )
    .await
}

/// The actor of `from`, a member of group `@handle`, removes `who` (moderators and above; never
/// the last administrator).
pub async fn remove(
    state: &AppState,
    from: &FromRemote,
    handle: &str,
    who: GroupActor,
) -> Result<()> {
    let by = GroupActor::Remote(from.actor.clone());
    run(state, from, handle, GroupCommand::Remove { by, who }).await
}
