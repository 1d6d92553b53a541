//! A group's posts: moderators and above write, edit and delete them (the group aggregate
//! decides); who reads which is decided here, once for every front end. Drafts are for the
//! group's moderators, members-only posts for its members; to anyone else they do not exist
//! (404). Who wrote a post is for the members: others see the group as its author.

use crate::auth::{Acting, Session};
use crate::consistency;
use crate::error::{Error, Result};
use crate::groups::{self, READS};
use crate::AppState;
use convene_domain::group::{GroupActor, MemberRole, PostContent, PostVisibility};
use convene_domain::metadata::{format_timestamp, Actor, Metadata, Source};
use convene_domain::GroupCommand;
use convene_domain::GroupError;
use convene_projections::group_posts::{self as rows, Listed, PostView};
use convene_projections::groups as group_rows;
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

/// Posts in a page of a group's posts.
pub const POSTS_PAGE: i64 = 20;

/// A post as written: the whole of it, to create it or to replace what it says.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostInput {
    /// 1 to 200 characters on one line.
    pub title: String,
    /// HTML, sanitised; at most 100 KB as sent.
    #[serde(default)]
    pub body: String,
    /// At most 20, 40 characters each.
    #[serde(default)]
    pub tags: Vec<String>,
    /// `public` (the default), `unlisted` or `members`.
    #[serde(default)]
    pub visibility: PostVisibility,
    /// Kept for the group's moderators until published.
    #[serde(default)]
    pub draft: bool,
    /// When to publish it (RFC 3339); until then only the group's moderators see it. Absent,
    /// or a time already past: at once.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub publish_at: Option<OffsetDateTime>,
}

impl PostInput {
    /// The content to record at `now`: a publication time already past means at once, and a
    /// post published already keeps its publication.
    fn content(self, now: OffsetDateTime, published: bool) -> PostContent {
        PostContent {
            title: self.title,
            body: self.body,
            tags: self.tags,
            visibility: self.visibility,
            draft: self.draft,
            publish_at: self.publish_at.filter(|at| *at > now && !published),
        }
    }
}

/// The highest role any of `session`'s profiles holds in group `handle` (none for strangers).
/// Reading needs no particular profile: an account sees what any of its profiles may.
pub async fn standing(
    state: &AppState,
    session: Option<&Session>,
    handle: &str,
) -> Result<Option<MemberRole>> {
    let Some(session) = session else {
        return Ok(None);
    };
    let own = crate::access::usernames_of(state, &session.account.id).await?;
    Ok(group_rows::roles_of_profiles(state.db.pool(), handle, &own)
        .await?
        .into_iter()
        .filter(|r| r.is_member())
        .max_by_key(|r| r.rank()))
}

/// Whether someone of `role` may read `post`. Drafts, and posts waiting for their publication
/// time, are for the group's moderators.
pub fn may_read(role: Option<MemberRole>, post: &PostView) -> bool {
    let member = role.is_some_and(MemberRole::is_member);
    let moderator = role.is_some_and(|r| r.at_least(MemberRole::Moderator));
    if post.draft || post.published_at.is_none() {
        return moderator;
    }
    post.visibility != PostVisibility::Members || member
}

/// Whether `post` is listed to someone of `role` (the group page, its timeline): unlisted posts
/// are read by their link, listed for members only.
pub fn may_list(role: Option<MemberRole>, post: &PostView) -> bool {
    may_read(role, post)
        && (post.visibility == PostVisibility::Public || role.is_some_and(MemberRole::is_member))
}

/// `post` as someone of `role` sees it: the group as its author to those outside it.
pub fn shown_to(role: Option<MemberRole>, mut post: PostView) -> PostView {
    if !role.is_some_and(MemberRole::is_member) {
        post.author = format!("@{}", post.group);
    }
    post
}

fn no_post(handle: &str) -> Error {
    Error::not_found(format!("@{handle} has no such post"))
}

/// Post `key` (its slug or id) of group `handle`, as `session` (or a stranger) may see it.
pub async fn show(
    state: &AppState,
    session: Option<&Session>,
    handle: &str,
    key: &str,
) -> Result<PostView> {
    groups::show_to(state, session, handle).await?;
    let role = standing(state, session, handle).await?;
    match rows::find(state.db.pool(), handle, key).await? {
        Some(post) if may_read(role, &post) => Ok(shown_to(role, post)),
        _ => Err(no_post(handle)),
    }
}

