//! ActivityPub: actors, objects and their JSON-LD mapping, WebFinger, NodeInfo, HTTP signatures,
//! the inbox (incoming activities become domain commands) and the outbox (a projection of the
//! log into activities and deliveries, sent by a delivery worker).
//!
//! May depend on `convene-domain`, `convene-projections` and `convene-api` (the inbox is a
//! front end of the application), never on `convene-web`.

pub mod actors;
pub mod admin;
pub mod client;
pub mod context;
pub mod delivery;
pub mod discovery;
pub mod http;
pub mod inbox;
pub mod incoming;
pub mod keys;
pub mod objects;
pub mod outbox;
pub mod previews;
pub mod signatures;
