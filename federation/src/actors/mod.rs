//! Actors: the documents we serve for our own actors (a profile's `Person`, the instance's
//! `Application`), the paged collections they point at, and the parsing of remote actors.

pub mod collections;
pub mod local;
pub mod remote;

pub use local::{instance_actor, person, LocalActor};
pub use remote::{RemoteActor, RemoteActorError};

/// The JSON-LD context of actor documents: ActivityStreams, the security vocabulary (for
/// `publicKey`) and the two terms Mastodon and Mobilizon add to actors.
// joins context.rs at merge: the objects' context holds these terms too.
pub fn context() -> serde_json::Value {
    serde_json::json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "@language": "und",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers"
        }
    ])
}
