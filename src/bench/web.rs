//! `convene bench web`: the home and event pages (with pictures), the calendar and the group
//! pages under load, next to `/healthz`; and a 5 MB photo uploaded through the API, timed until
//! every rendition is stored, with the process's peak memory.

use super::{machine, BenchServer, Latencies};
use crate::config::Settings;
use anyhow::{bail, Context};
use convene_api::pictures::store::Format;
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

    // The read model: `events` published events over the coming year, by one profile of an
    // account (whose session uploads pictures).
    let metadata = Metadata::now(Actor::System, Source::Cli, "bench");
    let (token, acting) = super::account_with(&state, &["bench".to_string()]).await?;
    let started = Instant::now();
    let now = time::OffsetDateTime::now_utc();
    let (mut middle, mut last, mut soonest) = (String::new(), String::new(), Vec::new());
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
            middle = id.clone();
        } else if i < PICTURED {
            soonest.push(id.clone());
        }
        last = id;
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
    // The home page's first events show a picture each, as organisers' events do.
    let started = Instant::now();
    for (i, id) in soonest.iter().enumerate() {
        let photo = photo(1200, 800, i as u32, 85)?;
        let alt = Some(format!("Photo {i}"));
        convene_api::pictures::upload_for_event(&state, &acting, id, photo, alt).await?;
    }
    eprintln!(
        "  gave the {} soonest events a 1200×800 photo in {:.1} s",
        soonest.len(),
        started.elapsed().as_secs_f64()
    );
    server.serve().await?;
    let pictured = soonest.first().cloned().unwrap_or_else(|| middle.clone());
    // The latest event takes the 5 MB photo: the pages measured are not changed by it.
    let upload = upload(&server, &token, &last).await?;

    let mut rows = Vec::new();
    for (name, path) in [
        ("/healthz", "/healthz".to_string()),
        ("home page (pictures)", "/".to_string()),
        ("event page", format!("/events/{middle}")),
        ("event page (picture)", format!("/events/{pictured}")),
        ("calendar (month)", "/calendar".to_string()),
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
    println!();
    println!("{upload}");
    server.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// How many of the soonest events show a picture (the home page's first screens).
const PICTURED: usize = 24;

/// A photo-like JPEG of `width`×`height` at `quality`: gradients under fine grain, which
/// compresses as a camera's picture does (about 5 MB at 4000×3000 and quality 92). `seed`
/// makes each one different.
fn photo(width: u32, height: u32, seed: u32, quality: u8) -> anyhow::Result<Vec<u8>> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let pixels = image::RgbImage::from_fn(width, height, |x, y| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let grain = (state >> 24) as u8 / 3;
        let at = |v: u32, of: u32| u8::try_from(v * 200 / of).unwrap_or(200);
        let shift = seed % 50;
        let [r, g, b] = [at(x, width), at(y, height), at(x + y, width + height)]
            .map(|c| c.saturating_add(grain).saturating_add(shift as u8));
        image::Rgb([r, g, b])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality).encode_image(&pixels)?;
    Ok(jpeg)
}

/// A line of the process's `/proc/self/status` (`VmHWM`, `VmRSS`), in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A photo of about 5 MB, 4000×3000, sent to `POST /api/v1/events/{id}/picture` as an
/// organiser would: the time until the answer, until every rendition (JPEG and WebP) is stored,
/// and the server process's peak memory meanwhile (its high-water mark reset just before).
async fn upload(server: &BenchServer, token: &str, event: &str) -> anyhow::Result<String> {
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    let (width, height) = (4000, 3000);
    let mut quality = 95;
    let mut jpeg = photo(width, height, 7, quality)?;
    while jpeg.len() > 6 * 1024 * 1024 && quality > 70 {
        quality -= 3;
        jpeg = photo(width, height, 7, quality)?;
    }
    let size = jpeg.len();
    let boundary = "convene-bench-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nA street at dusk\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&jpeg);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    drop(jpeg);
    let request =
        axum::http::Request::post(format!("{}/api/v1/events/{event}/picture", server.base))
            .header("authorization", format!("Bearer {token}"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Full::new(axum::body::Bytes::from(body)))?;
    let client: Client<_, Full<axum::body::Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();

    // Linux: writing 5 to clear_refs resets the high-water mark to the present size.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = status_kib("VmRSS:").unwrap_or(0);
    let started = Instant::now();
    let response = client.request(request).await?;
    let status = response.status();
    let answer = response.into_body().collect().await?.to_bytes();
    let answered = started.elapsed();
    if status != axum::http::StatusCode::OK {
        bail!(
            "the upload answered {status}: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    let event: serde_json::Value = serde_json::from_slice(&answer)?;
    let hash = event["picture"]["hash"]
        .as_str()
        .or_else(|| event["picture"]["facts"]["hash"].as_str())
        .map(str::to_string)
        .with_context(|| format!("no picture in the answer: {event}"))?;
    let widths: Vec<u32> = serde_json::from_value(
        event["picture"]
            .get("widths")
            .or_else(|| event["picture"]["facts"].get("widths"))
            .cloned()
            .unwrap_or_default(),
    )?;
    // Every rendition is written aside, then renamed: there is whole once its name is.
    let folder = &server.state.config.pictures.folder;
    let names: Vec<std::path::PathBuf> = widths
        .iter()
        .flat_map(|w| {
            [Format::Jpeg, Format::Webp].map(|f| {
                convene_api::pictures::store::path_of(
                    folder,
                    &convene_api::pictures::store::file_name(&hash, *w, f),
                )
            })
        })
        .collect();
    let deadline = Instant::now() + std::time::Duration::from_secs(120);
    while !names.iter().all(|n| n.exists()) {
        if Instant::now() > deadline {
            bail!("the renditions of the upload were not all stored within 2 minutes");
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let processed = started.elapsed();
    let peak = status_kib("VmHWM:").unwrap_or(0);
    let mib = |kib: u64| kib as f64 / 1024.0;
    Ok(format!(
        "upload: a {:.1} MB {width}×{height} JPEG (quality {quality}) through POST /api/v1/events/{{id}}/picture: \
         answered in {:.2} s, all {} renditions (JPEG and WebP, widths {widths:?}) stored in {:.2} s; \
         peak memory of the process {:.0} MiB{}, {:.0} MiB before",
        size as f64 / 1_000_000.0,
        answered.as_secs_f64(),
        names.len(),
        processed.as_secs_f64(),
        mib(peak),
        if reset {
            " (high-water mark reset just before the upload)"
        } else {
            " (high-water mark since the start: it could not be reset)"
        },
        mib(before),
    ))
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
            group: GroupLink::here(GROUP, false, false),
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
