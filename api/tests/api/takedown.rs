//! Removing everything another instance's actor or domain sent, in one decision: each event and
//! comment removed with its own change (in its history, with the reason), those already removed
//! skipped, nothing brought back by lifting a suspension, and restore_content bringing back
//! exactly what the decision removed; administrators only on domains, refusals writing nothing.

use crate::domains::{from, remote_event};
use crate::reports::{account_id, fields, give_role, kind};
use crate::support::{create_event, member, profile, Client, Options, Response, TestServer};
use convene_api::remote_events;
use convene_domain::event::RemoteAuthor;
use convene_domain::Role;
use convene_projections::scratch::test_urls;
use serde_json::{json, Value};

async fn decide(client: &Client, action: &str, target: Value, reason: &str) -> Response {
    client
        .post(
            "/api/v1/moderation/decisions",
            json!({"action": action, "target": target, "reason": reason}),
        )
        .await
}

fn domain(name: &str) -> Value {
    json!({"kind": "domain", "domain": name})
}

/// A comment by `name@host` on local event `event`; its id.
async fn remote_comment(server: &TestServer, event: &str, name: &str, host: &str) -> String {
    let actor = format!("https://{host}/@{name}");
    let author = RemoteAuthor {
        actor: actor.clone(),
        handle: format!("{name}@{host}"),
        note: format!("https://{host}/notes/{}", uuid::Uuid::new_v4()),
    };
    let base = server.state.config.public_url.trim_end_matches('/');
    let (_, comment) = remote_events::post_comment(
        &server.state,
        &from(&actor),
        author,
        &format!("{base}/events/{event}"),
        "buy now",
        &[],
    )
    .await
    .expect("a remote comment");
    comment
}

/// The comment `id` of `list` (an event's comments as read by someone).
fn comment<'a>(list: &'a Response, id: &str) -> &'a Value {
    list.json
        .as_array()
        .and_then(|all| all.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("comment {id} in {}", list.text))
}

