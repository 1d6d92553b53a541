//! The places this instance already knows: the localities of public events and groups that
//! have coordinates, each with the mean of those coordinates. Read from the read models as they
//! are, so it follows every change (a deleted or hidden event no longer counts); [`KnownPlaces`]
//! keeps them while the read models stand still.

use crate::db::{Backend, Database};
use crate::error::Error;
use crate::events::{public_conditions, EventFilter};
use crate::tables::flag;
use sqlx::Row;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Localities kept at most, the most used first: enough for any instance's region.
const KNOWN_MAX: i64 = 5_000;

/// A locality as public events and groups give it.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownPlace {
    pub locality: String,
    pub country: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    /// How many public events and groups are there.
    pub uses: i64,
}

/// [`known`], read again only once a subscriber has moved: a lookup as one types costs one
/// read of the checkpoints instead of a pass over every public event and group. Each
/// subscriber commits its checkpoint with its writes, so nothing it shows is older than its
/// checkpoint; any subscriber moving (not only those the places come from) reads them again,
/// which errs on the side of fresh.
#[derive(Default)]
pub struct KnownPlaces {
    /// The places, and the sum of the checkpoints they were read at.
    kept: Mutex<Option<(i64, Arc<Vec<KnownPlace>>)>>,
}

impl KnownPlaces {
    pub async fn get(&self, db: &Database) -> Result<Arc<Vec<KnownPlace>>, Error> {
        let at: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(position), 0) AS BIGINT) FROM projection_checkpoints",
        )
        .fetch_one(db.pool())
        .await?;
        // Held while reading: lookups arriving meanwhile wait for this one's answer.
        let mut kept = self.kept.lock().await;
        if let Some((read_at, places)) = kept.as_ref() {
            if *read_at == at {
                return Ok(places.clone());
            }
        }
        let places = Arc::new(known(db).await?);
        *kept = Some((at, places.clone()));
        Ok(places)
    }
}

/// Every locality of public events and public groups with coordinates, the most used first.
pub async fn known(db: &Database) -> Result<Vec<KnownPlace>, Error> {
    let field = |table: &str, name: &str| match db.backend() {
        Backend::Sqlite => format!("json_extract({table}.details, '$.address.{name}')"),
        Backend::Postgres => format!("({table}.details::jsonb #>> '{{address,{name}}}')"),
    };
    let number = |table: &str, name: &str| match db.backend() {
        Backend::Sqlite => field(table, name),
        Backend::Postgres => format!("CAST({} AS double precision)", field(table, name)),
    };
    let columns = |table: &str| {
        format!(
            "{} AS locality, {} AS country, {} AS latitude, {} AS longitude",
            field(table, "locality"),
            field(table, "country"),
            number(table, "latitude"),
            number(table, "longitude")
        )
    };
    let (events, _) = public_conditions(&EventFilter::default());
    let sql = format!(
        "SELECT locality, country, AVG(latitude) AS latitude, AVG(longitude) AS longitude, \
         COUNT(*) AS uses FROM (\
           SELECT {} FROM events e WHERE {events} \
           UNION ALL SELECT {} FROM groups g WHERE g.visibility = 'public'\
         ) p WHERE locality IS NOT NULL AND latitude IS NOT NULL AND longitude IS NOT NULL \
         GROUP BY locality, country ORDER BY COUNT(*) DESC, locality LIMIT {KNOWN_MAX}",
        columns("e"),
        columns("g"),
    );
    let rows = sqlx::query(&sql)
        .bind(flag(false))
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            Ok(KnownPlace {
                locality: row.try_get("locality")?,
                country: row.try_get("country")?,
                latitude: row.try_get("latitude")?,
                longitude: row.try_get("longitude")?,
                uses: row.try_get("uses")?,
            })
        })
        .collect()
}
