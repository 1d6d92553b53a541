//! The Meilisearch backend, through `meilisearch-sdk`: used when `CONVENE_MEILI_URL` is set.
//!
//! Settings are applied whenever the index is prepared (at start; Meilisearch does nothing when
//! they have not changed). A batch of the log is one task of documents (and one of removals when
//! there are some), each awaited before the subscriber moves its checkpoint. Every call is
//! bounded in time: an absent or slow Meilisearch is an [`Error::Unavailable`], which the API
//! answers with 503 and the subscriber waits out, keeping its place.

use crate::document::{EventDocument, LOCAL};
use crate::embedded::hit;
use crate::group::{group_hit, GroupDocument, GroupHits, GroupQuery};
use crate::query::{EventHits, EventQuery, Facets, Near, OriginFilter, Sort};
use crate::text;
use crate::{Change, Error, SearchIndex};
use async_trait::async_trait;
use meilisearch_sdk::client::{Client, SwapIndexes};
use meilisearch_sdk::documents::DocumentsQuery;
use meilisearch_sdk::search::{MatchingStrategies, Selectors};
use meilisearch_sdk::settings::{PaginationSetting, Settings, TypoToleranceSettings};
use meilisearch_sdk::task_info::TaskInfo;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

/// The number of times a rebuild swapped an index in, kept as a checkpoint row. A batch written
/// to Meilisearch (which no database transaction covers) moves its checkpoint only if no swap
/// happened since it began: otherwise its documents may have gone to the index swapped out, or
/// be older than the ones swapped in.
pub const SWAPS: &str = "search:swaps";

/// How many swaps there have been.
pub async fn swaps(pool: &sqlx::AnyPool) -> Result<i64, Error> {
    Ok(convene_projections::subscriber::checkpoint(pool, SWAPS).await?)
}

/// Moves checkpoint `name` from `from` to `to` if there have still been `seen` swaps; false,
/// and nothing moved, otherwise. The swap count's row is locked first, so a swap counted meanwhile
/// makes this wait, then fail.
pub async fn move_unless_swapped(
    pool: &sqlx::AnyPool,
    seen: i64,
    (name, from, to): (&str, i64, i64),
) -> Result<bool, Error> {
    let mut tx = pool.begin().await?;
    let unchanged = sqlx::query(
        "UPDATE projection_checkpoints SET position = position WHERE name = $1 AND position = $2",
    )
    .bind(SWAPS)
    .bind(seen)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !unchanged
        || !convene_projections::subscriber::move_checkpoint(&mut tx, name, from, to).await?
    {
        tx.rollback().await?;
        return Ok(false);
    }
    tx.commit().await?;
    Ok(true)
}

/// Counts a swap just made and sets the live checkpoint `name` to where both the index swapped
/// in (built up to `built`) and the live subscriber (at its checkpoint) agree: the earlier of
/// the two, so a live subscriber that was behind writes its batches again over the new index.
pub async fn count_swap(pool: &sqlx::AnyPool, name: &str, built: i64) -> Result<(), Error> {
    swaps(pool).await?;
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE projection_checkpoints SET position = position + 1 WHERE name = $1")
        .bind(SWAPS)
        .execute(&mut *tx)
        .await?;
    let live: Option<i64> =
        sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
    let at = live.map_or(built, |live| live.min(built));
    sqlx::query(
        "INSERT INTO projection_checkpoints (name, position) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position",
    )
    .bind(name)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How long a search may take before Meilisearch counts as unavailable.
pub const SEARCH_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a batch's task may take.
const TASK_TIMEOUT: Duration = Duration::from_secs(120);
/// Deepest result counted (Meilisearch counts 1,000 by default).
const MAX_TOTAL_HITS: usize = 100_000;

const STOP_WORDS: &[&str] = &[
    // English
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on",
    "or", "the", "to", "with", // French
    "au", "aux", "avec", "ce", "ces", "dans", "de", "des", "du", "en", "et", "la", "le", "les",
    "leur", "par", "pour", "sur", "un", "une",
];

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Geo {
    lat: f64,
    lng: f64,
}

/// A document as Meilisearch holds it: the event, plus what filters need.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    #[serde(flatten)]
    event: EventDocument,
    /// `local` or `remote`: the `origin` facet.
    origin_kind: String,
    #[serde(rename = "_geo", default, skip_serializing_if = "Option::is_none")]
    geo: Option<Geo>,
}

