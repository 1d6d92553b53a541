//! The inbox over real HTTP on 127.0.0.1, with real signatures and a remote server serving its
//! actors and objects, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.

mod addresses;
mod fixtures;
mod groups;
mod handles;
mod instances;
mod membership;
mod mentions;
mod previews;
mod reports;
mod support;
mod updates;

use convene_api::remote_events::event_id;
use convene_domain::moderation::Decision;
use convene_domain::remote_actor::ActorAction;
use convene_domain::remote_domain::DomainAction;
use convene_domain::{
    Actor, EventChange, Metadata, RemoteActor, RemoteActorCommand, RemoteDomain,
    RemoteDomainCommand, Source,
};
use convene_projections::domains::DomainDecisions;
use convene_projections::log::EventLog;
use convene_projections::scratch::test_urls;
use convene_projections::{events, Commands};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};
use support::*;

fn now() -> SystemTime {
    SystemTime::now()
}

fn bytes(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

fn alice_signs(actor: &str) -> (String, &'static str) {
    (format!("{actor}#main-key"), ALICE_KEY)
}

/// The changes of the event holding remote object `object`.
async fn changes(local: &Local, object: &str) -> Vec<(EventChange, Actor, Source)> {
    EventLog::new(&local.db)
        .aggregate("Event", &event_id(object))
        .await
        .expect("the log")
        .iter()
        .map(|stored| {
            let metadata = stored.metadata().expect("metadata");
            (
                stored.change().expect("a change"),
                metadata.actor,
                metadata.source,
            )
        })
        .collect()
}

async fn shown(local: &Local, object: &str) -> Option<events::EventView> {
    events::find(local.db.pool(), &event_id(object))
        .await
        .expect("the read model")
}

#[tokio::test]
async fn a_signed_create_imports_the_event_with_its_origin_once() {
    for scratch in test_urls("inbox_create").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let event = event(&alice, 1, "Climate march");
        let object = event["id"]
            .as_str()
            .expect("as the test set it up")
            .to_string();
        let create = activity("Create", &alice, 1, event);
        let (key_id, key) = alice_signs(&alice);
        let signing = || Signing::Cavage {
            key_id: &key_id,
            key,
        };
        let (status, text) = post(&local, "/inbox", &bytes(&create), signing(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);

        let view = shown(&local, &object).await.expect("the event is here");
        let host = remote.base.trim_start_matches("http://");
        assert_eq!(view.details.title, "Climate march");
        assert_eq!(view.details.description, "<p>Bring <b>banners</b></p>");
        assert_eq!(view.details.time_zone, "Europe/Paris");
        assert_eq!(view.details.tags, ["climate"]);
        assert_eq!(view.organiser, format!("alice@{host}"));
        let origin = view.origin.expect("marked with its origin");
        assert_eq!(origin.object, object);
        assert_eq!(origin.actor, alice);
        assert_eq!(origin.url, format!("{object}/page"));
        assert_eq!(
            origin.actor_name.as_deref(),
            Some("alice on the other side")
        );

        // Sent again (a retry), it is answered the same and applied once.
        let (status, _) = post(&local, "/inbox", &bytes(&create), signing(), now()).await;
        assert_eq!(status, 202);
        let log = changes(&local, &object).await;
        assert_eq!(log.len(), 1, "{}: {log:?}", local.label);
        assert!(matches!(log[0].0, EventChange::Imported { .. }));
        assert_eq!(
            log[0].1,
            Actor::Remote {
                actor: alice.clone()
            }
        );
        assert_eq!(
            log[0].2,
            Source::Federation {
                activity: format!("{alice}/activities/1")
            }
        );

        // A new activity creating the same object is accepted and changes nothing.
        let again = activity("Create", &alice, 2, support::event(&alice, 1, "Other"));
        let (status, _) = post(&local, "/@someone/inbox", &bytes(&again), signing(), now()).await;
        assert_eq!(status, 202);
        assert_eq!(changes(&local, &object).await.len(), 1);

        // The home page and the event page show where it comes from.
        let (_, home) = local.get("/").await;
        assert!(home.contains("Climate march"), "{home}");
        assert!(home.contains(&format!("on {host}")), "{home}");
        let (status, page) = local.get(&format!("/events/{}", event_id(&object))).await;
        assert_eq!(status, 200);
        assert!(page.contains(&format!("{object}/page")), "{page}");
    }
}

#[tokio::test]
async fn signatures_that_do_not_verify_are_401() {
    for scratch in test_urls("inbox_signatures").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let bob = remote.person("bob", BOB_PUB);
        let create = activity("Create", &alice, 1, event(&alice, 1, "Climate march"));
        let object = create["object"]["id"]
            .as_str()
            .expect("as the test set it up")
            .to_string();
        let body = bytes(&create);
        let (key_id, _) = alice_signs(&alice);
        let refused = |(status, text): (u16, String), why: &str| {
            assert_eq!(status, 401, "{}: {why}: {text}", local.label);
            text
        };

        let unsigned = post(&local, "/inbox", &body, Signing::Unsigned, now()).await;
        let text = refused(unsigned, "unsigned");
        assert!(text.contains("not signed"), "{text}");

        // Alice's key id, Bob's key.
        let wrong_key = Signing::Cavage {
            key_id: &key_id,
            key: BOB_KEY,
        };
        refused(
            post(&local, "/inbox", &body, wrong_key, now()).await,
            "wrong key",
        );

        let skewed = now() - Duration::from_secs(13 * 3600);
        let alice_key = || Signing::Cavage {
            key_id: &key_id,
            key: ALICE_KEY,
        };
        refused(
            post(&local, "/inbox", &body, alice_key(), skewed).await,
            "skewed",
        );

        // Signed for one body, sent with another.
        let url = url::Url::parse(&format!("{}/inbox", local.base)).expect("as the test set it up");
        let headers = signer(&key_id, ALICE_KEY).sign_post(&url, &body, now());
        let tampered = bytes(&activity("Create", &alice, 1, event(&alice, 1, "Changed")));
        let text = refused(send(url, headers, tampered).await, "tampered");
        assert!(text.contains("digest"), "{text}");

        // Bob signs, properly, an activity claiming to be Alice's.
        let bob_signs = Signing::Cavage {
            key_id: &format!("{bob}#main-key"),
            key: BOB_KEY,
        };
        let text = refused(
            post(&local, "/inbox", &body, bob_signs, now()).await,
            "owner",
        );
        assert!(text.contains("is not the activity's actor"), "{text}");

        // A key nobody serves.
        let unknown = Signing::Cavage {
            key_id: &remote.url("users/nobody#main-key"),
            key: ALICE_KEY,
        };
        refused(
            post(&local, "/inbox", &body, unknown, now()).await,
            "unknown key",
        );

        assert!(
            shown(&local, &object).await.is_none(),
            "nothing was applied"
        );
        assert!(changes(&local, &object).await.is_empty());
    }
}

