use super::details::{EventDetails, EventPatch};
use super::participation::{ParticipantState, RemoteParticipant};
use super::remote::{RemoteAuthor, RemoteOrigin};
use super::GroupLink;
use crate::moderation::{ContentAction, Decision};
use crate::picture::ShownPicture;

/// What can be asked of an event. `by` is the acting profile's username (the caller has already
/// checked that the profile belongs to the account acting).
#[derive(Debug, Clone, PartialEq)]
pub enum EventCommand {
    Create {
        organiser: String,
        /// The id of the organiser's own participation (role `creator`).
        creator_participation: String,
        details: EventDetails,
        draft: bool,
    },
    /// Create an event organised by a group; `organiser` (one of its moderators or above, as
    /// the caller checked) becomes the creator.
    CreateForGroup {
        organiser: String,
        creator_participation: String,
        details: EventDetails,
        draft: bool,
        group: GroupLink,
    },
    /// `by` is a profile's username, or the handle of the group organising the event when one
    /// of the group's moderators acts (the caller checked the role).
    Update {
        by: String,
        patch: EventPatch,
    },
    /// Change whether a group's event is for its members only and whether it hides which
    /// member organised it; `by` is the group's handle (one of its moderators acts, as the
    /// caller checked).
    ChangeGroupOptions {
        by: String,
        members_only: bool,
        hide_organiser: bool,
    },
    Publish {
        by: String,
    },
    Cancel {
        by: String,
    },
    Delete {
        by: String,
    },
    /// Show `picture` on the event (replacing any other); the caller checked that it is an
    /// event picture uploaded by the acting profile and not discarded.
    SetPicture {
        by: String,
        picture: ShownPicture,
    },
    RemovePicture {
        by: String,
    },
    Join {
        participation: String,
        profile: String,
        message: Option<String>,
    },
    JoinAnonymously {
        participation: String,
        email: String,
        message: Option<String>,
        /// SHA-256 (hex) of the tokens sent by email; the tokens themselves are never stored.
        confirm_token: String,
        cancel_token: String,
    },
    ConfirmAnonymous {
        confirm_token: String,
    },
    Leave {
        profile: String,
    },
    LeaveAnonymously {
        cancel_token: String,
    },
    /// A `Join` from someone on another instance.
    JoinRemote {
        participation: String,
        who: RemoteParticipant,
        message: Option<String>,
    },
    /// Their `Leave`, or the `Undo` of their `Join`.
    LeaveRemote {
        actor: String,
    },
    /// The `Accept` (or `Reject`) by `actor` of the `Join` that local `profile` sent to this
    /// remote event's instance.
    AnswerRemoteJoin {
        actor: String,
        profile: String,
        accepted: bool,
    },
    Approve {
        by: String,
        participation: String,
    },
    Reject {
        by: String,
        participation: String,
    },
    ChangeRole {
        by: String,
        participation: String,
        role: ParticipantState,
    },
    PostComment {
        comment: String,
        by: String,
        in_reply_to: Option<String>,
        body: String,
        announcement: bool,
    },
    EditComment {
        comment: String,
        by: String,
        body: String,
    },
    DeleteComment {
        comment: String,
        by: String,
    },
    /// Record an event organised on another instance (its Create, or an Announce of it).
    Import {
        origin: RemoteOrigin,
        details: EventDetails,
        /// One of our groups, when one of its members elsewhere organised the event for it
        /// (the caller checked the member's role).
        group: Option<GroupLink>,
    },
    /// The remote organiser `actor` describes its event anew (an Update). `group`: the group
    /// elsewhere the event is for as the group itself sends it (for its members only, or not);
    /// none from anyone else.
    UpdateRemote {
        actor: String,
        details: EventDetails,
        group: Option<GroupLink>,
    },
    /// A remote actor's reply to the event or one of its comments.
    PostRemoteComment {
        comment: String,
        author: RemoteAuthor,
        in_reply_to: Option<String>,
        body: String,
        /// The usernames of the local profiles it mentions.
        mentions: Vec<String>,
    },
    /// The remote `actor` sent a new description of itself (an `Update` of its actor): how the
    /// event names it (as organiser, participant or comment author) follows. `former_handle` is
    /// how it was written before, which the event's comments name it by.
    DescribeRemoteActor {
        actor: String,
        former_handle: String,
        handle: String,
        name: Option<String>,
    },
    /// The remote organiser `actor` deleted its event.
    DeleteRemote {
        actor: String,
    },
    /// An instance moderator's decision (the caller checked the role and the decision's
    /// fields).
    Moderate {
        action: ContentAction,
        decision: Decision,
    },
    /// Several decisions of one moderator at once (a revert's): each checked against the event
    /// as the ones before it leave it, all recorded or none.
    ModerateAll {
        actions: Vec<ContentAction>,
        decision: Decision,
    },
}
