//! Follows between a local profile and remote ActivityPub actors, both ways: who follows this
//! profile (by their `Follow`), and whom this profile follows or asked to follow; and the groups
//! of other instances it joined or asked to join (by its `Join`, which the group accepts or
//! rejects, as it does a `Follow`), or was invited to (by the group's `Invite`, which the
//! profile accepts or declines). Remote actors are named by their id URL.

use super::{CommentElsewhere, ProfileChange, ProfileError, TodoElsewhere};
use crate::group::{MemberRole, ResourceContent};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where this profile stands with an actor it asked to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowingState {
    /// Asked; the actor has not answered.
    Requested,
    Accepted,
}

impl FollowingState {
    /// How the read model stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Accepted => "accepted",
        }
    }
}

/// Where this profile stands in another instance's group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipState {
    /// Asked to join; the group has not answered.
    Requested,
    /// Invited by the group; the profile has not answered.
    Invited,
    /// A member.
    Accepted,
}

impl MembershipState {
    /// How the read model stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Invited => "invited",
            Self::Accepted => "accepted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Requested, Self::Invited, Self::Accepted]
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

/// A group's invitation, as the profile's answer needs it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Invitation {
    /// The `Invite`'s id, which the answer names.
    invite: String,
    /// Where the answer goes.
    inbox: String,
}

/// The follows a profile's decisions need.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Follows {
    /// Followers by actor id, with the id of the `Follow` last accepted.
    #[serde(default)]
    followers: BTreeMap<String, String>,
    #[serde(default)]
    following: BTreeMap<String, FollowingState>,
    /// Other instances' groups: asked to join, invited, or a member.
    #[serde(default)]
    memberships: BTreeMap<String, MembershipState>,
    /// The invitations not answered yet, by group.
    #[serde(default)]
    invitations: BTreeMap<String, Invitation>,
    /// The roles those groups gave this profile, when they named one.
    #[serde(default)]
    roles: BTreeMap<String, MemberRole>,
}

/// The longest message to a group's moderators with a request to join it: what a group here
/// takes (the inbox cuts a longer one).
pub const JOIN_MESSAGE_MAX: usize = crate::group::MESSAGE_MAX;

/// An actor, an inbox, an activity id: absolute `http(s)` URLs, or the field named is refused.
/// Whether two URLs are on the same server (scheme, host and port).
fn same_origin(a: &str, b: &str) -> bool {
    let origin = |url: &str| url::Url::parse(url).ok().map(|u| u.origin());
    origin(a).is_some() && origin(a) == origin(b)
}

/// A todo's title, due day and state by the rules of a group's todos (normalised).
fn todo_rules(
    title: String,
    due_on: Option<String>,
    done: bool,
) -> Result<crate::group::TodoContent, ProfileError> {
    crate::group::TodoContent {
        title,
        due_on,
        assignee: None,
        done,
    }
    .validate()
    .map_err(ProfileError::InvalidTodo)
}

fn actor_url(field: &'static str, value: &str) -> Result<(), ProfileError> {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => Err(ProfileError::NotAnActorUrl(field)),
    }
}

impl Follows {
    pub fn is_follower(&self, actor: &str) -> bool {
        self.followers.contains_key(actor)
    }

    pub fn following(&self, target: &str) -> Option<FollowingState> {
        self.following.get(target).copied()
    }

    /// A `Follow` from `actor`. The same `Follow` again records nothing; a new one from a
    /// follower is recorded again, so that it is accepted again (its sender did not see the
    /// first `Accept`), and the follower stays one.
    pub fn add_follower(
        &self,
        actor: String,
        inbox: String,
        shared_inbox: Option<String>,
        activity: String,
    ) -> Result<Option<ProfileChange>, ProfileError> {
        actor_url("actor", &actor)?;
        actor_url("inbox", &inbox)?;
        if let Some(shared) = &shared_inbox {
            actor_url("shared_inbox", shared)?;
        }
        actor_url("activity", &activity)?;
        if self.followers.get(&actor) == Some(&activity) {
            return Ok(None);
        }
        Ok(Some(ProfileChange::FollowerAdded {
            actor,
            inbox,
            shared_inbox,
            activity,
        }))
    }

