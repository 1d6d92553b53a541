//! The one error every use case returns.
//!
//! Domain errors are carried as values; the rest says what kind of refusal it is. Each error has
//! a [`Class`] (what kind of answer it deserves) and a stable [`Error::rule`] name, so that each
//! front end maps errors in one place (the JSON binding to problem+json, the pages to a message
//! in the visitor's language) and nothing ever matches on message text.

use convene_domain::account::AccountError;
use convene_domain::claim::ClaimError;
use convene_domain::{EventError, FieldError, GroupError, MemberRole, ProfileError};
use convene_domain::{PictureError, RemoteActorError, RemoteDomainError, ReportError};
use convene_projections::CommandError;
use std::time::Duration;

/// Why a use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Event(#[from] EventError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Claim(#[from] ClaimError),
    #[error(transparent)]
    Group(#[from] GroupError),
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A decision on another instance's domain.
    #[error(transparent)]
    Domain(#[from] RemoteDomainError),
    /// A decision on another instance's actor.
    #[error(transparent)]
    RemoteActor(#[from] RemoteActorError),
    /// Input of the wrong shape, field by field.
    #[error("{}", describe(.0))]
    Invalid(Vec<FieldError>),
    /// A file larger than its limit (the field names it, the message says the limit).
    #[error("{}", describe(.0))]
    TooLarge(Vec<FieldError>),
    /// A picture rule: the upload is not an image, is damaged, too large in pixels, or is not
    /// one the acting profile may use.
    #[error(transparent)]
    Picture(#[from] convene_domain::PictureError),
    /// Absent, or hidden from the one asking (which must look the same).
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    /// Not logged in, or the session has ended.
    #[error("{0}")]
    Unauthenticated(String),
    /// The state does not allow it: `errors` names the field at fault, when one is.
    #[error("{detail}")]
    Conflict {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// Too many attempts from one address or for one account.
    #[error("too many attempts: try again in {} seconds", .retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },
    /// The server is at capacity for this kind of work (such as hashing passwords).
    #[error("the server is busy: try again in {} seconds", .retry_after.as_secs().max(1))]
    Busy { retry_after: Duration },
    /// A service the request needs (the search server) does not answer: try again later.
    #[error("{0}")]
    Unavailable(String),
    /// A failure of ours; the cause is for the log, never for the client.
    #[error("something went wrong on the server: {0}")]
    Internal(String),
}

/// What kind of answer an error deserves, whatever the front end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Invalid,
    /// A file over its size limit (413).
    TooLarge,
    NotFound,
    Forbidden,
    Unauthenticated,
    Conflict,
    RateLimited,
    Unavailable,
    Internal,
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

fn field(field: &str, message: String) -> Vec<FieldError> {
    vec![FieldError {
        field: field.into(),
        message,
    }]
}

impl Error {
    /// One invalid field.
    pub fn invalid_field(name: &str, message: impl Into<String>) -> Self {
        Error::Invalid(field(name, message.into()))
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Error::NotFound(detail.into())
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Error::Forbidden(detail.into())
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Error::Conflict {
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// A failure of ours: logged here with its cause.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "request failed");
        Error::Internal(cause.to_string())
    }

    pub fn class(&self) -> Class {
        match self {
            Error::Event(e) => match e {
                EventError::Invalid(_) => Class::Invalid,
                EventError::NotFound
                | EventError::UnknownParticipation
                | EventError::UnknownComment
                | EventError::NotParticipating(_)
                | EventError::UnknownToken
                | EventError::RemovedByModerators => Class::NotFound,
                EventError::NotOrganiser
                | EventError::NotAdministrator
                | EventError::NotCommentAuthor
                | EventError::AnonymousNotAllowed
                | EventError::InviteOnly => Class::Forbidden,
                EventError::AlreadyExists
                | EventError::Draft
                | EventError::Cancelled
                | EventError::AlreadyParticipating(_)
                | EventError::RejectedBefore(_)
                | EventError::ExternalRegistration(_)
                | EventError::WrongState(..)
                | EventError::LastOrganiser
                | EventError::Full
                | EventError::CommentsClosed
                | EventError::AlreadyDecided(_)
                | EventError::NotAGroupEvent
                | EventError::Remote => Class::Conflict,
            },
            Error::Account(e) => match e {
                AccountError::AlreadyRegistered => Class::Conflict,
                AccountError::NotFound => Class::NotFound,
                AccountError::WrongConfirmation
                | AccountError::WrongResetToken
                | AccountError::NotOwnProfile(_) => Class::Invalid,
                AccountError::Unconfirmed
                | AccountError::Disabled
                | AccountError::Suspended
                | AccountError::LockedOut
                | AccountError::AwaitingApproval
                | AccountError::RegistrationRejected => Class::Forbidden,
                AccountError::AlreadyDecided(_) | AccountError::NotAwaitingApproval => {
                    Class::Conflict
                }
            },
            Error::Profile(e) => match e {
                ProfileError::UsernameTaken(_) => Class::Conflict,
                ProfileError::InvalidUsername
                | ProfileError::InvalidDisplayName
                | ProfileError::InvalidSummary
                | ProfileError::NotAnActorUrl(_)
                | ProfileError::JoinMessageTooLong
                | ProfileError::NotAMemberRole(_)
                | ProfileError::InvalidComment(_)
                | ProfileError::DiscussionElsewhere(_)
                | ProfileError::FolderElsewhere(_)
                | ProfileError::InvalidResource(_)
                | ProfileError::InvalidTodo(_) => Class::Invalid,
                ProfileError::NotFound
                | ProfileError::NotFollowing(_)
                | ProfileError::NotAMember(_)
                | ProfileError::NotInvited(_)
                | ProfileError::Suspended => Class::NotFound,
                ProfileError::AlreadyDecided(_) => Class::Conflict,
            },
            Error::Claim(_) => Class::Conflict,
            Error::Group(e) => group_class(e),
            Error::Report(e) => match e {
                ReportError::Invalid { .. } => Class::Invalid,
                ReportError::NotFound => Class::NotFound,
                ReportError::AlreadyFiled
                | ReportError::AlreadyHandled(_)
                | ReportError::AlreadyAssigned => Class::Conflict,
            },
            Error::Domain(e) => match e {
                RemoteDomainError::Invalid(_) => Class::Invalid,
                RemoteDomainError::AlreadyDecided(_) => Class::Conflict,
            },
            Error::RemoteActor(RemoteActorError::AlreadyDecided(_)) => Class::Conflict,
            Error::Picture(e) => match e {
                PictureError::Invalid(_) => Class::Invalid,
                PictureError::NotFound => Class::NotFound,
                PictureError::AlreadyExists => Class::Conflict,
            },
            Error::Invalid(_) => Class::Invalid,
            Error::TooLarge(_) => Class::TooLarge,
            Error::NotFound(_) => Class::NotFound,
            Error::Forbidden(_) => Class::Forbidden,
            Error::Unauthenticated(_) => Class::Unauthenticated,
            Error::Conflict { .. } => Class::Conflict,
            Error::RateLimited { .. } => Class::RateLimited,
            Error::Busy { .. } => Class::Unavailable,
            Error::Unavailable(_) => Class::Unavailable,
            Error::Internal(_) => Class::Internal,
        }
    }

    /// The stable name of the rule broken: clients may match on it, and the pages say it in
    /// the visitor's language. Rules without a name of their own go by their class.
    pub fn rule(&self) -> &'static str {
        match self {
            Error::Event(e) => event_rule(e),
            Error::Group(e) => group_rule(e),
            Error::Report(ReportError::AlreadyHandled(_)) => "already-handled",
            Error::Report(ReportError::AlreadyAssigned) => "already-assigned",
            Error::Account(AccountError::Unconfirmed) => "unconfirmed",
            Error::Account(AccountError::Disabled) => "disabled",
            Error::Account(AccountError::Suspended) => "suspended",
            Error::Account(AccountError::AwaitingApproval) => "awaiting-approval",
            Error::Account(AccountError::AlreadyDecided(_))
            | Error::Profile(ProfileError::AlreadyDecided(_))
            | Error::Domain(RemoteDomainError::AlreadyDecided(_))
            | Error::RemoteActor(RemoteActorError::AlreadyDecided(_)) => "already-decided",
            Error::Profile(ProfileError::Suspended) => "suspended-by-moderators",
            Error::Unavailable(_) => "unavailable",
            _ => match self.class() {
                Class::Invalid => "invalid",
                Class::TooLarge => "payload-too-large",
                Class::NotFound => "not-found",
                Class::Forbidden => "forbidden",
                Class::Unauthenticated => "unauthorized",
                Class::Conflict => "conflict",
                Class::RateLimited => "rate-limited",
                Class::Unavailable => "busy",
                Class::Internal => "internal",
            },
        }
    }

    /// What went wrong, for people: for invalid input every field with what to fix
    /// (`title: a title is 3 to 200 characters`), otherwise the error's own words.
    pub fn detail(&self) -> String {
        match self.class() {
            Class::Invalid | Class::TooLarge => describe(&self.field_errors()),
            Class::Internal => "something went wrong on the server; it has been logged".into(),
            _ => self.to_string(),
        }
    }

    /// The fields at fault, each with what to fix.
    pub fn field_errors(&self) -> Vec<FieldError> {
        let detail = || self.to_string();
        match self {
            Error::Invalid(errors) | Error::TooLarge(errors) | Error::Conflict { errors, .. } => {
                errors.clone()
            }
            Error::Picture(PictureError::Invalid(errors))
            | Error::Domain(RemoteDomainError::Invalid(errors)) => errors.clone(),
            Error::Event(EventError::Invalid(errors)) => errors.clone(),
            Error::Account(AccountError::WrongConfirmation | AccountError::WrongResetToken) => {
                field("token", detail())
            }
            Error::Account(AccountError::NotOwnProfile(_)) => field("username", detail()),
            Error::Profile(ProfileError::UsernameTaken(_) | ProfileError::InvalidUsername) => {
                field("username", detail())
            }
            Error::Profile(ProfileError::InvalidDisplayName) => field("display_name", detail()),
            Error::Profile(ProfileError::InvalidSummary) => field("summary", detail()),
            Error::Profile(ProfileError::JoinMessageTooLong) => field("message", detail()),
            Error::Profile(ProfileError::NotAMemberRole(_)) => field("role", detail()),
            Error::Profile(ProfileError::InvalidComment(_)) => field("body", detail()),
            Error::Profile(ProfileError::DiscussionElsewhere(_)) => field("discussion", detail()),
            Error::Profile(ProfileError::FolderElsewhere(_)) => field("folder", detail()),
            Error::Profile(
                ProfileError::InvalidResource(errors) | ProfileError::InvalidTodo(errors),
            ) => errors.clone(),
            Error::Profile(ProfileError::NotAnActorUrl(name)) => field(name, detail()),
            Error::Group(GroupError::Invalid(errors)) => errors.clone(),
            Error::Group(GroupError::RoleNotAssignable) => field("role", detail()),
            Error::Report(ReportError::Invalid {
                field: name,
                message,
            }) => field(name, message.clone()),
            _ => Vec::new(),
        }
    }
}

/// The stable name of each rule an event command can break.
fn event_rule(error: &EventError) -> &'static str {
    match error {
        EventError::Invalid(_) => "invalid",
        EventError::NotFound | EventError::UnknownParticipation | EventError::UnknownComment => {
            "not-found"
        }
        EventError::NotParticipating(_) => "not-participating",
        EventError::UnknownToken => "link-invalid",
        EventError::NotOrganiser => "not-organiser",
        EventError::NotAdministrator => "not-administrator",
        EventError::NotCommentAuthor => "not-comment-author",
        EventError::AnonymousNotAllowed => "anonymous-not-allowed",
        EventError::InviteOnly => "invite-only",
        EventError::AlreadyExists => "already-exists",
        EventError::Draft => "draft",
        EventError::Cancelled => "cancelled",
        EventError::AlreadyParticipating(_) => "already-participating",
        EventError::RejectedBefore(_) => "rejected-before",
        EventError::ExternalRegistration(_) => "external-registration",
        EventError::WrongState(..) => "wrong-state",
        EventError::LastOrganiser => "last-organiser",
        EventError::Full => "full",
        EventError::Remote => "remote-event",
        EventError::CommentsClosed => "comments-closed",
        EventError::AlreadyDecided(_) => "already-decided",
        EventError::RemovedByModerators => "removed-by-moderators",
        EventError::NotAGroupEvent => "not-a-group-event",
    }
}

fn group_class(error: &GroupError) -> Class {
    match error {
        GroupError::Invalid(_) | GroupError::RoleNotAssignable => Class::Invalid,
        GroupError::NotFound
        | GroupError::NotInGroup(_)
        | GroupError::NotFollowing(_)
        | GroupError::UnknownPost
        | GroupError::UnknownDiscussion
        | GroupError::UnknownComment
        | GroupError::UnknownTodo
        | GroupError::UnknownResource
        | GroupError::SuspendedByModerators => Class::NotFound,
        GroupError::RoleNeeded(_)
        | GroupError::Suspended
        | GroupError::AboveOwnRole
        | GroupError::InviteOnly
        | GroupError::NotFollowable
        | GroupError::AuthorOnly => Class::Forbidden,
        GroupError::AlreadyExists
        | GroupError::LastAdministrator
        | GroupError::AlreadyIn(..)
        | GroupError::RejectedBefore(_)
        | GroupError::WrongRole(..)
        | GroupError::NoRequest(_)
        | GroupError::AlreadyFollowing(_)
        | GroupError::DiscussionArchived
        | GroupError::AlreadyDecided(_) => Class::Conflict,
    }
}

/// The stable name of each rule a group command can break; a refusal for want of a role
/// names the role (`moderator-needed`).
fn group_rule(error: &GroupError) -> &'static str {
    match error {
        GroupError::Invalid(_) => "invalid",
        GroupError::NotFound => "not-found",
        GroupError::RoleNeeded(role) => match role {
            MemberRole::Creator => "creator-needed",
            MemberRole::Administrator => "administrator-needed",
            MemberRole::Moderator => "moderator-needed",
            _ => "member-needed",
        },
        GroupError::AboveOwnRole => "above-own-role",
        GroupError::LastAdministrator => "last-administrator",
        GroupError::InviteOnly => "invite-only",
        GroupError::AlreadyExists => "already-exists",
        GroupError::AlreadyIn(..) => "already-in-group",
        GroupError::RejectedBefore(_) => "rejected-before",
        GroupError::NotInGroup(_) => "not-in-group",
        GroupError::WrongRole(..) => "wrong-role",
        GroupError::NoRequest(_) => "no-pending-request",
        GroupError::RoleNotAssignable => "role-not-assignable",
        GroupError::NotFollowable => "not-followable",
        GroupError::AlreadyFollowing(_) => "already-following",
        GroupError::NotFollowing(_) => "not-following",
        GroupError::UnknownPost
        | GroupError::UnknownDiscussion
        | GroupError::UnknownTodo
        | GroupError::UnknownResource => "not-found",
        GroupError::UnknownComment => "unknown-comment",
        GroupError::DiscussionArchived => "discussion-archived",
        GroupError::AuthorOnly => "author-only",
        GroupError::AlreadyDecided(_) => "already-decided",
        GroupError::SuspendedByModerators => "group-suspended-by-moderators",
        GroupError::Suspended => "group-suspended",
    }
}

impl<E: std::error::Error + Into<Error>> From<CommandError<E>> for Error {
    fn from(error: CommandError<E>) -> Self {
        match error {
            CommandError::Rejected(e) => e.into(),
            CommandError::Conflict(_) => Error::conflict(error.to_string()),
            CommandError::Store(cause) => Error::internal(cause),
        }
    }
}

impl From<convene_projections::Error> for Error {
    fn from(error: convene_projections::Error) -> Self {
        Error::internal(error)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_class_and_a_stable_rule() {
        let full = Error::from(EventError::Full);
        assert_eq!((full.class(), full.rule()), (Class::Conflict, "full"));
        let disabled = Error::from(AccountError::Disabled);
        assert_eq!(
            (disabled.class(), disabled.rule()),
            (Class::Forbidden, "disabled")
        );
        let taken = Error::from(ProfileError::UsernameTaken("ana".into()));
        assert_eq!(taken.rule(), "conflict");
        assert_eq!(taken.field_errors()[0].field, "username");
        assert_eq!(
            Error::invalid_field("page", "pages are counted from 1").to_string(),
            "page: pages are counted from 1"
        );
    }
}
