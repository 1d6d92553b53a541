//! One contract for every search backend: the embedded one on SQLite and, with
//! TEST_DATABASE_URL, on PostgreSQL; and Meilisearch, a real one (see `meili_server`).

mod contract {
    pub mod cases;
    pub mod meili_server;
    pub mod seed;
}

use async_trait::async_trait;
use contract::meili_server::MeiliServer;
use contract::{cases, seed};
use convene_projections::scratch::test_databases;
use convene_projections::{Database, EventLog, Runner, StoredEvent};
use convene_search::reindex::{reindex, reindex_meili};
use convene_search::subscriber::Folds;
use convene_search::Meili;
use convene_search::{
    Change, Embedded, Error, EventHits, EventQuery, Near, SearchIndex, SearchSubscriber, Sort,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

async fn index_log(db: &Database, index: Arc<dyn SearchIndex>) {
    index.prepare().await.expect("prepare the index");
    let head = EventLog::new(db).head().await.expect("head").position;
    Runner::new(Arc::new(SearchSubscriber::new(index)), db)
        .catch_up(head, &mut |_| {})
        .await
        .expect("index the log");
}

#[tokio::test]
async fn the_embedded_backend_passes_the_contract() {
    for (scratch, db) in test_databases("the_embedded_backend_passes_the_contract").await {
        let index = Arc::new(Embedded::new(db.pool(), db.backend()));
        seed::seed(&db).await;
        index_log(&db, index.clone()).await;
        cases::run(index.as_ref()).await;

        // A rebuild answers the same.
        let before = index
            .search_events(&EventQuery::text("climate"))
            .await
            .expect("search");
        let mut reported = Vec::new();
        reindex(&db, &index, &mut |at, head| reported.push((at, head)))
            .await
            .unwrap_or_else(|e| panic!("{}: reindex: {e}", scratch.label));
        let head = EventLog::new(&db).head().await.expect("head").position;
        assert_eq!(reported.last(), Some(&(head, head)), "{}", scratch.label);
        let after = index
            .search_events(&EventQuery::text("climate"))
            .await
            .expect("search");
        assert_eq!(before, after, "{}: after reindex", scratch.label);
        cases::run(index.as_ref()).await;

        // On PostgreSQL the rebuilt tables come with their statistics (the planner's guesses
        // without them lead with the wrong index); a table never analysed has reltuples -1.
        if db.backend() == convene_projections::Backend::Postgres {
            let unanalysed: Vec<String> = sqlx::query_scalar(
                "SELECT relname::text FROM pg_class WHERE relkind = 'r' \
                 AND relname LIKE 'search\\_%' AND reltuples < 0 ORDER BY relname",
            )
            .fetch_all(db.pool())
            .await
            .expect("statistics");
            assert_eq!(unanalysed, Vec::<String>::new(), "{}", scratch.label);
        }

        // A second rebuild's tables carry their indexes too (SQLite keeps index names when
        // tables are renamed: the first rebuild's must not stand in the way of the second's).
        if db.backend() == convene_projections::Backend::Sqlite {
            reindex(&db, &index, &mut |_, _| {})
                .await
                .unwrap_or_else(|e| panic!("{}: second reindex: {e}", scratch.label));
            let indexes: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'index' \
                 AND tbl_name = 'search_events' AND sql IS NOT NULL ORDER BY name",
            )
            .fetch_all(db.pool())
            .await
            .expect("indexes");
            assert_eq!(indexes, ["search_events_begins", "search_events_filter"]);
            cases::run(index.as_ref()).await;
        }
    }
}

/// An index that stops (as a killed process would) after writing part of one batch.
struct CrashingIndex {
    inner: Embedded,
    crashed: AtomicBool,
}

