//! Columns as the read models store them (0/1 flags, closed sets of names), and whole tables
//! read as text to compare read models row for row (replay against live, "as of" against a
//! recorded state).

use crate::error::Error;
use sqlx::any::AnyRow;
use sqlx::AnyPool;
use sqlx::Row;

/// Booleans are stored as 0 and 1 on both databases (the `Any` driver has no SQLite boolean).
pub fn flag(value: bool) -> i64 {
    i64::from(value)
}

/// Reads a 0/1 column as a boolean.
pub fn flag_of(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    row.try_get::<i64, _>(column).map(|v| v != 0)
}

/// Reads a text column holding one of a closed set of names (a state, a role) as its type;
/// any other text is an [`Error::UnknownValue`] rather than a guess.
pub fn known<T>(
    row: &AnyRow,
    table: &'static str,
    column: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, Error> {
    let text: String = row.try_get(column)?;
    parse(&text).ok_or(Error::UnknownValue {
        table,
        column,
        value: text,
    })
}

/// Every row of `table` as text cells, sorted; NULL reads as `NULL`, bytes as hex.
pub async fn dump(pool: &AnyPool, table: &str) -> Result<Vec<Vec<String>>, Error> {
    let rows = sqlx::query(&format!("SELECT * FROM {table}"))
        .fetch_all(pool)
        .await?;
    let mut cells: Vec<Vec<String>> = rows.iter().map(row_text).collect();
    cells.sort();
    Ok(cells)
}

fn row_text(row: &AnyRow) -> Vec<String> {
    (0..row.columns().len())
        .map(|i| cell_text(row, i))
        .collect()
}

fn cell_text(row: &AnyRow, i: usize) -> String {
    let shown = |v: Option<String>| v.unwrap_or_else(|| "NULL".into());
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return shown(v);
    }
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return shown(v.map(|v| v.to_string()));
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
        return shown(v.map(|v| v.to_string()));
    }
    if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
        return shown(v.map(|v| v.to_string()));
    }
    match row.try_get::<Option<Vec<u8>>, _>(i) {
        Ok(v) => shown(v.map(hex::encode)),
        Err(e) => format!("<unreadable: {e}>"),
    }
}

/// How many rows of `table` are in `state` (its `state` column): figures for `/healthz`.
pub async fn count_in_state(
    pool: &AnyPool,
    table: &'static str,
    state: &'static str,
) -> Result<i64, Error> {
    Ok(
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE state = $1"))
            .bind(state)
            .fetch_one(pool)
            .await?,
    )
}
