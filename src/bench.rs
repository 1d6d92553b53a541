//! `convene bench store`: Convene's event store next to the raw database doing the same work,
//! measured in one run on one scratch database, printed with ratios.

use crate::config::Settings;
use anyhow::{bail, Context};
use convene_domain::{Actor, Metadata, Profile, ProfileCommand, Source};
use convene_projections::db::Backend;
use convene_projections::log::{EventLog, StoredEvent};
use convene_projections::projection::BATCH_SIZE;
use convene_projections::scratch::Scratch;
use convene_projections::subscription::Subscription;
use convene_projections::{all_projections, replay, verify, Commands, Database};
use sqlx::AnyPool;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Concurrent clients in the second append phase.
const CLIENTS: usize = 8;

/// The raw baseline tables: the same columns and keys, no trigger, no chain.
const RAW_TABLES: [&str; 2] = [
    "CREATE TABLE bench_events (aggregate_type TEXT NOT NULL, aggregate_id TEXT NOT NULL, \
     sequence BIGINT NOT NULL, event_type TEXT NOT NULL, event_version TEXT NOT NULL, \
     payload TEXT NOT NULL, metadata TEXT NOT NULL, \
     PRIMARY KEY (aggregate_type, aggregate_id, sequence))",
    "CREATE TABLE bench_profiles (username TEXT PRIMARY KEY, display_name TEXT NOT NULL, \
     created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
];

/// One line of the report: Convene's rate and the raw rate for the same rows.
struct Line {
    measure: &'static str,
    convene: f64,
    raw: f64,
    baseline: &'static str,
}

