//! An event: what the organiser describes, who takes part (with capacity, approval and a
//! waitlist) and its comments. Participations live inside the aggregate so that capacity and
//! the waitlist are decided in one place, safe under concurrent joins.

mod changes;
mod commands;
mod comments;
pub use comments::checked_comment;
pub mod details;
mod lifecycle;
pub use lifecycle::{checked_cancel_reason, CANCEL_REASON_MAX};
mod moderated;
pub mod participation;
mod remote;
mod roster;
#[cfg(test)]
mod tests;

pub use changes::EventChange;
pub use commands::EventCommand;
pub use details::{EventDetails, EventPatch};
pub use moderated::Moderation;
pub use participation::{Participant, ParticipantState, Participation, RemoteParticipant};
pub use remote::{RemoteAuthor, RemoteOrigin};

use crate::validation::FieldError;
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

pub const MESSAGE_MAX: usize = 1_000;
pub const COMMENT_MAX: usize = 10_000;
/// Local profiles a comment from another instance may name, at most (as a local comment's
/// `@username`s).
pub const REMOTE_MENTIONS_MAX: usize = 10;
/// Longest comment as sent, in bytes of HTML: checked before the sanitiser runs.
pub const COMMENT_MAX_BYTES: usize = 64 * 1024;

/// Rules an event command can break, named after the rule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventError {
    #[error("some fields are invalid")]
    Invalid(Vec<FieldError>),
    #[error("there is no such event")]
    NotFound,
    #[error("an event with this id already exists")]
    AlreadyExists,
    #[error("only the event's organisers may do this")]
    NotOrganiser,
    #[error("only the event's creator and administrators may do this")]
    NotAdministrator,
    #[error("the event is still a draft: publish it first")]
    Draft,
    #[error("the event is cancelled")]
    Cancelled,
    #[error("{0} already takes part in this event")]
    AlreadyParticipating(String),
    #[error("{0} was not accepted for this event")]
    RejectedBefore(String),
    #[error("people register for this event on the organiser's site: {0}")]
    ExternalRegistration(String),
    #[error("this event is by invitation only")]
    InviteOnly,
    #[error("this event does not take anonymous participants")]
    AnonymousNotAllowed,
    #[error("@{0} does not take part in this event")]
    NotParticipating(String),
    #[error("there is no such participation in this event")]
    UnknownParticipation,
    #[error("a participation that is {0} cannot be {1}")]
    WrongState(&'static str, &'static str),
    #[error(
        "the last organiser cannot leave or step down: make someone else an administrator first"
    )]
    LastOrganiser,
    #[error("no seat is free for another participant")]
    Full,
    #[error("comments are closed on this event")]
    CommentsClosed,
    #[error("there is no such comment on this event")]
    UnknownComment,
    #[error("only a comment's author may edit it")]
    NotCommentAuthor,
    #[error("this link is not valid (any more)")]
    UnknownToken,
    #[error("this event is organised on another instance: take part and comment there")]
    Remote,
    /// A moderators' decision that would change nothing.
    #[error("{0}")]
    AlreadyDecided(&'static str),
    #[error("this event was removed by the instance's moderators")]
    RemovedByModerators,
    #[error("this event is not organised by a group")]
    NotAGroupEvent,
}

fn invalid(field: &str, message: impl Into<String>) -> EventError {
    EventError::Invalid(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

/// The group organising an event, and how it shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupLink {
    /// The group's handle.
    pub handle: String,
    /// Only the group's members (and those taking part) see the event.
    #[serde(default)]
    pub members_only: bool,
    /// The event shows the group as its organiser, not the member who created it.
    #[serde(default)]
    pub hide_organiser: bool,
    /// The group lives on another instance (`handle` is then `name@host`): one of its
    /// moderators here organises the event for it, as Mobilizon's members do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elsewhere: Option<GroupAddress>,
}

/// Where a group of another instance is: its actor, and the inbox taking its activities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupAddress {
    pub actor: String,
    pub inbox: String,
}

impl GroupLink {
    /// A group of this instance, by its handle.
    pub fn here(handle: &str, members_only: bool, hide_organiser: bool) -> Self {
        Self {
            handle: handle.to_string(),
            members_only,
            hide_organiser,
            elsewhere: None,
        }
    }

