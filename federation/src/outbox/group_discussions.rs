//! A group's discussions relayed to its remote members, as Mobilizon's groups relay what their
//! members write: each comment, written here or on a member's instance, is `Announce`d by the
//! group with its `Note` embedded (only members may fetch it), addressed to the group's
//! `members`, and delivered to every remote member's inbox, the author's own too: its instance
//! learns the group took the comment, and keeps it with the others.

use super::derive::Outgoing;
use super::groups::{remote_member_inboxes, GroupLogs};
use crate::actors::local::{group_id, person_id};
use crate::keys::key_id;
use crate::objects::{activity_id, base, timestamp, Activity, ActivityKind};
use convene_domain::group::GroupActor;
use convene_domain::{Group, GroupChange};
use convene_projections::{Error, StoredEvent};
use serde_json::json;
use std::collections::HashMap;

/// The id of a comment written here in discussion `discussion` of group `@handle`.
pub fn comment_url(public_url: &str, handle: &str, discussion: &str, comment: &str) -> String {
    format!("{}/@{handle}/c/{discussion}/{comment}", base(public_url))
}

/// The `Note` id of each comment of one group's discussions, by comment id: its own for a
/// comment written elsewhere, [`comment_url`] for one written here.
#[derive(Debug, Default)]
pub(super) struct CommentNotes(HashMap<String, String>);

impl CommentNotes {
    pub(super) fn follow(&mut self, public_url: &str, handle: &str, change: &GroupChange) {
        if let GroupChange::DiscussionCommented {
            discussion,
            comment,
            note,
            ..
        } = change
        {
            let id = note
                .clone()
                .unwrap_or_else(|| comment_url(public_url, handle, discussion, comment));
            self.0.insert(comment.clone(), id);
        }
    }
}

/// The group's `Announce` of comment `change` (a `DiscussionCommented` already followed by
/// `notes`) to its remote members as `group` counts them after it; none without one.
pub(super) fn relay_comment(
    public_url: &str,
    handle: &str,
    stored: &StoredEvent,
    (change, group, notes): (&GroupChange, &Group, &CommentNotes),
    groups: &GroupLogs,
) -> Result<Option<Outgoing>, Error> {
    let GroupChange::DiscussionCommented {
        discussion,
        comment,
        author,
        in_reply_to,
        body,
        ..
    } = change
    else {
        return Ok(None);
    };
    let inboxes = remote_member_inboxes(group, groups);
    let author = match author {
        GroupActor::Profile(username) => person_id(public_url, username),
        GroupActor::Remote(actor) => actor.clone(),
    };
    if inboxes.is_empty() {
        return Ok(None);
    }
    let at = stored.metadata()?.recorded_at;
    let group_url = group_id(public_url, handle);
    let members = format!("{group_url}/members");
    let context = format!("{group_url}/c/{discussion}");
    let parent = in_reply_to.as_ref().and_then(|parent| notes.0.get(parent));
    let note = json!({
        "id": notes.0.get(comment),
        "type": "Note",
        "attributedTo": author,
        "actor": author,
        "context": context,
        "inReplyTo": parent.unwrap_or(&context),
        "content": body,
        "mediaType": "text/html",
        "published": timestamp(at),
        "to": [members],
        "cc": [],
    });
    let kind = ActivityKind::Announce;
    Ok(Some(Outgoing {
        activity: Activity::new(
            activity_id(public_url, handle, stored.sequence as u64, kind),
            kind,
            &group_url,
            note,
            vec![members],
            Vec::new(),
            at,
        ),
        key_id: key_id(&group_url),
        inboxes: inboxes.into_iter().collect(),
        about: None,
    }))
}
