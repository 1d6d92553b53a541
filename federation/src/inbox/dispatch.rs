//! A verified activity becomes the use cases of `api`: remote events created, updated, deleted
//! by their organiser, or announced by a relay or a group; joins and leaves of local events;
//! follows of local profiles and the answers to theirs; the membership of remote actors in our
//! groups ([`super::members`]) and their comments in our groups' discussions
//! ([`super::discussions`]) and resources ([`super::resources`]); reports from other instances
//! ([`super::flags`]). What Convene does not act on is answered 202 with the reason.

use super::remote_actors::handle;
use super::{discussions, flags, members, resources, todos};
use super::{Inbox, Refusal};
use crate::actors::remote::RemoteActor;
use crate::incoming::IncomingNote;
use crate::incoming::{self, IncomingActivity, IncomingEvent, IncomingObject, ObjectRef};
use crate::objects::ActivityKind;
use axum::http::StatusCode;
use convene_api::error::Class;
use convene_api::follows;
use convene_api::groups_elsewhere;
use convene_api::instance_follows;
use convene_api::remote_events::{self, FromRemote};
use convene_api::remote_groups;
use convene_domain::event::{
    GroupAddress, GroupLink, RemoteAuthor, RemoteOrigin, RemoteParticipant,
};
use convene_domain::EventError;

/// Applies `activity`, signed by `signer` (its actor); what was done, in words.
pub(super) async fn dispatch(
    inbox: &Inbox,
    signer: &RemoteActor,
    activity: &IncomingActivity,
) -> Result<String, Refusal> {
    let from = FromRemote {
        actor: activity.actor.clone(),
        activity: activity.id.clone(),
        request_id: uuid::Uuid::new_v4().to_string(),
    };
    // A group elsewhere relays its own todos to its members here, whatever their origin.
    if let (ActivityKind::Create | ActivityKind::Update, Some(IncomingObject::Todo(todo))) =
        (activity.kind, activity.work.as_deref())
    {
        if signer.kind == "Group" {
            return todos::relayed(inbox, &from, todo).await;
        }
    }
    match activity.kind {
        ActivityKind::Create => match object(inbox, &activity.object).await? {
            IncomingObject::Event(event) => create(inbox, signer, &from, *event).await,
            IncomingObject::Note(note) => comment(inbox, signer, &from, *note).await,
            IncomingObject::Resource(resource) => {
                resources::add(inbox, &from, activity.target.as_deref(), &resource).await
            }
            IncomingObject::TodoList(list) => todos::create_list(inbox, &from, &list).await,
            IncomingObject::Todo(todo) => todos::add(inbox, &from, &todo).await,
            IncomingObject::Tombstone(_) => Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "a Tombstone is not created",
            )),
        },
        // Mobilizon's members add into a folder with an `Add`, its `target` the folder.
        ActivityKind::Add => match object(inbox, &activity.object).await? {
            IncomingObject::Resource(resource) => {
                resources::add(inbox, &from, activity.target.as_deref(), &resource).await
            }
            _ => Err(Refusal::ignored(
                "only a link or a folder is added to a group's resources here",
            )),
        },
        ActivityKind::Move => match activity.work.as_deref() {
            Some(IncomingObject::Resource(resource)) => {
                let place = resource.context.as_deref().or(activity.target.as_deref());
                resources::change(inbox, &from, place, resource).await
            }
            _ => Err(Refusal::ignored(
                "only a group's links and folders are moved here",
            )),
        },
        ActivityKind::Update => match activity.work.as_deref() {
            Some(IncomingObject::Resource(resource)) => {
                let place = resource.context.as_deref();
                resources::change(inbox, &from, place, resource).await
            }
            Some(IncomingObject::Todo(todo)) => todos::change(inbox, &from, todo).await,
            _ => update_object(inbox, signer, &from, &activity.object).await,
        },
        ActivityKind::Delete => delete(inbox, &from, &activity.object).await,
        ActivityKind::Announce => announce(inbox, signer, &from, activity).await,
        ActivityKind::Follow => follow(inbox, signer, &from, &activity.object).await,
        ActivityKind::Undo => undo(inbox, &from, &activity.object).await,
        ActivityKind::Join => join(inbox, signer, &from, activity).await,
        ActivityKind::Leave => leave(inbox, &from, &activity.object).await,
        ActivityKind::Accept | ActivityKind::Reject => {
            answer(inbox, &from, activity.kind, &activity.object).await
        }
        ActivityKind::Invite => members::invite(inbox, &from, activity).await,
        ActivityKind::Remove => members::remove(inbox, &from, activity).await,
        ActivityKind::Flag => flags::flag(inbox, &from, activity).await,
    }
}

