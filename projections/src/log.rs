//! Reading the event log in its global order.

use crate::db::{Backend, Database};
use crate::error::Error;
use convene_domain::metadata::{format_timestamp, Metadata};
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;
use time::OffsetDateTime;

/// One event as stored, with its place in the global order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub position: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    /// The payload's JSON text exactly as stored (the hash covers these bytes).
    pub payload: String,
    pub metadata: String,
    pub hash: Vec<u8>,
}

impl StoredEvent {
    /// The payload decoded as `T` (an aggregate's change enum).
    pub fn change<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_str(&self.payload).map_err(|e| self.unreadable(e))
    }

    /// Who, from where, when and why.
    pub fn metadata(&self) -> Result<Metadata, Error> {
        let map: HashMap<String, String> =
            serde_json::from_str(&self.metadata).map_err(|e| self.unreadable(e))?;
        Metadata::from_map(&map).map_err(|e| self.unreadable(e))
    }

    fn unreadable(&self, reason: impl std::fmt::Display) -> Error {
        Error::Unreadable {
            position: self.position,
            reason: reason.to_string(),
        }
    }

    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            position: row.try_get("position")?,
            aggregate_type: row.try_get("aggregate_type")?,
            aggregate_id: row.try_get("aggregate_id")?,
            sequence: row.try_get("sequence")?,
            event_type: row.try_get("event_type")?,
            event_version: row.try_get("event_version")?,
            payload: row.try_get("payload")?,
            metadata: row.try_get("metadata")?,
            hash: row.try_get("hash")?,
        })
    }
}

const SELECT_EVENTS: &str = "SELECT position, aggregate_type, aggregate_id, sequence, event_type, \
     event_version, CAST(payload AS TEXT) AS payload, CAST(metadata AS TEXT) AS metadata, hash \
     FROM event_log";

/// What the audit trail is filtered by; every field is optional. Times are fixed-width UTC text
/// as the log stores them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The acting account's id.
    pub account: Option<String>,
    /// The profile it acted as.
    pub profile: Option<String>,
    /// web, api, cli, schedule or federation.
    pub source: Option<String>,
    /// Every change one request made.
    pub request_id: Option<String>,
    pub aggregate_type: Option<String>,
    pub aggregate_id: Option<String>,
    /// The change's name, such as EventHidden.
    pub event_type: Option<String>,
    /// Recorded at or after.
    pub from: Option<String>,
    /// Recorded before.
    pub to: Option<String>,
}

/// The head of the chain: the last position and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub position: i64,
    pub hash: Vec<u8>,
}

/// Aggregates read back per query: within every database's limit on bound parameters.
const IDS_PER_QUERY: usize = 500;

/// The changes of the aggregates `ids` of `aggregate_type`, up to and including log position
/// `until`, in log order: each as it was then, for subscribers that decide on an aggregate's
/// past (they hold a pool, not a [`Database`]).
pub async fn aggregates_until(
    pool: &sqlx::AnyPool,
    aggregate_type: &str,
    ids: &[String],
    until: i64,
) -> Result<Vec<StoredEvent>, Error> {
    let mut events = Vec::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let placeholders: Vec<String> = (3..chunk.len() + 3).map(|i| format!("${i}")).collect();
        let sql = format!(
            "{SELECT_EVENTS} WHERE aggregate_type = $1 AND position <= $2 \
             AND aggregate_id IN ({}) ORDER BY position",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(aggregate_type).bind(until);
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(pool).await? {
            events.push(StoredEvent::from_row(&row)?);
        }
    }
    events.sort_by_key(|e| e.position);
    Ok(events)
}

/// The changes of aggregate `id` of `aggregate_type` after log position `after`, in order: what
/// a subscriber keeping the aggregate folded up to `after` reads on.
pub async fn aggregate_after(
    pool: &sqlx::AnyPool,
    aggregate_type: &str,
    id: &str,
    after: i64,
) -> Result<Vec<StoredEvent>, Error> {
    let sql = format!(
        "{SELECT_EVENTS} WHERE aggregate_type = $1 AND aggregate_id = $2 AND position > $3 \
         ORDER BY sequence"
    );
    let rows = sqlx::query(&sql)
        .bind(aggregate_type)
        .bind(id)
        .bind(after)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .iter()
        .map(StoredEvent::from_row)
        .collect::<Result<_, _>>()?)
}

