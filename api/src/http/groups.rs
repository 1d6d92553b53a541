//! `/groups`, and `/me/groups`.

use super::extract::{MaybeSession, Params};
use super::problem::{Body, BodyBytes, JsonBytes, Problem};
use crate::auth::Acting;
use crate::events::NewEvent;
use crate::groups::{
    self, Decision, GroupEventOptions, Invitation, JoinGroup, NewGroup, RoleChange,
};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use convene_domain::group::GroupPatch;
use convene_projections::events::EventView;
use convene_projections::groups::{FollowerView, GroupView, MemberView, TimelineEntry};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, update))
        .routes(routes!(join, members))
        .routes(routes!(leave))
        .routes(routes!(invite))
        .routes(routes!(accept_invitation))
        .routes(routes!(decline_invitation))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(change_role))
        .routes(routes!(remove))
        .routes(routes!(follow, followers))
        .routes(routes!(unfollow))
        .routes(routes!(approve_follower))
        .routes(routes!(reject_follower))
        .routes(routes!(my_groups))
        .routes(routes!(create_event, events))
        .routes(routes!(change_event_options))
        .routes(routes!(timeline))
}

/// A body that may be left out (or empty): then it is the type's default.
fn optional<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        super::problem::parse_json(body)
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// From 1 to 10,000.
    #[validate(range(min = 1, max = crate::events::PAGE_MAX, message = "pages are counted from 1 to 10000"))]
    pub page: Option<i64>,
}

impl ListQuery {
    /// The page asked for, once it is known to be one.
    pub(super) fn page(&self) -> Result<Option<i64>, Problem> {
        crate::validation::validate(self)?;
        Ok(self.page)
    }
}

/// Create a group; the acting profile becomes its `creator`.
#[utoipa::path(post, path = "/groups", tag = "groups", request_body = NewGroup, security(("bearer" = [])),
    responses((status = 201, body = GroupView), (status = 403, body = Problem),
              (status = 409, body = Problem, description = "the handle is taken by a profile or a group"),
              (status = 422, body = Problem)))]
async fn create(
    State(state): State<AppState>,
    acting: Acting,
    Body(new): Body<NewGroup>,
) -> Result<(StatusCode, Json<GroupView>), Problem> {
    let created = groups::create(&state, &acting, new).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Public groups, by name.
#[utoipa::path(get, path = "/groups", tag = "groups", params(ListQuery),
    responses((status = 200, body = Vec<GroupView>), (status = 422, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    Params(query): Params<ListQuery>,
) -> Result<Json<Vec<GroupView>>, Problem> {
    Ok(Json(groups::list(&state, query.page()?).await?))
}

/// One group (unlisted groups too, to whoever has the address). A group the instance's
/// moderators suspended is 404 `/problems/group-suspended-by-moderators` for everyone but them.
#[utoipa::path(get, path = "/groups/{handle}", tag = "groups", params(("handle" = String, Path)),
    responses((status = 200, body = GroupView), (status = 404, body = Problem),
              (status = 401, description = "a bearer token was sent and names no session", body = Problem)))]
async fn show(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    Path(handle): Path<String>,
) -> Result<Json<GroupView>, Problem> {
    Ok(Json(
        groups::show_to(&state, session.as_ref(), &handle).await?,
    ))
}

/// Change the group's settings (administrators); `address: null` clears the address.
#[utoipa::path(patch, path = "/groups/{handle}", tag = "groups", request_body = GroupPatch,
    params(("handle" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = GroupView), (status = 403, body = Problem, description = "administrator-needed"),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
    Body(patch): Body<GroupPatch>,
) -> Result<Json<GroupView>, Problem> {
    Ok(Json(groups::update(&state, &acting, &handle, patch).await?))
}

/// Join an open group, or ask to join a moderated one (`not_approved` until a moderator
/// decides), as the acting profile. The body is optional.
#[utoipa::path(post, path = "/groups/{handle}/members", tag = "groups", request_body = JoinGroup,
    params(("handle" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = MemberView), (status = 403, body = Problem, description = "invite-only"),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn join(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
    BodyBytes(body): BodyBytes,
) -> Result<(StatusCode, Json<MemberView>), Problem> {
    let request: JoinGroup = optional(&body)?;
    let joined = groups::join(&state, &acting, &handle, request).await?;
    Ok((StatusCode::CREATED, Json(joined)))
}

/// The members, for members; moderators and above also see requests and invitations.
#[utoipa::path(get, path = "/groups/{handle}/members", tag = "groups", params(("handle" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<MemberView>), (status = 403, body = Problem, description = "member-needed"),
              (status = 404, body = Problem)))]
