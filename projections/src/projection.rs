//! Projections: read models built by applying the log in order.
//!
//! A [`Runner`] applies a projection batch by batch. Each batch is one transaction that first
//! moves the projection's checkpoint from where the batch starts to where it ends, and only
//! then writes the read model: if the checkpoint is no longer where this runner thought (another
//! runner, or a replay, moved it), nothing is written and the runner picks up from the stored
//! checkpoint. That fence makes every event applied exactly once, whatever crashes, restarts or
//! concurrent runners happen; leases only keep a standby from doing wasted work.

use crate::db::Database;
use crate::error::Error;
use crate::lease::Lease;
use crate::log::{EventLog, StoredEvent};
use crate::subscription::Subscription;
use async_trait::async_trait;
use convene_domain::metadata::format_timestamp;
use sqlx::Row;
use sqlx::{AnyConnection, AnyPool};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Events applied per transaction.
pub const BATCH_SIZE: i64 = 500;
/// How long a runner waits before trying again after an error or while another holds its lease.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// A read model fed by the log.
#[async_trait]
pub trait Projection: Send + Sync {
    /// Stable name: the key of its checkpoint and lease, and of `convene replay --projection`.
    fn name(&self) -> &'static str;
    /// The tables it alone writes, emptied before a rebuild.
    fn tables(&self) -> &'static [&'static str];
    /// Applies one event inside the batch's transaction; events it has no use for are skipped.
    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error>;
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

/// What applying a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The batch is applied; the checkpoint is now at `to`.
    Moved { to: i64 },
    /// Someone else moved the checkpoint first (it is at `checkpoint`); nothing was written.
    Fenced { checkpoint: i64 },
}

/// Runs one projection from a log into a database (the same one, except for "as of" rebuilds).
#[derive(Clone)]
pub struct Runner {
    projection: Arc<dyn Projection>,
    source: EventLog,
    target: AnyPool,
}

impl Runner {
    /// A runner reading and writing `db`.
    pub fn new(projection: Arc<dyn Projection>, db: &Database) -> Self {
        Self::into_target(projection, EventLog::new(db), db.pool().clone())
    }

    /// A runner reading `source` and writing read models and checkpoint into `target`.
    pub fn into_target(projection: Arc<dyn Projection>, source: EventLog, target: AnyPool) -> Self {
        Self {
            projection,
            source,
            target,
        }
    }

    pub fn name(&self) -> &'static str {
        self.projection.name()
    }

    /// The stored checkpoint (created at 0 the first time).
    pub async fn checkpoint(&self) -> Result<i64, Error> {
        sqlx::query(
            "INSERT INTO projection_checkpoints (name, position) VALUES ($1, 0) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(self.name())
        .execute(&self.target)
        .await?;
        let position =
            sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE name = $1")
                .bind(self.name())
                .fetch_one(&self.target)
                .await?;
        Ok(position)
    }

    /// Applies `batch` (the events right after `from`, in order) in one transaction, fenced on
    /// the checkpoint still being at `from`.
    pub async fn apply_batch(&self, from: i64, batch: &[StoredEvent]) -> Result<Applied, Error> {
        let Some(last) = batch.last() else {
            return Ok(Applied::Moved { to: from });
        };
        let mut tx = self.target.begin().await?;
        // The checkpoint moves first: on SQLite the transaction then holds the write lock from
        // its first statement, and the fence is decided before any read-model write.
        let moved = sqlx::query(
            "UPDATE projection_checkpoints SET position = $1 WHERE name = $2 AND position = $3",
        )
        .bind(last.position)
        .bind(self.name())
        .bind(from)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            tx.rollback().await?;
            return Ok(Applied::Fenced {
                checkpoint: self.checkpoint().await?,
            });
        }
        for event in batch {
            self.projection.apply(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(Applied::Moved { to: last.position })
    }

    /// Applies the log up to `until`, reporting the checkpoint after each batch.
    pub async fn catch_up(
        &self,
        until: i64,
        progress: &mut (dyn FnMut(i64) + Send),
    ) -> Result<i64, Error> {
        let mut checkpoint = self.checkpoint().await?;
        while checkpoint < until {
            let batch = self.source.read(checkpoint, until, BATCH_SIZE).await?;
            if batch.is_empty() {
                break;
            }
            checkpoint = match self.apply_batch(checkpoint, &batch).await? {
                Applied::Moved { to } => to,
                Applied::Fenced { checkpoint } => checkpoint,
            };
            progress(checkpoint);
        }
        Ok(checkpoint)
    }

    /// Empties the read model and sets the checkpoint back to 0, in one transaction.
    pub async fn reset(&self) -> Result<(), Error> {
        self.checkpoint().await?;
        let mut tx = self.target.begin().await?;
        sqlx::query("UPDATE projection_checkpoints SET position = 0 WHERE name = $1")
            .bind(self.name())
            .execute(&mut *tx)
            .await?;
        for table in self.projection.tables() {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Follows the live log until `shutdown`: waits for the lease, catches up, then applies new
    /// events as they are appended. Errors are logged and retried; they never stop the server.
    pub async fn follow(&self, db: &Database, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            match self.follow_once(db, &shutdown).await {
                Ok(()) => return,
                Err(error) => {
                    tracing::error!(projection = self.name(), %error, "projection stopped; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(RETRY_AFTER) => {}
                    }
                }
            }
        }
    }

    async fn follow_once(&self, db: &Database, shutdown: &CancellationToken) -> Result<(), Error> {
        let lease = loop {
            if let Some(lease) =
                Lease::try_acquire(db, &format!("projection:{}", self.name())).await?
            {
                break lease;
            }
            tracing::debug!(
                projection = self.name(),
                "another process runs this projection"
            );
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(RETRY_AFTER) => {}
            }
        };
        let mut subscription =
            Subscription::start(db, self.checkpoint().await?, BATCH_SIZE).await?;
        loop {
            let from = subscription.checkpoint();
            let batch = tokio::select! {
                _ = shutdown.cancelled() => break,
                batch = subscription.next_batch() => batch?,
            };
            if let Applied::Fenced { checkpoint } = self.apply_batch(from, &batch).await? {
                tracing::info!(
                    projection = self.name(),
                    checkpoint,
                    "checkpoint moved elsewhere; resuming from it"
                );
                subscription.seek(checkpoint);
            }
        }
        lease.release().await
    }
}

/// Every stored checkpoint, by projection name.
pub async fn checkpoints(pool: &AnyPool) -> Result<Vec<(String, i64)>, Error> {
    let rows = sqlx::query("SELECT name, position FROM projection_checkpoints ORDER BY name")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("name")?, row.try_get("position")?)))
        .collect()
}
