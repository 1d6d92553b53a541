//! The search index as a subscriber to the log.
//!
//! For each batch, every event aggregate the batch touches is folded up to the batch's last
//! position, and its document written (or removed when it may no longer be found). A document is
//! thus a function of the log prefix alone: writing it twice is harmless, which is what
//! at-least-once delivery needs (the index is written, then the checkpoint moves; a crash in
//! between sends the batch again).
//!
//! Folds are kept in memory between batches ([`Folds`], least recently used first out), so a busy
//! event is read from where its last fold stopped rather than from its first change: the work per
//! batch grows with the batch, not with the events' histories. A fold past the batch (after a
//! reset, or a batch sent again) is dropped and the event folded from its start.

use crate::document::{event_document, Shown, LOCAL};
use crate::{domains, suspensions, Change, Error, SearchIndex, SUBSCRIBER};
use async_trait::async_trait;
use convene_domain::{Actor, Event, EventChange, Metadata};
use convene_projections::subscriber::{checkpoint, set_checkpoint, Applied};
use convene_projections::{Delivery, StoredEvent, Subscriber};
use cqrs_es::Aggregate;
use lru::LruCache;
use sqlx::{AnyPool, Row};
use std::collections::{BTreeSet, HashSet};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, OnceLock};

mod groups;

/// Aggregates read back per query.
const IDS_PER_QUERY: usize = 500;

/// Events whose folds are kept between batches (a few kilobytes each).
const FOLDS_KEPT: usize = 10_000;

pub struct SearchSubscriber {
    name: &'static str,
    /// Given, or the embedded index of the database the subscriber runs in (set at first use).
    index: OnceLock<Arc<dyn SearchIndex>>,
    folds: Folds,
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
            folds: Folds::new(FOLDS_KEPT),
        }
    }

    /// A subscriber with its own checkpoint (a rebuild's shadow index).
    pub fn named(name: &'static str, index: Arc<dyn SearchIndex>) -> Self {
        Self {
            name,
            index: OnceLock::from(index),
            folds: Folds::new(FOLDS_KEPT),
        }
    }

    fn index(&self, target: &AnyPool) -> &Arc<dyn SearchIndex> {
        self.index
            .get_or_init(|| Arc::new(crate::Embedded::in_pool(target)))
    }
}

