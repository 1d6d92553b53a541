//! A group's discussions relayed to its remote members, as Mobilizon's groups relay what their
//! members write: each comment, written here or on a member's instance, is `Announce`d by the
//! group with its `Note` embedded (only members may fetch it), addressed to the group's
//! `members`, and delivered to every remote member's inbox, the author's own too: its instance
//! learns the group took the comment, and keeps it with the others. An edited comment is
//! announced again, `updated`; a deleted comment or discussion goes as the group's `Delete` of
//! its `Tombstone`.

use super::derive::Outgoing;
use super::group_work::GroupDocument;
use super::groups::{to_members, GroupLogs};
use crate::actors::local::{group_actor_id, group_id};
use crate::objects::{base, timestamp, tombstone, ActivityKind};
use convene_domain::{Group, GroupChange};
use convene_projections::{Error, StoredEvent};
use serde_json::{json, Value};
use std::collections::HashMap;
use time::OffsetDateTime;

/// The id of a comment written here in discussion `discussion` of group `@handle`.
pub fn comment_url(public_url: &str, handle: &str, discussion: &str, comment: &str) -> String {
    format!("{}/@{handle}/c/{discussion}/{comment}", base(public_url))
}

/// A comment as its `Note` is relayed.
#[derive(Debug, Clone)]
struct Remembered {
    /// Its own id for a comment written elsewhere, [`comment_url`] for one written here.
    note: String,
    discussion: String,
    author: String,
    /// The `Note` id of the comment it answers.
    parent: Option<String>,
    body: String,
    published: OffsetDateTime,
    updated: Option<OffsetDateTime>,
}

/// A discussion as its `Note` is served at its address.
#[derive(Debug, Clone)]
struct Started {
    title: String,
    author: String,
    published: OffsetDateTime,
    /// Its latest comment's text (Mobilizon's discussion carries it as `content`).
    last: String,
    deleted: Option<OffsetDateTime>,
}

/// The comments of one group's discussions, by comment id, as far as its log has gone; a
/// deleted one stays, with when in `deleted`, for its `Tombstone`. And the discussions, by id.
#[derive(Debug, Default)]
pub(super) struct Comments {
    by_id: HashMap<String, Remembered>,
    deleted: HashMap<String, OffsetDateTime>,
    discussions: HashMap<String, Started>,
}

impl Comments {
    pub(super) fn follow(
        &mut self,
        public_url: &str,
        handle: &str,
        change: &GroupChange,
        at: OffsetDateTime,
    ) {
        match change {
            GroupChange::DiscussionStarted {
                discussion,
                title,
                author,
            } => {
                let started = Started {
                    title: title.clone(),
                    author: group_actor_id(public_url, author),
                    published: at,
                    last: String::new(),
                    deleted: None,
                };
                self.discussions.insert(discussion.clone(), started);
            }
            GroupChange::DiscussionRenamed { discussion, title } => {
                if let Some(started) = self.discussions.get_mut(discussion) {
                    started.title = title.clone();
                }
            }
            GroupChange::DiscussionCommented {
                discussion,
                comment,
                author,
                in_reply_to,
                body,
                note,
            } => {
                if let Some(started) = self.discussions.get_mut(discussion) {
                    started.last = body.clone();
                }
                let remembered = Remembered {
                    note: note
                        .clone()
                        .unwrap_or_else(|| comment_url(public_url, handle, discussion, comment)),
                    discussion: discussion.clone(),
                    author: group_actor_id(public_url, author),
                    parent: in_reply_to
                        .as_ref()
                        .and_then(|parent| Some(self.by_id.get(parent)?.note.clone())),
                    body: body.clone(),
                    published: at,
                    updated: None,
                };
                self.by_id.insert(comment.clone(), remembered);
            }
            GroupChange::DiscussionCommentEdited { comment, body, .. } => {
                if let Some(remembered) = self.by_id.get_mut(comment) {
                    remembered.body = body.clone();
                    remembered.updated = Some(at);
                }
            }
            GroupChange::DiscussionCommentDeleted { comment, .. } => {
                self.deleted.insert(comment.clone(), at);
            }
            GroupChange::DiscussionDeleted { discussion } => {
                if let Some(started) = self.discussions.get_mut(discussion) {
                    started.deleted = Some(at);
                }
                let gone = self
                    .by_id
                    .iter()
                    .filter(|(_, c)| c.discussion == *discussion);
                let gone: Vec<String> = gone.map(|(id, _)| id.clone()).collect();
                for comment in gone {
                    self.deleted.entry(comment).or_insert(at);
                }
            }
            _ => {}
        }
    }

