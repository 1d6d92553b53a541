//! `Update`s of remote actors (Mastodon's and Mobilizon's Person, a Group): the cached actor is
//! replaced by the document its own actor sends, and nobody updates someone else.

use super::support::*;
use super::{bytes, now};
use convene_projections::scratch::test_urls;
use serde_json::{json, Value};
use sqlx::Row;

/// A fixture moved from `host` to the remote test server, or `None` (said) when absent.
fn fixture(remote: &Remote, file: &str, host: &str) -> Option<Value> {
    let path = format!(
        "{}/../../shared/fixtures/activitypub/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let Ok(text) = std::fs::read_to_string(&path) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "no fixture at {path}"
        );
        eprintln!("*** actor updates: SKIPPED: no fixture at {path} ***");
        return None;
    };
    Some(serde_json::from_str(&text.replace(host, &remote.base)).expect("the fixture is JSON"))
}

/// Serves `document` at its id on `remote`.
fn serve_at_id(remote: &Remote, document: &Value) {
    let id = document["id"].as_str().expect("an id");
    let path = id
        .strip_prefix(&format!("{}/", remote.base))
        .expect("on the remote server");
    remote.serve(path, document.clone());
}

/// `(kind, name, key)` of the cached remote actor `id`.
async fn cached(local: &Local, id: &str) -> Option<(String, Option<String>, String)> {
    let row = sqlx::query("SELECT kind, name, public_key_pem FROM remote_actors WHERE id = $1")
        .bind(id)
        .fetch_optional(local.db.pool())
        .await
        .expect("the cache");
    row.map(|row| (row.get("kind"), row.get("name"), row.get("public_key_pem")))
}

fn signed_as<'a>(key_id: &'a str, key: &'a str) -> Signing<'a> {
    Signing::Cavage { key_id, key }
}

#[tokio::test]
async fn mastodons_update_of_a_person_refreshes_its_name_and_key() {
    for scratch in test_urls("inbox_update_person").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let Some(mut update) = fixture(
            &remote,
            "mobilizon/mastodon-update.json",
            "https://framapiaf.org",
        ) else {
            return;
        };
        // Before: the actor as first fetched, with Alice's key; its Update rotates to Bob's.
        let actor = remote.person("framasoft", ALICE_PUB);
        assert_eq!(update["actor"], actor.as_str(), "the fixture's actor");
        update["id"] = json!(format!("{actor}#updates/1519563538"));
        update["object"]["publicKey"]["publicKeyPem"] = json!(BOB_PUB);
        let key_id = format!("{actor}#main-key");
        let (status, text) = post(
            &local,
            "/inbox",
            &bytes(&update),
            signed_as(&key_id, ALICE_KEY),
            now(),
        )
        .await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let (kind, name, key) = cached(&local, &actor).await.expect("cached");
        assert_eq!(kind, "Person");
        assert_eq!(name.as_deref(), Some("nextsoft"), "{}", local.label);
        assert_eq!(key, BOB_PUB);

        // From now on its activities are verified with the new key, and show the new name,
        // although its server still serves the old document.
        let create = activity("Create", &actor, 7, event(&actor, 1, "Fediverse meetup"));
        let (status, text) = post(
            &local,
            "/inbox",
            &bytes(&create),
            signed_as(&key_id, BOB_KEY),
            now(),
        )
        .await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let object = create["object"]["id"].as_str().expect("an id");
        let view = convene_projections::events::find(
            local.db.pool(),
            &convene_api::remote_events::event_id(object),
        )
        .await
        .expect("the read model")
        .expect("imported");
        let origin = view.origin.expect("remote");
        assert_eq!(origin.actor_name.as_deref(), Some("nextsoft"));
    }
}

#[tokio::test]
async fn mobilizons_person_and_a_group_update_themselves_and_nobody_else() {
    for scratch in test_urls("inbox_update_actors").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let Some(mut person) = fixture(
            &remote,
            "mobilizon/historical/vcr-extracted/mobilizon-fr-person-actor-metacartes.json",
            "https://mobilizon.fr",
        ) else {
            return;
        };
        person["publicKey"]["publicKeyPem"] = json!(ALICE_PUB);
        let id = person["id"].as_str().expect("an id").to_string();
        let mut before = person.clone();
        before["name"] = json!("Old name");
        serve_at_id(&remote, &before);
        let key_id = format!("{id}#main-key");
        let update = |n: u32, actor: &str, object: &Value| {
            json!({
                "@context": ["https://www.w3.org/ns/activitystreams"],
                "id": format!("{actor}/activities/update/{n}"),
                "type": "Update",
                "actor": actor,
                "object": object,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
            })
        };
        let body = bytes(&update(1, &id, &person));
        let (status, text) = post(
            &local,
            "/inbox",
            &body,
            signed_as(&key_id, ALICE_KEY),
            now(),
        )
        .await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let (kind, name, key) = cached(&local, &id).await.expect("cached");
        assert_eq!(
            (kind.as_str(), name.as_deref()),
            ("Person", Some("Metacartes"))
        );
        assert_eq!(key, ALICE_PUB);

        // A group as Convene (and Mobilizon) serve one, renamed.
        let fields = convene_federation::actors::local::GroupFields {
            handle: "club",
            display_name: "Climbing club",
            summary: "<p>Up</p>",
            openness: "moderated",
            manually_approves_followers: false,
            discoverable: true,
            member_count: 4,
            published: "2026-11-26T10:00:00Z",
            avatar: None,
            banner: None,
        };
        let club = convene_federation::actors::group(&remote.base, &fields, BOB_PUB.into());
        let mut club = serde_json::to_value(&club).expect("JSON");
        serve_at_id(&remote, &club);
        let club_id = club["id"].as_str().expect("an id").to_string();
        let club_key = format!("{club_id}#main-key");
        club["name"] = json!("Bouldering club");
        club["openness"] = json!("open");
        let body = bytes(&update(1, &club_id, &club));
        let (status, text) = post(
            &local,
            "/inbox",
            &body,
            signed_as(&club_key, BOB_KEY),
            now(),
        )
        .await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let (kind, name, _) = cached(&local, &club_id).await.expect("cached");
        assert_eq!(
            (kind.as_str(), name.as_deref()),
            ("Group", Some("Bouldering club"))
        );

        // The person cannot update the group, nor the group the person: 403, nothing changes.
        let mut forged = club.clone();
        forged["name"] = json!("Taken over");
        let body = bytes(&update(2, &id, &forged));
        let (status, text) = post(
            &local,
            "/inbox",
            &body,
            signed_as(&key_id, ALICE_KEY),
            now(),
        )
        .await;
        assert_eq!(status, 403, "{}: {text}", local.label);
        assert!(text.contains("updates only itself"), "{text}");
        let (_, name, _) = cached(&local, &club_id).await.expect("cached");
        assert_eq!(name.as_deref(), Some("Bouldering club"));

        // A document whose key belongs to someone else is refused whole.
        let mut stolen = person.clone();
        stolen["publicKey"]["owner"] = json!(club_id);
        let body = bytes(&update(3, &id, &stolen));
        let (status, text) = post(
            &local,
            "/inbox",
            &body,
            signed_as(&key_id, ALICE_KEY),
            now(),
        )
        .await;
        assert_eq!(status, 400, "{}: {text}", local.label);
        let (_, name, key) = cached(&local, &id).await.expect("cached");
        assert_eq!(
            (name.as_deref(), key.as_str()),
            (Some("Metacartes"), ALICE_PUB)
        );
    }
}
