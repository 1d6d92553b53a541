//! Running subscribers: a [`Runner`] feeds one [`Subscriber`] the log batch by batch.
//!
//! Each batch moves the subscriber's checkpoint with a compare-and-set from where the batch
//! starts to where it ends: if the checkpoint is no longer where this runner thought (another
//! runner, or a replay, moved it), nothing is written and the runner picks up from the stored
//! checkpoint. For read models that fence is in the batch's transaction, which makes every event
//! applied exactly once, whatever crashes, restarts or concurrent runners happen; leases only
//! keep a standby from doing wasted work.
//!
//! After each batch the runner publishes its checkpoint in-process ([`Database::progress`]), so
//! a command waiting to read its own write ([`wait_for`]) wakes at once.

use crate::db::Database;
use crate::error::Error;
use crate::lease::Lease;
use crate::log::{EventLog, StoredEvent};
use crate::subscriber::move_checkpoint;
use crate::subscription::Subscription;
use sqlx::AnyPool;
use sqlx::Row;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub(crate) use crate::subscriber::Applying;
pub use crate::subscriber::{checkpoint, Applied, Projection, Subscriber};

/// Events applied per transaction.
pub const BATCH_SIZE: i64 = 500;
/// How long a runner waits before trying again after an error or while another holds its lease.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Longest a runner leaves events it passed over out of its stored checkpoint while the log
/// keeps growing...
const STORE_PASSED_WITHIN: Duration = Duration::from_secs(1);
/// ... and how long the log must stay quiet before they are stored.
const STORE_PASSED_WHEN_QUIET: Duration = Duration::from_millis(100);

/// Runs one subscriber from a log into a database (the same one, except for "as of" rebuilds).
#[derive(Clone)]
pub struct Runner {
    subscriber: Arc<dyn Subscriber>,
    source: EventLog,
    target: AnyPool,
    progress: Arc<watch::Sender<i64>>,
}

impl Runner {
    /// A runner reading and writing `db`, publishing its progress to the process.
    pub fn new(subscriber: Arc<dyn Subscriber>, db: &Database) -> Self {
        let progress = db.progress(subscriber.name());
        Self {
            subscriber,
            source: EventLog::new(db),
            target: db.pool().clone(),
            progress,
        }
    }

    /// A runner reading `source` and writing read models and checkpoint into `target`.
    pub fn into_target(subscriber: Arc<dyn Subscriber>, source: EventLog, target: AnyPool) -> Self {
        Self {
            subscriber,
            source,
            target,
            progress: Arc::new(watch::channel(0).0),
        }
    }

