//! Actor documents by content negotiation, and their collections.

use crate::servers;
use crate::support::member_with_profile;
use serde_json::json;

const AS_PROFILE: &str = "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

#[tokio::test]
async fn a_profile_is_a_person_for_each_activitypub_accept_and_a_page_otherwise() {
    for (_scratch, server) in servers("a_profile_is_a_person_for_each_activitypub_accept").await {
        member_with_profile(&server, "alice@example.org", "alice").await;
        let client = server.client();
        let base = &server.base;
        let id = format!("{base}/@alice");
        let mut keys = Vec::new();
        for accept in [
            "application/activity+json",
            AS_PROFILE,
            "application/ld+json",
            "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
        ] {
            let actor = client.get_as("/@alice", accept).await;
            assert_eq!(actor.status, 200, "{}: {accept}: {}", server.label, actor.text);
            assert_eq!(actor.header("content-type"), "application/activity+json", "{accept}");
            assert!(actor.header("vary").contains("Accept"), "{accept}: {:?}", actor.headers);
            let doc = &actor.json;
            assert_eq!(doc["id"], id);
            assert_eq!(doc["type"], "Person");
            assert_eq!(doc["preferredUsername"], "alice");
            assert_eq!(doc["name"], "alice display");
            assert_eq!(doc["url"], id);
            assert_eq!(doc["inbox"], format!("{id}/inbox"));
            assert_eq!(doc["outbox"], format!("{id}/outbox"));
            assert_eq!(doc["followers"], format!("{id}/followers"));
            assert_eq!(doc["following"], format!("{id}/following"));
            assert_eq!(doc["endpoints"]["sharedInbox"], format!("{base}/inbox"));
            assert_eq!(doc["discoverable"], true);
            assert_eq!(doc["manuallyApprovesFollowers"], false);
            assert!(doc["published"].as_str().is_some_and(|p| p.starts_with("20")));
            assert_eq!(doc["@context"][0], "https://www.w3.org/ns/activitystreams");
            assert_eq!(doc["@context"][1], "https://w3id.org/security/v1");
            assert_eq!(doc["publicKey"]["id"], format!("{id}#main-key"));
            assert_eq!(doc["publicKey"]["owner"], id);
            keys.push(doc["publicKey"]["publicKeyPem"].clone());
            // What we serve, a peer parses: our own remote-actor checks accept it.
            let parsed = convene_federation::actors::remote::parse(doc).expect("our own actor parses");
            assert_eq!(parsed.inbox.as_str(), format!("{id}/inbox"));
            parsed.public_key.key().expect("an RSA key");
        }
        assert!(keys.windows(2).all(|w| w[0] == w[1]), "one key per actor");
        for accept in [
            "text/html",
            "text/html,application/xhtml+xml,*/*;q=0.8",
            "*/*",
        ] {
            let page = client.get_as("/@alice", accept).await;
            assert_eq!(page.status, 200, "{accept}");
            assert!(
                page.header("content-type").starts_with("text/html"),
                "{accept}"
            );
            assert!(
                page.header("vary").contains("Accept"),
                "{accept}: {:?}",
                page.headers
            );
            assert!(page.text.contains("alice display"));
        }
        let page = client.get("/@alice").await;
        assert!(page.header("content-type").starts_with("text/html"));
        // Paths that are not negotiated do not vary.
        let home = client.get_as("/", "text/html").await;
        assert!(
            !home.header("vary").contains("Accept"),
            "{:?}",
            home.headers
        );
        server.assert_no_private_key_served();
    }
}

#[tokio::test]
async fn the_instance_actor_is_an_application_at_relay() {
    for (_scratch, server) in servers("the_instance_actor_is_an_application_at_relay").await {
        let client = server.client();
        let base = &server.base;
        let relay = client.get("/relay").await;
        assert_eq!(relay.status, 200, "{}", relay.text);
        assert_eq!(relay.header("content-type"), "application/activity+json");
        let doc = &relay.json;
        assert_eq!(doc["id"], format!("{base}/relay"));
        assert_eq!(doc["type"], "Application");
        assert_eq!(doc["preferredUsername"], "relay");
        assert_eq!(doc["name"], "Test instance");
        assert_eq!(doc["inbox"], format!("{base}/relay/inbox"));
        assert_eq!(doc["outbox"], format!("{base}/relay/outbox"));
        assert_eq!(doc["endpoints"]["sharedInbox"], format!("{base}/inbox"));
        assert_eq!(doc["publicKey"]["id"], format!("{base}/relay#main-key"));
        assert!(doc["publicKey"]["publicKeyPem"]
            .as_str()
            .is_some_and(|k| k.starts_with("-----BEGIN PUBLIC KEY-----")));
        let parsed = convene_federation::actors::remote::parse(doc).expect("parses");
        assert_eq!(parsed.kind, "Application");
        for collection in ["outbox", "followers", "following"] {
            let found = client.get(&format!("/relay/{collection}")).await;
            assert_eq!(found.json["type"], "OrderedCollection", "{collection}");
        }
        assert_eq!(client.get("/relay/elsewhere").await.status, 404);
        server.assert_no_private_key_served();
    }
}

#[tokio::test]
async fn collections_are_paged_ordered_collections() {
    for (_scratch, server) in servers("collections_are_paged_ordered_collections").await {
        member_with_profile(&server, "alice@example.org", "alice").await;
        let client = server.client();
        let id = format!("{}/@alice", server.base);
        for name in ["outbox", "followers", "following"] {
            let collection = client.get(&format!("/@alice/{name}")).await;
            assert_eq!(collection.status, 200, "{name}: {}", collection.text);
            assert_eq!(
                collection.header("content-type"),
                "application/activity+json"
            );
            let doc = &collection.json;
            assert_eq!(doc["id"], format!("{id}/{name}"));
            assert_eq!(doc["type"], "OrderedCollection");
            assert_eq!(doc["attributedTo"], id);
            assert_eq!(doc["totalItems"], 0);
            assert_eq!(doc["first"], format!("{id}/{name}?page=1"));
            let page = client.get(&format!("/@alice/{name}?page=1")).await;
            assert_eq!(page.status, 200);
            assert_eq!(page.json["type"], "OrderedCollectionPage");
            assert_eq!(page.json["partOf"], format!("{id}/{name}"));
            assert_eq!(page.json["orderedItems"], json!([]));
            assert!(page.json.get("next").is_none());
            for bad in ["0", "-1", "x"] {
                let refused = client.get(&format!("/@alice/{name}?page={bad}")).await;
                assert_eq!(refused.status, 400, "page={bad}");
                assert!(refused.json["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("count from 1"));
            }
        }
    }
}
