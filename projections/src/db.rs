//! Connecting to the database named by `DATABASE_URL`, and running the migrations.
//!
//! Two pools share one database: a typed pool for the cqrs-es event repository (sqlite-es or
//! postgres-es need their own driver type), and an `Any` pool for everything Convene reads and
//! writes itself, so projections and log readers are written once for both databases.

use crate::chain;
use crate::error::Error;
use crate::sqlite_busy;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::AnyPool;
use sqlx::{Connection, Executor};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// The embedded default: one file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/convene.db";

/// How long to wait for a free connection or for a database to answer before giving up.
pub const DEFAULT_DATABASE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a URL names, by its scheme; a URL that names no database file or no
    /// database on the server is refused (PostgreSQL would pick the user's own database, SQLite
    /// a throwaway one).
    pub fn of_url(url: &str) -> Result<Self, Error> {
        let (scheme, rest) = url.split_once(':').unwrap_or_default();
        let backend = match scheme {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" => Backend::Postgres,
            _ => return Err(Error::UnknownScheme(redact(url))),
        };
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let named = match backend {
            Backend::Sqlite => !location.trim_start_matches("//").is_empty(),
            Backend::Postgres => {
                let after_host = location
                    .trim_start_matches("//")
                    .split_once('/')
                    .map_or("", |(_, path)| path);
                !after_host.is_empty() || query.split('&').any(|p| p.starts_with("dbname="))
            }
        };
        if !named {
            return Err(Error::NoDatabaseNamed {
                url: redact(url),
                example: match backend {
                    Backend::Sqlite => "sqlite://./data/convene.db",
                    Backend::Postgres => "postgres://USER@HOST/convene",
                },
            });
        }
        Ok(backend)
    }
}

/// What opening a database may do to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Create a missing SQLite file (and its folder) and bring the schema up to date.
    Create,
    /// Only read an existing log: nothing is created, and the schema must be up to date.
    Existing,
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
    /// Bumped after every local append, so in-process subscribers wake at once; on PostgreSQL
    /// also after other processes' appends (see [`Database::appended`]).
    appended: watch::Sender<u64>,
    /// Whether this process listens for other processes' appends yet.
    listening: std::sync::atomic::AtomicBool,
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
        Self::open_within(url, DEFAULT_DATABASE_TIMEOUT).await
    }

    /// [`Database::open`], giving up with [`Error::NoAnswer`] when the database takes longer
    /// than `timeout` to connect or to answer a statement on the way.
    pub async fn open_within(url: &str, timeout: Duration) -> Result<Self, Error> {
        let db = Self::connect_within(url, timeout, Mode::Create).await?;
        answered(url, timeout, db.migrate()).await??;
        Ok(db)
    }

    /// Opens the log at `url` for reading only: nothing is created or migrated. A missing
    /// SQLite file, or a database without Convene's schema, is [`Error::NoLog`]; a schema
    /// older than this build asks for `convene migrate`.
    pub async fn open_existing(url: &str, timeout: Duration) -> Result<Self, Error> {
        let db = Self::connect_within(url, timeout, Mode::Existing).await?;
        answered(url, timeout, db.check_schema()).await??;
        Ok(db)
    }

    /// Connects without migrating.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Self::connect_within(url, DEFAULT_DATABASE_TIMEOUT, Mode::Create).await
    }

    async fn connect_within(url: &str, timeout: Duration, mode: Mode) -> Result<Self, Error> {
        answered(url, timeout, Self::connect_in(url, timeout, mode)).await?
    }

    async fn connect_in(url: &str, timeout: Duration, mode: Mode) -> Result<Self, Error> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let unreachable = |error| match error {
            // The pool waited for a connection the database never gave.
            sqlx::Error::PoolTimedOut => Error::NoAnswer {
                url: redact(url),
                seconds: timeout.as_secs_f64(),
            },
            // SQLite gave up waiting for a file another connection keeps locked.
            sqlx::Error::Database(e)
                if backend == Backend::Sqlite && is_sqlite_busy(e.code().as_deref()) =>
            {
                Error::NoAnswer {
                    url: redact(url),
                    seconds: timeout.as_secs_f64(),
                }
            }
            error => Error::Unreachable {
                url: redact(url),
                error,
            },
        };
        let append = match backend {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(|_| Error::UnknownScheme(redact(url)))?
                    .create_if_missing(mode == Mode::Create)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL: an acknowledged append survives a power loss.
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(timeout);
                let file = options.get_filename();
                let in_memory = file.as_os_str().is_empty() || file.starts_with(":memory:");
                match mode {
                    Mode::Create => {
                        if let Some(folder) = file.parent() {
                            if !folder.as_os_str().is_empty() {
                                std::fs::create_dir_all(folder)?;
                            }
                        }
                    }
                    Mode::Existing if !in_memory && !file.is_file() => {
                        return Err(Error::NoLog(redact(url)));
                    }
                    Mode::Existing => {}
                }
                sqlite_busy::install();
                let wait_briefly = Arc::new(sqlite_busy::statement(timeout));
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(timeout)
                    .after_connect(move |conn, _| {
                        let wait_briefly = wait_briefly.clone();
                        Box::pin(async move {
                            let mut handle = conn.lock_handle().await?;
                            let code =
                                chain::register_sqlite_function(handle.as_raw_handle().as_ptr());
                            if code != 0 {
                                return Err(sqlx::Error::Protocol(format!(
                                    "cannot register convene_chain (SQLite code {code})"
                                )));
                            }
                            drop(handle);
                            conn.execute(wait_briefly.as_str()).await?;
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
                    .acquire_timeout(timeout)
                    .connect_with(options)
                    .await
                    .map_err(unreachable)?;
                AppendPool::Postgres(pool)
            }
        };
        // SQLite connections wait for the write lock as the appending ones do.
        let wait_briefly = (backend == Backend::Sqlite).then(|| sqlite_busy::statement(timeout));
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(timeout)
            .after_connect(move |conn, _| {
                let wait_briefly = wait_briefly.clone();
                Box::pin(async move {
                    if let Some(statement) = wait_briefly {
                        conn.execute(statement.as_str()).await?;
                    }
                    Ok(())
                })
            })
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
                listening: std::sync::atomic::AtomicBool::new(false),
                progress: Mutex::default(),
            }),
        })
    }

    /// Brings the schema up to date.
    pub async fn migrate(&self) -> Result<(), Error> {
        self.run(&migrator(self.inner.backend)).await
    }

    /// Brings the schema up to migration `version` only: where a test of a later migration
    /// starts, to write the rows that migration must mend.
    pub async fn migrate_until(&self, version: i64) -> Result<(), Error> {
        let mut migrator = migrator(self.inner.backend);
        migrator.migrations = migrator
            .iter()
            .filter(|m| m.version <= version)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        self.run(&migrator).await
    }

    async fn run(&self, migrator: &Migrator) -> Result<(), Error> {
        match &self.inner.append {
            AppendPool::Sqlite(pool) => migrator.run(pool).await?,
            AppendPool::Postgres(pool) => migrator.run(pool).await?,
        }
        Ok(())
    }

    /// Refuses a database without Convene's schema, or with an older one.
    async fn check_schema(&self) -> Result<(), Error> {
        let migrator = migrator(self.inner.backend);
        let applied: Vec<i64> =
            match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.inner.pool)
                .await
            {
                Ok(applied) => applied,
                // No migrations table: not a Convene database, or an empty one.
                Err(sqlx::Error::Database(_)) => Vec::new(),
                Err(other) => return Err(other.into()),
            };
        if applied.is_empty() {
            return Err(Error::NoLog(self.display_url()));
        }
        if migrator.iter().any(|m| !applied.contains(&m.version)) {
            return Err(Error::SchemaBehind(self.display_url()));
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

    /// The signal that the log grew. On PostgreSQL the first call also starts this process's
    /// one listener for `NOTIFY convene_log` (sent at commit by every process appending), on a
    /// connection of its own: every subscriber of the process wakes on it, and none holds a
    /// connection of the pools while it waits.
    pub(crate) fn appended(&self) -> watch::Receiver<u64> {
        let receiver = self.inner.appended.subscribe();
        if self.inner.backend == Backend::Postgres
            && !self
                .inner
                .listening
                .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            let inner = Arc::downgrade(&self.inner);
            let url = self.inner.url.clone();
            tokio::spawn(listen_for_appends(url, inner));
        }
        receiver
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

/// SQLITE_BUSY, or one of its extended codes (which keep it in their low byte).
fn is_sqlite_busy(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|c| c & 0xff == 5)
}

