//! `convene bench federation`: one event fanned out to many followers' inboxes — the outbox
//! deriving the deliveries from the log and the worker signing and posting them — against
//! receivers on 127.0.0.1 that answer after an added latency and check every signature; next to
//! the same number of plain POSTs to the same receivers with the same concurrency (the
//! receivers' raw rate), and to signing and verifying alone. Then the other way
//! ([`super::ingest`]): signed `Create`s posted to this instance's inbox by many clients.

use super::{machine, BenchServer};
use crate::config::Settings;
use anyhow::{bail, Context};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use convene_api::events::{create_event, NewEvent};
use convene_domain::{Actor, Metadata, Profile, ProfileCommand, Source};
use convene_federation::client::{Client, Limits, Network};
use convene_federation::delivery::{self, State as Delivered, Worker, WorkerConfig};
use convene_federation::keys::{key_pair, KeyOwner};
use convene_federation::outbox::LocalSigners;
use convene_federation::signatures::{self, Received, Signer, DEFAULT_MAX_SKEW};
use convene_projections::Commands;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::Semaphore;

/// What each receiver shares: the key that must have signed, the added latency, the count.
struct Receiver {
    public_pem: Option<String>,
    latency: Duration,
    accepted: AtomicUsize,
}

async fn inbox(
    State(receiver): State<Arc<Receiver>>,
    Path(_n): Path<u32>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    tokio::time::sleep(receiver.latency).await;
    if let Some(pem) = &receiver.public_pem {
        let received = Received {
            method: &method,
            uri: &uri,
            headers: &headers,
            body: &body,
            scheme: "http",
        };
        let verified = signatures::parse(&received, SystemTime::now(), DEFAULT_MAX_SKEW)
            .and_then(|signed| signed.verify(pem));
        if verified.is_err() {
            return StatusCode::UNAUTHORIZED;
        }
    }
    receiver.accepted.fetch_add(1, Ordering::Relaxed);
    StatusCode::ACCEPTED
}

