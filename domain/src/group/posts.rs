//! A group's posts (articles): written, edited and deleted by its moderators and above. They
//! live inside the group aggregate so that who may write is decided on the same version of the
//! members as every other rule (a moderator removed a moment ago writes nothing), and so that
//! slugs are unique within the group. The aggregate keeps only what those decisions need; the
//! text lives in the changes and the read model.

use super::{invalid, Group, GroupActor, GroupChange, GroupError, MemberRole};
use crate::event::details::{at_most, normalise_tags, TAGS_MAX};
use crate::validation::HTML_DEPTH_MAX;
use crate::validation::{has_control, html_deeper_than, sanitise_html, Errors, FieldError};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Longest title, in characters.
pub const POST_TITLE_MAX: usize = 200;
/// Largest body accepted, in bytes of HTML as sent.
pub const POST_BODY_MAX_BYTES: usize = 100 * 1024;
/// Longest slug, in characters (before a suffix that keeps it unique).
pub const SLUG_MAX: usize = 60;

/// Who may read a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PostVisibility {
    /// Anyone, and listed on the group's page.
    #[default]
    Public,
    /// Anyone with its address; listed for members only.
    Unlisted,
    /// The group's members only.
    Members,
}

impl PostVisibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Unlisted => "unlisted",
            Self::Members => "members",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Public, Self::Unlisted, Self::Members]
            .into_iter()
            .find(|v| v.as_str() == text)
    }
}

/// What a post says and who may read it: the whole of it, at creation and at every edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostContent {
    pub title: String,
    /// Sanitised HTML.
    #[serde(default)]
    pub body: String,
    #[serde(default, deserialize_with = "at_most::<_, _, TAGS_MAX>")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub visibility: PostVisibility,
    /// A draft is seen by the group's moderators only.
    #[serde(default)]
    pub draft: bool,
    /// When a post that is not a draft becomes public; none: as soon as it is written. Until
    /// then it is seen by the group's moderators only, and the instance publishes it when the
    /// time comes ([`GroupCommand::PublishPost`](super::GroupCommand::PublishPost)).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub publish_at: Option<OffsetDateTime>,
}

impl PostContent {
    /// Checks every rule and returns the normalised content, or every broken rule by field.
    /// Sizes are checked before the HTML is parsed, so refusing costs little.
    pub fn validate(mut self) -> Result<PostContent, Vec<FieldError>> {
        let mut errors = Errors::default();
        self.title = self.title.trim().to_string();
        let length = self.title.chars().count();
        errors.check(
            (1..=POST_TITLE_MAX).contains(&length) && !has_control(&self.title),
            "title",
            format!("a title is 1 to {POST_TITLE_MAX} characters on one line"),
        );
        if self.body.len() > POST_BODY_MAX_BYTES {
            errors.add(
                "body",
                format!(
                    "a post is at most 100 KB of HTML (this one is {} KB)",
                    self.body.len().div_ceil(1024)
                ),
            );
        } else if html_deeper_than(&self.body, HTML_DEPTH_MAX) {
            errors.add(
                "body",
                format!("a post's HTML nests at most {HTML_DEPTH_MAX} elements deep"),
            );
        } else {
            self.body = sanitise_html(self.body.trim());
        }
        self.tags = normalise_tags(std::mem::take(&mut self.tags), &mut errors);
        errors.finish(self)
    }

    /// The names of the fields that differ from what the group remembers of the post.
    pub fn fields_changed(&self, before: &PostState) -> Vec<String> {
        [
            ("title", self.title != before.title),
            ("body", digest(&self.body) != before.body_digest),
            ("tags", self.tags != before.tags),
            ("visibility", self.visibility != before.visibility),
            ("draft", self.draft != before.draft),
            ("publish_at", self.publish_at != before.publish_at),
        ]
        .into_iter()
        .filter(|(_, changed)| *changed)
        .map(|(field, _)| field.to_string())
        .collect()
    }
}

