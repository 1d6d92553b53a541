//! Subscribers that live outside `convene-projections` join the list the server runs, replays
//! and reports; commands never wait for them.

use crate::support::{create_event, member, profile, Options, TestServer};
use async_trait::async_trait;
use convene_projections::scratch::test_urls;
use convene_projections::subscriber::{move_checkpoint, set_checkpoint, Applied, Delivery};
use convene_projections::{
    read_models, replay, Database, Error, StoredEvent, Subscriber, Subscribers,
};
use serde_json::json;
use sqlx::AnyPool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A store outside the database (here, memory): it records each position it is given, keyed by
/// position so a batch seen twice is written once, then moves its checkpoint.
#[derive(Default)]
struct Recorder {
    seen: Mutex<std::collections::BTreeSet<i64>>,
    resets: Mutex<usize>,
}

#[async_trait]
impl Subscriber for Recorder {
    fn name(&self) -> &'static str {
        "test-recorder"
    }

    fn delivery(&self) -> Delivery {
        Delivery::AtLeastOnce
    }

    async fn apply_batch(
        &self,
        target: &AnyPool,
        from: i64,
        batch: &[StoredEvent],
    ) -> Result<Applied, Error> {
        let Some(last) = batch.last() else {
            return Ok(Applied::Moved { to: from });
        };
        if let Ok(mut seen) = self.seen.lock() {
            seen.extend(batch.iter().map(|e| e.position));
        }
        let mut conn = target.acquire().await?;
        if move_checkpoint(&mut conn, self.name(), from, last.position).await? {
            Ok(Applied::Moved { to: last.position })
        } else {
            let checkpoint =
                convene_projections::projection::checkpoint(target, self.name()).await?;
            Ok(Applied::Fenced { checkpoint })
        }
    }

    async fn reset(&self, target: &AnyPool) -> Result<(), Error> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.clear();
        }
        if let Ok(mut resets) = self.resets.lock() {
            *resets += 1;
        }
        convene_projections::projection::checkpoint(target, self.name()).await?;
        let mut conn = target.acquire().await?;
        set_checkpoint(&mut conn, self.name(), 0).await
    }
}

/// A subscriber stuck on purpose: it never finishes a batch.
struct Stalled;

#[async_trait]
impl Subscriber for Stalled {
    fn name(&self) -> &'static str {
        "test-stalled"
    }

    fn delivery(&self) -> Delivery {
        Delivery::AtLeastOnce
    }

    async fn apply_batch(&self, _: &AnyPool, _: i64, _: &[StoredEvent]) -> Result<Applied, Error> {
        std::future::pending().await
    }

    async fn reset(&self, _: &AnyPool) -> Result<(), Error> {
        Ok(())
    }
}

async fn healthz_lag(server: &TestServer, name: &str) -> Option<i64> {
    let health = server.client().get("/healthz").await;
    health.json["projections"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["lag"].as_i64())
}

#[tokio::test]
async fn a_subscriber_from_another_crate_is_run_replayed_and_reported() {
    for scratch in test_urls("outside_subscriber").await {
        let recorder = Arc::new(Recorder::default());
        let options = Options {
            more_subscribers: vec![recorder.clone()],
            ..Options::default()
        };
        let mut server = TestServer::start_with(&scratch, options).await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        create_event(&ana, json!({})).await;
        let head = server.head().await;
        // It is run: it catches up with the log (it is not waited for, so give it a moment).
        let deadline = Instant::now() + Duration::from_secs(10);
        while healthz_lag(&server, "test-recorder").await != Some(0) {
            assert!(
                Instant::now() < deadline,
                "{}: never caught up",
                scratch.label
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let seen: Vec<i64> = recorder
            .seen
            .lock()
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        assert_eq!(seen, (1..=head).collect::<Vec<_>>(), "{}", scratch.label);
        // It is replayed with the others (the server stopped): reset, then given the whole log
        // again.
        server.stop_subscribers().await;
        let db = Database::open(&scratch.url).await.expect("database");
        let again = Arc::new(Recorder::default());
        let list = Subscribers::new(read_models()).with([again.clone() as Arc<dyn Subscriber>]);
        let mut reached = Vec::new();
        replay::rebuild(&db, &list, &mut |name, at, _| {
            reached.push((name.to_string(), at))
        })
        .await
        .expect("replay");
        assert_eq!(again.resets.lock().map(|r| *r).unwrap_or_default(), 1);
        assert!(reached.contains(&("test-recorder".to_string(), head)));
        let seen = again.seen.lock().map(|s| s.len()).unwrap_or_default();
        assert_eq!(seen as i64, head, "{}", scratch.label);
    }
}

#[tokio::test]
async fn a_join_does_not_wait_for_a_stalled_subscriber() {
    for scratch in test_urls("stalled_subscriber").await {
        let options = Options {
            more_subscribers: vec![Arc::new(Stalled)],
            ..Options::default()
        };
        let server = TestServer::start_with(&scratch, options).await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let event = create_event(&ana, json!({})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;
        let started = Instant::now();
        let joined = bob
            .post(&format!("/api/v1/events/{id}/participations"), json!({}))
            .await;
        let took = started.elapsed();
        assert_eq!(joined.status, 201, "{}: {}", scratch.label, joined.text);
        // Had the join waited for the stalled subscriber, it would have given up only after
        // the whole read-your-writes bound.
        assert!(
            took < convene_api::consistency::READ_YOUR_WRITES,
            "{}: the join took {took:?}",
            scratch.label
        );
        let lag = healthz_lag(&server, "test-stalled").await;
        assert!(lag.is_some_and(|lag| lag > 0), "{}: {lag:?}", scratch.label);
        assert_eq!(healthz_lag(&server, "events").await, Some(0));
    }
}
