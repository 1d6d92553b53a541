//! The ids of activities already taken (table `inbox_seen`): servers resend what they are not
//! sure was delivered, and each activity is applied once.

use super::Refusal;
use axum::http::StatusCode;
use convene_domain::metadata::format_timestamp;
use convene_projections::Database;

fn internal(error: sqlx::Error) -> Refusal {
    Refusal::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("the received activities cannot be read or written: {error}"),
    )
}

pub(super) async fn already(db: &Database, activity: &str) -> Result<bool, Refusal> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT activity_id FROM inbox_seen WHERE activity_id = $1")
            .bind(activity)
            .fetch_optional(db.pool())
            .await
            .map_err(internal)?;
    Ok(found.is_some())
}

pub(super) async fn record(db: &Database, activity: &str, actor: &str) -> Result<(), Refusal> {
    sqlx::query(
        "INSERT INTO inbox_seen (activity_id, actor, received_at) VALUES ($1, $2, $3) \
         ON CONFLICT (activity_id) DO NOTHING",
    )
    .bind(activity)
    .bind(actor)
    .bind(format_timestamp(time::OffsetDateTime::now_utc()))
    .execute(db.pool())
    .await
    .map_err(internal)?;
    Ok(())
}
