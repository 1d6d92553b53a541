//! Who takes part in an event, and in what state (Mobilizon's states, plus a waitlist); and the
//! decisions about taking part: joining, leaving, approval, roles and seats.

use super::details::JoinMode;
use super::{invalid, Event, EventChange, EventError, MESSAGE_MAX};
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

/// A participation's state. Organisers are `creator`, `administrator` or `moderator`; only
/// `participant` takes a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ParticipantState {
    /// Asked to join an event that needs approval.
    NotApproved,
    /// Joined anonymously and has not yet followed the link sent by email.
    NotConfirmed,
    Rejected,
    /// Accepted, waiting for a seat; promoted in order when one frees.
    Waitlisted,
    Participant,
    Moderator,
    Administrator,
    Creator,
}

impl ParticipantState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotApproved => "not_approved",
            Self::NotConfirmed => "not_confirmed",
            Self::Rejected => "rejected",
            Self::Waitlisted => "waitlisted",
            Self::Participant => "participant",
            Self::Moderator => "moderator",
            Self::Administrator => "administrator",
            Self::Creator => "creator",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::NotApproved,
            Self::NotConfirmed,
            Self::Rejected,
            Self::Waitlisted,
            Self::Participant,
            Self::Moderator,
            Self::Administrator,
            Self::Creator,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// May manage participants and moderate comments.
    pub fn is_organiser(self) -> bool {
        matches!(self, Self::Moderator | Self::Administrator | Self::Creator)
    }

    /// May edit, publish, cancel and delete the event, and change roles.
    pub fn is_administrator(self) -> bool {
        matches!(self, Self::Administrator | Self::Creator)
    }

    /// Counted as going to the event.
    pub fn is_going(self) -> bool {
        self == Self::Participant || self.is_organiser()
    }

    /// Organisers may approve a participation in this state.
    pub fn may_be_approved(self) -> bool {
        matches!(self, Self::NotApproved | Self::Rejected)
    }

    /// Organisers may reject a participation in this state.
    pub fn may_be_rejected(self) -> bool {
        matches!(
            self,
            Self::NotApproved | Self::Waitlisted | Self::Participant
        )
    }
}

/// Who a participation belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Participant {
    Profile(String),
    /// Someone without an account, known by the email they confirm.
    Anonymous {
        email: String,
    },
    /// Someone on another instance who joined with a `Join` activity.
    Remote(RemoteParticipant),
}

/// A participant on another instance: their actor, how people write them, where their instance
/// takes activities, and the `Join` they sent (which the `Accept` or `Reject` names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RemoteParticipant {
    pub actor: String,
    /// `name@host`.
    pub handle: String,
    pub inbox: String,
    pub join: String,
}

/// One participation as the aggregate remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participation {
    pub id: String,
    pub who: Participant,
    pub state: ParticipantState,
    /// SHA-256 (hex) of the anonymous participant's confirmation and cancellation tokens.
    pub confirm_token: Option<String>,
    pub cancel_token: Option<String>,
}

impl Event {
    pub(super) fn join(
        &self,
        participation: String,
        profile: String,
        message: Option<String>,
    ) -> Result<Vec<EventChange>, EventError> {
        let details = self.open()?;
        match details.join_mode {
            JoinMode::External => {
                let url = details.external_url.clone().unwrap_or_default();
                return Err(EventError::ExternalRegistration(url));
            }
            JoinMode::Invite => return Err(EventError::InviteOnly),
            JoinMode::Free | JoinMode::Restricted => {}
        }
        // Another instance's event: its organiser's instance decides, and the profile waits
        // for its answer.
        let restricted = details.join_mode == JoinMode::Restricted || self.origin().is_some();
        match self.role_of(&profile) {
            Some(ParticipantState::Rejected) => {
                return Err(EventError::RejectedBefore(format!("@{profile}")))
            }
            Some(_) => return Err(EventError::AlreadyParticipating(format!("@{profile}"))),
            None => {}
        }
        let state = if restricted {
            ParticipantState::NotApproved
        } else {
            self.admission()
        };
        Ok(vec![EventChange::Joined {
            participation,
            who: Participant::Profile(profile),
            state,
            message: checked_message(message)?,
            confirm_token: None,
            cancel_token: None,
        }])
    }

