//! The JSON API (`/api/v1`) and the operational endpoints, served with axum.
//!
//! Handlers authenticate, turn requests into commands sent through `convene-projections`, wait
//! until the read models show the change (read your writes), and answer from the read models;
//! they never write tables themselves. Every error leaves as RFC 9457 problem+json
//! ([`problem`]). The OpenAPI document is generated from the same handler annotations that build
//! the router, so every route is documented. Depends on `convene-domain` and
//! `convene-projections`; the binary wires it to a listener.

pub mod accounts;
pub mod auth;
pub mod client_ip;
pub mod comments;
pub mod consistency;
pub mod events;
pub mod health;
pub mod history;
pub mod http_limits;
pub mod mail;
pub mod participations;
pub mod problem;
pub mod profiles;
pub mod throttle;

use auth::BearerScheme;
use axum::http::{HeaderName, Request};
use axum::Router;
use convene_domain::{Account, Claim, Event, Profile};
use convene_projections::{Commands, Database};
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// The header carrying each request's id, in and out; the same id lands in event metadata.
pub const REQUEST_ID: &str = "x-request-id";

/// Changes between two snapshots of an event aggregate.
pub const EVENT_SNAPSHOT_EVERY: usize = 50;

/// Who may register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registrations {
    Open,
    /// Only these addresses, or addresses at these domains (`example.org`), may register.
    Allowlist(Vec<String>),
    Closed,
}

impl Registrations {
    pub fn allows(&self, email: &str) -> bool {
        match self {
            Registrations::Open => true,
            Registrations::Closed => false,
            Registrations::Allowlist(allowed) => {
                let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
                allowed
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(email) || a.eq_ignore_ascii_case(domain))
            }
        }
    }
}

/// How the API is configured by the instance.
#[derive(Clone)]
pub struct ApiConfig {
    /// The public base URL, for links in emails (no trailing slash).
    pub public_url: String,
    pub mailer: Arc<mail::Mailer>,
    pub registrations: Registrations,
}

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub config: ApiConfig,
    /// The names of the projections the API waits for after a command, and `/healthz` reports.
    pub projections: Vec<&'static str>,
    pub accounts: Arc<Commands<Account>>,
    pub claims: Arc<Commands<Claim>>,
    pub profiles: Arc<Commands<Profile>>,
    pub events: Arc<Commands<Event>>,
}

impl AppState {
    pub fn new(db: &Database, config: ApiConfig) -> Self {
        Self {
            db: db.clone(),
            config,
            projections: convene_projections::all_projections()
                .iter()
                .map(|p| p.name())
                .collect(),
            accounts: Arc::new(Commands::new(db, ())),
            claims: Arc::new(Commands::new(db, ())),
            profiles: Arc::new(Commands::new(db, ())),
            // An event gathers a change per participation and comment: snapshot it.
            events: Arc::new(Commands::with_snapshots(db, (), EVENT_SNAPSHOT_EVERY)),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Convene API",
        description = "Events, participation and identities on a Convene instance. Errors are RFC 9457 problem+json.",
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
        .split_for_parts();
    doc.paths.paths = doc
        .paths
        .paths
        .into_iter()
        .map(|(path, item)| (format!("/api/v1{path}"), item))
        .collect();
    (routes, doc)
}

/// `/healthz` and `/api/v1`, without a fallback (the caller adds its own) or layers.
pub fn routes(state: AppState) -> Router {
    let (api, doc) = api();
    let doc = Arc::new(doc);
    let api = api.route(
        "/openapi.json",
        axum::routing::get(move || {
            let doc = doc.clone();
            async move { axum::Json(doc.as_ref().clone()) }
        }),
    );
    Router::new()
        .merge(health::router())
        .nest("/api/v1", api)
        .with_state(state)
}

/// The API alone, answering problem+json for every unknown path.
pub fn router(state: AppState) -> Router {
    with_layers(routes(state).fallback(problem::not_found))
}

/// Request ids and one log line per request, around everything served.
pub fn with_layers(router: Router) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID);
    router
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

#[cfg(test)]
mod tests {
    use super::Registrations;

    #[test]
    fn an_allowlist_takes_addresses_and_domains() {
        let list = Registrations::Allowlist(vec!["example.org".into(), "zoe@other.net".into()]);
        assert!(list.allows("ana@example.org"));
        assert!(list.allows("zoe@other.net"));
        assert!(!list.allows("bob@other.net"));
        assert!(!Registrations::Closed.allows("ana@example.org"));
        assert!(Registrations::Open.allows("ana@example.org"));
    }
}
