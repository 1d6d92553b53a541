//! Input many times over its limits is refused at once, naming the field, and writes nothing:
//! sizes and counts are checked before any parsing or normalising.

use crate::servers;
use crate::support::{create_event, event_body, member, profile, Client, Response};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// How long refusing input ten times its limit may take: 50 ms, the bound the project sets,
/// once compiled with optimisations. Unoptimised test builds parse a megabyte of JSON alone in
/// tens of milliseconds, so they are given five times as long, which still catches any work
/// growing faster than the input (deep HTML and 100,000 tags once took 1 to 34 seconds).
const QUICK: Duration = Duration::from_millis(if cfg!(debug_assertions) { 250 } else { 50 });

/// Refusals checked for their answer, and for their time when `quick` (only in the heavy run,
/// where nothing else runs beside: other tests skew timings several times over).
struct Refusals {
    quick: bool,
}

impl Refusals {
    /// Sends `body` and checks it is refused with 422 naming `field` (within [`QUICK`]).
    async fn refused(&self, client: &Client, method: &str, path: &str, body: Value, field: &str) {
        let body = Some(("application/json".to_string(), body.to_string()));
        let started = Instant::now();
        let answer: Response = client.send_raw(method, path, body).await;
        let took = started.elapsed();
        assert_eq!(answer.status, 422, "{path} {field}: {}", answer.text);
        let fields: Vec<&str> = answer.json["errors"]
            .as_array()
            .map(|errors| errors.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        assert!(fields.contains(&field), "{field} named in {fields:?}");
        assert!(
            !self.quick || took < QUICK,
            "{path} {field}: refused in {took:?}"
        );
    }
}

#[tokio::test]
async fn every_text_field_and_list_at_ten_times_its_limit_is_refused() {
    ten_times_the_limits(Refusals { quick: false }).await;
}

#[tokio::test]
#[ignore = "heavy: times the refusals, so it runs alone (other tests running beside it skew them)"]
async fn every_text_field_and_list_at_ten_times_its_limit_is_refused_at_once() {
    ten_times_the_limits(Refusals { quick: true }).await;
}

async fn ten_times_the_limits(check: Refusals) {
    for (_db, server) in servers("ten_times").await {
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let event = create_event(&org, json!({"options": {"anonymous_participation": true}})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        let group = org
            .post(
                "/api/v1/groups",
                json!({"handle": "repair", "display_name": "Repair café"}),
            )
            .await;
        assert_eq!(group.status, 201, "{}", group.text);
        let before = server.head().await;

        let long = |n: usize| "x".repeat(n);
        let tags: Vec<String> = (0..200).map(|n| format!("tag{n}")).collect();
        let many_tags: Vec<String> = (0..100_000).map(|n| format!("t{n}")).collect();
        let links: Vec<Value> = (0..200)
            .map(|n| json!({"key": "k", "title": "t", "value": format!("https://example.org/{n}")}))
            .collect();
        // (the field as sent, its value, the field the answer names)
        let event_fields = [
            ("title", json!(long(2_000)), "title"),
            ("description", json!(long(1_000_000)), "description"),
            ("description", json!("<div>".repeat(20_000)), "description"),
            ("tags", json!(tags), "tags"),
            ("tags", json!(many_tags), "tags"),
            ("tags", json!([long(400)]), "tags"),
            ("links", json!(links), "links"),
            (
                "links",
                json!([{"key": "k", "title": "t", "value": long(20_000)}]),
                "links[0].value",
            ),
            ("address", json!({"name": long(2_000)}), "address.name"),
            ("online_url", json!(long(20_000)), "online_url"),
        ];
        for (key, value, field) in event_fields {
            let mut body = event_body(json!({}));
            body[key] = value.clone();
            check
                .refused(&org, "POST", "/api/v1/events", body, field)
                .await;
            let mut patch = json!({});
            patch[key] = value;
            check
                .refused(&org, "PATCH", &format!("/api/v1/events/{id}"), patch, field)
                .await;
        }

        let summaries = [json!(long(200_000)), json!("<div>".repeat(30_000))];
        for summary in summaries {
            let body = json!({"username": "other", "summary": summary});
            check
                .refused(&org, "POST", "/api/v1/profiles", body, "summary")
                .await;
            let body = json!({"summary": summary});
            check
                .refused(&org, "PATCH", "/api/v1/profiles/org", body, "summary")
                .await;
        }
        let display_name = json!({"display_name": long(1_000)});
        check
            .refused(
                &org,
                "PATCH",
                "/api/v1/profiles/org",
                display_name,
                "display_name",
            )
            .await;
        let username = json!({"username": long(300)});
        check
            .refused(&org, "POST", "/api/v1/profiles", username, "username")
            .await;

        let comments = format!("/api/v1/events/{id}/comments");
        for body in [json!(long(700_000)), json!("<div>".repeat(100_000))] {
            check
                .refused(&org, "POST", &comments, json!({"body": body}), "body")
                .await;
        }
        let posts = "/api/v1/groups/repair/posts";
        let post_fields = [
            ("title", json!(long(2_000))),
            ("body", json!(long(1_000_000))),
            ("body", json!("<div>".repeat(20_000))),
            (
                "tags",
                json!((0..100_000).map(|n| format!("t{n}")).collect::<Vec<_>>()),
            ),
            ("tags", json!([long(400)])),
        ];
        for (key, value) in post_fields {
            let mut body = json!({"title": "News"});
            body[key] = value;
            check.refused(&org, "POST", posts, body, key).await;
        }
        let discussions = "/api/v1/groups/repair/discussions";
        let body = json!({"title": long(2_000), "body": "Hi"});
        check
            .refused(&org, "POST", discussions, body, "title")
            .await;
        for body in [json!(long(700_000)), json!("<div>".repeat(100_000))] {
            let body = json!({"title": "Plans", "body": body});
            check.refused(&org, "POST", discussions, body, "body").await;
        }

        let stranger = member(&server, "ana@example.org").await;
        profile(&stranger, "ana").await;
        let before_joins = server.head().await;
        let join = format!("/api/v1/events/{id}/participations");
        check
            .refused(
                &stranger,
                "POST",
                &join,
                json!({"message": long(10_000)}),
                "message",
            )
            .await;
        let anonymous = format!("/api/v1/events/{id}/anonymous-participations");
        let body = json!({"email": "bob@example.org", "message": long(10_000)});
        check
            .refused(&server.client(), "POST", &anonymous, body, "message")
            .await;
        let body = json!({"email": format!("{}@example.org", long(3_000))});
        check
            .refused(&server.client(), "POST", &anonymous, body, "email")
            .await;

        let register = json!({"email": format!("{}@example.org", long(3_000)), "password": "correct horse battery"});
        check
            .refused(
                &server.client(),
                "POST",
                "/api/v1/accounts",
                register,
                "email",
            )
            .await;

        let register = json!({"email": "bob@example.org", "password": long(10_000)});
        check
            .refused(
                &server.client(),
                "POST",
                "/api/v1/accounts",
                register,
                "password",
            )
            .await;

        assert_eq!(server.head().await, before_joins, "nothing written");
        assert!(before_joins > before, "only the second member was recorded");
    }
}