/// What an `Update` changes: an actor, a membership, an event.
async fn update_object(
    inbox: &Inbox,
    signer: &RemoteActor,
    from: &FromRemote,
    object: &ObjectRef,
) -> Result<String, Refusal> {
    match object {
        ObjectRef::Actor { id, document, .. } => update_actor(inbox, from, id, document).await,
        ObjectRef::Member(member) => members::update_member(inbox, from, member).await,
        ObjectRef::Id(id) => update_by_id(inbox, signer, from, id).await,
        object => match fetched_or_embedded(inbox, object).await? {
            IncomingObject::Event(event) => update(inbox, signer, from, *event).await,
            _ => Err(Refusal::ignored("only events are updated here")),
        },
    }
}

/// The object of a Create or Update: embedded when it comes from the actor's own origin (the
/// reader kept it), else fetched from its origin.
async fn object(inbox: &Inbox, object: &ObjectRef) -> Result<IncomingObject, Refusal> {
    fetched_or_embedded(inbox, object).await
}

async fn fetched_or_embedded(inbox: &Inbox, object: &ObjectRef) -> Result<IncomingObject, Refusal> {
    match object {
        ObjectRef::Object(object) => Ok(object.clone()),
        ObjectRef::Id(id) => fetch(inbox, id).await,
        ObjectRef::Activity(_) => Err(Refusal::ignored("an activity is not an object here")),
        ObjectRef::Member(_) => Err(Refusal::ignored("a Member is not an object here")),
        ObjectRef::Actor { kind, .. } => Err(Refusal::ignored(format!(
            "{kind} actors are not objects here"
        ))),
    }
}

/// The object `id` as its origin serves it: as ActivityStreams, naming itself `id`.
async fn fetch(inbox: &Inbox, id: &str) -> Result<IncomingObject, Refusal> {
    let document = fetch_document(inbox, id).await?;
    incoming::parse_object(&document).map_err(|ignored| Refusal::from_ignored(&ignored))
}

/// The document `id` as its origin serves it (the client signs the fetch as the instance
/// actor): served as ActivityStreams, naming itself `id`.
async fn fetch_document(inbox: &Inbox, id: &str) -> Result<serde_json::Value, Refusal> {
    // What this instance made is never taken back from elsewhere: a group relaying one of our
    // members' links, or a relay sharing one of our events, has nothing to tell us of it.
    if incoming::values::same_origin(id, &inbox.federation.public_url) {
        return Err(Refusal::ignored(format!(
            "{id} is this instance's own: nothing to take from elsewhere"
        )));
    }
    // Nothing is fetched from a suspended domain, whoever names the object.
    super::not_suspended(inbox, id).await?;
    let unreachable = |reason: String| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            format!("the object {id} cannot be fetched from its origin: {reason}"),
        )
    };
    let fetched = inbox
        .client
        .get_json(id, None)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    if !fetched.is_activity_json() {
        return Err(unreachable("it is not served as ActivityStreams".into()));
    }
    let served_id = fetched.json.get("id").and_then(|v| v.as_str());
    if served_id != Some(id) {
        return Err(unreachable(format!(
            "it names itself {}",
            served_id.unwrap_or("nothing")
        )));
    }
    Ok(fetched.json)
}

