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
        snapshot: None,
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
        snapshot: None,
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
        snapshot: None,
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
            snapshot: None,
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
    assert!(stored["Filed"].get("snapshot").is_none(), "{stored}");
    let read: ReportChange = serde_json::from_value(stored).expect("reads back");
    assert_eq!(read, filed());
}

const SAM: &str = "https://other.example/@sam";

fn sam() -> ActorSnapshot {
    ActorSnapshot {
        id: SAM.into(),
        kind: "Person".into(),
        preferred_username: "sam".into(),
        handle: "sam@other.example".into(),
        name: Some("Sam".into()),
        summary: Some("Cheap watches, every day".into()),
        url: Some("https://other.example/profiles/sam".into()),
        fetched_at: "2026-11-01T10:00:00Z".into(),
    }
}

fn on_other_example(forward: Option<Forward>) -> Federated {
    Federated {
        instance: Some("other.example".into()),
        forward,
        flag: None,
    }
}

fn file_actor(url: &str, federated: Federated, snapshot: Option<ActorSnapshot>) -> ReportCommand {
    ReportCommand::File {
        reporter: Some("ana".into()),
        target: Target::RemoteActor { url: url.into() },
        category: Category::Spam,
        comment: "Sells watches".into(),
        evidence: 42,
        federated,
        snapshot: snapshot.map(Box::new),
    }
}

#[test]
fn another_instance_s_actor_is_reported_as_it_was_known_here() {
    let forward = Forward {
        actors: vec![SAM.into()],
        objects: vec![],
        inbox: "https://other.example/inbox".into(),
    };
    let federated = on_other_example(Some(forward));
    Given::with(())
        .given_no_previous_events()
        .when(file_actor(SAM, federated.clone(), Some(sam())))
        .then_expect_events(vec![ReportChange::Filed {
            reporter: Some("ana".into()),
            target: Target::RemoteActor { url: SAM.into() },
            category: Category::Spam,
            comment: "Sells watches".into(),
            evidence: 42,
            federated,
            snapshot: Some(Box::new(sam())),
        }]);
}

#[test]
fn a_report_on_another_instance_s_actor_keeps_that_actor_and_names_its_instance() {
    let snapshot_refused = invalid(
        "snapshot",
        "a report on another instance's actor keeps what this instance knew of it",
    );
    // Nothing known of the actor, or of another one.
    Given::with(())
        .given_no_previous_events()
        .when(file_actor(SAM, on_other_example(None), None))
        .then_expect_error(snapshot_refused.clone());
    let other = ActorSnapshot {
        id: "https://other.example/@kim".into(),
        ..sam()
    };
    Given::with(())
        .given_no_previous_events()
        .when(file_actor(SAM, on_other_example(None), Some(other)))
        .then_expect_error(snapshot_refused);
    // Not an actor's URL.
    for url in [
        "sam@other.example",
        "ftp://other.example/sam",
        " https://other.example/@sam",
    ] {
        Given::with(())
            .given_no_previous_events()
            .when(file_actor(url, on_other_example(None), Some(sam())))
            .then_expect_error(invalid(
                "target.url",
                format!("an actor's URL: http(s), with a host, at most {ACTOR_URL_MAX} bytes"),
            ));
    }
    // Without its instance, or sent by one.
    let received = Federated {
        flag: Some("https://other.example/flags/1".into()),
        ..on_other_example(None)
    };
    for federated in [Federated::default(), received] {
        Given::with(())
            .given_no_previous_events()
            .when(file_actor(SAM, federated, Some(sam())))
            .then_expect_error(invalid(
                "target.url",
                "another instance's actor is reported here, naming its instance",
            ));
    }
}

#[test]
fn only_a_report_on_another_instance_s_actor_keeps_one() {
    let ReportCommand::File {
        reporter,
        category,
        comment,
        evidence,
        ..
    } = file(Target::Group { handle: "g".into() }, Category::Spam, "")
    else {
        unreachable!()
    };
    Given::with(())
        .given_no_previous_events()
        .when(ReportCommand::File {
            reporter,
            target: Target::Group { handle: "g".into() },
            category,
            comment,
            evidence,
            federated: Federated::default(),
            snapshot: Some(Box::new(sam())),
        })
        .then_expect_error(invalid(
            "snapshot",
            "only a report on another instance's actor keeps one",
        ));
}

#[test]
fn the_reported_actor_is_folded_with_the_filing() {
    let mut report = Report::default();
    report.apply(ReportChange::Filed {
        reporter: None,
        target: Target::RemoteActor { url: SAM.into() },
        category: Category::Other,
        comment: String::new(),
        evidence: 7,
        federated: on_other_example(None),
        snapshot: Some(Box::new(sam())),
    });
    assert_eq!(report.snapshot(), Some(&sam()));
    assert_eq!(report.target().map(Target::kind), Some("remote_actor"));
    assert_eq!(report.target().map(Target::aggregate_id), Some(SAM));
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