/// The SHA-256 of a body, in hex: the group tells an edited body without keeping every body.
fn digest(body: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the group remembers of a post: enough to decide, not to show (a group's snapshot stays
/// small however long its posts are).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostState {
    pub slug: String,
    pub author: GroupActor,
    /// Published once (a post put back to draft is not published again as new).
    pub published: bool,
    pub title: String,
    pub body_digest: String,
    pub tags: Vec<String>,
    pub visibility: PostVisibility,
    pub draft: bool,
    /// When it is to be published, if it waits for a time.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub publish_at: Option<OffsetDateTime>,
}

impl PostState {
    fn remember(&mut self, content: &PostContent) {
        self.title = content.title.clone();
        self.body_digest = digest(&content.body);
        self.tags = content.tags.clone();
        self.visibility = content.visibility;
        self.draft = content.draft;
        self.publish_at = content.publish_at;
    }

    /// Whether it waits for its publication time (not a draft, never published, a time set).
    pub fn scheduled(&self) -> bool {
        !self.published && !self.draft && self.publish_at.is_some()
    }
}

/// A slug made of a title: lower-case ASCII letters and digits joined by dashes, or `post`.
pub fn slug_of(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        let c = fold_accent(c);
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= SLUG_MAX {
            break;
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() {
        "post".into()
    } else {
        slug
    }
}

/// The common Latin letters with accents, without them (so "Café" gives "cafe").
fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

type Decided = Result<Vec<GroupChange>, GroupError>;

impl Group {
    /// A post that is there to edit or delete.
    fn post(&self, id: &str) -> Result<&PostState, GroupError> {
        self.posts.get(id).ok_or(GroupError::UnknownPost)
    }

    /// A slug no other post of the group has: the title's, or it with `-2`, `-3`…
    fn free_slug(&self, title: &str) -> String {
        let base = slug_of(title);
        let taken = |s: &str| {
            self.posts.values().any(|p| p.slug == s)
                || self.posts.contains_key(s)
                || self.retired_slugs.contains(s)
        };
        if !taken(&base) {
            return base;
        }
        (2..)
            .map(|n| format!("{base}-{n}"))
            .find(|s| !taken(s))
            .unwrap_or(base)
    }

    pub(super) fn write_post(&self, by: GroupActor, post: String, content: PostContent) -> Decided {
        self.require(&by, MemberRole::Moderator)?;
        if self.posts.contains_key(&post) {
            return Err(invalid("post", "a post with this id already exists"));
        }
        let content = content.validate().map_err(GroupError::Invalid)?;
        // A post with a publication time waits for it: the instance publishes it then.
        let publish = !content.draft && content.publish_at.is_none();
        let mut changes = vec![GroupChange::PostCreated {
            post: post.clone(),
            slug: self.free_slug(&content.title),
            author: by,
            content,
        }];
        if publish {
            changes.push(GroupChange::PostPublished { post });
        }
        Ok(changes)
    }

    pub(super) fn edit_post(&self, by: &GroupActor, post: String, content: PostContent) -> Decided {
        self.require(by, MemberRole::Moderator)?;
        let current = self.post(&post)?;
        let content = content.validate().map_err(GroupError::Invalid)?;
        let fields = content.fields_changed(current);
        if fields.is_empty() {
            return Ok(vec![]);
        }
        let publish = !content.draft && content.publish_at.is_none() && !current.published;
        let mut changes = vec![GroupChange::PostEdited {
            post: post.clone(),
            content,
            fields,
        }];
        if publish {
            changes.push(GroupChange::PostPublished { post });
        }
        Ok(changes)
    }

    /// The instance publishes post `post` once its publication time has come by `now`. Nothing
    /// is written for a post published already (by another process, or by an edit), put back
    /// to draft, or whose time has not come, so a sweep may ask again safely.
    pub(super) fn publish_post(&self, post: String, now: OffsetDateTime) -> Decided {
        let current = self.post(&post)?;
        let due = current.scheduled() && current.publish_at.is_some_and(|at| at <= now);
        Ok(if due {
            vec![GroupChange::PostPublished { post }]
        } else {
            vec![]
        })
    }

    pub(super) fn delete_post(&self, by: &GroupActor, post: String) -> Decided {
        self.require(by, MemberRole::Moderator)?;
        self.post(&post)?;
        Ok(vec![GroupChange::PostDeleted { post }])
    }

    /// Sets what the group remembers of its posts, for [`Group::apply`].
    pub(super) fn apply_post(&mut self, change: &GroupChange) {
        match change {
            GroupChange::PostCreated {
                post,
                slug,
                author,
                content,
            } => {
                let mut state = PostState {
                    slug: slug.clone(),
                    author: author.clone(),
                    published: false,
                    title: String::new(),
                    body_digest: String::new(),
                    tags: Vec::new(),
                    visibility: PostVisibility::default(),
                    draft: true,
                    publish_at: None,
                };
                state.remember(content);
                // Applied twice, it stays as applied once (a publication is kept).
                let state = self.posts.entry(post.clone()).or_insert(state);
                state.remember(content);
            }
            GroupChange::PostEdited { post, content, .. } => {
                if let Some(state) = self.posts.get_mut(post) {
                    state.remember(content);
                }
            }
            GroupChange::PostPublished { post } => {
                if let Some(state) = self.posts.get_mut(post) {
                    state.published = true;
                }
            }
            GroupChange::PostDeleted { post } => {
                if let Some(deleted) = self.posts.remove(post) {
                    self.retired_slugs.insert(deleted.slug);
                }
            }
            _ => {}
        }
    }
}
