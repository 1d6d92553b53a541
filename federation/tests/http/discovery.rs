//! WebFinger, host-meta and NodeInfo.

use crate::servers;
use crate::support::{member_with_profile, publish_event, TestServer};
use convene_api::Registrations;
use convene_projections::scratch::test_urls;

#[tokio::test]
async fn webfinger_finds_a_profile_and_the_instance_actor() {
    for (_scratch, server) in servers("webfinger_finds_a_profile_and_the_instance_actor").await {
        member_with_profile(&server, "alice@example.org", "alice").await;
        let client = server.client();
        let (base, host) = (server.base.clone(), server.host().to_string());
        for resource in [
            format!("acct:alice@{host}"),
            format!("acct:ALICE@{host}"),
            format!("{base}/@alice"),
        ] {
            let found = client
                .get(&format!("/.well-known/webfinger?resource={resource}"))
                .await;
            assert_eq!(
                found.status, 200,
                "{}: {resource}: {}",
                server.label, found.text
            );
            assert_eq!(found.header("content-type"), "application/jrd+json");
            assert_eq!(found.header("access-control-allow-origin"), "*");
            let jrd = &found.json;
            assert_eq!(jrd["subject"], format!("acct:alice@{host}"));
            assert_eq!(
                jrd["aliases"],
                serde_json::json!([format!("{base}/@alice")])
            );
            let links = jrd["links"].as_array().cloned().unwrap_or_default();
            let link = |rel: &str| links.iter().find(|l| l["rel"] == rel).cloned();
            let own = link("self").expect("a self link");
            assert_eq!(own["type"], "application/activity+json");
            assert_eq!(own["href"], format!("{base}/@alice"));
            let page = link("http://webfinger.net/rel/profile-page").expect("a profile page");
            assert_eq!(page["type"], "text/html");
            assert_eq!(page["href"], format!("{base}/@alice"));
            let subscribe = link("http://ostatus.org/schema/1.0/subscribe").expect("subscribe");
            assert_eq!(
                subscribe["template"],
                format!("{base}/interact?uri={{uri}}")
            );
        }
        for resource in [
            format!("acct:relay@{host}"),
            format!("{base}/relay"),
            format!("{base}/"),
        ] {
            let found = client
                .get(&format!("/.well-known/webfinger?resource={resource}"))
                .await;
            assert_eq!(found.status, 200, "{resource}: {}", found.text);
            assert_eq!(found.json["subject"], format!("acct:relay@{host}"));
            assert_eq!(found.json["links"][0]["href"], format!("{base}/relay"));
        }
        server.assert_no_private_key_served();
    }
}

#[tokio::test]
async fn webfinger_refuses_unknown_and_malformed_resources() {
    for (_scratch, server) in servers("webfinger_refuses_unknown_and_malformed_resources").await {
        let client = server.client();
        let host = server.host().to_string();
        for (query, status, says) in [
            (
                format!("resource=acct:nobody@{host}"),
                404,
                "no profile or group @nobody",
            ),
            (
                "resource=acct:alice@elsewhere.example".to_string(),
                404,
                "not this instance",
            ),
            (
                "resource=https://elsewhere.example/@alice".to_string(),
                404,
                "not on this instance",
            ),
            (String::new(), 400, "needs `resource`"),
            ("resource=".to_string(), 400, "needs `resource`"),
            ("resource=acct:alice".to_string(), 400, "names no host"),
            ("resource=mailto:alice@x".to_string(), 400, "neither acct:"),
        ] {
            let refused = client.get(&format!("/.well-known/webfinger?{query}")).await;
            assert_eq!(
                refused.status, status,
                "{}: {query}: {}",
                server.label, refused.text
            );
            assert_eq!(refused.header("content-type"), "application/problem+json");
            let detail = refused.json["detail"].as_str().unwrap_or_default();
            assert!(detail.contains(says), "{query}: {detail}");
        }
    }
}

