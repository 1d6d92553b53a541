//! Subscribers: everything that follows the log with a checkpoint.
//!
//! Two kinds share one trait. A **read model** ([`Projection`]) writes SQL tables in the same
//! transaction that moves its checkpoint: each event is applied exactly once, and commands may
//! wait for it (read your writes). A subscriber with an **external store** (a search index, the
//! federation outbox's deliveries, mail) cannot share that transaction: it writes first and then
//! moves its checkpoint, so after a crash it sees the last batch again. It gets each event *at
//! least once* and must make its writes idempotent, keyed by the event's position. Commands never
//! wait for it.
//!
//! Each crate offers its subscribers; the binary assembles them into one [`Subscribers`] list,
//! which `serve` runs, `replay` rebuilds and `/healthz` reports.

use crate::db::Database;
use crate::error::Error;
use crate::log::StoredEvent;
use crate::projection::Runner;
use async_trait::async_trait;
use convene_domain::metadata::format_timestamp;
use sqlx::{AnyConnection, AnyPool};
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// What a subscriber promises about each event of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Writes and checkpoint commit together: exactly once. SQL read models.
    ExactlyOnce,
    /// Writes, then the checkpoint: at least once, with idempotent writes keyed by position.
    AtLeastOnce,
}

/// What applying a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The batch is applied; the checkpoint is now at `to`.
    Moved { to: i64 },
    /// Someone else moved the checkpoint first (it is at `checkpoint`); nothing was written.
    Fenced { checkpoint: i64 },
    /// Nothing in the batch concerns the subscriber: nothing was written, not even the
    /// checkpoint, which moves past the batch with the next write (or when the log goes quiet).
    /// Read again after a crash, such events are passed over again.
    Passed { to: i64 },
}

/// Anything that follows the log with a checkpoint.
#[async_trait]
pub trait Subscriber: Send + Sync {
    /// Stable name: the key of its checkpoint and lease, and of `convene replay --projection`.
    fn name(&self) -> &'static str;

    fn delivery(&self) -> Delivery;

    /// Applies `batch` (in order) and moves the checkpoint in `target` from `from` to the
    /// batch's last position — unless the checkpoint is no longer at `from` (another runner or
    /// a replay moved it), in which case nothing is applied. Events between `from` and the
    /// batch were passed over ([`Applied::Passed`]): they concern the subscriber not at all.
    async fn apply_batch(
        &self,
        target: &AnyPool,
        from: i64,
        batch: &[StoredEvent],
    ) -> Result<Applied, Error>;

    /// Forgets everything built so far and sets the checkpoint back to 0, so the next run
    /// rebuilds from the start. An external store builds anew (a new index, swapped in).
    async fn reset(&self, target: &AnyPool) -> Result<(), Error>;
}

/// A read model fed by the log: SQL tables written in the batch's transaction.
#[async_trait]
pub trait Projection: Send + Sync {
    /// Stable name: the key of its checkpoint and lease, and of `convene replay --projection`.
    fn name(&self) -> &'static str;
    /// The tables it alone writes, emptied before a rebuild.
    fn tables(&self) -> &'static [&'static str];
    /// Applies one event that [`Projection::concerns`] it, inside the batch's transaction.
    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error>;
    /// Whether [`Projection::apply`] may write anything for `event`: only such events are
    /// applied, and a batch of none is passed over without a transaction (most changes concern
    /// a few read models only).
    fn concerns(&self, _event: &StoredEvent) -> bool {
        true
    }
}

/// The change a projection is applying: its aggregate, its place in the log and when it was
/// recorded (formatted as stored), read once per change.
pub(crate) struct Applying<'a> {
    pub id: &'a str,
    pub position: i64,
    pub at: String,
}

impl<'a> Applying<'a> {
    pub fn of(event: &'a StoredEvent) -> Result<Self, Error> {
        Ok(Self {
            id: &event.aggregate_id,
            position: event.position,
            at: format_timestamp(event.metadata()?.recorded_at),
        })
    }

    /// The change cannot be applied: it or what it refers to does not read.
    pub fn unreadable(&self, reason: impl std::fmt::Display) -> Error {
        Error::Unreadable {
            position: self.position,
            reason: reason.to_string(),
        }
    }
}

