//! Given/when/then specifications of the event aggregate.

use super::details::{EventStatus, JoinMode};
use super::*;
use crate::moderation::{ContentAction, Decision};
use cqrs_es::test::TestFramework;
use time::macros::datetime;

type Given = TestFramework<Event>;
use EventChange as C;
use ParticipantState as S;

fn details() -> EventDetails {
    EventDetails {
        description_source: None,
        remote_picture: None,
        title: "Climate march".into(),
        description: "<p>Bring <b>banners</b></p>".into(),
        begins_at: datetime!(2026-12-05 14:00 UTC),
        ends_at: Some(datetime!(2026-12-05 17:00 UTC)),
        time_zone: "Europe/Paris".into(),
        status: EventStatus::Confirmed,
        visibility: details::Visibility::Public,
        join_mode: JoinMode::Free,
        external_url: None,
        capacity: None,
        address: None,
        online_url: None,
        category: "CAUSES".into(),
        tags: vec!["climate".into()],
        language: "fr".into(),
        links: vec![],
        options: details::EventOptions::default(),
    }
}

fn created_with(change: impl FnOnce(&mut EventDetails)) -> C {
    let mut d = details();
    change(&mut d);
    C::Created {
        organiser: "org".into(),
        creator_participation: "p-org".into(),
        details: d,
        draft: false,
    }
}

fn created(capacity: Option<i64>, mode: JoinMode) -> C {
    created_with(|d| {
        d.capacity = capacity;
        d.join_mode = mode;
    })
}

fn joined(id: &str, profile: &str, state: S) -> C {
    C::Joined {
        participation: id.into(),
        who: Participant::Profile(profile.into()),
        state,
        message: None,
        confirm_token: None,
        cancel_token: None,
    }
}

fn join(id: &str, profile: &str) -> EventCommand {
    EventCommand::Join {
        participation: id.into(),
        profile: profile.into(),
        message: None,
    }
}

fn fields(error: EventError) -> Vec<String> {
    match error {
        EventError::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

fn create_error(change: impl FnOnce(&mut EventDetails)) -> Vec<String> {
    let mut d = details();
    change(&mut d);
    let result = Given::with(())
        .given_no_previous_events()
        .when(EventCommand::Create {
            organiser: "org".into(),
            creator_participation: "p-org".into(),
            details: d,
            draft: false,
        })
        .inspect_result();
    fields(result.expect_err("refused"))
}

#[test]
fn an_event_is_created_with_its_organiser_as_creator_and_sanitised_html() {
    let mut d = details();
    d.description =
        r#"<p onmouseover="steal()">Bring <b>banners</b><script>x()</script></p>"#.into();
    d.title = "  Climate march ".into();
    d.tags = vec!["#Climate".into(), "climate".into(), " Paris ".into()];
    let mut expected = details();
    expected.tags = vec!["climate".into(), "paris".into()];
    Given::with(())
        .given_no_previous_events()
        .when(EventCommand::Create {
            organiser: "org".into(),
            creator_participation: "p-org".into(),
            details: d,
            draft: false,
        })
        .then_expect_events(vec![C::Created {
            organiser: "org".into(),
            creator_participation: "p-org".into(),
            details: expected,
            draft: false,
        }]);
}

#[test]
fn each_broken_rule_names_its_field() {
    assert_eq!(create_error(|d| d.title = "ab".into()), ["title"]);
    assert_eq!(create_error(|d| d.title = "x".repeat(201)), ["title"]);
    assert_eq!(
        create_error(|d| d.ends_at = Some(datetime!(2026-12-05 13:00 UTC))),
        ["ends_at"]
    );
    assert_eq!(
        create_error(|d| d.time_zone = "Mars/Olympus".into()),
        ["time_zone"]
    );
    assert_eq!(create_error(|d| d.capacity = Some(0)), ["capacity"]);
    assert_eq!(create_error(|d| d.capacity = Some(-3)), ["capacity"]);
    assert_eq!(
        create_error(|d| d.description = "a".repeat(100 * 1024 + 1)),
        ["description"]
    );
    assert_eq!(
        create_error(|d| d.join_mode = JoinMode::External),
        ["external_url"]
    );
    assert_eq!(
        create_error(|d| d.online_url = Some("javascript:alert(1)".into())),
        ["online_url"]
    );
    assert_eq!(create_error(|d| d.category = "PICNIC".into()), ["category"]);
    assert_eq!(create_error(|d| d.title = "Two\nlines".into()), ["title"]);
    assert_eq!(
        create_error(|d| {
            d.links = vec![details::MetadataLink {
                key: "mz:visio".into(),
                title: "Visio".into(),
                value: "javascript:alert(1)".into(),
            }]
        }),
        ["links[0].value"]
    );
    assert_eq!(
        create_error(|d| d.address = Some(details::Address {
            latitude: Some(91.0),
            longitude: Some(0.0),
            ..Default::default()
        })),
        ["address.latitude"]
    );
    assert_eq!(
        create_error(|d| {
            d.title = "ab".into();
            d.capacity = Some(0);
        }),
        ["title", "capacity"],
        "every broken rule at once"
    );
}

#[test]
fn joins_take_seats_until_full_then_queue_on_the_waitlist() {
    Given::with(())
        .given(vec![
            created(Some(1), JoinMode::Free),
            joined("p1", "ana", S::Participant),
        ])
        .when(join("p2", "bob"))
        .then_expect_events(vec![joined("p2", "bob", S::Waitlisted)]);
}

#[test]
fn a_freed_seat_promotes_the_first_in_line() {
    Given::with(())
        .given(vec![
            created(Some(1), JoinMode::Free),
            joined("p1", "ana", S::Participant),
            joined("p2", "bob", S::Waitlisted),
            joined("p3", "cy", S::Waitlisted),
        ])
        .when(EventCommand::Leave {
            profile: "ana".into(),
        })
        .then_expect_events(vec![
            C::Left {
                participation: "p1".into(),
            },
            C::Promoted {
                participation: "p2".into(),
            },
        ]);
}

#[test]
fn a_join_never_skips_the_waitlist() {
    // A seat is free (capacity raised elsewhere), but someone is already waiting: queue.
    let mut event = Event::default();
    for change in [
        created(Some(1), JoinMode::Free),
        joined("p1", "ana", S::Participant),
        joined("p2", "bob", S::Waitlisted),
    ] {
        event.apply(change);
    }
    event.apply(C::Left {
        participation: "p1".into(),
    });
    assert_eq!(event.admission(), S::Waitlisted);
}

#[test]
fn approval_events_wait_for_an_organiser_and_approval_when_full_waitlists() {
    Given::with(())
        .given(vec![created(Some(1), JoinMode::Restricted)])
        .when(join("p1", "ana"))
        .then_expect_events(vec![joined("p1", "ana", S::NotApproved)]);
    Given::with(())
        .given(vec![
            created(Some(1), JoinMode::Restricted),
            joined("p1", "ana", S::NotApproved),
            joined("p2", "bob", S::NotApproved),
            C::Approved {
                participation: "p1".into(),
                state: S::Participant,
            },
        ])
        .when(EventCommand::Approve {
            by: "org".into(),
            participation: "p2".into(),
        })
        .then_expect_events(vec![C::Approved {
            participation: "p2".into(),
            state: S::Waitlisted,
        }]);
}

#[test]
fn only_organisers_approve_and_reject() {
    Given::with(())
        .given(vec![
            created(None, JoinMode::Restricted),
            joined("p1", "ana", S::NotApproved),
        ])
        .when(EventCommand::Approve {
            by: "ana".into(),
            participation: "p1".into(),
        })
        .then_expect_error(EventError::NotOrganiser);
}

#[test]
fn rejecting_a_participant_frees_the_seat_for_the_next_in_line() {
    Given::with(())
        .given(vec![
            created(Some(1), JoinMode::Free),
            joined("p1", "ana", S::Participant),
            joined("p2", "bob", S::Waitlisted),
        ])
        .when(EventCommand::Reject {
            by: "org".into(),
            participation: "p1".into(),
        })
        .then_expect_events(vec![
            C::Rejected {
                participation: "p1".into(),
            },
            C::Promoted {
                participation: "p2".into(),
            },
        ]);
}

#[test]
fn a_profile_joins_once_and_a_rejected_one_cannot_come_back() {
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            joined("p1", "ana", S::Participant),
        ])
        .when(join("p2", "ana"))
        .then_expect_error(EventError::AlreadyParticipating("@ana".into()));
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            joined("p1", "ana", S::Participant),
            C::Rejected {
                participation: "p1".into(),
            },
        ])
        .when(join("p2", "ana"))
        .then_expect_error(EventError::RejectedBefore("@ana".into()));
}

