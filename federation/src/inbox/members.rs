//! Membership activities about our groups, as Mobilizon sends them: the invited actor's
//! `Accept` or `Reject` of the group's `Invite`; a remote member's `Invite` of someone, `Update`
//! of a `Member` (a new role) and `Remove` of a member. Each is the group's own rule applied to
//! the signer (a non-moderator's `Invite`, the last administrator's removal are refused by the
//! group, nothing applied). A group elsewhere's `Update` of one of our profiles' `Member` records
//! the role it gave (its `Remove` of one, in `remove`, ends the membership), and its `Invite` of
//! one is kept for the profile to answer. Any other membership activity about a group not hosted
//! here is refused (404).

use super::dispatch::{is_group, local_group, local_profile, named_actor, refusal};
use super::{Inbox, Refusal};
use crate::actors::local::member_id;
use crate::incoming::values::same_origin;
use crate::incoming::{IncomingActivity, IncomingMember, ObjectRef};
use crate::objects::ActivityKind;
use axum::http::StatusCode;
use convene_api::remote_events::FromRemote;
use convene_api::{groups_elsewhere, remote_groups};
use convene_domain::group::{GroupActor, MemberRole};

/// The refusal of a membership activity about `group`, which is not one of ours.
fn not_hosted(group: &str) -> Refusal {
    Refusal::new(
        StatusCode::NOT_FOUND,
        format!("{group} is not a group hosted here: its memberships are not decided here"),
    )
}

/// Our group, by its id, or the refusal.
async fn hosted(inbox: &Inbox, group: &str) -> Result<String, Refusal> {
    match local_profile(inbox, group) {
        Some(handle) if is_group(inbox, &handle).await? => Ok(handle),
        _ => Err(not_hosted(group)),
    }
}

/// A member or invitee named by actor id: a local profile, or a remote actor.
pub(super) fn member_named(inbox: &Inbox, actor: &str) -> GroupActor {
    match local_profile(inbox, actor) {
        Some(username) => GroupActor::profile(username),
        None => GroupActor::Remote(actor.to_string()),
    }
}

/// The handle of the group an id of this instance (at `base`) names as a membership: the
/// group's `Invite` (`/activities/{handle}/{n}/invite`) or a `Member`
/// (`/@{handle}/members/{digest}`).
fn group_of_membership_id(base: &str, id: &str) -> Option<String> {
    if let Some(rest) = id.strip_prefix(&format!("{base}/activities/")) {
        let parts: Vec<&str> = rest.split('/').collect();
        return match parts.as_slice() {
            [handle, n, "invite"] if n.parse::<u64>().is_ok() => Some(handle.to_string()),
            _ => None,
        };
    }
    let rest = id.strip_prefix(&format!("{base}/@"))?;
    let (handle, digest) = rest.split_once("/members/")?;
    (!digest.is_empty() && !digest.contains('/')).then(|| handle.to_string())
}

/// The group whose invitation an `Accept` or `Reject` answers, by its id: the `Invite`
/// embedded, the `Member` it made (Mobilizon's `Accept`), or either named by id (Mobilizon's
/// `Reject`). None when the object is no invitation.
pub(super) fn invited_to(inbox: &Inbox, object: &ObjectRef) -> Option<String> {
    let base = &inbox.federation.public_url;
    match object {
        ObjectRef::Activity(invite) if invite.kind == ActivityKind::Invite => {
            named_actor(&invite.object).map(str::to_string)
        }
        ObjectRef::Member(member) => Some(member.group.clone()),
        ObjectRef::Id(id) => group_of_membership_id(base, id)
            .map(|handle| crate::actors::local::group_id(base, &handle)),
        _ => None,
    }
}

/// The invited signer accepts (joins) or declines the invitation to `group`.
pub(super) async fn answer_invite(
    inbox: &Inbox,
    from: &FromRemote,
    kind: ActivityKind,
    group: &str,
) -> Result<String, Refusal> {
    let handle = hosted(inbox, group).await?;
    let answered = if kind == ActivityKind::Accept {
        remote_groups::accept_invitation(&inbox.app, from, &handle).await
    } else {
        remote_groups::decline_invitation(&inbox.app, from, &handle).await
    };
    match answered {
        Ok(()) => Ok(format!(
            "{} answered its invitation to @{handle}: {}",
            from.actor,
            kind.name()
        )),
        Err(error) => Err(refusal(error)),
    }
}

