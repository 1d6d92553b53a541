//! Scratch databases: a fresh SQLite file in a temporary folder, or a fresh database on a
//! PostgreSQL server, removed again when dropped. Tests run on every backend available
//! ([`test_databases`]); `convene bench` measures on one.

use crate::db::Database;
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Executor};
use std::io::Write;
use tempfile::TempDir;

/// The variable that points tests at a PostgreSQL server.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// The variable naming a tablespace of that server to make scratch databases in (CI puts one
/// in memory: a database's hundreds of files are then made and removed without the disk).
pub const TEST_DATABASE_TABLESPACE: &str = "TEST_DATABASE_TABLESPACE";

/// A fresh, empty database URL; the database is dropped (or the file removed) with it.
pub struct Scratch {
    pub label: &'static str,
    pub url: String,
    _folder: Option<TempDir>,
    postgres: Option<(String, String)>,
}

/// Fresh database URLs for every backend available: SQLite, and PostgreSQL when
/// `TEST_DATABASE_URL` is set. Says loudly when PostgreSQL is skipped.
pub async fn test_urls(test: &str) -> Vec<Scratch> {
    let mut urls = vec![Scratch::sqlite().expect("a temporary folder")];
    match std::env::var(TEST_DATABASE_URL)
        .ok()
        .filter(|url| !url.is_empty())
    {
        Some(server) => urls.push(
            Scratch::postgres(&server)
                .await
                .unwrap_or_else(|e| panic!("{TEST_DATABASE_URL}={server}: {e}")),
        ),
        // Written to stderr directly: the test harness captures eprintln!, and a skip must show.
        None => {
            let _ = writeln!(
                std::io::stderr(),
                "*** {test}: SKIPPED on PostgreSQL: {TEST_DATABASE_URL} is not set \
                 (e.g. postgres://postgres@127.0.0.1:5432/test); ran on SQLite only ***"
            );
        }
    }
    urls
}

/// A connected, migrated database on every backend available.
pub async fn test_databases(test: &str) -> Vec<(Scratch, Database)> {
    let mut databases = Vec::new();
    for url in test_urls(test).await {
        let db = Database::open(&url.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", url.label));
        databases.push((url, db));
    }
    databases
}

impl Scratch {
    /// A new SQLite file in a temporary folder.
    pub fn sqlite() -> std::io::Result<Scratch> {
        let folder = tempfile::tempdir()?;
        Ok(Scratch {
            label: "sqlite",
            url: format!("sqlite://{}", folder.path().join("convene.db").display()),
            _folder: Some(folder),
            postgres: None,
        })
    }

    /// A new database on the PostgreSQL server `server` (a URL to any database on it), in the
    /// tablespace `TEST_DATABASE_TABLESPACE` names, if any.
    pub async fn postgres(server: &str) -> Result<Scratch, sqlx::Error> {
        let name = format!("convene_scratch_{}", uuid::Uuid::new_v4().simple());
        let tablespace = std::env::var(TEST_DATABASE_TABLESPACE)
            .ok()
            .filter(|t| !t.is_empty())
            .map_or_else(String::new, |t| {
                format!(" TABLESPACE \"{}\"", t.replace('"', ""))
            });
        let mut admin = PgConnection::connect(server).await?;
        admin
            .execute(format!("CREATE DATABASE {name}{tablespace}").as_str())
            .await?;
        admin.close().await?;
        Ok(Scratch {
            label: "postgres",
            url: with_database(server, &name),
            _folder: None,
            postgres: Some((server.to_string(), name)),
        })
    }
}

/// `url` pointing at database `name` on the same server.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop may run inside a runtime: use a thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&server).await?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await?;
                admin.close().await
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {}", self.url);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_swapped_keeping_the_server_and_options() {
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5432/test", "t1"),
            "postgres://u@127.0.0.1:5432/t1"
        );
        assert_eq!(with_database("postgres://h", "t1"), "postgres://h/t1");
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "t1"),
            "postgres://h/t1?sslmode=disable"
        );
    }
}