async fn members(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
) -> Result<Json<Vec<MemberView>>, Problem> {
    Ok(Json(groups::members(&state, &acting, &handle).await?))
}

/// Leave the group, or withdraw a request to join, as the acting profile.
#[utoipa::path(delete, path = "/groups/{handle}/members/mine", tag = "groups",
    params(("handle" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem),
              (status = 409, body = Problem, description = "last-administrator: the last administrator cannot leave")))]
async fn leave(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
) -> Result<StatusCode, Problem> {
    groups::leave(&state, &acting, &handle).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Invite a profile by its username, or another instance's person by handle
/// (`@bob@other.example`) or URL (moderators and above).
#[utoipa::path(post, path = "/groups/{handle}/invitations", tag = "groups", request_body = Invitation,
    params(("handle" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = MemberView), (status = 403, body = Problem, description = "moderator-needed"),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "already-in-group"),
              (status = 422, body = Problem)))]
async fn invite(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
    Body(invitation): Body<Invitation>,
) -> Result<(StatusCode, Json<MemberView>), Problem> {
    let invited = groups::invite(&state, &acting, &handle, invitation).await?;
    Ok((StatusCode::CREATED, Json(invited)))
}

/// Accept the acting profile's invitation.
#[utoipa::path(post, path = "/groups/{handle}/invitations/mine/accept", tag = "groups",
    params(("handle" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = MemberView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn accept_invitation(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
) -> Result<Json<MemberView>, Problem> {
    Ok(Json(
        groups::accept_invitation(&state, &acting, &handle).await?,
    ))
}

/// Decline the acting profile's invitation.
#[utoipa::path(post, path = "/groups/{handle}/invitations/mine/decline", tag = "groups",
    params(("handle" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn decline_invitation(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
) -> Result<StatusCode, Problem> {
    groups::decline_invitation(&state, &acting, &handle).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Approve a request to join (moderators and above). The body (a reason) is optional.
#[utoipa::path(post, path = "/groups/{handle}/members/{username}/approve", tag = "groups",
    request_body = Decision, params(("handle" = String, Path), ("username" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = MemberView), (status = 403, body = Problem, description = "moderator-needed"),
              (status = 404, body = Problem, description = "no such group"),
              (status = 409, body = Problem, description = "no-pending-request: the request was withdrawn (or never made); wrong-role: already answered; conflict: approved, then the member left at once")))]
async fn approve(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, username)): Path<(String, String)>,
    BodyBytes(body): BodyBytes,
) -> Result<Json<MemberView>, Problem> {
    let decision: Decision = optional(&body)?;
    Ok(Json(
        groups::approve(&state, &acting, &handle, &username, decision).await?,
    ))
}

/// Reject a request to join (moderators and above), with an optional reason.
#[utoipa::path(post, path = "/groups/{handle}/members/{username}/reject", tag = "groups",
    request_body = Decision, params(("handle" = String, Path), ("username" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = MemberView), (status = 403, body = Problem, description = "moderator-needed"),
              (status = 404, body = Problem, description = "no such group"),
              (status = 409, body = Problem, description = "no-pending-request: the request was withdrawn (or never made); wrong-role: already answered")))]
async fn reject(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, username)): Path<(String, String)>,
    BodyBytes(body): BodyBytes,
) -> Result<Json<MemberView>, Problem> {
    let decision: Decision = optional(&body)?;
    Ok(Json(
        groups::reject(&state, &acting, &handle, &username, decision).await?,
    ))
}

/// Give a member another role (administrators; never above their own).
#[utoipa::path(put, path = "/groups/{handle}/members/{username}/role", tag = "groups",
    request_body = RoleChange, params(("handle" = String, Path), ("username" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = MemberView),
              (status = 403, body = Problem, description = "administrator-needed, or above-own-role"),
              (status = 404, body = Problem),
              (status = 409, body = Problem, description = "last-administrator: the last administrator cannot step down"),
              (status = 422, body = Problem)))]
