//! The `accounts` and `sessions` read models: what login, authentication and the account's own
//! settings read. Only the account itself ever sees any of it.

use crate::error::Error;
use crate::log::StoredEvent;
use crate::projection::{Applying, Projection};
use crate::tables::{flag, flag_of, known};
use async_trait::async_trait;
use convene_domain::account::{Account, AccountChange, Role};
use convene_domain::metadata::format_timestamp;
use convene_domain::moderation::AccountAction;
use cqrs_es::Aggregate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

pub struct AccountsProjection;

#[async_trait]
impl Projection for AccountsProjection {
    fn name(&self) -> &'static str {
        crate::read_model::ACCOUNTS
    }

    fn tables(&self) -> &'static [&'static str] {
        &["accounts", "sessions"]
    }

    fn concerns(&self, event: &StoredEvent) -> bool {
        event.aggregate_type == Account::TYPE
    }

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        let on = Applying::of(event)?;
        let id = on.id;
        match event.change::<AccountChange>()? {
            AccountChange::Registered {
                email,
                password_hash: hash,
                locale,
                role,
                confirmation,
                application,
            } => {
                let account = Registered {
                    email: &email,
                    password_hash: &hash,
                    role,
                    locale: &locale,
                    confirmation,
                    application,
                };
                registered(conn, &on, account).await
            }
            AccountChange::EmailConfirmed => set(conn, id, "confirmation", None).await,
            AccountChange::RegistrationApproved { .. } => {
                sqlx::query("UPDATE accounts SET awaiting_approval = 0 WHERE id = $1")
                    .bind(id)
                    .execute(conn)
                    .await?;
                Ok(())
            }
            // Like an account never made: the address may register again (the log keeps it).
            AccountChange::RegistrationRejected { .. } => {
                close_sessions(conn, id).await?;
                sqlx::query("DELETE FROM accounts WHERE id = $1")
                    .bind(id)
                    .execute(conn)
                    .await?;
                Ok(())
            }
            AccountChange::SessionOpened { session } => session_opened(conn, &on, &session).await,
            AccountChange::SessionClosed { session } => session_closed(conn, &session).await,
            AccountChange::PasswordChanged {
                password_hash,
                kept_session,
            } => password_changed(conn, id, &password_hash, kept_session).await,
            AccountChange::PasswordResetRequested { token, expires_at } => {
                password_reset_requested(conn, id, &token, expires_at).await
            }
            AccountChange::PasswordReset { password_hash } => {
                password_reset(conn, id, &password_hash).await
            }
            AccountChange::RoleChanged { role } => set(conn, id, "role", Some(role.as_str())).await,
            AccountChange::Disabled => disabled(conn, id).await,
            AccountChange::Moderated {
                action: AccountAction::LockOut,
                ..
            } => {
                sqlx::query(
                    "UPDATE accounts SET reset_token = NULL, reset_expires_at = NULL, \
                     pending_email = NULL, pending_confirmation = NULL WHERE id = $1",
                )
                .bind(id)
                .execute(&mut *conn)
                .await?;
                close_sessions(conn, id).await
            }
            AccountChange::Moderated { action, .. } => {
                let sql = match action {
                    AccountAction::Suspend => "UPDATE accounts SET suspended = 1 WHERE id = $1",
                    AccountAction::Unsuspend => "UPDATE accounts SET suspended = 0 WHERE id = $1",
                    AccountAction::Limit => "UPDATE accounts SET limited = 1 WHERE id = $1",
                    AccountAction::Unlimit => "UPDATE accounts SET limited = 0 WHERE id = $1",
                    // Each warning is a strike.
                    AccountAction::Warn => {
                        "UPDATE accounts SET strikes = strikes + 1 WHERE id = $1"
                    }
                    AccountAction::LockOut => return Ok(()),
                };
                sqlx::query(sql).bind(id).execute(conn).await?;
                Ok(())
            }
            AccountChange::ProfileAdded { .. } => Ok(()),
            AccountChange::FeedTokenRotated { token } => {
                set(conn, id, "feed_token", Some(&token)).await
            }
            AccountChange::FeedTokenRevoked => set(conn, id, "feed_token", None).await,
            AccountChange::EmailChangeRequested {
                email,
                confirmation,
            } => email_change_requested(conn, id, &email, &confirmation).await,
            AccountChange::EmailChanged { email, .. } => email_changed(conn, id, &email).await,
            AccountChange::LocaleChanged { locale } => set(conn, id, "locale", Some(&locale)).await,
            AccountChange::DefaultProfileChosen { username } => {
                set(conn, id, "default_profile", Some(&username)).await
            }
            // The revert's own changes follow it; the record itself changes no table.
            AccountChange::Reverted { .. } => Ok(()),
        }
    }
}

