//! Who signed the request: the signature checked ([`crate::signatures`]), its key fetched from
//! its owner's actor document (cached; fetched again once when the cached key fails, for key
//! rotation), and the key's owner required to be the activity's `actor`.

use super::{Inbox, Refusal};
use crate::actors::remote::RemoteActor;
use crate::signatures::{self, Received};
use axum::http::StatusCode;
use std::time::SystemTime;

/// The actor whose signature the request carries, when it is `claimed_actor`'s.
pub(super) async fn signer(
    inbox: &Inbox,
    parts: &http::request::Parts,
    body: &[u8],
    claimed_actor: &str,
) -> Result<RemoteActor, Refusal> {
    let scheme = url::Url::parse(&inbox.federation.public_url)
        .map(|u| u.scheme().to_string())
        .unwrap_or_else(|_| "https".into());
    let received = Received {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        body,
        scheme: &scheme,
    };
    let signed = signatures::parse(&received, SystemTime::now(), inbox.max_skew)
        .map_err(Refusal::unauthorized)?;
    let key_id = signed.key_id();
    // The key is fetched from where its id says: never from a suspended domain.
    super::not_suspended(inbox, key_id).await?;
    let (actor, fresh) = key_owner(inbox, key_id, false).await?;
    owned_by(&actor, claimed_actor)?;
    match signed.verify(&actor.public_key.pem) {
        Ok(()) => Ok(actor),
        Err(error) if fresh => Err(Refusal::unauthorized(error)),
        Err(_) => {
            // The actor may have a new key since we cached the old one.
            let (actor, _) = key_owner(inbox, key_id, true).await?;
            owned_by(&actor, claimed_actor)?;
            signed
                .verify(&actor.public_key.pem)
                .map_err(Refusal::unauthorized)?;
            Ok(actor)
        }
    }
}

async fn key_owner(
    inbox: &Inbox,
    key_id: &str,
    refresh: bool,
) -> Result<(RemoteActor, bool), Refusal> {
    inbox
        .actors
        .by_key(key_id, refresh)
        .await
        .map_err(|error| match error.is_internal() {
            true => Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()),
            false => Refusal::unauthorized(format!("the signing key: {error}")),
        })
}

/// The key's owner must be the activity's actor: a server signs only for its own actors.
fn owned_by(actor: &RemoteActor, claimed_actor: &str) -> Result<(), Refusal> {
    if url::Url::parse(claimed_actor).is_ok_and(|claimed| claimed == actor.id) {
        Ok(())
    } else {
        Err(Refusal::unauthorized(format!(
            "the key's owner {} is not the activity's actor {claimed_actor}",
            actor.id
        )))
    }
}