#[async_trait]
impl SearchIndex for CrashingIndex {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
    async fn prepare(&self) -> Result<(), Error> {
        self.inner.prepare().await
    }
    async fn write(&self, changes: &[Change]) -> Result<(), Error> {
        if changes.len() > 4 && !self.crashed.swap(true, Ordering::SeqCst) {
            self.inner.write(&changes[..changes.len() / 2]).await?;
            return Err(Error::Unreadable("killed mid-batch".into()));
        }
        self.inner.write(changes).await
    }
    async fn search_events(&self, query: &EventQuery) -> Result<convene_search::EventHits, Error> {
        self.inner.search_events(query).await
    }
    async fn search_groups(
        &self,
        query: &convene_search::GroupQuery,
    ) -> Result<convene_search::GroupHits, Error> {
        self.inner.search_groups(query).await
    }
    async fn ids(&self) -> Result<Vec<String>, Error> {
        self.inner.ids().await
    }
    async fn clear(&self) -> Result<(), Error> {
        self.inner.clear().await
    }
}

#[tokio::test]
async fn a_subscriber_killed_mid_batch_ends_with_exactly_the_log() {
    for (scratch, db) in
        test_databases("a_subscriber_killed_mid_batch_ends_with_exactly_the_log").await
    {
        seed::seed(&db).await;
        let crashing = Arc::new(CrashingIndex {
            inner: Embedded::new(db.pool(), db.backend()),
            crashed: AtomicBool::new(false),
        });
        crashing.prepare().await.expect("prepare");
        let head = EventLog::new(&db).head().await.expect("head").position;
        let runner = Runner::new(Arc::new(SearchSubscriber::new(crashing.clone())), &db);
        let stopped = runner.catch_up(head, &mut |_| {}).await;
        assert!(stopped.is_err(), "{}: the first run stops", scratch.label);
        assert_eq!(
            runner.checkpoint().await.expect("checkpoint"),
            0,
            "{}",
            scratch.label
        );
        let half = crashing.ids().await.expect("ids");
        assert!(
            !half.is_empty(),
            "{}: part of the batch was written",
            scratch.label
        );

        // Restarted: the batch is sent again.
        let restarted = Runner::new(Arc::new(SearchSubscriber::new(crashing.clone())), &db);
        assert_eq!(
            restarted.catch_up(head, &mut |_| {}).await.expect("resume"),
            head
        );

        let fresh = Arc::new(Embedded::with_prefix(
            db.pool(),
            db.backend(),
            "search_expected",
        ));
        fresh.prepare().await.expect("prepare");
        let all: Vec<StoredEvent> = EventLog::new(&db)
            .read_after(0, i64::MAX)
            .await
            .expect("log");
        let expected = convene_search::subscriber::changes_of(db.pool(), &all)
            .await
            .expect("changes");
        fresh.write(&expected).await.expect("write");
        assert_eq!(
            crashing.ids().await.expect("ids"),
            fresh.ids().await.expect("ids"),
            "{}",
            scratch.label
        );
        assert_eq!(
            crashing.ids().await.expect("ids").len(),
            seed::FINDABLE,
            "{}",
            scratch.label
        );
        let everything = EventQuery {
            per_page: 100,
            ..EventQuery::default()
        };
        let (got, want) = (
            crashing.search_events(&everything).await.expect("search"),
            fresh.search_events(&everything).await.expect("search"),
        );
        assert_eq!(got, want, "{}: same documents", scratch.label);
        let groups = convene_search::GroupQuery::default();
        assert_eq!(
            crashing.search_groups(&groups).await.expect("groups"),
            fresh.search_groups(&groups).await.expect("groups"),
            "{}: same groups",
            scratch.label
        );
    }
}

#[tokio::test]
async fn meilisearch_passes_the_contract() {
    let Some(server) = MeiliServer::start("meilisearch_passes_the_contract") else {
        return;
    };
    let scratch = convene_projections::scratch::Scratch::sqlite().expect("a temporary folder");
    let db = Database::open(&scratch.url).await.expect("database");
    seed::seed(&db).await;
    let uid = format!("contract_{}", std::process::id());
    let index = Arc::new(Meili::new(&server.url, server.key.as_deref(), &uid).expect("client"));
    index_log(&db, index.clone()).await;
    cases::run(index.as_ref()).await;

    // A rebuild into another index, swapped in, answers the same.
    let before = index
        .search_events(&EventQuery::text("climate"))
        .await
        .expect("search");
    reindex_meili(&db, &index, &mut |_, _| {})
        .await
        .expect("reindex");
    let after = index
        .search_events(&EventQuery::text("climate"))
        .await
        .expect("search");
    assert_eq!(before, after, "meilisearch: after reindex");
    cases::run(index.as_ref()).await;
    index.delete().await.expect("delete the index");
}

