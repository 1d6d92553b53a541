//! Read your writes, narrowly: after a command, a use case waits (briefly, bounded) until the
//! read models it reads back have applied the command's position, and no others. Search
//! indexes, the federation outbox and notifications are never waited for.

use crate::error::Error;
use crate::AppState;
use convene_domain::Metadata;
use convene_projections::projection::wait_for;
use convene_projections::Commands;
use cqrs_es::Aggregate;
use std::time::Duration;
use tokio::time::Instant;

/// Longest wait before answering anyway (the change is committed; only the read lags).
pub const READ_YOUR_WRITES: Duration = Duration::from_secs(5);

/// The read models a use case reads back after its command (names from
/// `convene_projections::read_model`).
pub type Reads = &'static [&'static str];

/// Waits until the read models `reads` reach `position`.
pub async fn caught_up(state: &AppState, reads: Reads, position: i64) {
    let deadline = Instant::now() + READ_YOUR_WRITES;
    if !wait_for(&state.db, reads, position, deadline).await {
        tracing::warn!(
            position,
            ?reads,
            "read models are behind; answering before they catch up"
        );
    }
}

/// Runs a command (deciding it again if it loses a race on its aggregate), then waits until
/// the read models `reads` show it. Returns the command's position.
pub async fn command<A>(
    state: &AppState,
    commands: &Commands<A>,
    id: &str,
    command: A::Command,
    metadata: &Metadata,
    reads: Reads,
) -> Result<i64, Error>
where
    A: Aggregate + Clone + 'static,
    A::Command: Clone,
    A::Error: Into<Error> + 'static,
{
    let position = commands.execute_retrying(id, command, metadata).await?;
    caught_up(state, reads, position).await;
    Ok(position)
}