#[test]
fn drafts_cancelled_external_and_invite_only_events_cannot_be_joined() {
    let draft = C::Created {
        organiser: "org".into(),
        creator_participation: "p-org".into(),
        details: details(),
        draft: true,
    };
    Given::with(())
        .given(vec![draft])
        .when(join("p1", "ana"))
        .then_expect_error(EventError::Draft);
    Given::with(())
        .given(vec![created(None, JoinMode::Free), C::Cancelled])
        .when(join("p1", "ana"))
        .then_expect_error(EventError::Cancelled);
    Given::with(())
        .given(vec![created_with(|d| {
            d.join_mode = JoinMode::External;
            d.external_url = Some("https://tickets.example.org/march".into());
        })])
        .when(join("p1", "ana"))
        .then_expect_error(EventError::ExternalRegistration(
            "https://tickets.example.org/march".into(),
        ));
    Given::with(())
        .given(vec![created(None, JoinMode::Invite)])
        .when(join("p1", "ana"))
        .then_expect_error(EventError::InviteOnly);
}

#[test]
fn the_last_organiser_cannot_leave_but_one_of_two_can() {
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(EventCommand::Leave {
            profile: "org".into(),
        })
        .then_expect_error(EventError::LastOrganiser);
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            joined("p1", "ana", S::Participant),
            C::RoleChanged {
                participation: "p1".into(),
                role: S::Administrator,
            },
        ])
        .when(EventCommand::Leave {
            profile: "org".into(),
        })
        .then_expect_events(vec![C::Left {
            participation: "p-org".into(),
        }]);
}

#[test]
fn making_a_participant_an_organiser_frees_their_seat() {
    Given::with(())
        .given(vec![
            created(Some(1), JoinMode::Free),
            joined("p1", "ana", S::Participant),
            joined("p2", "bob", S::Waitlisted),
        ])
        .when(EventCommand::ChangeRole {
            by: "org".into(),
            participation: "p1".into(),
            role: S::Moderator,
        })
        .then_expect_events(vec![
            C::RoleChanged {
                participation: "p1".into(),
                role: S::Moderator,
            },
            C::Promoted {
                participation: "p2".into(),
            },
        ]);
}

#[test]
fn the_last_administrator_cannot_step_down() {
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(EventCommand::ChangeRole {
            by: "org".into(),
            participation: "p-org".into(),
            role: S::Participant,
        })
        .then_expect_error(EventError::LastOrganiser);
}

fn anonymous_joined(id: &str, email: &str) -> C {
    C::Joined {
        participation: id.into(),
        who: Participant::Anonymous {
            email: email.into(),
        },
        state: S::NotConfirmed,
        message: Some("see you".into()),
        confirm_token: Some(format!("confirm-{id}")),
        cancel_token: Some(format!("cancel-{id}")),
    }
}

fn anonymous_event(capacity: Option<i64>, mode: JoinMode) -> C {
    created_with(|d| {
        d.capacity = capacity;
        d.join_mode = mode;
        d.options.anonymous_participation = true;
    })
}

#[test]
fn anonymous_participation_needs_the_option_and_starts_unconfirmed() {
    let command = EventCommand::JoinAnonymously {
        participation: "a1".into(),
        email: " Zoe@Example.org ".into(),
        message: Some("see you".into()),
        confirm_token: "confirm-a1".into(),
        cancel_token: "cancel-a1".into(),
    };
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(command.clone())
        .then_expect_error(EventError::AnonymousNotAllowed);
    Given::with(())
        .given(vec![anonymous_event(None, JoinMode::Free)])
        .when(command)
        .then_expect_events(vec![anonymous_joined("a1", "zoe@example.org")]);
}

#[test]
fn a_confirmed_anonymous_participant_takes_a_seat_or_waits_for_approval() {
    let confirm = EventCommand::ConfirmAnonymous {
        confirm_token: "confirm-a1".into(),
    };
    Given::with(())
        .given(vec![
            anonymous_event(Some(1), JoinMode::Free),
            anonymous_joined("a1", "zoe@example.org"),
        ])
        .when(confirm.clone())
        .then_expect_events(vec![C::Confirmed {
            participation: "a1".into(),
            state: S::Participant,
        }]);
    Given::with(())
        .given(vec![
            anonymous_event(Some(1), JoinMode::Restricted),
            anonymous_joined("a1", "zoe@example.org"),
        ])
        .when(confirm.clone())
        .then_expect_events(vec![C::Confirmed {
            participation: "a1".into(),
            state: S::NotApproved,
        }]);
    Given::with(())
        .given(vec![
            anonymous_event(Some(1), JoinMode::Free),
            anonymous_joined("a1", "zoe@example.org"),
            C::Confirmed {
                participation: "a1".into(),
                state: S::Participant,
            },
        ])
        .when(confirm)
        .then_expect_events(vec![]);
}

#[test]
fn the_cancel_link_leaves_and_an_unknown_link_is_refused() {
    Given::with(())
        .given(vec![
            anonymous_event(None, JoinMode::Free),
            anonymous_joined("a1", "zoe@example.org"),
        ])
        .when(EventCommand::LeaveAnonymously {
            cancel_token: "cancel-a1".into(),
        })
        .then_expect_events(vec![C::Left {
            participation: "a1".into(),
        }]);
    Given::with(())
        .given(vec![anonymous_event(None, JoinMode::Free)])
        .when(EventCommand::ConfirmAnonymous {
            confirm_token: "forged".into(),
        })
        .then_expect_error(EventError::UnknownToken);
}

#[test]
fn only_administrators_update_and_capacity_cannot_drop_below_the_seated() {
    let patch = |capacity| EventPatch {
        capacity: Some(capacity),
        ..Default::default()
    };
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            joined("p1", "ana", S::Participant),
        ])
        .when(EventCommand::Update {
            by: "ana".into(),
            patch: patch(Some(5)),
        })
        .then_expect_error(EventError::NotAdministrator);
    let result = Given::with(())
        .given(vec![
            created(Some(2), JoinMode::Free),
            joined("p1", "ana", S::Participant),
            joined("p2", "bob", S::Participant),
        ])
        .when(EventCommand::Update {
            by: "org".into(),
            patch: patch(Some(1)),
        })
        .inspect_result();
    assert_eq!(fields(result.expect_err("refused")), ["capacity"]);
}

