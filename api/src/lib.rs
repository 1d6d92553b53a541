//! The JSON API and the operational endpoints, served with axum.
//!
//! Handlers read from the read models and send commands through `convene-projections`; they
//! never write tables themselves. Every error leaves as RFC 9457 problem+json ([`problem`]).
//! Depends on `convene-domain` and `convene-projections`; the binary wires it to a listener.

pub mod health;
pub mod problem;
pub mod profiles;

use axum::http::{HeaderName, Request};
use axum::Router;
use convene_projections::Database;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// The header carrying each request's id, in and out; the same id lands in event metadata.
pub const REQUEST_ID: &str = "x-request-id";

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    /// The names of the projections this server runs, for `/healthz`.
    pub projections: Vec<&'static str>,
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    Router::new()
        .merge(health::router())
        .nest("/api/v1", profiles::router())
        .fallback(problem::not_found)
        .with_state(state)
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!("request", id, method = %request.method(), path = %request.uri().path())
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}
