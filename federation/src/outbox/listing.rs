//! What each local actor's outbox (`/@{name}/outbox`, `/relay/outbox`) lists: the public
//! activities the outbox derived, as they were stored and delivered, newest first.
//!
//! Listed: a `Create` or `Update` of an event, comment or post (an activity with
//! [`Outgoing::about`]) addressed `to` the public collection. An unlisted object has the public
//! collection in `cc` only and is not listed; follows, answers, memberships and actor updates
//! are not about anything listed. When an object is no longer public — deleted, made unlisted,
//! private or members-only, removed by moderators, a post back in draft — its activity (a
//! `Delete`, or an `Update` not addressed to the public) takes the activities about it out of
//! the outbox: for an event or post, its own and its comments'. The `Delete` itself is not
//! listed either, so a deleted event leaves nothing behind.
//!
//! Written in the transaction that moves the outbox's checkpoint: the outbox is never rebuilt,
//! so a replay of the read models leaves what it lists as it was.

use super::Outgoing;
use crate::context::PUBLIC;
use crate::objects::ActivityKind;
use sqlx::{AnyConnection, AnyPool};

/// Whether the outbox of its actor lists `out`.
pub fn is_listed(out: &Outgoing) -> bool {
    out.about.is_some()
        && matches!(
            out.activity.kind,
            ActivityKind::Create | ActivityKind::Update
        )
        && out.activity.to.iter().any(|to| to == PUBLIC)
}

/// The id of the object `out` carries (embedded, or named by its id).
fn object_id(out: &Outgoing) -> Option<&str> {
    match &out.activity.object {
        serde_json::Value::String(id) => Some(id),
        object => object["id"].as_str(),
    }
}

/// Records who `out` (stored at `activity_id`, derived from the change at `position`) is by and
/// whether it is listed; an activity about an object no longer public takes the activities about
/// that object out of the listing first.
pub async fn record_in(
    conn: &mut AnyConnection,
    position: i64,
    out: &Outgoing,
) -> Result<(), sqlx::Error> {
    let object = object_id(out);
    let listed = is_listed(out);
    if let (Some(about), false) = (out.about.as_deref(), listed) {
        // The event or post itself: its activities and its comments'; a comment: its own.
        let (column, key) = match object {
            Some(object) if object != about => ("object", object),
            _ => ("about", about),
        };
        sqlx::query(&format!(
            "UPDATE activities SET listed = 0 WHERE listed = 1 AND {column} = $1"
        ))
        .bind(key)
        .execute(&mut *conn)
        .await?;
    }
    // Only once: a row written before (by an earlier run) keeps what it said then.
    sqlx::query(
        "UPDATE activities SET actor = $1, listed = $2, object = $3, about = $4, log_position = $5
         WHERE id = $6 AND actor IS NULL",
    )
    .bind(&out.activity.actor)
    .bind(i64::from(listed))
    .bind(object)
    .bind(out.about.as_deref())
    .bind(position)
    .bind(&out.activity.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// How many activities the outbox of `actor` lists.
pub async fn count(pool: &AnyPool, actor: &str) -> Result<i64, sqlx::Error> {
    let (count,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM activities WHERE actor = $1 AND listed = 1")
            .bind(actor)
            .fetch_one(pool)
            .await?;
    Ok(count)
}

/// The bodies of the activities the outbox of `actor` lists, newest first, `limit` of them
/// after skipping `offset`.
pub async fn bodies(
    pool: &AnyPool,
    actor: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT body FROM activities WHERE actor = $1 AND listed = 1
         ORDER BY log_position DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(actor)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(body,)| body).collect())
}
