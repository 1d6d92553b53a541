//! Read your writes: after a command, wait (briefly, bounded) until every projection has applied
//! the command's position, so the response and the client's next read show the change.

use crate::problem::{DomainProblem, Problem};
use crate::AppState;
use convene_domain::Metadata;
use convene_projections::projection::checkpoints;
use convene_projections::Commands;
use cqrs_es::Aggregate;
use std::time::Duration;
use tokio::time::Instant;

/// Longest wait before answering anyway (the change is committed; only the read lags).
pub const READ_YOUR_WRITES: Duration = Duration::from_secs(5);

/// Waits until the projections reach `position`.
pub async fn caught_up(state: &AppState, position: i64) {
    let deadline = Instant::now() + READ_YOUR_WRITES;
    let mut pause = Duration::from_millis(2);
    loop {
        match checkpoints(state.db.pool()).await {
            Ok(stored) => {
                let behind = state.projections.iter().any(|name| {
                    stored
                        .iter()
                        .find(|(stored, _)| stored == name)
                        .is_none_or(|(_, at)| *at < position)
                });
                if !behind {
                    return;
                }
            }
            Err(error) => tracing::warn!(%error, "cannot read the projections' checkpoints"),
        }
        if Instant::now() >= deadline {
            tracing::warn!(
                position,
                "projections are behind; answering before they catch up"
            );
            return;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Runs a command (deciding it again if it loses a race on its aggregate), then waits until the
/// read models show it. Returns the command's position.
pub async fn command<A>(
    state: &AppState,
    commands: &Commands<A>,
    id: &str,
    command: A::Command,
    metadata: &Metadata,
) -> Result<i64, Problem>
where
    A: Aggregate + 'static,
    A::Command: Clone,
    A::Error: DomainProblem + 'static,
{
    let position = commands.execute_retrying(id, command, metadata).await?;
    caught_up(state, position).await;
    Ok(position)
}
