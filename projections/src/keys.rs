//! The instance's own secret keys, kept in `notification_keys` (one row per name, never
//! changed once stored).

use crate::Error;
use sqlx::AnyPool;

/// The key (hex) called `name`: `fresh` stored now if there is none yet; when two processes
/// store one at once, both read back the first. Read first, so that once it exists asking for
/// it writes nothing (it is asked for on every anonymous participation).
pub async fn stored_or(pool: &AnyPool, name: &str, fresh: &str) -> Result<String, Error> {
    if let Some(key) = stored(pool, name).await? {
        return Ok(key);
    }
    sqlx::query(
        "INSERT INTO notification_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(fresh)
    .execute(pool)
    .await?;
    stored(pool, name).await?.ok_or_else(|| Error::Unreadable {
        position: 0,
        reason: format!("the instance's key {name} was not stored"),
    })
}

async fn stored(pool: &AnyPool, name: &str) -> Result<Option<String>, Error> {
    let key = sqlx::query_scalar("SELECT key FROM notification_keys WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await?;
    Ok(key)
}
