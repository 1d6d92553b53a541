//! The search index as a subscriber to the log.
//!
//! For each batch, every event aggregate the batch touches is folded again from its changes up
//! to the batch's last position, and its document written (or removed when it may no longer be
//! found). A document is thus a function of the log prefix alone: writing it twice is harmless,
//! which is what at-least-once delivery needs (the index is written, then the checkpoint moves;
//! a crash in between sends the batch again).

use crate::document::{event_document, LOCAL};
use crate::{Change, Error, SearchIndex, SUBSCRIBER};
use async_trait::async_trait;
use convene_domain::{Actor, Event, EventChange, Metadata};
use convene_projections::subscriber::{checkpoint, set_checkpoint, Applied};
use convene_projections::{Delivery, StoredEvent, Subscriber};
use cqrs_es::Aggregate;
use sqlx::{AnyPool, Row};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

/// Aggregates read back per query.
const IDS_PER_QUERY: usize = 500;

pub struct SearchSubscriber {
    name: &'static str,
    /// Given, or the embedded index of the database the subscriber runs in (set at first use).
    index: OnceLock<Arc<dyn SearchIndex>>,
}

impl SearchSubscriber {
    /// The subscriber keeping the live index `index`.
    pub fn new(index: Arc<dyn SearchIndex>) -> Self {
        Self::named(SUBSCRIBER, index)
    }

    /// The subscriber keeping the embedded index of the database it runs in.
    pub fn embedded() -> Self {
        Self {
            name: SUBSCRIBER,
            index: OnceLock::new(),
        }
    }

    /// A subscriber with its own checkpoint (a rebuild's shadow index).
    pub fn named(name: &'static str, index: Arc<dyn SearchIndex>) -> Self {
        Self {
            name,
            index: OnceLock::from(index),
        }
    }

    fn index(&self, target: &AnyPool) -> &Arc<dyn SearchIndex> {
        self.index
            .get_or_init(|| Arc::new(crate::Embedded::in_pool(target)))
    }
}

/// An event as folded from its changes, with what the aggregate does not keep for us.
struct Folded {
    event: Event,
    draft: bool,
    origin: String,
}

/// The instance an event comes from: `local`, or the host of the remote actor that created it.
fn origin_of(metadata: &Metadata) -> String {
    match &metadata.actor {
        Actor::Remote { actor } => {
            let rest = actor.split_once("://").map_or(actor.as_str(), |(_, r)| r);
            rest.split(['/', '?', '#'])
                .next()
                .unwrap_or(rest)
                .to_string()
        }
        _ => LOCAL.to_string(),
    }
}

/// The index changes for the events `batch` touches, as they stand at the batch's end.
pub async fn changes_of(pool: &AnyPool, batch: &[StoredEvent]) -> Result<Vec<Change>, Error> {
    let Some(last) = batch.last() else {
        return Ok(Vec::new());
    };
    let mut seen = HashSet::new();
    let ids: Vec<&str> = batch
        .iter()
        .filter(|e| e.aggregate_type == Event::TYPE)
        .map(|e| e.aggregate_id.as_str())
        .filter(|id| seen.insert(*id))
        .collect();
    let mut folded: HashMap<String, Folded> = HashMap::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let placeholders: Vec<String> = (3..chunk.len() + 3).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT aggregate_id, position, CAST(payload AS TEXT) AS payload, \
             CAST(metadata AS TEXT) AS metadata FROM event_log \
             WHERE aggregate_type = $1 AND position <= $2 AND aggregate_id IN ({}) \
             ORDER BY position",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(Event::TYPE).bind(last.position);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(pool).await? {
            let id: String = row.try_get("aggregate_id")?;
            let position: i64 = row.try_get("position")?;
            let unreadable = |e: &dyn std::fmt::Display| {
                Error::Log(convene_projections::Error::Unreadable {
                    position,
                    reason: e.to_string(),
                })
            };
            let payload: String = row.try_get("payload")?;
            let change: EventChange = serde_json::from_str(&payload).map_err(|e| unreadable(&e))?;
            let entry = folded.entry(id).or_insert_with(|| Folded {
                event: Event::default(),
                draft: false,
                origin: LOCAL.to_string(),
            });
            match &change {
                EventChange::Created { draft, .. } => {
                    let text: String = row.try_get("metadata")?;
                    let map: HashMap<String, String> =
                        serde_json::from_str(&text).map_err(|e| unreadable(&e))?;
                    let metadata = Metadata::from_map(&map).map_err(|e| unreadable(&e))?;
                    entry.origin = origin_of(&metadata);
                    entry.draft = *draft;
                }
                EventChange::Published => entry.draft = false,
                _ => {}
            }
            entry.event.apply(change);
        }
    }
    Ok(ids
        .into_iter()
        .map(|id| {
            folded
                .get(id)
                .and_then(|f| event_document(id, &f.event, f.draft, &f.origin))
                .map_or_else(
                    || Change::Remove(id.to_string()),
                    |d| Change::Put(Box::new(d)),
                )
        })
        .collect())
}

#[async_trait]
impl Subscriber for SearchSubscriber {
    fn name(&self) -> &'static str {
        self.name
    }

    fn delivery(&self) -> Delivery {
        Delivery::AtLeastOnce
    }

    async fn apply_batch(
        &self,
        target: &AnyPool,
        from: i64,
        batch: &[StoredEvent],
    ) -> Result<Applied, convene_projections::Error> {
        let Some(last) = batch.last() else {
            return Ok(Applied::Moved { to: from });
        };
        let changes = changes_of(target, batch).await?;
        let fence = (self.name, from, last.position);
        if self
            .index(target)
            .write_fenced(target, &changes, fence)
            .await?
        {
            Ok(Applied::Moved { to: last.position })
        } else {
            // Someone else (a rebuild swapped in) moved the checkpoint: resume from it.
            Ok(Applied::Fenced {
                checkpoint: checkpoint(target, self.name).await?,
            })
        }
    }

    async fn reset(&self, target: &AnyPool) -> Result<(), convene_projections::Error> {
        checkpoint(target, self.name).await?;
        self.index(target).prepare().await?;
        self.index(target).clear().await?;
        let mut conn = target.acquire().await?;
        set_checkpoint(&mut conn, self.name, 0).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use convene_domain::Source;

    #[test]
    fn remote_events_take_their_creators_host() {
        let remote = Metadata::now(
            Actor::Remote {
                actor: "https://mobilizon.example/@climate".into(),
            },
            Source::Federation {
                activity: "https://mobilizon.example/activities/1".into(),
            },
            "r",
        );
        assert_eq!(origin_of(&remote), "mobilizon.example");
        assert_eq!(
            origin_of(&Metadata::now(Actor::System, Source::Cli, "r")),
            LOCAL
        );
    }
}
