//! The incident, with the real binary on SQLite and PostgreSQL: a hijacked account creates 20
//! spam events, comments on 30 events of others, renames its profile and joins 10 events, while
//! other people keep acting on the same events. An administrator finds it all in the audit
//! trail by account and window, previews the revert (it lists exactly those changes), applies
//! it: the public listing is again what it was before the incident plus the others' changes,
//! which are all kept; `verify` passes; the revert is in the audit trail; an export of the
//! incident verifies, and fails once one byte of it is edited.

use crate::organising::{create_administrator, member, ok};
use crate::support::{run, run_ok, Caller, Server};
use convene_projections::scratch::test_urls;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Now, as the window's bounds are written, a moment apart from the changes around it.
fn instant() -> String {
    std::thread::sleep(std::time::Duration::from_millis(20));
    let now = OffsetDateTime::now_utc().format(&Rfc3339).expect("format");
    std::thread::sleep(std::time::Duration::from_millis(20));
    now
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap_or_default().to_string()
}

fn new_event(server: &Server, who: &Caller, title: &str) -> String {
    id(&ok(
        server,
        "POST",
        "/api/v1/events",
        who,
        Some(json!({"title": title, "begins_at": "2031-05-01T18:00:00Z",
                    "time_zone": "Europe/Paris"})),
    ))
}

/// Every public upcoming event, as id → title.
fn listing(server: &Server) -> BTreeMap<String, String> {
    let mut all = BTreeMap::new();
    for page in 1.. {
        let (status, events) = server.get(&format!("/api/v1/events?per_page=100&page={page}"));
        assert_eq!(status, 200, "{events}");
        let events = events.as_array().cloned().unwrap_or_default();
        if events.is_empty() {
            return all;
        }
        for event in events {
            all.insert(
                id(&event),
                event["title"].as_str().unwrap_or_default().into(),
            );
        }
    }
    all
}

/// Every audit-trail entry matching `query`, newest first.
fn trail(server: &Server, admin: &Caller, query: &str) -> Vec<Value> {
    let mut entries = Vec::new();
    for page in 1.. {
        let page = ok(
            server,
            "GET",
            &format!("/api/v1/moderation/audit?{query}&page={page}"),
            admin,
            None,
        );
        entries.extend(page["entries"].as_array().cloned().unwrap_or_default());
        if page["more"] != true {
            return entries;
        }
    }
    entries
}

