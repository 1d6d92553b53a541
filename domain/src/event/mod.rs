//! An event: what the organiser describes, who takes part (with capacity, approval and a
//! waitlist) and its comments. Participations live inside the aggregate so that capacity and
//! the waitlist are decided in one place, safe under concurrent joins.

mod changes;
mod commands;
pub mod details;
pub mod participation;
#[cfg(test)]
mod tests;

pub use changes::EventChange;
pub use commands::EventCommand;
pub use details::{EventDetails, EventPatch};
pub use participation::{Participant, ParticipantState, Participation};

use crate::validation::{sanitise_html, FieldError};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

pub const MESSAGE_MAX: usize = 1_000;
pub const COMMENT_MAX: usize = 10_000;

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
}

fn invalid(field: &str, message: impl Into<String>) -> EventError {
    EventError::Invalid(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CommentState {
    id: String,
    author: String,
    deleted: bool,
}

/// The state an event's decisions need.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    details: Option<EventDetails>,
    organizer: String,
    draft: bool,
    deleted: bool,
    /// Current participations, in the order they began (those who left are gone).
    participations: Vec<Participation>,
    /// Participation ids waiting for a seat, first in line first.
    waitlist: VecDeque<String>,
    comments: Vec<CommentState>,
}

impl Event {
    pub fn details(&self) -> Option<&EventDetails> {
        self.details.as_ref().filter(|_| !self.deleted)
    }

    pub fn participations(&self) -> &[Participation] {
        &self.participations
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

    fn live(&self) -> Result<&EventDetails, EventError> {
        self.details().ok_or(EventError::NotFound)
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
        self.participations
            .iter()
            .find(|p| p.who == Participant::Profile(profile.to_string()))
    }

    fn by_id(&self, id: &str) -> Result<&Participation, EventError> {
        self.participations
            .iter()
            .find(|p| p.id == id)
            .ok_or(EventError::UnknownParticipation)
    }

    fn role_of(&self, profile: &str) -> Option<ParticipantState> {
        self.of_profile(profile).map(|p| p.state)
    }

    fn require_organiser(&self, by: &str) -> Result<(), EventError> {
        match self.role_of(by) {
            Some(role) if role.is_organiser() => Ok(()),
            _ => Err(EventError::NotOrganiser),
        }
    }

    fn require_administrator(&self, by: &str) -> Result<(), EventError> {
        match self.role_of(by) {
            Some(role) if role.is_administrator() => Ok(()),
            _ => Err(EventError::NotAdministrator),
        }
    }

    /// Profiles that can run the event (an anonymous participant never can).
    fn administrators(&self) -> usize {
        self.participations
            .iter()
            .filter(|p| p.state.is_administrator() && matches!(p.who, Participant::Profile(_)))
            .count()
    }

    fn seat_free(&self) -> bool {
        let capacity = self.details.as_ref().and_then(|d| d.capacity);
        capacity.is_none_or(|c| (self.seats_taken() as i64) < c)
    }

    /// Where someone accepted now goes: a seat if one is free and no one is waiting before them.
    fn admission(&self) -> ParticipantState {
        if self.seat_free() && self.waitlist.is_empty() {
            ParticipantState::Participant
        } else {
            ParticipantState::Waitlisted
        }
    }

    /// Gives free seats to the first in line, each promotion a change of its own.
    async fn promote(&mut self, sink: &EventSink<Self>) {
        while self.seat_free() {
            let Some(first) = self.waitlist.front().cloned() else {
                return;
            };
            sink.write(
                EventChange::Promoted {
                    participation: first,
                },
                self,
            )
            .await;
        }
    }

    fn comment(&self, id: &str) -> Result<&CommentState, EventError> {
        self.comments
            .iter()
            .find(|c| c.id == id && !c.deleted)
            .ok_or(EventError::UnknownComment)
    }

    fn set_state(&mut self, id: &str, state: ParticipantState) {
        if let Some(p) = self.participations.iter_mut().find(|p| p.id == id) {
            p.state = state;
        }
        self.waitlist.retain(|w| w != id);
        if state == ParticipantState::Waitlisted {
            self.waitlist.push_back(id.to_string());
        }
    }
}

fn message(text: Option<String>) -> Result<Option<String>, EventError> {
    let text = text
        .map(|t| crate::validation::multiline(t.trim()))
        .filter(|t| !t.is_empty());
    if text
        .as_ref()
        .is_some_and(|t| t.chars().count() > MESSAGE_MAX)
    {
        return Err(invalid(
            "message",
            format!("a message is at most {MESSAGE_MAX} characters"),
        ));
    }
    Ok(text)
}

fn comment_body(body: &str) -> Result<String, EventError> {
    let body = sanitise_html(body.trim());
    let length = body.chars().count();
    if length == 0 || length > COMMENT_MAX {
        return Err(invalid(
            "body",
            format!("a comment is 1 to {COMMENT_MAX} characters"),
        ));
    }
    Ok(body)
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
        use EventChange as C;
        use ParticipantState as S;
        match command {
            EventCommand::Create {
                organizer,
                creator_participation,
                details,
                draft,
            } => {
                if self.details.is_some() {
                    return Err(EventError::AlreadyExists);
                }
                let details = details.validate().map_err(EventError::Invalid)?;
                let change = C::Created {
                    organizer,
                    creator_participation,
                    details,
                    draft,
                };
                sink.write(change, self).await;
            }
            EventCommand::Update { by, patch } => {
                let current = self.live()?.clone();
                self.require_administrator(&by)?;
                if patch.status == Some(details::EventStatus::Cancelled) {
                    return Err(invalid("status", "cancel the event with its cancel action"));
                }
                let fields: Vec<String> = patch.fields().iter().map(|f| f.to_string()).collect();
                let details = patch
                    .apply_to(current.clone())
                    .validate()
                    .map_err(EventError::Invalid)?;
                let taken = self.seats_taken() as i64;
                if details.capacity.is_some_and(|c| c < taken) {
                    return Err(invalid(
                        "capacity",
                        format!(
                            "{taken} people already hold a seat: capacity cannot go below that"
                        ),
                    ));
                }
                if details != current {
                    sink.write(C::Updated { details, fields }, self).await;
                    self.promote(sink).await;
                }
            }
            EventCommand::Publish { by } => {
                self.live()?;
                self.require_administrator(&by)?;
                if self.draft {
                    sink.write(C::Published, self).await;
                }
            }
            EventCommand::Cancel { by } => {
                let details = self.live()?;
                let already = details.status == details::EventStatus::Cancelled;
                self.require_administrator(&by)?;
                if !already {
                    sink.write(C::Cancelled, self).await;
                }
            }
            EventCommand::Delete { by } => {
                self.live()?;
                self.require_administrator(&by)?;
                sink.write(C::Deleted, self).await;
            }
            EventCommand::Join {
                participation,
                profile,
                message: text,
            } => {
                let details = self.open()?;
                match details.join_mode {
                    details::JoinMode::External => {
                        let url = details.external_url.clone().unwrap_or_default();
                        return Err(EventError::ExternalRegistration(url));
                    }
                    details::JoinMode::Invite => return Err(EventError::InviteOnly),
                    details::JoinMode::Free | details::JoinMode::Restricted => {}
                }
                let restricted = details.join_mode == details::JoinMode::Restricted;
                match self.role_of(&profile) {
                    Some(S::Rejected) => {
                        return Err(EventError::RejectedBefore(format!("@{profile}")))
                    }
                    Some(_) => return Err(EventError::AlreadyParticipating(format!("@{profile}"))),
                    None => {}
                }
                let state = if restricted {
                    S::NotApproved
                } else {
                    self.admission()
                };
                let change = C::Joined {
                    participation,
                    who: Participant::Profile(profile),
                    state,
                    message: message(text)?,
                    confirm_token: None,
                    cancel_token: None,
                };
                sink.write(change, self).await;
            }
            EventCommand::JoinAnonymously {
                participation,
                email,
                message: text,
                confirm_token,
                cancel_token,
            } => {
                let details = self.open()?;
                if !details.options.anonymous_participation {
                    return Err(EventError::AnonymousNotAllowed);
                }
                if details.join_mode != details::JoinMode::Free
                    && details.join_mode != details::JoinMode::Restricted
                {
                    return Err(EventError::InviteOnly);
                }
                let email = email.trim().to_lowercase();
                if !crate::validation::is_email(&email) {
                    return Err(invalid(
                        "email",
                        "enter an email address such as ana@example.org",
                    ));
                }
                let who = Participant::Anonymous { email };
                if self.participations.iter().any(|p| p.who == who) {
                    return Err(EventError::AlreadyParticipating(
                        "this email address".into(),
                    ));
                }
                let change = C::Joined {
                    participation,
                    who,
                    state: S::NotConfirmed,
                    message: message(text)?,
                    confirm_token: Some(confirm_token),
                    cancel_token: Some(cancel_token),
                };
                sink.write(change, self).await;
            }
            EventCommand::ConfirmAnonymous { confirm_token } => {
                let details = self.live()?;
                let restricted = details.join_mode == details::JoinMode::Restricted;
                let found = self
                    .participations
                    .iter()
                    .find(|p| p.confirm_token.as_deref() == Some(confirm_token.as_str()))
                    .ok_or(EventError::UnknownToken)?;
                // Following the link twice is harmless.
                if found.state != S::NotConfirmed {
                    return Ok(());
                }
                let participation = found.id.clone();
                self.open()?;
                let state = if restricted {
                    S::NotApproved
                } else {
                    self.admission()
                };
                sink.write(
                    C::Confirmed {
                        participation,
                        state,
                    },
                    self,
                )
                .await;
            }
            EventCommand::Leave { profile } => {
                self.live()?;
                let found = self
                    .of_profile(&profile)
                    .ok_or_else(|| EventError::NotParticipating(profile.clone()))?;
                // Leaving would erase the refusal and let them join again.
                if found.state == S::Rejected {
                    return Err(EventError::RejectedBefore(format!("@{profile}")));
                }
                if found.state.is_administrator() && self.administrators() == 1 {
                    return Err(EventError::LastOrganiser);
                }
                let participation = found.id.clone();
                sink.write(C::Left { participation }, self).await;
                self.promote(sink).await;
            }
            EventCommand::LeaveAnonymously { cancel_token } => {
                self.live()?;
                let found = self
                    .participations
                    .iter()
                    .find(|p| p.cancel_token.as_deref() == Some(cancel_token.as_str()))
                    .ok_or(EventError::UnknownToken)?;
                if found.state == S::Rejected {
                    return Err(EventError::RejectedBefore("this email address".into()));
                }
                let participation = found.id.clone();
                sink.write(C::Left { participation }, self).await;
                self.promote(sink).await;
            }
            EventCommand::Approve { by, participation } => {
                self.live()?;
                self.require_organiser(&by)?;
                let found = self.by_id(&participation)?;
                if !matches!(found.state, S::NotApproved | S::Rejected) {
                    return Err(EventError::WrongState(found.state.as_str(), "approved"));
                }
                let state = self.admission();
                sink.write(
                    C::Approved {
                        participation,
                        state,
                    },
                    self,
                )
                .await;
            }
            EventCommand::Reject { by, participation } => {
                self.live()?;
                self.require_organiser(&by)?;
                let found = self.by_id(&participation)?;
                if !matches!(found.state, S::NotApproved | S::Waitlisted | S::Participant) {
                    return Err(EventError::WrongState(found.state.as_str(), "rejected"));
                }
                sink.write(C::Rejected { participation }, self).await;
                self.promote(sink).await;
            }
            EventCommand::ChangeRole {
                by,
                participation,
                role,
            } => {
                self.live()?;
                self.require_administrator(&by)?;
                if !(role == S::Participant || role.is_organiser()) {
                    return Err(invalid(
                        "role",
                        "a role is participant, moderator, administrator or creator",
                    ));
                }
                let found = self.by_id(&participation)?;
                if !found.state.is_going() {
                    return Err(EventError::WrongState(found.state.as_str(), "given a role"));
                }
                // Organisers act as profiles; someone known only by email cannot be one.
                if role.is_organiser() && !matches!(found.who, Participant::Profile(_)) {
                    return Err(invalid("role", "only a profile can be made an organiser"));
                }
                if found.state == role {
                    return Ok(());
                }
                if found.state.is_administrator()
                    && !role.is_administrator()
                    && self.administrators() == 1
                {
                    return Err(EventError::LastOrganiser);
                }
                // Becoming a participant takes a seat; organisers take none.
                if role == S::Participant && !self.seat_free() {
                    return Err(EventError::Full);
                }
                sink.write(
                    C::RoleChanged {
                        participation,
                        role,
                    },
                    self,
                )
                .await;
                self.promote(sink).await;
            }
            EventCommand::PostComment {
                comment,
                by,
                in_reply_to,
                body,
                announcement,
            } => {
                let details = self.live()?;
                if self.draft {
                    return Err(EventError::Draft);
                }
                let organiser = self.role_of(&by).is_some_and(S::is_organiser);
                if announcement && !organiser {
                    return Err(EventError::NotOrganiser);
                }
                if !details.options.comments_open && !announcement {
                    return Err(EventError::CommentsClosed);
                }
                if let Some(parent) = &in_reply_to {
                    self.comment(parent)?;
                }
                let change = C::CommentPosted {
                    comment,
                    author: by,
                    in_reply_to,
                    body: comment_body(&body)?,
                    announcement,
                };
                sink.write(change, self).await;
            }
            EventCommand::EditComment { comment, by, body } => {
                self.live()?;
                if self.comment(&comment)?.author != by {
                    return Err(EventError::NotCommentAuthor);
                }
                let body = comment_body(&body)?;
                sink.write(C::CommentEdited { comment, body }, self).await;
            }
            EventCommand::DeleteComment { comment, by } => {
                self.live()?;
                let author = self.comment(&comment)?.author == by;
                if !author {
                    self.require_organiser(&by)?;
                }
                sink.write(C::CommentDeleted { comment }, self).await;
            }
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
            } if self
                .participations
                .iter()
                .any(|p| p.id == creator_participation) => {}
            C::Joined { participation, .. }
                if self.participations.iter().any(|p| p.id == participation) => {}
            C::CommentPosted { comment, .. } if self.comments.iter().any(|c| c.id == comment) => {}
            C::Created {
                organizer,
                creator_participation,
                details,
                draft,
            } => {
                self.participations.push(Participation {
                    id: creator_participation,
                    who: Participant::Profile(organizer.clone()),
                    state: ParticipantState::Creator,
                    confirm_token: None,
                    cancel_token: None,
                });
                self.organizer = organizer;
                self.details = Some(details);
                self.draft = draft;
            }
            C::Updated { details, .. } => self.details = Some(details),
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
                self.participations.retain(|p| p.id != participation);
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
            }),
            C::CommentEdited { .. } => {}
            C::CommentDeleted { comment } => {
                if let Some(c) = self.comments.iter_mut().find(|c| c.id == comment) {
                    c.deleted = true;
                }
            }
        }
    }
}
