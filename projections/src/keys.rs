//! The instance's own secret keys, kept in `notification_keys` (one row per name, never
//! changed once stored).

use crate::Error;
use sqlx::AnyPool;

/// The key (hex) called `name`: `fresh` stored now if there is none yet; when two processes
/// store one at once, both read back the first.
pub async fn stored_or(pool: &AnyPool, name: &str, fresh: &str) -> Result<String, Error> {
    sqlx::query(
        "INSERT INTO notification_keys (name, key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(fresh)
    .execute(pool)
    .await?;
    let key = sqlx::query_scalar("SELECT key FROM notification_keys WHERE name = $1")
        .bind(name)
        .fetch_one(pool)
        .await?;
    Ok(key)
}
