//! The durable delivery queue and its worker against a loopback receiver that checks each
//! signature and counts what it accepts, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.

use axum::body::Bytes;
use axum::extract::{Path, State as Shared};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use convene_federation::client::{Client, Limits, Network};
use convene_federation::delivery::{
    self, Backoff, SignerSource, State, Which, Worker, WorkerConfig,
};
use convene_federation::signatures::{self, Received, Signer, DEFAULT_MAX_SKEW};
use convene_projections::scratch::test_databases;
use convene_projections::Database;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use url::Url;

const ALICE_KEY: &str = include_str!("keys/alice.key.pem");
const ALICE_PUB: &str = include_str!("keys/alice.pub.pem");
const ALICE_ID: &str = "http://127.0.0.1:1/@alice#main-key";

struct Keys;

#[async_trait::async_trait]
impl SignerSource for Keys {
    async fn signer(&self, key_id: &str) -> Option<Signer> {
        (key_id == ALICE_ID).then(|| Signer::new(ALICE_ID, ALICE_KEY).expect("the test key"))
    }
}

/// What the receiver saw: accepted deliveries per (inbox, activity id), and every answer it
/// gave per inbox.
#[derive(Default)]
struct Seen {
    accepted: HashMap<(String, String), u32>,
    answers: HashMap<String, Vec<u16>>,
}

type Receiver = Arc<Mutex<Seen>>;

/// An inbox at `/{behaviour}/{n}`: `ok` accepts; `flaky` answers 500 once, then accepts;
/// `busy` answers 429 with `Retry-After: 1` once, then accepts; `gone` answers 404. Every
/// request's signature is checked first (401 when it does not verify).
async fn inbox(
    Shared(seen): Shared<Receiver>,
    Path((behaviour, _n)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let received = Received {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &body,
        scheme: "http",
    };
    let verified = signatures::parse(&received, SystemTime::now(), DEFAULT_MAX_SKEW)
        .and_then(|signed| signed.verify(ALICE_PUB));
    let activity: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let id = activity["id"].as_str().unwrap_or_default().to_string();
    let mut seen = seen.lock().expect("not poisoned");
    let path = uri.path().to_string();
    let before = seen.answers.get(&path).map_or(0, Vec::len);
    let (status, retry_after) = if verified.is_err() {
        (401, None)
    } else {
        match (behaviour.as_str(), before) {
            ("flaky", 0) => (500, None),
            ("busy", 0) => (429, Some("1")),
            ("gone", _) => (404, None),
            _ => (202, None),
        }
    };
    seen.answers.entry(path.clone()).or_default().push(status);
    if status == 202 {
        *seen.accepted.entry((path, id)).or_default() += 1;
    }
    let status = StatusCode::from_u16(status).expect("a status");
    match retry_after {
        Some(after) => (status, [("retry-after", after)]).into_response(),
        None => status.into_response(),
    }
}

async fn receiver_on(listener: tokio::net::TcpListener, seen: Receiver) {
    let app = Router::new()
        .route("/{behaviour}/{n}", post(inbox))
        .with_state(seen);
    tokio::spawn(async move { axum::serve(listener, app).await });
}

async fn receiver() -> (SocketAddr, Receiver) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    let seen = Receiver::default();
    receiver_on(listener, seen.clone()).await;
    (addr, seen)
}

fn worker(db: &Database) -> Arc<Worker> {
    let public = Url::parse("http://127.0.0.1:8080").expect("a URL");
    let client = Client::new(&public, Network::TestLoopback, Limits::default()).expect("a client");
    Worker::new(
        db.clone(),
        client,
        Arc::new(Keys),
        WorkerConfig {
            // Milliseconds instead of seconds: the whole schedule in a few seconds.
            backoff: Backoff {
                unit: Duration::from_millis(1),
                max_attempts: 4,
            },
            poll: Duration::from_millis(10),
            ..WorkerConfig::default()
        },
    )
}