    /// What the group at `group` (`@handle`) shows at the address of one of its discussions,
    /// `c/{discussion}`, or of a comment written here, `c/{discussion}/{comment}` (`path`'s
    /// segments): its `Note`, its tombstone once deleted, or nothing (no such discussion or
    /// comment here, or a comment written on a member's instance).
    pub(super) fn at_address(
        &self,
        (public_url, handle): (&str, &str),
        path: &[&str],
    ) -> Option<GroupDocument> {
        if let ["c", discussion] = path {
            return self.discussion_at((public_url, handle), discussion);
        }
        let ["c", discussion, id] = path else {
            return None;
        };
        let comment = self.by_id.get(*id)?;
        if comment.note != comment_url(public_url, handle, discussion, id) {
            return None;
        }
        let group = group_id(public_url, handle);
        Some(match self.deleted.get(*id) {
            Some(at) => GroupDocument::Gone(gone(&comment.note, *at, &group)),
            None => GroupDocument::Object(note(&group, comment, &format!("{group}/members"))),
        })
    }

    /// Discussion `discussion` as Mobilizon serves one (its `converter/discussion.ex`): a `Note`
    /// named by its title, its own address as `context`, its latest comment's text as
    /// `content`, `actor` who started it, `attributedTo` the group; its tombstone once deleted.
    fn discussion_at(
        &self,
        (public_url, handle): (&str, &str),
        discussion: &str,
    ) -> Option<GroupDocument> {
        let started = self.discussions.get(discussion)?;
        let group = group_id(public_url, handle);
        let url = format!("{group}/c/{discussion}");
        if let Some(at) = started.deleted {
            return Some(GroupDocument::Gone(gone(&url, at, &group)));
        }
        Some(GroupDocument::Object(json!({
            "id": url,
            "type": "Note",
            "name": started.title,
            "context": url,
            "content": started.last,
            "mediaType": "text/html",
            "actor": started.author,
            "attributedTo": group,
            "published": timestamp(started.published),
            "to": [format!("{group}/members")],
            "cc": [],
        })))
    }
}

/// What the group sends its remote members (as `group` counts them after the change) of a
/// change in its discussions, already followed by `comments`; none for other changes, or
/// without a remote member.
pub(super) fn relay(
    public_url: &str,
    handle: &str,
    stored: &StoredEvent,
    (change, group, comments): (&GroupChange, &Group, &Comments),
    groups: &GroupLogs,
) -> Result<Option<Outgoing>, Error> {
    let group_url = group_id(public_url, handle);
    let members = format!("{group_url}/members");
    let at = stored.metadata()?.recorded_at;
    let (kind, object) = match change {
        GroupChange::DiscussionCommented { comment, .. }
        | GroupChange::DiscussionCommentEdited { comment, .. } => {
            let Some(remembered) = comments.by_id.get(comment) else {
                return Ok(None);
            };
            let note = note(&group_url, remembered, &members);
            (ActivityKind::Announce, note)
        }
        GroupChange::DiscussionCommentDeleted { comment, .. } => {
            let Some(remembered) = comments.by_id.get(comment) else {
                return Ok(None);
            };
            (ActivityKind::Delete, gone(&remembered.note, at, &group_url))
        }
        GroupChange::DiscussionDeleted { discussion } => {
            let url = format!("{group_url}/c/{discussion}");
            (ActivityKind::Delete, gone(&url, at, &group_url))
        }
        _ => return Ok(None),
    };
    to_members(public_url, handle, stored, (kind, object), group, groups)
}

/// The `Note` of a comment in discussion `{group}/c/{discussion}`, to the group's `members`.
fn note(group: &str, comment: &Remembered, members: &str) -> Value {
    let context = format!("{group}/c/{}", comment.discussion);
    let mut note = json!({
        "id": comment.note,
        "type": "Note",
        "attributedTo": comment.author,
        "actor": comment.author,
        "context": context,
        "inReplyTo": comment.parent.as_deref().unwrap_or(&context),
        "content": comment.body,
        "mediaType": "text/html",
        "published": timestamp(comment.published),
        "to": [members],
        "cc": [],
    });
    if let Some(updated) = comment.updated {
        note["updated"] = json!(timestamp(updated));
    }
    note
}

/// The tombstone of a comment's note or of a discussion, deleted by the group.
fn gone(id: &str, at: OffsetDateTime, group: &str) -> Value {
    serde_json::to_value(tombstone(id, "Note", at, Some(group))).unwrap_or_default()
}
