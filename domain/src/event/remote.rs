//! Events organised on another instance and received over ActivityPub. They are `Event`
//! aggregates like local ones, marked with their origin: only the remote actor that organises
//! one may change or delete it, and nobody here organises it.

use super::details::{EventDetails, EventStatus};
use super::{Event, EventChange, EventError, GroupLink, Participant, ParticipantState};
use serde::{Deserialize, Serialize};

/// Where a remote event comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemoteOrigin {
    /// The ActivityPub id of the Event object.
    pub object: String,
    /// The ActivityPub id of the actor organising it: the only one who may change it.
    pub actor: String,
    /// The organiser as people write it: `name@host`.
    pub actor_handle: String,
    /// The organiser's display name, when it has one.
    #[serde(default)]
    pub actor_name: Option<String>,
    /// The event's page on its own instance (the object's `url`, else its id).
    pub url: String,
    /// Where the organiser's instance takes activities (a `Join` of the event): recorded at
    /// import; absent from events imported before it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox: Option<String>,
}

/// Someone on another instance who wrote a comment (a reply from Mastodon, a Mobilizon
/// comment), as comments and their read models name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemoteAuthor {
    /// The ActivityPub id of the actor.
    pub actor: String,
    /// `name@host`.
    pub handle: String,
    /// The ActivityPub id of the Note.
    pub note: String,
}

/// The host (and port) of an actor or object id.
fn host_of(id: &str) -> Option<String> {
    let url = url::Url::parse(id).ok()?;
    Some(format!(
        "{}:{}",
        url.host_str()?,
        url.port_or_known_default()?
    ))
}

impl RemoteOrigin {
    /// The host the event comes from, as shown ("on mobilizon.example").
    pub fn host(&self) -> &str {
        self.actor_handle
            .rsplit_once('@')
            .map_or(self.actor_handle.as_str(), |(_, host)| host)
    }
}

impl Event {
    /// The origin of a remote event; `None` for a local one.
    pub fn origin(&self) -> Option<&RemoteOrigin> {
        self.origin.as_ref()
    }

    /// The remote actor that organises this event, or why `actor` may not act on it.
    fn require_origin_actor(&self, actor: &str) -> Result<&RemoteOrigin, EventError> {
        match &self.origin {
            Some(origin) if origin.actor == actor => Ok(origin),
            _ => Err(EventError::NotOrganiser),
        }
    }

    /// Local commands that would change who takes part in or organises a remote event are
    /// refused: that is decided on its own instance.
    /// The organiser answered `profile`'s `Join`: `actor` must be the event's organiser. Accepted, the profile takes part (the seats are counted there); refused, it
    /// does not.
    pub(super) fn answer_remote_join(
        &self,
        actor: &str,
        profile: &str,
        accepted: bool,
    ) -> Result<Vec<EventChange>, EventError> {
        let origin = self.origin.as_ref().ok_or(EventError::NotFound)?;
        // Only the organiser answers: anyone else on its instance could accept or refuse for it.
        if actor != origin.actor {
            return Err(EventError::NotOrganiser);
        }
        self.live()?;
        let found = self
            .of_profile(profile)
            .ok_or_else(|| EventError::NotParticipating(profile.to_string()))?;
        let participation = found.id.clone();
        Ok(match (accepted, found.state) {
            (true, ParticipantState::Participant) | (false, ParticipantState::Rejected) => vec![],
            (true, _) => vec![EventChange::Approved {
                participation,
                state: ParticipantState::Participant,
            }],
            (false, _) => vec![EventChange::Rejected { participation }],
        })
    }

    pub(super) fn require_local(&self) -> Result<(), EventError> {
        if self.origin.is_some() {
            return Err(EventError::Remote);
        }
        Ok(())
    }

    pub(super) fn import(
        &self,
        origin: RemoteOrigin,
        details: EventDetails,
        group: Option<GroupLink>,
    ) -> Result<Vec<EventChange>, EventError> {
        if self.details.is_some() || self.deleted {
            return Err(EventError::AlreadyExists);
        }
        let details = details.validate().map_err(EventError::Invalid)?;
        let mut changes = vec![EventChange::Imported { origin, details }];
        changes.extend(group.map(|group| EventChange::OrganisedByGroup { group }));
        Ok(changes)
    }

    /// The whole details as the organiser's instance now describes them. A cancellation is its
    /// own change, as for local events. A group sending its own event says whether it is for
    /// its members only (`group`): an event it opens to everyone, or keeps to its members from
    /// now on, changes its link here ([`EventChange::GroupOptionsChanged`]).
    pub(super) fn update_remote(
        &self,
        actor: &str,
        details: EventDetails,
        group: Option<GroupLink>,
    ) -> Result<Vec<EventChange>, EventError> {
        let current = self.live()?.clone();
        self.require_origin_actor(actor)?;
        let mut details = details.validate().map_err(EventError::Invalid)?;
        let cancels =
            details.status == EventStatus::Cancelled && current.status != EventStatus::Cancelled;
        if cancels {
            details.status = current.status;
        }
        let mut changes = vec![];
        if details != current {
            let fields = changed_fields(&current, &details);
            changes.push(EventChange::Updated { details, fields });
        }
        if cancels {
            changes.push(EventChange::Cancelled);
        }
        let regrouped = match (&self.group, group) {
            (Some(current), Some(group)) if *current != group => Some(group),
            (None, Some(group)) if group.members_only => Some(group),
            _ => None,
        };
        changes.extend(regrouped.map(|group| EventChange::GroupOptionsChanged { group }));
        Ok(changes)
    }

