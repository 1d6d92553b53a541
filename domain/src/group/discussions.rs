//! A group's discussions: members-only threads whose comments are threaded like an event's.
//! Every member may start one and comment; its author or a moderator renames, archives or
//! deletes it; a comment is edited by its author only, and deleted by its author or a moderator,
//! staying as a tombstone so replies keep their place. They live inside the group aggregate for the reason posts do:
//! whether someone is a member is decided on the same version of the members, so a member
//! removed a moment ago neither reads (the read side) nor writes (here) any more. The aggregate
//! keeps only who wrote what and what is archived or deleted; the text is in the changes and the
//! read model.

use super::{invalid, Group, GroupActor, GroupChange, GroupError, MemberRole};
use crate::event::checked_comment;
use crate::validation::has_control;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest discussion title, in characters.
pub const DISCUSSION_TITLE_MAX: usize = 200;

/// What the group remembers of a discussion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscussionState {
    pub author: GroupActor,
    pub archived: bool,
    /// Each comment's author, and whether it was deleted.
    pub comments: BTreeMap<String, (GroupActor, bool)>,
}

fn checked_title(title: &str) -> Result<String, GroupError> {
    let title = title.trim().to_string();
    let length = title.chars().count();
    if !(1..=DISCUSSION_TITLE_MAX).contains(&length) || has_control(&title) {
        return Err(invalid(
            "title",
            format!("a title is 1 to {DISCUSSION_TITLE_MAX} characters on one line"),
        ));
    }
    Ok(title)
}

fn checked_body(body: &str) -> Result<String, GroupError> {
    checked_comment(body).map_err(|message| invalid("body", message))
}

type Decided = Result<Vec<GroupChange>, GroupError>;

impl Group {
    fn discussion(&self, id: &str) -> Result<&DiscussionState, GroupError> {
        self.discussions
            .get(id)
            .ok_or(GroupError::UnknownDiscussion)
    }

    /// `by` is the discussion's author (still a member) or a moderator or above.
    fn author_or_moderator(&self, by: &GroupActor, discussion: &str) -> Result<(), GroupError> {
        let role = self.require(by, MemberRole::Member)?;
        if self.discussion(discussion)?.author == *by || role.at_least(MemberRole::Moderator) {
            Ok(())
        } else {
            Err(GroupError::RoleNeeded(MemberRole::Moderator))
        }
    }

    pub(super) fn start_discussion(
        &self,
        by: GroupActor,
        discussion: String,
        title: &str,
        comment: String,
        body: &str,
    ) -> Decided {
        self.require(&by, MemberRole::Member)?;
        if self.discussions.contains_key(&discussion) {
            return Err(invalid("discussion", "a discussion with this id exists"));
        }
        // Both fields named at once.
        let mut errors = Vec::new();
        let title = checked_title(title).map_err(|e| errors.push(e));
        let body = checked_body(body).map_err(|e| errors.push(e));
        let (Ok(title), Ok(body)) = (title, body) else {
            let fields = errors
                .into_iter()
                .flat_map(|e| match e {
                    GroupError::Invalid(fields) => fields,
                    _ => Vec::new(),
                })
                .collect();
            return Err(GroupError::Invalid(fields));
        };
        Ok(vec![
            GroupChange::DiscussionStarted {
                discussion: discussion.clone(),
                title,
                author: by.clone(),
            },
            GroupChange::DiscussionCommented {
                discussion,
                comment,
                author: by,
                in_reply_to: None,
                body,
                note: None,
            },
        ])
    }

    pub(super) fn comment_on_discussion(
        &self,
        by: GroupActor,
        (discussion, comment, in_reply_to): (String, String, Option<String>),
        body: &str,
        note: Option<String>,
    ) -> Decided {
        self.require(&by, MemberRole::Member)?;
        let state = self.discussion(&discussion)?;
        if state.archived {
            return Err(GroupError::DiscussionArchived);
        }
        if state.comments.contains_key(&comment) {
            return Err(invalid("comment", "a comment with this id exists"));
        }
        if let Some(parent) = &in_reply_to {
            match state.comments.get(parent) {
                Some((_, false)) => {}
                _ => return Err(GroupError::UnknownComment),
            }
        }
        Ok(vec![GroupChange::DiscussionCommented {
            discussion,
            comment,
            author: by,
            in_reply_to,
            body: checked_body(body)?,
            note,
        }])
    }

