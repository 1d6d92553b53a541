use super::Role;
use crate::moderation::{AccountAction, Decision};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What happened to an account. Stored forever: add variants and defaulted fields, never rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountChange {
    Registered {
        email: String,
        password_hash: String,
        locale: String,
        role: Role,
        confirmation: Option<String>,
        /// Why the person asks to join, when the instance approves each registration: the
        /// account waits for a moderator's approval until then.
        #[serde(default)]
        application: Option<String>,
    },
    EmailConfirmed,
    /// A moderator approved the registration: the account may log in.
    RegistrationApproved {
        moderator: String,
    },
    /// A moderator rejected the registration: the account never opens, and its address is
    /// free to register again.
    RegistrationRejected {
        decision: Decision,
    },
    SessionOpened {
        session: String,
    },
    SessionClosed {
        session: String,
    },
    /// Every session but `kept_session` closes, and any pending reset code stops working.
    PasswordChanged {
        password_hash: String,
        #[serde(default)]
        kept_session: Option<String>,
    },
    PasswordResetRequested {
        token: String,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
    /// The password was set through a reset link; every session is closed.
    PasswordReset {
        password_hash: String,
    },
    RoleChanged {
        role: Role,
    },
    Disabled,
    ProfileAdded {
        username: String,
    },
    DefaultProfileChosen {
        username: String,
    },
    LocaleChanged {
        locale: String,
    },
    FeedTokenRotated {
        token: String,
    },
    FeedTokenRevoked,
    EmailChangeRequested {
        email: String,
        confirmation: String,
    },
    /// The new address is confirmed and replaces `previous`.
    EmailChanged {
        email: String,
        previous: String,
    },
    /// An instance moderator's decision (its name in the log is the action's: AccountSuspended,
    /// AccountWarned…).
    Moderated {
        action: AccountAction,
        decision: Decision,
    },
    /// A moderator reverted what this account did between `from` and `to` (log times): the
    /// positions of the changes reverted, and of those left for a moderator because someone
    /// else changed the same thing since. The compensating changes follow, each with the same
    /// request id.
    Reverted {
        decision: Decision,
        from: String,
        to: String,
        reverts: Vec<i64>,
        conflicts: Vec<i64>,
    },
}

impl DomainEvent for AccountChange {
    fn event_type(&self) -> String {
        match self {
            Self::Registered { .. } => "AccountRegistered",
            Self::EmailConfirmed => "AccountEmailConfirmed",
            Self::RegistrationApproved { .. } => "AccountRegistrationApproved",
            Self::RegistrationRejected { .. } => "AccountRegistrationRejected",
            Self::SessionOpened { .. } => "AccountSessionOpened",
            Self::SessionClosed { .. } => "AccountSessionClosed",
            Self::PasswordChanged { .. } => "AccountPasswordChanged",
            Self::PasswordResetRequested { .. } => "AccountPasswordResetRequested",
            Self::PasswordReset { .. } => "AccountPasswordReset",
            Self::RoleChanged { .. } => "AccountRoleChanged",
            Self::Disabled => "AccountDisabled",
            Self::ProfileAdded { .. } => "AccountProfileAdded",
            Self::DefaultProfileChosen { .. } => "AccountDefaultProfileChosen",
            Self::LocaleChanged { .. } => "AccountLocaleChanged",
            Self::FeedTokenRotated { .. } => "AccountFeedTokenRotated",
            Self::FeedTokenRevoked => "AccountFeedTokenRevoked",
            Self::EmailChangeRequested { .. } => "AccountEmailChangeRequested",
            Self::EmailChanged { .. } => "AccountEmailChanged",
            Self::Moderated { action, .. } => action.change_name(),
            Self::Reverted { .. } => "AccountReverted",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
