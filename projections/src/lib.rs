//! The event log and everything that reads it.
//!
//! Appends go through cqrs-es (`sqlite-es` or `postgres-es`) into one table, `event_log`; a
//! trigger in the appending transaction gives every event a global `position` in commit order
//! and links it into a hash chain ([`chain`]). Readers follow the log in that order: [`log`]
//! reads it, [`subscription`] follows it live, [`projection`] applies it to read models with a
//! checkpoint committed in the same transaction, [`replay`] rebuilds read models (also "as of" a
//! past point) and [`verify`] proves the chain intact. The read models, and the queries over
//! them, are [`accounts`], [`profiles`] and [`events`].
//!
//! Depends on `convene-domain` only (and the database crates); the API, web and federation crates
//! depend on this one. See `docs/event-log.md` for the guarantees and why they hold.

pub mod accounts;
pub mod chain;
pub mod db;
pub mod error;
pub mod events;
pub mod lease;
pub mod log;
pub mod profiles;
pub mod projection;
pub mod replay;
pub mod scratch;
pub mod store;
pub mod subscription;
pub mod tables;
pub mod verify;

pub use db::{Backend, Database};
pub use error::Error;
pub use log::{EventLog, StoredEvent};
pub use projection::{Projection, Runner};
pub use store::{CommandError, Commands};

use std::sync::Arc;

/// Every projection this build knows, in the order they are run.
pub fn all_projections() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(accounts::AccountsProjection),
        Arc::new(profiles::ProfilesProjection),
        Arc::new(events::EventsProjection),
    ]
}
