//! The activity envelopes: Create, Update, Delete, Join, Leave, Accept, Reject, Announce,
//! Follow, Undo, a group's Invite and Remove of members, and the Add and Move of a group's
//! resources that Mobilizon's members send.

use super::{base, timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ActivityKind {
    Create,
    Update,
    Delete,
    Join,
    Leave,
    Accept,
    Reject,
    Announce,
    Follow,
    Undo,
    Invite,
    Remove,
    /// A report to the moderators of the instance holding the reported content.
    Flag,
    /// A link or folder added into one of a group's folders (Mobilizon's, `target` the folder).
    Add,
    /// A link or folder moved to another of a group's folders (Mobilizon's: the object's
    /// `context` where it goes, `origin` and `target` the folders it leaves and enters).
    Move,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 15] = [
        Self::Create,
        Self::Update,
        Self::Delete,
        Self::Join,
        Self::Leave,
        Self::Accept,
        Self::Reject,
        Self::Announce,
        Self::Follow,
        Self::Undo,
        Self::Invite,
        Self::Remove,
        Self::Flag,
        Self::Add,
        Self::Move,
    ];

    /// The ActivityStreams type name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Create => "Create",
            Self::Update => "Update",
            Self::Delete => "Delete",
            Self::Join => "Join",
            Self::Leave => "Leave",
            Self::Accept => "Accept",
            Self::Reject => "Reject",
            Self::Announce => "Announce",
            Self::Follow => "Follow",
            Self::Undo => "Undo",
            Self::Invite => "Invite",
            Self::Remove => "Remove",
            Self::Flag => "Flag",
            Self::Add => "Add",
            Self::Move => "Move",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// The outbox's id rule: the activity of kind `kind` that the change at `sequence` of aggregate
/// `aggregate` gives is `{public_url}/activities/{aggregate}/{sequence}/{kind in lower case}`.
///
/// It depends on nothing but the change, so rebuilding the outbox from the log derives the same
/// ids (and a receiver's dedupe by id sees a resend as the same activity); the kind tells apart
/// the several activities one change may give (a `Create` and the instance actor's `Announce`).
pub fn activity_id(public_url: &str, aggregate: &str, sequence: u64, kind: ActivityKind) -> String {
    format!(
        "{}/activities/{aggregate}/{sequence}/{}",
        base(public_url),
        kind.name().to_ascii_lowercase()
    )
}

/// An activity as sent: `object` is an embedded object (without its own `@context`) or a bare id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    #[serde(rename = "type")]
    pub kind: ActivityKind,
    pub id: String,
    pub actor: String,
    pub object: Value,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// The message of a `Join` (Mobilizon's `participationMessage`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participation_message: Option<String>,
    /// Who an `Invite` invites (Mobilizon's `target`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The group a member is removed from (Mobilizon's `Remove` names it as `origin`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The group a membership activity is about, as Mobilizon attributes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributed_to: Option<String>,
    /// What a `Flag` says to the other instance's moderators, as plain text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// How `content` is written (`text/plain` for a `Flag`, as Mobilizon sends it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

impl Activity {
    /// An activity of `actor` about `object` (any serialisable object, or a `Value::String` id).
    pub fn new(
        id: String,
        kind: ActivityKind,
        actor: &str,
        object: impl Serialize,
        to: Vec<String>,
        cc: Vec<String>,
        published: OffsetDateTime,
    ) -> Activity {
        let mut object = serde_json::to_value(object).unwrap_or(Value::Null);
        if let Some(map) = object.as_object_mut() {
            map.remove("@context");
        }
        Activity {
            context: Some(crate::context::context()),
            kind,
            id,
            actor: actor.into(),
            object,
            to,
            cc,
            published: Some(timestamp(published)),
            participation_message: None,
            target: None,
            origin: None,
            attributed_to: None,
            content: None,
            media_type: None,
        }
    }
}
