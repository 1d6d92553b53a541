//! Another instance's group, found by handle (WebFinger) or actor URL and shown here: what its
//! actor says of itself, the public events it sent here, and the acting profile's follow of it
//! (a `Follow` to the group, pending until the group's `Accept`) and membership (a `Join`, with
//! a message for its moderators, a member once the group accepts; a `Leave`); and, for a
//! member, what the group shows its members, fetched with the member's own signature.

use crate::auth::{Acting, Origin, Session};
use crate::error::{Error, Result};
use crate::follows::{self, RemoteActor};
use crate::remote_events::{self, FromRemote};
use crate::remote_groups::{ActorResolver, FoundActor, FoundObject};
use crate::throttle::Action;
use crate::AppState;
use convene_domain::event::{GroupAddress, GroupLink};
use convene_domain::group::{MemberRole, ResourceContent};
use convene_domain::metadata::format_timestamp;
use convene_domain::profile::FollowingState;
use convene_domain::profile::MembershipState;
use convene_domain::profile::{CommentElsewhere, TodoElsewhere};
use convene_domain::{EventError, GroupError, ProfileCommand, ProfileError};
use convene_projections::domains;
use convene_projections::events::{self, EventFilter, EventView};
use convene_projections::follows::{self as follows_model, GroupElsewhere, GroupMembership};
use std::collections::{HashMap, HashSet};

/// The most of a group's events its page here shows.
const EVENTS_SHOWN: i64 = 20;

/// The name here of `who` when it is a handle on this instance (`club@` this instance's host).
pub fn local_name(state: &AppState, who: &str) -> Option<String> {
    crate::groups::name_here(&state.config.public_url, who)
}

/// The group `who` names (`name@host`, `@name@host` or its actor URL), fetched afresh from its
/// instance, for `session` (or a visitor without an account, from `origin`: limited per address,
/// as every lookup has this instance ask another one); an actor that cannot be found, or is not
/// a group, is refused on `field` with the reason.
pub async fn find(
    state: &AppState,
    session: Option<&Session>,
    origin: &Origin,
    field: &str,
    who: &str,
) -> Result<FoundActor> {
    let actor = resolver(state, session, origin, field)?
        .find_actor(who)
        .await
        .map_err(|reason| Error::invalid_field(field, reason))?;
    if !actor.is_group() {
        return Err(Error::invalid_field(
            field,
            format!("{who} is a {}, not a group", actor.kind),
        ));
    }
    shown(state, actor).await
}

/// What asks other instances, for `session`; a visitor without an account (from `origin`) is
/// limited per address, as every lookup has this instance ask another one.
pub(crate) fn resolver<'a>(
    state: &'a AppState,
    session: Option<&Session>,
    origin: &Origin,
    field: &str,
) -> Result<&'a dyn ActorResolver> {
    if session.is_none() {
        state
            .throttle
            .check(Action::AnonymousLookup, origin.ip, None)
            .map_err(crate::throttle::refused)?;
    }
    state.actor_resolver.as_deref().ok_or_else(|| {
        Error::invalid_field(
            field,
            "this instance does not federate: it knows only its own groups and events",
        )
    })
}

/// `actor` as shown here: without its avatar and banner when administrators rejected its
/// instance's media.
async fn shown(state: &AppState, mut actor: FoundActor) -> Result<FoundActor> {
    if let Some(host) = domains::host_of_url(&actor.id) {
        if domains::rejects_media(state.db.pool(), &host).await? {
            actor.icon = None;
            actor.banner = None;
        }
    }
    Ok(actor)
}

/// What an address of another instance leads to here.
#[derive(Debug, Clone, PartialEq)]
pub enum LookedUp {
    /// The event, by its id here.
    Event(String),
    Group(Box<FoundActor>),
}

