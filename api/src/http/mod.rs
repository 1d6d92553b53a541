//! The JSON binding of the application: `/api/v1` routes and `/healthz` with axum, request
//! extractors, problem+json errors, and the OpenAPI document generated from the same handler
//! annotations that build the router (so every route is documented). Each handler parses its
//! request, calls one use case and answers; the rules live in the use cases.

pub mod accounts;
pub mod client_ip;
pub mod comments;
pub mod deliveries;
pub mod edge;
pub mod events;
pub mod extract;
pub mod group_discussions;
pub mod group_posts;
pub mod group_resources;
pub mod group_todos;
pub mod groups;
pub mod health;
pub mod history;
pub mod instance;
pub mod instances;
pub mod limits;
pub mod mailed_links;
pub mod participations;
pub mod pictures;
pub mod places;
pub mod problem;
pub mod profiles;
pub mod reports;
pub mod search;
pub mod statuses;

use crate::AppState;
use axum::http::{HeaderName, Request};
use axum::Router;
use extract::BearerScheme;
use limits::{with_limits, HttpLimits};
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The header carrying each request's id, in and out; the same id lands in event metadata.
pub const REQUEST_ID: &str = "x-request-id";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Convene API",
        description = "Events, participation, groups and identities on a Convene instance. Errors are RFC 9457 problem+json.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerScheme)
)]
struct ApiDoc;

/// The `/api/v1` routes and their OpenAPI document, built from the same annotations.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(accounts::router())
        .merge(profiles::router())
        .merge(events::router())
        .merge(participations::router())
        .merge(comments::router())
        .merge(history::router())
        .merge(groups::router())
        .merge(group_posts::router())
        .merge(group_discussions::router())
        .merge(group_todos::router())
        .merge(group_resources::router())
        .merge(search::router())
        .merge(places::router())
        .merge(reports::router())
        .merge(pictures::router())
        .merge(instance::router())
        .merge(instances::router())
        .merge(deliveries::router())
        .split_for_parts();
    doc.paths.paths = doc
        .paths
        .paths
        .into_iter()
        .map(|(path, item)| (format!("/api/v1{path}"), item))
        .collect();
    statuses::document(&mut doc);
    (routes, doc)
}

/// `/healthz` and `/api/v1`, without a fallback (the caller adds its own) or layers.
pub fn routes(state: AppState) -> Router {
    let (api, doc) = api();
    let doc = Arc::new(doc);
    let api = api
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .layer(axum::middleware::map_response(problem::errors_as_problems));
    Router::new()
        .merge(health::router())
        .nest("/api/v1", api)
        .layer(axum::middleware::from_fn(edge::refuse_control_characters))
        .with_state(state)
}

/// The API alone, answering problem+json for every unknown path.
pub fn router(state: AppState) -> Router {
    let limits = state.config.http_limits;
    with_layers(routes(state).fallback(problem::not_found), limits)
}

/// Around everything served: request ids, one log line per request, and the limits on bodies
/// and time (with compression of what goes out).
pub fn with_layers(router: Router, limits: HttpLimits) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    with_limits(router, limits)
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                // A private feed's path is its secret: keep it out of the logs.
                let path = request.uri().path();
                let path = if path.starts_with("/feeds/") {
                    "/feeds/…"
                } else {
                    path
                };
                tracing::info_span!("request", id, method = %request.method(), path)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}
