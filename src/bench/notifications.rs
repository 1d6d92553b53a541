//! `convene bench notifications`: one event with many participants whose time changes — the
//! notifications the subscriber derives per second (next to inserting as many rows in one plain
//! transaction), and the mails the sender writes per second to `.eml` files and to an SMTP server
//! on 127.0.0.1 (a small sink in this process), each next to writing as many files, or sending
//! as many messages through the same mailer, in a plain loop; then the latency of joining and
//! editing an event over the JSON API with the notifications subscriber running and stopped.

use super::{machine, BenchServer, Latencies};
use crate::config::Settings;
use anyhow::bail;
use convene_api::events::{create_event, update, NewEvent};
use convene_api::mail::{Mailer, Outgoing};
use convene_domain::event::EventPatch;
use convene_notifications::{NotificationsSubscriber, Retries, Sender, SUBSCRIBER};
use convene_projections::{EventLog, Subscriber, Subscribers};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const FROM: &str = "Convene <noreply@127.0.0.1>";

fn per_second(count: usize, took: Duration) -> f64 {
    count as f64 / took.as_secs_f64().max(1e-9)
}

/// The notifications subscriber alone, running until its token is cancelled.
fn start_notifications(
    db: &convene_projections::Database,
    new_mail: &Arc<Notify>,
) -> CancellationToken {
    let stop = CancellationToken::new();
    let only = Subscribers::new([
        Arc::new(NotificationsSubscriber::new(new_mail.clone())) as Arc<dyn Subscriber>
    ]);
    only.spawn(db, &stop);
    stop
}

/// Waits until the notifications subscriber has reached the log's head.
async fn settled(db: &convene_projections::Database) -> anyhow::Result<()> {
    let head = EventLog::new(db).head().await?.position;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3600);
    if !convene_projections::projection::wait_for(db, &[SUBSCRIBER], head, deadline).await {
        bail!("the notifications subscriber did not catch up in an hour");
    }
    Ok(())
}

