use super::{ActorSnapshot, Category, Federated, Target};
use serde::{Deserialize, Serialize};

/// What can be asked of a report. The caller has checked who may ask (anyone signed in files,
/// moderators do the rest); the report checks what state allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportCommand {
    File {
        reporter: Option<String>,
        target: Target,
        category: Category,
        comment: String,
        evidence: i64,
        federated: Federated,
        /// What this instance knows of a reported actor of another instance (boxed: most
        /// reports keep none).
        snapshot: Option<Box<ActorSnapshot>>,
    },
    /// A moderator (account id) takes the report.
    Assign { moderator: String },
    /// An internal note, never shown to the reporter or the reported.
    AddNote {
        note: String,
        moderator: String,
        body: String,
    },
    /// Handled: something was done about it.
    Resolve { moderator: String, reason: String },
    /// Handled: nothing to do.
    Close { moderator: String, reason: String },
}
