//! Is the server up, and how far behind the log is each subscriber.

use crate::error::Result;
use crate::AppState;
use convene_projections::log::EventLog;
use convene_projections::projection::checkpoints;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
    /// The last position appended to the log.
    pub last_position: i64,
    /// Every subscriber (read models, and stores outside the database), in the order they run.
    pub projections: Vec<SubscriberHealth>,
}

#[derive(Debug, Serialize)]
pub struct SubscriberHealth {
    pub name: &'static str,
    pub checkpoint: i64,
    /// Events appended but not yet applied.
    pub lag: i64,
}

/// The log's head and each subscriber's checkpoint and lag.
pub async fn health(state: &AppState) -> Result<Health> {
    let last_position = EventLog::new(&state.db).head().await?.position;
    let stored = checkpoints(state.db.pool()).await?;
    let projections = state
        .subscribers
        .names()
        .into_iter()
        .map(|name| {
            let checkpoint = stored
                .iter()
                .find(|(stored, _)| stored == name)
                .map_or(0, |(_, at)| *at);
            SubscriberHealth {
                name,
                checkpoint,
                lag: last_position - checkpoint,
            }
        })
        .collect();
    Ok(Health {
        status: "ok",
        last_position,
        projections,
    })
}
