//! Remote actor documents (Mastodon, Mobilizon, Pleroma, Gancio, PeerTube, Friendica…): what we
//! need of them to deliver and to verify, and the checks that refuse an actor speaking for
//! another server.

use crate::signatures::PublicKey;
use serde_json::Value;
use url::Url;

/// The actor types we talk to (Mobilizon accepts the same).
pub const ACTOR_TYPES: [&str; 5] = ["Person", "Group", "Application", "Organization", "Service"];

/// The longest URL or name taken from a remote document.
const FIELD_MAX: usize = 2048;
/// Longest `summary` kept, in characters; a longer one is cut, never a reason to refuse an actor.
pub const SUMMARY_MAX: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteActor {
    pub id: Url,
    /// `Person`, `Group`, `Application`, `Organization` or `Service`.
    pub kind: String,
    pub inbox: Url,
    /// `endpoints.sharedInbox`, when the server offers one.
    pub shared_inbox: Option<Url>,
    pub public_key: RemoteKey,
    pub preferred_username: String,
    pub name: Option<String>,
    /// The profile page, when given.
    pub url: Option<Url>,
    /// What it says of itself (HTML as sent, at most [`SUMMARY_MAX`] characters): kept by a
    /// report on it.
    pub summary: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteKey {
    pub id: Url,
    pub owner: Url,
    /// The PEM as published: SPKI ("BEGIN PUBLIC KEY") or PKCS#1 ("BEGIN RSA PUBLIC KEY", as
    /// Mobilizon writes it). Known to parse.
    pub pem: String,
}

impl RemoteKey {
    /// The key as signatures are verified with, whichever PEM form it came in.
    pub fn key(&self) -> Result<PublicKey, RemoteActorError> {
        PublicKey::from_pem(&self.pem).map_err(|e| RemoteActorError::BadKey(e.to_string()))
    }
}

impl RemoteActor {
    /// Where to deliver: the shared inbox when offered, else the actor's own.
    pub fn delivery_inbox(&self) -> &Url {
        self.shared_inbox.as_ref().unwrap_or(&self.inbox)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteActorError {
    #[error("the actor document has no `{0}`")]
    Missing(&'static str),
    #[error("`{field}` is not an http(s) URL: {reason}")]
    NotAUrl { field: &'static str, reason: String },
    #[error("`{field}` is longer than {FIELD_MAX} characters")]
    TooLong { field: &'static str },
    #[error("type `{0}` is not an actor type we talk to (Person, Group, Application, Organization, Service)")]
    NotAnActor(String),
    #[error("`{field}` ({url}) is on another origin than the actor {actor}: an actor speaks only for its own server")]
    OtherOrigin {
        field: &'static str,
        url: String,
        actor: String,
    },
    #[error("the key's owner {owner} is not the actor {actor}")]
    KeyOwner { owner: String, actor: String },
    #[error("the public key does not parse as an RSA key in SPKI or PKCS#1 PEM: {0}")]
    BadKey(String),
}

/// Parses and checks an actor document.
pub fn parse(document: &Value) -> Result<RemoteActor, RemoteActorError> {
    let kind = text(document, "type")?.ok_or(RemoteActorError::Missing("type"))?;
    if !ACTOR_TYPES.contains(&kind.as_str()) {
        return Err(RemoteActorError::NotAnActor(kind));
    }
    let id = url_of(document.get("id"), "id")?.ok_or(RemoteActorError::Missing("id"))?;
    let inbox =
        url_of(document.get("inbox"), "inbox")?.ok_or(RemoteActorError::Missing("inbox"))?;
    same_origin(&id, &inbox, "inbox")?;
    let shared_inbox = url_of(
        document.get("endpoints").and_then(|e| e.get("sharedInbox")),
        "endpoints.sharedInbox",
    )?;
    if let Some(shared) = &shared_inbox {
        same_origin(&id, shared, "endpoints.sharedInbox")?;
    }
    let key = match document.get("publicKey") {
        // Some servers publish several keys: the first is the main one.
        Some(Value::Array(keys)) => keys.first(),
        other => other,
    }
    .ok_or(RemoteActorError::Missing("publicKey"))?;
    let key_id =
        url_of(key.get("id"), "publicKey.id")?.ok_or(RemoteActorError::Missing("publicKey.id"))?;
    let owner = url_of(key.get("owner"), "publicKey.owner")?
        .ok_or(RemoteActorError::Missing("publicKey.owner"))?;
    if owner != id {
        return Err(RemoteActorError::KeyOwner {
            owner: owner.to_string(),
            actor: id.to_string(),
        });
    }
    same_origin(&id, &key_id, "publicKey.id")?;
    let pem = key
        .get("publicKeyPem")
        .and_then(Value::as_str)
        .ok_or(RemoteActorError::Missing("publicKey.publicKeyPem"))?;
    // Some servers double-escape the line breaks (a literal backslash-n in the JSON string).
    let pem = pem.replace("\\n", "\n");
    PublicKey::from_pem(&pem).map_err(|e| RemoteActorError::BadKey(e.to_string()))?;
    let preferred_username = text(document, "preferredUsername")?
        .ok_or(RemoteActorError::Missing("preferredUsername"))?;
    let name = text(document, "name")?.filter(|n| !n.is_empty());
    // `url` is a string, a Link, or a list of them (PeerTube, Friendica).
    let url = match document.get("url") {
        Some(Value::Array(links)) => links
            .iter()
            .find_map(|l| url_of(Some(l), "url").ok().flatten()),
        other => url_of(other, "url").ok().flatten(),
    };
    let summary = document
        .get("summary")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.chars().take(SUMMARY_MAX).collect());
    Ok(RemoteActor {
        id,
        kind,
        inbox,
        shared_inbox,
        public_key: RemoteKey {
            id: key_id,
            owner,
            pem,
        },
        preferred_username,
        name,
        url,
        summary,
    })
}

fn text(document: &Value, field: &'static str) -> Result<Option<String>, RemoteActorError> {
    let Some(value) = document.get(field).and_then(Value::as_str) else {
        return Ok(None);
    };
    if value.len() > FIELD_MAX {
        return Err(RemoteActorError::TooLong { field });
    }
    Ok(Some(value.to_string()))
}

/// A URL given as a string or as an object with `id` or `href`.
fn url_of(value: Option<&Value>, field: &'static str) -> Result<Option<Url>, RemoteActorError> {
    let text = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Object(o)) => match o
            .get("href")
            .or_else(|| o.get("id"))
            .and_then(Value::as_str)
        {
            Some(s) => s,
            None => return Ok(None),
        },
        Some(_) => {
            return Err(RemoteActorError::NotAUrl {
                field,
                reason: "neither a string nor a link".to_string(),
            })
        }
    };
    if text.len() > FIELD_MAX {
        return Err(RemoteActorError::TooLong { field });
    }
    let url = Url::parse(text).map_err(|e| RemoteActorError::NotAUrl {
        field,
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(RemoteActorError::NotAUrl {
            field,
            reason: format!("`{text}` has no http(s) host"),
        });
    }
    Ok(Some(url))
}

/// Origins compared as the URL standard does (scheme, lower-cased host, port with defaults).
fn same_origin(actor: &Url, other: &Url, field: &'static str) -> Result<(), RemoteActorError> {
    if actor.origin() == other.origin() {
        Ok(())
    } else {
        Err(RemoteActorError::OtherOrigin {
            field,
            url: other.to_string(),
            actor: actor.to_string(),
        })
    }
}