struct Registered<'a> {
    email: &'a str,
    password_hash: &'a str,
    role: Role,
    locale: &'a str,
    confirmation: Option<String>,
    application: Option<String>,
}

async fn registered(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    account: Registered<'_>,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO accounts (id, email, password_hash, role, locale, confirmation, \
         disabled, created_at, awaiting_approval, application) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(on.id)
    .bind(account.email)
    .bind(account.password_hash)
    .bind(account.role.as_str())
    .bind(account.locale)
    .bind(account.confirmation)
    .bind(flag(false))
    .bind(&on.at)
    .bind(flag(account.application.is_some()))
    .bind(account.application)
    .execute(conn)
    .await?;
    Ok(())
}

async fn session_opened(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    session: &str,
) -> Result<(), Error> {
    sqlx::query("INSERT INTO sessions (token_hash, account_id, created_at) VALUES ($1, $2, $3)")
        .bind(session)
        .bind(on.id)
        .bind(&on.at)
        .execute(conn)
        .await?;
    Ok(())
}

async fn session_closed(conn: &mut AnyConnection, session: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(session)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every other session ends; the one the change was made from may stay open.
async fn password_changed(
    conn: &mut AnyConnection,
    id: &str,
    password_hash: &str,
    kept_session: Option<String>,
) -> Result<(), Error> {
    sqlx::query(
        "UPDATE accounts SET password_hash = $1, reset_token = NULL, \
         reset_expires_at = NULL WHERE id = $2",
    )
    .bind(password_hash)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
        .bind(id)
        .bind(kept_session.unwrap_or_default())
        .execute(conn)
        .await?;
    Ok(())
}

async fn password_reset_requested(
    conn: &mut AnyConnection,
    id: &str,
    token: &str,
    expires_at: OffsetDateTime,
) -> Result<(), Error> {
    sqlx::query("UPDATE accounts SET reset_token = $1, reset_expires_at = $2 WHERE id = $3")
        .bind(token)
        .bind(format_timestamp(expires_at))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A reset ends every session: whoever knew the old password is out.
async fn password_reset(
    conn: &mut AnyConnection,
    id: &str,
    password_hash: &str,
) -> Result<(), Error> {
    sqlx::query(
        "UPDATE accounts SET password_hash = $1, reset_token = NULL, \
         reset_expires_at = NULL WHERE id = $2",
    )
    .bind(password_hash)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    close_sessions(conn, id).await
}

async fn disabled(conn: &mut AnyConnection, id: &str) -> Result<(), Error> {
    sqlx::query("UPDATE accounts SET disabled = $1 WHERE id = $2")
        .bind(flag(true))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    close_sessions(conn, id).await
}

async fn email_change_requested(
    conn: &mut AnyConnection,
    id: &str,
    email: &str,
    confirmation: &str,
) -> Result<(), Error> {
    sqlx::query("UPDATE accounts SET pending_email = $1, pending_confirmation = $2 WHERE id = $3")
        .bind(email)
        .bind(confirmation)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

async fn email_changed(conn: &mut AnyConnection, id: &str, email: &str) -> Result<(), Error> {
    sqlx::query(
        "UPDATE accounts SET email = $1, pending_email = NULL, \
         pending_confirmation = NULL WHERE id = $2",
    )
    .bind(email)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets one column of account `id` (None writes NULL). `column` comes from this file, never
/// from input.
async fn set(
    conn: &mut AnyConnection,
    id: &str,
    column: &'static str,
    value: Option<&str>,
) -> Result<(), Error> {
    sqlx::query(&format!("UPDATE accounts SET {column} = $1 WHERE id = $2"))
        .bind(value)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

async fn close_sessions(conn: &mut AnyConnection, account: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account)
        .execute(conn)
        .await?;
    Ok(())
}

/// An account as login and its own settings read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub locale: String,
    pub confirmed: bool,
    pub disabled: bool,
    /// Suspended by the instance's moderators: no session opens or works.
    pub suspended: bool,
    /// Warnings received from the instance's moderators.
    pub strikes: i64,
    pub default_profile: Option<String>,
    /// Whether a private feed link exists (its secret is only ever stored hashed).
    pub has_feed: bool,
    pub created_at: String,
    /// Registered under approval and not approved yet.
    pub awaiting_approval: bool,
    /// Why the person asked to join, under approval.
    pub application: Option<String>,
}

fn account(row: &AnyRow) -> Result<AccountRow, Error> {
    let confirmation: Option<String> = row.try_get("confirmation")?;
    Ok(AccountRow {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        role: known(row, "accounts", "role", Role::parse)?,
        locale: row.try_get("locale")?,
        confirmed: confirmation.is_none(),
        disabled: flag_of(row, "disabled")?,
        suspended: flag_of(row, "suspended")?,
        strikes: row.try_get("strikes")?,
        default_profile: row.try_get("default_profile")?,
        has_feed: row.try_get::<Option<String>, _>("feed_token")?.is_some(),
        created_at: row.try_get("created_at")?,
        awaiting_approval: flag_of(row, "awaiting_approval")?,
        application: row.try_get("application")?,
    })
}

const COLUMNS: &str = "id, email, password_hash, role, locale, confirmation, disabled, \
     suspended, strikes, default_profile, feed_token, created_at, awaiting_approval, application";

/// Registrations waiting for a moderator's approval, oldest first.
pub async fn awaiting_approval(pool: &AnyPool) -> Result<Vec<AccountRow>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM accounts WHERE awaiting_approval = 1 ORDER BY created_at, id"
    ))
    .fetch_all(pool)
    .await?;
    rows.iter().map(account).collect()
}

