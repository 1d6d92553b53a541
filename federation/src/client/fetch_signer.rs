//! Fetches signed by the instance actor. Mastodon in secure mode ("authorized fetch") and
//! others answer an unsigned GET of an actor or an object with 401; a fetch signed by the
//! instance actor (`(request-target) host date`) is answered. Signing costs the other side
//! nothing: this instance's actor document and keys stay fetchable without a signature, so two
//! servers verifying each other's fetches never wait on each other.

use crate::actors::local::instance_actor_id;
use crate::keys::{key_id, key_pair, KeyOwner};
use crate::signatures::Signer;
use convene_projections::Database;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// The instance actor's key, read (or made) once, on the first fetch.
#[derive(Clone)]
pub struct FetchSigner {
    db: Database,
    key_id: String,
    signer: Arc<OnceCell<Arc<Signer>>>,
}

impl std::fmt::Debug for FetchSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchSigner")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl FetchSigner {
    /// Signs as the instance actor of the instance at `public_url`, whose keys `db` holds.
    pub fn instance(db: &Database, public_url: &str) -> Self {
        Self {
            db: db.clone(),
            key_id: key_id(&instance_actor_id(public_url.trim_end_matches('/'))),
            signer: Arc::new(OnceCell::new()),
        }
    }

    /// The key id fetches are signed with (`{public_url}/relay#main-key`).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub(super) async fn signer(&self) -> Result<Arc<Signer>, String> {
        self.signer
            .get_or_try_init(|| async {
                let pair = key_pair(&self.db, &KeyOwner::Instance)
                    .await
                    .map_err(|e| e.to_string())?;
                Signer::new(self.key_id.clone(), pair.private_pem.expose())
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .await
            .cloned()
    }
}
