use serde::{Deserialize, Serialize};

/// What can be asked of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProfileCommand {
    /// Claim `username` (the aggregate id) as a new profile, owned by `account` (none for
    /// profiles the instance itself runs).
    Create {
        username: String,
        display_name: Option<String>,
        account: Option<String>,
    },
    /// Change what is given; leave the rest as it is.
    Update {
        display_name: Option<String>,
        summary: Option<String>,
    },
}
