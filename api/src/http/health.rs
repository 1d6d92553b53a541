//! `GET /healthz`.

use super::problem::Problem;
use crate::health::{self, Health};
use crate::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, Problem> {
    Ok(Json(health::health(&state).await?))
}
