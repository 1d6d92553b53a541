//! The `pictures` read model: one row per upload, whether an event, a profile or a group ever
//! showed it,
//! and whether it was discarded. Uploads wait here to be used; the sweep of unused ones
//! (`convene_api::pictures::sweep`) reads it.

use crate::error::Error;
use crate::log::StoredEvent;
use crate::projection::{Applying, Projection};
use crate::tables::{flag, flag_of, known};
use async_trait::async_trait;
use convene_domain::group::GroupChange;
use convene_domain::picture::{PictureChange, PictureFacts, PicturePurpose, ShownPicture};
use convene_domain::{Event, EventChange, Group, Picture, Profile, ProfileChange};
use cqrs_es::Aggregate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

pub struct PicturesProjection;

#[async_trait]
impl Projection for PicturesProjection {
    fn name(&self) -> &'static str {
        crate::read_model::PICTURES
    }

    fn tables(&self) -> &'static [&'static str] {
        &["pictures"]
    }

    fn concerns(&self, event: &StoredEvent) -> bool {
        // What does not read is left to `apply`, which says why.
        event.aggregate_type == Picture::TYPE || put_to_use(event).map_or(true, |p| p.is_some())
    }

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        let on = Applying::of(event)?;
        if event.aggregate_type == Picture::TYPE {
            match event.change::<PictureChange>()? {
                PictureChange::Uploaded {
                    by,
                    purpose,
                    facts,
                    alt,
                } => uploaded(conn, &on, &by, purpose, &facts, &alt).await?,
                PictureChange::Discarded => {
                    sqlx::query("UPDATE pictures SET discarded = $1 WHERE id = $2")
                        .bind(flag(true))
                        .bind(on.id)
                        .execute(conn)
                        .await?;
                }
            }
        } else if let Some(picture) = put_to_use(event)? {
            used(conn, &on, &picture).await?;
        }
        Ok(())
    }
}

/// The picture `event` puts to use as an event's, a group's or a profile's, if it does.
fn put_to_use(event: &StoredEvent) -> Result<Option<ShownPicture>, Error> {
    Ok(match event.aggregate_type.as_str() {
        t if t == Event::TYPE => match event.change::<EventChange>()? {
            EventChange::PictureSet { picture } => Some(picture),
            _ => None,
        },
        t if t == Group::TYPE => match event.change::<GroupChange>()? {
            GroupChange::PictureSet { picture, .. } => Some(picture),
            _ => None,
        },
        t if t == Profile::TYPE => match event.change::<ProfileChange>()? {
            ProfileChange::AvatarSet { picture } => Some(picture),
            _ => None,
        },
        _ => None,
    })
}

async fn uploaded(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    by: &str,
    purpose: PicturePurpose,
    facts: &PictureFacts,
    alt: &str,
) -> Result<(), Error> {
    let widths: Vec<String> = facts.widths.iter().map(u32::to_string).collect();
    sqlx::query(
        "INSERT INTO pictures (id, hash, uploader, purpose, width, height, widths, colour, alt, \
         uploaded_at, used_at, discarded, blurhash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11, $12)",
    )
    .bind(on.id)
    .bind(&facts.hash)
    .bind(by)
    .bind(purpose.as_str())
    .bind(i64::from(facts.width))
    .bind(i64::from(facts.height))
    .bind(widths.join(","))
    .bind(&facts.colour)
    .bind(alt)
    .bind(&on.at)
    .bind(flag(false))
    .bind(facts.blurhash.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

/// The first time a picture is shown is when it stops waiting to be used.
async fn used(
    conn: &mut AnyConnection,
    on: &Applying<'_>,
    picture: &ShownPicture,
) -> Result<(), Error> {
    sqlx::query("UPDATE pictures SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
        .bind(&on.at)
        .bind(&picture.id)
        .execute(conn)
        .await?;
    Ok(())
}

/// An upload as the read model has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PictureRow {
    pub id: String,
    pub uploader: String,
    pub purpose: PicturePurpose,
    pub facts: PictureFacts,
    pub alt: String,
    pub uploaded_at: String,
    pub used_at: Option<String>,
    pub discarded: bool,
}

impl PictureRow {
    /// The picture as an event or a profile shows it.
    pub fn shown(&self) -> ShownPicture {
        ShownPicture {
            id: self.id.clone(),
            facts: self.facts.clone(),
            alt: self.alt.clone(),
        }
    }
}

const COLUMNS: &str = "id, hash, uploader, purpose, width, height, widths, colour, alt, \
     uploaded_at, used_at, discarded, blurhash";

fn row_of(row: &AnyRow) -> Result<PictureRow, Error> {
    let widths: String = row.try_get("widths")?;
    let widths = widths
        .split(',')
        .map(|w| w.parse::<u32>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| Error::UnknownValue {
            table: "pictures",
            column: "widths",
            value: widths.clone(),
        })?;
    let size = |column: &'static str| -> Result<u32, Error> {
        let value: i64 = row.try_get(column)?;
        u32::try_from(value).map_err(|_| Error::UnknownValue {
            table: "pictures",
            column,
            value: value.to_string(),
        })
    };
    Ok(PictureRow {
        id: row.try_get("id")?,
        uploader: row.try_get("uploader")?,
        purpose: known(row, "pictures", "purpose", PicturePurpose::parse)?,
        facts: PictureFacts {
            hash: row.try_get("hash")?,
            width: size("width")?,
            height: size("height")?,
            widths,
            colour: row.try_get("colour")?,
            blurhash: row.try_get("blurhash")?,
        },
        alt: row.try_get("alt")?,
        uploaded_at: row.try_get("uploaded_at")?,
        used_at: row.try_get("used_at")?,
        discarded: flag_of(row, "discarded")?,
    })
}

/// The upload `id`, if there is one.
pub async fn find(pool: &AnyPool, id: &str) -> Result<Option<PictureRow>, Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM pictures WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(row_of).transpose()
}

/// Uploads never used and not discarded, uploaded before `before` (an RFC 3339 UTC time, as
/// stored), oldest first, at most `limit`.
pub async fn unused_before(
    pool: &AnyPool,
    before: &str,
    limit: i64,
) -> Result<Vec<PictureRow>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM pictures WHERE used_at IS NULL AND discarded = $1 \
         AND uploaded_at < $2 ORDER BY uploaded_at LIMIT $3"
    ))
    .bind(flag(false))
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(row_of).collect()
}

/// Whether any upload with `hash` other than `except` is kept (used, or still waiting): its
/// files must stay.
pub async fn hash_kept(pool: &AnyPool, hash: &str, except: &str) -> Result<bool, Error> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pictures WHERE hash = $1 AND id <> $2 AND discarded = $3",
    )
    .bind(hash)
    .bind(except)
    .bind(flag(false))
    .fetch_one(pool)
    .await?;
    Ok(count > 0)
}

/// A shown picture as the read models keep it: JSON, or NULL for none.
pub(crate) fn shown_json(
    on: &Applying<'_>,
    picture: Option<&ShownPicture>,
) -> Result<Option<String>, Error> {
    picture
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| on.unreadable(format!("picture: {e}")))
}
