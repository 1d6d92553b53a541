//! The read model of a group's resources (`group_resources`), written by the groups projection:
//! a tree of folders and links. Members only: the application checks membership on every read.

use crate::error::Error;
use crate::projection::Applying;
use convene_domain::group::{GroupActor, LinkPreview, ResourceContent};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

pub(crate) async fn added(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    (resource, object, parent): (&str, Option<&str>, Option<&str>),
    author: &GroupActor,
    content: &ResourceContent,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO group_resources (id, group_handle, parent, kind, title, url, summary, \
         author, position, created_at, updated_at, preview_wanted, object) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $6, $11)",
    )
    .bind(resource)
    .bind(on.id)
    .bind(parent)
    .bind(content.kind.as_str())
    .bind(&content.title)
    .bind(&content.url)
    .bind(&content.summary)
    .bind(author.key())
    .bind(on.position)
    .bind(&on.at)
    .bind(object)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn edited(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    resource: &str,
    content: &ResourceContent,
) -> Result<(), Error> {
    // A new URL drops the old URL's preview and waits for its own.
    sqlx::query(
        "UPDATE group_resources SET preview_wanted = $1, preview_title = NULL, \
         preview_description = NULL, preview_image = NULL, previewed_at = NULL \
         WHERE id = $2 AND (url IS NULL OR $1 IS NULL OR url <> $1)",
    )
    .bind(&content.url)
    .bind(resource)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE group_resources SET kind = $1, title = $2, url = $3, summary = $4, \
         updated_at = $5 WHERE id = $6",
    )
    .bind(content.kind.as_str())
    .bind(&content.title)
    .bind(&content.url)
    .bind(&content.summary)
    .bind(&on.at)
    .bind(resource)
    .execute(conn)
    .await?;
    Ok(())
}

/// The preview fetched of link `resource` at `url` (kept only while the link still has it).
pub(crate) async fn previewed(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    resource: &str,
    url: &str,
    preview: &LinkPreview,
) -> Result<(), Error> {
    sqlx::query(
        "UPDATE group_resources SET preview_wanted = NULL, preview_title = $1, \
         preview_description = $2, preview_image = $3, previewed_at = $4 \
         WHERE id = $5 AND url = $6",
    )
    .bind(&preview.title)
    .bind(&preview.description)
    .bind(&preview.image)
    .bind(&on.at)
    .bind(resource)
    .bind(url)
    .execute(conn)
    .await?;
    Ok(())
}

/// A link waiting for its preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedPreview {
    pub group: String,
    pub resource: String,
    pub url: String,
}

/// Up to `limit` links waiting for their preview, oldest first, leaving out those whose page
/// could not be reached and is to be asked again after `now` (Unix seconds).
pub async fn previews_wanted(
    pool: &AnyPool,
    limit: i64,
    now: i64,
) -> Result<Vec<WantedPreview>, Error> {
    let rows = sqlx::query(
        "SELECT r.group_handle, r.id, r.preview_wanted FROM group_resources r \
         LEFT JOIN link_preview_retries later \
             ON later.resource_id = r.id AND later.url = r.preview_wanted \
         WHERE r.preview_wanted IS NOT NULL AND (later.due_at IS NULL OR later.due_at <= $2) \
         ORDER BY r.position LIMIT $1",
    )
    .bind(limit)
    .bind(now)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(WantedPreview {
                group: row.try_get("group_handle")?,
                resource: row.try_get("id")?,
                url: row.try_get("preview_wanted")?,
            })
        })
        .collect()
}

/// How many times the page of `wanted` could not be reached so far.
pub async fn preview_attempts(pool: &AnyPool, wanted: &WantedPreview) -> Result<i64, Error> {
    let attempts = sqlx::query_scalar(
        "SELECT attempts FROM link_preview_retries WHERE resource_id = $1 AND url = $2",
    )
    .bind(&wanted.resource)
    .bind(&wanted.url)
    .fetch_optional(pool)
    .await?;
    Ok(attempts.unwrap_or(0))
}

/// The page of `wanted` could not be reached for the `attempts`th time: ask it again at
/// `due_at` (Unix seconds).
pub async fn retry_preview(
    pool: &AnyPool,
    wanted: &WantedPreview,
    attempts: i64,
    due_at: i64,
    error: &str,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO link_preview_retries (resource_id, url, attempts, due_at, last_error) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (resource_id) DO UPDATE SET url = excluded.url, \
             attempts = excluded.attempts, due_at = excluded.due_at, \
             last_error = excluded.last_error",
    )
    .bind(&wanted.resource)
    .bind(&wanted.url)
    .bind(attempts)
    .bind(due_at)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// The preview of `resource` is recorded: nothing more to ask again.
pub async fn forget_preview_retry(pool: &AnyPool, resource: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM link_preview_retries WHERE resource_id = $1")
        .bind(resource)
        .execute(pool)
        .await?;
    Ok(())
}

pub(crate) async fn moved(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    resource: &str,
    parent: Option<&str>,
) -> Result<(), Error> {
    sqlx::query("UPDATE group_resources SET parent = $1, updated_at = $2 WHERE id = $3")
        .bind(parent)
        .bind(&on.at)
        .bind(resource)
        .execute(conn)
        .await?;
    Ok(())
}

