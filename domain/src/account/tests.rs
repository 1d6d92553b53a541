//! Given/when/then specifications of the account aggregate.

use super::*;
use crate::moderation::{AccountAction, Decision};
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
        application: None,
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
            application: None,
        })
        .then_expect_error(AccountError::AlreadyRegistered);
}

/// Which kind of change this is. There is no catch-all arm, so a new kind of change does not
/// compile until it is numbered here, and the test below then fails until its history has one.
fn kind(change: &C) -> usize {
    match change {
        C::Registered { .. } => 0,
        C::EmailConfirmed => 1,
        C::SessionOpened { .. } => 2,
        C::SessionClosed { .. } => 3,
        C::PasswordChanged { .. } => 4,
        C::PasswordResetRequested { .. } => 5,
        C::PasswordReset { .. } => 6,
        C::RoleChanged { .. } => 7,
        C::Disabled => 8,
        C::ProfileAdded { .. } => 9,
        C::DefaultProfileChosen { .. } => 10,
        C::LocaleChanged { .. } => 11,
        C::FeedTokenRotated { .. } => 12,
        C::FeedTokenRevoked => 13,
        C::EmailChangeRequested { .. } => 14,
        C::EmailChanged { .. } => 15,
        C::Moderated { .. } => 16,
        C::Reverted { .. } => 17,
        C::RegistrationApproved { .. } => 18,
        C::RegistrationRejected { .. } => 19,
    }
}
const KINDS: usize = 20;

#[test]
fn applying_any_change_twice_leaves_the_state_as_once() {
    let opened = |session: &str| C::SessionOpened {
        session: session.into(),
    };
    let history = vec![
        registered(Some("h1")),
        C::EmailConfirmed,
        C::RegistrationApproved {
            moderator: "m1".into(),
        },
        opened("s1"),
        opened("s2"),
        opened("s3"),
        C::SessionClosed {
            session: "s1".into(),
        },
        C::PasswordResetRequested {
            token: "t".into(),
            expires_at: datetime!(2026-11-26 12:00 UTC),
        },
        C::PasswordChanged {
            password_hash: "second".into(),
            kept_session: Some("s2".into()),
        },
        opened("s4"),
        C::PasswordResetRequested {
            token: "t2".into(),
            expires_at: datetime!(2026-11-27 12:00 UTC),
        },
        C::PasswordReset {
            password_hash: "third".into(),
        },
        opened("s5"),
        C::ProfileAdded {
            username: "ana".into(),
        },
        C::DefaultProfileChosen {
            username: "ana".into(),
        },
        C::ProfileAdded {
            username: "ana_union".into(),
        },
        C::DefaultProfileChosen {
            username: "ana_union".into(),
        },
        C::LocaleChanged {
            locale: "en".into(),
        },
        C::FeedTokenRotated { token: "f".into() },
        C::FeedTokenRevoked,
        C::EmailChangeRequested {
            email: "ana@new.example".into(),
            confirmation: "h2".into(),
        },
        C::EmailChanged {
            email: "ana@new.example".into(),
            previous: "ana@example.org".into(),
        },
        C::RoleChanged {
            role: Role::Moderator,
        },
        moderated(AccountAction::Warn),
        moderated(AccountAction::Suspend),
        moderated(AccountAction::Unsuspend),
        moderated(AccountAction::LockOut),
        C::Reverted {
            decision: decision(),
            from: "2026-11-01T00:00:00.000000Z".into(),
            to: "2026-11-02T00:00:00.000000Z".into(),
            reverts: vec![4, 5],
            conflicts: vec![6],
        },
        C::RegistrationRejected {
            decision: decision(),
        },
        C::Disabled,
    ];
    let covered: std::collections::BTreeSet<usize> = history.iter().map(kind).collect();
    assert_eq!(covered, (0..KINDS).collect(), "every kind of change");
    let mut once = Account::default();
    let mut twice = Account::default();
    for change in history {
        once.apply(change.clone());
        twice.apply(change.clone());
        twice.apply(change);
        assert_eq!(once, twice);
    }
}

