//! Groups: create one (claiming its handle in the namespace profiles share), read and change its
//! settings, and everything about its members and followers. Every decision is the group
//! aggregate's; what is shown to whom is decided here, once for every front end.

use crate::auth::{Acting, Session};
use crate::consistency::{self, Reads};
use crate::error::{Error, Result};
use crate::events::{self, NewEvent};
use crate::groups_elsewhere;
use crate::AppState;
use convene_domain::claim::{handle_claim, handle_owner, ClaimCommand, ClaimError, HandleKind};
use convene_domain::event::details::Address;
use convene_domain::event::GroupLink;
use convene_domain::group::{
    validate_handle, GroupActor, GroupDetails, GroupPatch, GroupVisibility, MemberRole, Openness,
};
use convene_domain::{EventCommand, GroupCommand, GroupError, Profile, Role};
use convene_projections::accounts::AccountRow;
use convene_projections::events::{self as event_rows, EventView};
use convene_projections::group_posts::PostView;
use convene_projections::groups::{self, FollowerView, GroupView, Kind, MemberView, TimelineEntry};
use convene_projections::log::EventLog;
use convene_projections::profiles;
use convene_projections::read_model::{EVENTS, GROUPS};
use convene_projections::CommandError;
use cqrs_es::Aggregate;
use serde::Deserialize;
use utoipa::ToSchema;

/// What group use cases read back after their commands.
pub const READS: Reads = &[GROUPS];

/// What a group event's creation reads back: the event, and the group's timeline that names it.
const EVENT_READS: Reads = &[EVENTS, GROUPS];

/// Longest reason given with a moderation decision.
pub const REASON_MAX: usize = 500;

/// Who may create groups on this instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupCreation {
    /// Any profile.
    #[default]
    Anyone,
    /// Profiles of the instance's administrators only.
    Administrators,
}

/// A new group: its handle and its settings (every setting but the handle may be left out).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    /// `/@handle`: 1 to 30 characters among a-z, 0-9 and _, not taken by a profile or a group.
    pub handle: String,
    /// Defaults to the handle.
    pub display_name: Option<String>,
    pub summary: Option<String>,
    pub address: Option<Address>,
    pub visibility: Option<GroupVisibility>,
    pub openness: Option<Openness>,
    pub manually_approves_followers: Option<bool>,
}

/// A request to join, with an optional word for the moderators.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinGroup {
    pub message: Option<String>,
}

/// Whom to invite.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invitation {
    /// The profile's username (`bob`, `@bob`, or `bob@` this instance's host), or another
    /// instance's person by handle (`@bob@other.example`, found by WebFinger) or by its actor
    /// URL (the group then sends it an ActivityPub `Invite`).
    pub username: String,
}

/// A moderation decision's optional reason, recorded with the change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub reason: Option<String>,
}

/// A new role, and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    /// `member`, `moderator` or `administrator`.
    pub role: MemberRole,
    pub reason: Option<String>,
}

fn me(acting: &Acting) -> GroupActor {
    GroupActor::profile(&acting.profile)
}

/// A member or follower as moderators name them: a local profile's username, or a remote
/// actor's URL.
fn named(name: &str) -> GroupActor {
    if name.starts_with("https://") || name.starts_with("http://") {
        GroupActor::Remote(name.to_string())
    } else {
        GroupActor::profile(name)
    }
}

/// Runs a group command as `acting`, with `reason` in its metadata.
async fn run(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    command: GroupCommand,
    reason: Option<String>,
) -> Result<i64> {
    let mut metadata = acting.metadata();
    if let Some(reason) = reason_of(reason)? {
        metadata = metadata.with_reason(reason);
    }
    consistency::command(state, &state.groups, handle, command, &metadata, READS).await
}

/// The acting profile's role in group `handle`, which must be a member's (posts, discussions,
/// todos and resources are for members).
pub(crate) async fn member_role(
    state: &AppState,
    acting: &Acting,
    handle: &str,
) -> Result<MemberRole> {
    open_for_work(state, handle).await?;
    match groups::membership(state.db.pool(), handle, &me(acting)).await? {
        Some(m) if m.role.is_member() => Ok(m.role),
        _ => Err(GroupError::RoleNeeded(MemberRole::Member).into()),
    }
}

/// Runs a members' group command (on posts, discussions, todos, resources) as `acting`.
pub(crate) async fn run_as_member(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    command: GroupCommand,
) -> Result<()> {
    consistency::command(
        state,
        &state.groups,
        handle,
        command,
        &acting.metadata(),
        READS,
    )
    .await
    .map(drop)
}