/// The changes of aggregate `id` of `aggregate_type` after log position `after` up to and
/// including `until`, in order.
pub async fn aggregate_between(
    pool: &sqlx::AnyPool,
    aggregate_type: &str,
    id: &str,
    after: i64,
    until: i64,
) -> Result<Vec<StoredEvent>, Error> {
    let sql = format!(
        "{SELECT_EVENTS} WHERE aggregate_type = $1 AND aggregate_id = $2 AND position > $3 \
         AND position <= $4 ORDER BY sequence"
    );
    let rows = sqlx::query(&sql)
        .bind(aggregate_type)
        .bind(id)
        .bind(after)
        .bind(until)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .iter()
        .map(StoredEvent::from_row)
        .collect::<Result<_, _>>()?)
}

/// Every change of the aggregates of `aggregate_type` up to and including position `until`, in
/// log order: for kinds of aggregates that stay few (instance follows).
pub async fn all_of_type_until(
    pool: &sqlx::AnyPool,
    aggregate_type: &str,
    until: i64,
) -> Result<Vec<StoredEvent>, Error> {
    let sql =
        format!("{SELECT_EVENTS} WHERE aggregate_type = $1 AND position <= $2 ORDER BY position");
    let rows = sqlx::query(&sql)
        .bind(aggregate_type)
        .bind(until)
        .fetch_all(pool)
        .await?;
    Ok(rows
        .iter()
        .map(StoredEvent::from_row)
        .collect::<Result<_, _>>()?)
}

/// Read access to the log.
#[derive(Clone, Debug)]
pub struct EventLog {
    db: Database,
}