#[test]
fn raising_the_capacity_promotes_the_waitlist() {
    let mut raised = details();
    raised.capacity = Some(2);
    Given::with(())
        .given(vec![
            created(Some(1), JoinMode::Free),
            joined("p1", "ana", S::Participant),
            joined("p2", "bob", S::Waitlisted),
        ])
        .when(EventCommand::Update {
            by: "org".into(),
            patch: EventPatch {
                capacity: Some(Some(2)),
                ..Default::default()
            },
        })
        .then_expect_events(vec![
            C::Updated {
                details: raised,
                fields: vec!["capacity".into()],
            },
            C::Promoted {
                participation: "p2".into(),
            },
        ]);
}

#[test]
fn comments_thread_close_and_leave_tombstones() {
    let posted = |id: &str, author: &str, parent: Option<&str>| C::CommentPosted {
        comment: id.into(),
        author: author.into(),
        in_reply_to: parent.map(Into::into),
        body: "Hello".into(),
        announcement: false,
    };
    let post = |id: &str, by: &str, parent: Option<&str>, announcement| EventCommand::PostComment {
        comment: id.into(),
        by: by.into(),
        in_reply_to: parent.map(Into::into),
        body: "Hello".into(),
        announcement,
    };
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            posted("c1", "ana", None),
        ])
        .when(post("c2", "bob", Some("c1"), false))
        .then_expect_events(vec![posted("c2", "bob", Some("c1"))]);
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            posted("c1", "ana", None),
            C::CommentDeleted {
                comment: "c1".into(),
            },
        ])
        .when(post("c2", "bob", Some("c1"), false))
        .then_expect_error(EventError::UnknownComment);
    let closed = created_with(|d| d.options.comments_open = false);
    Given::with(())
        .given(vec![closed.clone()])
        .when(post("c1", "ana", None, false))
        .then_expect_error(EventError::CommentsClosed);
    Given::with(())
        .given(vec![closed])
        .when(post("c1", "org", None, true))
        .then_expect_events(vec![C::CommentPosted {
            comment: "c1".into(),
            author: "org".into(),
            in_reply_to: None,
            body: "Hello".into(),
            announcement: true,
        }]);
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(post("c1", "ana", None, true))
        .then_expect_error(EventError::NotOrganiser);
}

#[test]
fn authors_edit_their_comments_and_organisers_may_delete_any() {
    let given = || {
        vec![
            created(None, JoinMode::Free),
            C::CommentPosted {
                comment: "c1".into(),
                author: "ana".into(),
                in_reply_to: None,
                body: "Hi".into(),
                announcement: false,
            },
        ]
    };
    Given::with(())
        .given(given())
        .when(EventCommand::EditComment {
            comment: "c1".into(),
            by: "bob".into(),
            body: "Mine now".into(),
        })
        .then_expect_error(EventError::NotCommentAuthor);
    Given::with(())
        .given(given())
        .when(EventCommand::DeleteComment {
            comment: "c1".into(),
            by: "org".into(),
        })
        .then_expect_events(vec![C::CommentDeleted {
            comment: "c1".into(),
        }]);
    Given::with(())
        .given(given())
        .when(EventCommand::DeleteComment {
            comment: "c1".into(),
            by: "bob".into(),
        })
        .then_expect_error(EventError::NotOrganiser);
}

#[test]
fn a_deleted_event_is_gone_for_every_command() {
    Given::with(())
        .given(vec![created(None, JoinMode::Free), C::Deleted])
        .when(join("p1", "ana"))
        .then_expect_error(EventError::NotFound);
}

#[test]
fn publishing_and_cancelling_are_for_administrators_and_idempotent() {
    let draft = C::Created {
        organiser: "org".into(),
        creator_participation: "p-org".into(),
        details: details(),
        draft: true,
    };
    Given::with(())
        .given(vec![draft])
        .when(EventCommand::Publish { by: "org".into() })
        .then_expect_events(vec![C::Published]);
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(EventCommand::Publish { by: "org".into() })
        .then_expect_events(vec![]);
    Given::with(())
        .given(vec![created(None, JoinMode::Free), C::Cancelled])
        .when(EventCommand::Cancel { by: "org".into() })
        .then_expect_events(vec![]);
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(EventCommand::Cancel { by: "ana".into() })
        .then_expect_error(EventError::NotAdministrator);
}

#[test]
fn a_rejected_participant_cannot_leave_to_join_again() {
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            joined("p1", "ana", S::Participant),
            C::Rejected {
                participation: "p1".into(),
            },
        ])
        .when(EventCommand::Leave {
            profile: "ana".into(),
        })
        .then_expect_error(EventError::RejectedBefore("@ana".into()));
    Given::with(())
        .given(vec![
            anonymous_event(None, JoinMode::Free),
            anonymous_joined("a1", "zoe@example.org"),
            C::Rejected {
                participation: "a1".into(),
            },
        ])
        .when(EventCommand::LeaveAnonymously {
            cancel_token: "cancel-a1".into(),
        })
        .then_expect_error(EventError::RejectedBefore("this email address".into()));
}

#[test]
fn an_anonymous_participant_cannot_be_made_an_organiser() {
    let result = Given::with(())
        .given(vec![
            anonymous_event(None, JoinMode::Free),
            anonymous_joined("a1", "zoe@example.org"),
            C::Confirmed {
                participation: "a1".into(),
                state: S::Participant,
            },
        ])
        .when(EventCommand::ChangeRole {
            by: "org".into(),
            participation: "a1".into(),
            role: S::Administrator,
        })
        .inspect_result();
    assert_eq!(fields(result.expect_err("refused")), ["role"]);
}

/// Which kind of change this is. There is no catch-all arm, so a new kind of change does not
/// compile until it is numbered here, and the test below then fails until its history has one.
fn kind(change: &C) -> usize {
    match change {
        C::Created { .. } => 0,
        C::Updated { .. } => 1,
        C::Published => 2,
        C::Cancelled => 3,
        C::Deleted => 4,
        C::Joined { .. } => 5,
        C::Confirmed { .. } => 6,
        C::Left { .. } => 7,
        C::Approved { .. } => 8,
        C::Rejected { .. } => 9,
        C::Promoted { .. } => 10,
        C::RoleChanged { .. } => 11,
        C::CommentPosted { .. } => 12,
        C::CommentEdited { .. } => 13,
        C::CommentDeleted { .. } => 14,
        C::OrganisedByGroup { .. } => 15,
        C::Imported { .. } => 16,
        C::RemoteCommentPosted { .. } => 17,
        C::Moderated { .. } => 18,
        C::PictureSet { .. } => 19,
        C::PictureRemoved => 20,
        C::RemoteActorDescribed { .. } => 21,
        C::GroupOptionsChanged { .. } => 22,
    }
}
const KINDS: usize = 23;

