//! The `profiles` read model: one row per profile, for public lookups.

use crate::error::Error;
use crate::log::StoredEvent;
use crate::projection::Projection;
use async_trait::async_trait;
use convene_domain::metadata::format_timestamp;
use convene_domain::{Profile, ProfileChange};
use cqrs_es::Aggregate;
use serde::Serialize;
use sqlx::Row;
use sqlx::{AnyConnection, AnyPool};

pub struct ProfilesProjection;

#[async_trait]
impl Projection for ProfilesProjection {
    fn name(&self) -> &'static str {
        "profiles"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["profiles"]
    }

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        if event.aggregate_type != Profile::TYPE {
            return Ok(());
        }
        let at = format_timestamp(event.metadata()?.recorded_at);
        match event.change::<ProfileChange>()? {
            ProfileChange::Created {
                username,
                display_name,
            } => {
                sqlx::query(
                    "INSERT INTO profiles (username, display_name, created_at, updated_at) \
                     VALUES ($1, $2, $3, $3)",
                )
                .bind(username)
                .bind(display_name)
                .bind(at)
                .execute(conn)
                .await?;
            }
            ProfileChange::Renamed { display_name } => {
                sqlx::query(
                    "UPDATE profiles SET display_name = $1, updated_at = $2 WHERE username = $3",
                )
                .bind(display_name)
                .bind(at)
                .bind(&event.aggregate_id)
                .execute(conn)
                .await?;
            }
        }
        Ok(())
    }
}

/// A profile as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileView {
    pub username: String,
    pub display_name: String,
    pub created_at: String,
    pub updated_at: String,
}

/// The profile `@username`, if it exists.
pub async fn find(pool: &AnyPool, username: &str) -> Result<Option<ProfileView>, Error> {
    let row = sqlx::query(
        "SELECT username, display_name, created_at, updated_at FROM profiles WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(ProfileView {
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    }))
}
