//! Moderators' decisions: what every decision carries (who, why, the report it answers, when it
//! ends by itself) and what can be decided on content. The decisions themselves are changes of
//! the object decided on (an event's `Moderated` change), so an object's own history tells its
//! moderation, and folding it up to a position shows whether it was hidden or removed then.

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Longest reason, in characters.
pub const REASON_MAX: usize = 2_000;
/// Longest public comment on a decision, in characters.
pub const PUBLIC_COMMENT_MAX: usize = 500;

/// What every decision carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The moderator's account id; none when the instance itself ended a timed decision.
    pub moderator: Option<String>,
    /// Why (required): also recorded as the change's metadata `reason`.
    pub reason: String,
    /// The report this decision answers, if one does.
    #[serde(default)]
    pub report: Option<String>,
    /// When the decision ends by itself (fixed-width UTC, as the log writes times).
    #[serde(default)]
    pub until: Option<String>,
    /// What the moderators say of it for everyone to read (the public transparency log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_comment: Option<String>,
}

fn invalid(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

impl Decision {
    /// A decision by `moderator` for `reason`, answering no report, without an end or a public
    /// comment.
    pub fn plain(moderator: &str, reason: &str) -> Self {
        Self {
            moderator: Some(moderator.into()),
            reason: reason.into(),
            report: None,
            until: None,
            public_comment: None,
        }
    }

    /// A moderator's decision made at `now`, or the field at fault: the reason is required
    /// (1 to [`REASON_MAX`] characters, no control characters but line breaks), and an end, when
    /// given, lies in the future.
    pub fn by_moderator(
        moderator: String,
        reason: &str,
        report: Option<String>,
        until: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<Self, FieldError> {
        let reason = reason.trim();
        let length = reason.chars().count();
        if length == 0 || length > REASON_MAX {
            return Err(invalid(
                "reason",
                format!("required: say why, in 1 to {REASON_MAX} characters"),
            ));
        }
        if reason
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(invalid("reason", "control characters are not allowed"));
        }
        if let Some(until) = until {
            if until <= now {
                return Err(invalid(
                    "until",
                    "the end of a decision must be in the future",
                ));
            }
        }
        Ok(Self {
            moderator: Some(moderator),
            reason: reason.to_string(),
            report: report.filter(|r| !r.trim().is_empty()),
            until: until.map(crate::metadata::format_timestamp),
            public_comment: None,
        })
    }

    /// The same decision with a comment for everyone to read (blank: none), or the field at
    /// fault: one line of at most [`PUBLIC_COMMENT_MAX`] characters.
    pub fn with_public_comment(mut self, comment: Option<&str>) -> Result<Self, FieldError> {
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if let Some(comment) = comment {
            if comment.chars().count() > PUBLIC_COMMENT_MAX || comment.chars().any(char::is_control)
            {
                return Err(invalid(
                    "public_comment",
                    format!(
                        "one line of at most {PUBLIC_COMMENT_MAX} characters, for everyone to read"
                    ),
                ));
            }
        }
        self.public_comment = comment.map(str::to_string);
        Ok(self)
    }

    /// The instance ending a timed decision by itself.
    pub fn expired(report: Option<String>) -> Self {
        Self {
            moderator: None,
            reason: "the decision's time ran out".into(),
            report,
            until: None,
            public_comment: None,
        }
    }
}

/// What moderators decide on an event or one of its comments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ContentAction {
    /// Out of public listings and search; still reachable by its link.
    Hide,
    Unhide,
    /// Others see a tombstone; the content stays in the log for moderators.
    Remove,
    Restore,
    /// No more comments (organisers' announcements still go through).
    CloseComments,
    ReopenComments,
    /// One comment replaced by a tombstone for everyone but moderators.
    RemoveComment {
        comment: String,
    },
    RestoreComment {
        comment: String,
    },
}