#[test]
fn a_hijacked_account_s_spam_wave_is_found_reverted_and_exported_for_the_record() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for database in runtime.block_on(test_urls("scenario incident")) {
        let url = &database.url;
        create_administrator(url, "admin@example.org");
        let server = Server::start(url);
        let admin = crate::organising::log_in(&server, "admin@example.org");
        let mut people = BTreeMap::new();
        for name in ["ana", "bob", "carol"] {
            let caller = member(&server, &format!("{name}@example.org"));
            ok(
                &server,
                "POST",
                "/api/v1/profiles",
                &caller,
                Some(json!({"username": name, "display_name": name.to_uppercase()})),
            );
            people.insert(name, caller.as_profile(name));
        }
        let (ana, bob, carol) = (&people["ana"], &people["bob"], &people["carol"]);
        let (_, me) = server.call("GET", "/api/v1/me", ana, None);
        let ana_id = me["account"]["id"].as_str().unwrap_or_default().to_string();
        let anas: Vec<String> = (0..3)
            .map(|i| new_event(&server, ana, &format!("Repair café {i}")))
            .collect();
        let bobs: Vec<String> = (0..30)
            .map(|i| new_event(&server, bob, &format!("Night walk {i}")))
            .collect();
        let before = listing(&server);

        let from = instant();
        let mut spam = BTreeSet::new();
        for (i, walk) in bobs.iter().enumerate() {
            if i < 20 {
                spam.insert(new_event(&server, ana, &format!("Cheap pills {i}")));
            }
            let path = format!("/api/v1/events/{walk}/comments");
            ok(
                &server,
                "POST",
                &path,
                ana,
                Some(json!({"body": "pills, cheap"})),
            );
            if i < 10 {
                let path = format!("/api/v1/events/{walk}/participations");
                ok(&server, "POST", &path, ana, Some(json!({})));
            }
            // Meanwhile, the others go on.
            if i < 5 {
                let path = format!("/api/v1/events/{walk}");
                let title = format!("Night walk {i} (moved)");
                ok(
                    &server,
                    "PATCH",
                    &path,
                    bob,
                    Some(json!({ "title": title })),
                );
                let path = format!("/api/v1/events/{walk}/comments");
                ok(
                    &server,
                    "POST",
                    &path,
                    carol,
                    Some(json!({"body": "I'll come"})),
                );
            }
            if i < 3 {
                let path = format!("/api/v1/events/{}/participations", anas[i]);
                ok(&server, "POST", &path, carol, Some(json!({})));
            }
        }
        ok(
            &server,
            "PATCH",
            "/api/v1/profiles/ana",
            ana,
            Some(json!({"display_name": "CHEAP PILLS"})),
        );
        let to = instant();

        // The administrator finds it all by account and window.
        let window = format!("account={ana_id}&from={from}&to={to}");
        let found = trail(&server, &admin, &window);
        let count = |change: &str| found.iter().filter(|e| e["change"] == change).count();
        assert_eq!(count("EventCreated"), 20);
        assert_eq!(count("CommentPosted"), 30);
        assert_eq!(count("ParticipantJoined"), 10);
        assert_eq!(count("ProfileRenamed"), 1);
        let positions: BTreeSet<i64> = found
            .iter()
            .filter_map(|e| e["position"].as_i64())
            .collect();

        let ask = json!({"account": ana_id, "from": from, "to": to,
                         "reason": "the account was taken over: spam wave"});
        let plan = ok(
            &server,
            "POST",
            "/api/v1/moderation/reverts",
            &admin,
            Some(ask.clone()),
        );
        let steps = plan["steps"].as_array().cloned().unwrap_or_default();
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        for step in &steps {
            *kinds
                .entry(step["action"].as_str().unwrap_or_default().into())
                .or_default() += 1;
        }
        let expected: BTreeMap<String, usize> = [
            ("remove_event", 20),
            ("remove_comment", 30),
            ("leave_event", 10),
            ("restore_profile", 1),
            ("lock_out", 1),
        ]
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect();
        assert_eq!(kinds, expected, "{plan}");
        let reverted: BTreeSet<i64> = steps
            .iter()
            .flat_map(|s| s["reverts"].as_array().cloned().unwrap_or_default())
            .filter_map(|p| p.as_i64())
            .collect();
        assert_eq!(
            reverted, positions,
            "the plan undoes exactly the window's changes"
        );
        assert_eq!(plan["conflicts"], json!([]), "{plan}");
        assert_eq!(
            listing(&server).len(),
            before.len() + 20,
            "nothing written yet"
        );

        let mut apply = ask.clone();
        apply["apply"] = json!(true);
        let done = ok(
            &server,
            "POST",
            "/api/v1/moderation/reverts",
            &admin,
            Some(apply),
        );
        assert_eq!(done["failed"], json!([]), "{done}");

        // As before the incident, with everyone else's changes kept.
        let mut expected = before.clone();
        for (i, walk) in bobs.iter().take(5).enumerate() {
            expected.insert(walk.clone(), format!("Night walk {i} (moved)"));
        }
        assert_eq!(listing(&server), expected);
        for (i, walk) in bobs.iter().enumerate() {
            let (_, comments) = server.get(&format!("/api/v1/events/{walk}/comments"));
            let shown: Vec<&Value> = comments
                .as_array()
                .map(|c| {
                    c.iter()
                        .filter(|c| c["removed_by_moderators"] != true)
                        .collect()
                })
                .unwrap_or_default();
            let carols = usize::from(i < 5);
            assert_eq!(shown.len(), carols, "{walk}: {comments}");
        }
        let (_, profile) = server.get("/api/v1/profiles/ana");
        assert_eq!(profile["display_name"], "ANA");
        for event in &spam {
            assert_eq!(server.get(&format!("/api/v1/events/{event}")).0, 404);
        }
        let (status, _) = server.call("GET", "/api/v1/me", ana, None);
        assert_eq!(status, 401, "locked out");
        ok(
            &server,
            "POST",
            "/api/v1/profiles",
            &admin,
            Some(json!({"username": "admin", "display_name": "Admin"})),
        );
        for event in &anas {
            let path = format!("/api/v1/events/{event}/participations");
            let listed = ok(&server, "GET", &path, &admin.as_profile("admin"), None);
            assert!(
                listed.to_string().contains("carol"),
                "carol's joins stay: {listed}"
            );
        }

        // The revert is in the trail, with its consequences under its request id.
        let decided = trail(&server, &admin, "change=AccountReverted");
        assert_eq!(decided.len(), 1);
        assert!(decided[0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("spam wave"));
        let request = decided[0]["request_id"].as_str().unwrap_or_default();
        let consequences = trail(&server, &admin, &format!("request_id={request}"));
        assert_eq!(consequences.len(), steps.len() + 1);

        server.stop();
        let verified = run_ok(url, &["verify"]);
        assert!(verified.contains("verified"), "{verified}");

        // The incident, exported for the record, verifies; one byte edited does not.
        let folder = tempfile::tempdir().expect("a folder");
        let file = folder.path().join("incident.jsonl");
        let file_text = file.to_string_lossy().to_string();
        run_ok(
            url,
            &[
                "audit", "export", "--from", &from, "--to", &to, "-o", &file_text,
            ],
        );
        let checked = run(url, &["audit", "check", &file_text]);
        assert!(
            checked.status.success(),
            "{}",
            String::from_utf8_lossy(&checked.stderr)
        );
        let text = std::fs::read_to_string(&file).expect("the export");
        let edited = text.replacen("pills, cheap", "pills, cheaP", 1);
        assert_ne!(edited, text);
        std::fs::write(&file, edited).expect("write");
        let checked = run(url, &["audit", "check", &file_text]);
        assert!(
            !checked.status.success(),
            "an edited export fails its check"
        );
    }
}
