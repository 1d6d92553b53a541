//! Another instance's actor — a profile or a group known here by its actor URL — as this
//! instance's moderators treat it. A **suspended** actor's activities are refused at the inbox
//! and the events and comments it sent are shown to nobody but moderators; lifting the
//! suspension brings everything back, since nothing is deleted. Moderators may also **remove
//! everything it sent** (each event and comment gets its own removal, kept when a suspension
//! is lifted) and restore what that removed; the actor's log records each such decision with
//! its counts. Its whole instance is decided on as a domain ([`crate::remote_domain`]).

use crate::moderation::{BulkContentAction, ContentCounts, Decision};
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
    /// Records a decision on everything the actor sent, once its events and comments were each
    /// decided on (`counts`); the caller did those.
    RecordContent {
        action: BulkContentAction,
        decision: Decision,
        handle: String,
        counts: ContentCounts,
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
    ContentDecided {
        action: BulkContentAction,
        decision: Decision,
        handle: String,
        counts: ContentCounts,
    },
}

impl DomainEvent for RemoteActorChange {
    fn event_type(&self) -> String {
        match self {
            Self::Moderated { action, .. } => action.change_name().to_string(),
            Self::ContentDecided { action, .. } => match action {
                BulkContentAction::RemoveContent => "RemoteActorContentRemoved",
                BulkContentAction::RestoreContent => "RemoteActorContentRestored",
            }
            .to_string(),
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
    /// Whether the last decision on everything it sent removed it.
    #[serde(default)]
    content_removed: bool,
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
        let (action, decision, handle) = match command {
            RemoteActorCommand::Moderate {
                action,
                decision,
                handle,
            } => (action, decision, handle),
            RemoteActorCommand::RecordContent {
                action,
                decision,
                handle,
                counts,
            } => {
                let already = content_already(action, self.content_removed, &counts);
                if let Some(already) = already {
                    return Err(RemoteActorError::AlreadyDecided(already));
                }
                let change = RemoteActorChange::ContentDecided {
                    action,
                    decision,
                    handle,
                    counts,
                };
                sink.write(change, self).await;
                return Ok(());
            }
        };
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
        match change {
            RemoteActorChange::Moderated { action, .. } => {
                self.suspended = action == ActorAction::Suspend;
            }
            RemoteActorChange::ContentDecided { action, .. } => {
                self.content_removed = action == BulkContentAction::RemoveContent;
            }
        }
    }
}

/// Why recording a decision on everything an actor or a domain sent would change nothing: a
/// removal that removed nothing after another removal, or a restoration that restored nothing
/// with no removal to undo. (A removal that removed nothing still records the first time: a
/// removal interrupted before its record is finished this way.)
pub(crate) fn content_already(
    action: BulkContentAction,
    removed: bool,
    counts: &ContentCounts,
) -> Option<&'static str> {
    match action {
        _ if counts.changed() => None,
        BulkContentAction::RemoveContent if removed => {
            Some("everything it sent is already removed")
        }
        BulkContentAction::RestoreContent if !removed => {
            Some("nothing it sent was removed by a decision on all of it")
        }
        _ => None,
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

    fn record(action: BulkContentAction, events: u64) -> RemoteActorCommand {
        RemoteActorCommand::RecordContent {
            action,
            decision: decision(),
            handle: "troll@remote.example".into(),
            counts: ContentCounts {
                events,
                ..ContentCounts::default()
            },
        }
    }

    fn recorded(action: BulkContentAction, events: u64) -> RemoteActorChange {
        RemoteActorChange::ContentDecided {
            action,
            decision: decision(),
            handle: "troll@remote.example".into(),
            counts: ContentCounts {
                events,
                ..ContentCounts::default()
            },
        }
    }

    #[test]
    fn removing_everything_twice_or_restoring_nothing_is_refused() {
        use BulkContentAction::{RemoveContent, RestoreContent};
        Test::with(())
            .given_no_previous_events()
            .when(record(RemoveContent, 0))
            .then_expect_events(vec![recorded(RemoveContent, 0)]);
        Test::with(())
            .given(vec![recorded(RemoveContent, 2)])
            .when(record(RemoveContent, 0))
            .then_expect_error(RemoteActorError::AlreadyDecided(
                "everything it sent is already removed",
            ));
        Test::with(())
            .given(vec![recorded(RemoveContent, 2)])
            .when(record(RemoveContent, 1))
            .then_expect_events(vec![recorded(RemoveContent, 1)]);
        Test::with(())
            .given_no_previous_events()
            .when(record(RestoreContent, 0))
            .then_expect_error(RemoteActorError::AlreadyDecided(
                "nothing it sent was removed by a decision on all of it",
            ));
        Test::with(())
            .given(vec![recorded(RemoveContent, 2)])
            .when(record(RestoreContent, 0))
            .then_expect_events(vec![recorded(RestoreContent, 0)]);
        // Suspending stays apart from it.
        Test::with(())
            .given(vec![recorded(RemoveContent, 2)])
            .when(moderate(ActorAction::Suspend))
            .then_expect_events(vec![moderated(ActorAction::Suspend)]);
    }
}
