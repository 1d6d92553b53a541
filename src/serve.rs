//! `convene serve`: the HTTP server and the projection runners, until SIGTERM or Ctrl-C.

use crate::config::Settings;
use anyhow::Context;
use convene_api::mail::Mailer;
use convene_api::{ApiConfig, AppState};
use convene_projections::{all_projections, Database, Runner};
use convene_web::render::Pages;
use std::process::ExitCode;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

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
    let projections = all_projections();
    let state = AppState::new(&db, api_config(settings)?);
    let shutdown = CancellationToken::new();
    let runners: Vec<_> = projections
        .into_iter()
        .map(|projection| {
            let runner = Runner::new(projection, &db);
            let (db, shutdown) = (db.clone(), shutdown.clone());
            tokio::spawn(async move { runner.follow(&db, shutdown).await })
        })
        .collect();
    tracing::info!(
        listen = %settings.listen,
        public_url = %settings.public_url,
        database = %db.display_url(),
        "Convene is serving"
    );
    let pages = Arc::new(Pages::new().context("the page templates are broken")?);
    axum::serve(listener, convene_web::app(state, pages))
        .with_graceful_shutdown(stop_signal())
        .await
        .context("the HTTP server failed")?;
    tracing::info!("stopping: finishing the projections' current batches");
    shutdown.cancel();
    for runner in runners {
        let _ = runner.await;
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