/// Where `event` comes from, its organiser named as people write it.
async fn origin_of(
    inbox: &Inbox,
    signer: Option<&RemoteActor>,
    event: &IncomingEvent,
) -> Result<RemoteOrigin, Refusal> {
    let organiser = match signer.filter(|s| s.id.as_str() == event.actor) {
        Some(signer) => signer.clone(),
        None => {
            inbox
                .actors
                .get(&event.actor)
                .await
                .map_err(|error| match error.is_internal() {
                    true => Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
                    false => Refusal::new(
                        StatusCode::BAD_REQUEST,
                        format!("the event's organiser: {error}"),
                    ),
                })?
        }
    };
    Ok(RemoteOrigin {
        object: event.id.clone(),
        actor: event.actor.clone(),
        actor_handle: handle(&organiser),
        actor_name: organiser.name.clone(),
        url: event.url.clone().unwrap_or_else(|| event.id.clone()),
        inbox: Some(organiser.delivery_inbox().to_string()),
    })
}

/// Only the event's organiser creates or updates it; a group's event, the group too (it sends
/// its events to its followers itself, and then stands as the organiser of the copy here, so
/// that its Updates and Deletes are its own).
fn by_organiser(from: &FromRemote, event: &mut IncomingEvent) -> Result<(), Refusal> {
    if event.actor == from.actor {
        Ok(())
    } else if event.attributed_to == from.actor
        && crate::incoming::values::same_origin(&event.id, &event.attributed_to)
    {
        // A group's event lives on the group's instance (as Mobilizon keeps them): a group
        // never vouches for another instance's event.
        event.actor = event.attributed_to.clone();
        Ok(())
    } else {
        Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!(
                "{} is organised by {}, not by {}",
                event.id, event.actor, from.actor
            ),
        ))
    }
}

async fn create(
    inbox: &Inbox,
    signer: &RemoteActor,
    from: &FromRemote,
    mut event: IncomingEvent,
) -> Result<String, Refusal> {
    by_organiser(from, &mut event)?;
    let origin = origin_of(inbox, Some(signer), &event).await?;
    // Made by a member elsewhere for one of our groups, as Mobilizon's members make them.
    let (imported, group) = match super::our_actor(inbox, &event.attributed_to) {
        Some(handle) if event.attributed_to != event.actor => (
            remote_groups::organise_event(&inbox.app, from, &handle, origin, event.details).await,
            format!(" of @{handle}"),
        ),
        // A group's own event for its members only is kept to our members of it.
        _ => {
            let for_members = sent_by_group(signer, &event).filter(|g| g.members_only);
            let group = match &for_members {
                Some(_) => " for the members of its group".to_string(),
                None => String::new(),
            };
            let details = event.details;
            let imported =
                remote_events::import_event(&inbox.app, from, origin, details, for_members).await;
            (imported, group)
        }
    };
    match imported {
        Ok(id) => Ok(format!("imported {} as event {id}{group}", event.id)),
        Err(convene_api::Error::Event(EventError::AlreadyExists)) => {
            Err(Refusal::ignored(format!("{} is already here", event.id)))
        }
        Err(error) => Err(refusal(error)),
    }
}

/// An actor's `Update` of itself (a Person renamed, a Group's settings changed, a key
/// rotated): the cached actor is replaced by the document sent, checked as a fetched one is,
/// and every event here that names the actor records its new name (so pages, the API and a
/// replay of the log agree). An actor speaks only for itself: an `Update` of another actor is
/// refused (403).
async fn update_actor(
    inbox: &Inbox,
    from: &FromRemote,
    id: &str,
    document: &serde_json::Value,
) -> Result<String, Refusal> {
    if id != from.actor {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!(
                "{} cannot update {id}: an actor updates only itself",
                from.actor
            ),
        ));
    }
    let actor = crate::actors::remote::parse(document).map_err(|e| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            format!("the updated actor {id} is refused: {e}"),
        )
    })?;
    refresh_actor(inbox, from, actor).await
}