#[test]
fn applying_any_change_twice_leaves_the_state_as_once() {
    let mut draft = anonymous_event(Some(2), JoinMode::Free);
    if let C::Created { draft: d, .. } = &mut draft {
        *d = true;
    }
    let mut raised = details();
    raised.capacity = Some(3);
    raised.options.anonymous_participation = true;
    let history = vec![
        draft,
        C::OrganisedByGroup { group: repair() },
        C::GroupOptionsChanged {
            group: GroupLink {
                members_only: false,
                ..repair()
            },
        },
        C::Published,
        C::PictureSet {
            picture: picture("pic1", "A choir"),
        },
        C::PictureRemoved,
        joined("p1", "ana", S::Participant),
        joined("p2", "bob", S::Participant),
        joined("p3", "cy", S::Waitlisted),
        anonymous_joined("a1", "zoe@example.org"),
        C::Confirmed {
            participation: "a1".into(),
            state: S::Waitlisted,
        },
        joined("p4", "dan", S::NotApproved),
        C::Approved {
            participation: "p4".into(),
            state: S::Waitlisted,
        },
        C::RoleChanged {
            participation: "p1".into(),
            role: S::Moderator,
        },
        C::Promoted {
            participation: "p3".into(),
        },
        C::Updated {
            details: raised,
            fields: vec!["capacity".into()],
        },
        C::Promoted {
            participation: "a1".into(),
        },
        C::Left {
            participation: "p2".into(),
        },
        C::Promoted {
            participation: "p4".into(),
        },
        C::Rejected {
            participation: "a1".into(),
        },
        C::CommentPosted {
            comment: "c1".into(),
            author: "ana".into(),
            in_reply_to: None,
            body: "Hi".into(),
            announcement: false,
        },
        C::CommentEdited {
            comment: "c1".into(),
            body: "Hello".into(),
        },
        C::CommentDeleted {
            comment: "c1".into(),
        },
        remote_comment("c2", None),
        moderated(ContentAction::RemoveComment {
            comment: "c2".into(),
        }),
        moderated(ContentAction::Hide),
        moderated(ContentAction::CloseComments),
        moderated(ContentAction::Remove),
        moderated(ContentAction::Restore),
        C::Cancelled,
        C::Deleted,
    ];
    // A remote event's life is a history of its own.
    let remote = vec![
        imported(),
        ana_described("ana@mobilizon.example", "Ana B."),
        C::Cancelled,
        C::Deleted,
    ];
    let covered: std::collections::BTreeSet<usize> =
        history.iter().chain(&remote).map(kind).collect();
    assert_eq!(covered, (0..KINDS).collect(), "every kind of change");
    for history in [history, remote] {
        let mut once = Event::default();
        let mut twice = Event::default();
        for change in history {
            once.apply(change.clone());
            twice.apply(change.clone());
            twice.apply(change);
            assert_eq!(once, twice);
        }
    }
}

#[test]
fn a_command_s_changes_applied_again_leave_the_state_as_once() {
    // What cqrs-es 0.5's snapshot store does: all of a command's changes once more, in order.
    let history = vec![
        created(Some(1), JoinMode::Free),
        joined("p1", "ana", S::Participant),
        joined("p2", "bob", S::Waitlisted),
        joined("p3", "cy", S::Waitlisted),
    ];
    let commands = [
        EventCommand::Leave {
            profile: "ana".into(),
        },
        EventCommand::Reject {
            by: "org".into(),
            participation: "p1".into(),
        },
        EventCommand::ChangeRole {
            by: "org".into(),
            participation: "p1".into(),
            role: S::Moderator,
        },
        EventCommand::Update {
            by: "org".into(),
            patch: EventPatch {
                capacity: Some(Some(3)),
                ..Default::default()
            },
        },
    ];
    for command in commands {
        let changes = Given::with(())
            .given(history.clone())
            .when(command.clone())
            .inspect_result()
            .expect("accepted");
        assert!(changes.len() > 1, "{command:?} promotes someone");
        let mut once = Event::default();
        for change in history.iter().chain(&changes) {
            once.apply(change.clone());
        }
        let mut twice = once.clone();
        for change in changes {
            twice.apply(change);
        }
        assert_eq!(once, twice, "{command:?}");
    }
}

// Events organised by a group.

fn repair() -> GroupLink {
    GroupLink::here("repair", true, true)
}

#[test]
fn a_group_event_is_created_and_recorded_as_the_groups() {
    Given::with(())
        .given_no_previous_events()
        .when(EventCommand::CreateForGroup {
            organiser: "org".into(),
            creator_participation: "p-org".into(),
            details: details(),
            draft: false,
            group: repair(),
        })
        .then_expect_events(vec![
            created(None, JoinMode::Free),
            C::OrganisedByGroup { group: repair() },
        ]);
}

#[test]
fn the_organising_group_edits_its_event_and_another_group_does_not() {
    let given = vec![
        created(None, JoinMode::Free),
        C::OrganisedByGroup { group: repair() },
    ];
    Given::with(())
        .given(given.clone())
        .when(EventCommand::Cancel {
            by: "repair".into(),
        })
        .then_expect_events(vec![C::Cancelled]);
    Given::with(())
        .given(given)
        .when(EventCommand::Cancel {
            by: "other_group".into(),
        })
        .then_expect_error(EventError::NotAdministrator);
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(EventCommand::Cancel {
            by: "repair".into(),
        })
        .then_expect_error(EventError::NotAdministrator);
}

#[test]
fn the_organising_group_changes_how_it_shows_its_event_and_nobody_else_does() {
    let given = vec![
        created(None, JoinMode::Free),
        C::OrganisedByGroup { group: repair() },
    ];
    let change =
        |by: &str, members_only: bool, hide_organiser: bool| EventCommand::ChangeGroupOptions {
            by: by.into(),
            members_only,
            hide_organiser,
        };
    let opened = GroupLink {
        members_only: false,
        hide_organiser: true,
        ..repair()
    };
    Given::with(())
        .given(given.clone())
        .when(change("repair", false, true))
        .then_expect_events(vec![C::GroupOptionsChanged {
            group: opened.clone(),
        }]);
    // The same options again change nothing.
    Given::with(())
        .given(given.clone())
        .when(change("repair", true, true))
        .then_expect_events(vec![]);
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            C::OrganisedByGroup { group: repair() },
            C::GroupOptionsChanged { group: opened },
        ])
        .when(change("repair", true, false))
        .then_expect_events(vec![C::GroupOptionsChanged {
            group: GroupLink {
                hide_organiser: false,
                ..repair()
            },
        }]);
    // Its creator (an administrator of the event) is not the group; nor is another group.
    for by in ["org", "other_group"] {
        Given::with(())
            .given(given.clone())
            .when(change(by, false, false))
            .then_expect_error(EventError::NotAdministrator);
    }
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(change("org", true, false))
        .then_expect_error(EventError::NotAGroupEvent);
}

/// A group of another instance, for which one of its moderators here organises an event.
fn elsewhere(members_only: bool, hide_organiser: bool) -> GroupLink {
    GroupLink {
        handle: "club@other.example".into(),
        members_only,
        hide_organiser,
        elsewhere: Some(GroupAddress {
            actor: "https://other.example/@club".into(),
            inbox: "https://other.example/inbox".into(),
        }),
    }
}

#[test]
fn an_event_for_a_group_elsewhere_is_for_everyone_under_its_organiser() {
    let create = |group| EventCommand::CreateForGroup {
        organiser: "org".into(),
        creator_participation: "p-org".into(),
        details: details(),
        draft: false,
        group,
    };
    Given::with(())
        .given_no_previous_events()
        .when(create(elsewhere(false, false)))
        .then_expect_events(vec![
            created(None, JoinMode::Free),
            C::OrganisedByGroup {
                group: elsewhere(false, false),
            },
        ]);
    // Only the group's own instance knows its members and signs as the group.
    let refused = |fields: &[&str]| {
        let errors = fields
            .iter()
            .map(|field| FieldError {
                field: field.to_string(),
                message: match *field {
                    "members_only" => "only the group's own instance keeps events for its members",
                    _ => "only the group's own instance can show the group as the organiser",
                }
                .into(),
            })
            .collect();
        EventError::Invalid(errors)
    };
    Given::with(())
        .given_no_previous_events()
        .when(create(elsewhere(true, true)))
        .then_expect_error(refused(&["members_only", "hide_organiser"]));
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            C::OrganisedByGroup {
                group: elsewhere(false, false),
            },
        ])
        .when(EventCommand::ChangeGroupOptions {
            by: "club@other.example".into(),
            members_only: true,
            hide_organiser: false,
        })
        .then_expect_error(refused(&["members_only"]));
}

