//! `convene bench`: measured figures printed with ratios to a baseline, on scratch databases
//! (never on your data): the event store ([`store`]), the pages under load ([`web`]), the
//! latency of a command that reads its own write ([`join`]), search ([`search`]), one event
//! fanned out to many inboxes ([`federation`]), one change told to many participants
//! ([`notifications`]), and the audit trail, objects as they were and reverts on a large log
//! ([`audit`]).

pub mod audit;
pub mod federation;
pub mod ingest;
pub mod join;
pub mod notifications;
pub mod search;
pub mod store;
pub mod web;

use crate::config::Settings;
use crate::connections::{ConnectionLimits, Connections};
use crate::http_server;
use anyhow::Context;
use convene_api::mail::Mailer;
use convene_api::throttle::Limits;
use convene_api::{ApiConfig, AppState, Registrations};
use convene_projections::db::Backend;
use convene_projections::scratch::Scratch;
use convene_projections::{Database, EventLog};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

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

/// A new database of the configured kind, dropped after use: a SQLite file in a temporary
/// folder, or a new database on the PostgreSQL server of DATABASE_URL.
pub async fn scratch(settings: &Settings) -> anyhow::Result<Scratch> {
    Ok(match Backend::of_url(&settings.database_url)? {
        Backend::Sqlite => Scratch::sqlite().context("cannot create a temporary folder")?,
        Backend::Postgres => Scratch::postgres(&settings.database_url)
            .await
            .context("cannot create a scratch database on the PostgreSQL server of DATABASE_URL (the role needs CREATEDB)")?,
    })
}

/// Convene serving a scratch database on 127.0.0.1 (the pages, the API and every subscriber),
/// as `convene serve` wires it, for as long as it lives.
pub struct BenchServer {
    pub base: String,
    pub db: Database,
    pub state: AppState,
    pub scratch: Scratch,
    listener: Option<tokio::net::TcpListener>,
    _mail: tempfile::TempDir,
    shutdown: CancellationToken,
    connection_limits: ConnectionLimits,
    /// The subscribers' own token and tasks, while they run.
    subscribers_running: Option<(CancellationToken, Vec<tokio::task::JoinHandle<()>>)>,
}

impl BenchServer {
    /// A scratch database on the configured server (a SQLite file, or a new database on the
    /// PostgreSQL server of DATABASE_URL) and the application over it with its subscribers
    /// running, not yet listening.
    pub async fn prepare(settings: &Settings) -> anyhow::Result<Self> {
        Self::prepare_with(settings, crate::subscribers::all).await
    }

