//! A remote `Note` (a Mastodon or Pleroma status, a Mobilizon comment) as a comment, and a
//! `Tombstone`.

use super::values::{expect_kind, ids, instant, non_empty, same_origin, text, visibility, web_id};
use super::Ignored;
use convene_domain::event::checked_comment;
use convene_domain::event::details::Visibility;
use convene_domain::FieldError;
use serde_json::Value;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq)]
pub struct IncomingNote {
    pub id: String,
    /// The event or comment it answers.
    pub in_reply_to: String,
    pub attributed_to: String,
    /// Sanitised like a local comment.
    pub content: String,
    pub published: Option<OffsetDateTime>,
    pub updated: Option<OffsetDateTime>,
    pub visibility: Visibility,
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IncomingTombstone {
    pub id: String,
    pub former_type: Option<String>,
    pub deleted: Option<OffsetDateTime>,
}

pub fn parse_note(object: &Value) -> Result<IncomingNote, Ignored> {
    expect_kind(object, "Note")?;
    let id = web_id(object, "id")?;
    let attributed_to = web_id(object, "attributedTo").or_else(|_| web_id(object, "actor"))?;
    if !same_origin(&id, &attributed_to) {
        return Err(Ignored::ForeignOrigin {
            id,
            actor: attributed_to,
        });
    }
    let in_reply_to = web_id(object, "inReplyTo").map_err(|_| Ignored::NotAReply)?;
    let html = non_empty(text(object.get("content")))
        .or_else(|| non_empty(text(object.get("contentMap"))))
        .or_else(|| non_empty(text(object.get("name"))))
        .unwrap_or_default();
    let to = ids(object.get("to"));
    let cc = ids(object.get("cc"));
    let visibility = visibility(&to, &cc);
    Ok(IncomingNote {
        id,
        in_reply_to,
        attributed_to,
        content: checked_content(&html)?,
        published: instant(object.get("published")),
        updated: instant(object.get("updated")),
        visibility,
        to,
        cc,
    })
}

/// The rules of a local comment (the domain's, with its limits).
fn checked_content(html: &str) -> Result<String, Ignored> {
    checked_comment(html).map_err(|message| {
        Ignored::Invalid(vec![FieldError {
            field: "content".into(),
            message,
        }])
    })
}

pub fn parse_tombstone(object: &Value) -> Result<IncomingTombstone, Ignored> {
    Ok(IncomingTombstone {
        id: web_id(object, "id")?,
        former_type: non_empty(text(object.get("formerType")))
            .map(|t| t.chars().take(64).collect()),
        deleted: instant(object.get("deleted")),
    })
}
