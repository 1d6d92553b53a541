//! Follows between local profiles and remote ActivityPub actors. The inbox calls the first four
//! with the incoming activity as the origin (source `Federation { activity }`), the remote actor
//! being who made the change; a local account follows and unfollows acting as its profile. The
//! outbox turns each recorded change into its activity (`Accept`, `Follow`, `Undo`).

use crate::auth::{Acting, Origin};
use crate::consistency::command;
use crate::error::{Error, Result};
use crate::AppState;
use convene_domain::{Actor, Metadata, ProfileCommand, ProfileError, Source};
use convene_projections::follows::{self, Follower, Following};
use convene_projections::read_model::FOLLOWS;

/// A remote actor, as its actor document describes it: its id and where to deliver to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteActor {
    /// The actor's id URL.
    pub actor: String,
    pub inbox: String,
    /// `endpoints.sharedInbox`, when the actor's server offers one.
    pub shared_inbox: Option<String>,
}

/// A remote actor following a local profile.
pub type RemoteFollower = RemoteActor;

/// Metadata of a change made by the remote actor `actor`, from `origin`.
fn by_remote(origin: &Origin, actor: &str) -> Metadata {
    origin.by(Actor::Remote {
        actor: actor.to_string(),
    })
}

/// Runs a follow command on `@profile` and waits until the `follows` read model shows it; an
/// unknown profile is said by name.
pub(crate) async fn run(
    state: &AppState,
    profile: &str,
    follow: ProfileCommand,
    metadata: &Metadata,
) -> Result<()> {
    command(
        state,
        &state.profiles,
        profile,
        follow,
        metadata,
        &[FOLLOWS],
    )
    .await
    .map(drop)
    .map_err(|e| match e {
        Error::Profile(ProfileError::NotFound) => {
            Error::not_found(format!("there is no profile @{profile}"))
        }
        other => other,
    })
}

/// `follower` follows `@profile` by its `Follow` `activity_id` (recorded as the change's
/// source). Local profiles accept every follower; the same `Follow` twice is one.
pub async fn add_follower(
    state: &AppState,
    origin: &Origin,
    profile: &str,
    follower: RemoteFollower,
    activity_id: &str,
) -> Result<()> {
    let mut metadata = by_remote(origin, &follower.actor);
    metadata.source = Source::Federation {
        activity: activity_id.to_string(),
    };
    let add = ProfileCommand::AddFollower {
        actor: follower.actor,
        inbox: follower.inbox,
        shared_inbox: follower.shared_inbox,
        activity: activity_id.to_string(),
    };
    run(state, profile, add, &metadata).await
}

/// `actor` no longer follows `@profile` (its `Undo`, or its deletion); nothing when it did not.
pub async fn remove_follower(
    state: &AppState,
    origin: &Origin,
    profile: &str,
    actor: &str,
) -> Result<()> {
    let remove = ProfileCommand::RemoveFollower {
        actor: actor.to_string(),
    };
    run(state, profile, remove, &by_remote(origin, actor)).await
}

/// The acting profile asks to follow `target` (from its fetched actor document).
pub async fn follow_remote(state: &AppState, acting: &Acting, target: RemoteActor) -> Result<()> {
    let follow = ProfileCommand::Follow {
        target: target.actor,
        inbox: target.inbox,
        shared_inbox: target.shared_inbox,
    };
    run(state, &acting.profile, follow, &acting.metadata()).await
}

/// `target` accepted `@profile`'s request to follow it.
pub async fn follow_accepted(
    state: &AppState,
    origin: &Origin,
    profile: &str,
    target: &str,
) -> Result<()> {
    let accept = ProfileCommand::AcceptFollow {
        target: target.to_string(),
    };
    run(state, profile, accept, &by_remote(origin, target)).await
}

/// `target` refused `@profile`'s request to follow it (or stopped accepting it).
pub async fn follow_rejected(
    state: &AppState,
    origin: &Origin,
    profile: &str,
    target: &str,
) -> Result<()> {
    let reject = ProfileCommand::RejectFollow {
        target: target.to_string(),
    };
    run(state, profile, reject, &by_remote(origin, target)).await
}

/// The acting profile stops following `target` (or withdraws its request).
pub async fn unfollow(state: &AppState, acting: &Acting, target: &str) -> Result<()> {
    let unfollow = ProfileCommand::Unfollow {
        target: target.to_string(),
    };
    run(state, &acting.profile, unfollow, &acting.metadata()).await
}

/// The remote followers of `@profile`, with their inboxes.
pub async fn followers(state: &AppState, profile: &str) -> Result<Vec<Follower>> {
    Ok(follows::followers_of(state.db.pool(), profile).await?)
}

/// Whom `@profile` follows or asked to follow.
pub async fn following(state: &AppState, profile: &str) -> Result<Vec<Following>> {
    Ok(follows::following_of(state.db.pool(), profile).await?)
}
