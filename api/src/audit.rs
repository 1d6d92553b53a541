//! The audit trail: the log itself, filtered for moderators by acting account, object, kind of
//! change and time, newest first. Each entry carries its reason, the report it answers, and what
//! the change changed in its object, before and after, folded from that object's own changes
//! (nothing is stored twice). A suspension also shows what it hides: the content of whom it
//! suspends, as the read models hold it now.

use crate::auth::Session;
use crate::error::{Error, Result};
use crate::objects;
use crate::reports::require_moderator;
use crate::AppState;
use convene_domain::metadata::{format_timestamp, parse_timestamp};
use convene_domain::{
    Account, Claim, Event, Group, Instance, Profile, RemoteActor, RemoteDomain, Report,
};
use convene_projections::domains;
use convene_projections::log::{AuditFilter, EventLog, StoredEvent};
use convene_projections::sent::{self, NamedEvent, Sender, SentCounts};
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;

/// The sources a change is recorded from, as its metadata names them.
const SOURCES: [&str; 5] = ["web", "api", "cli", "schedule", "federation"];

/// Entries on one page.
pub const PAGE_SIZE: i64 = 20;
/// The last page asked for, so an offset never overflows.
const PAGE_MAX: i64 = 100_000;

/// The kinds of object the trail is filtered by, and their aggregates.
const KINDS: [(&str, &str); 9] = [
    ("event", Event::TYPE),
    ("profile", Profile::TYPE),
    ("group", Group::TYPE),
    ("account", Account::TYPE),
    ("report", Report::TYPE),
    ("name", Claim::TYPE),
    ("domain", RemoteDomain::TYPE),
    ("actor", RemoteActor::TYPE),
    ("instance", Instance::TYPE),
];

/// The audit trail's filters, as asked (every one optional).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// The acting account's id.
    pub account: Option<String>,
    /// The profile it acted as (a username).
    pub profile: Option<String>,
    /// Where changes came from: web, api, cli, schedule or federation.
    pub source: Option<String>,
    /// Every change made by one request (or one revert, or one incoming activity).
    pub request_id: Option<String>,
    /// event, profile, group, account, report, name, domain, actor or instance.
    pub target_kind: Option<String>,
    /// The object's id (with `target_kind`).
    pub target_id: Option<String>,
    /// A change's name, such as EventHidden, CommentRemoved or AccountSuspended.
    pub change: Option<String>,
    /// Recorded at or after this time (RFC 3339).
    pub from: Option<String>,
    /// Recorded before this time (RFC 3339).
    pub to: Option<String>,
    /// From 1.
    pub page: Option<i64>,
}

/// One change in the trail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub position: i64,
    pub at: String,
    /// Such as EventHidden or ReportResolved.
    pub change: String,
    /// event, profile, group, account, report, name, domain, actor or instance.
    pub target_kind: String,
    pub target_id: String,
    /// `account ID as @username`, `anonymous`, `system` or a remote actor's id.
    pub actor: String,
    pub source: String,
    pub request_id: String,
    pub reason: Option<String>,
    /// The report the change answers (a moderation decision's, or the report's own changes).
    pub report: Option<String>,
    /// What the change changed in the object, as it was (events, profiles and groups: only the
    /// fields that differ and, in lists, the items that went; none for its first change).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// The same, as it became (the items that came; the whole object for its first change).
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    /// For a suspension (of a profile, an account, a group, another instance's actor or a
    /// domain): the content it covers, hidden while it is in force.
    pub hides: Option<Hides>,
}

/// The content a suspension covers, as the read models hold it now: hidden while the decision
/// is in force, shown again once it is lifted.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Hides {
    /// Events, comments, and what of them moderators removed besides.
    pub counts: SentCounts,
    /// The first events, soonest first.
    pub events: Vec<NamedEvent>,
}

/// The most events an entry names.
const HIDDEN_NAMED: i64 = 10;

