/// What can go wrong reading or writing the log and the read models.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{0}` is not a database URL Convene knows: use sqlite://PATH or postgres://USER@HOST/DATABASE")]
    UnknownScheme(String),
    #[error("`{url}` names no database: add its name, such as {example}")]
    NoDatabaseNamed { url: String, example: &'static str },
    #[error("cannot connect to the database at {url} ({error}): check DATABASE_URL and that the database server is running")]
    Unreachable { url: String, error: sqlx::Error },
    #[error("the database at {url} did not answer within {seconds} s (a server that does not respond, or a file another program keeps locked): check DATABASE_URL, or allow it longer with --database-timeout")]
    NoAnswer { url: String, seconds: f64 },
    #[error("there is no log at {0}: check DATABASE_URL (or --database-url) names the database Convene uses")]
    NoLog(String),
    #[error(
        "the schema of {0} is older than this version of Convene: run `convene migrate` first"
    )]
    SchemaBehind(String),
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