/// What the address `url` of another instance leads to here, for `session` (or a visitor
/// without an account, limited per address like every lookup): an event already received, or
/// one fetched from its origin and recorded as the inbox records a received one; or a group.
/// Anything else, and what cannot be fetched, is refused on `field` with the reason.
pub async fn look_up(
    state: &AppState,
    session: Option<&Session>,
    origin: &Origin,
    field: &str,
    url: &str,
) -> Result<LookedUp> {
    let url = url.trim();
    let known = remote_events::event_id(url);
    if events::find(state.db.pool(), &known).await?.is_some() {
        return Ok(LookedUp::Event(known));
    }
    let found = resolver(state, session, origin, field)?
        .find_object(url)
        .await
        .map_err(|reason| Error::invalid_field(field, reason))?;
    let event = match found {
        FoundObject::Actor(actor) if actor.is_group() => {
            return Ok(LookedUp::Group(Box::new(shown(state, *actor).await?)))
        }
        FoundObject::Actor(actor) => {
            return Err(Error::invalid_field(
                field,
                format!(
                    "{url} is a {}: only the groups and events of other instances have a page here",
                    actor.kind
                ),
            ))
        }
        FoundObject::Event(event) => *event,
    };
    if domains::actor_suspended(state.db.pool(), &event.origin.actor).await? {
        return Err(Error::invalid_field(
            field,
            format!(
                "{} is suspended by this instance's moderators",
                event.origin.actor
            ),
        ));
    }
    // Recorded as a received Create would be: the fetched object stands for the activity.
    let from = FromRemote {
        actor: event.origin.actor.clone(),
        activity: event.origin.object.clone(),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    let id = remote_events::event_id(&event.origin.object);
    match remote_events::import_event(state, &from, event.origin, event.details, None).await {
        Ok(_) | Err(Error::Event(EventError::AlreadyExists)) => Ok(LookedUp::Event(id)),
        Err(Error::Invalid(errors)) => Err(Error::invalid_field(
            field,
            format!(
                "{url} cannot be shown here: {}",
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )),
        Err(error) => Err(error),
    }
}

/// The events of `group` that have not ended, soonest first: the public ones it sent here
/// (they stand as organised by its handle) and those its moderators here made for it, and, for
/// `session`'s account when one of its profiles is a member, those it keeps to its members.
pub async fn events_of(
    state: &AppState,
    session: Option<&Session>,
    group: &FoundActor,
) -> Result<Vec<EventView>> {
    let now = format_timestamp(time::OffsetDateTime::now_utc());
    let filter = EventFilter {
        group: Some(group.handle.clone()),
        from: Some(now.clone()),
        limit: EVENTS_SHOWN,
        ..Default::default()
    };
    let mut found = crate::events::upcoming(state, &filter).await?;
    if session.is_none() {
        return Ok(found);
    }
    let pool = state.db.pool();
    let kept: Vec<EventView> = events::upcoming_of_group(pool, &group.handle, &now, EVENTS_SHOWN)
        .await?
        .into_iter()
        .filter(|e| e.group.as_ref().is_some_and(|g| g.members_only))
        .collect();
    found.extend(crate::groups::shown_to_session(state, session, kept).await?);
    found.sort_by(|a, b| (a.details.begins_at, &a.id).cmp(&(b.details.begins_at, &b.id)));
    found.truncate(EVENTS_SHOWN as usize);
    Ok(found)
}

/// Where the acting profile's follow of `group` stands: none, asked, or accepted.
pub async fn follow_of(
    state: &AppState,
    acting: &Acting,
    group: &FoundActor,
) -> Result<Option<FollowingState>> {
    Ok(follows::following(state, &acting.profile)
        .await?
        .into_iter()
        .find(|f| f.target == group.id)
        .map(|f| f.state))
}

/// The acting profile asks to follow `group`; asking again changes nothing.
pub async fn follow(state: &AppState, acting: &Acting, group: &FoundActor) -> Result<()> {
    let target = RemoteActor {
        actor: group.id.clone(),
        inbox: group.inbox.clone(),
        shared_inbox: group.shared_inbox.clone(),
    };
    follows::follow_remote(state, acting, target).await
}

/// Where a `Join` or `Leave` goes: the group's instance's shared inbox when it has one.
fn delivery_inbox(group: &FoundActor) -> String {
    group
        .shared_inbox
        .clone()
        .unwrap_or_else(|| group.inbox.clone())
}

/// Where the acting profile stands in `group`: none, asked to join, or a member (with the role
/// the group gave it, once it named one).
pub async fn membership_of(
    state: &AppState,
    acting: &Acting,
    group: &FoundActor,
) -> Result<Option<GroupMembership>> {
    let pool = state.db.pool();
    Ok(convene_projections::follows::membership_of(pool, &acting.profile, &group.id).await?)
}

/// The groups of other instances the acting profile belongs to, asked to join or was invited
/// to, oldest first.
pub async fn mine(state: &AppState, acting: &Acting) -> Result<Vec<GroupElsewhere>> {
    let pool = state.db.pool();
    Ok(convene_projections::follows::groups_elsewhere(pool, &acting.profile).await?)
}

/// The acting profile asks to join `group`, with `message` for its moderators (at most
/// 1,000 characters, 422 on `message`); asking again while asked or a member changes nothing.
pub async fn join(
    state: &AppState,
    acting: &Acting,
    group: &FoundActor,
    message: Option<String>,
) -> Result<()> {
    let join = ProfileCommand::JoinGroup {
        group: group.id.clone(),
        inbox: delivery_inbox(group),
        message,
    };
    follows::run(state, &acting.profile, join, &acting.metadata()).await
}

/// The acting profile leaves `group` (or withdraws its request to join); nothing when it was
/// neither a member nor asked.
pub async fn leave(state: &AppState, acting: &Acting, group: &FoundActor) -> Result<()> {
    let leave = ProfileCommand::LeaveGroup {
        group: group.id.clone(),
        inbox: delivery_inbox(group),
    };
    match follows::run(state, &acting.profile, leave, &acting.metadata()).await {
        Ok(()) | Err(Error::Profile(ProfileError::NotAMember(_))) => Ok(()),
        Err(other) => Err(other),
    }
}

/// The group of `from` accepted or rejected `@profile`'s request to join it (its `Accept` or
/// `Reject` of the `Join`). An answer to a request never sent is refused (404).
pub async fn join_answered(
    state: &AppState,
    from: &FromRemote,
    profile: &str,
    accepted: bool,
) -> Result<()> {
    let group = from.actor.clone();
    let answer = if accepted {
        ProfileCommand::AcceptJoin { group }
    } else {
        ProfileCommand::RejectJoin { group }
    };
    follows::run(state, profile, answer, &from.metadata()).await
}

/// One thing a group shows its members: a discussion, a folder or link, a todo list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Listed {
    /// As the group names it (its `name`; a link's address when it names none).
    pub name: String,
    /// Where to open it: a link's own address, else the item's on the group's instance.
    pub url: Option<String>,
    /// A folder's id (its `ResourceCollection`'s): where a member may add a link.
    pub folder: Option<String>,
    /// Its id (an http(s) address), by which a member asks the group to change or delete it.
    pub id: Option<String>,
    /// The id of the folder holding it (its `context`); none at the top of the resources.
    pub parent: Option<String>,
    /// The ids of the folders holding it, from the top down (where it cannot be moved to).
    pub within: Vec<String>,
    /// How many folders down it is (0 at the top), in a list where each folder's content
    /// follows it.
    pub depth: usize,
}

/// What another instance's group shows the acting profile as one of its members, fetched from
/// the group's instance with the profile's signature.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ForMembers {
    pub discussions: Vec<Listed>,
    pub resources: Vec<Listed>,
    pub todos: Vec<Listed>,
    /// The todos the group relayed here, each naming its list (one of `todos`' ids).
    pub todo_items: Vec<TodoElsewhere>,
    /// The latest comments the group relayed here from its discussions, newest first.
    pub comments: Vec<RelayedComment>,
    /// Why a collection could not be read: the group refuses a profile it no longer counts
    /// among its members at once.
    pub unavailable: Vec<String>,
}

