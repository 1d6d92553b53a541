//! A group: a collective that organises over time. Its settings, its members (with their roles)
//! and its followers live inside the aggregate, so that every rule about them — who may invite,
//! approve, change roles, and that the last administrator stays — is decided in one place, safe
//! under concurrent requests. Members and followers are [`GroupActor`]s: local profiles now,
//! remote ActivityPub actors once groups federate.

mod changes;
mod commands;
pub mod details;
#[cfg(test)]
mod discussion_tests;
pub mod discussions;
pub mod members;
#[cfg(test)]
mod post_tests;
pub mod posts;
#[cfg(test)]
mod resource_tests;
pub mod resources;
mod rules;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod todo_tests;
pub mod todos;

pub use changes::GroupChange;
pub use commands::GroupCommand;
pub use details::{GroupDetails, GroupPatch, GroupVisibility, Openness};
pub use discussions::DiscussionState;
pub use members::{FollowState, GroupActor, MemberRole};
pub use posts::{PostContent, PostState, PostVisibility};
pub use resources::{LinkPreview, ResourceContent, ResourceKind, ResourcePatch, ResourceState};
pub use todos::{TodoContent, TodoState};

use crate::moderation::{Decision, GroupAction};
use crate::validation::FieldError;
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest message with a request to join.
pub const MESSAGE_MAX: usize = 1_000;

/// Names no group may take: the paths and words the instance's own pages and federation use.
pub const RESERVED_HANDLES: [&str; 24] = [
    "about",
    "admin",
    "administrator",
    "api",
    "assets",
    "convene",
    "events",
    "feed",
    "groups",
    "healthz",
    "inbox",
    "instance",
    "login",
    "logout",
    "me",
    "moderator",
    "outbox",
    "register",
    "relay",
    "root",
    "search",
    "settings",
    "static",
    "system",
];

