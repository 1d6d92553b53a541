use crate::group::{MemberRole, ResourceContent};
use crate::moderation::{Decision, ProfileAction};
use crate::picture::ShownPicture;
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

/// A comment in a discussion of another instance's group, as the group relayed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentElsewhere {
    /// The `Note`'s id.
    pub note: String,
    /// The discussion's address on the group's instance.
    pub discussion: String,
    /// The author's actor URL.
    pub author: String,
    /// The `Note` it answers, when not the discussion itself.
    pub in_reply_to: Option<String>,
    /// Sanitised HTML.
    pub body: String,
}

/// A todo of another instance's group, as the group relayed it (or as a member asks the group
/// to make it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodoElsewhere {
    /// The `Todo`'s id.
    pub todo: String,
    /// Its list's id (`todoList`).
    pub list: String,
    /// Who created it, by actor id (the `Todo`'s `actor`, which Mobilizon's `Update`s keep).
    pub creator: String,
    pub title: String,
    pub done: bool,
    /// A day, `YYYY-MM-DD`.
    #[serde(default)]
    pub due_on: Option<String>,
    /// The member it is assigned to, by actor id.
    #[serde(default)]
    pub assignee: Option<String>,
}

/// What happened to a profile. Past-tense facts, stored in the log forever: add variants and
/// fields with defaults, never rename them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProfileChange {
    Created {
        username: String,
        display_name: String,
        /// The owning account: private, never shown with the profile.
        #[serde(default)]
        account: Option<String>,
    },
    Renamed {
        display_name: String,
    },
    SummaryChanged {
        summary: String,
    },
    /// The profile shows this avatar (replacing the one it showed, if any).
    AvatarSet {
        picture: ShownPicture,
    },
    AvatarRemoved,
    /// A remote actor (by its id URL) follows this profile; `activity` is the id of its
    /// `Follow`, which the `Accept` sent back names. Recorded again when the same actor sends
    /// a new `Follow` (it did not get the first `Accept`): still one follower.
    FollowerAdded {
        actor: String,
        inbox: String,
        shared_inbox: Option<String>,
        activity: String,
    },
    /// A remote actor stopped following this profile (an `Undo` of its `Follow`, or it was
    /// deleted).
    FollowerRemoved {
        actor: String,
    },
    /// This profile asked to follow a remote actor; it follows once the actor accepts.
    FollowRequested {
        target: String,
        inbox: String,
        shared_inbox: Option<String>,
    },
    FollowAccepted {
        target: String,
    },
    /// The remote actor refused: this profile does not follow it.
    FollowRejected {
        target: String,
    },
    /// This profile stopped following (or withdrew its request to follow) a remote actor.
    Unfollowed {
        target: String,
    },
    /// This profile asked to join another instance's group (its `Join`, sent to `inbox`, with
    /// the message for the group's moderators); it is a member once the group accepts.
    GroupJoinRequested {
        group: String,
        inbox: String,
        #[serde(default)]
        message: Option<String>,
    },
    /// The group accepted: this profile is one of its members.
    GroupJoinAccepted {
        group: String,
    },
    /// The group gave this profile a role among its members (a member from then on).
    GroupRoleGiven {
        group: String,
        role: MemberRole,
    },
    /// Another instance's group invited this profile: its `Invite` `invite`, signed by `by` (the
    /// group or one of its moderators); the answer goes to `inbox`.
    GroupInvitationReceived {
        group: String,
        inbox: String,
        invite: String,
        by: String,
    },
    /// This profile accepted the invitation (its `Accept` of `invite`, sent to `inbox`): a
    /// member.
    GroupInvitationAccepted {
        group: String,
        inbox: String,
        invite: String,
    },
    /// This profile declined the invitation (its `Reject` of `invite`, sent to `inbox`).
    GroupInvitationDeclined {
        group: String,
        inbox: String,
        invite: String,
    },
    /// This profile wrote `body` (sanitised) in `discussion` of the group, a member: its
    /// `Create` of a `Note` with the discussion as `context`, sent to `inbox`.
    GroupDiscussionCommented {
        group: String,
        inbox: String,
        discussion: String,
        body: String,
    },
    /// This profile added `content` (validated) to the group's resources, in `target` (their
    /// collection or a folder), a member: its `Create` of the resource, sent to `inbox`.
    GroupResourceAdded {
        group: String,
        inbox: String,
        target: String,
        content: ResourceContent,
    },
    /// This profile, a member, asked the group to make `resource` say `content` (validated), in
    /// `target`: its `Update` of the resource, sent to `inbox`.
    GroupResourceChanged {
        group: String,
        inbox: String,
        resource: String,
        target: String,
        content: ResourceContent,
    },
    /// This profile, a member, asked the group to delete `resource`: its `Delete`, sent to
    /// `inbox`.
    GroupResourceDeleted {
        group: String,
        inbox: String,
        resource: String,
    },
    /// The group relayed a comment written in one of its discussions, kept for this profile,
    /// a member.
    GroupCommentReceived {
        group: String,
        comment: CommentElsewhere,
    },
    /// The group deleted what it relayed under `removed`: a comment's `Note` id, or a
    /// discussion's address and every comment in it.
    GroupCommentsRemoved {
        group: String,
        removed: String,
    },
    /// The group relayed one of its todos (made, or changed), kept for this profile, a member.
    GroupTodoReceived {
        group: String,
        todo: TodoElsewhere,
    },
    /// The group deleted what it relayed under `removed`: a todo, or a todo list and its todos.
    GroupTodosRemoved {
        group: String,
        removed: String,
    },
    /// This profile, a member, added a todo titled `title` to the group's list `list`: its
    /// `Create` of the `Todo`, sent to `inbox`.
    GroupTodoAdded {
        group: String,
        inbox: String,
        list: String,
        title: String,
    },
    /// This profile, a member, asked the group to make its todo say `todo` (validated): its
    /// `Update` of the `Todo`, sent to `inbox`.
    GroupTodoChanged {
        group: String,
        inbox: String,
        todo: TodoElsewhere,
    },
    /// The group refused (or removed this profile): it is not a member.
    GroupJoinRejected {
        group: String,
    },
    /// This profile left the group (or withdrew its request): its `Leave`, sent to `inbox`.
    GroupLeft {
        group: String,
        inbox: String,
    },
    /// An instance moderator's decision (ProfileSuspended, ProfileUnsuspended in the log).
    Moderated {
        action: ProfileAction,
        decision: Decision,
    },
}

