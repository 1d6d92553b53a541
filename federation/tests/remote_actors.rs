//! Remote actor documents from real servers (../shared/fixtures/activitypub/), parsed for what
//! delivery and verification need, and the documents that must be refused.

use convene_federation::actors::remote::{parse, RemoteActor, RemoteActorError};
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;

/// The fixtures folder, beside the repository; `None` (said loudly) when absent.
fn fixtures(test: &str) -> Option<PathBuf> {
    let folder =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/activitypub");
    if folder.is_dir() {
        return Some(folder);
    }
    let message = format!(
        "*** {test}: SKIPPED: the ActivityPub fixtures are not at {} ***",
        folder.display()
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    let _ = writeln!(std::io::stderr(), "{message}");
    None
}

fn document(folder: &std::path::Path, file: &str) -> Value {
    let text = std::fs::read_to_string(folder.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn actor(folder: &std::path::Path, file: &str) -> RemoteActor {
    parse(&document(folder, file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

struct Expected {
    file: &'static str,
    id: &'static str,
    kind: &'static str,
    inbox: &'static str,
    shared_inbox: Option<&'static str>,
    username: &'static str,
    name: Option<&'static str>,
    url: Option<&'static str>,
    pem_starts: &'static str,
}

const ACTORS: [Expected; 8] = [
    Expected {
        file: "mobilizon/mastodon-actor.json",
        id: "https://framapiaf.org/users/peertube",
        kind: "Person",
        inbox: "https://framapiaf.org/users/peertube/inbox",
        shared_inbox: Some("https://framapiaf.org/inbox"),
        username: "peertube",
        name: Some("PeerTube"),
        url: Some("https://framapiaf.org/@peertube"),
        pem_starts: "-----BEGIN PUBLIC KEY-----",
    },
    Expected {
        file: "mobilizon/mastodon-tcit-tcit.json",
        id: "https://social.tcit.fr/users/tcit",
        kind: "Person",
        inbox: "https://social.tcit.fr/users/tcit/inbox",
        shared_inbox: Some("https://social.tcit.fr/inbox"),
        username: "tcit",
        name: Some("🦄 Thomas Citharel"),
        url: Some("https://social.tcit.fr/@tcit"),
        pem_starts: "-----BEGIN PUBLIC KEY-----",
    },
    Expected {
        file: "mobilizon/gancio-actor.json",
        id: "https://demo.gancio.org/federation/u/gancio",
        kind: "Application",
        inbox: "https://demo.gancio.org/federation/u/gancio/inbox",
        shared_inbox: None,
        username: "gancio",
        name: Some("gancio"),
        url: None,
        pem_starts: "-----BEGIN PUBLIC KEY-----",
    },
    Expected {
        file: "mobilizon/historical/vcr-extracted/mobilizon-fr-person-actor-metacartes.json",
        id: "https://mobilizon.fr/@metacartes",
        kind: "Person",
        inbox: "https://mobilizon.fr/@metacartes/inbox",
        shared_inbox: Some("https://mobilizon.fr/inbox"),
        username: "metacartes",
        name: Some("Metacartes"),
        url: Some("https://mobilizon.fr/@metacartes"),
        pem_starts: "-----BEGIN RSA PUBLIC KEY-----",
    },
    Expected {
        file: "mobilizon/historical/vcr-extracted/mobilizon1-relay-application-actor.json",
        id: "http://mobilizon1.com/relay",
        kind: "Application",
        inbox: "http://mobilizon1.com/inbox",
        shared_inbox: Some("http://mobilizon1.com/inbox"),
        username: "relay",
        name: Some("Mobilizon"),
        url: Some("http://mobilizon1.com/relay"),
        pem_starts: "-----BEGIN RSA PUBLIC KEY-----",
    },
    Expected {
        file: "mobilizon/historical/signature/framapiaf_admin.json",
        id: "https://framapiaf.org/users/admin",
        kind: "Service",
        inbox: "https://framapiaf.org/users/admin/inbox",
        shared_inbox: Some("https://framapiaf.org/inbox"),
        username: "admin",
        name: Some("Administrateur"),
        url: Some("https://framapiaf.org/@admin"),
        pem_starts: "-----BEGIN PUBLIC KEY-----",
    },
    // With its PEM's line breaks escaped twice.
    Expected {
        file: "mobilizon/historical/signature/nyu_rye.json",
        id: "https://niu.moe/users/rye",
        kind: "Person",
        inbox: "https://niu.moe/users/rye/inbox",
        shared_inbox: Some("https://niu.moe/inbox"),
        username: "rye",
        name: Some("♡ rye ♡"),
        url: Some("https://niu.moe/@rye"),
        pem_starts: "-----BEGIN PUBLIC KEY-----\nMIIB",
    },
    Expected {
        file: "rebased/mobilizon.org-user.json",
        id: "https://mobilizon.org/@tcit",
        kind: "Person",
        inbox: "https://mobilizon.org/@tcit/inbox",
        shared_inbox: Some("https://mobilizon.org/inbox"),
        username: "tcit",
        name: Some("Thomas Citharel"),
        url: Some("https://mobilizon.org/@tcit"),
        pem_starts: "-----BEGIN RSA PUBLIC KEY-----",
    },
];

#[test]
fn every_actor_fixture_gives_its_inbox_and_key() {
    let Some(folder) = fixtures("every_actor_fixture_gives_its_inbox_and_key") else {
        return;
    };
    for expected in ACTORS {
        let actor = actor(&folder, expected.file);
        let file = expected.file;
        assert_eq!(actor.id.as_str(), expected.id, "{file}");
        assert_eq!(actor.kind, expected.kind, "{file}");
        assert_eq!(actor.inbox.as_str(), expected.inbox, "{file}");
        assert_eq!(
            actor.shared_inbox.as_ref().map(|u| u.as_str()),
            expected.shared_inbox,
            "{file}"
        );
        assert_eq!(actor.preferred_username, expected.username, "{file}");
        assert_eq!(actor.name.as_deref(), expected.name, "{file}");
        assert_eq!(
            actor.url.as_ref().map(|u| u.as_str()),
            expected.url,
            "{file}"
        );
        assert_eq!(
            actor.public_key.id.as_str(),
            format!("{}#main-key", expected.id),
            "{file}"
        );
        assert_eq!(actor.public_key.owner.as_str(), expected.id, "{file}");
        assert!(
            actor.public_key.pem.starts_with(expected.pem_starts),
            "{file}: {}",
            actor.public_key.pem
        );
        // The key is a real RSA key, whichever PEM form it came in.
        let key = actor
            .public_key
            .key()
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(key.bits() >= 2048, "{file}");
        let deliver_to = expected.shared_inbox.unwrap_or(expected.inbox);
        assert_eq!(actor.delivery_inbox().as_str(), deliver_to, "{file}");
    }
}

fn mastodon(folder: &std::path::Path) -> Value {
    document(folder, "mobilizon/mastodon-actor.json")
}

#[test]
fn a_key_owned_by_someone_else_is_refused() {
    let Some(folder) = fixtures("a_key_owned_by_someone_else_is_refused") else {
        return;
    };
    let mut doc = mastodon(&folder);
    doc["publicKey"]["owner"] = "https://framapiaf.org/users/admin".into();
    let refused = parse(&doc);
    assert!(
        matches!(refused, Err(RemoteActorError::KeyOwner { .. })),
        "{refused:?}"
    );
    let reason = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(reason.contains("is not the actor"), "{reason}");
}

#[test]
fn an_inbox_or_key_on_another_origin_is_refused() {
    let Some(folder) = fixtures("an_inbox_or_key_on_another_origin_is_refused") else {
        return;
    };
    for (field, value) in [
        ("inbox", "https://evil.example/inbox"),
        // Same host, other scheme or port: another origin too.
        ("inbox", "http://framapiaf.org/users/peertube/inbox"),
        ("inbox", "https://framapiaf.org:8443/users/peertube/inbox"),
        // A look-alike host.
        ("inbox", "https://framapiaf.org.evil.example/inbox"),
    ] {
        let mut doc = mastodon(&folder);
        doc[field] = value.into();
        let refused = parse(&doc);
        assert!(
            matches!(
                &refused,
                Err(RemoteActorError::OtherOrigin { field: "inbox", .. })
            ),
            "{value}: {refused:?}"
        );
    }
    let mut doc = mastodon(&folder);
    doc["endpoints"]["sharedInbox"] = "https://evil.example/inbox".into();
    assert!(matches!(
        parse(&doc),
        Err(RemoteActorError::OtherOrigin {
            field: "endpoints.sharedInbox",
            ..
        })
    ));
    let mut doc = mastodon(&folder);
    doc["publicKey"]["id"] = "https://evil.example/key".into();
    assert!(matches!(
        parse(&doc),
        Err(RemoteActorError::OtherOrigin {
            field: "publicKey.id",
            ..
        })
    ));
    // Host case does not make another origin.
    let mut doc = mastodon(&folder);
    doc["inbox"] = "https://FRAMAPIAF.org/users/peertube/inbox".into();
    assert!(parse(&doc).is_ok());
}

#[test]
fn broken_documents_say_what_is_wrong() {
    let Some(folder) = fixtures("broken_documents_say_what_is_wrong") else {
        return;
    };
    let mut doc = mastodon(&folder);
    doc["publicKey"]["publicKeyPem"] =
        "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----".into();
    assert!(matches!(parse(&doc), Err(RemoteActorError::BadKey(_))));
    let mut doc = mastodon(&folder);
    doc["type"] = "Note".into();
    assert!(matches!(parse(&doc), Err(RemoteActorError::NotAnActor(_))));
    for field in ["id", "inbox", "publicKey", "preferredUsername"] {
        let mut doc = mastodon(&folder);
        doc.as_object_mut().map(|o| o.remove(field));
        assert_eq!(
            parse(&doc),
            Err(RemoteActorError::Missing(field)),
            "{field}"
        );
    }
    let mut doc = mastodon(&folder);
    doc["inbox"] = "ftp://framapiaf.org/inbox".into();
    assert!(matches!(
        parse(&doc),
        Err(RemoteActorError::NotAUrl { field: "inbox", .. })
    ));
    let mut doc = mastodon(&folder);
    doc["name"] = "x".repeat(5000).into();
    assert!(matches!(
        parse(&doc),
        Err(RemoteActorError::TooLong { field: "name" })
    ));
    // Non-actor fixtures are refused, never a panic.
    for file in [
        "mobilizon/peertube-video.json",
        "mobilizon/mastodon-status.json",
        "rebased/mobilizon.org-event.json",
    ] {
        assert!(
            matches!(
                parse(&document(&folder, file)),
                Err(RemoteActorError::NotAnActor(_))
            ),
            "{file}"
        );
    }
}

#[test]
fn an_actor_s_summary_is_kept_as_sent_for_reports_on_it() {
    let Some(folder) = fixtures("an_actor_s_summary_is_kept_as_sent_for_reports_on_it") else {
        return;
    };
    let peertube = actor(&folder, "mobilizon/mastodon-actor.json");
    let summary = peertube.summary.unwrap_or_default();
    assert!(
        summary.starts_with("<p>PeerTube Software Official Account"),
        "{summary}"
    );
    let mut long = document(&folder, "mobilizon/mastodon-actor.json");
    long["summary"] = Value::String("é".repeat(20_000));
    let kept = parse(&long).expect("a long summary is no reason to refuse an actor");
    assert_eq!(
        kept.summary.map(|s| s.chars().count()),
        Some(convene_federation::actors::remote::SUMMARY_MAX)
    );
}