/// `Invite {object: group, target: invitee}`: a member of one of our groups invites someone,
/// by the group's rules (moderators and above).
pub(super) async fn invite(
    inbox: &Inbox,
    from: &FromRemote,
    activity: &IncomingActivity,
) -> Result<String, Refusal> {
    let group = named_actor(&activity.object).ok_or_else(|| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "an Invite names the group it invites to as its object",
        )
    })?;
    let target = activity.target.as_deref().ok_or_else(|| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "an Invite names whom it invites as its target",
        )
    })?;
    let Some(handle) = local_group(inbox, &activity.object).await? else {
        if let Some(name) = local_profile(inbox, target) {
            return invited_elsewhere(inbox, from, activity, group, &name).await;
        }
        return Err(not_hosted(group));
    };
    let who = match member_named(inbox, target) {
        GroupActor::Profile(name) => {
            let found = convene_projections::profiles::find(inbox.federation.db.pool(), &name)
                .await
                .map_err(|e| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            if found.is_none() {
                return Err(Refusal::new(
                    StatusCode::NOT_FOUND,
                    format!("there is no profile @{name} here to invite"),
                ));
            }
            GroupActor::Profile(name)
        }
        // Fetched and kept now, so that the group's own Invite knows where it goes.
        GroupActor::Remote(actor) => {
            let found = inbox.actors.get(&actor).await.map_err(|e| {
                Refusal::new(StatusCode::BAD_REQUEST, format!("the invited actor: {e}"))
            })?;
            GroupActor::Remote(found.id.to_string())
        }
    };
    match remote_groups::invite(&inbox.app, from, &handle, who.clone()).await {
        Ok(()) => Ok(format!("{} invited {who} to @{handle}", from.actor)),
        Err(error) => Err(refusal(error)),
    }
}

/// Another instance's group invites our profile `@name` (Mobilizon's `Invite`: signed by the
/// group or by one of its moderators, on the group's own server): kept for the profile to
/// accept or decline, its answer to go to the group's inbox. From any other server: 403.
async fn invited_elsewhere(
    inbox: &Inbox,
    from: &FromRemote,
    activity: &IncomingActivity,
    group: &str,
    name: &str,
) -> Result<String, Refusal> {
    if !same_origin(&from.actor, group) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!(
                "{} cannot invite anyone to {group}: only the group's own server can",
                from.actor
            ),
        ));
    }
    let found = inbox.actors.get(group).await.map_err(|e| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            format!("the group invited to: {e}"),
        )
    })?;
    if found.kind != "Group" {
        return Err(Refusal::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{group} is a {}, not a group", found.kind),
        ));
    }
    let answer_to = found.delivery_inbox().to_string();
    let invite = activity.id.clone();
    match groups_elsewhere::invited(&inbox.app, from, name, group, answer_to, invite).await {
        Ok(()) => Ok(format!("{} invited @{name} to {group}", from.actor)),
        Err(error) => Err(refusal(error)),
    }
}

/// `Update` of a `Member`: a member of one of our groups gives another a new role, by the
/// group's rules (administrators, up to their own, and one administrator stays); or a group
/// elsewhere gives one of our profiles a role among its members.
pub(super) async fn update_member(
    inbox: &Inbox,
    from: &FromRemote,
    member: &IncomingMember,
) -> Result<String, Refusal> {
    let role = member
        .role
        .as_deref()
        .and_then(MemberRole::parse)
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "the Member's role `{}` is not one of {}",
                    member.role.as_deref().unwrap_or(""),
                    MemberRole::ALL.map(MemberRole::as_str).join(", ")
                ),
            )
        })?;
    // A group elsewhere speaking for itself: one of our profiles' role there is recorded; its
    // other members' are not kept here.
    if member.group == from.actor && local_profile(inbox, &member.group).is_none() {
        let Some(profile) = local_profile(inbox, &member.actor) else {
            return Err(Refusal::ignored(format!(
                "{} made {} {}: this instance keeps only its own profiles' memberships",
                from.actor,
                member.actor,
                role.as_str()
            )));
        };
        return match groups_elsewhere::role_given(&inbox.app, from, &profile, role).await {
            Ok(()) => Ok(format!("{} made @{profile} {}", from.actor, role.as_str())),
            Err(error) => Err(refusal(error)),
        };
    }
    let handle = hosted(inbox, &member.group).await?;
    let who = member_named(inbox, &member.actor);
    match remote_groups::change_role(&inbox.app, from, &handle, who.clone(), role).await {
        Ok(()) => Ok(format!(
            "{} made {who} {} in @{handle}",
            from.actor,
            role.as_str()
        )),
        Err(error) => Err(refusal(error)),
    }
}

