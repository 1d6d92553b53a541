//! Reverting what an account did in a window: shown first as a plan that writes nothing, then
//! applied as one decision with its consequences under one request id; other people's changes
//! and the account's own later ones are kept; applying twice does nothing more; a moderator's
//! mistaken decisions are undone the same way; bad requests name the field and write nothing.

use crate::reports::{account_id, fields, give_role, make_moderator};
use crate::support::{create_event, member, profile, Client, Response, TestServer};
use convene_domain::Role;
use convene_projections::scratch::test_urls;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Now, as the window's bounds are written, a moment apart from the changes around it.
async fn instant() -> String {
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let now = OffsetDateTime::now_utc().format(&Rfc3339).expect("format");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    now
}

async fn revert(client: &Client, body: Value) -> Response {
    client.post("/api/v1/moderation/reverts", body).await
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

fn actions(plan: &Response) -> Vec<String> {
    let mut all: Vec<String> = plan.json["steps"]
        .as_array()
        .map(|s| s.iter().map(|s| text(&s["action"])).collect())
        .unwrap_or_default();
    all.sort();
    all
}

/// An organiser, a participant, a moderator (mia) and an administrator, each with a profile
/// but the moderator.
struct Cast {
    server: TestServer,
    org: Client,
    bob: Client,
    mia: Client,
    admin: Client,
}

async fn cast(scratch: &convene_projections::scratch::Scratch) -> Cast {
    let server = TestServer::start_with(scratch, Default::default()).await;
    let org = member(&server, "org@example.org").await;
    profile(&org, "org").await;
    let bob = member(&server, "bob@example.org").await;
    profile(&bob, "bob").await;
    let mia = member(&server, "mia@example.org").await;
    make_moderator(&server, &mia).await;
    let admin = member(&server, "admin@example.org").await;
    give_role(&server, &admin, Role::Administrator).await;
    Cast {
        server,
        org,
        bob,
        mia,
        admin,
    }
}

#[tokio::test]
async fn a_hijacked_account_s_window_is_previewed_then_reverted_keeping_everyone_else_s_changes() {
    for scratch in test_urls("revert_hijack").await {
        let server = TestServer::start_with(&scratch, Default::default()).await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;
        let mia = member(&server, "mia@example.org").await;
        profile(&mia, "mia").await;
        make_moderator(&server, &mia).await;
        let ana_id = account_id(&ana).await;
        let cafe = text(
            &create_event(
                &ana,
                json!({"title": "Repair café", "description": "<p>Bring a lamp</p>",
                       "capacity": 20}),
            )
            .await["id"],
        );
        let walk = text(&create_event(&bob, json!({"title": "Night walk"})).await["id"]);

        // Someone else has ana's password for a while.
        let from = instant().await;
        let spam = text(&create_event(&ana, json!({"title": "Cheap pills"})).await["id"]);
        let edited = ana
            .patch(
                &format!("/api/v1/events/{cafe}"),
                json!({"title": "BUY PILLS", "capacity": 2, "description": "<p>pills</p>"}),
            )
            .await;
        assert_eq!(edited.status, 200, "{}", edited.text);
        let comment = ana
            .post(
                &format!("/api/v1/events/{walk}/comments"),
                json!({"body": "cheap pills here"}),
            )
            .await;
        assert_eq!(comment.status, 201, "{}", comment.text);
        let comment = text(&comment.json["id"]);
        let joined = ana
            .post(&format!("/api/v1/events/{walk}/participations"), json!({}))
            .await;
        assert_eq!(joined.status, 201, "{}", joined.text);
        let renamed = ana
            .patch("/api/v1/profiles/ana", json!({"display_name": "PILLS"}))
            .await;
        assert_eq!(renamed.status, 200, "{}", renamed.text);
        let to = instant().await;
        // Meanwhile and since, others act on the same events, and ana, back in control,
        // rewrites the description herself.
        let bob_joins = bob
            .post(&format!("/api/v1/events/{cafe}/participations"), json!({}))
            .await;
        assert_eq!(bob_joins.status, 201, "{}", bob_joins.text);
        let own = ana
            .patch(
                &format!("/api/v1/events/{cafe}"),
                json!({"description": "<p>Bring a lamp and a kettle</p>"}),
            )
            .await;
        assert_eq!(own.status, 200, "{}", own.text);

        let ask = json!({"account": ana_id, "from": from, "to": to,
                         "reason": "the account was taken over"});
        let head = server.head().await;
        let plan = revert(&mia, ask.clone()).await;
        assert_eq!(plan.status, 200, "{}", plan.text);
        assert_eq!(plan.json["applied"], false);
        assert_eq!(server.head().await, head, "a dry run writes nothing");
        assert_eq!(
            actions(&plan),
            [
                "leave_event",
                "lock_out",
                "remove_comment",
                "remove_event",
                "restore_event",
                "restore_profile"
            ],
            "{}",
            plan.text
        );
        let restore = plan.json["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["action"] == "restore_event"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(restore["target_id"], cafe);
        assert_eq!(restore["before"]["title"], "BUY PILLS");
        assert_eq!(restore["after"]["title"], "Repair café");
        assert_eq!(restore["after"]["capacity"], 20);
        assert!(restore["after"].get("description").is_none(), "{restore}");
        let conflicts = plan.json["conflicts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(conflicts.len(), 1, "{}", plan.text);
        assert_eq!(conflicts[0]["field"], "description");
        assert_eq!(conflicts[0]["target_id"], cafe);
        assert!(
            ana.get(&format!("/api/v1/events/{spam}")).await.status == 200,
            "nothing changed yet"
        );

        let applied = revert(
            &mia,
            json!({"apply": true, "account": ana_id, "from": from,
                                          "to": to, "reason": "the account was taken over"}),
        )
        .await;
        assert_eq!(applied.status, 201, "{}", applied.text);
        assert_eq!(applied.json["applied"], true);
        assert_eq!(applied.json["failed"], json!([]), "{}", applied.text);
        let visitor = server.client();
        let gone = visitor.get(&format!("/api/v1/events/{spam}")).await;
        assert_eq!(gone.status, 404, "{}", gone.text);
        let back = visitor.get(&format!("/api/v1/events/{cafe}")).await;
        assert_eq!(back.json["title"], "Repair café", "{}", back.text);
        assert_eq!(back.json["capacity"], 20);
        assert!(
            back.text.contains("Bring a lamp and a kettle"),
            "ana's own later edit is kept: {}",
            back.text
        );
        let comments = visitor
            .get(&format!("/api/v1/events/{walk}/comments"))
            .await;
        assert_eq!(comments.json[0]["id"], comment);
        assert_eq!(comments.json[0]["removed_by_moderators"], true);
        let walkers = bob
            .get(&format!("/api/v1/events/{walk}/participations"))
            .await;
        assert!(!walkers.text.contains("\"ana\""), "{}", walkers.text);
        let cafe_people = mia
            .get(&format!("/api/v1/events/{cafe}/participations"))
            .await;
        assert!(
            cafe_people.text.contains("\"bob\""),
            "bob stays: {}",
            cafe_people.text
        );
        let name = visitor.get("/api/v1/profiles/ana").await;
        assert_eq!(name.json["display_name"], "ANA", "{}", name.text);
        // Locked out: the session is closed and the password no longer opens one.
        assert_eq!(ana.get("/api/v1/me").await.status, 401);
        let login = visitor
            .post(
                "/api/v1/sessions",
                json!({"email": "ana@example.org", "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(login.status, 403, "{}", login.text);
        assert!(login.text.contains("reset its password"), "{}", login.text);

        // One decision, and everything it did under its request id.
        let decision = mia
            .get("/api/v1/moderation/audit?change=AccountReverted")
            .await;
        let entry = &decision.json["entries"][0];
        assert_eq!(entry["target_id"], ana_id, "{}", decision.text);
        assert!(text(&entry["reason"]).contains("taken over"));
        let request = text(&entry["request_id"]);
        let together = mia
            .get(&format!("/api/v1/moderation/audit?request_id={request}"))
            .await;
        let steps = applied.json["steps"].as_array().map_or(0, Vec::len);
        assert_eq!(
            together.json["entries"].as_array().map_or(0, Vec::len),
            steps + 1,
            "{}",
            together.text
        );

        let again = revert(
            &mia,
            json!({"apply": true, "account": ana_id, "from": from,
                                        "to": to, "reason": "once more", "lock_out": true}),
        )
        .await;
        assert_eq!(again.status, 200, "{}", again.text);
        assert_eq!(again.json["applied"], false);
        assert_eq!(again.json["steps"], json!([]), "{}", again.text);
        let head = server.head().await;
        let _ = revert(
            &mia,
            json!({"apply": true, "account": ana_id, "from": from, "to": to,
                                    "reason": "and again"}),
        )
        .await;
        assert_eq!(server.head().await, head, "nothing more is written");
    }
}

#[tokio::test]
async fn a_moderator_s_mistaken_decisions_are_undone_by_reverting_their_window() {
    for scratch in test_urls("revert_moderator").await {
        let Cast {
            server,
            org,
            bob,
            mia,
            admin,
        } = cast(&scratch).await;
        let org_id = account_id(&org).await;
        let id = text(&create_event(&org, json!({"title": "Climate march"})).await["id"]);
        let comment = bob
            .post(
                &format!("/api/v1/events/{id}/comments"),
                json!({"body": "See you there"}),
            )
            .await;
        let comment = text(&comment.json["id"]);

        let from = instant().await;
        for body in [
            json!({"action": "hide", "target": {"kind": "event", "id": id}, "reason": "oops"}),
            json!({"action": "remove", "target": {"kind": "comment", "event": id, "id": comment},
                   "reason": "oops"}),
            json!({"action": "suspend", "target": {"kind": "profile", "username": "bob"},
                   "reason": "oops"}),
            json!({"action": "limit", "target": {"kind": "account", "id": org_id},
                   "reason": "oops"}),
        ] {
            let decided = mia.post("/api/v1/moderation/decisions", body).await;
            assert_eq!(decided.status, 201, "{}", decided.text);
        }
        let to = instant().await;

        let mia_id = account_id(&mia).await;
        let peer = revert(
            &mia,
            json!({"account": mia_id, "from": from, "to": to,
                                       "reason": "mine"}),
        )
        .await;
        assert_eq!(peer.status, 403, "not on oneself: {}", peer.text);
        let applied = revert(
            &admin,
            json!({"account": mia_id, "from": from, "to": to,
                                            "reason": "wrong decisions", "lock_out": false,
                                            "apply": true}),
        )
        .await;
        assert_eq!(applied.status, 201, "{}", applied.text);
        assert_eq!(
            actions(&applied),
            [
                "undo_decision",
                "undo_decision",
                "undo_decision",
                "undo_decision"
            ]
        );
        assert_eq!(applied.json["failed"], json!([]), "{}", applied.text);
        let event = server.client().get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(event.status, 200);
        let listed = server.client().get("/api/v1/events").await;
        assert!(
            listed.text.contains(&id),
            "unhidden and its organiser's account no longer limited: {}",
            listed.text
        );
        let comments = server
            .client()
            .get(&format!("/api/v1/events/{id}/comments"))
            .await;
        assert_eq!(
            comments.json[0]["body"], "See you there",
            "{}",
            comments.text
        );
        assert_eq!(
            server.client().get("/api/v1/profiles/bob").await.status,
            200
        );
        assert_eq!(mia.get("/api/v1/me").await.status, 200, "not locked out");
    }
}

#[tokio::test]
async fn what_the_window_did_and_undid_itself_leaves_nothing_to_revert() {
    for scratch in test_urls("revert_undone_within").await {
        let server = TestServer::start_with(&scratch, Default::default()).await;
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;
        let mia = member(&server, "mia@example.org").await;
        profile(&mia, "mia").await;
        make_moderator(&server, &mia).await;
        let admin = member(&server, "admin@example.org").await;
        give_role(&server, &admin, Role::Administrator).await;
        let id = text(&create_event(&org, json!({"title": "Climate march"})).await["id"]);
        let from = instant().await;
        for (action, target) in [
            ("hide", json!({"kind": "event", "id": id})),
            ("unhide", json!({"kind": "event", "id": id})),
            ("hide", json!({"kind": "event", "id": id})),
            ("suspend", json!({"kind": "profile", "username": "bob"})),
            ("unsuspend", json!({"kind": "profile", "username": "bob"})),
        ] {
            let body = json!({"action": action, "target": target, "reason": "oops"});
            let decided = mia.post("/api/v1/moderation/decisions", body).await;
            assert_eq!(decided.status, 201, "{}", decided.text);
        }
        let path = format!("/api/v1/events/{id}/participations");
        assert_eq!(mia.post(&path, json!({})).await.status, 201);
        let left = mia.delete(&format!("{path}/mine")).await;
        assert!(left.status < 300, "{}", left.text);
        let to = instant().await;

        let mia_id = account_id(&mia).await;
        let applied = revert(
            &admin,
            json!({"account": mia_id, "from": from, "to": to,
                                            "reason": "wrong decisions", "apply": true}),
        )
        .await;
        assert_eq!(applied.status, 201, "{}", applied.text);
        // Hidden, shown, hidden again: one undoing, back to shown; bob's suspension and its
        // lifting, and mia's join and leave, need nothing.
        assert_eq!(
            actions(&applied),
            ["lock_out", "undo_decision"],
            "{}",
            applied.text
        );
        assert_eq!(applied.json["failed"], json!([]), "{}", applied.text);
        let listed = server.client().get("/api/v1/events").await;
        assert!(listed.text.contains(&id), "shown again: {}", listed.text);
        assert_eq!(
            server.client().get("/api/v1/profiles/bob").await.status,
            200
        );
        let people = org.get(&path).await;
        assert!(
            !people.text.contains("\"mia\""),
            "mia does not take part again: {}",
            people.text
        );
    }
}

#[tokio::test]
async fn bad_reverts_are_refused_naming_what_to_fix_and_write_nothing() {
    for scratch in test_urls("revert_refusals").await {
        let server = TestServer::start_with(&scratch, Default::default()).await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let admin = member(&server, "admin@example.org").await;
        give_role(&server, &admin, Role::Administrator).await;
        let ana_id = account_id(&ana).await;
        let from = instant().await;
        create_event(&ana, json!({"title": "Picnic"})).await;
        let to = instant().await;
        let later = instant().await;
        let ask = |extra: Value| {
            let mut body = json!({"account": ana_id, "from": from, "to": to,
                                  "reason": "taken over"});
            if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
                body.extend(extra.clone());
            }
            body
        };
        let head = server.head().await;
        for (extra, field) in [
            (json!({"reason": " "}), "reason"),
            (json!({"from": "yesterday"}), "from"),
            (json!({"to": from}), "to"),
            (json!({"from": to, "to": later}), "from"),
            (json!({"account": null}), "account"),
            (json!({"profile": "mia"}), "profile"),
            (json!({"report": "no-such-report"}), "report"),
        ] {
            let refused = revert(&mia, ask(extra.clone())).await;
            assert_eq!(refused.status, 422, "{extra}: {}", refused.text);
            assert_eq!(fields(&refused), [field], "{extra}: {}", refused.text);
        }
        let unknown = revert(&mia, ask(json!({"account": "no-such-account"}))).await;
        assert_eq!(unknown.status, 404, "{}", unknown.text);
        let user = revert(&ana, ask(json!({}))).await;
        assert_eq!(user.status, 403, "{}", user.text);
        let admin_id = account_id(&admin).await;
        let above = revert(&mia, ask(json!({"account": admin_id}))).await;
        assert_eq!(above.status, 403, "{}", above.text);
        assert_eq!(server.head().await, head, "nothing written");
        let by_profile = revert(&mia, ask(json!({"account": null, "profile": "ana"}))).await;
        assert_eq!(by_profile.status, 200, "{}", by_profile.text);
        assert_eq!(by_profile.json["account"], ana_id);
    }
}

#[tokio::test]
async fn one_mistaken_decision_is_undone_by_its_request_alone() {
    for scratch in test_urls("revert_request").await {
        let Cast {
            server,
            org,
            mia,
            admin,
            ..
        } = cast(&scratch).await;
        let id = text(&create_event(&org, json!({"title": "Climate march"})).await["id"]);
        for body in [
            json!({"action": "hide", "target": {"kind": "event", "id": id}, "reason": "spam"}),
            json!({"action": "suspend", "target": {"kind": "profile", "username": "bob"},
                   "reason": "oops"}),
        ] {
            let decided = mia.post("/api/v1/moderation/decisions", body).await;
            assert_eq!(decided.status, 201, "{}", decided.text);
        }
        let mia_id = account_id(&mia).await;
        let trail = admin
            .get(&format!("/api/v1/moderation/audit?account={mia_id}"))
            .await;
        let entries = trail.json["entries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let suspension = entries
            .iter()
            .find(|e| e["target_kind"] == "profile")
            .unwrap_or_else(|| panic!("the suspension is in the trail: {}", trail.text));
        let request = text(&suspension["request_id"]);

        let head = server.head().await;
        for (body, status) in [
            (json!({"request_id": "no-such-request", "reason": "r"}), 422),
            (
                json!({"request_id": request, "account": account_id(&org).await,
                    "reason": "r"}),
                422,
            ),
        ] {
            let refused = revert(&admin, body.clone()).await;
            assert_eq!(refused.status, status, "{body}: {}", refused.text);
            assert_eq!(fields(&refused), ["request_id"], "{body}: {}", refused.text);
        }
        assert_eq!(server.head().await, head, "nothing written");

        let plan = revert(
            &admin,
            json!({"request_id": request, "reason": "wrong person"}),
        )
        .await;
        assert_eq!(plan.status, 200, "{}", plan.text);
        assert_eq!(plan.json["account"], mia_id, "{}", plan.text);
        assert_eq!(plan.json["request_id"], request.as_str());
        assert_eq!(
            actions(&plan),
            ["lock_out", "undo_decision"],
            "{}",
            plan.text
        );
        let applied = revert(
            &admin,
            json!({"request_id": request, "reason": "wrong person", "lock_out": false,
                   "apply": true}),
        )
        .await;
        assert_eq!(applied.status, 201, "{}", applied.text);
        assert_eq!(actions(&applied), ["undo_decision"], "{}", applied.text);
        assert_eq!(
            server.client().get("/api/v1/profiles/bob").await.status,
            200,
            "bob is back"
        );
        let listed = server.client().get("/api/v1/events").await;
        assert!(
            !listed.text.contains(&id),
            "the other decision of the same moderator stands: {}",
            listed.text
        );
    }
}

#[tokio::test]
async fn a_reverted_edit_brings_back_the_address_and_the_markdown_as_written() {
    for scratch in test_urls("revert_address_markdown").await {
        let Cast {
            server, org, mia, ..
        } = cast(&scratch).await;
        let address = json!({"name": "Town hall", "street": "1 Main Street",
                             "locality": "Lyon", "country": "France",
                             "latitude": 45.76, "longitude": 4.83});
        let source = "Bring **a lamp**.\n\n- a kettle\n- a toaster";
        let id = text(
            &create_event(
                &org,
                json!({"title": "Repair café", "description_source": source,
                       "address": address}),
            )
            .await["id"],
        );
        let from = instant().await;
        let edited = org
            .patch(
                &format!("/api/v1/events/{id}"),
                json!({"address": null, "online_url": "https://pills.example/",
                       "description_source": "BUY *PILLS*"}),
            )
            .await;
        assert_eq!(edited.status, 200, "{}", edited.text);
        let to = instant().await;

        let org_id = account_id(&org).await;
        let applied = revert(
            &mia,
            json!({"account": org_id, "from": from, "to": to,
                   "reason": "the account was taken over", "apply": true}),
        )
        .await;
        assert_eq!(applied.status, 201, "{}", applied.text);
        assert_eq!(applied.json["conflicts"], json!([]), "{}", applied.text);
        let back = server.client().get(&format!("/api/v1/events/{id}")).await;
        let details = &back.json;
        for field in [
            "name",
            "street",
            "locality",
            "country",
            "latitude",
            "longitude",
        ] {
            assert_eq!(details["address"][field], address[field], "{}", back.text);
        }
        assert_eq!(details["online_url"], Value::Null, "{}", back.text);
        assert_eq!(details["description_source"], source, "{}", back.text);
        let description = text(&details["description"]);
        assert!(
            description.contains("<strong>a lamp</strong>")
                && description.contains("<li>a kettle</li>")
                && !description.contains("PILLS"),
            "{description}"
        );
    }
}