fn reason_of(reason: Option<String>) -> Result<Option<String>> {
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    match reason {
        Some(r)
            if r.chars().count() > REASON_MAX || convene_domain::validation::has_control(&r) =>
        {
            Err(Error::invalid_field(
                "reason",
                format!("a reason is at most {REASON_MAX} characters on one line"),
            ))
        }
        other => Ok(other),
    }
}

/// Group `@handle`, whatever the moderators decided on it.
async fn found(state: &AppState, handle: &str) -> Result<GroupView> {
    groups::find(state.db.pool(), handle)
        .await?
        .ok_or_else(|| Error::not_found(format!("there is no group @{handle}")))
}

/// Group `@handle`. Unlisted groups are shown to whoever has their address; a group the
/// instance's moderators suspended to nobody (404 `suspended-by-moderators`): see [`show_to`].
pub async fn show(state: &AppState, handle: &str) -> Result<GroupView> {
    show_to(state, None, handle).await
}

/// Group `@handle` as `session` (or a stranger) may see it: a suspended group only to the
/// instance's moderators.
pub async fn show_to(
    state: &AppState,
    session: Option<&Session>,
    handle: &str,
) -> Result<GroupView> {
    let group = found(state, handle).await?;
    let moderator = session.is_some_and(|s| s.account.role.moderates());
    if group.suspended_by_moderators && !moderator {
        return Err(GroupError::SuspendedByModerators.into());
    }
    Ok(group)
}

/// Group `@handle` for its members to work in: refused (403) while it is suspended.
pub(crate) async fn open_for_work(state: &AppState, handle: &str) -> Result<GroupView> {
    let group = found(state, handle).await?;
    if group.suspended_by_moderators {
        return Err(GroupError::Suspended.into());
    }
    Ok(group)
}

/// Public groups, by name, 20 a page from page 1.
pub async fn list(state: &AppState, page: Option<i64>) -> Result<Vec<GroupView>> {
    let page = page.unwrap_or(1);
    if page < 1 {
        return Err(Error::invalid_field("page", "pages are counted from 1"));
    }
    Ok(groups::list_public(state.db.pool(), 20, (page - 1) * 20).await?)
}

/// Whether `account` may create groups on this instance (all may, unless the instance keeps
/// it to its administrators).
pub fn may_create(state: &AppState, account: &AccountRow) -> bool {
    state.group_creation == GroupCreation::Anyone || account.role == Role::Administrator
}