/// `Remove {object: member or person, origin: group}`: a member of one of our groups removes
/// another, by the group's rules (moderators and above, never the last administrator).
pub(super) async fn remove(
    inbox: &Inbox,
    from: &FromRemote,
    activity: &IncomingActivity,
) -> Result<String, Refusal> {
    let embedded = match &activity.object {
        ObjectRef::Member(member) => Some(member),
        _ => None,
    };
    let group = activity
        .origin
        .clone()
        .or_else(|| activity.target.clone())
        .or_else(|| embedded.map(|m| m.group.clone()))
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                "a Remove names the group as its origin",
            )
        })?;
    // A group elsewhere removing one of our profiles: it is no longer that group's member.
    let removed = embedded
        .map(|m| m.actor.as_str())
        .or(named_actor(&activity.object));
    if group == from.actor {
        if let Some(profile) = removed.and_then(|actor| local_profile(inbox, actor)) {
            return match groups_elsewhere::join_answered(&inbox.app, from, &profile, false).await {
                Ok(()) => Ok(format!("{group} removed @{profile} from its members")),
                Err(error) => Err(refusal(error)),
            };
        }
    }
    let handle = hosted(inbox, &group).await?;
    let who = match (&activity.object, embedded) {
        (_, Some(member)) => member_named(inbox, &member.actor),
        (ObjectRef::Id(id), None)
            if group_of_membership_id(&inbox.federation.public_url, id).is_some() =>
        {
            member_by_id(inbox, &handle, &group, id).await?
        }
        (ObjectRef::Id(id), None) => member_named(inbox, id),
        _ => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "a Remove names the member or the person removed as its object",
            ))
        }
    };
    match remote_groups::remove(&inbox.app, from, &handle, who.clone()).await {
        Ok(()) => Ok(format!("{} removed {who} from @{handle}", from.actor)),
        Err(error) => Err(refusal(error)),
    }
}

/// The member of `@handle` whose `Member` id (ours) is `id`.
async fn member_by_id(
    inbox: &Inbox,
    handle: &str,
    group: &str,
    id: &str,
) -> Result<GroupActor, Refusal> {
    let pool = inbox.federation.db.pool();
    let members = convene_projections::groups::members(pool, handle, &MemberRole::ALL)
        .await
        .map_err(|e| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    members
        .iter()
        .find(|m| member_id(group, &m.member) == id)
        .map(|m| match &m.profile {
            Some(username) => GroupActor::profile(username),
            None => GroupActor::Remote(m.member.clone()),
        })
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::NOT_FOUND,
                format!("{id} is no membership of @{handle}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::group_of_membership_id;

    #[test]
    fn our_invitations_and_members_name_their_group() {
        let of = |id| group_of_membership_id("https://x.example", id);
        assert_eq!(
            of("https://x.example/activities/club/7/invite").as_deref(),
            Some("club")
        );
        assert_eq!(
            of("https://x.example/@club/members/0a1b").as_deref(),
            Some("club")
        );
        // Another activity of ours, another instance's ids, a member's sub-path: none.
        assert_eq!(of("https://x.example/activities/club/7/accept"), None);
        assert_eq!(of("https://x.example/activities/club/x/invite"), None);
        assert_eq!(of("https://y.example/@club/members/0a1b"), None);
        assert_eq!(of("https://x.example/@club/members/"), None);
        assert_eq!(of("https://x.example/@club/members/0a/b"), None);
        assert_eq!(of("https://x.example/@club"), None);
    }
}
