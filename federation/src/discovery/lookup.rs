//! Finding a remote actor the way people name it: `name@host` (WebFinger on that host) or the
//! actor's id URL.

use crate::client::{Client, Network};
use serde_json::Value;

/// Why a name does not lead to an actor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("`{0}` is neither name@host nor an http(s) URL")]
    NotAName(String),
    #[error("{host} does not answer WebFinger for {handle}: {reason}")]
    WebFinger {
        handle: String,
        host: String,
        reason: String,
    },
    #[error("{0}'s WebFinger answer links no ActivityPub actor")]
    NoActor(String),
}

/// The actor id `who` names: an http(s) URL as given, or `name@host` (a leading `@` allowed)
/// resolved by WebFinger. On the test network the host is asked over plain HTTP, as instances
/// on 127.0.0.1 serve it.
pub async fn actor_id(client: &Client, who: &str) -> Result<String, LookupError> {
    let who = who.trim();
    if who.starts_with("https://") || who.starts_with("http://") {
        return url::Url::parse(who)
            .map(|_| who.to_string())
            .map_err(|_| LookupError::NotAName(who.to_string()));
    }
    let handle = who.strip_prefix('@').unwrap_or(who);
    let Some((name, host)) = handle.rsplit_once('@') else {
        return Err(LookupError::NotAName(who.to_string()));
    };
    if name.is_empty() || host.is_empty() || host.contains('/') {
        return Err(LookupError::NotAName(who.to_string()));
    }
    let scheme = match client.network() {
        Network::TestLoopback => "http",
        Network::Public => "https",
    };
    let url = format!("{scheme}://{host}/.well-known/webfinger?resource=acct:{name}@{host}");
    let jrd = client
        .get_json(&url, None)
        .await
        .map_err(|e| LookupError::WebFinger {
            handle: handle.to_string(),
            host: host.to_string(),
            reason: e.to_string(),
        })?
        .json;
    self_link(&jrd).ok_or_else(|| LookupError::NoActor(handle.to_string()))
}

/// The instance actor of the instance `given` names: the actor URL as given, or for a host
/// (`events.example`, or its root URL) its `relay@host` by WebFinger (Mobilizon's and
/// Convene's instance actor), else `/relay` on it.
pub async fn instance_actor_id(client: &Client, given: &str) -> Result<String, LookupError> {
    let given = given.trim().trim_end_matches('/');
    let host = match url::Url::parse(given) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            if !url.path().trim_matches('/').is_empty() {
                return Ok(given.to_string());
            }
            let host = url
                .host_str()
                .ok_or_else(|| LookupError::NotAName(given.to_string()))?;
            match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            }
        }
        _ => given.to_string(),
    };
    if host.is_empty() || host.contains(['/', '@', ' ']) {
        return Err(LookupError::NotAName(given.to_string()));
    }
    match actor_id(client, &format!("relay@{host}")).await {
        Ok(id) => Ok(id),
        Err(_) => {
            let scheme = match client.network() {
                Network::TestLoopback => "http",
                Network::Public => "https",
            };
            Ok(format!("{scheme}://{host}/relay"))
        }
    }
}

/// The `self` link of a JRD with an ActivityPub type.
fn self_link(jrd: &Value) -> Option<String> {
    jrd.get("links")?.as_array()?.iter().find_map(|link| {
        let kind = link.get("type").and_then(Value::as_str).unwrap_or_default();
        let activity =
            kind == crate::signatures::ACTIVITY_JSON || kind.starts_with("application/ld+json");
        (link.get("rel")?.as_str()? == "self" && activity)
            .then(|| link.get("href")?.as_str().map(str::to_string))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_self_link_of_an_activitypub_type_is_the_actor() {
        let jrd = json!({"links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "https://a.example/@ana"},
            {"rel": "self", "type": "application/activity+json", "href": "https://a.example/users/ana"}
        ]});
        assert_eq!(
            self_link(&jrd).as_deref(),
            Some("https://a.example/users/ana")
        );
        let ld = json!({"links": [{"rel": "self", "type": "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"", "href": "https://b.example/ana"}]});
        assert_eq!(self_link(&ld).as_deref(), Some("https://b.example/ana"));
        assert_eq!(
            self_link(&json!({"links": [{"rel": "self", "type": "text/html", "href": "x"}]})),
            None
        );
        assert_eq!(self_link(&json!({})), None);
    }

    #[tokio::test]
    async fn names_that_are_not_handles_are_refused_before_any_request() {
        let client = Client::new(
            &url::Url::parse("http://127.0.0.1:1").expect("a URL"),
            Network::TestLoopback,
            Default::default(),
        )
        .expect("a client");
        for bad in ["ana", "@ana", "ana@", "@host", "ana@host/x", "ftp://x"] {
            assert_eq!(
                actor_id(&client, bad).await,
                Err(LookupError::NotAName(bad.to_string())),
                "{bad}"
            );
        }
        assert_eq!(
            actor_id(&client, "https://a.example/users/ana")
                .await
                .as_deref(),
            Ok("https://a.example/users/ana")
        );
    }
}
