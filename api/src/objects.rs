//! Any object as it was: an aggregate folded from its own changes up to a log position (never a
//! replay of the whole log), with the list of those changes and who made each. Moderators read
//! reports' evidence through it, so a reported object shows as it was when reported.

use crate::error::{Error, Result};
use crate::AppState;
use convene_domain::metadata::format_timestamp;
use convene_domain::moderation::ContentAction;
use convene_domain::{Event, EventChange, Group, Instance, Profile};
use convene_projections::log::{EventLog, StoredEvent};
use cqrs_es::Aggregate;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// The kinds of object that can be folded, as named in paths.
pub const KINDS: [&str; 4] = ["event", "profile", "group", "instance"];

/// One change of the object, with who made it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObjectChange {
    pub position: i64,
    pub at: String,
    /// Such as EventPublished or CommentPosted.
    pub change: String,
    /// `account ID as @username`, `anonymous`, `system` or a remote actor's id: moderators see
    /// accounts.
    pub actor: String,
    /// web, api, cli, or federation (with the activity id).
    pub source: String,
    pub request_id: String,
    pub reason: Option<String>,
}

/// A comment as it was.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentAsOf {
    pub id: String,
    pub author: String,
    pub body: String,
    pub deleted: bool,
    /// Removed by the instance's moderators (its body is kept here as evidence).
    pub removed: bool,
}

/// An object folded up to a log position.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObjectAsOf {
    /// event, profile or group.
    pub kind: String,
    pub id: String,
    /// The position it is shown as of.
    pub position: i64,
    /// The aggregate's state at that position, as the domain keeps it.
    #[schema(value_type = Object)]
    pub state: Value,
    /// An event's comments as they read then (with deleted ones, for moderators).
    pub comments: Vec<CommentAsOf>,
    /// Its changes up to that position, oldest first.
    pub changes: Vec<ObjectChange>,
}

fn fold<A: Aggregate>(log: &[StoredEvent]) -> Result<Value> {
    let mut aggregate = A::default();
    for stored in log {
        aggregate.apply(stored.change::<A::Event>()?);
    }
    shown(&aggregate)
}

fn shown<A: Aggregate>(aggregate: &A) -> Result<Value> {
    let mut state = serde_json::to_value(aggregate).map_err(Error::internal)?;
    redact(&mut state);
    Ok(state)
}

/// What each change of `log` at `positions` changed in the object of `kind`, in one fold of
/// `log` (its own changes, in order): the parts that differ, as they were before and as they are
/// after; for its first change, no before and the whole object after. Empty for kinds that are
/// not shown.
pub(crate) fn around(
    kind: &str,
    log: &[StoredEvent],
    positions: &BTreeSet<i64>,
) -> Result<BTreeMap<i64, (Option<Value>, Value)>> {
    match kind {
        "event" => walk::<Event>(log, positions),
        "profile" => walk::<Profile>(log, positions),
        "group" => walk::<Group>(log, positions),
        "instance" => walk::<Instance>(log, positions),
        _ => Ok(BTreeMap::new()),
    }
}

fn walk<A: Aggregate>(
    log: &[StoredEvent],
    positions: &BTreeSet<i64>,
) -> Result<BTreeMap<i64, (Option<Value>, Value)>> {
    let mut aggregate = A::default();
    let mut states = BTreeMap::new();
    // The state after the change just before, when it was shown: consecutive changes share it.
    let mut last: Option<Value> = None;
    for (i, stored) in log.iter().enumerate() {
        let wanted = positions.contains(&stored.position);
        let before = match (wanted && i > 0, last.take()) {
            (true, Some(shown)) => Some(shown),
            (true, None) => Some(shown(&aggregate)?),
            (false, _) => None,
        };
        aggregate.apply(stored.change::<A::Event>()?);
        if wanted {
            let after = shown(&aggregate)?;
            last = Some(after.clone());
            let (before, after) = match before {
                Some(before) => {
                    let (before, after) = difference(&before, &after);
                    (Some(before), after)
                }
                None => (None, after),
            };
            states.insert(stored.position, (before, after));
        }
    }
    Ok(states)
}

/// What differs between two states, each side with only its own: the fields that changed
/// (nested objects compared field by field) and, in lists, the items between the part both
/// start with and the part both end with. An event with thousands of participations shows the
/// one that joined.
fn difference(before: &Value, after: &Value) -> (Value, Value) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let (mut left, mut right) = (serde_json::Map::new(), serde_json::Map::new());
            let keys: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
            for key in keys {
                let (old, new) = (
                    b.get(key).unwrap_or(&Value::Null),
                    a.get(key).unwrap_or(&Value::Null),
                );
                if old != new {
                    let (old, new) = difference(old, new);
                    left.insert(key.clone(), old);
                    right.insert(key.clone(), new);
                }
            }
            (Value::Object(left), Value::Object(right))
        }
        // A change adds, removes or edits items in one place of a list: what lies between the
        // common start and the common end is each side's own.
        (Value::Array(b), Value::Array(a)) => {
            let start = b.iter().zip(a).take_while(|(x, y)| x == y).count();
            let end = b[start..]
                .iter()
                .rev()
                .zip(a[start..].iter().rev())
                .take_while(|(x, y)| x == y)
                .count();
            (
                Value::Array(b[start..b.len() - end].to_vec()),
                Value::Array(a[start..a.len() - end].to_vec()),
            )
        }
        _ => (before.clone(), after.clone()),
    }
}

/// What moderators never need to see of an object, at any depth: anonymous participants'
/// addresses and the hashes of their mailed tokens.
const PRIVATE_FIELDS: [&str; 3] = ["email", "confirm_token", "cancel_token"];

