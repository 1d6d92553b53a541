//! A remote member's comment in one of our groups' discussions, as Mobilizon's members send it:
//! a `Create` of a `Note` whose `context` is the discussion (`{public_url}/@{handle}/c/{id}`),
//! answering the discussion or one of its comments. Applied by the group's rules (members only,
//! not in an archived discussion), the comment's id derived from the note's.

use super::dispatch::refusal;
use super::{Inbox, Refusal};
use crate::incoming::IncomingNote;
use convene_api::remote_events::{self, FromRemote};
use convene_api::remote_groups;

/// The group and discussion `url` names, when it is one of our groups' discussions.
pub(super) fn ours(inbox: &Inbox, url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix(&format!("{}/@", inbox.federation.public_url))?;
    let (handle, discussion) = rest.split_once("/c/")?;
    let plain = |part: &str| !part.is_empty() && !part.contains(['/', '?', '#', '@']);
    (plain(handle) && plain(discussion)).then(|| (handle.to_string(), discussion.to_string()))
}

/// `note` in discussion `discussion` of `@handle`, by the signer (checked to be its author).
pub(super) async fn comment(
    inbox: &Inbox,
    from: &FromRemote,
    (handle, discussion): (String, String),
    note: &IncomingNote,
) -> Result<String, Refusal> {
    // A reply to a comment this group took from elsewhere names that comment's note.
    let parent = Some(remote_events::comment_id(&note.in_reply_to))
        .filter(|_| ours(inbox, &note.in_reply_to).is_none());
    let commented = remote_groups::comment_on_discussion(
        &inbox.app,
        from,
        &handle,
        (&discussion, parent),
        &note.id,
        &note.content,
    )
    .await;
    match commented {
        Ok(comment) => Ok(format!(
            "{} commented in discussion {discussion} of @{handle}: comment {comment}",
            from.actor
        )),
        Err(error) => Err(refusal(error)),
    }
}