impl EventLog {
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Up to `limit` events after `after`, up to and including `until`, in order.
    pub async fn read(
        &self,
        after: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, Error> {
        let sql = format!(
            "{SELECT_EVENTS} WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(after)
            .bind(until)
            .bind(limit)
            .fetch_all(self.db.pool())
            .await?;
        Ok(rows
            .iter()
            .map(StoredEvent::from_row)
            .collect::<Result<_, _>>()?)
    }

    /// Up to `limit` events after `after`, in order.
    pub async fn read_after(&self, after: i64, limit: i64) -> Result<Vec<StoredEvent>, Error> {
        self.read(after, i64::MAX, limit).await
    }

    /// The events of one aggregate, in order.
    pub async fn aggregate(
        &self,
        aggregate_type: &str,
        id: &str,
    ) -> Result<Vec<StoredEvent>, Error> {
        let sql = format!(
            "{SELECT_EVENTS} WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence"
        );
        let rows = sqlx::query(&sql)
            .bind(aggregate_type)
            .bind(id)
            .fetch_all(self.db.pool())
            .await?;
        Ok(rows
            .iter()
            .map(StoredEvent::from_row)
            .collect::<Result<_, _>>()?)
    }

    /// The events of one aggregate up to and including log position `until`, in order: the
    /// aggregate as it was then, without reading anyone else's changes.
    pub async fn aggregate_until(
        &self,
        aggregate_type: &str,
        id: &str,
        until: i64,
    ) -> Result<Vec<StoredEvent>, Error> {
        let sql = format!(
            "{SELECT_EVENTS} WHERE aggregate_type = $1 AND aggregate_id = $2 AND position <= $3 \
             ORDER BY sequence"
        );
        let rows = sqlx::query(&sql)
            .bind(aggregate_type)
            .bind(id)
            .bind(until)
            .fetch_all(self.db.pool())
            .await?;
        Ok(rows
            .iter()
            .map(StoredEvent::from_row)
            .collect::<Result<_, _>>()?)
    }

    /// The last position and hash of the chain (0 and the genesis hash for an empty log).
    pub async fn head(&self) -> Result<Head, Error> {
        let row = sqlx::query("SELECT position, hash FROM log_head WHERE id = 1")
            .fetch_one(self.db.pool())
            .await?;
        Ok(Head {
            position: row.try_get("position")?,
            hash: row.try_get("hash")?,
        })
    }

    /// The last position of one aggregate (0 when it has no event): that of its last sequence,
    /// since an aggregate's changes are committed in sequence order. Read through the key's
    /// index from its end, it costs the same for an event of ten thousand changes as of one.
    pub async fn last_position_of(&self, aggregate_type: &str, id: &str) -> Result<i64, Error> {
        let position: Option<i64> = sqlx::query_scalar(
            "SELECT position FROM event_log WHERE aggregate_type = $1 AND aggregate_id = $2 \
             ORDER BY sequence DESC LIMIT 1",
        )
        .bind(aggregate_type)
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(position.unwrap_or(0))
    }

    /// The times of the first and last events, as stored in their metadata.
    pub async fn time_span(&self) -> Result<Option<(String, String)>, Error> {
        let sql = format!(
            "SELECT MIN({t}) AS first, MAX({t}) AS last FROM event_log",
            t = self.recorded_at_sql()
        );
        let row = sqlx::query(&sql).fetch_one(self.db.pool()).await?;
        let first: Option<String> = row.try_get("first")?;
        let last: Option<String> = row.try_get("last")?;
        Ok(first.zip(last))
    }

    /// The last position recorded at or before `at` (0 when none was).
    pub async fn position_at(&self, at: OffsetDateTime) -> Result<i64, Error> {
        let sql = format!(
            "SELECT MAX(position) FROM event_log WHERE {} <= $1",
            self.recorded_at_sql()
        );
        let position: Option<i64> = sqlx::query_scalar(&sql)
            .bind(format_timestamp(at))
            .fetch_one(self.db.pool())
            .await?;
        Ok(position.unwrap_or(0))
    }

    /// Up to `limit` changes matching `filter`, newest first, skipping `offset`: the audit
    /// trail. Every filter is a condition on the log itself, nothing is stored twice.
    pub async fn audit(
        &self,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<StoredEvent>, Error> {
        self.matching(filter, "DESC", limit, offset).await
    }

    /// The latest change `account` made, if any.
    pub async fn last_change_by(&self, account: &str) -> Result<Option<StoredEvent>, Error> {
        let filter = AuditFilter {
            account: Some(account.to_string()),
            ..AuditFilter::default()
        };
        Ok(self.matching(&filter, "DESC", 1, 0).await?.pop())
    }

    /// Up to `limit` changes matching `filter`, oldest first.
    pub async fn matching_in_order(
        &self,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, Error> {
        self.matching(filter, "ASC", limit, 0).await
    }

    async fn matching(
        &self,
        filter: &AuditFilter,
        order: &str,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<StoredEvent>, Error> {
        let mut conditions: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let mut condition = |sql: &str, value: &str| {
            binds.push(value.to_string());
            conditions.push(sql.replace('?', &format!("${}", binds.len())));
        };
        let field = |name: &str| match self.db.backend() {
            Backend::Sqlite => format!("json_extract(metadata, '$.{name}')"),
            Backend::Postgres => format!("(metadata ->> '{name}')"),
        };
        let metadata = [
            ("account", &filter.account),
            ("profile", &filter.profile),
            ("source", &filter.source),
            ("request_id", &filter.request_id),
        ];
        for (name, value) in metadata {
            if let Some(value) = value {
                condition(&format!("{} = ?", field(name)), value);
            }
        }
        if let Some(value) = &filter.aggregate_type {
            condition("aggregate_type = ?", value);
        }
        if let Some(value) = &filter.aggregate_id {
            condition("aggregate_id = ?", value);
        }
        if let Some(value) = &filter.event_type {
            condition("event_type = ?", value);
        }
        if let Some(value) = &filter.from {
            condition(&format!("{} >= ?", self.recorded_at_sql()), value);
        }
        if let Some(value) = &filter.to {
            condition(&format!("{} < ?", self.recorded_at_sql()), value);
        }
        let filters = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "{SELECT_EVENTS} {filters} ORDER BY position {order} LIMIT {} OFFSET {}",
            limit.max(0),
            offset.max(0)
        );
        let mut query = sqlx::query(&sql);
        for value in &binds {
            query = query.bind(value);
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        Ok(rows
            .iter()
            .map(StoredEvent::from_row)
            .collect::<Result<_, _>>()?)
    }

    fn recorded_at_sql(&self) -> &'static str {
        match self.db.backend() {
            Backend::Sqlite => "json_extract(metadata, '$.recorded_at')",
            Backend::Postgres => "(metadata ->> 'recorded_at')",
        }
    }
}
