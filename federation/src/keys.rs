//! The RSA key pair of each local actor: generated on first need, kept in the `actor_keys` table
//! (not a read model: a replay never drops or regenerates it), published as SPKI PEM in the actor
//! document, and read back as PKCS#8 PEM only to sign.
//!
//! The private key is wrapped in [`PrivateKeyPem`], which prints as `[private key]` and cannot be
//! serialised, so it cannot slip into a response or a log line.

use convene_domain::metadata::format_timestamp;
use convene_projections::Database;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::RsaPrivateKey;
use sqlx::{AnyPool, Row};

/// The size Mastodon and Mobilizon use.
pub const KEY_BITS: usize = 2048;

/// Whose key: a stable local name, independent of the public URL (which may change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOwner {
    Instance,
    Profile(String),
    Group(String),
}

impl KeyOwner {
    /// The row's key in `actor_keys`.
    pub fn storage_key(&self) -> String {
        match self {
            KeyOwner::Instance => "instance".to_string(),
            KeyOwner::Profile(username) => format!("profile:{username}"),
            KeyOwner::Group(handle) => format!("group:{handle}"),
        }
    }
}

/// A PKCS#8 PEM private key. Never printed, never serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKeyPem(String);

impl PrivateKeyPem {
    /// The PEM text, for the signer only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[private key]")
    }
}

/// An actor's key pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`), as published in `publicKey.publicKeyPem`.
    pub public_pem: String,
    pub private_pem: PrivateKeyPem,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot generate a key pair: {0}")]
    Generate(String),
    #[error("the key store cannot be read or written: {0}")]
    Store(#[from] sqlx::Error),
}

/// The key id of an actor's key, as the signatures name it.
pub fn key_id(actor_id: &str) -> String {
    format!("{actor_id}#main-key")
}

/// The key pair of `owner`, generated and stored on first need. Two concurrent first calls agree
/// on one key: each tries to insert, the first insert wins, and both read back the stored row.
pub async fn key_pair(db: &Database, owner: &KeyOwner) -> Result<KeyPair, KeyError> {
    key_pair_in(db.pool(), owner).await
}

/// [`key_pair`] over a pool (the outbox, which publishes keys in the actors' `Update`s, has one).
pub async fn key_pair_in(pool: &AnyPool, owner: &KeyOwner) -> Result<KeyPair, KeyError> {
    let actor = owner.storage_key();
    if let Some(pair) = stored(pool, &actor).await? {
        return Ok(pair);
    }
    // Seconds of work even optimised: off the async threads.
    let generated = tokio::task::spawn_blocking(generate)
        .await
        .map_err(|e| KeyError::Generate(e.to_string()))??;
    sqlx::query(
        "INSERT INTO actor_keys (actor, public_key_pem, private_key_pem, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (actor) DO NOTHING",
    )
    .bind(&actor)
    .bind(&generated.public_pem)
    .bind(generated.private_pem.expose())
    .bind(format_timestamp(time::OffsetDateTime::now_utc()))
    .execute(pool)
    .await?;
    match stored(pool, &actor).await? {
        Some(pair) => Ok(pair),
        None => Err(KeyError::Store(sqlx::Error::RowNotFound)),
    }
}

/// The public key of `owner` (generating the pair on first need).
pub async fn public_key_pem(db: &Database, owner: &KeyOwner) -> Result<String, KeyError> {
    Ok(key_pair(db, owner).await?.public_pem)
}

async fn stored(pool: &AnyPool, actor: &str) -> Result<Option<KeyPair>, KeyError> {
    let row =
        sqlx::query("SELECT public_key_pem, private_key_pem FROM actor_keys WHERE actor = $1")
            .bind(actor)
            .fetch_optional(pool)
            .await?;
    row.map(|row| {
        Ok(KeyPair {
            public_pem: row.try_get("public_key_pem")?,
            private_pem: PrivateKeyPem(row.try_get("private_key_pem")?),
        })
    })
    .transpose()
}

/// A fresh RSA key pair in the agreed formats.
pub fn generate() -> Result<KeyPair, KeyError> {
    let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, KEY_BITS)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let public_pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    let private_pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    Ok(KeyPair {
        public_pem,
        private_pem: PrivateKeyPem(private_pem.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};

    #[test]
    fn a_generated_pair_is_pkcs8_and_spki_and_matches() -> Result<(), Box<dyn std::error::Error>> {
        let pair = generate()?;
        assert!(pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(pair
            .private_pem
            .expose()
            .starts_with("-----BEGIN PRIVATE KEY-----"));
        let private = RsaPrivateKey::from_pkcs8_pem(pair.private_pem.expose())?;
        let public = rsa::RsaPublicKey::from_public_key_pem(&pair.public_pem)?;
        assert_eq!(private.to_public_key(), public);
        assert_eq!(rsa::traits::PublicKeyParts::size(&public) * 8, KEY_BITS);
        Ok(())
    }

    #[test]
    fn the_private_key_never_prints() -> Result<(), KeyError> {
        let pair = generate()?;
        let printed = format!("{pair:?}");
        assert!(!printed.contains("PRIVATE"), "{printed}");
        assert!(printed.contains("[private key]"));
        Ok(())
    }

    #[test]
    fn key_ids_are_the_main_key_fragment() {
        assert_eq!(
            key_id("https://events.example/@alice"),
            "https://events.example/@alice#main-key"
        );
    }
}
