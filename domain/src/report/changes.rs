use super::{ActorSnapshot, Category, Federated, Target};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

/// What happened to a report. Past-tense facts, stored in the log forever: add variants and
/// fields with defaults, never rename them. Moderators are named by account id: a moderator may
/// act without a public profile, and the name never leaves the moderation views.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportChange {
    Filed {
        /// The reporting profile; none for an anonymous report.
        reporter: Option<String>,
        target: Target,
        category: Category,
        comment: String,
        /// The log position when the report was filed: the target is shown as it was then.
        evidence: i64,
        /// Where it meets other instances: sent from one, about content of one, forwarded.
        #[serde(default, skip_serializing_if = "Federated::is_local")]
        federated: Federated,
        /// For a report on another instance's actor: the actor as this instance knew it then.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        snapshot: Option<Box<ActorSnapshot>>,
    },
    Assigned {
        moderator: String,
    },
    NoteAdded {
        note: String,
        moderator: String,
        body: String,
    },
    Resolved {
        moderator: String,
        reason: String,
    },
    Closed {
        moderator: String,
        reason: String,
    },
}

impl DomainEvent for ReportChange {
    fn event_type(&self) -> String {
        match self {
            Self::Filed { .. } => "ReportFiled",
            Self::Assigned { .. } => "ReportAssigned",
            Self::NoteAdded { .. } => "ReportNoteAdded",
            Self::Resolved { .. } => "ReportResolved",
            Self::Closed { .. } => "ReportClosed",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