    /// `actor` stops following. An actor that does not follow records nothing: an `Undo` seen
    /// twice, or a deleted actor that never followed, is no error.
    pub fn remove_follower(&self, actor: String) -> Option<ProfileChange> {
        self.is_follower(&actor)
            .then_some(ProfileChange::FollowerRemoved { actor })
    }

    /// Ask to follow `target`; asking again while asked or following records nothing.
    pub fn follow(
        &self,
        target: String,
        inbox: String,
        shared_inbox: Option<String>,
    ) -> Result<Option<ProfileChange>, ProfileError> {
        actor_url("target", &target)?;
        actor_url("inbox", &inbox)?;
        if let Some(shared) = &shared_inbox {
            actor_url("shared_inbox", shared)?;
        }
        if self.following.contains_key(&target) {
            return Ok(None);
        }
        Ok(Some(ProfileChange::FollowRequested {
            target,
            inbox,
            shared_inbox,
        }))
    }

    /// `target` accepted: only a request it was sent can be accepted, and only once.
    pub fn accepted(&self, target: String) -> Result<Option<ProfileChange>, ProfileError> {
        match self.following(&target) {
            None => Err(ProfileError::NotFollowing(target)),
            Some(FollowingState::Accepted) => Ok(None),
            Some(FollowingState::Requested) => Ok(Some(ProfileChange::FollowAccepted { target })),
        }
    }

    /// `target` refused (even after accepting: Mastodon rejects to remove a follower).
    pub fn rejected(&self, target: String) -> Result<ProfileChange, ProfileError> {
        match self.following(&target) {
            None => Err(ProfileError::NotFollowing(target)),
            Some(_) => Ok(ProfileChange::FollowRejected { target }),
        }
    }

    /// Stop following `target`, or withdraw the request; it must have been asked.
    pub fn unfollow(&self, target: String) -> Result<ProfileChange, ProfileError> {
        match self.following(&target) {
            None => Err(ProfileError::NotFollowing(target)),
            Some(_) => Ok(ProfileChange::Unfollowed { target }),
        }
    }

    /// Where this profile stands in another instance's group: asked to join, invited, or a
    /// member.
    pub fn membership(&self, group: &str) -> Option<MembershipState> {
        self.memberships.get(group).copied()
    }