    /// Only the group's own instance knows its members and signs as the group: an event made
    /// here for a group elsewhere is for everyone who may see it, under its organiser.
    pub(super) fn check(&self) -> Result<(), EventError> {
        if self.elsewhere.is_none() {
            return Ok(());
        }
        let mut errors = crate::validation::Errors::default();
        errors.check(
            !self.members_only,
            "members_only",
            "only the group's own instance keeps events for its members",
        );
        errors.check(
            !self.hide_organiser,
            "hide_organiser",
            "only the group's own instance can show the group as the organiser",
        );
        errors.finish(()).map_err(EventError::Invalid)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CommentState {
    id: String,
    author: String,
    deleted: bool,
    /// Removed by moderators (a tombstone for everyone else).
    #[serde(default)]
    removed: bool,
}

/// The state an event's decisions need.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    details: Option<EventDetails>,
    /// `organizer` in stored snapshots.
    #[serde(rename = "organizer")]
    organiser: String,
    draft: bool,
    deleted: bool,
    /// Current participations, in the order they began (those who left are gone).
    participations: roster::Roster,
    /// Participation ids waiting for a seat, first in line first.
    waitlist: VecDeque<String>,
    comments: Vec<CommentState>,
    #[serde(default)]
    group: Option<GroupLink>,
    /// Set for an event organised on another instance.
    #[serde(default)]
    origin: Option<RemoteOrigin>,
    /// Where the instance moderators' decisions leave it.
    #[serde(default)]
    moderation: Moderation,
    /// The id of the picture shown.
    #[serde(default)]
    picture: Option<String>,
}

impl Event {
    /// The group organising the event, if one does.
    pub fn group(&self) -> Option<&GroupLink> {
        self.group.as_ref()
    }

    /// Whether `by` names the group organising the event (handles and usernames share one
    /// namespace, so no profile has that name).
    fn is_own_group(&self, by: &str) -> bool {
        self.group.as_ref().is_some_and(|g| g.handle == by)
    }

    /// The profile that created the event (empty for a remote one).
    pub fn organiser(&self) -> &str {
        &self.organiser
    }

    pub fn is_draft(&self) -> bool {
        self.draft
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted
    }

    /// The id of the picture the event shows, if any.
    pub fn picture(&self) -> Option<&str> {
        self.picture.as_deref()
    }

    pub fn details(&self) -> Option<&EventDetails> {
        self.details.as_ref().filter(|_| !self.deleted)
    }

    pub fn participations(&self) -> &[Participation] {
        &self.participations
    }

    /// Participation `id`, if it is current.
    pub fn participation(&self, id: &str) -> Option<&Participation> {
        self.participations.get(id)
    }

    /// The current participation of `who`, if they take part (or asked, or were refused).
    pub fn participation_of(&self, who: &Participant) -> Option<&Participation> {
        self.participations.of(who)
    }

    /// Participants holding a seat.
    pub fn seats_taken(&self) -> usize {
        self.count(ParticipantState::Participant)
    }

    fn count(&self, state: ParticipantState) -> usize {
        self.participations
            .iter()
            .filter(|p| p.state == state)
            .count()
    }

    /// There, and not removed by moderators: what everyone's commands need.
    fn live(&self) -> Result<&EventDetails, EventError> {
        let details = self.details().ok_or(EventError::NotFound)?;
        if self.moderation.removed {
            return Err(EventError::RemovedByModerators);
        }
        Ok(details)
    }

    /// Joinable: exists, published, not cancelled.
    fn open(&self) -> Result<&EventDetails, EventError> {
        let details = self.live()?;
        if self.draft {
            return Err(EventError::Draft);
        }
        if details.status == details::EventStatus::Cancelled {
            return Err(EventError::Cancelled);
        }
        Ok(details)
    }

    fn of_profile(&self, profile: &str) -> Option<&Participation> {
        self.participations.of_profile(profile)
    }

    fn role_of(&self, profile: &str) -> Option<ParticipantState> {
        self.of_profile(profile).map(|p| p.state)
    }

