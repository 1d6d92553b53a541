//! What this instance's own actor (`/relay`) sends: its `Follow` of another instance's actor
//! and the `Undo` of it, and the `Accept` of an instance that follows it. The instances
//! following it get the instance's public events ([`Relays::followers_at`], used by
//! [`super::derive`]): Create, Update and Delete from their organiser, as to its followers, and
//! the instance actor's [`announce`] of each new one, as Mobilizon's relay sends.

use super::derive::Outgoing;
use super::LogOf;
use crate::actors::local::instance_actor_id;
use crate::keys::key_id;
use crate::objects::{activity_id, Activity, ActivityKind};
use convene_domain::InstanceFollowChange;
use convene_projections::{Error, StoredEvent};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// The changes between this instance and others, by remote instance actor.
#[derive(Debug, Default)]
pub struct Relays {
    pub logs: LogOf,
}

impl Relays {
    /// The inboxes of the instances following this one just after `position`.
    pub fn followers_at(&self, position: i64) -> Vec<String> {
        let mut followers: BTreeMap<&str, String> = BTreeMap::new();
        for (actor, log) in &self.logs {
            for stored in log.iter().take_while(|s| s.position <= position) {
                match stored.change::<InstanceFollowChange>() {
                    Ok(InstanceFollowChange::FollowerAdded { inbox, .. }) => {
                        followers.insert(actor, inbox);
                    }
                    Ok(InstanceFollowChange::FollowerRemoved) => {
                        followers.remove(actor.as_str());
                    }
                    _ => {}
                }
            }
        }
        let inboxes: BTreeSet<String> = followers.into_values().collect();
        inboxes.into_iter().collect()
    }
}

/// The instance actor's `Announce` of the new public event `event` (the change at `sequence`
/// of aggregate `aggregate`) to the instances following this one, at `inboxes`: addressed to
/// its followers and the public, naming the event by its id (receivers fetch it, or have it
/// from the organiser's `Create`).
pub fn announce(
    public_url: &str,
    aggregate: &str,
    sequence: u64,
    event: &str,
    inboxes: Vec<String>,
    at: time::OffsetDateTime,
) -> Outgoing {
    let relay = instance_actor_id(public_url);
    let activity = Activity::new(
        activity_id(public_url, aggregate, sequence, ActivityKind::Announce),
        ActivityKind::Announce,
        &relay,
        Value::String(event.to_string()),
        vec![format!("{relay}/followers")],
        vec![crate::context::PUBLIC.to_string()],
        at,
    );
    Outgoing {
        activity,
        key_id: key_id(&relay),
        inboxes,
        about: None,
    }
}

/// The name of the remote instance actor `actor` in this instance's activity ids.
fn name_of(actor: &str) -> String {
    let digest = Sha256::digest(actor.as_bytes());
    format!("instance-{}", hex::encode(&digest[..12]))
}

/// Everything the changes at positions `from..=to` give.
pub fn relay_activities(
    public_url: &str,
    (from, to): (i64, i64),
    relays: &Relays,
) -> Result<Vec<(i64, Outgoing)>, Error> {
    let relay = instance_actor_id(public_url);
    let mut out = Vec::new();
    for (actor, log) in &relays.logs {
        let name = name_of(actor);
        for (index, stored) in log.iter().enumerate() {
            if stored.position < from || stored.position > to {
                continue;
            }
            let id = |kind| activity_id(public_url, &name, stored.sequence as u64, kind);
            let (kind, object, inbox) = match stored.change::<InstanceFollowChange>()? {
                InstanceFollowChange::FollowRequested { inbox } => {
                    (ActivityKind::Follow, Value::String(actor.clone()), inbox)
                }
                InstanceFollowChange::Unfollowed => {
                    let Some((follow, inbox)) = last_follow(&log[..index]) else {
                        continue;
                    };
                    let follow = activity_id(public_url, &name, follow, ActivityKind::Follow);
                    (
                        ActivityKind::Undo,
                        json!({"id": follow, "type": "Follow", "actor": relay, "object": actor}),
                        inbox,
                    )
                }
                InstanceFollowChange::FollowerAdded { inbox, activity } => (
                    ActivityKind::Accept,
                    json!({"id": activity, "type": "Follow", "actor": actor, "object": relay}),
                    inbox,
                ),
                _ => continue,
            };
            let at = stored.metadata()?.recorded_at;
            let activity = Activity::new(
                id(kind),
                kind,
                &relay,
                object,
                vec![actor.clone()],
                vec![crate::context::PUBLIC.to_string()],
                at,
            );
            out.push((
                stored.position,
                Outgoing {
                    activity,
                    key_id: key_id(&relay),
                    inboxes: vec![inbox],
                    about: None,
                },
            ));
        }
    }
    Ok(out)
}

/// The sequence and inbox of the last `Follow` among `earlier`.
fn last_follow(earlier: &[StoredEvent]) -> Option<(u64, String)> {
    earlier
        .iter()
        .rev()
        .find_map(|e| match e.change::<InstanceFollowChange>() {
            Ok(InstanceFollowChange::FollowRequested { inbox }) => Some((e.sequence as u64, inbox)),
            _ => None,
        })
}