#[tokio::test]
async fn meilisearch_down_is_unavailable_within_a_bounded_time() {
    // Nothing listens on this port: bound and released at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let index =
        Meili::new(&format!("http://127.0.0.1:{port}"), Some("key"), "events").expect("client");
    let started = std::time::Instant::now();
    let error = index
        .search_events(&EventQuery::text("climate"))
        .await
        .expect_err("nothing answers");
    assert!(matches!(error, Error::Unavailable(_)), "{error}");
    assert!(
        started.elapsed()
            <= convene_search::meili::SEARCH_TIMEOUT + std::time::Duration::from_secs(1)
    );
}

#[tokio::test]
async fn the_subscriber_waits_for_meilisearch_and_resumes_where_it_was() {
    let Some(server) =
        MeiliServer::start("the_subscriber_waits_for_meilisearch_and_resumes_where_it_was")
    else {
        return;
    };
    let scratch = convene_projections::scratch::Scratch::sqlite().expect("a temporary folder");
    let db = Database::open(&scratch.url).await.expect("database");
    seed::seed(&db).await;
    let head = EventLog::new(&db).head().await.expect("head").position;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let down = Arc::new(
        Meili::new(&format!("http://127.0.0.1:{port}"), Some("k"), "events").expect("client"),
    );
    let runner = Runner::new(Arc::new(SearchSubscriber::new(down)), &db);
    assert!(
        runner.catch_up(head, &mut |_| {}).await.is_err(),
        "nothing answers"
    );
    assert_eq!(
        runner.checkpoint().await.expect("checkpoint"),
        0,
        "its place is kept"
    );

    let uid = format!("resume_{}", std::process::id());
    let up = Arc::new(Meili::new(&server.url, server.key.as_deref(), &uid).expect("client"));
    up.prepare().await.expect("prepare");
    let runner = Runner::new(Arc::new(SearchSubscriber::new(up.clone())), &db);
    assert_eq!(
        runner.catch_up(head, &mut |_| {}).await.expect("resume"),
        head
    );
    assert_eq!(up.ids().await.expect("ids").len(), seed::FINDABLE);
    up.delete().await.expect("delete the index");
}

/// Folds kept between batches (each event read from where its last batch stopped) give the same
/// documents as folding every event from its first change — here with one change per batch, and
/// every batch of the first half sent again after the second half, as a batch may be sent again
/// once its folds have moved past it.
#[tokio::test]
async fn folds_kept_between_batches_give_the_documents_of_the_whole_log() {
    for (scratch, db) in
        test_databases("folds_kept_between_batches_give_the_documents_of_the_whole_log").await
    {
        seed::seed(&db).await;
        let all: Vec<StoredEvent> = EventLog::new(&db)
            .read_after(0, i64::MAX)
            .await
            .expect("log");
        let stepwise = Embedded::with_prefix(db.pool(), db.backend(), "search_steps");
        stepwise.prepare().await.expect("prepare");
        let folds = Folds::new(1_000);
        let half = all.len() / 2;
        for batch in all
            .chunks(1)
            .chain(all[..half].chunks(1))
            .chain(all.chunks(1))
        {
            let changes = folds.changes(db.pool(), batch).await.expect("changes");
            stepwise.write(&changes).await.expect("write");
        }

        let whole = Embedded::with_prefix(db.pool(), db.backend(), "search_whole");
        whole.prepare().await.expect("prepare");
        let changes = convene_search::subscriber::changes_of(db.pool(), &all)
            .await
            .expect("changes");
        whole.write(&changes).await.expect("write");
        let everything = EventQuery {
            per_page: 100,
            ..EventQuery::default()
        };
        assert_eq!(stepwise.ids().await.expect("ids").len(), seed::FINDABLE);
        assert_eq!(
            stepwise.search_events(&everything).await.expect("search"),
            whole.search_events(&everything).await.expect("search"),
            "{}: same documents",
            scratch.label
        );
        let groups = convene_search::GroupQuery::default();
        assert_eq!(
            stepwise.search_groups(&groups).await.expect("groups"),
            whole.search_groups(&groups).await.expect("groups"),
            "{}: same groups",
            scratch.label
        );
    }
}