    pub fn name(&self) -> &'static str {
        self.subscriber.name()
    }

    /// The stored checkpoint (created at 0 the first time).
    pub async fn checkpoint(&self) -> Result<i64, Error> {
        checkpoint(&self.target, self.name()).await
    }

    /// Applies `batch` with the checkpoint stored at `stored` (the events between were passed
    /// over), fenced on it still being there; publishes in-process how far the subscriber is.
    pub async fn apply_batch(&self, stored: i64, batch: &[StoredEvent]) -> Result<Applied, Error> {
        let applied = self
            .subscriber
            .apply_batch(&self.target, stored, batch)
            .await?;
        self.publish(match applied {
            Applied::Moved { to } | Applied::Passed { to } => to,
            Applied::Fenced { checkpoint } => checkpoint,
        });
        Ok(applied)
    }

    /// Stores the checkpoint past the events passed over since `stored`, up to `to`.
    async fn store_passed(&self, stored: i64, to: i64) -> Result<Applied, Error> {
        if stored >= to {
            return Ok(Applied::Moved { to: stored });
        }
        let mut conn = self.target.acquire().await?;
        if move_checkpoint(&mut conn, self.name(), stored, to).await? {
            return Ok(Applied::Moved { to });
        }
        drop(conn);
        let checkpoint = self.checkpoint().await?;
        self.publish(checkpoint);
        Ok(Applied::Fenced { checkpoint })
    }

    fn publish(&self, at: i64) {
        self.progress.send_if_modified(|known| {
            let moved = *known != at;
            *known = at;
            moved
        });
    }

    /// Applies the log up to `until`, reporting how far it got after each batch; the
    /// checkpoint is stored at the end even if the last batches were passed over.
    pub async fn catch_up(
        &self,
        until: i64,
        progress: &mut (dyn FnMut(i64) + Send),
    ) -> Result<i64, Error> {
        let mut stored = self.checkpoint().await?;
        let mut read = stored;
        while read < until {
            let batch = self.source.read(read, until, BATCH_SIZE).await?;
            if batch.is_empty() {
                break;
            }
            match self.apply_batch(stored, &batch).await? {
                Applied::Moved { to } => (stored, read) = (to, to),
                Applied::Passed { to } => read = to,
                Applied::Fenced { checkpoint } => (stored, read) = (checkpoint, checkpoint),
            }
            progress(read);
        }
        Ok(match self.store_passed(stored, read).await? {
            Applied::Fenced { checkpoint } => checkpoint,
            _ => read,
        })
    }

    /// Forgets what the subscriber built and sets its checkpoint back to 0.
    pub async fn reset(&self) -> Result<(), Error> {
        self.subscriber.reset(&self.target).await?;
        self.progress.send_replace(0);
        Ok(())
    }

    /// Follows the live log until `shutdown`: waits for the lease, catches up, then applies new
    /// events as they are appended. Errors are logged and retried; they never stop the server.
    pub async fn follow(&self, db: &Database, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            match self.follow_once(db, &shutdown).await {
                Ok(()) => return,
                Err(error) => {
                    tracing::error!(subscriber = self.name(), %error, "subscriber stopped; retrying");
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
                subscriber = self.name(),
                "another process runs this subscriber"
            );
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(RETRY_AFTER) => {}
            }
        };
        let mut stored = self.checkpoint().await?;
        self.progress.send_replace(stored);
        let mut stored_at = Instant::now();
        let mut subscription = Subscription::start(db, stored, BATCH_SIZE).await?;
        loop {
            let batch = subscription.read().await?;
            let applied = if batch.is_empty() {
                // What was passed over is stored once the log stays quiet a moment (and after a
                // while under load), so that other processes and `/healthz` see where the
                // subscriber is without a write after every batch.
                let passed = stored < subscription.checkpoint();
                let quiet = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = subscription.wait() => false,
                    _ = tokio::time::sleep(STORE_PASSED_WHEN_QUIET), if passed => true,
                };
                if !quiet {
                    continue;
                }
                self.store_passed(stored, subscription.checkpoint()).await?
            } else {
                match self.apply_batch(stored, &batch).await? {
                    Applied::Passed { to } if stored_at.elapsed() >= STORE_PASSED_WITHIN => {
                        self.store_passed(stored, to).await?
                    }
                    applied => applied,
                }
            };
            match applied {
                Applied::Moved { to } => {
                    stored = to;
                    stored_at = Instant::now();
                }
                Applied::Passed { .. } => {}
                Applied::Fenced { checkpoint } => {
                    tracing::info!(
                        subscriber = self.name(),
                        checkpoint,
                        "checkpoint moved elsewhere; resuming from it"
                    );
                    subscription.seek(checkpoint);
                    stored = checkpoint;
                }
            }
            if shutdown.is_cancelled() {
                break;
            }
        }
        lease.release().await
    }
}

/// Every stored checkpoint, by subscriber name.
pub async fn checkpoints(pool: &AnyPool) -> Result<Vec<(String, i64)>, Error> {
    let rows = sqlx::query("SELECT name, position FROM projection_checkpoints ORDER BY name")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("name")?, row.try_get("position")?)))
        .collect()
}

/// How often [`wait_for`] reads the stored checkpoints when nothing in this process woke it
/// (the subscriber runs in another process sharing the PostgreSQL database).
const POLL_FIRST: Duration = Duration::from_millis(20);
const POLL_MAX: Duration = Duration::from_millis(200);

/// Waits until each subscriber in `names` has applied the log up to `position`, or `deadline`
/// passes; true when they all got there. Woken in-process by the runners. On PostgreSQL, where
/// a subscriber may run in another process, the stored checkpoints are also read while one is
/// seen behind; a SQLite database is served by one process, whose runners say it all.
pub async fn wait_for(
    db: &Database,
    names: &[&'static str],
    position: i64,
    deadline: Instant,
) -> bool {
    let mut watches: Vec<watch::Receiver<i64>> = names
        .iter()
        .map(|name| db.progress(name).subscribe())
        .collect();
    let shared = db.backend() == crate::Backend::Postgres;
    let mut pause = POLL_FIRST;
    let mut next_poll = if shared {
        Instant::now() + pause
    } else {
        deadline
    };
    loop {
        // Mark every value seen before looking, so a batch committed meanwhile still wakes us.
        watches.retain_mut(|w| *w.borrow_and_update() < position);
        if watches.is_empty() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        if shared && now >= next_poll {
            let stored = checkpoints(db.pool()).await.unwrap_or_else(|error| {
                tracing::warn!(%error, "cannot read the stored checkpoints; trying again");
                Vec::new()
            });
            for (name, at) in stored {
                if let Some(name) = names.iter().find(|n| **n == name) {
                    db.progress(name).send_if_modified(|known| {
                        let ahead = at > *known;
                        if ahead {
                            *known = at;
                        }
                        ahead
                    });
                }
            }
            pause = (pause * 2).min(POLL_MAX);
            next_poll = Instant::now() + pause;
            continue;
        }
        // One lagging subscriber at a time: when it gets there, the others are looked at again.
        tokio::select! {
            _ = watches[0].changed() => {}
            _ = tokio::time::sleep_until(next_poll.min(deadline)) => {}
        }
    }
}
