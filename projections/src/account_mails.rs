//! The mails about an account itself (migration 0041), kept in the notifications' mail outbox
//! until sent: written with what composing them again needs and claimed at once by the request
//! that wrote them, which records the outcome of its one attempt; the notifications sender
//! retries the rest. The values filled into a mail (its links, tokens included) are forgotten
//! once it is sent or given up.

use crate::Error;
use sqlx::{AnyPool, Row};

/// What composing an account mail again needs.
#[derive(Debug, Clone)]
pub struct AccountMailRow {
    pub id: String,
    /// Which mail (`confirm`, `reset`…).
    pub mail: String,
    pub locale: String,
    pub recipient: String,
    /// `None` once sent or given up.
    pub values: Option<Vec<(String, String)>>,
}

/// Writes mail `id` and its outbox row, claimed by the caller until `claimed_until` (Unix
/// seconds; one attempt counted): a caller that dies before recording the outcome leaves the
/// mail to the sender after that.
#[allow(clippy::too_many_arguments)]
pub async fn queue(
    pool: &AnyPool,
    id: &str,
    mail: &str,
    locale: &str,
    recipient: &str,
    values: &[(&str, &str)],
    claimed_until: i64,
    created_at: &str,
) -> Result<(), Error> {
    let values = serde_json::to_string(values).map_err(|e| Error::InvalidRequest(e.to_string()))?;
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO account_mails (id, mail, locale, recipient, vals, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(mail)
    .bind(locale)
    .bind(recipient)
    .bind(values)
    .bind(created_at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO notification_mails (id, state, attempts, due_at) VALUES ($1, 'pending', 1, $2)",
    )
    .bind(id)
    .bind(claimed_until)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Account mail `id`, if the outbox row is one.
pub async fn find(pool: &AnyPool, id: &str) -> Result<Option<AccountMailRow>, Error> {
    let Some(row) =
        sqlx::query("SELECT id, mail, locale, recipient, vals FROM account_mails WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?
    else {
        return Ok(None);
    };
    let values: Option<String> = row.try_get("vals")?;
    let values = match values {
        Some(json) => Some(serde_json::from_str(&json).map_err(|e| Error::Unreadable {
            position: 0,
            reason: format!("account mail {id}: {e}"),
        })?),
        None => None,
    };
    Ok(Some(AccountMailRow {
        id: row.try_get("id")?,
        mail: row.try_get("mail")?,
        locale: row.try_get("locale")?,
        recipient: row.try_get("recipient")?,
        values,
    }))
}

/// Forgets what was filled into mail `id` (nothing when it is no account mail).
pub async fn forget_values(pool: &AnyPool, id: &str) -> Result<(), Error> {
    sqlx::query("UPDATE account_mails SET vals = NULL WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Sent at `at` by the request that wrote it.
pub async fn sent(pool: &AnyPool, id: &str, at: &str) -> Result<(), Error> {
    sqlx::query(
        "UPDATE notification_mails SET state = 'sent', sent_at = $1, last_error = NULL WHERE id = $2",
    )
    .bind(at)
    .bind(id)
    .execute(pool)
    .await?;
    forget_values(pool, id).await
}

/// Refused for now: due again at `due_at`, for the sender.
pub async fn retry_at(pool: &AnyPool, id: &str, due_at: i64, error: &str) -> Result<(), Error> {
    sqlx::query("UPDATE notification_mails SET due_at = $1, last_error = $2 WHERE id = $3")
        .bind(due_at)
        .bind(error)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Refused for good: kept with the reason for administrators, its values forgotten.
pub async fn failed(pool: &AnyPool, id: &str, error: &str) -> Result<(), Error> {
    sqlx::query("UPDATE notification_mails SET state = 'failed', last_error = $1 WHERE id = $2")
        .bind(error)
        .bind(id)
        .execute(pool)
        .await?;
    forget_values(pool, id).await
}