/// A comment the group relayed from one of its discussions, as its page here shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RelayedComment {
    /// `@name` (here), `@name@host`, or the actor URL when its actor is not known here.
    pub author: String,
    /// The discussion's address on the group's instance, and its name (the address when the
    /// group does not list it).
    pub discussion: String,
    pub discussion_name: String,
    /// Sanitised HTML.
    pub body: String,
    pub received_at: String,
}

/// The most of each members-only list a group's page here shows (the resources of every
/// folder count together).
const LISTED_SHOWN: usize = 200;

/// The longest name of an item shown, in characters (titles are at most 200 on Convene).
const NAME_SHOWN: usize = 200;

/// What `group` shows the acting profile as its member (asked of the group's instance with the
/// profile's signature, the three collections at once), and the comments it relayed here. A
/// collection the group does not name is empty; one it refuses or that cannot be read is named
/// in `unavailable`, with the reason.
pub async fn for_members(
    state: &AppState,
    acting: &Acting,
    group: &FoundActor,
) -> Result<ForMembers> {
    let resolver = state
        .actor_resolver
        .as_deref()
        .ok_or_else(|| Error::invalid_field("handle", "this instance does not federate"))?;
    let profile = &acting.profile;
    let fetch = |url: &Option<String>| {
        let url = url.clone();
        async move {
            match url {
                Some(url) => resolver.fetch_as(&url, profile).await.map(Some),
                None => Ok(None),
            }
        }
    };
    let collections = &group.members_only;
    let (discussions, resources, todos) = tokio::join!(
        fetch(&collections.discussions),
        fetch(&collections.resources),
        fetch(&collections.todos),
    );
    let mut shown = ForMembers::default();
    let mut items =
        |fetched: std::result::Result<Option<Vec<serde_json::Value>>, String>| match fetched {
            Ok(items) => items.unwrap_or_default(),
            Err(reason) => {
                shown.unavailable.push(reason);
                Vec::new()
            }
        };
    let discussions = items(discussions);
    let resources = items(resources);
    let todos = items(todos);
    shown.discussions = listed(&discussions);
    shown.resources = as_tree(listed(&resources));
    shown.todos = listed(&todos);
    shown.todo_items = follows_model::todos_elsewhere(state.db.pool(), &group.id).await?;
    let relayed = follows_model::comments_elsewhere(state.db.pool(), &group.id, COMMENTS_SHOWN);
    let here = format!("{}/@", state.config.public_url.trim_end_matches('/'));
    shown.comments = relayed
        .await?
        .into_iter()
        .map(|c| RelayedComment {
            author: match (c.author.strip_prefix(&here), &c.author_handle) {
                (Some(name), _) => format!("@{name}"),
                (None, Some(handle)) => format!("@{handle}"),
                (None, None) => c.author.clone(),
            },
            discussion_name: shown
                .discussions
                .iter()
                .find(|d| d.url.as_deref() == Some(c.discussion.as_str()))
                .map_or_else(|| c.discussion.clone(), |d| d.name.clone()),
            discussion: c.discussion,
            body: c.body,
            received_at: c.received_at,
        })
        .collect();
    Ok(shown)
}

