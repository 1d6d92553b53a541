//! Walking the hash chain to prove the log is as it was appended.

use crate::chain::{link, Link, GENESIS};
use crate::error::Error;
use crate::log::{EventLog, StoredEvent};

/// Events read per query while verifying.
const BATCH: i64 = 2_000;

/// Where the chain breaks first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub position: i64,
    pub reason: String,
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Events whose hash was recomputed.
    pub checked: i64,
    pub broken: Option<Break>,
}

/// Recomputes every link in order and stops at the first that does not match; reports progress
/// as (events checked, events in the log).
pub async fn verify(
    log: &EventLog,
    progress: &mut (dyn FnMut(i64, i64) + Send),
) -> Result<Report, Error> {
    let head = log.head().await?;
    let mut previous = GENESIS.to_vec();
    let mut checked = 0;
    let broken = |checked, position, reason: String| Report {
        checked,
        broken: Some(Break { position, reason }),
    };
    loop {
        // Only up to the head read at the start: appends during the walk are not this run's.
        let batch = log.read(checked, head.position, BATCH).await?;
        if batch.is_empty() {
            break;
        }
        for event in &batch {
            let expected = checked + 1;
            if event.position != expected {
                return Ok(broken(
                    checked,
                    expected,
                    format!(
                        "the event is missing (the next stored one is at {})",
                        event.position
                    ),
                ));
            }
            if link(&previous, &chain_link(event)) != event.hash.as_slice() {
                return Ok(broken(
                    checked,
                    event.position,
                    "its stored content no longer matches its hash".into(),
                ));
            }
            previous.clone_from(&event.hash);
            checked = expected;
        }
        progress(checked, head.position);
    }
    if head.position != checked || head.hash != previous {
        return Ok(broken(
            checked,
            checked + 1,
            format!(
                "the log ends at position {checked} but its head records position {}",
                head.position
            ),
        ));
    }
    Ok(Report {
        checked,
        broken: None,
    })
}

fn chain_link(event: &StoredEvent) -> Link<'_> {
    Link {
        position: event.position,
        aggregate_type: &event.aggregate_type,
        aggregate_id: &event.aggregate_id,
        sequence: event.sequence,
        event_type: &event.event_type,
        event_version: &event.event_version,
        payload: &event.payload,
        metadata: &event.metadata,
    }
}