async fn changes(client: &Client, path: &str) -> Vec<Value> {
    let trail = client.get(path).await;
    assert_eq!(trail.status, 200, "{}", trail.text);
    trail.json["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn everything_a_domain_sent_is_removed_for_good_and_restored_exactly() {
    for scratch in test_urls("takedown_domain").await {
        let server = TestServer::start_with(&scratch, Options::default()).await;
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let admin = member(&server, "admin@example.org").await;
        give_role(&server, &admin, Role::Administrator).await;
        let mia = member(&server, "mia@example.org").await;
        give_role(&server, &mia, Role::Moderator).await;
        let visitor = server.client();

        let spam = remote_event(&server, "spam", "events.bad.example", "Cheap pills").await;
        let more = remote_event(&server, "eve", "bad.example", "Cheap watches").await;
        let good = remote_event(&server, "ana", "good.example", "Repair café").await;
        let local = create_event(&org, json!({"title": "Climate march"})).await["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let first = remote_comment(&server, &local, "spam", "bad.example").await;
        let second = remote_comment(&server, &local, "eve", "events.bad.example").await;
        let kept = remote_comment(&server, &local, "ana", "good.example").await;
        let comments = format!("/api/v1/events/{local}/comments");
        // One removed on its own before: skipped, and not restored with the rest.
        let alone = decide(
            &mia,
            "remove",
            json!({"kind": "comment", "event": local, "id": first}),
            "rude",
        )
        .await;
        assert_eq!(alone.status, 201, "{}", alone.text);

        let standing = mia.get("/api/v1/moderation/domains/bad.example").await;
        assert_eq!(
            standing.json["impact"]["removable_events"], 2,
            "{}",
            standing.text
        );
        assert_eq!(standing.json["impact"]["removable_comments"], 1);

        // Administrators only, a reason required, and a refusal writes nothing.
        let head = server.head().await;
        let refused = decide(&mia, "remove_content", domain("bad.example"), "spam").await;
        assert_eq!(refused.status, 403, "{}", refused.text);
        let no_reason = decide(&admin, "remove_content", domain("bad.example"), " ").await;
        assert_eq!(no_reason.status, 422, "{}", no_reason.text);
        assert_eq!(fields(&no_reason), ["reason"]);
        let wrong = decide(
            &admin,
            "remove_content",
            json!({"kind": "event", "id": spam}),
            "x",
        )
        .await;
        assert_eq!(fields(&wrong), ["action"], "{}", wrong.text);
        let bad_domain = decide(&admin, "remove_content", domain("a b"), "spam").await;
        assert_eq!(
            fields(&bad_domain),
            ["target.domain"],
            "{}",
            bad_domain.text
        );
        assert_eq!(server.head().await, head, "refusals write nothing");

        let suspended = decide(&admin, "suspend", domain("bad.example"), "a spam wave").await;
        assert_eq!(suspended.status, 201, "{}", suspended.text);
        let removed = decide(
            &admin,
            "remove_content",
            domain("Bad.Example"),
            "a spam wave",
        )
        .await;
        assert_eq!(removed.status, 201, "{}", removed.text);
        assert_eq!(removed.json["change"], "DomainContentRemoved");
        assert_eq!(
            removed.json["content"],
            json!({"events": 2, "comments": 1, "skipped_events": 0, "skipped_comments": 1})
        );
        // Lifting the suspension brings nothing of it back.
        let lifted = decide(&admin, "lift", domain("bad.example"), "over").await;
        assert_eq!(lifted.status, 201, "{}", lifted.text);

        for event in [&spam, &more] {
            let gone = visitor.get(&format!("/api/v1/events/{event}")).await;
            assert_eq!(gone.status, 404, "{}", gone.text);
            assert_eq!(kind(&gone), "/problems/removed-by-moderators");
            let seen = mia.get(&format!("/api/v1/events/{event}")).await;
            assert_eq!(seen.json["removed_by_moderators"], true, "{}", seen.text);
            // Its own history tells the removal and why.
            let history = mia.get(&format!("/api/v1/events/{event}/history")).await;
            let entries = history.json.as_array().cloned().unwrap_or_default();
            let removal: Vec<&Value> = entries
                .iter()
                .filter(|e| e["change"] == "EventRemoved")
                .collect();
            assert_eq!(removal.len(), 1, "{}", history.text);
            assert_eq!(
                removal[0]["reason"],
                "removed with everything bad.example sent: a spam wave"
            );
        }
        assert_eq!(
            visitor.get(&format!("/api/v1/events/{good}")).await.status,
            200
        );
        let public = visitor.get(&comments).await;
        for id in [&first, &second] {
            assert_eq!(comment(&public, id)["removed_by_moderators"], true);
            assert_eq!(comment(&public, id)["body"], Value::Null, "a tombstone");
        }
        assert_eq!(comment(&public, &kept)["body"], "buy now");
        let for_moderators = mia.get(&comments).await;
        assert_eq!(comment(&for_moderators, &second)["body"], "buy now");

        // The decision in the domain's audit trail: who and why.
        let trail = changes(
            &mia,
            "/api/v1/moderation/audit?target_kind=domain&target_id=bad.example",
        )
        .await;
        let decided = trail
            .iter()
            .find(|e| e["change"] == "DomainContentRemoved")
            .expect("the decision in the trail");
        assert_eq!(decided["reason"], "a spam wave");
        let admin_id = account_id(&admin).await;
        assert!(
            decided["actor"]
                .as_str()
                .is_some_and(|a| a.contains(&admin_id)),
            "{decided}"
        );

        // Twice: nothing left to remove, nothing written.
        let head = server.head().await;
        let twice = decide(&admin, "remove_content", domain("bad.example"), "again").await;
        assert_eq!(twice.status, 409, "{}", twice.text);
        assert_eq!(kind(&twice), "/problems/already-decided");
        assert_eq!(server.head().await, head);
        let standing = mia.get("/api/v1/moderation/domains/bad.example").await;
        assert_eq!(standing.json["impact"]["removable_events"], 0);
        assert_eq!(standing.json["impact"]["removable_comments"], 0);

        // Restored: exactly what it removed.
        let restored = decide(&admin, "restore_content", domain("bad.example"), "appeal").await;
        assert_eq!(restored.status, 201, "{}", restored.text);
        assert_eq!(restored.json["change"], "DomainContentRestored");
        assert_eq!(
            restored.json["content"],
            json!({"events": 2, "comments": 1, "skipped_events": 0, "skipped_comments": 1})
        );
        for event in [&spam, &more] {
            let back = visitor.get(&format!("/api/v1/events/{event}")).await;
            assert_eq!(back.status, 200, "{}", back.text);
        }
        let public = visitor.get(&comments).await;
        assert_eq!(comment(&public, &second)["body"], "buy now");
        assert_eq!(comment(&public, &first)["removed_by_moderators"], true);
        let again = decide(&admin, "restore_content", domain("bad.example"), "again").await;
        assert_eq!(again.status, 409, "{}", again.text);
    }
}

#[tokio::test]
async fn moderators_remove_everything_one_remote_actor_sent() {
    for scratch in test_urls("takedown_actor").await {
        let server = TestServer::start_with(&scratch, Options::default()).await;
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let mia = member(&server, "mia@example.org").await;
        give_role(&server, &mia, Role::Moderator).await;
        let visitor = server.client();
        let actor = "https://bad.example/@spam";
        sqlx::query(
            "INSERT INTO remote_actors (id, kind, inbox, shared_inbox, key_id, public_key_pem, \
             preferred_username, name, url, fetched_at) \
             VALUES ($1, 'Person', $2, NULL, $3, 'pem', 'spam', NULL, NULL, '2026-01-01')",
        )
        .bind(actor)
        .bind(format!("{actor}/inbox"))
        .bind(format!("{actor}#main-key"))
        .execute(server.state.db.pool())
        .await
        .expect("a cached actor");
        let spam = remote_event(&server, "spam", "bad.example", "Cheap pills").await;
        let neighbour = remote_event(&server, "eve", "bad.example", "Cheap watches").await;
        let local = create_event(&org, json!({"title": "Climate march"})).await["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let theirs = remote_comment(&server, &local, "spam", "bad.example").await;
        let other = remote_comment(&server, &local, "eve", "bad.example").await;
        let on_actor = |url: &str| json!({"kind": "remote_actor", "actor": url});

        let head = server.head().await;
        let unknown = decide(
            &mia,
            "remove_content",
            on_actor("https://bad.example/@nobody"),
            "spam",
        )
        .await;
        assert_eq!(unknown.status, 422, "{}", unknown.text);
        assert_eq!(fields(&unknown), ["target.actor"]);
        let no_reason = decide(&mia, "remove_content", on_actor(actor), "").await;
        assert_eq!(fields(&no_reason), ["reason"], "{}", no_reason.text);
        let nothing = decide(&mia, "restore_content", on_actor(actor), "appeal").await;
        assert_eq!(nothing.status, 409, "{}", nothing.text);
        assert_eq!(server.head().await, head, "refusals write nothing");

        let removed = decide(&mia, "remove_content", on_actor(actor), "spam").await;
        assert_eq!(removed.status, 201, "{}", removed.text);
        assert_eq!(removed.json["change"], "RemoteActorContentRemoved");
        assert_eq!(removed.json["content"]["events"], 1);
        assert_eq!(removed.json["content"]["comments"], 1);
        let gone = visitor.get(&format!("/api/v1/events/{spam}")).await;
        assert_eq!(gone.status, 404, "{}", gone.text);
        let near = visitor.get(&format!("/api/v1/events/{neighbour}")).await;
        assert_eq!(near.status, 200, "{}", near.text);
        let public = visitor
            .get(&format!("/api/v1/events/{local}/comments"))
            .await;
        assert_eq!(comment(&public, &theirs)["body"], Value::Null);
        assert_eq!(comment(&public, &other)["body"], "buy now");
        let history = mia.get(&format!("/api/v1/events/{local}/history")).await;
        assert!(
            history
                .text
                .contains("removed with everything @spam@bad.example sent: spam"),
            "{}",
            history.text
        );
        let trail = changes(
            &mia,
            &format!("/api/v1/moderation/audit?target_kind=actor&target_id={actor}"),
        )
        .await;
        assert_eq!(trail[0]["change"], "RemoteActorContentRemoved");
        assert_eq!(trail[0]["reason"], "spam");

        let restored = decide(&mia, "restore_content", on_actor(actor), "appeal").await;
        assert_eq!(restored.status, 201, "{}", restored.text);
        assert_eq!(
            visitor.get(&format!("/api/v1/events/{spam}")).await.status,
            200
        );
    }
}
