//! The signer of each queued activity, from its key id: the key pairs of local actors.

use crate::actors::local::instance_actor_id;
use crate::delivery::SignerSource;
use crate::keys::{key_id, key_pair, KeyOwner};
use crate::signatures::Signer;
use convene_projections::Database;

/// Signs with the keys of this instance's actors (`{public_url}/@name#main-key`, a profile's or
/// a group's, and the instance actor's).
pub struct LocalSigners {
    db: Database,
    public_url: String,
}

impl LocalSigners {
    pub fn new(db: &Database, public_url: &str) -> Self {
        Self {
            db: db.clone(),
            public_url: public_url.trim_end_matches('/').to_string(),
        }
    }
}

/// Whose key `key` names, if one of the instance at `public_url`.
fn owner(public_url: &str, key: &str) -> Option<KeyOwner> {
    if key == key_id(&instance_actor_id(public_url)) {
        return Some(KeyOwner::Instance);
    }
    let username = key
        .strip_prefix(public_url)?
        .strip_prefix("/@")?
        .strip_suffix("#main-key")?;
    (!username.is_empty() && !username.contains('/'))
        .then(|| KeyOwner::Profile(username.to_string()))
}

#[async_trait::async_trait]
impl SignerSource for LocalSigners {
    async fn signer(&self, key: &str) -> Option<Signer> {
        let owner = match owner(&self.public_url, key)? {
            // Groups and profiles share the `/@name` space: a group's name is no profile's.
            KeyOwner::Profile(name) => {
                match convene_projections::groups::find(self.db.pool(), &name).await {
                    Ok(Some(_)) => KeyOwner::Group(name),
                    Ok(None) => KeyOwner::Profile(name),
                    Err(error) => {
                        tracing::warn!(%error, key, "cannot tell whose key signs a delivery");
                        return None;
                    }
                }
            }
            other => other,
        };
        let pair = match key_pair(&self.db, &owner).await {
            Ok(pair) => pair,
            Err(error) => {
                tracing::warn!(%error, key, "no key to sign a delivery with");
                return None;
            }
        };
        Signer::new(key, pair.private_pem.expose()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_name_their_owner() {
        let owner = |key: &str| owner("https://events.example", key);
        assert_eq!(
            owner("https://events.example/@ana#main-key"),
            Some(KeyOwner::Profile("ana".into()))
        );
        assert_eq!(
            owner("https://events.example/relay#main-key"),
            Some(KeyOwner::Instance)
        );
        assert_eq!(owner("https://other.example/@ana#main-key"), None);
        assert_eq!(owner("https://events.example/@ana/x#main-key"), None);
        assert_eq!(owner("https://events.example/@#main-key"), None);
    }
}