    /// Like [`BenchServer::prepare`], running the subscribers `subscribers` gives for the
    /// server's base URL.
    pub async fn prepare_with(
        settings: &Settings,
        subscribers: impl FnOnce(&str) -> convene_projections::Subscribers,
    ) -> anyhow::Result<Self> {
        let scratch = scratch(settings).await?;
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
            // One address plays every client here.
            limits: Limits::off(),
            trusted_proxies: Vec::new(),
            http_limits: settings.http_limits,
            hashing: Default::default(),
            pictures: convene_api::pictures::PictureConfig::in_folder(mail.path().join("pictures")),
        };
        let state = AppState::new(&db, config, subscribers(&base));
        let mut server = Self {
            base,
            db,
            state,
            scratch,
            listener: Some(listener),
            _mail: mail,
            shutdown: CancellationToken::new(),
            connection_limits: settings.connections,
            subscribers_running: None,
        };
        server.start_subscribers();
        Ok(server)
    }

    /// Stops the subscribers once they have caught up, until [`BenchServer::serve`] starts them
    /// again: a bench seeding thousands of changes appends them alone, and the subscribers then
    /// catch up in large batches rather than a transaction or more each.
    pub async fn pause_subscribers(&mut self) -> anyhow::Result<()> {
        self.caught_up().await?;
        if let Some((running, tasks)) = self.subscribers_running.take() {
            running.cancel();
            for task in tasks {
                task.await?;
            }
        }
        Ok(())
    }

    fn start_subscribers(&mut self) {
        if self.subscribers_running.is_none() {
            let running = self.shutdown.child_token();
            let tasks = self.state.subscribers.spawn(&self.db, &running);
            self.subscribers_running = Some((running, tasks));
        }
    }

    /// Waits until the subscribers have applied everything appended so far.
    pub async fn caught_up(&self) -> anyhow::Result<()> {
        let head = EventLog::new(&self.db).head().await?.position;
        let names = self.state.subscribers.names();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
        if !convene_projections::projection::wait_for(&self.db, &names, head, deadline).await {
            anyhow::bail!("the subscribers did not catch up with the log in 10 minutes");
        }
        Ok(())
    }

    /// Waits until the subscribers have applied everything appended so far, then starts
    /// answering requests.
    pub async fn serve(&mut self) -> anyhow::Result<()> {
        let pages = Arc::new(convene_web::render::Pages::new()?);
        let app = convene_web::app(self.state.clone(), pages);
        self.serve_app(app).await
    }

    /// Like [`BenchServer::serve`], with federation in front as `convene serve` assembles it,
    /// its inbox fetching keys from other servers on 127.0.0.1; and `extra` routes beside.
    pub async fn serve_federated(&mut self, extra: axum::Router) -> anyhow::Result<()> {
        let pages = Arc::new(convene_web::render::Pages::new()?);
        let client = convene_federation::client::Client::new(
            &url::Url::parse(&self.base)?,
            convene_federation::client::Network::TestLoopback,
            Default::default(),
        )?;
        let app = crate::serve::app(
            &self.db,
            &self.base,
            true,
            self.state.clone(),
            pages,
            client,
        )?;
        self.serve_app(extra.merge(app)).await
    }

    async fn serve_app(&mut self, app: axum::Router) -> anyhow::Result<()> {
        self.start_subscribers();
        self.caught_up().await?;
        let listener = self
            .listener
            .take()
            .context("the bench server serves once")?;
        // Served like `convene serve`; every client comes from loopback, so no per-address limit.
        let connections = Connections::new(
            self.connection_limits,
            convene_api::http::client_ip::default_trusted_proxies(),
        );
        tokio::spawn(http_server::serve(
            listener,
            app,
            connections,
            std::future::pending::<()>(),
        ));
        Ok(())
    }

    /// Stops the subscribers, then closes the database: closed first, the subscribers would
    /// log their lost connections as errors.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some((_, tasks)) = self.subscribers_running.take() {
            for task in tasks {
                let _ = task.await;
            }
        }
        self.db.close().await;
    }
}

/// A new account owning the profiles `usernames`, logged in: its session token, and the first
/// profile acting.
pub async fn account_with(
    state: &AppState,
    usernames: &[String],
) -> anyhow::Result<(String, convene_api::auth::Acting)> {
    account_as(
        state,
        "bench@example.org",
        convene_domain::Role::User,
        usernames,
    )
    .await
}

/// Gives event `event_id` `count` more participants, each a profile of one other account than
/// the organiser's (so they hear of the organiser's changes), through the command side directly,
/// with the subscribers paused until [`BenchServer::serve`]. Prints how long it took, and the join command's latency for
/// the first and the last hundred participants: a join should cost the same on a small event
/// and a crowded one. Returns how long it took.
pub async fn seed_crowd(
    server: &mut BenchServer,
    event_id: &str,
    count: usize,
) -> anyhow::Result<std::time::Duration> {
    use convene_api::accounts::{create_account, Registration};
    use convene_domain::{Actor, EventCommand, Metadata, ProfileCommand, Role, Source};
    let state = &server.state.clone();
    let crowd = create_account(
        state,
        Registration {
            email: "crowd@example.org".into(),
            password: "correct horse battery".into(),
            locale: "en".into(),
            reason: None,
        },
        Role::User,
        true,
        |_| Metadata::now(Actor::System, Source::Cli, "bench"),
    )
    .await?;
    server.pause_subscribers().await?;
    let started = std::time::Instant::now();
    let mut joins = Vec::with_capacity(count);
    for i in 0..count {
        let username = format!("p{i}");
        let metadata = Metadata::now(
            Actor::Account {
                account: crowd.id.clone(),
                profile: Some(username.clone()),
            },
            Source::Cli,
            "bench",
        );
        let create = ProfileCommand::Create {
            username: username.clone(),
            display_name: None,
            account: Some(crowd.id.clone()),
        };
        state.profiles.execute(&username, create, &metadata).await?;
        let join = EventCommand::Join {
            participation: uuid::Uuid::new_v4().to_string(),
            profile: username,
            message: None,
        };
        let sent = std::time::Instant::now();
        state.events.execute(event_id, join, &metadata).await?;
        joins.push(sent.elapsed().as_micros() as u64);
    }
    let took = started.elapsed();
    eprintln!(
        "  seeded {count} participants in {:.1} s",
        took.as_secs_f64()
    );
    let ends = [("first", 0), ("last", count.saturating_sub(100))];
    for (which, from) in ends {
        let these = Latencies::new(joins.iter().skip(from).take(100).copied().collect());
        eprintln!(
            "  join command, {which} {} participants: p50 {:.2} ms, p99 {:.2} ms",
            these.len(),
            these.ms(0.50),
            these.ms(0.99)
        );
    }
    Ok(took)
}

