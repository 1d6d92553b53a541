//! The decisions of a group: one function per command, each returning the changes to append.

use super::{
    invalid, validate_handle, FollowState, Group, GroupActor, GroupChange, GroupDetails,
    GroupError, GroupPatch, GroupVisibility, MemberRole, Openness, MESSAGE_MAX,
};
use crate::picture::{checked_alt, GroupPicture, ShownPicture};
use crate::validation::multiline;

type Decided = Result<Vec<GroupChange>, GroupError>;

impl Group {
    pub(super) fn live(&self) -> Result<&GroupDetails, GroupError> {
        self.details.as_ref().ok_or(GroupError::NotFound)
    }

    /// The acting member's role, when it is at least `needed`.
    pub(super) fn require(
        &self,
        by: &GroupActor,
        needed: MemberRole,
    ) -> Result<MemberRole, GroupError> {
        self.live()?;
        match self.role_of(by) {
            Some(role) if role.at_least(needed) => Ok(role),
            _ => Err(GroupError::RoleNeeded(needed)),
        }
    }

    /// `who`'s membership, which must exist.
    fn membership(&self, who: &GroupActor) -> Result<MemberRole, GroupError> {
        self.role_of(who)
            .ok_or_else(|| GroupError::NotInGroup(who.key()))
    }

    fn administrators(&self) -> usize {
        self.members
            .values()
            .filter(|r| r.is_administrator())
            .count()
    }

    /// Refuses when `who` is the last administrator and would no longer be one.
    fn keep_an_administrator(&self, who: &GroupActor) -> Result<(), GroupError> {
        let is_admin = self.role_of(who).is_some_and(MemberRole::is_administrator);
        if is_admin && self.administrators() == 1 {
            return Err(GroupError::LastAdministrator);
        }
        Ok(())
    }

    pub(super) fn create(
        &self,
        handle: String,
        creator: GroupActor,
        details: GroupDetails,
    ) -> Decided {
        if self.handle.is_some() {
            return Err(GroupError::AlreadyExists);
        }
        let mut errors = validate_handle(&handle).err().map_or(vec![], |e| match e {
            GroupError::Invalid(fields) => fields,
            _ => vec![],
        });
        let details = match details.validate() {
            Ok(details) => Some(details),
            Err(fields) => {
                errors.extend(fields);
                None
            }
        };
        match details {
            Some(details) if errors.is_empty() => Ok(vec![GroupChange::Created {
                handle,
                creator,
                details,
            }]),
            _ => Err(GroupError::Invalid(errors)),
        }
    }

    pub(super) fn update(&self, by: &GroupActor, patch: GroupPatch) -> Decided {
        self.require(by, MemberRole::Administrator)?;
        let current = self.live()?.clone();
        let fields = patch.fields();
        let details = patch
            .apply_to(current.clone())
            .validate()
            .map_err(GroupError::Invalid)?;
        if details == current {
            return Ok(vec![]);
        }
        Ok(vec![GroupChange::Updated {
            details,
            fields: fields.into_iter().map(String::from).collect(),
        }])
    }

    /// Administrators choose the group's avatar and banner; both are described.
    pub(super) fn set_picture(
        &self,
        by: &GroupActor,
        slot: GroupPicture,
        mut picture: ShownPicture,
    ) -> Decided {
        self.require(by, MemberRole::Administrator)?;
        picture.alt = checked_alt(Some(&picture.alt), true).map_err(GroupError::Invalid)?;
        Ok(vec![GroupChange::PictureSet { slot, picture }])
    }

    pub(super) fn remove_picture(&self, by: &GroupActor, slot: GroupPicture) -> Decided {
        self.require(by, MemberRole::Administrator)?;
        if self.picture(slot).is_none() {
            return Ok(vec![]);
        }
        Ok(vec![GroupChange::PictureRemoved { slot }])
    }

    pub(super) fn join(&self, who: GroupActor, message: Option<String>) -> Decided {
        let details = self.live()?;
        let message = message
            .map(|m| multiline(m.trim()))
            .filter(|m| !m.is_empty());
        if message
            .as_ref()
            .is_some_and(|m| m.chars().count() > MESSAGE_MAX)
        {
            return Err(invalid(
                "message",
                format!("a message is at most {MESSAGE_MAX} characters"),
            ));
        }
        match self.role_of(&who) {
            Some(MemberRole::Rejected) => return Err(GroupError::RejectedBefore(who.key())),
            Some(role) => return Err(GroupError::AlreadyIn(who.key(), role.as_str())),
            None => {}
        }
        let role = match details.openness {
            Openness::Open => MemberRole::Member,
            Openness::Moderated => MemberRole::NotApproved,
            Openness::InviteOnly => return Err(GroupError::InviteOnly),
        };
        Ok(vec![GroupChange::MemberJoined { who, role, message }])
    }

    pub(super) fn invite(&self, by: &GroupActor, who: GroupActor) -> Decided {
        self.require(by, MemberRole::Moderator)?;
        match self.role_of(&who) {
            None | Some(MemberRole::Rejected) => Ok(vec![GroupChange::MemberInvited { who }]),
            Some(role) => Err(GroupError::AlreadyIn(who.key(), role.as_str())),
        }
    }

