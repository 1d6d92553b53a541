use super::*;
use cqrs_es::test::TestFramework;

type Given = TestFramework<Report>;

fn filed() -> ReportChange {
    ReportChange::Filed {
        reporter: Some("ana".into()),
        target: Target::Event { id: "e1".into() },
        category: Category::Spam,
        comment: "Sells watches".into(),
        evidence: 42,
        federated: Federated::default(),
    }
}

fn file(target: Target, category: Category, comment: &str) -> ReportCommand {
    ReportCommand::File {
        reporter: Some("ana".into()),
        target,
        category,
        comment: comment.into(),
        evidence: 42,
        federated: Federated::default(),
    }
}

fn resolve(reason: &str) -> ReportCommand {
    ReportCommand::Resolve {
        moderator: "m1".into(),
        reason: reason.into(),
    }
}

#[test]
fn a_report_is_filed_with_its_evidence_position() {
    Given::with(())
        .given_no_previous_events()
        .when(file(
            Target::Event { id: "e1".into() },
            Category::Spam,
            "  Sells watches ",
        ))
        .then_expect_events(vec![filed()]);
}

fn forward() -> Forward {
    Forward {
        actors: vec!["https://mobilizon.example/@spammer".into()],
        objects: vec!["https://mobilizon.example/events/e9".into()],
        inbox: "https://mobilizon.example/inbox".into(),
    }
}

fn file_federated(federated: Federated) -> ReportCommand {
    let ReportCommand::File {
        reporter,
        target,
        category,
        comment,
        evidence,
        ..
    } = file(
        Target::Event { id: "e1".into() },
        Category::Spam,
        "Sells watches",
    )
    else {
        unreachable!()
    };
    ReportCommand::File {
        reporter,
        target,
        category,
        comment,
        evidence,
        federated,
    }
}

#[test]
fn a_report_on_another_instance_s_content_may_be_forwarded_there() {
    let federated = Federated {
        instance: Some("mobilizon.example".into()),
        forward: Some(forward()),
        flag: None,
    };
    let ReportChange::Filed {
        reporter,
        target,
        category,
        comment,
        evidence,
        ..
    } = filed()
    else {
        unreachable!()
    };
    Given::with(())
        .given_no_previous_events()
        .when(file_federated(federated.clone()))
        .then_expect_events(vec![ReportChange::Filed {
            reporter,
            target,
            category,
            comment,
            evidence,
            federated,
        }]);
}

#[test]
fn only_another_instance_s_content_is_forwarded_and_never_a_report_from_one() {
    let local = Federated {
        forward: Some(forward()),
        ..Federated::default()
    };
    Given::with(())
        .given_no_previous_events()
        .when(file_federated(local))
        .then_expect_error(invalid(
            "forward",
            "only a report on another instance's content is forwarded",
        ));
    let received = Federated {
        flag: Some("https://mobilizon.example/report/1".into()),
        instance: Some("mobilizon.example".into()),
        forward: Some(forward()),
    };
    Given::with(())
        .given_no_previous_events()
        .when(file_federated(received))
        .then_expect_error(invalid(
            "forward",
            "a report from another instance is not forwarded again",
        ));
}

#[test]
fn a_local_report_keeps_its_stored_shape() {
    // Reports filed before federation have no `federated` field; it reads back empty.
    let stored = serde_json::to_value(filed()).expect("serialises");
    assert!(stored["Filed"].get("federated").is_none(), "{stored}");
    let read: ReportChange = serde_json::from_value(stored).expect("reads back");
    assert_eq!(read, filed());
}

#[test]
fn a_report_on_comments_names_at_least_one() {
    Given::with(())
        .given_no_previous_events()
        .when(file(
            Target::Comments {
                event: "e1".into(),
                comments: vec![],
            },
            Category::Other,
            "",
        ))
        .then_expect_error(invalid(
            "comments",
            format!("name 1 to {COMMENTS_MAX} comments of the event"),
        ));
}

