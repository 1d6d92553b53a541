//! Whose content a decision covers, as the `events` read model holds it: another instance's
//! actor or domain (the events it organises, imported from its instance, and the comments its
//! people wrote on any event here), and a local profile, account or group (what a suspension of
//! it hides). Read in pages by id for a decision on all of it, and counted for its preview and
//! for the audit trail. Domains are matched by the rule decisions on domains use
//! ([`crate::domains::on_domain_sql`]).

use crate::domains::on_domain_sql;
use crate::error::Error;
use serde::Serialize;
use sqlx::{AnyPool, Row};

/// Whose content it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender<'a> {
    /// One actor: its events by its URL, its comments by its handle (`name@host`).
    Actor { url: &'a str, handle: &'a str },
    /// Everyone on a domain (as `normalise_domain` writes it), by their handles.
    Domain(&'a str),
    /// A local profile, by its username: the events it organises, its comments.
    Profile(&'a str),
    /// Every profile of a local account, by the account's id.
    Account(&'a str),
    /// A local group, by its handle: its events, and the comments on them (hidden with them).
    Group(&'a str),
}

/// The events condition for `$1` (the sender), on `e`.
const EVENTS_OF_ACTOR: &str = "e.origin_actor = $1";
const EVENTS_OF_DOMAIN: &str = on_domain_sql!(
    "e.organizer",
    "(SELECT CAST($1 AS TEXT) AS domain) dd WHERE e.origin_object IS NOT NULL"
);
const EVENTS_OF_PROFILE: &str = "e.organizer = $1 AND e.origin_object IS NULL";
const EVENTS_OF_ACCOUNT: &str =
    "e.organizer IN (SELECT username FROM profiles WHERE account_id = $1) \
     AND e.origin_object IS NULL";
const EVENTS_OF_GROUP: &str = "e.group_handle = $1";
/// The comments condition for `$1`, on `c` (deleted ones have nothing left to decide on).
const COMMENTS_OF_ACTOR: &str = "c.author = $1";
const COMMENTS_OF_DOMAIN: &str = on_domain_sql!(
    "c.author",
    "(SELECT CAST($1 AS TEXT) AS domain) dd WHERE c.author LIKE '%@%'"
);

const COMMENTS_OF_ACCOUNT: &str =
    "c.author IN (SELECT username FROM profiles WHERE account_id = $1)";
const COMMENTS_OF_GROUP: &str = "c.event_id IN (SELECT id FROM events WHERE group_handle = $1)";

impl Sender<'_> {
    fn events(&self) -> (&'static str, &str) {
        match self {
            Self::Actor { url, .. } => (EVENTS_OF_ACTOR, url),
            Self::Domain(domain) => (EVENTS_OF_DOMAIN, domain),
            Self::Profile(username) => (EVENTS_OF_PROFILE, username),
            Self::Account(id) => (EVENTS_OF_ACCOUNT, id),
            Self::Group(handle) => (EVENTS_OF_GROUP, handle),
        }
    }

    fn comments(&self) -> (&'static str, &str) {
        match self {
            Self::Actor { handle, .. } => (COMMENTS_OF_ACTOR, handle),
            Self::Domain(domain) => (COMMENTS_OF_DOMAIN, domain),
            Self::Profile(username) => (COMMENTS_OF_ACTOR, username),
            Self::Account(id) => (COMMENTS_OF_ACCOUNT, id),
            Self::Group(handle) => (COMMENTS_OF_GROUP, handle),
        }
    }
}

/// One event or comment it sent, and whether moderators removed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub id: String,
    /// The event (for a comment: the event it is on).
    pub event_id: String,
    pub removed: bool,
}

/// The events `sender` organises here with an id after `after`, at most `limit`, by id.
pub async fn events(
    pool: &AnyPool,
    sender: Sender<'_>,
    after: &str,
    limit: i64,
) -> Result<Vec<Sent>, Error> {
    let select = "SELECT e.id, e.id AS event_id, CAST(e.removed AS BIGINT) AS removed \
                  FROM events e WHERE e.id > $2";
    paged(pool, select, sender.events(), (after, limit)).await
}

/// The comments `sender`'s people wrote here (not deleted) with an id after `after`, at most
/// `limit`, by id.
pub async fn comments(
    pool: &AnyPool,
    sender: Sender<'_>,
    after: &str,
    limit: i64,
) -> Result<Vec<Sent>, Error> {
    let select = "SELECT c.id, c.event_id, CAST(c.removed AS BIGINT) AS removed FROM comments c \
                  WHERE c.deleted_at IS NULL AND c.id > $2";
    paged(pool, select, sender.comments(), (after, limit)).await
}

/// The rows `select` gives (its `WHERE` taking the id to start after as `$2`) that also meet
/// `condition` for `value` (`$1`), at most `limit`, by id.
async fn paged(
    pool: &AnyPool,
    select: &str,
    (condition, value): (&str, &str),
    (after, limit): (&str, i64),
) -> Result<Vec<Sent>, Error> {
    let sql = format!("{select} AND ({condition}) ORDER BY 1 LIMIT $3");
    let rows = sqlx::query(&sql)
        .bind(value)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Sent {
                id: row.try_get("id")?,
                event_id: row.try_get("event_id")?,
                removed: row.try_get::<i64, _>("removed")? != 0,
            })
        })
        .collect()
}

/// An event of `sender`'s, as a list names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NamedEvent {
    pub id: String,
    pub title: String,
}

/// `sender`'s events, soonest first, at most `limit`.
pub async fn named_events(
    pool: &AnyPool,
    sender: Sender<'_>,
    limit: i64,
) -> Result<Vec<NamedEvent>, Error> {
    let (condition, value) = sender.events();
    let sql = format!(
        "SELECT e.id, e.title FROM events e WHERE {condition} ORDER BY e.begins_at, e.id LIMIT $2"
    );
    let rows = sqlx::query(&sql)
        .bind(value)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(NamedEvent {
                id: row.try_get("id")?,
                title: row.try_get("title")?,
            })
        })
        .collect()
}

/// What `sender` sent here and what of it moderators removed: what removing everything it sent
/// would remove is the difference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SentCounts {
    pub events: i64,
    pub removed_events: i64,
    /// Comments not deleted by their authors.
    pub comments: i64,
    pub removed_comments: i64,
}

/// What `sender` sent here (see [`SentCounts`]).
pub async fn counts(pool: &AnyPool, sender: Sender<'_>) -> Result<SentCounts, Error> {
    let (events, value) = sender.events();
    let row = sqlx::query(&format!(
        "SELECT COUNT(*) AS total, CAST(COALESCE(SUM(e.removed), 0) AS BIGINT) AS removed \
         FROM events e WHERE {events}"
    ))
    .bind(value)
    .fetch_one(pool)
    .await?;
    let (comments, value) = sender.comments();
    let comment_row = sqlx::query(&format!(
        "SELECT COUNT(*) AS total, CAST(COALESCE(SUM(c.removed), 0) AS BIGINT) AS removed \
         FROM comments c WHERE {comments} AND c.deleted_at IS NULL"
    ))
    .bind(value)
    .fetch_one(pool)
    .await?;
    Ok(SentCounts {
        events: row.try_get("total")?,
        removed_events: row.try_get("removed")?,
        comments: comment_row.try_get("total")?,
        removed_comments: comment_row.try_get("removed")?,
    })
}
