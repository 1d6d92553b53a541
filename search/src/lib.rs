//! Search: a subscriber to the event log that keeps an index of what everyone may see, and the
//! queries over it, behind one [`SearchIndex`] contract.
//!
//! The embedded backend ([`embedded`]) keeps the index in the read-model database: SQLite FTS5
//! with an R*Tree, or PostgreSQL `tsvector` with a GIN index. The [`subscriber`] follows the log
//! like any other (at least once, idempotent by document id) and can rebuild the index from
//! position 0 into shadow tables swapped in when complete ([`reindex`]).
//!
//! Two kinds of documents are kept: public events, and public groups ([`group`]), each with its
//! own query.

pub mod document;
pub mod domains;
pub mod embedded;
pub mod error;
pub mod geo;
pub mod group;
pub mod meili;
pub mod query;
pub mod reindex;
pub mod subscriber;
pub mod suspensions;
pub mod text;

pub use document::EventDocument;
pub use embedded::Embedded;
pub use error::Error;
pub use group::{GroupDocument, GroupHit, GroupHits, GroupQuery};
pub use meili::Meili;
pub use query::{EventHit, EventHits, EventQuery, Facets, Near, OriginFilter, Sort};
pub use subscriber::SearchSubscriber;

use async_trait::async_trait;

/// The name of the search subscriber: its checkpoint, `/healthz` line and `replay` name.
pub const SUBSCRIBER: &str = "search";

/// One change to the index. Writing a change twice leaves the index as writing it once.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Adds the event's document, or replaces the one with its id.
    Put(Box<EventDocument>),
    /// Removes the event with this id, if it is there.
    Remove(String),
    /// Adds the group's document, or replaces the one with its id.
    PutGroup(Box<GroupDocument>),
    /// Removes the group with this id, if it is there.
    RemoveGroup(String),
}

/// Where events are searched. Every backend passes the contract suite (`tests/contract.rs`).
#[async_trait]
pub trait SearchIndex: Send + Sync {
    /// `sqlite`, `postgres` or `meilisearch`.
    fn backend(&self) -> &'static str;

    /// Creates what the index needs (tables, settings) if missing.
    async fn prepare(&self) -> Result<(), Error>;

    /// Applies `changes` in order, all or none.
    async fn write(&self, changes: &[Change]) -> Result<(), Error>;

    /// Applies `changes` and moves checkpoint `name` from `from` to `to` in `pool`; false (and,
    /// where the store allows, nothing written) when the checkpoint is no longer at `from`. A
    /// store outside the database writes first, then moves the checkpoint (at least once); the
    /// embedded index does both in one transaction.
    async fn write_fenced(
        &self,
        pool: &sqlx::AnyPool,
        changes: &[Change],
        (name, from, to): (&str, i64, i64),
    ) -> Result<bool, Error> {
        use convene_projections::subscriber::{checkpoint, move_checkpoint};
        if checkpoint(pool, name).await? != from {
            return Ok(false);
        }
        if !changes.is_empty() {
            self.write(changes).await?;
        }
        let mut conn = pool.acquire().await?;
        Ok(move_checkpoint(&mut conn, name, from, to).await?)
    }

    async fn search_events(&self, query: &EventQuery) -> Result<EventHits, Error>;

    async fn search_groups(&self, query: &GroupQuery) -> Result<GroupHits, Error>;

    /// Every document id in the index, sorted (what tests compare with the log).
    async fn ids(&self) -> Result<Vec<String>, Error>;

    /// Removes every document.
    async fn clear(&self) -> Result<(), Error>;
}
