//! The event log and everything that reads it.
//!
//! Appends go through cqrs-es (`sqlite-es` or `postgres-es`) into one table, `event_log`; a
//! trigger in the appending transaction gives every event a global `position` in commit order
//! and links it into a hash chain ([`chain`]). Readers follow the log in that order: [`log`]
//! reads it, [`subscription`] follows it live, [`subscriber`] says what follows it (read models
//! with a checkpoint committed in the same transaction as their writes, and stores outside the
//! database), [`projection`] runs them, [`replay`] rebuilds them (read models also "as of" a
//! past point) and [`verify`] proves the chain intact. The read models, and the queries over
//! them, are [`accounts`], [`profiles`], [`events`], [`groups`], [`reports`], [`follows`],
//! [`decisions`] (the timed moderation decisions in force), [`pictures`], [`domains`] (the
//! decisions in force on other instances' domains) and [`instance`] (the instance's settings and
//! its transparency log).
//!
//! Depends on `convene-domain` only (and the database crates); the API, web and federation crates
//! depend on this one. See `docs/event-log.md` for the guarantees and why they hold.

pub mod account_mails;
pub mod accounts;
pub mod aggregate_cache;
pub mod chain;
pub mod db;
pub mod decisions;
pub mod deliveries;
pub mod domains;
pub mod error;
pub mod events;
pub mod follows;
pub mod group_discussions;
pub mod group_posts;
pub mod group_resources;
pub mod group_todos;
pub mod groups;
pub mod instance;
pub mod instance_follows;
pub mod keys;
pub mod lease;
pub mod log;
pub mod pictures;
pub mod places;
pub mod profiles;
pub mod projection;
pub mod replay;
pub mod reports;
pub mod scratch;
pub mod sent;
mod sqlite_busy;
pub mod store;
pub mod subscriber;
pub mod subscription;
pub mod tables;
pub mod verify;

pub use db::{Backend, Database};
pub use error::Error;
pub use log::{EventLog, StoredEvent};
pub use projection::Runner;
pub use sqlx::AnyPool;
pub use store::{CommandError, Commands};
pub use subscriber::{Delivery, Projection, Subscriber, Subscribers};

use std::sync::Arc;

/// The names of this crate's read models: what a use case declares it reads back.
pub mod read_model {
    pub const ACCOUNTS: &str = "accounts";
    pub const PROFILES: &str = "profiles";
    pub const EVENTS: &str = "events";
    pub const GROUPS: &str = "groups";
    pub const REPORTS: &str = "reports";
    pub const FOLLOWS: &str = "follows";
    pub const DECISION_TIMERS: &str = "decision_timers";
    pub const PICTURES: &str = "pictures";
    pub const DOMAIN_DECISIONS: &str = "domain_decisions";
    pub const INSTANCE_FOLLOWS: &str = "instance_follows";
    pub const INSTANCE_SETTINGS: &str = "instance_settings";
    pub const TRANSPARENCY: &str = "transparency";
}

/// The read models this crate offers, in the order they are run.
pub fn read_models() -> Vec<Arc<dyn Subscriber>> {
    vec![
        Arc::new(accounts::AccountsProjection),
        Arc::new(profiles::ProfilesProjection),
        Arc::new(events::EventsProjection),
        Arc::new(groups::GroupsProjection),
        Arc::new(reports::ReportsProjection),
        Arc::new(follows::FollowsProjection),
        Arc::new(decisions::DecisionTimersProjection),
        Arc::new(pictures::PicturesProjection),
        Arc::new(domains::DomainDecisionsProjection),
        Arc::new(instance_follows::InstanceFollowsProjection),
        Arc::new(instance::InstanceSettingsProjection),
        Arc::new(instance::TransparencyProjection),
    ]
}
