//! The kinds of notification, how each is delivered unless the person chose otherwise, and the
//! three deliveries a person may choose from.

use serde::{Deserialize, Serialize};

/// What a notification is about. The name is stored and is the key of its templates and of
/// each person's setting: add kinds, never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Someone asks to join an event that needs approval (to its organisers).
    JoinRequest,
    /// Someone takes a seat (to its organisers).
    NewParticipant,
    /// An organiser approved the person's request (to the participant).
    Approved,
    /// An organiser declined it.
    Rejected,
    /// A seat freed and the person, first on the waitlist, took it.
    Promoted,
    /// The event's time, place or online link changed (to everyone taking part or waiting).
    EventChanged,
    EventCancelled,
    EventDeleted,
    /// An organiser's announcement (to everyone taking part or waiting).
    Announcement,
    /// Someone answered the person's comment.
    CommentReply,
    /// An event the person takes part in begins soon (at the times the person chose).
    Reminder,
    /// Someone asks to join a moderated group (to its moderators and administrators).
    GroupJoinRequest,
    /// Someone named the person (`@username`) in a comment.
    Mention,
    /// A group's moderator invited the person's profile to join.
    GroupInvitation,
    /// The group's moderators approved the person's request to join.
    GroupApproved,
    /// They declined it (with their reason, when they gave one).
    GroupRejected,
    /// The moderators handled the person's report (never saying who, nor their reason).
    ReportHandled,
    /// The moderators warned the account: always mailed, whatever the settings say.
    ModerationWarning,
}

impl Kind {
    pub const ALL: [Kind; 18] = [
        Kind::JoinRequest,
        Kind::NewParticipant,
        Kind::Approved,
        Kind::Rejected,
        Kind::Promoted,
        Kind::EventChanged,
        Kind::EventCancelled,
        Kind::EventDeleted,
        Kind::Announcement,
        Kind::CommentReply,
        Kind::Reminder,
        Kind::GroupJoinRequest,
        Kind::Mention,
        Kind::GroupInvitation,
        Kind::GroupApproved,
        Kind::GroupRejected,
        Kind::ReportHandled,
        Kind::ModerationWarning,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::JoinRequest => "join_request",
            Kind::NewParticipant => "new_participant",
            Kind::Approved => "approved",
            Kind::Rejected => "rejected",
            Kind::Promoted => "promoted",
            Kind::EventChanged => "event_changed",
            Kind::EventCancelled => "event_cancelled",
            Kind::EventDeleted => "event_deleted",
            Kind::Announcement => "announcement",
            Kind::CommentReply => "comment_reply",
            Kind::Reminder => "reminder",
            Kind::GroupJoinRequest => "group_join_request",
            Kind::Mention => "mention",
            Kind::GroupInvitation => "group_invitation",
            Kind::GroupApproved => "group_approved",
            Kind::GroupRejected => "group_rejected",
            Kind::ReportHandled => "report_handled",
            Kind::ModerationWarning => "moderation_warning",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether a person may choose how this kind reaches them: a moderators' warning is not
    /// theirs to turn off (nor to put off until a digest).
    pub fn chosen_by_person(self) -> bool {
        self != Kind::ModerationWarning
    }

    /// The kinds a person chooses the delivery of.
    pub fn chosen() -> impl Iterator<Item = Kind> {
        Kind::ALL.into_iter().filter(|k| k.chosen_by_person())
    }

    /// Participants hear of what happens to them and to the event at once; organisers get
    /// requests at once and new participants in the digest.
    pub fn default_delivery(self) -> Delivery {
        match self {
            Kind::NewParticipant => Delivery::Digest,
            _ => Delivery::Mail,
        }
    }
}

/// How a person wants a kind delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// A mail at once (and the inbox).
    Mail,
    /// The inbox now, and the daily digest.
    Digest,
    /// Nothing.
    Off,
}

impl Delivery {
    pub const ALL: [Delivery; 3] = [Delivery::Mail, Delivery::Digest, Delivery::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Mail => "mail",
            Delivery::Digest => "digest",
            Delivery::Off => "off",
        }
    }

    pub fn parse(name: &str) -> Option<Delivery> {
        Delivery::ALL.into_iter().find(|d| d.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::Value::from(kind.as_str()))
            );
        }
        for delivery in Delivery::ALL {
            assert_eq!(Delivery::parse(delivery.as_str()), Some(delivery));
        }
        assert_eq!(Kind::parse("nope"), None);
    }
}
