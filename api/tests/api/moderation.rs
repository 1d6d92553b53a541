//! Moderators' decisions on content: each recorded with its reason, refused bad input writing
//! nothing, and its effect on what everyone else sees (listings, search, tombstones, comments),
//! undone by its reversal or by its end.

use crate::reports::{fields, kind, make_moderator};
use crate::support::{create_event, member, profile, Client, Options, Response, TestServer};
use convene_projections::scratch::test_urls;
use convene_search::SearchSubscriber;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

async fn server(scratch: &convene_projections::scratch::Scratch) -> TestServer {
    let options = Options {
        more_subscribers: vec![Arc::new(SearchSubscriber::embedded())],
        ..Options::default()
    };
    TestServer::start_with(scratch, options).await
}

/// Waits until /healthz shows the search index caught up with the log.
async fn indexed(server: &TestServer) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let head = server.head().await;
    loop {
        let health = server.client().get("/healthz").await;
        let search = health.json["projections"]
            .as_array()
            .and_then(|all| all.iter().find(|p| p["name"] == "search").cloned())
            .unwrap_or_default();
        if search["checkpoint"] == head && search["lag"] == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "search never caught up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn decide(client: &Client, body: Value) -> Response {
    client.post("/api/v1/moderation/decisions", body).await
}

fn on_event(action: &str, id: &str, reason: &str) -> Value {
    json!({"action": action, "target": {"kind": "event", "id": id}, "reason": reason})
}

fn on_comment(action: &str, event: &str, id: &str) -> Value {
    json!({"action": action, "target": {"kind": "comment", "event": event, "id": id},
           "reason": "insults"})
}

async fn listed(client: &Client, id: &str) -> bool {
    let all = client.get("/api/v1/events").await;
    all.json
        .as_array()
        .is_some_and(|events| events.iter().any(|e| e["id"] == id))
}

