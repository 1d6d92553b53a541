use serde::{Deserialize, Serialize};

/// What can be asked of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProfileCommand {
    /// Claim `username` (the aggregate id) as a new profile.
    Create {
        username: String,
        display_name: Option<String>,
    },
    Rename {
        display_name: String,
    },
}
