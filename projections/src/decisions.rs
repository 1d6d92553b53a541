//! The `decision_timers` read model: the moderators' timed decisions still in force, one row
//! each, so the sweep that ends them reads a short table instead of the log. A decision leaves
//! the table when its reversal is recorded, whoever made it (a moderator, or the sweep), and
//! when its object (an event) is deleted. Events, profiles, groups, accounts and other
//! instances' actors and domains have timed decisions.

use crate::error::Error;
use crate::log::StoredEvent;
use crate::projection::{Applying, Projection};
use async_trait::async_trait;
use convene_domain::moderation::{AccountAction, ContentAction};
use convene_domain::{
    Account, AccountChange, Event, EventChange, Group, GroupChange, Profile, ProfileChange,
    RemoteActor, RemoteActorChange, RemoteDomain, RemoteDomainChange,
};
use cqrs_es::Aggregate;
use sqlx::{AnyConnection, AnyPool, Row};

pub struct DecisionTimersProjection;

#[async_trait]
impl Projection for DecisionTimersProjection {
    fn name(&self) -> &'static str {
        crate::read_model::DECISION_TIMERS
    }

    fn tables(&self) -> &'static [&'static str] {
        &["decision_timers"]
    }

    fn concerns(&self, event: &StoredEvent) -> bool {
        fn is<T: serde::de::DeserializeOwned>(event: &StoredEvent, test: fn(&T) -> bool) -> bool {
            // What does not read is left to `apply`, which says why.
            event.change::<T>().map_or(true, |change| test(&change))
        }
        // Moderation decisions, and an event's deletion (which ends its timers).
        match event.aggregate_type.as_str() {
            t if t == Event::TYPE => is(event, |c: &EventChange| {
                matches!(c, EventChange::Moderated { .. } | EventChange::Deleted)
            }),
            t if t == Profile::TYPE => is(event, |c: &ProfileChange| {
                matches!(c, ProfileChange::Moderated { .. })
            }),
            t if t == Group::TYPE => is(event, |c: &GroupChange| {
                matches!(c, GroupChange::Moderated { .. })
            }),
            t if t == Account::TYPE => is(event, |c: &AccountChange| {
                matches!(c, AccountChange::Moderated { .. })
            }),
            t if t == RemoteActor::TYPE => is(event, |c: &RemoteActorChange| {
                matches!(c, RemoteActorChange::Moderated { .. })
            }),
            t if t == RemoteDomain::TYPE => is(event, |c: &RemoteDomainChange| {
                matches!(c, RemoteDomainChange::Moderated { .. })
            }),
            _ => false,
        }
    }

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        let on = Applying::of(event)?;
        let unreadable = |e: serde_json::Error| on.unreadable(e);
        // Each timed decision as (its key, whether it starts a timer, the action as written,
        // the decision); a reversal clears the timer of what it undoes.
        let (key, starts, action, decision) = match event.aggregate_type.as_str() {
            t if t == Event::TYPE => match event.change::<EventChange>()? {
                EventChange::Moderated { action, decision } => {
                    let starts = action.reversal().is_some();
                    let key = if starts {
                        action_key(&action)
                    } else {
                        reversed_key(&action)
                    };
                    let text = serde_json::to_string(&action).map_err(unreadable)?;
                    (key, starts, text, decision)
                }
                EventChange::Deleted => return forget(conn, event).await,
                _ => return Ok(()),
            },
            t if t == Profile::TYPE => match event.change::<ProfileChange>()? {
                // A suspension and a limit each have their timer.
                ProfileChange::Moderated { action, decision } => {
                    let text = serde_json::to_string(&action).map_err(unreadable)?;
                    let starts = action.reversal().is_some();
                    let key = if action.on_suspension() {
                        "suspend"
                    } else {
                        "limit"
                    };
                    (key.to_string(), starts, text, decision)
                }
                _ => return Ok(()),
            },
            t if t == Group::TYPE => match event.change::<GroupChange>()? {
                GroupChange::Moderated { action, decision } => {
                    let text = serde_json::to_string(&action).map_err(unreadable)?;
                    let starts = action.reversal().is_some();
                    ("suspend".to_string(), starts, text, decision)
                }
                _ => return Ok(()),
            },
            t if t == Account::TYPE => match event.change::<AccountChange>()? {
                // A warning does not last, and a lock-out ends with a new password: no timer.
                AccountChange::Moderated {
                    action: AccountAction::Warn | AccountAction::LockOut,
                    ..
                } => return Ok(()),
                AccountChange::Moderated { action, decision } => {
                    let text = serde_json::to_string(&action).map_err(unreadable)?;
                    let starts = action.reversal().is_some();
                    // A suspension and a limit stand apart, each with its own timer.
                    let key = match action {
                        AccountAction::Limit | AccountAction::Unlimit => "limit",
                        _ => "suspend",
                    };
                    (key.to_string(), starts, text, decision)
                }
                _ => return Ok(()),
            },
            t if t == RemoteActor::TYPE => {
                let RemoteActorChange::Moderated {
                    action, decision, ..
                } = event.change::<RemoteActorChange>()?
                else {
                    return Ok(());
                };
                let text = serde_json::to_string(&action).map_err(unreadable)?;
                let starts = action.reversal().is_some();
                ("suspend".to_string(), starts, text, decision)
            }
            t if t == RemoteDomain::TYPE => {
                let RemoteDomainChange::Moderated {
                    action, decision, ..
                } = event.change::<RemoteDomainChange>()?
                else {
                    return Ok(());
                };
                let text = serde_json::to_string(&action).map_err(unreadable)?;
                // Suspending and limiting replace each other: one timer per domain for them,
                // and one per policy.
                let starts = action.reversal().is_some();
                let key = action
                    .policy()
                    .map_or("domain", |(policy, _)| policy.as_str());
                (key.to_string(), starts, text, decision)
            }
            _ => return Ok(()),
        };
        clear(conn, event, &key).await?;
        if let (true, Some(until)) = (starts, decision.until) {
            sqlx::query(
                "INSERT INTO decision_timers (aggregate_type, aggregate_id, action_key, \
                 action, until, report, position) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&event.aggregate_type)
            .bind(on.id)
            .bind(&key)
            .bind(action)
            .bind(until)
            .bind(decision.report)
            .bind(event.position)
            .execute(conn)
            .await?;
        }
        Ok(())
    }
}

