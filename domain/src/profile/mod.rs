//! A profile: one public identity (`@username`). Its aggregate id is the username itself, so a
//! username is claimed by creating the profile and can never be taken twice.

mod changes;
mod commands;
mod follows;

pub use changes::{CommentElsewhere, ProfileChange, TodoElsewhere};
pub use commands::ProfileCommand;
pub use follows::{FollowingState, Follows, MembershipState, JOIN_MESSAGE_MAX};

use crate::moderation::ProfileAction;
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

/// Longest username, as in Mobilizon.
pub const USERNAME_MAX: usize = 30;
/// Longest display name.
pub const DISPLAY_NAME_MAX: usize = 100;
/// Longest summary, in characters of sanitised HTML.
pub const SUMMARY_MAX: usize = 2_000;
/// Longest summary as sent, in bytes of HTML: checked before the sanitiser runs (room for
/// markup the sanitiser removes around the longest summary).
pub const SUMMARY_MAX_BYTES: usize = 16 * 1024;

/// Rules a profile command can break, named after the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("the username @{0} is already taken")]
    UsernameTaken(String),
    #[error("a username is 1 to {USERNAME_MAX} characters among a-z, 0-9 and _")]
    InvalidUsername,
    #[error("a display name is 1 to {DISPLAY_NAME_MAX} characters")]
    InvalidDisplayName,
    #[error("a summary is at most {SUMMARY_MAX} characters (16 KB of HTML as sent, nested at most {} elements deep)", crate::validation::HTML_DEPTH_MAX)]
    InvalidSummary,
    #[error("no such profile")]
    NotFound,
    #[error("{0} is not followed by this profile")]
    NotFollowing(String),
    #[error("this profile is not a member of {0} and did not ask to join it")]
    NotAMember(String),
    #[error(
        "a message to a group's moderators is at most {} characters",
        follows::JOIN_MESSAGE_MAX
    )]
    JoinMessageTooLong,
    #[error("this profile has no invitation from {0} to answer")]
    NotInvited(String),
    #[error("a discussion of {0} is on the group's own server")]
    DiscussionElsewhere(String),
    #[error("the resources of {0} are on the group's own server")]
    FolderElsewhere(String),
    /// A resource breaks the rules of a group's resources, by field.
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
    InvalidResource(Vec<crate::validation::FieldError>),
    /// A todo breaks the rules of a group's todos, by field.
    #[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
    InvalidTodo(Vec<crate::validation::FieldError>),
    /// What a comment says breaks the comment rules (the message says which).
    #[error("{0}")]
    InvalidComment(String),
    /// A group gave this profile a role that is not a member's.
    #[error(
        "a group gives its members the role member, moderator, administrator or creator, not {0}"
    )]
    NotAMemberRole(&'static str),
    /// The field named is not an absolute http(s) URL.
    #[error("`{0}` must be an absolute http or https URL")]
    NotAnActorUrl(&'static str),
    /// A moderators' decision that would change nothing.
    #[error("{0}")]
    AlreadyDecided(&'static str),
    #[error("this profile is suspended by the instance's moderators")]
    Suspended,
}

/// The state a profile's decisions need.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Profile {
    username: Option<String>,
    display_name: String,
    summary: String,
    account: Option<String>,
    #[serde(default)]
    follows: Follows,
    /// Suspended by the instance's moderators.
    #[serde(default)]
    suspended: bool,
    /// Limited by the instance's moderators: out of public listings and search.
    #[serde(default)]
    limited: bool,
    /// The id of the avatar shown.
    #[serde(default)]
    avatar: Option<String>,
}

impl Profile {
    /// Suspended by the instance's moderators.
    pub fn suspended(&self) -> bool {
        self.suspended
    }

    /// Limited by the instance's moderators.
    pub fn limited(&self) -> bool {
        self.limited
    }

    /// Whether the decision `action` is on (a suspension or a limit) now.
    pub fn decided(&self, action: ProfileAction) -> bool {
        if action.on_suspension() {
            self.suspended
        } else {
            self.limited
        }
    }

    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// The owning account, if any.
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// Who follows this profile and whom it follows.
    pub fn follows(&self) -> &Follows {
        &self.follows
    }
}

/// Lower-case ASCII letters, digits and underscores: safe in URLs and WebFinger handles.
pub fn validate_username(username: &str) -> Result<(), ProfileError> {
    let well_formed = !username.is_empty()
        && username.len() <= USERNAME_MAX
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    well_formed
        .then_some(())
        .ok_or(ProfileError::InvalidUsername)
}

/// Trims a display name and checks its length (in characters, not bytes).
pub fn normalise_display_name(name: &str) -> Result<String, ProfileError> {
    let name = name.trim();
    let length = name.chars().count();
    if length == 0 || length > DISPLAY_NAME_MAX || crate::validation::has_control(name) {
        return Err(ProfileError::InvalidDisplayName);
    }
    Ok(name.to_string())
}

/// Sanitises a summary (it may hold simple HTML) and checks its length.
pub fn normalise_summary(summary: &str) -> Result<String, ProfileError> {
    use crate::validation::{html_deeper_than, HTML_DEPTH_MAX};
    if summary.len() > SUMMARY_MAX_BYTES || html_deeper_than(summary, HTML_DEPTH_MAX) {
        return Err(ProfileError::InvalidSummary);
    }
    let summary = crate::validation::sanitise_html(summary.trim());
    if summary.chars().count() > SUMMARY_MAX {
        return Err(ProfileError::InvalidSummary);
    }
    Ok(summary)
}

impl Aggregate for Profile {
    const TYPE: &'static str = "Profile";
    type Command = ProfileCommand;
    type Event = ProfileChange;
    type Error = ProfileError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        match command {
            ProfileCommand::Create {
                username,
                display_name,
                account,
            } => {
                if let Some(existing) = &self.username {
                    return Err(ProfileError::UsernameTaken(existing.clone()));
                }
                validate_username(&username)?;
                let display_name = match display_name {
                    Some(name) => normalise_display_name(&name)?,
                    None => username.clone(),
                };
                let change = ProfileChange::Created {
                    username,
                    display_name,
                    account,
                };
                sink.write(change, self).await;
            }
            ProfileCommand::Update {
                display_name,
                summary,
            } => {
                if self.username.is_none() {
                    return Err(ProfileError::NotFound);
                }
                let display_name = display_name
                    .map(|n| normalise_display_name(&n))
                    .transpose()?;
                let summary = summary.map(|s| normalise_summary(&s)).transpose()?;
                // Setting a field to what it already is records nothing.
                if let Some(display_name) = display_name.filter(|n| *n != self.display_name) {
                    sink.write(ProfileChange::Renamed { display_name }, self)
                        .await;
                }
                if let Some(summary) = summary.filter(|s| *s != self.summary) {
                    sink.write(ProfileChange::SummaryChanged { summary }, self)
                        .await;
                }
            }
            ProfileCommand::Moderate { action, decision } => {
                if self.username.is_none() {
                    return Err(ProfileError::NotFound);
                }
                let already = match action {
                    ProfileAction::Suspend => {
                        self.suspended.then_some("the profile is already suspended")
                    }
                    ProfileAction::Unsuspend => {
                        (!self.suspended).then_some("the profile is not suspended")
                    }
                    ProfileAction::Limit => {
                        self.limited.then_some("the profile is already limited")
                    }
                    ProfileAction::Unlimit => {
                        (!self.limited).then_some("the profile is not limited")
                    }
                };
                if let Some(already) = already {
                    return Err(ProfileError::AlreadyDecided(already));
                }
                sink.write(ProfileChange::Moderated { action, decision }, self)
                    .await;
            }
            ProfileCommand::SetAvatar { picture } => {
                if self.username.is_none() {
                    return Err(ProfileError::NotFound);
                }
                sink.write(ProfileChange::AvatarSet { picture }, self).await;
            }
            ProfileCommand::RemoveAvatar => {
                if self.username.is_none() {
                    return Err(ProfileError::NotFound);
                }
                if self.avatar.is_some() {
                    sink.write(ProfileChange::AvatarRemoved, self).await;
                }
            }
            follow => {
                if self.username.is_none() {
                    return Err(ProfileError::NotFound);
                }
                if let Some(change) = self.decide_follow(follow)? {
                    sink.write(change, self).await;
                }
            }
        }
        Ok(())
    }

    fn apply(&mut self, change: Self::Event) {
        match change {
            ProfileChange::Created {
                username,
                display_name,
                account,
            } => {
                self.username = Some(username);
                self.display_name = display_name;
                self.account = account;
            }
            ProfileChange::Renamed { display_name } => self.display_name = display_name,
            ProfileChange::SummaryChanged { summary } => self.summary = summary,
            ProfileChange::Moderated { action, .. } if action.on_suspension() => {
                self.suspended = action.imposes()
            }
            ProfileChange::Moderated { action, .. } => self.limited = action.imposes(),
            ProfileChange::AvatarSet { picture } => self.avatar = Some(picture.id),
            ProfileChange::AvatarRemoved => self.avatar = None,
            follow => self.follows.apply(&follow),
        }
    }
}

