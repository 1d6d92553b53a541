//! Another instance's group, found by handle (WebFinger) or actor URL and shown here: what its
//! actor says of itself, the public events it sent here, and the acting profile's follow of it
//! (a `Follow` to the group, pending until the group's `Accept`).

use crate::auth::{Acting, Origin, Session};
use crate::error::{Error, Result};
use crate::follows::{self, RemoteActor};
use crate::remote_groups::FoundActor;
use crate::throttle::Action;
use crate::AppState;
use convene_domain::metadata::format_timestamp;
use convene_domain::profile::FollowingState;
use convene_domain::ProfileError;
use convene_projections::domains;
use convene_projections::events::{EventFilter, EventView};

/// The most of a group's events its page here shows.
const EVENTS_SHOWN: i64 = 20;

/// The name here of `who` when it is a handle on this instance (`club@` this instance's host).
pub fn local_name(state: &AppState, who: &str) -> Option<String> {
    crate::groups::name_here(&state.config.public_url, who)
}

/// The group `who` names (`name@host`, `@name@host` or its actor URL), fetched afresh from its
/// instance, for `session` (or a visitor without an account, from `origin`: limited per address,
/// as every lookup has this instance ask another one); an actor that cannot be found, or is not
/// a group, is refused on `field` with the reason.
pub async fn find(
    state: &AppState,
    session: Option<&Session>,
    origin: &Origin,
    field: &str,
    who: &str,
) -> Result<FoundActor> {
    if session.is_none() {
        state
            .throttle
            .check(Action::AnonymousLookup, origin.ip, None)
            .map_err(crate::throttle::refused)?;
    }
    let Some(resolver) = &state.actor_resolver else {
        return Err(Error::invalid_field(
            field,
            "this instance does not federate: it knows only its own groups",
        ));
    };
    let actor = resolver
        .find_actor(who)
        .await
        .map_err(|reason| Error::invalid_field(field, reason))?;
    if !actor.is_group() {
        return Err(Error::invalid_field(
            field,
            format!("{who} is a {}, not a group", actor.kind),
        ));
    }
    // Administrators rejected its instance's media: its avatar is not shown here either.
    let mut actor = actor;
    if let Some(host) = domains::host_of_url(&actor.id) {
        if domains::rejects_media(state.db.pool(), &host).await? {
            actor.icon = None;
        }
    }
    Ok(actor)
}

/// The public events of `group` this instance has received and that have not ended, soonest
/// first: those the group sent stand here as organised by its handle.
pub async fn events_of(state: &AppState, group: &FoundActor) -> Result<Vec<EventView>> {
    let filter = EventFilter {
        organiser: Some(group.handle.clone()),
        from: Some(format_timestamp(time::OffsetDateTime::now_utc())),
        limit: EVENTS_SHOWN,
        ..Default::default()
    };
    crate::events::upcoming(state, &filter).await
}

/// Where the acting profile's follow of `group` stands: none, asked, or accepted.
pub async fn follow_of(
    state: &AppState,
    acting: &Acting,
    group: &FoundActor,
) -> Result<Option<FollowingState>> {
    Ok(follows::following(state, &acting.profile)
        .await?
        .into_iter()
        .find(|f| f.target == group.id)
        .map(|f| f.state))
}

/// The acting profile asks to follow `group`; asking again changes nothing.
pub async fn follow(state: &AppState, acting: &Acting, group: &FoundActor) -> Result<()> {
    let target = RemoteActor {
        actor: group.id.clone(),
        inbox: group.inbox.clone(),
        shared_inbox: group.shared_inbox.clone(),
    };
    follows::follow_remote(state, acting, target).await
}

/// The acting profile stops following `group` (or withdraws its request); nothing when it did
/// not follow it.
pub async fn unfollow(state: &AppState, acting: &Acting, group: &FoundActor) -> Result<()> {
    match follows::unfollow(state, acting, &group.id).await {
        Ok(()) | Err(Error::Profile(ProfileError::NotFollowing(_))) => Ok(()),
        Err(other) => Err(other),
    }
}