/// The items as shown: by name (a link's address when unnamed), each with where to open it.
fn listed(items: &[serde_json::Value]) -> Vec<Listed> {
    let text = |item: &serde_json::Value, key: &str| {
        item.get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let link = |item: &serde_json::Value| {
        text(item, "url")
            .or_else(|| item.get("url")?.get("href")?.as_str().map(str::to_string))
            .or_else(|| text(item, "id"))
            .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
    };
    items
        .iter()
        .filter_map(|item| {
            let url = link(item);
            let name = text(item, "name").or_else(|| url.clone())?;
            let name = name.chars().take(NAME_SHOWN).collect();
            let id = text(item, "id")
                .filter(|id| id.starts_with("https://") || id.starts_with("http://"));
            let folder = id.clone().filter(|_| {
                item.get("type").and_then(|t| t.as_str()) == Some("ResourceCollection")
            });
            Some(Listed {
                name,
                url,
                folder,
                id,
                parent: text(item, "context"),
                within: Vec::new(),
                depth: 0,
            })
        })
        .take(LISTED_SHOWN)
        .collect()
}

/// Resources as a member browses them: each folder followed by what it holds, one level
/// deeper. What names no listed folder as its `context` is at the top; what is held by a
/// folder that is not at the top, nor in a folder that is (a loop), is not shown.
fn as_tree(items: Vec<Listed>) -> Vec<Listed> {
    let folders: HashSet<String> = items.iter().filter_map(|i| i.folder.clone()).collect();
    let mut held: HashMap<Option<String>, Vec<Listed>> = HashMap::new();
    for mut item in items {
        item.parent = item.parent.filter(|p| folders.contains(p));
        held.entry(item.parent.clone()).or_default().push(item);
    }
    let mut shown = Vec::new();
    let mut next: Vec<(Listed, Vec<String>)> = held
        .remove(&None)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|item| (item, Vec::new()))
        .collect();
    while let Some((mut item, within)) = next.pop() {
        if let Some(folder) = item.folder.clone() {
            let inside = held.remove(&Some(folder.clone())).unwrap_or_default();
            let mut deeper = within.clone();
            deeper.push(folder);
            next.extend(inside.into_iter().rev().map(|i| (i, deeper.clone())));
        }
        item.depth = within.len();
        item.within = within;
        shown.push(item);
    }
    shown
}