/// A deleted object's timers go with it.
async fn forget(conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
    sqlx::query("DELETE FROM decision_timers WHERE aggregate_type = $1 AND aggregate_id = $2")
        .bind(&event.aggregate_type)
        .bind(&event.aggregate_id)
        .execute(conn)
        .await?;
    Ok(())
}

async fn clear(conn: &mut AnyConnection, event: &StoredEvent, key: &str) -> Result<(), Error> {
    sqlx::query(
        "DELETE FROM decision_timers WHERE aggregate_type = $1 AND aggregate_id = $2 \
         AND action_key = $3",
    )
    .bind(&event.aggregate_type)
    .bind(&event.aggregate_id)
    .bind(key)
    .execute(conn)
    .await?;
    Ok(())
}

/// The name of a decision that can end, within its object: one comment's removal is apart from
/// another's.
fn action_key(action: &ContentAction) -> String {
    match action {
        ContentAction::RemoveComment { comment } => format!("remove_comment:{comment}"),
        other => other.change_name().to_string(),
    }
}

/// The key of the decision a reversal undoes.
fn reversed_key(action: &ContentAction) -> String {
    let undone = match action {
        ContentAction::Unhide => ContentAction::Hide,
        ContentAction::Restore => ContentAction::Remove,
        ContentAction::ReopenComments => ContentAction::CloseComments,
        ContentAction::RestoreComment { comment } => ContentAction::RemoveComment {
            comment: comment.clone(),
        },
        other => other.clone(),
    };
    action_key(&undone)
}

/// A timed decision whose end has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDecision {
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// The decision's action, as the domain writes it.
    pub action: String,
    pub until: String,
    pub report: Option<String>,
    /// The log position of the decision.
    pub position: i64,
}

/// Up to `limit` timed decisions ending at or before `now` (fixed-width UTC), soonest first.
pub async fn due(pool: &AnyPool, now: &str, limit: i64) -> Result<Vec<DueDecision>, Error> {
    let rows = sqlx::query(
        "SELECT aggregate_type, aggregate_id, action, until, report, position FROM decision_timers \
         WHERE until <= $1 ORDER BY until, position LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DueDecision {
                aggregate_type: row.try_get("aggregate_type")?,
                aggregate_id: row.try_get("aggregate_id")?,
                action: row.try_get("action")?,
                until: row.try_get("until")?,
                report: row.try_get("report")?,
                position: row.try_get("position")?,
            })
        })
        .collect()
}