/// Creates a group whose creator is the acting profile.
pub async fn create(state: &AppState, acting: &Acting, new: NewGroup) -> Result<GroupView> {
    if !may_create(state, &acting.session.account) {
        return Err(Error::forbidden(
            "only the instance's administrators may create groups here",
        ));
    }
    let handle = new.handle.trim().to_string();
    let mut details = GroupDetails::named(new.display_name.unwrap_or_else(|| handle.clone()));
    details.summary = new.summary.unwrap_or_default();
    details.address = new.address;
    details.visibility = new.visibility.unwrap_or_default();
    details.openness = new.openness.unwrap_or_default();
    details.manually_approves_followers = new.manually_approves_followers.unwrap_or(false);
    // Every broken rule at once, before the handle is claimed.
    let mut errors = match validate_handle(&handle) {
        Err(GroupError::Invalid(fields)) => fields,
        _ => Vec::new(),
    };
    match details.clone().validate() {
        Err(fields) => errors.extend(fields),
        Ok(valid) => details = valid,
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let metadata = acting.metadata();
    claim_handle(state, &handle, &metadata).await?;
    let command = GroupCommand::Create {
        handle: handle.clone(),
        creator: me(acting),
        details,
    };
    consistency::command(state, &state.groups, &handle, command, &metadata, READS).await?;
    show(state, &handle).await
}

fn taken(handle: &str) -> Error {
    Error::Conflict {
        detail: format!("the handle @{handle} is already taken by a profile or a group"),
        errors: vec![convene_domain::FieldError {
            field: "handle".into(),
            message: format!("@{handle} is already taken: choose another handle"),
        }],
    }
}

/// Claims `handle` for a group. Profiles made before handles were claimed hold theirs without
/// a claim: a group never takes such a name either.
async fn claim_handle(
    state: &AppState,
    handle: &str,
    metadata: &convene_domain::Metadata,
) -> Result<()> {
    let log = EventLog::new(&state.db);
    if log.last_position_of(Profile::TYPE, handle).await? > 0 {
        return Err(taken(handle));
    }
    let take = ClaimCommand::Take {
        owner: handle_owner(HandleKind::Group, handle),
    };
    match state
        .claims
        .execute_retrying(&handle_claim(handle), take, metadata)
        .await
    {
        Ok(_) => Ok(()),
        Err(CommandError::Rejected(ClaimError::Taken)) => Err(taken(handle)),
        Err(other) => Err(other.into()),
    }
}

/// Changes the group's settings (administrators).
pub async fn update(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    patch: GroupPatch,
) -> Result<GroupView> {
    let command = GroupCommand::Update {
        by: me(acting),
        patch,
    };
    run(state, acting, handle, command, None).await?;
    show(state, handle).await
}

async fn membership_of(state: &AppState, handle: &str, who: &GroupActor) -> Result<MemberView> {
    groups::membership(state.db.pool(), handle, who)
        .await?
        .ok_or_else(|| Error::not_found(format!("{who} has no membership in @{handle}")))
}

/// Joins an open group, or asks to join a moderated one, as the acting profile.
pub async fn join(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    request: JoinGroup,
) -> Result<MemberView> {
    let command = GroupCommand::Join {
        who: me(acting),
        message: request.message,
    };
    run(state, acting, handle, command, None).await?;
    membership_of(state, handle, &me(acting)).await
}

/// Leaves the group, or withdraws a request to join, as the acting profile.
pub async fn leave(state: &AppState, acting: &Acting, handle: &str) -> Result<()> {
    let command = GroupCommand::Leave { who: me(acting) };
    run(state, acting, handle, command, None).await.map(drop)
}

/// Invites the profile `@username`, or another instance's person by handle or URL (moderators
/// and above).
pub async fn invite(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    invitation: Invitation,
) -> Result<MemberView> {
    let username = match invitee(&state.config.public_url, &invitation.username) {
        Invitee::Local(username) => username,
        Invitee::Elsewhere(who) => return invite_remote(state, acting, handle, &who).await,
    };
    if profiles::find(state.db.pool(), &username).await?.is_none() {
        return Err(Error::invalid_field(
            "username",
            format!("there is no profile @{username}"),
        ));
    }
    let who = GroupActor::profile(&username);
    let command = GroupCommand::Invite {
        by: me(acting),
        who: who.clone(),
    };
    run(state, acting, handle, command, None).await?;
    membership_of(state, handle, &who).await
}

/// Whom an invitation names.
#[derive(Debug, PartialEq, Eq)]
enum Invitee {
    /// A profile here, by its username.
    Local(String),
    /// Another instance's actor, by URL or `name@host`.
    Elsewhere(String),
}

/// Whom `given` names: a URL or `name@host` (a leading `@` allowed) is another instance's
/// actor, unless the host is this instance's own (at `public_url`); a bare name is a profile
/// here.
fn invitee(public_url: &str, given: &str) -> Invitee {
    let given = given.trim();
    if given.starts_with("https://") || given.starts_with("http://") {
        return Invitee::Elsewhere(given.to_string());
    }
    if let Some(username) = name_here(public_url, given) {
        return Invitee::Local(username);
    }
    let name = given.strip_prefix('@').unwrap_or(given);
    if name.contains('@') {
        Invitee::Elsewhere(name.to_string())
    } else {
        Invitee::Local(name.to_string())
    }
}

/// Whether an invitation naming `given` goes to another instance's actor (by URL or handle).
pub fn invites_elsewhere(state: &AppState, given: &str) -> bool {
    matches!(
        invitee(&state.config.public_url, given),
        Invitee::Elsewhere(_)
    )
}

/// The name in `given` when it is `name@host` (a leading `@` allowed) with the host of
/// `public_url`: a name on this instance, written as other instances write it.
pub(crate) fn name_here(public_url: &str, given: &str) -> Option<String> {
    let given = given.trim();
    let (name, host) = given.strip_prefix('@').unwrap_or(given).rsplit_once('@')?;
    is_this_host(public_url, host).then(|| name.to_string())
}

/// The group handle and what follows `separator` when `url` is an address inside one of the
/// groups at `public_url` (`{public_url}/@{handle}{separator}…`): a discussion, the resources,
/// a folder, a todo list.
pub fn in_group_here<'a>(
    public_url: &str,
    url: &'a str,
    separator: &str,
) -> Option<(String, &'a str)> {
    let rest = url.strip_prefix(&format!("{}/@", public_url.trim_end_matches('/')))?;
    let (handle, inside) = rest.split_once(separator)?;
    is_plain(handle).then(|| (handle.to_string(), inside))
}

