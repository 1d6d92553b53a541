//! `/events/{id}/history`.

use super::problem::Problem;
use crate::auth::Session;
use crate::history::{event_history, HistoryEntry};
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(history))
}

/// The event's changes in order (organisers of the event and instance moderators).
#[utoipa::path(get, path = "/events/{id}/history", tag = "events", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn history(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<Vec<HistoryEntry>>, Problem> {
    Ok(Json(event_history(&state, &session, &id).await?))
}
