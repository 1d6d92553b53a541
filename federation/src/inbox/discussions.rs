//! Discussions across instances. A remote member's comment in one of our groups' discussions,
//! as Mobilizon's members send it: a `Create` of a `Note` whose `context` is the discussion
//! (`{public_url}/@{handle}/c/{id}`), answering the discussion or one of its comments; applied
//! by the group's rules (members only, not in an archived discussion), the comment's id derived
//! from the note's. And the other way: a comment another instance's group relays to its members
//! here (its `Announce` of the `Note`, [`relayed`]).

use super::dispatch::refusal;
use super::{Inbox, Refusal};
use crate::incoming::IncomingNote;
use convene_api::groups_elsewhere::{self, Relayed};
use convene_api::remote_events::{self, FromRemote};
use convene_api::remote_groups;
use convene_domain::profile::CommentElsewhere;

/// The group and discussion `url` names, when it is one of our groups' discussions.
pub(super) fn ours(inbox: &Inbox, url: &str) -> Option<(String, String)> {
    let (handle, discussion) = super::in_our_group(inbox, url, "/c/")?;
    super::is_plain(discussion).then(|| (handle, discussion.to_string()))
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

/// `note`, relayed by the group of `from` (its `Announce`) from one of its discussions: kept for
/// the group's members here, once the group lists the note's author among its members.
pub(super) async fn relayed(
    inbox: &Inbox,
    from: &FromRemote,
    note: &IncomingNote,
) -> Result<String, Refusal> {
    let Some(discussion) = note.context.clone() else {
        return Err(Refusal::ignored(format!(
            "{} is in no discussion: only discussions' comments are taken from a group",
            note.id
        )));
    };
    // Nothing is taken from a suspended domain, whoever relays it.
    super::not_suspended(inbox, &note.attributed_to).await?;
    super::not_suspended(inbox, &note.id).await?;
    let comment = CommentElsewhere {
        note: note.id.clone(),
        in_reply_to: Some(note.in_reply_to.clone()).filter(|r| *r != discussion),
        discussion,
        author: note.attributed_to.clone(),
        body: note.content.clone(),
    };
    match groups_elsewhere::relayed_comment(&inbox.app, from, comment).await {
        Ok(Relayed::Kept(members)) => {
            // Its author known here by name from then on; kept whether or not the author's
            // server answers.
            if !note.attributed_to.starts_with(&inbox.federation.public_url) {
                let _ = inbox.actors.get(&note.attributed_to).await;
            }
            Ok(format!(
                "{} relayed {} by {}: kept for its {members} member(s) here",
                from.actor, note.id, note.attributed_to
            ))
        }
        Ok(Relayed::AlreadyHere) => Err(Refusal::ignored(format!("{} is already here", note.id))),
        Ok(Relayed::NoMemberHere) => Err(Refusal::ignored(format!(
            "nobody here is a member of {}",
            from.actor
        ))),
        Err(error) => Err(refusal(error)),
    }
}

/// The group of `from` deletes `id`, a comment it relayed here or a discussion of its: forgotten
/// for its members here. None when nothing relayed here is `id`.
pub(super) async fn deleted(
    inbox: &Inbox,
    from: &FromRemote,
    id: &str,
) -> Result<Option<String>, Refusal> {
    match groups_elsewhere::relayed_deletion(&inbox.app, from, id).await {
        Ok(None) => Ok(None),
        Ok(Some(members)) => Ok(Some(format!(
            "{} deleted {id}: forgotten for its {members} member(s) here",
            from.actor
        ))),
        Err(error) => Err(refusal(error)),
    }
}
