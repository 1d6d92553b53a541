use super::details::EventDetails;
use super::participation::{Participant, ParticipantState};
use super::remote::{RemoteAuthor, RemoteOrigin};
use super::GroupLink;
use crate::moderation::{ContentAction, Decision};
use crate::picture::ShownPicture;
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

/// What happened to an event, its participations and its comments. Stored forever: add
/// variants and defaulted fields, never rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EventChange {
    Created {
        /// Stored as `organizer`, the name the log has always had.
        #[serde(rename = "organizer")]
        organiser: String,
        creator_participation: String,
        details: EventDetails,
        draft: bool,
    },
    /// An event organised on another instance, received over ActivityPub: published, with no
    /// local organiser.
    Imported {
        origin: RemoteOrigin,
        details: EventDetails,
    },
    /// The whole details after the update, and which fields it changed.
    Updated {
        details: EventDetails,
        fields: Vec<String>,
    },
    /// The event is the group's (recorded right after `Created`, for events a group organises).
    OrganisedByGroup {
        group: GroupLink,
    },
    /// The group organising the event changed who sees it or whom it shows as organiser.
    GroupOptionsChanged {
        group: GroupLink,
    },
    /// The event shows this picture (replacing the one it showed, if any).
    PictureSet {
        picture: ShownPicture,
    },
    PictureRemoved,
    Published,
    Cancelled,
    Deleted,
    /// A participation began, in `state` (participant, not_approved or waitlisted).
    Joined {
        participation: String,
        who: Participant,
        state: ParticipantState,
        message: Option<String>,
        confirm_token: Option<String>,
        cancel_token: Option<String>,
    },
    /// An anonymous participant followed the link; now in `state`.
    Confirmed {
        participation: String,
        state: ParticipantState,
    },
    Left {
        participation: String,
    },
    /// An organiser approved; `state` is participant, or waitlisted when no seat was free.
    Approved {
        participation: String,
        state: ParticipantState,
    },
    Rejected {
        participation: String,
    },
    /// A seat freed and the first in line took it.
    Promoted {
        participation: String,
    },
    RoleChanged {
        participation: String,
        role: ParticipantState,
    },
    CommentPosted {
        comment: String,
        author: String,
        in_reply_to: Option<String>,
        body: String,
        announcement: bool,
    },
    CommentEdited {
        comment: String,
        body: String,
    },
    /// A comment from another instance (its author is a remote actor, never a profile here).
    RemoteCommentPosted {
        comment: String,
        author: RemoteAuthor,
        in_reply_to: Option<String>,
        body: String,
        /// The local profiles the comment names (its `Mention` tags whose actor is one of
        /// ours), once each, at most [`REMOTE_MENTIONS_MAX`](super::REMOTE_MENTIONS_MAX).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mentions: Vec<String>,
    },
    CommentDeleted {
        comment: String,
    },
    /// A remote actor named in the event (its organiser, a participant, a comment's author)
    /// described itself anew: from now on it is written `handle` (its comments were by
    /// `former_handle`) and, as the organiser, called `name`.
    RemoteActorDescribed {
        actor: String,
        former_handle: String,
        handle: String,
        name: Option<String>,
    },
    /// A moderators' decision on the event or one of its comments (its name in the log is the
    /// action's: EventHidden, CommentRemoved…).
    Moderated {
        action: ContentAction,
        decision: Decision,
    },
}

impl DomainEvent for EventChange {
    fn event_type(&self) -> String {
        match self {
            Self::Created { .. } => "EventCreated",
            Self::Imported { .. } => "EventImported",
            Self::Updated { .. } => "EventUpdated",
            Self::OrganisedByGroup { .. } => "EventOrganisedByGroup",
            Self::GroupOptionsChanged { .. } => "EventGroupOptionsChanged",
            Self::PictureSet { .. } => "EventPictureSet",
            Self::PictureRemoved => "EventPictureRemoved",
            Self::Published => "EventPublished",
            Self::Cancelled => "EventCancelled",
            Self::Deleted => "EventDeleted",
            Self::Joined { .. } => "ParticipantJoined",
            Self::Confirmed { .. } => "ParticipantConfirmed",
            Self::Left { .. } => "ParticipantLeft",
            Self::Approved { .. } => "ParticipantApproved",
            Self::Rejected { .. } => "ParticipantRejected",
            Self::Promoted { .. } => "ParticipantPromoted",
            Self::RoleChanged { .. } => "ParticipantRoleChanged",
            Self::CommentPosted { .. } => "CommentPosted",
            Self::CommentEdited { .. } => "CommentEdited",
            Self::RemoteCommentPosted { .. } => "RemoteCommentPosted",
            Self::CommentDeleted { .. } => "CommentDeleted",
            Self::RemoteActorDescribed { .. } => "RemoteActorDescribed",
            Self::Moderated { action, .. } => action.change_name(),
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