    fn require_organiser(&self, by: &str) -> Result<(), EventError> {
        if self.is_own_group(by) {
            return Ok(());
        }
        match self.role_of(by) {
            Some(role) if role.is_organiser() => Ok(()),
            _ => Err(EventError::NotOrganiser),
        }
    }

    fn require_administrator(&self, by: &str) -> Result<(), EventError> {
        if self.is_own_group(by) {
            return Ok(());
        }
        match self.role_of(by) {
            Some(role) if role.is_administrator() => Ok(()),
            _ => Err(EventError::NotAdministrator),
        }
    }

    fn set_state(&mut self, id: &str, state: ParticipantState) {
        // Only someone who was waiting can be in line: the line is not read for anyone else.
        let was = self.participations.set_state(id, state);
        if was == Some(ParticipantState::Waitlisted) || was.is_none() {
            self.waitlist.retain(|w| w != id);
        }
        if state == ParticipantState::Waitlisted {
            self.waitlist.push_back(id.to_string());
        }
    }
}

impl Aggregate for Event {
    const TYPE: &'static str = "Event";
    type Command = EventCommand;
    type Event = EventChange;
    type Error = EventError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if matches!(
            command,
            EventCommand::JoinAnonymously { .. } | EventCommand::PostComment { .. }
        ) {
            self.require_local()?;
        }
        let changes = match command {
            EventCommand::Create {
                organiser,
                creator_participation,
                details,
                draft,
            } => self.create(organiser, creator_participation, details, draft),
            EventCommand::CreateForGroup {
                organiser,
                creator_participation,
                details,
                draft,
                group,
            } => {
                group.check()?;
                let mut changes = self.create(organiser, creator_participation, details, draft)?;
                changes.push(EventChange::OrganisedByGroup { group });
                Ok(changes)
            }
            EventCommand::Update { by, patch } => self.update(&by, patch),
            EventCommand::ChangeGroupOptions {
                by,
                members_only,
                hide_organiser,
            } => self.change_group_options(&by, members_only, hide_organiser),
            EventCommand::Publish { by } => self.publish(&by),
            EventCommand::Cancel { by } => self.cancel(&by),
            EventCommand::Delete { by } => self.delete(&by),
            EventCommand::SetPicture { by, picture } => self.set_picture(&by, picture),
            EventCommand::RemovePicture { by } => self.remove_picture(&by),
            EventCommand::Join {
                participation,
                profile,
                message,
            } => self.join(participation, profile, message),
            EventCommand::JoinAnonymously {
                participation,
                email,
                message,
                confirm_token,
                cancel_token,
            } => self.join_anonymously(participation, &email, message, confirm_token, cancel_token),
            EventCommand::ConfirmAnonymous { confirm_token } => {
                self.confirm_anonymous(&confirm_token)
            }
            EventCommand::Leave { profile } => self.leave(&profile),
            EventCommand::LeaveAnonymously { cancel_token } => {
                self.leave_anonymously(&cancel_token)
            }
            EventCommand::JoinRemote {
                participation,
                who,
                message,
            } => self.join_remote(participation, who, message),
            EventCommand::LeaveRemote { actor } => self.leave_remote(&actor),
            EventCommand::AnswerRemoteJoin {
                actor,
                profile,
                accepted,
            } => self.answer_remote_join(&actor, &profile, accepted),
            EventCommand::Approve { by, participation } => self.approve(&by, participation),
            EventCommand::Reject { by, participation } => self.reject(&by, participation),
            EventCommand::ChangeRole {
                by,
                participation,
                role,
            } => self.change_role(&by, participation, role),
            EventCommand::PostComment {
                comment,
                by,
                in_reply_to,
                body,
                announcement,
            } => self.post_comment(comment, by, in_reply_to, &body, announcement),
            EventCommand::EditComment { comment, by, body } => {
                self.edit_comment(comment, &by, &body)
            }
            EventCommand::DeleteComment { comment, by } => self.delete_comment(comment, &by),
            EventCommand::Import {
                origin,
                details,
                group,
            } => self.import(origin, details, group),
            EventCommand::UpdateRemote {
                actor,
                details,
                group,
            } => self.update_remote(&actor, details, group),
            EventCommand::DeleteRemote { actor } => self.delete_remote(&actor),
            EventCommand::DescribeRemoteActor {
                actor,
                former_handle,
                handle,
                name,
            } => Ok(self.describe_remote_actor(actor, former_handle, handle, name)),
            EventCommand::PostRemoteComment {
                comment,
                author,
                in_reply_to,
                body,
                mentions,
            } => self.post_remote_comment(comment, author, in_reply_to, &body, mentions),
            EventCommand::Moderate { action, decision } => self.moderate(action, decision),
            EventCommand::ModerateAll { actions, decision } => self.moderate_all(actions, decision),
        }?;
        for change in changes {
            sink.write(change, self).await;
        }
        Ok(())
    }

