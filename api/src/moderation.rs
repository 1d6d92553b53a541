//! The instance moderators' decisions on content: hide an event from public listings and
//! search, remove an event or a comment (a tombstone for everyone else, the content kept in the
//! log as evidence), close an event's comments, and undo each. Every decision is a change of the
//! event with the moderator, the required reason, the report it answers and, for those that can
//! end, when it ends by itself; [`end_due`] records those ends.

use crate::auth::Session;
use crate::consistency;
use crate::error::{Error, Result};
use crate::reports::require_moderator;
use crate::AppState;
use convene_domain::metadata::{format_timestamp, parse_timestamp};
use convene_domain::moderation::{ContentAction, Decision};
use convene_domain::{Actor, Event, EventCommand, Metadata, Source};
use convene_projections::read_model::{DECISION_TIMERS, EVENTS};
use convene_projections::{decisions, events, reports};
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// What a decision is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecisionTarget {
    Event {
        id: String,
    },
    /// One comment of an event.
    Comment {
        event: String,
        id: String,
    },
}

/// What is decided. On a comment, only `remove` and `restore`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Hide,
    Unhide,
    Remove,
    Restore,
    CloseComments,
    ReopenComments,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::Hide,
        Action::Unhide,
        Action::Remove,
        Action::Restore,
        Action::CloseComments,
        Action::ReopenComments,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Hide => "hide",
            Action::Unhide => "unhide",
            Action::Remove => "remove",
            Action::Restore => "restore",
            Action::CloseComments => "close_comments",
            Action::ReopenComments => "reopen_comments",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// A decision as asked.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDecision {
    pub action: Action,
    pub target: DecisionTarget,
    /// Why (required, 1 to 2,000 characters): kept in the log and shown in the audit trail.
    #[serde(default)]
    pub reason: String,
    /// The report this decision answers.
    #[serde(default)]
    pub report: Option<String>,
    /// When the decision ends by itself (RFC 3339, in the future); for hide, remove and
    /// close_comments only.
    #[serde(default)]
    pub until: Option<String>,
}

/// A decision as recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionMade {
    /// Its position in the log.
    pub position: i64,
    /// The change's name in the log and the audit trail (EventHidden, CommentRemoved…).
    pub change: String,
    pub target: DecisionTarget,
    pub reason: String,
    pub report: Option<String>,
    /// When it ends by itself (fixed-width UTC).
    pub until: Option<String>,
}

fn content_action(action: Action, target: &DecisionTarget) -> Result<ContentAction> {
    Ok(match (target, action) {
        (DecisionTarget::Event { .. }, Action::Hide) => ContentAction::Hide,
        (DecisionTarget::Event { .. }, Action::Unhide) => ContentAction::Unhide,
        (DecisionTarget::Event { .. }, Action::Remove) => ContentAction::Remove,
        (DecisionTarget::Event { .. }, Action::Restore) => ContentAction::Restore,
        (DecisionTarget::Event { .. }, Action::CloseComments) => ContentAction::CloseComments,
        (DecisionTarget::Event { .. }, Action::ReopenComments) => ContentAction::ReopenComments,
        (DecisionTarget::Comment { id, .. }, Action::Remove) => ContentAction::RemoveComment {
            comment: id.clone(),
        },
        (DecisionTarget::Comment { id, .. }, Action::Restore) => ContentAction::RestoreComment {
            comment: id.clone(),
        },
        (DecisionTarget::Comment { .. }, other) => {
            return Err(Error::invalid_field(
                "action",
                format!(
                    "a comment is removed or restored; `{}` is for events",
                    other.as_str()
                ),
            ))
        }
    })
}

