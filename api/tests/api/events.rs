use crate::servers;
use crate::support::{create_event, event_body, member, profile};
use serde_json::json;

#[tokio::test]
async fn an_event_is_created_read_listed_updated_and_its_history_kept() {
    for (_db, server) in servers("event_lifecycle").await {
        let org = member(&server, "org@example.org").await;
        profile(&org, "climate_collective").await;
        let event = create_event(&org, json!({"description": "<p onclick=\"x()\">Bring <b>banners</b><script>steal()</script></p>", "capacity": 100})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        assert_eq!(event["organizer"], "climate_collective");
        assert_eq!(
            event["description"], "<p>Bring <b>banners</b></p>",
            "sanitised"
        );
        assert_eq!(event["remaining_seats"], 100);
        assert_eq!(event["links"][0]["key"], "mz:visio:jitsi_meet");

        let public = server.client().get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(public.status, 200);
        assert_eq!(public.json["title"], "Climate march");

        let updated = org.patch(&format!("/api/v1/events/{id}"), json!({"title": "Climate march 2030", "capacity": null, "tags": ["Climate", "#Paris"]})).await;
        assert_eq!(updated.status, 200, "{}", updated.text);
        assert_eq!(updated.json["title"], "Climate march 2030");
        assert_eq!(updated.json["capacity"], json!(null));
        assert_eq!(updated.json["tags"], json!(["climate", "paris"]));

        let listed = server.client().get("/api/v1/events?tag=paris").await;
        assert_eq!(
            listed.json.as_array().map(Vec::len),
            Some(1),
            "{}",
            listed.text
        );
        let none = server.client().get("/api/v1/events?category=MUSIC").await;
        assert_eq!(none.json, json!([]));
        let range = server
            .client()
            .get("/api/v1/events?from=2031-01-01T00:00:00Z")
            .await;
        assert_eq!(range.json, json!([]), "past the range");
        let by_org = server
            .client()
            .get("/api/v1/events?organizer=climate_collective")
            .await;
        assert_eq!(by_org.json.as_array().map(Vec::len), Some(1));
        let bad_page = server.client().get("/api/v1/events?per_page=1000").await;
        assert_eq!(
            (bad_page.status, &bad_page.json["errors"][0]["field"]),
            (422, &json!("per_page"))
        );

        let cancelled = org
            .post(&format!("/api/v1/events/{id}/cancel"), json!({}))
            .await;
        assert_eq!(cancelled.json["status"], "cancelled");

        let history = org.get(&format!("/api/v1/events/{id}/history")).await;
        assert_eq!(history.status, 200, "{}", history.text);
        let changes: Vec<&str> = history
            .json
            .as_array()
            .map(|h| h.iter().filter_map(|e| e["change"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(changes, ["EventCreated", "EventUpdated", "EventCancelled"]);
        assert_eq!(history.json[0]["actor"], "@climate_collective");
        assert_eq!(history.json[0]["source"], "api");
        assert_eq!(history.json[1]["summary"], "changed title, capacity, tags");

        let stranger = member(&server, "x@example.org").await;
        profile(&stranger, "stranger").await;
        assert_eq!(
            stranger
                .get(&format!("/api/v1/events/{id}/history"))
                .await
                .status,
            403
        );
        assert_eq!(
            stranger
                .patch(&format!("/api/v1/events/{id}"), json!({"title": "Mine"}))
                .await
                .status,
            403
        );
        assert_eq!(
            server
                .client()
                .get(&format!("/api/v1/events/{id}/history"))
                .await
                .status,
            401
        );

        let deleted = org.delete(&format!("/api/v1/events/{id}")).await;
        assert_eq!(deleted.status, 204);
        assert_eq!(
            server
                .client()
                .get(&format!("/api/v1/events/{id}"))
                .await
                .status,
            404
        );
        let history = org.get(&format!("/api/v1/events/{id}/history")).await;
        assert_eq!(history.status, 403, "deleted: no one organises it any more");
    }
}

#[tokio::test]
async fn drafts_and_private_events_are_hidden_from_everyone_else() {
    for (_db, server) in servers("event_visibility").await {
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let draft = create_event(&org, json!({"draft": true})).await;
        let id = draft["id"].as_str().unwrap_or_default();
        assert_eq!(
            server
                .client()
                .get(&format!("/api/v1/events/{id}"))
                .await
                .status,
            404
        );
        assert_eq!(server.client().get("/api/v1/events").await.json, json!([]));
        assert_eq!(
            org.get(&format!("/api/v1/events/{id}")).await.status,
            200,
            "organisers see their drafts"
        );
        let published = org
            .post(&format!("/api/v1/events/{id}/publish"), json!({}))
            .await;
        assert_eq!(published.json["draft"], false);
        assert_eq!(
            server
                .client()
                .get(&format!("/api/v1/events/{id}"))
                .await
                .status,
            200
        );

        let private = create_event(
            &org,
            json!({"visibility": "private", "join_mode": "restricted"}),
        )
        .await;
        let pid = private["id"].as_str().unwrap_or_default();
        let stranger = member(&server, "stranger@example.org").await;
        profile(&stranger, "stranger").await;
        let join = stranger
            .post(&format!("/api/v1/events/{pid}/participations"), json!({}))
            .await;
        assert_eq!(
            join.status, 404,
            "a private event cannot be joined by id: {}",
            join.text
        );
        let anonymous = server
            .client()
            .post(
                &format!("/api/v1/events/{pid}/anonymous-participations"),
                json!({"email": "zoe@example.org"}),
            )
            .await;
        assert_eq!(anonymous.status, 404, "nor joined anonymously");
        let comment = stranger
            .post(
                &format!("/api/v1/events/{pid}/comments"),
                json!({"body": "hi"}),
            )
            .await;
        assert_eq!(comment.status, 404);
        assert_eq!(
            stranger
                .get(&format!("/api/v1/events/{pid}/history"))
                .await
                .status,
            404
        );
        assert_eq!(
            server
                .client()
                .get(&format!("/api/v1/events/{pid}"))
                .await
                .status,
            404
        );
        assert_eq!(
            server
                .client()
                .get("/api/v1/events")
                .await
                .json
                .as_array()
                .map(Vec::len),
            Some(1),
            "only the public one is listed"
        );
    }
}

#[tokio::test]
async fn each_invalid_field_is_named_and_nothing_is_appended() {
    for (_db, server) in servers("event_invalid").await {
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let before = server.head().await;
        let cases = [
            (json!({"title": "ab"}), "title"),
            (json!({"time_zone": "Mars/Olympus_Mons"}), "time_zone"),
            (json!({"ends_at": "2030-06-01T13:00:00Z"}), "ends_at"),
            (json!({"capacity": 0}), "capacity"),
            (json!({"capacity": -5}), "capacity"),
            (
                json!({"description": "x".repeat(100 * 1024 + 1)}),
                "description",
            ),
            (json!({"category": "PICNIC"}), "category"),
            (json!({"join_mode": "external"}), "external_url"),
            (json!({"online_url": "javascript:alert(1)"}), "online_url"),
            (json!({"begins_at": "tomorrow"}), "begins_at"),
            (json!({"title": "Nul\u{0}byte"}), "title"),
        ];
        for (extra, field) in cases {
            let response = org.post("/api/v1/events", event_body(extra.clone())).await;
            assert_eq!(
                response.status, 422,
                "{}: {extra}: {}",
                server.label, response.text
            );
            assert_eq!(
                response.json["errors"][0]["field"], field,
                "{extra}: {}",
                response.text
            );
            // The detail says it for people too: the field and what to fix.
            let detail = response.json["detail"].as_str().unwrap_or_default();
            let message = response.json["errors"][0]["message"]
                .as_str()
                .unwrap_or_default();
            assert!(
                detail.starts_with(&format!("{field}: ")) && detail.contains(message),
                "{extra}: {detail}"
            );
        }
        let mut missing = event_body(json!({}));
        missing.as_object_mut().map(|o| o.remove("begins_at"));
        let response = org.post("/api/v1/events", missing).await;
        assert_eq!(
            (response.status, &response.json["errors"][0]["field"]),
            (422, &json!("begins_at")),
            "{}",
            response.text
        );
        let malformed = org
            .send_raw(
                "POST",
                "/api/v1/events",
                Some(("application/json".into(), "{\"title\": \"x\",".into())),
            )
            .await;
        assert_eq!(malformed.status, 400);
        let not_json = org
            .send_raw(
                "POST",
                "/api/v1/events",
                Some(("text/plain".into(), "hello".into())),
            )
            .await;
        assert_eq!(not_json.status, 415);
        assert_eq!(
            server.head().await,
            before,
            "{}: nothing appended",
            server.label
        );
    }
}

/// Markdown nested 10,000 deep (lists, quotes, lists in quotes) is refused with a message
/// naming the description, without exhausting the stack; a few levels are kept.
#[tokio::test]
async fn markdown_nested_ten_thousand_deep_is_refused_naming_the_description() {
    for (_db, server) in servers("event_markdown_depth").await {
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let before = server.head().await;
        let deep = [
            format!("{}deep", "- ".repeat(10_000)),
            format!("{}deep", "> ".repeat(10_000)),
            format!("{}deep", "> - ".repeat(5_000)),
            format!("{}deep", "1. ".repeat(10_000)),
            // Indented, 40 deep: the rest, 10,000 lines in all, at that depth.
            (0..10_000)
                .map(|i: usize| format!("{}- {i}\n", " ".repeat(2 * i.min(40))))
                .collect::<String>()
                .chars()
                .take(100 * 1024)
                .collect(),
        ];
        for source in &deep {
            let response = org
                .post(
                    "/api/v1/events",
                    event_body(json!({"description_source": source})),
                )
                .await;
            assert_eq!(response.status, 422, "{}: {}", server.label, response.text);
            assert_eq!(response.json["errors"][0]["field"], "description");
            let message = response.json["errors"][0]["message"]
                .as_str()
                .unwrap_or_default();
            // Too deep, or its HTML (each level's tags) already too large: either is said.
            assert!(
                message.contains("nests at most") || message.contains("at most 100 KB of HTML"),
                "{message}"
            );
        }
        // The same nesting as HTML is refused alike.
        let html = format!(
            "{}deep{}",
            "<ul><li>".repeat(10_000),
            "</li></ul>".repeat(10_000)
        );
        let response = org
            .post("/api/v1/events", event_body(json!({"description": html})))
            .await;
        assert_eq!(response.status, 422, "{}", response.text);
        assert_eq!(response.json["errors"][0]["field"], "description");
        assert_eq!(
            server.head().await,
            before,
            "{}: nothing appended",
            server.label
        );

        let nested = org
            .post(
                "/api/v1/events",
                event_body(json!({"description_source": "- one\n  - two\n    - three"})),
            )
            .await;
        assert_eq!(nested.status, 201, "{}", nested.text);
        let description = nested.json["description"].as_str().unwrap_or_default();
        assert_eq!(description.matches("<ul>").count(), 3, "{description}");
    }
}

#[tokio::test]
async fn a_cancellation_may_say_why_and_the_event_shows_it() {
    for (_db, server) in servers("event_cancel_reason").await {
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let event = create_event(&org, json!({})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        let cancel = format!("/api/v1/events/{id}/cancel");
        let head = server.head().await;
        let too_long = org.post(&cancel, json!({"reason": "a".repeat(1001)})).await;
        assert_eq!(too_long.status, 422, "{}", too_long.text);
        assert_eq!(too_long.json["errors"][0]["field"], "reason");
        let unknown = org.post(&cancel, json!({"why": "no"})).await;
        assert!(
            unknown.status == 400 || unknown.status == 422,
            "{}",
            unknown.text
        );
        assert_eq!(server.head().await, head, "nothing written");
        let seen = server.client().get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(seen.json["status"], "confirmed");
        assert!(seen.json["cancel_reason"].is_null());

        let cancelled = org
            .post(&cancel, json!({"reason": " The hall is flooded. "}))
            .await;
        assert_eq!(cancelled.status, 200, "{}", cancelled.text);
        assert_eq!(cancelled.json["status"], "cancelled");
        assert_eq!(cancelled.json["cancel_reason"], "The hall is flooded.");
        let seen = server.client().get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(seen.json["cancel_reason"], "The hall is flooded.");
        // Recorded with the change: its history names the reason.
        let history = org.get(&format!("/api/v1/events/{id}/history")).await;
        let last = &history.json[1];
        assert_eq!(last["change"], "EventCancelled", "{}", history.text);
        assert_eq!(last["reason"], "The hall is flooded.");
    }
}
