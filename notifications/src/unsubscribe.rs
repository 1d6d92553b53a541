//! Signed one-click unsubscribe links (RFC 8058): each mail carries a link naming its mail, its
//! account and its kind, signed with the instance's key (HMAC-SHA-256). Following it (a POST)
//! turns that kind off for that account, once (a digest's link: every kind the account gets in
//! the digest): a link altered in any way, or used a second time, is refused and changes
//! nothing.

use crate::kinds::{Delivery, Kind};
use crate::store;
use convene_projections::Error;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::AnyPool;

type Signer = Hmac<Sha256>;

/// The instance's key signing unsubscribe links.
pub async fn key(pool: &AnyPool) -> Result<Vec<u8>, Error> {
    convene_api::keys::named(pool, "unsubscribe").await
}

fn signature(key: &[u8], payload: &str) -> Signer {
    let mut mac = Signer::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(payload.as_bytes());
    mac
}

/// What a digest's link stops: every kind the account gets in the digest.
pub const DIGEST: &str = "digest";

/// The token of the link in mail `mail` to `account` about `kind`.
pub fn token(key: &[u8], mail: &str, account: &str, kind: Kind) -> String {
    sign(key, mail, account, kind.as_str())
}

/// The token of the link in mail `mail` to `account` stopping `what` (a kind's name, or
/// [`DIGEST`]).
pub fn sign(key: &[u8], mail: &str, account: &str, what: &str) -> String {
    let payload = format!("{mail}:{account}:{what}");
    let tag = signature(key, &payload).finalize().into_bytes();
    format!("{}.{}", hex::encode(payload), hex::encode(tag))
}

/// Why a link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this link is not valid")]
    Invalid,
    #[error("this link was already used")]
    Used,
}

/// What a valid link names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribed {
    pub account: String,
    /// The kinds turned off: the mail's own, or for a digest every kind it listed.
    pub kinds: Vec<Kind>,
}

/// Checks `token` and, if it is genuine and unused, turns its kind off for its account.
pub async fn unsubscribe(
    pool: &AnyPool,
    token: &str,
) -> Result<Result<Unsubscribed, Refusal>, Error> {
    let key = key(pool).await?;
    let Some((payload_hex, tag_hex)) = token.split_once('.') else {
        return Ok(Err(Refusal::Invalid));
    };
    let (Ok(payload), Ok(tag)) = (hex::decode(payload_hex), hex::decode(tag_hex)) else {
        return Ok(Err(Refusal::Invalid));
    };
    let Ok(payload) = String::from_utf8(payload) else {
        return Ok(Err(Refusal::Invalid));
    };
    if signature(&key, &payload).verify_slice(&tag).is_err() {
        return Ok(Err(Refusal::Invalid));
    }
    let mut parts = payload.splitn(3, ':');
    let (Some(mail), Some(account), Some(what)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(Err(Refusal::Invalid));
    };
    let kinds = if what == DIGEST {
        store::settings(pool, account)
            .await?
            .into_iter()
            .filter(|(_, delivery)| *delivery == Delivery::Digest)
            .map(|(kind, _)| kind)
            .collect()
    } else {
        match Kind::parse(what).filter(|k| k.chosen_by_person()) {
            Some(kind) => vec![kind],
            None => return Ok(Err(Refusal::Invalid)),
        }
    };
    let mut tx = pool.begin().await?;
    let first = sqlx::query(
        "INSERT INTO notification_unsubscribed (mail_id, at) VALUES ($1, $2) \
         ON CONFLICT (mail_id) DO NOTHING",
    )
    .bind(mail)
    .bind(convene_domain::metadata::format_timestamp(
        time::OffsetDateTime::now_utc(),
    ))
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !first {
        tx.rollback().await?;
        return Ok(Err(Refusal::Used));
    }
    for kind in &kinds {
        store::set_setting(&mut tx, account, *kind, Delivery::Off).await?;
    }
    tx.commit().await?;
    Ok(Ok(Unsubscribed {
        account: account.to_string(),
        kinds,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_mail_account_and_kind_and_is_signed() {
        let a = token(b"key one", "m1", "acc", Kind::Announcement);
        assert_ne!(a, token(b"key two", "m1", "acc", Kind::Announcement));
        assert_ne!(a, token(b"key one", "m2", "acc", Kind::Announcement));
        assert_ne!(a, token(b"key one", "m1", "acc", Kind::Approved));
    }
}
