use super::changes::{CommentElsewhere, TodoElsewhere};
use crate::group::{MemberRole, ResourceContent};
use crate::moderation::{Decision, ProfileAction};
use crate::picture::ShownPicture;
use serde::{Deserialize, Serialize};

/// What can be asked of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProfileCommand {
    /// Claim `username` (the aggregate id) as a new profile, owned by `account` (none for
    /// profiles the instance itself runs).
    Create {
        username: String,
        display_name: Option<String>,
        account: Option<String>,
    },
    /// Change what is given; leave the rest as it is.
    Update {
        display_name: Option<String>,
        summary: Option<String>,
    },
    /// Show `picture` as the profile's avatar; the caller checked that it is an avatar
    /// uploaded by this profile and not discarded.
    SetAvatar {
        picture: ShownPicture,
    },
    RemoveAvatar,
    /// A remote actor follows this profile (its `Follow` activity is `activity`).
    AddFollower {
        actor: String,
        inbox: String,
        shared_inbox: Option<String>,
        activity: String,
    },
    /// A remote actor no longer follows this profile.
    RemoveFollower {
        actor: String,
    },
    /// Ask to follow the remote actor `target`, whose inbox is `inbox`.
    Follow {
        target: String,
        inbox: String,
        shared_inbox: Option<String>,
    },
    /// `target` accepted this profile's request to follow it.
    AcceptFollow {
        target: String,
    },
    /// `target` refused this profile's request to follow it.
    RejectFollow {
        target: String,
    },
    /// Stop following `target` (or withdraw the request).
    Unfollow {
        target: String,
    },
    /// Ask to join another instance's group `group` (its actor URL), whose inbox is `inbox`.
    JoinGroup {
        group: String,
        inbox: String,
        message: Option<String>,
    },
    /// `group` accepted this profile's request to join it.
    AcceptJoin {
        group: String,
    },
    /// `group` refused this profile's request to join it.
    RejectJoin {
        group: String,
    },
    /// `group` gives this profile the role `role` among its members (its `Update` of the
    /// profile's `Member`); a role given to a profile still asking makes it a member.
    ReceiveGroupRole {
        group: String,
        role: MemberRole,
    },
    /// Another instance's group `group` invites this profile: its `Invite` `invite`, signed by
    /// `by`; the answer goes to `inbox`.
    ReceiveGroupInvitation {
        group: String,
        inbox: String,
        invite: String,
        by: String,
    },
    /// Accept `group`'s invitation (a member from then on).
    AcceptGroupInvitation {
        group: String,
    },
    /// Decline `group`'s invitation.
    DeclineGroupInvitation {
        group: String,
    },
    /// Write `body` in `discussion` of another instance's group `group`, of which this profile
    /// is a member (its `Create` of a `Note` goes to `inbox`).
    CommentInGroupDiscussion {
        group: String,
        inbox: String,
        discussion: String,
        body: String,
    },
    /// Add a link or a folder to the resources of another instance's group `group`, of which
    /// this profile is a member, in `target` (the group's `resources` collection, or one of its
    /// folders): its `Create` of a `Document` or `ResourceCollection` goes to `inbox`.
    AddGroupResource {
        group: String,
        inbox: String,
        target: String,
        content: ResourceContent,
    },
    /// Make `resource` (its id, as the group lists it) of another instance's group `group`, of
    /// which this profile is a member, say `content`, in `target` (the group's `resources`, or
    /// one of its folders): its `Update` of the `Document` or `ResourceCollection` goes to
    /// `inbox`.
    ChangeGroupResource {
        group: String,
        inbox: String,
        resource: String,
        target: String,
        content: ResourceContent,
    },
    /// Delete `resource` (its id, as the group lists it) of another instance's group `group`, of
    /// which this profile is a member (a folder with what it holds): its `Delete` goes to `inbox`.
    DeleteGroupResource {
        group: String,
        inbox: String,
        resource: String,
    },
    /// Keep `comment`, written in one of `group`'s discussions and relayed by the group (its
    /// `Announce` of the `Note`), for this profile, a member.
    ReceiveGroupComment {
        group: String,
        comment: CommentElsewhere,
    },
    /// Forget what `group` relayed under `removed`: a comment's `Note` id, or a discussion's
    /// address and every comment in it (the group's `Delete`), for this profile, a member.
    ForgetGroupComments {
        group: String,
        removed: String,
    },
    /// Keep `todo`, one of `group`'s todos as the group relayed it (its `Create` or `Update` of
    /// the `Todo`), for this profile, a member.
    ReceiveGroupTodo {
        group: String,
        todo: TodoElsewhere,
    },
    /// Forget what `group` relayed under `removed`: a todo, or a todo list and its todos (the
    /// group's `Delete`), for this profile, a member.
    ForgetGroupTodos {
        group: String,
        removed: String,
    },
    /// Add a todo titled `title` to `list` of another instance's group `group`, of which this
    /// profile is a member: its `Create` of a `Todo` goes to `inbox`.
    AddGroupTodo {
        group: String,
        inbox: String,
        list: String,
        title: String,
    },
    /// Ask `group`, of which this profile is a member, to make its todo say `todo` (marked done
    /// or not, renamed): its `Update` of the `Todo` goes to `inbox`.
    ChangeGroupTodo {
        group: String,
        inbox: String,
        todo: TodoElsewhere,
    },
    /// Leave `group` (or withdraw the request to join it); the `Leave` goes to `inbox`.
    LeaveGroup {
        group: String,
        inbox: String,
    },
    /// An instance moderator's decision (the caller checked the role and the decision's
    /// fields).
    Moderate {
        action: ProfileAction,
        decision: Decision,
    },
}
