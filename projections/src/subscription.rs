//! Catch-up subscriptions: read the log from a checkpoint in batches, then follow new appends.
//!
//! A subscriber wakes on three signals: an in-process append (a watch channel bumped by
//! [`crate::Commands`]), a PostgreSQL `NOTIFY convene_log` sent by the appending trigger at commit
//! (so several processes can share one database), and a short poll as the last resort (another
//! process appending to the same SQLite file).

use crate::db::{AppendPool, Database};
use crate::error::Error;
use crate::log::{EventLog, StoredEvent};
use sqlx::postgres::PgListener;
use std::time::Duration;
use tokio::sync::watch;

/// How often a subscriber looks for new events when nothing woke it.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// A reader positioned in the log.
pub struct Subscription {
    log: EventLog,
    after: i64,
    batch_size: i64,
    appended: watch::Receiver<u64>,
    remote: Option<PgListener>,
}

impl Subscription {
    /// Starts after `checkpoint` (0 for the beginning).
    pub async fn start(db: &Database, checkpoint: i64, batch_size: i64) -> Result<Self, Error> {
        let remote = match db.append_pool() {
            AppendPool::Postgres(pool) => {
                let mut listener = PgListener::connect_with(pool).await?;
                listener.listen("convene_log").await?;
                Some(listener)
            }
            AppendPool::Sqlite(_) => None,
        };
        Ok(Self {
            log: EventLog::new(db),
            after: checkpoint,
            batch_size,
            appended: db.appended(),
            remote,
        })
    }

    /// The position of the last event handed out.
    pub fn checkpoint(&self) -> i64 {
        self.after
    }

    /// Moves the subscription (after another runner moved the shared checkpoint).
    pub fn seek(&mut self, checkpoint: i64) {
        self.after = checkpoint;
    }

    /// The next batch, waiting for one if the log has nothing new.
    pub async fn next_batch(&mut self) -> Result<Vec<StoredEvent>, Error> {
        loop {
            // Mark the signal seen before reading, so an append during the read still wakes us.
            self.appended.borrow_and_update();
            let batch = self.log.read_after(self.after, self.batch_size).await?;
            if let Some(last) = batch.last() {
                self.after = last.position;
                return Ok(batch);
            }
            self.wait().await;
        }
    }

    async fn wait(&mut self) {
        let local = self.appended.changed();
        match &mut self.remote {
            Some(listener) => {
                tokio::select! {
                    _ = local => {}
                    _ = listener.try_recv() => {}
                    _ = tokio::time::sleep(POLL_INTERVAL) => {}
                }
            }
            None => {
                tokio::select! {
                    _ = local => {}
                    _ = tokio::time::sleep(POLL_INTERVAL) => {}
                }
            }
        }
    }
}
