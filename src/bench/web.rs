//! `convene bench web`: the home and event pages under load, next to `/healthz`.

use super::{machine, BenchServer, Latencies};
use crate::config::Settings;
use anyhow::bail;
use convene_domain::event::EventDetails;
use convene_domain::{Actor, EventCommand, Metadata, ProfileCommand, Source};
use std::process::ExitCode;
use std::time::Instant;

pub async fn web(
    settings: &Settings,
    events: usize,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<ExitCode> {
    if events == 0 || clients == 0 || seconds == 0 {
        bail!("--events, --clients and --seconds must each be at least 1");
    }
    let mut server = BenchServer::prepare(settings).await?;
    let (state, label, base) = (
        server.state.clone(),
        server.scratch.label,
        server.base.clone(),
    );
    println!(
        "convene bench web: {} scratch database, {events} events, {clients} clients, {seconds} s per page, {}",
        label,
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
        let details = details_at(format!("Neighbourhood meeting {i}"), begins_at);
        let command = EventCommand::Create {
            organiser: "bench".into(),
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
    let started = Instant::now();
    let timeline = seed_group(&state, &metadata, &details_at).await?;
    eprintln!(
        "  seeded a group of {GROUP_MEMBERS} members, {GROUP_EVENTS} events and {timeline} timeline entries in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    server.serve().await?;

    let mut rows = Vec::new();
    for (name, path) in [
        ("/healthz", "/healthz".to_string()),
        ("home page", "/".to_string()),
        ("event page", format!("/events/{middle}")),
        ("group (API)", format!("/api/v1/groups/{GROUP}")),
        (
            "group timeline (API)",
            format!("/api/v1/groups/{GROUP}/timeline"),
        ),
        (
            "group events (API)",
            format!("/api/v1/groups/{GROUP}/events"),
        ),
        ("group page", format!("/@{GROUP}")),
        ("group timeline page", format!("/@{GROUP}/timeline")),
    ] {
        let measured = load(&format!("{base}{path}"), clients, seconds).await?;
        eprintln!("  measured {name}");
        rows.push((name, measured));
    }
    let baseline = rows.first().map_or(1.0, |(_, m)| m.rate);
    println!();
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "page", "requests", "req/s", "p50 ms", "p99 ms", "ratio"
    );
    for (name, m) in &rows {
        println!(
            "{:<22} {:>10} {:>10.0} {:>10.2} {:>10.2} {:>8.3}",
            name,
            m.requests,
            m.rate,
            m.p50_ms,
            m.p99_ms,
            m.rate / baseline
        );
    }
    server.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// The details of a benchmark event.
fn details_at(title: String, begins_at: time::OffsetDateTime) -> EventDetails {
    EventDetails {
        description_source: None,
        remote_picture: None,
        title,
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
    }
}

const GROUP: &str = "bench_group";
const GROUP_MEMBERS: usize = 1_000;
const GROUP_EVENTS: usize = 500;

/// A moderated group by @bench: 1,000 profiles ask to join and are approved and follow it, 500
/// events, and 1,500 role changes; returns how many timeline entries that makes (5,001).
async fn seed_group(
    state: &convene_api::AppState,
    metadata: &Metadata,
    details_at: &impl Fn(String, time::OffsetDateTime) -> EventDetails,
) -> anyhow::Result<usize> {
    use convene_domain::event::GroupLink;
    use convene_domain::group::{GroupActor, GroupDetails, MemberRole};
    use convene_domain::GroupCommand as G;

    let bench = GroupActor::profile("bench");
    let create = G::Create {
        handle: GROUP.into(),
        creator: bench.clone(),
        details: GroupDetails::named("Bench collective"),
    };
    state.groups.execute(GROUP, create, metadata).await?;
    let mut entries = 1;
    let members: Vec<GroupActor> = (0..GROUP_MEMBERS)
        .map(|i| GroupActor::profile(format!("m{i:04}")))
        .collect();
    for (i, who) in members.iter().enumerate() {
        let profile = ProfileCommand::Create {
            username: format!("m{i:04}"),
            display_name: None,
            account: None,
        };
        state
            .profiles
            .execute(&format!("m{i:04}"), profile, metadata)
            .await?;
        for command in [
            G::Join {
                who: who.clone(),
                message: None,
            },
            G::Approve {
                by: bench.clone(),
                who: who.clone(),
            },
            G::Follow { who: who.clone() },
        ] {
            state.groups.execute(GROUP, command, metadata).await?;
            entries += 1;
        }
    }
    let now = time::OffsetDateTime::now_utc();
    for i in 0..GROUP_EVENTS {
        let begins_at = now + time::Duration::days(1 + i as i64);
        let command = EventCommand::CreateForGroup {
            organiser: "bench".into(),
            creator_participation: uuid::Uuid::new_v4().to_string(),
            details: details_at(format!("Group meeting {i}"), begins_at),
            draft: false,
            group: GroupLink {
                handle: GROUP.into(),
                members_only: false,
                hide_organiser: false,
            },
        };
        let id = uuid::Uuid::new_v4().to_string();
        state.events.execute(&id, command, metadata).await?;
        entries += 1;
    }
    for who in members.iter().take(750) {
        for role in [MemberRole::Moderator, MemberRole::Member] {
            let command = G::ChangeRole {
                by: bench.clone(),
                who: who.clone(),
                role,
            };
            state.groups.execute(GROUP, command, metadata).await?;
            entries += 1;
        }
    }
    Ok(entries)
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
    let all = Latencies::new(all);
    Ok(Measured {
        requests: all.len(),
        rate: all.len() as f64 / elapsed,
        p50_ms: all.ms(0.50),
        p99_ms: all.ms(0.99),
    })
}