    /// A `Join` from another instance: the same rules as a local profile's join, for public
    /// and unlisted events of this instance.
    pub(super) fn join_remote(
        &self,
        participation: String,
        who: RemoteParticipant,
        message: Option<String>,
    ) -> Result<Vec<EventChange>, EventError> {
        self.require_local()?;
        let details = self.open()?;
        // Private events, and groups' events until groups federate as their own actors (the
        // answer would come from the member who organised it).
        if details.visibility == super::details::Visibility::Private || self.group.is_some() {
            return Err(EventError::NotFound);
        }
        match details.join_mode {
            JoinMode::External => {
                let url = details.external_url.clone().unwrap_or_default();
                return Err(EventError::ExternalRegistration(url));
            }
            JoinMode::Invite => return Err(EventError::InviteOnly),
            JoinMode::Free | JoinMode::Restricted => {}
        }
        match self.of_remote(&who.actor) {
            Some(found) if found.state == ParticipantState::Rejected => {
                return Err(EventError::RejectedBefore(who.handle))
            }
            Some(_) => return Err(EventError::AlreadyParticipating(who.handle)),
            None => {}
        }
        let state = if details.join_mode == JoinMode::Restricted {
            ParticipantState::NotApproved
        } else {
            self.admission()
        };
        Ok(vec![EventChange::Joined {
            participation,
            who: Participant::Remote(who),
            state,
            message: checked_message(message)?,
            confirm_token: None,
            cancel_token: None,
        }])
    }

    /// A `Leave` (or the `Undo` of a `Join`) from the remote participant `actor`.
    pub(super) fn leave_remote(&self, actor: &str) -> Result<Vec<EventChange>, EventError> {
        self.live()?;
        let found = self
            .of_remote(actor)
            .ok_or_else(|| EventError::NotParticipating(actor.to_string()))?;
        if found.state == ParticipantState::Rejected {
            return Err(EventError::RejectedBefore(actor.to_string()));
        }
        let participation = found.id.clone();
        Ok(self.followed_by_promotions(vec![EventChange::Left { participation }]))
    }

    fn of_remote(&self, actor: &str) -> Option<&Participation> {
        self.participations.of_remote(actor)
    }