/// What the suspension `stored` records hides, when it is one.
async fn hides(state: &AppState, stored: &StoredEvent) -> Result<Option<Hides>> {
    let id = stored.aggregate_id.as_str();
    let pool = state.db.pool();
    let handle;
    let whose = match stored.event_type.as_str() {
        "ProfileSuspended" => Sender::Profile(id),
        "AccountSuspended" => Sender::Account(id),
        "GroupSuspended" => Sender::Group(id),
        "DomainSuspended" => Sender::Domain(id),
        "RemoteActorSuspended" => {
            handle = domains::remote_handle(pool, id).await?.unwrap_or_default();
            Sender::Actor {
                url: id,
                handle: &handle,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(Hides {
        counts: sent::counts(pool, whose).await?,
        events: sent::named_events(pool, whose, HIDDEN_NAMED).await?,
    }))
}

/// One page of the trail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditPage {
    pub page: i64,
    pub entries: Vec<AuditEntry>,
    /// Whether a next page may hold more.
    pub more: bool,
}

fn blank(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn time(field: &str, value: Option<String>) -> Result<Option<String>> {
    blank(value)
        .map(|text| {
            parse_timestamp(&text).map(format_timestamp).map_err(|_| {
                Error::invalid_field(
                    field,
                    "a date and time with its offset, such as 2026-06-01T12:00:00Z",
                )
            })
        })
        .transpose()
}

/// The filter `query` asks for, or the field at fault.
fn filter(query: AuditQuery) -> Result<(AuditFilter, i64)> {
    let kind = blank(query.target_kind);
    let aggregate_type = match kind.as_deref() {
        Some(kind) => Some(
            KINDS
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, t)| t.to_string())
                .ok_or_else(|| {
                    let names: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
                    Error::invalid_field(
                        "target_kind",
                        format!("`{kind}` is not one of {}", names.join(", ")),
                    )
                })?,
        ),
        None => None,
    };
    let aggregate_id = blank(query.target_id);
    if aggregate_id.is_some() && aggregate_type.is_none() {
        return Err(Error::invalid_field(
            "target_kind",
            "name the kind of object the id is of",
        ));
    }
    let change = blank(query.change);
    if let Some(change) = &change {
        if change.len() > 100 || !change.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::invalid_field(
                "change",
                "a change's name, such as EventHidden",
            ));
        }
    }
    let source = blank(query.source);
    if let Some(source) = &source {
        if !SOURCES.contains(&source.as_str()) {
            return Err(Error::invalid_field(
                "source",
                format!("`{source}` is not one of {}", SOURCES.join(", ")),
            ));
        }
    }
    let request_id = blank(query.request_id);
    if request_id.as_ref().is_some_and(|id| id.len() > 200) {
        return Err(Error::invalid_field(
            "request_id",
            "a request id is at most 200 characters",
        ));
    }
    let from = time("from", query.from)?;
    let to = time("to", query.to)?;
    if let (Some(from), Some(to)) = (&from, &to) {
        if from >= to {
            return Err(Error::invalid_field("to", "the end comes after the start"));
        }
    }
    let page = query.page.unwrap_or(1);
    if !(1..=PAGE_MAX).contains(&page) {
        return Err(Error::invalid_field(
            "page",
            format!("pages are counted from 1 to {PAGE_MAX}"),
        ));
    }
    let filter = AuditFilter {
        account: blank(query.account),
        profile: blank(query.profile).map(|p| p.trim_start_matches('@').to_string()),
        source,
        request_id,
        aggregate_type,
        aggregate_id,
        event_type: change,
        from,
        to,
    };
    Ok((filter, page))
}

/// The name the trail gives an aggregate type.
pub(crate) fn kind_of(aggregate_type: &str) -> String {
    KINDS
        .iter()
        .find(|(_, t)| *t == aggregate_type)
        .map_or_else(|| aggregate_type.to_lowercase(), |(k, _)| k.to_string())
}

