//! `convene bench join`: the latency of one command that reads its own write — joining an
//! event over the JSON API, answered once the events read model shows the participation —
//! next to `/healthz`, which reads the log's head and the checkpoints and writes nothing. With
//! `--participants N` the event first gets N participants, to compare a join on a small event
//! with one on a crowded event.

use super::{machine, BenchServer, Latencies};
use crate::config::Settings;
use anyhow::bail;
use convene_api::events::{create_event, NewEvent};
use std::process::ExitCode;
use std::time::Instant;

pub async fn join(
    settings: &Settings,
    joins: usize,
    participants: usize,
) -> anyhow::Result<ExitCode> {
    if joins == 0 {
        bail!("--joins must be at least 1");
    }
    let mut server = BenchServer::prepare(settings).await?;
    let state = server.state.clone();
    println!(
        "convene bench join: {} scratch database, {joins} sequential joins of one event \
         with {participants} participants before, {}",
        server.scratch.label,
        machine()
    );
    // One account with an organising profile and one profile per joiner: each join is made as
    // another identity of the same session.
    let mut usernames = vec!["organiser".to_string()];
    usernames.extend((0..joins).map(|i| format!("joiner{i}")));
    let (token, acting) = super::account_with(&state, &usernames).await?;
    let details = serde_json::from_value(serde_json::json!({
        "title": "Bench assembly",
        "begins_at": "2030-06-01T12:00:00Z",
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
    if participants > 0 {
        super::seed_crowd(&mut server, &event.id, participants).await?;
    }
    let started = Instant::now();
    server.serve().await?;
    eprintln!(
        "  the subscribers caught up with the seeding in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let base = server.base.clone();
    let measured =
        tokio::task::spawn_blocking(move || -> anyhow::Result<(Latencies, Latencies)> {
            let mut joined = Vec::with_capacity(joins);
            for username in usernames.iter().skip(1) {
                joined.push(super::timed_join(
                    &agent, &base, &token, username, &event.id,
                )?);
            }
            let mut health = Vec::with_capacity(joins);
            for _ in 0..joins {
                let sent = Instant::now();
                let response = agent.get(&format!("{base}/healthz")).call()?;
                health.push(sent.elapsed().as_micros() as u64);
                if response.status() != 200 {
                    bail!("/healthz answered {}", response.status());
                }
            }
            Ok((Latencies::new(joined), Latencies::new(health)))
        })
        .await??;
    let (joined, health) = measured;
    println!();
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>12}",
        "request", "count", "p50 ms", "p99 ms", "p50 ratio"
    );
    for (name, latencies) in [("/healthz", &health), ("join", &joined)] {
        println!(
            "{:<10} {:>10} {:>10.2} {:>10.2} {:>12.2}",
            name,
            latencies.len(),
            latencies.ms(0.50),
            latencies.ms(0.99),
            latencies.ms(0.50) / health.ms(0.50).max(1e-9)
        );
    }
    server.stop().await;
    Ok(ExitCode::SUCCESS)
}
