//! Reports: filed by people, seen and handled by moderators only, the reporter told in their
//! language and never by whom; the evidence shows the target as it was when reported.

use crate::servers;
use crate::support::{create_event, log_in, member, profile, Client, Response, TestServer};
use convene_api::reports::ReportPolicy;
use convene_domain::{Account, AccountCommand, Actor, Metadata, Role, Source};
use convene_projections::scratch::test_urls;
use convene_projections::Commands;
use serde_json::{json, Value};

pub(crate) fn kind(response: &Response) -> &str {
    response.json["type"].as_str().unwrap_or_default()
}

pub(crate) fn fields(response: &Response) -> Vec<String> {
    response.json["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) async fn account_id(client: &Client) -> String {
    client.get("/api/v1/me").await.json["account"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Makes the client's account a moderator, as the command line would.
pub(crate) async fn make_moderator(server: &TestServer, client: &Client) {
    give_role(server, client, Role::Moderator).await;
}

/// Gives `client`'s account `role`, from the command line as an administrator would.
pub(crate) async fn give_role(server: &TestServer, client: &Client, role: Role) {
    let id = account_id(client).await;
    let metadata = Metadata::now(Actor::System, Source::Cli, "test");
    Commands::<Account>::new(&server.db, ())
        .execute(&id, AccountCommand::ChangeRole { role }, &metadata)
        .await
        .expect("give a role");
    for _ in 0..100 {
        if client.get("/api/v1/me").await.json["account"]["role"] == role.as_str() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the role never showed");
}

/// Registers `email` speaking French, confirms it and logs in.
async fn french_member(server: &TestServer, email: &str) -> Client {
    let registered = server
        .client()
        .post(
            "/api/v1/accounts",
            json!({"email": email, "password": "correct horse battery", "locale": "fr"}),
        )
        .await;
    assert_eq!(registered.status, 202, "{}", registered.text);
    let token = server.token_mailed(email, "confirm").await;
    let confirmed = server
        .client()
        .post("/api/v1/accounts/confirm", json!({ "token": token }))
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    log_in(server, email).await
}

/// How many reports the moderator's queue lists for `instance` (a host, or `local`).
async fn queued(moderator: &Client, instance: &str) -> usize {
    let queue = moderator
        .get(&format!("/api/v1/moderation/reports?instance={instance}"))
        .await;
    queue
        .json
        .as_array()
        .unwrap_or_else(|| panic!("a queue: {}", queue.text))
        .len()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_comment_is_reported_and_handled_by_a_moderator_only() {
    for (_db, server) in servers("reports").await {
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;
        let carol = french_member(&server, "carol@example.org").await;
        profile(&carol, "carol").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;

        let event = create_event(&org, json!({})).await;
        let id = text(&event["id"]);
        let posted = bob
            .post(
                &format!("/api/v1/events/{id}/comments"),
                json!({"body": "Buy cheap watches at spam.example"}),
            )
            .await;
        assert_eq!(posted.status, 201, "{}", posted.text);
        let comment = text(&posted.json["id"]);

        // Bad reports are refused, field by field, and write nothing.
        let head = server.head().await;
        let no_rules = carol
            .post(
                "/api/v1/reports",
                json!({"target": {"kind": "profile", "username": "bob"},
                       "category": {"kind": "rule_violation", "rules": []}}),
            )
            .await;
        assert_eq!(no_rules.status, 422, "{}", no_rules.text);
        assert_eq!(fields(&no_rules), ["rules"]);
        let missing = carol
            .post(
                "/api/v1/reports",
                json!({"target": {"kind": "profile", "username": "nobody"},
                       "category": {"kind": "spam"}}),
            )
            .await;
        assert_eq!(missing.status, 404, "{}", missing.text);
        let other_comment = carol
            .post(
                "/api/v1/reports",
                json!({"target": {"kind": "comments", "event": id, "comments": ["nope"]},
                       "category": {"kind": "spam"}}),
            )
            .await;
        assert_eq!(other_comment.status, 404, "{}", other_comment.text);
        let anonymous = server
            .client()
            .post(
                "/api/v1/reports",
                json!({"target": {"kind": "event", "id": id}, "category": {"kind": "other"}}),
            )
            .await;
        assert_eq!(
            anonymous.status, 401,
            "anonymous reports are off by default"
        );
        assert_eq!(server.head().await, head, "nothing written");

        let filed = carol
            .post(
                "/api/v1/reports",
                json!({"target": {"kind": "comments", "event": id, "comments": [comment]},
                       "category": {"kind": "spam"}, "comment": "Advertising"}),
            )
            .await;
        assert_eq!(filed.status, 201, "{}", filed.text);
        assert_eq!(filed.json["state"], "open");
        let report = text(&filed.json["id"]);

        // Bob cleans up after being reported: the evidence still shows what was reported.
        let edited = bob
            .patch(
                &format!("/api/v1/comments/{comment}"),
                json!({"body": "Nice event"}),
            )
            .await;
        assert_eq!(edited.status, 200, "{}", edited.text);

        // No one but moderators sees reports, their evidence or any object as it was: not the
        // reporter, not the reported person. The refusal names the role.
        for client in [&bob, &carol] {
            for path in [
                "/api/v1/moderation/reports".to_string(),
                format!("/api/v1/moderation/reports/{report}"),
                format!("/api/v1/moderation/objects/event/{id}"),
            ] {
                let refused = client.get(&path).await;
                assert_eq!(refused.status, 403, "{path}: {}", refused.text);
                assert!(
                    refused.json["detail"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("moderators"),
                    "{}",
                    refused.text
                );
                assert!(!refused.text.contains("carol"), "{}", refused.text);
            }
            let note = client
                .post(
                    &format!("/api/v1/moderation/reports/{report}/notes"),
                    json!({"body": "x"}),
                )
                .await;
            assert_eq!(note.status, 403);
            let resolve = client
                .post(
                    &format!("/api/v1/moderation/reports/{report}/resolve"),
                    json!({"reason": "x"}),
                )
                .await;
            assert_eq!(resolve.status, 403);
        }

        // The moderator's queue, filtered.
        let queue = mia.get("/api/v1/moderation/reports?state=open").await;
        assert_eq!(queue.status, 200, "{}", queue.text);
        assert_eq!(queue.json[0]["id"], json!(report));
        assert_eq!(queue.json[0]["reporter"], "carol");
        let illegal = mia.get("/api/v1/moderation/reports?category=illegal").await;
        assert_eq!(illegal.json, json!([]));
        let wrong = mia.get("/api/v1/moderation/reports?state=pending").await;
        assert_eq!(wrong.status, 422, "{}", wrong.text);
        assert_eq!(fields(&wrong), ["state"]);

        // The report in full: the comment as it read when reported.
        let detail = mia
            .get(&format!("/api/v1/moderation/reports/{report}"))
            .await;
        assert_eq!(detail.status, 200, "{}", detail.text);
        assert_eq!(
            detail.json["reported_comments"][0]["body"],
            "Buy cheap watches at spam.example"
        );
        let evidence = detail.json["report"]["evidence"].as_i64().unwrap_or(-1);
        assert_eq!(detail.json["evidence"]["position"], json!(evidence));
        let now = mia
            .get(&format!("/api/v1/moderation/objects/event/{id}"))
            .await;
        assert_eq!(now.status, 200, "{}", now.text);
        assert_eq!(now.json["comments"][0]["body"], "Nice event");
        let then = mia
            .get(&format!(
                "/api/v1/moderation/objects/event/{id}?at={evidence}"
            ))
            .await;
        assert_eq!(
            then.json["comments"][0]["body"],
            "Buy cheap watches at spam.example"
        );
        let changes = then.json["changes"].as_array().cloned().unwrap_or_default();
        assert!(changes
            .iter()
            .all(|c| c["position"].as_i64() <= Some(evidence)));
        assert!(changes.iter().any(|c| c["change"] == "CommentPosted"
            && c["actor"].as_str().unwrap_or_default().ends_with("as @bob")));
        let beyond = mia
            .get(&format!(
                "/api/v1/moderation/objects/event/{id}?at=99999999"
            ))
            .await;
        assert_eq!(fields(&beyond), ["at"], "{}", beyond.text);
        let unknown = mia.get("/api/v1/moderation/objects/ticket/x").await;
        assert_eq!(fields(&unknown), ["kind"], "{}", unknown.text);

        // Take it, once.
        let taken = mia
            .post(
                &format!("/api/v1/moderation/reports/{report}/assign"),
                json!({}),
            )
            .await;
        assert_eq!(taken.status, 200, "{}", taken.text);
        assert_eq!(
            taken.json["report"]["assignee"],
            json!(account_id(&mia).await)
        );
        let again = mia
            .post(
                &format!("/api/v1/moderation/reports/{report}/assign"),
                json!({}),
            )
            .await;
        assert_eq!(again.status, 409, "{}", again.text);

        // Notes must say something.
        let head = server.head().await;
        let blank = mia
            .post(
                &format!("/api/v1/moderation/reports/{report}/notes"),
                json!({"body": "  "}),
            )
            .await;
        assert_eq!(blank.status, 422, "{}", blank.text);
        assert_eq!(fields(&blank), ["body"]);
        assert_eq!(server.head().await, head, "a refused note writes nothing");
        let noted = mia
            .post(
                &format!("/api/v1/moderation/reports/{report}/notes"),
                json!({"body": "Same spammer as last week"}),
            )
            .await;
        assert_eq!(noted.status, 201, "{}", noted.text);
        assert_eq!(noted.json["notes"][0]["body"], "Same spammer as last week");

        // A decision needs a reason, an existing report, and happens once.
        let head = server.head().await;
        let no_reason = mia
            .post(
                &format!("/api/v1/moderation/reports/{report}/resolve"),
                json!({"reason": " "}),
            )
            .await;
        assert_eq!(no_reason.status, 422, "{}", no_reason.text);
        assert_eq!(fields(&no_reason), ["reason"]);
        let no_report = mia
            .post(
                "/api/v1/moderation/reports/nope/resolve",
                json!({"reason": "Spam"}),
            )
            .await;
        assert_eq!(no_report.status, 404, "{}", no_report.text);
        assert_eq!(server.head().await, head, "nothing written");
        let resolved = mia
            .post(
                &format!("/api/v1/moderation/reports/{report}/resolve"),
                json!({"reason": "Advertising, comment removed"}),
            )
            .await;
        assert_eq!(resolved.status, 200, "{}", resolved.text);
        assert_eq!(resolved.json["report"]["state"], "resolved");
        assert_eq!(resolved.json["reason"], "Advertising, comment removed");
        let history = resolved.json["history"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let last = history.last().cloned().unwrap_or_default();
        assert_eq!(last["change"], "ReportResolved");
        assert_eq!(last["reason"], "Advertising, comment removed");
        let head = server.head().await;
        let twice = mia
            .post(
                &format!("/api/v1/moderation/reports/{report}/close"),
                json!({"reason": "Again"}),
            )
            .await;
        assert_eq!(twice.status, 409, "{}", twice.text);
        assert_eq!(kind(&twice), "/problems/already-handled");
        assert_eq!(server.head().await, head, "nothing written");

        // What Carol hears of it (and Bob does not) is the notifications' part:
        // notifications/tests/notifications.rs.
    }
}

#[tokio::test]
async fn anonymous_reports_are_taken_when_the_instance_allows_them() {
    for scratch in test_urls("reports_anonymous").await {
        let options = crate::support::Options {
            reports: ReportPolicy { anonymous: true },
            ..Default::default()
        };
        let server = TestServer::start_with(&scratch, options).await;
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let filed = server
            .client()
            .post(
                "/api/v1/reports",
                json!({"target": {"kind": "profile", "username": "org"},
                       "category": {"kind": "rule_violation", "rules": ["r2"]}}),
            )
            .await;
        assert_eq!(filed.status, 201, "{}", filed.text);
        let report = text(&filed.json["id"]);
        let detail = mia
            .get(&format!("/api/v1/moderation/reports/{report}"))
            .await;
        assert_eq!(detail.json["report"]["reporter"], Value::Null);
        assert_eq!(detail.json["category"]["rules"], json!(["r2"]));
        assert_eq!(detail.json["evidence"]["state"]["username"], "org");
        assert_eq!(detail.json["history"][0]["actor"], "anonymous");
        let closed = mia
            .post(
                &format!("/api/v1/moderation/reports/{report}/close"),
                json!({"reason": "Not a rule of ours"}),
            )
            .await;
        assert_eq!(closed.status, 200, "{}", closed.text);
        assert_eq!(closed.json["report"]["state"], "closed");
    }
}

#[tokio::test]
async fn a_report_on_another_instance_s_content_may_be_sent_there_without_the_reporter() {
    for (_db, server) in servers("reports_forward").await {
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let spam = crate::domains::remote_event(&server, "spam", "bad.example", "Pills").await;
        let actor = "https://bad.example/@spam";
        // Known here as federation caches what it fetched, with its shared inbox.
        sqlx::query(
            "INSERT INTO remote_actors (id, kind, inbox, shared_inbox, key_id, public_key_pem, \
             preferred_username, name, url, fetched_at) \
             VALUES ($1, 'Person', $2, $3, $4, 'pem', 'spam', NULL, NULL, '2026-01-01')",
        )
        .bind(actor)
        .bind(format!("{actor}/inbox"))
        .bind("https://bad.example/shared-inbox")
        .bind(format!("{actor}#main-key"))
        .execute(server.state.db.pool())
        .await
        .expect("a cached actor");

        let report = |target: Value, forward: bool| {
            json!({"target": target, "category": {"kind": "spam"}, "comment": "Pills",
                   "forward": forward})
        };
        let filed = bob
            .post(
                "/api/v1/reports",
                report(json!({"kind": "event", "id": spam}), true),
            )
            .await;
        assert_eq!(filed.status, 201, "{}", filed.text);
        let id = text(&filed.json["id"]);
        let detail = mia.get(&format!("/api/v1/moderation/reports/{id}")).await;
        assert_eq!(
            detail.json["report"]["instance"], "bad.example",
            "{}",
            detail.text
        );
        let forward = &detail.json["federated"]["forward"];
        assert_eq!(forward["inbox"], "https://bad.example/shared-inbox");
        assert_eq!(forward["actors"], json!([actor]));
        let object = forward["objects"][0].as_str().unwrap_or_default();
        assert!(
            object.starts_with("https://bad.example/events/"),
            "{}",
            detail.text
        );

        // Not forwarded, it still names the instance the content comes from.
        let kept = bob
            .post(
                "/api/v1/reports",
                report(json!({"kind": "event", "id": spam}), false),
            )
            .await;
        assert_eq!(kept.status, 201, "{}", kept.text);
        let kept = mia
            .get(&format!(
                "/api/v1/moderation/reports/{}",
                text(&kept.json["id"])
            ))
            .await;
        assert_eq!(kept.json["report"]["instance"], "bad.example");
        assert_eq!(kept.json["federated"].get("forward"), None, "{}", kept.text);

        // This instance's content is not forwarded: refused, nothing written.
        let event = create_event(&org, json!({})).await;
        let head = server.head().await;
        let local = bob
            .post(
                "/api/v1/reports",
                report(json!({"kind": "event", "id": text(&event["id"])}), true),
            )
            .await;
        assert_eq!(local.status, 422, "{}", local.text);
        assert_eq!(fields(&local), ["forward"]);
        assert_eq!(server.head().await, head);

        // A comment from that instance on an event here: forwarded to where its author is.
        let from = crate::domains::from(actor);
        let author = convene_domain::event::RemoteAuthor {
            actor: actor.into(),
            handle: "spam@bad.example".into(),
            note: "https://bad.example/notes/1".into(),
        };
        let event_url = format!("{}/events/{}", server.base, text(&event["id"]));
        let (_, comment) = convene_api::remote_events::post_comment(
            &server.state,
            &from,
            author,
            &event_url,
            "<p>Pills</p>",
            &[],
        )
        .await
        .expect("a remote comment");
        let on_comment = bob
            .post(
                "/api/v1/reports",
                report(
                    json!({"kind": "comments", "event": text(&event["id"]), "comments": [comment]}),
                    true,
                ),
            )
            .await;
        assert_eq!(on_comment.status, 201, "{}", on_comment.text);
        let detail = mia
            .get(&format!(
                "/api/v1/moderation/reports/{}",
                text(&on_comment.json["id"])
            ))
            .await;
        assert_eq!(
            detail.json["federated"]["forward"]["objects"],
            json!(["https://bad.example/notes/1"]),
            "{}",
            detail.text
        );

        // The queue by the content's instance.
        assert_eq!(queued(&mia, "bad.example").await, 3);
        assert_eq!(queued(&mia, "local").await, 0);
    }
}

#[tokio::test]
async fn another_instance_s_actor_is_reported_as_known_here_and_may_be_sent_there() {
    for (_db, server) in servers("reports_remote_actor").await {
        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;
        let mia = member(&server, "mia@example.org").await;
        make_moderator(&server, &mia).await;
        let sam = "https://other.example/@sam";
        // Known here as federation caches what it fetched of the actor.
        sqlx::query(
            "INSERT INTO remote_actors (id, kind, inbox, shared_inbox, key_id, public_key_pem, \
             preferred_username, name, url, fetched_at, summary) \
             VALUES ($1, 'Person', $2, $3, $4, 'pem', 'sam', 'Sam', $5, '2026-11-01T10:00:00Z', \
             '<p>Cheap <b>watches</b>, every day</p>')",
        )
        .bind(sam)
        .bind(format!("{sam}/inbox"))
        .bind("https://other.example/inbox")
        .bind(format!("{sam}#main-key"))
        .bind("https://other.example/profiles/sam")
        .execute(server.state.db.pool())
        .await
        .expect("a cached actor");
        let report = |url: &str, forward: bool| {
            json!({"target": {"kind": "remote_actor", "url": url}, "category": {"kind": "spam"},
                   "comment": "Sells <b>watches</b>", "forward": forward})
        };

        // Not known here, this instance's own, or no URL at all: refused, nothing written.
        let head = server.head().await;
        let own = format!("{}/@bob", server.base);
        for url in [
            "https://other.example/@nobody",
            own.as_str(),
            "sam@other.example",
        ] {
            let refused = bob.post("/api/v1/reports", report(url, true)).await;
            assert_eq!(refused.status, 422, "{url}: {}", refused.text);
            assert_eq!(fields(&refused), ["target.url"], "{}", refused.text);
        }
        let unknown = bob
            .post(
                "/api/v1/reports",
                report("https://other.example/@nobody", false),
            )
            .await;
        let detail = unknown.json["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            detail.contains("not an actor known here"),
            "{}",
            unknown.text
        );
        assert_eq!(server.head().await, head, "refusals write nothing");

        let filed = bob.post("/api/v1/reports", report(sam, true)).await;
        assert_eq!(filed.status, 201, "{}", filed.text);
        let id = text(&filed.json["id"]);
        // The cache moves on; the report keeps the actor as it was reported.
        sqlx::query("UPDATE remote_actors SET name = 'Watch shop', summary = NULL WHERE id = $1")
            .bind(sam)
            .execute(server.state.db.pool())
            .await
            .expect("the actor fetched again");

        let detail = mia.get(&format!("/api/v1/moderation/reports/{id}")).await;
        assert_eq!(detail.status, 200, "{}", detail.text);
        let row = &detail.json["report"];
        assert_eq!(row["target_kind"], "remote_actor", "{}", detail.text);
        assert_eq!(row["target_id"], sam);
        assert_eq!(row["instance"], "other.example");
        assert_eq!(row["reporter"], "bob");
        let evidence = &detail.json["evidence"];
        assert_eq!(evidence["kind"], "remote_actor", "{}", detail.text);
        assert_eq!(
            evidence["state"],
            json!({"id": sam, "kind": "Person", "preferred_username": "sam",
                   "handle": "sam@other.example", "name": "Sam",
                   "summary": "Cheap watches, every day",
                   "url": "https://other.example/profiles/sam",
                   "fetched_at": "2026-11-01T10:00:00Z"})
        );
        let forward = &detail.json["federated"]["forward"];
        assert_eq!(forward["actors"], json!([sam]), "{}", detail.text);
        assert_eq!(forward["objects"], json!([]));
        assert_eq!(forward["inbox"], "https://other.example/inbox");
        assert_eq!(detail.json["reported_actors"], json!([sam]));

        // Not forwarded, it still names the actor's instance; the queue finds both by it.
        let kept = bob.post("/api/v1/reports", report(sam, false)).await;
        assert_eq!(kept.status, 201, "{}", kept.text);
        assert_eq!(queued(&mia, "other.example").await, 2);
        assert_eq!(queued(&mia, "local").await, 0);

        // Suspended here in answer to the report: the report lists the decision.
        let decided = mia
            .post(
                "/api/v1/moderation/decisions",
                json!({"action": "suspend", "target": {"kind": "remote_actor", "actor": sam},
                       "reason": "Spam", "report": id}),
            )
            .await;
        assert_eq!(decided.status, 201, "{}", decided.text);
        let detail = mia.get(&format!("/api/v1/moderation/reports/{id}")).await;
        assert_eq!(
            detail.json["decisions"][0]["change"], "RemoteActorSuspended",
            "{}",
            detail.text
        );
        assert_eq!(detail.json["evidence"]["state"]["name"], "Sam");

        // The API's description names the target.
        let doc = server.client().get("/api/v1/openapi.json").await;
        let target = doc.json["components"]["schemas"]["Target"].to_string();
        assert!(target.contains("remote_actor"), "{target}");
    }
}
