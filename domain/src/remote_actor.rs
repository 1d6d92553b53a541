//! Another instance's actor — a profile or a group known here by its actor URL — as this
//! instance's moderators treat it. A **suspended** actor's activities are refused at the inbox
//! and the events and comments it sent are shown to nobody but moderators; lifting the
//! suspension brings everything back, since nothing is deleted. Its whole instance is decided
//! on as a domain ([`crate::remote_domain`]).

use crate::moderation::Decision;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// What moderators decide on a remote actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActorAction {
    Suspend,
    Unsuspend,
}

impl ActorAction {
    pub fn change_name(self) -> &'static str {
        match self {
            Self::Suspend => "RemoteActorSuspended",
            Self::Unsuspend => "RemoteActorUnsuspended",
        }
    }

    /// The action undoing this one, for those that can end by themselves.
    pub fn reversal(self) -> Option<Self> {
        (self == Self::Suspend).then_some(Self::Unsuspend)
    }
}

/// What can be asked of a remote actor.
#[derive(Debug, Clone, PartialEq)]
pub enum RemoteActorCommand {
    /// A moderator's decision; `handle` is how the actor's content names it here
    /// (`name@host`), read by the caller from what this instance knows of the actor.
    Moderate {
        action: ActorAction,
        decision: Decision,
        handle: String,
    },
}

/// What happened to a remote actor here. Stored forever: add variants and defaulted fields,
/// never rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RemoteActorChange {
    Moderated {
        action: ActorAction,
        decision: Decision,
        handle: String,
    },
}

impl DomainEvent for RemoteActorChange {
    fn event_type(&self) -> String {
        match self {
            Self::Moderated { action, .. } => action.change_name().to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RemoteActorError {
    /// A decision that would change nothing.
    #[error("{0}")]
    AlreadyDecided(&'static str),
}

/// Whether the actor is suspended here.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteActor {
    suspended: bool,
}

impl RemoteActor {
    pub fn suspended(&self) -> bool {
        self.suspended
    }
}

impl Aggregate for RemoteActor {
    const TYPE: &'static str = "RemoteActor";
    type Command = RemoteActorCommand;
    type Event = RemoteActorChange;
    type Error = RemoteActorError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let RemoteActorCommand::Moderate {
            action,
            decision,
            handle,
        } = command;
        let already = match action {
            ActorAction::Suspend => self.suspended.then_some("the actor is already suspended"),
            ActorAction::Unsuspend => (!self.suspended).then_some("the actor is not suspended"),
        };
        if let Some(already) = already {
            return Err(RemoteActorError::AlreadyDecided(already));
        }
        sink.write(
            RemoteActorChange::Moderated {
                action,
                decision,
                handle,
            },
            self,
        )
        .await;
        Ok(())
    }

    fn apply(&mut self, change: Self::Event) {
        let RemoteActorChange::Moderated { action, .. } = change;
        self.suspended = action == ActorAction::Suspend;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    type Test = TestFramework<RemoteActor>;

    fn decision() -> Decision {
        Decision::plain("mia", "harassment")
    }

    fn moderate(action: ActorAction) -> RemoteActorCommand {
        RemoteActorCommand::Moderate {
            action,
            decision: decision(),
            handle: "troll@remote.example".into(),
        }
    }

    fn moderated(action: ActorAction) -> RemoteActorChange {
        RemoteActorChange::Moderated {
            action,
            decision: decision(),
            handle: "troll@remote.example".into(),
        }
    }

    #[test]
    fn a_remote_actor_is_suspended_once_and_unsuspended_once() {
        Test::with(())
            .given_no_previous_events()
            .when(moderate(ActorAction::Suspend))
            .then_expect_events(vec![moderated(ActorAction::Suspend)]);
        Test::with(())
            .given(vec![moderated(ActorAction::Suspend)])
            .when(moderate(ActorAction::Suspend))
            .then_expect_error(RemoteActorError::AlreadyDecided(
                "the actor is already suspended",
            ));
        Test::with(())
            .given(vec![moderated(ActorAction::Suspend)])
            .when(moderate(ActorAction::Unsuspend))
            .then_expect_events(vec![moderated(ActorAction::Unsuspend)]);
        Test::with(())
            .given_no_previous_events()
            .when(moderate(ActorAction::Unsuspend))
            .then_expect_error(RemoteActorError::AlreadyDecided(
                "the actor is not suspended",
            ));
    }
}
