//! A group as an ActivityPub actor: its `Group` document at `/@{handle}` and its collections.
//! What anyone may read is served to anyone (the followers' count, the public events and
//! posts); the collections of members (members, discussions, resources, todos) only to a
//! fetch signed by a current member; one `Member` also to the member's own instance.

use super::actors::{listed, listed_values};
use super::{activity_json, internal, problem, Federation};
use crate::actors::local::{group_actor_id, group_id, member_id, person_id, GroupFields};
use crate::inbox::Checks;
use crate::keys::{public_key_pem, KeyOwner};
use crate::outbox::{group_object, resource_object, work_id, GroupDocument};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use convene_api::access::{may_see, Viewer};
use convene_domain::event::details::Visibility;
use convene_domain::group::{GroupVisibility, Openness, ResourceContent, ResourceKind};
use convene_domain::Group;
use convene_domain::{GroupActor, MemberRole};
use convene_projections::group_posts::{self, Listed};
use convene_projections::groups::GroupView;
use convene_projections::{group_discussions, group_resources, group_todos, EventLog};
use cqrs_es::Aggregate;
use serde_json::{json, Value};
use std::collections::HashMap;

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
    let mut actor = crate::actors::group(&federation.public_url, &fields, key);
    if group.suspended_by_moderators {
        actor = actor.suspended();
    }
    match serde_json::to_value(&actor) {
        Ok(document) => activity_json(&document),
        Err(e) => internal("the actor document", &e),
    }
}

/// `followers`, `following` or `outbox` of a group. Who follows a group is for its members:
/// peers see how many do, never who. Its outbox lists its public activities (empty while
/// suspended, as a profile's).
pub async fn collection(
    federation: &Federation,
    group: &GroupView,
    name: &str,
    uri: &Uri,
) -> Response {
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
        "outbox" => {
            super::actors::outbox_of(federation, &owner, uri, group.suspended_by_moderators).await
        }
        // The group follows nobody.
        _ => listed(&owner, name, uri, Vec::new()),
    }
}