/// The group of `from` gives `@profile` the role `role` among its members (its `Update` of the
/// profile's `Member`). A group the profile never asked to join cannot (404); a role that is
/// not a member's is refused (422 on `role`).
pub async fn role_given(
    state: &AppState,
    from: &FromRemote,
    profile: &str,
    role: MemberRole,
) -> Result<()> {
    let group = from.actor.clone();
    let given = ProfileCommand::ReceiveGroupRole { group, role };
    follows::run(state, profile, given, &from.metadata()).await
}

/// The group `group` invites `@profile` (its `Invite` `invite`, signed by `from`'s actor: the
/// group or one of its moderators); the profile's answer is to go to `inbox`. A profile already
/// a member records nothing.
pub async fn invited(
    state: &AppState,
    from: &FromRemote,
    profile: &str,
    group: &str,
    inbox: String,
    invite: String,
) -> Result<()> {
    let received = ProfileCommand::ReceiveGroupInvitation {
        group: group.to_string(),
        inbox,
        invite,
        by: from.actor.clone(),
    };
    follows::run(state, profile, received, &from.metadata()).await
}

/// The acting profile accepts (`accept`: a member) or declines `group`'s invitation; its
/// `Accept` or `Reject` of the `Invite` goes to the group. Without an invitation: 404.
pub async fn answer_invitation(
    state: &AppState,
    acting: &Acting,
    group: &FoundActor,
    accept: bool,
) -> Result<()> {
    let group = group.id.clone();
    let answer = if accept {
        ProfileCommand::AcceptGroupInvitation { group }
    } else {
        ProfileCommand::DeclineGroupInvitation { group }
    };
    follows::run(state, &acting.profile, answer, &acting.metadata()).await
}

/// The acting profile, a member of `group`, writes `body` in its discussion `discussion` (its
/// address on the group's instance): its `Create` of a `Note` in that `context` goes to the
/// group. Not a member: 404; a discussion elsewhere than the group's server: 422 on
/// `discussion`; a body breaking the comment rules: 422 on `body`.
pub async fn comment_in_discussion(
    state: &AppState,
    acting: &Acting,
    group: &FoundActor,
    discussion: &str,
    body: &str,
) -> Result<()> {
    let command = ProfileCommand::CommentInGroupDiscussion {
        group: group.id.clone(),
        inbox: delivery_inbox(group),
        discussion: discussion.to_string(),
        body: body.to_string(),
    };
    follows::run(state, &acting.profile, command, &acting.metadata()).await
}

/// The acting profile, a member of `group`, adds a link to its resources, in `folder` (its
/// address on the group's instance; none: the top): its `Create` of a `Document` goes to the
/// group. Not a member: 404; a group that names no resources, or a folder elsewhere than the
/// group's server: 422 on `folder`; a link breaking the resources' rules: 422 on its field.
pub async fn add_link(
    state: &AppState,
    acting: &Acting,
    group: &FoundActor,
    folder: Option<&str>,
    link: ResourceContent,
) -> Result<()> {
    let target = place(group, folder)?;
    let command = ProfileCommand::AddGroupResource {
        group: group.id.clone(),
        inbox: delivery_inbox(group),
        target,
        content: link,
    };
    follows::run(state, &acting.profile, command, &acting.metadata()).await
}

/// Where in `group`'s resources `folder` (its address on the group's instance; none: the top)
/// is: a group that names no resources has none (422 on `folder`).
fn place(group: &FoundActor, folder: Option<&str>) -> Result<String> {
    folder
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .or_else(|| group.members_only.resources.clone())
        .ok_or_else(|| Error::invalid_field("folder", "this group keeps no resources"))
}

