//! The `reports` read model: the moderators' queue, one row per report. The reporter is kept
//! for the mail telling them it was handled; the queue never shows it to the reported.

use crate::domains::host_of_url;
use crate::error::Error;
use crate::log::StoredEvent;
use crate::projection::{Applying, Projection};
use async_trait::async_trait;
use convene_domain::report::{ActorSnapshot, ReportChange, ReportState, SUMMARY_MAX};
use convene_domain::text::{plain_text, shorten};
use convene_domain::Report;
use cqrs_es::Aggregate;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

pub struct ReportsProjection;

#[async_trait]
impl Projection for ReportsProjection {
    fn name(&self) -> &'static str {
        crate::read_model::REPORTS
    }

    fn tables(&self) -> &'static [&'static str] {
        &["reports"]
    }

    fn concerns(&self, event: &StoredEvent) -> bool {
        event.aggregate_type == Report::TYPE
    }

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        let on = Applying::of(event)?;
        match event.change::<ReportChange>()? {
            ReportChange::Filed {
                reporter,
                target,
                category,
                comment,
                evidence,
                federated,
                ..
            } => {
                let received_from = federated.flag.as_deref().and_then(host_of_url);
                sqlx::query(
                    "INSERT INTO reports (id, state, category, target_kind, target_id, reporter, \
                     comment, evidence, filed_at, updated_at, instance, received_from) \
                     VALUES ($1, 'open', $2, $3, $4, $5, $6, $7, $8, $8, $9, $10)",
                )
                .bind(on.id)
                .bind(category.as_str())
                .bind(target.kind())
                .bind(target.aggregate_id())
                .bind(reporter)
                .bind(comment)
                .bind(evidence)
                .bind(&on.at)
                .bind(federated.instance)
                .bind(received_from)
                .execute(conn)
                .await?;
            }
            ReportChange::Assigned { moderator } => {
                set(conn, &on, "assignee", &moderator).await?;
            }
            ReportChange::NoteAdded { .. } => {}
            ReportChange::Resolved { .. } => {
                set(conn, &on, "state", ReportState::Resolved.as_str()).await?;
            }
            ReportChange::Closed { .. } => {
                set(conn, &on, "state", ReportState::Closed.as_str()).await?;
            }
        }
        Ok(())
    }
}

/// Sets one column of the report. `column` comes from this file, never from input.
async fn set(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    column: &'static str,
    value: &str,
) -> Result<(), Error> {
    sqlx::query(&format!(
        "UPDATE reports SET {column} = $1, updated_at = $2 WHERE id = $3"
    ))
    .bind(value)
    .bind(&on.at)
    .bind(on.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// One report in the moderators' queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportRow {
    pub id: String,
    /// open, resolved or closed.
    pub state: String,
    /// spam, illegal, rule_violation or other.
    pub category: String,
    /// profile, event, comments, group or remote_actor.
    pub target_kind: String,
    /// The username, event id (for comments too), group handle or actor URL.
    pub target_id: String,
    /// The reporting profile; none when anonymous.
    pub reporter: Option<String>,
    /// The moderator's account id.
    pub assignee: Option<String>,
    pub comment: String,
    pub evidence: i64,
    pub filed_at: String,
    pub updated_at: String,
    /// The instance the reported content comes from; none for this instance's.
    pub instance: Option<String>,
    /// The instance that sent the report (its reporter unnamed); none when filed here.
    pub received_from: Option<String>,
}

const COLUMNS: &str = "id, state, category, target_kind, target_id, reporter, assignee, comment, \
                       evidence, filed_at, updated_at, instance, received_from";

fn row(row: &AnyRow) -> Result<ReportRow, Error> {
    Ok(ReportRow {
        id: row.try_get("id")?,
        state: row.try_get("state")?,
        category: row.try_get("category")?,
        target_kind: row.try_get("target_kind")?,
        target_id: row.try_get("target_id")?,
        reporter: row.try_get("reporter")?,
        assignee: row.try_get("assignee")?,
        comment: row.try_get("comment")?,
        evidence: row.try_get("evidence")?,
        filed_at: row.try_get("filed_at")?,
        updated_at: row.try_get("updated_at")?,
        instance: row.try_get("instance")?,
        received_from: row.try_get("received_from")?,
    })
}

/// What the queue shows: reports in a state, of a category, on content of an instance (any
/// when none; `local` for this one's), oldest first.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub state: Option<String>,
    pub category: Option<String>,
    pub instance: Option<String>,
}

/// Reports per page of the queue.
pub const PAGE_SIZE: i64 = 50;

/// A page (from 1) of the queue.
pub async fn queue(
    pool: &AnyPool,
    filter: &QueueFilter,
    page: i64,
) -> Result<Vec<ReportRow>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM reports \
         WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR category = $2) \
         AND ($5 IS NULL OR ($5 = 'local' AND instance IS NULL) OR instance = $5) \
         ORDER BY filed_at, id LIMIT $3 OFFSET $4"
    ))
    .bind(filter.state.as_deref())
    .bind(filter.category.as_deref())
    .bind(PAGE_SIZE)
    .bind((page.max(1) - 1) * PAGE_SIZE)
    .bind(filter.instance.as_deref())
    .fetch_all(pool)
    .await?;
    rows.iter().map(row).collect()
}

/// Report `id`, if it exists.
pub async fn find(pool: &AnyPool, id: &str) -> Result<Option<ReportRow>, Error> {
    let found = sqlx::query(&format!("SELECT {COLUMNS} FROM reports WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    found.as_ref().map(row).transpose()
}

/// What the `remote_actors` cache (federation fills it) knows of another instance's actor
/// `url`, as a report on it keeps it; none when the actor is not known here.
pub async fn known_actor(pool: &AnyPool, url: &str) -> Result<Option<ActorSnapshot>, Error> {
    let found = sqlx::query(
        "SELECT kind, preferred_username, name, summary, url, fetched_at FROM remote_actors \
         WHERE id = $1",
    )
    .bind(url)
    .fetch_optional(pool)
    .await?;
    let Some(found) = found else {
        return Ok(None);
    };
    let preferred_username: String = found.try_get("preferred_username")?;
    let summary: Option<String> = found.try_get("summary")?;
    Ok(Some(ActorSnapshot {
        id: url.to_string(),
        kind: found.try_get("kind")?,
        handle: match host_of_url(url) {
            Some(host) => format!("{preferred_username}@{host}"),
            None => preferred_username.clone(),
        },
        preferred_username,
        name: found.try_get("name")?,
        // As moderators read it: plain text, never the actor's markup.
        summary: summary
            .map(|html| shorten(&plain_text(&html), SUMMARY_MAX))
            .filter(|text| !text.is_empty()),
        url: found.try_get("url")?,
        fetched_at: found.try_get("fetched_at")?,
    }))
}