impl Profile {
    /// The change a follow command makes, if any (see [`Follows`] for the rules).
    fn decide_follow(
        &self,
        command: ProfileCommand,
    ) -> Result<Option<ProfileChange>, ProfileError> {
        let follows = &self.follows;
        match command {
            ProfileCommand::AddFollower {
                actor,
                inbox,
                shared_inbox,
                activity,
            } => follows.add_follower(actor, inbox, shared_inbox, activity),
            ProfileCommand::RemoveFollower { actor } => Ok(follows.remove_follower(actor)),
            ProfileCommand::Follow {
                target,
                inbox,
                shared_inbox,
            } => follows.follow(target, inbox, shared_inbox),
            ProfileCommand::AcceptFollow { target } => follows.accepted(target),
            ProfileCommand::RejectFollow { target } => follows.rejected(target).map(Some),
            ProfileCommand::Unfollow { target } => follows.unfollow(target).map(Some),
            ProfileCommand::JoinGroup {
                group,
                inbox,
                message,
            } => follows.join(group, inbox, message),
            ProfileCommand::AcceptJoin { group } => follows.join_accepted(group),
            ProfileCommand::RejectJoin { group } => follows.join_rejected(group).map(Some),
            ProfileCommand::ReceiveGroupRole { group, role } => follows.role_given(group, role),
            ProfileCommand::ReceiveGroupInvitation {
                group,
                inbox,
                invite,
                by,
            } => follows.invited(group, inbox, invite, by),
            ProfileCommand::CommentInGroupDiscussion {
                group,
                inbox,
                discussion,
                body,
            } => follows
                .comment_in_discussion(group, inbox, discussion, &body)
                .map(Some),
            ProfileCommand::AddGroupResource {
                group,
                inbox,
                target,
                content,
            } => follows
                .add_resource(group, inbox, target, content)
                .map(Some),
            ProfileCommand::ChangeGroupResource {
                group,
                inbox,
                resource,
                target,
                content,
            } => follows
                .change_resource(group, inbox, (resource, target), content)
                .map(Some),
            ProfileCommand::DeleteGroupResource {
                group,
                inbox,
                resource,
            } => follows.delete_resource(group, inbox, resource).map(Some),
            ProfileCommand::ReceiveGroupComment { group, comment } => {
                follows.receive_comment(group, comment).map(Some)
            }
            ProfileCommand::ForgetGroupComments { group, removed } => {
                follows.forget_comments(group, removed).map(Some)
            }
            ProfileCommand::ReceiveGroupTodo { group, todo } => {
                follows.receive_todo(group, todo).map(Some)
            }
            ProfileCommand::ForgetGroupTodos { group, removed } => {
                follows.forget_todos(group, removed).map(Some)
            }
            ProfileCommand::AddGroupTodo {
                group,
                inbox,
                list,
                title,
            } => follows.add_todo(group, inbox, list, title).map(Some),
            ProfileCommand::ChangeGroupTodo { group, inbox, todo } => {
                follows.change_todo(group, inbox, todo).map(Some)
            }
            ProfileCommand::AcceptGroupInvitation { group } => {
                follows.answer_invitation(group, true).map(Some)
            }
            ProfileCommand::DeclineGroupInvitation { group } => {
                follows.answer_invitation(group, false).map(Some)
            }
            ProfileCommand::LeaveGroup { group, inbox } => follows.leave(group, inbox).map(Some),
            ProfileCommand::Create { .. }
            | ProfileCommand::Update { .. }
            | ProfileCommand::Moderate { .. }
            | ProfileCommand::SetAvatar { .. }
            | ProfileCommand::RemoveAvatar => Ok(None),
        }
    }
}

