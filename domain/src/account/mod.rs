//! An account: the private side of a person (email, password, role, sessions) that owns one or
//! more public profiles. Nothing about an account is ever shown to anyone but itself.

mod access;
mod changes;
mod commands;
mod role;
mod settings;
#[cfg(test)]
mod tests;
mod validation;

pub use changes::AccountChange;
pub use commands::AccountCommand;
pub use role::Role;
pub use validation::{
    normalise_email, validate_locale, validate_password, LOCALES, PASSWORD_MAX, PASSWORD_MIN,
};

use crate::moderation::{AccountAction, Decision};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

/// Rules an account command can break, named after the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("this account already exists")]
    AlreadyRegistered,
    #[error("there is no such account")]
    NotFound,
    #[error("this confirmation link is not valid (any more)")]
    WrongConfirmation,
    #[error("confirm your email address first: follow the link sent to you")]
    Unconfirmed,
    #[error("this account is disabled")]
    Disabled,
    #[error("this password reset link is not valid or has expired: ask for a new one")]
    WrongResetToken,
    #[error("@{0} is not one of this account's profiles")]
    NotOwnProfile(String),
    #[error("this account is suspended by the instance's moderators")]
    Suspended,
    #[error(
        "the instance's moderators closed this account's sessions: reset its password with the \
         link mailed on request, then log in again"
    )]
    LockedOut,
    #[error(
        "this account waits for a moderator's approval: a mail will tell you when it is approved"
    )]
    AwaitingApproval,
    #[error("this instance's moderators did not accept this registration")]
    RegistrationRejected,
    #[error("this account does not wait for approval")]
    NotAwaitingApproval,
    /// A moderators' decision that would change nothing.
    #[error("{0}")]
    AlreadyDecided(&'static str),
}

/// The state an account's decisions need.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    registered: bool,
    email: String,
    /// A new address waiting for its confirmation (hash).
    pending_email: Option<(String, String)>,
    role: Role,
    confirmation: Option<String>,
    disabled: bool,
    reset: Option<(String, i64)>,
    sessions: Vec<String>,
    profiles: Vec<String>,
    default_profile: Option<String>,
    /// Suspended by the instance's moderators.
    #[serde(default)]
    suspended: bool,
    /// Limited by the instance's moderators.
    #[serde(default)]
    limited: bool,
    /// Locked out by the moderators until the password is reset.
    #[serde(default)]
    locked_out: bool,
    /// Registered under approval and neither approved nor rejected yet.
    #[serde(default)]
    awaiting_approval: bool,
    #[serde(default)]
    rejected: bool,
}

impl Account {
    pub fn role(&self) -> Role {
        self.role
    }

    pub fn default_profile(&self) -> Option<&str> {
        self.default_profile.as_deref()
    }

    fn active(&self) -> Result<(), AccountError> {
        if !self.registered {
            return Err(AccountError::NotFound);
        }
        if self.disabled {
            return Err(AccountError::Disabled);
        }
        if self.suspended {
            return Err(AccountError::Suspended);
        }
        if self.rejected {
            return Err(AccountError::RegistrationRejected);
        }
        Ok(())
    }

    /// Waiting for a moderator to approve or reject its registration.
    pub fn awaiting_approval(&self) -> bool {
        self.awaiting_approval
    }

    fn decide_registration(
        &self,
        change: AccountChange,
    ) -> Result<Vec<AccountChange>, AccountError> {
        if !self.registered {
            return Err(AccountError::NotFound);
        }
        if !self.awaiting_approval {
            return Err(AccountError::NotAwaitingApproval);
        }
        Ok(vec![change])
    }

    pub fn suspended(&self) -> bool {
        self.suspended
    }

    /// Its profiles, oldest first.
    pub fn profiles(&self) -> &[String] {
        &self.profiles
    }

    /// Limited by the moderators: all its profiles' events out of public listings and search.
    pub fn limited(&self) -> bool {
        self.limited
    }

    /// Locked out by the moderators until the password is reset.
    pub fn locked_out(&self) -> bool {
        self.locked_out
    }

    fn moderate(
        &self,
        action: AccountAction,
        decision: Decision,
    ) -> Result<Vec<AccountChange>, AccountError> {
        if !self.registered {
            return Err(AccountError::NotFound);
        }
        let already = match action {
            AccountAction::Suspend => self.suspended.then_some("the account is already suspended"),
            AccountAction::Unsuspend => (!self.suspended).then_some("the account is not suspended"),
            AccountAction::Limit => self.limited.then_some("the account is already limited"),
            AccountAction::Unlimit => (!self.limited).then_some("the account is not limited"),
            AccountAction::Warn => None,
            AccountAction::LockOut => self
                .locked_out
                .then_some("the account is already locked out until its password is reset"),
        };
        if let Some(already) = already {
            return Err(AccountError::AlreadyDecided(already));
        }
        Ok(vec![AccountChange::Moderated { action, decision }])
    }
}

impl Account {
    fn restore_email(&self, email: String) -> Result<Vec<AccountChange>, AccountError> {
        if !self.registered {
            return Err(AccountError::NotFound);
        }
        if email == self.email {
            return Ok(vec![]);
        }
        Ok(vec![AccountChange::EmailChanged {
            previous: self.email.clone(),
            email,
        }])
    }
}