/// One segment of such an address: a name or an id, nothing else in it.
pub fn is_plain(part: &str) -> bool {
    !part.is_empty() && !part.contains(['/', '?', '#', '@'])
}

/// Whether `host` (with its port when not the scheme's) is the host of `public_url`.
fn is_this_host(public_url: &str, host: &str) -> bool {
    let Ok(own) = url::Url::parse(public_url) else {
        return false;
    };
    let own = match (own.host_str(), own.port()) {
        (Some(name), Some(port)) => format!("{name}:{port}"),
        (Some(name), None) => name.to_string(),
        (None, _) => return false,
    };
    host.trim_end_matches('.').eq_ignore_ascii_case(&own)
}

/// Invites `who` on another instance (its actor URL or handle): found (and kept) first, so
/// that the group's `Invite` knows where to go; an actor that cannot be found is refused on the
/// field, with the reason.
async fn invite_remote(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    who: &str,
) -> Result<MemberView> {
    let Some(resolver) = &state.actor_resolver else {
        return Err(Error::invalid_field(
            "username",
            "this instance does not federate: only its own profiles can be invited",
        ));
    };
    let actor = resolver
        .find_actor(who)
        .await
        .map_err(|reason| Error::invalid_field("username", reason))?;
    if actor.is_group() {
        return Err(Error::invalid_field(
            "username",
            format!("{who} is a group: only people are invited"),
        ));
    }
    let who = GroupActor::Remote(actor.id);
    let command = GroupCommand::Invite {
        by: me(acting),
        who: who.clone(),
    };
    run(state, acting, handle, command, None).await?;
    membership_of(state, handle, &who).await
}

/// Accepts the acting profile's invitation.
pub async fn accept_invitation(
    state: &AppState,
    acting: &Acting,
    handle: &str,
) -> Result<MemberView> {
    let command = GroupCommand::AcceptInvitation { who: me(acting) };
    run(state, acting, handle, command, None).await?;
    membership_of(state, handle, &me(acting)).await
}

/// Declines the acting profile's invitation.
pub async fn decline_invitation(state: &AppState, acting: &Acting, handle: &str) -> Result<()> {
    let command = GroupCommand::DeclineInvitation { who: me(acting) };
    run(state, acting, handle, command, None).await.map(drop)
}

/// Approves the request to join of `@username`, or of a remote person by its URL (moderators
/// and above).
pub async fn approve(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    username: &str,
    decision: Decision,
) -> Result<MemberView> {
    let who = named(username);
    let command = GroupCommand::Approve {
        by: me(acting),
        who: who.clone(),
    };
    run(state, acting, handle, command, decision.reason).await?;
    // Approved, then gone before the answer is read back: say so rather than "not found".
    groups::membership(state.db.pool(), handle, &who)
        .await?
        .ok_or_else(|| Error::conflict(format!("{who} was approved, then left @{handle} at once")))
}

/// Rejects the request to join of `@username`, or of a remote person by its URL (moderators
/// and above).
pub async fn reject(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    username: &str,
    decision: Decision,
) -> Result<MemberView> {
    let who = named(username);
    let command = GroupCommand::Reject {
        by: me(acting),
        who: who.clone(),
    };
    let reason = reason_of(decision.reason)?;
    run(state, acting, handle, command, reason).await?;
    membership_of(state, handle, &who).await
}

/// Gives `@username` another role (administrators, up to their own).
pub async fn change_role(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    username: &str,
    change: RoleChange,
) -> Result<MemberView> {
    let who = named(username);
    let command = GroupCommand::ChangeRole {
        by: me(acting),
        who: who.clone(),
        role: change.role,
    };
    run(state, acting, handle, command, change.reason).await?;
    membership_of(state, handle, &who).await
}

/// Removes `@username`'s membership, request or invitation (moderators and above).
pub async fn remove(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    username: &str,
    decision: Decision,
) -> Result<()> {
    let command = GroupCommand::Remove {
        by: me(acting),
        who: named(username),
    };
    run(state, acting, handle, command, decision.reason)
        .await
        .map(drop)
}

