//! `convene bench audit`: on a log of many changes (by default a million, most recorded by a
//! thousand other accounts over a year), the audit trail filtered by account, by object and by
//! time, and an event with 2,000 participations as of a position — each next to the raw SQL
//! reading the same rows — then a revert of 1,000 changes, planned and applied.

use super::{account_as, machine, BenchServer, Dice, Latencies};
use crate::config::Settings;
use anyhow::{bail, Context};
use convene_api::audit::{self, AuditQuery};
use convene_api::comments::{self, NewComment};
use convene_api::events::{create_event, NewEvent};
use convene_api::objects;
use convene_api::revert::{self, RevertRequest};
use convene_domain::event::RemoteParticipant;
use convene_domain::metadata::format_timestamp;
use convene_domain::{Actor, EventCommand, Metadata, Role, Source};
use convene_projections::db::{AppendPool, Backend};
use convene_projections::Database;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// The other accounts the bulk of the log is spread over.
const ACCOUNTS: usize = 1_000;
/// Participations of the event read as of a position.
const PARTICIPANTS: usize = 2_000;
/// Changes the reverted account makes.
const REVERTED: usize = 1_000;
/// Rows per INSERT while filling the log.
const ROWS_PER_INSERT: usize = 500;

pub async fn audit(
    settings: &Settings,
    changes: usize,
    queries: usize,
) -> anyhow::Result<ExitCode> {
    if queries == 0 {
        bail!("--queries must be at least 1");
    }
    let mut server = BenchServer::prepare(settings).await?;
    let state = server.state.clone();
    println!(
        "convene bench audit: {} scratch database, {changes} changes, {queries} queries per \
         measure, {}",
        server.scratch.label,
        machine()
    );
    let started = Instant::now();
    fill(&server.db, changes).await?;
    println!(
        "filled the log with {changes} changes in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Every subscriber reads past them before the commands below wait on the read models.
    let started = Instant::now();
    server.caught_up().await?;
    println!(
        "the subscribers read past them in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let (_, moderator) = account_as(
        &state,
        "moderator@example.org",
        Role::Administrator,
        &["moderator".to_string()],
    )
    .await?;
    let (_, mallory) = account_as(
        &state,
        "mallory@example.org",
        Role::User,
        &["mallory".into()],
    )
    .await?;
    let details = serde_json::from_value(serde_json::json!({
        "title": "General assembly",
        "begins_at": "2031-06-01T12:00:00Z",
        "time_zone": "Europe/Paris",
    }))?;
    let event = create_event(
        &state,
        &moderator,
        NewEvent {
            details,
            draft: false,
        },
    )
    .await?
    .id;
    let started = Instant::now();
    for i in 0..PARTICIPANTS {
        let actor = format!("https://remote.example/@p{i}");
        let command = EventCommand::JoinRemote {
            participation: uuid::Uuid::new_v4().to_string(),
            who: RemoteParticipant {
                actor: actor.clone(),
                handle: format!("p{i}@remote.example"),
                inbox: "https://remote.example/inbox".into(),
                join: format!("{actor}/join"),
            },
            message: None,
        };
        let metadata = Metadata::now(
            Actor::Remote {
                actor: actor.clone(),
            },
            Source::Federation {
                activity: format!("{actor}/join"),
            },
            uuid::Uuid::new_v4().to_string(),
        );
        state.events.execute(&event, command, &metadata).await?;
    }
    println!(
        "{PARTICIPANTS} remote participations in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let from = OffsetDateTime::now_utc();
    let started = Instant::now();
    for i in 0..REVERTED {
        let new = NewComment {
            body: format!("cheap pills, offer {i}"),
            in_reply_to: None,
            announcement: false,
        };
        comments::post(&state, &mallory, &event, new).await?;
    }
    let to = OffsetDateTime::now_utc() + Duration::from_millis(1);
    println!(
        "{REVERTED} comments by one account in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    server.serve().await?;

    let db = &server.db;
    let session = &moderator.session;
    let mut dice = Dice(0x2545_F491_4F6C_DD1D);
    let head = db_head(db).await?;
    let field = |name: &str| match db.backend() {
        Backend::Sqlite => format!("json_extract(metadata, '$.{name}')"),
        Backend::Postgres => format!("(metadata ->> '{name}')"),
    };

    // By acting account.
    let raw_sql = format!(
        "SELECT position FROM event_log WHERE {} = $1 ORDER BY position DESC LIMIT 21",
        field("account")
    );
    let mut convene = Vec::new();
    let mut raw = Vec::new();
    for _ in 0..queries {
        let account = format!("bench-account-{}", dice.below(ACCOUNTS));
        let query = AuditQuery {
            account: Some(account.clone()),
            ..AuditQuery::default()
        };
        convene.push(timed(audit::trail(&state, session, query)).await?);
        raw.push(timed(positions(db, &raw_sql, &[&account])).await?);
    }
    let mut lines = vec![("audit trail by account", convene, raw)];

    // By object: the event with its participations and comments, before and after each.
    let raw_sql = "SELECT position FROM event_log WHERE aggregate_type = 'Event' \
                   AND aggregate_id = $1 ORDER BY position DESC LIMIT 21";
    let (mut convene, mut raw) = (Vec::new(), Vec::new());
    for page in 1..=queries as i64 {
        let query = AuditQuery {
            target_kind: Some("event".into()),
            target_id: Some(event.clone()),
            page: Some(1 + page % 50),
            ..AuditQuery::default()
        };
        convene.push(timed(audit::trail(&state, session, query)).await?);
        raw.push(timed(positions(db, raw_sql, &[&event])).await?);
    }
    lines.push(("audit trail by event (2,000 taking part)", convene, raw));

    // By a window of one hour somewhere in the year.
    let raw_sql = format!(
        "SELECT position FROM event_log WHERE {t} >= $1 AND {t} < $2 \
         ORDER BY position DESC LIMIT 21",
        t = field("recorded_at")
    );
    let (mut convene, mut raw) = (Vec::new(), Vec::new());
    let year_start = from - Duration::from_secs(365 * 86_400);
    for _ in 0..queries {
        let start = year_start + Duration::from_secs(dice.below(364 * 86_400) as u64);
        let (start, end) = (
            format_timestamp(start),
            format_timestamp(start + Duration::from_secs(3_600)),
        );
        let query = AuditQuery {
            from: Some(start.clone()),
            to: Some(end.clone()),
            ..AuditQuery::default()
        };
        convene.push(timed(audit::trail(&state, session, query)).await?);
        raw.push(timed(positions(db, &raw_sql, &[&start, &end])).await?);
    }
    lines.push(("audit trail by 1-hour window", convene, raw));

    // The event as of a position in its history.
    let raw_sql = "SELECT position, CAST(payload AS TEXT) AS payload FROM event_log \
                   WHERE aggregate_type = 'Event' AND aggregate_id = $1 AND position <= $2 \
                   ORDER BY sequence";
    let (mut convene, mut raw) = (Vec::new(), Vec::new());
    for _ in 0..queries {
        let at = head - dice.below(PARTICIPANTS + REVERTED) as i64;
        convene.push(timed(objects::as_of(&state, "event", &event, Some(at))).await?);
        raw.push(timed(rows_until(db, raw_sql, &event, at)).await?);
    }
    lines.push(("event as of a position", convene, raw));

    println!();
    println!(
        "{:<42} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "measure", "p50 ms", "p99 ms", "raw p50", "raw p99", "p50 ratio"
    );
    for (name, convene, raw) in lines {
        let (convene, raw) = (Latencies::new(convene), Latencies::new(raw));
        println!(
            "{name:<42} {:>10.2} {:>10.2} {:>10.2} {:>10.2} {:>10.1}",
            convene.ms(0.50),
            convene.ms(0.99),
            raw.ms(0.50),
            raw.ms(0.99),
            convene.ms(0.50) / raw.ms(0.50).max(1e-3)
        );
    }

    // A revert of the 1,000 comments: the plan, then the plan applied.
    let request = |apply: bool| RevertRequest {
        account: Some(mallory.session.account.id.clone()),
        profile: None,
        request_id: None,
        from: Some(format_timestamp(from)),
        to: Some(format_timestamp(to)),
        reason: "bench: a spam wave".into(),
        report: None,
        lock_out: true,
        apply,
    };
    let started = Instant::now();
    let plan = revert::revert(&state, session, request(false)).await?;
    let planned = started.elapsed();
    let started = Instant::now();
    let applied = revert::revert(&state, session, request(true)).await?;
    let done = started.elapsed();
    if plan.steps.len() != REVERTED + 1 || !applied.failed.is_empty() {
        bail!(
            "the revert planned {} steps and {} failed: expected {REVERTED} comments and the \
             lock-out",
            plan.steps.len(),
            applied.failed.len()
        );
    }
    println!();
    println!(
        "revert of {REVERTED} changes: planned in {:.2} s, applied in {:.2} s ({} steps)",
        planned.as_secs_f64(),
        done.as_secs_f64(),
        applied.steps.len()
    );
    server.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// Appends `changes` changes of a kind no read model keeps, as a thousand accounts recorded
/// them over the past year (the metadata the audit trail filters on), through the log's own
/// trigger, so positions and the hash chain are as any append makes them.
async fn fill(db: &Database, changes: usize) -> anyhow::Result<()> {
    let year = 365 * 86_400_000_000_i64;
    let start = OffsetDateTime::now_utc() - Duration::from_secs(365 * 86_400);
    let step = year / changes.max(1) as i64;
    let mut rows = Vec::with_capacity(ROWS_PER_INSERT);
    let mut shown = Instant::now();
    for i in 0..changes {
        let at = format_timestamp(start + Duration::from_micros((step * i as i64) as u64));
        let account = i * 7_919 % ACCOUNTS;
        let metadata = serde_json::json!({
            "actor": "account",
            "account": format!("bench-account-{account}"),
            "profile": format!("bench{account}"),
            "source": "web",
            "request_id": format!("bench-request-{i}"),
            "recorded_at": at,
        });
        let payload = serde_json::json!({"NoteRecorded": {
            "note": format!("change {i}: a note as long as a typical change's payload, with a \
                             title, a place and a few words of description")
        }});
        rows.push(format!(
            "('BenchNote', 'note-{}', {}, 'NoteRecorded', '1', {}, {})",
            i / 100,
            i % 100,
            quoted(&payload.to_string()),
            quoted(&metadata.to_string())
        ));
        if rows.len() == ROWS_PER_INSERT || i + 1 == changes {
            let sql = format!(
                "INSERT INTO event_log (aggregate_type, aggregate_id, sequence, event_type, \
                 event_version, payload, metadata) VALUES {}",
                rows.join(", ")
            );
            rows.clear();
            match db.append_pool() {
                AppendPool::Sqlite(pool) => sqlx::raw_sql(&sql).execute(pool).await.map(drop),
                AppendPool::Postgres(pool) => sqlx::raw_sql(&sql).execute(pool).await.map(drop),
            }
            .context("filling the log")?;
            if shown.elapsed() > Duration::from_secs(5) {
                println!("  {} of {changes} changes", i + 1);
                shown = Instant::now();
            }
        }
    }
    Ok(())
}

/// A SQL string literal.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

async fn db_head(db: &Database) -> anyhow::Result<i64> {
    Ok(convene_projections::EventLog::new(db)
        .head()
        .await?
        .position)
}

/// Microseconds `work` took (its result checked).
async fn timed<T, E: Into<anyhow::Error>>(
    work: impl std::future::Future<Output = Result<T, E>>,
) -> anyhow::Result<u64> {
    let started = Instant::now();
    work.await.map_err(Into::into)?;
    Ok(started.elapsed().as_micros() as u64)
}

async fn positions(db: &Database, sql: &str, binds: &[&str]) -> anyhow::Result<()> {
    let mut query = sqlx::query(sql);
    for bind in binds {
        query = query.bind(*bind);
    }
    query.fetch_all(db.pool()).await?;
    Ok(())
}

async fn rows_until(db: &Database, sql: &str, id: &str, at: i64) -> anyhow::Result<()> {
    sqlx::query(sql)
        .bind(id)
        .bind(at)
        .fetch_all(db.pool())
        .await?;
    Ok(())
}
