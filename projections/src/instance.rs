//! The instance's own read models: `instance_settings` (the settings its administrators last
//! saved) and `transparency_entries` (the moderation decisions a public transparency log may
//! show: content, profile, group, account, remote actor and domain decisions, never warnings, lock-outs, reports or
//! reverts). What an entry shows to the public is decided when it is read, from the settings in
//! force, so turning the log on, off or naming the moderators needs no replay.

use crate::error::Error;
use crate::log::StoredEvent;
use crate::projection::{Applying, Projection};
use async_trait::async_trait;
use convene_domain::instance::{InstanceSettings, INSTANCE_ID};
use convene_domain::moderation::{AccountAction, ContentAction, Decision};
use convene_domain::report::{Category, ReportChange};
use convene_domain::{
    Account, AccountChange, Event, EventChange, Group, GroupChange, Instance, InstanceChange,
    Profile, ProfileChange, RemoteActor, RemoteActorChange, RemoteDomain, RemoteDomainChange,
    Report,
};
use cqrs_es::Aggregate;
use sqlx::{AnyConnection, AnyPool, Row};

pub struct InstanceSettingsProjection;

#[async_trait]
impl Projection for InstanceSettingsProjection {
    fn name(&self) -> &'static str {
        crate::read_model::INSTANCE_SETTINGS
    }

    fn tables(&self) -> &'static [&'static str] {
        &["instance_settings"]
    }

    fn concerns(&self, event: &StoredEvent) -> bool {
        event.aggregate_type == Instance::TYPE
    }

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        let on = Applying::of(event)?;
        let change = event.change::<InstanceChange>()?;
        let json = serde_json::to_string(change.settings()).map_err(|e| on.unreadable(e))?;
        sqlx::query("DELETE FROM instance_settings WHERE id = $1")
            .bind(on.id)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO instance_settings (id, settings, changed_at, position) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(on.id)
        .bind(json)
        .bind(&on.at)
        .bind(on.position)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// The settings the administrators last saved; none before they first do.
pub async fn settings(pool: &AnyPool) -> Result<Option<InstanceSettings>, Error> {
    let row = sqlx::query("SELECT settings FROM instance_settings WHERE id = $1")
        .bind(INSTANCE_ID)
        .fetch_optional(pool)
        .await?;
    row.map(|row| {
        let text: String = row.try_get("settings")?;
        serde_json::from_str(&text).map_err(|e| Error::Unreadable {
            position: 0,
            reason: format!("the saved instance settings do not read: {e}"),
        })
    })
    .transpose()
}

pub struct TransparencyProjection;

/// A decision as the transparency table keeps it.
struct Entry {
    target_kind: &'static str,
    target_id: String,
    /// The event a comment belongs to.
    event_id: Option<String>,
    decision: Decision,
    public_comment: Option<String>,
}

/// Which decisions a change undoes, by the names the log gives them.
fn undoes(change: &str) -> &'static [&'static str] {
    match change {
        "EventUnhidden" => &["EventHidden"],
        "EventRestored" => &["EventRemoved"],
        "EventCommentsReopened" => &["EventCommentsClosed"],
        "CommentRestored" => &["CommentRemoved"],
        "ProfileUnsuspended" => &["ProfileSuspended"],
        "ProfileUnlimited" => &["ProfileLimited"],
        "GroupUnsuspended" => &["GroupSuspended"],
        "RemoteActorUnsuspended" => &["RemoteActorSuspended"],
        "RemoteActorContentRestored" => &["RemoteActorContentRemoved"],
        "DomainContentRestored" => &["DomainContentRemoved"],
        "AccountUnsuspended" => &["AccountSuspended"],
        "AccountUnlimited" => &["AccountLimited"],
        "DomainLifted" => &["DomainSuspended", "DomainLimited"],
        "DomainMediaAccepted" => &["DomainMediaRejected"],
        "DomainReportsAccepted" => &["DomainReportsRejected"],
        _ => &[],
    }
}