    fn invitation_of(&self, who: &GroupActor) -> Result<(), GroupError> {
        self.live()?;
        match self.membership(who)? {
            MemberRole::Invited => Ok(()),
            role => Err(GroupError::WrongRole(who.key(), role.as_str())),
        }
    }

    pub(super) fn accept_invitation(&self, who: GroupActor) -> Decided {
        self.invitation_of(&who)?;
        Ok(vec![GroupChange::InvitationAccepted { who }])
    }

    pub(super) fn decline_invitation(&self, who: GroupActor) -> Decided {
        self.invitation_of(&who)?;
        Ok(vec![GroupChange::InvitationDeclined { who }])
    }

    /// A request to join, still waiting (one withdrawn or already answered is not).
    fn request_of(&self, by: &GroupActor, who: &GroupActor) -> Result<(), GroupError> {
        self.require(by, MemberRole::Moderator)?;
        match self.role_of(who) {
            Some(MemberRole::NotApproved) => Ok(()),
            Some(role) => Err(GroupError::WrongRole(who.key(), role.as_str())),
            // Whoever asked and left meanwhile (or never asked) has nothing to answer.
            None => Err(GroupError::NoRequest(who.key())),
        }
    }

    pub(super) fn approve(&self, by: &GroupActor, who: GroupActor) -> Decided {
        self.request_of(by, &who)?;
        Ok(vec![GroupChange::MemberApproved { who }])
    }

    pub(super) fn reject(&self, by: &GroupActor, who: GroupActor) -> Decided {
        self.request_of(by, &who)?;
        Ok(vec![GroupChange::MemberRejected { who }])
    }

    pub(super) fn leave(&self, who: GroupActor) -> Decided {
        self.live()?;
        match self.membership(&who)? {
            MemberRole::Rejected => Err(GroupError::WrongRole(who.key(), "rejected")),
            // An invitation is declined, not left.
            MemberRole::Invited => Err(GroupError::WrongRole(who.key(), "invited")),
            _ => {
                self.keep_an_administrator(&who)?;
                Ok(vec![GroupChange::MemberLeft { who }])
            }
        }
    }

    pub(super) fn change_role(
        &self,
        by: &GroupActor,
        who: GroupActor,
        role: MemberRole,
    ) -> Decided {
        let own = self.require(by, MemberRole::Administrator)?;
        if !matches!(
            role,
            MemberRole::Member | MemberRole::Moderator | MemberRole::Administrator
        ) {
            return Err(GroupError::RoleNotAssignable);
        }
        let current = self.membership(&who)?;
        if !current.is_member() {
            return Err(GroupError::WrongRole(who.key(), current.as_str()));
        }
        if role.rank() > own.rank() || current.rank() > own.rank() {
            return Err(GroupError::AboveOwnRole);
        }
        if current == role {
            return Ok(vec![]);
        }
        if !role.is_administrator() {
            self.keep_an_administrator(&who)?;
        }
        Ok(vec![GroupChange::MemberRoleChanged { who, role }])
    }

    pub(super) fn remove(&self, by: &GroupActor, who: GroupActor) -> Decided {
        let own = self.require(by, MemberRole::Moderator)?;
        let current = self.membership(&who)?;
        if current.rank() > own.rank() {
            return Err(GroupError::AboveOwnRole);
        }
        self.keep_an_administrator(&who)?;
        Ok(vec![GroupChange::MemberRemoved { who }])
    }

    pub(super) fn follow(&self, who: GroupActor) -> Decided {
        let details = self.live()?;
        if details.visibility != GroupVisibility::Public {
            return Err(GroupError::NotFollowable);
        }
        if self.followers.contains_key(&who) {
            return Err(GroupError::AlreadyFollowing(who.key()));
        }
        let state = if details.manually_approves_followers {
            FollowState::Pending
        } else {
            FollowState::Approved
        };
        Ok(vec![GroupChange::Followed { who, state }])
    }

    fn follower(&self, who: &GroupActor) -> Result<FollowState, GroupError> {
        self.live()?;
        self.followers
            .get(who)
            .copied()
            .ok_or_else(|| GroupError::NotFollowing(who.key()))
    }

    pub(super) fn unfollow(&self, who: GroupActor) -> Decided {
        self.follower(&who)?;
        Ok(vec![GroupChange::Unfollowed { who }])
    }

    pub(super) fn approve_follower(&self, by: &GroupActor, who: GroupActor) -> Decided {
        self.require(by, MemberRole::Moderator)?;
        match self.follower(&who)? {
            FollowState::Pending => Ok(vec![GroupChange::FollowerApproved { who }]),
            FollowState::Approved => Err(GroupError::AlreadyFollowing(who.key())),
        }
    }

    /// Refuses a pending follower, or stops an approved one from following.
    pub(super) fn reject_follower(&self, by: &GroupActor, who: GroupActor) -> Decided {
        self.require(by, MemberRole::Moderator)?;
        self.follower(&who)?;
        Ok(vec![GroupChange::FollowerRejected { who }])
    }
}