#[test]
fn a_rule_violation_names_the_rules() {
    for rules in [vec![], vec!["  ".to_string()]] {
        Given::with(())
            .given_no_previous_events()
            .when(file(
                Target::Profile {
                    username: "bob".into(),
                },
                Category::RuleViolation { rules },
                "",
            ))
            .then_expect_error(invalid(
                "rules",
                format!("name 1 to {RULES_MAX} rules of this instance that are broken"),
            ));
    }
}

#[test]
fn a_comment_too_long_is_refused() {
    Given::with(())
        .given_no_previous_events()
        .when(file(
            Target::Group { handle: "g".into() },
            Category::Illegal,
            &"x".repeat(COMMENT_MAX + 1),
        ))
        .then_expect_error(invalid(
            "comment",
            format!("at most {COMMENT_MAX} characters"),
        ));
}

#[test]
fn a_report_is_filed_once() {
    Given::with(())
        .given(vec![filed()])
        .when(file(Target::Event { id: "e1".into() }, Category::Spam, ""))
        .then_expect_error(ReportError::AlreadyFiled);
}

#[test]
fn a_moderator_takes_a_report_once() {
    Given::with(())
        .given(vec![filed()])
        .when(ReportCommand::Assign {
            moderator: "m1".into(),
        })
        .then_expect_events(vec![ReportChange::Assigned {
            moderator: "m1".into(),
        }]);
    Given::with(())
        .given(vec![
            filed(),
            ReportChange::Assigned {
                moderator: "m1".into(),
            },
        ])
        .when(ReportCommand::Assign {
            moderator: "m1".into(),
        })
        .then_expect_error(ReportError::AlreadyAssigned);
}

#[test]
fn notes_are_kept_and_must_say_something() {
    Given::with(())
        .given(vec![filed()])
        .when(ReportCommand::AddNote {
            note: "n1".into(),
            moderator: "m1".into(),
            body: " Seen before ".into(),
        })
        .then_expect_events(vec![ReportChange::NoteAdded {
            note: "n1".into(),
            moderator: "m1".into(),
            body: "Seen before".into(),
        }]);
    Given::with(())
        .given(vec![filed()])
        .when(ReportCommand::AddNote {
            note: "n1".into(),
            moderator: "m1".into(),
            body: " ".into(),
        })
        .then_expect_error(invalid(
            "body",
            format!("required: 1 to {NOTE_MAX} characters"),
        ));
}

#[test]
fn resolving_needs_a_reason() {
    Given::with(())
        .given(vec![filed()])
        .when(resolve("   "))
        .then_expect_error(invalid(
            "reason",
            format!("required: 1 to {NOTE_MAX} characters"),
        ));
}

#[test]
fn a_report_is_resolved_or_closed_once() {
    Given::with(())
        .given(vec![filed()])
        .when(resolve("Event removed"))
        .then_expect_events(vec![ReportChange::Resolved {
            moderator: "m1".into(),
            reason: "Event removed".into(),
        }]);
    let closed = ReportChange::Closed {
        moderator: "m1".into(),
        reason: "Not spam".into(),
    };
    Given::with(())
        .given(vec![filed(), closed.clone()])
        .when(resolve("Again"))
        .then_expect_error(ReportError::AlreadyHandled(ReportState::Closed));
    Given::with(())
        .given(vec![filed(), closed])
        .when(ReportCommand::Assign {
            moderator: "m2".into(),
        })
        .then_expect_error(ReportError::AlreadyHandled(ReportState::Closed));
}

#[test]
fn nothing_happens_to_a_report_never_filed() {
    Given::with(())
        .given_no_previous_events()
        .when(resolve("Why"))
        .then_expect_error(ReportError::NotFound);
}

#[test]
fn applying_a_note_twice_keeps_one() {
    let mut report = Report::default();
    let note = ReportChange::NoteAdded {
        note: "n1".into(),
        moderator: "m1".into(),
        body: "x".into(),
    };
    for change in [filed(), note.clone(), note] {
        report.apply(change);
    }
    assert_eq!(report.notes().len(), 1);
    assert_eq!(report.evidence(), 42);
}
