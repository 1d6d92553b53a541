//! Actors: the documents we serve for our own actors (a profile's `Person`, the instance's
//! `Application`), the paged collections they point at, and the parsing of remote actors.

pub mod collections;
pub mod local;
pub mod remote;

pub use local::{group, instance_actor, person, GroupActor, LocalActor};
pub use remote::{RemoteActor, RemoteActorError};
