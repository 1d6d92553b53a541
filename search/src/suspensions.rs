//! Which organisers the instance's moderators have suspended, as the log says at a position.
//!
//! A suspended profile, or any profile of a suspended account, has its public content hidden,
//! and so has a suspended group; a limited profile's events leave public listings: their events
//! leave the index and come back when the decision is lifted. The answer is read
//! from the log (the profiles' and accounts' own decisions up to the batch's end), never from a
//! read model, so a rebuild from position 0 gives the same index.

use crate::Error;
use convene_domain::moderation::AccountAction;
use convene_domain::{
    Account, AccountChange, Event, EventChange, Group, Profile, ProfileChange, RemoteActor,
};
use cqrs_es::Aggregate;
use sqlx::{AnyPool, Row};
use std::collections::{BTreeSet, HashMap};

/// The decisions on an account that take its profiles' events out of public listings, and their
/// liftings.
const ACCOUNT_DECISIONS: [&str; 4] = [
    "AccountSuspended",
    "AccountUnsuspended",
    "AccountLimited",
    "AccountUnlimited",
];

/// Names bound per query.
const PER_QUERY: usize = 500;

/// One change of the log, as these lookups read it.
struct Logged {
    id: String,
    event_type: String,
    payload: String,
}

/// The changes named `types` of the `kind` aggregates `ids` up to `until`, in log order.
async fn changes_of(
    pool: &AnyPool,
    kind: &str,
    ids: &[&str],
    types: &[&str],
    until: i64,
) -> Result<Vec<Logged>, Error> {
    let mut all = Vec::new();
    for chunk in ids.chunks(PER_QUERY) {
        let types_at = 3;
        let ids_at = types_at + types.len();
        let placeholders = |from: usize, n: usize| {
            (from..from + n)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sql = format!(
            "SELECT aggregate_id, event_type, CAST(payload AS TEXT) AS payload FROM event_log \
             WHERE aggregate_type = $1 AND position <= $2 AND event_type IN ({}) \
             AND aggregate_id IN ({}) ORDER BY position",
            placeholders(types_at, types.len()),
            placeholders(ids_at, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(kind).bind(until);
        for t in types {
            query = query.bind(*t);
        }
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(pool).await? {
            all.push(Logged {
                id: row.try_get("aggregate_id")?,
                event_type: row.try_get("event_type")?,
                payload: row.try_get("payload")?,
            });
        }
    }
    Ok(all)
}

fn unreadable(error: serde_json::Error) -> Error {
    Error::Unreadable(error.to_string())
}

/// The profiles among `profiles` whose events are out of public listings at `until`: suspended
/// by their own decision or their account's, or limited.
pub async fn suspended(
    pool: &AnyPool,
    profiles: &[&str],
    until: i64,
) -> Result<BTreeSet<String>, Error> {
    let mut out = BTreeSet::new();
    let profiles: Vec<&str> = profiles.iter().copied().filter(|p| !p.is_empty()).collect();
    if profiles.is_empty() {
        return Ok(out);
    }
    let mut account_of: HashMap<String, String> = HashMap::new();
    let mut limited = BTreeSet::new();
    let types = [
        "ProfileCreated",
        "ProfileSuspended",
        "ProfileUnsuspended",
        "ProfileLimited",
        "ProfileUnlimited",
    ];
    for logged in changes_of(pool, Profile::TYPE, &profiles, &types, until).await? {
        match serde_json::from_str(&logged.payload).map_err(unreadable)? {
            ProfileChange::Created {
                account: Some(account),
                ..
            } => {
                account_of.insert(logged.id, account);
            }
            ProfileChange::Moderated { action, .. } => {
                let decided = if action.on_suspension() {
                    &mut out
                } else {
                    &mut limited
                };
                if action.imposes() {
                    decided.insert(logged.id);
                } else {
                    decided.remove(&logged.id);
                }
            }
            _ => {}
        }
    }
    out.extend(limited);
    let accounts: BTreeSet<&str> = account_of.values().map(String::as_str).collect();
    let accounts: Vec<&str> = accounts.into_iter().collect();
    // An account suspended or limited as a whole: each decision stands apart from the other.
    let mut decided: [BTreeSet<String>; 2] = Default::default();
    for logged in changes_of(pool, Account::TYPE, &accounts, &ACCOUNT_DECISIONS, until).await? {
        if let AccountChange::Moderated { action, .. } =
            serde_json::from_str(&logged.payload).map_err(unreadable)?
        {
            let on = &mut decided[usize::from(matches!(
                action,
                AccountAction::Limit | AccountAction::Unlimit
            ))];
            if action.imposes() {
                on.insert(logged.id);
            } else {
                on.remove(&logged.id);
            }
        }
    }
    out.extend(
        account_of
            .into_iter()
            .filter(|(_, account)| decided.iter().any(|d| d.contains(account)))
            .map(|(profile, _)| profile),
    );
    Ok(out)
}

/// The profiles whose suspension or limit a batch decides on: those suspended, limited or lifted themselves,
/// and every profile of an account suspended, limited or lifted (as their creations name it).
pub async fn decided_in(
    pool: &AnyPool,
    batch: &[convene_projections::StoredEvent],
) -> Result<BTreeSet<String>, Error> {
    let mut profiles = BTreeSet::new();
    let mut accounts = BTreeSet::new();
    for e in batch {
        match (e.aggregate_type.as_str(), e.event_type.as_str()) {
            (
                Profile::TYPE,
                "ProfileSuspended" | "ProfileUnsuspended" | "ProfileLimited" | "ProfileUnlimited",
            ) => {
                profiles.insert(e.aggregate_id.clone());
            }
            (Account::TYPE, t) if ACCOUNT_DECISIONS.contains(&t) => {
                accounts.insert(e.aggregate_id.as_str());
            }
            _ => {}
        }
    }
    let Some(last) = batch.last() else {
        return Ok(profiles);
    };
    for account in accounts {
        // The account's id appears in the creation of each of its profiles: a cheap prefilter,
        // each candidate then read for certain.
        let rows = sqlx::query(
            "SELECT aggregate_id, CAST(payload AS TEXT) AS payload FROM event_log \
             WHERE aggregate_type = $1 AND event_type = 'ProfileCreated' AND position <= $2 \
             AND CAST(payload AS TEXT) LIKE $3",
        )
        .bind(Profile::TYPE)
        .bind(last.position)
        .bind(format!("%{account}%"))
        .fetch_all(pool)
        .await?;
        for row in rows {
            let payload: String = row.try_get("payload")?;
            if let ProfileChange::Created {
                account: Some(of), ..
            } = serde_json::from_str(&payload).map_err(unreadable)?
            {
                if of == account {
                    profiles.insert(row.try_get("aggregate_id")?);
                }
            }
        }
    }
    Ok(profiles)
}

/// The events created by the profiles `profiles` up to `until`.
pub async fn events_organised_by(
    pool: &AnyPool,
    profiles: &BTreeSet<String>,
    until: i64,
) -> Result<Vec<String>, Error> {
    let mut events = Vec::new();
    for profile in profiles {
        let rows = sqlx::query(
            "SELECT aggregate_id, CAST(payload AS TEXT) AS payload FROM event_log \
             WHERE aggregate_type = $1 AND event_type = 'EventCreated' AND position <= $2 \
             AND CAST(payload AS TEXT) LIKE $3 ORDER BY position",
        )
        .bind(Event::TYPE)
        .bind(until)
        .bind(format!("%{profile}%"))
        .fetch_all(pool)
        .await?;
        for row in rows {
            let payload: String = row.try_get("payload")?;
            if let EventChange::Created { organiser, .. } =
                serde_json::from_str(&payload).map_err(unreadable)?
            {
                if organiser == *profile {
                    events.push(row.try_get("aggregate_id")?);
                }
            }
        }
    }
    Ok(events)
}

/// The change names of a group's suspension and its lifting.
const GROUP_DECISIONS: [&str; 2] = ["GroupSuspended", "GroupUnsuspended"];

/// The groups among `groups` that are suspended at `until`.
pub async fn suspended_groups(
    pool: &AnyPool,
    groups: &[&str],
    until: i64,
) -> Result<BTreeSet<String>, Error> {
    in_force(pool, Group::TYPE, groups, GROUP_DECISIONS, until).await
}

/// The aggregates among `ids` of `kind` on which the decision named `imposed` is in force at
/// `until`: it was their last of `[imposed, lifted]`.
async fn in_force(
    pool: &AnyPool,
    kind: &str,
    ids: &[&str],
    [imposed, lifted]: [&str; 2],
    until: i64,
) -> Result<BTreeSet<String>, Error> {
    let mut out = BTreeSet::new();
    for logged in changes_of(pool, kind, ids, &[imposed, lifted], until).await? {
        if logged.event_type == imposed {
            out.insert(logged.id);
        } else {
            out.remove(&logged.id);
        }
    }
    Ok(out)
}

/// The groups whose suspension a batch decides on.
pub fn groups_decided_in(batch: &[convene_projections::StoredEvent]) -> BTreeSet<String> {
    batch
        .iter()
        .filter(|e| {
            e.aggregate_type == Group::TYPE && GROUP_DECISIONS.contains(&e.event_type.as_str())
        })
        .map(|e| e.aggregate_id.clone())
        .collect()
}

/// The events the groups `groups` organise, up to `until`.
pub async fn events_of_groups(
    pool: &AnyPool,
    groups: &BTreeSet<String>,
    until: i64,
) -> Result<Vec<String>, Error> {
    let mut events = Vec::new();
    for group in groups {
        // The handle appears in the change that gives the event its group: a cheap prefilter,
        // each candidate then read for certain.
        let rows = sqlx::query(
            "SELECT aggregate_id, CAST(payload AS TEXT) AS payload FROM event_log \
             WHERE aggregate_type = $1 AND event_type = 'EventOrganisedByGroup' \
             AND position <= $2 AND CAST(payload AS TEXT) LIKE $3 ORDER BY position",
        )
        .bind(Event::TYPE)
        .bind(until)
        .bind(format!("%{group}%"))
        .fetch_all(pool)
        .await?;
        for row in rows {
            let payload: String = row.try_get("payload")?;
            if let EventChange::OrganisedByGroup { group: link } =
                serde_json::from_str(&payload).map_err(unreadable)?
            {
                if link.handle == *group {
                    events.push(row.try_get("aggregate_id")?);
                }
            }
        }
    }
    Ok(events)
}

/// The change names of a remote actor's suspension and its lifting.
const ACTOR_DECISIONS: [&str; 2] = ["RemoteActorSuspended", "RemoteActorUnsuspended"];

/// The remote actors (by URL) among `actors` that are suspended at `until`.
pub async fn suspended_actors(
    pool: &AnyPool,
    actors: &[&str],
    until: i64,
) -> Result<BTreeSet<String>, Error> {
    in_force(pool, RemoteActor::TYPE, actors, ACTOR_DECISIONS, until).await
}

/// The events the remote actors suspended or lifted in `batch` sent here, up to the batch's end.
pub async fn events_of_actors_decided_in(
    pool: &AnyPool,
    batch: &[convene_projections::StoredEvent],
) -> Result<Vec<String>, Error> {
    let Some(last) = batch.last() else {
        return Ok(Vec::new());
    };
    let actors: BTreeSet<&str> = batch
        .iter()
        .filter(|e| {
            e.aggregate_type == RemoteActor::TYPE
                && ACTOR_DECISIONS.contains(&e.event_type.as_str())
        })
        .map(|e| e.aggregate_id.as_str())
        .collect();
    let mut events = Vec::new();
    for actor in actors {
        // The actor's URL appears in each event it sent: a cheap prefilter, each candidate
        // then read for certain.
        let rows = sqlx::query(
            "SELECT aggregate_id, CAST(payload AS TEXT) AS payload FROM event_log \
             WHERE aggregate_type = $1 AND event_type = 'EventImported' AND position <= $2 \
             AND CAST(payload AS TEXT) LIKE $3 ORDER BY position",
        )
        .bind(Event::TYPE)
        .bind(last.position)
        .bind(format!("%{actor}%"))
        .fetch_all(pool)
        .await?;
        for row in rows {
            let payload: String = row.try_get("payload")?;
            if let EventChange::Imported { origin, .. } =
                serde_json::from_str(&payload).map_err(unreadable)?
            {
                if origin.actor == actor {
                    events.push(row.try_get("aggregate_id")?);
                }
            }
        }
    }
    Ok(events)
}