/// An `Update` naming its object by id alone (Mobilizon and others do so for actors): the
/// document is fetched from its origin. An actor is refreshed only when it lives on the
/// sender's own origin (a server speaks for its own actors); an event is updated as when
/// embedded.
async fn update_by_id(
    inbox: &Inbox,
    signer: &RemoteActor,
    from: &FromRemote,
    id: &str,
) -> Result<String, Refusal> {
    let document = fetch_document(inbox, id).await?;
    let kind = document.get("type").and_then(|t| t.as_str()).unwrap_or("");
    if !crate::actors::remote::ACTOR_TYPES.contains(&kind) {
        return match incoming::parse_object(&document) {
            Ok(IncomingObject::Event(event)) => update(inbox, signer, from, *event).await,
            Ok(_) => Err(Refusal::ignored("only events are updated here")),
            Err(ignored) => Err(Refusal::from_ignored(&ignored)),
        };
    }
    if !crate::incoming::values::same_origin(id, &from.actor) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!(
                "{} cannot update {id}: an actor on another instance speaks for itself",
                from.actor
            ),
        ));
    }
    let actor = crate::actors::remote::parse(&document).map_err(|e| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            format!("the updated actor {id} is refused: {e}"),
        )
    })?;
    refresh_actor(inbox, from, actor).await
}

/// Replaces the cached actor with `actor` (its document as sent or fetched from its origin)
/// and records its new name on the events that name it.
async fn refresh_actor(
    inbox: &Inbox,
    from: &FromRemote,
    actor: RemoteActor,
) -> Result<String, Refusal> {
    let internal =
        |e: &dyn std::fmt::Display| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    let former = inbox
        .actors
        .known(actor.id.as_str())
        .await
        .map_err(|e| internal(&e))?;
    inbox
        .actors
        .refresh(&actor)
        .await
        .map_err(|e| internal(&e))?;
    let handle = handle(&actor);
    let former_handle = former
        .as_ref()
        .map_or_else(|| handle.clone(), super::remote_actors::handle);
    let events = remote_events::describe_actor(
        &inbox.app,
        from,
        actor.id.as_str(),
        &former_handle,
        &handle,
        actor.name.as_deref(),
    )
    .await
    .map_err(refusal)?;
    Ok(format!(
        "refreshed {} {} ({}), named anew in {} event(s)",
        actor.kind,
        actor.id,
        actor.name.as_deref().unwrap_or(&actor.preferred_username),
        events.len()
    ))
}

/// An Update of an event we do not have yet imports it (Mobilizon sends Updates to new
/// followers of events created before).
async fn update(
    inbox: &Inbox,
    signer: &RemoteActor,
    from: &FromRemote,
    event: IncomingEvent,
) -> Result<String, Refusal> {
    let details = event.details.clone();
    let group = sent_by_group(signer, &event);
    match remote_events::update_event(&inbox.app, from, &event.id, details, group).await {
        Ok(id) => Ok(format!("updated event {id} from {}", event.id)),
        Err(convene_api::Error::Event(EventError::NotFound)) => {
            create(inbox, signer, from, event).await
        }
        Err(error) => Err(refusal(error)),
    }
}

async fn delete(inbox: &Inbox, from: &FromRemote, object: &ObjectRef) -> Result<String, Refusal> {
    let id = match object {
        ObjectRef::Id(id) => id.clone(),
        ObjectRef::Object(IncomingObject::Tombstone(tombstone)) => tombstone.id.clone(),
        ObjectRef::Object(IncomingObject::Event(event)) => event.id.clone(),
        ObjectRef::Object(IncomingObject::Note(note)) => note.id.clone(),
        ObjectRef::Object(IncomingObject::Resource(resource)) => resource.id.clone(),
        ObjectRef::Object(IncomingObject::TodoList(list)) => list.id.clone(),
        ObjectRef::Object(IncomingObject::Todo(todo)) => todo.id.clone(),
        ObjectRef::Actor { id, .. } => {
            return Err(Refusal::ignored(format!(
                "deletions of actors ({id}) are not handled yet"
            )))
        }
        ObjectRef::Activity(_) => return Err(Refusal::ignored("an activity is not deleted")),
        ObjectRef::Member(_) => {
            return Err(Refusal::ignored(
                "a membership ends with a Leave or a Remove, not a Delete",
            ))
        }
    };
    if let Some(done) = discussions::deleted(inbox, from, &id).await? {
        return Ok(done);
    }
    if let Some(done) = resources::deleted(inbox, from, &id).await? {
        return Ok(done);
    }
    if let Some(done) = todos::deleted(inbox, from, &id).await? {
        return Ok(done);
    }
    match remote_events::delete_event(&inbox.app, from, &id).await {
        Ok(event) => Ok(format!("deleted event {event} ({id})")),
        Err(convene_api::Error::Event(EventError::NotFound)) => {
            Err(Refusal::ignored(format!("nothing here is {id}")))
        }
        Err(error) => Err(refusal(error)),
    }
}