/// Past [`COUNTED_MAX`] matches the embedded index stops counting: the total says "at least",
/// the facets count what was counted, and pages end there; below it, counts are exact.
#[tokio::test]
async fn the_embedded_count_stops_at_its_bound() {
    use convene_search::embedded::COUNTED_MAX;
    for (scratch, db) in test_databases("the_embedded_count_stops_at_its_bound").await {
        let index = Embedded::with_prefix(db.pool(), db.backend(), "search_many");
        index.prepare().await.expect("prepare");
        let document = |n: u64| convene_search::EventDocument {
            title: if n.is_multiple_of(2) {
                "Even meetup"
            } else {
                "Odd meetup"
            }
            .into(),
            participants: Some((n % 7) as i64),
            // One metre and a little more apart, northwards.
            ..convene_search::EventDocument::meetup(
                format!("many-{n:05}"),
                2_000_000_000 + n as i64,
                (48.85 + n as f64 * 1e-5, 2.35),
            )
        };
        let changes: Vec<Change> = (0..COUNTED_MAX + 10)
            .map(|n| Change::Put(Box::new(document(n))))
            .collect();
        index.write(&changes).await.expect("write");
        let label = &scratch.label;

        let all = index
            .search_events(&EventQuery::text("meetup"))
            .await
            .expect("search");
        assert_eq!(
            (all.total, all.total_exact),
            (COUNTED_MAX, false),
            "{label}"
        );
        assert_eq!(
            all.facets.category.get("MEETING"),
            Some(&COUNTED_MAX),
            "{label}"
        );
        assert_eq!(all.hits.len(), 20, "{label}");
        let last_page = (COUNTED_MAX / 20) as u32;
        let page = |page| EventQuery {
            page,
            ..EventQuery::text("meetup")
        };
        let at_the_end = index.search_events(&page(last_page)).await.expect("search");
        assert_eq!(at_the_end.hits.len(), 20, "{label}: the last counted page");
        let past = index
            .search_events(&page(last_page + 1))
            .await
            .expect("search");
        assert!(past.hits.is_empty(), "{label}: no page past the count");

        let half = index
            .search_events(&EventQuery::text("odd"))
            .await
            .expect("search");
        assert_eq!(
            (half.total, half.total_exact),
            ((COUNTED_MAX + 10) / 2, true),
            "{label}: below the bound, exact"
        );
        assert!(
            half.hits.iter().all(|h| h.event.title == "Odd meetup"),
            "{label}"
        );

        // Pages by date or participants: chosen among the counted matches when they are all
        // the matches, by a query of their own past the bound; in the same order either way.
        let ids = |hits: EventHits| -> Vec<u64> {
            hits.hits
                .iter()
                .map(|h| h.event.id["many-".len()..].parse().expect("a number"))
                .collect()
        };
        let near = |radius_km| Near {
            lat: 48.85,
            lon: 2.35,
            radius_km,
        };
        let second_page = |sort, text: &str, near| EventQuery {
            sort,
            page: 2,
            near,
            ..EventQuery::text(text)
        };
        let soonest = |keep: &dyn Fn(u64) -> bool| -> Vec<u64> {
            (0..COUNTED_MAX + 10)
                .filter(|n| keep(*n))
                .skip(20)
                .take(20)
                .collect()
        };
        let most_participants = |keep: &dyn Fn(u64) -> bool| -> Vec<u64> {
            let mut all: Vec<u64> = (0..COUNTED_MAX + 10).filter(|n| keep(*n)).collect();
            all.sort_by_key(|n| (std::cmp::Reverse(n % 7), *n));
            all.into_iter().skip(20).take(20).collect()
        };
        // 450 documents lie within 500 m (the 450th is 499.3 m away, the next 500.4 m).
        let within_500_m = |n: u64| n < 450;
        // A case: its name, the query, the ids of its second page, the total and whether exact.
        type Case<'a> = (&'a str, EventQuery, Vec<u64>, (u64, bool));
        let cases: Vec<Case> = vec![
            (
                "by date, past the bound",
                second_page(Sort::Date, "meetup", None),
                soonest(&|_| true),
                (COUNTED_MAX, false),
            ),
            (
                "by date, below the bound",
                second_page(Sort::Date, "odd", None),
                soonest(&|n| n % 2 == 1),
                ((COUNTED_MAX + 10) / 2, true),
            ),
            (
                "no words within 5 km, past the bound",
                second_page(Sort::Relevance, "", Some(near(5.0))),
                soonest(&|_| true),
                (COUNTED_MAX, false),
            ),
            (
                "no words within 500 m",
                second_page(Sort::Date, "", Some(near(0.5))),
                soonest(&within_500_m),
                (450, true),
            ),
            (
                "words within 500 m by date",
                second_page(Sort::Date, "odd", Some(near(0.5))),
                soonest(&|n| n % 2 == 1 && within_500_m(n)),
                (225, true),
            ),
            (
                "by participants, past the bound",
                second_page(Sort::Participants, "meetup", None),
                most_participants(&|_| true),
                (COUNTED_MAX, false),
            ),
            (
                "by participants, below the bound",
                second_page(Sort::Participants, "even", None),
                most_participants(&|n| n % 2 == 0),
                ((COUNTED_MAX + 10) / 2, true),
            ),
        ];
        for (case, query, expected, counted) in cases {
            let hits = index.search_events(&query).await.expect("search");
            assert_eq!((hits.total, hits.total_exact), counted, "{label}: {case}");
            assert_eq!(ids(hits), expected, "{label}: {case}");
        }
    }
}