#[cfg(test)]
mod follow_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    type Given = TestFramework<Profile>;

    fn created(username: &str, display_name: &str) -> ProfileChange {
        ProfileChange::Created {
            username: username.into(),
            display_name: display_name.into(),
            account: None,
        }
    }

    fn create(username: &str, display_name: Option<&str>) -> ProfileCommand {
        ProfileCommand::Create {
            username: username.into(),
            display_name: display_name.map(Into::into),
            account: None,
        }
    }

    fn rename(display_name: &str) -> ProfileCommand {
        ProfileCommand::Update {
            display_name: Some(display_name.into()),
            summary: None,
        }
    }

    fn moderate(action: ProfileAction) -> ProfileCommand {
        ProfileCommand::Moderate {
            action,
            decision: crate::moderation::Decision::plain("m1", "impersonation"),
        }
    }

    #[test]
    fn a_profile_is_suspended_once_and_unsuspended_once() {
        let ProfileCommand::Moderate { decision, .. } = moderate(ProfileAction::Suspend) else {
            unreachable!()
        };
        let suspended = ProfileChange::Moderated {
            action: ProfileAction::Suspend,
            decision: decision.clone(),
        };
        Given::with(())
            .given(vec![created("ana", "Ana")])
            .when(moderate(ProfileAction::Suspend))
            .then_expect_events(vec![suspended.clone()]);
        Given::with(())
            .given(vec![created("ana", "Ana"), suspended.clone()])
            .when(moderate(ProfileAction::Suspend))
            .then_expect_error(ProfileError::AlreadyDecided(
                "the profile is already suspended",
            ));
        Given::with(())
            .given(vec![created("ana", "Ana"), suspended])
            .when(moderate(ProfileAction::Unsuspend))
            .then_expect_events(vec![ProfileChange::Moderated {
                action: ProfileAction::Unsuspend,
                decision,
            }]);
        Given::with(())
            .given(vec![created("ana", "Ana")])
            .when(moderate(ProfileAction::Unsuspend))
            .then_expect_error(ProfileError::AlreadyDecided("the profile is not suspended"));
        Given::with(())
            .given(vec![])
            .when(moderate(ProfileAction::Suspend))
            .then_expect_error(ProfileError::NotFound);
    }

    #[test]
    fn a_profile_is_limited_apart_from_its_suspension_and_the_limit_lifted_once() {
        let ProfileCommand::Moderate { decision, .. } = moderate(ProfileAction::Limit) else {
            unreachable!()
        };
        let changed = |action| ProfileChange::Moderated {
            action,
            decision: decision.clone(),
        };
        Given::with(())
            .given(vec![created("ana", "Ana")])
            .when(moderate(ProfileAction::Limit))
            .then_expect_events(vec![changed(ProfileAction::Limit)]);
        Given::with(())
            .given(vec![created("ana", "Ana"), changed(ProfileAction::Limit)])
            .when(moderate(ProfileAction::Limit))
            .then_expect_error(ProfileError::AlreadyDecided(
                "the profile is already limited",
            ));
        // A limited profile may still be suspended, and a suspended one is not limited by it.
        Given::with(())
            .given(vec![created("ana", "Ana"), changed(ProfileAction::Limit)])
            .when(moderate(ProfileAction::Suspend))
            .then_expect_events(vec![changed(ProfileAction::Suspend)]);
        Given::with(())
            .given(vec![created("ana", "Ana"), changed(ProfileAction::Suspend)])
            .when(moderate(ProfileAction::Unlimit))
            .then_expect_error(ProfileError::AlreadyDecided("the profile is not limited"));
        Given::with(())
            .given(vec![created("ana", "Ana"), changed(ProfileAction::Limit)])
            .when(moderate(ProfileAction::Unlimit))
            .then_expect_events(vec![changed(ProfileAction::Unlimit)]);
        let mut profile = Profile::default();
        for change in [
            created("ana", "Ana"),
            changed(ProfileAction::Limit),
            changed(ProfileAction::Suspend),
            changed(ProfileAction::Unsuspend),
        ] {
            profile.apply(change);
        }
        assert!(profile.limited() && !profile.suspended());
    }

    #[test]
    fn a_new_username_is_claimed_with_its_display_name() {
        Given::with(())
            .given_no_previous_events()
            .when(create("alice", Some("  Alice Liddell ")))
            .then_expect_events(vec![created("alice", "Alice Liddell")]);
    }

    #[test]
    fn the_display_name_defaults_to_the_username() {
        Given::with(())
            .given_no_previous_events()
            .when(create("bob", None))
            .then_expect_events(vec![created("bob", "bob")]);
    }

    #[test]
    fn a_taken_username_cannot_be_claimed_again() {
        Given::with(())
            .given(vec![created("alice", "Alice")])
            .when(create("alice", Some("Other Alice")))
            .then_expect_error(ProfileError::UsernameTaken("alice".into()));
    }

    #[test]
    fn usernames_outside_the_allowed_alphabet_or_length_are_refused() {
        for bad in [
            "",
            "Alice",
            "al ice",
            "élodie",
            "a-b",
            &"x".repeat(USERNAME_MAX + 1),
        ] {
            Given::with(())
                .given_no_previous_events()
                .when(create(bad, None))
                .then_expect_error(ProfileError::InvalidUsername);
        }
    }

    #[test]
    fn display_names_are_counted_in_characters_and_may_not_be_blank() {
        Given::with(())
            .given_no_previous_events()
            .when(create("ok", Some(&"é".repeat(DISPLAY_NAME_MAX))))
            .then_expect_events(vec![created("ok", &"é".repeat(DISPLAY_NAME_MAX))]);
        for bad in ["   ", &"é".repeat(DISPLAY_NAME_MAX + 1)] {
            Given::with(())
                .given_no_previous_events()
                .when(create("ok", Some(bad)))
                .then_expect_error(ProfileError::InvalidDisplayName);
        }
    }

    #[test]
    fn a_profile_is_renamed() {
        Given::with(())
            .given(vec![created("alice", "Alice")])
            .when(rename("Alice L."))
            .then_expect_events(vec![ProfileChange::Renamed {
                display_name: "Alice L.".into(),
            }]);
    }

    #[test]
    fn renaming_to_the_same_name_records_nothing() {
        Given::with(())
            .given(vec![created("alice", "Alice")])
            .when(rename(" Alice "))
            .then_expect_events(vec![]);
    }

    #[test]
    fn a_summary_is_sanitised_and_recorded_beside_a_rename() {
        Given::with(())
            .given(vec![created("alice", "Alice")])
            .when(ProfileCommand::Update {
                display_name: Some("Alice L.".into()),
                summary: Some("<p>Organiser <script>x()</script></p>".into()),
            })
            .then_expect_events(vec![
                ProfileChange::Renamed {
                    display_name: "Alice L.".into(),
                },
                ProfileChange::SummaryChanged {
                    summary: "<p>Organiser </p>".into(),
                },
            ]);
    }

    #[test]
    fn a_profile_that_does_not_exist_cannot_be_renamed() {
        Given::with(())
            .given_no_previous_events()
            .when(rename("Ghost"))
            .then_expect_error(ProfileError::NotFound);
    }
}
