//! An account: the private side of a person (email, password, role, sessions) that owns one or
//! more public profiles. Nothing about an account is ever shown to anyone but itself.

use crate::validation::{is_email, FieldError};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub const PASSWORD_MIN: usize = 10;
/// Longest password accepted (argon2 hashes anything, but a cap bounds the work).
pub const PASSWORD_MAX: usize = 1_000;
pub const LOCALES: [&str; 2] = ["en", "fr"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    User,
    Moderator,
    Administrator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Administrator => "administrator",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Role::User, Role::Moderator, Role::Administrator]
            .into_iter()
            .find(|r| r.as_str() == text)
    }

    /// Moderators and administrators see history and moderate.
    pub fn moderates(self) -> bool {
        self != Role::User
    }
}

/// Checks a password before it is hashed (the aggregate only ever sees hashes).
pub fn validate_password(password: &str) -> Result<(), FieldError> {
    let length = password.chars().count();
    if (PASSWORD_MIN..=PASSWORD_MAX).contains(&length) {
        Ok(())
    } else {
        Err(FieldError {
            field: "password".into(),
            message: format!("a password is at least {PASSWORD_MIN} characters"),
        })
    }
}

/// Checks an email address and returns it normalised (trimmed, lower-case).
pub fn normalise_email(email: &str) -> Result<String, FieldError> {
    let email = email.trim().to_lowercase();
    if is_email(&email) {
        Ok(email)
    } else {
        Err(FieldError {
            field: "email".into(),
            message: "enter an email address such as ana@example.org".into(),
        })
    }
}

/// Checks a locale against the languages Convene speaks.
pub fn validate_locale(locale: &str) -> Result<(), FieldError> {
    if LOCALES.contains(&locale) {
        Ok(())
    } else {
        Err(FieldError {
            field: "locale".into(),
            message: format!("a locale is one of {}", LOCALES.join(", ")),
        })
    }
}

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
}

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountChange {
    Registered {
        email: String,
        password_hash: String,
        locale: String,
        role: Role,
        confirmation: Option<String>,
    },
    EmailConfirmed,
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
}