fn redact(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                if PRIVATE_FIELDS.contains(&name.as_str()) {
                    if !field.is_null() {
                        *field = Value::String("(hidden)".into());
                    }
                } else {
                    redact(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// Comments of an event's changes as they read at the end of `log`.
fn comments(log: &[StoredEvent]) -> Result<Vec<CommentAsOf>> {
    let mut comments: Vec<CommentAsOf> = Vec::new();
    for stored in log {
        match stored.change::<EventChange>()? {
            EventChange::CommentPosted {
                comment,
                author,
                body,
                ..
            } => comments.push(CommentAsOf {
                id: comment,
                author,
                body,
                deleted: false,
                removed: false,
            }),
            EventChange::CommentEdited { comment, body } => {
                if let Some(c) = comments.iter_mut().find(|c| c.id == comment) {
                    c.body = body;
                }
            }
            EventChange::CommentDeleted { comment } => {
                if let Some(c) = comments.iter_mut().find(|c| c.id == comment) {
                    c.deleted = true;
                }
            }
            EventChange::Moderated { action, .. } => {
                let (comment, removed) = match action {
                    ContentAction::RemoveComment { comment } => (comment, true),
                    ContentAction::RestoreComment { comment } => (comment, false),
                    _ => continue,
                };
                if let Some(c) = comments.iter_mut().find(|c| c.id == comment) {
                    c.removed = removed;
                }
            }
            _ => {}
        }
    }
    Ok(comments)
}

pub(crate) fn change(stored: &StoredEvent) -> Result<ObjectChange> {
    let metadata = stored.metadata()?;
    Ok(ObjectChange {
        position: stored.position,
        at: format_timestamp(metadata.recorded_at),
        change: stored.event_type.clone(),
        actor: metadata.actor.to_string(),
        source: metadata.source.to_string(),
        request_id: metadata.request_id,
        reason: metadata.reason,
    })
}

/// Object `id` of `kind` as it was at `position` (the log's head when none). For moderators
/// only: the caller has checked the role.
pub async fn as_of(
    state: &AppState,
    kind: &str,
    id: &str,
    position: Option<i64>,
) -> Result<ObjectAsOf> {
    let log = EventLog::new(&state.db);
    let head = log.head().await?.position;
    let position = match position {
        Some(p) if p < 0 || p > head => {
            return Err(Error::invalid_field(
                "at",
                format!("a log position is 0 to {head} (the log's head)"),
            ))
        }
        Some(p) => p,
        None => head,
    };
    let aggregate_type = match kind {
        "event" => Event::TYPE,
        "profile" => Profile::TYPE,
        "group" => Group::TYPE,
        "instance" => Instance::TYPE,
        _ => {
            return Err(Error::invalid_field(
                "kind",
                format!("one of {}", KINDS.join(", ")),
            ))
        }
    };
    let changes = log.aggregate_until(aggregate_type, id, position).await?;
    if changes.is_empty() {
        return Err(Error::not_found(format!(
            "there was no {kind} {id} at position {position}"
        )));
    }
    let (state_then, comments) = match kind {
        "event" => (fold::<Event>(&changes)?, comments(&changes)?),
        "profile" => (fold::<Profile>(&changes)?, Vec::new()),
        "instance" => (fold::<Instance>(&changes)?, Vec::new()),
        _ => (fold::<Group>(&changes)?, Vec::new()),
    };
    Ok(ObjectAsOf {
        kind: kind.to_string(),
        id: id.to_string(),
        position,
        state: state_then,
        comments,
        changes: changes.iter().map(change).collect::<Result<_>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn anonymous_addresses_and_token_hashes_are_hidden_at_any_depth() {
        let mut state = json!({"participations": [
            {"who": {"Anonymous": {"email": "zoe@example.org"}}, "confirm_token": "ab12", "cancel_token": null},
            {"who": {"Profile": "ana"}, "confirm_token": null}
        ]});
        redact(&mut state);
        assert_eq!(
            state,
            json!({"participations": [
                {"who": {"Anonymous": {"email": "(hidden)"}}, "confirm_token": "(hidden)", "cancel_token": null},
                {"who": {"Profile": "ana"}, "confirm_token": null}
            ]})
        );
    }
}

#[cfg(test)]
mod difference_tests {
    use super::difference;
    use serde_json::json;

    #[test]
    fn only_what_changed_is_kept_on_each_side() {
        let before = json!({"details": {"title": "Walk", "capacity": 2}, "draft": false,
                            "participations": [{"id": "p1"}, {"id": "p2"}, {"id": "p3"}]});
        // One left, from the middle of the list.
        let after = json!({"details": {"title": "Night walk", "capacity": 2}, "draft": false,
                           "participations": [{"id": "p1"}, {"id": "p3"}]});
        let (old, new) = difference(&before, &after);
        assert_eq!(
            old,
            json!({"details": {"title": "Walk"}, "participations": [{"id": "p2"}]})
        );
        assert_eq!(
            new,
            json!({"details": {"title": "Night walk"}, "participations": []})
        );
        // One joined, at the end.
        let (old, new) = difference(
            &json!({"participations": [{"id": "p1"}]}),
            &json!({"participations": [{"id": "p1"}, {"id": "p2"}]}),
        );
        assert_eq!(old, json!({"participations": []}));
        assert_eq!(new, json!({"participations": [{"id": "p2"}]}));
        let (old, new) = difference(&before, &before);
        assert_eq!((old, new), (json!({}), json!({})));
    }
}