    /// Ask to join `group`; asking again while asked or a member records nothing.
    pub fn join(
        &self,
        group: String,
        inbox: String,
        message: Option<String>,
    ) -> Result<Option<ProfileChange>, ProfileError> {
        actor_url("group", &group)?;
        actor_url("inbox", &inbox)?;
        let message = message
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty());
        if message
            .as_ref()
            .is_some_and(|m| m.chars().count() > JOIN_MESSAGE_MAX)
        {
            return Err(ProfileError::JoinMessageTooLong);
        }
        if matches!(
            self.membership(&group),
            Some(MembershipState::Requested | MembershipState::Accepted)
        ) {
            return Ok(None);
        }
        Ok(Some(ProfileChange::GroupJoinRequested {
            group,
            inbox,
            message,
        }))
    }

    /// `group` accepted: only a request it was sent can be accepted, and only once.
    pub fn join_accepted(&self, group: String) -> Result<Option<ProfileChange>, ProfileError> {
        match self.membership(&group) {
            None => Err(ProfileError::NotAMember(group)),
            Some(MembershipState::Accepted) => Ok(None),
            Some(_) => Ok(Some(ProfileChange::GroupJoinAccepted { group })),
        }
    }

    /// `group` gives this profile `role` (a member's role only): recorded when it is new; a
    /// profile still asking becomes a member. A group it never asked to join cannot.
    pub fn role_given(
        &self,
        group: String,
        role: MemberRole,
    ) -> Result<Option<ProfileChange>, ProfileError> {
        if !role.is_member() {
            return Err(ProfileError::NotAMemberRole(role.as_str()));
        }
        match self.membership(&group) {
            None => Err(ProfileError::NotAMember(group)),
            Some(MembershipState::Accepted) if self.roles.get(&group) == Some(&role) => Ok(None),
            Some(_) => Ok(Some(ProfileChange::GroupRoleGiven { group, role })),
        }
    }

    /// `group` refused (or no longer counts this profile among its members).
    pub fn join_rejected(&self, group: String) -> Result<ProfileChange, ProfileError> {
        match self.membership(&group) {
            None => Err(ProfileError::NotAMember(group)),
            Some(_) => Ok(ProfileChange::GroupJoinRejected { group }),
        }
    }

    /// `group` invites this profile (its `Invite` `invite`, signed by `by`; the answer goes to
    /// `inbox`). A member records nothing; an invitation again is recorded again, so that it
    /// can be answered.
    pub fn invited(
        &self,
        group: String,
        inbox: String,
        invite: String,
        by: String,
    ) -> Result<Option<ProfileChange>, ProfileError> {
        actor_url("group", &group)?;
        actor_url("inbox", &inbox)?;
        actor_url("invite", &invite)?;
        actor_url("by", &by)?;
        let again = self
            .invitations
            .get(&group)
            .is_some_and(|known| known.invite == invite);
        if again || self.membership(&group) == Some(MembershipState::Accepted) {
            return Ok(None);
        }
        Ok(Some(ProfileChange::GroupInvitationReceived {
            group,
            inbox,
            invite,
            by,
        }))
    }

    /// Accept (`accept`) or decline `group`'s invitation: only one received and not answered.
    pub fn answer_invitation(
        &self,
        group: String,
        accept: bool,
    ) -> Result<ProfileChange, ProfileError> {
        let Some(Invitation { invite, inbox }) = self.invitations.get(&group).cloned() else {
            return Err(ProfileError::NotInvited(group));
        };
        Ok(if accept {
            ProfileChange::GroupInvitationAccepted {
                group,
                inbox,
                invite,
            }
        } else {
            ProfileChange::GroupInvitationDeclined {
                group,
                inbox,
                invite,
            }
        })
    }

    /// Write `body` in `discussion` of `group`: a member only, a discussion on the group's own
    /// server, a comment by the comment rules (sanitised).
    pub fn comment_in_discussion(
        &self,
        group: String,
        inbox: String,
        discussion: String,
        body: &str,
    ) -> Result<ProfileChange, ProfileError> {
        actor_url("inbox", &inbox)?;
        actor_url("discussion", &discussion)?;
        self.require_member(&group)?;
        if !same_origin(&discussion, &group) {
            return Err(ProfileError::DiscussionElsewhere(group));
        }
        let body = crate::event::checked_comment(body).map_err(ProfileError::InvalidComment)?;
        Ok(ProfileChange::GroupDiscussionCommented {
            group,
            inbox,
            discussion,
            body,
        })
    }

    /// Add `content` to the resources of `group`, in `target` (an address on the group's
    /// server): a member only, by the rules of a group's resources.
    pub fn add_resource(
        &self,
        group: String,
        inbox: String,
        target: String,
        content: ResourceContent,
    ) -> Result<ProfileChange, ProfileError> {
        let content = self.checked_resource(&group, &inbox, &target, content)?;
        Ok(ProfileChange::GroupResourceAdded {
            group,
            inbox,
            target,
            content,
        })
    }

    /// Make `resource` of `group` (its id, wherever it was made) say `content`, in `target` (an
    /// address on the group's server): a member only, by the rules of a group's resources.
    pub fn change_resource(
        &self,
        group: String,
        inbox: String,
        (resource, target): (String, String),
        content: ResourceContent,
    ) -> Result<ProfileChange, ProfileError> {
        actor_url("resource", &resource)?;
        let content = self.checked_resource(&group, &inbox, &target, content)?;
        Ok(ProfileChange::GroupResourceChanged {
            group,
            inbox,
            resource,
            target,
            content,
        })
    }

    /// Delete `resource` of `group` (its id, wherever it was made): a member only.
    pub fn delete_resource(
        &self,
        group: String,
        inbox: String,
        resource: String,
    ) -> Result<ProfileChange, ProfileError> {
        actor_url("inbox", &inbox)?;
        actor_url("resource", &resource)?;
        self.require_member(&group)?;
        Ok(ProfileChange::GroupResourceDeleted {
            group,
            inbox,
            resource,
        })
    }

    /// `content` by the rules of a group's resources, for `group`'s folder `target` (on the
    /// group's server), from a member.
    fn checked_resource(
        &self,
        group: &str,
        inbox: &str,
        target: &str,
        content: ResourceContent,
    ) -> Result<ResourceContent, ProfileError> {
        actor_url("inbox", inbox)?;
        actor_url("folder", target)?;
        if !same_origin(target, group) {
            return Err(ProfileError::FolderElsewhere(group.to_string()));
        }
        self.require_member(group)?;
        content.validate().map_err(ProfileError::InvalidResource)
    }

    /// A member of `group`, else [`ProfileError::NotAMember`].
    fn require_member(&self, group: &str) -> Result<(), ProfileError> {
        match self.membership(group) {
            Some(MembershipState::Accepted) => Ok(()),
            _ => Err(ProfileError::NotAMember(group.to_string())),
        }
    }

    /// Keep `comment`, relayed by `group`: a member only, a discussion on the group's own
    /// server, a comment by the comment rules (sanitised).
    pub fn receive_comment(
        &self,
        group: String,
        comment: CommentElsewhere,
    ) -> Result<ProfileChange, ProfileError> {
        actor_url("note", &comment.note)?;
        actor_url("author", &comment.author)?;
        actor_url("discussion", &comment.discussion)?;
        self.require_member(&group)?;
        if !same_origin(&comment.discussion, &group) {
            return Err(ProfileError::DiscussionElsewhere(group));
        }
        let body =
            crate::event::checked_comment(&comment.body).map_err(ProfileError::InvalidComment)?;
        let comment = CommentElsewhere { body, ..comment };
        Ok(ProfileChange::GroupCommentReceived { group, comment })
    }

    /// Forget what `group` relayed under `removed` (a note or a discussion): a member only.
    pub fn forget_comments(
        &self,
        group: String,
        removed: String,
    ) -> Result<ProfileChange, ProfileError> {
        actor_url("removed", &removed)?;
        self.require_member(&group)?;
        Ok(ProfileChange::GroupCommentsRemoved { group, removed })
    }

    /// Keep `todo`, relayed by `group`: a member only, a todo by the rules of a group's todos.
    pub fn receive_todo(
        &self,
        group: String,
        todo: TodoElsewhere,
    ) -> Result<ProfileChange, ProfileError> {
        let todo = self.checked_todo(&group, todo)?;
        Ok(ProfileChange::GroupTodoReceived { group, todo })
    }

    /// Forget what `group` relayed under `removed` (a todo or a list): a member only.
    pub fn forget_todos(
        &self,
        group: String,
        removed: String,
    ) -> Result<ProfileChange, ProfileError> {
        actor_url("removed", &removed)?;
        self.require_member(&group)?;
        Ok(ProfileChange::GroupTodosRemoved { group, removed })
    }

    /// Add a todo titled `title` to `group`'s `list`: a member only, a title by the rules of a
    /// group's todos.
    pub fn add_todo(
        &self,
        group: String,
        inbox: String,
        list: String,
        title: String,
    ) -> Result<ProfileChange, ProfileError> {
        actor_url("inbox", &inbox)?;
        actor_url("list", &list)?;
        self.require_member(&group)?;
        let title = todo_rules(title, None, false)?.title;
        Ok(ProfileChange::GroupTodoAdded {
            group,
            inbox,
            list,
            title,
        })
    }

    /// Ask `group` to make its todo say `todo`: a member only, by the rules of a group's todos.
    pub fn change_todo(
        &self,
        group: String,
        inbox: String,
        todo: TodoElsewhere,
    ) -> Result<ProfileChange, ProfileError> {
        actor_url("inbox", &inbox)?;
        let todo = self.checked_todo(&group, todo)?;
        Ok(ProfileChange::GroupTodoChanged { group, inbox, todo })
    }

    /// `todo` of `group` by the rules of a group's todos (its ids and assignee http(s)
    /// addresses), from a member.
    fn checked_todo(
        &self,
        group: &str,
        todo: TodoElsewhere,
    ) -> Result<TodoElsewhere, ProfileError> {
        actor_url("todo", &todo.todo)?;
        actor_url("list", &todo.list)?;
        actor_url("creator", &todo.creator)?;
        if let Some(assignee) = &todo.assignee {
            actor_url("assignee", assignee)?;
        }
        self.require_member(group)?;
        let content = todo_rules(todo.title, todo.due_on, todo.done)?;
        Ok(TodoElsewhere {
            title: content.title,
            due_on: content.due_on,
            ..todo
        })
    }

    /// Leave `group`, or withdraw the request to join it; it must have been asked.
    pub fn leave(&self, group: String, inbox: String) -> Result<ProfileChange, ProfileError> {
        actor_url("inbox", &inbox)?;
        match self.membership(&group) {
            None => Err(ProfileError::NotAMember(group)),
            Some(_) => Ok(ProfileChange::GroupLeft { group, inbox }),
        }
    }

    /// Applies a follow change; other changes leave the follows as they are.
    pub fn apply(&mut self, change: &ProfileChange) {
        match change {
            ProfileChange::FollowerAdded {
                actor, activity, ..
            } => {
                self.followers.insert(actor.clone(), activity.clone());
            }
            ProfileChange::FollowerRemoved { actor } => {
                self.followers.remove(actor);
            }
            ProfileChange::FollowRequested { target, .. } => {
                self.following
                    .insert(target.clone(), FollowingState::Requested);
            }
            ProfileChange::FollowAccepted { target } => {
                self.following
                    .insert(target.clone(), FollowingState::Accepted);
            }
            ProfileChange::FollowRejected { target } | ProfileChange::Unfollowed { target } => {
                self.following.remove(target);
            }
            ProfileChange::GroupJoinRequested { group, .. } => {
                self.memberships
                    .insert(group.clone(), MembershipState::Requested);
            }
            ProfileChange::GroupJoinAccepted { group } => {
                self.memberships
                    .insert(group.clone(), MembershipState::Accepted);
                self.invitations.remove(group);
            }
            ProfileChange::GroupRoleGiven { group, role } => {
                self.memberships
                    .insert(group.clone(), MembershipState::Accepted);
                self.invitations.remove(group);
                self.roles.insert(group.clone(), *role);
            }
            ProfileChange::GroupInvitationReceived {
                group,
                inbox,
                invite,
                ..
            } => {
                self.memberships
                    .insert(group.clone(), MembershipState::Invited);
                let invitation = Invitation {
                    invite: invite.clone(),
                    inbox: inbox.clone(),
                };
                self.invitations.insert(group.clone(), invitation);
            }
            ProfileChange::GroupInvitationAccepted { group, .. } => {
                self.memberships
                    .insert(group.clone(), MembershipState::Accepted);
                self.invitations.remove(group);
            }
            ProfileChange::GroupJoinRejected { group }
            | ProfileChange::GroupLeft { group, .. }
            | ProfileChange::GroupInvitationDeclined { group, .. } => {
                self.memberships.remove(group);
                self.invitations.remove(group);
                self.roles.remove(group);
            }
            ProfileChange::GroupDiscussionCommented { .. }
            | ProfileChange::GroupResourceAdded { .. }
            | ProfileChange::GroupResourceChanged { .. }
            | ProfileChange::GroupResourceDeleted { .. }
            | ProfileChange::GroupCommentReceived { .. }
            | ProfileChange::GroupCommentsRemoved { .. }
            | ProfileChange::GroupTodoReceived { .. }
            | ProfileChange::GroupTodosRemoved { .. }
            | ProfileChange::GroupTodoAdded { .. }
            | ProfileChange::GroupTodoChanged { .. }
            | ProfileChange::Created { .. }
            | ProfileChange::Renamed { .. }
            | ProfileChange::SummaryChanged { .. }
            | ProfileChange::Moderated { .. }
            | ProfileChange::AvatarSet { .. }
            | ProfileChange::AvatarRemoved => {}
        }
    }
}