/// The account of `session` acting in group `handle`: as the profile `named`, or else as its
/// profile with the highest role there (an account whose second identity runs a group acts
/// there as that identity), or else its default profile.
pub async fn acting_in(
    state: &AppState,
    session: Session,
    handle: &str,
    named: Option<String>,
) -> Result<Acting> {
    let named = named.filter(|p| !p.trim().is_empty());
    let chosen = match named {
        Some(profile) => Some(profile),
        None => {
            let mut best: Option<(MemberRole, String)> = None;
            for username in crate::access::usernames_of(state, &session.account.id).await? {
                let role = if is_elsewhere(handle) {
                    groups_elsewhere::role_of(state, &username, handle).await?
                } else {
                    let who = GroupActor::profile(&username);
                    let pool = state.db.pool();
                    groups::membership(pool, handle, &who)
                        .await?
                        .map(|m| m.role)
                };
                if let Some(role) = role {
                    if best.as_ref().is_none_or(|(r, _)| role.rank() > r.rank()) {
                        best = Some((role, username));
                    }
                }
            }
            best.map(|(_, username)| username)
        }
    };
    session.acting_as(state, chosen).await
}

/// The acting profile's role in group `handle`, if it has a membership.
pub async fn my_role(
    state: &AppState,
    acting: &Acting,
    handle: &str,
) -> Result<Option<MemberRole>> {
    role_in(state, acting, handle).await
}

/// The group's settings, for its administrators (to change them).
pub async fn settings_of(state: &AppState, acting: &Acting, handle: &str) -> Result<GroupView> {
    let group = show(state, handle).await?;
    match role_in(state, acting, handle).await? {
        Some(role) if role.at_least(MemberRole::Administrator) => Ok(group),
        _ => Err(GroupError::RoleNeeded(MemberRole::Administrator).into()),
    }
}

/// The acting profile's role in group `handle`, if it has a membership.
async fn role_in(state: &AppState, acting: &Acting, handle: &str) -> Result<Option<MemberRole>> {
    Ok(groups::membership(state.db.pool(), handle, &me(acting))
        .await?
        .map(|m| m.role))
}

/// The members, for the group's members: moderators and above also see requests, invitations
/// and refusals, with the messages sent with requests.
pub async fn members(state: &AppState, acting: &Acting, handle: &str) -> Result<Vec<MemberView>> {
    show(state, handle).await?;
    let role = role_in(state, acting, handle).await?;
    let belonging: Vec<MemberRole> = MemberRole::ALL
        .into_iter()
        .filter(|r| r.is_member())
        .collect();
    match role {
        Some(role) if role.at_least(MemberRole::Moderator) => {
            Ok(groups::members(state.db.pool(), handle, &MemberRole::ALL).await?)
        }
        Some(role) if role.is_member() => {
            let mut found = groups::members(state.db.pool(), handle, &belonging).await?;
            for member in &mut found {
                member.message = None;
            }
            Ok(found)
        }
        _ => Err(GroupError::RoleNeeded(MemberRole::Member).into()),
    }
}

/// The acting profile's memberships (of that profile only: never its account's other ones).
pub async fn my_groups(state: &AppState, acting: &Acting) -> Result<Vec<MemberView>> {
    Ok(groups::memberships_of(state.db.pool(), &acting.profile).await?)
}

/// Follows the group as the acting profile (approval may be needed).
pub async fn follow(state: &AppState, acting: &Acting, handle: &str) -> Result<FollowerView> {
    let command = GroupCommand::Follow { who: me(acting) };
    run(state, acting, handle, command, None).await?;
    groups::follower(state.db.pool(), handle, &me(acting))
        .await?
        .ok_or_else(|| Error::not_found(format!("@{} does not follow @{handle}", acting.profile)))
}

/// Whether the acting profile follows the group (or asked to), for its own pages.
pub async fn my_follow(
    state: &AppState,
    acting: &Acting,
    handle: &str,
) -> Result<Option<FollowerView>> {
    Ok(groups::follower(state.db.pool(), handle, &me(acting)).await?)
}

/// Stops following the group.
pub async fn unfollow(state: &AppState, acting: &Acting, handle: &str) -> Result<()> {
    let command = GroupCommand::Unfollow { who: me(acting) };
    run(state, acting, handle, command, None).await.map(drop)
}

