//! The read model of a group's posts (`group_posts`), written by the groups projection. Rows
//! hold every post, drafts and members-only ones too: who may read which is the application's
//! decision, made on every read.

use crate::error::Error;
use crate::projection::Applying;
use crate::tables::{flag, flag_of, known};
use convene_domain::group::{GroupActor, PostContent, PostVisibility};
use convene_domain::metadata::format_timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

fn tags_json(on: &Applying<'_>, tags: &[String]) -> Result<String, Error> {
    serde_json::to_string(tags).map_err(|e| on.unreadable(e))
}

pub(crate) async fn created(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    post: &str,
    slug: &str,
    author: &GroupActor,
    content: &PostContent,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO group_posts (id, group_handle, slug, author, title, body, tags, visibility, \
         draft, published_at, publish_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $11, $11)",
    )
    .bind(post)
    .bind(on.id)
    .bind(slug)
    .bind(author.key())
    .bind(&content.title)
    .bind(&content.body)
    .bind(tags_json(on, &content.tags)?)
    .bind(content.visibility.as_str())
    .bind(flag(content.draft))
    .bind(publish_at(content))
    .bind(&on.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// When `content` is to be published, fixed-width UTC (so that text order is time order).
fn publish_at(content: &PostContent) -> Option<String> {
    content.publish_at.map(format_timestamp)
}

pub(crate) async fn edited(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    post: &str,
    content: &PostContent,
) -> Result<(), Error> {
    sqlx::query(
        "UPDATE group_posts SET title = $1, body = $2, tags = $3, visibility = $4, draft = $5, \
         publish_at = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(&content.title)
    .bind(&content.body)
    .bind(tags_json(on, &content.tags)?)
    .bind(content.visibility.as_str())
    .bind(flag(content.draft))
    .bind(publish_at(content))
    .bind(&on.at)
    .bind(post)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn published(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    post: &str,
) -> Result<(), Error> {
    sqlx::query("UPDATE group_posts SET published_at = $1 WHERE id = $2 AND published_at IS NULL")
        .bind(&on.at)
        .bind(post)
        .execute(conn)
        .await?;
    Ok(())
}

/// Who wrote post `post` (`@username` or a remote actor's URL), if it is there.
pub(crate) async fn author_of(
    conn: &mut AnyConnection,
    post: &str,
) -> Result<Option<String>, Error> {
    Ok(
        sqlx::query_scalar("SELECT author FROM group_posts WHERE id = $1")
            .bind(post)
            .fetch_optional(conn)
            .await?,
    )
}

pub(crate) async fn deleted(conn: &mut AnyConnection, post: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM group_posts WHERE id = $1")
        .bind(post)
        .execute(conn)
        .await?;
    Ok(())
}

/// A post as the read model has it (the application decides who sees it, and its author).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostView {
    pub id: String,
    pub group: String,
    /// Its address in the group: `/@group/p/{slug}`.
    pub slug: String,
    /// `@username` or a remote actor's URL; the group's `@handle` to those outside it.
    pub author: String,
    pub title: String,
    /// Sanitised HTML.
    pub body: String,
    pub tags: Vec<String>,
    pub visibility: PostVisibility,
    pub draft: bool,
    /// When it first left its draft; none for a draft never published, or a post waiting for
    /// its publication time.
    pub published_at: Option<String>,
    /// When it is to be published, if it was given a time (fixed-width UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, group_handle, slug, author, title, body, tags, visibility, draft, \
                       published_at, publish_at, created_at, updated_at";

fn post_view(row: &AnyRow) -> Result<PostView, Error> {
    let tags: String = row.try_get("tags")?;
    let tags = serde_json::from_str(&tags).map_err(|e| Error::Unreadable {
        position: 0,
        reason: format!("post tags: {e}"),
    })?;
    Ok(PostView {
        id: row.try_get("id")?,
        group: row.try_get("group_handle")?,
        slug: row.try_get("slug")?,
        author: row.try_get("author")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        tags,
        visibility: known(row, "group_posts", "visibility", PostVisibility::parse)?,
        draft: flag_of(row, "draft")?,
        published_at: row.try_get("published_at")?,
        publish_at: row.try_get("publish_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Post `key` of group `handle`, by slug or by id.
pub async fn find(pool: &AnyPool, handle: &str, key: &str) -> Result<Option<PostView>, Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM group_posts WHERE group_handle = $1 AND (slug = $2 OR id = $2) \
         ORDER BY CASE WHEN slug = $2 THEN 0 ELSE 1 END LIMIT 1"
    ))
    .bind(handle)
    .bind(key)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(post_view).transpose()
}

/// Posts by id (of any group), for a page that names them.
pub async fn find_many(pool: &AnyPool, ids: &[String]) -> Result<Vec<PostView>, Error> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM group_posts WHERE id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?;
        if let Some(row) = row {
            found.push(post_view(&row)?);
        }
    }
    Ok(found)
}

/// Which of a group's posts a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    /// Published public posts: what anyone sees listed.
    Public,
    /// Published posts of every visibility: what members see.
    Members,
    /// Every post, drafts and those waiting for their time too: what moderators see.
    Everything,
}

/// Group `handle`'s posts in `listed`, newest first (drafts, never published, first of all),
/// `limit` from `offset`.
pub async fn of_group(
    pool: &AnyPool,
    handle: &str,
    listed: Listed,
    limit: i64,
    offset: i64,
) -> Result<Vec<PostView>, Error> {
    let filter = match listed {
        Listed::Public => " AND draft = 0 AND published_at IS NOT NULL AND visibility = 'public'",
        Listed::Members => " AND draft = 0 AND published_at IS NOT NULL",
        Listed::Everything => "",
    };
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM group_posts WHERE group_handle = $1{filter} \
         ORDER BY CASE WHEN published_at IS NULL THEN 0 ELSE 1 END, published_at DESC, \
         created_at DESC, id LIMIT $2 OFFSET $3"
    ))
    .bind(handle)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    rows.iter().map(post_view).collect()
}

/// A post whose publication time has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuePost {
    pub group: String,
    pub id: String,
}

/// Up to `limit` posts waiting for a publication time at or before `now` (fixed-width UTC),
/// soonest first. A draft is not due: it waits for its editors.
pub async fn due(pool: &AnyPool, now: &str, limit: i64) -> Result<Vec<DuePost>, Error> {
    let rows = sqlx::query(
        "SELECT group_handle, id FROM group_posts WHERE published_at IS NULL \
         AND publish_at <= $1 AND draft = 0 ORDER BY publish_at, id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DuePost {
                group: row.try_get("group_handle")?,
                id: row.try_get("id")?,
            })
        })
        .collect()
}
