//! A group as an ActivityPub actor: its `Group` document at `/@{handle}` and its collections.
//! What anyone may read is served to anyone (the followers' count, the public events and
//! posts); the collections of members (members, discussions, resources, todos) are refused
//! until signed fetches by members are verified.

use super::actors::listed;
use super::{activity_json, internal, problem, Federation};
use crate::actors::local::{group_id, GroupFields};
use crate::keys::{public_key_pem, KeyOwner};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::Response;
use convene_api::access::{may_see, Viewer};
use convene_domain::event::details::Visibility;
use convene_domain::group::{GroupVisibility, Openness};
use convene_projections::group_posts::{self, Listed};
use convene_projections::groups::GroupView;

/// The most items a public collection lists (events, posts).
pub const LISTED_MAX: i64 = 1_000;

/// Mobilizon's names for how a group takes members.
pub fn openness_name(openness: Openness) -> &'static str {
    match openness {
        Openness::Open => "open",
        Openness::Moderated => "moderated",
        Openness::InviteOnly => "invite_only",
    }
}

/// The group's `Group` document.
pub async fn document(federation: &Federation, group: &GroupView) -> Response {
    let key = match public_key_pem(&federation.db, &KeyOwner::Group(group.handle.clone())).await {
        Ok(key) => key,
        Err(e) => return internal("the group's key", &e),
    };
    let details = &group.details;
    let fields = GroupFields {
        handle: &group.handle,
        display_name: &details.display_name,
        summary: &details.summary,
        openness: openness_name(details.openness),
        manually_approves_followers: details.manually_approves_followers,
        discoverable: details.visibility == GroupVisibility::Public,
        member_count: group.member_count,
        published: &group.created_at,
        avatar: group.avatar.as_ref(),
        banner: group.banner.as_ref(),
    };
    let actor = crate::actors::group(&federation.public_url, &fields, key);
    match serde_json::to_value(&actor) {
        Ok(document) => activity_json(&document),
        Err(e) => internal("the actor document", &e),
    }
}

/// `followers`, `following` or `outbox` of a group. Who follows a group is for its members:
/// peers see how many do, never who.
pub fn collection(federation: &Federation, group: &GroupView, name: &str, uri: &Uri) -> Response {
    let owner = group_id(&federation.public_url, &group.handle);
    match name {
        "followers" => {
            let id = format!("{owner}/followers");
            let total = group.follower_count.max(0) as u64;
            match crate::actors::collections::page_number(uri.query()) {
                Ok(None) => {
                    activity_json(&crate::actors::collections::collection(&id, &owner, total))
                }
                Ok(Some(page)) => activity_json(&crate::actors::collections::page(
                    &id,
                    &owner,
                    total,
                    page,
                    Vec::new(),
                )),
                Err(reason) => problem(StatusCode::BAD_REQUEST, &reason),
            }
        }
        // The group follows nobody; its activities are delivered, not served.
        _ => listed(&owner, name, uri, Vec::new()),
    }
}

/// The group `@handle`, or the answer for a name that is not one.
async fn group(federation: &Federation, handle: &str) -> Result<GroupView, Response> {
    match convene_projections::groups::find(federation.db.pool(), handle).await {
        Ok(Some(group)) => Ok(group),
        Ok(None) => Err(problem(
            StatusCode::NOT_FOUND,
            &format!("there is no group @{handle} here"),
        )),
        Err(e) => Err(internal("the group", &e)),
    }
}

/// `GET /@{handle}/events`: the group's events a stranger may see and that are listed publicly.
pub async fn events(
    State(federation): State<Federation>,
    Path(handle): Path<String>,
    uri: Uri,
) -> Response {
    let group = match group(&federation, &handle).await {
        Ok(group) => group,
        Err(response) => return response,
    };
    let pool = federation.db.pool();
    let events =
        match convene_projections::events::of_group(pool, &group.handle, LISTED_MAX, 0).await {
            Ok(events) => events,
            Err(e) => return internal("the group's events", &e),
        };
    let ids = events
        .iter()
        .filter(|e| {
            may_see(Viewer::default(), e)
                && !e.hidden_by_moderators
                && e.details.visibility == Visibility::Public
        })
        .map(|e| crate::objects::event_url(&federation.public_url, &e.id))
        .collect();
    let owner = group_id(&federation.public_url, &group.handle);
    listed(&owner, "events", &uri, ids)
}

/// `GET /@{handle}/posts`: the group's published public posts.
pub async fn posts(
    State(federation): State<Federation>,
    Path(handle): Path<String>,
    uri: Uri,
) -> Response {
    let group = match group(&federation, &handle).await {
        Ok(group) => group,
        Err(response) => return response,
    };
    let pool = federation.db.pool();
    let posts =
        match group_posts::of_group(pool, &group.handle, Listed::Public, LISTED_MAX, 0).await {
            Ok(posts) => posts,
            Err(e) => return internal("the group's posts", &e),
        };
    let ids = posts
        .iter()
        .map(|p| crate::objects::post_url(&federation.public_url, &group.handle, &p.slug))
        .collect();
    let owner = group_id(&federation.public_url, &group.handle);
    listed(&owner, "posts", &uri, ids)
}

/// `GET /@{handle}/{members|discussions|resources|todos}`: for the group's members only, and
/// a member's signed fetch is not verified yet, so every fetch is refused: unsigned 401,
/// signed 403.
pub async fn members_only(
    State(federation): State<Federation>,
    Path(handle): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if let Err(response) = group(&federation, &handle).await {
        return response;
    }
    let name = uri.path().rsplit('/').next().unwrap_or_default();
    let signed = headers.contains_key("signature") || headers.contains_key(header::AUTHORIZATION);
    if signed {
        problem(
            StatusCode::FORBIDDEN,
            &format!(
                "the {name} of @{handle} are for its members, and members' signed fetches are not served yet"
            ),
        )
    } else {
        problem(
            StatusCode::UNAUTHORIZED,
            &format!("the {name} of @{handle} are for its members: sign the fetch as a member"),
        )
    }
}
