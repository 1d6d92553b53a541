//! The administrators' API of instance follows, here because following needs the remote
//! instance's actor found and fetched: `GET /api/v1/admin/instances` lists the instances this
//! one follows or is followed by; `POST` with `{"instance": "URL or host"}` makes this instance
//! follow one; `DELETE /api/v1/admin/instances/{instance}` (its host or actor URL) stops.

use crate::client::Client;
use crate::discovery::lookup;
use crate::inbox::{Inbox, RemoteActors};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use convene_api::auth::Session;
use convene_api::http::problem::{Body, Problem};
use convene_api::instance_follows;
use convene_projections::domains::{host_of_url, DomainDecisions};
use convene_projections::instance_follows::{all, InstanceFollowView};
use serde::Deserialize;
use sqlx::AnyPool;

pub fn routes() -> Router<Inbox> {
    Router::new()
        .route("/api/v1/admin/instances", get(list).post(follow))
        .route("/api/v1/admin/instances/{instance}", delete(unfollow))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFollow {
    /// The instance: its host (`events.example`), its URL, or its actor's URL.
    instance: String,
}

async fn administrator(inbox: &Inbox, parts: &mut Parts) -> Result<Session, Problem> {
    let session = Session::from_request_parts(parts, &inbox.app).await?;
    instance_follows::require_administrator(&session)?;
    Ok(session)
}

async fn list(
    State(inbox): State<Inbox>,
    mut parts: Parts,
) -> Result<Json<Vec<InstanceFollowView>>, Problem> {
    let session = administrator(&inbox, &mut parts).await?;
    Ok(Json(instance_follows::list(&inbox.app, &session).await?))
}

/// 202: the running server sends the `Follow`; the state is `pending` until the answer.
async fn follow(
    State(inbox): State<Inbox>,
    mut parts: Parts,
    Body(new): Body<NewFollow>,
) -> Result<(StatusCode, Json<InstanceFollowView>), Problem> {
    let session = administrator(&inbox, &mut parts).await?;
    let pool = inbox.app.db.pool();
    let (actor, delivery) = resolve(&inbox.client, &inbox.actors, pool, &new.instance)
        .await
        .map_err(|reason| Problem::invalid_field("instance", reason))?;
    instance_follows::follow(&inbox.app, &session, &actor, &delivery).await?;
    let view = all(inbox.app.db.pool())
        .await?
        .into_iter()
        .find(|v| v.actor == actor)
        .ok_or_else(|| Problem::bad_request("the follow was recorded and is gone already"))?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

async fn unfollow(
    State(inbox): State<Inbox>,
    mut parts: Parts,
    Path(instance): Path<String>,
) -> Result<StatusCode, Problem> {
    let session = administrator(&inbox, &mut parts).await?;
    let Some(actor) = followed(inbox.app.db.pool(), &instance).await? else {
        return Err(convene_api::Error::not_found(format!(
            "this instance does not follow {instance}"
        ))
        .into());
    };
    instance_follows::unfollow(&inbox.app, &session, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The instance actor `given` names, fetched (and cached), and where it takes deliveries; or
/// why not. A suspended domain is refused before anything is fetched from it.
pub async fn resolve(
    client: &Client,
    actors: &RemoteActors,
    pool: &AnyPool,
    given: &str,
) -> Result<(String, String), String> {
    let id = lookup::instance_actor_id(client, given)
        .await
        .map_err(|e| e.to_string())?;
    let host = host_of_url(&id).ok_or_else(|| format!("{id} is not an http(s) URL"))?;
    let decisions = DomainDecisions::load(pool)
        .await
        .map_err(|e| format!("the domain decisions cannot be read: {e}"))?;
    if decisions.suspends(&host) {
        return Err(format!(
            "{host} is suspended by this instance's administrators: lift the decision first"
        ));
    }
    let actor = actors.get(&id).await.map_err(|e| format!("{id}: {e}"))?;
    Ok((actor.id.to_string(), actor.delivery_inbox().to_string()))
}

/// The instance actor this instance follows (or asked to) that `given` names: its actor URL,
/// or its host.
pub async fn followed(
    pool: &AnyPool,
    given: &str,
) -> Result<Option<String>, convene_projections::Error> {
    let given = given.trim().trim_end_matches('/');
    let host = host_of_url(given).unwrap_or_else(|| given.to_ascii_lowercase());
    Ok(all(pool)
        .await?
        .into_iter()
        .filter(|v| v.following.is_some())
        .find(|v| v.actor == given || v.host == host)
        .map(|v| v.actor))
}
