use super::details::GroupDetails;
use super::members::{FollowState, GroupActor, MemberRole};
use super::posts::PostContent;
use super::resources::{LinkPreview, ResourceContent};
use super::todos::TodoContent;
use crate::moderation::{Decision, GroupAction};
use crate::picture::{GroupPicture, ShownPicture};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

/// What happened to a group, its members and its followers. Who did it and why are in the
/// metadata. Stored forever: add variants and defaulted fields, never rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum GroupChange {
    Created {
        handle: String,
        creator: GroupActor,
        details: GroupDetails,
    },
    /// The whole settings after the update, and which fields it changed.
    Updated {
        details: GroupDetails,
        fields: Vec<String>,
    },
    /// The group shows this picture as its avatar or its banner (replacing the one it showed).
    PictureSet {
        slot: GroupPicture,
        picture: ShownPicture,
    },
    PictureRemoved {
        slot: GroupPicture,
    },
    /// A membership began: `member` in an open group, `not_approved` for a request.
    MemberJoined {
        who: GroupActor,
        role: MemberRole,
        message: Option<String>,
    },
    MemberInvited {
        who: GroupActor,
    },
    InvitationAccepted {
        who: GroupActor,
    },
    InvitationDeclined {
        who: GroupActor,
    },
    MemberApproved {
        who: GroupActor,
    },
    MemberRejected {
        who: GroupActor,
    },
    /// Left, or withdrew a request.
    MemberLeft {
        who: GroupActor,
    },
    MemberRoleChanged {
        who: GroupActor,
        role: MemberRole,
    },
    MemberRemoved {
        who: GroupActor,
    },
    Followed {
        who: GroupActor,
        state: FollowState,
    },
    Unfollowed {
        who: GroupActor,
    },
    FollowerApproved {
        who: GroupActor,
    },
    FollowerRejected {
        who: GroupActor,
    },
    /// A post written, as a draft or to be published at once (then `PostPublished` follows).
    PostCreated {
        post: String,
        /// Its address within the group (`/@group/p/{slug}`), unique there, kept for good.
        slug: String,
        author: GroupActor,
        content: PostContent,
    },
    /// The whole content after the edit, and which fields it changed.
    PostEdited {
        post: String,
        content: PostContent,
        fields: Vec<String>,
    },
    /// A post left its draft for the first time: its publication time is this change's.
    PostPublished {
        post: String,
    },
    PostDeleted {
        post: String,
    },
    /// A discussion begun; its first comment follows as `DiscussionCommented`.
    DiscussionStarted {
        discussion: String,
        title: String,
        author: GroupActor,
    },
    DiscussionCommented {
        discussion: String,
        comment: String,
        author: GroupActor,
        in_reply_to: Option<String>,
        /// Sanitised HTML.
        body: String,
        /// The `Note`'s id when the comment was written on another instance (the group
        /// relays it to its other members under that id).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    DiscussionRenamed {
        discussion: String,
        title: String,
    },
    /// Archived (no more comments) or taken out of the archive.
    DiscussionArchived {
        discussion: String,
        archived: bool,
    },
    DiscussionDeleted {
        discussion: String,
    },
    /// The comment stays as a tombstone so that replies keep their place.
    DiscussionCommentDeleted {
        discussion: String,
        comment: String,
    },
    /// The comment's new text (sanitised HTML), by its author.
    DiscussionCommentEdited {
        discussion: String,
        comment: String,
        body: String,
    },
    TodoListCreated {
        list: String,
        title: String,
        /// As for `ResourceAdded`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        object: Option<String>,
    },
    TodoAdded {
        list: String,
        todo: String,
        content: TodoContent,
        /// As for `ResourceAdded`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        object: Option<String>,
    },
    /// The whole todo after the edit (done or not included).
    TodoUpdated {
        todo: String,
        content: TodoContent,
    },
    TodoDeleted {
        todo: String,
    },
    /// Deleted with the todos it held (`todos`).
    TodoListDeleted {
        list: String,
        #[serde(default)]
        todos: Vec<String>,
    },
    /// A folder or a link, in folder `parent` (none: at the top).
    ResourceAdded {
        resource: String,
        #[serde(default)]
        parent: Option<String>,
        author: GroupActor,
        content: ResourceContent,
        /// The object's id when a member made it on another instance (the group relays it to
        /// its other members under that id, as Mobilizon does).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        object: Option<String>,
    },
    /// The whole resource after the edit (renamed, or a link changed).
    ResourceEdited {
        resource: String,
        content: ResourceContent,
    },
    /// The preview the instance fetched of a link's page at `url`.
    ResourcePreviewed {
        resource: String,
        url: String,
        preview: LinkPreview,
    },
    ResourceMoved {
        resource: String,
        #[serde(default)]
        parent: Option<String>,
    },
    /// Deleted with everything it held (`content`, at any depth).
    ResourceDeleted {
        resource: String,
        #[serde(default)]
        content: Vec<String>,
    },
    /// An instance moderator's decision (GroupSuspended, GroupUnsuspended in the log).
    Moderated {
        action: GroupAction,
        decision: Decision,
    },
}

