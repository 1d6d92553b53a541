//! The actor documents and their collections.

use super::{activity_json, internal, problem, Federation};
use crate::actors::collections;
use crate::actors::local::{instance_actor_id, person_id, PersonFields};
use crate::keys::{public_key_pem, KeyOwner};
use crate::outbox::listing;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use convene_domain::profile::FollowingState;
use convene_projections::groups::GroupView;
use convene_projections::profiles::ProfileView;
use convene_projections::{follows, instance_follows};

/// `GET /@{username}` as `application/activity+json`: the profile's `Person`, or the group's
/// `Group`.
pub async fn person(
    State(federation): State<Federation>,
    Path(username): Path<String>,
) -> Response {
    let profile = match named(&federation, &username).await {
        Ok(Named::Profile(profile)) => profile,
        Ok(Named::Group(group)) => return super::groups::document(&federation, &group).await,
        Err(response) => return response,
    };
    let key =
        match public_key_pem(&federation.db, &KeyOwner::Profile(profile.username.clone())).await {
            Ok(key) => key,
            Err(e) => return internal("the profile's key", &e),
        };
    let fields = PersonFields {
        username: &profile.username,
        display_name: &profile.display_name,
        summary: &profile.summary,
        published: &profile.created_at,
        avatar: profile.avatar.as_ref(),
    };
    let mut actor = crate::actors::person(&federation.public_url, &fields, key);
    if profile.suspended {
        actor = actor.suspended();
    }
    match serde_json::to_value(&actor) {
        Ok(document) => activity_json(&document),
        Err(e) => internal("the actor document", &e),
    }
}

/// `GET /relay`: the instance actor, always as ActivityPub (it has no page).
pub async fn instance(State(federation): State<Federation>) -> Response {
    let key = match public_key_pem(&federation.db, &KeyOwner::Instance).await {
        Ok(key) => key,
        Err(e) => return internal("the instance actor's key", &e),
    };
    let actor =
        crate::actors::instance_actor(&federation.public_url, &federation.instance.name, key);
    match serde_json::to_value(&actor) {
        Ok(document) => activity_json(&document),
        Err(e) => internal("the actor document", &e),
    }
}

/// `GET /relay/{outbox|followers|following}`.
pub async fn instance_collection(
    State(federation): State<Federation>,
    Path(collection): Path<String>,
    uri: Uri,
) -> Response {
    if !matches!(collection.as_str(), "outbox" | "followers" | "following") {
        return problem(
            StatusCode::NOT_FOUND,
            "the instance actor has no such collection",
        );
    }
    let owner = instance_actor_id(&federation.public_url);
    if collection == "outbox" {
        return outbox_of(&federation, &owner, &uri, false).await;
    }
    // The instances following this one, and those it follows (accepted).
    let followers = collection == "followers";
    let actors = match instance_follows::actors(federation.db.pool(), followers).await {
        Ok(actors) => actors,
        Err(e) => return internal("the instance's follows", &e),
    };
    listed(&owner, &collection, &uri, actors)
}

/// `GET /@{username}/outbox`.
pub async fn outbox(state: State<Federation>, path: Path<String>, uri: Uri) -> Response {
    profile_collection(state, path, uri, "outbox").await
}

/// `GET /@{username}/followers`.
pub async fn followers(state: State<Federation>, path: Path<String>, uri: Uri) -> Response {
    profile_collection(state, path, uri, "followers").await
}

/// `GET /@{username}/following`.
pub async fn following(state: State<Federation>, path: Path<String>, uri: Uri) -> Response {
    profile_collection(state, path, uri, "following").await
}

async fn profile_collection(
    State(federation): State<Federation>,
    Path(username): Path<String>,
    uri: Uri,
    collection: &str,
) -> Response {
    let profile = match named(&federation, &username).await {
        Ok(Named::Profile(profile)) => profile,
        Ok(Named::Group(group)) => {
            return super::groups::collection(&federation, &group, collection, &uri).await
        }
        Err(response) => return response,
    };
    let owner = person_id(&federation.public_url, &profile.username);
    if collection == "outbox" {
        return outbox_of(&federation, &owner, &uri, profile.suspended).await;
    }
    let pool = federation.db.pool();
    let actors: Vec<String> = match collection {
        "followers" => match follows::followers_of(pool, &profile.username).await {
            Ok(followers) => followers.into_iter().map(|f| f.actor).collect(),
            Err(e) => return internal("the followers", &e),
        },
        "following" => match follows::following_of(pool, &profile.username).await {
            Ok(following) => following
                .into_iter()
                .filter(|f| f.state == FollowingState::Accepted)
                .map(|f| f.target)
                .collect(),
            Err(e) => return internal("the follows", &e),
        },
        _ => Vec::new(),
    };
    listed(&owner, collection, &uri, actors)
}

