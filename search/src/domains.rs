//! Which other instances' domains the administrators suspended or limited, as the log says at a
//! position. Either keeps a domain's events out of public listings, so they leave the index and
//! come back when the decision is lifted. Read from the log (the `Domain` aggregates' own
//! decisions up to the batch's end), never from a read model, so a rebuild from position 0 gives
//! the same index.

use crate::Error;
use convene_domain::remote_domain::covers;
use convene_domain::{Event, EventChange, RemoteDomain, RemoteDomainChange};
use convene_projections::domains::DomainDecisions;
use convene_projections::StoredEvent;
use cqrs_es::Aggregate;
use sqlx::{AnyPool, Row};
use std::collections::BTreeMap;

fn unreadable(error: serde_json::Error) -> Error {
    Error::Unreadable(error.to_string())
}

/// The decisions in force at `until`.
pub async fn in_force(pool: &AnyPool, until: i64) -> Result<DomainDecisions, Error> {
    let rows = sqlx::query(
        "SELECT aggregate_id, CAST(payload AS TEXT) AS payload FROM event_log \
         WHERE aggregate_type = $1 AND position <= $2 ORDER BY position",
    )
    .bind(RemoteDomain::TYPE)
    .bind(until)
    .fetch_all(pool)
    .await?;
    let mut decisions = BTreeMap::new();
    for row in rows {
        let payload: String = row.try_get("payload")?;
        let RemoteDomainChange::Moderated { action, .. } =
            serde_json::from_str(&payload).map_err(unreadable)?
        else {
            continue;
        };
        // Rejecting media or reports leaves the index as it is.
        if action.policy().is_none() {
            decisions.insert(row.try_get::<String, _>("aggregate_id")?, action);
        }
    }
    Ok(DomainDecisions::from_decisions(decisions))
}

/// The remote events a batch's domain decisions concern: those imported, up to the batch's end,
/// from a domain decided on in it.
pub async fn events_decided_in(
    pool: &AnyPool,
    batch: &[StoredEvent],
) -> Result<Vec<String>, Error> {
    let Some(last) = batch.last() else {
        return Ok(Vec::new());
    };
    let mut events = Vec::new();
    for decided in batch
        .iter()
        .filter(|e| e.aggregate_type == RemoteDomain::TYPE)
    {
        let domain = decided.aggregate_id.as_str();
        // The domain's name is in each of its events' imports: a cheap prefilter, each
        // candidate then read for certain.
        let rows = sqlx::query(
            "SELECT aggregate_id, CAST(payload AS TEXT) AS payload FROM event_log \
             WHERE aggregate_type = $1 AND event_type = 'EventImported' AND position <= $2 \
             AND CAST(payload AS TEXT) LIKE $3 ORDER BY position",
        )
        .bind(Event::TYPE)
        .bind(last.position)
        .bind(format!(
            "%{}%",
            domain.trim_start_matches('[').trim_end_matches(']')
        ))
        .fetch_all(pool)
        .await?;
        for row in rows {
            let payload: String = row.try_get("payload")?;
            if let EventChange::Imported { origin, .. } =
                serde_json::from_str(&payload).map_err(unreadable)?
            {
                if covers(domain, origin.host()) {
                    events.push(row.try_get("aggregate_id")?);
                }
            }
        }
    }
    Ok(events)
}
