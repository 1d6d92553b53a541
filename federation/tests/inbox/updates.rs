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

/// How the event `id` names the remote actor, as read from `pool`: the organiser's name and
/// handle, the remote participants' handles, the remote comments' authors.
async fn naming(
    pool: &sqlx::AnyPool,
    id: &str,
) -> (Option<String>, String, Vec<String>, Vec<String>) {
    let view = convene_projections::events::find(pool, id)
        .await
        .expect("the read model")
        .expect("the event");
    let participants = convene_projections::events::participations(pool, id, None)
        .await
        .expect("participations")
        .into_iter()
        .filter_map(|p| p.remote)
        .collect();
    let comments = convene_projections::events::comments(pool, id)
        .await
        .expect("comments")
        .into_iter()
        .map(|c| c.author)
        .collect();
    let name = view.origin.as_ref().and_then(|o| o.actor_name.clone());
    (name, view.organiser, participants, comments)
}

/// The `RemoteActorDescribed` changes recorded on event `id`.
async fn described(local: &Local, id: &str) -> usize {
    convene_projections::log::EventLog::new(&local.db)
        .aggregate("Event", id)
        .await
        .expect("the log")
        .iter()
        .filter(|stored| stored.event_type == "RemoteActorDescribed")
        .count()
}

#[tokio::test]
async fn an_actor_renamed_is_named_anew_wherever_it_was_recorded_and_after_a_replay() {
    for scratch in test_urls("inbox_update_names").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let Some(mut update) = fixture(
            &remote,
            "mobilizon/mastodon-update.json",
            "https://framapiaf.org",
        ) else {
            return;
        };
        let actor = remote.person("framasoft", ALICE_PUB);
        let key_id = format!("{actor}#main-key");
        let host = remote.base.trim_start_matches("http://").to_string();
        let signed = || signed_as(&key_id, ALICE_KEY);

        // Before the Update: it organises an event imported here, takes part in a local event
        // and comments on it.
        let create = activity("Create", &actor, 1, event(&actor, 1, "Fediverse meetup"));
        let (status, text) = post(&local, "/inbox", &bytes(&create), signed(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let imported =
            convene_api::remote_events::event_id(create["object"]["id"].as_str().expect("an id"));
        let ours = super::local_event(&local).await;
        let ours_url = format!("{}/events/{ours}", local.base);
        let join = activity("Join", &actor, 2, json!(ours_url));
        let (status, text) = post(&local, "/inbox", &bytes(&join), signed(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let reply = super::note(&actor, 3, &ours_url, "<p>See you there</p>");
        let create_note = activity("Create", &actor, 3, reply);
        let (status, text) = post(&local, "/inbox", &bytes(&create_note), signed(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let old = format!("framasoft@{host}");
        let pool = local.db.pool();
        assert_eq!(
            naming(pool, &imported).await,
            (
                Some("framasoft on the other side".into()),
                old.clone(),
                vec![],
                vec![]
            )
        );
        assert_eq!(
            naming(pool, &ours).await,
            (None, "ana".into(), vec![old.clone()], vec![old.clone()])
        );

        // Mastodon's Update renames it ("nextsoft"); here its username changes too, which
        // Mastodon does not allow but others do.
        update["id"] = json!(format!("{actor}#updates/1"));
        update["object"]["publicKey"]["publicKeyPem"] = json!(ALICE_PUB);
        update["object"]["preferredUsername"] = json!("nextsoft");
        let (status, text) = post(&local, "/inbox", &bytes(&update), signed(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let new = format!("nextsoft@{host}");
        assert_eq!(
            naming(pool, &imported).await,
            (Some("nextsoft".into()), new.clone(), vec![], vec![]),
            "{}",
            local.label
        );
        assert_eq!(
            naming(pool, &ours).await,
            (None, "ana".into(), vec![new.clone()], vec![new.clone()]),
            "{}",
            local.label
        );

        // The pages and the API show the name now.
        let (_, page) = local.get(&format!("/events/{imported}")).await;
        assert!(page.contains("nextsoft"), "{page}");
        assert!(!page.contains("framasoft on the other side"), "{page}");
        let (_, page) = local.get(&format!("/events/{ours}")).await;
        assert!(page.contains(&format!("@{new}")), "{page}");
        assert!(!page.contains(&old), "{page}");
        let (status, api) = local.get(&format!("/api/v1/events/{imported}")).await;
        assert_eq!(status, 200, "{api}");
        let api: Value = serde_json::from_str(&api).expect("JSON");
        assert_eq!(api["origin"]["actor_name"], "nextsoft", "{api}");
        assert_eq!(api["origin"]["actor_handle"], new.as_str(), "{api}");

        // The same Update sent again (another id) records nothing more.
        assert_eq!(described(&local, &imported).await, 1);
        assert_eq!(described(&local, &ours).await, 1);
        update["id"] = json!(format!("{actor}#updates/2"));
        let (status, text) = post(&local, "/inbox", &bytes(&update), signed(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        assert_eq!(described(&local, &imported).await, 1);
        assert_eq!(described(&local, &ours).await, 1);

        // The read models rebuilt from the log say the same.
        let folder = tempfile::tempdir().expect("a folder");
        let into = folder.path().join("rebuilt.db");
        let log = convene_projections::log::EventLog::new(&local.db);
        let head = log.head().await.expect("the head").position;
        convene_projections::replay::rebuild_as_of(
            &local.db,
            head,
            &into,
            &convene_projections::Subscribers::new(convene_projections::read_models()),
            &mut |_, _, _| {},
        )
        .await
        .expect("rebuilt");
        let rebuilt = convene_projections::Database::open(&format!("sqlite://{}", into.display()))
            .await
            .expect("the rebuilt file");
        assert_eq!(
            naming(rebuilt.pool(), &imported).await,
            naming(pool, &imported).await
        );
        assert_eq!(
            naming(rebuilt.pool(), &ours).await,
            naming(pool, &ours).await
        );
    }
}

#[tokio::test]
async fn an_update_naming_its_actor_by_id_fetches_it_from_the_sender_s_own_origin() {
    for scratch in test_urls("inbox_update_by_id").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let elsewhere = Remote::start().await;
        let actor = remote.person("mila", ALICE_PUB);
        let key_id = format!("{actor}#main-key");
        let create = activity("Create", &actor, 1, event(&actor, 1, "Choir rehearsal"));
        let (status, text) = post(
            &local,
            "/inbox",
            &bytes(&create),
            signed_as(&key_id, ALICE_KEY),
            now(),
        )
        .await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let imported =
            convene_api::remote_events::event_id(create["object"]["id"].as_str().expect("an id"));

        // Mila renames herself on her server, which then sends an Update naming her by id.
        let mut renamed = serde_json::from_str::<Value>(
            &reqwest::get(&actor)
                .await
                .expect("served")
                .text()
                .await
                .expect("a body"),
        )
        .expect("JSON");
        renamed["name"] = json!("Mila Renamed");
        serve_at_id(&remote, &renamed);
        let update = activity("Update", &actor, 2, json!(actor));
        let (status, text) = post(
            &local,
            "/inbox",
            &bytes(&update),
            signed_as(&key_id, ALICE_KEY),
            now(),
        )
        .await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let (_, name, _) = cached(&local, &actor).await.expect("cached");
        assert_eq!(name.as_deref(), Some("Mila Renamed"), "{}", local.label);
        assert_eq!(
            naming(local.db.pool(), &imported).await.0.as_deref(),
            Some("Mila Renamed")
        );

        // An actor on another server is not hers to update: 403, nothing fetched into the cache.
        let stranger = elsewhere.person("zed", BOB_PUB);
        let update = activity("Update", &actor, 3, json!(stranger));
        let (status, text) = post(
            &local,
            "/inbox",
            &bytes(&update),
            signed_as(&key_id, ALICE_KEY),
            now(),
        )
        .await;
        assert_eq!(status, 403, "{}: {text}", local.label);
        assert!(cached(&local, &stranger).await.is_none(), "{}", local.label);
    }
}
