//! One scan answers most event searches: the first [`COUNTED_MAX`] matches (and one more, to
//! know whether there are others) come back with what ranking, counting and facets need, and
//! the page is chosen among them here. Only a page sorted by date or participants over more
//! matches than that needs a query of its own ([`Embedded::page`]).

use super::{bind_all, Embedded, Filter, COUNTED_MAX, EVENTS};
use crate::document::{EventDocument, LOCAL};
use crate::query::{EventQuery, Facets, Sort};
use crate::Error;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::cmp::Ordering;
use std::collections::HashMap;

/// A matching event, as much of it as choosing a page and counting facets needs.
pub(super) struct Candidate {
    doc: i64,
    score: f64,
    begins_at: i64,
    id: String,
    participants: i64,
    category: String,
    online: bool,
    local: bool,
}

/// The first matches of a search, in the order the database found them.
pub(super) struct Candidates(Vec<Candidate>);

impl Candidates {
    /// Whether every match is here.
    pub fn complete(&self) -> bool {
        self.0.len() as u64 <= COUNTED_MAX
    }

    /// The counted matches (at most [`COUNTED_MAX`]).
    fn counted(&self) -> &[Candidate] {
        &self.0[..self.0.len().min(COUNTED_MAX as usize)]
    }

    pub fn total(&self) -> u64 {
        self.counted().len() as u64
    }

    /// The facets of the counted matches.
    pub fn facets(&self) -> Facets {
        let mut facets = Facets::default();
        for c in self.counted() {
            let online = if c.online { "online" } else { "in_person" };
            let origin = if c.local { "local" } else { "remote" };
            *facets.category.entry(c.category.clone()).or_default() += 1;
            *facets.online.entry(online.to_string()).or_default() += 1;
            *facets.origin.entry(origin.to_string()).or_default() += 1;
        }
        facets
    }

    /// The documents of `query`'s page, when the counted matches are enough to choose it: always
    /// by relevance with words (they rank among the counted matches only), otherwise when they
    /// are every match.
    pub fn page_keys(&self, query: &EventQuery, ranked: bool) -> Option<Vec<i64>> {
        let order: fn(&Candidate, &Candidate) -> Ordering = match (query.sort, ranked) {
            (Sort::Relevance, true) => |a, b| {
                a.score
                    .total_cmp(&b.score)
                    .then(a.begins_at.cmp(&b.begins_at))
                    .then(a.id.cmp(&b.id))
            },
            _ if !self.complete() => return None,
            (Sort::Relevance | Sort::Date, _) => {
                |a, b| a.begins_at.cmp(&b.begins_at).then(a.id.cmp(&b.id))
            }
            (Sort::Participants, _) => |a, b| {
                b.participants
                    .cmp(&a.participants)
                    .then(a.begins_at.cmp(&b.begins_at))
                    .then(a.id.cmp(&b.id))
            },
        };
        let mut counted: Vec<&Candidate> = self.counted().iter().collect();
        counted.sort_by(|a, b| order(a, b));
        Some(
            counted
                .into_iter()
                .skip(query.offset().try_into().unwrap_or(usize::MAX))
                .take(query.per_page as usize)
                .map(|c| c.doc)
                .collect(),
        )
    }
}

/// The scan of [`Embedded::candidates`].
fn candidates_sql(filter: &Filter) -> String {
    // ts_rank is a `real`; both databases give a double here.
    let score = filter.rank.as_deref().unwrap_or("0");
    format!(
        "SELECT d.doc AS doc, CAST({score} AS DOUBLE PRECISION) AS score, \
         d.begins_at AS begins_at, d.id AS id, COALESCE(d.participants, -1) AS participants, \
         d.category AS category, d.online AS online, d.origin AS origin FROM {} LIMIT {}",
        filter.covered_sql(),
        COUNTED_MAX + 1
    )
}

