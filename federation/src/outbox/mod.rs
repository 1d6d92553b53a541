//! The outbox: a subscriber to the log that turns each change of a local actor into activities
//! ([`derive`]) and queues one delivery per target inbox, in the transaction that moves its
//! checkpoint. Activity and delivery ids depend only on the change and the inbox, so a batch
//! seen again queues nothing new; the [`crate::delivery::Worker`] sends what is queued.
//!
//! Each activity is stored with what its actor's outbox collection lists ([`listing`]); one
//! about an event, comment or post is stored even when nobody is to receive it.
//!
//! It is never rebuilt: what was sent stays sent, so `replay` leaves its checkpoint where it is.

mod actors;
mod derive;
mod flags;
mod group_discussions;
mod group_objects;
mod group_work;
mod groups;
pub mod listing;
mod relays;
mod signers;

pub use actors::Extras;
pub use derive::{derive, event_document, EventDocument, EventFold, EventFolds, Outgoing};
pub use group_objects::group_object;
pub use group_work::GroupDocument;
pub(crate) use group_work::{resource_object, work_id};
pub use groups::GroupLogs;
pub use relays::Relays;
pub use signers::LocalSigners;

use crate::delivery;
use crate::keys::{key_pair_in, KeyError, KeyOwner};
use async_trait::async_trait;
use convene_domain::group::GroupActor;
use convene_domain::{
    Account, AccountChange, Event, EventChange, Group, GroupChange, InstanceFollow, Profile,
    ProfileChange,
};
use convene_projections::log::{aggregate_after, aggregates_until, all_of_type_until};
use convene_projections::subscriber::{checkpoint, move_checkpoint, Applied};
use convene_projections::{Delivery, Error, StoredEvent, Subscriber};
use cqrs_es::Aggregate;
use sqlx::AnyPool;
use std::collections::{BTreeMap, BTreeSet};

/// The subscriber's name: its checkpoint's key.
pub const SUBSCRIBER: &str = "outbox";

/// Changes of each aggregate, by id, in log order.
pub type LogOf = BTreeMap<String, Vec<StoredEvent>>;

/// Events kept folded between batches, at most.
const FOLDS_KEPT: usize = 128;

pub struct OutboxSubscriber {
    public_url: String,
    folds: tokio::sync::Mutex<EventFolds>,
}

