use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

/// What happened to a profile. Past-tense facts, stored in the log forever: add variants and
/// fields with defaults, never rename them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProfileChange {
    Created {
        username: String,
        display_name: String,
        /// The owning account: private, never shown with the profile.
        #[serde(default)]
        account: Option<String>,
    },
    Renamed {
        display_name: String,
    },
    SummaryChanged {
        summary: String,
    },
}

impl DomainEvent for ProfileChange {
    fn event_type(&self) -> String {
        match self {
            ProfileChange::Created { .. } => "ProfileCreated",
            ProfileChange::Renamed { .. } => "ProfileRenamed",
            ProfileChange::SummaryChanged { .. } => "ProfileSummaryChanged",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