/// The acting profile, a member of `group`, asks it to make `resource` (its id, as the group
/// lists it) say `content`, in `folder` (as for [`add_link`]: where it is, or where it moves
/// to): its `Update` of the resource goes to the group. Not a member: 404; a group that names
/// no resources, or a folder elsewhere than the group's server: 422 on `folder`; a resource
/// breaking the resources' rules: 422 on its field.
pub async fn change_resource(
    state: &AppState,
    acting: &Acting,
    group: &FoundActor,
    (resource, folder): (&str, Option<&str>),
    content: ResourceContent,
) -> Result<()> {
    let target = place(group, folder)?;
    let command = ProfileCommand::ChangeGroupResource {
        group: group.id.clone(),
        inbox: delivery_inbox(group),
        resource: resource.to_string(),
        target,
        content,
    };
    follows::run(state, &acting.profile, command, &acting.metadata()).await
}

/// The acting profile, a member of `group`, asks it to delete `resource` (its id, as the group
/// lists it; a folder with what it holds): its `Delete` goes to the group. Not a member: 404.
pub async fn delete_resource(
    state: &AppState,
    acting: &Acting,
    group: &FoundActor,
    resource: &str,
) -> Result<()> {
    let command = ProfileCommand::DeleteGroupResource {
        group: group.id.clone(),
        inbox: delivery_inbox(group),
        resource: resource.to_string(),
    };
    follows::run(state, &acting.profile, command, &acting.metadata()).await
}

/// The acting profile, a member of `group`, adds a todo titled `title` to its list `list` (its
/// id, as the group lists it): its `Create` of a `Todo` goes to the group. Not a member: 404; a
/// title breaking the todos' rules: 422 on `title`.
pub async fn add_todo(
    state: &AppState,
    acting: &Acting,
    group: &FoundActor,
    list: &str,
    title: &str,
) -> Result<()> {
    let command = ProfileCommand::AddGroupTodo {
        group: group.id.clone(),
        inbox: delivery_inbox(group),
        list: list.to_string(),
        title: title.to_string(),
    };
    follows::run(state, &acting.profile, command, &acting.metadata()).await
}

/// The acting profile, a member of `group`, marks its todo `todo` (as the group relayed it
/// here) done or not: its `Update` of the `Todo`, the rest as relayed, goes to the group. A todo
/// the group did not relay here: 404.
pub async fn mark_todo(
    state: &AppState,
    acting: &Acting,
    group: &FoundActor,
    todo: &str,
    done: bool,
) -> Result<()> {
    let relayed = follows_model::todos_elsewhere(state.db.pool(), &group.id).await?;
    let found = relayed
        .into_iter()
        .find(|t| t.todo == todo)
        .ok_or_else(|| Error::NotFound(format!("{} relayed no todo {todo} here", group.id)))?;
    let command = ProfileCommand::ChangeGroupTodo {
        group: group.id.clone(),
        inbox: delivery_inbox(group),
        todo: TodoElsewhere { done, ..found },
    };
    follows::run(state, &acting.profile, command, &acting.metadata()).await
}

/// `profile`'s membership in the group elsewhere `handle` (`name@host`, as the `remote_actors`
/// cache names it), if it has one.
async fn joined(state: &AppState, profile: &str, handle: &str) -> Result<Option<GroupElsewhere>> {
    let handle = handle.trim_start_matches('@');
    let pool = state.db.pool();
    Ok(follows_model::groups_elsewhere(pool, profile)
        .await?
        .into_iter()
        .find(|g| g.handle.as_deref() == Some(handle)))
}

/// `profile`'s role in the group elsewhere `handle` once a member (a member until the group
/// names another), if it is one.
pub async fn role_of(state: &AppState, profile: &str, handle: &str) -> Result<Option<MemberRole>> {
    Ok(joined(state, profile, handle)
        .await?
        .filter(|g| g.membership.state == MembershipState::Accepted)
        .map(|g| g.membership.role.unwrap_or(MemberRole::Member)))
}

/// The group elsewhere `handle`, when the acting profile may organise events for it: a member
/// whom the group made a moderator or more. Otherwise `role-needed` (a member), or
/// `not-in-group`.
pub async fn may_organise(
    state: &AppState,
    acting: &Acting,
    handle: &str,
) -> Result<GroupElsewhere> {
    let group = joined(state, &acting.profile, handle)
        .await?
        .filter(|g| g.membership.state == MembershipState::Accepted)
        .ok_or_else(|| GroupError::NotInGroup(format!("@{}", acting.profile)))?;
    match group.membership.role {
        Some(role) if role.at_least(MemberRole::Moderator) => Ok(group),
        _ => Err(GroupError::RoleNeeded(MemberRole::Moderator).into()),
    }
}