/// The followers, for moderators and above.
pub async fn followers(
    state: &AppState,
    acting: &Acting,
    handle: &str,
) -> Result<Vec<FollowerView>> {
    show(state, handle).await?;
    match role_in(state, acting, handle).await? {
        Some(role) if role.at_least(MemberRole::Moderator) => {
            Ok(groups::followers(state.db.pool(), handle).await?)
        }
        _ => Err(GroupError::RoleNeeded(MemberRole::Moderator).into()),
    }
}

/// Approves the pending follow of `@username` or of a remote actor by its URL (moderators and
/// above).
pub async fn approve_follower(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    username: &str,
) -> Result<FollowerView> {
    let who = named(username);
    let command = GroupCommand::ApproveFollower {
        by: me(acting),
        who: who.clone(),
    };
    run(state, acting, handle, command, None).await?;
    groups::follower(state.db.pool(), handle, &who)
        .await?
        .ok_or_else(|| Error::not_found(format!("{who} does not follow @{handle}")))
}

/// Refuses the follow of `@username` or of a remote actor by its URL, pending or approved
/// (moderators and above).
pub async fn reject_follower(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    username: &str,
    decision: Decision,
) -> Result<()> {
    let command = GroupCommand::RejectFollower {
        by: me(acting),
        who: named(username),
    };
    run(state, acting, handle, command, decision.reason)
        .await
        .map(drop)
}

/// How a group shows one of its events.
#[derive(Debug, Default, Clone, Copy, Deserialize, ToSchema)]
pub struct GroupEventOptions {
    /// Only the group's members (and those taking part) see the event.
    #[serde(default)]
    pub members_only: bool,
    /// Show the group as the organiser, not the member who created the event.
    #[serde(default)]
    pub hide_organiser: bool,
}

/// Whether `handle` names another instance's group (`name@host`): handles here have no `@`.
pub fn is_elsewhere(handle: &str) -> bool {
    handle.contains('@')
}

/// Whether the acting profile may organise events for group `handle` (moderators and above),
/// here or elsewhere (as the group made it).
pub async fn may_organise(state: &AppState, acting: &Acting, handle: &str) -> Result<()> {
    if is_elsewhere(handle) {
        return groups_elsewhere::may_organise(state, acting, handle)
            .await
            .map(drop);
    }
    open_for_work(state, handle).await?;
    match role_in(state, acting, handle).await? {
        Some(role) if role.at_least(MemberRole::Moderator) => Ok(()),
        _ => Err(GroupError::RoleNeeded(MemberRole::Moderator).into()),
    }
}

/// Creates an event organised by group `handle` (moderators and above); the acting profile is
/// its creator, and the group's moderators edit it with them. A group elsewhere is named as
/// [`groups_elsewhere::event_link`] says.
pub async fn create_event(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    new: NewEvent,
    options: GroupEventOptions,
) -> Result<EventView> {
    let (members_only, hide_organiser) = (options.members_only, options.hide_organiser);
    let group = if is_elsewhere(handle) {
        groups_elsewhere::event_link(state, acting, handle, (members_only, hide_organiser)).await?
    } else {
        may_organise(state, acting, handle).await?;
        GroupLink::here(handle, members_only, hide_organiser)
    };
    let id = uuid::Uuid::new_v4().to_string();
    let command = EventCommand::CreateForGroup {
        organiser: acting.profile.clone(),
        creator_participation: uuid::Uuid::new_v4().to_string(),
        details: new.details,
        draft: new.draft,
        group,
    };
    let metadata = acting.metadata();
    consistency::command(state, &state.events, &id, command, &metadata, EVENT_READS).await?;
    events::show(state, Some(&acting.session), &id).await
}

/// Changes how group `handle` shows its event `id` (moderators and above, as for creating it):
/// for members only or for everyone who may see it, with or without the member who organised
/// it. An event that is not the group's is not found here.
pub async fn change_event_options(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    id: &str,
    options: GroupEventOptions,
) -> Result<EventView> {
    may_organise(state, acting, handle).await?;
    if event_rows::group_of(state.db.pool(), id).await?.as_deref() != Some(handle) {
        return Err(convene_domain::EventError::NotFound.into());
    }
    let command = EventCommand::ChangeGroupOptions {
        by: handle.to_string(),
        members_only: options.members_only,
        hide_organiser: options.hide_organiser,
    };
    let metadata = acting.metadata();
    consistency::command(state, &state.events, id, command, &metadata, &[EVENTS]).await?;
    events::show(state, Some(&acting.session), id).await
}

