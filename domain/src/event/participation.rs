//! Who takes part in an event, and in what state (Mobilizon's states, plus a waitlist).

use serde::{Deserialize, Serialize};

/// A participation's state. Organisers are `creator`, `administrator` or `moderator`; only
/// `participant` takes a seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ParticipantState {
    /// Asked to join an event that needs approval.
    NotApproved,
    /// Joined anonymously and has not yet followed the link sent by email.
    NotConfirmed,
    Rejected,
    /// Accepted, waiting for a seat; promoted in order when one frees.
    Waitlisted,
    Participant,
    Moderator,
    Administrator,
    Creator,
}

impl ParticipantState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotApproved => "not_approved",
            Self::NotConfirmed => "not_confirmed",
            Self::Rejected => "rejected",
            Self::Waitlisted => "waitlisted",
            Self::Participant => "participant",
            Self::Moderator => "moderator",
            Self::Administrator => "administrator",
            Self::Creator => "creator",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::NotApproved,
            Self::NotConfirmed,
            Self::Rejected,
            Self::Waitlisted,
            Self::Participant,
            Self::Moderator,
            Self::Administrator,
            Self::Creator,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// May manage participants and moderate comments.
    pub fn is_organiser(self) -> bool {
        matches!(self, Self::Moderator | Self::Administrator | Self::Creator)
    }

    /// May edit, publish, cancel and delete the event, and change roles.
    pub fn is_administrator(self) -> bool {
        matches!(self, Self::Administrator | Self::Creator)
    }

    /// Counted as going to the event.
    pub fn is_going(self) -> bool {
        self == Self::Participant || self.is_organiser()
    }
}

/// Who a participation belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Participant {
    Profile(String),
    /// Someone without an account, known by the email they confirm.
    Anonymous {
        email: String,
    },
}

/// One participation as the aggregate remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participation {
    pub id: String,
    pub who: Participant,
    pub state: ParticipantState,
    /// SHA-256 (hex) of the anonymous participant's confirmation and cancellation tokens.
    pub confirm_token: Option<String>,
    pub cancel_token: Option<String>,
}
