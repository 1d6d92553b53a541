//! The `profiles` read model: one row per profile. The owning account is kept for ownership
//! checks but is never part of [`ProfileView`], the only shape a profile leaves in.

use crate::error::Error;
use crate::log::StoredEvent;
use crate::projection::{Applying, Projection};
use crate::tables::{flag, flag_of};
use async_trait::async_trait;
use convene_domain::moderation::AccountAction;
use convene_domain::picture::ShownPicture;
use convene_domain::{Account, AccountChange, Profile, ProfileChange};
use cqrs_es::Aggregate;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

pub struct ProfilesProjection;

#[async_trait]
impl Projection for ProfilesProjection {
    fn name(&self) -> &'static str {
        crate::read_model::PROFILES
    }

    fn tables(&self) -> &'static [&'static str] {
        &["profiles", "account_limits"]
    }

    fn concerns(&self, event: &StoredEvent) -> bool {
        [Account::TYPE, Profile::TYPE].contains(&event.aggregate_type.as_str())
    }

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        if event.aggregate_type == Account::TYPE {
            return account_moderated(conn, event).await;
        }
        let on = Applying::of(event)?;
        match event.change::<ProfileChange>()? {
            ProfileChange::Created {
                username,
                display_name,
                account,
            } => created(conn, &on, &username, &display_name, account).await,
            ProfileChange::Renamed { display_name } => {
                set(conn, &on, "display_name", &display_name).await
            }
            ProfileChange::SummaryChanged { summary } => set(conn, &on, "summary", &summary).await,
            ProfileChange::AvatarSet { picture } => avatar(conn, &on, Some(&picture)).await,
            ProfileChange::AvatarRemoved => avatar(conn, &on, None).await,
            // Follows have a read model of their own (`follows`).
            ProfileChange::FollowerAdded { .. }
            | ProfileChange::FollowerRemoved { .. }
            | ProfileChange::FollowRequested { .. }
            | ProfileChange::FollowAccepted { .. }
            | ProfileChange::FollowRejected { .. }
            | ProfileChange::Unfollowed { .. }
            | ProfileChange::GroupJoinRequested { .. }
            | ProfileChange::GroupJoinAccepted { .. }
            | ProfileChange::GroupInvitationReceived { .. }
            | ProfileChange::GroupInvitationAccepted { .. }
            | ProfileChange::GroupInvitationDeclined { .. }
            | ProfileChange::GroupDiscussionCommented { .. }
            | ProfileChange::GroupResourceAdded { .. }
            | ProfileChange::GroupResourceChanged { .. }
            | ProfileChange::GroupResourceDeleted { .. }
            | ProfileChange::GroupCommentReceived { .. }
            | ProfileChange::GroupCommentsRemoved { .. }
            | ProfileChange::GroupTodoReceived { .. }
            | ProfileChange::GroupTodosRemoved { .. }
            | ProfileChange::GroupTodoAdded { .. }
            | ProfileChange::GroupTodoChanged { .. }
            | ProfileChange::GroupRoleGiven { .. }
            | ProfileChange::GroupJoinRejected { .. }
            | ProfileChange::GroupLeft { .. } => Ok(()),
            ProfileChange::Moderated { action, .. } => {
                let sql = if action.on_suspension() {
                    "UPDATE profiles SET suspended = $1 WHERE username = $2"
                } else {
                    "UPDATE profiles SET limited = $1 WHERE username = $2"
                };
                sqlx::query(sql)
                    .bind(flag(action.imposes()))
                    .bind(on.id)
                    .execute(conn)
                    .await?;
                Ok(())
            }
        }
    }
}

