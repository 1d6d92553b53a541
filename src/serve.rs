//! `convene serve`: the HTTP server and the subscribers, until SIGTERM or Ctrl-C.

use crate::config::Settings;
use crate::connections::{ConnectionLimits, Connections};
use crate::http_server;
use anyhow::Context;
use convene_api::mail::Mailer;
use convene_api::{ApiConfig, AppState, Registrations};
use convene_federation::admin::Resolver;
use convene_federation::client::{Client, FetchSigner, Limits as ClientLimits, Network};
use convene_federation::delivery::{Worker, WorkerConfig};
use convene_federation::discovery::nodeinfo::InstanceInfo;
use convene_federation::http::Federation;
use convene_federation::inbox::{Inbox, RemoteActors};
use convene_federation::outbox::LocalSigners;
use convene_projections::Database;
use convene_web::render::Pages;
use std::process::ExitCode;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// How long the subscribers get to finish their current batch at shutdown.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

pub async fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    // First, as it raises the limit on open files that everything after uses.
    let limits = connection_limits(settings);
    let brand = convene_web::assets::Brand::from_files(
        settings.favicon.as_deref(),
        settings.logo.as_deref(),
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    let db = Database::open_within(&settings.database_url, settings.database_timeout).await?;
    let listener = http_server::listen(settings.listen).with_context(|| {
        format!(
            "cannot listen on {}: choose another address with --listen or CONVENE_LISTEN",
            settings.listen
        )
    })?;
    if settings.smtp_url.is_none() {
        // Made now rather than with the first mail, so that an unwritable folder stops the start.
        let folder = mail_folder(settings);
        std::fs::create_dir_all(&folder).with_context(|| {
            format!(
                "cannot write mail into {}: choose another --data-dir",
                folder.display()
            )
        })?;
    }
    let new_mail = Arc::new(tokio::sync::Notify::new());
    let subscribers = crate::subscribers::serving(new_mail.clone(), &settings.public_url);
    let mut state = AppState::new(&db, api_config(settings)?, subscribers.clone())
        .with_group_creation(settings.group_creation)
        .with_link_services(settings.link_services.clone())
        .with_report_policy(convene_api::reports::ReportPolicy {
            anonymous: settings.anonymous_reports,
        })
        .with_public_domain_decisions(settings.publish_domain_decisions);
    state.search = crate::subscribers::search_index(&db)?;
    if let Some(geocoder) = &settings.geocoder {
        let geocoder = convene_api::places::HttpGeocoder::new(geocoder.clone())
            .map_err(|e| anyhow::anyhow!("--geocoder-url: {e}"))?;
        state = state.with_geocoder(Arc::new(geocoder));
    }
    let client = federation_client(settings, &db)?;
    // Administrators follow other instances, and moderators invite other instances' actors
    // to their groups (API and pages), through federation's client.
    let resolver = Arc::new(Resolver {
        client: client.clone(),
        actors: RemoteActors::new(&db, client.clone()),
        db: db.clone(),
        public_url: settings.public_url.clone(),
    });
    state = state
        .with_instance_resolver(resolver.clone())
        .with_actor_resolver(resolver);
    let shutdown = CancellationToken::new();
    let mut runners = subscribers.spawn(&db, &shutdown);
    // What the outbox queues leaves from the deliveries table, whichever process queued it.
    let worker = Worker::new(
        db.clone(),
        client.clone(),
        Arc::new(LocalSigners::new(&db, &settings.public_url)),
        WorkerConfig {
            lease: settings.delivery_lease,
            ..WorkerConfig::default()
        },
    );
    runners.push(tokio::spawn(worker.run(shutdown.clone())));
    // Notification mail leaves from the outbox table, whichever process derived it.
    let sender = convene_notifications::Sender::new(
        &db,
        state.config.mailer.clone(),
        &settings.public_url,
        new_mail.clone(),
        Default::default(),
    );
    runners.push(tokio::spawn(sender.run(shutdown.clone())));
    // Reminders come from the database when due; one stopped over their time sends them at
    // start, marked late. Every process may run one: a reminder is claimed once.
    let scheduler = convene_notifications::Scheduler::new(
        &db,
        new_mail.clone(),
        convene_notifications::reminders::POLL,
    );
    runners.push(tokio::spawn(scheduler.run(shutdown.clone())));
    // Daily digests likewise: due times live in the database, each claimed by one process.
    let digester =
        convene_notifications::Digester::new(&db, new_mail, convene_notifications::digest::POLL);
    runners.push(tokio::spawn(digester.run(shutdown.clone())));
    runners.push(tokio::spawn(sweep_schedule(
        state.clone(),
        shutdown.clone(),
    )));
    // Links' previews are fetched after the links are stored, through the guarded client.
    if settings.link_previews {
        runners.push(tokio::spawn(convene_federation::previews::run(
            state.clone(),
            client.clone(),
            shutdown.clone(),
        )));
    }
    // Uploads nobody used within a day are discarded, hour by hour.
    runners.push(tokio::spawn(convene_api::pictures::sweep_every_hour(
        state.clone(),
        shutdown.clone(),
    )));
    tracing::info!(
        listen = %settings.listen,
        public_url = %settings.public_url,
        database = %db.display_url(),
        max_connections = limits.max_connections,
        "Convene is serving"
    );
    let after_answering = state.after_answering.clone();
    let pages = Arc::new(
        Pages::new()
            .context("the page templates are broken")?
            .with_tiles(settings.tiles.clone())
            .with_brand(brand),
    );
    let open_registrations = matches!(
        settings.registrations,
        Registrations::Open | Registrations::Approval
    );
    let app = app(
        &db,
        &settings.public_url,
        open_registrations,
        state,
        pages,
        client,
    )?;
    let connections = Connections::new(limits, settings.trusted_proxies.clone());
    http_server::serve(listener, app, connections, stop_signal()).await;
    tracing::info!(
        "stopping: finishing the work left after answers, then the subscribers' batches"
    );
    after_answering.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, after_answering.wait())
        .await
        .is_err()
    {
        tracing::warn!("work left after answering did not finish in time; stopping anyway");
    }
    shutdown.cancel();
    // A subscriber stuck on an unreachable store must not keep the process alive: what it had
    // not committed is given to it again at the next start.
    let aborts: Vec<_> = runners.iter().map(|r| r.abort_handle()).collect();
    let finished = futures::future::join_all(runners);
    if tokio::time::timeout(SHUTDOWN_GRACE, finished)
        .await
        .is_err()
    {
        tracing::warn!("a subscriber did not finish its batch in time; stopping anyway");
        aborts.iter().for_each(tokio::task::AbortHandle::abort);
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// How often timed moderation decisions whose end has come are ended, and group posts whose
/// publication time has come are published.
const DECISION_SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Ends timed moderation decisions and publishes group posts whose time has come, once a
/// minute, until shutdown. Several processes may sweep one database: a decision ended or a post
/// published by one is no longer due for the others.
async fn sweep_schedule(state: AppState, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(DECISION_SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        let now = time::OffsetDateTime::now_utc();
        match convene_api::moderation::end_due(&state, now).await {
            Ok(0) => {}
            Ok(ended) => tracing::info!(ended, "timed moderation decisions ended"),
            Err(error) => tracing::error!(%error, "timed moderation decisions could not be swept"),
        }
        // Group posts given a publication time are published by the same sweep, as safely.
        match convene_api::group_posts::publish_due(&state, now).await {
            Ok(0) => {}
            Ok(published) => tracing::info!(published, "posts published at their time"),
            Err(error) => tracing::error!(%error, "posts due for publication could not be swept"),
        }
    }
}

/// The pages and the API, with federation in front: its own routes, and the ActivityPub
/// documents at the pages' URLs for peers that ask for them. The inbox reaches other servers
/// through `client`.
pub fn app(
    db: &Database,
    public_url: &str,
    open_registrations: bool,
    state: AppState,
    pages: Arc<Pages>,
    client: Client,
) -> anyhow::Result<axum::Router> {
    let limits = state.config.http_limits;
    let instance = InstanceInfo {
        // No instance name is configured yet: federation names the instance by its host.
        name: String::new(),
        description: String::new(),
        open_registrations,
    };
    let federation = Federation::new(db, public_url, instance)
        .map_err(|e| anyhow::anyhow!("--public-url: {e}"))?;
    let inbox = Inbox::new(state.clone(), federation.clone(), client);
    let federation = federation.verifying_fetches(inbox.actors.clone());
    let pages = convene_web::app(state, pages)
        .merge(convene_notifications::http::routes(db))
        .merge(convene_api::http::with_layers(
            convene_federation::inbox::routes(inbox),
            limits,
        ));
    Ok(convene_federation::http::app(pages, federation, |routes| {
        convene_api::http::with_layers(routes, limits)
    }))
}

/// The one client federation reaches other instances with: public addresses only, unless
/// --federation-test-network allows loopback (refused with a public URL that is not loopback).
fn federation_client(settings: &Settings, db: &Database) -> anyhow::Result<Client> {
    let public_url =
        url::Url::parse(&settings.public_url).map_err(|e| anyhow::anyhow!("--public-url: {e}"))?;
    let network = if settings.federation_test_network {
        Network::TestLoopback
    } else {
        Network::Public
    };
    let client = Client::new(&public_url, network, ClientLimits::default())
        .map_err(|e| anyhow::anyhow!("--federation-test-network: {e}"))?;
    // Fetches are signed by the instance actor (servers in secure mode require it).
    Ok(client.signing_fetches(FetchSigner::instance(db, &settings.public_url)))
}

/// Where mail goes without an SMTP server.
fn mail_folder(settings: &Settings) -> std::path::PathBuf {
    settings.data_dir.join("mail")
}

/// The API's configuration: mail through SMTP or into <data dir>/mail, registrations, links.
pub fn api_config(settings: &Settings) -> anyhow::Result<ApiConfig> {
    let mailer = match &settings.smtp_url {
        Some(url) => Mailer::smtp(&settings.mail_from, url)?,
        None => Mailer::to_folder(&settings.mail_from, &mail_folder(settings))?,
    };
    Ok(ApiConfig {
        public_url: settings.public_url.clone(),
        mailer: Arc::new(mailer),
        registrations: settings.registrations.clone(),
        limits: settings.throttle,
        trusted_proxies: settings.trusted_proxies.clone(),
        http_limits: settings.http_limits,
        hashing: settings.hashing,
        pictures: convene_api::pictures::PictureConfig {
            folder: settings.data_dir.join("pictures"),
            picture_limit: settings.picture_limit,
            avatar_limit: settings.avatar_limit,
        },
    })
}

/// The configured connection limits, with no more connections than the open-file limit leaves
/// room for (so the server never runs out of descriptors for its database and its listener).
fn connection_limits(settings: &Settings) -> ConnectionLimits {
    let mut limits = settings.connections;
    match http_server::connections_the_descriptors_allow() {
        Some(allowed) if allowed < limits.max_connections => {
            tracing::warn!(
                configured = limits.max_connections,
                allowed,
                "the limit on open files leaves room for fewer connections than \
                 --max-connections: raise it (ulimit -n, LimitNOFILE=) to allow more"
            );
            limits.max_connections = allowed;
        }
        Some(_) => {}
        None => tracing::warn!("cannot read the limit on open files; keeping --max-connections"),
    }
    limits
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