#[tokio::test]
async fn hs2019_and_rfc9421_signatures_are_accepted() {
    for scratch in test_urls("inbox_forms").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let (key_id, key) = alice_signs(&alice);
        for (n, signing) in [
            (
                1,
                Signing::Hs2019 {
                    key_id: &key_id,
                    key,
                },
            ),
            (
                2,
                Signing::Rfc9421 {
                    key_id: &key_id,
                    key,
                },
            ),
        ] {
            let create = activity("Create", &alice, n, event(&alice, n, "Climate march"));
            let object = create["object"]["id"]
                .as_str()
                .expect("as the test set it up")
                .to_string();
            let (status, text) = post(&local, "/inbox", &bytes(&create), signing, now()).await;
            assert_eq!(status, 202, "{}: {text}", local.label);
            assert!(shown(&local, &object).await.is_some(), "{n} imported");
        }
    }
}

#[tokio::test]
async fn a_rotated_key_is_fetched_again_once() {
    for scratch in test_urls("inbox_rotation").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let (key_id, _) = alice_signs(&alice);
        let first = activity("Create", &alice, 1, event(&alice, 1, "Climate march"));
        let signing = |key| Signing::Cavage {
            key_id: &key_id,
            key,
        };
        let (status, _) = post(&local, "/inbox", &bytes(&first), signing(ALICE_KEY), now()).await;
        assert_eq!(status, 202);
        // Alice's server now publishes a new key under the same id.
        remote.person("alice", BOB_PUB);
        let second = activity("Create", &alice, 2, event(&alice, 2, "Bike ride"));
        let (status, text) = post(&local, "/inbox", &bytes(&second), signing(BOB_KEY), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        assert!(shown(
            &local,
            second["object"]["id"]
                .as_str()
                .expect("as the test set it up")
        )
        .await
        .is_some());
    }
}

