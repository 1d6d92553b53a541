/// What can go wrong reading or writing the log and the read models.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{0}` is not a database URL Convene knows: use sqlite://PATH or postgres://USER@HOST/DATABASE")]
    UnknownScheme(String),
    #[error("cannot connect to the database at {url} ({error}): check DATABASE_URL and that the database server is running")]
    Unreachable { url: String, error: sqlx::Error },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the event at position {position} cannot be read: {reason}")]
    Unreadable { position: i64, reason: String },
    #[error("{table}.{column} holds `{value}`, which this version of Convene does not know (written by a newer version, or damaged: `convene replay` rebuilds the read models)")]
    UnknownValue {
        table: &'static str,
        column: &'static str,
        value: String,
    },
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
