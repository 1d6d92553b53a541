//! `/admin/deliveries`: what this instance sends other instances, for administrators, and a
//! failed or dead delivery tried again.

use super::extract::Params;
use super::problem::Problem;
use crate::auth::Session;
use crate::deliveries::{self, DeliveriesQuery, DeliveryPage, DeliveryView};
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(retry))
}

/// The deliveries to other instances' inboxes, oldest first, 50 a page (administrators only):
/// by `state`, or all but the delivered ones; each with its tries, its next try and the last
/// answer or error.
#[utoipa::path(get, path = "/admin/deliveries", tag = "federation", params(DeliveriesQuery),
    security(("bearer" = [])),
    responses((status = 200, body = DeliveryPage), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    session: Session,
    Params(query): Params<DeliveriesQuery>,
) -> Result<Json<DeliveryPage>, Problem> {
    Ok(Json(deliveries::list(&state, &session, query).await?))
}

/// Tries a failed or dead delivery again, at once and with a fresh count of tries
/// (administrators only). 409 when it is pending or delivered.
#[utoipa::path(post, path = "/admin/deliveries/{id}/retry", tag = "federation",
    params(("id" = String, Path, description = "the delivery's id")),
    security(("bearer" = [])),
    responses((status = 200, body = DeliveryView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn retry(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<DeliveryView>, Problem> {
    Ok(Json(deliveries::retry(&state, &session, &id).await?))
}