impl Embedded {
    /// The first [`COUNTED_MAX`] + 1 matches of `filter`, in one scan.
    pub(super) async fn candidates(
        &self,
        conn: &mut AnyConnection,
        filter: &Filter,
    ) -> Result<Candidates, Error> {
        let sql = candidates_sql(filter);
        let rows: Vec<AnyRow> = bind_all(sqlx::query(&sql), &filter.values)
            .fetch_all(&mut *conn)
            .await?;
        let candidates = rows
            .iter()
            .map(|row| {
                let online: i64 = row.try_get("online")?;
                let origin: String = row.try_get("origin")?;
                Ok(Candidate {
                    doc: row.try_get("doc")?,
                    score: row.try_get("score")?,
                    begins_at: row.try_get("begins_at")?,
                    id: row.try_get("id")?,
                    participants: row.try_get("participants")?,
                    category: row.try_get("category")?,
                    online: online == 1,
                    local: origin == LOCAL,
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(Candidates(candidates))
    }

    /// The documents `docs`, in that order.
    pub(super) async fn documents(
        &self,
        conn: &mut AnyConnection,
        docs: &[i64],
    ) -> Result<Vec<EventDocument>, Error> {
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=docs.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT doc, document FROM {} WHERE doc IN ({})",
            self.table(EVENTS),
            placeholders.join(", ")
        );
        let mut select = sqlx::query(&sql);
        for doc in docs {
            select = select.bind(*doc);
        }
        let mut found: HashMap<i64, String> = select
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("doc")?, row.try_get("document")?)))
            .collect::<Result<_, Error>>()?;
        docs.iter()
            .filter_map(|doc| found.remove(doc))
            .map(|text| serde_json::from_str(&text).map_err(|e| Error::Unreadable(e.to_string())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::candidates_sql;
    use crate::embedded::{bind_all, query_words, Embedded, Lead, EVENTS};
    use crate::query::{EventQuery, Near};
    use crate::SearchIndex;
    use convene_projections::scratch::Scratch;
    use convene_projections::Database;
    use sqlx::Row;

    /// SQLite's plan for the candidate scan of `query`, one step a line.
    async fn plan(index: &Embedded, db: &Database, query: &EventQuery) -> String {
        let words = query_words(&query.text);
        let filter = index.filter(Lead::Words, query, &words);
        let explain = format!("EXPLAIN QUERY PLAN {}", candidates_sql(&filter));
        let steps: Vec<String> = bind_all(sqlx::query(&explain), &filter.values)
            .fetch_all(db.pool())
            .await
            .expect("explain")
            .iter()
            .map(|row| row.get("detail"))
            .collect();
        steps.join("\n")
    }

    /// Matches found by their words or their place are checked in the covering index, not in
    /// their rows; a search by dates alone still walks the date index.
    #[tokio::test]
    async fn sqlite_checks_candidates_in_the_covering_index_only_when_words_or_place_lead() {
        let scratch = Scratch::sqlite().expect("a temporary folder");
        let db = Database::open(&scratch.url).await.expect("open");
        let index = Embedded::new(db.pool(), db.backend());
        index.prepare().await.expect("prepare");
        let covering = format!("COVERING INDEX {}_filter", index.table(EVENTS));
        let near = Some(Near {
            lat: 48.85,
            lon: 2.35,
            radius_km: 25.0,
        });
        let by_words = EventQuery {
            from: Some(0),
            category: Some("MEETING".into()),
            ..EventQuery::text("climate")
        };
        let by_place = EventQuery {
            near,
            ..EventQuery::default()
        };
        for query in [&by_words, &by_place] {
            let plan = plan(&index, &db, query).await;
            assert!(plan.contains(&covering), "{plan}");
        }
        let by_dates = EventQuery {
            from: Some(0),
            to: Some(86_400),
            ..EventQuery::default()
        };
        let plan = plan(&index, &db, &by_dates).await;
        assert!(!plan.contains(&covering), "{plan}");
        assert!(
            plan.contains(&format!("{}_begins", index.table(EVENTS))),
            "{plan}"
        );
        db.close().await;
    }
}