/// Pages by date within a radius over more matches than are counted (on PostgreSQL the first
/// ones walk the date index, later ones sort): every page is the next slice of the matches in
/// (date, id) order, across dates shared by several events, with no gap and no repeat.
#[tokio::test]
async fn pages_by_date_within_a_radius_follow_one_order() {
    use convene_search::geo::distance_km;
    const EVENTS: u64 = 1_800;
    for (scratch, db) in test_databases("pages_by_date_within_a_radius_follow_one_order").await {
        let index = Embedded::with_prefix(db.pool(), db.backend(), "search_tied");
        index.prepare().await.expect("prepare");
        let (lat, lon) = (48.85, 2.35);
        // Seven events begin together, their ids out of their order of insertion; one in six
        // is in the place's bounding box but out of reach, one in six far away.
        let document = |n: u64| {
            let (lat, lon) = match n % 6 {
                0 => (lat + 0.04, lon + 0.06),
                1 => (45.76, 4.83),
                _ => (lat + (n % 90) as f64 * 1e-4, lon),
            };
            convene_search::EventDocument::meetup(
                format!("tied-{:05}", (n * 7_919) % EVENTS),
                2_000_000_000 + (n / 7) as i64,
                (lat, lon),
            )
        };
        let documents: Vec<_> = (0..EVENTS).map(document).collect();
        let changes: Vec<Change> = documents
            .iter()
            .map(|d| Change::Put(Box::new(d.clone())))
            .collect();
        index.write(&changes).await.expect("write");
        let label = &scratch.label;
        let radius_km = 5.0;
        let mut within: Vec<(i64, String)> = documents
            .iter()
            .filter(|d| {
                let place = d.lat.zip(d.lon).expect("a place");
                distance_km((lat, lon), place) <= radius_km
            })
            .map(|d| (d.begins_at, d.id.clone()))
            .collect();
        within.sort();
        assert_eq!(within.len(), 1_200, "{label}");
        let ids = |from: usize, to: usize| -> Vec<String> {
            within[from..to].iter().map(|(_, id)| id.clone()).collect()
        };
        let page = |page, per_page| EventQuery {
            near: Some(Near {
                lat,
                lon,
                radius_km,
            }),
            sort: Sort::Date,
            page,
            per_page,
            ..EventQuery::default()
        };
        let found = |hits: EventHits| -> Vec<String> {
            hits.hits.into_iter().map(|h| h.event.id).collect()
        };
        // Pages 1 to 5 of 20 walk the date index on PostgreSQL, the 6th and the 30th do not.
        let mut read = Vec::new();
        for n in 1..=6 {
            let hits = index.search_events(&page(n, 20)).await.expect("search");
            assert_eq!((hits.total, hits.total_exact), (1_000, false), "{label}");
            read.extend(found(hits));
        }
        assert_eq!(read, ids(0, 120), "{label}: pages 1 to 6");
        for (n, per_page, from) in [(2, 50, 50), (30, 20, 580), (50, 20, 980)] {
            let hits = index
                .search_events(&page(n, per_page))
                .await
                .expect("search");
            let to = from + per_page as usize;
            assert_eq!(
                found(hits),
                ids(from, to),
                "{label}: page {n} of {per_page}"
            );
        }
    }
}