/// A relay or a group shares an event: believed only as fetched from its origin, and recorded
/// (or, when here already, brought up to date) as its own organiser's — and as the group's when
/// the group announcing it is the one it is attributed to (a member made it for the group
/// elsewhere). A group relays a comment of its discussions: [`discussions::relayed`].
async fn announce(
    inbox: &Inbox,
    signer: &RemoteActor,
    from: &FromRemote,
    activity: &IncomingActivity,
) -> Result<String, Refusal> {
    if let Some(note) = &activity.relayed {
        return discussions::relayed(inbox, from, note).await;
    }
    let id = match &activity.object {
        ObjectRef::Id(id) => id.clone(),
        ObjectRef::Object(IncomingObject::Event(event)) => event.id.clone(),
        _ => return Err(Refusal::ignored("only announced events are taken")),
    };
    let IncomingObject::Event(event) = fetch(inbox, &id).await? else {
        return Err(Refusal::ignored(format!("{id} is not an event")));
    };
    let origin = origin_of(inbox, None, &event).await?;
    let group = vouched_by(signer, &event);
    let details = event.details.clone();
    match remote_events::import_event(&inbox.app, from, origin, details, group).await {
        Ok(event) => Ok(format!("imported announced {id} as event {event}")),
        // Announced again (a group relays each change its member made): what its origin now
        // serves is its organiser's word.
        Err(convene_api::Error::Event(EventError::AlreadyExists)) => {
            let as_organiser = FromRemote {
                actor: event.actor.clone(),
                ..from.clone()
            };
            remote_events::update_event(&inbox.app, &as_organiser, &id, event.details, None)
                .await
                .map_err(refusal)?;
            Ok(format!(
                "{id} is here: brought up to date as its origin serves it"
            ))
        }
        Err(error) => Err(refusal(error)),
    }
}

/// The group elsewhere that `signer` is, when it announces an event one of its members made
/// for it (`attributedTo` the group, organised by another actor): only the group vouches so.
fn vouched_by(signer: &RemoteActor, event: &IncomingEvent) -> Option<GroupLink> {
    let group = signer.id.as_str();
    (signer.kind == "Group" && event.attributed_to == group && event.actor != group)
        .then(|| link_to(signer, false))
}

/// The link of an event the group `signer` sends as its own (attributed to it: the group then
/// stands as its organiser here), for its members only when addressed to them alone.
fn sent_by_group(signer: &RemoteActor, event: &IncomingEvent) -> Option<GroupLink> {
    (signer.kind == "Group" && event.attributed_to == signer.id.as_str())
        .then(|| link_to(signer, event.for_members))
}

/// A link to the group elsewhere `group`.
fn link_to(group: &RemoteActor, members_only: bool) -> GroupLink {
    GroupLink {
        handle: handle(group),
        members_only,
        hide_organiser: false,
        elsewhere: Some(GroupAddress {
            actor: group.id.to_string(),
            inbox: group.delivery_inbox().to_string(),
        }),
    }
}

/// A reply to one of our events or its comments, by the actor who wrote it.
async fn comment(
    inbox: &Inbox,
    signer: &RemoteActor,
    from: &FromRemote,
    note: IncomingNote,
) -> Result<String, Refusal> {
    if note.attributed_to != from.actor {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!(
                "{} is written by {}, not by {}",
                note.id, note.attributed_to, from.actor
            ),
        ));
    }
    let in_discussion = note.context.as_deref().unwrap_or(&note.in_reply_to);
    if let Some(discussion) = discussions::ours(inbox, in_discussion) {
        return discussions::comment(inbox, from, discussion, &note).await;
    }
    let author = RemoteAuthor {
        actor: from.actor.clone(),
        handle: handle(signer),
        note: note.id.clone(),
    };
    let posted = remote_events::post_comment(
        &inbox.app,
        from,
        author,
        &note.in_reply_to,
        &note.content,
        &note.mentions,
    )
    .await;
    match posted {
        Ok((event, comment)) => Ok(format!(
            "comment {comment} on event {event} from {}",
            note.id
        )),
        Err(convene_api::Error::Event(EventError::AlreadyExists)) => {
            Err(Refusal::ignored(format!("{} is already here", note.id)))
        }
        // Replies in conversations Convene has no part in are common: not an error.
        Err(convene_api::Error::NotFound(reason)) => Err(Refusal::ignored(reason)),
        Err(error) => Err(refusal(error)),
    }
}

