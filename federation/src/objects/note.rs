//! A comment as a `Note` replying to its event or to the comment it answers.

use super::{audience, base, timestamp, ActorRef};
use convene_domain::event::details::Visibility;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// A comment as federated, from the `CommentPosted`/`CommentEdited` changes and the event.
#[derive(Debug, Clone, PartialEq)]
pub struct FederatedComment {
    pub uuid: String,
    pub author: ActorRef,
    /// The event's id (its URL).
    pub event: String,
    /// The actor the event is attributed to (its organiser or group), always addressed.
    pub event_attributed_to: String,
    pub event_visibility: Visibility,
    /// The URL of the comment this one answers, if any.
    pub in_reply_to: Option<String>,
    /// Sanitised HTML, as the domain stores it.
    pub body: String,
    pub published: OffsetDateTime,
    pub updated: Option<OffsetDateTime>,
}

/// Where a comment lives: `{public_url}/comments/{uuid}`.
pub fn comment_url(public_url: &str, uuid: &str) -> String {
    format!("{}/comments/{uuid}", base(public_url))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteObject {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub url: String,
    pub uuid: String,
    pub content: String,
    pub media_type: String,
    pub actor: String,
    pub attributed_to: String,
    /// The parent comment, or the event for a comment at the top.
    pub in_reply_to: String,
    pub published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

/// The `Note` of `comment`: addressed as its event is (public, unlisted or private), and always
/// to the event's organiser so replies reach it.
pub fn note_object(public_url: &str, comment: &FederatedComment) -> NoteObject {
    let id = comment_url(public_url, &comment.uuid);
    let (mut to, mut cc) = audience(
        comment.event_visibility,
        &[comment.author.followers.as_str()],
        &[],
    );
    let organiser = comment.event_attributed_to.clone();
    if comment.event_visibility == Visibility::Private {
        // Only the organiser, who passes it on to the participants.
        to = vec![organiser];
        cc.clear();
    } else if !cc.contains(&organiser) && !to.contains(&organiser) {
        cc.push(organiser);
    }
    NoteObject {
        context: Some(crate::context::context()),
        kind: "Note".into(),
        url: id.clone(),
        id,
        uuid: comment.uuid.clone(),
        content: comment.body.clone(),
        media_type: "text/html".into(),
        actor: comment.author.id.clone(),
        attributed_to: comment.author.id.clone(),
        in_reply_to: comment
            .in_reply_to
            .clone()
            .unwrap_or_else(|| comment.event.clone()),
        published: timestamp(comment.published),
        updated: comment.updated.map(timestamp),
        to,
        cc,
    }
}
