//! A group's discussions over real HTTP: members start them and comment, threaded; the author
//! or a moderator renames, archives and deletes; nobody outside the group — a removed member at
//! once — reads or writes anything of them, in any endpoint or the timeline.

use crate::groups::{cast, fields, kind};
use crate::servers;
use crate::support::Response;
use serde_json::json;

fn titles(response: &Response) -> Vec<String> {
    response
        .json
        .as_array()
        .map(|l| {
            l.iter()
                .map(|d| d["title"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// `(author, in_reply_to, body)` of a thread's comments.
fn comments(response: &Response) -> Vec<(String, String, String)> {
    response.json["comments"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|c| {
                    let text = |k: &str| c[k].as_str().unwrap_or_default().to_string();
                    (text("author"), text("in_reply_to"), text("body"))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn members_discuss_and_nobody_else_reads_or_writes_a_word() {
    for (_db, server) in servers("group_discussions").await {
        let (ana, bob, cy, _) = cast(&server).await;
        bob.post("/api/v1/groups/repair/members", json!({})).await;
        ana.post("/api/v1/groups/repair/members/bob/approve", json!({}))
            .await;
        cy.post("/api/v1/groups/repair/members", json!({})).await;

        let started = bob
            .post(
                "/api/v1/groups/repair/discussions",
                json!({"title": " Tools ", "body": "<p>Who has a drill?</p><script>x()</script>"}),
            )
            .await;
        assert_eq!(started.status, 201, "{}", started.text);
        assert_eq!(started.json["title"], "Tools");
        assert_eq!(started.json["author"], "@bob");
        let id = started.json["id"].as_str().unwrap_or_default().to_string();
        let first = started.json["comments"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let path = format!("/api/v1/groups/repair/discussions/{id}");
        let replied = ana
            .post(
                &format!("{path}/comments"),
                json!({"body": "<p>I do</p>", "in_reply_to": first}),
            )
            .await;
        assert_eq!(replied.status, 201, "{}", replied.text);
        assert_eq!(
            comments(&replied),
            [
                ("@bob".into(), "".into(), "<p>Who has a drill?</p>".into()),
                ("@ana".into(), first.clone(), "<p>I do</p>".into()),
            ]
        );

        // Outsiders (a stranger, someone whose request waits, the logged-out) read and write
        // nothing, and the timeline does not tell them a discussion began.
        let head = server.head().await;
        for client in [cy.clone(), server.client()] {
            for response in [
                client.get("/api/v1/groups/repair/discussions").await,
                client.get(&path).await,
                client
                    .post(&format!("{path}/comments"), json!({"body": "Hi"}))
                    .await,
                client
                    .post(
                        "/api/v1/groups/repair/discussions",
                        json!({"title": "Mine", "body": "Hi"}),
                    )
                    .await,
                client.patch(&path, json!({"title": "Mine"})).await,
                client.delete(&path).await,
            ] {
                assert!(
                    matches!(response.status, 401 | 403),
                    "{}: {}",
                    server.label,
                    response.text
                );
                assert!(!response.text.contains("drill") && !response.text.contains("Tools"));
            }
            let timeline = client.get("/api/v1/groups/repair/timeline").await;
            assert!(
                !timeline.text.contains("discussion_started"),
                "{}",
                timeline.text
            );
            assert!(!timeline.text.contains("Tools"));
        }
        let refused = cy.get(&path).await;
        assert_eq!(kind(&refused), "/problems/member-needed");
        assert_eq!(server.head().await, head, "nothing written");
        let timeline = bob.get("/api/v1/groups/repair/timeline").await;
        assert!(
            timeline.text.contains("discussion_started"),
            "{}",
            timeline.text
        );

        // Renaming, archiving and deleting are for the author or moderators.
        ana.put(
            "/api/v1/groups/repair/members/bob/role",
            json!({"role": "member"}),
        )
        .await;
        let dee_like = ana
            .post(
                "/api/v1/groups/repair/discussions",
                json!({"title": "Ana's", "body": "Hello"}),
            )
            .await;
        let anas = format!(
            "/api/v1/groups/repair/discussions/{}",
            dee_like.json["id"].as_str().unwrap_or_default()
        );
        let not_his = bob.patch(&anas, json!({"title": "Bob's"})).await;
        assert_eq!(
            (not_his.status, kind(&not_his)),
            (403, "/problems/moderator-needed")
        );
        let renamed = bob
            .patch(&path, json!({"title": "Drills", "archived": true}))
            .await;
        assert_eq!(renamed.status, 200, "{}", renamed.text);
        assert_eq!(renamed.json["title"], "Drills");
        assert_eq!(renamed.json["archived"], true);
        let archived = ana
            .post(&format!("{path}/comments"), json!({"body": "Late"}))
            .await;
        assert_eq!(
            (archived.status, kind(&archived)),
            (409, "/problems/discussion-archived")
        );
        let listed = bob.get("/api/v1/groups/repair/discussions").await;
        assert_eq!(titles(&listed), ["Ana's", "Drills"]);

        // A comment deleted stays as a tombstone; its author or a moderator deletes it.
        let by_bob = bob.delete(&format!("{path}/comments/{first}")).await;
        assert_eq!(by_bob.status, 200, "{}", by_bob.text);
        assert_eq!(by_bob.json["comments"][0]["deleted"], true);
        assert_eq!(by_bob.json["comments"][0]["body"], "");
        assert_eq!(comments(&by_bob)[1].1, first, "the reply keeps its place");

        // A removed member loses access at once.
        let removed = ana
            .post("/api/v1/groups/repair/members/bob/remove", json!({}))
            .await;
        assert_eq!(removed.status, 204, "{}", removed.text);
        let gone = bob.get(&path).await;
        assert_eq!(gone.status, 403, "{}", gone.text);
        assert_eq!(
            bob.get("/api/v1/groups/repair/discussions").await.status,
            403
        );
        let timeline = bob.get("/api/v1/groups/repair/timeline").await;
        assert!(!timeline.text.contains("discussion_started"));

        let deleted = ana.delete(&path).await;
        assert_eq!(deleted.status, 204, "{}", deleted.text);
        assert_eq!(ana.get(&path).await.status, 404);
        assert_eq!(
            titles(&ana.get("/api/v1/groups/repair/discussions").await),
            ["Ana's"]
        );
    }
}

#[tokio::test]
async fn bad_discussions_and_comments_are_refused_by_field_and_write_nothing() {
    for (_db, server) in servers("group_discussion_input").await {
        let (ana, _, _, _) = cast(&server).await;
        let started = ana
            .post(
                "/api/v1/groups/repair/discussions",
                json!({"title": "Tools", "body": "Hi"}),
            )
            .await;
        let path = format!(
            "/api/v1/groups/repair/discussions/{}",
            started.json["id"].as_str().unwrap_or_default()
        );
        let head = server.head().await;
        let refused = ana
            .post(
                "/api/v1/groups/repair/discussions",
                json!({"title": "x".repeat(201), "body": " "}),
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert_eq!(fields(&refused), ["title", "body"]);
        let too_long = ana
            .post(
                &format!("{path}/comments"),
                json!({"body": "x".repeat(70 * 1024)}),
            )
            .await;
        assert_eq!(
            (too_long.status, fields(&too_long)),
            (422, vec!["body".to_string()])
        );
        let orphan = ana
            .post(
                &format!("{path}/comments"),
                json!({"body": "Hi", "in_reply_to": "nope"}),
            )
            .await;
        assert_eq!(
            (orphan.status, kind(&orphan)),
            (404, "/problems/unknown-comment")
        );
        let nothing = ana.patch(&path, json!({})).await;
        assert_eq!(nothing.status, 422);
        let unknown = ana.get("/api/v1/groups/repair/discussions/nope").await;
        assert_eq!(unknown.status, 404);
        assert_eq!(
            server.head().await,
            head,
            "{}: nothing written",
            server.label
        );
    }
}

#[tokio::test]
async fn a_comment_is_edited_by_its_author_only_and_deleted_by_a_moderator() {
    for (_db, server) in servers("group_comment_edits").await {
        let (ana, bob, cy, _) = cast(&server).await;
        for who in [&bob, &cy] {
            who.post("/api/v1/groups/repair/members", json!({})).await;
        }
        for name in ["bob", "cy"] {
            ana.post(
                &format!("/api/v1/groups/repair/members/{name}/approve"),
                json!({}),
            )
            .await;
        }
        let started = bob
            .post(
                "/api/v1/groups/repair/discussions",
                json!({"title": "Tools", "body": "<p>Who has a drill?</p>"}),
            )
            .await;
        assert_eq!(started.status, 201, "{}", started.text);
        let id = started.json["id"].as_str().unwrap_or_default().to_string();
        let first = started.json["comments"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(started.json["comments"][0]["edited_at"].is_null());
        let path = format!("/api/v1/groups/repair/discussions/{id}");
        let comment = format!("{path}/comments/{first}");

        let edited = bob
            .put(
                &comment,
                json!({"body": "<p>Who has a <b>drill</b>?</p><script>x()</script>"}),
            )
            .await;
        assert_eq!(edited.status, 200, "{}", edited.text);
        assert_eq!(
            comments(&edited),
            [(
                "@bob".to_string(),
                String::new(),
                "<p>Who has a <b>drill</b>?</p>".to_string()
            )]
        );
        assert!(edited.json["comments"][0]["edited_at"].is_string());

        // Nobody else edits it, the group's creator included; bad input is named; nothing is
        // written either way.
        let head = server.head().await;
        for who in [&ana, &cy] {
            let refused = who.put(&comment, json!({"body": "<p>Mine now</p>"})).await;
            assert_eq!(refused.status, 403, "{}", refused.text);
            assert_eq!(kind(&refused), "/problems/author-only");
        }
        let refused = server
            .client()
            .put(&comment, json!({"body": "<p>Mine now</p>"}))
            .await;
        assert_eq!(refused.status, 401);
        let refused = bob.put(&comment, json!({"body": "  "})).await;
        assert_eq!(
            (refused.status, fields(&refused)),
            (422, vec!["body".to_string()])
        );
        let refused = bob.put(&comment, json!({"text": "x"})).await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        let missing = bob
            .put(
                &format!("{path}/comments/nope"),
                json!({"body": "<p>x</p>"}),
            )
            .await;
        assert_eq!(missing.status, 404);
        assert_eq!(
            server.head().await,
            head,
            "{}: nothing written",
            server.label
        );

        // An archived discussion takes no edit; a moderator deletes, and a deleted comment is
        // edited no more.
        bob.patch(&path, json!({"archived": true})).await;
        let refused = bob.put(&comment, json!({"body": "<p>Later</p>"})).await;
        assert_eq!(refused.status, 409, "{}", refused.text);
        assert_eq!(kind(&refused), "/problems/discussion-archived");
        bob.patch(&path, json!({"archived": false})).await;
        let deleted = ana.delete(&comment).await;
        assert_eq!(deleted.status, 200, "{}", deleted.text);
        assert_eq!(deleted.json["comments"][0]["deleted"], true);
        assert_eq!(deleted.json["comments"][0]["body"], "");
        let refused = bob.put(&comment, json!({"body": "<p>Back</p>"})).await;
        assert_eq!(kind(&refused), "/problems/unknown-comment");
        let thread = ana.get(&path).await;
        assert!(!thread.text.contains("drill"), "{}", thread.text);
    }
}
