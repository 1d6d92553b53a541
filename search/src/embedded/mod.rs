//! The embedded backend: the index lives in the read-model database, nothing to install.
//!
//! - SQLite: an FTS5 table (`unicode61 remove_diacritics 2`) for the text and an R*Tree for
//!   coordinates.
//! - PostgreSQL: a `tsvector` column (`simple` configuration) with a GIN index, and a
//!   latitude/longitude index for the bounding box.
//!
//! Text is normalised once in Rust (lower case, accents and ligatures folded: [`text`]) before
//! it reaches either database, so both match alike and PostgreSQL needs no `unaccent`. Every
//! word is a prefix ("vegan bar" finds "vegan barbecue"); when the query finds nothing, words of
//! [`TYPO_MIN_LEN`] letters or more also match the indexed words one typo away (same first
//! letter), read from a table of every word indexed. Distance is checked exactly on the sphere
//! after the bounding-box prefilter ([`geo`]).
//!
//! Table names share a prefix, so a rebuild writes a shadow set (`search_next_*`) that is
//! renamed over the live one when complete ([`Embedded::replace_with`]).

use crate::document::{EventDocument, LOCAL};
use crate::geo::{self, BoundingBox};
use crate::group::{GroupHits, GroupQuery};
use crate::query::{EventHit, EventHits, EventQuery, Near, OriginFilter, Sort};
use crate::text::{self, TYPO_MIN_LEN};
use crate::{Change, Error, SearchIndex};
use async_trait::async_trait;
use candidates::Candidates;
use convene_projections::subscriber::move_checkpoint;
use convene_projections::Backend;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Connection, Row};
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::OnceCell;

mod candidates;
mod groups;

/// The tables of a live index.
pub const LIVE: &str = "search";
/// The tables a rebuild writes before they replace the live ones.
pub const SHADOW: &str = "search_next";

/// Words of the description shown around the first match.
const SNIPPET_WORDS: usize = 30;
/// The two kinds of documents, each with its tables.
const EVENTS: &str = "events";
const GROUPS: &str = "groups";
const KINDS: [&str; 2] = [EVENTS, GROUPS];

/// Matches counted (and, by relevance, ranked) at most: past it the total says "at least".
pub const COUNTED_MAX: u64 = 1_000;
/// Alternatives considered for one mistyped word.
const TYPO_ALTERNATIVES_MAX: usize = 8;

#[derive(Clone)]
pub struct Embedded {
    pool: AnyPool,
    backend: Backend,
    prefix: &'static str,
    /// Set once the tables are known to exist in this process.
    ready: Arc<OnceCell<()>>,
}

/// A value bound to a query, kept so one filter serves the page, the count and the facets.
#[derive(Clone)]
enum Value {
    Text(String),
    Int(i64),
    Real(f64),
}

/// Which side of a search the database starts from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lead {
    /// The words lead (the full-text index), else the place, else the table. On SQLite the
    /// place is checked on the text index's row ids before any document row is read.
    Words,
    /// The date index leads: a page by date over many matches walks it in order and stops at
    /// the page's end, checking each event against the set of those matching the words and the
    /// set within reach of the place.
    Date,
}

/// The `FROM … WHERE …` of a search and its values.
struct Filter {
    /// The documents' table, read as `d`.
    main: String,
    /// The full-text table leading the search (SQLite), joined to `d` on its row ids.
    text: Option<String>,
    /// On SQLite, an index holding every column of `d` the candidate scan reads, when the words
    /// or the place name the documents: looking each one up there rather than in its row
    /// (which holds the whole document) reads a fraction of the pages.
    covering: Option<String>,
    conditions: Vec<String>,
    values: Vec<Value>,
    /// The ranking expression when there is text to rank by.
    rank: Option<String>,
}

impl Filter {
    fn push(&mut self, value: Value) -> String {
        self.values.push(value);
        format!("${}", self.values.len())
    }

    fn sql(&self) -> String {
        self.sql_reading(None)
    }

    /// [`Filter::sql`] reading `d` through the covering index, when there is one.
    fn covered_sql(&self) -> String {
        self.sql_reading(self.covering.as_deref())
    }

    fn sql_reading(&self, index: Option<&str>) -> String {
        let main = match index {
            Some(index) => format!("{} d INDEXED BY {index}", self.main),
            None => format!("{} d", self.main),
        };
        let from = match &self.text {
            Some(text) => format!("{text} JOIN {main} ON d.doc = {text}.rowid"),
            None => main,
        };
        if self.conditions.is_empty() {
            from
        } else {
            format!("{from} WHERE {}", self.conditions.join(" AND "))
        }
    }
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    values: &'q [Value],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for value in values {
        query = match value {
            Value::Text(v) => query.bind(v.as_str()),
            Value::Int(v) => query.bind(*v),
            Value::Real(v) => query.bind(*v),
        };
    }
    query
}

impl Embedded {
    /// The live index in `pool`'s database.
    pub fn new(pool: &AnyPool, backend: Backend) -> Self {
        Self::with_prefix(pool, backend, LIVE)
    }

