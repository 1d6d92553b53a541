//! The inbox: a front end of the application for other servers. A signed activity is checked
//! step by step — size, JSON, signature (with the Digest recomputed and the Date in its
//! window), the signing key's owner, duplicates — then read ([`crate::incoming`]) and turned
//! into the use cases of `api` ([`dispatch`]), with metadata naming the remote actor and the
//! activity.
//!
//! Every refusal is a [`Refusal`]: a status and a short reason, logged, never half-applied.
//! A signature that cannot be verified is always 401 (Fedify falls back from RFC 9421 to
//! draft-cavage only after one); what is understood but not acted on is 202.

mod discussions;
mod dispatch;
mod flags;
mod members;
pub mod remote_actors;
mod resources;
mod seen;
mod todos;
mod verify;

pub use remote_actors::RemoteActors;
pub use verify::Checks;

use crate::client::Client;
use crate::http::{problem, Federation};
use crate::incoming::{self, Ignored};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use convene_api::groups::is_plain;
use convene_api::AppState;
use convene_projections::domains::{self, DomainDecisions};
use std::time::Duration;

/// The largest activity accepted, in bytes (Mastodon's limit too).
pub const BODY_MAX: usize = 1024 * 1024;

/// What the inbox uses: the application, federation's own state, and the client that fetches
/// keys and objects (behind the SSRF guard; on a test network in scenarios and tests).
#[derive(Clone)]
pub struct Inbox {
    pub app: AppState,
    pub federation: Federation,
    pub client: Client,
    pub actors: RemoteActors,
    /// How far a signature's date may be from now, either way.
    pub max_skew: Duration,
}

impl Inbox {
    pub fn new(app: AppState, federation: Federation, client: Client) -> Self {
        let actors = RemoteActors::new(&federation.db, client.clone());
        Self {
            app,
            federation,
            client,
            actors,
            max_skew: crate::signatures::DEFAULT_MAX_SKEW,
        }
    }
}

/// The inboxes: the shared one, each profile's and the instance actor's (they all read the
/// same way: an activity says whom it concerns).
pub fn routes(inbox: Inbox) -> Router {
    Router::new()
        .route("/inbox", post(receive))
        .route("/@{username}/inbox", post(receive))
        .route("/relay/inbox", post(receive))
        .with_state(inbox)
}

/// Why an activity was not (or not wholly) taken: answered with its status and reason, and
/// logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub reason: String,
}

impl Refusal {
    pub fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
        }
    }

    pub fn unauthorized(reason: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, reason.to_string())
    }

    /// Understood, and deliberately not acted on.
    pub fn ignored(reason: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::ACCEPTED, reason.to_string())
    }

    /// What an activity the reader does not take deserves: its shape is wrong (400), it
    /// speaks for another server (403), it breaks local rules (422), or it is simply not
    /// something Convene acts on (202).
    pub fn from_ignored(ignored: &Ignored) -> Self {
        let status = match ignored {
            Ignored::Malformed(_)
            | Ignored::MissingField(_)
            | Ignored::BadId(_)
            | Ignored::BadTime(_)
            | Ignored::TooDeep(_) => StatusCode::BAD_REQUEST,
            Ignored::ForeignOrigin { .. } => StatusCode::FORBIDDEN,
            Ignored::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Ignored::UnsupportedActivity(_)
            | Ignored::UnsupportedObject(_)
            | Ignored::NotAReply
            | Ignored::Draft => StatusCode::ACCEPTED,
        };
        Self::new(status, format!("{}: {ignored}", ignored.rule()))
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        problem(self.status, &self.reason)
    }
}

async fn receive(State(inbox): State<Inbox>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let outcome = match read_body(body).await {
        Ok(body) => take(&inbox, &parts, &body).await,
        Err(refusal) => Err(refusal),
    };
    match outcome {
        Ok(done) => {
            tracing::info!(path = %parts.uri.path(), "inbox: {done}");
            StatusCode::ACCEPTED.into_response()
        }
        Err(refusal) => {
            let status = refusal.status.as_u16();
            if refusal.status.is_server_error() {
                tracing::error!(path = %parts.uri.path(), status, "inbox: {}", refusal.reason);
            } else {
                tracing::info!(path = %parts.uri.path(), status, "inbox: {}", refusal.reason);
            }
            refusal.into_response()
        }
    }
}

/// The body, at most [`BODY_MAX`] bytes.
async fn read_body(body: Body) -> Result<Bytes, Refusal> {
    axum::body::to_bytes(body, BODY_MAX).await.map_err(|_| {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("an activity is at most {BODY_MAX} bytes"),
        )
    })
}