/// [`account_with`] for the account `email` with `role`.
pub async fn account_as(
    state: &AppState,
    email: &str,
    role: convene_domain::Role,
    usernames: &[String],
) -> anyhow::Result<(String, convene_api::auth::Acting)> {
    use convene_api::accounts::{create_account, open_session, Credentials, Registration};
    use convene_api::auth::{Origin, Session};
    use convene_api::profiles::{create_profile, NewProfile};
    use convene_domain::{Actor, Metadata, Source};
    const PASSWORD: &str = "correct horse battery";
    let origin = Origin::new(Source::Cli, "bench", None);
    let registration = Registration {
        email: email.into(),
        password: PASSWORD.into(),
        locale: "en".into(),
        reason: None,
    };
    let account = create_account(state, registration, role, true, |_| {
        Metadata::now(Actor::System, Source::Cli, "bench")
    })
    .await?;
    for username in usernames {
        let profile = NewProfile {
            username: username.clone(),
            display_name: None,
            summary: None,
        };
        create_profile(state, &account.id, &origin, profile).await?;
    }
    let credentials = Credentials {
        email: email.into(),
        password: PASSWORD.into(),
    };
    let (token, _) = open_session(state, credentials, &origin).await?;
    let session = Session::open(state, &token, origin.clone())
        .await?
        .context("the bench session did not open")?;
    let first = usernames.first().cloned();
    let acting = session.acting_as(state, first).await?;
    Ok((token, acting))
}

/// A small deterministic generator: the same data and queries on every run.
pub struct Dice(pub u64);

impl Dice {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
}

/// Joins event `id` as `username` over the JSON API at `base` with session `token`, blocking:
/// how long the answer took, in microseconds. An answer other than 201 is an error naming it.
pub fn timed_join(
    agent: &ureq::Agent,
    base: &str,
    token: &str,
    username: &str,
    id: &str,
) -> anyhow::Result<u64> {
    let sent = std::time::Instant::now();
    let response = agent
        .post(&format!("{base}/api/v1/events/{id}/participations"))
        .header("authorization", format!("Bearer {token}"))
        .header("x-convene-profile", username)
        .header("content-type", "application/json")
        .send("{}")?;
    let took = sent.elapsed().as_micros() as u64;
    if response.status() != 201 {
        anyhow::bail!("joining as @{username} answered {}", response.status());
    }
    Ok(took)
}

/// Latencies in microseconds, summarised.
pub struct Latencies {
    sorted: Vec<u64>,
}

impl Latencies {
    pub fn new(mut micros: Vec<u64>) -> Self {
        micros.sort_unstable();
        Self { sorted: micros }
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// The `p` quantile (0.5 for the median) in milliseconds.
    pub fn ms(&self, p: f64) -> f64 {
        let index =
            ((self.sorted.len() as f64 * p) as usize).min(self.sorted.len().saturating_sub(1));
        self.sorted.get(index).map_or(0.0, |us| *us as f64 / 1000.0)
    }
}
