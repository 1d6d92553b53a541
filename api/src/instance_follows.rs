//! Instance follows (Mobilizon's relays): administrators make this instance's actor follow
//! another instance's actor, or stop; the inbox records the answers and the instances that
//! follow this one (accepted at once: they get only what is public anyway). The outbox sends
//! what each change means (`Follow`, `Undo`, the `Accept` of a follower) and `Announce`s each
//! new public event to the instances following this one.

use crate::auth::Session;
use crate::consistency::command;
use crate::error::{Error, Result};
use crate::remote_events::FromRemote;
use crate::AppState;
use convene_domain::{FieldError, InstanceFollowCommand, InstanceFollowError, Metadata};
use convene_projections::domains::{host_of_url, DomainDecisions};
use convene_projections::instance_follows::{self, InstanceFollowView};
use convene_projections::read_model::INSTANCE_FOLLOWS;

impl From<InstanceFollowError> for Error {
    fn from(error: InstanceFollowError) -> Self {
        match error {
            InstanceFollowError::AlreadyFollowing => Error::conflict(error.to_string()),
            InstanceFollowError::NotFollowing => Error::not_found(error.to_string()),
            InstanceFollowError::NotAnInbox => Error::Invalid(vec![FieldError {
                field: "inbox".into(),
                message: error.to_string(),
            }]),
        }
    }
}

const ADMINISTRATORS_ONLY: &str = "only administrators make this instance follow others";

/// Refuses an instance on a domain the administrators suspended: it can neither be followed
/// nor follow.
pub async fn not_suspended(state: &AppState, actor: &str) -> Result<()> {
    let host = host_of_url(actor).ok_or_else(|| {
        Error::invalid_field("instance", format!("{actor} is not an http(s) URL"))
    })?;
    if DomainDecisions::load(state.db.pool())
        .await?
        .suspends(&host)
    {
        return Err(Error::forbidden(format!(
            "{host} is suspended by this instance's administrators: lift the decision first"
        )));
    }
    Ok(())
}

async fn run(
    state: &AppState,
    actor: &str,
    change: InstanceFollowCommand,
    metadata: &Metadata,
) -> Result<()> {
    command(
        state,
        &state.instance_follows,
        actor,
        change,
        metadata,
        &[INSTANCE_FOLLOWS],
    )
    .await
    .map(drop)
}

/// This instance asks to follow the instance actor `actor`, which takes activities at `inbox`
/// (administrators only).
pub async fn follow(state: &AppState, session: &Session, actor: &str, inbox: &str) -> Result<()> {
    session.require_administrator(ADMINISTRATORS_ONLY)?;
    not_suspended(state, actor).await?;
    let follow = InstanceFollowCommand::Follow {
        inbox: inbox.to_string(),
    };
    run(state, actor, follow, &session.metadata()).await
}

/// This instance stops following `actor`, or withdraws its request (administrators only).
pub async fn unfollow(state: &AppState, session: &Session, actor: &str) -> Result<()> {
    session.require_administrator(ADMINISTRATORS_ONLY)?;
    run(
        state,
        actor,
        InstanceFollowCommand::Unfollow,
        &session.metadata(),
    )
    .await
}

/// Finds another instance's actor from what an administrator typed (a host, a URL, an actor's
/// URL): where it is and where it takes deliveries, or why not, in words. Federation provides
/// it (it fetches through the guarded client); this instance itself is refused, and so is a
/// suspended domain, before anything is fetched.
#[async_trait::async_trait]
pub trait InstanceResolver: Send + Sync {
    async fn resolve(&self, given: &str) -> std::result::Result<ResolvedInstance, String>;
}

/// An instance actor found: its id URL and the inbox it takes deliveries at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedInstance {
    pub actor: String,
    pub inbox: String,
}

/// This instance asks to follow the instance `given` names (administrators only): found by
/// the resolver, refused on the field `instance` with the reason when it cannot be. Returns
/// the follow as listed (`following: pending` until the answer).
pub async fn follow_instance(
    state: &AppState,
    session: &Session,
    given: &str,
) -> Result<InstanceFollowView> {
    session.require_administrator(ADMINISTRATORS_ONLY)?;
    if given.trim().is_empty() {
        return Err(Error::invalid_field(
            "instance",
            "give the instance's host (events.example) or its URL",
        ));
    }
    let resolver = state.instance_resolver.as_ref().ok_or_else(|| {
        Error::invalid_field("instance", "this server does not reach other instances")
    })?;
    let found = resolver
        .resolve(given)
        .await
        .map_err(|reason| Error::invalid_field("instance", reason))?;
    follow(state, session, &found.actor, &found.inbox).await?;
    instance_follows::all(state.db.pool())
        .await?
        .into_iter()
        .find(|v| v.actor == found.actor)
        .ok_or_else(|| Error::not_found("the follow was recorded and is gone already"))
}

/// This instance stops following the instance `given` names (its host or actor URL), or
/// withdraws its request (administrators only); `not-found` when it does not follow it.
pub async fn unfollow_instance(state: &AppState, session: &Session, given: &str) -> Result<()> {
    session.require_administrator(ADMINISTRATORS_ONLY)?;
    let Some(actor) = followed(&state.db, given).await? else {
        return Err(Error::not_found(format!(
            "this instance does not follow {given}"
        )));
    };
    unfollow(state, session, &actor).await
}

/// The instance actor this instance follows (or asked to) that `given` names: its actor URL,
/// or its host.
pub async fn followed(
    db: &convene_projections::Database,
    given: &str,
) -> std::result::Result<Option<String>, convene_projections::Error> {
    let given = given.trim().trim_end_matches('/');
    let host = host_of_url(given).unwrap_or_else(|| given.to_ascii_lowercase());
    Ok(instance_follows::all(db.pool())
        .await?
        .into_iter()
        .filter(|v| v.following.is_some())
        .find(|v| v.actor == given || v.host == host)
        .map(|v| v.actor))
}

/// The instances this one follows or is followed by (administrators only).
pub async fn list(state: &AppState, session: &Session) -> Result<Vec<InstanceFollowView>> {
    session.require_administrator(ADMINISTRATORS_ONLY)?;
    Ok(instance_follows::all(state.db.pool()).await?)
}

/// The instance actor behind `from` follows this instance, by its `Follow`; it takes
/// deliveries at `inbox`.
pub async fn follower_added(state: &AppState, from: &FromRemote, inbox: &str) -> Result<()> {
    not_suspended(state, &from.actor).await?;
    let add = InstanceFollowCommand::AddFollower {
        inbox: inbox.to_string(),
        activity: from.activity.clone(),
    };
    run(state, &from.actor, add, &from.metadata()).await
}

/// The actor behind `from` no longer follows this instance.
pub async fn follower_removed(state: &AppState, from: &FromRemote) -> Result<()> {
    run(
        state,
        &from.actor,
        InstanceFollowCommand::RemoveFollower,
        &from.metadata(),
    )
    .await
}

/// The actor behind `from` answered this instance's `Follow`.
pub async fn answered(state: &AppState, from: &FromRemote, accepted: bool) -> Result<()> {
    let answer = if accepted {
        InstanceFollowCommand::Accept
    } else {
        InstanceFollowCommand::Reject
    };
    run(state, &from.actor, answer, &from.metadata()).await
}
