//! A group's todo lists in the pages: members make a list, add a todo assigned to a member and
//! mark it done; bad input is shown again with the field named and the values kept, nothing
//! written; nobody outside the group sees a list.

use crate::groups::{api, token};
use crate::sites;
use crate::support::Browser;
use serde_json::json;

#[tokio::test]
async fn members_keep_todo_lists_through_the_page() {
    for (_db, site) in sites("group_todo_pages").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let bob = Browser::member(&site, "bob@example.org", "bob", "fr").await;
        let cy = Browser::member(&site, "cy@example.org", "cy", "en").await;
        let ana_token = token(&site.base, "ana@example.org").await;
        let bob_token = token(&site.base, "bob@example.org").await;
        api(
            &site.base,
            Some(&ana_token),
            "POST",
            "/api/v1/groups",
            json!({"handle": "repair", "display_name": "Repair café", "openness": "open"}),
        )
        .await;
        api(
            &site.base,
            Some(&bob_token),
            "POST",
            "/api/v1/groups/repair/members",
            json!({}),
        )
        .await;
        assert_eq!(cy.get("/@repair/todos").await.status, 403);
        assert!(bob
            .get("/@repair")
            .await
            .body
            .contains("href=\"/@repair/todos\""));

        let page = bob.get("/@repair/todos").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("Créer une liste"), "{}", page.body);
        let head = site.head().await;
        let refused = bob
            .post(
                "/@repair/todos",
                &page.csrf(),
                &[("action", "list"), ("title", "\u{7}")],
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.body.contains("Un titre fait de 1 à 200"));
        assert_eq!(site.head().await, head, "nothing written");
        let made = bob
            .post(
                "/@repair/todos",
                &page.csrf(),
                &[("action", "list"), ("title", "Saturday")],
            )
            .await;
        assert_eq!(made.status, 303, "{}", made.body);
        let page = bob.get("/@repair/todos").await;
        assert!(page.body.contains("Saturday"));
        assert!(page.body.contains("<option value=\"ana\">@ana</option>"));
        let marker = "name=\"list\" value=\"";
        let list: String = page
            .body
            .split(marker)
            .nth(1)
            .unwrap_or_default()
            .chars()
            .take_while(|c| *c != '"')
            .collect();

        let head = site.head().await;
        for (fields, message) in [
            (
                vec![("title", "Bring the drill"), ("due_on", "soon")],
                "Une échéance est un jour",
            ),
            (
                vec![("title", "Bring the drill"), ("assignee", "cy")],
                "Choisissez un membre du groupe",
            ),
        ] {
            let mut all = vec![("action", "add"), ("list", list.as_str())];
            all.extend(fields);
            let refused = bob.post("/@repair/todos", &page.csrf(), &all).await;
            assert_eq!(refused.status, 422, "{}", refused.body);
            assert!(refused.body.contains(message), "{}", refused.body);
            assert!(refused.body.contains("value=\"Bring the drill\""), "kept");
        }
        assert_eq!(site.head().await, head, "nothing written");

        let added = bob
            .post(
                "/@repair/todos",
                &page.csrf(),
                &[
                    ("action", "add"),
                    ("list", &list),
                    ("title", "Bring the drill"),
                    ("due_on", "2030-06-01"),
                    ("assignee", "ana"),
                ],
            )
            .await;
        assert_eq!(added.status, 303, "{}", added.body);
        let page = ana.get("/@repair/todos").await;
        assert!(page.body.contains("Bring the drill") && page.body.contains("@ana"));
        assert!(page.body.contains("Mark done"), "{}", page.body);
        let marker = "name=\"todo\" value=\"";
        let todo: String = page
            .body
            .split(marker)
            .nth(1)
            .unwrap_or_default()
            .chars()
            .take_while(|c| *c != '"')
            .collect();
        let toggled = ana
            .post(
                "/@repair/todos",
                &page.csrf(),
                &[
                    ("action", "toggle"),
                    ("todo", &todo),
                    ("title", "Bring the drill"),
                    ("due_on", "2030-06-01"),
                    ("assignee", "@ana"),
                    ("done", "on"),
                ],
            )
            .await;
        assert_eq!(toggled.status, 303, "{}", toggled.body);
        let page = ana.get("/@repair/todos").await;
        assert!(page.body.contains("Mark not done"), "{}", page.body);
        let hidden = cy.get("/@repair/todos").await;
        assert!(!hidden.body.contains("drill"));

        // The members' timeline tells who marked which todo done, and undone, in their
        // language, with a link to the lists; nobody else's does.
        let bobs = bob.get("/@repair/todos").await;
        let reopened = bob
            .post(
                "/@repair/todos",
                &bobs.csrf(),
                &[
                    ("action", "toggle"),
                    ("todo", &todo),
                    ("title", "Bring the drill"),
                ],
            )
            .await;
        assert_eq!(reopened.status, 303, "{}", reopened.body);
        let link = "<a href=\"/@repair/todos\" dir=\"auto\">Bring the drill</a>";
        let timeline = ana.get("/@repair/timeline").await.body;
        assert!(
            timeline.contains(&format!("@ana marked a todo done: {link}")),
            "{timeline}"
        );
        assert!(timeline.contains(&format!("@bob marked a todo not done: {link}")));
        let timeline = bob.get("/@repair/timeline").await.body;
        assert!(
            timeline.contains(&format!("@ana a marqué une tâche comme faite : {link}")),
            "{timeline}"
        );
        assert!(timeline.contains("@bob a marqué une tâche comme à faire :"));
        for visitor in [&cy, &site.browser("en")] {
            let timeline = visitor.get("/@repair/timeline").await;
            assert_eq!(timeline.status, 200);
            assert!(!timeline.body.contains("drill") && !timeline.body.contains("a todo"));
        }
    }
}