/// The decision `event` records, if a transparency log may show it.
fn entry(event: &StoredEvent) -> Result<Option<Entry>, Error> {
    let entry = match event.aggregate_type.as_str() {
        t if t == Event::TYPE => match event.change::<EventChange>()? {
            EventChange::Moderated { action, decision } => Some(match action {
                ContentAction::RemoveComment { comment }
                | ContentAction::RestoreComment { comment } => Entry {
                    target_kind: "comment",
                    target_id: comment,
                    event_id: Some(event.aggregate_id.clone()),
                    decision,
                    public_comment: None,
                },
                _ => Entry {
                    target_kind: "event",
                    target_id: event.aggregate_id.clone(),
                    event_id: None,
                    decision,
                    public_comment: None,
                },
            }),
            _ => None,
        },
        t if t == Group::TYPE => match event.change::<GroupChange>()? {
            GroupChange::Moderated { decision, .. } => Some(Entry {
                target_kind: "group",
                target_id: event.aggregate_id.clone(),
                event_id: None,
                decision,
                public_comment: None,
            }),
            _ => None,
        },
        t if t == Profile::TYPE => match event.change::<ProfileChange>()? {
            ProfileChange::Moderated { decision, .. } => Some(Entry {
                target_kind: "profile",
                target_id: event.aggregate_id.clone(),
                event_id: None,
                decision,
                public_comment: None,
            }),
            _ => None,
        },
        // Warnings and lock-outs concern one person, not the public.
        t if t == Account::TYPE => match event.change::<AccountChange>()? {
            AccountChange::Moderated {
                action:
                    AccountAction::Suspend
                    | AccountAction::Unsuspend
                    | AccountAction::Limit
                    | AccountAction::Unlimit,
                decision,
            } => Some(Entry {
                target_kind: "account",
                target_id: event.aggregate_id.clone(),
                event_id: None,
                decision,
                public_comment: None,
            }),
            _ => None,
        },
        t if t == RemoteActor::TYPE => {
            let (RemoteActorChange::Moderated { decision, .. }
            | RemoteActorChange::ContentDecided { decision, .. }) =
                event.change::<RemoteActorChange>()?;
            Some(Entry {
                target_kind: "actor",
                target_id: event.aggregate_id.clone(),
                event_id: None,
                decision,
                public_comment: None,
            })
        }
        t if t == RemoteDomain::TYPE => {
            let (decision, public_comment) = match event.change::<RemoteDomainChange>()? {
                RemoteDomainChange::Moderated {
                    decision,
                    public_comment,
                    ..
                } => (decision, public_comment),
                RemoteDomainChange::ContentDecided { decision, .. } => {
                    let comment = decision.public_comment.clone();
                    (decision, comment)
                }
            };
            Some(Entry {
                target_kind: "domain",
                target_id: event.aggregate_id.clone(),
                event_id: None,
                decision,
                public_comment,
            })
        }
        _ => None,
    };
    Ok(entry)
}

/// The category and rules of the report a decision answers, from the report's filing.
async fn report_grounds(
    conn: &mut AnyConnection,
    report: &str,
) -> Result<(Option<String>, Option<String>), Error> {
    let row = sqlx::query(
        "SELECT CAST(payload AS TEXT) AS payload FROM event_log WHERE aggregate_type = $1 \
         AND aggregate_id = $2 \
         ORDER BY sequence LIMIT 1",
    )
    .bind(Report::TYPE)
    .bind(report)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else {
        return Ok((None, None));
    };
    let payload: String = row.try_get("payload")?;
    let Ok(ReportChange::Filed { category, .. }) = serde_json::from_str(&payload) else {
        return Ok((None, None));
    };
    let rules = match &category {
        Category::RuleViolation { rules } if !rules.is_empty() => Some(rules.join(",")),
        _ => None,
    };
    Ok((Some(category.as_str().to_string()), rules))
}

