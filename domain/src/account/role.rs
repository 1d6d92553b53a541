//! An account's role on the whole instance, as opposed to a profile's role in an event.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    User,
    Moderator,
    Administrator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Administrator => "administrator",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Role::User, Role::Moderator, Role::Administrator]
            .into_iter()
            .find(|r| r.as_str() == text)
    }

    /// Moderators and administrators see history and moderate.
    pub fn moderates(self) -> bool {
        self != Role::User
    }
}
