//! A peer finds a profile the way Mastodon and Mobilizon do: WebFinger for the account, the actor
//! document it links to, then the actor's key by its key id. The key is the same after a restart.

use crate::support::{run_ok, Server};
use convene_projections::scratch::test_urls;
use serde_json::Value;

/// GET `url` with `accept`: status, content type, JSON body.
fn fetch(url: &str, accept: &str) -> (u16, String, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .get(url)
        .header("accept", accept)
        .call()
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    assert!(
        !text.contains("PRIVATE"),
        "{url} serves a private key: {text}"
    );
    (
        response.status().as_u16(),
        content_type,
        serde_json::from_str(&text).unwrap_or_default(),
    )
}

/// WebFinger → actor → key, as a peer does it; the key's PEM.
fn discover(server: &Server, account: &str) -> String {
    let (status, content_type, jrd) = fetch(
        &format!(
            "{}/.well-known/webfinger?resource=acct:{account}",
            server.base
        ),
        "application/jrd+json",
    );
    assert_eq!(status, 200, "webfinger {account}: {jrd}");
    assert_eq!(content_type, "application/jrd+json");
    let actor_url = jrd["links"]
        .as_array()
        .and_then(|links| links.iter().find(|l| l["rel"] == "self"))
        .and_then(|l| l["href"].as_str())
        .expect("a self link")
        .to_string();
    let (status, content_type, actor) = fetch(&actor_url, "application/activity+json");
    assert_eq!(status, 200, "{actor_url}: {actor}");
    assert_eq!(content_type, "application/activity+json");
    let parsed = convene_federation::actors::remote::parse(&actor)
        .unwrap_or_else(|e| panic!("{actor_url}: {e}"));
    assert_eq!(parsed.id.as_str(), actor_url);
    // The key id dereferences to the document holding the key (fragment dropped).
    let key_id = parsed.public_key.id.as_str();
    let document = key_id.split('#').next().unwrap_or(key_id);
    let (status, _, holder) = fetch(document, "application/activity+json");
    assert_eq!(status, 200);
    assert_eq!(holder["publicKey"]["id"], key_id);
    parsed.public_key.key().expect("an RSA key");
    parsed.public_key.pem
}

#[test]
fn a_peer_discovers_a_profile_and_its_key_which_survives_a_restart() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let databases = runtime.block_on(test_urls("scenario discovery"));
    for database in &databases {
        let url = database.url.as_str();
        run_ok(
            url,
            &["profile", "create", "alice", "--display-name", "Alice"],
        );
        let server = Server::start(url);
        server.wait_until(|s| s.get("/api/v1/profiles/alice").0 == 200);
        let host = server.base.trim_start_matches("http://").to_string();
        let alice = discover(&server, &format!("alice@{host}"));
        let relay = discover(&server, &format!("relay@{host}"));
        assert_ne!(alice, relay, "{}", database.label);
        let (status, _, nodeinfo) =
            fetch(&format!("{}/nodeinfo/2.1", server.base), "application/json");
        assert_eq!(status, 200);
        assert_eq!(nodeinfo["software"]["name"], "convene");
        server.stop();

        // Another process, another port: the keys are the ones peers already hold.
        let restarted = Server::start(url);
        let host = restarted.base.trim_start_matches("http://").to_string();
        assert_eq!(
            discover(&restarted, &format!("alice@{host}")),
            alice,
            "{}",
            database.label
        );
        assert_eq!(discover(&restarted, &format!("relay@{host}")), relay);
        restarted.stop();
    }
}