/// The value of the first hidden field `name` after `after` in `body`.
fn hidden_after(body: &str, after: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    body.split_once(after)
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.split(marker.as_str()).nth(1))
        .unwrap_or_default()
        .chars()
        .take_while(|c| *c != '"')
        .collect()
}

#[tokio::test]
async fn members_delete_a_todo_and_a_list_through_the_page() {
    for (_db, site) in sites("group_todo_page_deletes").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "fr").await;
        let ana_token = token(&site.base, "ana@example.org").await;
        api(
            &site.base,
            Some(&ana_token),
            "POST",
            "/api/v1/groups",
            json!({"handle": "repair", "display_name": "Repair café"}),
        )
        .await;
        let list = api(
            &site.base,
            Some(&ana_token),
            "POST",
            "/api/v1/groups/repair/todo-lists",
            json!({"title": "Saturday"}),
        )
        .await;
        let list = list["id"].as_str().unwrap_or_default().to_string();
        for title in ["Bring the drill", "Bring the glue"] {
            api(
                &site.base,
                Some(&ana_token),
                "POST",
                &format!("/api/v1/groups/repair/todo-lists/{list}/todos"),
                json!({"title": title}),
            )
            .await;
        }
        let page = ana.get("/@repair/todos").await;
        assert!(
            page.body
                .contains("aria-label=\"Supprimer : Bring the drill\"")
                || page.body.contains("Supprimer: Bring the drill"),
            "{}",
            page.body
        );
        assert!(page.body.contains("Supprimer cette liste et ses tâches"));
        let drill = hidden_after(&page.body, "Bring the drill", "todo");
        let gone = ana
            .post(
                "/@repair/todos",
                &page.csrf(),
                &[("action", "delete"), ("todo", drill.as_str())],
            )
            .await;
        assert_eq!(gone.status, 303, "{}", gone.body);
        let page = ana.get("/@repair/todos").await;
        assert!(!page.body.contains("Bring the drill") && page.body.contains("Bring the glue"));
        let missing = ana
            .post(
                "/@repair/todos",
                &page.csrf(),
                &[("action", "delete"), ("todo", drill.as_str())],
            )
            .await;
        assert_eq!(missing.status, 404, "a todo is deleted once");
        let gone = ana
            .post(
                "/@repair/todos",
                &page.csrf(),
                &[("action", "delete_list"), ("list", list.as_str())],
            )
            .await;
        assert_eq!(gone.status, 303, "{}", gone.body);
        let page = ana.get("/@repair/todos").await;
        assert!(!page.body.contains("Saturday") && !page.body.contains("Bring the glue"));
    }
}
