//! Two instances on 127.0.0.1: a profile on A follows a profile on B, so A knows B's actor;
//! another account on A reports that actor and asks for the report to be sent on. B's moderation queue
//! then holds a report of its own profile with the reason A's reporter gave, sent by A's
//! instance: A's reporter is named nowhere in what B received.

use crate::federation::{each_pair, follows, someone, start};
use crate::organising::{create_administrator, log_in, ok};
use serde_json::{json, Value};

const REASON: &str = "Sends the same advert to every event";

#[test]
fn a_report_forwarded_from_one_instance_reaches_the_other_s_moderators_without_its_reporter() {
    each_pair("flags", |a_db, b_db| {
        let a = start(&a_db.url);
        let b = start(&b_db.url);
        // Ana's follow makes B's actor known on A; the reporter, a name found nowhere else in
        // the story, is looked for in everything B holds about the report.
        someone(&a, "ana");
        let reporter = someone(&a, "quillonette");
        someone(&b, "bob");
        follows((&a, &a_db.url), "ana", &b, "bob");
        create_administrator(&b_db.url, "admin@b.example");
        let moderator = log_in(&b, "admin@b.example");

        let bob = format!("{}/@bob", b.base);
        let filed = ok(
            &a,
            "POST",
            "/api/v1/reports",
            &reporter,
            Some(json!({
                "target": {"kind": "remote_actor", "url": bob},
                "category": {"kind": "spam"},
                "comment": REASON,
                "forward": true,
            })),
        );
        assert_eq!(filed["state"], "open", "{filed}");

        b.wait_until(|b| !received(b, &moderator).is_empty());
        let queue = received(&b, &moderator);
        assert_eq!(queue.len(), 1, "{queue:?}");
        let report = &queue[0];
        let a_host = a.base.trim_start_matches("http://");
        assert_eq!(
            (
                &report["target_kind"],
                &report["target_id"],
                &report["comment"],
                &report["reporter"],
                &report["received_from"],
            ),
            (
                &json!("profile"),
                &json!("bob"),
                &json!(REASON),
                &Value::Null,
                &json!(a_host),
            ),
            "{report}"
        );
        let id = report["id"].as_str().expect("an id");
        let detail = ok(
            &b,
            "GET",
            &format!("/api/v1/moderation/reports/{id}"),
            &moderator,
            None,
        );
        assert!(
            detail["federated"]["flag"]
                .as_str()
                .is_some_and(|flag| flag.starts_with(&a.base)),
            "the Flag A's instance sent: {detail}"
        );
        let everything = format!("{detail}");
        assert!(
            !everything.contains("quillonette"),
            "A's reporter is named nowhere on B: {everything}"
        );
        a.stop();
        b.stop();
    });
}

/// The reports B received from another instance.
fn received(b: &crate::support::Server, moderator: &crate::support::Caller) -> Vec<Value> {
    let (status, queue) = b.call("GET", "/api/v1/moderation/reports", moderator, None);
    assert_eq!(status, 200, "{queue}");
    queue
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter(|r| !r["received_from"].is_null())
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// A profile on A reports an actor of B it never met, by its handle: A finds it with WebFinger
/// and files the report on its actor; a handle that leads nowhere is refused on the field, with
/// nothing recorded.
#[test]
fn an_actor_of_another_instance_is_reported_by_its_handle() {
    each_pair("flags by handle", |a_db, b_db| {
        let a = start(&a_db.url);
        let b = start(&b_db.url);
        let reporter = someone(&a, "ana");
        someone(&b, "bob");
        create_administrator(&b_db.url, "admin@b.example");
        let moderator = log_in(&b, "admin@b.example");
        let b_host = b.base.trim_start_matches("http://");
        let report = |who: String| {
            json!({
                "target": {"kind": "remote_actor", "url": who},
                "category": {"kind": "spam"},
                "comment": REASON,
                "forward": true,
            })
        };

        let (status, refused) = a.call(
            "POST",
            "/api/v1/reports",
            &reporter,
            Some(report(format!("@nobody@{b_host}"))),
        );
        assert_eq!(status, 422, "{refused}");
        assert_eq!(refused["errors"][0]["field"], "target.url", "{refused}");
        let a_host = a.base.trim_start_matches("http://");
        let (status, refused) = a.call(
            "POST",
            "/api/v1/reports",
            &reporter,
            Some(report(format!("@ana@{a_host}"))),
        );
        assert_eq!(status, 422, "{refused}");
        assert!(
            format!("{refused}").contains("is on this instance"),
            "{refused}"
        );

        let filed = ok(
            &a,
            "POST",
            "/api/v1/reports",
            &reporter,
            Some(report(format!("@bob@{b_host}"))),
        );
        assert_eq!(filed["state"], "open", "{filed}");
        b.wait_until(|b| !received(b, &moderator).is_empty());
        let queue = received(&b, &moderator);
        assert_eq!(
            (&queue[0]["target_kind"], &queue[0]["target_id"]),
            (&json!("profile"), &json!("bob")),
            "{queue:?}"
        );
        a.stop();
        b.stop();
    });
}
