//! Remote actors as last fetched (table `remote_actors`): the key that verifies their
//! signatures, where to deliver to them, and how to name them. Fetched through the guarded
//! client, unsigned (actor documents and keys stay fetchable without a signature: two servers
//! that both demand signed key fetches would wait on each other forever).

use crate::actors::remote::{self, RemoteActor, RemoteActorError, RemoteKey, ACTOR_TYPES};
use crate::client::{Client, FetchError};
use crate::incoming::values::same_origin;
use convene_domain::metadata::format_timestamp;
use convene_projections::Database;
use serde_json::Value;
use sqlx::Row;
use url::Url;

#[derive(Clone)]
pub struct RemoteActors {
    db: Database,
    client: Client,
}

#[derive(Debug, thiserror::Error)]
pub enum ActorError {
    #[error("{url} cannot be fetched: {error}")]
    Fetch { url: String, error: FetchError },
    #[error("{0} is not served as ActivityStreams")]
    NotActivityJson(String),
    #[error("the document at {url} names itself {id}, on another origin")]
    ServedElsewhere { url: String, id: String },
    #[error("the actor document is refused: {0}")]
    Actor(#[from] RemoteActorError),
    #[error("{0} is neither an actor nor a key with an owner")]
    NotAKey(String),
    #[error("the actor {actor} does not publish the key {key_id}")]
    KeyNotPublished { actor: String, key_id: String },
    #[error("the remote actors cannot be read or written: {0}")]
    Store(#[from] sqlx::Error),
}

impl ActorError {
    /// Whether the failure is ours (the database), not the peer's.
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Store(_))
    }
}

impl RemoteActors {
    pub fn new(db: &Database, client: Client) -> Self {
        Self {
            db: db.clone(),
            client,
        }
    }

    /// The actor publishing the key `key_id`, and whether it was fetched just now: from the
    /// cache unless `refresh` (after a signature failed with the cached key).
    pub async fn by_key(
        &self,
        key_id: &str,
        refresh: bool,
    ) -> Result<(RemoteActor, bool), ActorError> {
        if !refresh {
            if let Some(actor) = self.cached("key_id", key_id).await? {
                return Ok((actor, false));
            }
        }
        let document_url = key_id.split_once('#').map_or(key_id, |(url, _)| url);
        let document = self.fetch(document_url).await?;
        let kind = document.get("type").and_then(Value::as_str).unwrap_or("");
        let actor = if ACTOR_TYPES.contains(&kind) {
            remote::parse(&document)?
        } else {
            // A key document (`…/publickey`) names its owner.
            let owner = document
                .get("owner")
                .and_then(Value::as_str)
                .filter(|owner| same_origin(owner, document_url))
                .ok_or_else(|| ActorError::NotAKey(document_url.to_string()))?;
            remote::parse(&self.fetch(owner).await?)?
        };
        if actor.public_key.id.as_str() != key_id {
            return Err(ActorError::KeyNotPublished {
                actor: actor.id.to_string(),
                key_id: key_id.to_string(),
            });
        }
        self.store(&actor).await?;
        Ok((actor, true))
    }

    /// The actor `id`, from the cache or fetched.
    pub async fn get(&self, id: &str) -> Result<RemoteActor, ActorError> {
        if let Some(actor) = self.cached("id", id).await? {
            return Ok(actor);
        }
        let actor = remote::parse(&self.fetch(id).await?)?;
        if actor.id.as_str() != id {
            return Err(ActorError::ServedElsewhere {
                url: id.to_string(),
                id: actor.id.to_string(),
            });
        }
        self.store(&actor).await?;
        Ok(actor)
    }

    /// The actor `id` as cached, without fetching anything.
    pub async fn known(&self, id: &str) -> Result<Option<RemoteActor>, ActorError> {
        self.cached("id", id).await
    }

    /// Replaces the cached `actor` with the document it sent of itself (its `Update`).
    pub async fn refresh(&self, actor: &RemoteActor) -> Result<(), ActorError> {
        Ok(self.store(actor).await?)
    }

    /// A document served as ActivityStreams whose `id` is on the origin it was served from
    /// after redirects (Mastodon CVE-2024-25623).
    async fn fetch(&self, url: &str) -> Result<Value, ActorError> {
        let fetched = self
            .client
            .get_json(url, None)
            .await
            .map_err(|error| ActorError::Fetch {
                url: url.to_string(),
                error,
            })?;
        if !fetched.is_activity_json() {
            return Err(ActorError::NotActivityJson(url.to_string()));
        }
        let id = fetched
            .json
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !same_origin(id, fetched.url.as_str()) {
            return Err(ActorError::ServedElsewhere {
                url: url.to_string(),
                id: id.to_string(),
            });
        }
        Ok(fetched.json)
    }

    async fn store(&self, actor: &RemoteActor) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO remote_actors (id, kind, inbox, shared_inbox, key_id, public_key_pem, \
             preferred_username, name, url, fetched_at, summary) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (id) DO UPDATE SET kind = $2, inbox = $3, shared_inbox = $4, \
             key_id = $5, public_key_pem = $6, preferred_username = $7, name = $8, url = $9, \
             fetched_at = $10, summary = $11",
        )
        .bind(actor.id.as_str())
        .bind(&actor.kind)
        .bind(actor.inbox.as_str())
        .bind(actor.shared_inbox.as_ref().map(Url::as_str))
        .bind(actor.public_key.id.as_str())
        .bind(&actor.public_key.pem)
        .bind(&actor.preferred_username)
        .bind(&actor.name)
        .bind(actor.url.as_ref().map(Url::as_str))
        .bind(format_timestamp(time::OffsetDateTime::now_utc()))
        .bind(&actor.summary)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// The cached actor whose `column` (`id` or `key_id`) is `value`.
    async fn cached(&self, column: &str, value: &str) -> Result<Option<RemoteActor>, ActorError> {
        let row = sqlx::query(&format!(
            "SELECT id, kind, inbox, shared_inbox, key_id, public_key_pem, preferred_username, \
             name, url, summary FROM remote_actors WHERE {column} = $1"
        ))
        .bind(value)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let url = |text: String| Url::parse(&text).ok();
        let read = || -> Result<Option<RemoteActor>, sqlx::Error> {
            let (Some(id), Some(inbox), Some(key_id)) = (
                url(row.try_get("id")?),
                url(row.try_get("inbox")?),
                url(row.try_get("key_id")?),
            ) else {
                return Ok(None);
            };
            let shared: Option<String> = row.try_get("shared_inbox")?;
            let page: Option<String> = row.try_get("url")?;
            Ok(Some(RemoteActor {
                kind: row.try_get("kind")?,
                inbox,
                shared_inbox: shared.and_then(url),
                public_key: RemoteKey {
                    id: key_id,
                    owner: id.clone(),
                    pem: row.try_get("public_key_pem")?,
                },
                id,
                preferred_username: row.try_get("preferred_username")?,
                name: row.try_get("name")?,
                url: page.and_then(url),
                summary: row.try_get("summary")?,
            }))
        };
        Ok(read()?)
    }
}

/// How people write a remote actor: `name@host` (with the port when it is not the scheme's).
pub fn handle(actor: &RemoteActor) -> String {
    // `bad.example.` is `bad.example` to DNS: handles (which domain decisions match) say it once.
    let host = actor
        .id
        .host_str()
        .unwrap_or_default()
        .trim_end_matches('.');
    match actor.id.port() {
        Some(port) => format!("{}@{host}:{port}", actor.preferred_username),
        None => format!("{}@{host}", actor.preferred_username),
    }
}
