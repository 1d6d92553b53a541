//! `convene serve`: the HTTP server and the subscribers, until SIGTERM or Ctrl-C.

use crate::config::Settings;
use anyhow::Context;
use convene_api::mail::Mailer;
use convene_api::{ApiConfig, AppState};
use convene_projections::Database;
use convene_web::render::Pages;
use std::process::ExitCode;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// How long the subscribers get to finish their current batch at shutdown.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

pub async fn run(settings: &Settings) -> anyhow::Result<ExitCode> {
    let db = Database::open(&settings.database_url).await?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}: choose another address with --listen or CONVENE_LISTEN",
                settings.listen
            )
        })?;
    let subscribers = crate::subscribers::all();
    let mut state = AppState::new(&db, api_config(settings)?, subscribers.clone());
    state.search = crate::subscribers::search_index(&db)?;
    let shutdown = CancellationToken::new();
    let runners = subscribers.spawn(&db, &shutdown);
    tracing::info!(
        listen = %settings.listen,
        public_url = %settings.public_url,
        database = %db.display_url(),
        "Convene is serving"
    );
    let pages = Arc::new(Pages::new().context("the page templates are broken")?);
    // The peer's address feeds the rate limits (through trusted proxies' X-Forwarded-For).
    let app = convene_web::app(state, pages)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(stop_signal())
        .await
        .context("the HTTP server failed")?;
    tracing::info!("stopping: finishing the subscribers' current batches");
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

/// The API's configuration: mail through SMTP or into <data dir>/mail, registrations, links.
pub fn api_config(settings: &Settings) -> anyhow::Result<ApiConfig> {
    let mailer = match &settings.smtp_url {
        Some(url) => Mailer::smtp(&settings.mail_from, url)?,
        None => {
            let folder = settings.data_dir.join("mail");
            Mailer::to_folder(&settings.mail_from, &folder).with_context(|| {
                format!(
                    "cannot write mail into {}: choose another --data-dir",
                    folder.display()
                )
            })?
        }
    };
    Ok(ApiConfig {
        public_url: settings.public_url.clone(),
        mailer: Arc::new(mailer),
        registrations: settings.registrations.clone(),
        limits: settings.throttle,
        trusted_proxies: settings.trusted_proxies.clone(),
        http_limits: settings.http_limits,
    })
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
