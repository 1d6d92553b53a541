//! Profiles: `GET /api/v1/profiles/{username}`, the public view of one identity.

use crate::problem::Problem;
use crate::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use convene_projections::profiles::{self, ProfileView};

pub fn router() -> Router<AppState> {
    Router::new().route("/profiles/{username}", get(show))
}

async fn show(
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> Result<Json<ProfileView>, Problem> {
    profiles::find(state.db.pool(), &username)
        .await?
        .map(Json)
        .ok_or_else(|| Problem::not_found(format!("there is no profile @{username}")))
}
