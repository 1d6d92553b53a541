//! The instance moderators' decisions on an event and its comments: hide it from public
//! listings, remove it (a tombstone for everyone but moderators), close its comments, remove
//! one comment, and undo each. A decision that would change nothing is refused, so each one in
//! the log changed something.

use super::{invalid, Event, EventChange, EventError};
use crate::moderation::{ContentAction, Decision};
use serde::{Deserialize, Serialize};

/// Where the moderators' decisions leave an event.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moderation {
    /// Out of public listings and search.
    pub hidden: bool,
    /// A tombstone for everyone but moderators.
    pub removed: bool,
    /// Nobody comments (organisers' announcements still go through).
    pub comments_closed: bool,
}

impl Event {
    /// Where the moderators' decisions leave the event.
    pub fn moderation(&self) -> Moderation {
        self.moderation
    }

    /// Whether comment `id` is there for everyone: posted, neither deleted nor removed.
    pub fn comment_shown(&self, id: &str) -> bool {
        self.comments
            .iter()
            .any(|c| c.id == id && !c.removed && !c.deleted)
    }

    /// Whether comment `id` was removed by moderators.
    pub fn comment_removed(&self, id: &str) -> bool {
        self.comments.iter().any(|c| c.id == id && c.removed)
    }

    pub(super) fn moderate_all(
        &self,
        actions: Vec<ContentAction>,
        decision: Decision,
    ) -> Result<Vec<EventChange>, EventError> {
        let mut event = self.clone();
        let mut changes = Vec::new();
        for action in actions {
            for change in event.moderate(action, decision.clone())? {
                cqrs_es::Aggregate::apply(&mut event, change.clone());
                changes.push(change);
            }
        }
        Ok(changes)
    }

    pub(super) fn moderate(
        &self,
        action: ContentAction,
        decision: Decision,
    ) -> Result<Vec<EventChange>, EventError> {
        // Removed events stay decidable (they are restored this way); deleted ones are gone.
        if self.details.is_none() || self.deleted {
            return Err(EventError::NotFound);
        }
        if decision.until.is_some() && action.reversal().is_none() {
            return Err(invalid(
                "until",
                "only hiding, removing and closing comments end by themselves",
            ));
        }
        let m = self.moderation;
        let already = match &action {
            ContentAction::Hide => m.hidden.then_some("the event is already hidden"),
            ContentAction::Unhide => (!m.hidden).then_some("the event is not hidden"),
            ContentAction::Remove => m.removed.then_some("the event is already removed"),
            ContentAction::Restore => (!m.removed).then_some("the event is not removed"),
            ContentAction::CloseComments => m
                .comments_closed
                .then_some("comments on the event are already closed by moderators"),
            ContentAction::ReopenComments => (!m.comments_closed)
                .then_some("comments on the event were not closed by moderators"),
            ContentAction::RemoveComment { comment }
            | ContentAction::RestoreComment { comment } => {
                // A comment its author deleted has nothing left to remove or restore.
                let state = self
                    .comments
                    .iter()
                    .find(|c| c.id == *comment && !c.deleted)
                    .ok_or(EventError::UnknownComment)?;
                match (&action, state.removed) {
                    (ContentAction::RemoveComment { .. }, true) => {
                        Some("the comment is already removed")
                    }
                    (ContentAction::RestoreComment { .. }, false) => {
                        Some("the comment is not removed")
                    }
                    _ => None,
                }
            }
        };
        if let Some(already) = already {
            return Err(EventError::AlreadyDecided(already));
        }
        Ok(vec![EventChange::Moderated { action, decision }])
    }

    /// Applies a decision (twice is as once).
    pub(super) fn apply_decision(&mut self, action: ContentAction) {
        let m = &mut self.moderation;
        match action {
            ContentAction::Hide => m.hidden = true,
            ContentAction::Unhide => m.hidden = false,
            ContentAction::Remove => m.removed = true,
            ContentAction::Restore => m.removed = false,
            ContentAction::CloseComments => m.comments_closed = true,
            ContentAction::ReopenComments => m.comments_closed = false,
            ContentAction::RemoveComment { comment } => self.set_comment_removed(&comment, true),
            ContentAction::RestoreComment { comment } => self.set_comment_removed(&comment, false),
        }
    }

    fn set_comment_removed(&mut self, id: &str, removed: bool) {
        if let Some(c) = self.comments.iter_mut().find(|c| c.id == id) {
            c.removed = removed;
        }
    }
}
