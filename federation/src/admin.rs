//! Finding another instance's actor for an instance follow: the administrators' API and
//! pages (through [`Resolver`], the application's `InstanceResolver`) and the command line
//! (through [`resolve`]) share it. [`Resolver`] also finds the actors moderators invite to
//! their groups and the groups people look for by URL or handle (the application's
//! `ActorResolver`). This instance itself is refused, and so is a suspended
//! domain, before anything is fetched.

use crate::actors::remote::{self, RemoteActor};
use crate::client::Client;
use crate::discovery::lookup;
use crate::inbox::remote_actors::handle;
use crate::inbox::RemoteActors;
use crate::incoming::values::same_origin;
use crate::incoming::IncomingObject;
use convene_api::instance_follows::{InstanceResolver, ResolvedInstance};
use convene_api::remote_groups::{
    ActorResolver, FoundActor, FoundEvent, FoundObject, MembersOnlyCollections,
};
use convene_domain::event::RemoteOrigin;
use convene_projections::domains::{host_of_url, DomainDecisions};
use convene_projections::Database;
use serde_json::Value;
use sqlx::AnyPool;

/// Finds instance actors through the guarded client, for the application's use cases.
pub struct Resolver {
    pub client: Client,
    pub actors: RemoteActors,
    pub db: Database,
    /// This instance's public URL (never followed).
    pub public_url: String,
}

#[async_trait::async_trait]
impl InstanceResolver for Resolver {
    async fn resolve(&self, given: &str) -> Result<ResolvedInstance, String> {
        let (actor, inbox) = resolve(
            &self.client,
            &self.actors,
            self.db.pool(),
            &self.public_url,
            given,
        )
        .await?;
        Ok(ResolvedInstance { actor, inbox })
    }
}

/// Finds other instances' actors by URL or handle, for invitations to groups and for other
/// instances' groups shown here: this instance's own names and suspended domains are refused
/// before anything is fetched; the actor is fetched afresh from its origin (what a group says
/// of itself, its member count, changes) and kept in the `remote_actors` cache, where the
/// outbox reads its inbox.
#[async_trait::async_trait]
impl ActorResolver for Resolver {
    async fn find_actor(&self, who: &str) -> Result<FoundActor, String> {
        let who = who.trim();
        let id = if who.starts_with("https://") || who.starts_with("http://") {
            who.to_string()
        } else {
            let host = who.rsplit_once('@').map_or("", |(_, host)| host);
            if is_own_instance(&self.public_url, host) {
                return Err(format!(
                    "{who} is on this instance: name its profiles by their username"
                ));
            }
            lookup::actor_id(&self.client, who)
                .await
                .map_err(|e| e.to_string())?
        };
        if is_own_instance(&self.public_url, &id) {
            return Err(format!(
                "{id} is on this instance: invite its profiles by their username"
            ));
        }
        if let Some(host) = suspended_host(self.db.pool(), &id).await? {
            return Err(format!(
                "{host} is suspended by this instance's administrators"
            ));
        }
        let (actor, document) = self.fetch_actor(&id).await?;
        Ok(found_actor(&actor, &document))
    }