impl Aggregate for Account {
    const TYPE: &'static str = "Account";
    type Command = AccountCommand;
    type Event = AccountChange;
    type Error = AccountError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let changes = match command {
            AccountCommand::Register {
                email,
                password_hash,
                locale,
                role,
                confirmation,
                application,
            } => self.register(
                email,
                password_hash,
                locale,
                role,
                confirmation,
                application,
            ),
            AccountCommand::ApproveRegistration { moderator } => {
                self.decide_registration(AccountChange::RegistrationApproved { moderator })
            }
            AccountCommand::RejectRegistration { decision } => {
                self.decide_registration(AccountChange::RegistrationRejected { decision })
            }
            AccountCommand::ConfirmEmail { confirmation } => self.confirm_email(&confirmation),
            AccountCommand::OpenSession { session } => self.open_session(session),
            AccountCommand::CloseSession { session } => self.close_session(session),
            AccountCommand::ChangePassword {
                password_hash,
                keep_session,
            } => self.change_password(password_hash, keep_session),
            AccountCommand::RequestPasswordReset { token, expires_at } => {
                self.request_password_reset(token, expires_at)
            }
            AccountCommand::ResetPassword {
                token,
                password_hash,
                now,
            } => self.reset_password(&token, password_hash, now),
            AccountCommand::ChangeRole { role } => self.change_role(role),
            AccountCommand::Disable => self.disable(),
            AccountCommand::Moderate { action, decision } => self.moderate(action, decision),
            AccountCommand::RecordRevert {
                decision,
                from,
                to,
                reverts,
                conflicts,
            } => {
                if !self.registered {
                    return Err(AccountError::NotFound);
                }
                Ok(vec![AccountChange::Reverted {
                    decision,
                    from,
                    to,
                    reverts,
                    conflicts,
                }])
            }
            AccountCommand::RestoreEmail { email } => self.restore_email(email),
            AccountCommand::AddProfile { username } => self.add_profile(username),
            AccountCommand::ChooseDefaultProfile { username } => {
                self.choose_default_profile(username)
            }
            AccountCommand::ChangeLocale { locale } => self.change_locale(locale),
            AccountCommand::RotateFeedToken { token } => self.rotate_feed_token(token),
            AccountCommand::RevokeFeedToken => self.revoke_feed_token(),
            AccountCommand::RequestEmailChange {
                email,
                confirmation,
            } => self.request_email_change(email, confirmation),
            AccountCommand::ConfirmEmailChange { confirmation } => {
                self.confirm_email_change(&confirmation)
            }
        }?;
        for change in changes {
            sink.write(change, self).await;
        }
        Ok(())
    }

    /// Applying a change twice leaves the state as applying it once: cqrs-es 0.5's snapshot
    /// store applies a command's changes again to the already-changed aggregate before
    /// serialising the snapshot, so every change must be idempotent here.
    fn apply(&mut self, change: Self::Event) {
        use AccountChange as C;
        match change {
            C::Registered {
                email,
                role,
                confirmation,
                application,
                ..
            } => {
                self.registered = true;
                self.email = email;
                self.role = role;
                self.confirmation = confirmation;
                self.awaiting_approval = application.is_some();
            }
            C::EmailConfirmed => self.confirmation = None,
            C::RegistrationApproved { .. } => self.awaiting_approval = false,
            C::RegistrationRejected { .. } => {
                self.awaiting_approval = false;
                self.rejected = true;
                self.sessions.clear();
            }
            C::SessionOpened { session } => {
                if !self.sessions.contains(&session) {
                    self.sessions.push(session);
                }
            }
            C::SessionClosed { session } => self.sessions.retain(|s| *s != session),
            C::PasswordChanged { kept_session, .. } => {
                self.sessions.retain(|s| Some(s) == kept_session.as_ref());
                self.reset = None;
            }
            C::PasswordResetRequested { token, expires_at } => {
                self.reset = Some((token, expires_at.unix_timestamp()))
            }
            C::PasswordReset { .. } => {
                self.reset = None;
                self.sessions.clear();
                self.locked_out = false;
            }
            C::RoleChanged { role } => self.role = role,
            C::Disabled => {
                self.disabled = true;
                self.sessions.clear();
            }
            C::ProfileAdded { username } => {
                if !self.profiles.contains(&username) {
                    self.profiles.push(username);
                }
            }
            C::DefaultProfileChosen { username } => self.default_profile = Some(username),
            C::LocaleChanged { .. } | C::FeedTokenRotated { .. } | C::FeedTokenRevoked => {}
            C::EmailChangeRequested {
                email,
                confirmation,
            } => self.pending_email = Some((email, confirmation)),
            C::EmailChanged { email, .. } => {
                self.email = email;
                self.pending_email = None;
            }
            C::Reverted { .. } => {}
            C::Moderated { action, .. } => match action {
                AccountAction::Suspend => self.suspended = true,
                AccountAction::Unsuspend => self.suspended = false,
                AccountAction::Limit => self.limited = true,
                AccountAction::Unlimit => self.limited = false,
                // A warning is a strike in the log (the accounts read model counts them); no
                // decision depends on it.
                AccountAction::Warn => {}
                // Nothing asked before opens it again: neither a reset link nor an address
                // change waiting for confirmation (the taker may hold them).
                AccountAction::LockOut => {
                    self.locked_out = true;
                    self.sessions.clear();
                    self.reset = None;
                    self.pending_email = None;
                }
            },
        }
    }
}