/// How an event the acting profile, a moderator of the group elsewhere `handle` (or more),
/// organises for it names the group, as Mobilizon's members do: the event is this instance's,
/// its organiser the profile; its `Create` (`attributedTo` the group) goes to the group, which
/// lists it with its events. It cannot be for members only nor hide its organiser (the domain
/// refuses either on its field): only the group's instance could keep those promises.
pub async fn event_link(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    (members_only, hide_organiser): (bool, bool),
) -> Result<GroupLink> {
    let group = may_organise(state, acting, handle).await?;
    let inbox = domains::remote_inbox(state.db.pool(), &group.group)
        .await?
        .ok_or_else(|| Error::conflict(format!("{handle} is not known here: look it up again")))?;
    Ok(GroupLink {
        handle: group.handle.unwrap_or_else(|| handle.to_string()),
        members_only,
        hide_organiser,
        elsewhere: Some(GroupAddress {
            actor: group.group,
            inbox,
        }),
    })
}

/// The acting profile stops following `group` (or withdraws its request); nothing when it did
/// not follow it.
pub async fn unfollow(state: &AppState, acting: &Acting, group: &FoundActor) -> Result<()> {
    match follows::unfollow(state, acting, &group.id).await {
        Ok(()) | Err(Error::Profile(ProfileError::NotFollowing(_))) => Ok(()),
        Err(other) => Err(other),
    }
}

/// What became of a comment or a todo another instance's group relayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relayed {
    /// Kept (or, kept before with another text, edited) for this many of the group's members
    /// here.
    Kept(usize),
    /// Kept already as it is, from an earlier relay.
    AlreadyHere,
    /// Nobody here is a member of the group.
    NoMemberHere,
}

/// The group of `from` relays `comment`, written in one of its discussions (its `Announce` of
/// the `Note`): kept for each of its members here, once the group is seen to count the
/// comment's author among its members (its `members` collection, fetched with a member's
/// signature; not listed: 403) — asked once per author: an author whose comments the group
/// relayed here before is its member as far as this instance can tell (the group's own
/// collection is all it would have to go on). Relayed again with another text (edited), the
/// text kept is replaced. A comment breaking the comment rules is refused as each member would
/// refuse it (422).
pub async fn relayed_comment(
    state: &AppState,
    from: &FromRemote,
    comment: CommentElsewhere,
) -> Result<Relayed> {
    let group = &from.actor;
    let pool = state.db.pool();
    let members = follows_model::members_here(pool, group).await?;
    let Some(first) = members.first() else {
        return Ok(Relayed::NoMemberHere);
    };
    let kept = follows_model::comment_elsewhere_body(pool, &comment.note).await?;
    if kept.as_deref() == Some(comment.body.as_str()) {
        return Ok(Relayed::AlreadyHere);
    }
    if !follows_model::relayed_from(pool, group, &comment.author).await? {
        lists_author(state, group, first, &comment.author).await?;
    }
    for profile in &members {
        let keep = ProfileCommand::ReceiveGroupComment {
            group: group.clone(),
            comment: comment.clone(),
        };
        follows::run(state, profile, keep, &from.metadata()).await?;
    }
    Ok(Relayed::Kept(members.len()))
}

/// The group of `from` relays `todo`, one of its todos made or changed (its `Create` or
/// `Update` of the `Todo`; the group speaks for its own todos): kept for each of its members
/// here, as last relayed. A todo breaking the todos' rules is refused as each member would
/// refuse it (422).
pub async fn relayed_todo(
    state: &AppState,
    from: &FromRemote,
    todo: TodoElsewhere,
) -> Result<Relayed> {
    let group = &from.actor;
    let pool = state.db.pool();
    let members = follows_model::members_here(pool, group).await?;
    if members.is_empty() {
        return Ok(Relayed::NoMemberHere);
    }
    let kept = follows_model::todos_elsewhere(pool, group).await?;
    if kept.contains(&todo) {
        return Ok(Relayed::AlreadyHere);
    }
    for profile in &members {
        let keep = ProfileCommand::ReceiveGroupTodo {
            group: group.clone(),
            todo: todo.clone(),
        };
        follows::run(state, profile, keep, &from.metadata()).await?;
    }
    Ok(Relayed::Kept(members.len()))
}

