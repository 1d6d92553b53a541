//! Catch-up subscriptions: read the log from a checkpoint in batches, then follow new appends.
//!
//! A subscriber wakes on an append signal (a watch channel bumped by [`crate::Commands`] in this
//! process, and on PostgreSQL by the process's one listener for the `NOTIFY convene_log` every
//! process's appends send at commit), and on a short poll as the last resort (another process
//! appending to the same SQLite file).

use crate::db::Database;
use crate::error::Error;
use crate::log::{EventLog, StoredEvent};
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
}

impl Subscription {
    /// Starts after `checkpoint` (0 for the beginning).
    pub async fn start(db: &Database, checkpoint: i64, batch_size: i64) -> Result<Self, Error> {
        Ok(Self {
            log: EventLog::new(db),
            after: checkpoint,
            batch_size,
            appended: db.appended(),
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
            let batch = self.read().await?;
            if !batch.is_empty() {
                return Ok(batch);
            }
            self.wait().await;
        }
    }

    /// The next batch if the log has one now; empty when it has nothing new.
    pub async fn read(&mut self) -> Result<Vec<StoredEvent>, Error> {
        // Mark the signal seen before reading, so an append during the read still wakes us.
        self.appended.borrow_and_update();
        let batch = self.log.read_after(self.after, self.batch_size).await?;
        if let Some(last) = batch.last() {
            self.after = last.position;
        }
        Ok(batch)
    }

    /// Until something is appended after the last [`Subscription::read`] (or a short poll).
    pub async fn wait(&mut self) {
        tokio::select! {
            _ = self.appended.changed() => {}
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
        }
    }
}