/// The pipeline after the body is read; what was done, in words.
async fn take(inbox: &Inbox, parts: &http::request::Parts, body: &[u8]) -> Result<String, Refusal> {
    let document: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, format!("not JSON: {e}")))?;
    let claimed_actor = claimed_actor(&document)?;
    // Refused before anything is fetched from it: no key, no object.
    not_suspended(inbox, &claimed_actor).await?;
    not_suspended_actor(inbox, &claimed_actor).await?;
    let signer = verify::signer(inbox, parts, body, &claimed_actor).await?;
    let activity = match incoming::parse(&document) {
        Ok(incoming::Incoming::Activity(activity)) => activity,
        Ok(incoming::Incoming::Object(_)) => {
            return Err(Refusal::ignored("an object on its own is not an activity"))
        }
        Err(ignored) => return Err(Refusal::from_ignored(&ignored)),
    };
    // An id named after its object tells one change from the next by nothing: each is applied
    // (each says what the object is to become, so applying one again changes nothing).
    let deduplicated = !activity.named_after_object;
    if deduplicated && seen::already(&inbox.federation.db, &activity.id).await? {
        return Err(Refusal::ignored(format!(
            "{} was received before: applied once",
            activity.id
        )));
    }
    let outcome = dispatch::dispatch(inbox, &signer, &activity).await;
    // Whatever the outcome, the same activity sent again gets the same answer from here on.
    let settled = outcome.is_ok() || outcome.as_ref().is_err_and(|r| r.status.is_client_error());
    if deduplicated && settled {
        seen::record(&inbox.federation.db, &activity.id, &activity.actor).await?;
    }
    outcome
}

/// Refuses (403) what comes from, or would be fetched from, a domain this instance's
/// administrators suspended.
pub(crate) async fn not_suspended(inbox: &Inbox, url: &str) -> Result<(), Refusal> {
    not_suspended_in(inbox.app.db.pool(), url).await
}

/// [`not_suspended`], with the decisions read from `pool`.
pub(crate) async fn not_suspended_in(pool: &sqlx::AnyPool, url: &str) -> Result<(), Refusal> {
    let Some(host) = domains::host_of_url(url) else {
        return Ok(());
    };
    let decisions = DomainDecisions::load(pool).await.map_err(|e| {
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the domain decisions cannot be read: {e}"),
        )
    })?;
    if decisions.suspends(&host) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!("{host} is suspended by this instance's administrators"),
        ));
    }
    Ok(())
}

/// Refuses (403, as for a suspended domain) what an actor this instance's moderators suspended
/// sends.
async fn not_suspended_actor(inbox: &Inbox, actor: &str) -> Result<(), Refusal> {
    let suspended = domains::actor_suspended(inbox.app.db.pool(), actor)
        .await
        .map_err(|e| {
            Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the decisions on actors cannot be read: {e}"),
            )
        })?;
    if suspended {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!("{actor} is suspended by this instance's moderators"),
        ));
    }
    Ok(())
}

/// The group handle and what follows `separator` when `url` is an address inside one of our
/// groups (`{public_url}/@{handle}{separator}…`): a discussion, the resources or a folder.
fn in_our_group<'a>(inbox: &Inbox, url: &'a str, separator: &str) -> Option<(String, &'a str)> {
    convene_api::groups::in_group_here(&inbox.federation.public_url, url, separator)
}

/// The name of one of our actors (a profile or a group) when `url` is its id.
fn our_actor(inbox: &Inbox, url: &str) -> Option<String> {
    let name = url.strip_prefix(&format!("{}/@", inbox.federation.public_url))?;
    is_plain(name).then(|| name.to_string())
}

/// The activity's `actor`, which the signature must be by.
fn claimed_actor(document: &serde_json::Value) -> Result<String, Refusal> {
    let actor = document
        .get("actor")
        .and_then(|a| incoming::values::id_of(a))
        .filter(|a| incoming::values::is_web_id(a))
        .ok_or_else(|| Refusal::new(StatusCode::BAD_REQUEST, "`actor` is missing or not a URL"))?;
    Ok(actor.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_refusals_get_the_status_their_reason_deserves() {
        let status = |ignored: Ignored| Refusal::from_ignored(&ignored).status;
        assert_eq!(status(Ignored::MissingField("id")), StatusCode::BAD_REQUEST);
        assert_eq!(
            status(Ignored::ForeignOrigin {
                id: "https://a.example/1".into(),
                actor: "https://b.example/u".into()
            }),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            status(Ignored::UnsupportedActivity("Like".into())),
            StatusCode::ACCEPTED
        );
        assert_eq!(
            status(Ignored::Invalid(vec![])),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let reason = Refusal::from_ignored(&Ignored::NotAReply).reason;
        assert!(reason.starts_with("not_a_reply: "), "{reason}");
    }

    #[test]
    fn the_actor_must_be_a_url() {
        let actor = |v: serde_json::Value| claimed_actor(&v).map_err(|r| r.status);
        assert_eq!(
            actor(serde_json::json!({"actor": "https://a.example/u"})),
            Ok("https://a.example/u".into())
        );
        assert_eq!(
            actor(serde_json::json!({"actor": {"id": "https://a.example/u"}})),
            Ok("https://a.example/u".into())
        );
        assert_eq!(
            actor(serde_json::json!({"actor": "javascript:x"})),
            Err(StatusCode::BAD_REQUEST)
        );
        assert_eq!(actor(serde_json::json!({})), Err(StatusCode::BAD_REQUEST));
    }
}