/// Whether `group`'s `members` collection, fetched with `profile`'s signature, lists `author`
/// as a member: 403 otherwise.
async fn lists_author(state: &AppState, group: &str, profile: &str, author: &str) -> Result<()> {
    let resolver = state
        .actor_resolver
        .as_deref()
        .ok_or_else(|| Error::Unavailable("this instance does not federate".into()))?;
    let found = resolver
        .find_actor(group)
        .await
        .map_err(Error::Unavailable)?;
    let listed = found
        .members_only
        .members
        .as_deref()
        .ok_or_else(|| Error::Forbidden(format!("{group} names no members collection")))?;
    let members_there = resolver
        .fetch_as(listed, profile)
        .await
        .map_err(Error::Unavailable)?;
    if !lists_member(&members_there, author) {
        return Err(Error::Forbidden(format!(
            "{group} does not list {author} among its members"
        )));
    }
    Ok(())
}

/// The group of `from` deleted `id` (its `Delete`): a comment it relayed here, or one of its
/// discussions with every comment relayed from it; a todo it relayed, or one of its lists with
/// every todo relayed on it: forgotten for each of its members here. Nothing relayed under that
/// id: none (it may name something else).
pub async fn relayed_deletion(
    state: &AppState,
    from: &FromRemote,
    id: &str,
) -> Result<Option<usize>> {
    let group = &from.actor;
    let pool = state.db.pool();
    let removed = id.to_string();
    let forget = if follows_model::relayed_under(pool, group, id).await? {
        ProfileCommand::ForgetGroupComments {
            group: group.clone(),
            removed,
        }
    } else if follows_model::todos_relayed_under(pool, group, id).await? {
        ProfileCommand::ForgetGroupTodos {
            group: group.clone(),
            removed,
        }
    } else {
        return Ok(None);
    };
    let members = follows_model::members_here(pool, group).await?;
    for profile in &members {
        follows::run(state, profile, forget.clone(), &from.metadata()).await?;
    }
    Ok(Some(members.len()))
}

/// Whether a group's `members` items (Mobilizon's `Member`s: `actor`, by URL or embedded, and
/// `role`) count `actor` as a member: invited, waiting or rejected ones do not.
fn lists_member(items: &[serde_json::Value], actor: &str) -> bool {
    items.iter().any(|item| {
        let who = item
            .get("actor")
            .and_then(|a| a.as_str().or_else(|| a.get("id")?.as_str()));
        let role = item.get("role").and_then(serde_json::Value::as_str);
        who == Some(actor)
            && role.is_none_or(|r| MemberRole::parse(r).is_some_and(MemberRole::is_member))
    })
}

/// The most relayed comments a group's page here shows.
const COMMENTS_SHOWN: i64 = 30;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resources_are_browsed_folder_by_folder() {
        let top = "https://a.example/@club/resources";
        let item = |id: &str, kind: &str, context: &str| {
            json!({"id": format!("https://a.example/r/{id}"), "type": kind, "name": id,
                   "context": context})
        };
        let r = |id: &str| format!("https://a.example/r/{id}");
        let items = [
            item("maps", "ResourceCollection", top),
            item("north", "ResourceCollection", &r("maps")),
            item("trail", "Document", &r("north")),
            item("notes", "Document", top),
            item("route", "Document", &r("maps")),
            // Held by a folder the group does not list: at the top.
            item("stray", "Document", &r("gone")),
            // Two folders holding each other: reached from nowhere, not shown.
            item("loop-a", "ResourceCollection", &r("loop-b")),
            item("loop-b", "ResourceCollection", &r("loop-a")),
        ];
        let shown: Vec<_> = as_tree(listed(&items))
            .into_iter()
            .map(|l| (l.name, l.depth, l.within.len(), l.parent))
            .collect();
        assert_eq!(
            shown,
            [
                ("maps".to_string(), 0, 0, None),
                ("north".to_string(), 1, 1, Some(r("maps"))),
                ("trail".to_string(), 2, 2, Some(r("north"))),
                ("route".to_string(), 1, 1, Some(r("maps"))),
                ("notes".to_string(), 0, 0, None),
                ("stray".to_string(), 0, 0, None),
            ]
        );
        let trail = as_tree(listed(&items))
            .into_iter()
            .find(|l| l.name == "trail")
            .expect("listed");
        assert_eq!(trail.within, [r("maps"), r("north")]);
    }
}