fn activity(id: &str) -> String {
    serde_json::json!({"id": id, "type": "Create", "actor": "http://127.0.0.1:1/@alice"})
        .to_string()
}

/// Runs the worker until nothing is pending, or fails after `limit`.
async fn drain(db: &Database, worker: &Arc<Worker>, limit: Duration) {
    let started = Instant::now();
    loop {
        worker.run_once().await.expect("a batch");
        let pending = delivery::all(db.pool(), Which::In(State::Pending))
            .await
            .expect("listed");
        if pending.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "still pending after {limit:?}: {pending:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn state_of(deliveries: &[delivery::Delivery], inbox: &str) -> delivery::Delivery {
    deliveries
        .iter()
        .find(|d| d.inbox == inbox)
        .unwrap_or_else(|| panic!("no delivery to {inbox}"))
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_arrive_once_are_retried_or_given_up_as_they_should() {
    for (scratch, db) in test_databases("delivery_outcomes").await {
        let (addr, seen) = receiver().await;
        let inbox = |path: &str| format!("http://{addr}/{path}");
        let inboxes = vec![
            inbox("ok/1"),
            inbox("ok/2"),
            inbox("flaky/1"),
            inbox("busy/1"),
            inbox("gone/1"),
        ];
        let id = "http://127.0.0.1:1/activities/1";
        let added = delivery::enqueue(&db, id, &activity(id), &inboxes, ALICE_ID)
            .await
            .expect("enqueued");
        assert_eq!(added, 5, "{}", scratch.label);
        // Deriving the same deliveries again is a no-op.
        let again = delivery::enqueue(&db, id, &activity(id), &inboxes, ALICE_ID)
            .await
            .expect("enqueued");
        assert_eq!(again, 0, "{}", scratch.label);

        let worker = worker(&db);
        let first_try = Instant::now();
        drain(&db, &worker, Duration::from_secs(15)).await;

        let all = delivery::all(db.pool(), Which::All).await.expect("listed");
        let snapshot = {
            let seen = seen.lock().expect("not poisoned");
            Seen {
                accepted: seen.accepted.clone(),
                answers: seen.answers.clone(),
            }
        };
        for ok in ["ok/1", "ok/2"] {
            let d = state_of(&all, &inbox(ok));
            assert_eq!((d.state, d.attempts), (State::Delivered, 1), "{ok}");
            assert_eq!(snapshot.accepted[&(format!("/{ok}"), id.to_string())], 1);
        }
        let flaky = state_of(&all, &inbox("flaky/1"));
        assert_eq!((flaky.state, flaky.attempts), (State::Delivered, 2));
        assert_eq!(snapshot.answers["/flaky/1"], [500, 202]);
        let busy = state_of(&all, &inbox("busy/1"));
        assert_eq!((busy.state, busy.attempts), (State::Delivered, 2));
        assert_eq!(snapshot.answers["/busy/1"], [429, 202]);
        // Retry-After: 1 was honoured, though the backoff alone would have retried at once.
        assert!(first_try.elapsed() >= Duration::from_secs(1));
        let gone = state_of(&all, &inbox("gone/1"));
        assert_eq!(
            (gone.state, gone.attempts, gone.last_status),
            (State::Failed, 1, Some(404))
        );
        assert_eq!(snapshot.answers["/gone/1"], [404], "a 404 is not retried");
        assert!(
            snapshot.answers.values().flatten().all(|s| *s != 401),
            "signatures verify"
        );

        // An administrator retries the failed one: it is tried again (and refused again).
        assert!(delivery::retry(db.pool(), &gone.id, delivery::now_ms())
            .await
            .expect("retried"));
        drain(&db, &worker, Duration::from_secs(5)).await;
        let gone = state_of(
            &delivery::all(db.pool(), Which::All).await.expect("listed"),
            &inbox("gone/1"),
        );
        assert_eq!((gone.state, gone.attempts), (State::Failed, 1));
        assert_eq!(
            seen.lock().expect("not poisoned").answers["/gone/1"],
            [404, 404]
        );
        db.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_gets_the_delivery_when_it_is_back_or_it_is_dead() {
    for (scratch, db) in test_databases("delivery_down").await {
        // A port with nothing listening.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr = listener.local_addr().expect("an address");
        drop(listener);
        let inbox = format!("http://{addr}/ok/1");
        let id = "http://127.0.0.1:1/activities/2";
        delivery::enqueue(
            &db,
            id,
            &activity(id),
            std::slice::from_ref(&inbox),
            ALICE_ID,
        )
        .await
        .expect("enqueued");
        let worker = worker(&db);
        worker.run_once().await.expect("a batch");
        let down = delivery::all(db.pool(), Which::All).await.expect("listed");
        assert_eq!(
            (down[0].state, down[0].attempts),
            (State::Pending, 1),
            "{}",
            scratch.label
        );
        assert!(down[0].last_error.is_some());

        // Back up on the same port.
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("the same port");
        let seen = Receiver::default();
        receiver_on(listener, seen.clone()).await;
        drain(&db, &worker, Duration::from_secs(10)).await;
        let up = delivery::all(db.pool(), Which::All).await.expect("listed");
        assert_eq!((up[0].state, up[0].attempts), (State::Delivered, 2));
        assert_eq!(
            seen.lock().expect("not poisoned").accepted[&("/ok/1".to_string(), id.to_string())],
            1
        );

        // A receiver that never comes back: dead after the last try.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let nowhere = format!("http://{}/ok/1", listener.local_addr().expect("an address"));
        drop(listener);
        let id = "http://127.0.0.1:1/activities/3";
        delivery::enqueue(
            &db,
            id,
            &activity(id),
            std::slice::from_ref(&nowhere),
            ALICE_ID,
        )
        .await
        .expect("enqueued");
        drain(&db, &worker, Duration::from_secs(10)).await;
        let dead = state_of(
            &delivery::all(db.pool(), Which::All).await.expect("listed"),
            &nowhere,
        );
        assert_eq!((dead.state, dead.attempts), (State::Dead, 4));
        db.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_share_the_work_and_send_each_delivery_once() {
    for (scratch, db) in test_databases("delivery_two_workers").await {
        let (addr, seen) = receiver().await;
        let inboxes: Vec<String> = (0..60).map(|n| format!("http://{addr}/ok/{n}")).collect();
        let id = "http://127.0.0.1:1/activities/4";
        delivery::enqueue(&db, id, &activity(id), &inboxes, ALICE_ID)
            .await
            .expect("enqueued");
        // Two workers, as two processes would run them, each with its own pool of
        // connections: small batches so that they claim at the same time.
        let second_db = Database::open(&scratch.url).await.expect("a second pool");
        let small = |db: &Database| {
            let public = Url::parse("http://127.0.0.1:8080").expect("a URL");
            let client =
                Client::new(&public, Network::TestLoopback, Limits::default()).expect("a client");
            Worker::new(
                db.clone(),
                client,
                Arc::new(Keys),
                WorkerConfig {
                    batch: 5,
                    ..WorkerConfig::default()
                },
            )
        };
        let (one, two) = (small(&db), small(&second_db));
        let run = |worker: Arc<Worker>| {
            tokio::spawn(async move {
                let mut claimed = 0;
                loop {
                    let n = worker.run_once().await.expect("a batch");
                    if n == 0 {
                        return claimed;
                    }
                    claimed += n;
                }
            })
        };
        let (a, b) = (run(one), run(two));
        let (a, b) = (a.await.expect("ran"), b.await.expect("ran"));
        eprintln!("{}: the workers claimed {a} and {b}", scratch.label);
        assert_eq!(a + b, 60, "{}: {a} + {b}", scratch.label);
        {
            let seen = seen.lock().expect("not poisoned");
            for n in 0..60 {
                assert_eq!(
                    seen.accepted.get(&(format!("/ok/{n}"), id.to_string())),
                    Some(&1),
                    "{}: /ok/{n}",
                    scratch.label
                );
            }
        }
        let all = delivery::all(db.pool(), Which::In(State::Delivered))
            .await
            .expect("listed");
        assert_eq!(all.len(), 60);
        second_db.close().await;
        db.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_left_by_a_crashed_worker_is_taken_again_after_its_lease() {
    for (scratch, db) in test_databases("delivery_lease").await {
        let (addr, seen) = receiver().await;
        let inbox = format!("http://{addr}/ok/1");
        let id = "http://127.0.0.1:1/activities/5";
        delivery::enqueue(
            &db,
            id,
            &activity(id),
            std::slice::from_ref(&inbox),
            ALICE_ID,
        )
        .await
        .expect("enqueued");
        // A worker claims it, then dies before sending.
        let claimed = delivery::claim(&db, 10, Duration::from_millis(300))
            .await
            .expect("claimed");
        assert_eq!(claimed.len(), 1, "{}", scratch.label);
        let worker = worker(&db);
        assert_eq!(worker.run_once().await.expect("a batch"), 0, "leased");
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(worker.run_once().await.expect("a batch"), 1, "lease over");
        let all = delivery::all(db.pool(), Which::All).await.expect("listed");
        assert_eq!((all[0].state, all[0].attempts), (State::Delivered, 1));
        assert_eq!(
            seen.lock().expect("not poisoned").accepted[&("/ok/1".to_string(), id.to_string())],
            1
        );
        db.close().await;
    }
}

/// A receiver whose every inbox takes 100 ms to answer, and which records the most
/// requests it had in flight at once.
async fn slow_receiver() -> (SocketAddr, Arc<Mutex<(u32, u32)>>) {
    let flight = Arc::new(Mutex::new((0u32, 0u32)));
    let counter = flight.clone();
    let app = Router::new().route(
        "/slow/{n}",
        post(move || {
            let counter = counter.clone();
            async move {
                {
                    let mut f = counter.lock().expect("not poisoned");
                    f.0 += 1;
                    f.1 = f.1.max(f.0);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                counter.lock().expect("not poisoned").0 -= 1;
                StatusCode::ACCEPTED
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, flight)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_host_gets_at_most_its_share_at_once() {
    for (scratch, db) in test_databases("delivery_per_host").await {
        let (addr, flight) = slow_receiver().await;
        let inboxes: Vec<String> = (0..12).map(|n| format!("http://{addr}/slow/{n}")).collect();
        let id = "http://127.0.0.1:1/activities/6";
        delivery::enqueue(&db, id, &activity(id), &inboxes, ALICE_ID)
            .await
            .expect("enqueued");
        let public = Url::parse("http://127.0.0.1:8080").expect("a URL");
        let client =
            Client::new(&public, Network::TestLoopback, Limits::default()).expect("a client");
        let worker = Worker::new(
            db.clone(),
            client,
            Arc::new(Keys),
            WorkerConfig {
                per_host: 3,
                ..WorkerConfig::default()
            },
        );
        assert_eq!(worker.run_once().await.expect("a batch"), 12);
        let delivered = delivery::all(db.pool(), Which::In(State::Delivered))
            .await
            .expect("listed");
        assert_eq!(delivered.len(), 12, "{}", scratch.label);
        let most = flight.lock().expect("not poisoned").1;
        assert!((2..=3).contains(&most), "{}: {most} at once", scratch.label);
        db.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_keeps_failing_is_left_alone_for_a_while() {
    for (scratch, db) in test_databases("delivery_breaker").await {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr = listener.local_addr().expect("an address");
        drop(listener);
        let inboxes: Vec<String> = (0..5).map(|n| format!("http://{addr}/ok/{n}")).collect();
        let id = "http://127.0.0.1:1/activities/7";
        delivery::enqueue(&db, id, &activity(id), &inboxes, ALICE_ID)
            .await
            .expect("enqueued");
        let public = Url::parse("http://127.0.0.1:8080").expect("a URL");
        let client =
            Client::new(&public, Network::TestLoopback, Limits::default()).expect("a client");
        let worker = Worker::new(
            db.clone(),
            client,
            Arc::new(Keys),
            WorkerConfig {
                backoff: Backoff {
                    unit: Duration::from_millis(1),
                    max_attempts: 10,
                },
                // Open only once all five have failed: with fewer, a delivery of the first batch
                // that starts after the circuit opened is postponed untried, as it should be.
                breaker_failures: 5,
                breaker_cooldown: Duration::from_secs(30),
                ..WorkerConfig::default()
            },
        );
        assert_eq!(worker.run_once().await.expect("a batch"), 5);
        // The backoff (at most a tenth of a second here) has passed; the circuit has not.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(worker.run_once().await.expect("a batch"), 5);
        let soon = delivery::now_ms() + 20_000;
        for d in delivery::all(db.pool(), Which::All).await.expect("listed") {
            assert_eq!(
                (d.state, d.attempts),
                (State::Pending, 1),
                "{}: postponed, not tried",
                scratch.label
            );
            assert!(
                d.next_attempt_at > soon,
                "{}: after the cool-down",
                scratch.label
            );
        }
        db.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_sent_to_a_suspended_domain_and_a_retry_sends_it_once_lifted() {
    for (scratch, db) in test_databases("delivery_suspended").await {
        let (blocked, blocked_seen) = receiver().await;
        let (open, open_seen) = receiver().await;
        let inboxes = vec![
            format!("http://{blocked}/ok/1"),
            format!("http://{open}/ok/1"),
        ];
        let id = "http://127.0.0.1:1/activities/suspended";
        delivery::enqueue(&db, id, &activity(id), &inboxes, ALICE_ID)
            .await
            .expect("enqueued");
        // The read model as an administrator's suspension of that address leaves it.
        let decide = "INSERT INTO domain_decisions (domain, action, reason, decided_at, position) \
                      VALUES ($1, 'suspend', 'spam', '2026-01-01', 1)";
        sqlx::query(decide)
            .bind(blocked.to_string())
            .execute(db.pool())
            .await
            .expect("a decision");
        let worker = worker(&db);
        drain(&db, &worker, Duration::from_secs(5)).await;

        let all = delivery::all(db.pool(), Which::All).await.expect("listed");
        let refused = state_of(&all, &inboxes[0]);
        assert_eq!(
            (refused.state, refused.attempts),
            (State::Failed, 0),
            "{}",
            scratch.label
        );
        assert!(
            refused
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("suspended")),
            "{refused:?}"
        );
        assert_eq!(state_of(&all, &inboxes[1]).state, State::Delivered);
        assert!(blocked_seen
            .lock()
            .expect("not poisoned")
            .answers
            .is_empty());
        assert_eq!(
            open_seen.lock().expect("not poisoned").answers["/ok/1"],
            [202]
        );

        // Lifted, an administrator's retry sends it.
        sqlx::query("DELETE FROM domain_decisions")
            .execute(db.pool())
            .await
            .expect("lifted");
        assert!(delivery::retry(db.pool(), &refused.id, delivery::now_ms())
            .await
            .expect("retried"));
        drain(&db, &worker, Duration::from_secs(5)).await;
        let all = delivery::all(db.pool(), Which::All).await.expect("listed");
        assert_eq!(state_of(&all, &inboxes[0]).state, State::Delivered);
        assert_eq!(
            blocked_seen.lock().expect("not poisoned").answers["/ok/1"],
            [202]
        );
        db.close().await;
    }
}
