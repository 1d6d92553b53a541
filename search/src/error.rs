/// What can go wrong searching or indexing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("search index database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Log(#[from] convene_projections::Error),
    #[error("the search index holds a document it cannot read: {0}")]
    Unreadable(String),
    /// The search service does not answer (in time): worth trying again later.
    #[error("the search service is unavailable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Backend(String),
}

impl From<Error> for convene_projections::Error {
    fn from(error: Error) -> Self {
        match error {
            Error::Log(error) => error,
            Error::Database(error) => convene_projections::Error::Database(error),
            other => convene_projections::Error::Io(std::io::Error::other(other.to_string())),
        }
    }
}