/// Events in a page of a group's events.
pub const EVENTS_PAGE: i64 = 20;

/// The events group `handle` organises, soonest first, page `page` from 1, as `session` (or a
/// stranger) may see them: members-only ones for members, drafts for the group's moderators. A
/// page may hold fewer than [`EVENTS_PAGE`] when some are not for the one asking.
pub async fn events_of(
    state: &AppState,
    session: Option<&Session>,
    handle: &str,
    page: Option<i64>,
) -> Result<Vec<EventView>> {
    show_to(state, session, handle).await?;
    let page = page.unwrap_or(1);
    if page < 1 {
        return Err(Error::invalid_field("page", "pages are counted from 1"));
    }
    let offset = (page - 1) * EVENTS_PAGE;
    let listed = event_rows::of_group(state.db.pool(), handle, EVENTS_PAGE, offset).await?;
    shown_to_session(state, session, listed).await
}

/// The next `limit` events of group `handle` not yet over, soonest first, as `session` (or a
/// stranger) may see them; fewer when some are not for the one asking. For the group's page,
/// which has found the group already.
pub async fn upcoming_events_of(
    state: &AppState,
    session: Option<&Session>,
    handle: &str,
    limit: i64,
) -> Result<Vec<EventView>> {
    let now = convene_domain::metadata::format_timestamp(time::OffsetDateTime::now_utc());
    let listed = event_rows::upcoming_of_group(state.db.pool(), handle, &now, limit).await?;
    shown_to_session(state, session, listed).await
}

/// The events of `listed` that `session` (or a stranger) may see, as they are shown to it.
pub(crate) async fn shown_to_session(
    state: &AppState,
    session: Option<&Session>,
    listed: Vec<EventView>,
) -> Result<Vec<EventView>> {
    let mut found = Vec::with_capacity(listed.len());
    for event in listed {
        // A stranger relates to no event: no need to ask.
        let viewer = match session {
            Some(session) => {
                crate::access::viewer(state, Some(&session.account), &event.id).await?
            }
            None => crate::access::Viewer::default(),
        };
        // Hidden from public listings by moderators: listed to those it concerns only.
        let listed = !event.hidden_by_moderators || viewer.insider();
        if listed && crate::access::may_see(viewer, &event) {
            found.push(crate::access::shown_to(viewer, event));
        }
    }
    Ok(found)
}

