use crate::servers;
use crate::support::{create_event, member, profile, Client};
use serde_json::{json, Value};

fn states(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .map(|l| {
            l.iter()
                .map(|p| {
                    let who = p["profile"]
                        .as_str()
                        .map_or("anonymous".to_string(), |u| u.to_string());
                    (who, p["state"].as_str().unwrap_or_default().to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn people(org: &Client, id: &str) -> Vec<(String, String)> {
    let list = org
        .get(&format!("/api/v1/events/{id}/participations"))
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    states(&list.json)
}

fn pair(who: &str, state: &str) -> (String, String) {
    (who.to_string(), state.to_string())
}

#[tokio::test]
async fn approval_capacity_waitlist_and_leaving() {
    for (_db, server) in servers("participation_flow").await {
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let event = create_event(&org, json!({"capacity": 1, "join_mode": "restricted"})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        let mut joined = Vec::new();
        for name in ["ana", "bob"] {
            let client = member(&server, &format!("{name}@example.org")).await;
            profile(&client, name).await;
            let message = if name == "bob" {
                "=HYPERLINK(\"x\")"
            } else {
                "Hello!"
            };
            let response = client
                .post(
                    &format!("/api/v1/events/{id}/participations"),
                    json!({"message": message}),
                )
                .await;
            assert_eq!(response.status, 201, "{}", response.text);
            assert_eq!(response.json["state"], "not_approved");
            assert_eq!(response.json["message"], message);
            joined.push((
                client,
                response.json["id"].as_str().unwrap_or_default().to_string(),
            ));
        }
        let again = joined[0]
            .0
            .post(&format!("/api/v1/events/{id}/participations"), json!({}))
            .await;
        assert_eq!(
            (again.status, again.json["detail"].as_str()),
            (409, Some("@ana already takes part in this event"))
        );
        let by_participant = joined[0]
            .0
            .post(
                &format!("/api/v1/events/{id}/participations/{}/approve", joined[1].1),
                json!({}),
            )
            .await;
        assert_eq!(by_participant.status, 403);
        assert_eq!(
            joined[0]
                .0
                .get(&format!("/api/v1/events/{id}/participations"))
                .await
                .status,
            403
        );

        let approved = org
            .post(
                &format!("/api/v1/events/{id}/participations/{}/approve", joined[0].1),
                json!({}),
            )
            .await;
        assert_eq!(approved.json["state"], "participant", "{}", approved.text);
        let waitlisted = org
            .post(
                &format!("/api/v1/events/{id}/participations/{}/approve", joined[1].1),
                json!({}),
            )
            .await;
        assert_eq!(waitlisted.json["state"], "waitlisted");
        assert_eq!(waitlisted.json["waitlist_position"], 1);
        let seen = server.client().get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(
            (
                seen.json["participant_count"].as_i64(),
                seen.json["remaining_seats"].as_i64()
            ),
            (Some(1), Some(0))
        );

        let left = joined[0]
            .0
            .delete(&format!("/api/v1/events/{id}/participations/mine"))
            .await;
        assert_eq!(left.status, 204);
        assert_eq!(
            people(&org, &id).await,
            [pair("org", "creator"), pair("bob", "participant")],
            "bob was promoted"
        );

        let org_leaves = org
            .delete(&format!("/api/v1/events/{id}/participations/mine"))
            .await;
        assert_eq!(
            org_leaves.status, 409,
            "the last organiser stays: {}",
            org_leaves.text
        );

        let csv = org
            .get(&format!("/api/v1/events/{id}/participations?format=csv"))
            .await;
        assert_eq!(csv.status, 200);
        assert!(csv.content_type.starts_with("text/csv"));
        let lines: Vec<&str> = csv.text.lines().collect();
        assert_eq!(
            lines[0],
            "participant,state,waitlist_position,message,joined_at"
        );
        assert!(
            lines[2].starts_with("@bob,participant,,\"'=HYPERLINK(\"\"x\"\")\","),
            "{}",
            csv.text
        );

        let only = org
            .get(&format!(
                "/api/v1/events/{id}/participations?state=participant"
            ))
            .await;
        assert_eq!(states(&only.json), [pair("bob", "participant")]);
        let bad = org
            .get(&format!("/api/v1/events/{id}/participations?state=going"))
            .await;
        assert_eq!(
            (bad.status, &bad.json["errors"][0]["field"]),
            (422, &json!("state"))
        );

        let promoted = org
            .put(
                &format!("/api/v1/events/{id}/participations/{}/role", joined[1].1),
                json!({"role": "moderator"}),
            )
            .await;
        assert_eq!(promoted.json["state"], "moderator", "{}", promoted.text);
        let unauthenticated = server
            .client()
            .post(&format!("/api/v1/events/{id}/participations"), json!({}))
            .await;
        assert_eq!(unauthenticated.status, 401);
    }
}

#[tokio::test]
async fn anonymous_participants_confirm_and_cancel_by_mail() {
    for (_db, server) in servers("anonymous_participation").await {
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let closed = create_event(&org, json!({})).await;
        let refused = server
            .client()
            .post(
                &format!(
                    "/api/v1/events/{}/anonymous-participations",
                    closed["id"].as_str().unwrap_or_default()
                ),
                json!({"email": "zoe@example.org"}),
            )
            .await;
        assert_eq!(refused.status, 403, "{}", refused.text);

        let event = create_event(&org, json!({"options": {"anonymous_participation": true}})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        let asked = server
            .client()
            .post(
                &format!("/api/v1/events/{id}/anonymous-participations"),
                json!({"email": "Zoe@Example.org", "message": "<script>x</script>"}),
            )
            .await;
        assert_eq!(
            (asked.status, &asked.json["state"]),
            (202, &json!("not_confirmed")),
            "{}",
            asked.text
        );
        let again = server
            .client()
            .post(
                &format!("/api/v1/events/{id}/anonymous-participations"),
                json!({"email": "zoe@example.org"}),
            )
            .await;
        assert_eq!(
            (again.status, &again.json),
            (202, &asked.json),
            "no hint that the address already takes part"
        );
        assert_eq!(server.mails_to("zoe@example.org").len(), 1);
        assert_eq!(
            people(&org, &id).await,
            [pair("org", "creator"), pair("anonymous", "not_confirmed")]
        );
        let listed = org
            .get(&format!("/api/v1/events/{id}/participations"))
            .await;
        assert!(
            !listed.text.contains("zoe@example.org"),
            "emails never leave the instance"
        );

        let confirm = server.token_mailed("zoe@example.org", "confirm").await;
        let page = server
            .client()
            .get(&format!(
                "/api/v1/anonymous-participations/confirm?token={confirm}"
            ))
            .await;
        assert_eq!(page.status, 200);
        assert!(
            page.text.contains(
                "<form method=\"post\" action=\"/api/v1/anonymous-participations/confirm\">"
            ),
            "{}",
            page.text
        );
        assert_eq!(
            people(&org, &id).await,
            [pair("org", "creator"), pair("anonymous", "not_confirmed")],
            "following the link alone confirms nothing"
        );
        let confirmed = server
            .client()
            .send_raw(
                "POST",
                "/api/v1/anonymous-participations/confirm",
                Some((
                    "application/x-www-form-urlencoded".into(),
                    format!("token={confirm}"),
                )),
            )
            .await;
        assert_eq!(
            (confirmed.status, &confirmed.json["state"]),
            (200, &json!("participant")),
            "{}",
            confirmed.text
        );
        let forged = server
            .client()
            .post(
                "/api/v1/anonymous-participations/confirm",
                json!({"token": "forged"}),
            )
            .await;
        assert_eq!(forged.status, 404);

        let cancel = server.token_mailed("zoe@example.org", "cancel").await;
        let page = server
            .client()
            .get(&format!(
                "/api/v1/anonymous-participations/cancel?token={cancel}"
            ))
            .await;
        assert_eq!(page.status, 200);
        assert!(
            page.text.contains("<form method=\"post\""),
            "following the link alone cancels nothing"
        );
        assert_eq!(people(&org, &id).await.len(), 2);
        let form = server
            .client()
            .send_raw(
                "POST",
                "/api/v1/anonymous-participations/cancel",
                Some((
                    "application/x-www-form-urlencoded".into(),
                    format!("token={cancel}"),
                )),
            )
            .await;
        assert_eq!(form.status, 200, "{}", form.text);
        assert_eq!(people(&org, &id).await, [pair("org", "creator")]);
    }
}

#[tokio::test]
async fn comments_thread_and_organisers_announce() {
    for (_db, server) in servers("comments").await {
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let event = create_event(&org, json!({"options": {"anonymous_participation": true}})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        ana.post(&format!("/api/v1/events/{id}/participations"), json!({}))
            .await;

        let first = ana
            .post(
                &format!("/api/v1/events/{id}/comments"),
                json!({"body": "Is there a meeting point?"}),
            )
            .await;
        assert_eq!(first.status, 201, "{}", first.text);
        let first_id = first.json["id"].as_str().unwrap_or_default().to_string();
        let reply = org
            .post(
                &format!("/api/v1/events/{id}/comments"),
                json!({"body": "At the fountain", "in_reply_to": first_id}),
            )
            .await;
        assert_eq!(reply.json["in_reply_to"], json!(first_id));
        let edited = ana
            .patch(
                &format!("/api/v1/comments/{first_id}"),
                json!({"body": "Where do we meet?"}),
            )
            .await;
        assert_eq!(edited.json["body"], "Where do we meet?");
        assert!(edited.json["edited_at"].is_string());
        assert_eq!(
            org.patch(
                &format!("/api/v1/comments/{first_id}"),
                json!({"body": "x"})
            )
            .await
            .status,
            403
        );
        assert_eq!(
            org.delete(&format!("/api/v1/comments/{first_id}"))
                .await
                .status,
            204,
            "organisers moderate"
        );
        let thread = server
            .client()
            .get(&format!("/api/v1/events/{id}/comments"))
            .await;
        assert_eq!(
            thread.json[0]["body"],
            json!(null),
            "a tombstone keeps the thread"
        );
        assert!(thread.json[0]["deleted_at"].is_string());
        assert_eq!(thread.json[1]["body"], "At the fountain");

        let not_organiser = ana
            .post(
                &format!("/api/v1/events/{id}/comments"),
                json!({"body": "Listen all", "announcement": true}),
            )
            .await;
        assert_eq!(not_organiser.status, 403);
        let announced = org
            .post(
                &format!("/api/v1/events/{id}/comments"),
                json!({"body": "Bring water!", "announcement": true}),
            )
            .await;
        assert_eq!(announced.status, 201);
        assert_eq!(
            announced.json["announcement"],
            json!(true),
            "{}",
            announced.text
        );
        // Participants hear of it through the notifications subscriber (its own tests), never
        // by a mail sent inside the request.
        assert!(server
            .mails_to("ana@example.org")
            .iter()
            .all(|m| !m.contains("Bring water!")));
        let closed = org
            .patch(
                &format!("/api/v1/events/{id}"),
                json!({"options": {"comments_open": false, "anonymous_participation": true}}),
            )
            .await;
        assert_eq!(closed.status, 200);
        let refused = ana
            .post(
                &format!("/api/v1/events/{id}/comments"),
                json!({"body": "Hello?"}),
            )
            .await;
        assert_eq!(
            (refused.status, refused.json["detail"].as_str()),
            (409, Some("comments are closed on this event"))
        );
    }
}

#[tokio::test]
async fn announcements_and_their_replies_are_read_only_by_those_taking_part() {
    for (_db, server) in servers("announcements_private").await {
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;
        let event = create_event(&org, json!({})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        let comments = format!("/api/v1/events/{id}/comments");
        ana.post(&format!("/api/v1/events/{id}/participations"), json!({}))
            .await;
        let public = bob.post(&comments, json!({"body": "See you there"})).await;
        assert_eq!(public.status, 201, "{}", public.text);
        let announced = org
            .post(
                &comments,
                json!({"body": "Door code 4321B", "announcement": true}),
            )
            .await;
        assert_eq!(announced.status, 201, "{}", announced.text);
        let reply = ana
            .post(
                &comments,
                json!({"body": "Thanks!", "in_reply_to": announced.json["id"]}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);

        let bodies = |page: &serde_json::Value| -> Vec<String> {
            page.as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c["body"].as_str().map(str::to_string))
                .collect()
        };
        let everything = ["See you there", "Door code 4321B", "Thanks!"];
        assert_eq!(bodies(&org.get(&comments).await.json), everything);
        assert_eq!(bodies(&ana.get(&comments).await.json), everything);
        assert_eq!(bodies(&bob.get(&comments).await.json), ["See you there"]);
        let stranger = server.client().get(&comments).await;
        assert_eq!(bodies(&stranger.json), ["See you there"]);
    }
}
