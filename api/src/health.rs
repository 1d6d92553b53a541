//! `GET /healthz`: is the server up, and how far behind the log is each projection.

use crate::problem::Problem;
use crate::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use convene_projections::log::EventLog;
use convene_projections::projection::checkpoints;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
    /// The last position appended to the log.
    pub last_position: i64,
    pub projections: Vec<ProjectionHealth>,
}

#[derive(Debug, Serialize)]
pub struct ProjectionHealth {
    pub name: &'static str,
    pub checkpoint: i64,
    /// Events appended but not yet applied.
    pub lag: i64,
}

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(health))
}

async fn health(State(state): State<AppState>) -> Result<Json<Health>, Problem> {
    let last_position = EventLog::new(&state.db).head().await?.position;
    let stored = checkpoints(state.db.pool()).await?;
    let projections = state
        .projections
        .iter()
        .map(|&name| {
            let checkpoint = stored
                .iter()
                .find(|(stored, _)| stored == name)
                .map_or(0, |(_, at)| *at);
            ProjectionHealth {
                name,
                checkpoint,
                lag: last_position - checkpoint,
            }
        })
        .collect();
    Ok(Json(Health {
        status: "ok",
        last_position,
        projections,
    }))
}