async fn change_role(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, username)): Path<(String, String)>,
    Body(change): Body<RoleChange>,
) -> Result<Json<MemberView>, Problem> {
    Ok(Json(
        groups::change_role(&state, &acting, &handle, &username, change).await?,
    ))
}

/// Remove a membership, a request or an invitation (moderators and above, not above
/// themselves). The body (a reason) is optional.
#[utoipa::path(post, path = "/groups/{handle}/members/{username}/remove", tag = "groups",
    request_body = Decision, params(("handle" = String, Path), ("username" = String, Path)),
    security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem, description = "moderator-needed, or above-own-role"),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "last-administrator")))]
async fn remove(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, username)): Path<(String, String)>,
    BodyBytes(body): BodyBytes,
) -> Result<StatusCode, Problem> {
    let decision: Decision = optional(&body)?;
    groups::remove(&state, &acting, &handle, &username, decision).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Follow a public group as the acting profile (`pending` when the group approves followers).
#[utoipa::path(post, path = "/groups/{handle}/followers", tag = "groups",
    params(("handle" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = FollowerView), (status = 403, body = Problem, description = "not-followable"),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn follow(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
) -> Result<(StatusCode, Json<FollowerView>), Problem> {
    let followed = groups::follow(&state, &acting, &handle).await?;
    Ok((StatusCode::CREATED, Json(followed)))
}

/// The followers (moderators and above).
#[utoipa::path(get, path = "/groups/{handle}/followers", tag = "groups",
    params(("handle" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Vec<FollowerView>), (status = 403, body = Problem, description = "moderator-needed"),
              (status = 404, body = Problem)))]
async fn followers(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
) -> Result<Json<Vec<FollowerView>>, Problem> {
    Ok(Json(groups::followers(&state, &acting, &handle).await?))
}

/// Stop following the group.
#[utoipa::path(delete, path = "/groups/{handle}/followers/mine", tag = "groups",
    params(("handle" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
async fn unfollow(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
) -> Result<StatusCode, Problem> {
    groups::unfollow(&state, &acting, &handle).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Approve a pending follower (moderators and above).
#[utoipa::path(post, path = "/groups/{handle}/followers/{username}/approve", tag = "groups",
    params(("handle" = String, Path), ("username" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = FollowerView), (status = 403, body = Problem, description = "moderator-needed"),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn approve_follower(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, username)): Path<(String, String)>,
) -> Result<Json<FollowerView>, Problem> {
    Ok(Json(
        groups::approve_follower(&state, &acting, &handle, &username).await?,
    ))
}

/// Refuse a pending follower or stop an approved one (moderators and above); the body (a
/// reason) is optional.
#[utoipa::path(post, path = "/groups/{handle}/followers/{username}/reject", tag = "groups",
    request_body = Decision, params(("handle" = String, Path), ("username" = String, Path)),
    security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem, description = "moderator-needed"),
              (status = 404, body = Problem)))]
async fn reject_follower(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, username)): Path<(String, String)>,
    BodyBytes(body): BodyBytes,
) -> Result<StatusCode, Problem> {
    let decision: Decision = optional(&body)?;
    groups::reject_follower(&state, &acting, &handle, &username, decision).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The acting profile's memberships, invitations and requests (that profile's only).
#[utoipa::path(get, path = "/me/groups", tag = "groups", security(("bearer" = [])),
    responses((status = 200, body = Vec<MemberView>), (status = 401, body = Problem)))]
async fn my_groups(
    State(state): State<AppState>,
    acting: Acting,
) -> Result<Json<Vec<MemberView>>, Problem> {
    Ok(Json(groups::my_groups(&state, &acting).await?))
}

