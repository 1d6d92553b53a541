//! Instance follows from the other side: another instance's actor follows this instance's
//! `/relay` (accepted at once, listed among its followers) and undoes it; an answer to a
//! Follow this instance never sent is refused.

use super::support::*;
use super::{bytes, now};
use convene_projections::scratch::test_urls;
use serde_json::{json, Value};

/// Serves the instance actor `{remote}/relay`, an `Application` with Alice's key; its id.
fn remote_relay(remote: &Remote) -> String {
    let id = remote.url("relay");
    remote.serve(
        "relay",
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": "Application",
            "preferredUsername": "relay",
            "inbox": format!("{id}/inbox"),
            "endpoints": {"sharedInbox": remote.url("inbox")},
            "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": ALICE_PUB},
        }),
    );
    id
}

async fn relay_followers(local: &Local) -> Value {
    let (status, text) = local.get("/relay/followers?page=1").await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).expect("JSON")
}

#[tokio::test]
async fn another_instance_follows_this_one_then_stops() {
    for scratch in test_urls("inbox_instance_follows").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let theirs = remote_relay(&remote);
        let ours = format!("{}/relay", local.base);
        let key_id = format!("{theirs}#main-key");
        let signed = || Signing::Cavage {
            key_id: &key_id,
            key: ALICE_KEY,
        };
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{theirs}/follows/1"),
            "type": "Follow",
            "actor": theirs,
            "object": ours,
            "to": [ours],
        });
        let (status, text) = post(&local, "/relay/inbox", &bytes(&follow), signed(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        assert_eq!(
            relay_followers(&local).await["orderedItems"],
            json!([theirs]),
            "{}",
            local.label
        );

        // An Accept of a Follow this instance never sent: nothing to accept.
        let accept = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{theirs}/accepts/1"),
            "type": "Accept",
            "actor": theirs,
            "object": {"id": format!("{ours}/follows/9"), "type": "Follow", "actor": ours, "object": theirs},
        });
        let (status, text) = post(&local, "/inbox", &bytes(&accept), signed(), now()).await;
        assert_eq!(status, 404, "{}: {text}", local.label);

        let undo = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{theirs}/undos/1"),
            "type": "Undo",
            "actor": theirs,
            "object": follow,
        });
        let (status, text) = post(&local, "/inbox", &bytes(&undo), signed(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        assert_eq!(relay_followers(&local).await["totalItems"], 0);
    }
}
