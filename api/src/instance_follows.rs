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
use convene_domain::{FieldError, InstanceFollowCommand, InstanceFollowError, Metadata, Role};
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

/// Refuses anyone but an administrator.
pub fn require_administrator(session: &Session) -> Result<()> {
    if session.account.role == Role::Administrator {
        Ok(())
    } else {
        Err(Error::forbidden(
            "only administrators make this instance follow others",
        ))
    }
}

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
    require_administrator(session)?;
    not_suspended(state, actor).await?;
    let follow = InstanceFollowCommand::Follow {
        inbox: inbox.to_string(),
    };
    run(state, actor, follow, &session.metadata()).await
}

/// This instance stops following `actor`, or withdraws its request (administrators only).
pub async fn unfollow(state: &AppState, session: &Session, actor: &str) -> Result<()> {
    require_administrator(session)?;
    run(
        state,
        actor,
        InstanceFollowCommand::Unfollow,
        &session.metadata(),
    )
    .await
}

/// The instances this one follows or is followed by (administrators only).
pub async fn list(state: &AppState, session: &Session) -> Result<Vec<InstanceFollowView>> {
    require_administrator(session)?;
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