pub async fn notifications(
    settings: &Settings,
    participants: usize,
    smtp_mails: usize,
    requests: usize,
) -> anyhow::Result<ExitCode> {
    if participants == 0 || requests == 0 || smtp_mails == 0 {
        bail!("--participants, --smtp-mails and --requests must be at least 1");
    }
    let smtp_mails = smtp_mails.min(participants);
    // The notifications subscriber is started and stopped by the bench itself.
    let mut server = BenchServer::prepare_with(settings, |base| {
        Subscribers::new(
            crate::subscribers::all(base)
                .iter()
                .filter(|s| s.name() != SUBSCRIBER)
                .cloned(),
        )
    })
    .await?;
    let state = server.state.clone();
    let db = server.db.clone();
    println!(
        "convene bench notifications: {} scratch database, one event with {participants} participants \
         whose time changes, {requests} joins and edits per phase, {}",
        server.scratch.label,
        machine()
    );

    // The organiser's account (with profiles to join as, in the latency phases), and another
    // account holding every participant's profile: the participants hear of the organiser's
    // changes, never of their own.
    let mut usernames = vec!["organiser".to_string()];
    usernames.extend((0..LATENCY_PHASES.len() * requests).map(|i| format!("joiner{i}")));
    let (token, acting) = super::account_with(&state, &usernames).await?;
    let details = serde_json::from_value(serde_json::json!({
        "title": "Bench assembly",
        "begins_at": "2030-06-01T12:00:00Z",
        "ends_at": "2030-06-01T14:00:00Z",
        "time_zone": "Europe/Paris",
    }))?;
    let event = create_event(
        &state,
        &acting,
        NewEvent {
            details,
            draft: false,
        },
    )
    .await?;
    super::seed_crowd(&mut server, &event.id, participants).await?;
    let started = Instant::now();
    server.serve().await?;
    eprintln!(
        "  the subscribers caught up with the seeding in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let new_mail = Arc::new(Notify::new());
    let started = Instant::now();
    let running = start_notifications(&db, &new_mail);
    settled(&db).await?;
    eprintln!(
        "  the notifications subscriber caught up with the joins in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Derivation: the time changes; every participant is told.
    let at = |text: &str| {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
    };
    let patch = EventPatch {
        begins_at: Some(at("2030-06-02T12:00:00Z")?),
        ends_at: Some(Some(at("2030-06-02T14:00:00Z")?)),
        ..EventPatch::default()
    };
    let started = Instant::now();
    update(&state, &acting, &event.id, patch).await?;
    settled(&db).await?;
    let derived_in = started.elapsed();
    let derived: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE kind = 'event_changed'")
            .fetch_one(db.pool())
            .await?;
    if derived != participants as i64 {
        bail!("{derived} notifications of the change derived, not {participants}");
    }
    let plain_rows = plain_inserts(&db, participants).await?;

    // Mail to .eml files: the sender empties the outbox.
    let folder = tempfile::tempdir()?;
    let to_files = Arc::new(Mailer::to_folder(FROM, folder.path())?);
    let eml_took = send_all(&server, to_files.clone(), &new_mail).await?;
    let written = std::fs::read_dir(folder.path())?.count();
    if written != participants {
        bail!("{written} .eml files written, not {participants}");
    }
    let size = std::fs::read_dir(folder.path())?
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len() as usize)
        .sum::<usize>()
        / participants;
    let plain = tempfile::tempdir()?;
    let body = "x".repeat(size);
    let started = Instant::now();
    for i in 0..participants {
        tokio::fs::write(plain.path().join(format!("{i}.eml")), &body).await?;
    }
    let plain_files = started.elapsed();

    // Mail over SMTP: the first `smtp_mails` notifications' mails of the same outbox again (not
    // the account mails it also holds), to the sink.
    let (port, received) = smtp_sink().await?;
    sqlx::query(
        "UPDATE notification_mails SET state = 'pending', attempts = 0, due_at = 0, sent_at = NULL \
         WHERE id IN (SELECT m.id FROM notification_mails m JOIN notifications n ON n.id = m.id \
                      ORDER BY m.id LIMIT $1)",
    )
    .bind(i64::try_from(smtp_mails)?)
    .execute(db.pool())
    .await?;
    let smtp = Arc::new(Mailer::smtp(FROM, &format!("smtp://127.0.0.1:{port}"))?);
    let smtp_took = send_all(&server, smtp.clone(), &new_mail).await?;
    let got = received.swap(0, Ordering::Relaxed);
    if got != smtp_mails {
        bail!("the SMTP sink received {got} messages, not {smtp_mails}");
    }
    let sample = Outgoing {
        to: "crowd@example.org".into(),
        subject: "Bench assembly has changed".into(),
        text: "x".repeat(size / 2),
        html: format!("<p>{}</p>", "x".repeat(size / 2)),
        unsubscribe: None,
        message_id: None,
    };
    let started = Instant::now();
    for _ in 0..smtp_mails {
        smtp.send_mail(&sample).await?;
    }
    let plain_smtp = started.elapsed();
    if received.load(Ordering::Relaxed) != smtp_mails {
        bail!("the SMTP sink lost plain messages");
    }

    println!();
    println!(
        "{:<34} {:>10} {:>10} {:>12} {:>8}",
        "work", "count", "seconds", "per second", "ratio"
    );
    for (name, count, took, baseline) in [
        (
            "notifications derived",
            participants,
            derived_in,
            plain_rows,
        ),
        (
            "  plain INSERTs, one transaction",
            participants,
            plain_rows,
            plain_rows,
        ),
        (
            ".eml mails written by the sender",
            participants,
            eml_took,
            plain_files,
        ),
        (
            "  plain file writes",
            participants,
            plain_files,
            plain_files,
        ),
        (
            "SMTP mails sent by the sender",
            smtp_mails,
            smtp_took,
            plain_smtp,
        ),
        (
            "  plain SMTP sends, same mailer",
            smtp_mails,
            plain_smtp,
            plain_smtp,
        ),
    ] {
        println!(
            "{:<34} {:>10} {:>10.2} {:>12.0} {:>8.2}",
            name,
            count,
            took.as_secs_f64(),
            per_second(count, took),
            per_second(count, took) / per_second(count, baseline).max(1e-9)
        );
    }

    // Latency over the JSON API, in phases with the subscriber running and stopped, in the
    // order on, off, off, on: a machine that grows busier or quieter during the run weighs on
    // both alike. A phase with the subscriber on starts once it has caught up.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut running = Some(running);
    // Each phase's join and edit latencies, in microseconds.
    let mut measured: Vec<(bool, [Vec<u64>; 2])> = Vec::new();
    for (round, on) in LATENCY_PHASES.into_iter().enumerate() {
        match (on, running.take()) {
            (true, None) => {
                running = Some(start_notifications(&db, &new_mail));
                settled(&db).await?;
            }
            (false, Some(token)) => token.cancel(),
            (_, kept) => running = kept,
        }
        let first = round * requests;
        let phase = latency_phase(&agent, &server.base, &token, &event.id, first, requests).await?;
        measured.push((on, phase));
    }
    println!();
    println!(
        "{:<14} {:>11} {:>8} {:>10} {:>10}",
        "request", "subscriber", "count", "p50 ms", "p99 ms"
    );
    for (request, name) in ["join", "edit (title)"].into_iter().enumerate() {
        let mut p50 = [0.0; 2];
        for (phase, on) in [("on", true), ("off", false)] {
            let all = Latencies::new(
                measured
                    .iter()
                    .filter(|(o, _)| *o == on)
                    .flat_map(|(_, phase)| phase[request].iter().copied())
                    .collect(),
            );
            p50[usize::from(!on)] = all.ms(0.50);
            println!(
                "{:<14} {:>11} {:>8} {:>10.2} {:>10.2}",
                name,
                phase,
                all.len(),
                all.ms(0.50),
                all.ms(0.99)
            );
        }
        println!(
            "{:<14} {:>11} p50 on / off: {:.2}",
            name,
            "",
            p50[0] / p50[1].max(1e-9)
        );
    }
    if let Some(token) = running {
        token.cancel();
    }
    drop(folder);
    server.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// Whether the notifications subscriber runs in each latency phase, in order.
const LATENCY_PHASES: [bool; 4] = [true, false, false, true];

/// `requests` joins (as `@joiner{first}`…) then as many title edits of event `id`, one after the
/// other over the JSON API: their latencies in microseconds.
async fn latency_phase(
    agent: &ureq::Agent,
    base: &str,
    token: &str,
    id: &str,
    first: usize,
    requests: usize,
) -> anyhow::Result<[Vec<u64>; 2]> {
    let (agent, base, token, id) = (
        agent.clone(),
        base.to_string(),
        token.to_string(),
        id.to_string(),
    );
    tokio::task::spawn_blocking(move || -> anyhow::Result<[Vec<u64>; 2]> {
        let mut joins = Vec::with_capacity(requests);
        for i in first..first + requests {
            joins.push(super::timed_join(
                &agent,
                &base,
                &token,
                &format!("joiner{i}"),
                &id,
            )?);
        }
        let mut edits = Vec::with_capacity(requests);
        for i in 0..requests {
            let sent = Instant::now();
            let response = agent
                .patch(&format!("{base}/api/v1/events/{id}"))
                .header("authorization", format!("Bearer {token}"))
                .header("x-convene-profile", "organiser")
                .header("content-type", "application/json")
                .send(format!("{{\"title\": \"Bench assembly {first} {i}\"}}"))?;
            edits.push(sent.elapsed().as_micros() as u64);
            if response.status() != 200 {
                bail!("editing answered {}", response.status());
            }
        }
        Ok([joins, edits])
    })
    .await?
}

/// The time `count` rows like the notifications take as plain INSERTs in one transaction.
async fn plain_inserts(
    db: &convene_projections::Database,
    count: usize,
) -> anyhow::Result<Duration> {
    sqlx::query("CREATE TABLE bench_plain_rows (id TEXT PRIMARY KEY, facts TEXT NOT NULL)")
        .execute(db.pool())
        .await?;
    let facts: String = sqlx::query_scalar("SELECT facts FROM notifications LIMIT 1")
        .fetch_one(db.pool())
        .await?;
    let started = Instant::now();
    let mut tx = db.pool().begin().await?;
    for i in 0..count {
        sqlx::query("INSERT INTO bench_plain_rows (id, facts) VALUES ($1, $2)")
            .bind(i.to_string())
            .bind(&facts)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(started.elapsed())
}

/// Runs a sender through `mailer` until the outbox has nothing pending; how long it took.
async fn send_all(
    server: &BenchServer,
    mailer: Arc<Mailer>,
    new_mail: &Arc<Notify>,
) -> anyhow::Result<Duration> {
    let sender = Sender::new(
        &server.db,
        mailer,
        &server.base,
        new_mail.clone(),
        Retries::default(),
    );
    let started = Instant::now();
    loop {
        let round = sender.send_due().await?;
        if round.retrying + round.failed > 0 {
            bail!("mails were refused: {round:?}");
        }
        if round.sent == 0 {
            return Ok(started.elapsed());
        }
    }
}

/// An SMTP server on 127.0.0.1 that accepts every message and counts them: its port and count.
async fn smtp_sink() -> anyhow::Result<(u16, Arc<AtomicUsize>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let received = Arc::new(AtomicUsize::new(0));
    let count = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                if let Err(error) = smtp_session(stream, &count).await {
                    tracing::debug!(%error, "bench SMTP sink");
                }
            });
        }
    });
    Ok((port, received))
}

/// One SMTP conversation: every command accepted, every message counted.
async fn smtp_session(stream: tokio::net::TcpStream, count: &AtomicUsize) -> std::io::Result<()> {
    // Answers go out at once, as a mail server's do (no waiting on delayed acknowledgements).
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 127.0.0.1 bench sink\r\n").await?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let verb = String::from_utf8_lossy(line.get(..4).unwrap_or_default()).to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                write
                    .write_all(b"250-127.0.0.1\r\n250 8BITMIME\r\n")
                    .await?
            }
            "DATA" => {
                write.write_all(b"354 end with a dot\r\n").await?;
                loop {
                    line.clear();
                    if read.read_until(b'\n', &mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == b".\r\n" {
                        break;
                    }
                }
                count.fetch_add(1, Ordering::Relaxed);
                write.write_all(b"250 accepted\r\n").await?;
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => write.write_all(b"250 OK\r\n").await?,
        }
    }
}
