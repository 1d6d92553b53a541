//! ActivityPub: actors, objects and their JSON-LD mapping, WebFinger, NodeInfo, HTTP signatures,
//! the inbox (incoming activities become domain commands) and the outbox (a projection of the
//! log into activities and deliveries, sent by a delivery worker).
//!
//! May depend on `convene-domain` and `convene-projections`, never on `convene-api` or
//! `convene-web`.
//!
//! Nothing federates yet: this crate fills in with the federation issues.

pub mod actors;
pub mod client;
pub mod context;
pub mod delivery;
pub mod discovery;
pub mod http;
pub mod incoming;
pub mod keys;
pub mod objects;
pub mod signatures;