#[tokio::test]
async fn host_meta_points_at_webfinger() {
    for (_scratch, server) in servers("host_meta_points_at_webfinger").await {
        let client = server.client();
        let xrd = client.get("/.well-known/host-meta").await;
        assert_eq!(xrd.status, 200);
        assert!(xrd
            .header("content-type")
            .starts_with("application/xrd+xml"));
        let template = format!("{}/.well-known/webfinger?resource={{uri}}", server.base);
        assert!(
            xrd.text.contains(&format!("template=\"{template}\"")),
            "{}",
            xrd.text
        );
        assert!(xrd
            .text
            .contains("<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">"));
        let json = client.get("/.well-known/host-meta.json").await;
        assert_eq!(json.status, 200);
        assert_eq!(json.json["links"][0]["rel"], "lrdd");
        assert_eq!(json.json["links"][0]["template"], template);
    }
}

/// The fields NodeInfo's JSON schemas require, for both versions.
fn assert_nodeinfo_shape(document: &serde_json::Value, version: &str) {
    assert_eq!(document["version"], version);
    assert_eq!(document["software"]["name"], "convene");
    assert_eq!(document["software"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(document["protocols"], serde_json::json!(["activitypub"]));
    assert!(document["services"]["inbound"].is_array());
    assert!(document["services"]["outbound"].is_array());
    assert!(document["openRegistrations"].is_boolean());
    for count in ["total", "activeMonth", "activeHalfyear"] {
        assert!(document["usage"]["users"][count].is_i64(), "users.{count}");
    }
    assert!(document["usage"]["localPosts"].is_i64());
    assert!(document["metadata"].is_object());
}

#[tokio::test]
async fn nodeinfo_links_both_versions_and_the_instance_actor() {
    for (_scratch, server) in servers("nodeinfo_links_both_versions_and_the_instance_actor").await {
        let client = server.client();
        let links = client.get("/.well-known/nodeinfo").await;
        assert_eq!(links.status, 200);
        assert_eq!(links.header("access-control-allow-origin"), "*");
        let links = links.json["links"].as_array().cloned().unwrap_or_default();
        let href = |rel: &str| {
            links
                .iter()
                .find(|l| l["rel"] == rel)
                .and_then(|l| l["href"].as_str())
                .map(str::to_string)
        };
        let base = &server.base;
        assert_eq!(
            href("http://nodeinfo.diaspora.software/ns/schema/2.0"),
            Some(format!("{base}/nodeinfo/2.0"))
        );
        assert_eq!(
            href("http://nodeinfo.diaspora.software/ns/schema/2.1"),
            Some(format!("{base}/nodeinfo/2.1"))
        );
        // FEP-2677: the instance actor, and it is there.
        let actor = href("https://www.w3.org/ns/activitystreams#Application").expect("FEP-2677");
        assert_eq!(actor, format!("{base}/relay"));
        let relay = client.get(actor.trim_start_matches(base.as_str())).await;
        assert_eq!(relay.json["type"], "Application");
        for version in ["2.0", "2.1"] {
            let document = client.get(&format!("/nodeinfo/{version}")).await;
            assert_eq!(document.status, 200);
            assert_eq!(
                document.header("content-type"),
                format!("application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\"")
            );
            assert_nodeinfo_shape(&document.json, version);
            assert_eq!(document.json["openRegistrations"], true);
            assert_eq!(document.json["metadata"]["nodeName"], "Test instance");
            assert_eq!(
                document.json["metadata"]["nodeDescription"],
                "Where tests meet"
            );
        }
    }
}

#[tokio::test]
async fn nodeinfo_counts_change_with_accounts_and_events() {
    for (_scratch, server) in servers("nodeinfo_counts_change_with_accounts_and_events").await {
        let client = server.client();
        let before = client.get("/nodeinfo/2.1").await.json;
        assert_eq!(before["usage"]["users"]["total"], 0, "{}", server.label);
        assert_eq!(before["usage"]["localPosts"], 0);
        let alice = member_with_profile(&server, "alice@example.org", "alice").await;
        publish_event(&alice).await;
        publish_event(&alice).await;
        let after = client.get("/nodeinfo/2.1").await.json;
        assert_eq!(after["usage"]["users"]["total"], 1, "{after}");
        // Alice signed in just now.
        assert_eq!(after["usage"]["users"]["activeMonth"], 1, "{after}");
        assert_eq!(after["usage"]["users"]["activeHalfyear"], 1, "{after}");
        assert_eq!(after["usage"]["localPosts"], 2, "{after}");
        let v20 = client.get("/nodeinfo/2.0").await.json;
        assert_eq!(v20["usage"], after["usage"]);
    }
}

#[tokio::test]
async fn nodeinfo_says_when_registrations_are_closed() {
    for scratch in test_urls("nodeinfo_says_when_registrations_are_closed").await {
        let server = TestServer::start(&scratch, Registrations::Closed).await;
        let document = server.client().get("/nodeinfo/2.0").await;
        assert_eq!(
            document.json["openRegistrations"], false,
            "{}",
            server.label
        );
    }
}

#[tokio::test]
async fn interact_shows_local_things_and_looks_other_instances_things_up() {
    for (_scratch, server) in
        servers("interact_shows_local_things_and_looks_other_instances_things_up").await
    {
        let client = server.client();
        let local = format!("{}/@alice", server.base);
        let shown = client.get(&format!("/interact?uri={local}")).await;
        assert_eq!(shown.status, 303, "{}", shown.text);
        assert_eq!(shown.header("location"), local);
        let remote = client
            .get("/interact?uri=https://elsewhere.example/@bob?x=1%262")
            .await;
        assert_eq!(remote.status, 303, "{}", remote.text);
        assert_eq!(
            remote.header("location"),
            "/search?q=https%3A%2F%2Felsewhere.example%2F%40bob%3Fx%3D1%262"
        );
        let missing = client.get("/interact").await;
        assert_eq!(missing.status, 400);
    }
}