/// `hosts` receivers on 127.0.0.1, each on its own port; their base URLs.
async fn receivers(hosts: usize, receiver: &Arc<Receiver>) -> anyhow::Result<Vec<String>> {
    let mut bases = Vec::with_capacity(hosts);
    for _ in 0..hosts {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        bases.push(format!("http://{}", listener.local_addr()?));
        let app = Router::new()
            .route("/inbox/{n}", post(inbox))
            .with_state(receiver.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }
    Ok(bases)
}

fn per_second(count: usize, took: Duration) -> f64 {
    count as f64 / took.as_secs_f64().max(1e-9)
}

pub async fn federation(
    settings: &Settings,
    inboxes: usize,
    hosts: usize,
    latency_ms: u64,
    posts: usize,
    clients: usize,
) -> anyhow::Result<ExitCode> {
    if inboxes == 0 || hosts == 0 {
        bail!("--inboxes and --hosts must be at least 1");
    }
    if posts == 0 || clients == 0 {
        bail!("--posts and --clients must be at least 1");
    }
    let mut server = BenchServer::prepare(settings).await?;
    let state = server.state.clone();
    let latency = Duration::from_millis(latency_ms);
    println!(
        "convene bench federation: {} scratch database, one event to {inboxes} inboxes on {hosts} \
         receivers answering after {latency_ms} ms, {}",
        server.scratch.label,
        machine()
    );
    let (_, acting) = super::account_with(&state, &["organiser".to_string()]).await?;
    let bench = Metadata::now(Actor::System, Source::Cli, "bench");
    let profiles = Commands::<Profile>::new(&server.db, ());
    let pair = key_pair(&server.db, &KeyOwner::Profile("organiser".into())).await?;
    let receiver = Arc::new(Receiver {
        public_pem: Some(pair.public_pem.clone()),
        latency,
        accepted: AtomicUsize::new(0),
    });
    let bases = receivers(hosts, &receiver).await?;
    let urls: Vec<String> = (0..inboxes)
        .map(|i| format!("{}/inbox/{i}", bases[i % hosts]))
        .collect();
    for (i, url) in urls.iter().enumerate() {
        let follow = ProfileCommand::AddFollower {
            actor: format!("{}/users/{i}", bases[i % hosts]),
            inbox: url.clone(),
            shared_inbox: None,
            activity: format!("{}/follows/{i}", bases[i % hosts]),
        };
        profiles.execute("organiser", follow, &bench).await?;
    }
    server
        .serve_federated(super::ingest::extra_routes())
        .await?;
    // The Accepts of the follows go to the same receivers: sent before the measure starts.
    let client = Client::new(
        &url::Url::parse(&server.base)?,
        Network::TestLoopback,
        Limits::default(),
    )?;
    let config = WorkerConfig::default();
    let worker = Worker::new(
        server.db.clone(),
        client,
        Arc::new(LocalSigners::new(&server.db, &server.base)),
        config.clone(),
    );
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(worker.run(stop.clone()));
    wait_for(&receiver, inboxes, Duration::from_secs(600)).await?;

    // One event, fanned out: from the command to the last inbox's answer.
    let details = serde_json::from_value(serde_json::json!({
        "title": "Bench assembly",
        "begins_at": "2030-06-01T12:00:00Z",
        "time_zone": "Europe/Paris",
    }))?;
    let started = Instant::now();
    create_event(
        &state,
        &acting,
        NewEvent {
            details,
            draft: false,
        },
    )
    .await?;
    wait_for(&receiver, 2 * inboxes, Duration::from_secs(600)).await?;
    let fanned = started.elapsed();
    // Every answer recorded, none twice.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let delivered = delivery::all(server.db.pool(), delivery::Which::In(Delivered::Delivered))
            .await?
            .len();
        if delivered == 2 * inboxes {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "{delivered} deliveries recorded as delivered, not {}",
                2 * inboxes
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    let accepted = receiver.accepted.load(Ordering::Relaxed);
    if accepted != 2 * inboxes {
        bail!(
            "the receivers accepted {accepted} deliveries, not {}",
            2 * inboxes
        );
    }

    // The receivers' raw rate: the same POSTs, unsigned, with the worker's concurrency limits.
    let plain = Arc::new(Receiver {
        public_pem: None,
        latency,
        accepted: AtomicUsize::new(0),
    });
    let plain_bases = receivers(hosts, &plain).await?;
    let http = reqwest::Client::new();
    let all = Arc::new(Semaphore::new(config.concurrency));
    let per_host: Vec<Arc<Semaphore>> = (0..hosts)
        .map(|_| Arc::new(Semaphore::new(config.per_host)))
        .collect();
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(inboxes);
    for i in 0..inboxes {
        let (http, all, host) = (http.clone(), all.clone(), per_host[i % hosts].clone());
        let url = format!("{}/inbox/{i}", plain_bases[i % hosts]);
        tasks.push(tokio::spawn(async move {
            let _all = all.acquire_owned().await;
            let _host = host.acquire_owned().await;
            http.post(url).body("{}").send().await.map(|r| r.status())
        }));
    }
    for task in tasks {
        task.await?.context("a plain POST failed")?;
    }
    let raw = started.elapsed();

    // Signing and verifying alone.
    let signer = Signer::new(
        "http://127.0.0.1/@organiser#main-key",
        pair.private_pem.expose(),
    )?;
    let body = vec![b'x'; 2048];
    let target = url::Url::parse(&urls[0])?;
    let started = Instant::now();
    let mut signed = Vec::with_capacity(inboxes);
    for _ in 0..inboxes {
        signed.push(signer.sign_post(&target, &body, SystemTime::now()));
    }
    let signing = started.elapsed();
    let uri: Uri = target.path().parse()?;
    let started = Instant::now();
    for headers in &signed {
        let received = Received {
            method: &Method::POST,
            uri: &uri,
            headers,
            body: &body,
            scheme: "http",
        };
        signatures::parse(&received, SystemTime::now(), DEFAULT_MAX_SKEW)
            .and_then(|s| s.verify(&pair.public_pem))
            .map_err(|e| anyhow::anyhow!("a signature of our own does not verify: {e}"))?;
    }
    let verifying = started.elapsed();

    println!();
    println!(
        "{:<34} {:>10} {:>12} {:>10}",
        "what", "count", "per second", "seconds"
    );
    let row = |what: &str, took: Duration| {
        println!(
            "{what:<34} {inboxes:>10} {:>12.0} {:>10.2}",
            per_second(inboxes, took),
            took.as_secs_f64()
        );
    };
    row("fan-out: outbox + signed deliveries", fanned);
    row("plain POSTs, same limits", raw);
    row("signing alone", signing);
    row("verifying alone", verifying);
    println!();
    println!(
        "fan-out / plain POSTs: {:.2}x the time; target: {inboxes} inboxes in under 10 s: {}",
        fanned.as_secs_f64() / raw.as_secs_f64().max(1e-9),
        if fanned < Duration::from_secs(10) {
            "met"
        } else {
            "NOT met"
        }
    );
    super::ingest::ingest(&server, &pair, posts, clients)
        .await?
        .print();
    server.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// Waits until `receiver` accepted `count` deliveries, or fails after `patience`.
async fn wait_for(receiver: &Receiver, count: usize, patience: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + patience;
    while receiver.accepted.load(Ordering::Relaxed) < count {
        if Instant::now() > deadline {
            bail!(
                "only {} of {count} deliveries arrived in {} s",
                receiver.accepted.load(Ordering::Relaxed),
                patience.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}
