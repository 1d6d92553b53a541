//! Events organised on other instances, as the ActivityPub inbox receives them: imported,
//! updated and deleted by their remote organiser. Every change names the remote actor that sent
//! the activity and the activity's id.

use crate::consistency::{self, Reads};
use crate::error::Error;
use crate::error::Result;
use crate::AppState;
use convene_domain::event::details::Visibility;
use convene_domain::event::{
    EventDetails, GroupLink, ParticipantState, RemoteAuthor, RemoteOrigin, RemoteParticipant,
};
use convene_domain::{Actor, EventCommand, Metadata, Source};
use convene_projections::events;
use convene_projections::read_model::EVENTS;
use sha2::{Digest, Sha256};

/// What remote event use cases read back after their commands.
pub const READS: Reads = &[EVENTS];

/// Who sent an activity, and which: the metadata of every change it causes.
#[derive(Debug, Clone)]
pub struct FromRemote {
    /// The activity's `actor`, whose signature the inbox verified.
    pub actor: String,
    /// The activity's id.
    pub activity: String,
    pub request_id: String,
}

impl FromRemote {
    /// Where the change comes from: the activity, through the inbox.
    pub fn origin(&self) -> crate::auth::Origin {
        crate::auth::Origin::new(
            Source::Federation {
                activity: self.activity.clone(),
            },
            &self.request_id,
            None,
        )
    }

    pub fn metadata(&self) -> Metadata {
        Metadata::now(
            Actor::Remote {
                actor: self.actor.clone(),
            },
            Source::Federation {
                activity: self.activity.clone(),
            },
            &self.request_id,
        )
    }
}

/// The id of the event aggregate holding the remote Event `object`: derived from the object's
/// id, so a resent Create or an Announce of a known event finds the same aggregate.
pub fn event_id(object: &str) -> String {
    derived_id("event", object)
}

/// The id of the comment holding the remote Note `note`, derived the same way.
pub fn comment_id(note: &str) -> String {
    derived_id("comment", note)
}

