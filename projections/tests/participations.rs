//! Reading participations one at a time and per profile, on SQLite and (with
//! TEST_DATABASE_URL) PostgreSQL.

mod support;

use convene_domain::event::ParticipantState;
use convene_domain::{Event, EventCommand};
use convene_projections::events::{self, ParticipationView};
use convene_projections::log::EventLog;
use convene_projections::projection::Runner;
use convene_projections::scratch::test_databases;
use convene_projections::{read_models, Commands, Database, Error};
use support::{cli, event_details};

async fn create(commands: &Commands<Event>, event: &str, capacity: i64) {
    let command = EventCommand::Create {
        organiser: "org".into(),
        creator_participation: format!("{event}-org"),
        details: event_details(capacity),
        draft: false,
    };
    commands
        .execute(event, command, &cli())
        .await
        .expect("create an event");
}

async fn join(commands: &Commands<Event>, event: &str, profile: &str) {
    let command = EventCommand::Join {
        participation: format!("{event}-{profile}"),
        profile: profile.into(),
        message: None,
    };
    commands
        .execute(event, command, &cli())
        .await
        .expect("join");
}

async fn leave(commands: &Commands<Event>, event: &str, profile: &str) {
    let command = EventCommand::Leave {
        profile: profile.into(),
    };
    commands
        .execute(event, command, &cli())
        .await
        .expect("leave");
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

/// Two events with waitlists. In `e1` (two seats) bob leaves the waitlist and fay her seat,
/// which carol, first in line, takes: alice and carol are seated, dave and erin wait in that
/// order. In `e2` (one seat) gus is seated, alice and dave wait.
async fn waitlists(db: &Database) {
    let commands = Commands::<Event>::new(db, ());
    create(&commands, "e1", 2).await;
    for profile in ["alice", "fay", "bob", "carol", "dave", "erin"] {
        join(&commands, "e1", profile).await;
    }
    create(&commands, "e2", 1).await;
    for profile in ["gus", "alice", "dave"] {
        join(&commands, "e2", profile).await;
    }
    leave(&commands, "e1", "bob").await;
    leave(&commands, "e1", "fay").await;
    project(db).await;
}

fn summary(views: &[ParticipationView]) -> Vec<(String, ParticipantState, Option<i64>)> {
    views
        .iter()
        .map(|v| (v.id.clone(), v.state, v.waitlist_position))
        .collect()
}

fn row(
    id: &str,
    state: ParticipantState,
    place: Option<i64>,
) -> (String, ParticipantState, Option<i64>) {
    (id.to_string(), state, place)
}

#[tokio::test]
async fn one_participation_reads_as_in_the_whole_list_with_its_waitlist_place() {
    use ParticipantState as S;
    for (url, db) in test_databases("participation_one").await {
        waitlists(&db).await;
        let pool = db.pool();
        let list = events::participations(pool, "e1", None)
            .await
            .expect("list");
        assert_eq!(
            summary(&list),
            vec![
                row("e1-org", S::Creator, None),
                row("e1-alice", S::Participant, None),
                row("e1-carol", S::Participant, None),
                row("e1-dave", S::Waitlisted, Some(1)),
                row("e1-erin", S::Waitlisted, Some(2)),
            ],
            "{}: the list",
            url.label
        );
        for view in &list {
            let one = events::participation(pool, "e1", &view.id)
                .await
                .expect("one participation");
            assert_eq!(one.as_ref(), Some(view), "{}: {}", url.label, view.id);
        }
        let erin = events::participation(pool, "e1", "e1-erin")
            .await
            .expect("erin")
            .expect("erin waits");
        assert_eq!(erin.state, S::Waitlisted);
        assert_eq!(erin.waitlist_position, Some(2), "{}", url.label);
        let dave = events::participation(pool, "e2", "e2-dave")
            .await
            .expect("dave")
            .expect("dave waits");
        assert_eq!(dave.waitlist_position, Some(2), "{}: per event", url.label);

        for (event, id) in [("e1", "e1-bob"), ("e2", "e1-alice"), ("e1", "nobody")] {
            let found = events::participation(pool, event, id).await.expect("query");
            assert_eq!(found, None, "{}: {id} in {event}", url.label);
        }
    }
}

#[tokio::test]
async fn the_participations_of_some_profiles_in_one_event() {
    use ParticipantState as S;
    for (url, db) in test_databases("participation_of_profiles").await {
        waitlists(&db).await;
        let pool = db.pool();
        let profiles = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();

        let mine =
            events::participation_of_profiles(pool, "e1", &profiles(&["dave", "alice", "zed"]))
                .await
                .expect("e1");
        assert_eq!(
            summary(&mine),
            vec![
                row("e1-alice", S::Participant, None),
                row("e1-dave", S::Waitlisted, Some(1)),
            ],
            "{}: e1",
            url.label
        );
        let mine = events::participation_of_profiles(pool, "e2", &profiles(&["alice", "dave"]))
            .await
            .expect("e2");
        assert_eq!(
            summary(&mine),
            vec![
                row("e2-alice", S::Waitlisted, Some(1)),
                row("e2-dave", S::Waitlisted, Some(2)),
            ],
            "{}: e2",
            url.label
        );
        for names in [&["bob"][..], &["carol"][..], &[][..]] {
            let mine = events::participation_of_profiles(pool, "e2", &profiles(names))
                .await
                .expect("none");
            assert!(mine.is_empty(), "{}: {names:?} in e2", url.label);
        }
    }
}

#[tokio::test]
async fn states_are_typed_read_and_shown_as_before() {
    for (url, db) in test_databases("participation_state").await {
        waitlists(&db).await;
        let pool = db.pool();
        let dave = events::participation(pool, "e1", "e1-dave")
            .await
            .expect("dave")
            .expect("dave waits");
        let json = serde_json::to_value(&dave).expect("json");
        assert_eq!(json["state"], "waitlisted", "{}", url.label);
        assert_eq!(json["waitlist_position"], 1, "{}", url.label);

        let waiting = events::participations(pool, "e1", Some(ParticipantState::Waitlisted))
            .await
            .expect("waitlist");
        assert_eq!(waiting.len(), 2, "{}: filtered by state", url.label);

        sqlx::query("UPDATE participations SET state = 'lurking' WHERE id = 'e1-erin'")
            .execute(pool)
            .await
            .expect("damage a row");
        let error = events::participation(pool, "e1", "e1-erin").await.err();
        assert!(
            matches!(
                &error,
                Some(Error::UnknownValue { table: "participations", column: "state", value })
                    if value == "lurking"
            ),
            "{}: {error:?}",
            url.label
        );
        let message = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("participations.state holds `lurking`"),
            "{message}"
        );
    }
}
