use super::details::{GroupDetails, GroupPatch};
use super::members::{GroupActor, MemberRole};
use super::posts::PostContent;
use super::resources::{ResourceContent, ResourcePatch};
use super::todos::TodoContent;
use crate::moderation::{Decision, GroupAction};
use crate::picture::{GroupPicture, ShownPicture};

/// What can be asked of a group. `by` and `who` name the acting member or follower (the caller
/// has already checked that a local profile belongs to the account acting). The reason, when
/// one is given, travels in the change's metadata.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupCommand {
    /// Create the group whose handle is the aggregate id; `creator` becomes its `creator`.
    Create {
        handle: String,
        creator: GroupActor,
        details: GroupDetails,
    },
    Update {
        by: GroupActor,
        patch: GroupPatch,
    },
    /// Show `picture` as the group's avatar or banner (administrators); the caller checked that
    /// it is an upload of the acting profile's, for this place, not discarded.
    SetPicture {
        by: GroupActor,
        slot: GroupPicture,
        picture: ShownPicture,
    },
    RemovePicture {
        by: GroupActor,
        slot: GroupPicture,
    },
    /// Join an open group, or ask to join a moderated one.
    Join {
        who: GroupActor,
        message: Option<String>,
    },
    Invite {
        by: GroupActor,
        who: GroupActor,
    },
    AcceptInvitation {
        who: GroupActor,
    },
    DeclineInvitation {
        who: GroupActor,
    },
    Approve {
        by: GroupActor,
        who: GroupActor,
    },
    Reject {
        by: GroupActor,
        who: GroupActor,
    },
    /// Leave the group, or withdraw a request to join.
    Leave {
        who: GroupActor,
    },
    ChangeRole {
        by: GroupActor,
        who: GroupActor,
        role: MemberRole,
    },
    Remove {
        by: GroupActor,
        who: GroupActor,
    },
    Follow {
        who: GroupActor,
    },
    Unfollow {
        who: GroupActor,
    },
    ApproveFollower {
        by: GroupActor,
        who: GroupActor,
    },
    RejectFollower {
        by: GroupActor,
        who: GroupActor,
    },
    /// Write post `post` (a new id), moderators and above.
    WritePost {
        by: GroupActor,
        post: String,
        content: PostContent,
    },
    /// Replace post `post`'s content, moderators and above.
    EditPost {
        by: GroupActor,
        post: String,
        content: PostContent,
    },
    DeletePost {
        by: GroupActor,
        post: String,
    },
    /// Record the preview the instance fetched of link `resource` at `url` (the instance's own
    /// command; nothing is written for a link changed or previewed since).
    PreviewResource {
        resource: String,
        url: String,
        preview: super::resources::LinkPreview,
    },
    /// Publish post `post` if its publication time has come by `now`: the instance's own
    /// command, made by its schedule (nothing is written when it is not due).
    PublishPost {
        post: String,
        now: time::OffsetDateTime,
    },
    /// Start discussion `discussion` (a new id) with its first comment `comment` (members).
    StartDiscussion {
        by: GroupActor,
        discussion: String,
        title: String,
        comment: String,
        body: String,
    },
    /// Comment (a new id), or reply to comment `in_reply_to` (members).
    CommentOnDiscussion {
        by: GroupActor,
        discussion: String,
        comment: String,
        in_reply_to: Option<String>,
        body: String,
        /// The `Note`'s id when it was written on another instance.
        note: Option<String>,
    },
    /// The author or a moderator renames it and/or puts it in or out of the archive: both
    /// checked before either is recorded.
    ChangeDiscussion {
        by: GroupActor,
        discussion: String,
        title: Option<String>,
        archived: Option<bool>,
    },
    /// The author or a moderator.
    DeleteDiscussion {
        by: GroupActor,
        discussion: String,
    },
    /// The comment's author or a moderator.
    DeleteDiscussionComment {
        by: GroupActor,
        discussion: String,
        comment: String,
    },
    /// Replace what comment `comment` says: its author only, while the discussion is open.
    EditDiscussionComment {
        by: GroupActor,
        discussion: String,
        comment: String,
        body: String,
    },
    /// Create todo list `list` (a new id), members; `object` as for [`Self::AddResource`].
    CreateTodoList {
        by: GroupActor,
        list: String,
        title: String,
        object: Option<String>,
    },
    /// Add todo `todo` (a new id) to list `list`, members; `object` as for
    /// [`Self::AddResource`].
    AddTodo {
        by: GroupActor,
        list: String,
        todo: String,
        content: TodoContent,
        object: Option<String>,
    },
    /// Replace what todo `todo` says (done or not included), members.
    UpdateTodo {
        by: GroupActor,
        todo: String,
        content: TodoContent,
    },
    /// Delete todo `todo`, members.
    DeleteTodo {
        by: GroupActor,
        todo: String,
    },
    /// Delete todo list `list` with its todos, members.
    DeleteTodoList {
        by: GroupActor,
        list: String,
    },
    /// Add resource `resource` (a new id) in folder `parent` (none: at the top), members.
    /// `object` is its id on the instance of the remote member `by` who made it there (only
    /// theirs: the group relays it under that id).
    AddResource {
        by: GroupActor,
        resource: String,
        parent: Option<String>,
        content: ResourceContent,
        object: Option<String>,
    },
    /// Rename a resource or change what a link says, members.
    EditResource {
        by: GroupActor,
        resource: String,
        patch: ResourcePatch,
    },
    /// Move a resource into folder `parent` (none: the top), never a folder into itself or
    /// one of its own folders; members.
    MoveResource {
        by: GroupActor,
        resource: String,
        parent: Option<String>,
    },
    /// Edit a resource and move it into folder `parent` at once (a member elsewhere's `Update`
    /// says both), members: nothing is applied when either is refused.
    ChangeResource {
        by: GroupActor,
        resource: String,
        patch: ResourcePatch,
        parent: Option<String>,
    },
    /// Delete a resource, a folder with everything in it; members.
    DeleteResource {
        by: GroupActor,
        resource: String,
    },
    /// An instance moderator's decision (the caller checked the role and the decision's
    /// fields).
    Moderate {
        action: GroupAction,
        decision: Decision,
    },
}