impl ContentAction {
    /// The name of the change it records, as the log and the audit trail name it.
    pub fn change_name(&self) -> &'static str {
        match self {
            Self::Hide => "EventHidden",
            Self::Unhide => "EventUnhidden",
            Self::Remove => "EventRemoved",
            Self::Restore => "EventRestored",
            Self::CloseComments => "EventCommentsClosed",
            Self::ReopenComments => "EventCommentsReopened",
            Self::RemoveComment { .. } => "CommentRemoved",
            Self::RestoreComment { .. } => "CommentRestored",
        }
    }

    /// The action undoing this one, for those that can end by themselves.
    pub fn reversal(&self) -> Option<Self> {
        match self {
            Self::Hide => Some(Self::Unhide),
            Self::Remove => Some(Self::Restore),
            Self::CloseComments => Some(Self::ReopenComments),
            Self::RemoveComment { comment } => Some(Self::RestoreComment {
                comment: comment.clone(),
            }),
            _ => None,
        }
    }
}

/// What moderators decide on an account: suspend it (login refused, its profiles' public content
/// hidden, its data kept) and lift that, warn it (a mailed message, kept as a strike), or lock it
/// out until its password is reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccountAction {
    Suspend,
    Unsuspend,
    /// Every profile of the account limited at once (its events out of public listings and
    /// search), those it creates later included; it can still act.
    Limit,
    Unlimit,
    Warn,
    /// Every session closed and login refused until the password is reset through the mailed
    /// link (a hijacked account's first aid); the reset ends it.
    LockOut,
}

impl AccountAction {
    pub fn change_name(self) -> &'static str {
        match self {
            Self::Suspend => "AccountSuspended",
            Self::Unsuspend => "AccountUnsuspended",
            Self::Limit => "AccountLimited",
            Self::Unlimit => "AccountUnlimited",
            Self::Warn => "AccountWarned",
            Self::LockOut => "AccountLockedOut",
        }
    }

    /// The action undoing this one, for those that can end by themselves.
    pub fn reversal(self) -> Option<Self> {
        match self {
            Self::Suspend => Some(Self::Unsuspend),
            Self::Limit => Some(Self::Unlimit),
            _ => None,
        }
    }

    /// What undoes this one, or what this one undoes: none for a warning or a lock-out.
    pub fn opposite(self) -> Option<Self> {
        match self {
            Self::Suspend => Some(Self::Unsuspend),
            Self::Unsuspend => Some(Self::Suspend),
            Self::Limit => Some(Self::Unlimit),
            Self::Unlimit => Some(Self::Limit),
            Self::Warn | Self::LockOut => None,
        }
    }

    /// Whether it puts a decision in force (suspend, limit) rather than lifting one.
    pub fn imposes(self) -> bool {
        matches!(self, Self::Suspend | Self::Limit)
    }
}

/// What moderators decide on one profile: suspend it (its public content hidden, its data kept)
/// or limit it (its events out of public listings and search, still reached by their link and
/// by those taking part), and lift each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProfileAction {
    Suspend,
    Unsuspend,
    Limit,
    Unlimit,
}

impl ProfileAction {
    pub fn change_name(self) -> &'static str {
        match self {
            Self::Suspend => "ProfileSuspended",
            Self::Unsuspend => "ProfileUnsuspended",
            Self::Limit => "ProfileLimited",
            Self::Unlimit => "ProfileUnlimited",
        }
    }

    /// The action undoing this one, for those that can end by themselves.
    pub fn reversal(self) -> Option<Self> {
        match self {
            Self::Suspend => Some(Self::Unsuspend),
            Self::Limit => Some(Self::Unlimit),
            _ => None,
        }
    }

    /// The opposite action: what undoes this one, or what this one undoes.
    pub fn opposite(self) -> Self {
        match self {
            Self::Suspend => Self::Unsuspend,
            Self::Unsuspend => Self::Suspend,
            Self::Limit => Self::Unlimit,
            Self::Unlimit => Self::Limit,
        }
    }

    /// Whether it decides on a suspension (else on a limit): the two stand apart.
    pub fn on_suspension(self) -> bool {
        matches!(self, Self::Suspend | Self::Unsuspend)
    }

    /// Whether it puts a decision in force (suspend, limit) rather than lifting one.
    pub fn imposes(self) -> bool {
        matches!(self, Self::Suspend | Self::Limit)
    }
}