/// An event as folded from its changes up to `position`, with what the aggregate does not keep
/// for us.
#[derive(Clone)]
struct Folded {
    position: i64,
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

/// The index changes for the events and groups `batch` touches, as they stand at the batch's
/// end, each folded from its first change.
pub async fn changes_of(pool: &AnyPool, batch: &[StoredEvent]) -> Result<Vec<Change>, Error> {
    Folds::new(1).changes(pool, batch).await
}

/// Folds of recently touched events, by aggregate id.
pub struct Folds(Mutex<LruCache<String, Folded>>);

impl Folds {
    /// Room for the folds of `kept` events.
    pub fn new(kept: usize) -> Self {
        Self(Mutex::new(LruCache::new(
            NonZeroUsize::new(kept).unwrap_or(NonZeroUsize::MIN),
        )))
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, LruCache<String, Folded>> {
        // A panic while holding the lock leaves nothing half-written worth refusing.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn clear(&self) {
        self.cache().clear();
    }

    /// The index changes for the events and groups `batch` touches, as they stand at the
    /// batch's end.
    pub async fn changes(
        &self,
        pool: &AnyPool,
        batch: &[StoredEvent],
    ) -> Result<Vec<Change>, Error> {
        let Some(last) = batch.last() else {
            return Ok(Vec::new());
        };
        // The events the batch changes, and those of organisers whose suspension it decides.
        let decided = suspensions::decided_in(pool, batch).await?;
        let organised = suspensions::events_organised_by(pool, &decided, last.position).await?;
        // And the events of groups whose suspension it decides.
        let decided_groups = suspensions::groups_decided_in(batch);
        let of_groups = suspensions::events_of_groups(pool, &decided_groups, last.position).await?;
        // And the remote events of domains it suspends, limits or lifts, and of remote actors it
        // suspends or lifts.
        let from_domains = domains::events_decided_in(pool, batch).await?;
        let from_actors = suspensions::events_of_actors_decided_in(pool, batch).await?;
        let mut seen = HashSet::new();
        let ids: Vec<&str> = batch
            .iter()
            .filter(|e| e.aggregate_type == Event::TYPE)
            .map(|e| e.aggregate_id.as_str())
            .chain(organised.iter().map(String::as_str))
            .chain(of_groups.iter().map(String::as_str))
            .chain(from_domains.iter().map(String::as_str))
            .chain(from_actors.iter().map(String::as_str))
            .filter(|id| seen.insert(*id))
            .collect();
        let mut folded = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_QUERY) {
            // Start from the kept folds that the batch has not gone behind.
            let mut chunk_folds: Vec<Folded> = {
                let mut cache = self.cache();
                chunk
                    .iter()
                    .map(|id| {
                        cache
                            .pop(*id)
                            .filter(|f| f.position <= last.position)
                            .unwrap_or_else(Folded::start)
                    })
                    .collect()
            };
            let index: std::collections::HashMap<&str, usize> =
                chunk.iter().enumerate().map(|(i, id)| (*id, i)).collect();
            // Events folded from their start and events kept are read apart, so one new event
            // does not send every kept one back to its first change.
            let (fresh, kept): (Vec<&str>, Vec<&str>) = chunk
                .iter()
                .partition(|id| chunk_folds[index[**id]].position == 0);
            let kept_after = kept
                .iter()
                .map(|id| chunk_folds[index[*id]].position)
                .min()
                .unwrap_or(0);
            for (ids, after) in [(fresh, 0), (kept, kept_after)] {
                if ids.is_empty() {
                    continue;
                }
                for row in changes_between(pool, &ids, after, last.position).await? {
                    let fold = &mut chunk_folds[index[row.id.as_str()]];
                    if row.position > fold.position {
                        fold.apply(row);
                    }
                }
            }
            for fold in &mut chunk_folds {
                fold.position = last.position;
            }
            folded.extend(chunk.iter().copied().zip(chunk_folds));
        }
        let organisers: BTreeSet<&str> = folded.iter().map(|(_, f)| f.event.organiser()).collect();
        let organisers: Vec<&str> = organisers.into_iter().collect();
        let suspended = suspensions::suspended(pool, &organisers, last.position).await?;
        let groups: BTreeSet<&str> = folded
            .iter()
            .filter_map(|(_, f)| f.event.group().map(|g| g.handle.as_str()))
            .collect();
        let groups: Vec<&str> = groups.into_iter().collect();
        let suspended_groups = suspensions::suspended_groups(pool, &groups, last.position).await?;
        let actors: BTreeSet<&str> = folded
            .iter()
            .filter_map(|(_, f)| f.event.origin().map(|o| o.actor.as_str()))
            .collect();
        let actors: Vec<&str> = actors.into_iter().collect();
        let suspended_actors = suspensions::suspended_actors(pool, &actors, last.position).await?;
        let domain_decisions = domains::in_force(pool, last.position).await?;
        let mut changes: Vec<Change> = folded
            .iter()
            .map(|(id, f)| {
                let shown = Shown {
                    draft: f.draft,
                    // A suspended group's or remote actor's, and a suspended or limited
                    // domain's, events are out of public listings.
                    organiser_suspended: suspended.contains(f.event.organiser())
                        || f.event
                            .group()
                            .is_some_and(|g| suspended_groups.contains(&g.handle))
                        || f.event
                            .origin()
                            .is_some_and(|o| suspended_actors.contains(&o.actor))
                        || f.event
                            .origin()
                            .is_some_and(|o| domain_decisions.for_host(o.host()).is_some()),
                };
                event_document(id, &f.event, shown, &f.origin).map_or_else(
                    || Change::Remove(id.to_string()),
                    |d| Change::Put(Box::new(d)),
                )
            })
            .collect();
        {
            let mut cache = self.cache();
            for (id, fold) in folded {
                cache.put(id.to_string(), fold);
            }
        }
        // Groups are folded from their start each time: their documents read few changes.
        changes.extend(groups::changes(pool, batch).await?);
        Ok(changes)
    }
}

/// One change of an event, as read back from the log.
struct LoggedChange {
    id: String,
    position: i64,
    change: EventChange,
    /// Read only for `Created`, which says where the event comes from.
    origin: Option<String>,
}

/// The changes of the events `ids` in (`after`, `until`], in log order.
async fn changes_between(
    pool: &AnyPool,
    ids: &[&str],
    after: i64,
    until: i64,
) -> Result<Vec<LoggedChange>, Error> {
    let placeholders: Vec<String> = (4..ids.len() + 4).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT aggregate_id, position, CAST(payload AS TEXT) AS payload, \
         CAST(metadata AS TEXT) AS metadata FROM event_log \
         WHERE aggregate_type = $1 AND position > $2 AND position <= $3 \
         AND aggregate_id IN ({}) ORDER BY position",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(Event::TYPE).bind(after).bind(until);
    for id in ids {
        query = query.bind(*id);
    }
    let mut changes = Vec::new();
    for row in query.fetch_all(pool).await? {
        let position: i64 = row.try_get("position")?;
        let unreadable = |e: &dyn std::fmt::Display| {
            Error::Log(convene_projections::Error::Unreadable {
                position,
                reason: e.to_string(),
            })
        };
        let payload: String = row.try_get("payload")?;
        let change: EventChange = serde_json::from_str(&payload).map_err(|e| unreadable(&e))?;
        let origin = match &change {
            EventChange::Created { .. } => {
                let text: String = row.try_get("metadata")?;
                let map: std::collections::HashMap<String, String> =
                    serde_json::from_str(&text).map_err(|e| unreadable(&e))?;
                let metadata = Metadata::from_map(&map).map_err(|e| unreadable(&e))?;
                Some(origin_of(&metadata))
            }
            EventChange::Imported { origin, .. } => Some(origin.host().to_string()),
            _ => None,
        };
        changes.push(LoggedChange {
            id: row.try_get("aggregate_id")?,
            position,
            change,
            origin,
        });
    }
    Ok(changes)
}

impl Folded {
    fn start() -> Self {
        Self {
            position: 0,
            event: Event::default(),
            draft: false,
            origin: LOCAL.to_string(),
        }
    }

    fn apply(&mut self, logged: LoggedChange) {
        match &logged.change {
            EventChange::Created { draft, .. } => {
                self.draft = *draft;
                if let Some(origin) = logged.origin {
                    self.origin = origin;
                }
            }
            EventChange::Imported { .. } => {
                self.draft = false;
                if let Some(origin) = logged.origin {
                    self.origin = origin;
                }
            }
            EventChange::Published => self.draft = false,
            _ => {}
        }
        self.event.apply(logged.change);
        self.position = logged.position;
    }
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
        let changes = self.folds.changes(target, batch).await?;
        if changes.is_empty() {
            return Ok(Applied::Passed { to: last.position });
        }
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
        self.folds.clear();
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