#[test]
fn an_event_a_member_elsewhere_made_for_our_group_is_imported_as_the_groups() {
    let group = GroupLink::here("repair", false, false);
    Given::with(())
        .given_no_previous_events()
        .when(EventCommand::Import {
            origin: origin(),
            details: details(),
            group: Some(group.clone()),
        })
        .then_expect_events(vec![imported(), C::OrganisedByGroup { group }]);
}

fn origin() -> RemoteOrigin {
    RemoteOrigin {
        object: "https://mobilizon.example/events/1".into(),
        actor: "https://mobilizon.example/@ana".into(),
        actor_handle: "ana@mobilizon.example".into(),
        actor_name: Some("Ana".into()),
        url: "https://mobilizon.example/events/1".into(),
        inbox: Some("https://mobilizon.example/inbox".into()),
    }
}

fn imported() -> C {
    C::Imported {
        origin: origin(),
        details: details(),
    }
}

#[test]
fn a_remote_event_is_imported_with_its_origin_and_sanitised_html() {
    let mut d = details();
    d.description = r#"<p onclick="x()">Bring <b>banners</b><script>x()</script></p>"#.into();
    Given::with(())
        .given_no_previous_events()
        .when(EventCommand::Import {
            origin: origin(),
            details: d,
            group: None,
        })
        .then_expect_events(vec![imported()]);
}

#[test]
fn a_remote_event_is_imported_once() {
    Given::with(())
        .given(vec![imported()])
        .when(EventCommand::Import {
            origin: origin(),
            details: details(),
            group: None,
        })
        .then_expect_error(EventError::AlreadyExists);
}

#[test]
fn only_the_remote_organiser_updates_a_remote_event() {
    let mut d = details();
    d.title = "Climate march, new route".into();
    Given::with(())
        .given(vec![imported()])
        .when(EventCommand::UpdateRemote {
            actor: "https://mobilizon.example/@ana".into(),
            details: d.clone(),
            group: None,
        })
        .then_expect_events(vec![C::Updated {
            details: d.clone(),
            fields: vec!["title".into()],
        }]);
    Given::with(())
        .given(vec![imported()])
        .when(EventCommand::UpdateRemote {
            actor: "https://other.example/@eve".into(),
            details: d,
            group: None,
        })
        .then_expect_error(EventError::NotOrganiser);
}

/// A group elsewhere sending its own event says whether it is for its members only: kept to
/// them here from then on, opened to everyone again later; the same word again changes nothing,
/// and a public event it sends stays as it came.
#[test]
fn a_group_elsewhere_keeps_its_event_to_its_members_or_opens_it() {
    let ana = "https://mobilizon.example/@ana";
    let link = |members_only: bool| GroupLink {
        handle: "ana@mobilizon.example".into(),
        members_only,
        hide_organiser: false,
        elsewhere: Some(GroupAddress {
            actor: ana.into(),
            inbox: "https://mobilizon.example/inbox".into(),
        }),
    };
    let update = |members_only: bool| EventCommand::UpdateRemote {
        actor: ana.into(),
        details: details(),
        group: Some(link(members_only)),
    };
    Given::with(())
        .given(vec![imported()])
        .when(update(false))
        .then_expect_events(vec![]);
    Given::with(())
        .given(vec![imported()])
        .when(update(true))
        .then_expect_events(vec![C::GroupOptionsChanged { group: link(true) }]);
    let kept = vec![imported(), C::OrganisedByGroup { group: link(true) }];
    Given::with(())
        .given(kept.clone())
        .when(update(true))
        .then_expect_events(vec![]);
    Given::with(())
        .given(kept)
        .when(update(false))
        .then_expect_events(vec![C::GroupOptionsChanged { group: link(false) }]);
}

#[test]
fn a_remote_update_to_cancelled_is_a_cancellation() {
    let mut d = details();
    d.status = EventStatus::Cancelled;
    Given::with(())
        .given(vec![imported()])
        .when(EventCommand::UpdateRemote {
            actor: "https://mobilizon.example/@ana".into(),
            details: d,
            group: None,
        })
        .then_expect_events(vec![C::Cancelled]);
}

#[test]
fn only_the_remote_organiser_deletes_a_remote_event() {
    Given::with(())
        .given(vec![imported()])
        .when(EventCommand::DeleteRemote {
            actor: "https://other.example/@eve".into(),
        })
        .then_expect_error(EventError::NotOrganiser);
    Given::with(())
        .given(vec![imported()])
        .when(EventCommand::DeleteRemote {
            actor: "https://mobilizon.example/@ana".into(),
        })
        .then_expect_events(vec![C::Deleted]);
}

#[test]
fn a_local_event_is_not_changed_as_a_remote_one() {
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(EventCommand::DeleteRemote {
            actor: "https://mobilizon.example/@ana".into(),
        })
        .then_expect_error(EventError::NotOrganiser);
}

#[test]
fn local_profiles_take_part_in_a_remote_event_on_its_instance() {
    // Bob asks; the event's instance answers.
    Given::with(())
        .given(vec![imported()])
        .when(join("p1", "bob"))
        .then_expect_events(vec![joined("p1", "bob", S::NotApproved)]);
    let answer = |actor: &str, accepted| EventCommand::AnswerRemoteJoin {
        actor: actor.into(),
        profile: "bob".into(),
        accepted,
    };
    let asked = || vec![imported(), joined("p1", "bob", S::NotApproved)];
    Given::with(())
        .given(asked())
        .when(answer("https://mobilizon.example/@ana", true))
        .then_expect_events(vec![C::Approved {
            participation: "p1".into(),
            state: S::Participant,
        }]);
    Given::with(())
        .given(asked())
        .when(answer("https://mobilizon.example/@ana", false))
        .then_expect_events(vec![C::Rejected {
            participation: "p1".into(),
        }]);
    // Only the event's own instance answers, and answering twice changes nothing.
    Given::with(())
        .given(asked())
        .when(answer("https://masto.example/users/zoe", true))
        .then_expect_error(EventError::NotOrganiser);
    // Someone else on the event's own instance is not its organiser either.
    Given::with(())
        .given(asked())
        .when(answer("https://mobilizon.example/@mallory", false))
        .then_expect_error(EventError::NotOrganiser);
    let mut accepted = asked();
    accepted.push(C::Approved {
        participation: "p1".into(),
        state: S::Participant,
    });
    Given::with(())
        .given(accepted)
        .when(answer("https://mobilizon.example/@ana", true))
        .then_expect_events(vec![]);
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(answer("https://mobilizon.example/@ana", true))
        .then_expect_error(EventError::NotFound);
    Given::with(())
        .given(vec![imported()])
        .when(EventCommand::Delete { by: "bob".into() })
        .then_expect_error(EventError::NotAdministrator);
}

fn zoe() -> RemoteAuthor {
    RemoteAuthor {
        actor: "https://masto.example/users/zoe".into(),
        handle: "zoe@masto.example".into(),
        note: "https://masto.example/users/zoe/statuses/1".into(),
    }
}

fn remote_comment(id: &str, parent: Option<&str>) -> C {
    C::RemoteCommentPosted {
        comment: id.into(),
        author: zoe(),
        in_reply_to: parent.map(str::to_string),
        body: "<p>Count me in</p>".into(),
        mentions: vec![],
    }
}

fn post_remote(id: &str, parent: Option<&str>, body: &str) -> EventCommand {
    EventCommand::PostRemoteComment {
        comment: id.into(),
        author: zoe(),
        in_reply_to: parent.map(str::to_string),
        body: body.into(),
        mentions: vec![],
    }
}

