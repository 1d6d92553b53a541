//! Keys: one per actor, stable across requests, restarts and replays, made once under a race,
//! and never served privately.

use crate::support::{member_with_profile, TestServer};
use convene_api::Registrations;
use convene_federation::keys::{key_pair, KeyOwner};
use convene_projections::scratch::{test_databases, test_urls};
use convene_projections::{read_models, Subscribers};

async fn served_key(server: &TestServer, path: &str) -> String {
    let actor = server
        .client()
        .get_as(path, "application/activity+json")
        .await;
    assert_eq!(actor.status, 200, "{}: {}", server.label, actor.text);
    actor.json["publicKey"]["publicKeyPem"]
        .as_str()
        .expect("a key")
        .to_string()
}

#[tokio::test]
async fn the_key_survives_restarts_and_replays() {
    for scratch in test_urls("the_key_survives_restarts_and_replays").await {
        let server = TestServer::start(&scratch, Registrations::Open).await;
        member_with_profile(&server, "alice@example.org", "alice").await;
        let alice = served_key(&server, "/@alice").await;
        let relay = served_key(&server, "/relay").await;
        assert_ne!(alice, relay, "each actor has its own key");
        assert_eq!(served_key(&server, "/@alice").await, alice);
        server.assert_no_private_key_served();
        let db = server.db.clone();
        server.stop().await;
        // A replay empties and rebuilds every read model: the keys are not one of them.
        let head = convene_projections::replay::rebuild(
            &db,
            &Subscribers::new(read_models()),
            &mut |_, _, _| {},
        )
        .await
        .expect("replay");
        assert!(head > 0);
        let restarted = TestServer::start(&scratch, Registrations::Open).await;
        assert_eq!(
            served_key(&restarted, "/@alice").await,
            alice,
            "{}",
            scratch.label
        );
        assert_eq!(served_key(&restarted, "/relay").await, relay);
        restarted.assert_no_private_key_served();
    }
}

#[tokio::test]
async fn concurrent_first_requests_make_one_key() {
    for (scratch, db) in test_databases("concurrent_first_requests_make_one_key").await {
        let owner = KeyOwner::Profile("racer".to_string());
        let tries = (0..4).map(|_| {
            let (db, owner) = (db.clone(), owner.clone());
            async move { key_pair(&db, &owner).await }
        });
        let pairs = futures_join(tries).await;
        let first = pairs[0].as_ref().expect("a key").clone();
        for pair in &pairs {
            assert_eq!(pair.as_ref().expect("a key"), &first, "{}", scratch.label);
        }
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM actor_keys")
            .fetch_one(db.pool())
            .await
            .expect("count");
        assert_eq!(rows, 1);
        // The private key is kept, for signing, in the agreed format.
        assert!(first
            .private_pem
            .expose()
            .starts_with("-----BEGIN PRIVATE KEY-----"));
    }
}

/// Runs the futures at once (each on its own task) and gathers their results in order.
async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.expect("task"));
    }
    results
}

#[tokio::test]
async fn no_private_key_reaches_the_log() {
    for scratch in test_urls("no_private_key_reaches_the_log").await {
        let server = TestServer::start(&scratch, Registrations::Open).await;
        member_with_profile(&server, "alice@example.org", "alice").await;
        served_key(&server, "/@alice").await;
        served_key(&server, "/relay").await;
        let pool = server.db.pool();
        let (changes, with_key): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN CAST(payload AS TEXT) LIKE '%PRIVATE KEY%' \
               OR CAST(metadata AS TEXT) LIKE '%PRIVATE KEY%' THEN 1 ELSE 0 END), 0) FROM event_log",
        )
        .fetch_one(pool)
        .await
        .expect("count");
        assert!(
            changes > 0,
            "{}: the log holds the profile's changes",
            scratch.label
        );
        assert_eq!(with_key, 0, "{}", scratch.label);
        // The keys are where they belong.
        let kept: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM actor_keys WHERE private_key_pem LIKE '-----BEGIN PRIVATE KEY-----%'",
        )
        .fetch_one(pool)
        .await
        .expect("count");
        assert_eq!(kept, 2);
    }
}