async fn found(server: &TestServer, id: &str) -> bool {
    indexed(server).await;
    let hits = server.client().get("/api/v1/search/events?q=march").await;
    hits.text.contains(id)
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn bad_decisions_are_refused_naming_what_to_fix_and_write_nothing() {
    for scratch in test_urls("moderation_refusals").await {
        let server = server(&scratch).await;
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let id = text(&create_event(&org, json!({"title": "Climate march"})).await["id"]);
        let posted = org
            .post(
                &format!("/api/v1/events/{id}/comments"),
                json!({"body": "Hello"}),
            )
            .await;
        let comment = text(&posted.json["id"]);

        let head = server.head().await;
        let user = decide(&org, on_event("hide", &id, "spam")).await;
        assert_eq!(user.status, 403, "{}", user.text);
        assert!(user.text.contains("your role is user"), "{}", user.text);
        let anonymous = server
            .client()
            .post(
                "/api/v1/moderation/decisions",
                on_event("hide", &id, "spam"),
            )
            .await;
        assert_eq!(anonymous.status, 401, "{}", anonymous.text);
        for reason in ["", "   "] {
            let blank = decide(&mia, on_event("hide", &id, reason)).await;
            assert_eq!(blank.status, 422, "{}", blank.text);
            assert_eq!(fields(&blank), ["reason"]);
        }
        let no_reason = decide(
            &mia,
            json!({"action": "hide", "target": {"kind": "event", "id": id}}),
        )
        .await;
        assert_eq!(fields(&no_reason), ["reason"], "{}", no_reason.text);
        let mut past = on_event("hide", &id, "spam");
        past["until"] = json!("2020-01-01T00:00:00Z");
        let past = decide(&mia, past).await;
        assert_eq!(past.status, 422, "{}", past.text);
        assert_eq!(fields(&past), ["until"]);
        let mut garbled = on_event("hide", &id, "spam");
        garbled["until"] = json!("next tuesday");
        assert_eq!(fields(&decide(&mia, garbled).await), ["until"]);
        let mut reversal_ending = on_event("unhide", &id, "spam");
        reversal_ending["until"] = json!("2099-01-01T00:00:00Z");
        let refused = decide(&mia, reversal_ending).await;
        assert_eq!(fields(&refused), ["until"], "{}", refused.text);
        let mut no_report = on_event("hide", &id, "spam");
        no_report["report"] = json!("no-such-report");
        assert_eq!(fields(&decide(&mia, no_report).await), ["report"]);
        let missing = decide(&mia, on_event("hide", "no-such-event", "spam")).await;
        assert_eq!(missing.status, 404, "{}", missing.text);
        let no_comment = decide(&mia, on_comment("remove", &id, "no-such-comment")).await;
        assert_eq!(no_comment.status, 404, "{}", no_comment.text);
        let mut hide_comment = on_comment("remove", &id, &comment);
        hide_comment["action"] = json!("hide");
        assert_eq!(fields(&decide(&mia, hide_comment).await), ["action"]);
        let unknown_action = decide(&mia, on_event("explode", &id, "spam")).await;
        assert!(
            unknown_action.status == 400 || unknown_action.status == 422,
            "{}",
            unknown_action.text
        );
        let not_in_force = decide(&mia, on_event("restore", &id, "oops")).await;
        assert_eq!(not_in_force.status, 409, "{}", not_in_force.text);
        assert_eq!(kind(&not_in_force), "/problems/already-decided");
        assert_eq!(server.head().await, head, "refusals write nothing");
    }
}

#[tokio::test]
async fn hiding_an_event_keeps_it_out_of_listings_and_search_until_it_is_unhidden() {
    for scratch in test_urls("moderation_hide").await {
        let server = server(&scratch).await;
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let id = text(&create_event(&org, json!({"title": "Climate march"})).await["id"]);
        let stranger = server.client();
        assert!(listed(&stranger, &id).await);
        assert!(found(&server, &id).await);

        let hidden = decide(&mia, on_event("hide", &id, "spam wave")).await;
        assert_eq!(hidden.status, 201, "{}", hidden.text);
        assert_eq!(hidden.json["change"], "EventHidden");
        assert_eq!(hidden.json["reason"], "spam wave");
        assert!(!listed(&stranger, &id).await, "out of public listings");
        assert!(!found(&server, &id).await, "out of search");
        let by_link = stranger.get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(by_link.status, 200, "still reached by its link");
        assert_eq!(by_link.json["hidden_by_moderators"], true);

        let head = server.head().await;
        let twice = decide(&mia, on_event("hide", &id, "again")).await;
        assert_eq!(twice.status, 409, "{}", twice.text);
        assert_eq!(kind(&twice), "/problems/already-decided");
        assert_eq!(server.head().await, head);

        let unhidden = decide(&mia, on_event("unhide", &id, "false alarm")).await;
        assert_eq!(unhidden.status, 201, "{}", unhidden.text);
        assert!(listed(&stranger, &id).await);
        assert!(found(&server, &id).await);

        // The organisers read the decisions in the event's history, never who made them.
        let history = org.get(&format!("/api/v1/events/{id}/history")).await;
        let entries = history.json.as_array().cloned().unwrap_or_default();
        let hid = entries
            .iter()
            .find(|e| e["change"] == "EventHidden")
            .expect("the decision in the history");
        assert_eq!(hid["reason"], "spam wave");
        assert!(!history.text.contains("mia"), "{}", history.text);
    }
}

#[tokio::test]
async fn a_removed_event_is_a_tombstone_for_all_but_moderators_until_restored() {
    for scratch in test_urls("moderation_remove").await {
        let server = server(&scratch).await;
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let id = text(&create_event(&org, json!({"title": "Climate march"})).await["id"]);

        let removed = decide(&mia, on_event("remove", &id, "illegal content")).await;
        assert_eq!(removed.status, 201, "{}", removed.text);
        for client in [server.client(), org.clone(), bob.clone()] {
            let gone = client.get(&format!("/api/v1/events/{id}")).await;
            assert_eq!(gone.status, 404, "{}", gone.text);
            assert_eq!(kind(&gone), "/problems/removed-by-moderators");
            assert!(gone.text.contains("removed by the instance's moderators"));
        }
        assert!(!listed(&server.client(), &id).await);
        assert!(!found(&server, &id).await);
        let join = bob
            .post(&format!("/api/v1/events/{id}/participations"), json!({}))
            .await;
        assert_eq!(join.status, 404, "{}", join.text);
        // Moderators still see it, and it as it was.
        let seen = mia.get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(seen.status, 200, "{}", seen.text);
        assert_eq!(seen.json["removed_by_moderators"], true);
        let evidence = mia
            .get(&format!("/api/v1/moderation/objects/event/{id}"))
            .await;
        assert_eq!(evidence.json["state"]["details"]["title"], "Climate march");
        assert_eq!(evidence.json["state"]["moderation"]["removed"], true);

        let restored = decide(&mia, on_event("restore", &id, "appeal granted")).await;
        assert_eq!(restored.status, 201, "{}", restored.text);
        assert_eq!(
            server
                .client()
                .get(&format!("/api/v1/events/{id}"))
                .await
                .status,
            200
        );
        assert!(listed(&server.client(), &id).await);
        assert!(found(&server, &id).await);
    }
}

#[tokio::test]
async fn removed_comments_and_closed_comments_until_moderators_undo_them() {
    for scratch in test_urls("moderation_comments").await {
        let server = server(&scratch).await;
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let id = text(&create_event(&org, json!({"title": "Climate march"})).await["id"]);
        let comments = format!("/api/v1/events/{id}/comments");
        let posted = bob
            .post(&comments, json!({"body": "You are all idiots"}))
            .await;
        let comment = text(&posted.json["id"]);

        let removed = decide(&mia, on_comment("remove", &id, &comment)).await;
        assert_eq!(removed.status, 201, "{}", removed.text);
        assert_eq!(removed.json["change"], "CommentRemoved");
        for client in [server.client(), org.clone(), bob.clone()] {
            let list = client.get(&comments).await;
            let shown = &list.json[0];
            assert_eq!(shown["removed_by_moderators"], true, "{}", list.text);
            assert!(shown["body"].is_null(), "a tombstone: {}", list.text);
        }
        let for_moderators = mia.get(&comments).await;
        assert_eq!(for_moderators.json[0]["body"], "You are all idiots");
        let evidence = mia
            .get(&format!("/api/v1/moderation/objects/event/{id}"))
            .await;
        assert_eq!(evidence.json["comments"][0]["removed"], true);
        assert_eq!(evidence.json["comments"][0]["body"], "You are all idiots");
        let reply = org
            .post(&comments, json!({"body": "No", "in_reply_to": comment}))
            .await;
        assert_eq!(reply.status, 404, "{}", reply.text);
        let twice = decide(&mia, on_comment("remove", &id, &comment)).await;
        assert_eq!(twice.status, 409, "{}", twice.text);
        let restored = decide(&mia, on_comment("restore", &id, &comment)).await;
        assert_eq!(restored.status, 201, "{}", restored.text);
        assert_eq!(
            bob.get(&comments).await.json[0]["body"],
            "You are all idiots"
        );

        let closed = decide(&mia, on_event("close_comments", &id, "flame war")).await;
        assert_eq!(closed.status, 201, "{}", closed.text);
        let refused = bob.post(&comments, json!({"body": "One more"})).await;
        assert_eq!(refused.status, 409, "{}", refused.text);
        assert_eq!(kind(&refused), "/problems/comments-closed");
        let event = server.client().get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(event.json["comments_closed_by_moderators"], true);
        let reopened = decide(&mia, on_event("reopen_comments", &id, "calm again")).await;
        assert_eq!(reopened.status, 201, "{}", reopened.text);
        let again = bob.post(&comments, json!({"body": "One more"})).await;
        assert_eq!(again.status, 201, "{}", again.text);
    }
}

#[tokio::test]
async fn a_timed_decision_ends_by_itself_as_a_change_of_the_instance() {
    for scratch in test_urls("moderation_timed").await {
        let server = server(&scratch).await;
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let id = text(&create_event(&org, json!({"title": "Climate march"})).await["id"]);
        let mut timed = on_event("hide", &id, "cooling off");
        let until = OffsetDateTime::now_utc() + time::Duration::hours(1);
        timed["until"] = json!(until
            .format(&time::format_description::well_known::Rfc3339)
            .expect("as expected"));
        let hidden = decide(&mia, timed).await;
        assert_eq!(hidden.status, 201, "{}", hidden.text);
        assert!(hidden.json["until"].as_str().is_some());

        // Not yet due: nothing ends.
        let now = OffsetDateTime::now_utc();
        assert_eq!(
            convene_api::moderation::end_due(&server.state, now)
                .await
                .expect("as expected"),
            0
        );
        assert!(!listed(&server.client(), &id).await);

        let later = until + time::Duration::seconds(1);
        let ended = convene_api::moderation::end_due(&server.state, later)
            .await
            .expect("as expected");
        assert_eq!(ended, 1);
        assert!(listed(&server.client(), &id).await);
        assert_eq!(
            convene_api::moderation::end_due(&server.state, later)
                .await
                .expect("as expected"),
            0,
            "an ended decision ends once"
        );
        let history = mia
            .get(&format!("/api/v1/moderation/objects/event/{id}"))
            .await;
        let last = history.json["changes"]
            .as_array()
            .and_then(|c| c.last().cloned())
            .unwrap_or_default();
        assert_eq!(last["change"], "EventUnhidden");
        assert_eq!(last["actor"], "system");
        assert_eq!(last["source"], "schedule");
        assert_eq!(last["reason"], "the decision's time ran out");

        // A timed decision undone by a moderator is no longer due.
        let mut again = on_event("close_comments", &id, "flame war");
        again["until"] = json!(until
            .format(&time::format_description::well_known::Rfc3339)
            .expect("as expected"));
        assert_eq!(decide(&mia, again).await.status, 201);
        let reopened = decide(&mia, on_event("reopen_comments", &id, "calm")).await;
        assert_eq!(reopened.status, 201, "{}", reopened.text);
        assert_eq!(
            convene_api::moderation::end_due(&server.state, later)
                .await
                .expect("as expected"),
            0
        );
    }
}

fn on_profile(action: &str, username: &str, reason: &str) -> Value {
    json!({"action": action, "target": {"kind": "profile", "username": username},
           "reason": reason})
}

fn on_account(action: &str, id: &str, reason: &str) -> Value {
    json!({"action": action, "target": {"kind": "account", "id": id}, "reason": reason})
}

#[tokio::test]
async fn a_suspended_profile_s_public_content_is_hidden_until_it_is_unsuspended() {
    for scratch in test_urls("moderation_suspend_profile").await {
        let server = server(&scratch).await;
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let own = text(&create_event(&ana, json!({"title": "Fake march"})).await["id"]);
        let other = text(&create_event(&org, json!({"title": "Climate march"})).await["id"]);
        let comments = format!("/api/v1/events/{other}/comments");
        ana.post(&comments, json!({"body": "Follow my link"})).await;

        let head = server.head().await;
        let hide = decide(&mia, on_profile("hide", "ana", "spam")).await;
        assert_eq!(fields(&hide), ["action"], "{}", hide.text);
        let nobody = decide(&mia, on_profile("suspend", "nobody", "spam")).await;
        assert_eq!(nobody.status, 404, "{}", nobody.text);
        let not_yet = decide(&mia, on_profile("unsuspend", "ana", "spam")).await;
        assert_eq!(not_yet.status, 409, "{}", not_yet.text);
        let by_user = decide(&org, on_profile("suspend", "ana", "spam")).await;
        assert_eq!(by_user.status, 403, "{}", by_user.text);
        assert_eq!(server.head().await, head, "refusals write nothing");

        let suspended = decide(&mia, on_profile("suspend", "ana", "impersonation")).await;
        assert_eq!(suspended.status, 201, "{}", suspended.text);
        assert_eq!(suspended.json["change"], "ProfileSuspended");
        // The audit trail shows the suspension with what it hides: her event and her comment.
        let trail = mia
            .get("/api/v1/moderation/audit?target_kind=profile&target_id=ana")
            .await;
        let entries = trail.json["entries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let entry = |change: &str| entries.iter().find(|e| e["change"] == change).cloned();
        let suspension = entry("ProfileSuspended").unwrap_or_default();
        assert_eq!(
            suspension["hides"]["counts"],
            json!({"events": 1, "removed_events": 0, "comments": 1, "removed_comments": 0}),
            "{suspension}"
        );
        assert_eq!(
            suspension["hides"]["events"],
            json!([{"id": own, "title": "Fake march"}])
        );
        let created = entry("ProfileCreated").expect("her profile's first change");
        assert!(created["hides"].is_null(), "{created}");
        let page = server.client().get("/api/v1/profiles/ana").await;
        assert_eq!(page.status, 404, "{}", page.text);
        assert_eq!(kind(&page), "/problems/suspended-by-moderators");
        assert!(!listed(&server.client(), &own).await);
        let event = server.client().get(&format!("/api/v1/events/{own}")).await;
        assert_eq!(kind(&event), "/problems/removed-by-moderators");
        let list = server.client().get(&comments).await;
        assert_eq!(list.json[0]["author_suspended"], true, "{}", list.text);
        assert!(list.json[0]["body"].is_null(), "{}", list.text);
        let acting = ana.post(&comments, json!({"body": "Still here"})).await;
        assert_eq!(acting.status, 403, "{}", acting.text);
        assert_eq!(
            decide(&mia, on_profile("suspend", "ana", "again"))
                .await
                .status,
            409
        );

        let lifted = decide(&mia, on_profile("unsuspend", "ana", "appeal granted")).await;
        assert_eq!(lifted.status, 201, "{}", lifted.text);
        assert_eq!(
            server.client().get("/api/v1/profiles/ana").await.status,
            200
        );
        assert!(listed(&server.client(), &own).await);
        let list = server.client().get(&comments).await;
        assert_eq!(list.json[0]["body"], "Follow my link");
    }
}

#[tokio::test]
async fn a_suspended_account_cannot_log_in_and_a_warning_is_mailed_and_counted() {
    for scratch in test_urls("moderation_suspend_account").await {
        let server = server(&scratch).await;
        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let bob_id = crate::reports::account_id(&bob).await;
        let event = text(&create_event(&bob, json!({"title": "Climate march"})).await["id"]);

        let mut timed = on_account("warn", &bob_id, "Mind the rules");
        timed["until"] = json!("2099-01-01T00:00:00Z");
        let refused = decide(&mia, timed).await;
        assert_eq!(fields(&refused), ["until"], "{}", refused.text);
        let missing = decide(&mia, on_account("suspend", "no-such-account", "spam")).await;
        assert_eq!(missing.status, 404, "{}", missing.text);

        let warned = decide(&mia, on_profile("warn", "bob", "Please stop the spam.")).await;
        assert_eq!(warned.status, 201, "{}", warned.text);
        assert_eq!(warned.json["change"], "AccountWarned");
        // The mail carrying it is the notifications' part: notifications/tests/notifications.rs.
        let row = convene_projections::accounts::by_id(server.db.pool(), &bob_id)
            .await
            .expect("as expected")
            .expect("as expected");
        assert_eq!(row.strikes, 1, "kept as a strike");

        let mut timed = on_account("suspend", &bob_id, "spam wave");
        let until = OffsetDateTime::now_utc() + time::Duration::days(7);
        timed["until"] = json!(until
            .format(&time::format_description::well_known::Rfc3339)
            .expect("as expected"));
        let suspended = decide(&mia, timed).await;
        assert_eq!(suspended.status, 201, "{}", suspended.text);
        let trail = mia
            .get("/api/v1/moderation/audit?change=AccountSuspended")
            .await;
        let hides = &trail.json["entries"][0]["hides"];
        assert_eq!(hides["counts"]["events"], 1, "{}", trail.text);
        assert_eq!(
            hides["events"][0]["title"], "Climate march",
            "{}",
            trail.text
        );
        assert_eq!(bob.get("/api/v1/me").await.status, 401, "its sessions stop");
        let login = server
            .client()
            .post(
                "/api/v1/sessions",
                json!({"email": "bob@example.org", "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(login.status, 403, "{}", login.text);
        assert_eq!(kind(&login), "/problems/suspended");
        assert!(
            !listed(&server.client(), &event).await,
            "its content hidden"
        );
        assert_eq!(
            server.client().get("/api/v1/profiles/bob").await.status,
            404
        );

        // The suspension ends by itself; the data was kept.
        let later = until + time::Duration::seconds(1);
        let ended = convene_api::moderation::end_due(&server.state, later)
            .await
            .expect("as expected");
        assert_eq!(ended, 1);
        assert!(listed(&server.client(), &event).await);
        let back = crate::support::log_in(&server, "bob@example.org").await;
        assert_eq!(back.get("/api/v1/me").await.status, 200);
    }
}

#[tokio::test]
async fn a_moderator_cannot_change_roles_nor_decide_on_themselves_or_their_peers() {
    for scratch in test_urls("moderation_roles").await {
        let server = server(&scratch).await;
        let bob = member(&server, "bob@example.org").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let bob_id = crate::reports::account_id(&bob).await;
        let head = server.head().await;
        let refused = mia
            .post(
                &format!("/api/v1/admin/accounts/{bob_id}/role"),
                json!({"role": "moderator"}),
            )
            .await;
        assert_eq!(refused.status, 403, "{}", refused.text);
        assert_eq!(server.head().await, head);
        assert_eq!(bob.get("/api/v1/me").await.json["account"]["role"], "user");

        // Nor decide on themselves, or on a moderator like them.
        let eve = member(&server, "eve@example.org").await;
        make_moderator(&server, &eve).await;
        let (mia_id, eve_id) = (
            crate::reports::account_id(&mia).await,
            crate::reports::account_id(&eve).await,
        );
        let head = server.head().await;
        for target in [&mia_id, &eve_id] {
            let refused = decide(&mia, on_account("suspend", target, "a coup")).await;
            assert_eq!(refused.status, 403, "{}", refused.text);
        }
        assert_eq!(server.head().await, head, "nothing written");
        let warned = decide(&mia, on_account("warn", &bob_id, "mind the rules")).await;
        assert_eq!(warned.status, 201, "{}", warned.text);
    }
}

#[tokio::test]
async fn the_audit_trail_finds_decisions_by_actor_target_change_and_time_with_before_and_after() {
    for scratch in test_urls("moderation_audit").await {
        let server = server(&scratch).await;
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let mia_id = crate::reports::account_id(&mia).await;
        let id = text(&create_event(&org, json!({"title": "Climate march"})).await["id"]);
        let filed = bob
            .post(
                "/api/v1/reports",
                json!({"target": {"kind": "event", "id": id}, "category": {"kind": "spam"}}),
            )
            .await;
        let report = text(&filed.json["id"]);
        let mut hide = on_event("hide", &id, "spam wave");
        hide["report"] = json!(report);
        assert_eq!(decide(&mia, hide).await.status, 201);

        let by_mia = mia
            .get(&format!("/api/v1/moderation/audit?account={mia_id}"))
            .await;
        assert_eq!(by_mia.status, 200, "{}", by_mia.text);
        let entries = by_mia.json["entries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(entries[0]["change"], "EventHidden", "newest first");
        assert!(entries
            .iter()
            .all(|e| e["actor"].as_str().unwrap_or_default().contains(&mia_id)));
        let entry = &entries[0];
        assert_eq!(entry["reason"], "spam wave");
        assert_eq!(entry["report"], report.as_str());
        assert_eq!(entry["target_kind"], "event");
        assert_eq!(entry["before"]["moderation"]["hidden"], false);
        assert_eq!(entry["after"]["moderation"]["hidden"], true);
        assert!(
            entry["after"].get("details").is_none(),
            "only what changed: {entry}"
        );

        let on_target = mia
            .get(&format!(
                "/api/v1/moderation/audit?target_kind=event&target_id={id}&change=EventHidden"
            ))
            .await;
        assert_eq!(on_target.json["entries"].as_array().map(Vec::len), Some(1));
        let created = mia
            .get(&format!(
                "/api/v1/moderation/audit?target_kind=event&target_id={id}&change=EventCreated"
            ))
            .await;
        assert!(created.json["entries"][0]["before"].is_null());
        assert_eq!(
            created.json["entries"][0]["after"]["details"]["title"], "Climate march",
            "the whole object after its first change"
        );
        let report_trail = mia
            .get(&format!(
                "/api/v1/moderation/audit?target_kind=report&target_id={report}"
            ))
            .await;
        assert_eq!(report_trail.json["entries"][0]["change"], "ReportFiled");
        let future = mia
            .get("/api/v1/moderation/audit?from=2099-01-01T00:00:00Z")
            .await;
        assert_eq!(future.json["entries"], json!([]));
        let past = mia
            .get("/api/v1/moderation/audit?to=2020-01-01T00:00:00Z")
            .await;
        assert_eq!(past.json["entries"], json!([]));
        let window = mia
            .get(
                "/api/v1/moderation/audit?from=2020-01-01T00:00:00Z&to=2099-01-01T00:00:00Z&page=1",
            )
            .await;
        assert_eq!(window.json["entries"].as_array().map(Vec::len), Some(20));
        assert_eq!(window.json["more"], true);

        let user = org.get("/api/v1/moderation/audit").await;
        assert_eq!(user.status, 403, "{}", user.text);
        assert_eq!(
            server.client().get("/api/v1/moderation/audit").await.status,
            401
        );
        let bad = mia.get("/api/v1/moderation/audit?target_kind=planet").await;
        assert_eq!(fields(&bad), ["target_kind"], "{}", bad.text);
        let reversed = mia
            .get("/api/v1/moderation/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")
            .await;
        assert_eq!(fields(&reversed), ["to"], "{}", reversed.text);
    }
}

fn on_group(action: &str, handle: &str, reason: &str) -> Value {
    json!({"action": action, "target": {"kind": "group", "handle": handle}, "reason": reason})
}

async fn group_found(server: &TestServer, handle: &str) -> bool {
    indexed(server).await;
    let hits = server.client().get("/api/v1/search/groups?q=repair").await;
    assert_eq!(hits.status, 200, "{}", hits.text);
    hits.text.contains(&format!("\"id\":\"{handle}\""))
}

async fn groups_listed(client: &Client, handle: &str) -> bool {
    let all = client.get("/api/v1/groups").await;
    all.json
        .as_array()
        .is_some_and(|groups| groups.iter().any(|g| g["handle"] == handle))
}

#[tokio::test]
async fn a_suspended_group_is_gone_for_all_but_moderators_until_it_is_lifted() {
    for scratch in test_urls("moderation_suspend_group").await {
        let server = server(&scratch).await;
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let admin = member(&server, "admin@example.org").await;
        crate::reports::give_role(&server, &admin, convene_domain::Role::Administrator).await;
        let created = org
            .post(
                "/api/v1/groups",
                json!({"handle": "repair", "display_name": "Repair café"}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let event_body = |title: &str| crate::support::event_body(json!({ "title": title }));
        let organised = org
            .post("/api/v1/groups/repair/events", event_body("Climate march"))
            .await;
        assert_eq!(organised.status, 201, "{}", organised.text);
        let event = text(&organised.json["id"]);
        let published = admin
            .put(
                "/api/v1/admin/settings",
                json!({"name": "Repair", "transparency": "anonymous"}),
            )
            .await;
        assert_eq!(published.status, 200, "{}", published.text);
        let report = ana
            .post(
                "/api/v1/reports",
                json!({"target": {"kind": "group", "handle": "repair"},
                       "category": {"kind": "spam"}, "comment": "a front for spam"}),
            )
            .await;
        assert_eq!(report.status, 201, "{}", report.text);
        let report = text(&report.json["id"]);
        assert!(group_found(&server, "repair").await);
        assert!(found(&server, &event).await);

        let head = server.head().await;
        let hide = decide(&admin, on_group("hide", "repair", "spam")).await;
        assert_eq!(fields(&hide), ["action"], "{}", hide.text);
        let nobody = decide(&admin, on_group("suspend", "nobody", "spam")).await;
        assert_eq!(nobody.status, 404, "{}", nobody.text);
        let not_yet = decide(&admin, on_group("unsuspend", "repair", "spam")).await;
        assert_eq!(not_yet.status, 409, "{}", not_yet.text);
        let by_user = decide(&ana, on_group("suspend", "repair", "spam")).await;
        assert_eq!(by_user.status, 403, "{}", by_user.text);
        let no_reason = decide(&admin, on_group("suspend", "repair", " ")).await;
        assert_eq!(fields(&no_reason), ["reason"], "{}", no_reason.text);
        assert_eq!(server.head().await, head, "refusals write nothing");

        let mut suspend = on_group("suspend", "repair", "secret: a spam network");
        suspend["report"] = json!(report);
        suspend["public_comment"] = json!("Spam network");
        let suspended = decide(&admin, suspend).await;
        assert_eq!(suspended.status, 201, "{}", suspended.text);
        assert_eq!(suspended.json["change"], "GroupSuspended");
        let trail = admin
            .get("/api/v1/moderation/audit?change=GroupSuspended")
            .await;
        let hides = &trail.json["entries"][0]["hides"];
        assert_eq!(hides["counts"]["events"], 1, "{}", trail.text);
        assert_eq!(hides["events"][0]["id"], event.as_str(), "{}", trail.text);
        assert_eq!(
            decide(&admin, on_group("suspend", "repair", "again"))
                .await
                .status,
            409
        );

        // Gone for everyone but moderators: the group, its listing, its events' listing, search.
        for client in [server.client(), ana.clone(), org.clone()] {
            let page = client.get("/api/v1/groups/repair").await;
            assert_eq!(page.status, 404, "{}", page.text);
            assert_eq!(kind(&page), "/problems/group-suspended-by-moderators");
            let events = client.get("/api/v1/groups/repair/events").await;
            assert_eq!(events.status, 404, "{}", events.text);
        }
        let seen = admin.get("/api/v1/groups/repair").await;
        assert_eq!(seen.status, 200, "{}", seen.text);
        assert_eq!(seen.json["suspended_by_moderators"], true);
        assert!(!groups_listed(&server.client(), "repair").await);
        assert!(!listed(&server.client(), &event).await);
        assert!(!group_found(&server, "repair").await);
        assert!(!found(&server, &event).await);

        // Its members cannot post or organise in it.
        let organising = org
            .post("/api/v1/groups/repair/events", event_body("Another march"))
            .await;
        assert_eq!(organising.status, 403, "{}", organising.text);
        assert_eq!(kind(&organising), "/problems/group-suspended");
        let posting = org
            .post(
                "/api/v1/groups/repair/posts",
                json!({"title": "Still here", "body": "Hello", "visibility": "public"}),
            )
            .await;
        assert_eq!(posting.status, 403, "{}", posting.text);

        // In the audit trail (kind group), on the report, in the transparency log.
        let trail = admin
            .get(
                "/api/v1/moderation/audit?target_kind=group&target_id=repair&change=GroupSuspended",
            )
            .await;
        assert_eq!(trail.status, 200, "{}", trail.text);
        assert_eq!(trail.json["entries"][0]["reason"], "secret: a spam network");
        assert_eq!(trail.json["entries"][0]["report"], json!(report));
        let detail = admin
            .get(&format!("/api/v1/moderation/reports/{report}"))
            .await;
        assert_eq!(detail.json["decisions"][0]["change"], "GroupSuspended");
        let mut public = server.client().get("/api/v1/instance/transparency").await;
        for _ in 0..100 {
            if public.json["entries"]
                .as_array()
                .is_some_and(|e| !e.is_empty())
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            public = server.client().get("/api/v1/instance/transparency").await;
        }
        let entry = &public.json["entries"][0];
        assert_eq!(entry["action"], "GroupSuspended", "{}", public.text);
        assert_eq!(entry["target"]["label"], "@repair");
        assert_eq!(entry["public_comment"], "Spam network");
        assert!(!public.text.contains("secret"), "{}", public.text);

        // Lifted: everything comes back.
        let lifted = decide(&admin, on_group("unsuspend", "repair", "appeal granted")).await;
        assert_eq!(lifted.status, 201, "{}", lifted.text);
        assert_eq!(
            server.client().get("/api/v1/groups/repair").await.status,
            200
        );
        assert!(groups_listed(&server.client(), "repair").await);
        assert!(listed(&server.client(), &event).await);
        assert!(group_found(&server, "repair").await);
        assert!(found(&server, &event).await);
        let organising = org
            .post("/api/v1/groups/repair/events", event_body("Repair day"))
            .await;
        assert_eq!(organising.status, 201, "{}", organising.text);

        // A timed suspension ends by itself.
        let mut timed = on_group("suspend", "repair", "cooling off");
        let until = OffsetDateTime::now_utc() + time::Duration::hours(1);
        timed["until"] = json!(until
            .format(&time::format_description::well_known::Rfc3339)
            .expect("as expected"));
        assert_eq!(decide(&admin, timed).await.status, 201);
        let later = until + time::Duration::seconds(1);
        let ended = convene_api::moderation::end_due(&server.state, later)
            .await
            .expect("as expected");
        assert_eq!(ended, 1);
        assert_eq!(
            server.client().get("/api/v1/groups/repair").await.status,
            200
        );
    }
}

#[tokio::test]
async fn a_limited_profile_s_events_leave_listings_and_search_but_stay_reachable() {
    for scratch in test_urls("moderation_limit_profile").await {
        let server = server(&scratch).await;
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let own = text(&create_event(&ana, json!({"title": "Climate march"})).await["id"]);
        let other = text(&create_event(&org, json!({"title": "Another march"})).await["id"]);
        let comments = format!("/api/v1/events/{other}/comments");
        ana.post(&comments, json!({"body": "See you there"})).await;
        assert!(found(&server, &own).await);

        let head = server.head().await;
        let not_yet = decide(&mia, on_profile("unlimit", "ana", "spam")).await;
        assert_eq!(not_yet.status, 409, "{}", not_yet.text);
        let wrong = decide(&mia, on_event("limit", &own, "spam")).await;
        assert_eq!(fields(&wrong), ["action"], "{}", wrong.text);
        assert_eq!(server.head().await, head, "refusals write nothing");

        let limited = decide(&mia, on_profile("limit", "ana", "borderline promotion")).await;
        assert_eq!(limited.status, 201, "{}", limited.text);
        assert_eq!(limited.json["change"], "ProfileLimited");
        assert_eq!(
            decide(&mia, on_profile("limit", "ana", "again"))
                .await
                .status,
            409
        );
        assert!(!listed(&server.client(), &own).await);
        assert!(!found(&server, &own).await);
        assert!(listed(&server.client(), &other).await);
        // Still reached by its link, by its page and by those taking part.
        let event = server.client().get(&format!("/api/v1/events/{own}")).await;
        assert_eq!(event.status, 200, "{}", event.text);
        assert_eq!(
            server.client().get("/api/v1/profiles/ana").await.status,
            200
        );
        let list = server.client().get(&comments).await;
        assert_eq!(list.json[0]["body"], "See you there", "{}", list.text);
        let acting = ana.post(&comments, json!({"body": "Still here"})).await;
        assert_eq!(acting.status, 201, "{}", acting.text);

        let lifted = decide(&mia, on_profile("unlimit", "ana", "reviewed")).await;
        assert_eq!(lifted.status, 201, "{}", lifted.text);
        assert_eq!(lifted.json["change"], "ProfileUnlimited");
        assert!(listed(&server.client(), &own).await);
        assert!(found(&server, &own).await);
    }
}

#[tokio::test]
async fn a_limited_account_s_profiles_leave_listings_and_search_those_made_later_too() {
    for scratch in test_urls("moderation_limit_account").await {
        let server = server(&scratch).await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let first = text(&create_event(&ana, json!({"title": "Climate march"})).await["id"]);
        assert!(found(&server, &first).await);
        let id = crate::reports::account_id(&ana).await;

        let head = server.head().await;
        let not_yet = decide(&mia, on_account("unlimit", &id, "spam")).await;
        assert_eq!(not_yet.status, 409, "{}", not_yet.text);
        assert_eq!(server.head().await, head, "a refusal writes nothing");
        let limited = decide(&mia, on_account("limit", &id, "a promotion network")).await;
        assert_eq!(limited.status, 201, "{}", limited.text);
        assert_eq!(limited.json["change"], "AccountLimited");
        assert!(!listed(&server.client(), &first).await);
        assert!(!found(&server, &first).await);

        // A profile made after the decision is limited from the start; the account still acts.
        let made = ana
            .post(
                "/api/v1/profiles",
                json!({"username": "ana2", "display_name": "Ana"}),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
        let later = create_event(
            &ana.as_profile("ana2"),
            json!({"title": "Climate march again"}),
        )
        .await;
        let later = text(&later["id"]);
        assert!(!listed(&server.client(), &later).await);
        assert!(!found(&server, &later).await);
        let page = server
            .client()
            .get(&format!("/api/v1/events/{later}"))
            .await;
        assert_eq!(page.status, 200, "still reached by its link: {}", page.text);

        let lifted = decide(&mia, on_account("unlimit", &id, "reviewed")).await;
        assert_eq!(lifted.status, 201, "{}", lifted.text);
        assert_eq!(lifted.json["change"], "AccountUnlimited");
        for event in [&first, &later] {
            assert!(
                listed(&server.client(), event).await,
                "{event} listed again"
            );
            assert!(found(&server, event).await, "{event} found again");
        }
    }
}

#[tokio::test]
async fn moderators_suspend_a_remote_actor_known_here_by_its_url_and_lift_it() {
    for scratch in test_urls("moderation_remote_actor").await {
        let server = server(&scratch).await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let actor = "https://remote.example/users/troll";
        // Known here as federation caches what it fetched.
        sqlx::query(
            "INSERT INTO remote_actors (id, kind, inbox, shared_inbox, key_id, public_key_pem, \
             preferred_username, name, url, fetched_at) \
             VALUES ($1, 'Person', $2, NULL, $3, 'pem', 'troll', NULL, NULL, '2026-01-01')",
        )
        .bind(actor)
        .bind(format!("{actor}/inbox"))
        .bind(format!("{actor}#main-key"))
        .execute(server.state.db.pool())
        .await
        .expect("a cached actor");
        let on_actor = |action: &str, actor: &str| {
            json!({"action": action, "target": {"kind": "remote_actor", "actor": actor},
                   "reason": "harassment"})
        };

        let head = server.head().await;
        let unknown = decide(
            &mia,
            on_actor("suspend", "https://remote.example/users/nobody"),
        )
        .await;
        assert_eq!(unknown.status, 404, "{}", unknown.text);
        let wrong = decide(&mia, on_actor("hide", actor)).await;
        assert_eq!(fields(&wrong), ["action"], "{}", wrong.text);
        let not_yet = decide(&mia, on_actor("unsuspend", actor)).await;
        assert_eq!(not_yet.status, 409, "{}", not_yet.text);
        assert_eq!(server.head().await, head, "refusals write nothing");

        let suspended = decide(&mia, on_actor("suspend", actor)).await;
        assert_eq!(suspended.status, 201, "{}", suspended.text);
        assert_eq!(suspended.json["change"], "RemoteActorSuspended");
        assert_eq!(decide(&mia, on_actor("suspend", actor)).await.status, 409);
        let trail = mia
            .get(&format!(
                "/api/v1/moderation/audit?target_kind=actor&target_id={actor}"
            ))
            .await;
        assert_eq!(trail.status, 200, "{}", trail.text);
        assert_eq!(trail.json["entries"][0]["change"], "RemoteActorSuspended");
        let lifted = decide(&mia, on_actor("unsuspend", actor)).await;
        assert_eq!(lifted.status, 201, "{}", lifted.text);
        assert_eq!(lifted.json["change"], "RemoteActorUnsuspended");
    }
}
