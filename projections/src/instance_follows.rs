//! The `instance_follows` read model: the other instances' actors this instance follows (asked,
//! or accepted) and those following it, with the inboxes the outbox delivers to.

use crate::error::Error;
use crate::log::StoredEvent;
use crate::projection::{Applying, Projection};
use crate::tables::{flag, flag_of};
use async_trait::async_trait;
use convene_domain::instance_follow::InstanceFollowState;
use convene_domain::{InstanceFollow, InstanceFollowChange};
use cqrs_es::Aggregate;
use serde::Serialize;
use sqlx::{AnyConnection, AnyPool, Row};

pub struct InstanceFollowsProjection;

#[async_trait]
impl Projection for InstanceFollowsProjection {
    fn name(&self) -> &'static str {
        crate::read_model::INSTANCE_FOLLOWS
    }

    fn tables(&self) -> &'static [&'static str] {
        &["instance_follows"]
    }

    fn concerns(&self, event: &StoredEvent) -> bool {
        event.aggregate_type == InstanceFollow::TYPE
    }

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        let on = Applying::of(event)?;
        let host = crate::domains::host_of_url(on.id).unwrap_or_default();
        sqlx::query(
            "INSERT INTO instance_follows (actor, host, follower, updated_at) VALUES ($1, $2, 0, $3) \
             ON CONFLICT (actor) DO NOTHING",
        )
        .bind(on.id)
        .bind(&host)
        .bind(&on.at)
        .execute(&mut *conn)
        .await?;
        // (following, following_inbox, follower, follower_inbox) after the change; `None`
        // leaves a pair as it was.
        type Side = Option<(Option<&'static str>, Option<String>)>;
        let (following, follower): (Side, Option<(bool, Option<String>)>) =
            match event.change::<InstanceFollowChange>()? {
                InstanceFollowChange::FollowRequested { inbox } => (
                    Some((Some(InstanceFollowState::Pending.as_str()), Some(inbox))),
                    None,
                ),
                InstanceFollowChange::FollowAccepted => {
                    sqlx::query("UPDATE instance_follows SET following = $1 WHERE actor = $2")
                        .bind(InstanceFollowState::Accepted.as_str())
                        .bind(on.id)
                        .execute(&mut *conn)
                        .await?;
                    (None, None)
                }
                InstanceFollowChange::FollowRejected | InstanceFollowChange::Unfollowed => {
                    (Some((None, None)), None)
                }
                InstanceFollowChange::FollowerAdded { inbox, .. } => {
                    (None, Some((true, Some(inbox))))
                }
                InstanceFollowChange::FollowerRemoved => (None, Some((false, None))),
            };
        if let Some((state, inbox)) = following {
            sqlx::query(
                "UPDATE instance_follows SET following = $1, following_inbox = $2 WHERE actor = $3",
            )
            .bind(state)
            .bind(inbox)
            .bind(on.id)
            .execute(&mut *conn)
            .await?;
        }
        if let Some((follows, inbox)) = follower {
            sqlx::query(
                "UPDATE instance_follows SET follower = $1, follower_inbox = $2 WHERE actor = $3",
            )
            .bind(flag(follows))
            .bind(inbox)
            .bind(on.id)
            .execute(&mut *conn)
            .await?;
        }
        sqlx::query("UPDATE instance_follows SET updated_at = $1 WHERE actor = $2")
            .bind(&on.at)
            .bind(on.id)
            .execute(&mut *conn)
            .await?;
        // Neither following nor followed: nothing left to show.
        sqlx::query(
            "DELETE FROM instance_follows WHERE actor = $1 AND following IS NULL AND follower = 0",
        )
        .bind(on.id)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

/// Another instance's actor as this instance relates to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstanceFollowView {
    /// The remote instance actor's id URL.
    pub actor: String,
    pub host: String,
    /// Whether this instance follows it: `pending` (asked) or `accepted`; absent when not.
    pub following: Option<String>,
    /// Whether it follows this instance.
    pub follower: bool,
    pub updated_at: String,
}

/// Every instance this one follows or is followed by, by host.
pub async fn all(pool: &AnyPool) -> Result<Vec<InstanceFollowView>, Error> {
    let rows = sqlx::query(
        "SELECT actor, host, following, follower, updated_at FROM instance_follows \
         ORDER BY host, actor",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(InstanceFollowView {
                actor: row.try_get("actor")?,
                host: row.try_get("host")?,
                following: row.try_get("following")?,
                follower: flag_of(row, "follower")?,
                updated_at: row.try_get("updated_at")?,
            })
        })
        .collect()
}

/// The actors of the instances following this one (`followers`), or of those it follows with
/// their acceptance (`following`).
pub async fn actors(pool: &AnyPool, followers: bool) -> Result<Vec<String>, Error> {
    let sql = if followers {
        "SELECT actor FROM instance_follows WHERE follower = 1 ORDER BY actor"
    } else {
        "SELECT actor FROM instance_follows WHERE following = 'accepted' ORDER BY actor"
    };
    Ok(sqlx::query_scalar(sql).fetch_all(pool).await?)
}