/// The local profile whose actor id is `id` (`{public_url}/@name`), if it is one.
pub(super) fn local_profile(inbox: &Inbox, id: &str) -> Option<String> {
    let prefix = format!("{}/@", inbox.federation.public_url);
    id.strip_prefix(&prefix)
        .filter(|name| !name.is_empty() && !name.contains(['/', '?', '#']))
        .map(str::to_string)
}

/// Whether `id` is this instance's own actor (`/relay`).
fn is_instance_actor(inbox: &Inbox, id: &str) -> bool {
    id == crate::actors::local::instance_actor_id(&inbox.federation.public_url)
}

/// Whether the local name `@name` is a group's (groups and profiles share names).
pub(super) async fn is_group(inbox: &Inbox, name: &str) -> Result<bool, Refusal> {
    convene_projections::groups::find(inbox.federation.db.pool(), name)
        .await
        .map(|found| found.is_some())
        .map_err(|e| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// The local group an activity's object names (by id, or embedded as an actor), if it does.
pub(super) async fn local_group(
    inbox: &Inbox,
    object: &ObjectRef,
) -> Result<Option<String>, Refusal> {
    let Some(name) = named_actor(object).and_then(|id| local_profile(inbox, id)) else {
        return Ok(None);
    };
    Ok(is_group(inbox, &name).await?.then_some(name))
}

/// The actor id an activity's object names.
pub(super) fn named_actor(object: &ObjectRef) -> Option<&str> {
    match object {
        ObjectRef::Id(id) | ObjectRef::Actor { id, .. } => Some(id),
        _ => None,
    }
}

/// `Follow` of a local profile (which accepts every follower) or group (which may approve
/// its followers first).
async fn follow(
    inbox: &Inbox,
    signer: &RemoteActor,
    from: &FromRemote,
    object: &ObjectRef,
) -> Result<String, Refusal> {
    let target = named_actor(object)
        .ok_or_else(|| Refusal::ignored("a Follow names the actor it follows"))?;
    if is_instance_actor(inbox, target) {
        let inbox_url = signer.delivery_inbox().to_string();
        return match instance_follows::follower_added(&inbox.app, from, &inbox_url).await {
            Ok(()) => Ok(format!("{} follows this instance", from.actor)),
            Err(error) => Err(refusal(error)),
        };
    }
    let Some(profile) = local_profile(inbox, target) else {
        return Err(Refusal::ignored(format!(
            "follows of {target} are not handled here (only local profiles and groups are followed)"
        )));
    };
    if is_group(inbox, &profile).await? {
        return match remote_groups::follow(&inbox.app, from, &profile).await {
            Ok(state) => Ok(format!(
                "{} follows group @{profile}: {}",
                from.actor,
                state.as_str()
            )),
            Err(error) => Err(refusal(error)),
        };
    }
    let follower = follows::RemoteFollower {
        actor: signer.id.to_string(),
        inbox: signer.inbox.to_string(),
        shared_inbox: signer.shared_inbox.as_ref().map(|u| u.to_string()),
    };
    match follows::add_follower(
        &inbox.app,
        &from.origin(),
        &profile,
        follower,
        &from.activity,
    )
    .await
    {
        Ok(()) => Ok(format!("{} follows @{profile}", from.actor)),
        Err(error) => Err(refusal(error)),
    }
}

/// The `Follow` an `Undo`, `Accept` or `Reject` is about: it must be embedded, since only its
/// `actor` and `object` say which follow it answers.
fn embedded_follow(object: &ObjectRef) -> Option<&IncomingActivity> {
    match object {
        ObjectRef::Activity(inner) if inner.kind == ActivityKind::Follow => Some(inner),
        _ => None,
    }
}

/// The id of the event a `Join` or `Leave` is about: named, or embedded.
fn event_named(object: &ObjectRef) -> Option<&str> {
    match object {
        ObjectRef::Id(id) => Some(id),
        ObjectRef::Object(IncomingObject::Event(event)) => Some(&event.id),
        _ => None,
    }
}

/// `Join` of one of our events or groups: the signer takes part, or becomes a member (or asks
/// to), by the same rules as a local profile.
async fn join(
    inbox: &Inbox,
    signer: &RemoteActor,
    from: &FromRemote,
    activity: &IncomingActivity,
) -> Result<String, Refusal> {
    if let Some(group) = local_group(inbox, &activity.object).await? {
        let joined = remote_groups::join(
            &inbox.app,
            from,
            &group,
            activity.participation_message.clone(),
        )
        .await;
        return match joined {
            Ok(role) => Ok(format!(
                "{} joined group @{group}: {}",
                from.actor,
                role.as_str()
            )),
            Err(error) => Err(refusal(error)),
        };
    }
    let event = event_named(&activity.object)
        .ok_or_else(|| Refusal::ignored("a Join names the event or group it joins"))?;
    let who = RemoteParticipant {
        actor: signer.id.to_string(),
        handle: handle(signer),
        inbox: signer.inbox.to_string(),
        join: activity.id.clone(),
    };
    let joined = remote_events::join(
        &inbox.app,
        from,
        event,
        who,
        activity.participation_message.clone(),
    )
    .await;
    match joined {
        Ok((event, state)) => Ok(format!(
            "{} joined event {event}: {}",
            from.actor,
            state.as_str()
        )),
        Err(error) => Err(refusal(error)),
    }
}

/// `Leave` of one of our events by its remote participant, or of one of our groups by its
/// remote member.
async fn leave(inbox: &Inbox, from: &FromRemote, object: &ObjectRef) -> Result<String, Refusal> {
    if let Some(group) = local_group(inbox, object).await? {
        return match remote_groups::leave(&inbox.app, from, &group).await {
            Ok(()) => Ok(format!("{} left group @{group}", from.actor)),
            Err(error) => Err(refusal(error)),
        };
    }
    let event = event_named(object)
        .ok_or_else(|| Refusal::ignored("a Leave names the event or group it leaves"))?;
    match remote_events::leave(&inbox.app, from, event).await {
        Ok(event) => Ok(format!("{} left event {event}", from.actor)),
        Err(error) => Err(refusal(error)),
    }
}

/// `Undo` of a `Follow` or a `Join` by its own actor: it no longer follows the local profile, or
/// no longer takes part.
async fn undo(inbox: &Inbox, from: &FromRemote, object: &ObjectRef) -> Result<String, Refusal> {
    if let ObjectRef::Activity(inner) = object {
        if inner.kind == ActivityKind::Join {
            if inner.actor != from.actor {
                return Err(Refusal::new(
                    StatusCode::FORBIDDEN,
                    "only the actor of a Join undoes it",
                ));
            }
            return leave(inbox, from, &inner.object).await;
        }
    }
    let Some(follow) = embedded_follow(object) else {
        return Err(Refusal::ignored(
            "only an Undo of an embedded Follow or Join is handled yet",
        ));
    };
    if follow.actor != from.actor {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "only the actor of a Follow undoes it",
        ));
    }
    if named_actor(&follow.object).is_some_and(|id| is_instance_actor(inbox, id)) {
        return match instance_follows::follower_removed(&inbox.app, from).await {
            Ok(()) => Ok(format!("{} no longer follows this instance", from.actor)),
            Err(error) => Err(refusal(error)),
        };
    }
    let Some(profile) = named_actor(&follow.object).and_then(|id| local_profile(inbox, id)) else {
        return Err(Refusal::ignored(
            "the Follow undone is not of a local profile or group",
        ));
    };
    if is_group(inbox, &profile).await? {
        return match remote_groups::unfollow(&inbox.app, from, &profile).await {
            Ok(()) => Ok(format!("{} no longer follows group @{profile}", from.actor)),
            Err(error) => Err(refusal(error)),
        };
    }
    match follows::remove_follower(&inbox.app, &from.origin(), &profile, &from.actor).await {
        Ok(()) => Ok(format!("{} no longer follows @{profile}", from.actor)),
        Err(error) => Err(refusal(error)),
    }
}