#[test]
fn a_remote_reply_is_a_comment_by_its_remote_author_once() {
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(post_remote(
            "c1",
            None,
            "<p>Count me in<script>x()</script></p>",
        ))
        .then_expect_events(vec![remote_comment("c1", None)]);
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            remote_comment("c1", None),
        ])
        .when(post_remote("c2", Some("c1"), "<p>Count me in</p>"))
        .then_expect_events(vec![remote_comment("c2", Some("c1"))]);
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            remote_comment("c1", None),
        ])
        .when(post_remote("c1", None, "<p>Count me in</p>"))
        .then_expect_error(EventError::AlreadyExists);
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(post_remote("c2", Some("nope"), "<p>Hi</p>"))
        .then_expect_error(EventError::UnknownComment);
}

#[test]
fn remote_replies_follow_the_local_comment_rules() {
    Given::with(())
        .given(vec![created_with(|d| d.options.comments_open = false)])
        .when(post_remote("c1", None, "<p>Hi</p>"))
        .then_expect_error(EventError::CommentsClosed);
    let result = Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(post_remote("c1", None, "  "))
        .inspect_result();
    assert_eq!(fields(result.expect_err("refused")), ["body"]);
    // Replies to a remote event belong on its own instance.
    Given::with(())
        .given(vec![imported()])
        .when(post_remote("c1", None, "<p>Hi</p>"))
        .then_expect_error(EventError::Remote);
}

#[test]
fn a_remote_events_copy_takes_comments_from_its_own_instance_only() {
    // Zoe is on masto.example: she comments on the event's own instance, not on this copy.
    Given::with(())
        .given(vec![imported()])
        .when(post_remote("c1", None, "<p>Count me in</p>"))
        .then_expect_error(EventError::Remote);
    let relayed = RemoteAuthor {
        actor: "https://mobilizon.example/@ana".into(),
        handle: "ana@mobilizon.example".into(),
        note: "https://mobilizon.example/comments/9".into(),
    };
    Given::with(())
        .given(vec![imported()])
        .when(EventCommand::PostRemoteComment {
            comment: "c1".into(),
            author: relayed.clone(),
            in_reply_to: None,
            body: "<p>Tools are provided.</p>".into(),
            mentions: vec![],
        })
        .then_expect_events(vec![C::RemoteCommentPosted {
            comment: "c1".into(),
            author: relayed,
            in_reply_to: None,
            body: "<p>Tools are provided.</p>".into(),
            mentions: vec![],
        }]);
}

#[test]
fn a_remote_reply_keeps_the_local_names_it_mentions_once_each_up_to_the_limit() {
    let mut names: Vec<String> = vec!["Ana".into(), "ana".into(), "not a name!".into()];
    names.extend((0..12).map(|i| format!("p{i}")));
    let mut expected: Vec<String> = vec!["ana".into()];
    expected.extend((0..9).map(|i| format!("p{i}")));
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(EventCommand::PostRemoteComment {
            comment: "c1".into(),
            author: zoe(),
            in_reply_to: None,
            body: "<p>Count me in</p>".into(),
            mentions: names,
        })
        .then_expect_events(vec![C::RemoteCommentPosted {
            comment: "c1".into(),
            author: zoe(),
            in_reply_to: None,
            body: "<p>Count me in</p>".into(),
            mentions: expected,
        }]);
}

fn zoe_joins() -> RemoteParticipant {
    RemoteParticipant {
        actor: "https://masto.example/users/zoe".into(),
        handle: "zoe@masto.example".into(),
        inbox: "https://masto.example/users/zoe/inbox".into(),
        join: "https://masto.example/users/zoe/joins/1".into(),
    }
}

fn join_remote(id: &str) -> EventCommand {
    EventCommand::JoinRemote {
        participation: id.into(),
        who: zoe_joins(),
        message: Some("From the next town".into()),
    }
}

fn remote_joined(id: &str, state: S) -> C {
    C::Joined {
        participation: id.into(),
        who: Participant::Remote(zoe_joins()),
        state,
        message: Some("From the next town".into()),
        confirm_token: None,
        cancel_token: None,
    }
}

#[test]
fn someone_on_another_instance_joins_by_the_same_rules() {
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(join_remote("p1"))
        .then_expect_events(vec![remote_joined("p1", S::Participant)]);
    Given::with(())
        .given(vec![created(None, JoinMode::Restricted)])
        .when(join_remote("p1"))
        .then_expect_events(vec![remote_joined("p1", S::NotApproved)]);
    Given::with(())
        .given(vec![
            created(Some(1), JoinMode::Free),
            joined("p1", "bob", S::Participant),
        ])
        .when(join_remote("p2"))
        .then_expect_events(vec![remote_joined("p2", S::Waitlisted)]);
    Given::with(())
        .given(vec![created(None, JoinMode::Invite)])
        .when(join_remote("p1"))
        .then_expect_error(EventError::InviteOnly);
    Given::with(())
        .given(vec![created_with(|d| {
            d.visibility = details::Visibility::Private
        })])
        .when(join_remote("p1"))
        .then_expect_error(EventError::NotFound);
    Given::with(())
        .given(vec![created(None, JoinMode::Free), C::Cancelled])
        .when(join_remote("p1"))
        .then_expect_error(EventError::Cancelled);
    Given::with(())
        .given(vec![imported()])
        .when(join_remote("p1"))
        .then_expect_error(EventError::Remote);
    // A group's event is joined once groups federate as their own actors.
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            C::OrganisedByGroup { group: repair() },
        ])
        .when(join_remote("p1"))
        .then_expect_error(EventError::NotFound);
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            remote_joined("p1", S::Participant),
        ])
        .when(join_remote("p2"))
        .then_expect_error(EventError::AlreadyParticipating("zoe@masto.example".into()));
}

#[test]
fn a_remote_participant_leaves_and_the_first_in_line_takes_the_seat() {
    Given::with(())
        .given(vec![
            created(Some(1), JoinMode::Free),
            remote_joined("p1", S::Participant),
            joined("p2", "bob", S::Waitlisted),
        ])
        .when(EventCommand::LeaveRemote {
            actor: "https://masto.example/users/zoe".into(),
        })
        .then_expect_events(vec![
            C::Left {
                participation: "p1".into(),
            },
            C::Promoted {
                participation: "p2".into(),
            },
        ]);
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(EventCommand::LeaveRemote {
            actor: "https://masto.example/users/zoe".into(),
        })
        .then_expect_error(EventError::NotParticipating(
            "https://masto.example/users/zoe".into(),
        ));
}

fn decision() -> Decision {
    Decision::plain("m1", "spam")
}

fn moderated(action: ContentAction) -> C {
    C::Moderated {
        action,
        decision: decision(),
    }
}

fn moderate(action: ContentAction) -> EventCommand {
    EventCommand::Moderate {
        action,
        decision: decision(),
    }
}

fn posted(id: &str) -> C {
    C::CommentPosted {
        comment: id.into(),
        author: "ana".into(),
        in_reply_to: None,
        body: "Buy now".into(),
        announcement: false,
    }
}

