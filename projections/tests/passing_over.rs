//! A subscriber passes over the changes that do not concern it without writing anything, and
//! still ends with its checkpoint stored where it is: after a catch-up, and once the live log
//! goes quiet. On SQLite and (with TEST_DATABASE_URL) PostgreSQL.

mod support;

use async_trait::async_trait;
use convene_domain::Profile;
use convene_projections::log::EventLog;
use convene_projections::projection::{wait_for, Runner};
use convene_projections::scratch::test_databases;
use convene_projections::{Commands, Database, Error, Projection, StoredEvent};
use sqlx::{AnyConnection, Row};
use std::sync::Arc;
use std::time::Duration;
use support::{create, fill, rename, Recorder};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Records the changes of one profile only (`recorded`, as [`Recorder`] does).
struct OneProfile(&'static str);

#[async_trait]
impl Projection for OneProfile {
    fn name(&self) -> &'static str {
        "one_profile"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["recorded"]
    }

    fn concerns(&self, event: &StoredEvent) -> bool {
        event.aggregate_id == self.0
    }

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        sqlx::query("INSERT INTO recorded (position, payload, runner) VALUES ($1, $2, 'one')")
            .bind(event.position)
            .bind(&event.payload)
            .execute(conn)
            .await?;
        Ok(())
    }
}

async fn recorded(db: &Database) -> Vec<i64> {
    sqlx::query("SELECT position FROM recorded ORDER BY position")
        .fetch_all(db.pool())
        .await
        .expect("recorded")
        .iter()
        .map(|row| row.get("position"))
        .collect()
}

async fn positions_of(db: &Database, profile: &str) -> Vec<i64> {
    let log = EventLog::new(db).read_after(0, 10_000).await.expect("log");
    log.iter()
        .filter(|e| e.aggregate_id == profile)
        .map(|e| e.position)
        .collect()
}

async fn head(db: &Database) -> i64 {
    EventLog::new(db).head().await.expect("head").position
}

#[tokio::test]
async fn a_catch_up_stores_its_checkpoint_at_the_end_even_past_changes_passed_over() {
    for (url, db) in test_databases("passing_catch_up").await {
        Recorder::create_table(&db).await;
        // user0 … user2, each created and renamed twice: user2's changes come last.
        fill(&db, 3, 2).await;
        let runner = Runner::new(Arc::new(OneProfile("user1")), &db);
        let at = runner
            .catch_up(head(&db).await, &mut |_| {})
            .await
            .expect("catch up");
        assert_eq!(at, head(&db).await, "{}", url.label);
        assert_eq!(runner.checkpoint().await.expect("checkpoint"), at);
        assert_eq!(recorded(&db).await, positions_of(&db, "user1").await);

        // More changes that do not concern it: nothing applied, the checkpoint moves past them.
        let profiles = Commands::<Profile>::new(&db, ());
        create(&profiles, "late").await;
        rename(&profiles, "late", "Late").await;
        let before = recorded(&db).await;
        let at = runner
            .catch_up(head(&db).await, &mut |_| {})
            .await
            .expect("catch up again");
        assert_eq!(runner.checkpoint().await.expect("checkpoint"), at);
        assert_eq!(recorded(&db).await, before, "{}", url.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_live_subscriber_applies_only_what_concerns_it_and_stores_its_place_once_quiet() {
    for (url, db) in test_databases("passing_live").await {
        Recorder::create_table(&db).await;
        let shutdown = CancellationToken::new();
        let runner = Runner::new(Arc::new(OneProfile("user1")), &db);
        let task = {
            let (db, shutdown, runner) = (db.clone(), shutdown.clone(), runner.clone());
            tokio::spawn(async move { runner.follow(&db, shutdown).await })
        };
        fill(&db, 3, 2).await;
        let head = head(&db).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        assert!(
            wait_for(&db, &["one_profile"], head, deadline).await,
            "{}: the runner reached the head in this process",
            url.label
        );
        assert_eq!(recorded(&db).await, positions_of(&db, "user1").await);
        // user2's changes, last in the log, were passed over; the quiet log stores them.
        let mut stored = runner.checkpoint().await.expect("checkpoint");
        while stored < head && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
            stored = runner.checkpoint().await.expect("checkpoint");
        }
        assert_eq!(stored, head, "{}: stored once the log is quiet", url.label);

        // A restart from the stored checkpoint applies nothing again.
        shutdown.cancel();
        task.await.expect("runner stopped");
        let again = Runner::new(Arc::new(OneProfile("user1")), &db);
        again.catch_up(head, &mut |_| {}).await.expect("restart");
        assert_eq!(recorded(&db).await, positions_of(&db, "user1").await);
    }
}
