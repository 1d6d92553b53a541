//! Another instance's actor (its relay: `/relay` on Convene and Mobilizon) as this instance's
//! own actor relates to it, Mobilizon's instance follows: an administrator makes this instance
//! follow it (it answers, accepting or not), and it may follow this instance (accepted at once:
//! all it gets is what is public anyway). An accepted follow brings the followed instance's new
//! public events to the follower. The aggregate id is the remote actor's id URL.

use crate::validation::is_web_url;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// Where this instance's follow of another stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceFollowState {
    /// Asked; no answer yet.
    Pending,
    Accepted,
}

impl InstanceFollowState {
    /// As the read model and the API write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum InstanceFollowCommand {
    /// An administrator makes this instance follow the remote actor, which takes activities at
    /// `inbox`.
    Follow { inbox: String },
    /// This instance stops following it (or withdraws its request).
    Unfollow,
    /// The remote actor accepted this instance's Follow.
    Accept,
    /// The remote actor refused it (or no longer accepts it).
    Reject,
    /// The remote actor follows this instance, by its `Follow` `activity`, and takes activities
    /// at `inbox`. Recorded again when it follows again (it did not get the first Accept).
    AddFollower { inbox: String, activity: String },
    /// The remote actor stopped following this instance; nothing when it did not.
    RemoveFollower,
}

/// What happened between this instance and another. Stored forever: add variants and
/// defaulted fields, never rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum InstanceFollowChange {
    FollowRequested { inbox: String },
    FollowAccepted,
    FollowRejected,
    Unfollowed,
    FollowerAdded { inbox: String, activity: String },
    FollowerRemoved,
}

impl DomainEvent for InstanceFollowChange {
    fn event_type(&self) -> String {
        match self {
            Self::FollowRequested { .. } => "InstanceFollowRequested",
            Self::FollowAccepted => "InstanceFollowAccepted",
            Self::FollowRejected => "InstanceFollowRejected",
            Self::Unfollowed => "InstanceUnfollowed",
            Self::FollowerAdded { .. } => "InstanceFollowerAdded",
            Self::FollowerRemoved => "InstanceFollowerRemoved",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstanceFollowError {
    #[error("this instance already follows it (or asked to)")]
    AlreadyFollowing,
    #[error("this instance does not follow it")]
    NotFollowing,
    #[error("`inbox` must be an absolute http or https URL")]
    NotAnInbox,
}

/// This instance's follow of the remote actor, and whether the remote actor follows it.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceFollow {
    following: Option<InstanceFollowState>,
    follower: bool,
}

impl InstanceFollow {
    pub fn following(&self) -> Option<InstanceFollowState> {
        self.following
    }

    pub fn follower(&self) -> bool {
        self.follower
    }
}

impl Aggregate for InstanceFollow {
    const TYPE: &'static str = "InstanceFollow";
    type Command = InstanceFollowCommand;
    type Event = InstanceFollowChange;
    type Error = InstanceFollowError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        use InstanceFollowChange as Change;
        use InstanceFollowCommand as Command;
        let change = match command {
            Command::Follow { .. } if self.following.is_some() => {
                return Err(InstanceFollowError::AlreadyFollowing)
            }
            Command::Follow { inbox } | Command::AddFollower { inbox, .. }
                if !is_web_url(&inbox) =>
            {
                return Err(InstanceFollowError::NotAnInbox)
            }
            Command::Follow { inbox } => Change::FollowRequested { inbox },
            Command::Unfollow | Command::Accept | Command::Reject if self.following.is_none() => {
                return Err(InstanceFollowError::NotFollowing)
            }
            Command::Unfollow => Change::Unfollowed,
            // Said again (a resent Accept): nothing new.
            Command::Accept if self.following == Some(InstanceFollowState::Accepted) => {
                return Ok(())
            }
            Command::Accept => Change::FollowAccepted,
            Command::Reject => Change::FollowRejected,
            Command::AddFollower { inbox, activity } => Change::FollowerAdded { inbox, activity },
            Command::RemoveFollower if !self.follower => return Ok(()),
            Command::RemoveFollower => Change::FollowerRemoved,
        };
        sink.write(change, self).await;
        Ok(())
    }

    fn apply(&mut self, change: Self::Event) {
        match change {
            InstanceFollowChange::FollowRequested { .. } => {
                self.following = Some(InstanceFollowState::Pending)
            }
            InstanceFollowChange::FollowAccepted => {
                self.following = Some(InstanceFollowState::Accepted)
            }
            InstanceFollowChange::FollowRejected | InstanceFollowChange::Unfollowed => {
                self.following = None
            }
            InstanceFollowChange::FollowerAdded { .. } => self.follower = true,
            InstanceFollowChange::FollowerRemoved => self.follower = false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    type Test = TestFramework<InstanceFollow>;
    use InstanceFollowChange as Change;
    use InstanceFollowCommand as Command;

    const INBOX: &str = "https://b.example/inbox";

    fn requested() -> Change {
        Change::FollowRequested {
            inbox: INBOX.into(),
        }
    }

    #[test]
    fn a_follow_is_asked_accepted_then_ended() {
        Test::with(())
            .given_no_previous_events()
            .when(Command::Follow {
                inbox: INBOX.into(),
            })
            .then_expect_events(vec![requested()]);
        Test::with(())
            .given(vec![requested()])
            .when(Command::Accept)
            .then_expect_events(vec![Change::FollowAccepted]);
        Test::with(())
            .given(vec![requested(), Change::FollowAccepted])
            .when(Command::Accept)
            .then_expect_events(vec![]);
        Test::with(())
            .given(vec![requested(), Change::FollowAccepted])
            .when(Command::Unfollow)
            .then_expect_events(vec![Change::Unfollowed]);
        Test::with(())
            .given(vec![requested(), Change::FollowRejected])
            .when(Command::Follow {
                inbox: INBOX.into(),
            })
            .then_expect_events(vec![requested()]);
    }

    #[test]
    fn what_changes_nothing_or_names_no_inbox_is_refused() {
        Test::with(())
            .given(vec![requested()])
            .when(Command::Follow {
                inbox: INBOX.into(),
            })
            .then_expect_error(InstanceFollowError::AlreadyFollowing);
        for command in [Command::Unfollow, Command::Accept, Command::Reject] {
            Test::with(())
                .given_no_previous_events()
                .when(command)
                .then_expect_error(InstanceFollowError::NotFollowing);
        }
        Test::with(())
            .given_no_previous_events()
            .when(Command::Follow {
                inbox: "javascript:alert(1)".into(),
            })
            .then_expect_error(InstanceFollowError::NotAnInbox);
    }

    #[test]
    fn a_follower_is_added_again_and_removed_once() {
        let added = Change::FollowerAdded {
            inbox: INBOX.into(),
            activity: "https://b.example/follows/1".into(),
        };
        let add = || Command::AddFollower {
            inbox: INBOX.into(),
            activity: "https://b.example/follows/1".into(),
        };
        Test::with(())
            .given(vec![added.clone()])
            .when(add())
            .then_expect_events(vec![added.clone()]);
        Test::with(())
            .given(vec![added])
            .when(Command::RemoveFollower)
            .then_expect_events(vec![Change::FollowerRemoved]);
        Test::with(())
            .given_no_previous_events()
            .when(Command::RemoveFollower)
            .then_expect_events(vec![]);
    }
}