/// `Accept` or `Reject` of a local profile's `Follow`, by the actor it asked to follow.
async fn answer(
    inbox: &Inbox,
    from: &FromRemote,
    kind: ActivityKind,
    object: &ObjectRef,
) -> Result<String, Refusal> {
    if let ObjectRef::Activity(join) = object {
        if join.kind == ActivityKind::Join {
            return answer_join(inbox, from, kind, join).await;
        }
    }
    if let Some(group) = members::invited_to(inbox, object) {
        return members::answer_invite(inbox, from, kind, &group).await;
    }
    let Some(follow) = embedded_follow(object) else {
        return Err(Refusal::ignored(format!(
            "only a {} of an embedded Follow or Join is handled yet",
            kind.name()
        )));
    };
    if named_actor(&follow.object) != Some(from.actor.as_str()) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "only the actor followed answers a Follow",
        ));
    }
    let accepted = kind == ActivityKind::Accept;
    if is_instance_actor(inbox, &follow.actor) {
        return match instance_follows::answered(&inbox.app, from, accepted).await {
            Ok(()) => Ok(format!(
                "{} answered this instance's Follow: {}",
                from.actor,
                kind.name()
            )),
            Err(error) => Err(refusal(error)),
        };
    }
    let Some(profile) = local_profile(inbox, &follow.actor) else {
        return Err(Refusal::ignored(
            "the Follow answered is not of a local profile",
        ));
    };
    let origin = from.origin();
    let answered = if accepted {
        follows::follow_accepted(&inbox.app, &origin, &profile, &from.actor).await
    } else {
        follows::follow_rejected(&inbox.app, &origin, &profile, &from.actor).await
    };
    match answered {
        Ok(()) => Ok(format!(
            "{} answered @{profile}'s Follow: {}",
            from.actor,
            kind.name()
        )),
        Err(error) => Err(refusal(error)),
    }
}

