//! The participant and waitlist counts each event keeps in its row: after a mix of joins,
//! approvals, rejections, role changes, leaves and waitlist promotions through the event's
//! commands, and after a replay, they equal a fresh count of its participations, on SQLite and
//! (with TEST_DATABASE_URL) PostgreSQL.

mod support;

use convene_domain::event::details::JoinMode;
use convene_domain::event::ParticipantState;
use convene_domain::{Event, EventCommand};
use convene_projections::log::EventLog;
use convene_projections::projection::Runner;
use convene_projections::scratch::test_databases;
use convene_projections::Subscribers;
use convene_projections::{events, read_models, replay, CommandError, Commands, Database};
use sqlx::Row;
use support::{cli, event_details};

const PROFILES: [&str; 9] = ["ana", "bo", "cy", "di", "ed", "fay", "gus", "hal", "ivy"];

/// The events: seats, and whether joining needs the organiser's approval.
const EVENTS: [(&str, i64, bool); 4] = [
    ("free", 3, false),
    ("tight", 1, false),
    ("vetted", 2, true),
    ("doomed", 2, false),
];

/// A small deterministic generator (xorshift): the mix is the same on every run and backend.
struct Mix(u64);

impl Mix {
    fn pick(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

async fn create(commands: &Commands<Event>, event: &str, capacity: i64, vetted: bool) {
    let mut details = event_details(capacity);
    if vetted {
        details.join_mode = JoinMode::Restricted;
    }
    let command = EventCommand::Create {
        organiser: "org".into(),
        creator_participation: format!("{event}-org"),
        details,
        draft: false,
    };
    commands
        .execute(event, command, &cli())
        .await
        .expect("create an event");
}

/// One command of the mix on `event` concerning `profile`; the ones the event refuses (leaving
/// without having joined, approving someone already in...) are part of the mix and change
/// nothing. Returns whether it was accepted.
async fn step(commands: &Commands<Event>, event: &str, profile: &str, action: usize) -> bool {
    let participation = format!("{event}-{profile}");
    let by = || "org".to_string();
    let command = match action {
        0..=3 => EventCommand::Join {
            participation,
            profile: profile.into(),
            message: None,
        },
        4 | 5 => EventCommand::Approve {
            by: by(),
            participation,
        },
        6 => EventCommand::Reject {
            by: by(),
            participation,
        },
        7 | 8 => EventCommand::Leave {
            profile: profile.into(),
        },
        9 => EventCommand::ChangeRole {
            by: by(),
            participation,
            role: ParticipantState::Moderator,
        },
        _ => EventCommand::ChangeRole {
            by: by(),
            participation,
            role: ParticipantState::Participant,
        },
    };
    match commands.execute(event, command, &cli()).await {
        Ok(_) => true,
        Err(CommandError::Rejected(_)) => false,
        Err(e) => panic!("{event} {profile} action {action}: {e}"),
    }
}

async fn project(db: &Database) {
    let head = EventLog::new(db).head().await.expect("head").position;
    for projection in read_models() {
        Runner::new(projection, db)
            .catch_up(head, &mut |_| {})
            .await
            .expect("apply the log");
    }
}

/// Each event's kept counts next to a fresh count of its participations.
async fn kept_and_counted(db: &Database) -> Vec<(String, (i64, i64), (i64, i64))> {
    sqlx::query(
        "SELECT e.id, e.participant_count, e.waitlist_count, \
         (SELECT COUNT(*) FROM participations p WHERE p.event_id = e.id \
          AND p.state = 'participant') AS participants, \
         (SELECT COUNT(*) FROM participations p WHERE p.event_id = e.id \
          AND p.state = 'waitlisted') AS waitlisted \
         FROM events e ORDER BY e.id",
    )
    .fetch_all(db.pool())
    .await
    .expect("the counts")
    .iter()
    .map(|row| {
        (
            row.get("id"),
            (row.get("participant_count"), row.get("waitlist_count")),
            (row.get("participants"), row.get("waitlisted")),
        )
    })
    .collect()
}

/// The counts agree with a fresh count, and an event's view shows them.
async fn assert_counts_hold(db: &Database, label: &str, when: &str) -> Vec<(String, i64, i64)> {
    let mut kept = Vec::new();
    for (id, counts, counted) in kept_and_counted(db).await {
        assert_eq!(counts, counted, "{label}, {when}: {id}");
        let view = events::find(db.pool(), &id)
            .await
            .expect("find")
            .expect("the event");
        assert_eq!(
            (view.participant_count, view.waitlist_count),
            counts,
            "{label}, {when}: {id} as shown"
        );
        kept.push((id, counts.0, counts.1));
    }
    kept
}

#[tokio::test]
async fn kept_counts_equal_a_fresh_count_after_a_mix_and_after_replay() {
    for (url, db) in test_databases("event_counts_mix").await {
        let commands = Commands::<Event>::new(&db, ());
        for (event, capacity, vetted) in EVENTS {
            create(&commands, event, capacity, vetted).await;
        }
        let (mut mix, mut accepted) = (Mix(0x9e37_79b9_7f4a_7c15), 0);
        let (mut seen_seated, mut seen_waiting) = (false, false);
        for round in 0..300 {
            let (event, _, _) = EVENTS[mix.pick(EVENTS.len())];
            let profile = PROFILES[mix.pick(PROFILES.len())];
            accepted += usize::from(step(&commands, event, profile, mix.pick(11)).await);
            if round == 200 {
                let command = EventCommand::Delete { by: "org".into() };
                commands
                    .execute("doomed", command, &cli())
                    .await
                    .expect("delete an event");
            }
            // Projected in batches of varying length, as a live server would.
            if round % 37 == 0 {
                project(&db).await;
                for (_, participants, waitlisted) in
                    assert_counts_hold(&db, url.label, &format!("round {round}")).await
                {
                    seen_seated |= participants > 1;
                    seen_waiting |= waitlisted > 0;
                }
            }
        }
        project(&db).await;
        let live = assert_counts_hold(&db, url.label, "at the end").await;
        assert!(accepted > 60, "{}: only {accepted} accepted", url.label);
        assert!(
            seen_seated && seen_waiting,
            "{}: the mix never filled a waitlist",
            url.label
        );
        assert!(
            !live.iter().any(|(id, ..)| id == "doomed"),
            "{}: the deleted event is gone",
            url.label
        );

        replay::rebuild(&db, &Subscribers::new(read_models()), &mut |_, _, _| {})
            .await
            .expect("replay");
        let rebuilt = assert_counts_hold(&db, url.label, "after replay").await;
        assert_eq!(rebuilt, live, "{}: replay gives the same counts", url.label);
    }
}

/// A change moves the counts by the difference it makes, without counting the event's
/// participations again.
#[tokio::test]
async fn counts_move_by_the_difference_of_one_participation() {
    for (url, db) in test_databases("event_counts_difference").await {
        let commands = Commands::<Event>::new(&db, ());
        create(&commands, "big", 2, false).await;
        for profile in ["ana", "bo", "cy"] {
            assert!(step(&commands, "big", profile, 0).await, "{profile} joins");
        }
        project(&db).await;
        assert_eq!(
            assert_counts_hold(&db, url.label, "joined").await,
            vec![("big".to_string(), 2, 1)],
            "{}: two seated, one waiting",
            url.label
        );
        // Counts written wrong on purpose: a later change moves them by its difference only,
        // it does not count again (which would have mended them).
        sqlx::query("UPDATE events SET participant_count = 40, waitlist_count = 7")
            .execute(db.pool())
            .await
            .expect("set the counts");
        assert!(step(&commands, "big", "ana", 7).await, "ana leaves");
        project(&db).await;
        let (participants, waitlisted): (i64, i64) =
            sqlx::query_as("SELECT participant_count, waitlist_count FROM events")
                .fetch_one(db.pool())
                .await
                .expect("the counts");
        // Ana's seat went (-1) and cy, first in line, took it (+1, -1 waiting).
        assert_eq!((participants, waitlisted), (40, 6), "{}", url.label);
    }
}