impl DomainEvent for AccountChange {
    fn event_type(&self) -> String {
        match self {
            Self::Registered { .. } => "AccountRegistered",
            Self::EmailConfirmed => "AccountEmailConfirmed",
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
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}

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
        Ok(())
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
        use AccountChange as C;
        let change = match command {
            AccountCommand::Register {
                email,
                password_hash,
                locale,
                role,
                confirmation,
            } => {
                if self.registered {
                    return Err(AccountError::AlreadyRegistered);
                }
                C::Registered {
                    email,
                    password_hash,
                    locale,
                    role,
                    confirmation,
                }
            }
            AccountCommand::ConfirmEmail { confirmation } => {
                self.active()?;
                match &self.confirmation {
                    None => return Ok(()), // already confirmed: following the link twice is fine
                    Some(expected) if *expected == confirmation => C::EmailConfirmed,
                    Some(_) => return Err(AccountError::WrongConfirmation),
                }
            }
            AccountCommand::OpenSession { session } => {
                self.active()?;
                if self.confirmation.is_some() {
                    return Err(AccountError::Unconfirmed);
                }
                C::SessionOpened { session }
            }
            AccountCommand::CloseSession { session } => {
                if !self.sessions.contains(&session) {
                    return Ok(());
                }
                C::SessionClosed { session }
            }
            AccountCommand::ChangePassword {
                password_hash,
                keep_session,
            } => {
                self.active()?;
                C::PasswordChanged {
                    password_hash,
                    kept_session: keep_session,
                }
            }
            AccountCommand::RequestPasswordReset { token, expires_at } => {
                self.active()?;
                C::PasswordResetRequested { token, expires_at }
            }
            AccountCommand::ResetPassword {
                token,
                password_hash,
                now,
            } => {
                self.active()?;
                match &self.reset {
                    Some((expected, expires))
                        if *expected == token && now.unix_timestamp() < *expires =>
                    {
                        C::PasswordReset { password_hash }
                    }
                    _ => return Err(AccountError::WrongResetToken),
                }
            }
            AccountCommand::ChangeRole { role } => {
                if !self.registered {
                    return Err(AccountError::NotFound);
                }
                if role == self.role {
                    return Ok(());
                }
                C::RoleChanged { role }
            }
            AccountCommand::Disable => {
                if !self.registered {
                    return Err(AccountError::NotFound);
                }
                if self.disabled {
                    return Ok(());
                }
                C::Disabled
            }
            AccountCommand::AddProfile { username } => {
                self.active()?;
                let first = self.default_profile.is_none();
                sink.write(
                    C::ProfileAdded {
                        username: username.clone(),
                    },
                    self,
                )
                .await;
                if !first {
                    return Ok(());
                }
                // The first profile becomes the default one.
                C::DefaultProfileChosen { username }
            }
            AccountCommand::ChooseDefaultProfile { username } => {
                self.active()?;
                if !self.profiles.contains(&username) {
                    return Err(AccountError::NotOwnProfile(username));
                }
                C::DefaultProfileChosen { username }
            }
            AccountCommand::ChangeLocale { locale } => {
                self.active()?;
                C::LocaleChanged { locale }
            }
            AccountCommand::RotateFeedToken { token } => {
                self.active()?;
                C::FeedTokenRotated { token }
            }
            AccountCommand::RevokeFeedToken => {
                self.active()?;
                C::FeedTokenRevoked
            }
            AccountCommand::RequestEmailChange {
                email,
                confirmation,
            } => {
                self.active()?;
                C::EmailChangeRequested {
                    email,
                    confirmation,
                }
            }
            AccountCommand::ConfirmEmailChange { confirmation } => {
                self.active()?;
                match &self.pending_email {
                    Some((email, expected)) if *expected == confirmation => C::EmailChanged {
                        email: email.clone(),
                        previous: self.email.clone(),
                    },
                    _ => return Err(AccountError::WrongConfirmation),
                }
            }
        };
        sink.write(change, self).await;
        Ok(())
    }

