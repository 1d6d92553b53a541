//! A remote `Note` (a Mastodon or Pleroma status, a Mobilizon comment) as a comment, and a
//! `Tombstone`.

use super::values::{
    expect_kind, ids, instant, items, kind, non_empty, same_origin, text, visibility, web_id,
};
use super::Ignored;
use convene_domain::event::checked_comment;
use convene_domain::event::details::Visibility;
use convene_domain::FieldError;
use serde_json::Value;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq)]
pub struct IncomingNote {
    pub id: String,
    /// The event or comment it answers (a discussion's first-level comment: the discussion).
    pub in_reply_to: String,
    /// The discussion it is part of (Mobilizon's `context`), when it names one.
    pub context: Option<String>,
    pub attributed_to: String,
    /// Sanitised like a local comment.
    pub content: String,
    pub published: Option<OffsetDateTime>,
    pub updated: Option<OffsetDateTime>,
    pub visibility: Visibility,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// The actors its `Mention` tags name (their `href`), once each, at most [`MENTIONS_MAX`].
    pub mentions: Vec<String>,
}

/// `Mention` tags read from a note, at most.
pub const MENTIONS_MAX: usize = 20;

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
    let context = web_id(object, "context").ok();
    let in_reply_to = web_id(object, "inReplyTo")
        .ok()
        .or_else(|| context.clone())
        .ok_or(Ignored::NotAReply)?;
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
        context,
        attributed_to,
        content: checked_content(&html)?,
        published: instant(object.get("published")),
        updated: instant(object.get("updated")),
        visibility,
        to,
        cc,
        mentions: mentions(object.get("tag")),
    })
}

/// The actors named by the `Mention` tags among `tags`.
fn mentions(tags: Option<&Value>) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for tag in items(tags) {
        if kind(tag) != Some("Mention") {
            continue;
        }
        let Some(href) = text(tag.get("href")) else {
            continue;
        };
        if !found.contains(&href) {
            found.push(href);
        }
        if found.len() == MENTIONS_MAX {
            break;
        }
    }
    found
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_note_s_mention_tags_name_their_actors_once() {
        let note = json!({
            "type": "Note",
            "id": "https://mastodon.example/users/zoe/statuses/1",
            "attributedTo": "https://mastodon.example/users/zoe",
            "inReplyTo": "https://convene.example/events/e1",
            "content": "<p>@ana @bob see you</p>",
            "tag": [
                {"type": "Mention", "href": "https://convene.example/@ana", "name": "@ana@convene.example"},
                {"type": "Hashtag", "href": "https://mastodon.example/tags/x", "name": "#x"},
                {"type": "Mention", "href": "https://mastodon.example/users/bob", "name": "@bob"},
                {"type": "Mention", "href": "https://convene.example/@ana"},
                {"type": "Mention", "name": "@nohref"}
            ]
        });
        let parsed = parse_note(&note).expect("a note");
        assert_eq!(
            parsed.mentions,
            [
                "https://convene.example/@ana",
                "https://mastodon.example/users/bob"
            ]
        );
        let single = json!({
            "type": "Note",
            "id": "https://mastodon.example/users/zoe/statuses/2",
            "attributedTo": "https://mastodon.example/users/zoe",
            "inReplyTo": "https://convene.example/events/e1",
            "content": "<p>hi</p>",
            "tag": {"type": "Mention", "href": "https://convene.example/@ana"}
        });
        assert_eq!(
            parse_note(&single).expect("a note").mentions,
            ["https://convene.example/@ana"]
        );
    }
}