/// The outbox of local actor `owner`: its public activities as stored and delivered
/// ([`listing`]), newest first; empty while the actor is suspended (its document still answers,
/// marked suspended, and so does this collection, with nothing in it).
pub(super) async fn outbox_of(
    federation: &Federation,
    owner: &str,
    uri: &Uri,
    suspended: bool,
) -> Response {
    let id = format!("{owner}/outbox");
    let page = match collections::page_number(uri.query()) {
        Ok(page) => page,
        Err(reason) => return problem(StatusCode::BAD_REQUEST, &reason),
    };
    let pool = federation.db.pool();
    let total = if suspended {
        0
    } else {
        match listing::count(pool, owner).await {
            Ok(total) => total.max(0) as u64,
            Err(e) => return internal("the outbox", &e),
        }
    };
    let Some(page) = page else {
        return activity_json(&collections::collection(&id, owner, total));
    };
    let size = collections::PAGE_SIZE;
    let skipped = (page - 1).saturating_mul(size);
    let bodies = if total > skipped {
        listing::bodies(pool, owner, size as i64, skipped as i64).await
    } else {
        Ok(Vec::new())
    };
    let items = match bodies {
        Ok(bodies) => bodies
            .iter()
            .map(|body| serde_json::from_str(body))
            .collect::<Result<Vec<serde_json::Value>, _>>(),
        Err(e) => return internal("the outbox", &e),
    };
    match items {
        Ok(items) => activity_json(&collections::page(&id, owner, total, page, items)),
        Err(e) => internal("an activity of the outbox", &e),
    }
}

/// The collection `{owner}/{name}` of `items` (actor ids), or the page asked for.
pub(super) fn listed(owner: &str, name: &str, uri: &Uri, items: Vec<String>) -> Response {
    let items = items.into_iter().map(serde_json::Value::String).collect();
    listed_values(owner, name, uri, items)
}

/// The collection `{owner}/{name}` of `items` (ids or embedded objects), or the page asked for.
pub(super) fn listed_values(
    owner: &str,
    name: &str,
    uri: &Uri,
    items: Vec<serde_json::Value>,
) -> Response {
    let id = format!("{owner}/{name}");
    let total = items.len() as u64;
    match collections::page_number(uri.query()) {
        Ok(None) => activity_json(&collections::collection(&id, owner, total)),
        Ok(Some(page)) => {
            let shown = items
                .into_iter()
                .skip(((page - 1) * collections::PAGE_SIZE) as usize)
                .take(collections::PAGE_SIZE as usize)
                .collect();
            activity_json(&collections::page(&id, owner, total, page, shown))
        }
        Err(reason) => problem(StatusCode::BAD_REQUEST, &reason),
    }
}

/// What `/@{name}` names: a profile or a group (they share the names).
/// Boxed: both are large, and of different sizes.
enum Named {
    Profile(Box<ProfileView>),
    Group(Box<GroupView>),
}

/// The profile or group `@name`, or the answer for a name that is neither.
async fn named(federation: &Federation, name: &str) -> Result<Named, Response> {
    let pool = federation.db.pool();
    match convene_projections::profiles::find_public(pool, name).await {
        Ok(Some(profile)) => return Ok(Named::Profile(Box::new(profile))),
        Ok(None) => {}
        Err(e) => return Err(internal("the profile", &e)),
    }
    match convene_projections::groups::find(pool, name).await {
        Ok(Some(group)) => Ok(Named::Group(Box::new(group))),
        Ok(None) => Err(problem(
            StatusCode::NOT_FOUND,
            &format!("there is no profile or group @{name} here"),
        )),
        Err(e) => Err(internal("the group", &e)),
    }
}