/// A suspended account's profiles are suspended with it, and come back with it; a limited
/// account's profiles are limited with it, those it creates later included.
async fn account_moderated(conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
    if !matches!(
        event.event_type.as_str(),
        "AccountSuspended" | "AccountUnsuspended" | "AccountLimited" | "AccountUnlimited"
    ) {
        return Ok(());
    }
    let AccountChange::Moderated { action, .. } = event.change::<AccountChange>()? else {
        return Ok(());
    };
    let sql = match action {
        AccountAction::Suspend | AccountAction::Unsuspend => {
            sqlx::query("UPDATE profiles SET account_suspended = $1 WHERE account_id = $2")
                .bind(flag(action == AccountAction::Suspend))
                .bind(&event.aggregate_id)
                .execute(conn)
                .await?;
            return Ok(());
        }
        AccountAction::Limit => "INSERT INTO account_limits (account_id) VALUES ($1)",
        AccountAction::Unlimit => "DELETE FROM account_limits WHERE account_id = $1",
        AccountAction::Warn | AccountAction::LockOut => return Ok(()),
    };
    sqlx::query(sql)
        .bind(&event.aggregate_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// SQL counting (0 or 1, an integer on every database) whether the profile named by `column` (a
/// username column of the query) is suspended, by its own decision or its account's: what
/// hides a profile's public content.
pub fn suspended_sql(column: &str) -> String {
    format!(
        "(SELECT COUNT(*) FROM profiles sp WHERE sp.username = {column} \
         AND (sp.suspended = 1 OR sp.account_suspended = 1))"
    )
}

/// SQL counting (0 or 1) whether the profile named by `column` is limited by the instance's
/// moderators, by its own decision or its account's: its events stay out of public listings.
pub fn limited_sql(column: &str) -> String {
    format!(
        "(SELECT COUNT(*) FROM profiles lp WHERE lp.username = {column} AND (lp.limited = 1 \
         OR lp.account_id IN (SELECT account_id FROM account_limits)))"
    )
}

async fn created(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    username: &str,
    display_name: &str,
    account: Option<String>,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO profiles (username, display_name, summary, account_id, created_at, updated_at) \
         VALUES ($1, $2, '', $3, $4, $4)",
    )
    .bind(username)
    .bind(display_name)
    .bind(account)
    .bind(&on.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets one column of the profile (and when it was updated). `column` comes from this file,
/// never from input.
async fn set(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    column: &'static str,
    value: &str,
) -> Result<(), Error> {
    sqlx::query(&format!(
        "UPDATE profiles SET {column} = $1, updated_at = $2 WHERE username = $3"
    ))
    .bind(value)
    .bind(&on.at)
    .bind(on.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The avatar the profile shows, as JSON (or none).
async fn avatar(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    picture: Option<&ShownPicture>,
) -> Result<(), Error> {
    let json = crate::pictures::shown_json(on, picture)?;
    sqlx::query("UPDATE profiles SET avatar = $1, updated_at = $2 WHERE username = $3")
        .bind(json)
        .bind(&on.at)
        .bind(on.id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A profile as anyone may see it. Never carries its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileView {
    pub username: String,
    pub display_name: String,
    pub summary: String,
    /// The avatar the profile shows, if any.
    pub avatar: Option<ShownPicture>,
    pub created_at: String,
    pub updated_at: String,
    /// Suspended by the instance's moderators (itself or its account).
    pub suspended: bool,
    /// Its account registered and waits for the moderators' approval, or was refused it: shown
    /// to nobody, so that a spam wave's profiles never reach a public page.
    #[serde(skip)]
    pub awaiting_approval: bool,
}

const COLUMNS: &str = "username, display_name, summary, avatar, created_at, updated_at, \
     suspended + account_suspended AS is_suspended, \
     CASE WHEN account_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts a \
      WHERE a.id = profiles.account_id AND a.awaiting_approval = 0) THEN 1 ELSE 0 END \
      AS is_awaiting";

fn view(row: &AnyRow) -> Result<ProfileView, Error> {
    Ok(ProfileView {
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        summary: row.try_get("summary")?,
        avatar: crate::events::picture_of(row, "avatar")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        suspended: flag_of(row, "is_suspended")?,
        awaiting_approval: flag_of(row, "is_awaiting")?,
    })
}

/// The profile `@username`, if it exists.
pub async fn find(pool: &AnyPool, username: &str) -> Result<Option<ProfileView>, Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM profiles WHERE username = $1"
    ))
    .bind(username)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(view).transpose()
}

/// The profile `@username` as anyone may see it: none while its account awaits approval.
pub async fn find_public(pool: &AnyPool, username: &str) -> Result<Option<ProfileView>, Error> {
    Ok(find(pool, username)
        .await?
        .filter(|profile| !profile.awaiting_approval))
}

/// The display names of the profiles among `usernames` (unknown ones are left out).
pub async fn display_names(
    pool: &AnyPool,
    usernames: &[&str],
) -> Result<std::collections::HashMap<String, String>, Error> {
    let mut names = std::collections::HashMap::new();
    // Both databases take far more binds than this in one statement.
    for chunk in usernames.chunks(500) {
        let binds: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT username, display_name FROM profiles WHERE username IN ({})",
            binds.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for username in chunk {
            query = query.bind(*username);
        }
        for row in query.fetch_all(pool).await? {
            names.insert(row.try_get("username")?, row.try_get("display_name")?);
        }
    }
    Ok(names)
}

/// The profiles an account owns, oldest first (for that account's eyes only).
pub async fn owned_by(pool: &AnyPool, account: &str) -> Result<Vec<ProfileView>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM profiles WHERE account_id = $1 ORDER BY created_at, username"
    ))
    .bind(account)
    .fetch_all(pool)
    .await?;
    rows.iter().map(view).collect()
}

/// The account owning `@username` (none for unknown or instance-run profiles).
pub async fn owner(pool: &AnyPool, username: &str) -> Result<Option<String>, Error> {
    let owner: Option<Option<String>> =
        sqlx::query_scalar("SELECT account_id FROM profiles WHERE username = $1")
            .bind(username)
            .fetch_optional(pool)
            .await?;
    Ok(owner.flatten())
}

/// The avatars of the profiles among `usernames` that show one.
pub async fn avatars(
    pool: &AnyPool,
    usernames: &[&str],
) -> Result<std::collections::HashMap<String, ShownPicture>, Error> {
    let mut found = std::collections::HashMap::new();
    for chunk in usernames.chunks(500) {
        let binds: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT username, avatar FROM profiles WHERE avatar IS NOT NULL AND username IN ({})",
            binds.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for username in chunk {
            query = query.bind(*username);
        }
        for row in query.fetch_all(pool).await? {
            if let Some(avatar) = crate::events::picture_of(&row, "avatar")? {
                found.insert(row.try_get("username")?, avatar);
            }
        }
    }
    Ok(found)
}