    /// A reply from another instance to this (local, published) event or one of its comments,
    /// held to the local comment rules. A Note is posted once.
    pub(super) fn post_remote_comment(
        &self,
        comment: String,
        author: RemoteAuthor,
        in_reply_to: Option<String>,
        body: &str,
        mentions: Vec<String>,
    ) -> Result<Vec<EventChange>, EventError> {
        // A copy of another instance's event shows the comments its instance relays, and
        // only those: anyone else comments there.
        if let Some(origin) = &self.origin {
            if host_of(&author.actor) != host_of(&origin.object) {
                return Err(EventError::Remote);
            }
        }
        let details = self.live()?;
        if self.draft {
            return Err(EventError::Draft);
        }
        if !details.options.comments_open || self.moderation.comments_closed {
            return Err(EventError::CommentsClosed);
        }
        if self.comments.iter().any(|c| c.id == comment) {
            return Err(EventError::AlreadyExists);
        }
        if let Some(parent) = &in_reply_to {
            self.comment(parent)?;
        }
        let body =
            super::checked_comment(body).map_err(|message| super::invalid("body", message))?;
        // Names that are no username here are dropped; a comment naming more than the limit
        // names none of the rest.
        let mut named: Vec<String> = Vec::new();
        for name in mentions {
            let name = name.to_ascii_lowercase();
            if crate::profile::validate_username(&name).is_ok() && !named.contains(&name) {
                named.push(name);
            }
        }
        named.truncate(super::REMOTE_MENTIONS_MAX);
        Ok(vec![EventChange::RemoteCommentPosted {
            comment,
            author,
            in_reply_to,
            body,
            mentions: named,
        }])
    }

    /// What the event records of remote `actor` that its new description changes: nothing when
    /// the event does not name it, or names it as it now is (an `Update` seen twice, a rename
    /// that leaves the handle when only comments name it).
    pub(super) fn describe_remote_actor(
        &self,
        actor: String,
        former_handle: String,
        handle: String,
        name: Option<String>,
    ) -> Vec<EventChange> {
        if self.deleted {
            return vec![];
        }
        let organiser = self
            .origin
            .as_ref()
            .filter(|o| o.actor == actor)
            .is_some_and(|o| o.actor_handle != handle || o.actor_name != name);
        let participant = self
            .participations
            .of_remote(&actor)
            .is_some_and(|p| matches!(&p.who, Participant::Remote(r) if r.handle != handle));
        let commenter = former_handle != handle
            && former_handle.contains('@')
            && self.comments.iter().any(|c| c.author == former_handle);
        if !(organiser || participant || commenter) {
            return vec![];
        }
        vec![EventChange::RemoteActorDescribed {
            actor,
            former_handle,
            handle,
            name,
        }]
    }

    /// Applies `RemoteActorDescribed` (idempotent: applying it twice is applying it once).
    pub(super) fn remote_actor_described(
        &mut self,
        actor: &str,
        former_handle: &str,
        handle: &str,
        name: Option<String>,
    ) {
        if let Some(origin) = self.origin.as_mut().filter(|o| o.actor == actor) {
            origin.actor_handle = handle.to_string();
            origin.actor_name = name;
        }
        self.participations.rename_remote(actor, handle);
        // Local authors are usernames, never `name@host`: only remote comments match.
        if former_handle.contains('@') {
            for comment in &mut self.comments {
                if comment.author == former_handle {
                    comment.author = handle.to_string();
                }
            }
        }
    }

    pub(super) fn delete_remote(&self, actor: &str) -> Result<Vec<EventChange>, EventError> {
        self.live()?;
        self.require_origin_actor(actor)?;
        Ok(vec![EventChange::Deleted])
    }
}

/// The names of the details' fields that differ, as local updates list them.
fn changed_fields(before: &EventDetails, after: &EventDetails) -> Vec<String> {
    let (Ok(serde_json::Value::Object(before)), Ok(serde_json::Value::Object(after))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return vec![];
    };
    // Fields left out when empty (the picture) count as changed when they go.
    let gone = before.keys().filter(|field| !after.contains_key(*field));
    after
        .iter()
        .filter(|(field, value)| before.get(*field) != Some(*value))
        .map(|(field, _)| field)
        .chain(gone)
        .cloned()
        .collect()
}
