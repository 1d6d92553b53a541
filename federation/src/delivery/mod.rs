//! Durable delivery of outgoing activities: a queue in the read-model database
//! (`activities`, `deliveries`) and a worker that signs and posts through the
//! [`crate::client::Client`], retrying with backoff, limited per host, with a circuit breaker
//! for hosts that keep failing. Several processes sharing a PostgreSQL database share the work
//! through leased claims; SQLite is served by one process.

mod queue;
mod worker;

pub use convene_projections::deliveries::{all, count, get, retry, Delivery, State, Which};
pub use queue::{claim, delivery_id, enqueue, enqueue_in, Claimed};
pub use worker::{Backoff, Outcome, SignerSource, Worker, WorkerConfig};

use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("not an inbox URL: {0}")]
    BadInbox(String),
    #[error("read models: {0}")]
    ReadModel(#[from] convene_projections::Error),
}

/// Now, in Unix milliseconds, as the queue stores times.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