#[test]
fn a_command_s_changes_applied_again_leave_the_state_as_once() {
    // What cqrs-es 0.5's snapshot store does: all of a command's changes once more, in order.
    let history = vec![registered(None)];
    let changes = Given::with(())
        .given(history.clone())
        .when(AccountCommand::AddProfile {
            username: "ana".into(),
        })
        .inspect_result()
        .expect("accepted");
    assert_eq!(changes.len(), 2, "the first profile becomes the default");
    let mut once = Account::default();
    for change in history.iter().chain(&changes) {
        once.apply(change.clone());
    }
    let mut twice = once.clone();
    for change in changes {
        twice.apply(change);
    }
    assert_eq!(once, twice);
}

fn decision() -> Decision {
    Decision::plain("m1", "spam")
}

fn moderated(action: AccountAction) -> C {
    C::Moderated {
        action,
        decision: decision(),
    }
}

fn moderate(action: AccountAction) -> AccountCommand {
    AccountCommand::Moderate {
        action,
        decision: decision(),
    }
}

#[test]
fn a_suspended_account_cannot_log_in_until_unsuspended_and_warnings_pile_up() {
    let confirmed = || vec![registered(None)];
    Given::with(())
        .given(confirmed())
        .when(moderate(AccountAction::Suspend))
        .then_expect_events(vec![moderated(AccountAction::Suspend)]);
    let mut suspended = confirmed();
    suspended.push(moderated(AccountAction::Suspend));
    Given::with(())
        .given(suspended.clone())
        .when(AccountCommand::OpenSession {
            session: "s1".into(),
        })
        .then_expect_error(AccountError::Suspended);
    Given::with(())
        .given(suspended.clone())
        .when(moderate(AccountAction::Suspend))
        .then_expect_error(AccountError::AlreadyDecided(
            "the account is already suspended",
        ));
    suspended.push(moderated(AccountAction::Unsuspend));
    Given::with(())
        .given(suspended.clone())
        .when(AccountCommand::OpenSession {
            session: "s1".into(),
        })
        .then_expect_events(vec![C::SessionOpened {
            session: "s1".into(),
        }]);
    Given::with(())
        .given(confirmed())
        .when(moderate(AccountAction::Unsuspend))
        .then_expect_error(AccountError::AlreadyDecided("the account is not suspended"));
    suspended.push(moderated(AccountAction::Warn));
    Given::with(())
        .given(suspended)
        .when(moderate(AccountAction::Warn))
        .then_expect_events(vec![moderated(AccountAction::Warn)]);
    Given::with(())
        .given(vec![])
        .when(moderate(AccountAction::Warn))
        .then_expect_error(AccountError::NotFound);
}

#[test]
fn a_locked_out_account_logs_in_again_only_after_a_password_reset() {
    let opened = C::SessionOpened {
        session: "s1".into(),
    };
    let mut history = vec![registered(None), opened.clone()];
    Given::with(())
        .given(history.clone())
        .when(moderate(AccountAction::LockOut))
        .then_expect_events(vec![moderated(AccountAction::LockOut)]);
    history.push(moderated(AccountAction::LockOut));
    let mut state = Account::default();
    for change in &history {
        state.apply(change.clone());
    }
    assert!(state.locked_out());
    assert!(state.sessions.is_empty(), "every session closed");
    Given::with(())
        .given(history.clone())
        .when(AccountCommand::OpenSession {
            session: "s2".into(),
        })
        .then_expect_error(AccountError::LockedOut);
    Given::with(())
        .given(history.clone())
        .when(moderate(AccountAction::LockOut))
        .then_expect_error(AccountError::AlreadyDecided(
            "the account is already locked out until its password is reset",
        ));
    history.push(C::PasswordReset {
        password_hash: "new".into(),
    });
    Given::with(())
        .given(history)
        .when(AccountCommand::OpenSession {
            session: "s2".into(),
        })
        .then_expect_events(vec![C::SessionOpened {
            session: "s2".into(),
        }]);
}

#[test]
fn a_restored_address_names_the_one_it_replaces_and_the_same_address_changes_nothing() {
    let history = vec![registered(None)];
    let mut state = Account::default();
    state.apply(history[0].clone());
    let current = state.email.clone();
    Given::with(())
        .given(history.clone())
        .when(AccountCommand::RestoreEmail {
            email: "old@example.org".into(),
        })
        .then_expect_events(vec![C::EmailChanged {
            email: "old@example.org".into(),
            previous: current.clone(),
        }]);
    Given::with(())
        .given(history)
        .when(AccountCommand::RestoreEmail { email: current })
        .then_expect_events(vec![]);
}

