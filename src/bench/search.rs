//! `convene bench search`: generated events (English and French titles and descriptions,
//! places across Europe, dates over two years) indexed from the log, then five query shapes at
//! 1 and 16 concurrent clients, each next to the same query run directly against the backend
//! (the page query in SQL; Meilisearch's own HTTP search). Meilisearch is measured when
//! `CONVENE_MEILI_URL` names one.

use super::{machine, Dice, Latencies};
use crate::config::Settings;
use anyhow::bail;
use convene_domain::event::details::{Address, EventDetails, EventOptions};
use convene_domain::{Actor, Event, EventCommand, Metadata, Source};
use convene_projections::{Commands, Database, EventLog, Runner};
use convene_search::{Embedded, EventQuery, Meili, Near, SearchIndex, SearchSubscriber, Sort};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Tasks appending the generated events.
const WRITERS: usize = 8;
const CLIENTS: [usize; 2] = [1, 16];

const TOPICS: [(&str, &str, &str); 12] = [
    (
        "Climate march",
        "We walk together for the climate and a fair transition",
        "MOVEMENTS_POLITICS",
    ),
    (
        "Marche pour le climat",
        "Nous marchons ensemble pour le climat et une transition juste",
        "MOVEMENTS_POLITICS",
    ),
    (
        "Repair café",
        "Bring what is broken: bikes, toasters, lamps; we fix them together",
        "COMMUNITY",
    ),
    (
        "Café réparation",
        "Apportez vos objets cassés : vélos, grille-pain, lampes",
        "COMMUNITY",
    ),
    (
        "Vegan barbecue",
        "Grilled vegetables, salads and music in the park",
        "FOOD_DRINK",
    ),
    (
        "Fête de quartier",
        "Musique, jeux et repas partagé dans la rue",
        "PARTY",
    ),
    (
        "Book club",
        "This month we read and discuss a novel about the sea",
        "BOOK_CLUBS",
    ),
    (
        "Atelier vélo",
        "Apprendre à réparer son vélo : freins, chaînes, crevaisons",
        "LEARNING",
    ),
    (
        "Open source meetup",
        "Talks about free software, self-hosting and federation",
        "SCIENCE_TECH",
    ),
    (
        "Randonnée en forêt",
        "Une marche de quinze kilomètres avec pique-nique",
        "OUTDOORS_ADVENTURE",
    ),
    (
        "Community garden day",
        "Planting, composting and a shared lunch",
        "OUTDOORS_ADVENTURE",
    ),
    (
        "Concert solidaire",
        "Des groupes locaux jouent au profit de l'association",
        "MUSIC",
    ),
];

const CITIES: [(&str, f64, f64); 12] = [
    ("Paris", 48.8566, 2.3522),
    ("Lyon", 45.764, 4.8357),
    ("Marseille", 43.2965, 5.3698),
    ("Bruxelles", 50.8503, 4.3517),
    ("Berlin", 52.52, 13.405),
    ("Amsterdam", 52.3676, 4.9041),
    ("Madrid", 40.4168, -3.7038),
    ("Lisboa", 38.7223, -9.1393),
    ("Roma", 41.9028, 12.4964),
    ("Wien", 48.2082, 16.3738),
    ("London", 51.5074, -0.1278),
    ("Genève", 46.2044, 6.1432),
];