#[test]
fn each_decision_is_recorded_once_and_undone_only_when_in_force() {
    let pairs = [
        (ContentAction::Hide, ContentAction::Unhide),
        (ContentAction::Remove, ContentAction::Restore),
        (ContentAction::CloseComments, ContentAction::ReopenComments),
        (
            ContentAction::RemoveComment {
                comment: "c1".into(),
            },
            ContentAction::RestoreComment {
                comment: "c1".into(),
            },
        ),
    ];
    for (decide, undo) in pairs {
        let base = || vec![created(None, JoinMode::Free), posted("c1")];
        Given::with(())
            .given(base())
            .when(moderate(decide.clone()))
            .then_expect_events(vec![moderated(decide.clone())]);
        let mut decided = base();
        decided.push(moderated(decide.clone()));
        assert!(matches!(
            first_error(&decided, decide.clone()),
            EventError::AlreadyDecided(_)
        ));
        Given::with(())
            .given(decided)
            .when(moderate(undo.clone()))
            .then_expect_events(vec![moderated(undo.clone())]);
        assert!(matches!(
            first_error(&base(), undo),
            EventError::AlreadyDecided(_)
        ));
    }
}

/// The error `action` meets after `history`.
fn first_error(history: &[C], action: ContentAction) -> EventError {
    let mut event = Event::default();
    for change in history {
        event.apply(change.clone());
    }
    event.moderate(action, decision()).expect_err("refused")
}

#[test]
fn a_removed_event_takes_no_command_but_moderators_and_a_hidden_one_stays_open() {
    let removed = vec![
        created(None, JoinMode::Free),
        moderated(ContentAction::Remove),
    ];
    Given::with(())
        .given(removed.clone())
        .when(join("p1", "ana"))
        .then_expect_error(EventError::RemovedByModerators);
    Given::with(())
        .given(removed)
        .when(EventCommand::PostComment {
            comment: "c1".into(),
            by: "ana".into(),
            in_reply_to: None,
            body: "Hi".into(),
            announcement: false,
        })
        .then_expect_error(EventError::RemovedByModerators);
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            moderated(ContentAction::Hide),
        ])
        .when(join("p1", "ana"))
        .then_expect_events(vec![joined("p1", "ana", S::Participant)]);
}

#[test]
fn closed_comments_take_only_announcements_and_a_removed_comment_takes_no_reply() {
    let post = |id: &str, by: &str, parent: Option<&str>, announcement| EventCommand::PostComment {
        comment: id.into(),
        by: by.into(),
        in_reply_to: parent.map(Into::into),
        body: "Hello".into(),
        announcement,
    };
    let closed = vec![
        created(None, JoinMode::Free),
        moderated(ContentAction::CloseComments),
    ];
    Given::with(())
        .given(closed.clone())
        .when(post("c1", "ana", None, false))
        .then_expect_error(EventError::CommentsClosed);
    Given::with(())
        .given(closed)
        .when(post("c1", "org", None, true))
        .then_expect_events(vec![C::CommentPosted {
            comment: "c1".into(),
            author: "org".into(),
            in_reply_to: None,
            body: "Hello".into(),
            announcement: true,
        }]);
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            posted("c1"),
            moderated(ContentAction::RemoveComment {
                comment: "c1".into(),
            }),
        ])
        .when(post("c2", "bob", Some("c1"), false))
        .then_expect_error(EventError::UnknownComment);
}

#[test]
fn decisions_on_missing_things_or_ending_when_they_cannot_are_refused() {
    Given::with(())
        .given(vec![])
        .when(moderate(ContentAction::Hide))
        .then_expect_error(EventError::NotFound);
    Given::with(())
        .given(vec![created(None, JoinMode::Free), C::Deleted])
        .when(moderate(ContentAction::Hide))
        .then_expect_error(EventError::NotFound);
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            posted("c1"),
            C::CommentDeleted {
                comment: "c1".into(),
            },
        ])
        .when(moderate(ContentAction::RemoveComment {
            comment: "c1".into(),
        }))
        .then_expect_error(EventError::UnknownComment);
    let mut timed = decision();
    timed.until = Some("2030-01-01T00:00:00.000000Z".into());
    let mut event = Event::default();
    event.apply(created(None, JoinMode::Free));
    event.apply(moderated(ContentAction::Hide));
    let refused = event
        .moderate(ContentAction::Unhide, timed)
        .expect_err("refused");
    assert_eq!(fields(refused), vec!["until"]);
}

#[test]
fn several_decisions_at_once_are_each_checked_against_the_ones_before_and_all_or_none_recorded() {
    let history = vec![created(None, JoinMode::Free), posted("c1"), posted("c2")];
    let remove = |id: &str| ContentAction::RemoveComment { comment: id.into() };
    let all = |actions: Vec<ContentAction>| EventCommand::ModerateAll {
        actions,
        decision: decision(),
    };
    Given::with(())
        .given(history.clone())
        .when(all(vec![remove("c1"), remove("c2"), ContentAction::Hide]))
        .then_expect_events(vec![
            moderated(remove("c1")),
            moderated(remove("c2")),
            moderated(ContentAction::Hide),
        ]);
    // The second removal of c1 meets the first: nothing is recorded.
    Given::with(())
        .given(history)
        .when(all(vec![remove("c1"), remove("c1")]))
        .then_expect_error(EventError::AlreadyDecided("the comment is already removed"));
}

fn picture(id: &str, alt: &str) -> crate::picture::ShownPicture {
    crate::picture::ShownPicture {
        id: id.into(),
        facts: crate::picture::PictureFacts {
            hash: "cd".repeat(32),
            width: 1280,
            height: 720,
            widths: vec![320, 640, 1280],
            colour: "#112233".into(),
            blurhash: None,
        },
        alt: alt.into(),
    }
}

#[test]
fn administrators_set_replace_and_remove_the_picture() {
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(EventCommand::SetPicture {
            by: "org".into(),
            picture: picture("pic1", " A choir on stairs "),
        })
        .then_expect_events(vec![C::PictureSet {
            picture: picture("pic1", "A choir on stairs"),
        }]);
    let shown = C::PictureSet {
        picture: picture("pic1", "A choir"),
    };
    Given::with(())
        .given(vec![created(None, JoinMode::Free), shown.clone()])
        .when(EventCommand::SetPicture {
            by: "org".into(),
            picture: picture("pic2", "A march"),
        })
        .then_expect_events(vec![C::PictureSet {
            picture: picture("pic2", "A march"),
        }]);
    Given::with(())
        .given(vec![created(None, JoinMode::Free), shown])
        .when(EventCommand::RemovePicture { by: "org".into() })
        .then_expect_events(vec![C::PictureRemoved]);
    Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(EventCommand::RemovePicture { by: "org".into() })
        .then_expect_events(vec![]);
}

#[test]
fn a_picture_needs_alternative_text_and_an_administrator() {
    let result = Given::with(())
        .given(vec![created(None, JoinMode::Free)])
        .when(EventCommand::SetPicture {
            by: "org".into(),
            picture: picture("pic1", "  "),
        })
        .inspect_result();
    assert_eq!(fields(result.expect_err("refused")), ["alt"]);
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            joined("p1", "ana", S::Participant),
        ])
        .when(EventCommand::SetPicture {
            by: "ana".into(),
            picture: picture("pic1", "A choir"),
        })
        .then_expect_error(EventError::NotAdministrator);
}

fn remote_picture() -> crate::picture::RemotePicture {
    crate::picture::RemotePicture::new(
        "https://mobilizon.example/media/banner.jpg",
        "Marchers under umbrellas",
        Some("image/jpeg"),
    )
    .expect("a web address")
}