/// `Accept` or `Reject` of a local profile's `Join` of an event on the answering instance, or
/// of the answering group itself.
async fn answer_join(
    inbox: &Inbox,
    from: &FromRemote,
    kind: ActivityKind,
    join: &IncomingActivity,
) -> Result<String, Refusal> {
    let Some(profile) = local_profile(inbox, &join.actor) else {
        return Err(Refusal::ignored(
            "the Join answered is not of a local profile",
        ));
    };
    let accepted = kind == ActivityKind::Accept;
    // Only the group joined answers for itself.
    if named_actor(&join.object) == Some(from.actor.as_str()) {
        return match groups_elsewhere::join_answered(&inbox.app, from, &profile, accepted).await {
            Ok(()) => Ok(format!(
                "{} answered @{profile}'s Join: {}",
                from.actor,
                kind.name()
            )),
            Err(error) => Err(refusal(error)),
        };
    }
    let event = event_named(&join.object)
        .ok_or_else(|| Refusal::ignored("the Join answered names no event"))?;
    match remote_events::answer_join(&inbox.app, from, event, &profile, accepted).await {
        Ok(id) => Ok(format!(
            "{} answered @{profile}'s Join of event {id}: {}",
            from.actor,
            kind.name()
        )),
        Err(error) => Err(refusal(error)),
    }
}

/// A use case's refusal as the inbox answers it.
pub(super) fn refusal(error: convene_api::Error) -> Refusal {
    let status = match error.class() {
        Class::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        Class::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Class::NotFound => StatusCode::NOT_FOUND,
        Class::Forbidden | Class::Unauthenticated => StatusCode::FORBIDDEN,
        Class::Conflict => StatusCode::CONFLICT,
        Class::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Class::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Class::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    };
    // The fields at fault, each with what to fix, say more than "some fields are invalid".
    let fields: Vec<String> = error
        .field_errors()
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect();
    let reason = match fields.is_empty() {
        true => format!("{}: {error}", error.rule()),
        false => format!("{}: {error} ({})", error.rule(), fields.join("; ")),
    };
    Refusal::new(status, reason)
}
