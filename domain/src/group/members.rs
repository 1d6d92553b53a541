//! Who belongs to a group and who follows it: actors that may be local profiles or, once
//! groups federate, remote ActivityPub actors; and the roles members hold.

use serde::{Deserialize, Serialize};

/// A member or follower: a local profile by username, or a remote actor by its URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupActor {
    Profile(String),
    Remote(String),
}

impl GroupActor {
    pub fn profile(username: impl Into<String>) -> Self {
        Self::Profile(username.into())
    }

    /// How the read models key it: `@username` or the actor URL.
    pub fn key(&self) -> String {
        match self {
            Self::Profile(username) => format!("@{username}"),
            Self::Remote(url) => url.clone(),
        }
    }

    /// The actor a read model's `key` names (its inverse).
    pub fn from_key(key: &str) -> Self {
        match key.strip_prefix('@') {
            Some(username) => Self::profile(username),
            None => Self::Remote(key.to_string()),
        }
    }
}

impl std::fmt::Display for GroupActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

/// A membership's role, as in Mobilizon. Only `member` and above belong to the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// Invited by a moderator; not yet accepted.
    Invited,
    /// Asked to join a moderated group; not yet decided.
    NotApproved,
    Rejected,
    Member,
    Moderator,
    Administrator,
    Creator,
}

impl MemberRole {
    pub const ALL: [MemberRole; 7] = [
        Self::Invited,
        Self::NotApproved,
        Self::Rejected,
        Self::Member,
        Self::Moderator,
        Self::Administrator,
        Self::Creator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invited => "invited",
            Self::NotApproved => "not_approved",
            Self::Rejected => "rejected",
            Self::Member => "member",
            Self::Moderator => "moderator",
            Self::Administrator => "administrator",
            Self::Creator => "creator",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Rank among those who belong: 0 for those who do not.
    pub fn rank(self) -> u8 {
        match self {
            Self::Invited | Self::NotApproved | Self::Rejected => 0,
            Self::Member => 1,
            Self::Moderator => 2,
            Self::Administrator => 3,
            Self::Creator => 4,
        }
    }

    /// Belongs to the group: sees what is for members.
    pub fn is_member(self) -> bool {
        self.rank() >= 1
    }

    /// At least `needed`.
    pub fn at_least(self, needed: MemberRole) -> bool {
        self.rank() >= needed.rank() && self.is_member()
    }

    /// Administrators and the creator: the group's last must stay.
    pub fn is_administrator(self) -> bool {
        self.at_least(Self::Administrator)
    }
}

/// Whether a follower is waiting for the group's approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FollowState {
    Pending,
    Approved,
}

impl FollowState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_the_actor_it_was_made_from() {
        for actor in [
            GroupActor::profile("ana"),
            GroupActor::Remote("https://b.example/@bea".into()),
        ] {
            assert_eq!(GroupActor::from_key(&actor.key()), actor);
        }
    }
}
