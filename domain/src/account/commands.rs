use super::Role;
use crate::moderation::{AccountAction, Decision};
use time::OffsetDateTime;

/// What can be asked of an account, by its holder or, for the role and disabling, an
/// administrator (the caller has already checked who may ask).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountCommand {
    /// `confirmation` is the hash of the token mailed to the address; none when the account is
    /// created already confirmed (from the command line).
    Register {
        email: String,
        password_hash: String,
        locale: String,
        role: Role,
        confirmation: Option<String>,
        /// Why the person asks to join, when each registration waits for approval.
        application: Option<String>,
    },
    ConfirmEmail {
        confirmation: String,
    },
    /// `session` is the hash of the bearer token handed to the client.
    OpenSession {
        session: String,
    },
    CloseSession {
        session: String,
    },
    /// `keep_session`: the session asking, which stays open; every other one closes.
    ChangePassword {
        password_hash: String,
        keep_session: Option<String>,
    },
    RequestPasswordReset {
        token: String,
        expires_at: OffsetDateTime,
    },
    ResetPassword {
        token: String,
        password_hash: String,
        now: OffsetDateTime,
    },
    ChangeRole {
        role: Role,
    },
    Disable,
    AddProfile {
        username: String,
    },
    ChooseDefaultProfile {
        username: String,
    },
    ChangeLocale {
        locale: String,
    },
    /// A new secret link to the account's private calendar feed (`token` is its hash); the
    /// previous link stops working.
    RotateFeedToken {
        token: String,
    },
    RevokeFeedToken,
    /// Move to `email` once the link mailed there (`confirmation` is its hash) is followed.
    RequestEmailChange {
        email: String,
        confirmation: String,
    },
    ConfirmEmailChange {
        confirmation: String,
    },
    /// An instance moderator's decision (the caller checked the role and the decision's
    /// fields).
    Moderate {
        action: AccountAction,
        decision: Decision,
    },
    /// Record a moderator's revert of the account's changes (the caller planned it).
    RecordRevert {
        decision: Decision,
        from: String,
        to: String,
        reverts: Vec<i64>,
        conflicts: Vec<i64>,
    },
    /// A moderator approves a registration that waits for approval.
    ApproveRegistration {
        moderator: String,
    },
    /// A moderator rejects a registration that waits for approval.
    RejectRegistration {
        decision: Decision,
    },
    /// Put back the address `email` the account had before a change being reverted.
    RestoreEmail {
        email: String,
    },
}