/// What moderators decide on a group: suspend it (gone for everyone but moderators, out of
/// listings and search, its members unable to post or organise in it; its data kept) and lift
/// that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GroupAction {
    Suspend,
    Unsuspend,
}

impl GroupAction {
    pub fn change_name(self) -> &'static str {
        match self {
            Self::Suspend => "GroupSuspended",
            Self::Unsuspend => "GroupUnsuspended",
        }
    }

    /// The action undoing this one, for those that can end by themselves.
    pub fn reversal(self) -> Option<Self> {
        (self == Self::Suspend).then_some(Self::Unsuspend)
    }
}

/// What moderators decide on everything another instance's actor or domain sent here: remove
/// it all (each event and comment gets its own removal, which stays when a suspension is
/// lifted), or restore exactly what such a removal removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BulkContentAction {
    RemoveContent,
    RestoreContent,
}

impl BulkContentAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RemoveContent => "remove_content",
            Self::RestoreContent => "restore_content",
        }
    }
}

/// What one decision on everything another instance's actor or domain sent did: the events
/// and comments it removed (or restored), and those it left as they were (already removed
/// before, or, when restoring, removed by another decision).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContentCounts {
    pub events: u64,
    pub comments: u64,
    pub skipped_events: u64,
    pub skipped_comments: u64,
}

impl ContentCounts {
    /// Whether it changed anything.
    pub fn changed(&self) -> bool {
        self.events + self.comments > 0
    }
}

/// Every name a content decision's change has in the log.
pub const CONTENT_CHANGES: [&str; 8] = [
    "EventHidden",
    "EventUnhidden",
    "EventRemoved",
    "EventRestored",
    "EventCommentsClosed",
    "EventCommentsReopened",
    "CommentRemoved",
    "CommentRestored",
];

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-05-01 12:00 UTC);

    fn decide(reason: &str, until: Option<OffsetDateTime>) -> Result<Decision, FieldError> {
        Decision::by_moderator("m1".into(), reason, None, until, NOW)
    }

    #[test]
    fn a_decision_without_a_reason_is_refused_naming_the_reason() {
        for reason in ["", "   ", &"x".repeat(REASON_MAX + 1)] {
            assert_eq!(decide(reason, None).expect_err("refused").field, "reason");
        }
        assert_eq!(
            decide("bad\u{7}", None).expect_err("refused").field,
            "reason"
        );
    }

    #[test]
    fn an_end_in_the_past_or_now_is_refused_naming_until() {
        for until in [NOW, datetime!(2026-04-30 12:00 UTC)] {
            assert_eq!(
                decide("spam", Some(until)).expect_err("refused").field,
                "until"
            );
        }
    }

    #[test]
    fn a_valid_decision_keeps_the_trimmed_reason_and_the_end_in_log_form() {
        let decision =
            decide("  spam wave ", Some(datetime!(2026-05-02 12:00 +2))).expect("as expected");
        assert_eq!(decision.reason, "spam wave");
        assert_eq!(decision.moderator.as_deref(), Some("m1"));
        assert_eq!(
            decision.until.as_deref(),
            Some("2026-05-02T10:00:00.000000Z")
        );
    }

    #[test]
    fn only_decisions_that_can_end_have_a_reversal_and_every_change_is_named() {
        let comment = "c1".to_string();
        let all = [
            ContentAction::Hide,
            ContentAction::Unhide,
            ContentAction::Remove,
            ContentAction::Restore,
            ContentAction::CloseComments,
            ContentAction::ReopenComments,
            ContentAction::RemoveComment {
                comment: comment.clone(),
            },
            ContentAction::RestoreComment { comment },
        ];
        let names: Vec<&str> = all.iter().map(ContentAction::change_name).collect();
        assert_eq!(names, CONTENT_CHANGES);
        let ending = all.iter().filter(|a| a.reversal().is_some()).count();
        assert_eq!(ending, 4);
    }
}