pub async fn store(settings: &Settings, events: usize) -> anyhow::Result<ExitCode> {
    if events < CLIENTS {
        bail!("--events must be at least {CLIENTS}: one per concurrent client");
    }
    let scratch = match Backend::of_url(&settings.database_url)? {
        Backend::Sqlite => Scratch::sqlite().context("cannot create a temporary folder")?,
        Backend::Postgres => Scratch::postgres(&settings.database_url)
            .await
            .context("cannot create a scratch database on the PostgreSQL server of DATABASE_URL (the role needs CREATEDB)")?,
    };
    let db = Database::open(&scratch.url).await?;
    for ddl in RAW_TABLES {
        sqlx::query(ddl).execute(db.pool()).await?;
    }
    println!(
        "convene bench store: {} scratch database, {events} events per append phase, {}",
        scratch.label,
        machine()
    );
    let mut lines = Vec::new();
    let log = EventLog::new(&db);

    // 1. One client, one event per command, each its own commit.
    let commands = Arc::new(Commands::<Profile>::new(&db, ()));
    let started = Instant::now();
    for i in 0..events {
        create(&commands, format!("solo{i}")).await?;
    }
    let convene = rate(events, started);
    let solo = log.read_after(0, events as i64).await?;
    let started = Instant::now();
    for event in &solo {
        insert_raw(db.pool(), event).await?;
    }
    lines.push(Line {
        measure: "append, 1 client",
        convene,
        raw: rate(events, started),
        baseline: "INSERT",
    });
    progress(&lines);

    // 2. Eight clients appending at once (on PostgreSQL the chain's head row serialises them).
    let per_client = events / CLIENTS;
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let commands = commands.clone();
            tokio::spawn(async move {
                for i in 0..per_client {
                    create(&commands, format!("crowd{c}_{i}")).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let convene = rate(per_client * CLIENTS, started);
    let crowd = log.read_after(events as i64, events as i64).await?;
    let started = Instant::now();
    let tasks: Vec<_> = crowd
        .chunks(per_client)
        .map(|chunk| {
            let (pool, chunk) = (db.pool().clone(), chunk.to_vec());
            tokio::spawn(async move {
                for event in &chunk {
                    insert_raw(&pool, event).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    lines.push(Line {
        measure: "append, 8 clients",
        convene,
        raw: rate(crowd.len(), started),
        baseline: "INSERT",
    });
    progress(&lines);

    let total = log.head().await?.position;
    let raw_select = select_rate(db.pool(), total as usize).await?;

    // 3. A subscriber catching up from the start.
    let started = Instant::now();
    let mut subscription = Subscription::start(&db, 0, BATCH_SIZE).await?;
    while subscription.checkpoint() < total {
        subscription.next_batch().await?;
    }
    lines.push(Line {
        measure: "catch-up read",
        convene: rate(total as usize, started),
        raw: raw_select,
        baseline: "SELECT",
    });
    progress(&lines);

    // 4. Replay every projection from 0; raw: read the events, write the same rows.
    let started = Instant::now();
    replay::rebuild(&db, &all_projections(), &mut |_, _, _| {}).await?;
    let convene = rate(total as usize, started);
    lines.push(Line {
        measure: "replay",
        convene,
        raw: raw_rebuild_rate(db.pool(), total as usize).await?,
        baseline: "SELECT+INSERT",
    });
    progress(&lines);

    // 5. Verification of the whole chain.
    let started = Instant::now();
    let report = verify::verify(&log, &mut |_, _| {}).await?;
    if let Some(broken) = report.broken {
        bail!(
            "the scratch log does not verify at position {}: {}",
            broken.position,
            broken.reason
        );
    }
    lines.push(Line {
        measure: "verify",
        convene: rate(report.checked as usize, started),
        raw: raw_select,
        baseline: "SELECT",
    });
    progress(&lines);

    println!();
    println!(
        "{:<20} {:>14} {:>14}  {:<14} {:>6}",
        "measure", "convene/s", "raw/s", "raw baseline", "ratio"
    );
    for line in &lines {
        println!(
            "{:<20} {:>14.0} {:>14.0}  {:<14} {:>6.2}",
            line.measure,
            line.convene,
            line.raw,
            line.baseline,
            line.convene / line.raw
        );
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn create(commands: &Commands<Profile>, username: String) -> anyhow::Result<()> {
    let metadata = Metadata::now(Actor::System, Source::Cli, "bench");
    let command = ProfileCommand::Create {
        username: username.clone(),
        display_name: None,
        account: None,
    };
    commands.execute(&username, command, &metadata).await?;
    Ok(())
}

async fn insert_raw(pool: &AnyPool, event: &StoredEvent) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO bench_events (aggregate_type, aggregate_id, sequence, event_type, \
         event_version, payload, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&event.aggregate_type)
    .bind(&event.aggregate_id)
    .bind(event.sequence)
    .bind(&event.event_type)
    .bind(&event.event_version)
    .bind(&event.payload)
    .bind(&event.metadata)
    .execute(pool)
    .await?;
    Ok(())
}

/// Rows per second of one plain SELECT of the same rows.
async fn select_rate(pool: &AnyPool, rows: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let fetched = sqlx::query(
        "SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, \
         CAST(payload AS TEXT) AS payload, CAST(metadata AS TEXT) AS metadata, hash FROM event_log",
    )
    .fetch_all(pool)
    .await?;
    if fetched.len() != rows {
        bail!(
            "the raw SELECT read {} rows, expected {rows}",
            fetched.len()
        );
    }
    Ok(rate(rows, started))
}

/// Events per second of the raw equivalent of a replay: SELECT the events, then INSERT the
/// rows the read model ends up with, in transactions of the same size as a projection batch.
async fn raw_rebuild_rate(pool: &AnyPool, events: usize) -> anyhow::Result<f64> {
    use sqlx::Row;
    let profiles =
        sqlx::query("SELECT username, display_name, created_at, updated_at FROM profiles")
            .fetch_all(pool)
            .await?;
    let started = Instant::now();
    select_rate(pool, events).await?;
    for chunk in profiles.chunks(BATCH_SIZE as usize) {
        let mut tx = pool.begin().await?;
        for row in chunk {
            sqlx::query("INSERT INTO bench_profiles VALUES ($1, $2, $3, $4)")
                .bind(row.try_get::<String, _>(0)?)
                .bind(row.try_get::<String, _>(1)?)
                .bind(row.try_get::<String, _>(2)?)
                .bind(row.try_get::<String, _>(3)?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    Ok(rate(events, started))
}

fn rate(count: usize, started: Instant) -> f64 {
    count as f64 / started.elapsed().as_secs_f64().max(1e-9)
}

fn progress(lines: &[Line]) {
    if let Some(line) = lines.last() {
        eprintln!("  measured {}", line.measure);
    }
}

/// The CPU model and core count, for the record.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores")
}

/// `convene bench web`: the home and event pages under load, next to `/healthz`.
pub async fn web(
    settings: &Settings,
    events: usize,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<ExitCode> {
    use convene_api::mail::Mailer;
    use convene_api::{ApiConfig, AppState, Registrations};
    use convene_domain::event::EventDetails;
    use convene_domain::EventCommand;

    if events == 0 || clients == 0 || seconds == 0 {
        bail!("--events, --clients and --seconds must each be at least 1");
    }
    let scratch = match Backend::of_url(&settings.database_url)? {
        Backend::Sqlite => Scratch::sqlite().context("cannot create a temporary folder")?,
        Backend::Postgres => Scratch::postgres(&settings.database_url)
            .await
            .context("cannot create a scratch database on the PostgreSQL server of DATABASE_URL (the role needs CREATEDB)")?,
    };
    let db = Database::open(&scratch.url).await?;
    let mail = tempfile::tempdir()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let config = ApiConfig {
        public_url: base.clone(),
        mailer: Arc::new(Mailer::to_folder(
            "Convene <noreply@127.0.0.1>",
            mail.path(),
        )?),
        registrations: Registrations::Open,
    };
    let state = AppState::new(&db, config);
    println!(
        "convene bench web: {} scratch database, {events} events, {clients} clients, {seconds} s per page, {}",
        scratch.label,
        machine()
    );

    // The read model: `events` published events over the coming year, by one profile.
    let metadata = Metadata::now(Actor::System, Source::Cli, "bench");
    let profile = ProfileCommand::Create {
        username: "bench".into(),
        display_name: Some("Bench collective".into()),
        account: None,
    };
    state.profiles.execute("bench", profile, &metadata).await?;
    let started = Instant::now();
    let now = time::OffsetDateTime::now_utc();
    let mut middle = String::new();
    for i in 0..events {
        let id = uuid::Uuid::new_v4().to_string();
        let begins_at = now + time::Duration::minutes(30 + (i as i64 * 525_600 / events as i64));
        let details = EventDetails {
            title: format!("Neighbourhood meeting {i}"),
            description: "<p>Agenda: bikes, trees, the library.</p>".into(),
            begins_at,
            ends_at: Some(begins_at + time::Duration::hours(2)),
            time_zone: "Europe/Paris".into(),
            status: Default::default(),
            visibility: Default::default(),
            join_mode: Default::default(),
            external_url: None,
            capacity: Some(40),
            address: None,
            online_url: Some("https://meet.example.org/room".into()),
            category: "COMMUNITY".into(),
            tags: vec!["bikes".into()],
            language: "en".into(),
            links: Vec::new(),
            options: Default::default(),
        };
        let command = EventCommand::Create {
            organizer: "bench".into(),
            creator_participation: uuid::Uuid::new_v4().to_string(),
            details,
            draft: false,
        };
        state.events.execute(&id, command, &metadata).await?;
        if i == events / 2 {
            middle = id;
        }
    }
    eprintln!(
        "  seeded {events} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let head = EventLog::new(&db).head().await?.position;
    for projection in all_projections() {
        convene_projections::Runner::new(projection, &db)
            .catch_up(head, &mut |_| {})
            .await?;
    }
    let pages = Arc::new(convene_web::render::Pages::new()?);
    let app = convene_web::app(state, pages);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut rows = Vec::new();
    for (name, path) in [
        ("/healthz", "/healthz".to_string()),
        ("home page", "/".to_string()),
        ("event page", format!("/events/{middle}")),
    ] {
        let measured = load(&format!("{base}{path}"), clients, seconds).await?;
        eprintln!("  measured {name}");
        rows.push((name, measured));
    }
    let baseline = rows.first().map_or(1.0, |(_, m)| m.rate);
    println!();
    println!(
        "{:<12} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "page", "requests", "req/s", "p50 ms", "p99 ms", "ratio"
    );
    for (name, m) in &rows {
        println!(
            "{:<12} {:>10} {:>10.0} {:>10.2} {:>10.2} {:>8.3}",
            name,
            m.requests,
            m.rate,
            m.p50_ms,
            m.p99_ms,
            m.rate / baseline
        );
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

struct Measured {
    requests: usize,
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// `clients` keep-alive connections requesting `url` for `seconds`; fails on any non-200.
async fn load(url: &str, clients: usize, seconds: u64) -> anyhow::Result<Measured> {
    use http_body_util::{BodyExt, Empty};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    let uri: axum::http::Uri = url.parse()?;
    let client: Client<_, Empty<axum::body::Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(clients)
        .build_http();
    let deadline = Instant::now() + std::time::Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (client, uri) = (client.clone(), uri.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let response = client.get(uri.clone()).await?;
                    let status = response.status();
                    response.into_body().collect().await?;
                    if status != axum::http::StatusCode::OK {
                        bail!("{uri} answered {status}");
                    }
                    latencies.push(sent.elapsed().as_micros() as u64);
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let percentile = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |us| *us as f64 / 1000.0)
    };
    Ok(Measured {
        requests: all.len(),
        rate: all.len() as f64 / elapsed,
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
    })
}