#[tokio::test]
async fn bodies_over_the_cap_and_bad_json_are_refused() {
    for scratch in test_urls("inbox_bodies").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let (key_id, key) = alice_signs(&alice);
        let signing = || Signing::Cavage {
            key_id: &key_id,
            key,
        };
        let big = vec![b' '; 1024 * 1024 + 1];
        let (status, _) = post(&local, "/inbox", &big, signing(), now()).await;
        assert_eq!(status, 413, "{}", local.label);
        let (status, text) = post(&local, "/inbox", b"{not json", signing(), now()).await;
        assert_eq!(status, 400, "{text}");
        // Understood, signed, and not something Convene acts on: 202 with the reason.
        let like = activity("Like", &alice, 1, json!(remote.url("notes/1")));
        let (status, text) = post(&local, "/inbox", &bytes(&like), signing(), now()).await;
        assert_eq!(status, 202, "{text}");
    }
}

#[tokio::test]
async fn an_object_from_another_origin_is_believed_only_as_its_origin_serves_it() {
    for scratch in test_urls("inbox_origin").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let elsewhere = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let carol = elsewhere.person("carol", BOB_PUB);
        let served = event(&carol, 7, "Carol's picnic");
        elsewhere.serve("events/7", served.clone());
        let object = served["id"]
            .as_str()
            .expect("as the test set it up")
            .to_string();
        let (key_id, key) = alice_signs(&alice);
        let signing = || Signing::Cavage {
            key_id: &key_id,
            key,
        };

        // Alice embeds Carol's event with her own words: fetched from Carol's server, it is
        // Carol's, so Alice may not create it.
        let mut forged = served.clone();
        forged["name"] = json!("Forged by Alice");
        let create = activity("Create", &alice, 1, forged);
        let (status, text) = post(&local, "/inbox", &bytes(&create), signing(), now()).await;
        assert_eq!(status, 403, "{}: {text}", local.label);
        assert!(shown(&local, &object).await.is_none());

        // Alice shares it (a relay would): imported as Carol's server serves it.
        let mut embedded = served.clone();
        embedded["name"] = json!("Forged by Alice");
        let announce = activity("Announce", &alice, 2, embedded);
        let (status, text) = post(&local, "/inbox", &bytes(&announce), signing(), now()).await;
        assert_eq!(status, 202, "{text}");
        let view = shown(&local, &object).await.expect("imported");
        assert_eq!(view.details.title, "Carol's picnic");
        let origin = view.origin.expect("origin");
        assert_eq!(origin.actor, carol);
        let log = changes(&local, &object).await;
        assert_eq!(
            log[0].1,
            Actor::Remote {
                actor: alice.clone()
            },
            "who sent it"
        );

        // An object its origin does not serve is refused.
        let missing = activity("Announce", &alice, 3, json!(elsewhere.url("events/404")));
        let (status, _) = post(&local, "/inbox", &bytes(&missing), signing(), now()).await;
        assert_eq!(status, 400);
    }
}

#[tokio::test]
async fn only_the_organiser_updates_and_deletes_a_remote_event() {
    for scratch in test_urls("inbox_update_delete").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let bob = remote.person("bob", BOB_PUB);
        let alice_key = format!("{alice}#main-key");
        let bob_key = format!("{bob}#main-key");
        let as_alice = || Signing::Cavage {
            key_id: &alice_key,
            key: ALICE_KEY,
        };
        let as_bob = || Signing::Cavage {
            key_id: &bob_key,
            key: BOB_KEY,
        };
        let original = event(&alice, 1, "Climate march");
        let object = original["id"]
            .as_str()
            .expect("as the test set it up")
            .to_string();
        let create = activity("Create", &alice, 1, original.clone());
        assert_eq!(
            post(&local, "/inbox", &bytes(&create), as_alice(), now())
                .await
                .0,
            202
        );

        let mut changed = original.clone();
        changed["name"] = json!("Climate march, new route");
        let by_bob = activity("Update", &bob, 1, changed.clone());
        let (status, text) = post(&local, "/inbox", &bytes(&by_bob), as_bob(), now()).await;
        assert_eq!(status, 403, "{}: {text}", local.label);
        assert_eq!(
            shown(&local, &object)
                .await
                .expect("as the test set it up")
                .details
                .title,
            "Climate march"
        );

        let by_alice = activity("Update", &alice, 2, changed);
        let (status, text) = post(&local, "/inbox", &bytes(&by_alice), as_alice(), now()).await;
        assert_eq!(status, 202, "{text}");
        assert_eq!(
            shown(&local, &object)
                .await
                .expect("as the test set it up")
                .details
                .title,
            "Climate march, new route"
        );

        let tombstone = json!({"id": object, "type": "Tombstone"});
        let delete = activity("Delete", &bob, 2, tombstone.clone());
        assert_eq!(
            post(&local, "/inbox", &bytes(&delete), as_bob(), now())
                .await
                .0,
            403
        );
        assert!(shown(&local, &object).await.is_some());

        let delete = activity("Delete", &alice, 3, tombstone);
        let (status, text) = post(&local, "/inbox", &bytes(&delete), as_alice(), now()).await;
        assert_eq!(status, 202, "{text}");
        assert!(shown(&local, &object).await.is_none(), "gone");
        let log = changes(&local, &object).await;
        assert!(matches!(
            log.last().expect("as the test set it up").0,
            EventChange::Deleted
        ));
    }
}