#[async_trait]
impl Projection for TransparencyProjection {
    fn name(&self) -> &'static str {
        crate::read_model::TRANSPARENCY
    }

    fn tables(&self) -> &'static [&'static str] {
        &["transparency_entries"]
    }

    fn concerns(&self, event: &StoredEvent) -> bool {
        // What does not read is left to `apply`, which says why.
        entry(event).map_or(true, |entry| entry.is_some())
    }

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        let Some(entry) = entry(event)? else {
            return Ok(());
        };
        let on = Applying::of(event)?;
        let (category, rules) = match &entry.decision.report {
            Some(report) => report_grounds(conn, report).await?,
            None => (None, None),
        };
        let public_comment = entry
            .public_comment
            .or_else(|| entry.decision.public_comment.clone());
        let undone = undoes(&event.event_type);
        let mut undoes_position: Option<i64> = None;
        if !undone.is_empty() {
            let placeholders: Vec<String> =
                (3..undone.len() + 3).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT position FROM transparency_entries WHERE target_kind = $1 \
                 AND target_id = $2 AND undone_by IS NULL AND change IN ({}) \
                 ORDER BY position DESC LIMIT 1",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql)
                .bind(entry.target_kind)
                .bind(&entry.target_id);
            for name in undone {
                query = query.bind(*name);
            }
            undoes_position = query
                .fetch_optional(&mut *conn)
                .await?
                .map(|row| row.try_get::<i64, _>("position"))
                .transpose()?;
            if let Some(position) = undoes_position {
                sqlx::query("UPDATE transparency_entries SET undone_by = $1 WHERE position = $2")
                    .bind(on.position)
                    .bind(position)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        sqlx::query(
            "INSERT INTO transparency_entries (position, decided_at, change, target_kind, \
             target_id, event_id, category, rules, public_comment, moderator, undoes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(on.position)
        .bind(&on.at)
        .bind(&event.event_type)
        .bind(entry.target_kind)
        .bind(&entry.target_id)
        .bind(entry.event_id)
        .bind(category)
        .bind(rules)
        .bind(public_comment)
        .bind(entry.decision.moderator)
        .bind(undoes_position)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// One decision in the transparency table, unredacted: the API redacts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransparencyRow {
    pub position: i64,
    pub decided_at: String,
    /// The change's name in the log: `EventRemoved`, `ProfileSuspended`, `DomainLifted`…
    pub change: String,
    /// `event`, `comment`, `profile`, `account` or `domain`.
    pub target_kind: String,
    pub target_id: String,
    pub event_id: Option<String>,
    /// The category of the report it answers, if any.
    pub category: Option<String>,
    /// The rule ids that report named.
    pub rules: Vec<String>,
    pub public_comment: Option<String>,
    /// The moderator's account id; none when the instance ended a timed decision.
    pub moderator: Option<String>,
    pub undoes: Option<i64>,
    pub undone_by: Option<i64>,
}

/// Up to `limit` decisions before `before` (a position; the newest when none), newest first.
pub async fn transparency(
    pool: &AnyPool,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<TransparencyRow>, Error> {
    let rows = sqlx::query(
        "SELECT position, decided_at, change, target_kind, target_id, event_id, category, \
         rules, public_comment, moderator, undoes, undone_by FROM transparency_entries \
         WHERE position < $1 ORDER BY position DESC LIMIT $2",
    )
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let rules: Option<String> = row.try_get("rules")?;
            Ok(TransparencyRow {
                position: row.try_get("position")?,
                decided_at: row.try_get("decided_at")?,
                change: row.try_get("change")?,
                target_kind: row.try_get("target_kind")?,
                target_id: row.try_get("target_id")?,
                event_id: row.try_get("event_id")?,
                category: row.try_get("category")?,
                rules: rules
                    .map(|r| r.split(',').map(str::to_string).collect())
                    .unwrap_or_default(),
                public_comment: row.try_get("public_comment")?,
                moderator: row.try_get("moderator")?,
                undoes: row.try_get("undoes")?,
                undone_by: row.try_get("undone_by")?,
            })
        })
        .collect()
}

/// The instance at a glance, for its moderators and administrators.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    /// Accounts that may log in (neither disabled nor waiting for approval).
    pub accounts: i64,
    pub registrations_waiting: i64,
    pub profiles: i64,
    /// Events organised here.
    pub local_events: i64,
    /// Events other instances sent.
    pub remote_events: i64,
    pub groups: i64,
    pub open_reports: i64,
    /// Other instances whose actors this one knows, by host.
    pub known_instances: i64,
    /// Deliveries to other instances refused, given up, or waiting for another try.
    pub deliveries_failing: i64,
}

pub async fn counts(pool: &AnyPool) -> Result<Counts, Error> {
    let count = |sql: &'static str| async move {
        let n: i64 = sqlx::query_scalar(sql).fetch_one(pool).await?;
        Ok::<i64, Error>(n)
    };
    let actors: Vec<String> = sqlx::query_scalar("SELECT id FROM remote_actors")
        .fetch_all(pool)
        .await?;
    let hosts: std::collections::BTreeSet<String> = actors
        .iter()
        .filter_map(|id| crate::domains::host_of_url(id))
        .collect();
    Ok(Counts {
        accounts: count(
            "SELECT COUNT(*) FROM accounts WHERE disabled = 0 AND awaiting_approval = 0",
        )
        .await?,
        registrations_waiting: count("SELECT COUNT(*) FROM accounts WHERE awaiting_approval = 1")
            .await?,
        profiles: count("SELECT COUNT(*) FROM profiles").await?,
        local_events: count("SELECT COUNT(*) FROM events WHERE origin_object IS NULL").await?,
        remote_events: count("SELECT COUNT(*) FROM events WHERE origin_object IS NOT NULL").await?,
        groups: count("SELECT COUNT(*) FROM groups").await?,
        open_reports: count("SELECT COUNT(*) FROM reports WHERE state = 'open'").await?,
        known_instances: hosts.len() as i64,
        deliveries_failing: count(
            "SELECT COUNT(*) FROM deliveries WHERE state IN ('failed', 'dead') \
             OR (state = 'pending' AND attempts > 0)",
        )
        .await?,
    })
}
