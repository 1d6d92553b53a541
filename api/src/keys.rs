//! The instance's own secret keys, each made at random the first time it is needed and kept in
//! the database (`notification_keys`): what signs unsubscribe links and derives the tokens of
//! anonymous participants' cancellation links. A key never changes, or the links made with it
//! would stop working.

use convene_projections::{AnyPool, Error};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The key called `name`, made now if there is none yet (two processes making it at once agree
/// on the first one stored).
pub async fn named(pool: &AnyPool, name: &str) -> Result<Vec<u8>, Error> {
    let mut fresh = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut fresh);
    let key = convene_projections::keys::stored_or(pool, name, &hex::encode(fresh)).await?;
    hex::decode(key).map_err(|e| Error::Unreadable {
        position: 0,
        reason: format!("the instance's key {name}: {e}"),
    })
}

/// HMAC-SHA-256 of `payload` under `key`.
pub fn sign(key: &[u8], payload: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(payload.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_depend_on_the_key_and_the_payload() {
        assert_eq!(sign(b"k", "a"), sign(b"k", "a"));
        assert_ne!(sign(b"k", "a"), sign(b"k", "b"));
        assert_ne!(sign(b"k", "a"), sign(b"l", "a"));
        assert_eq!(sign(b"k", "a").len(), 32);
    }
}
