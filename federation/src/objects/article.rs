//! A group's post as an `Article`, as Mobilizon emits posts
//! (`lib/federation/activity_stream/converter/post.ex`): attributed to the group, its author as
//! `actor`, with `name`, `content` and `url`, and a plain-text `summary` for the timelines of
//! micro-blogs (Mastodon shows an Article as its name, summary and link).

use super::place::Hashtag;
use super::{audience, base, timestamp, ActorRef};
use convene_domain::event::details::Visibility;
use convene_domain::group::PostVisibility;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// Longest plain-text summary, in characters.
pub const SUMMARY_MAX: usize = 500;

/// A post as federated: published; members-only ones to the members alone.
#[derive(Debug, Clone, PartialEq)]
pub struct FederatedPost {
    pub uuid: String,
    /// Its address in the group: `/@{group}/p/{slug}`, also its id.
    pub slug: String,
    pub group_handle: String,
    pub group: ActorRef,
    /// Its author's actor id; the group's when the author is not shown.
    pub author: String,
    pub title: String,
    /// Sanitised HTML.
    pub body: String,
    pub tags: Vec<String>,
    pub visibility: PostVisibility,
    pub published: OffsetDateTime,
    pub updated: Option<OffsetDateTime>,
}

/// Where a post lives: `{public_url}/@{handle}/p/{slug}`, its id and its page.
pub fn post_url(public_url: &str, handle: &str, slug: &str) -> String {
    format!("{}/@{handle}/p/{slug}", base(public_url))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArticleObject {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub url: String,
    pub uuid: String,
    pub name: String,
    pub content: String,
    pub media_type: String,
    pub summary: String,
    pub actor: String,
    pub attributed_to: String,
    pub published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    pub draft: bool,
    pub tag: Vec<Hashtag>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

/// The `Article` of `post`, addressed as the group's events are: public to everyone with the
/// group's followers in `cc`, unlisted to the followers with the public in `cc`, members-only
/// to the group's `members` collection alone (as Mobilizon addresses a private post).
pub fn article_object(public_url: &str, post: &FederatedPost) -> ArticleObject {
    let id = post_url(public_url, &post.group_handle, &post.slug);
    let followers = [post.group.followers.as_str()];
    let (to, cc) = match post.visibility {
        PostVisibility::Public => audience(Visibility::Public, &followers, &[]),
        PostVisibility::Unlisted => audience(Visibility::Unlisted, &followers, &[]),
        PostVisibility::Members => (vec![format!("{}/members", post.group.id)], Vec::new()),
    };
    ArticleObject {
        context: Some(crate::context::context()),
        kind: "Article".into(),
        url: id.clone(),
        id,
        uuid: post.uuid.clone(),
        name: post.title.clone(),
        content: post.body.clone(),
        media_type: "text/html".into(),
        summary: convene_domain::text::excerpt(&post.body, SUMMARY_MAX),
        actor: post.author.clone(),
        attributed_to: post.group.id.clone(),
        published: timestamp(post.published),
        updated: post.updated.map(timestamp),
        draft: false,
        tag: post
            .tags
            .iter()
            .map(|tag| Hashtag {
                kind: "Hashtag".into(),
                name: format!("#{tag}"),
                href: format!("{}/tags/{tag}", base(public_url)),
            })
            .collect(),
        to,
        cc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_is_readable_as_a_note_and_addressed_to_the_groups_followers() {
        let post = FederatedPost {
            uuid: "p1".into(),
            slug: "spring-climb".into(),
            group_handle: "climbers".into(),
            group: ActorRef {
                id: "https://events.example/@climbers".into(),
                followers: "https://events.example/@climbers/followers".into(),
            },
            author: "https://events.example/@ana".into(),
            title: "Spring climb".into(),
            body: "<p>Meet at <b>the wall</b>.</p>".into(),
            tags: vec!["climbing".into()],
            visibility: PostVisibility::Public,
            published: OffsetDateTime::UNIX_EPOCH,
            updated: None,
        };
        let json = serde_json::to_value(article_object("https://events.example/", &post))
            .expect("serialises");
        assert_eq!(json["type"], "Article");
        assert_eq!(
            json["id"],
            "https://events.example/@climbers/p/spring-climb"
        );
        assert_eq!(json["url"], json["id"]);
        assert_eq!(json["name"], "Spring climb");
        assert_eq!(json["summary"], "Meet at the wall.");
        assert_eq!(json["attributedTo"], "https://events.example/@climbers");
        assert_eq!(json["actor"], "https://events.example/@ana");
        assert_eq!(json["to"], serde_json::json!([crate::context::PUBLIC]));
        assert_eq!(
            json["cc"],
            serde_json::json!(["https://events.example/@climbers/followers"])
        );
        assert_eq!(json["tag"][0]["name"], "#climbing");
        let unlisted = FederatedPost {
            visibility: PostVisibility::Unlisted,
            ..post
        };
        let json = serde_json::to_value(article_object("https://events.example", &unlisted))
            .expect("serialises");
        assert_eq!(
            json["to"],
            serde_json::json!(["https://events.example/@climbers/followers"])
        );
        assert_eq!(json["cc"], serde_json::json!([crate::context::PUBLIC]));
    }
}
