//! The read model of a group's discussions (`group_discussions`, `group_discussion_comments`),
//! written by the groups projection. Discussions are for members only: the application checks
//! membership on every read.

use crate::error::Error;
use crate::projection::Applying;
use crate::tables::{flag, flag_of};
use convene_domain::group::GroupActor;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

pub(crate) async fn started(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    discussion: &str,
    title: &str,
    author: &GroupActor,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO group_discussions (id, group_handle, title, author, archived, comment_count, \
         last_comment_at, created_at) VALUES ($1, $2, $3, $4, 0, 0, $5, $5)",
    )
    .bind(discussion)
    .bind(on.id)
    .bind(title)
    .bind(author.key())
    .bind(&on.at)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn commented(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    discussion: &str,
    (comment, author, in_reply_to, body): (&str, &GroupActor, Option<&str>, &str),
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO group_discussion_comments (id, discussion, position, author, in_reply_to, \
         body, deleted, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
    )
    .bind(comment)
    .bind(discussion)
    .bind(on.position)
    .bind(author.key())
    .bind(in_reply_to)
    .bind(body)
    .bind(&on.at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE group_discussions SET comment_count = comment_count + 1, last_comment_at = $1 \
         WHERE id = $2",
    )
    .bind(&on.at)
    .bind(discussion)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn renamed(
    conn: &mut AnyConnection,
    discussion: &str,
    title: &str,
) -> Result<(), Error> {
    sqlx::query("UPDATE group_discussions SET title = $1 WHERE id = $2")
        .bind(title)
        .bind(discussion)
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn archived(
    conn: &mut AnyConnection,
    discussion: &str,
    archived: bool,
) -> Result<(), Error> {
    sqlx::query("UPDATE group_discussions SET archived = $1 WHERE id = $2")
        .bind(flag(archived))
        .bind(discussion)
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn deleted(conn: &mut AnyConnection, discussion: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM group_discussion_comments WHERE discussion = $1")
        .bind(discussion)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM group_discussions WHERE id = $1")
        .bind(discussion)
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn comment_deleted(conn: &mut AnyConnection, comment: &str) -> Result<(), Error> {
    sqlx::query("UPDATE group_discussion_comments SET body = '', deleted = 1 WHERE id = $1")
        .bind(comment)
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn comment_edited(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    comment: &str,
    body: &str,
) -> Result<(), Error> {
    sqlx::query("UPDATE group_discussion_comments SET body = $1, edited_at = $2 WHERE id = $3")
        .bind(body)
        .bind(&on.at)
        .bind(comment)
        .execute(conn)
        .await?;
    Ok(())
}

/// A discussion, for the group's members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiscussionView {
    pub id: String,
    pub group: String,
    pub title: String,
    /// `@username` or a remote actor's URL.
    pub author: String,
    pub archived: bool,
    /// Comments, the deleted ones included.
    pub comment_count: i64,
    pub last_comment_at: String,
    pub created_at: String,
}

/// One comment of a discussion; a deleted one has no body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiscussionComment {
    pub id: String,
    pub author: String,
    pub in_reply_to: Option<String>,
    /// Sanitised HTML; empty once deleted.
    pub body: String,
    pub deleted: bool,
    pub created_at: String,
    /// When its author last changed it, if ever.
    pub edited_at: Option<String>,
}

const COLUMNS: &str =
    "id, group_handle, title, author, archived, comment_count, last_comment_at, created_at";

fn discussion_view(row: &AnyRow) -> Result<DiscussionView, Error> {
    Ok(DiscussionView {
        id: row.try_get("id")?,
        group: row.try_get("group_handle")?,
        title: row.try_get("title")?,
        author: row.try_get("author")?,
        archived: flag_of(row, "archived")?,
        comment_count: row.try_get("comment_count")?,
        last_comment_at: row.try_get("last_comment_at")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Discussion `id` of group `handle`.
pub async fn find(pool: &AnyPool, handle: &str, id: &str) -> Result<Option<DiscussionView>, Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM group_discussions WHERE group_handle = $1 AND id = $2"
    ))
    .bind(handle)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(discussion_view).transpose()
}

/// Group `handle`'s discussions, the last commented first, `limit` from `offset`.
pub async fn of_group(
    pool: &AnyPool,
    handle: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<DiscussionView>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM group_discussions WHERE group_handle = $1 \
         ORDER BY last_comment_at DESC, id LIMIT $2 OFFSET $3"
    ))
    .bind(handle)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    rows.iter().map(discussion_view).collect()
}

/// Discussion `id`'s comments, in the order they were written.
pub async fn comments(pool: &AnyPool, id: &str) -> Result<Vec<DiscussionComment>, Error> {
    let rows = sqlx::query(
        "SELECT id, author, in_reply_to, body, deleted, created_at, edited_at \
         FROM group_discussion_comments \
         WHERE discussion = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DiscussionComment {
                id: row.try_get("id")?,
                author: row.try_get("author")?,
                in_reply_to: row.try_get("in_reply_to")?,
                body: row.try_get("body")?,
                deleted: flag_of(row, "deleted")?,
                created_at: row.try_get("created_at")?,
                edited_at: row.try_get("edited_at")?,
            })
        })
        .collect()
}
