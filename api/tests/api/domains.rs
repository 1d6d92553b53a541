//! Administrators' decisions on other instances' domains: suspend (content shown to moderators
//! only), limit (out of public listings), lift (everything back, since nothing was deleted);
//! administrators only, with the impact counted before deciding, refusals naming the field, and
//! timed decisions ending by themselves.

use crate::reports::{fields, give_role, kind};
use crate::support::{create_event, member, profile, Client, Options, TestServer};
use convene_api::remote_events::{self, FromRemote};
use convene_domain::event::{EventDetails, RemoteAuthor, RemoteOrigin};
use convene_domain::Role;
use convene_projections::scratch::test_urls;
use serde_json::{json, Value};
use time::OffsetDateTime;

pub(crate) fn from(actor: &str) -> FromRemote {
    FromRemote {
        actor: actor.into(),
        activity: format!("{actor}/activities/{}", uuid::Uuid::new_v4()),
        request_id: uuid::Uuid::new_v4().to_string(),
    }
}

/// An event organised by `name` on `host`, as the inbox records a Create; its id here.
pub(crate) async fn remote_event(
    server: &TestServer,
    name: &str,
    host: &str,
    title: &str,
) -> String {
    let actor = format!("https://{host}/@{name}");
    let details: EventDetails = serde_json::from_value(json!({
        "title": title,
        "begins_at": "2031-06-01T12:00:00Z",
        "time_zone": "Europe/Paris",
    }))
    .expect("details");
    let origin = RemoteOrigin {
        object: format!("https://{host}/events/{}", uuid::Uuid::new_v4()),
        actor: actor.clone(),
        actor_handle: format!("{name}@{host}"),
        actor_name: None,
        url: format!("https://{host}/events/page"),
        inbox: Some(format!("https://{host}/inbox")),
    };
    remote_events::import_event(&server.state, &from(&actor), origin, details, None)
        .await
        .expect("import")
}

async fn decide(
    client: &Client,
    action: &str,
    domain: &str,
    extra: Value,
) -> crate::support::Response {
    let mut body = json!({"action": action, "target": {"kind": "domain", "domain": domain},
                          "reason": "a spam wave"});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    client.post("/api/v1/moderation/decisions", body).await
}

async fn listed(client: &Client, id: &str) -> bool {
    let all = client.get("/api/v1/events").await;
    all.json
        .as_array()
        .is_some_and(|events| events.iter().any(|e| e["id"] == id))
}