fn start() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(1_800_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn details(dice: &mut Dice, i: usize) -> EventDetails {
    let (title, description, category) = TOPICS[dice.below(TOPICS.len())];
    let (city, lat, lon) = CITIES[dice.below(CITIES.len())];
    let begins_at = start() + time::Duration::minutes(dice.below(2 * 365 * 24 * 60) as i64);
    let online = dice.below(10) == 0;
    EventDetails {
        description_source: None,
        remote_picture: None,
        title: format!("{title} {city} #{i}"),
        description: format!("<p>{description}. Rendez-vous à {city}.</p>"),
        begins_at,
        ends_at: Some(begins_at + time::Duration::hours(2)),
        time_zone: "Europe/Paris".into(),
        status: Default::default(),
        visibility: Default::default(),
        join_mode: Default::default(),
        external_url: None,
        capacity: None,
        address: (!online).then(|| Address {
            name: Some(format!("Maison des associations de {city}")),
            locality: Some(city.into()),
            latitude: Some(lat + (dice.unit() - 0.5) * 0.3),
            longitude: Some(lon + (dice.unit() - 0.5) * 0.3),
            ..Address::default()
        }),
        online_url: online.then(|| "https://visio.example.org/room".into()),
        category: category.into(),
        tags: vec![category.to_lowercase()],
        language: "fr".into(),
        links: vec![],
        options: EventOptions::default(),
    }
}

async fn generate(db: &Database, events: usize) -> anyhow::Result<()> {
    let commands = Arc::new(Commands::<Event>::new(db, ()));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let commands = commands.clone();
        writers.push(tokio::spawn(async move {
            let metadata = Metadata::now(Actor::System, Source::Cli, "bench");
            let mut dice = Dice(0x9E37_79B9_7F4A_7C15 ^ (w as u64 + 1));
            for i in (w..events).step_by(WRITERS) {
                let command = EventCommand::Create {
                    organiser: "bench".into(),
                    creator_participation: format!("bench-{i}"),
                    details: details(&mut dice, i),
                    draft: false,
                };
                commands
                    .execute(&uuid::Uuid::new_v4().to_string(), command, &metadata)
                    .await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for writer in writers {
        writer.await??;
    }
    Ok(())
}

/// The five shapes, the `n`th of each varying its words and place.
fn shape(which: usize, n: usize) -> (&'static str, EventQuery, Vec<Vec<String>>) {
    let (city, lat, lon) = CITIES[n % CITIES.len()];
    let word = ["climate", "repair", "concert", "velo", "garden", "meetup"][n % 6];
    let near = Some(Near {
        lat,
        lon,
        radius_km: 25.0,
    });
    let one = |w: &str| vec![vec![w.to_string()]];
    match which {
        0 => ("plain word", EventQuery::text(word), one(word)),
        1 => {
            let (typo, right) = [
                ("climat marhc", "march"),
                ("repiar", "repair"),
                ("concret", "concert"),
            ][n % 3];
            let mut words: Vec<Vec<String>> = convene_search::text::query_words(typo)
                .into_iter()
                .map(|w| vec![w])
                .collect();
            if let Some(last) = words.last_mut() {
                last.push(right.to_string());
            }
            ("typo", EventQuery::text(typo), words)
        }
        2 => (
            "text + radius",
            EventQuery {
                near,
                ..EventQuery::text(word)
            },
            one(word),
        ),
        3 => {
            let from = start() + time::Duration::days((n % 600) as i64);
            let query = EventQuery {
                from: Some(from.unix_timestamp()),
                to: Some((from + time::Duration::days(90)).unix_timestamp()),
                category: Some(TOPICS[n % TOPICS.len()].2.into()),
                ..EventQuery::text(city)
            };
            (
                "text + dates + category",
                query,
                one(&convene_search::text::normalise(city)),
            )
        }
        _ => (
            "radius, by date",
            EventQuery {
                near,
                sort: Sort::Date,
                ..EventQuery::default()
            },
            Vec::new(),
        ),
    }
}

/// Runs `queries` searches of one shape spread over `clients` tasks; their latencies.
async fn measure<F, Fut>(clients: usize, queries: usize, run: F) -> anyhow::Result<Latencies>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let run = Arc::new(run);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let run = run.clone();
        tasks.push(tokio::spawn(async move {
            let mut micros = Vec::new();
            for n in (c..queries).step_by(clients) {
                let started = Instant::now();
                run(n).await?;
                micros.push(started.elapsed().as_micros() as u64);
            }
            Ok::<_, anyhow::Error>(micros)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    Ok(Latencies::new(all))
}

fn line(shape: &str, clients: usize, convene: &Latencies, raw: &Latencies) {
    println!(
        "  {shape:<24} {clients:>2} clients  convene p50 {:>7.2} ms p99 {:>7.2} ms   backend p50 {:>7.2} ms p99 {:>7.2} ms   ratio p50 {:.2} p99 {:.2}",
        convene.ms(0.5),
        convene.ms(0.99),
        raw.ms(0.5),
        raw.ms(0.99),
        convene.ms(0.5) / raw.ms(0.5).max(1e-3),
        convene.ms(0.99) / raw.ms(0.99).max(1e-3),
    );
}

/// The same search as Meilisearch's own HTTP API takes it, without Convene around it.
fn meili_raw(url: &str, key: Option<&str>, uid: &str, query: &EventQuery) -> anyhow::Result<()> {
    let mut filter = Vec::new();
    if let Some(near) = query.near {
        filter.push(format!(
            "_geoRadius({}, {}, {})",
            near.lat,
            near.lon,
            near.radius_km * 1000.0
        ));
    }
    if let (Some(from), Some(to)) = (query.from, query.to) {
        filter.push(format!("begins_at >= {from} AND begins_at <= {to}"));
    }
    if let Some(category) = &query.category {
        filter.push(format!("category = \"{category}\""));
    }
    let mut body = serde_json::json!({
        "q": query.text, "filter": filter.join(" AND "), "page": 1, "hitsPerPage": 20,
        "matchingStrategy": "all",
    });
    if query.sort == Sort::Date {
        body["sort"] = serde_json::json!(["begins_at:asc"]);
    }
    let mut request = ureq::post(&format!("{url}/indexes/{uid}/search"));
    if let Some(key) = key {
        request = request.header("Authorization", &format!("Bearer {key}"));
    }
    request.send_json(body)?;
    Ok(())
}

pub async fn search(
    settings: &Settings,
    events: usize,
    queries: usize,
) -> anyhow::Result<ExitCode> {
    if events == 0 || queries < 16 {
        bail!("--events must be at least 1 and --queries at least 16 (one per client)");
    }
    let scratch = super::scratch(settings).await?;
    let db = Database::open(&scratch.url).await?;
    println!(
        "convene bench search: {} scratch database, {events} events, {queries} queries per shape and client count, {}",
        scratch.label,
        machine()
    );
    let started = Instant::now();
    generate(&db, events).await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "appended {events} events in {seconds:.1} s ({:.0} events/s)",
        events as f64 / seconds
    );
    let head = EventLog::new(&db).head().await?.position;

    let embedded = Arc::new(Embedded::new(db.pool(), db.backend()));
    let started = Instant::now();
    Runner::new(Arc::new(SearchSubscriber::new(embedded.clone())), &db)
        .catch_up(head, &mut |_| {})
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} embedded index: {head} events indexed from the log in {seconds:.1} s ({:.0} events/s)",
        scratch.label,
        head as f64 / seconds
    );
    for clients in CLIENTS {
        for which in 0..5 {
            let name = shape(which, 0).0;
            let index = embedded.clone();
            let convene = measure(clients, queries, move |n| {
                let index = index.clone();
                async move {
                    index.search_events(&shape(which, n).1).await?;
                    Ok(())
                }
            })
            .await?;
            let index = embedded.clone();
            let raw = measure(clients, queries, move |n| {
                let index = index.clone();
                async move {
                    let (_, query, words) = shape(which, n);
                    index.page_only(&query, &words).await?;
                    Ok(())
                }
            })
            .await?;
            line(name, clients, &convene, &raw);
        }
    }

    match crate::subscribers::meili()? {
        None => println!(
            "Meilisearch: not measured (set CONVENE_MEILI_URL and CONVENE_MEILI_KEY to include it)"
        ),
        Some(_) => {
            let url = std::env::var(crate::subscribers::MEILI_URL).unwrap_or_default();
            let key = std::env::var(crate::subscribers::MEILI_KEY).ok();
            let uid = format!("convene_bench_{}", std::process::id());
            let meili = Arc::new(Meili::new(&url, key.as_deref(), &uid)?);
            meili.prepare().await?;
            let started = Instant::now();
            Runner::new(
                Arc::new(SearchSubscriber::named("search:bench", meili.clone())),
                &db,
            )
            .catch_up(head, &mut |_| {})
            .await?;
            let seconds = started.elapsed().as_secs_f64();
            println!("meilisearch: {head} events indexed from the log in {seconds:.1} s ({:.0} events/s)", head as f64 / seconds);
            for clients in CLIENTS {
                for which in 0..5 {
                    let name = shape(which, 0).0;
                    let index = meili.clone();
                    let convene = measure(clients, queries, move |n| {
                        let index = index.clone();
                        async move {
                            index.search_events(&shape(which, n).1).await?;
                            Ok(())
                        }
                    })
                    .await?;
                    let (url, key, uid) = (url.clone(), key.clone(), uid.clone());
                    let raw = measure(clients, queries, move |n| {
                        let (url, key, uid) = (url.clone(), key.clone(), uid.clone());
                        async move {
                            let query = shape(which, n).1;
                            tokio::task::spawn_blocking(move || {
                                meili_raw(&url, key.as_deref(), &uid, &query)
                            })
                            .await?
                        }
                    })
                    .await?;
                    line(name, clients, &convene, &raw);
                }
            }
            meili.delete().await?;
        }
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
