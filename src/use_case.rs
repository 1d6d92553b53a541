//! Running an application use case from the command line, where no server need be running:
//! the command gets an application state of its own, with the read models the use case reads
//! caught up first and kept running while it works, then caught up again.

use crate::config::Settings;
use crate::serve::api_config;
use convene_api::AppState;
use convene_projections::Database;
use std::future::Future;
use tokio_util::sync::CancellationToken;

/// Runs `work` on `db` with an application state of its own (see the module's comment).
pub async fn run<T, F, Fut>(settings: &Settings, db: &Database, work: F) -> anyhow::Result<T>
where
    F: FnOnce(AppState) -> Fut,
    Fut: Future<Output = T>,
{
    let read_models = crate::subscribers::all(&settings.public_url).read_models();
    let state = AppState::new(db, api_config(settings)?, read_models.clone());
    read_models.catch_up(db).await?;
    let shutdown = CancellationToken::new();
    let running = read_models.spawn(db, &shutdown);
    let done = work(state).await;
    shutdown.cancel();
    for runner in running {
        let _ = runner.await;
    }
    read_models.catch_up(db).await?;
    Ok(done)
}