    pub(super) fn change_discussion(
        &self,
        by: &GroupActor,
        discussion: String,
        title: Option<&str>,
        archived: Option<bool>,
    ) -> Decided {
        let mut changes = Vec::new();
        if let Some(title) = title {
            changes.extend(self.rename_discussion(by, discussion.clone(), title)?);
        }
        if let Some(archived) = archived {
            changes.extend(self.archive_discussion(by, discussion, archived)?);
        }
        Ok(changes)
    }

    fn rename_discussion(&self, by: &GroupActor, discussion: String, title: &str) -> Decided {
        self.author_or_moderator(by, &discussion)?;
        let title = checked_title(title)?;
        Ok(vec![GroupChange::DiscussionRenamed { discussion, title }])
    }

    fn archive_discussion(&self, by: &GroupActor, discussion: String, archived: bool) -> Decided {
        self.author_or_moderator(by, &discussion)?;
        if self.discussion(&discussion)?.archived == archived {
            return Ok(vec![]);
        }
        Ok(vec![GroupChange::DiscussionArchived {
            discussion,
            archived,
        }])
    }

    pub(super) fn delete_discussion(&self, by: &GroupActor, discussion: String) -> Decided {
        self.author_or_moderator(by, &discussion)?;
        Ok(vec![GroupChange::DiscussionDeleted { discussion }])
    }

    pub(super) fn delete_discussion_comment(
        &self,
        by: &GroupActor,
        discussion: String,
        comment: String,
    ) -> Decided {
        let role = self.require(by, MemberRole::Member)?;
        let author = match self.discussion(&discussion)?.comments.get(&comment) {
            Some((author, false)) => author,
            _ => return Err(GroupError::UnknownComment),
        };
        if author != by && !role.at_least(MemberRole::Moderator) {
            return Err(GroupError::RoleNeeded(MemberRole::Moderator));
        }
        Ok(vec![GroupChange::DiscussionCommentDeleted {
            discussion,
            comment,
        }])
    }

    /// Only the comment's author edits it (moderators delete, never put words in someone's
    /// mouth), and not once the discussion is archived.
    pub(super) fn edit_discussion_comment(
        &self,
        by: &GroupActor,
        discussion: String,
        comment: String,
        body: &str,
    ) -> Decided {
        self.require(by, MemberRole::Member)?;
        let state = self.discussion(&discussion)?;
        let author = match state.comments.get(&comment) {
            Some((author, false)) => author,
            _ => return Err(GroupError::UnknownComment),
        };
        if author != by {
            return Err(GroupError::AuthorOnly);
        }
        if state.archived {
            return Err(GroupError::DiscussionArchived);
        }
        Ok(vec![GroupChange::DiscussionCommentEdited {
            discussion,
            comment,
            body: checked_body(body)?,
        }])
    }

    /// Sets what the group remembers of its discussions, for [`Group::apply`].
    pub(super) fn apply_discussion(&mut self, change: &GroupChange) {
        use GroupChange as C;
        match change {
            C::DiscussionStarted {
                discussion, author, ..
            } => {
                self.discussions
                    .entry(discussion.clone())
                    .or_insert_with(|| DiscussionState {
                        author: author.clone(),
                        archived: false,
                        comments: BTreeMap::new(),
                    });
            }
            C::DiscussionCommented {
                discussion,
                comment,
                author,
                ..
            } => {
                if let Some(state) = self.discussions.get_mut(discussion) {
                    state
                        .comments
                        .insert(comment.clone(), (author.clone(), false));
                }
            }
            C::DiscussionArchived {
                discussion,
                archived,
            } => {
                if let Some(state) = self.discussions.get_mut(discussion) {
                    state.archived = *archived;
                }
            }
            C::DiscussionDeleted { discussion } => {
                self.discussions.remove(discussion);
            }
            C::DiscussionCommentDeleted {
                discussion,
                comment,
            } => {
                if let Some((_, deleted)) = self
                    .discussions
                    .get_mut(discussion)
                    .and_then(|d| d.comments.get_mut(comment))
                {
                    *deleted = true;
                }
            }
            _ => {}
        }
    }
}