/// Records moderator `session`'s decision, or says what to fix; a refused decision writes
/// nothing.
pub async fn decide(state: &AppState, session: &Session, new: NewDecision) -> Result<DecisionMade> {
    require_moderator(session)?;
    let action = content_action(new.action, &new.target)?;
    let until = match new
        .until
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(text) => Some(parse_timestamp(text).map_err(|_| {
            Error::invalid_field(
                "until",
                "a date and time with its offset, such as 2026-06-01T12:00:00Z",
            )
        })?),
        None => None,
    };
    let decision = Decision::by_moderator(
        session.account.id.clone(),
        &new.reason,
        new.report.clone(),
        until,
        OffsetDateTime::now_utc(),
    )
    .map_err(|e| Error::Invalid(vec![e]))?;
    if let Some(report) = &decision.report {
        if reports::find(state.db.pool(), report).await?.is_none() {
            return Err(Error::invalid_field(
                "report",
                format!("there is no report {report}"),
            ));
        }
    }
    let target = new.target.clone();
    let event = match &target {
        DecisionTarget::Event { id } => id,
        DecisionTarget::Comment { event, id } => {
            let comment = events::comment(state.db.pool(), id).await?;
            if comment.is_none_or(|c| c.event_id != *event) {
                return Err(Error::not_found(format!(
                    "there is no comment {id} on event {event}"
                )));
            }
            event
        }
    };
    if events::find(state.db.pool(), event).await?.is_none() {
        return Err(Error::not_found(format!("there is no event {event}")));
    }
    let change = action.change_name().to_string();
    let metadata = session.metadata().with_reason(decision.reason.clone());
    let made = DecisionMade {
        position: 0,
        change,
        target: new.target,
        reason: decision.reason.clone(),
        report: decision.report.clone(),
        until: decision.until.clone(),
    };
    let command = EventCommand::Moderate { action, decision };
    let reads = &[EVENTS, DECISION_TIMERS];
    let position =
        consistency::command(state, &state.events, event, command, &metadata, reads).await?;
    Ok(DecisionMade { position, ..made })
}

/// Most timed decisions ended in one sweep; the next sweep takes the rest.
const SWEEP_MAX: i64 = 500;

/// Ends the timed decisions whose time has come by `now`: each end is a change of its own,
/// made by the instance (`system`, source `schedule`) with the decision's report. Returns how
/// many ended. A decision undone meanwhile by a moderator is no longer due; one that cannot be
/// ended (its object deleted meanwhile) is logged and skipped.
pub async fn end_due(state: &AppState, now: OffsetDateTime) -> Result<usize> {
    let due = decisions::due(state.db.pool(), &format_timestamp(now), SWEEP_MAX).await?;
    let mut ended = 0;
    for timer in due {
        if timer.aggregate_type != Event::TYPE {
            continue;
        }
        let action: ContentAction = serde_json::from_str(&timer.action).map_err(Error::internal)?;
        let Some(reversal) = action.reversal() else {
            continue;
        };
        let decision = Decision::expired(timer.report.clone());
        let metadata = Metadata::now(Actor::System, Source::Schedule, uuid::Uuid::new_v4())
            .with_reason(decision.reason.clone());
        let command = EventCommand::Moderate {
            action: reversal,
            decision,
        };
        let reads = &[EVENTS, DECISION_TIMERS];
        match consistency::command(
            state,
            &state.events,
            &timer.aggregate_id,
            command,
            &metadata,
            reads,
        )
        .await
        {
            Ok(_) => ended += 1,
            // Another process, or a moderator, ended it first.
            Err(error) if error.rule() == "already-decided" => {}
            Err(error) => tracing::warn!(
                %error,
                event = timer.aggregate_id,
                until = timer.until,
                "a timed decision could not be ended"
            ),
        }
    }
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_is_only_removed_or_restored() {
        let comment = DecisionTarget::Comment {
            event: "e".into(),
            id: "c".into(),
        };
        for action in [Action::Hide, Action::CloseComments, Action::ReopenComments] {
            let refused = content_action(action, &comment).unwrap_err();
            assert_eq!(refused.field_errors()[0].field, "action");
        }
        assert_eq!(
            content_action(Action::Remove, &comment).unwrap(),
            ContentAction::RemoveComment {
                comment: "c".into()
            }
        );
    }

    #[test]
    fn every_action_reads_back_from_its_name() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("delete"), None);
    }
}