/// Rules a group command can break, named after the rule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GroupError {
    #[error("some fields are invalid")]
    Invalid(Vec<FieldError>),
    #[error("there is no such group")]
    NotFound,
    #[error("a group with this handle already exists")]
    AlreadyExists,
    /// The acting member's role is below the one the action needs (named).
    #[error("this needs the role {} or above in the group", .0.as_str())]
    RoleNeeded(MemberRole),
    #[error("nobody may give a role above their own, or change the role of someone above them")]
    AboveOwnRole,
    #[error("the last administrator cannot leave or step down: make someone else an administrator first")]
    LastAdministrator,
    #[error("this group takes members by invitation only")]
    InviteOnly,
    #[error("{0} is already {1} in this group")]
    AlreadyIn(String, &'static str),
    #[error("{0} was not accepted in this group")]
    RejectedBefore(String),
    #[error("{0} has no membership in this group")]
    NotInGroup(String),
    /// A request to approve or reject that is not (or no longer) there: withdrawn, or never made.
    #[error("{0} has no request to join waiting: it was withdrawn, or never made")]
    NoRequest(String),
    #[error("{0} is {1} in this group, so this cannot be done")]
    WrongRole(String, &'static str),
    #[error("a role given is member, moderator or administrator")]
    RoleNotAssignable,
    #[error("only public groups can be followed")]
    NotFollowable,
    #[error("{0} already follows this group")]
    AlreadyFollowing(String),
    #[error("{0} does not follow this group")]
    NotFollowing(String),
    #[error("this group has no such post")]
    UnknownPost,
    #[error("this group has no such discussion")]
    UnknownDiscussion,
    #[error("this discussion has no such comment (it may have been deleted)")]
    UnknownComment,
    #[error("this discussion is archived: it takes no more comments")]
    DiscussionArchived,
    /// Only the one who wrote something may change what it says.
    #[error("only its author may change what it says")]
    AuthorOnly,
    #[error("this group has no such todo or todo list")]
    UnknownTodo,
    #[error("this group has no such resource")]
    UnknownResource,
    /// A moderators' decision that would change nothing.
    #[error("{0}")]
    AlreadyDecided(&'static str),
    /// Suspended by the instance's moderators: gone for everyone but them.
    #[error("this group is suspended by the instance's moderators")]
    SuspendedByModerators,
    /// Suspended by the instance's moderators: nothing is posted, organised or changed in it.
    #[error("this group is suspended by the instance's moderators: nothing can be posted or organised in it")]
    Suspended,
}

fn invalid(field: &str, message: impl Into<String>) -> GroupError {
    GroupError::Invalid(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

/// The id `object` a group's work (a resource, a todo list, a todo) keeps from another instance:
/// only a remote member's, and a web address.
fn check_object(by: &GroupActor, object: Option<&str>) -> Result<(), GroupError> {
    match (by, object) {
        (_, None) => Ok(()),
        (GroupActor::Remote(_), Some(id)) if crate::validation::is_web_url(id) => Ok(()),
        (GroupActor::Remote(_), Some(_)) => Err(invalid("object", "must be an http(s) URL")),
        (_, Some(_)) => Err(invalid(
            "object",
            "only what a member made on another instance keeps its id there",
        )),
    }
}

/// A group handle: a username's alphabet and length (`/@name` is a profile or a group), and
/// none of [`RESERVED_HANDLES`].
pub fn validate_handle(handle: &str) -> Result<(), GroupError> {
    if crate::profile::validate_username(handle).is_err() {
        return Err(invalid(
            "handle",
            format!(
                "a handle is 1 to {} characters among a-z, 0-9 and _",
                crate::profile::USERNAME_MAX
            ),
        ));
    }
    if RESERVED_HANDLES.contains(&handle) {
        return Err(invalid(
            "handle",
            format!("@{handle} is reserved by the instance: choose another handle"),
        ));
    }
    Ok(())
}

/// The state a group's decisions need.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    handle: Option<String>,
    details: Option<GroupDetails>,
    /// Every membership, whatever its role (those who left or were removed are gone).
    #[serde(with = "pairs")]
    members: BTreeMap<GroupActor, MemberRole>,
    #[serde(with = "pairs")]
    followers: BTreeMap<GroupActor, FollowState>,
    /// The posts, by id (deleted ones are gone).
    #[serde(default)]
    posts: BTreeMap<String, PostState>,
    /// The slugs of deleted posts: never given again, so an old link never opens another post.
    #[serde(default)]
    retired_slugs: std::collections::BTreeSet<String>,
    /// The discussions, by id (deleted ones are gone).
    #[serde(default)]
    discussions: BTreeMap<String, DiscussionState>,
    #[serde(default)]
    todo_lists: std::collections::BTreeSet<String>,
    #[serde(default)]
    todos: BTreeMap<String, TodoState>,
    /// The resources (folders and links), by id (deleted ones are gone).
    #[serde(default)]
    resources: BTreeMap<String, ResourceState>,
    /// The ids of the pictures shown as its avatar and its banner.
    #[serde(default)]
    avatar: Option<String>,
    #[serde(default)]
    banner: Option<String>,
    /// Suspended by the instance's moderators.
    #[serde(default)]
    suspended: bool,
}

/// Maps keyed by actors, stored in snapshots as lists of pairs (JSON keys are only strings).
mod pairs {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<K: Serialize, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(map.iter())
    }

    pub fn deserialize<'de, K, V, D>(deserializer: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

impl Group {
    /// Suspended by the instance's moderators.
    pub fn suspended(&self) -> bool {
        self.suspended
    }

    /// A moderator's decision, or why it would change nothing.
    fn moderate(
        &self,
        action: GroupAction,
        decision: Decision,
    ) -> Result<Vec<GroupChange>, GroupError> {
        if self.handle.is_none() {
            return Err(GroupError::NotFound);
        }
        let already = match action {
            GroupAction::Suspend => self.suspended.then_some("the group is already suspended"),
            GroupAction::Unsuspend => (!self.suspended).then_some("the group is not suspended"),
        };
        if let Some(already) = already {
            return Err(GroupError::AlreadyDecided(already));
        }
        Ok(vec![GroupChange::Moderated { action, decision }])
    }

    pub fn handle(&self) -> Option<&str> {
        self.handle.as_deref()
    }

    pub fn details(&self) -> Option<&GroupDetails> {
        self.details.as_ref()
    }

    pub fn role_of(&self, who: &GroupActor) -> Option<MemberRole> {
        self.members.get(who).copied()
    }

    pub fn members(&self) -> &BTreeMap<GroupActor, MemberRole> {
        &self.members
    }

    pub fn followers(&self) -> &BTreeMap<GroupActor, FollowState> {
        &self.followers
    }

    pub fn posts(&self) -> &BTreeMap<String, PostState> {
        &self.posts
    }

    pub fn discussions(&self) -> &BTreeMap<String, DiscussionState> {
        &self.discussions
    }

    pub fn resources(&self) -> &BTreeMap<String, ResourceState> {
        &self.resources
    }

    /// The id of the picture shown in `slot`, if any.
    pub fn picture(&self, slot: crate::picture::GroupPicture) -> Option<&str> {
        match slot {
            crate::picture::GroupPicture::Avatar => self.avatar.as_deref(),
            crate::picture::GroupPicture::Banner => self.banner.as_deref(),
        }
    }

    fn picture_mut(&mut self, slot: crate::picture::GroupPicture) -> &mut Option<String> {
        match slot {
            crate::picture::GroupPicture::Avatar => &mut self.avatar,
            crate::picture::GroupPicture::Banner => &mut self.banner,
        }
    }
}

impl Aggregate for Group {
    const TYPE: &'static str = "Group";
    type Command = GroupCommand;
    type Event = GroupChange;
    type Error = GroupError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        use GroupCommand as G;
        // A suspended group takes only its moderators' decisions, and its people leaving it.
        let leaving = matches!(
            command,
            G::Moderate { .. } | G::Leave { .. } | G::Unfollow { .. }
        );
        if self.suspended && !leaving {
            return Err(GroupError::Suspended);
        }
        let changes = match command {
            G::Create {
                handle,
                creator,
                details,
            } => self.create(handle, creator, details),
            G::Update { by, patch } => self.update(&by, patch),
            G::SetPicture { by, slot, picture } => self.set_picture(&by, slot, picture),
            G::RemovePicture { by, slot } => self.remove_picture(&by, slot),
            G::Join { who, message } => self.join(who, message),
            G::Invite { by, who } => self.invite(&by, who),
            G::AcceptInvitation { who } => self.accept_invitation(who),
            G::DeclineInvitation { who } => self.decline_invitation(who),
            G::Approve { by, who } => self.approve(&by, who),
            G::Reject { by, who } => self.reject(&by, who),
            G::Leave { who } => self.leave(who),
            G::ChangeRole { by, who, role } => self.change_role(&by, who, role),
            G::Remove { by, who } => self.remove(&by, who),
            G::Follow { who } => self.follow(who),
            G::Unfollow { who } => self.unfollow(who),
            G::ApproveFollower { by, who } => self.approve_follower(&by, who),
            G::RejectFollower { by, who } => self.reject_follower(&by, who),
            G::WritePost { by, post, content } => self.write_post(by, post, content),
            G::EditPost { by, post, content } => self.edit_post(&by, post, content),
            G::DeletePost { by, post } => self.delete_post(&by, post),
            G::PublishPost { post, now } => self.publish_post(post, now),
            G::PreviewResource {
                resource,
                url,
                preview,
            } => self.preview_resource(resource, url, preview),
            G::StartDiscussion {
                by,
                discussion,
                title,
                comment,
                body,
            } => self.start_discussion(by, discussion, &title, comment, &body),
            G::CommentOnDiscussion {
                by,
                discussion,
                comment,
                in_reply_to,
                body,
                note,
            } => {
                let place = (discussion, comment, in_reply_to);
                self.comment_on_discussion(by, place, &body, note)
            }
            G::ChangeDiscussion {
                by,
                discussion,
                title,
                archived,
            } => self.change_discussion(&by, discussion, title.as_deref(), archived),
            G::DeleteDiscussion { by, discussion } => self.delete_discussion(&by, discussion),
            G::DeleteDiscussionComment {
                by,
                discussion,
                comment,
            } => self.delete_discussion_comment(&by, discussion, comment),
            G::EditDiscussionComment {
                by,
                discussion,
                comment,
                body,
            } => self.edit_discussion_comment(&by, discussion, comment, &body),
            G::CreateTodoList {
                by,
                list,
                title,
                object,
            } => self.create_todo_list(&by, list, &title, object),
            G::AddTodo {
                by,
                list,
                todo,
                content,
                object,
            } => self.add_todo(&by, (list, todo), content, object),
            G::UpdateTodo { by, todo, content } => self.update_todo(&by, todo, content),
            G::DeleteTodo { by, todo } => self.delete_todo(&by, todo),
            G::DeleteTodoList { by, list } => self.delete_todo_list(&by, list),
            G::AddResource {
                by,
                resource,
                parent,
                content,
                object,
            } => self.add_resource(by, (resource, parent), content, object),
            G::EditResource {
                by,
                resource,
                patch,
            } => self.edit_resource(&by, resource, patch),
            G::MoveResource {
                by,
                resource,
                parent,
            } => self.move_resource(&by, resource, parent),
            G::ChangeResource {
                by,
                resource,
                patch,
                parent,
            } => {
                let mut changes = self.edit_resource(&by, resource.clone(), patch)?;
                changes.extend(self.move_resource(&by, resource, parent)?);
                Ok(changes)
            }
            G::DeleteResource { by, resource } => self.delete_resource(&by, resource),
            G::Moderate { action, decision } => self.moderate(action, decision),
        }?;
        for change in changes {
            sink.write(change, self).await;
        }
        Ok(())
    }

    /// Every change sets state rather than adding to it, so applying one twice (as cqrs-es's
    /// snapshot store does) leaves the state as applying it once.
    fn apply(&mut self, change: Self::Event) {
        use GroupChange as C;
        match change {
            C::Created {
                handle,
                creator,
                details,
            } => {
                self.handle = Some(handle);
                self.details = Some(details);
                self.members.insert(creator, MemberRole::Creator);
            }
            C::Updated { details, .. } => self.details = Some(details),
            C::PictureSet { slot, picture } => *self.picture_mut(slot) = Some(picture.id),
            C::PictureRemoved { slot } => *self.picture_mut(slot) = None,
            C::MemberJoined { who, role, .. } | C::MemberRoleChanged { who, role } => {
                self.members.insert(who, role);
            }
            C::MemberInvited { who } => {
                self.members.insert(who, MemberRole::Invited);
            }
            C::InvitationAccepted { who } | C::MemberApproved { who } => {
                self.members.insert(who, MemberRole::Member);
            }
            C::MemberRejected { who } => {
                self.members.insert(who, MemberRole::Rejected);
            }
            C::InvitationDeclined { who } | C::MemberLeft { who } | C::MemberRemoved { who } => {
                self.members.remove(&who);
            }
            C::Followed { who, state } => {
                self.followers.insert(who, state);
            }
            C::FollowerApproved { who } => {
                self.followers.insert(who, FollowState::Approved);
            }
            C::Unfollowed { who } | C::FollowerRejected { who } => {
                self.followers.remove(&who);
            }
            C::PostCreated { .. }
            | C::PostEdited { .. }
            | C::PostPublished { .. }
            | C::PostDeleted { .. } => self.apply_post(&change),
            C::DiscussionStarted { .. }
            | C::DiscussionCommented { .. }
            | C::DiscussionRenamed { .. }
            | C::DiscussionArchived { .. }
            | C::DiscussionDeleted { .. }
            | C::DiscussionCommentDeleted { .. }
            | C::DiscussionCommentEdited { .. } => self.apply_discussion(&change),
            C::TodoListCreated { .. }
            | C::TodoAdded { .. }
            | C::TodoUpdated { .. }
            | C::TodoDeleted { .. }
            | C::TodoListDeleted { .. } => self.apply_todo(&change),
            C::ResourceAdded { .. }
            | C::ResourceEdited { .. }
            | C::ResourceMoved { .. }
            | C::ResourcePreviewed { .. }
            | C::ResourceDeleted { .. } => self.apply_resource(&change),
            C::Moderated { action, .. } => self.suspended = action == GroupAction::Suspend,
        }
    }
}