    /// The live index in the database `pool` is connected to.
    pub fn in_pool(pool: &AnyPool) -> Self {
        let backend = match pool.connect_options().database_url.scheme() {
            "sqlite" => Backend::Sqlite,
            _ => Backend::Postgres,
        };
        Self::new(pool, backend)
    }

    pub fn with_prefix(pool: &AnyPool, backend: Backend, prefix: &'static str) -> Self {
        Self {
            pool: pool.clone(),
            backend,
            prefix,
            ready: Arc::new(OnceCell::new()),
        }
    }

    /// Creates the tables the first time this process uses them.
    async fn ready(&self) -> Result<(), Error> {
        self.ready
            .get_or_try_init(|| async {
                let mut tx = self.pool.begin().await?;
                if self.backend == Backend::Postgres {
                    // Two processes creating the same tables at once collide in PostgreSQL's
                    // catalog even with IF NOT EXISTS (a duplicate `pg_type` row): one at a time.
                    sqlx::query(
                        "SELECT 1 FROM pg_advisory_xact_lock(hashtext('convene_search_schema'))",
                    )
                    .execute(&mut *tx)
                    .await?;
                }
                for statement in self.schema() {
                    sqlx::query(&statement).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok::<_, Error>(())
            })
            .await?;
        Ok(())
    }

    fn table(&self, name: &str) -> String {
        format!("{}_{name}", self.prefix)
    }

    /// The tables of this index, each main one after its companions (it is created first).
    fn tables(&self) -> Vec<String> {
        let mut names = vec![self.table("event_tags"), self.table("terms")];
        for kind in KINDS {
            if self.backend == Backend::Sqlite {
                names.push(self.table(&format!("{kind}_text")));
                names.push(self.table(&format!("{kind}_geo")));
            }
            names.push(self.table(kind));
        }
        names
    }

    /// The tables holding a document of `kind`, keyed by the column named with each.
    fn document_tables(&self, kind: &str) -> Vec<(String, &'static str)> {
        let mut tables = Vec::new();
        if kind == EVENTS {
            tables.push((self.table("event_tags"), "doc"));
        }
        if self.backend == Backend::Sqlite {
            tables.push((self.table(&format!("{kind}_text")), "rowid"));
            tables.push((self.table(&format!("{kind}_geo")), "doc"));
        }
        tables.push((self.table(kind), "doc"));
        tables
    }

    fn schema(&self) -> Vec<String> {
        let (events, tags, terms, groups) = (
            self.table("events"),
            self.table("event_tags"),
            self.table("terms"),
            self.table("groups"),
        );
        let common = |doc: &str, body: &str| {
            vec![
                format!(
                    "CREATE TABLE IF NOT EXISTS {groups} ({doc}, id TEXT NOT NULL UNIQUE, \
                     document TEXT NOT NULL, {body}members BIGINT NOT NULL, \
                     lat DOUBLE PRECISION, lon DOUBLE PRECISION, x DOUBLE PRECISION, \
                     y DOUBLE PRECISION, z DOUBLE PRECISION)"
                ),
                format!(
                    "CREATE TABLE IF NOT EXISTS {events} ({doc}, id TEXT NOT NULL UNIQUE, \
                     document TEXT NOT NULL, {body}begins_at BIGINT NOT NULL, \
                     category TEXT NOT NULL, online INTEGER NOT NULL, status TEXT NOT NULL, \
                     origin TEXT NOT NULL, participants BIGINT, lat DOUBLE PRECISION, \
                     lon DOUBLE PRECISION, x DOUBLE PRECISION, y DOUBLE PRECISION, \
                     z DOUBLE PRECISION)"
                ),
                format!("CREATE INDEX IF NOT EXISTS {events}_begins ON {events} (begins_at)"),
                format!(
                    "CREATE TABLE IF NOT EXISTS {tags} (doc BIGINT NOT NULL, tag TEXT NOT NULL)"
                ),
                format!("CREATE INDEX IF NOT EXISTS {tags}_tag ON {tags} (tag, doc)"),
                format!("CREATE INDEX IF NOT EXISTS {tags}_doc ON {tags} (doc)"),
                format!("CREATE TABLE IF NOT EXISTS {terms} (term TEXT PRIMARY KEY)"),
            ]
        };
        match self.backend {
            Backend::Sqlite => {
                let mut all = common("doc INTEGER PRIMARY KEY", "");
                // What a search filters, ranks and counts by, in an index: a match found by its
                // words or place is checked without reading its row and its document.
                all.push(format!(
                    "CREATE INDEX IF NOT EXISTS {events}_filter ON {events} (doc, begins_at, \
                     category, online, origin, status, participants, id, x, y, z)"
                ));
                for kind in KINDS {
                    all.push(format!(
                        "CREATE VIRTUAL TABLE IF NOT EXISTS {} USING fts5(body, \
                         tokenize = 'unicode61 remove_diacritics 2')",
                        self.table(&format!("{kind}_text"))
                    ));
                    all.push(format!(
                        "CREATE VIRTUAL TABLE IF NOT EXISTS {} USING rtree(doc, min_lat, \
                         max_lat, min_lon, max_lon)",
                        self.table(&format!("{kind}_geo"))
                    ));
                }
                all
            }
            Backend::Postgres => {
                let mut all = common("doc BIGSERIAL PRIMARY KEY", "body TSVECTOR NOT NULL, ");
                for main in [&events, &groups] {
                    all.push(format!(
                        "CREATE INDEX IF NOT EXISTS {main}_body ON {main} USING GIN (body)"
                    ));
                    all.push(format!(
                        "CREATE INDEX IF NOT EXISTS {main}_place ON {main} (lat, lon)"
                    ));
                }
                all
            }
        }
    }

    /// Drops this index's tables (a shadow left by an interrupted rebuild).
    /// The shadow is made again by [`SearchIndex::prepare`] on a fresh value.
    pub async fn drop_tables(&self) -> Result<(), Error> {
        for table in self.tables() {
            sqlx::query(&format!("DROP TABLE IF EXISTS {table}"))
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Replaces `live`'s tables with this index's, in one transaction, and sets checkpoint
    /// `name` to `position`: searches see the old index until the commit, the new one after.
    pub async fn replace_with(
        &self,
        live: &Embedded,
        name: &str,
        position: i64,
    ) -> Result<(), Error> {
        if self.backend == Backend::Postgres {
            // Freshly filled tables have no statistics until autovacuum comes by (never, where
            // it is off): the planner would then guess, and lead with the wrong index.
            for table in self.tables() {
                sqlx::query(&format!("ANALYZE {table}"))
                    .execute(&self.pool)
                    .await?;
            }
        }
        let mut tx = self.pool.begin().await?;
        for table in live.tables() {
            sqlx::query(&format!("DROP TABLE IF EXISTS {table}"))
                .execute(&mut *tx)
                .await?;
        }
        for (shadow, table) in self.tables().iter().zip(live.tables()) {
            sqlx::query(&format!("ALTER TABLE {shadow} RENAME TO {table}"))
                .execute(&mut *tx)
                .await?;
        }
        if self.backend == Backend::Sqlite {
            // SQLite keeps an index's name when its table is renamed: the live tables take
            // indexes named after them, else the next rebuild could not create its shadow's
            // (the names would be taken) and would swap in tables without indexes.
            let indexes: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
            )
            .fetch_all(&mut *tx)
            .await?;
            let shadow = format!("{}_", self.prefix);
            for index in indexes.iter().filter(|name| name.starts_with(&shadow)) {
                sqlx::query(&format!("DROP INDEX {index}"))
                    .execute(&mut *tx)
                    .await?;
            }
            for statement in live.schema() {
                sqlx::query(&statement).execute(&mut *tx).await?;
            }
        }
        if self.backend == Backend::Postgres {
            // Index names are not renamed with their tables on PostgreSQL.
            let indexes = [
                ("events", "begins"),
                ("events", "body"),
                ("events", "place"),
                ("groups", "body"),
                ("groups", "place"),
                ("event_tags", "tag"),
                ("event_tags", "doc"),
            ];
            for (table, index) in indexes {
                sqlx::query(&format!(
                    "ALTER INDEX IF EXISTS {}_{index} RENAME TO {}_{index}",
                    self.table(table),
                    live.table(table)
                ))
                .execute(&mut *tx)
                .await?;
            }
        }
        convene_projections::subscriber::set_checkpoint(&mut tx, name, position).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes the document `id` of `kind` (events or groups), if it is there.
    async fn remove(&self, conn: &mut AnyConnection, kind: &str, id: &str) -> Result<(), Error> {
        let doc: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT doc FROM {} WHERE id = $1",
            self.table(kind)
        ))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(doc) = doc else { return Ok(()) };
        for (table, key) in self.document_tables(kind) {
            sqlx::query(&format!("DELETE FROM {table} WHERE {key} = $1"))
                .bind(doc)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    async fn put(&self, conn: &mut AnyConnection, event: &EventDocument) -> Result<(), Error> {
        self.remove(conn, EVENTS, &event.id).await?;
        let body = text::words(&event.searchable_text()).join(" ");
        let document =
            serde_json::to_string(event).map_err(|e| Error::Unreadable(e.to_string()))?;
        let place = event.lat.zip(event.lon);
        let postgres = self.backend == Backend::Postgres;
        let (body_column, body_value) = if postgres {
            (", body", ", to_tsvector('simple', $9)")
        } else {
            ("", "")
        };
        // sqlx 0.8's Any driver sends a NULL f64 as a float4 on PostgreSQL, which breaks the
        // statement it caches for later values: events without a place leave those columns
        // out instead of binding NULLs.
        let (place_columns, place_values) = match (place, postgres) {
            (Some(_), true) => (", lat, lon, x, y, z", ", $10, $11, $12, $13, $14"),
            (Some(_), false) => (", lat, lon, x, y, z", ", $9, $10, $11, $12, $13"),
            (None, _) => ("", ""),
        };
        let sql = format!(
            "INSERT INTO {} (id, document, begins_at, category, online, status, origin, \
             participants{body_column}{place_columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, \
             $8{body_value}{place_values}) RETURNING doc",
            self.table("events")
        );
        let mut query = sqlx::query_scalar::<_, i64>(&sql)
            .bind(&event.id)
            .bind(&document)
            .bind(event.begins_at)
            .bind(&event.category)
            .bind(i64::from(event.online))
            .bind(&event.status)
            .bind(&event.origin)
            // Hidden counts sort last, as -1.
            .bind(event.participants.unwrap_or(-1));
        if postgres {
            query = query.bind(body.clone());
        }
        if let Some((lat, lon)) = place {
            let [x, y, z] = geo::unit_vector(lat, lon);
            query = query.bind(lat).bind(lon).bind(x).bind(y).bind(z);
        }
        let doc = query.fetch_one(&mut *conn).await?;
        self.put_text_and_place(conn, EVENTS, doc, &body, place)
            .await?;
        for tag in event.tags.iter().collect::<BTreeSet<_>>() {
            sqlx::query(&format!(
                "INSERT INTO {} (doc, tag) VALUES ($1, $2)",
                self.table("event_tags")
            ))
            .bind(doc)
            .bind(tag)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// On SQLite, the FTS row and the R*Tree entry of document `doc` of `kind` (PostgreSQL
    /// keeps both in the main table).
    async fn put_text_and_place(
        &self,
        conn: &mut AnyConnection,
        kind: &str,
        doc: i64,
        body: &str,
        place: Option<(f64, f64)>,
    ) -> Result<(), Error> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        sqlx::query(&format!(
            "INSERT INTO {} (rowid, body) VALUES ($1, $2)",
            self.table(&format!("{kind}_text"))
        ))
        .bind(doc)
        .bind(body)
        .execute(&mut *conn)
        .await?;
        if let Some((lat, lon)) = place {
            sqlx::query(&format!(
                "INSERT INTO {} (doc, min_lat, max_lat, min_lon, max_lon) \
                 VALUES ($1, $2, $2, $3, $3)",
                self.table(&format!("{kind}_geo"))
            ))
            .bind(doc)
            .bind(lat)
            .bind(lon)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    async fn write_in(&self, conn: &mut AnyConnection, changes: &[Change]) -> Result<(), Error> {
        let mut texts = Vec::new();
        for change in changes {
            match change {
                Change::Put(event) => {
                    self.put(conn, event).await?;
                    texts.push(event.searchable_text());
                }
                Change::Remove(id) => self.remove(conn, EVENTS, id).await?,
                Change::PutGroup(group) => {
                    self.put_group(conn, group).await?;
                    texts.push(group.searchable_text());
                }
                Change::RemoveGroup(id) => self.remove(conn, GROUPS, id).await?,
            }
        }
        self.remember_words(conn, &texts).await
    }

    /// Records the words of `texts` for typo matching, many per statement.
    async fn remember_words(
        &self,
        conn: &mut AnyConnection,
        texts: &[String],
    ) -> Result<(), Error> {
        let words: BTreeSet<String> = texts
            .iter()
            .flat_map(|t| text::words(t))
            .filter(|w| w.chars().count() >= TYPO_MIN_LEN - 1)
            .collect();
        let words: Vec<String> = words.into_iter().collect();
        for chunk in words.chunks(400) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("(${i})")).collect();
            let sql = format!(
                "INSERT INTO {} (term) VALUES {} ON CONFLICT (term) DO NOTHING",
                self.table("terms"),
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for word in chunk {
                query = query.bind(word.as_str());
            }
            query.execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Adds to each word long enough the indexed words one typo away from it.
    async fn add_typo_alternatives(&self, words: &mut [Vec<String>]) -> Result<(), Error> {
        let mut conn = self.pool.acquire().await?;
        self.add_typo_alternatives_on(&mut conn, words).await
    }

    /// [`Embedded::add_typo_alternatives`] on a connection the search already holds.
    async fn add_typo_alternatives_on(
        &self,
        conn: &mut AnyConnection,
        words: &mut [Vec<String>],
    ) -> Result<(), Error> {
        for alternatives in words {
            if alternatives[0].chars().count() >= TYPO_MIN_LEN {
                let more = self.typo_alternatives(conn, &alternatives[0]).await?;
                alternatives.extend(more);
            }
        }
        Ok(())
    }

    /// Indexed words one typo away from `word`, starting with the same letter.
    async fn typo_alternatives(
        &self,
        conn: &mut AnyConnection,
        word: &str,
    ) -> Result<Vec<String>, Error> {
        let Some(first) = word.chars().next() else {
            return Ok(Vec::new());
        };
        let next = char::from_u32(first as u32 + 1).unwrap_or(char::MAX);
        let len = word.chars().count() as i64;
        let candidates: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT term FROM {} WHERE term >= $1 AND term < $2 \
             AND length(term) BETWEEN $3 AND $4",
            self.table("terms")
        ))
        .bind(first.to_string())
        .bind(next.to_string())
        .bind(len - 1)
        .bind(len + 1)
        .fetch_all(&mut *conn)
        .await?;
        Ok(candidates
            .into_iter()
            .filter(|c| c != word && text::one_typo_away(word, c))
            .take(TYPO_ALTERNATIVES_MAX)
            .collect())
    }

    /// The text condition: every word, as a prefix or as one of its alternatives.
    fn match_expression(&self, words: &[Vec<String>]) -> String {
        let groups = words.iter().map(|alternatives| {
            let terms: Vec<String> = alternatives
                .iter()
                .enumerate()
                .map(|(i, term)| match (self.backend, i) {
                    (Backend::Sqlite, 0) => format!("\"{term}\"*"),
                    (Backend::Sqlite, _) => format!("\"{term}\""),
                    (Backend::Postgres, 0) => format!("'{term}':*"),
                    (Backend::Postgres, _) => format!("'{term}'"),
                })
                .collect();
            let or = if self.backend == Backend::Sqlite {
                " OR "
            } else {
                " | "
            };
            format!("({})", terms.join(or))
        });
        let and = if self.backend == Backend::Sqlite {
            " AND "
        } else {
            " & "
        };
        groups.collect::<Vec<_>>().join(and)
    }

    /// The filter on documents of `kind` matching `words` (each with its alternatives) within
    /// `near`: what events and groups are searched by alike.
    fn text_and_place(&self, kind: &str, words: &[Vec<String>], near: Option<Near>) -> Filter {
        self.led_by(Lead::Words, kind, words, near)
    }

    fn led_by(&self, lead: Lead, kind: &str, words: &[Vec<String>], near: Option<Near>) -> Filter {
        let main = self.table(kind);
        let text = self.table(&format!("{kind}_text"));
        // What the place is checked on (SQLite). A unary plus keeps a set check from becoming
        // the lead: on the text index's row ids it would run the full-text query once per
        // place found (seconds), and it would keep the date index from leading.
        let place_key = match lead {
            Lead::Words if words.is_empty() => "d.doc".to_string(),
            Lead::Words => format!("+{text}.rowid"),
            Lead::Date => "+d.doc".to_string(),
        };
        let mut filter = Filter {
            main: main.clone(),
            text: None,
            covering: None,
            conditions: Vec::new(),
            values: Vec::new(),
            rank: None,
        };
        if !words.is_empty() {
            let expression = self.match_expression(words);
            let value = filter.push(Value::Text(expression));
            match (self.backend, lead) {
                (Backend::Sqlite, Lead::Words) => {
                    filter.text = Some(text.clone());
                    filter.conditions.push(format!("{text} MATCH {value}"));
                    filter.rank = Some(format!("bm25({text})"));
                }
                (Backend::Sqlite, Lead::Date) => filter.conditions.push(format!(
                    "+d.doc IN (SELECT rowid FROM {text} WHERE {text} MATCH {value})"
                )),
                (Backend::Postgres, _) => {
                    filter
                        .conditions
                        .push(format!("d.body @@ to_tsquery('simple', {value})"));
                    if lead == Lead::Words {
                        filter.rank =
                            Some(format!("-ts_rank(d.body, to_tsquery('simple', {value}))"));
                    }
                }
            }
        }
        if let Some(near) = near {
            let b = BoundingBox::around(near.lat, near.lon, near.radius_km);
            let (min_lat, max_lat) = (
                filter.push(Value::Real(b.min_lat)),
                filter.push(Value::Real(b.max_lat)),
            );
            let mut ranges = Vec::new();
            for (west, east) in b.longitude_ranges() {
                let (west, east) = (
                    filter.push(Value::Real(west)),
                    filter.push(Value::Real(east)),
                );
                ranges.push(match self.backend {
                    Backend::Sqlite => format!("(min_lon >= {west} AND max_lon <= {east})"),
                    Backend::Postgres => format!("(d.lon BETWEEN {west} AND {east})"),
                });
            }
            let ranges = ranges.join(" OR ");
            filter.conditions.push(match self.backend {
                Backend::Sqlite => format!(
                    "{place_key} IN (SELECT doc FROM {} WHERE min_lat >= {min_lat} AND \
                     max_lat <= {max_lat} AND ({ranges}))",
                    self.table(&format!("{kind}_geo"))
                ),
                Backend::Postgres => {
                    format!("d.lat BETWEEN {min_lat} AND {max_lat} AND ({ranges})")
                }
            });
            let [x, y, z] = geo::unit_vector(near.lat, near.lon);
            let (x, y, z) = (
                filter.push(Value::Real(x)),
                filter.push(Value::Real(y)),
                filter.push(Value::Real(z)),
            );
            let min = filter.push(Value::Real(geo::min_dot(near.radius_km)));
            filter
                .conditions
                .push(format!("d.x * {x} + d.y * {y} + d.z * {z} >= {min}"));
        }
        filter
    }

    fn filter(&self, lead: Lead, query: &EventQuery, words: &[Vec<String>]) -> Filter {
        let mut filter = self.led_by(lead, EVENTS, words, query.near);
        // Only when the words or the place lead: forced on a search by dates alone, the
        // covering index would be scanned whole instead of the date index walked.
        let named = !words.is_empty() || query.near.is_some();
        if self.backend == Backend::Sqlite && lead == Lead::Words && named {
            filter.covering = Some(format!("{}_filter", self.table(EVENTS)));
        }
        if let Some(from) = query.from {
            let v = filter.push(Value::Int(from));
            filter.conditions.push(format!("d.begins_at >= {v}"));
        }
        if let Some(to) = query.to {
            let v = filter.push(Value::Int(to));
            filter.conditions.push(format!("d.begins_at <= {v}"));
        }
        if let Some(category) = &query.category {
            let v = filter.push(Value::Text(category.clone()));
            filter.conditions.push(format!("d.category = {v}"));
        }
        for tag in &query.tags {
            let v = filter.push(Value::Text(tag.clone()));
            filter.conditions.push(format!(
                "d.doc IN (SELECT doc FROM {} WHERE tag = {v})",
                self.table("event_tags")
            ));
        }
        if let Some(online) = query.online {
            let v = filter.push(Value::Int(i64::from(online)));
            filter.conditions.push(format!("d.online = {v}"));
        }
        match query.origin {
            OriginFilter::All => {}
            OriginFilter::Local => filter.conditions.push(format!("d.origin = '{LOCAL}'")),
            OriginFilter::Remote => filter.conditions.push(format!("d.origin <> '{LOCAL}'")),
        }
        if let Some(status) = &query.status {
            let v = filter.push(Value::Text(status.clone()));
            filter.conditions.push(format!("d.status = {v}"));
        }
        filter
    }

    /// Whether more than [`COUNTED_MAX`] documents match.
    async fn more_than_counted(&self, filter: &Filter) -> Result<bool, Error> {
        let sql = format!(
            "SELECT d.doc FROM {} LIMIT 1 OFFSET {COUNTED_MAX}",
            filter.sql()
        );
        let more: Option<AnyRow> = bind_all(sqlx::query(&sql), &filter.values)
            .fetch_optional(&self.pool)
            .await?;
        Ok(more.is_some())
    }

    /// The page of `query` in SQL: what the database runs to answer it without counting.
    /// `walk_dates` (see [`walks_dates`]) has PostgreSQL walk the date index for it.
    async fn page(
        &self,
        conn: &mut AnyConnection,
        filter: &Filter,
        query: &EventQuery,
        walk_dates: bool,
    ) -> Result<Vec<EventDocument>, Error> {
        let sql = page_sql(filter, query, &self.table(EVENTS));
        let select = bind_all(sqlx::query(&sql), &filter.values);
        let rows: Vec<AnyRow> = if walk_dates && self.backend == Backend::Postgres {
            // PostgreSQL expects few events in a place's bounding box (143 of 100,000 around
            // Paris at 25 km; 7,380 are there), reads them all and sorts them (35 ms). Without
            // the sort it walks the date index and stops at the page's end (3 ms). LOCAL: the
            // setting ends with this transaction, never reaching the pool's next query.
            let mut tx = conn.begin().await?;
            sqlx::query("SET LOCAL enable_sort = off")
                .execute(&mut *tx)
                .await?;
            let rows = select.fetch_all(&mut *tx).await?;
            tx.commit().await?;
            rows
        } else {
            select.fetch_all(&mut *conn).await?
        };
        rows.iter()
            .map(|row| {
                let text: String = row.try_get("document")?;
                serde_json::from_str(&text).map_err(|e| Error::Unreadable(e.to_string()))
            })
            .collect()
    }
}

/// The page query of `query` over `filter`; `events` is the events' table.
fn page_sql(filter: &Filter, query: &EventQuery, events: &str) -> String {
    let by_date = "d.begins_at, d.id";
    let window = format!("LIMIT {} OFFSET {}", query.per_page, query.offset());
    match (query.sort, &filter.rank) {
        // Ranked among the counted matches only: scoring every match of a common word is
        // what made a search slow, and the pages a search offers end with its count.
        (Sort::Relevance, Some(rank)) => format!(
            "SELECT d.document FROM (SELECT d.doc AS doc, {rank} AS score, \
             d.begins_at AS begins_at, d.id AS id FROM {} LIMIT {COUNTED_MAX}) c \
             JOIN {events} d ON d.doc = c.doc ORDER BY c.score, c.begins_at, c.id {window}",
            filter.sql()
        ),
        (Sort::Relevance | Sort::Date, _) => format!(
            "SELECT d.document FROM {} ORDER BY {by_date} {window}",
            filter.sql()
        ),
        (Sort::Participants, _) => format!(
            "SELECT d.document FROM {} ORDER BY COALESCE(d.participants, -1) DESC, \
             {by_date} {window}",
            filter.sql()
        ),
    }
}

/// Pages by date ending this near the start walk the date index on PostgreSQL.
const DATE_WALK_MAX: u64 = 100;

/// Whether the page of `query` led by `lead` walks the date index: by date, over more matches
/// than are counted (over few, the walk would read most of the index to find a page), and
/// near the start (at offset 980 the walk takes 452 ms, the sort 35).
fn walks_dates(lead: Lead, query: &EventQuery, many: bool) -> bool {
    lead == Lead::Date && many && query.offset() + u64::from(query.per_page) <= DATE_WALK_MAX
}

impl Embedded {
    /// The page query alone, as the database runs it for `query` with these words (each with
    /// its alternatives): the baseline `convene bench search` sets Convene's searches against.
    pub async fn page_only(
        &self,
        query: &EventQuery,
        words: &[Vec<String>],
    ) -> Result<usize, Error> {
        self.ready().await?;
        let mut conn = self.pool.acquire().await?;
        let lead = page_lead(query, words);
        let filter = self.filter(lead, query, words);
        // Run as a search runs it, which is only over more matches than are counted.
        let walk_dates = walks_dates(lead, query, true);
        Ok(self
            .page(&mut conn, &filter, query, walk_dates)
            .await?
            .len())
    }

    /// The page, total and facets of `query` for these words, on one connection: one scan of
    /// the first matches, then the page's documents (or, by date or participants over more
    /// matches than are counted, the page query).
    async fn search_with(
        &self,
        conn: &mut AnyConnection,
        query: &EventQuery,
        words: &[Vec<String>],
    ) -> Result<(Candidates, Vec<EventDocument>), Error> {
        let filter = self.filter(Lead::Words, query, words);
        let candidates = self.candidates(conn, &filter).await?;
        let page = match candidates.page_keys(query, filter.rank.is_some()) {
            Some(docs) => self.documents(conn, &docs).await?,
            None if query.offset() < candidates.total() => {
                let lead = page_lead(query, words);
                let filter = self.filter(lead, query, words);
                let walk_dates = walks_dates(lead, query, !candidates.complete());
                self.page(conn, &filter, query, walk_dates).await?
            }
            None => Vec::new(),
        };
        Ok((candidates, page))
    }
}

/// What leads the page query: the date index for a page by date (and by relevance without
/// words, which is by date), the words or the place otherwise.
fn page_lead(query: &EventQuery, words: &[Vec<String>]) -> Lead {
    match query.sort {
        Sort::Date => Lead::Date,
        Sort::Relevance if words.is_empty() => Lead::Date,
        _ => Lead::Words,
    }
}

#[async_trait]
impl SearchIndex for Embedded {
    fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    async fn prepare(&self) -> Result<(), Error> {
        self.ready().await
    }

    async fn write(&self, changes: &[Change]) -> Result<(), Error> {
        self.ready().await?;
        let mut tx = self.pool.begin().await?;
        self.write_in(&mut tx, changes).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn write_fenced(
        &self,
        _pool: &AnyPool,
        changes: &[Change],
        (name, from, to): (&str, i64, i64),
    ) -> Result<bool, Error> {
        self.ready().await?;
        let mut tx = self.pool.begin().await?;
        // The checkpoint first: the fence is decided (and, on SQLite, the write lock taken)
        // before any document is written, and a swapped-in rebuild is never overwritten.
        if !move_checkpoint(&mut tx, name, from, to).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        self.write_in(&mut tx, changes).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn search_events(&self, query: &EventQuery) -> Result<EventHits, Error> {
        self.ready().await?;
        let mut conn = self.pool.acquire().await?;
        let mut words = query_words(&query.text);
        let (mut candidates, mut page) = self.search_with(&mut conn, query, &words).await?;
        if candidates.total() == 0 && typo_forgiven(&words) {
            self.add_typo_alternatives_on(&mut conn, &mut words).await?;
            (candidates, page) = self.search_with(&mut conn, query, &words).await?;
        }
        let (total, total_exact) = (candidates.total(), candidates.complete());
        let terms: Vec<String> = words.into_iter().flatten().collect();
        // Past the counted matches there is no page (relevance ranks only those).
        let hits = if query.offset() < total {
            page.into_iter()
                .map(|event| hit(event, &terms, query))
                .collect()
        } else {
            Vec::new()
        };
        Ok(EventHits {
            total,
            total_exact,
            hits,
            facets: candidates.facets(),
        })
    }

    async fn search_groups(&self, query: &GroupQuery) -> Result<GroupHits, Error> {
        self.ready().await?;
        self.groups(query).await
    }

    async fn ids(&self) -> Result<Vec<String>, Error> {
        self.ready().await?;
        Ok(sqlx::query_scalar(&format!(
            "SELECT id FROM {} ORDER BY id",
            self.table("events")
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn clear(&self) -> Result<(), Error> {
        self.ready().await?;
        let mut tx = self.pool.begin().await?;
        for table in self.tables() {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The words of `text`, each its own only alternative so far.
fn query_words(text: &str) -> Vec<Vec<String>> {
    text::query_words(text)
        .into_iter()
        .map(|w| vec![w])
        .collect()
}

/// Whether a search that found nothing is worth trying again with typos forgiven.
fn typo_forgiven(words: &[Vec<String>]) -> bool {
    words.iter().any(|w| w[0].chars().count() >= TYPO_MIN_LEN)
}

/// An event found, highlighted for `terms`, with its distance from the query's point.
pub fn hit(event: EventDocument, terms: &[String], query: &EventQuery) -> EventHit {
    let distance_km = query
        .near
        .zip(event.lat.zip(event.lon))
        .map(|(near, place)| {
            let km = geo::distance_km((near.lat, near.lon), place);
            (km * 10.0).round() / 10.0
        });
    EventHit {
        title_html: text::highlight(&event.title, terms),
        snippet_html: text::snippet(&event.description, terms, SNIPPET_WORDS),
        distance_km,
        event,
    }
}

#[cfg(test)]
mod tests {
    use super::{bind_all, page_lead, page_sql, walks_dates, Embedded, Lead, EVENTS};
    use crate::query::{EventQuery, Near, Sort};
    use crate::{Change, EventDocument, SearchIndex};
    use convene_projections::scratch::test_databases;
    use convene_projections::Backend;
    use sqlx::{Connection, Row};

    /// Event `n`: in Paris one time in forty, in Lyon otherwise; three begin together, dates
    /// in no relation to the order of the rows (as events are indexed from the log). The
    /// planner expects a handful in Paris's bounding box (its latitudes' share times its
    /// longitudes'), reads them through the place index and sorts them.
    fn event(n: u64) -> EventDocument {
        let (lat, lon) = if n.is_multiple_of(40) {
            (48.85, 2.35)
        } else {
            (45.76, 4.83)
        };
        EventDocument::meetup(
            format!("plan-{n:05}"),
            2_000_000_000 + (n * 2_333 % 4_800 / 3) as i64,
            (lat + (n % 100) as f64 * 1e-4, lon),
        )
    }

    /// PostgreSQL's plan of the page query of `query`, with sorting allowed or not.
    async fn plan(index: &Embedded, query: &EventQuery, sort: bool) -> String {
        let lead = page_lead(query, &[]);
        let filter = index.filter(lead, query, &[]);
        let explain = format!("EXPLAIN {}", page_sql(&filter, query, &index.table(EVENTS)));
        let mut conn = index.pool.acquire().await.expect("connection");
        let mut tx = conn.begin().await.expect("begin");
        if !sort {
            sqlx::query("SET LOCAL enable_sort = off")
                .execute(&mut *tx)
                .await
                .expect("set");
        }
        let lines: Vec<String> = bind_all(sqlx::query(&explain), &filter.values)
            .fetch_all(&mut *tx)
            .await
            .expect("explain")
            .iter()
            .map(|row| row.get(0))
            .collect();
        tx.rollback().await.expect("rollback");
        lines.join("\n")
    }

    /// A plain Sort node (an incremental one, on the ids of events beginning together, is not
    /// a sort of every match).
    fn sorts(plan: &str) -> bool {
        plan.lines().any(|line| {
            line.trim_start()
                .trim_start_matches("->  ")
                .starts_with("Sort  (")
        })
    }

    /// On PostgreSQL the first pages by date over many matches walk the date index instead of
    /// sorting the place's matches; later pages, and other searches, keep their plan.
    #[tokio::test]
    async fn postgres_walks_the_date_index_for_the_first_pages_by_date() {
        for (scratch, db) in test_databases("postgres_walks_the_date_index").await {
            if db.backend() != Backend::Postgres {
                continue;
            }
            let index = Embedded::new(db.pool(), db.backend());
            index.prepare().await.expect("prepare");
            let changes: Vec<Change> = (0..4_800)
                .map(|n| Change::Put(Box::new(event(n))))
                .collect();
            index.write(&changes).await.expect("write");
            sqlx::query(&format!("ANALYZE {}", index.table(EVENTS)))
                .execute(db.pool())
                .await
                .expect("analyse");
            let label = scratch.label;
            let page = |page| EventQuery {
                near: Some(Near {
                    lat: 48.85,
                    lon: 2.35,
                    radius_km: 25.0,
                }),
                sort: Sort::Date,
                page,
                ..EventQuery::default()
            };
            let first = page(1);
            assert!(walks_dates(Lead::Date, &first, true), "{label}");
            assert!(walks_dates(Lead::Date, &page(5), true), "{label}");
            let begins = format!("Index Scan using {}_begins", index.table(EVENTS));
            let walked = plan(&index, &first, false).await;
            assert!(
                !sorts(&walked) && walked.contains(&begins),
                "{label}: {walked}"
            );
            let sorted = plan(&index, &first, true).await;
            assert!(sorts(&sorted), "{label}: {sorted}");

            // Past the first pages, over few matches, or led by the words: no walk.
            let far = page(6);
            assert!(!walks_dates(Lead::Date, &far, true), "{label}");
            assert!(!walks_dates(Lead::Date, &first, false), "{label}");
            assert!(!walks_dates(Lead::Words, &first, true), "{label}");
            let far_plan = plan(&index, &page(50), true).await;
            assert!(sorts(&far_plan), "{label}: {far_plan}");

            // The setting ends with its transaction: the pool's connections sort again.
            let hits = index.search_events(&first).await.expect("search");
            assert_eq!(hits.hits.len(), 20, "{label}");
            let setting: String = sqlx::query_scalar("SHOW enable_sort")
                .fetch_one(db.pool())
                .await
                .expect("show");
            assert_eq!(setting, "on", "{label}");
        }
    }
}
