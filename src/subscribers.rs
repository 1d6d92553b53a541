//! The subscribers this build runs, assembled from what each crate offers: the read models of
//! `convene-projections`, the search index of `convene-search`, the notifications of
//! `convene-notifications` and the outbox of `convene-federation`. `serve` runs them, `replay`
//! rebuilds them, `/healthz` reports them.

use convene_projections::{Database, Subscribers};
use convene_search::{Embedded, Meili, SearchIndex, SearchSubscriber};
use std::sync::Arc;
use tokio::sync::Notify;

/// The Meilisearch server to index into; without it, the embedded index is used.
pub const MEILI_URL: &str = "CONVENE_MEILI_URL";
/// Its API key (the master key or a key allowed to manage the index).
pub const MEILI_KEY: &str = "CONVENE_MEILI_KEY";
/// The Meilisearch index holding the events.
pub const MEILI_INDEX: &str = "convene_events";

/// Every subscriber, for the instance at `public_url` (the outbox's ids start with it).
pub fn all(public_url: &str) -> Subscribers {
    serving(Arc::new(Notify::new()), public_url)
}

/// The subscribers, the notifications one waking `new_mail` when it stores mail to send.
pub fn serving(new_mail: Arc<Notify>, public_url: &str) -> Subscribers {
    let search = match meili() {
        Ok(Some(meili)) => SearchSubscriber::new(Arc::new(meili)),
        // A bad URL is reported by `search_index` when the server starts.
        _ => SearchSubscriber::embedded(),
    };
    Subscribers::new(convene_projections::read_models()).with([
        Arc::new(search) as _,
        Arc::new(convene_notifications::NotificationsSubscriber::new(
            new_mail,
        )) as _,
        Arc::new(convene_federation::outbox::OutboxSubscriber::new(
            public_url,
        )) as _,
    ])
}

/// Meilisearch, when `CONVENE_MEILI_URL` names one.
pub fn meili() -> anyhow::Result<Option<Meili>> {
    let Some(url) = std::env::var(MEILI_URL).ok().filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let key = std::env::var(MEILI_KEY).ok().filter(|k| !k.is_empty());
    let meili = Meili::new(&url, key.as_deref(), MEILI_INDEX).map_err(|e| {
        anyhow::anyhow!("{MEILI_URL}={url}: {e}: give the address of a Meilisearch server such as http://127.0.0.1:7700")
    })?;
    Ok(Some(meili))
}

/// Where searches are answered: Meilisearch when configured, else the database's own index.
pub fn search_index(db: &Database) -> anyhow::Result<Arc<dyn SearchIndex>> {
    Ok(match meili()? {
        Some(meili) => Arc::new(meili),
        None => Arc::new(Embedded::new(db.pool(), db.backend())),
    })
}
