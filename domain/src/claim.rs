//! A claim on a unique name (an email address, a handle). Its aggregate id is the name itself,
//! so two concurrent claims conflict on the same aggregate and only one wins.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

/// The aggregate id claiming an email address.
pub fn email_claim(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

/// The aggregate id claiming a handle: profiles and groups share one namespace (`/@name` is
/// either), so both claim here before they are created.
pub fn handle_claim(handle: &str) -> String {
    format!("handle:{handle}")
}

/// Who holds a handle claim.
pub fn handle_owner(kind: HandleKind, handle: &str) -> String {
    match kind {
        HandleKind::Profile => format!("profile:{handle}"),
        HandleKind::Group => format!("group:{handle}"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandleKind {
    Profile,
    Group,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimCommand {
    Take { owner: String },
    Release { owner: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClaimChange {
    Taken { owner: String },
    Released,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("it is already taken")]
    Taken,
    #[error("it is not held by this owner")]
    NotOwner,
}

impl DomainEvent for ClaimChange {
    fn event_type(&self) -> String {
        match self {
            Self::Taken { .. } => "ClaimTaken",
            Self::Released => "ClaimReleased",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}

impl Aggregate for Claim {
    const TYPE: &'static str = "Claim";
    type Command = ClaimCommand;
    type Event = ClaimChange;
    type Error = ClaimError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        match command {
            ClaimCommand::Take { owner } => {
                if self.owner.is_some() {
                    return Err(ClaimError::Taken);
                }
                sink.write(ClaimChange::Taken { owner }, self).await;
            }
            ClaimCommand::Release { owner } => {
                if self.owner.as_deref() != Some(owner.as_str()) {
                    return Err(ClaimError::NotOwner);
                }
                sink.write(ClaimChange::Released, self).await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, change: Self::Event) {
        self.owner = match change {
            ClaimChange::Taken { owner } => Some(owner),
            ClaimChange::Released => None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqrs_es::test::TestFramework;

    #[test]
    fn a_name_is_claimed_once_until_released() {
        TestFramework::<Claim>::with(())
            .given(vec![ClaimChange::Taken { owner: "a".into() }])
            .when(ClaimCommand::Take { owner: "b".into() })
            .then_expect_error(ClaimError::Taken);
        TestFramework::<Claim>::with(())
            .given(vec![
                ClaimChange::Taken { owner: "a".into() },
                ClaimChange::Released,
            ])
            .when(ClaimCommand::Take { owner: "b".into() })
            .then_expect_events(vec![ClaimChange::Taken { owner: "b".into() }]);
    }

    #[test]
    fn emails_are_claimed_case_insensitively() {
        assert_eq!(email_claim(" Ana@Example.ORG"), "email:ana@example.org");
    }
}
