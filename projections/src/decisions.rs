//! The `decision_timers` read model: the moderators' timed decisions still in force, one row
//! each, so the sweep that ends them reads a short table instead of the log. A decision leaves
//! the table when its reversal is recorded, whoever made it (a moderator, or the sweep), and
//! when its object is deleted.

use crate::error::Error;
use crate::log::StoredEvent;
use crate::projection::{Applying, Projection};
use async_trait::async_trait;
use convene_domain::moderation::ContentAction;
use convene_domain::{Event, EventChange};
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

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        if event.aggregate_type != Event::TYPE {
            return Ok(());
        }
        let on = Applying::of(event)?;
        match event.change::<EventChange>()? {
            EventChange::Moderated { action, decision } => {
                let (key, ends) = match action.reversal() {
                    Some(_) => (action_key(&action), true),
                    None => (reversed_key(&action), false),
                };
                clear(conn, event, &key).await?;
                if let (true, Some(until)) = (ends, decision.until) {
                    let text = serde_json::to_string(&action).map_err(|e| on.unreadable(e))?;
                    sqlx::query(
                        "INSERT INTO decision_timers (aggregate_type, aggregate_id, action_key, \
                         action, until, report, position) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&event.aggregate_type)
                    .bind(on.id)
                    .bind(&key)
                    .bind(text)
                    .bind(until)
                    .bind(decision.report)
                    .bind(event.position)
                    .execute(conn)
                    .await?;
                }
            }
            EventChange::Deleted => {
                sqlx::query(
                    "DELETE FROM decision_timers WHERE aggregate_type = $1 AND aggregate_id = $2",
                )
                .bind(&event.aggregate_type)
                .bind(on.id)
                .execute(conn)
                .await?;
            }
            _ => {}
        }
        Ok(())
    }
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
}

/// Up to `limit` timed decisions ending at or before `now` (fixed-width UTC), soonest first.
pub async fn due(pool: &AnyPool, now: &str, limit: i64) -> Result<Vec<DueDecision>, Error> {
    let rows = sqlx::query(
        "SELECT aggregate_type, aggregate_id, action, until, report FROM decision_timers \
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
            })
        })
        .collect()
}