    /// Applying a change twice leaves the state as applying it once: cqrs-es 0.5's snapshot
    /// store applies a command's changes again to the already-changed aggregate before
    /// serialising the snapshot, so every change must be idempotent here.
    fn apply(&mut self, change: Self::Event) {
        use EventChange as C;
        match change {
            C::Created {
                creator_participation,
                ..
            } if self.participations.contains(&creator_participation) => {}
            C::Joined { participation, .. } if self.participations.contains(&participation) => {}
            C::CommentPosted { comment, .. } | C::RemoteCommentPosted { comment, .. }
                if self.comments.iter().any(|c| c.id == comment) => {}
            C::Created {
                organiser,
                creator_participation,
                details,
                draft,
            } => {
                self.participations.push(Participation {
                    id: creator_participation,
                    who: Participant::Profile(organiser.clone()),
                    state: ParticipantState::Creator,
                    confirm_token: None,
                    cancel_token: None,
                });
                self.organiser = organiser;
                self.details = Some(details);
                self.draft = draft;
            }
            C::Imported { origin, details } => {
                self.origin = Some(origin);
                self.details = Some(details);
            }
            C::Updated { details, .. } => self.details = Some(details),
            C::OrganisedByGroup { group } | C::GroupOptionsChanged { group } => {
                self.group = Some(group)
            }
            C::PictureSet { picture } => self.picture = Some(picture.id),
            C::PictureRemoved => self.picture = None,
            C::Published => self.draft = false,
            C::Cancelled => {
                if let Some(details) = &mut self.details {
                    details.status = details::EventStatus::Cancelled;
                }
            }
            C::Deleted => self.deleted = true,
            C::Joined {
                participation,
                who,
                state,
                confirm_token,
                cancel_token,
                ..
            } => {
                self.participations.push(Participation {
                    id: participation.clone(),
                    who,
                    state,
                    confirm_token,
                    cancel_token,
                });
                self.set_state(&participation, state);
            }
            C::Confirmed {
                participation,
                state,
            }
            | C::Approved {
                participation,
                state,
            } => self.set_state(&participation, state),
            C::Left { participation } => {
                self.participations.remove(&participation);
                self.waitlist.retain(|w| *w != participation);
            }
            C::Rejected { participation } => {
                self.set_state(&participation, ParticipantState::Rejected)
            }
            C::Promoted { participation } => {
                self.set_state(&participation, ParticipantState::Participant)
            }
            C::RoleChanged {
                participation,
                role,
            } => self.set_state(&participation, role),
            C::CommentPosted {
                comment, author, ..
            } => self.comments.push(CommentState {
                id: comment,
                author,
                deleted: false,
                removed: false,
            }),
            C::RemoteCommentPosted {
                comment, author, ..
            } => self.comments.push(CommentState {
                id: comment,
                author: author.handle,
                deleted: false,
                removed: false,
            }),
            C::CommentEdited { .. } => {}
            C::RemoteActorDescribed {
                actor,
                former_handle,
                handle,
                name,
            } => self.remote_actor_described(&actor, &former_handle, &handle, name),
            C::CommentDeleted { comment } => {
                if let Some(c) = self.comments.iter_mut().find(|c| c.id == comment) {
                    c.deleted = true;
                }
            }
            C::Moderated { action, .. } => self.apply_decision(action),
        }
    }
}