impl OutboxSubscriber {
    /// The outbox of the instance at `public_url`: every id it derives starts with it.
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_string(),
            folds: Default::default(),
        }
    }

    /// The activities `batch` gives, with the changes they need read from the log.
    pub async fn outgoing(
        &self,
        pool: &AnyPool,
        batch: &[StoredEvent],
    ) -> Result<Vec<(i64, Outgoing)>, Error> {
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            return Ok(Vec::new());
        };
        let ids_of = |kind: &str| -> Vec<String> {
            let ids: BTreeSet<&str> = batch
                .iter()
                .filter(|e| e.aggregate_type == kind)
                .map(|e| e.aggregate_id.as_str())
                .collect();
            ids.into_iter().map(str::to_string).collect()
        };
        // An event's kept fold serves when it ends before the batch's first change of the event
        // (a batch seen again, or a fold from a fenced run, is folded again from the start).
        let mut kept = self.folds.lock().await;
        let mut folds = EventFolds::new();
        let mut from_start = Vec::new();
        for id in ids_of(Event::TYPE) {
            let first_here = batch
                .iter()
                .find(|e| e.aggregate_type == Event::TYPE && e.aggregate_id == id)
                .map_or(i64::MAX, |e| e.position);
            match kept.remove(&id) {
                Some(fold) if fold.position() < first_here => {
                    folds.insert(id, fold);
                }
                _ => from_start.push(id),
            }
        }
        // Events are read past the batch: a change is decided with the next one of its command.
        let mut events =
            by_aggregate(aggregates_until(pool, Event::TYPE, &from_start, i64::MAX).await?);
        for (id, fold) in &folds {
            let after = aggregate_after(pool, Event::TYPE, id, fold.position()).await?;
            events.insert(id.clone(), after);
        }
        let mut profiles: BTreeSet<String> = ids_of(Profile::TYPE).into_iter().collect();
        for log in events.values() {
            if let Some(EventChange::Created { organiser, .. }) =
                log.first().map(StoredEvent::change).transpose()?
            {
                profiles.insert(organiser);
            }
        }
        profiles.extend(folds.values().map(|f| f.organiser().to_string()));
        // An account suspended or reinstated changes each of its profiles' documents.
        let mut accounts = LogOf::new();
        let suspensions: Vec<String> = ids_of(Account::TYPE)
            .into_iter()
            .filter(|id| {
                batch.iter().any(|e| {
                    e.aggregate_id == *id
                        && e.aggregate_type == Account::TYPE
                        && e.change().is_ok_and(|c| actors::changes_persons(&c))
                })
            })
            .collect();
        if !suspensions.is_empty() {
            accounts = by_aggregate(
                aggregates_until(pool, Account::TYPE, &suspensions, last.position).await?,
            );
            for stored in accounts.values().flatten() {
                if let AccountChange::ProfileAdded { username } = stored.change()? {
                    profiles.insert(username);
                }
            }
        }
        let profiles: Vec<String> = profiles.into_iter().collect();
        let profiles =
            by_aggregate(aggregates_until(pool, Profile::TYPE, &profiles, last.position).await?);
        let groups = self
            .groups(pool, ids_of(Group::TYPE), &events, &folds, last.position)
            .await?;
        let mut extras = extras(pool, batch, &profiles, &groups, &accounts).await?;
        extras.accounts = accounts;
        extras.relays.logs =
            by_aggregate(all_of_type_until(pool, InstanceFollow::TYPE, last.position).await?);
        let mut out = derive(
            &self.public_url,
            (first.position, last.position),
            &events,
            &mut folds,
            &profiles,
            &groups,
            &extras,
        )?;
        out.extend(flags::flag_activities(&self.public_url, batch)?);
        out.sort_by_key(|(position, _)| *position);
        if kept.len() + folds.len() > FOLDS_KEPT {
            kept.clear();
        }
        kept.extend(folds);
        Ok(out)
    }

    /// The logs of the groups changed in the batch or organising its events, up to `until`,
    /// and where their remote followers and members take deliveries.
    async fn groups(
        &self,
        pool: &AnyPool,
        changed: Vec<String>,
        events: &LogOf,
        folds: &EventFolds,
        until: i64,
    ) -> Result<GroupLogs, Error> {
        let mut handles: BTreeSet<String> = changed.into_iter().collect();
        handles.extend(folds.values().filter_map(|f| f.group().map(str::to_string)));
        for log in events.values() {
            for stored in log.iter().take(2) {
                match stored.change()? {
                    EventChange::OrganisedByGroup { group } if group.elsewhere.is_none() => {
                        handles.insert(group.handle);
                    }
                    _ => {}
                }
            }
        }
        if handles.is_empty() {
            return Ok(GroupLogs::default());
        }
        let handles: Vec<String> = handles.into_iter().collect();
        let logs = by_aggregate(aggregates_until(pool, Group::TYPE, &handles, until).await?);
        let mut remote = BTreeSet::new();
        for stored in logs.values().flatten() {
            match stored.change()? {
                GroupChange::Followed {
                    who: GroupActor::Remote(actor),
                    ..
                }
                | GroupChange::MemberJoined {
                    who: GroupActor::Remote(actor),
                    ..
                }
                | GroupChange::MemberInvited {
                    who: GroupActor::Remote(actor),
                } => {
                    remote.insert(actor);
                }
                _ => {}
            }
        }
        let mut inboxes = std::collections::HashMap::new();
        for actor in remote {
            let row: Option<(String, Option<String>)> =
                sqlx::query_as("SELECT inbox, shared_inbox FROM remote_actors WHERE id = $1")
                    .bind(&actor)
                    .fetch_optional(pool)
                    .await?;
            if let Some((inbox, shared)) = row {
                inboxes.insert(actor, shared.unwrap_or(inbox));
            }
        }
        Ok(GroupLogs { logs, inboxes })
    }
}

/// The keys of the actors whose documents change in `batch`, and for profiles, the instances
/// that know them through events (read from the read models: who takes part where now). An
/// actor nobody elsewhere ever knew gets no key made for an `Update` nobody is to receive.
async fn extras(
    pool: &AnyPool,
    batch: &[StoredEvent],
    profiles: &LogOf,
    groups: &GroupLogs,
    accounts: &LogOf,
) -> Result<Extras, Error> {
    let mut extras = Extras::default();
    // Each actor whose document a change of the batch alters, with the change.
    let mut changed = Vec::new();
    for stored in batch {
        match stored.aggregate_type.as_str() {
            Profile::TYPE if actors::changes_person(&stored.change()?) => {
                changed.push((KeyOwner::Profile(stored.aggregate_id.clone()), stored));
            }
            Group::TYPE if actors::changes_group(&stored.change()?) => {
                changed.push((KeyOwner::Group(stored.aggregate_id.clone()), stored));
            }
            Account::TYPE if actors::changes_persons(&stored.change()?) => {
                let log = accounts.get(&stored.aggregate_id).into_iter().flatten();
                for added in log.take_while(|c| c.position <= stored.position) {
                    if let AccountChange::ProfileAdded { username } = added.change()? {
                        changed.push((KeyOwner::Profile(username), stored));
                    }
                }
            }
            _ => {}
        }
    }
    for (owner, stored) in changed {
        if extras.keys.contains_key(&owner.storage_key()) {
            continue;
        }
        let mut known = match &owner {
            KeyOwner::Profile(username) => ever_followed(profiles.get(username))?,
            KeyOwner::Group(handle) => groups.ever_known(handle)?,
            _ => false,
        };
        if let KeyOwner::Profile(username) = &owner {
            let inboxes = through_events(pool, username).await?;
            known |= !inboxes.is_empty();
            extras.through_events.insert(username.clone(), inboxes);
        }
        if !known {
            continue;
        }
        let pair = key_pair_in(pool, &owner).await.map_err(|e| match e {
            KeyError::Store(e) => Error::Database(e),
            other => Error::Unreadable {
                position: stored.position,
                reason: other.to_string(),
            },
        })?;
        extras.keys.insert(owner.storage_key(), pair.public_pem);
    }
    Ok(extras)
}