impl From<&EventDocument> for Stored {
    fn from(event: &EventDocument) -> Self {
        Self {
            origin_kind: if event.origin == LOCAL {
                "local"
            } else {
                "remote"
            }
            .into(),
            geo: event.lat.zip(event.lon).map(|(lat, lng)| Geo { lat, lng }),
            event: event.clone(),
        }
    }
}

/// A group as Meilisearch holds it.
#[derive(Debug, Serialize, Deserialize)]
struct StoredGroup {
    #[serde(flatten)]
    group: GroupDocument,
    #[serde(rename = "_geo", default, skip_serializing_if = "Option::is_none")]
    geo: Option<Geo>,
}

impl From<&GroupDocument> for StoredGroup {
    fn from(group: &GroupDocument) -> Self {
        Self {
            geo: group.lat.zip(group.lon).map(|(lat, lng)| Geo { lat, lng }),
            group: group.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct IdOnly {
    id: String,
}

#[derive(Clone)]
pub struct Meili {
    client: Client,
    uid: String,
}

fn unavailable(error: impl std::fmt::Display) -> Error {
    Error::Unavailable(error.to_string())
}

/// `call`, failing as unavailable after `limit`.
async fn bounded<T, E: std::fmt::Display>(
    limit: Duration,
    call: impl Future<Output = Result<T, E>>,
) -> Result<T, Error> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => result.map_err(unavailable),
        Err(_) => Err(Error::Unavailable(format!(
            "Meilisearch did not answer within {} s",
            limit.as_secs_f64()
        ))),
    }
}

/// A filter value, quoted for Meilisearch's filter syntax.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Meili {
    /// The index `uid` on the Meilisearch at `url`.
    pub fn new(url: &str, key: Option<&str>, uid: &str) -> Result<Self, Error> {
        let client = Client::new(url.trim_end_matches('/'), key).map_err(unavailable)?;
        Ok(Self {
            client,
            uid: uid.to_string(),
        })
    }

    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// The index of groups beside this index of events.
    fn groups_uid(&self) -> String {
        format!("{}_groups", self.uid)
    }

    /// The same server, another index.
    pub fn sibling(&self, uid: &str) -> Self {
        Self {
            client: self.client.clone(),
            uid: uid.to_string(),
        }
    }

    async fn wait(&self, task: TaskInfo) -> Result<(), Error> {
        let task = bounded(
            TASK_TIMEOUT,
            task.wait_for_completion(
                &self.client,
                Some(Duration::from_millis(20)),
                Some(TASK_TIMEOUT),
            ),
        )
        .await?;
        if task.is_failure() {
            return Err(Error::Backend(format!(
                "Meilisearch refused a task: {}",
                task.unwrap_failure()
            )));
        }
        Ok(())
    }

    fn settings() -> Settings {
        Settings::new()
            .with_searchable_attributes([
                "title",
                "description",
                "tags",
                "place",
                "locality",
                "organiser",
                "group",
            ])
            .with_filterable_attributes([
                "begins_at",
                "ends_at",
                "category",
                "tags",
                "online",
                "status",
                "origin",
                "origin_kind",
                "language",
                "_geo",
            ])
            .with_sortable_attributes(["begins_at", "participants", "id"])
            .with_stop_words(STOP_WORDS)
            .with_typo_tolerance(TypoToleranceSettings {
                enabled: Some(true),
                ..TypoToleranceSettings::default()
            })
            .with_pagination(PaginationSetting {
                max_total_hits: MAX_TOTAL_HITS,
            })
    }

    fn group_settings() -> Settings {
        Settings::new()
            .with_searchable_attributes(["name", "id", "summary", "locality"])
            .with_filterable_attributes(["_geo"])
            .with_sortable_attributes(["members", "id"])
            .with_stop_words(STOP_WORDS)
            .with_typo_tolerance(TypoToleranceSettings {
                enabled: Some(true),
                ..TypoToleranceSettings::default()
            })
            .with_pagination(PaginationSetting {
                max_total_hits: MAX_TOTAL_HITS,
            })
    }

    /// Meilisearch's distance filter, in metres (it measures on the sphere too).
    fn geo_radius(near: Near) -> String {
        format!(
            "_geoRadius({}, {}, {})",
            near.lat,
            near.lon,
            (near.radius_km * 1000.0).round()
        )
    }

