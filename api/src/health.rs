//! Is the server up, how far behind the log is each subscriber, and what notifications wait or
//! failed.

use crate::error::Result;
use crate::AppState;
use convene_projections::log::EventLog;
use convene_projections::projection::checkpoints;
use convene_projections::tables::count_in_state;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
    /// The last position appended to the log.
    pub last_position: i64,
    /// Every subscriber (read models, and stores outside the database), in the order they run.
    pub projections: Vec<SubscriberHealth>,
    /// What the notifications' outbox and reminders hold.
    pub notifications: NotificationFigures,
}

/// The notifications' figures: `convene notifications pending|failed` lists them one by one.
#[derive(Debug, Serialize)]
pub struct NotificationFigures {
    /// Mails waiting to be sent (retries included).
    pub pending: i64,
    /// Mails given up, each with its reason.
    pub failed: i64,
    /// Reminders waiting for their time.
    pub reminders_pending: i64,
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
            // The stored checkpoint, or further where this process's runner passed over
            // changes that do not concern it (stored a moment later).
            let checkpoint = stored
                .iter()
                .find(|(stored, _)| stored == name)
                .map_or(0, |(_, at)| *at)
                .max(*state.db.progress(name).borrow());
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
        notifications: notification_figures(state).await?,
    })
}

/// Counted in the tables of `convene-notifications` (a crate above this one, so read here by
/// their names, which its migrations own).
async fn notification_figures(state: &AppState) -> Result<NotificationFigures> {
    let pool = state.db.pool();
    Ok(NotificationFigures {
        pending: count_in_state(pool, "notification_mails", "pending").await?,
        failed: count_in_state(pool, "notification_mails", "failed").await?,
        reminders_pending: count_in_state(pool, "reminders", "pending").await?,
    })
}
