//! Comments on a published event. Announcements are for organisers and go through even when
//! comments are closed; a deleted comment stays as a tombstone so replies keep their place.

use super::{
    invalid, CommentState, Event, EventChange, EventError, ParticipantState, COMMENT_MAX,
    COMMENT_MAX_BYTES,
};
use crate::validation::{html_deeper_than, sanitise_html, HTML_DEPTH_MAX};

impl Event {
    pub(super) fn post_comment(
        &self,
        comment: String,
        by: String,
        in_reply_to: Option<String>,
        body: &str,
        announcement: bool,
    ) -> Result<Vec<EventChange>, EventError> {
        let details = self.live()?;
        if self.draft {
            return Err(EventError::Draft);
        }
        let organiser = self
            .role_of(&by)
            .is_some_and(ParticipantState::is_organiser);
        if announcement && !organiser {
            return Err(EventError::NotOrganiser);
        }
        let closed = !details.options.comments_open || self.moderation.comments_closed;
        if closed && !announcement {
            return Err(EventError::CommentsClosed);
        }
        if let Some(parent) = &in_reply_to {
            self.comment(parent)?;
        }
        Ok(vec![EventChange::CommentPosted {
            comment,
            author: by,
            in_reply_to,
            body: checked_body(body)?,
            announcement,
        }])
    }

    pub(super) fn edit_comment(
        &self,
        comment: String,
        by: &str,
        body: &str,
    ) -> Result<Vec<EventChange>, EventError> {
        self.live()?;
        if self.comment(&comment)?.author != by {
            return Err(EventError::NotCommentAuthor);
        }
        let body = checked_body(body)?;
        Ok(vec![EventChange::CommentEdited { comment, body }])
    }

    pub(super) fn delete_comment(
        &self,
        comment: String,
        by: &str,
    ) -> Result<Vec<EventChange>, EventError> {
        self.live()?;
        let author = self.comment(&comment)?.author == by;
        if !author {
            self.require_organiser(by)?;
        }
        Ok(vec![EventChange::CommentDeleted { comment }])
    }

    /// A comment that is there to reply to, edit or delete.
    pub(super) fn comment(&self, id: &str) -> Result<&CommentState, EventError> {
        self.comments
            .iter()
            .find(|c| c.id == id && !c.deleted && !c.removed)
            .ok_or(EventError::UnknownComment)
    }
}

fn checked_body(body: &str) -> Result<String, EventError> {
    checked_comment(body).map_err(|message| invalid("body", message))
}

/// A comment's HTML as it is kept (sanitised, 1 to [`COMMENT_MAX`] characters), or why not. The
/// size and depth are bounded before sanitising, so hostile HTML costs little. Remote comments
/// obey the same rules.
pub fn checked_comment(body: &str) -> Result<String, String> {
    if body.len() > COMMENT_MAX_BYTES {
        return Err(format!(
            "a comment is at most {COMMENT_MAX} characters (64 KB of HTML as sent)"
        ));
    }
    if html_deeper_than(body, HTML_DEPTH_MAX) {
        return Err(format!(
            "a comment's HTML nests at most {HTML_DEPTH_MAX} elements deep"
        ));
    }
    let body = sanitise_html(body.trim());
    let length = body.chars().count();
    if length == 0 || length > COMMENT_MAX {
        return Err(format!("a comment is 1 to {COMMENT_MAX} characters"));
    }
    Ok(body)
}