    fn filter(query: &EventQuery) -> String {
        let mut parts = Vec::new();
        if let Some(near) = query.near {
            parts.push(Self::geo_radius(near));
        }
        if let Some(from) = query.from {
            parts.push(format!("begins_at >= {from}"));
        }
        if let Some(to) = query.to {
            parts.push(format!("begins_at <= {to}"));
        }
        if let Some(category) = &query.category {
            parts.push(format!("category = {}", quoted(category)));
        }
        for tag in &query.tags {
            parts.push(format!("tags = {}", quoted(tag)));
        }
        if let Some(online) = query.online {
            parts.push(format!("online = {online}"));
        }
        match query.origin {
            OriginFilter::All => {}
            OriginFilter::Local => parts.push("origin_kind = \"local\"".into()),
            OriginFilter::Remote => parts.push("origin_kind = \"remote\"".into()),
        }
        if let Some(status) = &query.status {
            parts.push(format!("status = {}", quoted(status)));
        }
        parts.join(" AND ")
    }

    /// Makes `other` this index's content and this one the other's (a rebuild swapped in):
    /// events and groups in one task.
    pub async fn swap_with(&self, other: &Meili) -> Result<(), Error> {
        let task = bounded(
            SEARCH_TIMEOUT,
            self.client.swap_indexes([
                &SwapIndexes {
                    indexes: (self.uid.clone(), other.uid.clone()),
                    rename: None,
                },
                &SwapIndexes {
                    indexes: (self.groups_uid(), other.groups_uid()),
                    rename: None,
                },
            ]),
        )
        .await?;
        self.wait(task).await
    }

    /// Deletes the whole index, events and groups.
    pub async fn delete(&self) -> Result<(), Error> {
        for uid in [self.uid.clone(), self.groups_uid()] {
            let task = bounded(SEARCH_TIMEOUT, self.client.index(&uid).delete()).await?;
            // Deleting an index that does not exist fails the task: nothing to do then.
            let _ = self.wait(task).await;
        }
        Ok(())
    }
}

