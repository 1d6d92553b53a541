//! Getting in: registration and its confirmation, sessions, passwords and their reset, and the
//! administrators' say over an account's role and whether it may log in at all.

use super::{Account, AccountChange, AccountError, Role};
use time::OffsetDateTime;

impl Account {
    pub(super) fn register(
        &self,
        email: String,
        password_hash: String,
        locale: String,
        role: Role,
        confirmation: Option<String>,
        application: Option<String>,
    ) -> Result<Vec<AccountChange>, AccountError> {
        if self.registered {
            return Err(AccountError::AlreadyRegistered);
        }
        Ok(vec![AccountChange::Registered {
            email,
            password_hash,
            locale,
            role,
            confirmation,
            application,
        }])
    }

    pub(super) fn confirm_email(
        &self,
        confirmation: &str,
    ) -> Result<Vec<AccountChange>, AccountError> {
        self.active()?;
        match &self.confirmation {
            // Already confirmed: following the link twice is fine.
            None => Ok(vec![]),
            Some(expected) if expected == confirmation => Ok(vec![AccountChange::EmailConfirmed]),
            Some(_) => Err(AccountError::WrongConfirmation),
        }
    }

    pub(super) fn open_session(&self, session: String) -> Result<Vec<AccountChange>, AccountError> {
        self.active()?;
        if self.confirmation.is_some() {
            return Err(AccountError::Unconfirmed);
        }
        if self.locked_out {
            return Err(AccountError::LockedOut);
        }
        if self.awaiting_approval {
            return Err(AccountError::AwaitingApproval);
        }
        Ok(vec![AccountChange::SessionOpened { session }])
    }

    pub(super) fn close_session(
        &self,
        session: String,
    ) -> Result<Vec<AccountChange>, AccountError> {
        if !self.sessions.contains(&session) {
            return Ok(vec![]);
        }
        Ok(vec![AccountChange::SessionClosed { session }])
    }

    pub(super) fn change_password(
        &self,
        password_hash: String,
        keep_session: Option<String>,
    ) -> Result<Vec<AccountChange>, AccountError> {
        self.active()?;
        Ok(vec![AccountChange::PasswordChanged {
            password_hash,
            kept_session: keep_session,
        }])
    }

    pub(super) fn request_password_reset(
        &self,
        token: String,
        expires_at: OffsetDateTime,
    ) -> Result<Vec<AccountChange>, AccountError> {
        self.active()?;
        Ok(vec![AccountChange::PasswordResetRequested {
            token,
            expires_at,
        }])
    }

    pub(super) fn reset_password(
        &self,
        token: &str,
        password_hash: String,
        now: OffsetDateTime,
    ) -> Result<Vec<AccountChange>, AccountError> {
        self.active()?;
        match &self.reset {
            Some((expected, expires)) if expected == token && now.unix_timestamp() < *expires => {
                Ok(vec![AccountChange::PasswordReset { password_hash }])
            }
            _ => Err(AccountError::WrongResetToken),
        }
    }

    pub(super) fn change_role(&self, role: Role) -> Result<Vec<AccountChange>, AccountError> {
        if !self.registered {
            return Err(AccountError::NotFound);
        }
        if role == self.role {
            return Ok(vec![]);
        }
        Ok(vec![AccountChange::RoleChanged { role }])
    }

    pub(super) fn disable(&self) -> Result<Vec<AccountChange>, AccountError> {
        if !self.registered {
            return Err(AccountError::NotFound);
        }
        if self.disabled {
            return Ok(vec![]);
        }
        Ok(vec![AccountChange::Disabled])
    }
}