/// Whether a remote actor ever followed the profile whose changes are `log`.
fn ever_followed(log: Option<&Vec<StoredEvent>>) -> Result<bool, Error> {
    for stored in log.into_iter().flatten() {
        if let ProfileChange::FollowerAdded { .. } = stored.change()? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The delivery inboxes of the instances that know `username` through events: those of the
/// remote events it takes part in, and of the remote participants of the events it organises.
async fn through_events(pool: &AnyPool, username: &str) -> Result<Vec<String>, Error> {
    let inboxes: Vec<(String,)> = sqlx::query_as(
        "SELECT COALESCE(a.shared_inbox, a.inbox) FROM participations p \
         JOIN events e ON e.id = p.event_id JOIN remote_actors a ON a.id = e.origin_actor \
         WHERE p.profile = $1 AND p.state <> 'rejected' \
         UNION SELECT COALESCE(a.shared_inbox, a.inbox) FROM events e \
         JOIN participations p ON p.event_id = e.id \
         JOIN remote_actors a ON a.id = p.remote_actor \
         WHERE e.organizer = $1 AND p.state <> 'rejected'",
    )
    .bind(username)
    .fetch_all(pool)
    .await?;
    Ok(inboxes.into_iter().map(|(inbox,)| inbox).collect())
}

fn by_aggregate(events: Vec<StoredEvent>) -> LogOf {
    let mut log = LogOf::new();
    for event in events {
        log.entry(event.aggregate_id.clone())
            .or_default()
            .push(event);
    }
    log
}

#[async_trait]
impl Subscriber for OutboxSubscriber {
    fn name(&self) -> &'static str {
        SUBSCRIBER
    }

    /// The queue is written with the checkpoint, but what leaves it leaves the database: an
    /// activity may reach an inbox again after a crash (receivers dedupe by its id).
    fn delivery(&self) -> Delivery {
        Delivery::AtLeastOnce
    }

    async fn apply_batch(
        &self,
        target: &AnyPool,
        from: i64,
        batch: &[StoredEvent],
    ) -> Result<Applied, Error> {
        let Some(last) = batch.last() else {
            return Ok(Applied::Moved { to: from });
        };
        let outgoing = self.outgoing(target, batch).await?;
        if outgoing.is_empty() {
            return Ok(Applied::Passed { to: last.position });
        }
        let mut tx = target.begin().await?;
        if !move_checkpoint(&mut tx, SUBSCRIBER, from, last.position).await? {
            tx.rollback().await?;
            return Ok(Applied::Fenced {
                checkpoint: checkpoint(target, SUBSCRIBER).await?,
            });
        }
        for (position, out) in &outgoing {
            let body = serde_json::to_string(&out.activity).map_err(|e| Error::Unreadable {
                position: *position,
                reason: e.to_string(),
            })?;
            let queued =
                delivery::enqueue_in(&mut tx, &out.activity.id, &body, &out.inboxes, &out.key_id);
            match queued.await {
                Ok(_) => listing::record_in(&mut tx, *position, out).await?,
                Err(delivery::DeliveryError::Database(e)) => return Err(e.into()),
                Err(e) => {
                    return Err(Error::Unreadable {
                        position: *position,
                        reason: e.to_string(),
                    })
                }
            }
        }
        tx.commit().await?;
        Ok(Applied::Moved { to: last.position })
    }

    /// Nothing is rebuilt: deliveries already made cannot be taken back, and deriving them
    /// again would only find them queued.
    async fn reset(&self, target: &AnyPool) -> Result<(), Error> {
        checkpoint(target, SUBSCRIBER).await?;
        Ok(())
    }
}