/// Reads how a group shows an event: `members_only` and `hide_organiser`, each true or false
/// (left out: false).
fn parse_options(body: &[u8]) -> Result<GroupEventOptions, Problem> {
    #[derive(Deserialize)]
    struct Flags {
        #[serde(default)]
        members_only: serde_json::Value,
        #[serde(default)]
        hide_organiser: serde_json::Value,
    }
    let flag = |name: &str, value: serde_json::Value| match value {
        serde_json::Value::Null => Ok(false),
        serde_json::Value::Bool(value) => Ok(value),
        _ => Err(Problem::invalid_field(
            name,
            format!("{name} is true or false"),
        )),
    };
    let flags: Flags = super::problem::parse_json(body)?;
    Ok(GroupEventOptions {
        members_only: flag("members_only", flags.members_only)?,
        hide_organiser: flag("hide_organiser", flags.hide_organiser)?,
    })
}

/// Reads a group event: the event's fields and `draft`, plus how the group shows it.
fn parse_group_event(body: &[u8]) -> Result<(NewEvent, GroupEventOptions), Problem> {
    let options = parse_options(body)?;
    Ok((super::events::parse_new_event(body)?, options))
}

/// Create an event organised by the group (moderators and above); `members_only` keeps it to
/// the group's members, `hide_organiser` shows the group rather than the member who created it.
/// A group of another instance (`name@host`, of which the profile is a moderator there) gets an
/// event of this instance organised by the profile and sent to the group, which lists it; it is
/// neither members-only nor hides its organiser (422 on the field).
#[utoipa::path(post, path = "/groups/{handle}/events", tag = "groups", request_body = NewEvent,
    params(("handle" = String, Path)), security(("bearer" = [])),
    responses((status = 201, body = EventView), (status = 403, body = Problem, description = "moderator-needed"),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_event(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
    JsonBytes(body): JsonBytes,
) -> Result<(StatusCode, Json<EventView>), Problem> {
    let (new, options) = parse_group_event(&body)?;
    let created = groups::create_event(&state, &acting, &handle, new, options).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Change how the group shows one of its events (moderators and above): `members_only` and
/// `hide_organiser` as at creation, both given (one left out is false). The event's other fields
/// are edited as any event's.
#[utoipa::path(put, path = "/groups/{handle}/events/{id}/options", tag = "groups",
    request_body = GroupEventOptions,
    params(("handle" = String, Path), ("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = EventView), (status = 403, body = Problem, description = "moderator-needed"),
              (status = 404, body = Problem, description = "no such group, or the event is not the group's"),
              (status = 422, body = Problem)))]
async fn change_event_options(
    State(state): State<AppState>,
    acting: Acting,
    Path((handle, id)): Path<(String, String)>,
    JsonBytes(body): JsonBytes,
) -> Result<Json<EventView>, Problem> {
    let options = parse_options(&body)?;
    Ok(Json(
        groups::change_event_options(&state, &acting, &handle, &id, options).await?,
    ))
}

/// The events the group organises, as the one asking may see them (members-only ones for
/// members, drafts for the group's moderators), soonest first, 20 a page.
#[utoipa::path(get, path = "/groups/{handle}/events", tag = "groups", params(("handle" = String, Path), ListQuery),
    responses((status = 200, body = Vec<EventView>), (status = 404, body = Problem), (status = 422, body = Problem),
              (status = 401, description = "a bearer token was sent and names no session", body = Problem)))]
async fn events(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    Path(handle): Path<String>,
    Params(query): Params<ListQuery>,
) -> Result<Json<Vec<EventView>>, Problem> {
    Ok(Json(
        groups::events_of(&state, session.as_ref(), &handle, query.page()?).await?,
    ))
}

/// The group's timeline, newest first, 50 entries a page: everything for its members; its public
/// facts and the events one may see for others.
#[utoipa::path(get, path = "/groups/{handle}/timeline", tag = "groups", params(("handle" = String, Path), ListQuery),
    responses((status = 200, body = Vec<TimelineEntry>), (status = 404, body = Problem), (status = 422, body = Problem),
              (status = 401, description = "a bearer token was sent and names no session", body = Problem)))]
async fn timeline(
    State(state): State<AppState>,
    MaybeSession(session): MaybeSession,
    Path(handle): Path<String>,
    Params(query): Params<ListQuery>,
) -> Result<Json<Vec<TimelineEntry>>, Problem> {
    Ok(Json(
        groups::timeline(&state, session.as_ref(), &handle, query.page()?).await?,
    ))
}