#[test]
fn a_remote_event_keeps_its_picture_until_an_update_changes_it() {
    let mut pictured = details();
    pictured.remote_picture = Some(remote_picture());
    Given::with(())
        .given(vec![imported()])
        .when(EventCommand::UpdateRemote {
            actor: "https://mobilizon.example/@ana".into(),
            details: pictured.clone(),
            group: None,
        })
        .then_expect_events(vec![C::Updated {
            details: pictured.clone(),
            fields: vec!["remote_picture".into()],
        }]);
    let with_picture = C::Imported {
        origin: origin(),
        details: pictured.clone(),
    };
    Given::with(())
        .given(vec![with_picture])
        .when(EventCommand::UpdateRemote {
            actor: "https://mobilizon.example/@ana".into(),
            details: pictured,
            group: None,
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_local_event_never_shows_a_picture_by_its_address() {
    let mut d = details();
    d.remote_picture = Some(remote_picture());
    let result = Given::with(())
        .given_no_previous_events()
        .when(EventCommand::Create {
            organiser: "org".into(),
            creator_participation: "c1".into(),
            details: d,
            draft: false,
        })
        .inspect_result();
    assert!(
        matches!(&result, Err(EventError::Invalid(e)) if e[0].field == "remote_picture"),
        "{result:?}"
    );
    // A spoilt address is dropped by the rules themselves.
    let mut spoilt = details();
    spoilt.remote_picture = Some(crate::picture::RemotePicture {
        url: "data:image/png;base64,AAAA".into(),
        alt: String::new(),
        media_type: None,
    });
    assert_eq!(spoilt.validate().expect("valid").remote_picture, None);
}

#[test]
fn a_reason_for_cancelling_is_trimmed_and_at_most_1000_characters() {
    use super::lifecycle::{checked_cancel_reason, CANCEL_REASON_MAX};
    assert_eq!(
        checked_cancel_reason(Some("  The hall is flooded.\r\nSee you soon. \u{7}")),
        Ok(Some("The hall is flooded.\nSee you soon.".into()))
    );
    assert_eq!(checked_cancel_reason(Some("   ")), Ok(None));
    assert_eq!(checked_cancel_reason(None), Ok(None));
    assert!(checked_cancel_reason(Some(&"é".repeat(CANCEL_REASON_MAX))).is_ok());
    let too_long = checked_cancel_reason(Some(&"a".repeat(CANCEL_REASON_MAX + 1)));
    assert_eq!(
        too_long.map_err(|e| e[0].field.clone()),
        Err("reason".into())
    );
}

#[test]
fn a_description_written_in_markdown_keeps_its_source_and_html_alone_drops_it() {
    let mut written = details();
    written.description = String::new();
    written.description_source = Some("Tous et toutes\n\n- **banderoles**\n- eau".into());
    let valid = written.validate().expect("valid");
    assert_eq!(
        valid.description,
        "<p>Tous et toutes</p>\n<ul>\n<li><strong>banderoles</strong></li>\n<li>eau</li>\n</ul>\n"
    );
    assert_eq!(
        valid.description_source.as_deref(),
        Some("Tous et toutes\n\n- **banderoles**\n- eau")
    );
    // A patch of HTML alone leaves no source saying something else; a new source replaces it.
    let html = EventPatch {
        description: Some("<p>New text</p>".into()),
        ..EventPatch::default()
    };
    let patched = html.apply_to(valid.clone()).validate().expect("valid");
    assert_eq!(patched.description_source, None);
    assert_eq!(patched.description, "<p>New text</p>");
    let untouched = EventPatch {
        title: Some("Another title".into()),
        ..EventPatch::default()
    };
    let patched = untouched.apply_to(valid.clone()).validate().expect("valid");
    assert_eq!(patched.description_source, valid.description_source);
    let source = EventPatch {
        description_source: Some("*Later*".into()),
        ..EventPatch::default()
    };
    let patched = source.apply_to(valid).validate().expect("valid");
    assert_eq!(patched.description, "<p><em>Later</em></p>\n");
    // Scripts written in the source are sanitised away like pasted HTML.
    let mut hostile = details();
    hostile.description_source =
        Some("Hi <script>steal()</script> [x](javascript:alert(1))".into());
    let valid = hostile.validate().expect("valid");
    assert!(
        !valid.description.contains("script"),
        "{}",
        valid.description
    );
    assert!(
        !valid.description.contains("javascript"),
        "{}",
        valid.description
    );
}

#[test]
fn details_stored_before_sources_were_kept_still_load() {
    let mut stored = serde_json::to_value(details()).expect("serialises");
    assert!(
        stored.get("description_source").is_none(),
        "none, none written"
    );
    stored
        .as_object_mut()
        .expect("an object")
        .remove("description_source");
    let loaded: EventDetails = serde_json::from_value(stored).expect("loads");
    assert_eq!(loaded.description_source, None);
}

fn ana_described(handle: &str, name: &str) -> C {
    C::RemoteActorDescribed {
        actor: "https://mobilizon.example/@ana".into(),
        former_handle: "ana@mobilizon.example".into(),
        handle: handle.into(),
        name: Some(name.into()),
    }
}

fn describe(actor: &str, former: &str, handle: &str, name: &str) -> EventCommand {
    EventCommand::DescribeRemoteActor {
        actor: actor.into(),
        former_handle: former.into(),
        handle: handle.into(),
        name: Some(name.into()),
    }
}

#[test]
fn a_remote_actor_described_anew_is_named_so_wherever_the_event_names_it() {
    let ana = "https://mobilizon.example/@ana";
    // The organiser of a copy renamed: recorded once, not again when sent twice.
    Given::with(())
        .given(vec![imported()])
        .when(describe(
            ana,
            "ana@mobilizon.example",
            "ana@mobilizon.example",
            "Ana B.",
        ))
        .then_expect_events(vec![ana_described("ana@mobilizon.example", "Ana B.")]);
    Given::with(())
        .given(vec![
            imported(),
            ana_described("ana@mobilizon.example", "Ana B."),
        ])
        .when(describe(
            ana,
            "ana@mobilizon.example",
            "ana@mobilizon.example",
            "Ana B.",
        ))
        .then_expect_events(vec![]);
    // Someone the event does not name, or a deleted event: nothing.
    Given::with(())
        .given(vec![imported()])
        .when(describe(
            "https://masto.example/users/zoe",
            "zoe@masto.example",
            "zoe@masto.example",
            "Zoé",
        ))
        .then_expect_events(vec![]);
    Given::with(())
        .given(vec![imported(), C::Deleted])
        .when(describe(
            ana,
            "ana@mobilizon.example",
            "ana@mobilizon.example",
            "Ana B.",
        ))
        .then_expect_events(vec![]);
    // A participant and a comment's author whose handle changed; the state follows.
    let zoe = "https://masto.example/users/zoe";
    let zoe_renamed = C::RemoteActorDescribed {
        actor: zoe.into(),
        former_handle: "zoe@masto.example".into(),
        handle: "zoe2@masto.example".into(),
        name: Some("Zoé".into()),
    };
    for history in [
        vec![
            created(None, JoinMode::Free),
            remote_joined("p1", S::Participant),
        ],
        vec![created(None, JoinMode::Free), remote_comment("c1", None)],
    ] {
        Given::with(())
            .given(history.clone())
            .when(describe(
                zoe,
                "zoe@masto.example",
                "zoe2@masto.example",
                "Zoé",
            ))
            .then_expect_events(vec![zoe_renamed.clone()]);
        let mut after = history.clone();
        after.push(zoe_renamed.clone());
        Given::with(())
            .given(after)
            .when(describe(
                zoe,
                "zoe@masto.example",
                "zoe2@masto.example",
                "Zoé",
            ))
            .then_expect_events(vec![]);
    }
    // Only a display name changed: participants and commenters are shown by handle.
    Given::with(())
        .given(vec![
            created(None, JoinMode::Free),
            remote_comment("c1", None),
        ])
        .when(describe(
            zoe,
            "zoe@masto.example",
            "zoe@masto.example",
            "Zoé",
        ))
        .then_expect_events(vec![]);
}
