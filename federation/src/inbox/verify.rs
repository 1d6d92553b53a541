//! Who signed the request: the signature checked ([`crate::signatures`]), its key fetched from
//! its owner's actor document (cached; fetched again once when the cached key fails, for key
//! rotation), and, for an activity, the key's owner required to be the activity's `actor`.
//! Signed GETs (members fetching their group's collections) are checked the same way.

use super::{Inbox, Refusal, RemoteActors};
use crate::actors::remote::RemoteActor;
use crate::signatures::{self, Received};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use sqlx::AnyPool;
use std::time::{Duration, SystemTime};

/// The actor whose signature the request carries, when it is `claimed_actor`'s.
pub(super) async fn signer(
    inbox: &Inbox,
    parts: &http::request::Parts,
    body: &[u8],
    claimed_actor: &str,
) -> Result<RemoteActor, Refusal> {
    let checks = Checks {
        actors: &inbox.actors,
        pool: inbox.app.db.pool(),
        public_url: &inbox.federation.public_url,
        max_skew: inbox.max_skew,
    };
    let request = (&parts.method, &parts.uri, &parts.headers);
    checks.signed_by(request, body, Some(claimed_actor)).await
}

/// What checking a signature needs: the remote actors (their keys), the domain decisions,
/// this instance's public URL (its scheme) and the date window.
pub struct Checks<'a> {
    pub actors: &'a RemoteActors,
    pub pool: &'a AnyPool,
    pub public_url: &'a str,
    pub max_skew: Duration,
}

impl Checks<'_> {
    /// The actor whose key signed `request` (with `body`), verified; when `claimed_actor` is
    /// given, the key's owner must be it.
    pub async fn signed_by(
        &self,
        (method, uri, headers): (&Method, &Uri, &HeaderMap),
        body: &[u8],
        claimed_actor: Option<&str>,
    ) -> Result<RemoteActor, Refusal> {
        let scheme = url::Url::parse(self.public_url)
            .map(|u| u.scheme().to_string())
            .unwrap_or_else(|_| "https".into());
        let received = Received {
            method,
            uri,
            headers,
            body,
            scheme: &scheme,
        };
        let signed = signatures::parse(&received, SystemTime::now(), self.max_skew)
            .map_err(Refusal::unauthorized)?;
        let key_id = signed.key_id();
        // The key is fetched from where its id says: never from a suspended domain.
        super::not_suspended_in(self.pool, key_id).await?;
        let (actor, fresh) = self.key_owner(key_id, false).await?;
        owned_by(&actor, claimed_actor)?;
        match signed.verify(&actor.public_key.pem) {
            Ok(()) => Ok(actor),
            Err(error) if fresh => Err(Refusal::unauthorized(error)),
            Err(_) => {
                // The actor may have a new key since we cached the old one.
                let (actor, _) = self.key_owner(key_id, true).await?;
                owned_by(&actor, claimed_actor)?;
                signed
                    .verify(&actor.public_key.pem)
                    .map_err(Refusal::unauthorized)?;
                Ok(actor)
            }
        }
    }

    async fn key_owner(&self, key_id: &str, refresh: bool) -> Result<(RemoteActor, bool), Refusal> {
        self.actors
            .by_key(key_id, refresh)
            .await
            .map_err(|error| match error.is_internal() {
                true => Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
                false => Refusal::unauthorized(format!("the signing key: {error}")),
            })
    }
}

/// The key's owner must be the activity's actor: a server signs only for its own actors.
fn owned_by(actor: &RemoteActor, claimed_actor: Option<&str>) -> Result<(), Refusal> {
    let Some(claimed_actor) = claimed_actor else {
        return Ok(());
    };
    if url::Url::parse(claimed_actor).is_ok_and(|claimed| claimed == actor.id) {
        Ok(())
    } else {
        Err(Refusal::unauthorized(format!(
            "the key's owner {} is not the activity's actor {claimed_actor}",
            actor.id
        )))
    }
}
