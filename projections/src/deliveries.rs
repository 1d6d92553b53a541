//! The outgoing deliveries as administrators see them: listed by state, one read by id, and a
//! failed or dead one made pending again. The queue itself (enqueueing, claiming under a lease,
//! recording each try) is federation's; its rows live here, in the read-model database.

use crate::Error;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// To send, or to retry at `next_attempt_at`.
    Pending,
    Delivered,
    /// Refused for good: a 4xx other than 408 and 429, or a target our guard refuses.
    Failed,
    /// Every try was used.
    Dead,
}

impl State {
    pub const ALL: [State; 4] = [State::Pending, State::Delivered, State::Failed, State::Dead];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Delivered => "delivered",
            State::Failed => "failed",
            State::Dead => "dead",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One delivery as stored. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub activity_id: String,
    pub inbox: String,
    pub host: String,
    pub state: State,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, activity_id, inbox, host, state, attempts, next_attempt_at, \
                       last_status, last_error, created_at, updated_at";

fn delivery(row: &AnyRow) -> Result<Delivery, Error> {
    let state: String = row.try_get("state")?;
    Ok(Delivery {
        id: row.try_get("id")?,
        activity_id: row.try_get("activity_id")?,
        inbox: row.try_get("inbox")?,
        host: row.try_get("host")?,
        state: State::parse(&state).ok_or(Error::UnknownValue {
            table: "deliveries",
            column: "state",
            value: state,
        })?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Which deliveries a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    All,
    In(State),
    /// What may still need an administrator's eye: all but the delivered.
    Undelivered,
}

impl Which {
    /// The SQL condition; its values are the states' own names, never input.
    fn condition(self) -> String {
        match self {
            Which::All => "TRUE".to_string(),
            Which::In(state) => format!("state = '{}'", state.as_str()),
            Which::Undelivered => "state <> 'delivered'".to_string(),
        }
    }
}

/// The deliveries `which` names, oldest first, at most `limit` from `offset`.
pub async fn list(
    pool: &AnyPool,
    which: Which,
    limit: i64,
    offset: i64,
) -> Result<Vec<Delivery>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM deliveries WHERE {} ORDER BY created_at, id LIMIT $1 OFFSET $2",
        which.condition()
    ))
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    rows.iter().map(delivery).collect()
}

/// Every delivery `which` names, oldest first.
pub async fn all(pool: &AnyPool, which: Which) -> Result<Vec<Delivery>, Error> {
    list(pool, which, i64::MAX, 0).await
}

/// How many deliveries `which` names.
pub async fn count(pool: &AnyPool, which: Which) -> Result<i64, Error> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM deliveries WHERE {}",
        which.condition()
    ))
    .fetch_one(pool)
    .await?)
}

/// The delivery `id`, if there is one.
pub async fn get(pool: &AnyPool, id: &str) -> Result<Option<Delivery>, Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM deliveries WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(delivery).transpose()
}

/// Makes a failed or dead delivery pending again, to be tried at `now` (Unix milliseconds) with
/// a fresh count; false when `id` is no failed or dead delivery.
pub async fn retry(pool: &AnyPool, id: &str, now: i64) -> Result<bool, Error> {
    let changed = sqlx::query(
        "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = $1,
             leased_until = NULL, updated_at = $1
         WHERE id = $2 AND state IN ('failed', 'dead')",
    )
    .bind(now)
    .bind(id)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(changed == 1)
}