    async fn find_object(&self, url: &str) -> Result<FoundObject, String> {
        let url = url.trim();
        if is_own_instance(&self.public_url, url) {
            return Err(format!("{url} is on this instance: open it here"));
        }
        if let Some(host) = suspended_host(self.db.pool(), url).await? {
            return Err(format!(
                "{host} is suspended by this instance's administrators"
            ));
        }
        let fetched = self
            .client
            .get_json(url, None)
            .await
            .map_err(|e| format!("{url} cannot be fetched: {e}"))?;
        if !fetched.is_activity_json() {
            return Err(format!(
                "{url} is not served as ActivityStreams: give the address of a group, a profile or an event"
            ));
        }
        let kind = fetched
            .json
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("");
        if remote::ACTOR_TYPES.contains(&kind) {
            let id = fetched
                .json
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or(url);
            // Nothing is fetched from another server on this document's word.
            if !same_origin(id, fetched.url.as_str()) {
                return Err(format!("the document at {url} names itself {id}"));
            }
            let (actor, document) = self.fetch_actor(id).await?;
            return Ok(FoundObject::Actor(Box::new(found_actor(&actor, &document))));
        }
        let event = match crate::incoming::parse_object(&fetched.json) {
            Ok(IncomingObject::Event(event)) => event,
            Ok(_) => {
                return Err(format!(
                    "{url} is a {kind}, not an event, a group or a profile"
                ))
            }
            Err(ignored) => return Err(format!("{url} cannot be read: {ignored}")),
        };
        // As a received Create is checked: the event comes from where it was fetched, and
        // its organiser (or the group it is attributed to) from the same origin.
        if !same_origin(&event.id, fetched.url.as_str()) {
            return Err(format!("the document at {url} names itself {}", event.id));
        }
        let organiser = [&event.actor, &event.attributed_to]
            .into_iter()
            .find(|actor| same_origin(&event.id, actor))
            .ok_or_else(|| format!("{} names an organiser on another server", event.id))?
            .clone();
        let (actor, _) = self.fetch_actor(&organiser).await?;
        Ok(FoundObject::Event(Box::new(FoundEvent {
            origin: RemoteOrigin {
                object: event.id.clone(),
                actor: organiser,
                actor_handle: handle(&actor),
                actor_name: actor.name.clone(),
                url: event.url.clone().unwrap_or_else(|| event.id.clone()),
                inbox: Some(actor.delivery_inbox().to_string()),
            },
            details: event.details,
        })))
    }

    async fn fetch_as(&self, url: &str, username: &str) -> Result<Vec<Value>, String> {
        let collection = self.get_signed_as(url, username).await?;
        if let Some(items) = items_of(&collection) {
            return Ok(items);
        }
        // Paged: the first page, embedded or by its URL on the collection's own server.
        match collection.get("first") {
            Some(Value::String(first)) if same_origin(url, first) => {
                let page = self.get_signed_as(first, username).await?;
                items_of(&page).ok_or_else(|| format!("{first} lists no items"))
            }
            Some(page @ Value::Object(_)) => {
                items_of(page).ok_or_else(|| format!("{url} lists no items"))
            }
            Some(Value::String(first)) => Err(format!("{url} pages on another server: {first}")),
            _ if collection.get("totalItems").and_then(Value::as_u64) == Some(0) => Ok(Vec::new()),
            _ => Err(format!("{url} is not a collection")),
        }
    }
}

/// What the application is told of `actor`, fetched as `document`.
fn found_actor(actor: &RemoteActor, document: &Value) -> FoundActor {
    FoundActor {
        id: actor.id.to_string(),
        handle: handle(actor),
        kind: actor.kind.clone(),
        name: actor.name.clone(),
        summary: actor.summary.clone(),
        url: actor.url.as_ref().map(|u| u.to_string()),
        inbox: actor.inbox.to_string(),
        shared_inbox: actor.shared_inbox.as_ref().map(|u| u.to_string()),
        icon: picture_of(document, "icon"),
        banner: picture_of(document, "image"),
        member_count: document.get("memberCount").and_then(Value::as_u64),
        members_only: members_only(actor.id.as_str(), document),
    }
}

/// The members-only collections a group's `document` names, those on its own origin only (a
/// member's signature is never sent elsewhere).
fn members_only(id: &str, document: &Value) -> MembersOnlyCollections {
    let named = |name: &str| {
        document
            .get(name)
            .and_then(Value::as_str)
            .filter(|url| same_origin(id, url))
            .map(str::to_string)
    };
    MembersOnlyCollections {
        members: named("members"),
        discussions: named("discussions"),
        resources: named("resources"),
        todos: named("todos"),
    }
}