impl Meili {
    /// One task of documents put into index `uid`, one of removals, each awaited.
    async fn send<T: Serialize + Send + Sync>(
        &self,
        uid: &str,
        put: &[T],
        removed: &[String],
    ) -> Result<(), Error> {
        let index = self.client.index(uid);
        if !put.is_empty() {
            let task = bounded(SEARCH_TIMEOUT, index.add_or_replace(put, Some("id"))).await?;
            self.wait(task).await?;
        }
        if !removed.is_empty() {
            let task = bounded(SEARCH_TIMEOUT, index.delete_documents(removed)).await?;
            self.wait(task).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl SearchIndex for Meili {
    fn backend(&self) -> &'static str {
        "meilisearch"
    }

    async fn prepare(&self) -> Result<(), Error> {
        let index = self.client.index(&self.uid);
        let task = bounded(SEARCH_TIMEOUT, index.set_settings(&Self::settings())).await?;
        self.wait(task).await?;
        let groups = self.client.index(self.groups_uid());
        let task = bounded(SEARCH_TIMEOUT, groups.set_settings(&Self::group_settings())).await?;
        self.wait(task).await
    }

    async fn write_fenced(
        &self,
        pool: &sqlx::AnyPool,
        changes: &[Change],
        fence: (&str, i64, i64),
    ) -> Result<bool, Error> {
        let seen = swaps(pool).await?;
        if convene_projections::subscriber::checkpoint(pool, fence.0).await? != fence.1 {
            return Ok(false);
        }
        if !changes.is_empty() {
            self.write(changes).await?;
        }
        move_unless_swapped(pool, seen, fence).await
    }

    async fn write(&self, changes: &[Change]) -> Result<(), Error> {
        // Later changes of one document win: keep each one's last change only.
        let mut last: BTreeMap<(bool, &str), &Change> = BTreeMap::new();
        for change in changes {
            let key = match change {
                Change::Put(event) => (false, event.id.as_str()),
                Change::Remove(id) => (false, id.as_str()),
                Change::PutGroup(group) => (true, group.id.as_str()),
                Change::RemoveGroup(id) => (true, id.as_str()),
            };
            last.insert(key, change);
        }
        let (mut put, mut removed) = (Vec::new(), Vec::new());
        let (mut put_groups, mut removed_groups) = (Vec::new(), Vec::new());
        for change in last.values() {
            match change {
                Change::Put(event) => put.push(Stored::from(event.as_ref())),
                Change::Remove(id) => removed.push(id.clone()),
                Change::PutGroup(group) => put_groups.push(StoredGroup::from(group.as_ref())),
                Change::RemoveGroup(id) => removed_groups.push(id.clone()),
            }
        }
        self.send(&self.uid, &put, &removed).await?;
        self.send(&self.groups_uid(), &put_groups, &removed_groups)
            .await
    }

    async fn search_events(&self, query: &EventQuery) -> Result<EventHits, Error> {
        let index = self.client.index(&self.uid);
        let words = text::query_words(&query.text);
        let text = words.join(" ");
        let filter = Self::filter(query);
        let sort: &[&str] = match (query.sort, text.is_empty()) {
            (Sort::Relevance, false) => &[],
            (Sort::Relevance | Sort::Date, _) => &["begins_at:asc", "id:asc"],
            (Sort::Participants, _) => &["participants:desc", "begins_at:asc", "id:asc"],
        };
        let facets = ["category", "online", "origin_kind"];
        let mut search = index.search();
        search
            .with_query(&text)
            .with_page(query.page as usize)
            .with_hits_per_page(query.per_page as usize)
            .with_facets(Selectors::Some(&facets))
            // Every word must match, as on the embedded backend (not only the first ones).
            .with_matching_strategy(MatchingStrategies::ALL);
        if !filter.is_empty() {
            search.with_filter(&filter);
        }
        if !sort.is_empty() {
            search.with_sort(sort);
        }
        let found = bounded(SEARCH_TIMEOUT, search.execute::<Stored>()).await?;
        let total = found.total_hits.unwrap_or(0) as u64;
        let mut facets = Facets::default();
        if total > 0 {
            let distribution = found.facet_distribution.unwrap_or_default();
            let counts = |name: &str| -> BTreeMap<String, u64> {
                distribution
                    .get(name)
                    .map(|values| {
                        values
                            .iter()
                            .filter(|(_, n)| **n > 0)
                            .map(|(value, n)| (value.clone(), *n as u64))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            facets.category = counts("category");
            facets.online = counts("online")
                .into_iter()
                .map(|(value, n)| {
                    let name = if value == "true" {
                        "online"
                    } else {
                        "in_person"
                    };
                    (name.to_string(), n)
                })
                .collect();
            facets.origin = counts("origin_kind");
        }
        Ok(EventHits {
            total,
            // Counted exhaustively up to the index's limit.
            total_exact: total < MAX_TOTAL_HITS as u64,
            hits: found
                .hits
                .into_iter()
                .map(|h| hit(h.result.event, &words, query))
                .collect(),
            facets,
        })
    }

    async fn search_groups(&self, query: &GroupQuery) -> Result<GroupHits, Error> {
        let index = self.client.index(self.groups_uid());
        let words = text::query_words(&query.text);
        let text = words.join(" ");
        let filter = query.near.map(Self::geo_radius);
        let mut search = index.search();
        search
            .with_query(&text)
            .with_page(query.page as usize)
            .with_hits_per_page(query.per_page as usize)
            .with_matching_strategy(MatchingStrategies::ALL);
        if let Some(filter) = &filter {
            search.with_filter(filter);
        }
        if text.is_empty() {
            search.with_sort(&["members:desc", "id:asc"]);
        }
        let found = bounded(SEARCH_TIMEOUT, search.execute::<StoredGroup>()).await?;
        let total = found.total_hits.unwrap_or(0) as u64;
        Ok(GroupHits {
            total,
            total_exact: total < MAX_TOTAL_HITS as u64,
            hits: found
                .hits
                .into_iter()
                .map(|h| group_hit(h.result.group, &words, query.near))
                .collect(),
        })
    }

    async fn ids(&self) -> Result<Vec<String>, Error> {
        let index = self.client.index(&self.uid);
        let mut ids = Vec::new();
        loop {
            let mut query = DocumentsQuery::new(&index);
            query
                .with_fields(["id"])
                .with_limit(1_000)
                .with_offset(ids.len());
            let page = bounded(SEARCH_TIMEOUT, query.execute::<IdOnly>()).await?;
            let done = page.results.len() < 1_000;
            ids.extend(page.results.into_iter().map(|d| d.id));
            if done {
                break;
            }
        }
        ids.sort();
        Ok(ids)
    }

    async fn clear(&self) -> Result<(), Error> {
        for uid in [self.uid.clone(), self.groups_uid()] {
            let index = self.client.index(&uid);
            let task = bounded(SEARCH_TIMEOUT, index.delete_all_documents()).await?;
            self.wait(task).await?;
        }
        Ok(())
    }
}
