//! The federation's HTTP face: the well-known discovery documents, the actor documents and their
//! collections, and the content negotiation that serves an ActivityPub document or the page at
//! the same URL.
//!
//! [`app`] puts it in front of the pages and the API (`convene-web` stays unaware of it):
//! - [`routes`] answers paths only federation has (`/.well-known/…`, `/nodeinfo/…`, `/relay…`,
//!   `/@{name}/outbox`, `/interact`);
//! - [`documents`] lists the paths shared with pages (`/@{name}`, `/events/{id}`); the negotiation layer sends a
//!   GET there to the ActivityPub document when the `Accept` header asks for one, and to the page
//!   otherwise, with `Vary: Accept` on both.

pub mod actors;
pub mod discovery;
pub mod groups;
mod negotiation;
pub mod objects;

use crate::discovery::nodeinfo::InstanceInfo;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use convene_projections::Database;

pub use negotiation::wants_activity_json;

/// The media type of the ActivityPub documents we serve.
pub use crate::signatures::ACTIVITY_JSON;

/// What the federation's handlers use.
#[derive(Clone)]
pub struct Federation {
    pub db: Database,
    /// The public base URL, without a trailing slash: every actor id starts with it.
    pub public_url: String,
    /// Its authority (`host`, or `host:port` on a port other than the scheme's), as WebFinger
    /// accounts name it.
    pub host: String,
    pub instance: InstanceInfo,
    /// The remote actors whose keys verify signed fetches (members fetching their group's
    /// collections); without them, no signed fetch is served.
    pub signed_fetches: Option<crate::inbox::RemoteActors>,
}

impl Federation {
    /// Federation for the instance at `public_url`; an instance without a name is named by
    /// its host.
    pub fn new(db: &Database, public_url: &str, instance: InstanceInfo) -> Result<Self, String> {
        let public_url = public_url.trim_end_matches('/').to_string();
        let parsed = url::Url::parse(&public_url)
            .map_err(|e| format!("the public URL `{public_url}` does not parse: {e}"))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| format!("the public URL `{public_url}` has no host"))?;
        let host = match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        let mut instance = instance;
        if instance.name.is_empty() {
            instance.name = host.clone();
        }
        Ok(Self {
            db: db.clone(),
            public_url,
            host,
            instance,
            signed_fetches: None,
        })
    }

    /// The same, verifying signed fetches with the keys of `actors` (fetched through the
    /// inbox's client when not cached).
    pub fn verifying_fetches(mut self, actors: crate::inbox::RemoteActors) -> Self {
        self.signed_fetches = Some(actors);
        self
    }
}

/// The paths only federation answers.
pub fn routes(federation: Federation) -> Router {
    Router::new()
        .route("/.well-known/webfinger", get(discovery::webfinger))
        .route("/.well-known/host-meta", get(discovery::host_meta))
        .route(
            "/.well-known/host-meta.json",
            get(discovery::host_meta_json),
        )
        .route("/.well-known/nodeinfo", get(discovery::nodeinfo_links))
        .route("/nodeinfo/2.0", get(discovery::nodeinfo_20))
        .route("/nodeinfo/2.1", get(discovery::nodeinfo_21))
        .route("/relay", get(actors::instance))
        .route("/relay/{collection}", get(actors::instance_collection))
        .route("/@{username}/outbox", get(actors::outbox))
        .route("/@{username}/followers", get(actors::followers))
        .route("/@{username}/following", get(actors::following))
        .route("/@{username}/members/{member}", get(groups::member))
        .route("/interact", get(discovery::interact))
        .with_state(federation)
}

/// The documents served at URLs shared with pages, for an ActivityPub `Accept`.
///
/// Each path answers the ActivityPub document to peers, the page to browsers.
pub fn documents() -> Vec<(&'static str, MethodRouter<Federation>)> {
    vec![
        ("/@{username}", get(actors::person)),
        ("/@{username}/events", get(groups::events)),
        ("/@{username}/posts", get(groups::posts)),
        ("/@{username}/members", get(groups::members_only)),
        ("/@{username}/discussions", get(groups::members_only)),
        ("/@{username}/resources", get(groups::members_only)),
        ("/@{username}/todos", get(groups::members_only)),
        ("/@{username}/resources/{id}", get(groups::member_object)),
        ("/@{username}/todos/{list}", get(groups::member_object)),
        (
            "/@{username}/todos/{list}/{todo}",
            get(groups::member_object),
        ),
        ("/@{username}/c/{discussion}", get(groups::member_object)),
        (
            "/@{username}/c/{discussion}/{comment}",
            get(groups::member_object),
        ),
        ("/events/{id}", get(objects::event)),
    ]
}

/// Federation in front of `pages` (the pages, the API and their fallback). `layers` wraps
/// federation's own routes as the rest is wrapped (request ids, logs, limits), so every answer
/// goes through the same.
pub fn app(pages: Router, federation: Federation, layers: impl Fn(Router) -> Router) -> Router {
    let negotiated = negotiation::Negotiation::new(documents(), federation.clone(), &layers);
    let routes = layers(routes(federation));
    routes
        .merge(pages)
        .layer(axum::middleware::from_fn_with_state(
            negotiated,
            negotiation::negotiate,
        ))
}

/// An ActivityPub document.
pub fn activity_json(document: &serde_json::Value) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(ACTIVITY_JSON),
        )],
        document.to_string(),
    )
        .into_response()
}

/// A refusal as problem+json (RFC 9457) with the reason, as the API writes them.
pub fn problem(status: StatusCode, detail: &str) -> Response {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        )],
        body.to_string(),
    )
        .into_response()
}

/// A failure of ours: logged with its cause, answered without it.
pub fn internal(what: &str, error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "{what}");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!("{what}: the server could not answer; try again later"),
    )
}
