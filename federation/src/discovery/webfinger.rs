//! WebFinger (RFC 7033): `acct:name@host` (or the actor's URL) to the actor document's URL.

use crate::actors::local::{instance_actor_id, person_id, INSTANCE_USERNAME};
use serde_json::{json, Value};

/// What a `resource` names on this instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// A profile or group name (`acct:name@host`, `{public_url}/@name`).
    Name(String),
    /// The instance actor (`acct:relay@host`, `{public_url}/relay`, `acct:host@host`, the
    /// instance's own URL).
    Instance,
}

/// Why a resource is not answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 400: not something WebFinger can look up.
    Malformed(String),
    /// 404: another server's, or nothing of ours.
    NotHere(String),
}

/// Reads `resource` for the instance at `public_url` (whose authority is `host`, with its port
/// when not the default).
pub fn resource(resource: Option<&str>, public_url: &str, host: &str) -> Result<Resource, Refusal> {
    let resource = resource
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            Refusal::Malformed("the query needs `resource`, such as acct:alice@".to_string() + host)
        })?;
    if let Some(account) = resource.strip_prefix("acct:") {
        // Some clients write `acct:@name@host`.
        let account = account.strip_prefix('@').unwrap_or(account);
        let Some((name, at)) = account.rsplit_once('@') else {
            return Err(Refusal::Malformed(format!(
                "`{resource}` names no host: write acct:name@{host}"
            )));
        };
        if name.is_empty() || at.is_empty() {
            return Err(Refusal::Malformed(format!(
                "`{resource}` needs both a name and a host: acct:name@{host}"
            )));
        }
        if !at.eq_ignore_ascii_case(host) {
            return Err(Refusal::NotHere(format!(
                "{at} is not this instance ({host})"
            )));
        }
        let name = name.to_ascii_lowercase();
        if name == INSTANCE_USERNAME || name.eq_ignore_ascii_case(host) {
            return Ok(Resource::Instance);
        }
        return Ok(Resource::Name(name));
    }
    if resource.starts_with("http://") || resource.starts_with("https://") {
        let url = url::Url::parse(resource)
            .map_err(|e| Refusal::Malformed(format!("`{resource}` is not a URL: {e}")))?;
        let ours = url::Url::parse(public_url)
            .map_err(|e| Refusal::Malformed(format!("the public URL does not parse: {e}")))?;
        if url.origin() != ours.origin() {
            return Err(Refusal::NotHere(format!(
                "{resource} is not on this instance"
            )));
        }
        let path = url.path().trim_end_matches('/');
        if path.is_empty() || path == format!("/{INSTANCE_USERNAME}") {
            return Ok(Resource::Instance);
        }
        if let Some(name) = path
            .strip_prefix("/@")
            .filter(|n| !n.is_empty() && !n.contains('/'))
        {
            return Ok(Resource::Name(name.to_ascii_lowercase()));
        }
        return Err(Refusal::NotHere(format!("{resource} names no actor")));
    }
    Err(Refusal::Malformed(format!(
        "`{resource}` is neither acct:name@{host} nor an http(s) URL"
    )))
}

/// The JRD of the profile or group `@username` (both are actors at `/@name`).
pub fn person(public_url: &str, host: &str, username: &str) -> Value {
    let id = person_id(public_url, username);
    jrd(public_url, &format!("acct:{username}@{host}"), &id, &id)
}

/// The JRD of the instance actor.
pub fn instance(public_url: &str, host: &str) -> Value {
    let id = instance_actor_id(public_url);
    jrd(
        public_url,
        &format!("acct:{INSTANCE_USERNAME}@{host}"),
        &id,
        public_url,
    )
}

fn jrd(public_url: &str, subject: &str, actor: &str, page: &str) -> Value {
    let mut aliases = vec![actor.to_string()];
    if page != actor {
        aliases.push(page.to_string());
    }
    json!({
        "subject": subject,
        "aliases": aliases,
        "links": [
            {"rel": "self", "type": crate::signatures::ACTIVITY_JSON, "href": actor},
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": page},
            {"rel": "http://ostatus.org/schema/1.0/subscribe", "template": format!("{public_url}/interact?uri={{uri}}")},
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://events.example";
    const HOST: &str = "events.example";

    fn read(r: &str) -> Result<Resource, Refusal> {
        resource(Some(r), URL, HOST)
    }

    #[test]
    fn names_and_urls_of_ours_are_found() {
        assert_eq!(
            read("acct:alice@events.example"),
            Ok(Resource::Name("alice".into()))
        );
        assert_eq!(
            read("acct:Alice@Events.Example"),
            Ok(Resource::Name("alice".into()))
        );
        assert_eq!(
            read("acct:@alice@events.example"),
            Ok(Resource::Name("alice".into()))
        );
        assert_eq!(
            read("https://events.example/@alice"),
            Ok(Resource::Name("alice".into()))
        );
        assert_eq!(read("acct:relay@events.example"), Ok(Resource::Instance));
        assert_eq!(
            read("acct:events.example@events.example"),
            Ok(Resource::Instance)
        );
        assert_eq!(read("https://events.example/relay"), Ok(Resource::Instance));
        assert_eq!(read("https://events.example/"), Ok(Resource::Instance));
    }

    #[test]
    fn other_hosts_are_not_here_and_nonsense_is_malformed() {
        assert!(matches!(
            read("acct:alice@elsewhere.example"),
            Err(Refusal::NotHere(_))
        ));
        assert!(matches!(
            read("https://elsewhere.example/@alice"),
            Err(Refusal::NotHere(_))
        ));
        assert!(matches!(
            read("https://events.example/events/1"),
            Err(Refusal::NotHere(_))
        ));
        assert!(matches!(read("acct:alice"), Err(Refusal::Malformed(_))));
        assert!(matches!(
            read("acct:@events.example"),
            Err(Refusal::Malformed(_))
        ));
        assert!(matches!(
            read("mailto:alice@events.example"),
            Err(Refusal::Malformed(_))
        ));
        assert!(matches!(
            resource(None, URL, HOST),
            Err(Refusal::Malformed(_))
        ));
        // A look-alike host is another host (CVE-2023-42451's class: compare whole hosts).
        assert!(matches!(
            read("acct:alice@events.example.evil"),
            Err(Refusal::NotHere(_))
        ));
    }

    #[test]
    fn the_jrd_has_mastodons_links() {
        let jrd = person(URL, HOST, "alice");
        assert_eq!(jrd["subject"], "acct:alice@events.example");
        assert_eq!(jrd["aliases"][0], "https://events.example/@alice");
        assert_eq!(jrd["links"][0]["href"], "https://events.example/@alice");
        assert_eq!(
            jrd["links"][2]["template"],
            "https://events.example/interact?uri={uri}"
        );
    }
}