impl DomainEvent for GroupChange {
    fn event_type(&self) -> String {
        match self {
            Self::Created { .. } => "GroupCreated",
            Self::Updated { .. } => "GroupUpdated",
            Self::PictureSet { .. } => "GroupPictureSet",
            Self::PictureRemoved { .. } => "GroupPictureRemoved",
            Self::MemberJoined { .. } => "GroupMemberJoined",
            Self::MemberInvited { .. } => "GroupMemberInvited",
            Self::InvitationAccepted { .. } => "GroupInvitationAccepted",
            Self::InvitationDeclined { .. } => "GroupInvitationDeclined",
            Self::MemberApproved { .. } => "GroupMemberApproved",
            Self::MemberRejected { .. } => "GroupMemberRejected",
            Self::MemberLeft { .. } => "GroupMemberLeft",
            Self::MemberRoleChanged { .. } => "GroupMemberRoleChanged",
            Self::MemberRemoved { .. } => "GroupMemberRemoved",
            Self::Followed { .. } => "GroupFollowed",
            Self::Unfollowed { .. } => "GroupUnfollowed",
            Self::FollowerApproved { .. } => "GroupFollowerApproved",
            Self::FollowerRejected { .. } => "GroupFollowerRejected",
            Self::PostCreated { .. } => "GroupPostCreated",
            Self::PostEdited { .. } => "GroupPostEdited",
            Self::PostPublished { .. } => "GroupPostPublished",
            Self::PostDeleted { .. } => "GroupPostDeleted",
            Self::DiscussionStarted { .. } => "GroupDiscussionStarted",
            Self::DiscussionCommented { .. } => "GroupDiscussionCommented",
            Self::DiscussionRenamed { .. } => "GroupDiscussionRenamed",
            Self::DiscussionArchived { .. } => "GroupDiscussionArchived",
            Self::DiscussionDeleted { .. } => "GroupDiscussionDeleted",
            Self::DiscussionCommentDeleted { .. } => "GroupDiscussionCommentDeleted",
            Self::DiscussionCommentEdited { .. } => "GroupDiscussionCommentEdited",
            Self::TodoListCreated { .. } => "GroupTodoListCreated",
            Self::TodoAdded { .. } => "GroupTodoAdded",
            Self::TodoUpdated { .. } => "GroupTodoUpdated",
            Self::TodoDeleted { .. } => "GroupTodoDeleted",
            Self::TodoListDeleted { .. } => "GroupTodoListDeleted",
            Self::ResourceAdded { .. } => "GroupResourceAdded",
            Self::ResourceEdited { .. } => "GroupResourceEdited",
            Self::ResourcePreviewed { .. } => "GroupResourcePreviewed",
            Self::ResourceMoved { .. } => "GroupResourceMoved",
            Self::ResourceDeleted { .. } => "GroupResourceDeleted",
            Self::Moderated { action, .. } => action.change_name(),
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
