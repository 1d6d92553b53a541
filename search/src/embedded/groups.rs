//! Groups in the embedded index: written beside events, in tables of their own, and searched by
//! words and distance.

use super::{bind_all, query_words, typo_forgiven, Embedded, Filter, COUNTED_MAX, GROUPS};
use crate::geo;
use crate::group::{group_hit, GroupDocument, GroupHits, GroupQuery};
use crate::Error;
use convene_projections::Backend;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

impl Embedded {
    pub(super) async fn put_group(
        &self,
        conn: &mut AnyConnection,
        group: &GroupDocument,
    ) -> Result<(), Error> {
        self.remove(conn, GROUPS, &group.id).await?;
        let body = crate::text::words(&group.searchable_text()).join(" ");
        let document =
            serde_json::to_string(group).map_err(|e| Error::Unreadable(e.to_string()))?;
        let place = group.lat.zip(group.lon);
        let postgres = self.backend == Backend::Postgres;
        // As for events: no NULL floats bound on PostgreSQL, columns left out instead.
        let (body_column, body_value) = if postgres {
            (", body", ", to_tsvector('simple', $4)")
        } else {
            ("", "")
        };
        let first_place = if postgres { 5 } else { 4 };
        let (place_columns, place_values) = match place {
            Some(_) => (
                ", lat, lon, x, y, z".to_string(),
                (first_place..first_place + 5)
                    .map(|i| format!(", ${i}"))
                    .collect::<String>(),
            ),
            None => (String::new(), String::new()),
        };
        let sql = format!(
            "INSERT INTO {} (id, document, members{body_column}{place_columns}) \
             VALUES ($1, $2, $3{body_value}{place_values}) RETURNING doc",
            self.table(GROUPS)
        );
        let mut query = sqlx::query_scalar::<_, i64>(&sql)
            .bind(&group.id)
            .bind(&document)
            .bind(group.members);
        if postgres {
            query = query.bind(body.clone());
        }
        if let Some((lat, lon)) = place {
            let [x, y, z] = geo::unit_vector(lat, lon);
            query = query.bind(lat).bind(lon).bind(x).bind(y).bind(z);
        }
        let doc = query.fetch_one(&mut *conn).await?;
        self.put_text_and_place(conn, GROUPS, doc, &body, place)
            .await
    }

    /// Public groups matching `query`: best match first with words, most members first without.
    pub(super) async fn groups(&self, query: &GroupQuery) -> Result<GroupHits, Error> {
        let mut words = query_words(&query.text);
        let mut filter = self.text_and_place(GROUPS, &words, query.near);
        let (mut counted, mut page) =
            tokio::try_join!(self.count(&filter), self.group_page(&filter, query))?;
        if counted.0 == 0 && typo_forgiven(&words) {
            self.add_typo_alternatives(&mut words).await?;
            filter = self.text_and_place(GROUPS, &words, query.near);
            (counted, page) =
                tokio::try_join!(self.count(&filter), self.group_page(&filter, query))?;
        }
        let (total, total_exact) = counted;
        let terms: Vec<String> = words.into_iter().flatten().collect();
        let hits = if query.offset() < total {
            page.into_iter()
                .map(|group| group_hit(group, &terms, query.near))
                .collect()
        } else {
            Vec::new()
        };
        Ok(GroupHits {
            total,
            total_exact,
            hits,
        })
    }

    /// How many documents match, counting at most [`COUNTED_MAX`]; whether that is exact.
    async fn count(&self, filter: &Filter) -> Result<(u64, bool), Error> {
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT d.doc FROM {} LIMIT {COUNTED_MAX}) c",
            filter.sql()
        );
        let n: i64 = bind_all(sqlx::query(&sql), &filter.values)
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let total = n.max(0) as u64;
        let exact = total < COUNTED_MAX || !self.more_than_counted(filter).await?;
        Ok((total, exact))
    }

    async fn group_page(
        &self,
        filter: &Filter,
        query: &GroupQuery,
    ) -> Result<Vec<GroupDocument>, Error> {
        let window = format!("LIMIT {} OFFSET {}", query.per_page, query.offset());
        let sql = match &filter.rank {
            Some(rank) => format!(
                "SELECT d.document FROM (SELECT d.doc AS doc, {rank} AS score, \
                 d.members AS members, d.id AS id FROM {} LIMIT {COUNTED_MAX}) c \
                 JOIN {} d ON d.doc = c.doc ORDER BY c.score, c.members DESC, c.id {window}",
                filter.sql(),
                self.table(GROUPS)
            ),
            None => format!(
                "SELECT d.document FROM {} ORDER BY d.members DESC, d.id {window}",
                filter.sql()
            ),
        };
        let rows: Vec<AnyRow> = bind_all(sqlx::query(&sql), &filter.values)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let text: String = row.try_get("document")?;
                serde_json::from_str(&text).map_err(|e| Error::Unreadable(e.to_string()))
            })
            .collect()
    }
}