#[async_trait]
impl<P: Projection> Subscriber for P {
    fn name(&self) -> &'static str {
        Projection::name(self)
    }

    fn delivery(&self) -> Delivery {
        Delivery::ExactlyOnce
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
        let concerned: Vec<&StoredEvent> = batch.iter().filter(|e| self.concerns(e)).collect();
        if concerned.is_empty() {
            return Ok(Applied::Passed { to: last.position });
        }
        let mut tx = target.begin().await?;
        // The checkpoint moves first: on SQLite the transaction then holds the write lock from
        // its first statement, and the fence is decided before any read-model write.
        if !move_checkpoint(&mut tx, Projection::name(self), from, last.position).await? {
            tx.rollback().await?;
            return Ok(Applied::Fenced {
                checkpoint: checkpoint(target, Projection::name(self)).await?,
            });
        }
        for event in concerned {
            self.apply(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(Applied::Moved { to: last.position })
    }

    async fn reset(&self, target: &AnyPool) -> Result<(), Error> {
        checkpoint(target, Projection::name(self)).await?;
        let mut tx = target.begin().await?;
        set_checkpoint(&mut tx, Projection::name(self), 0).await?;
        for table in self.tables() {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The stored checkpoint of `name` (created at 0 the first time).
pub async fn checkpoint(pool: &AnyPool, name: &str) -> Result<i64, Error> {
    sqlx::query(
        "INSERT INTO projection_checkpoints (name, position) VALUES ($1, 0) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .execute(pool)
    .await?;
    let position =
        sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE name = $1")
            .bind(name)
            .fetch_one(pool)
            .await?;
    Ok(position)
}

/// Moves checkpoint `name` from `from` to `to`; false (and nothing changed) when it is no
/// longer at `from`. The compare-and-set every subscriber fences its writes with.
pub async fn move_checkpoint(
    conn: &mut AnyConnection,
    name: &str,
    from: i64,
    to: i64,
) -> Result<bool, Error> {
    let moved = sqlx::query(
        "UPDATE projection_checkpoints SET position = $1 WHERE name = $2 AND position = $3",
    )
    .bind(to)
    .bind(name)
    .bind(from)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(moved == 1)
}

/// Sets checkpoint `name` to `position` unconditionally (a reset).
pub async fn set_checkpoint(
    conn: &mut AnyConnection,
    name: &str,
    position: i64,
) -> Result<(), Error> {
    sqlx::query("UPDATE projection_checkpoints SET position = $1 WHERE name = $2")
        .bind(position)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// The subscribers one process runs, assembled by the binary from what each crate offers.
#[derive(Clone, Default)]
pub struct Subscribers {
    list: Vec<Arc<dyn Subscriber>>,
}

impl Subscribers {
    pub fn new(list: impl IntoIterator<Item = Arc<dyn Subscriber>>) -> Self {
        Self {
            list: list.into_iter().collect(),
        }
    }

    /// The list with `more` added after the others.
    pub fn with(mut self, more: impl IntoIterator<Item = Arc<dyn Subscriber>>) -> Self {
        self.list.extend(more);
        self
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Subscriber>> {
        self.list.iter()
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.list.iter().map(|s| s.name()).collect()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The subscriber named `name`, or an error listing the names there are.
    pub fn named(&self, name: &str) -> Result<Arc<dyn Subscriber>, Error> {
        self.list
            .iter()
            .find(|s| s.name() == name)
            .cloned()
            .ok_or_else(|| {
                Error::InvalidRequest(format!(
                    "there is no projection `{name}`: choose one of {}",
                    self.names().join(", ")
                ))
            })
    }

    /// Only the read models (exactly once): what an "as of" rebuild writes into a file.
    pub fn read_models(&self) -> Subscribers {
        Subscribers::new(
            self.list
                .iter()
                .filter(|s| s.delivery() == Delivery::ExactlyOnce)
                .cloned(),
        )
    }

    /// Starts one runner per subscriber, following the live log until `shutdown`.
    pub fn spawn(&self, db: &Database, shutdown: &CancellationToken) -> Vec<JoinHandle<()>> {
        self.list
            .iter()
            .map(|subscriber| {
                let runner = Runner::new(subscriber.clone(), db);
                let (db, shutdown) = (db.clone(), shutdown.clone());
                tokio::spawn(async move { runner.follow(&db, shutdown).await })
            })
            .collect()
    }

    /// Applies the whole log up to its head with every subscriber, once (commands run from
    /// the command line, which serve no requests).
    pub async fn catch_up(&self, db: &Database) -> Result<i64, Error> {
        let head = crate::EventLog::new(db).head().await?.position;
        for subscriber in &self.list {
            Runner::new(subscriber.clone(), db)
                .catch_up(head, &mut |_| {})
                .await?;
        }
        Ok(head)
    }
}