/// Accounts per page of the administrators' list.
pub const LIST_PAGE: i64 = 50;

/// A page (from 1) of accounts, newest first, whose address, or one of whose profiles' username
/// or display name, contains `words` (any letter case; every account when blank).
pub async fn search(pool: &AnyPool, words: &str, page: i64) -> Result<Vec<AccountRow>, Error> {
    let escaped = words
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM accounts WHERE LOWER(email) LIKE $1 ESCAPE '\\' \
         OR id IN (SELECT account_id FROM profiles WHERE LOWER(username) LIKE $1 ESCAPE '\\' \
         OR LOWER(display_name) LIKE $1 ESCAPE '\\') \
         ORDER BY created_at DESC, id LIMIT $2 OFFSET $3"
    ))
    .bind(pattern)
    .bind(LIST_PAGE + 1)
    .bind((page.max(1) - 1) * LIST_PAGE)
    .fetch_all(pool)
    .await?;
    rows.iter().map(account).collect()
}

/// The ids of the instance's moderators and administrators.
pub async fn staff(pool: &AnyPool) -> Result<Vec<String>, Error> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM accounts WHERE role IN ('moderator', 'administrator') AND disabled = 0",
    )
    .fetch_all(pool)
    .await?)
}

async fn one_by(pool: &AnyPool, column: &str, value: &str) -> Result<Option<AccountRow>, Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM accounts WHERE {column} = $1"
    ))
    .bind(value)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(account).transpose()
}

pub async fn by_id(pool: &AnyPool, id: &str) -> Result<Option<AccountRow>, Error> {
    one_by(pool, "id", id).await
}

pub async fn by_email(pool: &AnyPool, email: &str) -> Result<Option<AccountRow>, Error> {
    one_by(pool, "email", email).await
}

/// The account whose confirmation token hashes to `hash`.
pub async fn by_confirmation(pool: &AnyPool, hash: &str) -> Result<Option<AccountRow>, Error> {
    one_by(pool, "confirmation", hash).await
}

/// The account whose password reset token hashes to `hash`.
pub async fn by_reset_token(pool: &AnyPool, hash: &str) -> Result<Option<AccountRow>, Error> {
    one_by(pool, "reset_token", hash).await
}

/// The account whose pending new address is confirmed by a token hashing to `hash`, with that
/// address.
pub async fn by_email_change(
    pool: &AnyPool,
    hash: &str,
) -> Result<Option<(AccountRow, String)>, Error> {
    let Some(account) = one_by(pool, "pending_confirmation", hash).await? else {
        return Ok(None);
    };
    let email: Option<String> =
        sqlx::query_scalar("SELECT pending_email FROM accounts WHERE id = $1")
            .bind(&account.id)
            .fetch_one(pool)
            .await?;
    Ok(email.map(|email| (account, email)))
}

/// The new address an account is moving to, if any.
pub async fn pending_email(pool: &AnyPool, id: &str) -> Result<Option<String>, Error> {
    let email: Option<Option<String>> =
        sqlx::query_scalar("SELECT pending_email FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(email.flatten())
}

/// The account whose private feed secret hashes to `hash`.
pub async fn by_feed_token(pool: &AnyPool, hash: &str) -> Result<Option<AccountRow>, Error> {
    one_by(pool, "feed_token", hash).await
}

/// The account behind a session token hash.
pub async fn by_session(pool: &AnyPool, hash: &str) -> Result<Option<AccountRow>, Error> {
    let row = sqlx::query(&format!(
        "SELECT {} FROM accounts a JOIN sessions s ON s.account_id = a.id WHERE s.token_hash = $1",
        COLUMNS
            .split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .bind(hash)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(account).transpose()
}
