//! The domain of Convene: aggregates, the commands they accept, the changes (domain events) they
//! emit and the rules that decide between them, plus the metadata every change carries.
//!
//! This crate is pure: no I/O, no HTTP, no SQL. It depends on nothing of ours; every other crate
//! depends on it. Each aggregate lives in its own module, split by role: the aggregate and its
//! rules, its commands, its changes.

pub mod account;
pub mod claim;
pub mod event;
pub mod group;
pub mod instance;
pub mod instance_follow;
pub mod metadata;
pub mod moderation;
pub mod picture;
pub mod profile;
pub mod remote_actor;
pub mod remote_domain;
pub mod report;
pub mod text;
pub mod validation;

pub use account::{Account, AccountChange, AccountCommand, AccountError, Role};
pub use claim::{Claim, ClaimChange, ClaimCommand, ClaimError};
pub use event::{Event, EventChange, EventCommand, EventError};
pub use group::{Group, GroupActor, GroupChange, GroupCommand, GroupError, MemberRole};
pub use instance::{Instance, InstanceChange, InstanceCommand, InstanceError};
pub use instance_follow::{
    InstanceFollow, InstanceFollowChange, InstanceFollowCommand, InstanceFollowError,
};
pub use metadata::{Actor, Metadata, MetadataError, Source};
pub use picture::{Picture, PictureChange, PictureCommand, PictureError};
pub use profile::{Profile, ProfileChange, ProfileCommand, ProfileError};
pub use remote_actor::{RemoteActor, RemoteActorChange, RemoteActorCommand, RemoteActorError};
pub use remote_domain::{RemoteDomain, RemoteDomainChange, RemoteDomainCommand, RemoteDomainError};
pub use report::{Report, ReportChange, ReportCommand, ReportError};
pub use validation::FieldError;