/// A published public event of the local profile `@ana`, seeded straight through its aggregate;
/// its id, once the read model shows it.
async fn local_event(local: &Local) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let details = serde_json::from_value(json!({
        "title": "Repair café",
        "description": "<p>Bring a toaster</p>",
        "begins_at": "2030-06-01T12:00:00Z",
        "time_zone": "Europe/Paris",
    }))
    .expect("details");
    let command = convene_domain::EventCommand::Create {
        organiser: "ana".into(),
        creator_participation: uuid::Uuid::new_v4().to_string(),
        details,
        draft: false,
    };
    let metadata = convene_domain::Metadata::now(Actor::System, Source::Cli, "seed");
    convene_projections::Commands::<convene_domain::Event>::new(&local.db, ())
        .execute_retrying(&id, command, &metadata)
        .await
        .expect("created");
    for _ in 0..200 {
        if events::find(local.db.pool(), &id)
            .await
            .expect("read")
            .is_some()
        {
            return id;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the event never showed")
}

fn note(actor: &str, n: u32, in_reply_to: &str, content: &str) -> Value {
    json!({
        "id": format!("{actor}/statuses/{n}"),
        "type": "Note",
        "attributedTo": actor,
        "inReplyTo": in_reply_to,
        "content": content,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    })
}

#[tokio::test]
async fn a_reply_to_a_local_event_is_a_comment_by_its_remote_author() {
    for scratch in test_urls("inbox_note").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let bob = remote.person("bob", BOB_PUB);
        let (key_id, key) = alice_signs(&alice);
        let signing = || Signing::Cavage {
            key_id: &key_id,
            key,
        };
        let event = local_event(&local).await;
        let event_url = format!("{}/events/{event}", local.base);
        let reply = note(
            &alice,
            1,
            &event_url,
            "<p>Count me <b>in</b><script>x()</script></p>",
        );
        let create = activity("Create", &alice, 1, reply.clone());
        let (status, text) = post(&local, "/inbox", &bytes(&create), signing(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let comments = events::comments(local.db.pool(), &event)
            .await
            .expect("comments");
        let host = remote.base.trim_start_matches("http://");
        assert_eq!(comments.len(), 1, "{}", local.label);
        assert_eq!(comments[0].author, format!("alice@{host}"));
        assert_eq!(
            comments[0].body.as_deref(),
            Some("<p>Count me <b>in</b></p>")
        );

        // A reply to that reply is threaded under it.
        let answer = note(
            &alice,
            2,
            reply["id"].as_str().expect("as the test set it up"),
            "<p>And Bob</p>",
        );
        let create = activity("Create", &alice, 2, answer);
        assert_eq!(
            post(&local, "/inbox", &bytes(&create), signing(), now())
                .await
                .0,
            202
        );
        let comments = events::comments(local.db.pool(), &event)
            .await
            .expect("comments");
        assert_eq!(comments.len(), 2);
        assert_eq!(
            comments[1].in_reply_to.as_deref(),
            Some(comments[0].id.as_str())
        );

        // The page shows who wrote it, without a link to a local profile.
        let (_, page) = local.get(&format!("/events/{event}")).await;
        assert!(page.contains(&format!("@alice@{host}")), "{page}");
        assert!(
            !page.contains(&format!("href=\"/@alice@{host}\"")),
            "{page}"
        );

        // A note written by Bob, sent by Alice, is refused; a reply to nothing here is ignored.
        let forged = activity("Create", &alice, 3, note(&bob, 3, &event_url, "<p>Hi</p>"));
        assert_eq!(
            post(&local, "/inbox", &bytes(&forged), signing(), now())
                .await
                .0,
            403
        );
        let elsewhere = note(&alice, 4, &remote.url("statuses/9"), "<p>Hi</p>");
        let create = activity("Create", &alice, 4, elsewhere);
        let (status, text) = post(&local, "/inbox", &bytes(&create), signing(), now()).await;
        assert_eq!(status, 202, "{text}");
        assert!(text.contains("nothing here"), "{text}");
        assert_eq!(
            events::comments(local.db.pool(), &event)
                .await
                .expect("as the test set it up")
                .len(),
            2
        );
    }
}

/// The local profile `@name`, seeded straight through its aggregate; its actor id.
async fn local_profile(local: &Local, name: &str) -> String {
    let command = convene_domain::ProfileCommand::Create {
        username: name.into(),
        display_name: None,
        account: None,
    };
    let metadata = convene_domain::Metadata::now(Actor::System, Source::Cli, "seed");
    convene_projections::Commands::<convene_domain::Profile>::new(&local.db, ())
        .execute_retrying(name, command, &metadata)
        .await
        .expect("created");
    format!("{}/@{name}", local.base)
}

async fn followers(local: &Local, profile: &str) -> Vec<String> {
    for _ in 0..200 {
        let found = convene_projections::follows::followers_of(local.db.pool(), profile)
            .await
            .expect("the read model");
        if !found.is_empty() {
            return found.into_iter().map(|f| f.actor).collect();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Vec::new()
}

#[tokio::test]
async fn a_remote_actor_follows_a_local_profile_then_undoes_it() {
    for scratch in test_urls("inbox_follow").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let bob = local_profile(&local, "bob").await;
        let (key_id, key) = alice_signs(&alice);
        let signing = || Signing::Cavage {
            key_id: &key_id,
            key,
        };

        let follow = activity("Follow", &alice, 1, json!(bob));
        let (status, text) = post(&local, "/@bob/inbox", &bytes(&follow), signing(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        assert_eq!(
            followers(&local, "bob").await,
            std::slice::from_ref(&alice),
            "{}",
            local.label
        );
        let added = EventLog::new(&local.db)
            .aggregate("Profile", "bob")
            .await
            .expect("the log");
        let metadata = added
            .last()
            .expect("a change")
            .metadata()
            .expect("metadata");
        assert_eq!(
            metadata.actor,
            Actor::Remote {
                actor: alice.clone()
            }
        );
        assert_eq!(
            metadata.source,
            Source::Federation {
                activity: follow["id"].as_str().unwrap_or_default().to_string()
            }
        );

        let unknown = activity(
            "Follow",
            &alice,
            2,
            json!(format!("{}/@nobody", local.base)),
        );
        let (status, _) = post(&local, "/inbox", &bytes(&unknown), signing(), now()).await;
        assert_eq!(status, 404, "{}: no such profile", local.label);

        // Someone else cannot undo alice's follow.
        let mut foreign = activity("Undo", &alice, 3, follow.clone());
        foreign["object"]["actor"] = json!(remote.url("users/mallory"));
        let (status, _) = post(&local, "/inbox", &bytes(&foreign), signing(), now()).await;
        assert_eq!(status, 403, "{}", local.label);

        let undo = activity("Undo", &alice, 4, follow);
        let (status, text) = post(&local, "/inbox", &bytes(&undo), signing(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        for _ in 0..200 {
            let left = convene_projections::follows::followers_of(local.db.pool(), "bob")
                .await
                .expect("the read model");
            if left.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let left = convene_projections::follows::followers_of(local.db.pool(), "bob")
            .await
            .expect("the read model");
        assert!(left.is_empty(), "{}: {left:?}", local.label);
    }
}

/// The participations of event `id` as the read model has them.
async fn participants(local: &Local, id: &str) -> Vec<events::ParticipationView> {
    events::participations(local.db.pool(), id, None)
        .await
        .expect("the read model")
}

#[tokio::test]
async fn a_remote_person_joins_a_local_event_then_leaves_it() {
    for scratch in test_urls("inbox_join").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let event = local_event(&local).await;
        let event_url = format!("{}/events/{event}", local.base);
        let (key_id, key) = alice_signs(&alice);
        let signing = || Signing::Cavage {
            key_id: &key_id,
            key,
        };

        let mut join = activity("Join", &alice, 1, json!(event_url));
        join["participationMessage"] = json!("I bring a kettle");
        let (status, text) = post(&local, "/inbox", &bytes(&join), signing(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let found = participants(&local, &event).await;
        let remote_one = found
            .iter()
            .find(|p| p.remote_actor.as_deref() == Some(alice.as_str()))
            .unwrap_or_else(|| panic!("{}: {found:?}", local.label));
        let handle = remote_one.remote.clone().unwrap_or_default();
        assert!(
            handle.starts_with("alice@127.0.0.1:"),
            "{}: {handle}",
            local.label
        );
        assert_eq!(remote_one.state.as_str(), "participant");
        assert_eq!(remote_one.message.as_deref(), Some("I bring a kettle"));
        assert_eq!(remote_one.profile, None);

        // Twice is refused; an event that is not ours is not found.
        let again = activity("Join", &alice, 2, json!(event_url));
        let (status, _) = post(&local, "/inbox", &bytes(&again), signing(), now()).await;
        assert_eq!(status, 409, "{}", local.label);
        let elsewhere = activity("Join", &alice, 3, json!(remote.url("events/9")));
        let (status, _) = post(&local, "/inbox", &bytes(&elsewhere), signing(), now()).await;
        assert_eq!(status, 404, "{}", local.label);

        // Only its own actor undoes a Join; then it is gone.
        let mut foreign = activity("Undo", &alice, 4, join.clone());
        foreign["object"]["actor"] = json!(remote.url("users/mallory"));
        let (status, _) = post(&local, "/inbox", &bytes(&foreign), signing(), now()).await;
        assert_eq!(status, 403, "{}", local.label);
        let undo = activity("Undo", &alice, 5, join);
        let (status, text) = post(&local, "/inbox", &bytes(&undo), signing(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let found = participants(&local, &event).await;
        assert!(
            found.iter().all(|p| p.remote_actor.is_none()),
            "{}: {found:?}",
            local.label
        );

        // A Leave of an event it does not take part in is refused with the reason.
        let leave = activity("Leave", &alice, 6, json!(event_url));
        let (status, _) = post(&local, "/inbox", &bytes(&leave), signing(), now()).await;
        assert_eq!(status, 404, "{}", local.label);
    }
}

/// Records an administrator's decision on `domain` and waits for the read model to show it.
async fn decide_on_domain(local: &Local, domain: &str, action: DomainAction) {
    let decision = Decision::plain("admin", "a spam wave");
    let metadata = Metadata::now(Actor::System, Source::Cli, "test");
    let command = RemoteDomainCommand::Moderate {
        action,
        decision,
        public_comment: None,
    };
    Commands::<RemoteDomain>::new(&local.db, ())
        .execute(domain, command, &metadata)
        .await
        .expect("a domain decision");
    let pool = local.db.pool();
    for _ in 0..200 {
        let shown = match action.policy() {
            // Rejecting or accepting media or reports: the policy is in force, or no more.
            Some((policy, set)) => {
                let now = convene_projections::domains::policies_for(pool, domain)
                    .await
                    .expect("read");
                now.iter().any(|p| p == policy.as_str()) == set
            }
            None => {
                let decisions = DomainDecisions::load(pool).await.expect("read");
                decisions.suspends(domain) == (action == DomainAction::Suspend)
            }
        };
        if shown {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the decision on {domain} never showed");
}

#[tokio::test]
async fn a_suspended_domain_s_activities_are_refused_and_taken_again_once_lifted() {
    for scratch in test_urls("inbox_domain_suspended").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let host = remote.base.trim_start_matches("http://").to_string();
        let (key_id, key) = alice_signs(&alice);
        let signing = || Signing::Cavage {
            key_id: &key_id,
            key,
        };
        let first = activity("Create", &alice, 1, event(&alice, 1, "Before"));
        let (status, text) = post(&local, "/inbox", &bytes(&first), signing(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);

        decide_on_domain(&local, &host, DomainAction::Suspend).await;
        let second = activity("Create", &alice, 2, event(&alice, 2, "During"));
        let (status, text) = post(&local, "/inbox", &bytes(&second), signing(), now()).await;
        assert_eq!(status, 403, "{}: {text}", local.label);
        assert!(text.contains("suspended"), "{text}");
        let during = format!("{}/events/2", remote.base);
        assert!(shown(&local, &during).await.is_none(), "nothing applied");
        let before = format!("{}/events/1", remote.base);
        let kept = shown(&local, &before).await.expect("kept, not deleted");
        assert!(kept.organiser_suspended, "shown to nobody but moderators");

        // Another instance's actor whose key id points at the suspended host: refused before
        // that key is fetched.
        let other = Remote::start().await;
        let bob = other.person("bob", BOB_PUB);
        let pointing = activity("Create", &bob, 1, event(&bob, 1, "Pointing"));
        let (status, text) = post(&local, "/inbox", &bytes(&pointing), signing(), now()).await;
        assert_eq!(status, 403, "{}: {text}", local.label);
        assert!(text.contains("suspended"), "{text}");

        decide_on_domain(&local, &host, DomainAction::Lift).await;
        let third = activity("Create", &alice, 3, event(&alice, 3, "After"));
        let (status, text) = post(&local, "/inbox", &bytes(&third), signing(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let kept = shown(&local, &before).await.expect("still here");
        assert!(!kept.organiser_suspended, "back once lifted");
    }
}

/// A fixture from real peers, read in place.
fn real_fixture(path: &str) -> Value {
    let path = format!(
        "{}/../../shared/fixtures/activitypub/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("the ActivityPub fixtures are there");
    serde_json::from_str(&text).expect("fixtures are JSON")
}

#[tokio::test]
async fn a_remote_event_shows_its_picture_where_its_instance_keeps_it() {
    // Gancio's picture: an image attachment whose name is its alternative text.
    let gancio = real_fixture("event-bridge/gancio-v1.22.json");
    // Mobilizon's: the attachment named "Banner" among links and other documents.
    let mobilizon = real_fixture("mobilizon/mobilizon-post-activity-media-2.json");
    for scratch in test_urls("inbox_pictures").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let alice_key = format!("{alice}#main-key");
        let as_alice = || Signing::Cavage {
            key_id: &alice_key,
            key: ALICE_KEY,
        };
        let mut original = event(&alice, 1, "Picture show");
        original["attachment"] = gancio["attachment"].clone();
        let object = original["id"]
            .as_str()
            .expect("as the test set it up")
            .to_string();
        let create = activity("Create", &alice, 1, original.clone());
        let (status, text) = post(&local, "/inbox", &bytes(&create), as_alice(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let picture = shown(&local, &object)
            .await
            .expect("imported")
            .details
            .remote_picture
            .expect("with its picture");
        assert_eq!(
            picture.url,
            "http://remote.example/media/36755574a6e48a1ccd3351d35e1a371f.jpg"
        );
        assert_eq!(picture.alt, "Picture Show alt");
        assert_eq!(picture.media_type.as_deref(), Some("image/jpeg"));

        // The event page and the cards show it, with its alternative text.
        let page_path = format!("/events/{}", event_id(&object));
        let (_, page) = local.get(&page_path).await;
        assert!(
            page.contains(
                r#"src="http://remote.example/media/36755574a6e48a1ccd3351d35e1a371f.jpg""#
            ),
            "{page}"
        );
        assert!(page.contains(r#"alt="Picture Show alt""#), "{page}");
        let (_, home) = local.get("/").await;
        assert!(
            home.contains("36755574a6e48a1ccd3351d35e1a371f.jpg"),
            "{home}"
        );

        // Mobilizon's banner replaces it; the marker name is no alternative text.
        let mut changed = original.clone();
        changed["attachment"] = mobilizon["object"]["attachment"].clone();
        let update = activity("Update", &alice, 2, changed);
        let (status, text) = post(&local, "/inbox", &bytes(&update), as_alice(), now()).await;
        assert_eq!(status, 202, "{text}");
        let picture = shown(&local, &object)
            .await
            .expect("still here")
            .details
            .remote_picture
            .expect("a picture");
        assert_eq!(picture.url, "https://mobilizon.fr/some-image-2");
        assert_eq!(picture.alt, "");

        // A `data:` picture is no picture, and the update is taken all the same.
        let mut spoilt = original.clone();
        spoilt["name"] = json!("Picture show, new date");
        spoilt["attachment"] = json!([]);
        spoilt["image"] = json!({"type": "Image", "url": "data:image/png;base64,iVBORw0KGgo="});
        let update = activity("Update", &alice, 3, spoilt);
        let (status, text) = post(&local, "/inbox", &bytes(&update), as_alice(), now()).await;
        assert_eq!(status, 202, "{text}");
        let view = shown(&local, &object).await.expect("still here");
        assert_eq!(view.details.title, "Picture show, new date");
        assert_eq!(view.details.remote_picture, None);
        let (_, page) = local.get(&page_path).await;
        assert!(!page.contains("data:image"), "{page}");
        // Each change of picture is an update naming it.
        let log = changes(&local, &object).await;
        let pictures = log
            .iter()
            .filter(|(c, _, _)| {
                matches!(c, EventChange::Updated { fields, .. } if fields.iter().any(|f| f == "remote_picture"))
            })
            .count();
        assert_eq!(pictures, 2, "{log:?}");
    }
}

#[tokio::test]
async fn the_instance_fetches_actors_signed_by_its_instance_actor() {
    for scratch in test_urls("inbox_signed_fetches").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let (key_id, key) = alice_signs(&alice);
        let create = activity("Create", &alice, 1, event(&alice, 1, "Signed fetches"));
        let signing = Signing::Cavage {
            key_id: &key_id,
            key,
        };
        let (status, text) = post(&local, "/inbox", &bytes(&create), signing, now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);

        // The inbox fetched Alice's document to verify her: signed by this instance's actor,
        // over `(request-target) host date`, verifiable with the key `/relay` publishes.
        let asked = remote.asked();
        let (path, headers) = asked
            .iter()
            .find(|(path, _)| path == "/users/alice")
            .unwrap_or_else(|| panic!("{}: {asked:?}", local.label));
        let signature = headers
            .get("signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{}: unsigned fetch", local.label));
        let relay = format!("{}/relay", local.base);
        assert!(
            signature.contains(&format!("keyId=\"{relay}#main-key\"")),
            "{signature}"
        );
        assert!(
            signature.contains("headers=\"(request-target) host date\""),
            "{signature}"
        );
        let (_, document) = local.get("/relay").await;
        let document: Value = serde_json::from_str(&document).expect("the instance actor");
        let pem = document["publicKey"]["publicKeyPem"]
            .as_str()
            .expect("a key");
        let uri: axum::http::Uri = path.parse().expect("a path");
        let received = convene_federation::signatures::Received {
            method: &axum::http::Method::GET,
            uri: &uri,
            headers,
            body: &[],
            scheme: "http",
        };
        let parsed = convene_federation::signatures::parse(
            &received,
            now(),
            convene_federation::signatures::DEFAULT_MAX_SKEW,
        )
        .expect("a well-formed signature");
        parsed.verify(pem).expect("signed by the instance actor");
        // Another key does not verify it: the check above is not vacuous.
        assert!(parsed.verify(ALICE_PUB).is_err());
    }
}

/// Suspends (or lifts the suspension of) the remote actor `actor`, named `handle` here, and
/// waits for the read model.
async fn decide_on_actor(local: &Local, actor: &str, handle: &str, action: ActorAction) {
    let decision = Decision::plain("mia", "harassment");
    let metadata = Metadata::now(Actor::System, Source::Cli, "test");
    let command = RemoteActorCommand::Moderate {
        action,
        decision,
        handle: handle.into(),
    };
    Commands::<RemoteActor>::new(&local.db, ())
        .execute(actor, command, &metadata)
        .await
        .expect("a decision on an actor");
    let suspended = action == ActorAction::Suspend;
    for _ in 0..200 {
        let now = convene_projections::domains::actor_suspended(local.db.pool(), actor)
            .await
            .expect("read");
        if now == suspended {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the decision on {actor} never showed");
}

#[tokio::test]
async fn a_suspended_remote_actor_s_activities_are_refused_and_what_it_sent_hidden_until_lifted() {
    for scratch in test_urls("inbox_actor_suspended").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let bob = remote.person("bob", BOB_PUB);
        let host = remote.base.trim_start_matches("http://").to_string();
        let alice_key = format!("{alice}#main-key");
        let bob_key = format!("{bob}#main-key");
        let as_alice = || Signing::Cavage {
            key_id: &alice_key,
            key: ALICE_KEY,
        };
        let as_bob = || Signing::Cavage {
            key_id: &bob_key,
            key: BOB_KEY,
        };
        let first = activity("Create", &alice, 1, event(&alice, 1, "Before"));
        let (status, text) = post(&local, "/inbox", &bytes(&first), as_alice(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let before = format!("{}/events/1", remote.base);
        let shown_before = shown(&local, &before).await.expect("imported");
        assert!(!shown_before.organiser_suspended);
        assert_eq!(shown_before.organiser, format!("alice@{host}"));

        decide_on_actor(
            &local,
            &alice,
            &format!("alice@{host}"),
            ActorAction::Suspend,
        )
        .await;
        let second = activity("Create", &alice, 2, event(&alice, 2, "During"));
        let (status, text) = post(&local, "/inbox", &bytes(&second), as_alice(), now()).await;
        assert_eq!(status, 403, "{}: {text}", local.label);
        assert!(text.contains("suspended"), "{text}");
        let during = format!("{}/events/2", remote.base);
        assert!(shown(&local, &during).await.is_none(), "nothing applied");
        let kept = shown(&local, &before).await.expect("kept, not deleted");
        assert!(kept.organiser_suspended, "shown to nobody but moderators");
        // Another actor of the same instance still federates.
        let bobs = activity("Create", &bob, 3, event(&bob, 3, "Bob's"));
        let (status, text) = post(&local, "/inbox", &bytes(&bobs), as_bob(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);

        decide_on_actor(
            &local,
            &alice,
            &format!("alice@{host}"),
            ActorAction::Unsuspend,
        )
        .await;
        let third = activity("Create", &alice, 4, event(&alice, 4, "After"));
        let (status, text) = post(&local, "/inbox", &bytes(&third), as_alice(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let kept = shown(&local, &before).await.expect("still here");
        assert!(!kept.organiser_suspended, "back once lifted");
    }
}
