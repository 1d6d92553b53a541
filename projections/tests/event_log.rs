//! The event log's guarantees, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.

mod support;

use convene_domain::{Profile, ProfileChange, ProfileCommand};
use convene_projections::log::EventLog;
use convene_projections::projection::{checkpoints, Runner};
use convene_projections::replay::{self, AsOf};
use convene_projections::scratch::test_databases;
use convene_projections::{
    read_models, tables, verify, CommandError, Commands, Database, Subscribers,
};
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{AggregateError, EventStore};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::Arc;
use support::{cli, create, fill, rename, Recorder};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_get_gapless_positions_in_commit_order() {
    for (url, db) in test_databases("concurrent_appends").await {
        let commands = Arc::new(Commands::<Profile>::new(&db, ()));
        for a in 0..4 {
            create(&commands, &format!("agg{a}")).await;
        }
        // A follower reads new events while the appends run; had a position ever become
        // visible after a higher one, the follower would have skipped it.
        let follower = {
            let log = EventLog::new(&db);
            let done = CancellationToken::new();
            let stop = done.clone();
            let task = tokio::spawn(async move {
                let mut seen = Vec::new();
                loop {
                    let last = seen
                        .last()
                        .map_or(0, |e: &convene_projections::StoredEvent| e.position);
                    // Asked before reading: a read that began before the last append committed
                    // may come back empty even though the appends are all done by now.
                    let appends_done = stop.is_cancelled();
                    let batch = log.read_after(last, 100).await.expect("read the log");
                    if batch.is_empty() && appends_done {
                        return seen;
                    }
                    seen.extend(batch);
                }
            });
            (task, done)
        };
        let tasks: Vec<_> = (0..8)
            .map(|t| {
                let commands = commands.clone();
                tokio::spawn(async move {
                    let id = format!("agg{}", t % 4);
                    for i in 0..25 {
                        let command = ProfileCommand::Update {
                            display_name: Some(format!("task {t} rename {i}")),
                            summary: None,
                        };
                        // Conflicts are expected here: decide again until the rename lands.
                        let mut tries = 0;
                        loop {
                            match commands.execute(&id, command.clone(), &cli()).await {
                                Ok(_) => break,
                                Err(CommandError::Conflict(_)) if tries < 200 => tries += 1,
                                Err(e) => panic!("append failed: {e}"),
                            }
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("appending task");
        }
        follower.1.cancel();
        let seen = follower.0.await.expect("follower");

        let log = EventLog::new(&db);
        let all = log.read_after(0, 10_000).await.expect("read the log");
        assert_eq!(
            all.len(),
            4 + 8 * 25,
            "{}: every append is stored",
            url.label
        );
        let positions: Vec<i64> = all.iter().map(|e| e.position).collect();
        assert_eq!(
            positions,
            (1..=all.len() as i64).collect::<Vec<_>>(),
            "{}: gapless",
            url.label
        );
        assert_eq!(
            seen, all,
            "{}: the live follower saw every event, in order",
            url.label
        );
        // Within each aggregate the sequence grows with the position.
        let mut last_sequence: HashMap<&str, i64> = HashMap::new();
        for e in &all {
            let previous = last_sequence
                .insert(&e.aggregate_id, e.sequence)
                .unwrap_or(0);
            assert_eq!(
                e.sequence,
                previous + 1,
                "{}: sequence of {}",
                url.label,
                e.aggregate_id
            );
        }
        assert_eq!(log.head().await.expect("head").position, all.len() as i64);
    }
}

#[tokio::test]
async fn racing_commands_on_one_aggregate_one_wins_and_the_other_writes_nothing() {
    for (url, db) in test_databases("racing_commands").await {
        let commands = Commands::<Profile>::new(&db, ());
        create(&commands, "alice").await;
        let renamed = |name: &str| ProfileChange::Renamed {
            display_name: name.into(),
        };
        let metadata = cli().to_map();
        // Both commands load the aggregate at the same version, then both commit.
        let outcome = match db.append_pool() {
            convene_projections::db::AppendPool::Sqlite(pool) => {
                let store: PersistedEventStore<_, Profile> = PersistedEventStore::new_event_store(
                    sqlite_es::SqliteEventRepository::new(pool.clone())
                        .with_tables("event_log", "snapshots"),
                );
                let first = store.load_aggregate("alice").await.expect("load");
                let second = store.load_aggregate("alice").await.expect("load");
                store
                    .commit(vec![renamed("A")], first, metadata.clone())
                    .await
                    .expect("first wins");
                store
                    .commit(vec![renamed("B1"), renamed("B2")], second, metadata)
                    .await
                    .map(|_| ())
            }
            convene_projections::db::AppendPool::Postgres(pool) => {
                let store: PersistedEventStore<_, Profile> = PersistedEventStore::new_event_store(
                    postgres_es::PostgresEventRepository::new(pool.clone())
                        .with_tables("event_log", "snapshots"),
                );
                let first = store.load_aggregate("alice").await.expect("load");
                let second = store.load_aggregate("alice").await.expect("load");
                store
                    .commit(vec![renamed("A")], first, metadata.clone())
                    .await
                    .expect("first wins");
                store
                    .commit(vec![renamed("B1"), renamed("B2")], second, metadata)
                    .await
                    .map(|_| ())
            }
        };
        assert!(
            matches!(outcome, Err(AggregateError::AggregateConflict)),
            "{}: the second commit is a conflict, got {outcome:?}",
            url.label
        );
        let log = EventLog::new(&db);
        let events = log.aggregate("Profile", "alice").await.expect("read");
        let payloads: Vec<ProfileChange> =
            events.iter().map(|e| e.change().expect("decode")).collect();
        assert_eq!(
            payloads.len(),
            2,
            "{}: create + the winner, nothing of the loser",
            url.label
        );
        assert_eq!(payloads[1], renamed("A"));
        assert_eq!(
            log.head().await.expect("head").position,
            2,
            "{}: no position was used by the loser",
            url.label
        );
        let report = verify::verify(&log, &mut |_, _| {}).await.expect("verify");
        assert_eq!(report.broken, None, "{}", url.label);
        // Through the command API the same race surfaces as a typed conflict error.
        let error = CommandError::<convene_domain::ProfileError>::Conflict("Profile").to_string();
        assert_eq!(
            error,
            "the Profile was changed by someone else at the same time; try again"
        );
    }
}

#[tokio::test]
async fn a_subscriber_killed_mid_batch_applies_every_event_exactly_once() {
    for (url, db) in test_databases("killed_subscriber").await {
        fill(&db, 300, 3).await; // 1,200 events: three batches
        Recorder::create_table(&db).await;
        let head = EventLog::new(&db).head().await.expect("head").position;

        let mut trapped = Recorder::new("first");
        trapped.hang_at = Some(700); // inside the second batch (501..=1000)
        let reached = trapped.reached.clone();
        let runner = Runner::new(Arc::new(trapped), &db);
        let task = tokio::spawn(async move { runner.catch_up(head, &mut |_| {}).await });
        reached.notified().await;
        task.abort();
        let _ = task.await;

        let restarted = Runner::new(Arc::new(Recorder::new("second")), &db);
        assert_eq!(
            restarted.checkpoint().await.expect("checkpoint"),
            500,
            "{}: the killed batch left nothing",
            url.label
        );
        restarted
            .catch_up(head, &mut |_| {})
            .await
            .expect("catch up");

        let log = EventLog::new(&db).read_after(0, 10_000).await.expect("log");
        let rows = sqlx::query("SELECT position, payload FROM recorded ORDER BY position")
            .fetch_all(db.pool())
            .await
            .expect("recorded");
        let recorded: Vec<(i64, String)> = rows
            .iter()
            .map(|r| (r.get("position"), r.get("payload")))
            .collect();
        let expected: Vec<(i64, String)> = log
            .iter()
            .map(|e| (e.position, e.payload.clone()))
            .collect();
        assert_eq!(recorded.len(), 1_200, "{}", url.label);
        assert_eq!(
            recorded, expected,
            "{}: every event once, with its content",
            url.label
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_runners_on_one_database_never_both_apply_an_event() {
    for (url, db) in test_databases("two_runners").await {
        Recorder::create_table(&db).await;
        // Two processes' worth of connections: each runner has its own pools and sessions.
        let other = Database::open(&url.url).await.expect("second connection");
        let shutdown = CancellationToken::new();
        let runners: Vec<_> = [("one", db.clone()), ("two", other)]
            .into_iter()
            .map(|(name, db)| {
                let runner = Runner::new(Arc::new(Recorder::new(name)), &db);
                let shutdown = shutdown.clone();
                tokio::spawn(async move { runner.follow(&db, shutdown).await })
            })
            .collect();
        fill(&db, 150, 3).await;
        let head = EventLog::new(&db).head().await.expect("head").position;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let done = checkpoints(db.pool()).await.expect("checkpoints");
            if done
                .iter()
                .any(|(name, at)| name == "recorder" && *at == head)
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: runners did not catch up",
                url.label
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        shutdown.cancel();
        for runner in runners {
            runner.await.expect("runner");
        }
        let rows = sqlx::query("SELECT position, runner FROM recorded")
            .fetch_all(db.pool())
            .await
            .expect("recorded");
        let mut positions: Vec<i64> = rows.iter().map(|r| r.get("position")).collect();
        positions.sort_unstable();
        assert_eq!(
            positions,
            (1..=head).collect::<Vec<_>>(),
            "{}: each event applied exactly once",
            url.label
        );
        if url.label == "postgres" {
            let mut by: Vec<String> = rows.iter().map(|r| r.get("runner")).collect();
            by.dedup();
            by.sort();
            by.dedup();
            assert_eq!(
                by.len(),
                1,
                "postgres: only the lease holder applied events, got {by:?}"
            );
        }
    }
}

#[tokio::test]
async fn replay_rebuilds_read_models_identical_to_the_live_ones() {
    for (url, db) in test_databases("replay_identical").await {
        fill(&db, 40, 2).await;
        let head = EventLog::new(&db).head().await.expect("head").position;
        for projection in read_models() {
            Runner::new(projection, &db)
                .catch_up(head, &mut |_| {})
                .await
                .expect("live");
        }
        let live = tables::dump(db.pool(), "profiles").await.expect("dump");
        assert_eq!(live.len(), 40);
        let mut seen = Vec::new();
        replay::rebuild(
            &db,
            &Subscribers::new(read_models()),
            &mut |name, at, total| seen.push((name.to_string(), at, total)),
        )
        .await
        .expect("replay");
        let rebuilt = tables::dump(db.pool(), "profiles").await.expect("dump");
        assert_eq!(rebuilt, live, "{}: row for row", url.label);
        for projection in read_models() {
            let end = (projection.name().to_string(), head, head);
            assert!(
                seen.contains(&end),
                "{}: {} reaches the end",
                url.label,
                projection.name()
            );
        }
    }
}

#[tokio::test]
async fn as_of_a_position_or_time_reproduces_the_state_recorded_then() {
    for (url, db) in test_databases("as_of").await {
        let commands = Commands::<Profile>::new(&db, ());
        create(&commands, "alice").await;
        let at_position = rename(&commands, "alice", "Alice at the time").await;
        create(&commands, "bob").await;
        let head = EventLog::new(&db).head().await.expect("head").position;
        for projection in read_models() {
            Runner::new(projection, &db)
                .catch_up(head, &mut |_| {})
                .await
                .expect("live");
        }
        let recorded = tables::dump(db.pool(), "profiles").await.expect("dump");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let moment = time::OffsetDateTime::now_utc();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        rename(&commands, "alice", "Alice later").await;
        create(&commands, "carol").await;

        let log = EventLog::new(&db);
        assert_eq!(
            replay::resolve(&log, AsOf::Time(moment))
                .await
                .expect("resolve"),
            head
        );
        assert_eq!(
            replay::resolve(&log, AsOf::Position(head))
                .await
                .expect("resolve"),
            head
        );
        let folder = tempfile::tempdir().expect("tmp");
        let into = folder.path().join("then.db");
        replay::rebuild_as_of(
            &db,
            head,
            &into,
            &Subscribers::new(read_models()),
            &mut |_, _, _| {},
        )
        .await
        .expect("as of");
        let then = Database::open(&format!("sqlite://{}", into.display()))
            .await
            .expect("open");
        assert_eq!(
            tables::dump(then.pool(), "profiles").await.expect("dump"),
            recorded,
            "{}",
            url.label
        );
        assert!(at_position < head);

        // Out-of-range points are refused before anything is written.
        let too_early = time::OffsetDateTime::now_utc() - time::Duration::days(1);
        let too_late = time::OffsetDateTime::now_utc() + time::Duration::days(1);
        for bad in [
            AsOf::Time(too_early),
            AsOf::Time(too_late),
            AsOf::Position(0),
            AsOf::Position(999),
        ] {
            let error = replay::resolve(&log, bad)
                .await
                .expect_err("refused")
                .to_string();
            assert!(error.contains("choose"), "{}: {error}", url.label);
        }
        let error = replay::rebuild_as_of(
            &db,
            head,
            &into,
            &Subscribers::new(read_models()),
            &mut |_, _, _| {},
        )
        .await
        .expect_err("existing file")
        .to_string();
        assert!(error.contains("already exists"), "{error}");
    }
}

#[tokio::test]
async fn verify_passes_on_an_untouched_log_and_names_the_first_tampered_position() {
    for (url, db) in test_databases("verify").await {
        fill(&db, 5, 2).await;
        let log = EventLog::new(&db);
        let mut calls = 0;
        let report = verify::verify(&log, &mut |_, _| calls += 1)
            .await
            .expect("verify");
        assert_eq!((report.checked, report.broken), (15, None), "{}", url.label);
        assert!(calls > 0);

        sqlx::query(r#"UPDATE event_log SET payload = '{"Renamed":{"display_name":"Mallory"}}' WHERE position = 7"#)
            .execute(db.pool())
            .await
            .expect("tamper");
        let report = verify::verify(&log, &mut |_, _| {}).await.expect("verify");
        let broken = report.broken.expect("tampering is caught");
        assert_eq!(broken.position, 7, "{}: {}", url.label, broken.reason);
        assert_eq!(report.checked, 6);

        sqlx::query(r#"DELETE FROM event_log WHERE position = 3"#)
            .execute(db.pool())
            .await
            .expect("delete");
        let broken = verify::verify(&log, &mut |_, _| {})
            .await
            .expect("verify")
            .broken
            .expect("caught");
        assert_eq!(broken.position, 3, "{}: {}", url.label, broken.reason);
        assert!(broken.reason.contains("missing"), "{}", broken.reason);
    }
}

#[tokio::test]
async fn metadata_is_stored_with_every_event_and_queryable() {
    for (url, db) in test_databases("metadata").await {
        let commands = Commands::<Profile>::new(&db, ());
        let metadata = convene_domain::Metadata::now(
            convene_domain::Actor::Account {
                account: "acc-1".into(),
                profile: Some("alice".into()),
            },
            convene_domain::Source::Api,
            "req-42",
        )
        .with_reason("testing");
        let command = ProfileCommand::Create {
            username: "alice".into(),
            display_name: None,
            account: None,
        };
        commands
            .execute("alice", command, &metadata)
            .await
            .expect("create");
        let event = EventLog::new(&db)
            .read_after(0, 1)
            .await
            .expect("read")
            .remove(0);
        assert_eq!(
            event.metadata().expect("metadata"),
            metadata,
            "{}",
            url.label
        );
        let json = match db.backend() {
            convene_projections::Backend::Sqlite => "json_extract(metadata, '$.request_id')",
            convene_projections::Backend::Postgres => "metadata ->> 'request_id'",
        };
        let found: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM event_log WHERE {json} = 'req-42'"
        ))
        .fetch_one(db.pool())
        .await
        .expect("query by metadata");
        assert_eq!(found, 1, "{}", url.label);
    }
}
