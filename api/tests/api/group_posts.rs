//! A group's posts over real HTTP: written by moderators, read by whom they are for (drafts by
//! moderators, members-only posts by members, and by nobody else in any list, page or
//! timeline), edited, deleted, and bad input that writes nothing.

use crate::groups::{cast, fields, kind};
use crate::servers;
use crate::support::{Client, Response, TestServer};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

fn post(title: &str, visibility: &str, draft: bool) -> Value {
    json!({
        "title": title,
        "body": "<p>Bring <script>x()</script>your tools</p>",
        "tags": ["#Repair", "repair", " Tools "],
        "visibility": visibility,
        "draft": draft,
    })
}

async fn write(client: &Client, body: Value) -> Value {
    let written = client.post("/api/v1/groups/repair/posts", body).await;
    assert_eq!(written.status, 201, "{}", written.text);
    written.json
}

/// `(title, author)` of a list of posts, in its order.
fn listed(response: &Response) -> Vec<(String, String)> {
    response
        .json
        .as_array()
        .map(|l| {
            l.iter()
                .map(|p| {
                    let text = |k: &str| p[k].as_str().unwrap_or_default().to_string();
                    (text("title"), text("author"))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The posts the timeline names, newest first.
fn posts_in_timeline(response: &Response) -> Vec<String> {
    response
        .json
        .as_array()
        .map(|l| {
            l.iter()
                .filter(|e| e["kind"] == "post_published")
                .map(|e| e["subject"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn id(post: &Value) -> String {
    post["id"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn posts_are_written_by_moderators_and_read_only_by_whom_they_are_for() {
    for (_db, server) in servers("group_posts").await {
        let (ana, bob, cy, _) = cast(&server).await;
        bob.post("/api/v1/groups/repair/members", json!({})).await;
        let approved = ana
            .post("/api/v1/groups/repair/members/bob/approve", json!({}))
            .await;
        assert_eq!(approved.status, 200, "{}", approved.text);

        let by_member = bob
            .post("/api/v1/groups/repair/posts", post("Mine", "public", false))
            .await;
        assert_eq!(
            (by_member.status, kind(&by_member)),
            (403, "/problems/moderator-needed"),
            "{}",
            by_member.text
        );
        assert!(by_member.json["detail"]
            .as_str()
            .is_some_and(|d| d.contains("moderator")));

        let public = write(&ana, post("Café du mois", "public", false)).await;
        assert_eq!(public["slug"], "cafe-du-mois");
        assert_eq!(public["body"], "<p>Bring your tools</p>");
        assert_eq!(public["tags"], json!(["repair", "tools"]));
        assert_eq!(public["author"], "@ana");
        assert!(public["published_at"].is_string());
        let unlisted = write(&ana, post("Café du mois", "unlisted", false)).await;
        assert_eq!(unlisted["slug"], "cafe-du-mois-2");
        let members = write(&ana, post("Keys to the shed", "members", false)).await;
        let draft = write(&ana, post("Next season", "public", true)).await;
        assert!(draft["published_at"].is_null());

        // Lists: the public ones for strangers (the group as author), every published one for
        // members, drafts too for moderators.
        let strangers = pairs(&[("Café du mois", "@repair")]);
        for client in [server.client(), cy.clone()] {
            let seen = client.get("/api/v1/groups/repair/posts").await;
            assert_eq!(seen.status, 200, "{}", seen.text);
            assert_eq!(listed(&seen), strangers, "{}", server.label);
            assert!(!seen.text.contains("@ana") && !seen.text.contains("Keys"));
        }
        let seen = bob.get("/api/v1/groups/repair/posts").await;
        assert_eq!(
            listed(&seen),
            pairs(&[
                ("Keys to the shed", "@ana"),
                ("Café du mois", "@ana"),
                ("Café du mois", "@ana"),
            ])
        );
        let seen = ana.get("/api/v1/groups/repair/posts").await;
        assert_eq!(seen.json.as_array().map(Vec::len), Some(4));
        assert_eq!(seen.json[0]["title"], "Next season", "drafts come first");

        // One post, by slug or id: members-only and drafts do not exist for those outside.
        let path = |key: &str| format!("/api/v1/groups/repair/posts/{key}");
        for key in ["cafe-du-mois-2".to_string(), id(&unlisted)] {
            let read = server.client().get(&path(&key)).await;
            assert_eq!(read.status, 200, "{key}: {}", read.text);
            assert_eq!(read.json["visibility"], "unlisted");
        }
        for client in [server.client(), cy.clone()] {
            for key in [id(&members), id(&draft)] {
                let hidden = client.get(&path(&key)).await;
                assert_eq!(hidden.status, 404, "{}", hidden.text);
                assert!(!hidden.text.contains("Keys") && !hidden.text.contains("season"));
            }
        }
        assert_eq!(bob.get(&path(&id(&members))).await.status, 200);
        assert_eq!(bob.get(&path(&id(&draft))).await.status, 404);
        assert_eq!(ana.get(&path(&id(&draft))).await.status, 200);

        // The timeline names published posts to whom they are listed: unlisted ones to members.
        let for_stranger = server.client().get("/api/v1/groups/repair/timeline").await;
        assert_eq!(
            posts_in_timeline(&for_stranger),
            [id(&public)],
            "{}",
            server.label
        );
        let for_member = bob.get("/api/v1/groups/repair/timeline").await;
        assert_eq!(
            posts_in_timeline(&for_member),
            [id(&members), id(&unlisted), id(&public)]
        );

        // A removed member loses access at once.
        let removed = ana
            .post("/api/v1/groups/repair/members/bob/remove", json!({}))
            .await;
        assert_eq!(removed.status, 204, "{}", removed.text);
        assert_eq!(bob.get(&path(&id(&members))).await.status, 404);
        let seen = bob.get("/api/v1/groups/repair/posts").await;
        assert_eq!(listed(&seen), strangers);
        let timeline = bob.get("/api/v1/groups/repair/timeline").await;
        assert_eq!(posts_in_timeline(&timeline), [id(&public)]);
    }
}

#[tokio::test]
async fn posts_are_edited_published_and_deleted_by_moderators() {
    for (_db, server) in servers("group_post_edits").await {
        let (ana, bob, _, _) = cast(&server).await;
        let draft = write(&ana, post("Next season", "public", true)).await;
        let path = format!("/api/v1/groups/repair/posts/{}", id(&draft));
        let timeline = |client: Client| async move {
            posts_in_timeline(&client.get("/api/v1/groups/repair/timeline").await)
        };
        assert!(timeline(server.client()).await.is_empty());

        // Leaving the draft publishes it, once.
        let published = ana.put(&path, post("Next season", "public", false)).await;
        assert_eq!(published.status, 200, "{}", published.text);
        assert!(published.json["published_at"].is_string());
        assert_eq!(published.json["slug"], "next-season", "the slug stays");
        assert_eq!(timeline(server.client()).await, [id(&draft)]);

        // Made members-only, it leaves the public's lists, pages and timeline.
        let hidden = ana.put(&path, post("Renamed", "members", false)).await;
        assert_eq!(hidden.status, 200, "{}", hidden.text);
        assert_eq!(hidden.json["title"], "Renamed");
        assert_eq!(server.client().get(&path).await.status, 404);
        assert!(timeline(server.client()).await.is_empty());
        let by_slug = ana.get("/api/v1/groups/repair/posts/next-season").await;
        assert_eq!(by_slug.json["title"], "Renamed");

        // Others may not edit or delete.
        let head = server.head().await;
        let edit = bob.put(&path, post("Mine", "public", false)).await;
        assert_eq!(
            (edit.status, kind(&edit)),
            (403, "/problems/moderator-needed")
        );
        let delete = bob.delete(&path).await;
        assert_eq!(delete.status, 403);
        assert_eq!(server.head().await, head, "nothing written");

        let deleted = ana.delete(&path).await;
        assert_eq!(deleted.status, 204, "{}", deleted.text);
        assert_eq!(ana.get(&path).await.status, 404);
        assert_eq!(ana.delete(&path).await.status, 404);
        let edit = ana.put(&path, post("Back", "public", false)).await;
        assert_eq!(edit.status, 404);
        assert!(timeline(ana.clone()).await.is_empty());
    }
}

#[tokio::test]
async fn bad_posts_are_refused_field_by_field_and_write_nothing() {
    for (_db, server) in servers("group_post_input").await {
        let (ana, _, _, _) = cast(&server).await;
        let head = server.head().await;
        let refused = ana
            .post(
                "/api/v1/groups/repair/posts",
                json!({
                    "title": " ",
                    "body": "x".repeat(100 * 1024 + 1),
                    "tags": ["t".repeat(41)],
                }),
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert_eq!(refused.content_type, "application/problem+json");
        assert_eq!(fields(&refused), ["title", "body", "tags"]);
        for (body, field) in [
            (json!({"title": "A", "visibility": "secret"}), "visibility"),
            (json!({"title": "A", "draft": "yes"}), "draft"),
            (json!({"title": "A", "colour": "red"}), "colour"),
            (
                json!({"title": "A", "publish_at": "tomorrow"}),
                "publish_at",
            ),
        ] {
            let refused = ana.post("/api/v1/groups/repair/posts", body).await;
            assert_eq!(refused.status, 422, "{}", refused.text);
            assert!(refused.text.contains(field), "{field}: {}", refused.text);
        }
        let nowhere = ana
            .post("/api/v1/groups/nowhere/posts", post("A", "public", false))
            .await;
        assert_eq!(nowhere.status, 404);
        assert_eq!(
            server.head().await,
            head,
            "{}: nothing written",
            server.label
        );
        let none = server
            .client()
            .get("/api/v1/groups/repair/posts?page=0")
            .await;
        assert_eq!(
            (none.status, fields(&none)),
            (422, vec!["page".to_string()])
        );
    }
}

/// How many times the log records post `id` published.
async fn publications_logged(server: &TestServer, id: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM event_log WHERE event_type = 'GroupPostPublished' \
         AND CAST(payload AS TEXT) LIKE $1",
    )
    .bind(format!("%{id}%"))
    .fetch_one(server.db.pool())
    .await
    .expect("count")
}

#[tokio::test]
async fn a_post_given_a_publication_time_appears_by_itself_at_that_time_and_once() {
    for (scratch, server) in servers("group_post_schedule").await {
        let (ana, bob, cy, _) = cast(&server).await;
        bob.post("/api/v1/groups/repair/members", json!({})).await;
        let approved = ana
            .post("/api/v1/groups/repair/members/bob/approve", json!({}))
            .await;
        assert_eq!(approved.status, 200, "{}", approved.text);

        let at = OffsetDateTime::now_utc() + Duration::hours(2);
        let mut body = post("May day", "public", false);
        body["publish_at"] = json!(at.format(&Rfc3339).expect("time"));
        let scheduled = write(&ana, body).await;
        assert!(scheduled["published_at"].is_null(), "{scheduled}");
        assert!(scheduled["publish_at"].is_string(), "{scheduled}");
        let path = format!("/api/v1/groups/repair/posts/{}", id(&scheduled));

        // Until its time, only the group's moderators see it: not strangers, nor members, in
        // no list, page or timeline.
        for client in [server.client(), cy.clone(), bob.clone()] {
            let read = client.get(&path).await;
            assert_eq!(read.status, 404, "{}: {}", server.label, read.text);
            let list = client.get("/api/v1/groups/repair/posts").await;
            assert!(!list.text.contains("May day"), "{}", list.text);
            let timeline = client.get("/api/v1/groups/repair/timeline").await;
            assert!(posts_in_timeline(&timeline).is_empty(), "{}", timeline.text);
        }
        assert_eq!(ana.get(&path).await.status, 200);
        let listed = ana.get("/api/v1/groups/repair/posts").await;
        assert!(listed.text.contains("May day"), "{}", listed.text);

        // The sweep before its time writes nothing.
        let head = server.head().await;
        let swept = convene_api::group_posts::publish_due(&server.state, OffsetDateTime::now_utc())
            .await
            .expect("sweep");
        assert_eq!(swept, 0);
        assert_eq!(server.head().await, head, "nothing written");

        // At its time, two processes sweep the same database at once: it is published once, by
        // the instance, and then everyone it is for sees it.
        let other = TestServer::start(&scratch, convene_api::Registrations::Open).await;
        let later = at + Duration::seconds(1);
        let (one, two) = tokio::join!(
            convene_api::group_posts::publish_due(&server.state, later),
            convene_api::group_posts::publish_due(&other.state, later),
        );
        assert!(one.expect("sweep") + two.expect("sweep") >= 1);
        assert_eq!(publications_logged(&server, &id(&scheduled)).await, 1);
        for _ in 0..50 {
            if server.client().get(&path).await.status == 200 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let read = server.client().get(&path).await;
        assert_eq!(read.status, 200, "{}: {}", server.label, read.text);
        assert!(read.json["published_at"].is_string());
        assert_eq!(read.json["author"], "@repair");
        let timeline = server.client().get("/api/v1/groups/repair/timeline").await;
        assert_eq!(posts_in_timeline(&timeline), [id(&scheduled)]);
        // Members see who wrote it as who published it, not the instance.
        let timeline = bob.get("/api/v1/groups/repair/timeline").await;
        let entry = timeline
            .json
            .as_array()
            .and_then(|l| l.iter().find(|e| e["kind"] == "post_published").cloned());
        assert_eq!(entry.map(|e| e["actor"].clone()), Some(json!("@ana")));

        // Swept again, nothing more.
        let swept = convene_api::group_posts::publish_due(&server.state, later)
            .await
            .expect("sweep");
        assert_eq!(swept, 0);
        assert_eq!(publications_logged(&server, &id(&scheduled)).await, 1);

        // A time already past publishes at once; a draft with a time waits for its editors.
        let mut past = post("Yesterday", "public", false);
        past["publish_at"] = json!("2020-01-01T00:00:00Z");
        let now = write(&ana, past).await;
        assert!(now["published_at"].is_string(), "{now}");
        let mut drafted = post("Someday", "public", true);
        drafted["publish_at"] = json!(at.format(&Rfc3339).expect("time"));
        let drafted = write(&ana, drafted).await;
        convene_api::group_posts::publish_due(&server.state, later + Duration::days(1))
            .await
            .expect("sweep");
        assert_eq!(publications_logged(&server, &id(&drafted)).await, 0);
    }
}