    pub(super) fn join_anonymously(
        &self,
        participation: String,
        email: &str,
        message: Option<String>,
        confirm_token: String,
        cancel_token: String,
    ) -> Result<Vec<EventChange>, EventError> {
        let details = self.open()?;
        if !details.options.anonymous_participation {
            return Err(EventError::AnonymousNotAllowed);
        }
        if details.join_mode != JoinMode::Free && details.join_mode != JoinMode::Restricted {
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
        if self.participations.of(&who).is_some() {
            return Err(EventError::AlreadyParticipating(
                "this email address".into(),
            ));
        }
        Ok(vec![EventChange::Joined {
            participation,
            who,
            state: ParticipantState::NotConfirmed,
            message: checked_message(message)?,
            confirm_token: Some(confirm_token),
            cancel_token: Some(cancel_token),
        }])
    }

    pub(super) fn confirm_anonymous(
        &self,
        confirm_token: &str,
    ) -> Result<Vec<EventChange>, EventError> {
        let details = self.live()?;
        let restricted = details.join_mode == JoinMode::Restricted;
        let found = self
            .participations
            .iter()
            .find(|p| p.confirm_token.as_deref() == Some(confirm_token))
            .ok_or(EventError::UnknownToken)?;
        // Following the link twice is harmless.
        if found.state != ParticipantState::NotConfirmed {
            return Ok(vec![]);
        }
        let participation = found.id.clone();
        self.open()?;
        let state = if restricted {
            ParticipantState::NotApproved
        } else {
            self.admission()
        };
        Ok(vec![EventChange::Confirmed {
            participation,
            state,
        }])
    }

    pub(super) fn leave(&self, profile: &str) -> Result<Vec<EventChange>, EventError> {
        self.live()?;
        let found = self
            .of_profile(profile)
            .ok_or_else(|| EventError::NotParticipating(profile.to_string()))?;
        // Leaving would erase the refusal and let them join again.
        if found.state == ParticipantState::Rejected {
            return Err(EventError::RejectedBefore(format!("@{profile}")));
        }
        if found.state.is_administrator() && self.administrators() == 1 {
            return Err(EventError::LastOrganiser);
        }
        let participation = found.id.clone();
        Ok(self.followed_by_promotions(vec![EventChange::Left { participation }]))
    }

    pub(super) fn leave_anonymously(
        &self,
        cancel_token: &str,
    ) -> Result<Vec<EventChange>, EventError> {
        self.live()?;
        let found = self
            .participations
            .iter()
            .find(|p| p.cancel_token.as_deref() == Some(cancel_token))
            .ok_or(EventError::UnknownToken)?;
        if found.state == ParticipantState::Rejected {
            return Err(EventError::RejectedBefore("this email address".into()));
        }
        let participation = found.id.clone();
        Ok(self.followed_by_promotions(vec![EventChange::Left { participation }]))
    }

    pub(super) fn approve(
        &self,
        by: &str,
        participation: String,
    ) -> Result<Vec<EventChange>, EventError> {
        self.live()?;
        self.require_organiser(by)?;
        let found = self.by_id(&participation)?;
        if !found.state.may_be_approved() {
            return Err(EventError::WrongState(found.state.as_str(), "approved"));
        }
        Ok(vec![EventChange::Approved {
            participation,
            state: self.admission(),
        }])
    }

    pub(super) fn reject(
        &self,
        by: &str,
        participation: String,
    ) -> Result<Vec<EventChange>, EventError> {
        self.live()?;
        self.require_organiser(by)?;
        let found = self.by_id(&participation)?;
        if !found.state.may_be_rejected() {
            return Err(EventError::WrongState(found.state.as_str(), "rejected"));
        }
        Ok(self.followed_by_promotions(vec![EventChange::Rejected { participation }]))
    }

    pub(super) fn change_role(
        &self,
        by: &str,
        participation: String,
        role: ParticipantState,
    ) -> Result<Vec<EventChange>, EventError> {
        self.live()?;
        self.require_administrator(by)?;
        if !(role == ParticipantState::Participant || role.is_organiser()) {
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
            return Ok(vec![]);
        }
        if found.state.is_administrator() && !role.is_administrator() && self.administrators() == 1
        {
            return Err(EventError::LastOrganiser);
        }
        // Becoming a participant takes a seat; organisers take none.
        if role == ParticipantState::Participant && !self.seat_free() {
            return Err(EventError::Full);
        }
        Ok(self.followed_by_promotions(vec![EventChange::RoleChanged {
            participation,
            role,
        }]))
    }

    fn by_id(&self, id: &str) -> Result<&Participation, EventError> {
        self.participations
            .get(id)
            .ok_or(EventError::UnknownParticipation)
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
    pub(super) fn admission(&self) -> ParticipantState {
        if self.seat_free() && self.waitlist.is_empty() {
            ParticipantState::Participant
        } else {
            ParticipantState::Waitlisted
        }
    }

    /// `changes`, then a promotion for each seat they free, to the first in line.
    pub(super) fn followed_by_promotions(&self, mut changes: Vec<EventChange>) -> Vec<EventChange> {
        // Nobody waits, so nobody moves up: no copy of a crowded event for each leave.
        if self.waitlist.is_empty() {
            return changes;
        }
        // Whether a seat is free depends on what the changes do, so they are tried on a copy.
        let mut after = self.clone();
        for change in &changes {
            after.apply(change.clone());
        }
        while after.seat_free() {
            let Some(first) = after.waitlist.front().cloned() else {
                break;
            };
            let promoted = EventChange::Promoted {
                participation: first,
            };
            after.apply(promoted.clone());
            changes.push(promoted);
        }
        changes
    }
}

fn checked_message(text: Option<String>) -> Result<Option<String>, EventError> {
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