/// An aggregate id derived from a remote object's id (the same object, the same aggregate).
pub(crate) fn derived_id(kind: &str, object: &str) -> String {
    let digest = Sha256::digest(format!("{kind}\n{object}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

async fn run(state: &AppState, from: &FromRemote, id: &str, command: EventCommand) -> Result<i64> {
    consistency::command(state, &state.events, id, command, &from.metadata(), READS).await
}

/// Records the event `origin.object`, described by `details` (held to the local rules), as
/// `group`'s when one organises it (the caller checked the group vouches for it). A second
/// import of one object is refused (`already-exists`). Returns the event's id.
pub async fn import_event(
    state: &AppState,
    from: &FromRemote,
    origin: RemoteOrigin,
    details: EventDetails,
    group: Option<GroupLink>,
) -> Result<String> {
    let id = event_id(&origin.object);
    let command = EventCommand::Import {
        origin,
        details,
        group,
    };
    run(state, from, &id, command).await?;
    Ok(id)
}

/// The remote event `object` as its organiser now describes it, and for a group's own event,
/// `group`, its link as the group sends it (for its members only, or not). Only that organiser
/// may (`not-organiser` otherwise); an unknown event is `not-found`.
pub async fn update_event(
    state: &AppState,
    from: &FromRemote,
    object: &str,
    details: EventDetails,
    group: Option<GroupLink>,
) -> Result<String> {
    let id = event_id(object);
    let command = EventCommand::UpdateRemote {
        actor: from.actor.clone(),
        details,
        group,
    };
    run(state, from, &id, command).await?;
    Ok(id)
}

/// How remote `actor` now describes itself (its `Update`), carried to every event here that
/// names it: events it organises, takes part in or commented on (by `former_handle`). Each
/// event records the change only when it names the actor otherwise. Returns the events that
/// name it.
pub async fn describe_actor(
    state: &AppState,
    from: &FromRemote,
    actor: &str,
    former_handle: &str,
    handle: &str,
    name: Option<&str>,
) -> Result<Vec<String>> {
    let naming = events::naming_remote_actor(state.db.pool(), actor, former_handle).await?;
    for id in &naming {
        let command = EventCommand::DescribeRemoteActor {
            actor: actor.to_string(),
            former_handle: former_handle.to_string(),
            handle: handle.to_string(),
            name: name.map(str::to_string),
        };
        run(state, from, id, command).await?;
    }
    Ok(naming)
}

/// A remote Note replying to `in_reply_to`: one of our events (`{public_url}/events/{id}`),
/// one of its comments (`{public_url}/comments/{id}`), a remote comment we hold, or a remote
/// event we hold a copy of (whose comments come from its own instance only). Only published
/// public or unlisted events take comments from other instances. `mentions` are the actors
/// its `Mention` tags name: those that are profiles here are recorded with it, for the
/// notifications. Returns the event's id and the comment's.
pub async fn post_comment(
    state: &AppState,
    from: &FromRemote,
    author: RemoteAuthor,
    in_reply_to: &str,
    body: &str,
    mentions: &[String],
) -> Result<(String, String)> {
    let base = state.config.public_url.trim_end_matches('/');
    let pool = state.db.pool();
    let nothing = || Error::NotFound(format!("{in_reply_to} is nothing here to reply to"));
    let (event, parent) = match in_reply_to.strip_prefix(&format!("{base}/events/")) {
        Some(event) => (event.to_string(), None),
        None => {
            let parent = in_reply_to
                .strip_prefix(&format!("{base}/comments/"))
                .map_or_else(|| comment_id(in_reply_to), str::to_string);
            match events::comment(pool, &parent).await? {
                Some(comment) => (comment.event_id, Some(parent)),
                // A reply to another instance's event we hold a copy of.
                None => (event_id(in_reply_to), None),
            }
        }
    };
    let view = events::find(pool, &event).await?.ok_or_else(nothing)?;
    if view.draft || view.details.visibility == Visibility::Private {
        return Err(nothing());
    }
    if !may_reply_to_members_only(state, &view, &author.actor).await? {
        return Err(nothing());
    }
    let comment = comment_id(&author.note);
    let command = EventCommand::PostRemoteComment {
        comment: comment.clone(),
        author,
        in_reply_to: parent,
        body: body.to_string(),
        // The actors it mentions that are profiles here (`{public_url}/@name`).
        mentions: mentions
            .iter()
            .filter_map(|actor| actor.strip_prefix(&format!("{base}/@")))
            .filter(|name| !name.is_empty() && !name.contains(['/', '?', '#', '@']))
            .map(str::to_string)
            .collect(),
    };
    run(state, from, &event, command).await?;
    Ok((event, comment))
}

/// Whether remote `actor` may reply to `event`: to what a group keeps to its members, only they
/// do — our group's remote members, checked here; for a group elsewhere, actors of the event's
/// own instance, which checked them.
async fn may_reply_to_members_only(
    state: &AppState,
    event: &events::EventView,
    actor: &str,
) -> Result<bool> {
    let Some(group) = event.group.as_ref().filter(|g| g.members_only) else {
        return Ok(true);
    };
    if crate::groups::is_elsewhere(&group.handle) {
        let origin = event.origin.as_ref().map(|o| o.object.as_str());
        return Ok(origin.is_some_and(|o| {
            convene_projections::domains::host_of_url(o)
                == convene_projections::domains::host_of_url(actor)
        }));
    }
    let who = convene_domain::GroupActor::Remote(actor.to_string());
    let membership = convene_projections::groups::membership(state.db.pool(), &group.handle, &who);
    Ok(membership.await?.is_some_and(|m| m.role.is_member()))
}

/// The id of our event at `url` (`{public_url}/events/{id}`), or not-found.
fn local_event(state: &AppState, url: &str) -> Result<String> {
    let base = state.config.public_url.trim_end_matches('/');
    url.strip_prefix(&format!("{base}/events/"))
        .filter(|id| !id.is_empty() && !id.contains(['/', '?', '#']))
        .map(str::to_string)
        .ok_or_else(|| Error::not_found(format!("{url} is no event of this instance")))
}

/// A `Join` of our event at `event_url` by someone on another instance: a participation with the
/// same rules as a local profile's (approval, seats, the waitlist). Returns the event's id and
/// the participation's state.
pub async fn join(
    state: &AppState,
    from: &FromRemote,
    event_url: &str,
    who: RemoteParticipant,
    message: Option<String>,
) -> Result<(String, ParticipantState)> {
    let event = local_event(state, event_url)?;
    // What a stranger here may not see (members only, a suspended organiser's, removed), one
    // from elsewhere may not join: it is not found.
    crate::access::visible(state, crate::access::Viewer::default(), &event).await?;
    let participation = derived_id("participation", &who.join);
    let command = EventCommand::JoinRemote {
        participation: participation.clone(),
        who,
        message,
    };
    run(state, from, &event, command).await?;
    let joined = events::participation(state.db.pool(), &event, &participation)
        .await?
        .ok_or_else(|| Error::internal("a participation just recorded is not in the read model"))?;
    Ok((event, joined.state))
}

/// A `Leave` of our event at `event_url` (or the `Undo` of a `Join`) by its remote participant.
pub async fn leave(state: &AppState, from: &FromRemote, event_url: &str) -> Result<String> {
    let event = local_event(state, event_url)?;
    let command = EventCommand::LeaveRemote {
        actor: from.actor.clone(),
    };
    run(state, from, &event, command).await?;
    Ok(event)
}

/// The answer of the remote event `object`'s instance to `profile`'s `Join`: accepted, the
/// profile takes part; refused, it does not. Returns the event's id.
pub async fn answer_join(
    state: &AppState,
    from: &FromRemote,
    object: &str,
    profile: &str,
    accepted: bool,
) -> Result<String> {
    let id = event_id(object);
    let command = EventCommand::AnswerRemoteJoin {
        actor: from.actor.clone(),
        profile: profile.to_string(),
        accepted,
    };
    run(state, from, &id, command).await?;
    Ok(id)
}

/// Deletes the remote event `object`, when its organiser asks.
pub async fn delete_event(state: &AppState, from: &FromRemote, object: &str) -> Result<String> {
    let id = event_id(object);
    let command = EventCommand::DeleteRemote {
        actor: from.actor.clone(),
    };
    run(state, from, &id, command).await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::event_id;

    #[test]
    fn an_object_always_maps_to_the_same_event_and_two_objects_to_two() {
        let a = event_id("https://mobilizon.example/events/1");
        assert_eq!(a, event_id("https://mobilizon.example/events/1"));
        assert_ne!(a, event_id("https://mobilizon.example/events/2"));
        assert!(uuid::Uuid::parse_str(&a).is_ok());
        let note = super::comment_id("https://mobilizon.example/events/1");
        assert_ne!(a, note, "a comment and an event never share an id");
    }
}