/// The events of the groups `account`'s profiles follow or belong to, as the account may see
/// them, soonest first: for its "my events" view and private feed (the account's eyes only).
pub async fn followed_events(state: &AppState, account: &AccountRow) -> Result<Vec<EventView>> {
    let own = crate::access::usernames_of(state, &account.id).await?;
    let mut found = Vec::new();
    for handle in groups::followed_or_joined_by(state.db.pool(), &own).await? {
        for id in event_rows::ids_of_group(state.db.pool(), &handle).await? {
            let viewer = crate::access::viewer(state, Some(account), &id).await?;
            match crate::access::visible(state, viewer, &id).await {
                // Drafts stay with the group's moderators, who see them as organisers.
                Ok(event) if !event.draft => found.push(event),
                Ok(_) => {}
                Err(e) if e.class() == crate::Class::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    found.sort_by_key(|e| e.details.begins_at);
    Ok(found)
}

/// Entries in a page of a group's timeline.
pub const TIMELINE_PAGE: i64 = 50;

/// Group `handle`'s timeline, newest first, page `page` from 1: everything for the group's
/// members; for others its public facts (with the group as their actor) and the events and
/// posts they may see. An event whose group hides
/// its organiser shows the group as the actor to those the event page hides it from. A page may
/// hold fewer entries than [`TIMELINE_PAGE`] when some are not for the one asking; its events
/// are read in one query.
pub async fn timeline(
    state: &AppState,
    session: Option<&Session>,
    handle: &str,
    page: Option<i64>,
) -> Result<Vec<TimelineEntry>> {
    Ok(timeline_with_subjects(state, session, handle, page)
        .await?
        .entries)
}

/// Events or posts, by id.
pub type ById<T> = std::collections::HashMap<String, T>;

/// A page of a group's timeline as the one asking sees it.
pub struct TimelinePage {
    /// The group, read once for the whole page.
    pub group: GroupView,
    pub entries: Vec<TimelineEntry>,
    /// The events and posts the entries are about, as the one asking may see them, by id.
    pub events: ById<EventView>,
    pub posts: ById<PostView>,
}

/// The same page of the timeline, with the group and the events and the posts its entries are
/// about.
pub async fn timeline_with_subjects(
    state: &AppState,
    session: Option<&Session>,
    handle: &str,
    page: Option<i64>,
) -> Result<TimelinePage> {
    let group = show_to(state, session, handle).await?;
    let page = page.unwrap_or(1);
    if page < 1 {
        return Err(Error::invalid_field("page", "pages are counted from 1"));
    }
    let account = session.map(|s| &s.account);
    let member = match account {
        Some(account) => {
            let own = crate::access::usernames_of(state, &account.id).await?;
            groups::roles_of_profiles(state.db.pool(), handle, &own)
                .await?
                .into_iter()
                .any(MemberRole::is_member)
        }
        None => false,
    };
    let offset = (page - 1) * TIMELINE_PAGE;
    let entries =
        groups::timeline_of(state.db.pool(), handle, member, TIMELINE_PAGE, offset).await?;
    // The page's events, read at once, as the one asking may see them.
    let ids: Vec<String> = entries
        .iter()
        .filter(|e| e.kind == Kind::EventOrganised)
        .filter_map(|e| e.subject.clone())
        .collect();
    let mut seen = std::collections::HashMap::new();
    for event in event_rows::find_many(state.db.pool(), &ids).await? {
        let viewer = match account {
            Some(account) => crate::access::viewer(state, Some(account), &event.id).await?,
            None => crate::access::Viewer::default(),
        };
        if crate::access::may_see(viewer, &event) {
            let event = crate::access::shown_to(viewer, event);
            seen.insert(event.id.clone(), event);
        }
    }
    // The page's posts likewise: a post put back to draft, made members-only or deleted since
    // is shown as it is now, or not at all.
    let post_ids: Vec<String> = entries
        .iter()
        .filter(|e| e.kind == Kind::PostPublished)
        .filter_map(|e| e.subject.clone())
        .collect();
    let role = crate::group_posts::standing(state, session, handle).await?;
    let posts: std::collections::HashMap<String, PostView> =
        convene_projections::group_posts::find_many(state.db.pool(), &post_ids)
            .await?
            .into_iter()
            .filter(|p| crate::group_posts::may_list(role, p))
            .map(|p| (p.id.clone(), crate::group_posts::shown_to(role, p)))
            .collect();
    let mut shown = Vec::with_capacity(entries.len());
    for mut entry in entries {
        // Who runs the group is for its members: others see the group itself act.
        if !member && entry.kind != Kind::EventOrganised {
            entry.actor = format!("@{handle}");
        }
        if entry.kind == Kind::PostPublished
            && !posts.contains_key(entry.subject.as_deref().unwrap_or_default())
        {
            continue;
        }
        if entry.kind == Kind::EventOrganised {
            let id = entry.subject.clone().unwrap_or_default();
            let Some(event) = seen.get(&id) else {
                continue;
            };
            if event
                .group
                .as_ref()
                .is_some_and(|g| g.handle == event.organiser)
            {
                entry.actor = format!("@{handle}");
            }
        }
        shown.push(entry);
    }
    Ok(TimelinePage {
        group,
        entries: shown,
        events: seen,
        posts,
    })
}

#[cfg(test)]
mod tests {
    use super::{invitee, Invitee};

    #[test]
    fn a_handle_on_another_host_is_elsewhere_and_on_this_one_is_local() {
        let here = |given| invitee("http://127.0.0.1:8080", given);
        let local = |name: &str| Invitee::Local(name.to_string());
        let elsewhere = |who: &str| Invitee::Elsewhere(who.to_string());
        assert_eq!(here("bob"), local("bob"));
        assert_eq!(here(" @bob "), local("bob"));
        assert_eq!(here("bob@127.0.0.1:8080"), local("bob"));
        assert_eq!(here("@bob@127.0.0.1:8080"), local("bob"));
        assert_eq!(here("@bob@127.0.0.1:8081"), elsewhere("bob@127.0.0.1:8081"));
        assert_eq!(here("@bob@other.example"), elsewhere("bob@other.example"));
        assert_eq!(
            here("https://other.example/users/bob"),
            elsewhere("https://other.example/users/bob")
        );
        let public = |given| invitee("https://events.example", given);
        assert_eq!(public("bob@EVENTS.example"), local("bob"));
        assert_eq!(
            public("bob@events.example:8443"),
            elsewhere("bob@events.example:8443")
        );
    }
}
