//! The aggregates kept between commands: a kept aggregate is the one a reload gives, another
//! process's change is never missed, and a failed commit leaves nothing wrong behind. On SQLite
//! and (with TEST_DATABASE_URL) PostgreSQL.

mod support;

use convene_domain::event::EventError;
use convene_domain::{Event, EventCommand};
use convene_projections::aggregate_cache::CacheCounts;
use convene_projections::scratch::test_databases;
use convene_projections::{Backend, CommandError, Commands, Database};
use support::{cli, event_details};

/// Small, so that a few joins cross several snapshots.
const SNAPSHOT_EVERY: usize = 4;

fn commands(db: &Database) -> Commands<Event> {
    Commands::with_snapshots(db, (), SNAPSHOT_EVERY)
}

async fn create(commands: &Commands<Event>, event: &str) {
    let command = EventCommand::Create {
        organiser: "org".into(),
        creator_participation: format!("{event}-org"),
        details: event_details(1000),
        draft: false,
    };
    commands
        .execute(event, command, &cli())
        .await
        .expect("create an event");
}

async fn join(
    commands: &Commands<Event>,
    event: &str,
    profile: &str,
) -> Result<i64, CommandError<EventError>> {
    let command = EventCommand::Join {
        participation: format!("{event}-{profile}"),
        profile: profile.into(),
        message: None,
    };
    commands.execute(event, command, &cli()).await
}

/// The event as loaded afresh, once from its latest snapshot and once from its whole log; the
/// two must agree before either is used as the reference.
async fn reloaded(db: &Database, event: &str) -> Event {
    let from_snapshot = commands(db)
        .state(event)
        .await
        .expect("load from the snapshot");
    let from_log = Commands::<Event>::new(db, ())
        .state(event)
        .await
        .expect("load from the log");
    assert_eq!(from_snapshot, from_log, "a snapshot and the log disagree");
    from_snapshot
}

fn joined(event: &Event, participation: &str) -> bool {
    event.participations().iter().any(|p| p.id == participation)
}

#[tokio::test]
async fn a_kept_aggregate_is_the_one_a_reload_gives() {
    for (url, db) in test_databases("cache_equals_reload").await {
        let commands = commands(&db);
        create(&commands, "e").await;
        // 11 joins cross the snapshots taken at 4, 8 and 12 changes.
        for i in 0..11 {
            join(&commands, "e", &format!("p{i}")).await.expect("join");
        }
        assert_eq!(
            commands.cache_counts(),
            CacheCounts {
                hits: 11,
                misses: 1
            },
            "{}: every join after the creation starts from the kept event",
            url.label
        );
        let kept = commands.state("e").await.expect("the kept event");
        assert_eq!(commands.cache_counts().hits, 12, "{}", url.label);
        assert_eq!(kept.participations().len(), 12, "{}", url.label);
        assert_eq!(kept, reloaded(&db, "e").await, "{}", url.label);
    }
}

#[tokio::test]
async fn a_change_by_another_process_is_seen() {
    for (url, db) in test_databases("cache_other_process").await {
        // Two command sides on one database, as two `convene` processes would have.
        let ours = commands(&db);
        let theirs = commands(&db);
        create(&ours, "e").await;
        join(&ours, "e", "alice").await.expect("alice joins");
        join(&theirs, "e", "bob")
            .await
            .expect("bob joins elsewhere");

        // Our kept event predates bob's join: it is not used, and bob is known to be in.
        let misses = ours.cache_counts().misses;
        let again = join(&ours, "e", "bob").await;
        assert!(
            matches!(
                again,
                Err(CommandError::Rejected(EventError::AlreadyParticipating(_)))
            ),
            "{}: bob joining again here must be refused as already in, got {again:?}",
            url.label
        );
        assert_eq!(ours.cache_counts().misses, misses + 1, "{}", url.label);

        join(&ours, "e", "carol").await.expect("carol joins");
        let kept = ours.state("e").await.expect("our event");
        assert!(
            joined(&kept, "e-bob") && joined(&kept, "e-carol"),
            "{}",
            url.label
        );
        assert_eq!(kept, reloaded(&db, "e").await, "{}", url.label);
        assert_eq!(
            theirs.state("e").await.expect("their event"),
            kept,
            "{}: the other side sees our change too",
            url.label
        );
    }
}

/// Makes the database refuse every append, as a full disk or a lost connection would.
async fn refuse_appends(db: &Database, refuse: bool) {
    let statements: &[&str] = match (db.backend(), refuse) {
        (Backend::Sqlite, true) => &["CREATE TRIGGER refuse_appends BEFORE INSERT ON event_log \
              BEGIN SELECT RAISE(ABORT, 'appends refused'); END"],
        (Backend::Sqlite, false) => &["DROP TRIGGER refuse_appends"],
        (Backend::Postgres, true) => &[
            "CREATE FUNCTION refuse_appends() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'appends refused'; END $$",
            "CREATE TRIGGER refuse_appends BEFORE INSERT ON event_log \
             FOR EACH ROW EXECUTE FUNCTION refuse_appends()",
        ],
        (Backend::Postgres, false) => &[
            "DROP TRIGGER refuse_appends ON event_log",
            "DROP FUNCTION refuse_appends()",
        ],
    };
    for statement in statements {
        sqlx::raw_sql(statement)
            .execute(db.pool())
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

#[tokio::test]
async fn a_failed_commit_does_not_poison_the_cache() {
    for (url, db) in test_databases("cache_failed_commit").await {
        let commands = commands(&db);
        create(&commands, "e").await;
        join(&commands, "e", "alice").await.expect("alice joins");

        refuse_appends(&db, true).await;
        let refused = join(&commands, "e", "bob").await;
        refuse_appends(&db, false).await;
        assert!(
            matches!(refused, Err(CommandError::Store(_))),
            "{}: the append must fail, got {refused:?}",
            url.label
        );

        // The command applied bob's join to the aggregate before the commit failed; that state
        // must not be what the next command starts from.
        let state = commands.state("e").await.expect("the event");
        assert!(!joined(&state, "e-bob"), "{}: bob is not in", url.label);
        assert_eq!(state, reloaded(&db, "e").await, "{}", url.label);
        join(&commands, "e", "bob")
            .await
            .unwrap_or_else(|e| panic!("{}: bob can join now: {e}", url.label));

        // A refused command leaves no entry behind either.
        let refused = join(&commands, "e", "bob").await;
        assert!(
            matches!(refused, Err(CommandError::Rejected(_))),
            "{}",
            url.label
        );
        let state = commands.state("e").await.expect("the event");
        assert_eq!(state, reloaded(&db, "e").await, "{}", url.label);
    }
}
