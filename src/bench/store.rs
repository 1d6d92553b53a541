//! `convene bench store`: Convene's event store next to the raw database doing the same work,
//! measured in one run on one scratch database, printed with ratios.

use super::machine;
use crate::config::Settings;
use anyhow::bail;
use convene_domain::{Actor, Metadata, Profile, ProfileCommand, Source};
use convene_projections::log::{EventLog, StoredEvent};
use convene_projections::projection::BATCH_SIZE;
use convene_projections::subscription::Subscription;
use convene_projections::{read_models, replay, verify, Commands, Database, Subscribers};
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
    let scratch = super::scratch(settings).await?;
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
    replay::rebuild(&db, &Subscribers::new(read_models()), &mut |_, _, _| {}).await?;
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
