//! What an account's holder changes about it: its profiles and which one is the default, its
//! locale, the secret link to its private calendar feed, and its email address.

use super::{Account, AccountChange, AccountError};

impl Account {
    pub(super) fn add_profile(&self, username: String) -> Result<Vec<AccountChange>, AccountError> {
        self.active()?;
        let added = AccountChange::ProfileAdded {
            username: username.clone(),
        };
        if self.default_profile.is_some() {
            return Ok(vec![added]);
        }
        // The first profile becomes the default one.
        Ok(vec![
            added,
            AccountChange::DefaultProfileChosen { username },
        ])
    }

    pub(super) fn choose_default_profile(
        &self,
        username: String,
    ) -> Result<Vec<AccountChange>, AccountError> {
        self.active()?;
        if !self.profiles.contains(&username) {
            return Err(AccountError::NotOwnProfile(username));
        }
        Ok(vec![AccountChange::DefaultProfileChosen { username }])
    }

    pub(super) fn change_locale(&self, locale: String) -> Result<Vec<AccountChange>, AccountError> {
        self.active()?;
        Ok(vec![AccountChange::LocaleChanged { locale }])
    }

    pub(super) fn rotate_feed_token(
        &self,
        token: String,
    ) -> Result<Vec<AccountChange>, AccountError> {
        self.active()?;
        Ok(vec![AccountChange::FeedTokenRotated { token }])
    }

    pub(super) fn revoke_feed_token(&self) -> Result<Vec<AccountChange>, AccountError> {
        self.active()?;
        Ok(vec![AccountChange::FeedTokenRevoked])
    }

    pub(super) fn request_email_change(
        &self,
        email: String,
        confirmation: String,
    ) -> Result<Vec<AccountChange>, AccountError> {
        self.active()?;
        Ok(vec![AccountChange::EmailChangeRequested {
            email,
            confirmation,
        }])
    }

    pub(super) fn confirm_email_change(
        &self,
        confirmation: &str,
    ) -> Result<Vec<AccountChange>, AccountError> {
        self.active()?;
        match &self.pending_email {
            Some((email, expected)) if expected == confirmation => {
                Ok(vec![AccountChange::EmailChanged {
                    email: email.clone(),
                    previous: self.email.clone(),
                }])
            }
            _ => Err(AccountError::WrongConfirmation),
        }
    }
}
