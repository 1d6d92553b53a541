//! The queue's rows: enqueueing an activity for its inboxes, claiming due deliveries under a
//! lease, and recording how each try went.

use super::{now_ms, DeliveryError};
use convene_projections::deliveries::State;
use convene_projections::{Backend, Database};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};
use std::time::Duration;

/// The id of the delivery of `activity_id` to `inbox`: the same pair always gives the same id.
pub fn delivery_id(activity_id: &str, inbox: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(activity_id.as_bytes());
    hash.update(b"\n");
    hash.update(inbox.as_bytes());
    hex::encode(hash.finalize())
}

/// Stores `activity_json` once under `activity_id` (signed with `key_id` when sent) and one
/// pending delivery per inbox. Enqueueing the same activity and inboxes again changes nothing;
/// new inboxes are added. Returns how many deliveries were new.
pub async fn enqueue(
    db: &Database,
    activity_id: &str,
    activity_json: &str,
    inboxes: &[String],
    key_id: &str,
) -> Result<u64, DeliveryError> {
    let mut tx = db.pool().begin().await?;
    let added = enqueue_in(&mut tx, activity_id, activity_json, inboxes, key_id).await?;
    tx.commit().await?;
    Ok(added)
}

/// [`enqueue`] inside the caller's transaction (the outbox's, which moves its checkpoint).
pub async fn enqueue_in(
    conn: &mut AnyConnection,
    activity_id: &str,
    activity_json: &str,
    inboxes: &[String],
    key_id: &str,
) -> Result<u64, DeliveryError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO activities (id, key_id, body, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(activity_id)
    .bind(key_id)
    .bind(activity_json)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let mut added = 0;
    for inbox in inboxes {
        // The server's authority: each host and port is limited and paused on its own.
        let host = url::Url::parse(inbox)
            .ok()
            .and_then(|u| {
                let host = u.host_str()?.to_ascii_lowercase();
                Some(match u.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host,
                })
            })
            .ok_or_else(|| DeliveryError::BadInbox(inbox.clone()))?;
        added += sqlx::query(
            "INSERT INTO deliveries (id, activity_id, inbox, host, state, attempts,
                 next_attempt_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(delivery_id(activity_id, inbox))
        .bind(activity_id)
        .bind(inbox)
        .bind(host)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(added)
}

/// A claimed delivery, with what sending it needs.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: String,
    pub inbox: String,
    pub host: String,
    pub attempts: i64,
    pub key_id: String,
    pub body: String,
}

/// Claims up to `limit` due deliveries for `lease`: no other worker claims them until the
/// lease ends (it ends early when the outcome is recorded). On PostgreSQL the claim skips rows
/// another worker is claiming at the same moment (`FOR UPDATE SKIP LOCKED`); SQLite has one
/// writer at a time.
pub async fn claim(
    db: &Database,
    limit: i64,
    lease: Duration,
) -> Result<Vec<Claimed>, DeliveryError> {
    let now = now_ms();
    let lock = match db.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let rows = sqlx::query(&format!(
        "UPDATE deliveries SET leased_until = $1
         WHERE id IN (SELECT id FROM deliveries
                      WHERE state = 'pending' AND next_attempt_at <= $2
                        AND (leased_until IS NULL OR leased_until <= $2)
                      ORDER BY next_attempt_at LIMIT $3 {lock})
         RETURNING id, activity_id, inbox, host, attempts"
    ))
    .bind(now + lease.as_millis() as i64)
    .bind(now)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in rows {
        let activity_id: String = row.try_get("activity_id")?;
        let activity = sqlx::query("SELECT key_id, body FROM activities WHERE id = $1")
            .bind(&activity_id)
            .fetch_one(db.pool())
            .await?;
        claimed.push(Claimed {
            id: row.try_get("id")?,
            inbox: row.try_get("inbox")?,
            host: row.try_get("host")?,
            attempts: row.try_get("attempts")?,
            key_id: activity.try_get("key_id")?,
            body: activity.try_get("body")?,
        });
    }
    Ok(claimed)
}

/// Records a try's outcome: the new state, attempts, when to try next, and what happened.
pub async fn record(
    db: &Database,
    id: &str,
    state: State,
    attempts: i64,
    next_attempt_at: i64,
    status: Option<u16>,
    error: Option<&str>,
) -> Result<(), DeliveryError> {
    sqlx::query(
        "UPDATE deliveries SET state = $1, attempts = $2, next_attempt_at = $3,
             leased_until = NULL, last_status = $4, last_error = $5, updated_at = $6
         WHERE id = $7",
    )
    .bind(state.as_str())
    .bind(attempts)
    .bind(next_attempt_at)
    .bind(status.map(i64::from))
    .bind(error)
    .bind(now_ms())
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Puts a claimed delivery back without counting a try (its host's circuit is open).
pub async fn postpone(db: &Database, id: &str, until: i64) -> Result<(), DeliveryError> {
    sqlx::query(
        "UPDATE deliveries SET next_attempt_at = $1, leased_until = NULL, updated_at = $2
         WHERE id = $3",
    )
    .bind(until)
    .bind(now_ms())
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}