/// The resource and everything it held.
pub(crate) async fn deleted(
    conn: &mut AnyConnection,
    resource: &str,
    content: &[String],
) -> Result<(), Error> {
    for id in std::iter::once(resource).chain(content.iter().map(String::as_str)) {
        sqlx::query("DELETE FROM group_resources WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A folder or a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceView {
    pub id: String,
    pub group: String,
    /// The folder it is in; none at the top.
    pub parent: Option<String>,
    /// `folder`, `link`, `pad`, `calc` or `visio`.
    pub kind: String,
    pub title: String,
    /// A link's URL, as the member typed it.
    pub url: Option<String>,
    pub summary: Option<String>,
    /// `@username` of the member who added it.
    pub author: String,
    pub created_at: String,
    pub updated_at: String,
    /// What the link's page says of itself, once the instance has fetched it (none before,
    /// and for folders).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<LinkPreview>,
    /// Its id on the instance of the member who added it from there; none when added here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
}

impl ResourceView {
    pub fn is_folder(&self) -> bool {
        self.kind == "folder"
    }
}

/// A folder on the way down from the top: the breadcrumb.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Crumb {
    pub id: String,
    pub title: String,
}

const COLUMNS: &str = "id, group_handle, parent, kind, title, url, summary, author, created_at, \
                       updated_at, preview_title, preview_description, preview_image, previewed_at, object";

fn view(row: &AnyRow) -> Result<ResourceView, Error> {
    Ok(ResourceView {
        id: row.try_get("id")?,
        group: row.try_get("group_handle")?,
        parent: row.try_get("parent")?,
        kind: row.try_get("kind")?,
        title: row.try_get("title")?,
        url: row.try_get("url")?,
        summary: row.try_get("summary")?,
        author: row.try_get("author")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        preview: match row.try_get::<Option<String>, _>("previewed_at")? {
            Some(_) => Some(LinkPreview {
                title: row.try_get("preview_title")?,
                description: row.try_get("preview_description")?,
                image: row.try_get("preview_image")?,
            }),
            None => None,
        },
        object: row.try_get("object")?,
    })
}

/// The group holding resource `id`, if one does.
pub async fn group_of(pool: &AnyPool, id: &str) -> Result<Option<String>, Error> {
    Ok(
        sqlx::query_scalar("SELECT group_handle FROM group_resources WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

/// Resource `id` of group `handle`.
pub async fn one(pool: &AnyPool, handle: &str, id: &str) -> Result<Option<ResourceView>, Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM group_resources WHERE group_handle = $1 AND id = $2"
    ))
    .bind(handle)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(view).transpose()
}

/// How a folder's content is listed: folders first, then links, each by title.
const LISTED_ORDER: &str =
    "ORDER BY CASE WHEN kind = 'folder' THEN 0 ELSE 1 END, lower(title), position";

/// Every folder and link of group `handle`, whichever folder holds it, in the order of
/// [`children`].
pub async fn of_group(pool: &AnyPool, handle: &str) -> Result<Vec<ResourceView>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM group_resources WHERE group_handle = $1 {LISTED_ORDER}"
    ))
    .bind(handle)
    .fetch_all(pool)
    .await?;
    rows.iter().map(view).collect()
}

/// What folder `parent` of group `handle` holds (none: the top): folders first, then links,
/// each by title.
pub async fn children(
    pool: &AnyPool,
    handle: &str,
    parent: Option<&str>,
) -> Result<Vec<ResourceView>, Error> {
    let rows = match parent {
        Some(parent) => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM group_resources WHERE group_handle = $1 AND parent = $2 \
                 {LISTED_ORDER}"
            ))
            .bind(handle)
            .bind(parent)
            .fetch_all(pool)
            .await?
        }
        None => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM group_resources WHERE group_handle = $1 \
                 AND parent IS NULL {LISTED_ORDER}"
            ))
            .bind(handle)
            .fetch_all(pool)
            .await?
        }
    };
    rows.iter().map(view).collect()
}

/// Every folder of group `handle`, in the order they were made.
pub async fn folders(pool: &AnyPool, handle: &str) -> Result<Vec<ResourceView>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM group_resources WHERE group_handle = $1 AND kind = 'folder' \
         ORDER BY position"
    ))
    .bind(handle)
    .fetch_all(pool)
    .await?;
    rows.iter().map(view).collect()
}

/// The folders from the top down to `folder` (included), found among `folders`.
pub fn path(folders: &[ResourceView], folder: Option<&str>) -> Vec<Crumb> {
    let mut crumbs = Vec::new();
    let mut next = folder.map(str::to_string);
    while let Some(id) = next.take() {
        let Some(found) = folders.iter().find(|f| f.id == id) else {
            break;
        };
        if crumbs.iter().any(|c: &Crumb| c.id == found.id) || crumbs.len() > folders.len() {
            break;
        }
        crumbs.push(Crumb {
            id: found.id.clone(),
            title: found.title.clone(),
        });
        next = found.parent.clone();
    }
    crumbs.reverse();
    crumbs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(id: &str, parent: Option<&str>) -> ResourceView {
        ResourceView {
            id: id.into(),
            group: "g".into(),
            parent: parent.map(str::to_string),
            kind: "folder".into(),
            title: id.to_uppercase(),
            url: None,
            summary: None,
            author: "@ana".into(),
            created_at: String::new(),
            updated_at: String::new(),
            preview: None,
            object: None,
        }
    }

    #[test]
    fn a_path_goes_from_the_top_down() {
        let folders = [
            folder("a", None),
            folder("b", Some("a")),
            folder("c", Some("b")),
        ];
        let ids = |crumbs: Vec<Crumb>| crumbs.into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(path(&folders, Some("c"))), ["a", "b", "c"]);
        assert_eq!(ids(path(&folders, Some("a"))), ["a"]);
        assert!(path(&folders, None).is_empty());
        assert!(path(&folders, Some("gone")).is_empty());
    }
}