    fn apply(&mut self, change: Self::Event) {
        use AccountChange as C;
        match change {
            C::Registered {
                email,
                role,
                confirmation,
                ..
            } => {
                self.registered = true;
                self.email = email;
                self.role = role;
                self.confirmation = confirmation;
            }
            C::EmailConfirmed => self.confirmation = None,
            C::SessionOpened { session } => self.sessions.push(session),
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
            }
            C::RoleChanged { role } => self.role = role,
            C::Disabled => {
                self.disabled = true;
                self.sessions.clear();
            }
            C::ProfileAdded { username } => self.profiles.push(username),
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;
    use time::macros::datetime;

    type Given = TestFramework<Account>;
    use AccountChange as C;

    fn registered(confirmation: Option<&str>) -> C {
        C::Registered {
            email: "ana@example.org".into(),
            password_hash: "$argon2id$…".into(),
            locale: "fr".into(),
            role: Role::User,
            confirmation: confirmation.map(Into::into),
        }
    }

    #[test]
    fn passwords_emails_and_locales_are_checked_before_anything_is_recorded() {
        assert!(validate_password("short").is_err());
        assert!(validate_password("long enough!").is_ok());
        assert_eq!(
            normalise_email(" Ana@Example.org "),
            Ok("ana@example.org".into())
        );
        assert!(normalise_email("ana").is_err());
        assert!(validate_locale("fr").is_ok());
        assert!(validate_locale("xx").is_err());
    }

    #[test]
    fn an_unconfirmed_account_cannot_log_in_until_the_link_is_followed() {
        Given::with(())
            .given(vec![registered(Some("h1"))])
            .when(AccountCommand::OpenSession {
                session: "s".into(),
            })
            .then_expect_error(AccountError::Unconfirmed);
        Given::with(())
            .given(vec![registered(Some("h1"))])
            .when(AccountCommand::ConfirmEmail {
                confirmation: "other".into(),
            })
            .then_expect_error(AccountError::WrongConfirmation);
        Given::with(())
            .given(vec![registered(Some("h1"))])
            .when(AccountCommand::ConfirmEmail {
                confirmation: "h1".into(),
            })
            .then_expect_events(vec![C::EmailConfirmed]);
        Given::with(())
            .given(vec![registered(Some("h1")), C::EmailConfirmed])
            .when(AccountCommand::OpenSession {
                session: "s".into(),
            })
            .then_expect_events(vec![C::SessionOpened {
                session: "s".into(),
            }]);
    }

    #[test]
    fn a_disabled_account_cannot_log_in() {
        Given::with(())
            .given(vec![registered(None), C::Disabled])
            .when(AccountCommand::OpenSession {
                session: "s".into(),
            })
            .then_expect_error(AccountError::Disabled);
    }

    #[test]
    fn a_reset_link_works_once_before_it_expires_and_closes_every_session() {
        let requested = C::PasswordResetRequested {
            token: "t".into(),
            expires_at: datetime!(2026-11-26 12:00 UTC),
        };
        let reset = |token: &str, now| AccountCommand::ResetPassword {
            token: token.into(),
            password_hash: "new".into(),
            now,
        };
        Given::with(())
            .given(vec![registered(None), requested.clone()])
            .when(reset("t", datetime!(2026-11-26 13:00 UTC)))
            .then_expect_error(AccountError::WrongResetToken);
        Given::with(())
            .given(vec![registered(None), requested.clone()])
            .when(reset("x", datetime!(2026-11-26 11:00 UTC)))
            .then_expect_error(AccountError::WrongResetToken);
        let mut account = Account::default();
        for change in [
            registered(None),
            C::SessionOpened {
                session: "s".into(),
            },
            requested,
            C::PasswordReset {
                password_hash: "new".into(),
            },
        ] {
            account.apply(change);
        }
        assert!(account.sessions.is_empty());
        assert_eq!(account.reset, None, "the link works once");
    }

    #[test]
    fn the_first_profile_becomes_the_default_and_only_own_profiles_can_be() {
        Given::with(())
            .given(vec![registered(None)])
            .when(AccountCommand::AddProfile {
                username: "ana".into(),
            })
            .then_expect_events(vec![
                C::ProfileAdded {
                    username: "ana".into(),
                },
                C::DefaultProfileChosen {
                    username: "ana".into(),
                },
            ]);
        Given::with(())
            .given(vec![
                registered(None),
                C::ProfileAdded {
                    username: "ana".into(),
                },
                C::DefaultProfileChosen {
                    username: "ana".into(),
                },
            ])
            .when(AccountCommand::AddProfile {
                username: "ana_union".into(),
            })
            .then_expect_events(vec![C::ProfileAdded {
                username: "ana_union".into(),
            }]);
        Given::with(())
            .given(vec![registered(None)])
            .when(AccountCommand::ChooseDefaultProfile {
                username: "bob".into(),
            })
            .then_expect_error(AccountError::NotOwnProfile("bob".into()));
    }

    #[test]
    fn a_new_address_replaces_the_old_once_its_link_is_followed() {
        let requested = C::EmailChangeRequested {
            email: "ana@new.example".into(),
            confirmation: "h2".into(),
        };
        Given::with(())
            .given(vec![registered(None), requested.clone()])
            .when(AccountCommand::ConfirmEmailChange {
                confirmation: "wrong".into(),
            })
            .then_expect_error(AccountError::WrongConfirmation);
        Given::with(())
            .given(vec![registered(None), requested])
            .when(AccountCommand::ConfirmEmailChange {
                confirmation: "h2".into(),
            })
            .then_expect_events(vec![C::EmailChanged {
                email: "ana@new.example".into(),
                previous: "ana@example.org".into(),
            }]);
    }

    #[test]
    fn an_account_registers_once() {
        Given::with(())
            .given(vec![registered(None)])
            .when(AccountCommand::Register {
                email: "ana@example.org".into(),
                password_hash: "h".into(),
                locale: "en".into(),
                role: Role::User,
                confirmation: None,
            })
            .then_expect_error(AccountError::AlreadyRegistered);
    }
}
