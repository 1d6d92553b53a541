//! Pictures over HTTP: uploads checked by content, oriented, stripped of their metadata and
//! stored by hash; events show them, profiles show avatars; bad input is refused by field with
//! nothing stored; unused uploads are swept after a day.

#[path = "../fixtures/images.rs"]
mod images;

use crate::servers;
use crate::support::{create_event, member, profile, Client, Response, TestServer};
use images::*;
use serde_json::{json, Value};
use std::path::PathBuf;

async fn upload(
    client: &Client,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> Response {
    let (content_type, body) = multipart(fields, file);
    client
        .send_bytes("POST", path, Some((content_type, body)))
        .await
}

fn fields(response: &Response) -> Vec<String> {
    response.json["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Every file in the server's picture folder.
fn stored_files(server: &TestServer) -> Vec<PathBuf> {
    let folder = &server.state.config.pictures.folder;
    let mut files = Vec::new();
    for dir in std::fs::read_dir(folder).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            files.push(file.path());
        }
    }
    files.sort();
    files
}

/// The files in the picture folder once there are `n` (waiting up to 30 s: the WebP
/// renditions are made in the background after the upload answers).
async fn stored_files_once(server: &TestServer, n: usize) -> Vec<PathBuf> {
    for _ in 0..600 {
        let files = stored_files(server);
        if files.len() >= n {
            return files;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stored_files(server)
}

fn rendition(server: &TestServer, hash: &str, width: u64) -> Vec<u8> {
    let name = format!("{hash}-{width}.jpg");
    let path = server
        .state
        .config
        .pictures
        .folder
        .join(&name[..2])
        .join(&name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// How many pictures the log records.
async fn uploads_logged(server: &TestServer) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM event_log WHERE event_type = 'PictureUploaded'")
        .fetch_one(server.db.pool())
        .await
        .expect("count")
}

async fn organiser(server: &TestServer, email: &str, username: &str) -> (Client, Value) {
    let client = member(server, email).await;
    profile(&client, username).await;
    let client = client.as_profile(username);
    let event = create_event(&client, json!({})).await;
    (client, event)
}

#[tokio::test]
async fn a_png_with_an_orientation_is_turned_upright_resized_and_shown_on_the_event() {
    for (_scratch, server) in servers("pictures_png").await {
        let (ana, event) = organiser(&server, "ana@example.org", "ana").await;
        let id = event["id"].as_str().expect("id");
        // Orientation 6: the camera was turned; the picture must be turned a quarter right.
        let bytes = png_with_exif(800, 400, &exif(6, false));
        let path = format!("/api/v1/events/{id}/picture");
        let answer = upload(
            &ana,
            &path,
            &[("alt", " A choir on the stairs ")],
            Some(("choir.png", "image/png", &bytes)),
        )
        .await;
        assert_eq!(answer.status, 200, "{}: {}", server.label, answer.text);
        let picture = &answer.json["picture"];
        assert_eq!(picture["alt"], "A choir on the stairs", "{}", server.label);
        assert_eq!(
            (picture["width"].as_u64(), picture["height"].as_u64()),
            (Some(400), Some(800))
        );
        assert_eq!(picture["widths"], json!([320, 400]));
        let hash = picture["hash"].as_str().expect("hash");
        assert_eq!(hash.len(), 64);
        assert!(picture["colour"]
            .as_str()
            .is_some_and(|c| c.starts_with('#')));
        // Upright: what was the left (red) is now the top.
        let widest = image::load_from_memory(&rendition(&server, hash, 400))
            .expect("jpeg")
            .into_rgb8();
        assert_eq!(widest.dimensions(), (400, 800));
        let top = widest.get_pixel(200, 100).0;
        let bottom = widest.get_pixel(200, 700).0;
        assert!(top[0] > 150 && top[2] < 100, "top is red: {top:?}");
        assert!(
            bottom[2] > 150 && bottom[0] < 100,
            "bottom is blue: {bottom:?}"
        );
        let small = image::load_from_memory(&rendition(&server, hash, 320)).expect("jpeg");
        assert_eq!((small.width(), small.height()), (320, 640));
        // The event shows it to everyone.
        let seen = server.client().get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(seen.json["picture"]["hash"], hash);
        // The log has the upload (who, hash, alt), not the bytes.
        let payload: String = sqlx::query_scalar(
            "SELECT CAST(payload AS TEXT) FROM event_log WHERE event_type = 'PictureUploaded'",
        )
        .fetch_one(server.db.pool())
        .await
        .expect("logged");
        let logged: Value = serde_json::from_str(&payload).expect("json");
        let uploaded = &logged["Uploaded"];
        assert_eq!(uploaded["by"], "ana", "{payload}");
        assert_eq!(uploaded["facts"]["hash"], hash);
        assert_eq!(uploaded["alt"], "A choir on the stairs");
        assert!(
            payload.len() < 1000,
            "no bytes in the log: {} bytes",
            payload.len()
        );
    }
}

#[tokio::test]
async fn a_jpeg_comes_out_without_its_gps_position_and_a_renamed_png_is_read_by_content() {
    for (_scratch, server) in servers("pictures_jpeg").await {
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let ana = ana.as_profile("ana");
        let bytes = jpeg_with_exif(700, 500, &exif(1, true));
        assert!(contains(&bytes, GPS_MARKER));
        let answer = upload(
            &ana,
            "/api/v1/pictures",
            &[("alt", "A square")],
            Some(("IMG_0001.JPG", "image/jpeg", &bytes)),
        )
        .await;
        assert_eq!(answer.status, 201, "{}: {}", server.label, answer.text);
        assert_eq!(answer.json["widths"], json!([320, 640, 700]));
        let hash = answer.json["hash"].as_str().expect("hash");
        for width in [320, 640, 700] {
            let out = rendition(&server, hash, width);
            assert!(
                !contains(&out, b"Exif") && !contains(&out, GPS_MARKER),
                "{width}"
            );
            assert!(!contains(&out, b"II*\0"), "no TIFF block left");
        }
        assert_eq!(answer.json["urls"][0], format!("/pictures/{hash}-320.jpg"));
        assert_eq!(
            answer.json["webp_urls"][2],
            format!("/pictures/{hash}-700.webp")
        );
        let blurhash = answer.json["blurhash"].as_str().expect("a blurhash");
        assert!(blurhash.len() >= 6, "{blurhash}");
        // A PNG called .jpg and sent as image/jpeg is a PNG, and a fine picture.
        let renamed = upload(
            &ana,
            "/api/v1/pictures",
            &[("alt", "A PNG")],
            Some(("photo.jpg", "image/jpeg", &png(50, 40))),
        )
        .await;
        assert_eq!(renamed.status, 201, "{}", renamed.text);
        assert_eq!(renamed.json["widths"], json!([50]));
        // A GIF gives its first frame.
        let gif = upload(
            &ana,
            "/api/v1/pictures",
            &[("alt", "A GIF")],
            Some(("a.gif", "image/gif", &gif(64, 32))),
        )
        .await;
        assert_eq!(gif.status, 201, "{}", gif.text);
        assert_eq!(
            (gif.json["width"].as_u64(), gif.json["height"].as_u64()),
            (Some(64), Some(32))
        );
    }
}

/// A bad upload: what it is, its text fields, its file (name, type, bytes), the status and the
/// field named.
type Case<'a> = (
    &'a str,
    Vec<(&'a str, &'a str)>,
    Option<(&'a str, &'a str, Vec<u8>)>,
    u16,
    &'a str,
);

#[tokio::test]
async fn bad_uploads_are_refused_by_field_and_store_nothing() {
    for (_scratch, server) in servers("pictures_bad").await {
        let (ana, event) = organiser(&server, "ana@example.org", "ana").await;
        let id = event["id"].as_str().expect("id");
        let path = format!("/api/v1/events/{id}/picture");
        let good = png(40, 40);
        let mut truncated = jpeg(300, 200);
        truncated.truncate(truncated.len() / 2);
        let svg =
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec();
        let cases: Vec<Case> = vec![
            (
                "no alt",
                vec![],
                Some(("a.png", "image/png", good.clone())),
                422,
                "alt",
            ),
            (
                "blank alt",
                vec![("alt", "   ")],
                Some(("a.png", "image/png", good.clone())),
                422,
                "alt",
            ),
            ("no file", vec![("alt", "A choir")], None, 422, "file"),
            (
                "empty file",
                vec![("alt", "A choir")],
                Some(("a.png", "image/png", Vec::new())),
                422,
                "file",
            ),
            (
                "text named .jpg",
                vec![("alt", "A choir")],
                Some((
                    "a.jpg",
                    "image/jpeg",
                    b"just some text, not a picture".to_vec(),
                )),
                422,
                "file",
            ),
            (
                "svg",
                vec![("alt", "A choir")],
                Some(("a.svg", "image/svg+xml", svg)),
                422,
                "file",
            ),
            (
                "truncated",
                vec![("alt", "A choir")],
                Some(("a.jpg", "image/jpeg", truncated)),
                422,
                "file",
            ),
            (
                "bomb",
                vec![("alt", "A choir")],
                Some(("a.png", "image/png", png_claiming(60_000, 60_000))),
                422,
                "file",
            ),
            (
                "50 megapixels",
                vec![("alt", "A choir")],
                Some(("a.png", "image/png", png_claiming(10_000, 5_000))),
                422,
                "file",
            ),
            (
                "../ in its name",
                vec![],
                Some(("../../etc/passwd", "image/png", good.clone())),
                422,
                "alt",
            ),
        ];
        for (label, text, file, status, field) in cases {
            let file = file.as_ref().map(|(n, t, b)| (*n, *t, b.as_slice()));
            let answer = upload(&ana, &path, &text, file).await;
            assert_eq!(
                answer.status, status,
                "{label} on {}: {}",
                server.label, answer.text
            );
            assert_eq!(fields(&answer), [field], "{label}: {}", answer.text);
        }
        assert!(
            stored_files(&server).is_empty(),
            "{:?}",
            stored_files(&server)
        );
        assert_eq!(uploads_logged(&server).await, 0);
        let seen = ana.get(&format!("/api/v1/events/{id}")).await;
        assert!(seen.json["picture"].is_null());
    }
}

#[tokio::test]
async fn files_over_their_limit_are_a_413_naming_the_limit() {
    for (_scratch, server) in servers("pictures_large").await {
        let (ana, event) = organiser(&server, "ana@example.org", "ana").await;
        let id = event["id"].as_str().expect("id");
        let big = vec![0u8; 10 * 1024 * 1024 + 1];
        let answer = upload(
            &ana,
            &format!("/api/v1/events/{id}/picture"),
            &[("alt", "Big")],
            Some(("big.jpg", "image/jpeg", &big)),
        )
        .await;
        assert_eq!(answer.status, 413, "{}: {}", server.label, answer.text);
        assert_eq!(fields(&answer), ["file"]);
        assert!(
            answer.json["detail"]
                .as_str()
                .is_some_and(|d| d.contains("10 MB")),
            "{}",
            answer.text
        );
        let avatar = vec![0u8; 2 * 1024 * 1024 + 1];
        let answer = upload(
            &ana,
            "/api/v1/profiles/ana/avatar",
            &[],
            Some(("me.jpg", "image/jpeg", &avatar)),
        )
        .await;
        assert_eq!(answer.status, 413, "{}", answer.text);
        assert!(
            answer.json["detail"]
                .as_str()
                .is_some_and(|d| d.contains("2 MB")),
            "{}",
            answer.text
        );
        // A body far past the upload limit is cut off before it is read.
        let huge = vec![0u8; 12 * 1024 * 1024];
        let answer = upload(
            &ana,
            "/api/v1/pictures",
            &[("alt", "Huge")],
            Some(("h.jpg", "image/jpeg", &huge)),
        )
        .await;
        assert_eq!(answer.status, 413, "{}", answer.text);
        assert!(stored_files(&server).is_empty());
        assert_eq!(uploads_logged(&server).await, 0);
    }
}

#[tokio::test]
async fn only_the_events_administrators_set_replace_and_remove_its_picture() {
    for (_scratch, server) in servers("pictures_who").await {
        let (ana, event) = organiser(&server, "ana@example.org", "ana").await;
        let id = event["id"].as_str().expect("id");
        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;
        let bob = bob.as_profile("bob");
        let path = format!("/api/v1/events/{id}/picture");
        let refused = upload(
            &bob,
            &path,
            &[("alt", "Mine")],
            Some(("b.png", "image/png", &png(30, 30))),
        )
        .await;
        assert_eq!(refused.status, 403, "{}: {}", server.label, refused.text);
        assert!(
            stored_files(&server).is_empty(),
            "a refused upload leaves no file"
        );
        // Bob's own upload cannot be put on Ana's event, nor Ana show Bob's.
        let bobs = upload(
            &bob,
            "/api/v1/pictures",
            &[("alt", "Bob's")],
            Some(("b.png", "image/png", &png(30, 30))),
        )
        .await;
        let bobs = bobs.json["id"].as_str().expect("id").to_string();
        let answer = ana.put(&path, json!({"picture": bobs})).await;
        assert_eq!(answer.status, 404, "{}", answer.text);
        // Ana sets one, then another, then removes it.
        let first = upload(
            &ana,
            &path,
            &[("alt", "First")],
            Some(("1.png", "image/png", &png(30, 30))),
        )
        .await;
        assert_eq!(first.status, 200, "{}", first.text);
        let second = upload(
            &ana,
            "/api/v1/pictures",
            &[("alt", "Second")],
            Some(("2.jpg", "image/jpeg", &jpeg(60, 30))),
        )
        .await;
        let second_id = second.json["id"].as_str().expect("id");
        let replaced = ana
            .put(
                &path,
                json!({"picture": second_id, "alt": "The second one"}),
            )
            .await;
        assert_eq!(replaced.status, 200, "{}", replaced.text);
        assert_eq!(replaced.json["picture"]["id"], second_id);
        assert_eq!(replaced.json["picture"]["alt"], "The second one");
        let bad_alt = ana
            .put(&path, json!({"picture": second_id, "alt": " "}))
            .await;
        assert_eq!(bad_alt.status, 422);
        assert_eq!(fields(&bad_alt), ["alt"]);
        let by_bob = bob.delete(&path).await;
        assert_eq!(by_bob.status, 403, "{}", by_bob.text);
        let removed = ana.delete(&path).await;
        assert_eq!(removed.status, 200, "{}", removed.text);
        assert!(removed.json["picture"].is_null());
    }
}

#[tokio::test]
async fn an_avatar_is_shown_on_its_profile_only_by_its_owner() {
    for (_scratch, server) in servers("pictures_avatar").await {
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;
        let bytes = jpeg(500, 500);
        let refused = upload(
            &bob,
            "/api/v1/profiles/ana/avatar",
            &[],
            Some(("a.jpg", "image/jpeg", &bytes)),
        )
        .await;
        assert!(
            refused.status == 403 || refused.status == 422,
            "{}: {}",
            server.label,
            refused.text
        );
        let answer = upload(
            &ana,
            "/api/v1/profiles/ana/avatar",
            &[],
            Some(("a.jpg", "image/jpeg", &bytes)),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.json["avatar"]["widths"], json!([320, 500]));
        let seen = server.client().get("/api/v1/profiles/ana").await;
        assert_eq!(seen.json["avatar"]["hash"], answer.json["avatar"]["hash"]);
        let removed = ana.delete("/api/v1/profiles/ana/avatar").await;
        assert_eq!(removed.status, 200);
        assert!(removed.json["avatar"].is_null());
    }
}

#[tokio::test]
async fn uploads_unused_for_a_day_are_swept_with_their_files_unless_shared() {
    for (_scratch, server) in servers("pictures_sweep").await {
        let (ana, event) = organiser(&server, "ana@example.org", "ana").await;
        let id = event["id"].as_str().expect("id");
        let shown = png(40, 40);
        let lone = jpeg(50, 50);
        // Used: shown on the event. The same bytes once more, never used. Another, never used.
        let used = upload(
            &ana,
            &format!("/api/v1/events/{id}/picture"),
            &[("alt", "Used")],
            Some(("u.png", "image/png", &shown)),
        )
        .await;
        assert_eq!(used.status, 200, "{}", used.text);
        let twin = upload(
            &ana,
            "/api/v1/pictures",
            &[("alt", "Twin")],
            Some(("t.png", "image/png", &shown)),
        )
        .await;
        let orphan = upload(
            &ana,
            "/api/v1/pictures",
            &[("alt", "Orphan")],
            Some(("o.jpg", "image/jpeg", &lone)),
        )
        .await;
        let orphan_hash = orphan.json["hash"].as_str().expect("hash").to_string();
        // One width each, as JPEG and (soon after) as WebP.
        assert_eq!(stored_files_once(&server, 4).await.len(), 4);
        // Before a day has passed, nothing goes.
        let now = time::OffsetDateTime::now_utc();
        let swept = convene_api::pictures::sweep(&server.state, now)
            .await
            .expect("sweep");
        assert_eq!(swept.discarded, 0);
        let later = now + time::Duration::hours(25);
        let swept = convene_api::pictures::sweep(&server.state, later)
            .await
            .expect("sweep");
        assert_eq!(swept.discarded, 2, "{}", server.label);
        assert_eq!(
            swept.files_removed, 2,
            "the twin's files are the used picture's too"
        );
        let files = stored_files(&server);
        assert_eq!(files.len(), 2);
        assert!(files
            .iter()
            .all(|f| !f.to_string_lossy().contains(&orphan_hash)));
        // Discarded uploads can no longer be shown; the used one still is.
        let twin_id = twin.json["id"].as_str().expect("id");
        let answer = ana
            .put(
                &format!("/api/v1/events/{id}/picture"),
                json!({"picture": twin_id}),
            )
            .await;
        assert_eq!(answer.status, 404, "{}", answer.text);
        let seen = server.client().get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(seen.json["picture"]["alt"], "Used");
        // The discards are the system's, with a reason, on schedule.
        let metadata: String = sqlx::query_scalar(
            "SELECT CAST(metadata AS TEXT) FROM event_log WHERE event_type = 'PictureDiscarded' LIMIT 1",
        )
        .fetch_one(server.db.pool())
        .await
        .expect("logged");
        assert!(
            metadata.contains("schedule") && metadata.contains("system"),
            "{metadata}"
        );
        // A second sweep finds nothing more.
        let again = convene_api::pictures::sweep(&server.state, later)
            .await
            .expect("sweep");
        assert_eq!(again.discarded, 0);
    }
}

#[tokio::test]
async fn only_a_group_s_administrators_set_and_remove_its_avatar_and_banner() {
    for (_scratch, server) in servers("pictures_group").await {
        // Ana created @repair; bob is no member of it.
        let (ana, bob, _, _) = crate::groups::cast(&server).await;
        let banner = jpeg(800, 400);
        let before = uploads_logged(&server).await;
        let refused = upload(
            &bob,
            "/api/v1/groups/repair/banner",
            &[("alt", "A cliff")],
            Some(("b.jpg", "image/jpeg", &banner)),
        )
        .await;
        assert_eq!(refused.status, 403, "{}: {}", server.label, refused.text);
        let no_alt = upload(
            &ana,
            "/api/v1/groups/repair/banner",
            &[],
            Some(("b.jpg", "image/jpeg", &banner)),
        )
        .await;
        assert_eq!(no_alt.status, 422, "{}", no_alt.text);
        assert_eq!(fields(&no_alt), ["alt"]);
        let too_large = vec![0u8; 2 * 1024 * 1024 + 1];
        let over = upload(
            &ana,
            "/api/v1/groups/repair/avatar",
            &[("alt", "A knot")],
            Some(("a.jpg", "image/jpeg", &too_large)),
        )
        .await;
        assert_eq!(over.status, 413, "an avatar's limit: {}", over.text);
        assert_eq!(uploads_logged(&server).await, before, "nothing stored");
        assert!(stored_files(&server).is_empty());

        let answer = upload(
            &ana,
            "/api/v1/groups/repair/banner",
            &[("alt", "A cliff at dawn")],
            Some(("b.jpg", "image/jpeg", &banner)),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.json["banner"]["alt"], "A cliff at dawn");
        assert_eq!(answer.json["banner"]["width"], 800);
        assert!(answer.json["avatar"].is_null());
        let avatar = jpeg(300, 300);
        let answer = upload(
            &ana,
            "/api/v1/groups/repair/avatar",
            &[("alt", "A knot")],
            Some(("a.jpg", "image/jpeg", &avatar)),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let seen = server.client().get("/api/v1/groups/repair").await;
        assert_eq!(seen.json["avatar"]["hash"], answer.json["avatar"]["hash"]);
        assert_eq!(seen.json["avatar"]["alt"], "A knot");
        assert_eq!(seen.json["banner"]["alt"], "A cliff at dawn");
        assert_eq!(uploads_logged(&server).await, before + 2);

        let refused = bob.delete("/api/v1/groups/repair/banner").await;
        assert_eq!(refused.status, 403, "{}", refused.text);
        let removed = ana.delete("/api/v1/groups/repair/banner").await;
        assert_eq!(removed.status, 200, "{}", removed.text);
        assert!(removed.json["banner"].is_null());
        assert_eq!(removed.json["avatar"]["alt"], "A knot", "the avatar stays");
    }
}
