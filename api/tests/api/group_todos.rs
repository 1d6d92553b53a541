//! A group's todo lists over real HTTP: members make lists, add todos assigned to members and
//! mark them done; nobody else reads or writes any, a removed member at once; bad input is
//! named and writes nothing.

use crate::groups::{cast, fields, kind};
use crate::servers;
use serde_json::json;

#[tokio::test]
async fn members_keep_todo_lists_and_nobody_else_sees_them() {
    for (_db, server) in servers("group_todos").await {
        let (ana, bob, cy, _) = cast(&server).await;
        bob.post("/api/v1/groups/repair/members", json!({})).await;
        ana.post("/api/v1/groups/repair/members/bob/approve", json!({}))
            .await;
        cy.post("/api/v1/groups/repair/members", json!({})).await;

        let made = bob
            .post(
                "/api/v1/groups/repair/todo-lists",
                json!({"title": " Saturday "}),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
        assert_eq!(made.json["title"], "Saturday");
        let list = made.json["id"].as_str().unwrap_or_default().to_string();
        let todos = format!("/api/v1/groups/repair/todo-lists/{list}/todos");
        let added = bob
            .post(
                &todos,
                json!({"title": "Bring the drill", "due_on": "2030-06-01", "assignee": "@ana"}),
            )
            .await;
        assert_eq!(added.status, 201, "{}", added.text);
        let todo = &added.json["todos"][0];
        assert_eq!(todo["assignee"], "@ana");
        assert_eq!(todo["due_on"], "2030-06-01");
        assert_eq!(todo["done"], false);
        let todo_path = format!(
            "/api/v1/groups/repair/todos/{}",
            todo["id"].as_str().unwrap_or_default()
        );
        let done = ana
            .put(
                &todo_path,
                json!({"title": "Bring the drill", "assignee": "ana", "done": true}),
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.text);
        assert_eq!(done.json["todos"][0]["done"], true);
        assert!(done.json["todos"][0]["due_on"].is_null());
        // Renaming a done todo changes nothing on the timeline; marking it not done does.
        let renamed = bob
            .put(
                &todo_path,
                json!({"title": "Bring the big drill", "assignee": "ana", "done": true}),
            )
            .await;
        assert_eq!(renamed.status, 200, "{}", renamed.text);
        let reopened = bob
            .put(
                &todo_path,
                json!({"title": "Bring the big drill", "done": false}),
            )
            .await;
        assert_eq!(reopened.status, 200, "{}", reopened.text);

        // Members read who completed and reopened which todo; nobody else reads either.
        let todo_id = todo["id"].as_str().unwrap_or_default();
        let timeline = bob.get("/api/v1/groups/repair/timeline").await;
        assert_eq!(timeline.status, 200, "{}", timeline.text);
        let about_todos: Vec<(String, String, String, String)> = timeline
            .json
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["subject"] == todo_id)
            .map(|e| {
                let text = |key: &str| e[key].as_str().unwrap_or_default().to_string();
                (text("kind"), text("actor"), text("subject"), text("detail"))
            })
            .collect();
        let entry = |kind: &str, actor: &str, title: &str| {
            (kind.into(), actor.into(), todo_id.to_string(), title.into())
        };
        assert_eq!(
            about_todos,
            [
                entry("todo_reopened", "@bob", "Bring the big drill"),
                entry("todo_completed", "@ana", "Bring the drill"),
            ],
            "{}: {}",
            server.label,
            timeline.text
        );
        for client in [cy.clone(), server.client()] {
            let seen = client.get("/api/v1/groups/repair/timeline").await;
            assert_eq!(seen.status, 200, "{}", seen.text);
            assert!(!seen.text.contains("todo_"), "{}", seen.text);
            assert!(!seen.text.contains("drill") && !seen.text.contains(todo_id));
        }

        // Bad input: named, nothing written. An assignee must be a member (cy only asked).
        let head = server.head().await;
        let refused = bob
            .post(&todos, json!({"title": " ", "due_on": "1 June"}))
            .await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert_eq!(fields(&refused), ["title", "due_on"]);
        for who in ["cy", "nobody"] {
            let refused = bob
                .post(&todos, json!({"title": "Fix", "assignee": who}))
                .await;
            assert_eq!(
                (refused.status, fields(&refused)),
                (422, vec!["assignee".to_string()]),
                "{who}: {}",
                refused.text
            );
        }
        let unknown = bob
            .post(
                "/api/v1/groups/repair/todo-lists/nope/todos",
                json!({"title": "Fix"}),
            )
            .await;
        assert_eq!(unknown.status, 404);
        assert_eq!(
            server.head().await,
            head,
            "{}: nothing written",
            server.label
        );

        // Outsiders read and write nothing.
        for client in [cy.clone(), server.client()] {
            for response in [
                client.get("/api/v1/groups/repair/todo-lists").await,
                client.post(&todos, json!({"title": "Mine"})).await,
                client.put(&todo_path, json!({"title": "Mine"})).await,
                client
                    .post("/api/v1/groups/repair/todo-lists", json!({"title": "Mine"}))
                    .await,
            ] {
                assert!(matches!(response.status, 401 | 403), "{}", response.text);
                assert!(!response.text.contains("drill"));
            }
        }
        assert_eq!(
            kind(&cy.get("/api/v1/groups/repair/todo-lists").await),
            "/problems/member-needed"
        );
        let removed = ana
            .post("/api/v1/groups/repair/members/bob/remove", json!({}))
            .await;
        assert_eq!(removed.status, 204);
        assert_eq!(
            bob.get("/api/v1/groups/repair/todo-lists").await.status,
            403
        );
        let seen = ana.get("/api/v1/groups/repair/todo-lists").await;
        assert_eq!(seen.json.as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test]
async fn members_delete_a_todo_and_a_whole_list() {
    for (_db, server) in servers("group_todo_deletes").await {
        let (ana, bob, cy, _) = cast(&server).await;
        bob.post("/api/v1/groups/repair/members", json!({})).await;
        ana.post("/api/v1/groups/repair/members/bob/approve", json!({}))
            .await;
        cy.post("/api/v1/groups/repair/members", json!({})).await;
        let mut lists = Vec::new();
        for title in ["Saturday", "Sunday"] {
            let made = ana
                .post("/api/v1/groups/repair/todo-lists", json!({"title": title}))
                .await;
            lists.push(made.json["id"].as_str().unwrap_or_default().to_string());
        }
        let todos = format!("/api/v1/groups/repair/todo-lists/{}/todos", lists[0]);
        for title in ["Bring the drill", "Bring the glue"] {
            let added = ana.post(&todos, json!({"title": title})).await;
            assert_eq!(added.status, 201, "{}", added.text);
        }
        let sunday = format!("/api/v1/groups/repair/todo-lists/{}/todos", lists[1]);
        ana.post(&sunday, json!({"title": "Sweep"})).await;
        let seen = ana.get("/api/v1/groups/repair/todo-lists").await;
        let drill = seen.json[0]["todos"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let drill_path = format!("/api/v1/groups/repair/todos/{drill}");
        let list_path = format!("/api/v1/groups/repair/todo-lists/{}", lists[1]);

        // Outsiders (one who only asked, and strangers) delete nothing.
        let head = server.head().await;
        for client in [cy.clone(), server.client()] {
            for response in [
                client.delete(&drill_path).await,
                client.delete(&list_path).await,
            ] {
                assert!(matches!(response.status, 401 | 403), "{}", response.text);
            }
        }
        assert_eq!(
            kind(&cy.delete(&drill_path).await),
            "/problems/member-needed"
        );
        for path in [
            "/api/v1/groups/repair/todos/nope",
            "/api/v1/groups/repair/todo-lists/nope",
        ] {
            assert_eq!(bob.delete(path).await.status, 404, "{path}");
        }
        assert_eq!(
            server.head().await,
            head,
            "{}: nothing written",
            server.label
        );

        let deleted = bob.delete(&drill_path).await;
        assert_eq!(deleted.status, 204, "{}", deleted.text);
        assert_eq!(bob.delete(&drill_path).await.status, 404, "once only");
        let deleted = bob.delete(&list_path).await;
        assert_eq!(deleted.status, 204, "{}", deleted.text);
        let seen = ana.get("/api/v1/groups/repair/todo-lists").await;
        let left: Vec<(String, Vec<String>)> = seen
            .json
            .as_array()
            .map(|lists| {
                lists
                    .iter()
                    .map(|l| {
                        let titles = l["todos"]
                            .as_array()
                            .map(|t| {
                                t.iter()
                                    .map(|t| t["title"].as_str().unwrap_or_default().to_string())
                                    .collect()
                            })
                            .unwrap_or_default();
                        (l["title"].as_str().unwrap_or_default().to_string(), titles)
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            left,
            [("Saturday".to_string(), vec!["Bring the glue".to_string()])]
        );
        // A todo on a deleted list is gone with it.
        let on_deleted = bob
            .post(
                &format!("/api/v1/groups/repair/todo-lists/{}/todos", lists[1]),
                json!({"title": "Sweep again"}),
            )
            .await;
        assert_eq!(on_deleted.status, 404);
    }
}
