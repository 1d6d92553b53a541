//! Given/when/then specifications of the account aggregate.

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