#[tokio::test]
async fn a_suspended_domain_s_content_is_hidden_until_the_decision_is_lifted() {
    for scratch in test_urls("domain_decisions").await {
        let server = TestServer::start_with(&scratch, Options::default()).await;
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let admin = member(&server, "admin@example.org").await;
        give_role(&server, &admin, Role::Administrator).await;
        let mia = member(&server, "mia@example.org").await;
        give_role(&server, &mia, Role::Moderator).await;
        let visitor = server.client();

        let spam = remote_event(&server, "spam", "events.bad.example", "Cheap pills").await;
        let good = remote_event(&server, "ana", "good.example", "Repair café").await;
        let local = create_event(&org, json!({"title": "Climate march"})).await["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let actor = "https://bad.example/@spam";
        let author = RemoteAuthor {
            actor: actor.into(),
            handle: "spam@bad.example".into(),
            note: "https://bad.example/notes/1".into(),
        };
        let base = server
            .state
            .config
            .public_url
            .trim_end_matches('/')
            .to_string();
        remote_events::post_comment(
            &server.state,
            &from(actor),
            author,
            &format!("{base}/events/{local}"),
            "buy now",
            &[],
        )
        .await
        .expect("a remote comment");
        assert!(listed(&visitor, &spam).await && listed(&visitor, &good).await);

        // Before deciding: what a decision would touch.
        let standing = mia.get("/api/v1/moderation/domains/Bad.Example").await;
        assert_eq!(standing.status, 200, "{}", standing.text);
        assert_eq!(standing.json["domain"], "bad.example");
        assert_eq!(standing.json["decision"], Value::Null);
        assert_eq!(standing.json["impact"]["events"], 1);
        assert_eq!(standing.json["impact"]["comments"], 1);
        assert_eq!(visitor.get("/api/v1/moderation/domains").await.status, 401);

        // Moderators read, administrators decide.
        let refused = decide(&mia, "suspend", "bad.example", json!({})).await;
        assert_eq!(refused.status, 403, "{}", refused.text);

        let suspended = decide(
            &admin,
            "suspend",
            "bad.example",
            json!({"public_comment": "Spam"}),
        )
        .await;
        assert_eq!(suspended.status, 201, "{}", suspended.text);
        assert_eq!(suspended.json["change"], "DomainSuspended");

        // Out of listings, a tombstone for visitors, still there for moderators.
        assert!(!listed(&visitor, &spam).await);
        assert!(listed(&visitor, &good).await);
        let page = visitor.get(&format!("/api/v1/events/{spam}")).await;
        assert_eq!(page.status, 404, "{}", page.text);
        assert_eq!(mia.get(&format!("/api/v1/events/{spam}")).await.status, 200);
        let comments = visitor
            .get(&format!("/api/v1/events/{local}/comments"))
            .await;
        assert_eq!(comments.json[0]["author"], "spam@bad.example");
        assert_eq!(comments.json[0]["body"], Value::Null, "{}", comments.text);

        let again = decide(&admin, "suspend", "bad.example", json!({})).await;
        assert_eq!(again.status, 409, "{}", again.text);
        assert_eq!(kind(&again), "/problems/already-decided");

        let all = mia.get("/api/v1/moderation/domains").await;
        assert_eq!(all.json[0]["domain"], "bad.example");
        assert_eq!(all.json[0]["decision"]["action"], "suspend");
        assert_eq!(all.json[0]["decision"]["public_comment"], "Spam");
        assert_eq!(all.json[0]["decision"]["reason"], "a spam wave");
        assert_eq!(all.json[0]["impact"]["events"], 1);

        // Limited: federating, its pages reachable, out of public listings.
        let limited = decide(&admin, "limit", "bad.example", json!({})).await;
        assert_eq!(limited.status, 201, "{}", limited.text);
        assert!(!listed(&visitor, &spam).await);
        assert_eq!(
            visitor.get(&format!("/api/v1/events/{spam}")).await.status,
            200
        );

        // Lifted: everything as it was.
        let lifted = decide(&admin, "lift", "bad.example", json!({})).await;
        assert_eq!(lifted.status, 201, "{}", lifted.text);
        assert!(listed(&visitor, &spam).await);
        let comments = visitor
            .get(&format!("/api/v1/events/{local}/comments"))
            .await;
        assert_eq!(comments.json[0]["body"], "buy now");
        assert_eq!(mia.get("/api/v1/moderation/domains").await.json, json!([]));

        // Every decision is in the audit trail, under the domain.
        let trail = mia
            .get("/api/v1/moderation/audit?target_kind=domain&target_id=bad.example")
            .await;
        let changes: Vec<&str> = trail.json["entries"]
            .as_array()
            .map(|e| e.iter().filter_map(|e| e["change"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            changes,
            ["DomainLifted", "DomainLimited", "DomainSuspended"],
            "{}",
            trail.text
        );
        // The suspension names what it covers: the domain's event and comment.
        let hides = &trail.json["entries"][2]["hides"];
        assert_eq!(hides["counts"]["events"], 1, "{}", trail.text);
        assert_eq!(hides["counts"]["comments"], 1, "{}", trail.text);
        assert_eq!(hides["events"][0]["title"], "Cheap pills", "{}", trail.text);
        assert!(
            trail.json["entries"][1]["hides"].is_null(),
            "{}",
            trail.text
        );
    }
}

#[tokio::test]
async fn bad_domain_decisions_name_what_to_fix_and_write_nothing() {
    for scratch in test_urls("domain_refusals").await {
        let server = TestServer::start_with(&scratch, Options::default()).await;
        let admin = member(&server, "admin@example.org").await;
        give_role(&server, &admin, Role::Administrator).await;
        let head = server.head().await;
        let own = server.base.trim_start_matches("http://").to_string();
        for (domain, extra, field) in [
            ("https://bad.example/", json!({}), "target.domain"),
            ("ana@bad.example", json!({}), "target.domain"),
            (own.as_str(), json!({}), "target.domain"),
            ("bad.example", json!({"reason": " "}), "reason"),
            (
                "bad.example",
                json!({"public_comment": "x".repeat(501)}),
                "public_comment",
            ),
            (
                "bad.example",
                json!({"until": "2001-01-01T00:00:00Z"}),
                "until",
            ),
        ] {
            let refused = decide(&admin, "suspend", domain, extra).await;
            assert_eq!(refused.status, 422, "{domain}: {}", refused.text);
            assert_eq!(fields(&refused), [field], "{domain}: {}", refused.text);
        }
        let wrong = decide(&admin, "hide", "bad.example", json!({})).await;
        assert_eq!(fields(&wrong), ["action"], "{}", wrong.text);
        let nothing = decide(&admin, "lift", "bad.example", json!({})).await;
        assert_eq!(nothing.status, 409, "{}", nothing.text);
        let comment_elsewhere = admin
            .post(
                "/api/v1/moderation/decisions",
                json!({"action": "warn", "target": {"kind": "account", "id": "x"},
                       "reason": "r", "public_comment": "x".repeat(501)}),
            )
            .await;
        assert_eq!(fields(&comment_elsewhere), ["public_comment"]);
        assert_eq!(server.head().await, head, "nothing written");
        let bad = admin
            .get("/api/v1/moderation/domains/not%20a%20domain")
            .await;
        assert_eq!(bad.status, 422, "{}", bad.text);
    }
}

#[tokio::test]
async fn a_timed_suspension_ends_by_itself_giving_way_to_the_decision_before_it() {
    for scratch in test_urls("domain_timed").await {
        let server = TestServer::start_with(&scratch, Options::default()).await;
        let admin = member(&server, "admin@example.org").await;
        give_role(&server, &admin, Role::Administrator).await;
        let spam = remote_event(&server, "spam", "bad.example", "Cheap pills").await;
        let limited = decide(&admin, "limit", "bad.example", json!({})).await;
        assert_eq!(limited.status, 201, "{}", limited.text);
        let until = OffsetDateTime::now_utc() + time::Duration::hours(1);
        let until_text = until
            .format(&time::format_description::well_known::Rfc3339)
            .expect("format");
        let suspended = decide(
            &admin,
            "suspend",
            "bad.example",
            json!({"until": until_text}),
        )
        .await;
        assert_eq!(suspended.status, 201, "{}", suspended.text);
        assert!(!listed(&server.client(), &spam).await);
        let later = until + time::Duration::seconds(1);
        let ended = convene_api::moderation::end_due(&server.state, later)
            .await
            .expect("end due decisions");
        assert_eq!(ended, 1);
        // It gives way to the limit in force before it, not to nothing.
        let all = admin.get("/api/v1/moderation/domains").await;
        assert_eq!(all.json[0]["decision"]["action"], "limit", "{}", all.text);
        assert!(!listed(&server.client(), &spam).await);
        let page = server.client().get(&format!("/api/v1/events/{spam}")).await;
        assert_eq!(page.status, 200, "limited, not suspended: {}", page.text);
        let lifted = decide(&admin, "lift", "bad.example", json!({})).await;
        assert_eq!(lifted.status, 201, "{}", lifted.text);
        assert!(listed(&server.client(), &spam).await);
    }
}

#[tokio::test]
async fn the_public_list_shows_decisions_without_reasons_only_when_the_instance_publishes_it() {
    for public in [false, true] {
        for scratch in test_urls("domain_public_list").await {
            let options = Options {
                public_domain_decisions: public,
                ..Options::default()
            };
            let server = TestServer::start_with(&scratch, options).await;
            let admin = member(&server, &format!("admin{public}@example.org")).await;
            give_role(&server, &admin, Role::Administrator).await;
            let domain = format!("bad{public}.example");
            let decided = decide(&admin, "limit", &domain, json!({"public_comment": "Spam"})).await;
            assert_eq!(decided.status, 201, "{}", decided.text);
            let list = server
                .client()
                .get("/api/v1/instance/domain-decisions")
                .await;
            if !public {
                assert_eq!(list.status, 404, "{}", list.text);
                continue;
            }
            assert_eq!(list.status, 200, "{}", list.text);
            let entry = list
                .json
                .as_array()
                .and_then(|l| l.first())
                .cloned()
                .unwrap_or_default();
            assert_eq!(entry["domain"], domain.as_str());
            assert_eq!(entry["action"], "limit");
            assert_eq!(entry["public_comment"], "Spam");
            assert!(
                !list.text.contains("a spam wave"),
                "the reason stays with moderators: {}",
                list.text
            );
        }
    }
}

#[tokio::test]
async fn media_and_reports_are_rejected_apart_from_a_limit_and_a_timed_rejection_ends_alone() {
    for scratch in test_urls("domain_policies").await {
        let options = Options {
            public_domain_decisions: true,
            ..Options::default()
        };
        let server = TestServer::start_with(&scratch, options).await;
        let admin = member(&server, "admin@example.org").await;
        give_role(&server, &admin, Role::Administrator).await;
        let limited = decide(&admin, "limit", "bad.example", json!({})).await;
        assert_eq!(limited.status, 201, "{}", limited.text);
        let until = OffsetDateTime::now_utc() + time::Duration::hours(1);
        let until_text = until
            .format(&time::format_description::well_known::Rfc3339)
            .expect("format");
        let media = decide(
            &admin,
            "reject_media",
            "bad.example",
            json!({"until": until_text, "public_comment": "Shock pictures"}),
        )
        .await;
        assert_eq!(media.status, 201, "{}", media.text);
        let reports = decide(&admin, "reject_reports", "bad.example", json!({})).await;
        assert_eq!(reports.status, 201, "{}", reports.text);
        let again = decide(&admin, "reject_reports", "bad.example", json!({})).await;
        assert_eq!(again.status, 409, "{}", again.text);
        let nothing = decide(&admin, "accept_media", "calm.example", json!({})).await;
        assert_eq!(nothing.status, 409, "{}", nothing.text);

        let standing = admin.get("/api/v1/moderation/domains/bad.example").await;
        assert_eq!(
            standing.json["decision"]["action"], "limit",
            "{}",
            standing.text
        );
        let policies: Vec<&str> = standing.json["policies"]
            .as_array()
            .map(|p| p.iter().filter_map(|p| p["action"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            policies,
            ["reject_media", "reject_reports"],
            "{}",
            standing.text
        );
        let public = server
            .client()
            .get("/api/v1/instance/domain-decisions")
            .await;
        let listed: Vec<&str> = public
            .json
            .as_array()
            .map(|l| l.iter().filter_map(|d| d["action"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(listed.len(), 3, "{}", public.text);
        assert!(listed.contains(&"reject_media"), "{}", public.text);

        // Lifting the limit leaves the policies; the timed one ends alone, the rest stays.
        let lifted = decide(&admin, "lift", "bad.example", json!({})).await;
        assert_eq!(lifted.status, 201, "{}", lifted.text);
        let ended =
            convene_api::moderation::end_due(&server.state, until + time::Duration::seconds(1))
                .await
                .expect("end due decisions");
        assert_eq!(ended, 1);
        let standing = admin.get("/api/v1/moderation/domains/bad.example").await;
        assert_eq!(standing.json["decision"], Value::Null, "{}", standing.text);
        assert_eq!(
            standing.json["policies"][0]["action"], "reject_reports",
            "{}",
            standing.text
        );
        assert_eq!(standing.json["policies"].as_array().map(Vec::len), Some(1));

        // A policy is the administrators'; a wrong action names what a domain takes.
        let moderator = member(&server, "moderator@example.org").await;
        give_role(&server, &moderator, Role::Moderator).await;
        let refused = decide(&moderator, "accept_reports", "bad.example", json!({})).await;
        assert_eq!(refused.status, 403, "{}", refused.text);
        let wrong = decide(&admin, "unsuspend", "bad.example", json!({})).await;
        assert_eq!(wrong.status, 422, "{}", wrong.text);
        assert!(wrong.text.contains("reject_media"), "{}", wrong.text);
    }
}