/// The report a change answers: a decision's `report`, or the report itself.
pub(crate) fn report_of(stored: &StoredEvent) -> Option<String> {
    if stored.aggregate_type == Report::TYPE {
        return Some(stored.aggregate_id.clone());
    }
    let payload: Value = serde_json::from_str(&stored.payload).ok()?;
    let (_, change) = payload.as_object()?.iter().next()?;
    change["decision"]["report"].as_str().map(str::to_string)
}

/// One page of the trail, newest first (moderators and administrators).
pub async fn trail(state: &AppState, session: &Session, query: AuditQuery) -> Result<AuditPage> {
    require_moderator(session)?;
    let (filter, page) = filter(query)?;
    let log = EventLog::new(&state.db);
    let mut found = log
        .audit(&filter, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
        .await?;
    let more = found.len() as i64 > PAGE_SIZE;
    found.truncate(PAGE_SIZE as usize);
    // Each object on the page is folded once, up to its last change shown.
    let mut on_page: BTreeMap<(&str, &str), BTreeSet<i64>> = BTreeMap::new();
    for stored in &found {
        on_page
            .entry((&stored.aggregate_type, &stored.aggregate_id))
            .or_default()
            .insert(stored.position);
    }
    let mut states = BTreeMap::new();
    for ((aggregate_type, id), positions) in &on_page {
        let kind = kind_of(aggregate_type);
        if !objects::KINDS.contains(&kind.as_str()) {
            continue;
        }
        let last = positions.last().copied().unwrap_or_default();
        let history = log.aggregate_until(aggregate_type, id, last).await?;
        states.extend(objects::around(&kind, &history, positions)?);
    }
    let mut entries = Vec::with_capacity(found.len());
    for stored in &found {
        let (before, after) = match states.remove(&stored.position) {
            Some((before, after)) => (before, Some(after)),
            None => (None, None),
        };
        let change = objects::change(stored)?;
        entries.push(AuditEntry {
            position: stored.position,
            at: change.at,
            change: change.change,
            target_kind: kind_of(&stored.aggregate_type),
            target_id: stored.aggregate_id.clone(),
            actor: change.actor,
            source: change.source,
            request_id: change.request_id,
            reason: change.reason,
            report: report_of(stored),
            before,
            after,
            hides: hides(state, stored).await?,
        });
    }
    Ok(AuditPage {
        page,
        entries,
        more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_filters_name_the_field_at_fault() {
        let field = |query: AuditQuery| {
            filter(query).expect_err("refused").field_errors()[0]
                .field
                .clone()
        };
        let q = AuditQuery::default;
        assert_eq!(
            field(AuditQuery {
                target_kind: Some("planet".into()),
                ..q()
            }),
            "target_kind"
        );
        assert_eq!(
            field(AuditQuery {
                target_id: Some("e1".into()),
                ..q()
            }),
            "target_kind"
        );
        assert_eq!(
            field(AuditQuery {
                change: Some("Event Hidden; DROP".into()),
                ..q()
            }),
            "change"
        );
        assert_eq!(
            field(AuditQuery {
                from: Some("yesterday".into()),
                ..q()
            }),
            "from"
        );
        assert_eq!(
            field(AuditQuery {
                from: Some("2026-02-01T00:00:00Z".into()),
                to: Some("2026-01-01T00:00:00Z".into()),
                ..q()
            }),
            "to"
        );
        assert_eq!(
            field(AuditQuery {
                source: Some("carrier pigeon".into()),
                ..q()
            }),
            "source"
        );
        assert_eq!(
            field(AuditQuery {
                page: Some(0),
                ..q()
            }),
            "page"
        );
    }

    #[test]
    fn blank_filters_are_no_filters() {
        let (filter, page) = filter(AuditQuery {
            account: Some(" ".into()),
            target_kind: Some("".into()),
            ..AuditQuery::default()
        })
        .expect("accepted");
        assert_eq!(filter, AuditFilter::default());
        assert_eq!(page, 1);
    }
}