#[test]
fn a_lock_out_voids_a_reset_link_or_an_address_change_asked_before_it() {
    let soon = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let history = vec![
        registered(None),
        C::PasswordResetRequested {
            token: "t1".into(),
            expires_at: soon,
        },
        C::EmailChangeRequested {
            email: "taker@example.org".into(),
            confirmation: "c1".into(),
        },
        moderated(AccountAction::LockOut),
    ];
    Given::with(())
        .given(history.clone())
        .when(AccountCommand::ResetPassword {
            token: "t1".into(),
            password_hash: "new".into(),
            now: time::OffsetDateTime::now_utc(),
        })
        .then_expect_error(AccountError::WrongResetToken);
    Given::with(())
        .given(history)
        .when(AccountCommand::ConfirmEmailChange {
            confirmation: "c1".into(),
        })
        .then_expect_error(AccountError::WrongConfirmation);
}

fn applied(moderator: bool) -> Vec<C> {
    let mut first = registered(None);
    if let C::Registered { application, .. } = &mut first {
        *application = Some("I run the repair café's events".into());
    }
    let mut history = vec![first];
    if moderator {
        history.push(C::RegistrationApproved {
            moderator: "m1".into(),
        });
    }
    history
}

#[test]
fn an_account_under_approval_logs_in_once_approved() {
    Given::with(())
        .given(applied(false))
        .when(AccountCommand::OpenSession {
            session: "s1".into(),
        })
        .then_expect_error(AccountError::AwaitingApproval);
    Given::with(())
        .given(applied(false))
        .when(AccountCommand::ApproveRegistration {
            moderator: "m1".into(),
        })
        .then_expect_events(vec![C::RegistrationApproved {
            moderator: "m1".into(),
        }]);
    Given::with(())
        .given(applied(true))
        .when(AccountCommand::OpenSession {
            session: "s1".into(),
        })
        .then_expect_events(vec![C::SessionOpened {
            session: "s1".into(),
        }]);
    Given::with(())
        .given(applied(true))
        .when(AccountCommand::RejectRegistration {
            decision: decision(),
        })
        .then_expect_error(AccountError::NotAwaitingApproval);
}

#[test]
fn a_rejected_registration_never_opens() {
    let mut history = applied(false);
    history.push(C::RegistrationRejected {
        decision: decision(),
    });
    Given::with(())
        .given(history.clone())
        .when(AccountCommand::OpenSession {
            session: "s1".into(),
        })
        .then_expect_error(AccountError::RegistrationRejected);
    Given::with(())
        .given(history)
        .when(AccountCommand::ApproveRegistration {
            moderator: "m1".into(),
        })
        .then_expect_error(AccountError::NotAwaitingApproval);
}

#[test]
fn a_limited_account_still_logs_in_and_a_limit_stands_apart_from_a_suspension() {
    let mut limited = vec![registered(None), moderated(AccountAction::Limit)];
    Given::with(())
        .given(vec![registered(None)])
        .when(moderate(AccountAction::Limit))
        .then_expect_events(vec![moderated(AccountAction::Limit)]);
    Given::with(())
        .given(limited.clone())
        .when(AccountCommand::OpenSession {
            session: "s1".into(),
        })
        .then_expect_events(vec![C::SessionOpened {
            session: "s1".into(),
        }]);
    Given::with(())
        .given(limited.clone())
        .when(moderate(AccountAction::Limit))
        .then_expect_error(AccountError::AlreadyDecided(
            "the account is already limited",
        ));
    Given::with(())
        .given(limited.clone())
        .when(moderate(AccountAction::Unsuspend))
        .then_expect_error(AccountError::AlreadyDecided("the account is not suspended"));
    limited.push(moderated(AccountAction::Unlimit));
    Given::with(())
        .given(limited)
        .when(moderate(AccountAction::Unlimit))
        .then_expect_error(AccountError::AlreadyDecided("the account is not limited"));
}
