//! What this instance sends other instances, as administrators see it through the API: the
//! deliveries by state with their tries and last answers, paged, and a failed or dead one tried
//! again; nobody else sees them.

use crate::reports::{fields, give_role};
use crate::support::{member, Options, TestServer};
use convene_domain::Role;
use convene_projections::scratch::test_urls;
use serde_json::{json, Value};

/// Stores activity `n` and its delivery to `inbox` in `state`, as the queue would have left
/// it; the delivery's id.
async fn stored(server: &TestServer, n: usize, inbox: &str, state: &str, attempts: i64) -> String {
    let pool = server.db.pool();
    let activity = format!("http://127.0.0.1/activities/{n}");
    sqlx::query("INSERT INTO activities (id, key_id, body, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&activity)
        .bind("http://127.0.0.1/@org#main-key")
        .bind("{}")
        .bind(1_000 + n as i64)
        .execute(pool)
        .await
        .expect("an activity");
    let id = format!("delivery-{n}");
    let (status, error) = match state {
        "failed" => (Some(410_i64), None),
        "dead" => (None, Some("connection refused")),
        _ => (None, None),
    };
    sqlx::query(
        "INSERT INTO deliveries (id, activity_id, inbox, host, state, attempts, next_attempt_at,
             leased_until, last_status, last_error, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(&activity)
    .bind(inbox)
    .bind(
        url::Url::parse(inbox)
            .expect("URL")
            .host_str()
            .unwrap_or_default(),
    )
    .bind(state)
    .bind(attempts)
    .bind(4_000_000_000_000_i64)
    .bind(status)
    .bind(error)
    .bind(1_000 + n as i64)
    .execute(pool)
    .await
    .expect("a delivery");
    id
}

fn ids(page: &Value) -> Vec<String> {
    page["deliveries"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|d| d["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn administrators_see_the_deliveries_by_state_and_try_a_failed_one_again() {
    for scratch in test_urls("admin_deliveries").await {
        let server = TestServer::start_with(&scratch, Options::default()).await;
        let admin = member(&server, "admin@example.org").await;
        give_role(&server, &admin, Role::Administrator).await;
        let pending = stored(&server, 1, "https://a.example/inbox", "pending", 2).await;
        let delivered = stored(&server, 2, "https://a.example/inbox", "delivered", 1).await;
        let failed = stored(&server, 3, "https://b.example:8443/inbox", "failed", 1).await;
        let dead = stored(&server, 4, "https://c.example/users/x/inbox", "dead", 16).await;

        // Without a state: what may need an eye, oldest first; the delivered one left out.
        let all = admin.get("/api/v1/admin/deliveries").await;
        assert_eq!(all.status, 200, "{}: {}", scratch.label, all.text);
        assert_eq!(all.json["total"], 3, "{}", all.text);
        assert_eq!(
            ids(&all.json),
            [pending.clone(), failed.clone(), dead.clone()]
        );
        let first = &all.json["deliveries"][0];
        assert_eq!(first["state"], "pending");
        assert_eq!(first["attempts"], 2);
        assert_eq!(first["activity"], "http://127.0.0.1/activities/1");
        assert_eq!(first["host"], "a.example");
        assert!(first["next_attempt_at"].as_str().is_some(), "{first}");
        let gone = &all.json["deliveries"][1];
        assert_eq!(
            (&gone["last_status"], &gone["next_attempt_at"]),
            (&json!(410), &Value::Null)
        );
        assert_eq!(
            all.json["deliveries"][2]["last_error"],
            "connection refused"
        );

        let only = admin.get("/api/v1/admin/deliveries?state=delivered").await;
        assert_eq!(ids(&only.json), std::slice::from_ref(&delivered));
        assert_eq!(only.json["total"], 1);

        // The failed one, tried again: pending at once with a fresh count.
        let retried = admin
            .post(
                &format!("/api/v1/admin/deliveries/{failed}/retry"),
                json!({}),
            )
            .await;
        assert_eq!(retried.status, 200, "{}", retried.text);
        assert_eq!(retried.json["state"], "pending");
        assert_eq!(retried.json["attempts"], 0);
        assert!(retried.json["next_attempt_at"].as_str().is_some());
        let failed_now = admin.get("/api/v1/admin/deliveries?state=failed").await;
        assert_eq!(failed_now.json["total"], 0, "{}", failed_now.text);
        let dead_retried = admin
            .post(&format!("/api/v1/admin/deliveries/{dead}/retry"), json!({}))
            .await;
        assert_eq!(
            dead_retried.json["state"], "pending",
            "{}",
            dead_retried.text
        );

        // Only a failed or dead delivery is tried again.
        for (id, state) in [(&failed, "pending"), (&delivered, "delivered")] {
            let again = admin
                .post(&format!("/api/v1/admin/deliveries/{id}/retry"), json!({}))
                .await;
            assert_eq!(again.status, 409, "{}", again.text);
            assert!(again.text.contains(state), "{}", again.text);
        }
        let unknown = admin
            .post("/api/v1/admin/deliveries/nothing/retry", json!({}))
            .await;
        assert_eq!(unknown.status, 404, "{}", unknown.text);
    }
}

#[tokio::test]
async fn deliveries_are_paged_and_bad_queries_name_their_parameter() {
    for scratch in test_urls("admin_deliveries_pages").await {
        let server = TestServer::start_with(&scratch, Options::default()).await;
        let admin = member(&server, "admin@example.org").await;
        give_role(&server, &admin, Role::Administrator).await;
        let mut all = Vec::new();
        for n in 0..55 {
            all.push(stored(&server, n, "https://a.example/inbox", "dead", 16).await);
        }
        let first = admin.get("/api/v1/admin/deliveries?state=dead").await;
        let second = admin
            .get("/api/v1/admin/deliveries?state=dead&page=2")
            .await;
        assert_eq!(
            (first.json["total"].clone(), second.json["page"].clone()),
            (json!(55), json!(2))
        );
        let mut seen = ids(&first.json);
        assert_eq!(seen.len(), 50);
        seen.extend(ids(&second.json));
        assert_eq!(seen, all, "{}", scratch.label);

        for (query, field) in [
            ("state=lost", "state"),
            ("page=0", "page"),
            ("page=99999999999999", "page"),
            ("page=two", "page"),
        ] {
            let refused = admin
                .get(&format!("/api/v1/admin/deliveries?{query}"))
                .await;
            assert_eq!(refused.status, 422, "{query}: {}", refused.text);
            assert_eq!(fields(&refused), [field], "{query}: {}", refused.text);
        }
    }
}

#[tokio::test]
async fn nobody_but_administrators_sees_or_retries_deliveries() {
    for scratch in test_urls("admin_deliveries_refused").await {
        let server = TestServer::start_with(&scratch, Options::default()).await;
        let failed = stored(&server, 1, "https://a.example/inbox", "failed", 1).await;
        let moderator = member(&server, "mia@example.org").await;
        give_role(&server, &moderator, Role::Moderator).await;
        let user = member(&server, "bob@example.org").await;
        let retry = format!("/api/v1/admin/deliveries/{failed}/retry");
        for (who, status) in [(&moderator, 403), (&user, 403), (&server.client(), 401)] {
            let listed = who.get("/api/v1/admin/deliveries").await;
            assert_eq!(listed.status, status, "{}", listed.text);
            let retried = who.post(&retry, json!({})).await;
            assert_eq!(retried.status, status, "{}", retried.text);
        }
        let still = server.state.db.pool().clone();
        let state: String = sqlx::query_scalar("SELECT state FROM deliveries WHERE id = $1")
            .bind(&failed)
            .fetch_one(&still)
            .await
            .expect("the delivery");
        assert_eq!(state, "failed", "refused retries change nothing");
    }
}
