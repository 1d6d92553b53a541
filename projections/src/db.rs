//! Connecting to the database named by `DATABASE_URL`, and running the migrations.
//!
//! Two pools share one database: a typed pool for the cqrs-es event repository (sqlite-es or
//! postgres-es need their own driver type), and an `Any` pool for everything Convene reads and
//! writes itself, so projections and log readers are written once for both databases.

use crate::chain;
use crate::error::Error;
use sqlx::any::AnyPoolOptions;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::AnyPool;
use sqlx::Connection;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// The embedded default: one file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/convene.db";

/// How long to wait for a free connection or for a database to answer before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a URL names, from its scheme alone.
    pub fn of_url(url: &str) -> Result<Self, Error> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(Error::UnknownScheme(redact(url))),
        }
    }
}

/// The typed pool the cqrs-es event repository appends through.
#[derive(Clone, Debug)]
pub enum AppendPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A connected, migrated database: the event log and the read models.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backend,
    url: String,
    pool: AnyPool,
    append: AppendPool,
    /// Bumped after every local append, so in-process subscribers wake at once.
    appended: watch::Sender<u64>,
    /// Each subscriber's checkpoint as last seen in this process, so a command waiting for a
    /// read model wakes when the batch holding its change commits.
    progress: Mutex<HashMap<String, Arc<watch::Sender<i64>>>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("url", &redact(&self.inner.url))
            .finish()
    }
}

impl Database {
    /// Connects to `url` (creating a SQLite file and its folder if missing) and runs the
    /// migrations.
    pub async fn open(url: &str) -> Result<Self, Error> {
        let db = Self::connect(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Connects without migrating.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let unreachable = |error| Error::Unreachable {
            url: redact(url),
            error,
        };
        let append = match backend {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(|_| Error::UnknownScheme(redact(url)))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL: an acknowledged append survives a power loss.
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(CONNECT_TIMEOUT);
                if let Some(folder) = options.get_filename().parent() {
                    if !folder.as_os_str().is_empty() {
                        std::fs::create_dir_all(folder)?;
                    }
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            let mut handle = conn.lock_handle().await?;
                            let code =
                                chain::register_sqlite_function(handle.as_raw_handle().as_ptr());
                            if code != 0 {
                                return Err(sqlx::Error::Protocol(format!(
                                    "cannot register convene_chain (SQLite code {code})"
                                )));
                            }
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
                    .map_err(unreachable)?;
                AppendPool::Sqlite(pool)
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url)
                    .map_err(|_| Error::UnknownScheme(redact(url)))?;
                // One direct attempt first: a pool would retry until its timeout and then report
                // only that it timed out, not why.
                PgConnection::connect_with(&options)
                    .await
                    .map_err(unreachable)?
                    .close()
                    .await?;
                let pool = PgPoolOptions::new()
                    .max_connections(10)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(unreachable)?;
                AppendPool::Postgres(pool)
            }
        };
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect(url)
            .await
            .map_err(unreachable)?;
        let (appended, _) = watch::channel(0);
        Ok(Self {
            inner: Arc::new(Inner {
                backend,
                url: url.to_string(),
                pool,
                append,
                appended,
                progress: Mutex::default(),
            }),
        })
    }

    /// Brings the schema up to date.
    pub async fn migrate(&self) -> Result<(), Error> {
        match &self.inner.append {
            AppendPool::Sqlite(pool) => sqlx::migrate!("../migrations/sqlite").run(pool).await?,
            AppendPool::Postgres(pool) => {
                sqlx::migrate!("../migrations/postgres").run(pool).await?
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The URL with any password hidden, fit for logs and messages.
    pub fn display_url(&self) -> String {
        redact(&self.inner.url)
    }

    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The pool for everything but appends.
    pub fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    pub fn append_pool(&self) -> &AppendPool {
        &self.inner.append
    }

    /// Tells in-process subscribers that the log grew.
    pub(crate) fn notify_appended(&self) {
        self.inner.appended.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(crate) fn appended(&self) -> watch::Receiver<u64> {
        self.inner.appended.subscribe()
    }

    /// The in-process channel on which subscriber `name`'s checkpoint is published.
    pub fn progress(&self, name: &str) -> Arc<watch::Sender<i64>> {
        let mut progress = self
            .inner
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        progress
            .entry(name.to_string())
            .or_insert_with(|| Arc::new(watch::channel(0).0))
            .clone()
    }

    /// Closes every connection (waiting for those in use).
    pub async fn close(&self) {
        self.inner.pool.close().await;
        match &self.inner.append {
            AppendPool::Sqlite(pool) => pool.close().await,
            AppendPool::Postgres(pool) => pool.close().await,
        }
    }
}

/// `url` with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
    let Some((userinfo, host)) = url[start..end].rsplit_once('@') else {
        return url.to_string();
    };
    let Some((user, _password)) = userinfo.split_once(':') else {
        return url.to_string();
    };
    format!("{}{user}:***@{host}{}", &url[..start], &url[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_chooses_the_backend() {
        assert_eq!(
            Backend::of_url("sqlite://./data/x.db").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::of_url("sqlite::memory:").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::of_url("postgres://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::of_url("postgresql://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        let error = Backend::of_url("mysql://u:secret@h/db")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("`mysql://u:***@h/db` is not a database URL Convene knows: use sqlite://PATH or postgres://USER@HOST/DATABASE")
        );
    }

    #[test]
    fn passwords_are_hidden_in_displayed_urls() {
        assert_eq!(
            redact("postgres://me:pw@db:5432/c"),
            "postgres://me:***@db:5432/c"
        );
        assert_eq!(redact("postgres://me@db/c"), "postgres://me@db/c");
        assert_eq!(redact("sqlite://./data/c.db"), "sqlite://./data/c.db");
    }
}
