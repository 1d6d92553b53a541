//! The event's own life, decided by its administrators: created, updated, published, cancelled,
//! deleted.

use super::details::{EventDetails, EventPatch, EventStatus};
use super::{invalid, Event, EventChange, EventError, GroupLink};
use crate::picture::{checked_alt, ShownPicture};
use crate::validation::{multiline, FieldError};

/// Longest reason given for a cancellation, in characters.
pub const CANCEL_REASON_MAX: usize = 1_000;

/// Why the organisers cancel, as they may say it: trimmed, line breaks kept, at most
/// [`CANCEL_REASON_MAX`] characters; blank is no reason. It travels in the metadata of the
/// `Cancelled` change (the change itself is a fact every reader already knows), shown to
/// everyone who sees the event.
pub fn checked_cancel_reason(reason: Option<&str>) -> Result<Option<String>, Vec<FieldError>> {
    let reason = reason
        .map(|r| multiline(r).trim().to_string())
        .filter(|r| !r.is_empty());
    match reason {
        Some(r) if r.chars().count() > CANCEL_REASON_MAX => Err(vec![FieldError {
            field: "reason".into(),
            message: format!("a reason is at most {CANCEL_REASON_MAX} characters"),
        }]),
        reason => Ok(reason),
    }
}

impl Event {
    pub(super) fn create(
        &self,
        organiser: String,
        creator_participation: String,
        details: EventDetails,
        draft: bool,
    ) -> Result<Vec<EventChange>, EventError> {
        if self.details.is_some() {
            return Err(EventError::AlreadyExists);
        }
        if details.remote_picture.is_some() {
            return Err(invalid(
                "remote_picture",
                "only events from other instances show a picture by its address: upload one",
            ));
        }
        let details = details.validate().map_err(EventError::Invalid)?;
        Ok(vec![EventChange::Created {
            organiser,
            creator_participation,
            details,
            draft,
        }])
    }

    pub(super) fn update(
        &self,
        by: &str,
        patch: EventPatch,
    ) -> Result<Vec<EventChange>, EventError> {
        let current = self.live()?.clone();
        self.require_administrator(by)?;
        if patch.status == Some(EventStatus::Cancelled) {
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
                format!("{taken} people already hold a seat: capacity cannot go below that"),
            ));
        }
        if details == current {
            return Ok(vec![]);
        }
        // A raised capacity seats people from the waitlist.
        Ok(self.followed_by_promotions(vec![EventChange::Updated { details, fields }]))
    }

    /// Only the group organising the event (its moderators acting) changes how it shows it;
    /// the member who created it does not, once no longer a moderator.
    pub(super) fn change_group_options(
        &self,
        by: &str,
        members_only: bool,
        hide_organiser: bool,
    ) -> Result<Vec<EventChange>, EventError> {
        self.live()?;
        let current = self.group.as_ref().ok_or(EventError::NotAGroupEvent)?;
        if current.handle != by {
            return Err(EventError::NotAdministrator);
        }
        let group = GroupLink {
            members_only,
            hide_organiser,
            ..current.clone()
        };
        group.check()?;
        if group == *current {
            return Ok(vec![]);
        }
        Ok(vec![EventChange::GroupOptionsChanged { group }])
    }

    pub(super) fn publish(&self, by: &str) -> Result<Vec<EventChange>, EventError> {
        self.live()?;
        self.require_administrator(by)?;
        if !self.draft {
            return Ok(vec![]);
        }
        Ok(vec![EventChange::Published])
    }

    pub(super) fn cancel(&self, by: &str) -> Result<Vec<EventChange>, EventError> {
        let details = self.live()?;
        let already = details.status == EventStatus::Cancelled;
        self.require_administrator(by)?;
        if already {
            return Ok(vec![]);
        }
        Ok(vec![EventChange::Cancelled])
    }

    pub(super) fn delete(&self, by: &str) -> Result<Vec<EventChange>, EventError> {
        self.live()?;
        self.require_administrator(by)?;
        Ok(vec![EventChange::Deleted])
    }

    /// Organisers who may edit the event choose its picture; the alternative text is required.
    pub(super) fn set_picture(
        &self,
        by: &str,
        mut picture: ShownPicture,
    ) -> Result<Vec<EventChange>, EventError> {
        self.live()?;
        self.require_local()?;
        self.require_administrator(by)?;
        picture.alt = checked_alt(Some(&picture.alt), true).map_err(EventError::Invalid)?;
        Ok(vec![EventChange::PictureSet { picture }])
    }

    pub(super) fn remove_picture(&self, by: &str) -> Result<Vec<EventChange>, EventError> {
        self.live()?;
        self.require_administrator(by)?;
        if self.picture.is_none() {
            return Ok(vec![]);
        }
        Ok(vec![EventChange::PictureRemoved])
    }
}