/// The items of a collection or collection page: `orderedItems`, else `items`.
fn items_of(document: &Value) -> Option<Vec<Value>> {
    ["orderedItems", "items"]
        .iter()
        .find_map(|key| document.get(*key)?.as_array().cloned())
}

impl Resolver {
    /// A GET of `url` signed by this instance's profile `username`, served as ActivityStreams.
    async fn get_signed_as(&self, url: &str, username: &str) -> Result<Value, String> {
        let actor = crate::actors::local::person_id(&self.public_url, username);
        use crate::delivery::SignerSource;
        let signer = crate::outbox::LocalSigners::new(&self.db, &self.public_url)
            .signer(&crate::keys::key_id(&actor))
            .await
            .ok_or_else(|| format!("@{username} has no key to sign with"))?;
        let fetched = self
            .client
            .get_json(url, Some(&signer))
            .await
            .map_err(|e| format!("{url} cannot be fetched as @{username}: {e}"))?;
        if !fetched.is_activity_json() {
            return Err(format!("{url} is not served as ActivityStreams"));
        }
        if !same_origin(url, fetched.url.as_str()) {
            return Err(format!("{url} led to another server"));
        }
        Ok(fetched.json)
    }

    /// The actor document at `id`, checked as the inbox checks a fetched one (served as
    /// ActivityStreams, from its own origin, naming itself `id`) and kept in the cache.
    async fn fetch_actor(&self, id: &str) -> Result<(RemoteActor, Value), String> {
        let fetched = self
            .client
            .get_json(id, None)
            .await
            .map_err(|e| format!("{id} cannot be fetched: {e}"))?;
        if !fetched.is_activity_json() {
            return Err(format!("{id} is not served as ActivityStreams"));
        }
        let actor = remote::parse(&fetched.json)
            .map_err(|e| format!("{id} is not an actor we talk to: {e}"))?;
        if actor.id.as_str() != id || !same_origin(id, fetched.url.as_str()) {
            return Err(format!("the document at {id} names itself {}", actor.id));
        }
        self.actors
            .refresh(&actor)
            .await
            .map_err(|e| format!("{id} cannot be kept: {e}"))?;
        Ok((actor, fetched.json))
    }
}

/// The address of the picture `document` gives as `key` (`icon`, the avatar; `image`, the
/// banner): an `Image`, a list of them, or a URL; http(s) only.
fn picture_of(document: &Value, key: &str) -> Option<String> {
    let icon = match document.get(key)? {
        Value::Array(icons) => icons.first()?,
        icon => icon,
    };
    let url = match icon {
        Value::String(url) => url.as_str(),
        image => match image.get("url")? {
            Value::String(url) => url.as_str(),
            link => link.get("href")?.as_str()?,
        },
    };
    (url.starts_with("https://") || url.starts_with("http://")).then(|| url.to_string())
}

/// The instance actor `given` names, fetched (and cached), and where it takes deliveries; or
/// why not. This instance (at `public_url`) is refused, and so is a suspended domain, before
/// anything is fetched.
pub async fn resolve(
    client: &Client,
    actors: &RemoteActors,
    pool: &AnyPool,
    public_url: &str,
    given: &str,
) -> Result<(String, String), String> {
    let own = || {
        format!(
            "{} is this instance itself: give another instance's host or URL",
            given.trim()
        )
    };
    if is_own_instance(public_url, given) {
        return Err(own());
    }
    let id = lookup::instance_actor_id(client, given)
        .await
        .map_err(|e| e.to_string())?;
    // A name that leads back here (another name of this host, a redirect).
    if is_own_instance(public_url, &id) {
        return Err(own());
    }
    if let Some(host) = suspended_host(pool, &id).await? {
        return Err(format!(
            "{host} is suspended by this instance's administrators: lift the decision first"
        ));
    }
    let actor = actors.get(&id).await.map_err(|e| format!("{id}: {e}"))?;
    // Whatever name led there (a configuration that does not know this instance's public URL,
    // a proxy), an actor publishing this instance's own key is this instance.
    let own_key = crate::keys::key_pair_in(pool, &crate::keys::KeyOwner::Instance)
        .await
        .map_err(|e| format!("this instance's key cannot be read: {e}"))?;
    if actor.public_key.pem.trim() == own_key.public_pem.trim() {
        return Err(own());
    }
    Ok((actor.id.to_string(), actor.delivery_inbox().to_string()))
}

