//! Migrations that mend rows written before them, each run on a database holding such rows, on
//! SQLite and (with TEST_DATABASE_URL) PostgreSQL.

use convene_projections::scratch::test_urls;
use convene_projections::Database;
use sqlx::Row;

/// Migration 0055: links stored before previews existed (0047) wait for one, and a link already
/// previewed, waiting, or without a URL (a folder) is left as it was.
#[tokio::test]
async fn links_stored_before_previews_wait_for_one() {
    for url in test_urls("links_stored_before_previews").await {
        let db = Database::connect(&url.url).await.expect("connect");
        db.migrate_until(54).await.expect("migrations up to 0054");
        let rows = [
            ("old", Some("https://pad.example/old"), None, None),
            ("folder", None, None, None),
            (
                "previewed",
                Some("https://pad.example/seen"),
                None,
                Some("2026-01-01T00:00:00Z"),
            ),
            (
                "waiting",
                Some("https://pad.example/new"),
                Some("https://pad.example/new"),
                None,
            ),
        ];
        for (position, (id, link, wanted, previewed_at)) in rows.iter().enumerate() {
            sqlx::query(
                "INSERT INTO group_resources (id, group_handle, parent, kind, title, url, \
                 author, position, created_at, updated_at, preview_wanted, previewed_at) \
                 VALUES ($1, 'club', NULL, $2, $3, $4, 'ada', $5, 'then', 'then', $6, $7)",
            )
            .bind(*id)
            .bind(if link.is_some() { "link" } else { "folder" })
            .bind(*id)
            .bind(*link)
            .bind(position as i64)
            .bind(*wanted)
            .bind(*previewed_at)
            .execute(db.pool())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", url.label));
        }

        db.migrate().await.expect("the remaining migrations");

        let found: Vec<(String, Option<String>)> =
            sqlx::query("SELECT id, preview_wanted FROM group_resources ORDER BY position")
                .fetch_all(db.pool())
                .await
                .expect("read back")
                .iter()
                .map(|row| (row.get("id"), row.get("preview_wanted")))
                .collect();
        let wanted = |url: &str| Some(url.to_string());
        assert_eq!(
            found,
            vec![
                ("old".into(), wanted("https://pad.example/old")),
                ("folder".into(), None),
                ("previewed".into(), None),
                ("waiting".into(), wanted("https://pad.example/new")),
            ],
            "{}",
            url.label
        );
        db.close().await;
    }
}