impl DomainEvent for ProfileChange {
    fn event_type(&self) -> String {
        match self {
            ProfileChange::Created { .. } => "ProfileCreated",
            ProfileChange::Renamed { .. } => "ProfileRenamed",
            ProfileChange::SummaryChanged { .. } => "ProfileSummaryChanged",
            ProfileChange::AvatarSet { .. } => "ProfileAvatarSet",
            ProfileChange::AvatarRemoved => "ProfileAvatarRemoved",
            ProfileChange::FollowerAdded { .. } => "ProfileFollowerAdded",
            ProfileChange::FollowerRemoved { .. } => "ProfileFollowerRemoved",
            ProfileChange::FollowRequested { .. } => "ProfileFollowRequested",
            ProfileChange::FollowAccepted { .. } => "ProfileFollowAccepted",
            ProfileChange::FollowRejected { .. } => "ProfileFollowRejected",
            ProfileChange::Unfollowed { .. } => "ProfileUnfollowed",
            ProfileChange::GroupJoinRequested { .. } => "ProfileGroupJoinRequested",
            ProfileChange::GroupJoinAccepted { .. } => "ProfileGroupJoinAccepted",
            ProfileChange::GroupRoleGiven { .. } => "ProfileGroupRoleGiven",
            ProfileChange::GroupInvitationReceived { .. } => "ProfileGroupInvitationReceived",
            ProfileChange::GroupInvitationAccepted { .. } => "ProfileGroupInvitationAccepted",
            ProfileChange::GroupInvitationDeclined { .. } => "ProfileGroupInvitationDeclined",
            ProfileChange::GroupDiscussionCommented { .. } => "ProfileGroupDiscussionCommented",
            ProfileChange::GroupResourceAdded { .. } => "ProfileGroupResourceAdded",
            ProfileChange::GroupResourceChanged { .. } => "ProfileGroupResourceChanged",
            ProfileChange::GroupResourceDeleted { .. } => "ProfileGroupResourceDeleted",
            ProfileChange::GroupCommentReceived { .. } => "ProfileGroupCommentReceived",
            ProfileChange::GroupCommentsRemoved { .. } => "ProfileGroupCommentsRemoved",
            ProfileChange::GroupTodoReceived { .. } => "ProfileGroupTodoReceived",
            ProfileChange::GroupTodosRemoved { .. } => "ProfileGroupTodosRemoved",
            ProfileChange::GroupTodoAdded { .. } => "ProfileGroupTodoAdded",
            ProfileChange::GroupTodoChanged { .. } => "ProfileGroupTodoChanged",
            ProfileChange::GroupJoinRejected { .. } => "ProfileGroupJoinRejected",
            ProfileChange::GroupLeft { .. } => "ProfileGroupLeft",
            ProfileChange::Moderated { action, .. } => action.change_name(),
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