/// The host of `url` when the administrators suspended its domain, else none; or why it cannot
/// be told.
async fn suspended_host(pool: &AnyPool, url: &str) -> Result<Option<String>, String> {
    let host = host_of_url(url).ok_or_else(|| format!("{url} is not an http(s) URL"))?;
    let decisions = DomainDecisions::load(pool)
        .await
        .map_err(|e| format!("the domain decisions cannot be read: {e}"))?;
    Ok(decisions.suspends(&host).then_some(host))
}

/// Whether `given` (a host, `host:port`, or a URL) names the instance at `public_url`: the same
/// host, and the same port when either says one (a URL's port is its scheme's by default).
pub fn is_own_instance(public_url: &str, given: &str) -> bool {
    let Ok(own) = url::Url::parse(public_url) else {
        return false;
    };
    let given = given.trim().trim_end_matches('/');
    let parsed = match url::Url::parse(given) {
        Ok(url) if url.has_host() => url,
        // A bare host (or host:port) is reached as the public URL is: by its scheme.
        _ => match url::Url::parse(&format!("{}://{given}", own.scheme())) {
            Ok(url) => url,
            Err(_) => return false,
        },
    };
    let host = |url: &url::Url| {
        url.host_str()
            .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
    };
    host(&parsed).is_some()
        && host(&parsed) == host(&own)
        && parsed.port_or_known_default() == own.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::{is_own_instance, picture_of};
    use serde_json::json;

    #[test]
    fn an_icon_is_an_image_a_list_of_them_or_a_url() {
        let icon_of = |document: &serde_json::Value| picture_of(document, "icon");
        let image = json!({"icon": {"type": "Image", "url": "https://a.example/i.png"}});
        assert_eq!(icon_of(&image).as_deref(), Some("https://a.example/i.png"));
        let list = json!({"icon": [{"type": "Image", "url": "https://a.example/1.png"}, "https://a.example/2.png"]});
        assert_eq!(icon_of(&list).as_deref(), Some("https://a.example/1.png"));
        let link = json!({"icon": {"type": "Image", "url": {"type": "Link", "href": "https://a.example/l.png"}}});
        assert_eq!(icon_of(&link).as_deref(), Some("https://a.example/l.png"));
        assert_eq!(
            icon_of(&json!({"icon": "https://a.example/s.png"})).as_deref(),
            Some("https://a.example/s.png")
        );
        assert_eq!(icon_of(&json!({"icon": "javascript:alert(1)"})), None);
        assert_eq!(icon_of(&json!({})), None);
        let banner = json!({"image": {"type": "Image", "url": "https://a.example/b.png"}});
        assert_eq!(
            picture_of(&banner, "image").as_deref(),
            Some("https://a.example/b.png")
        );
        assert_eq!(icon_of(&banner), None);
    }

    #[test]
    fn this_instance_is_known_by_any_of_its_names() {
        let own = |given| is_own_instance("https://events.example", given);
        assert!(own("events.example"));
        assert!(own("EVENTS.example."));
        assert!(own("https://events.example/"));
        assert!(own("https://events.example/relay"));
        assert!(own("events.example:443"));
        assert!(!own("other.example"));
        assert!(!own("events.example:8443"));
        assert!(!own("http://events.example"));
        assert!(!own("sub.events.example"));
        let local = |given| is_own_instance("http://127.0.0.1:8080", given);
        assert!(local("127.0.0.1:8080"));
        assert!(local("http://127.0.0.1:8080/relay"));
        assert!(!local("127.0.0.1:8081"));
        assert!(!local("127.0.0.1"));
    }
}