/// Group `handle`'s posts, newest first, page `page` from 1: published public ones for
/// everyone, every published one for members, drafts too for moderators.
pub async fn list(
    state: &AppState,
    session: Option<&Session>,
    handle: &str,
    page: Option<i64>,
) -> Result<Vec<PostView>> {
    groups::show_to(state, session, handle).await?;
    listed_in(state, session, handle, page).await
}

/// As [`list`], for a caller that has already found the group as `session` may see it (the
/// group's page): the group is not read again.
pub async fn listed_in(
    state: &AppState,
    session: Option<&Session>,
    handle: &str,
    page: Option<i64>,
) -> Result<Vec<PostView>> {
    let page = page.unwrap_or(1);
    if page < 1 {
        return Err(Error::invalid_field("page", "pages are counted from 1"));
    }
    let role = standing(state, session, handle).await?;
    let listed = match role {
        Some(r) if r.at_least(MemberRole::Moderator) => Listed::Everything,
        Some(r) if r.is_member() => Listed::Members,
        _ => Listed::Public,
    };
    let found = rows::of_group(
        state.db.pool(),
        handle,
        listed,
        POSTS_PAGE,
        (page - 1) * POSTS_PAGE,
    )
    .await?;
    Ok(found.into_iter().map(|p| shown_to(role, p)).collect())
}

/// The post `key` for its editors: the acting profile must be a moderator or above, drafts
/// included.
pub async fn for_editing(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    key: &str,
) -> Result<PostView> {
    groups::may_organise(state, acting, handle).await?;
    rows::find(state.db.pool(), handle, key)
        .await?
        .ok_or_else(|| no_post(handle))
}

/// Writes a post in group `handle` as the acting profile (moderators and above).
pub async fn write(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    input: PostInput,
) -> Result<PostView> {
    let id = uuid::Uuid::new_v4().to_string();
    let command = GroupCommand::WritePost {
        by: GroupActor::profile(&acting.profile),
        post: id.clone(),
        content: input.content(OffsetDateTime::now_utc(), false),
    };
    let metadata = acting.metadata();
    consistency::command(state, &state.groups, handle, command, &metadata, READS).await?;
    show(state, Some(&acting.session), handle, &id).await
}

/// Replaces what post `key` says (moderators and above).
pub async fn edit(
    state: &AppState,
    acting: &Acting,
    handle: &str,
    key: &str,
    input: PostInput,
) -> Result<PostView> {
    let post = for_editing(state, acting, handle, key).await?;
    let command = GroupCommand::EditPost {
        by: GroupActor::profile(&acting.profile),
        post: post.id.clone(),
        content: input.content(OffsetDateTime::now_utc(), post.published_at.is_some()),
    };
    let metadata = acting.metadata();
    consistency::command(state, &state.groups, handle, command, &metadata, READS).await?;
    show(state, Some(&acting.session), handle, &post.id).await
}

/// Deletes post `key` (moderators and above).
pub async fn delete(state: &AppState, acting: &Acting, handle: &str, key: &str) -> Result<()> {
    let post = for_editing(state, acting, handle, key).await?;
    let command = GroupCommand::DeletePost {
        by: GroupActor::profile(&acting.profile),
        post: post.id,
    };
    let metadata = acting.metadata();
    consistency::command(state, &state.groups, handle, command, &metadata, READS)
        .await
        .map(drop)
}

/// Most posts published in one sweep; the next sweep takes the rest.
const SWEEP_MAX: i64 = 500;

/// Publishes the posts whose publication time has come by `now`: each publication is a change
/// of its own, made by the instance (`system`, source `schedule`). Returns how many were due
/// and are now published. Several processes may sweep one database: the group decides on its
/// own state whether the post still waits, so a post published by one is not published again
/// by another. A post of a suspended group waits for the suspension to be lifted.
pub async fn publish_due(state: &AppState, now: OffsetDateTime) -> Result<usize> {
    let due = rows::due(state.db.pool(), &format_timestamp(now), SWEEP_MAX).await?;
    let mut published = 0;
    for post in due {
        let command = GroupCommand::PublishPost {
            post: post.id.clone(),
            now,
        };
        let metadata = Metadata::now(Actor::System, Source::Schedule, uuid::Uuid::new_v4());
        match consistency::command(state, &state.groups, &post.group, command, &metadata, READS)
            .await
        {
            Ok(_) => published += 1,
            Err(Error::Group(GroupError::Suspended)) => {}
            Err(error) => tracing::warn!(
                %error,
                group = post.group,
                post = post.id,
                "a post could not be published at its time"
            ),
        }
    }
    Ok(published)
}