/// What `step` gives, or [`Error::NoAnswer`] naming `url` once `timeout` has passed.
async fn answered<T>(
    url: &str,
    timeout: Duration,
    step: impl std::future::Future<Output = T>,
) -> Result<T, Error> {
    tokio::time::timeout(timeout, step)
        .await
        .map_err(|_| Error::NoAnswer {
            url: redact(url),
            seconds: timeout.as_secs_f64(),
        })
}

/// Convene's migrations for `backend`, embedded when this crate compiles.
fn migrator(backend: Backend) -> Migrator {
    match backend {
        Backend::Sqlite => sqlx::migrate!("../migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("../migrations/postgres"),
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

/// Bumps `inner`'s append signal on every `NOTIFY convene_log`, until the database is dropped.
/// A lost connection is made again after a pause; meanwhile subscribers still poll.
async fn listen_for_appends(url: String, inner: std::sync::Weak<Inner>) {
    const PAUSE: Duration = Duration::from_secs(1);
    while inner.strong_count() > 0 {
        let mut listener = match sqlx::postgres::PgListener::connect(&url).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for other processes' appends; retrying");
                tokio::time::sleep(PAUSE).await;
                continue;
            }
        };
        if let Err(error) = listener.listen("convene_log").await {
            tracing::warn!(%error, "cannot listen for other processes' appends; retrying");
            tokio::time::sleep(PAUSE).await;
            continue;
        }
        loop {
            // Wakes at least every pause, so a dropped database ends the task.
            match tokio::time::timeout(PAUSE, listener.try_recv()).await {
                Ok(Ok(Some(_))) => match inner.upgrade() {
                    Some(inner) => inner.appended.send_modify(|n| *n = n.wrapping_add(1)),
                    None => return,
                },
                // The connection was lost: listen again.
                Ok(Ok(None)) | Ok(Err(_)) => break,
                Err(_) if inner.strong_count() == 0 => return,
                Err(_) => {}
            }
        }
    }
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
    fn a_url_must_name_its_database() {
        for named in [
            "sqlite://./data/x.db",
            "sqlite:x.db",
            "sqlite::memory:",
            "postgres://u@h/db",
            "postgres://u@h:5432/db?sslmode=disable",
            "postgres://u@h?dbname=db",
        ] {
            assert!(Backend::of_url(named).is_ok(), "{named}");
        }
        for unnamed in [
            "sqlite:",
            "sqlite://",
            "sqlite://?mode=rwc",
            "postgres://",
            "postgres://u:secret@h",
            "postgresql://u@h:5432/",
            "postgres://u@h?sslmode=disable",
        ] {
            let error = Backend::of_url(unnamed).err().map(|e| e.to_string());
            let error = error.unwrap_or_default();
            assert!(error.contains("names no database"), "{unnamed}: {error}");
            assert!(!error.contains("secret"), "{error}");
        }
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
