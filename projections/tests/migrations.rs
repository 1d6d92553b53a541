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

/// Migration 0058: groups stored before their counts were kept get them counted, members by the
/// roles that belong to the group and followers once approved.
#[tokio::test]
async fn groups_stored_before_their_counts_were_kept_are_counted() {
    for url in test_urls("groups_stored_before_counts").await {
        let db = Database::connect(&url.url).await.expect("connect");
        db.migrate_until(57).await.expect("migrations up to 0057");
        let run = |sql: &'static str| {
            let pool = db.pool().clone();
            let label = url.label;
            async move {
                sqlx::query(sql)
                    .execute(&pool)
                    .await
                    .unwrap_or_else(|e| panic!("{label}: {sql}: {e}"));
            }
        };
        for handle in ["club", "quiet"] {
            sqlx::query(
                "INSERT INTO groups (handle, display_name, visibility, openness, details, \
                 created_at, updated_at) VALUES ($1, $1, 'public', 'open', '{}', 'then', 'then')",
            )
            .bind(handle)
            .execute(db.pool())
            .await
            .expect("a group");
        }
        run("INSERT INTO group_members (group_handle, member, role, since, updated_at) VALUES \
             ('club', 'ada', 'creator', 'then', 'then'), ('club', 'bo', 'member', 'then', 'then'), \
             ('club', 'cy', 'not_approved', 'then', 'then'), ('club', 'di', 'invited', 'then', 'then'), \
             ('quiet', 'ed', 'moderator', 'then', 'then')")
        .await;
        run(
            "INSERT INTO group_followers (group_handle, follower, state, since) VALUES \
             ('club', 'fay', 'approved', 'then'), ('club', 'gus', 'pending', 'then')",
        )
        .await;

        db.migrate().await.expect("the remaining migrations");

        let counts: Vec<(String, i64, i64)> =
            sqlx::query("SELECT handle, member_count, follower_count FROM groups ORDER BY handle")
                .fetch_all(db.pool())
                .await
                .expect("read back")
                .iter()
                .map(|row| {
                    (
                        row.get("handle"),
                        row.get("member_count"),
                        row.get("follower_count"),
                    )
                })
                .collect();
        assert_eq!(
            counts,
            vec![("club".into(), 2, 1), ("quiet".into(), 1, 0)],
            "{}",
            url.label
        );
        db.close().await;
    }
}

/// Migration 0061: events stored before their counts were kept get them counted, participants
/// and waitlisted alone (the creator, those waiting for approval or confirmation and the
/// rejected are neither).
#[tokio::test]
async fn events_stored_before_their_counts_were_kept_are_counted() {
    for url in test_urls("events_stored_before_counts").await {
        let db = Database::connect(&url.url).await.expect("connect");
        db.migrate_until(60).await.expect("migrations up to 0060");
        for id in ["crowded", "empty"] {
            sqlx::query(
                "INSERT INTO events (id, organizer, title, begins_at, ends_at, status, \
                 visibility, draft, category, online, in_person, capacity, details, created_at, \
                 updated_at) VALUES ($1, 'ada', $1, 'then', NULL, 'confirmed', 'public', 0, '', \
                 0, 0, NULL, '{}', 'then', 'then')",
            )
            .bind(id)
            .execute(db.pool())
            .await
            .unwrap_or_else(|e| panic!("{}: an event: {e}", url.label));
        }
        let participations = [
            ("crowded", "creator"),
            ("crowded", "participant"),
            ("crowded", "participant"),
            ("crowded", "participant"),
            ("crowded", "waitlisted"),
            ("crowded", "waitlisted"),
            ("crowded", "not_approved"),
            ("crowded", "not_confirmed"),
            ("crowded", "rejected"),
            ("crowded", "moderator"),
            ("empty", "creator"),
            ("elsewhere", "participant"),
        ];
        for (i, (event, state)) in participations.iter().enumerate() {
            sqlx::query(
                "INSERT INTO participations (id, event_id, profile, state, joined_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'then', 'then')",
            )
            .bind(format!("p{i}"))
            .bind(*event)
            .bind(format!("who{i}"))
            .bind(*state)
            .execute(db.pool())
            .await
            .unwrap_or_else(|e| panic!("{}: a participation: {e}", url.label));
        }

        db.migrate().await.expect("the remaining migrations");

        let counts: Vec<(String, i64, i64)> =
            sqlx::query("SELECT id, participant_count, waitlist_count FROM events ORDER BY id")
                .fetch_all(db.pool())
                .await
                .expect("read back")
                .iter()
                .map(|row| {
                    (
                        row.get("id"),
                        row.get("participant_count"),
                        row.get("waitlist_count"),
                    )
                })
                .collect();
        assert_eq!(
            counts,
            vec![("crowded".into(), 3, 2), ("empty".into(), 0, 0)],
            "{}",
            url.label
        );
        db.close().await;
    }
}