/// The group `@handle`, or the answer for a name that is not one. A suspended group's
/// collections are gone as its pages are (its actor document says it is suspended).
async fn group(federation: &Federation, handle: &str) -> Result<GroupView, Response> {
    match convene_projections::groups::find(federation.db.pool(), handle).await {
        Ok(Some(group)) if group.suspended_by_moderators => Err(problem(
            StatusCode::NOT_FOUND,
            &format!("the group @{handle} is suspended by this instance's moderators"),
        )),
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

/// `GET /@{handle}/{members|discussions|resources|todos}`: for the group's current members
/// only, who fetch them signed by their own key (as Mobilizon's members do). Unsigned: 401; a
/// signature that does not verify: 401; by anyone not a member now (a removed member's next
/// fetch included): 403.
pub async fn members_only(
    State(federation): State<Federation>,
    Path(handle): Path<String>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let group = match group(&federation, &handle).await {
        Ok(group) => group,
        Err(response) => return response,
    };
    let name = uri
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let member = match fetching_member(&federation, &group, &name, (&method, &uri, &headers)).await
    {
        Ok(member) => member,
        Err(response) => return response,
    };
    tracing::info!(group = %handle, member = %member, "members-only {name} served to a member");
    let pool = federation.db.pool();
    let owner = group_id(&federation.public_url, &group.handle);
    let items = match name.as_str() {
        "members" => members(&federation, pool, &owner, &group.handle).await,
        "discussions" => discussions(&owner, pool, &group.handle).await,
        "resources" => resources(&federation.public_url, &owner, pool, &group.handle).await,
        _ => todos(&owner, pool, &group.handle).await,
    };
    match items {
        Ok(items) => listed_values(&owner, &name, &uri, items),
        Err(e) => internal("the group's collection", &e),
    }
}

/// `GET /@{handle}/resources/{id}`, `…/todos/{list}`, `…/todos/{list}/{todo}`,
/// `…/c/{discussion}` and `…/c/{discussion}/{comment}`: one of the group's own resources, todo
/// lists, todos, discussions or discussion comments, as it relays them to its members, and to
/// its current members' signed fetches only, as the collection holding it (401 unsigned, 403
/// for anyone else). Deleted: its `Tombstone`, 410. Nothing of the group's own there (what a
/// member made on their instance has its id there): 404.
pub async fn member_object(
    State(federation): State<Federation>,
    Path(params): Path<Vec<(String, String)>>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let handle = params.first().map(|(_, v)| v.clone()).unwrap_or_default();
    let group = match group(&federation, &handle).await {
        Ok(group) => group,
        Err(response) => return response,
    };
    let prefix = format!("/@{handle}/");
    let inside = uri.path().strip_prefix(&prefix).unwrap_or_default();
    let path: Vec<&str> = inside.split('/').collect();
    let collection = match path.first() {
        Some(&"c") => "discussions",
        Some(name) => *name,
        None => "resources",
    };
    let request = (&method, &uri, &headers);
    if let Err(refused) = fetching_member(&federation, &group, collection, request).await {
        return refused;
    }
    let log = EventLog::new(&federation.db)
        .aggregate(Group::TYPE, &group.handle)
        .await;
    let found =
        log.and_then(|log| group_object(&federation.public_url, &group.handle, &log, &path));
    match found {
        Ok(Some(GroupDocument::Object(object))) => activity_json(&object),
        Ok(Some(GroupDocument::Gone(tombstone))) => {
            (StatusCode::GONE, activity_json(&tombstone)).into_response()
        }
        Ok(None) => problem(
            StatusCode::NOT_FOUND,
            &format!("@{handle} has nothing of its own at {}", uri.path()),
        ),
        Err(e) => internal("the group's changes", &e),
    }
}

/// The current member of our group `@handle` whose signed fetch of something in its `name`
/// (its members-only events, say) this is, or the refusal (as for its collections).
pub(super) async fn member_of(
    federation: &Federation,
    handle: &str,
    name: &str,
    request: (&Method, &Uri, &HeaderMap),
) -> Result<String, Response> {
    let group = group(federation, handle).await?;
    fetching_member(federation, &group, name, request).await
}

/// The current member whose signed fetch this is, or the refusal.
async fn fetching_member(
    federation: &Federation,
    group: &GroupView,
    name: &str,
    request: (&Method, &Uri, &HeaderMap),
) -> Result<String, Response> {
    let handle = &group.handle;
    let signer = signed_fetcher(federation, group, name, request).await?;
    if is_current_member(federation, handle, &signer).await? {
        return Ok(signer);
    }
    tracing::info!(group = %handle, actor = %signer, "members-only {name}: not a member");
    Err(problem(
        StatusCode::FORBIDDEN,
        &format!("the {name} of @{handle} are for its members, and {signer} is not one"),
    ))
}

/// Whether `actor` is a member (role member and above) of `@handle` now, read from the read
/// model the group's decisions update: a removed member's next fetch is refused.
async fn is_current_member(
    federation: &Federation,
    handle: &str,
    actor: &str,
) -> Result<bool, Response> {
    let who = GroupActor::Remote(actor.to_string());
    let membership = convene_projections::groups::membership(federation.db.pool(), handle, &who)
        .await
        .map_err(|e| internal("the group's members", &e))?;
    Ok(membership.is_some_and(|m| m.role.is_member()))
}

/// The actor whose signature this fetch of the group's `name` bears, verified, or the refusal:
/// unsigned or not verifying 401, no verifier here 403.
async fn signed_fetcher(
    federation: &Federation,
    group: &GroupView,
    name: &str,
    request: (&Method, &Uri, &HeaderMap),
) -> Result<String, Response> {
    let handle = &group.handle;
    let headers = request.2;
    let signed = headers.contains_key("signature") || headers.contains_key("signature-input");
    if !signed {
        return Err(problem(
            StatusCode::UNAUTHORIZED,
            &format!("the {name} of @{handle} are for its members: sign the fetch as a member"),
        ));
    }
    let Some(actors) = &federation.signed_fetches else {
        return Err(problem(
            StatusCode::FORBIDDEN,
            &format!("the {name} of @{handle} are for its members, and this server verifies no signed fetch"),
        ));
    };
    let checks = Checks {
        actors,
        pool: federation.db.pool(),
        public_url: &federation.public_url,
        max_skew: crate::signatures::DEFAULT_MAX_SKEW,
    };
    let signer = match checks.signed_by(request, &[], None).await {
        Ok(signer) => signer,
        Err(refusal) => {
            tracing::info!(group = %handle, status = refusal.status.as_u16(), "members-only {name}: {}", refusal.reason);
            return Err(refusal.into_response());
        }
    };
    Ok(signer.id.to_string())
}

/// `GET /@{handle}/members/{digest}`: one membership as its `Member` (the id the group's
/// `Update` of a role names, which Mobilizon fetches before applying it). To a fetch signed by
/// a current member, or by an actor of the member's own instance (the server that keeps that
/// member's memberships); unsigned 401, anyone else 403, no such membership 404.
pub async fn member(
    State(federation): State<Federation>,
    Path((handle, _digest)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let group = match group(&federation, &handle).await {
        Ok(group) => group,
        Err(response) => return response,
    };
    let request = (&method, &uri, &headers);
    let signer = match signed_fetcher(&federation, &group, "members", request).await {
        Ok(signer) => signer,
        Err(response) => return response,
    };
    let owner = group_id(&federation.public_url, &group.handle);
    let id = format!("{}{}", federation.public_url, uri.path());
    let all =
        convene_projections::groups::members(federation.db.pool(), &handle, &MemberRole::ALL).await;
    let members = match all {
        Ok(members) => members,
        Err(e) => return internal("the group's members", &e),
    };
    let Some(found) = members.iter().find(|m| member_id(&owner, &m.member) == id) else {
        return problem(
            StatusCode::NOT_FOUND,
            &format!("{id} is no membership of @{handle}"),
        );
    };
    let actor = match &found.profile {
        Some(username) => person_id(&federation.public_url, username),
        None => found.member.clone(),
    };
    let allowed = crate::incoming::values::same_origin(&signer, &actor)
        || match is_current_member(&federation, &handle, &signer).await {
            Ok(member) => member,
            Err(response) => return response,
        };
    if !allowed {
        tracing::info!(group = %handle, actor = %signer, "a Member of @{handle}: refused");
        return problem(
            StatusCode::FORBIDDEN,
            &format!(
                "the members of @{handle} are for its members and their own instances, and {signer} is neither"
            ),
        );
    }
    let mut document = json!({
        "id": id,
        "type": "Member",
        "actor": actor,
        "object": owner,
        "role": found.role.as_str(),
    });
    document["@context"] = crate::context::context();
    activity_json(&document)
}

/// The members (role member and above) as Mobilizon lists them: `Member` objects naming the
/// person, the group and the role.
async fn members(
    federation: &Federation,
    pool: &sqlx::AnyPool,
    owner: &str,
    handle: &str,
) -> Result<Vec<Value>, convene_projections::Error> {
    let roles = [
        MemberRole::Member,
        MemberRole::Moderator,
        MemberRole::Administrator,
        MemberRole::Creator,
    ];
    let members = convene_projections::groups::members(pool, handle, &roles).await?;
    Ok(members
        .iter()
        .map(|m| {
            let actor = match &m.profile {
                Some(username) => person_id(&federation.public_url, username),
                None => m.member.clone(),
            };
            json!({
                "id": member_id(owner, &m.member),
                "type": "Member",
                "actor": actor,
                "object": owner,
                "role": m.role.as_str(),
            })
        })
        .collect())
}

/// The discussions, by the URL of their page.
async fn discussions(
    owner: &str,
    pool: &sqlx::AnyPool,
    handle: &str,
) -> Result<Vec<Value>, convene_projections::Error> {
    let found = group_discussions::of_group(pool, handle, LISTED_MAX, 0).await?;
    Ok(found
        .iter()
        .map(|d| json!({ "id": format!("{owner}/c/{}", d.id), "type": "Note", "name": d.title }))
        .collect())
}

/// Every folder and link of the group's resources, whichever folder holds it, as Mobilizon
/// lists them (`ResourceCollection` and `Document`, each its folder's id as `context`: the
/// group's `resources` at the top), shaped as the group relays them; a remote member's under
/// its id on its instance.
async fn resources(
    public_url: &str,
    owner: &str,
    pool: &sqlx::AnyPool,
    handle: &str,
) -> Result<Vec<Value>, convene_projections::Error> {
    let found = group_resources::of_group(pool, handle).await?;
    let id_of = |r: &group_resources::ResourceView| {
        work_id(r.object.as_deref(), owner, &format!("resources/{}", r.id))
    };
    let ids: HashMap<&str, String> = found.iter().map(|r| (r.id.as_str(), id_of(r))).collect();
    let top = format!("{owner}/resources");
    Ok(found
        .iter()
        .filter_map(|r| {
            let content = ResourceContent {
                kind: ResourceKind::parse(&r.kind)?,
                title: r.title.clone(),
                url: r.url.clone(),
                summary: r.summary.clone(),
            };
            let context = match &r.parent {
                Some(parent) => ids.get(parent.as_str())?,
                None => &top,
            };
            let author = GroupActor::from_key(&r.author);
            let actor = group_actor_id(public_url, &author);
            Some(resource_object(
                &ids[r.id.as_str()],
                context,
                (owner, &actor),
                &content,
            ))
        })
        .collect())
}

/// The todo lists, each with how many todos it holds (a remote member's under its id there).
async fn todos(
    owner: &str,
    pool: &sqlx::AnyPool,
    handle: &str,
) -> Result<Vec<Value>, convene_projections::Error> {
    let lists = group_todos::of_group(pool, handle).await?;
    Ok(lists
        .iter()
        .map(|l| {
            json!({
                "id": work_id(l.object.as_deref(), owner, &format!("todos/{}", l.id)),
                "type": "TodoList",
                "name": l.title,
                "totalItems": l.todos.len(),
            })
        })
        .collect())
}