/// A rebuild swapped in while the live subscriber, behind it, is writing a batch: that batch's
/// documents (older than the rebuild's) land in the new index, but its checkpoint does not
/// move, and the live subscriber resumes from its own place, so it writes the newer documents
/// again; nothing older than the log stays.
#[tokio::test]
async fn a_batch_written_across_a_meilisearch_swap_is_written_again() {
    use convene_domain::EventCommand;
    use convene_search::meili::{move_unless_swapped, swaps};
    let Some(server) =
        MeiliServer::start("a_batch_written_across_a_meilisearch_swap_is_written_again")
    else {
        return;
    };
    let scratch = convene_projections::scratch::Scratch::sqlite().expect("a temporary folder");
    let db = Database::open(&scratch.url).await.expect("database");
    seed::seed(&db).await;
    let uid = format!("swap_{}", std::process::id());
    let live = Arc::new(Meili::new(&server.url, server.key.as_deref(), &uid).expect("client"));
    index_log(&db, live.clone()).await;
    let before = EventLog::new(&db).head().await.expect("head").position;

    // Two changes of one event: a participant joins, then it is cancelled.
    let log = seed::Log::new(&db);
    log.join("series-00", "zoe").await;
    log.by_organiser("series-00", |by| EventCommand::Cancel { by })
        .await;
    let joined = EventLog::new(&db).read_after(before, 1).await.expect("log");
    let stale = convene_search::subscriber::changes_of(db.pool(), &joined)
        .await
        .expect("changes");

    // The live subscriber starts its batch (the join), a rebuild swaps in meanwhile, then the
    // batch's documents are written and its checkpoint would move.
    let seen = swaps(db.pool()).await.expect("swaps");
    reindex_meili(&db, &live, &mut |_, _| {})
        .await
        .expect("reindex");
    live.write(&stale).await.expect("write");
    let fence = (convene_search::SUBSCRIBER, before, before + 1);
    assert!(
        !move_unless_swapped(db.pool(), seen, fence)
            .await
            .expect("move"),
        "a batch begun before a swap does not move the checkpoint"
    );
    let runner = Runner::new(Arc::new(SearchSubscriber::new(live.clone())), &db);
    assert_eq!(runner.checkpoint().await.expect("checkpoint"), before);

    let head = EventLog::new(&db).head().await.expect("head").position;
    runner.catch_up(head, &mut |_| {}).await.expect("resume");
    let cancelled = live
        .search_events(&EventQuery {
            status: Some("cancelled".into()),
            per_page: 100,
            ..EventQuery::default()
        })
        .await
        .expect("search");
    let ids: Vec<&str> = cancelled.hits.iter().map(|h| h.event.id.as_str()).collect();
    assert!(ids.contains(&"series-00"), "the newer document: {ids:?}");
    live.delete().await.expect("delete the index");
}

/// Processes that start at once each create the index's tables: on PostgreSQL, `IF NOT EXISTS`
/// alone lets two of them collide in the catalog; every one must get ready.
#[tokio::test]
async fn indexes_made_at_once_on_one_database_all_get_ready() {
    for (scratch, db) in test_databases("indexes_made_at_once_on_one_database_all_get_ready").await
    {
        let ready: Vec<_> = (0..8)
            .map(|_| {
                let index = Embedded::with_prefix(db.pool(), db.backend(), "search_at_once");
                tokio::spawn(async move { index.prepare().await })
            })
            .collect();
        for (n, task) in ready.into_iter().enumerate() {
            let made = task.await.expect("the task ran");
            assert!(made.is_ok(), "{}: index {n}: {made:?}", scratch.label);
        }
    }
}
