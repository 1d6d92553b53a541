//! Every activity among the fixtures from real peers, posted signed to the inbox: its actor's
//! origin is moved to a server on 127.0.0.1 (which serves the actor with a test key), the rest
//! is as the peer sent it. Each is imported with the fields the reader gives, or answered with
//! a status and a reason; none gets a 5xx or a 401.

use crate::support::*;
use convene_api::remote_events::event_id;
use convene_federation::incoming::{self, values, Incoming, IncomingObject, ObjectRef};
use convene_federation::objects::ActivityKind;
use convene_projections::events;
use convene_projections::scratch::test_urls;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub(crate) fn fixtures() -> Option<PathBuf> {
    let folder =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/activitypub");
    if folder.is_dir() {
        return Some(folder);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the ActivityPub fixtures are not at {}",
        folder.display()
    );
    eprintln!(
        "*** inbox fixtures: SKIPPED: no fixtures at {} ***",
        folder.display()
    );
    None
}

fn json_files(folder: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(folder)
        .expect("a readable folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            json_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "json") {
            found.push(path);
        }
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    Some(parsed.origin().ascii_serialization())
}

#[tokio::test]
async fn every_fixture_activity_is_imported_or_answered_with_a_reason() {
    let Some(folder) = fixtures() else { return };
    let mut files = Vec::new();
    json_files(&folder, &mut files);
    for scratch in test_urls("inbox_fixtures").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let mut imported = 0;
        let mut ids = std::collections::HashSet::new();
        for path in &files {
            let name = path
                .strip_prefix(&folder)
                .expect("as the test set it up")
                .display()
                .to_string();
            let text = std::fs::read_to_string(path).expect("readable");
            let Ok(value) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            let Some(actor) = value.get("actor").and_then(values::id_of) else {
                continue; // Actors, objects and collections are fetched, not posted.
            };
            let Some(origin) = origin_of(actor) else {
                continue;
            };
            // The peer's server is ours now: its actor serves a test key.
            let text = text
                .replace(&format!("{origin}/"), &format!("{}/", remote.base))
                .replace(&format!("{origin}\""), &format!("{}\"", remote.base));
            let value: Value = serde_json::from_str(&text).expect("still JSON");
            let actor = value
                .get("actor")
                .and_then(values::id_of)
                .expect("as the test set it up")
                .to_string();
            let path_of_actor = actor
                .strip_prefix(&format!("{}/", remote.base))
                .unwrap_or_default()
                .to_string();
            let username: String = path_of_actor
                .rsplit('/')
                .next()
                .unwrap_or("someone")
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            remote.serve(
                &path_of_actor,
                json!({
                    "id": actor,
                    "type": "Person",
                    "preferredUsername": username,
                    "inbox": format!("{actor}/inbox"),
                    "publicKey": {"id": format!("{actor}#main-key"), "owner": actor, "publicKeyPem": ALICE_PUB},
                }),
            );
            let key_id = format!("{actor}#main-key");
            let signing = Signing::Cavage {
                key_id: &key_id,
                key: ALICE_KEY,
            };
            let (status, reason) = post(
                &local,
                "/inbox",
                text.as_bytes(),
                signing,
                SystemTime::now(),
            )
            .await;
            eprintln!("{}: {name}: {status} {reason}", local.label);
            assert!(
                status < 500 && status != 401,
                "{}: {name}: {status} {reason}",
                local.label
            );
            assert!(
                status == 202 || !reason.is_empty(),
                "{name}: a refusal says why"
            );
            // A Create of an Event by its organiser is imported as the reader read it.
            if let Ok(Incoming::Activity(activity)) = incoming::parse(&value) {
                if let ObjectRef::Object(IncomingObject::Event(e)) = &activity.object {
                    if activity.kind == ActivityKind::Create && e.actor == activity.actor {
                        assert_eq!(status, 202, "{name}: {reason}");
                        let view = events::find(local.db.pool(), &event_id(&e.id))
                            .await
                            .expect("read model")
                            .unwrap_or_else(|| panic!("{name}: imported"));
                        // Three Mobilizon fixtures share one event id and differ only by their
                        // picture: the first one imported stays.
                        let (mut shown, mut read) = (view.details.clone(), e.details.clone());
                        if !ids.insert(e.id.clone()) {
                            shown.remote_picture = None;
                            read.remote_picture = None;
                        }
                        assert_eq!(shown, read, "{name}");
                        imported += 1;
                    }
                }
            }
        }
        assert!(imported >= 5, "{}: {imported} events imported", local.label);
    }
}
