//! A group's resources in the pages: members add folders and links, open a folder with the way
//! down to it, rename, move and delete; bad input is shown again with the field named and the
//! values kept, nothing written; nobody outside the group sees a resource.

use crate::groups::{api, token};
use crate::sites;
use crate::support::Browser;
use serde_json::json;

/// The value of the first `name="{name}" value="…"` after `after` in `body`.
fn value_after(body: &str, after: &str, name: &str) -> String {
    let rest = body
        .split_once(after)
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let marker = format!("name=\"{name}\" value=\"");
    rest.split(&marker)
        .nth(1)
        .unwrap_or_default()
        .chars()
        .take_while(|c| *c != '"')
        .collect()
}

#[tokio::test]
async fn members_keep_folders_and_links_through_the_page() {
    for (_db, site) in sites("group_resource_pages").await {
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
        assert_eq!(cy.get("/@repair/resources").await.status, 403);
        assert!(bob
            .get("/@repair")
            .await
            .body
            .contains("href=\"/@repair/resources\""));

        let page = bob.get("/@repair/resources").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("Ajouter un dossier"), "{}", page.body);

        // Bad input: named, values kept, nothing written.
        let head = site.head().await;
        let refused = bob
            .post(
                "/@repair/resources",
                &page.csrf(),
                &[("action", "folder"), ("title", "\u{7}")],
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.body.contains("Un titre fait de 1 à 200"));
        let refused = bob
            .post(
                "/@repair/resources",
                &page.csrf(),
                &[
                    ("action", "link"),
                    ("kind", "pad"),
                    ("title", "Minutes"),
                    ("url", "ftp://pad.example.org/p/x"),
                ],
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused.body.contains("Un lien est une adresse"),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("value=\"Minutes\""), "kept");
        assert!(refused.body.contains("value=\"ftp://pad.example.org/p/x\""));
        assert!(refused.body.contains("<option value=\"pad\" selected>"));
        assert_eq!(site.head().await, head, "nothing written");

        let made = bob
            .post(
                "/@repair/resources",
                &page.csrf(),
                &[("action", "folder"), ("title", "Meetings")],
            )
            .await;
        assert_eq!(made.status, 303, "{}", made.body);
        let page = bob.get("/@repair/resources").await;
        let meetings = value_after(&page.body, "Meetings", "resource");
        assert!(!meetings.is_empty(), "{}", page.body);
        let inside = format!("/@repair/resources/{meetings}");
        let page = bob.get(&inside).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let made = bob
            .post(
                &inside,
                &page.csrf(),
                &[("action", "folder"), ("title", "2030")],
            )
            .await;
        assert_eq!(made.status, 303, "{}", made.body);
        assert_eq!(made.location.as_deref(), Some(inside.as_str()));
        let added = bob
            .post(
                &inside,
                &page.csrf(),
                &[
                    ("action", "link"),
                    ("kind", "visio"),
                    ("title", "Weekly call"),
                    ("url", "https://meet.example.org/repair"),
                ],
            )
            .await;
        assert_eq!(added.status, 303, "{}", added.body);

        let page = ana.get(&inside).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page
            .body
            .contains("href=\"https://meet.example.org/repair\""));
        assert!(page.body.contains("video call"), "{}", page.body);
        assert!(page
            .body
            .contains("aria-current=\"page\" dir=\"auto\">Meetings"));
        let year = value_after(&page.body, ">2030<", "resource");
        let call = value_after(&page.body, ">Weekly call<", "resource");

        // A folder is never moved into itself or one of its own folders: said on the page.
        let head = site.head().await;
        for parent in [meetings.as_str(), year.as_str()] {
            let refused = ana
                .post(
                    "/@repair/resources",
                    &page.csrf(),
                    &[
                        ("action", "move"),
                        ("resource", &meetings),
                        ("parent", parent),
                    ],
                )
                .await;
            assert_eq!(refused.status, 422, "{}", refused.body);
            assert!(
                refused
                    .body
                    .contains("other than this one and those inside it"),
                "{}",
                refused.body
            );
        }
        let refused = ana
            .post(
                &inside,
                &page.csrf(),
                &[
                    ("action", "edit"),
                    ("resource", &call),
                    ("title", "Weekly call"),
                    ("url", "meet.example.org"),
                    ("kind", "visio"),
                ],
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.body.contains("value=\"meet.example.org\""), "kept");
        assert_eq!(site.head().await, head, "nothing written");

        let moved = ana
            .post(
                &inside,
                &page.csrf(),
                &[("action", "move"), ("resource", &call), ("parent", "")],
            )
            .await;
        assert_eq!(moved.status, 303, "{}", moved.body);
        let renamed = ana
            .post(
                "/@repair/resources",
                &page.csrf(),
                &[
                    ("action", "edit"),
                    ("resource", &call),
                    ("title", "Monday call"),
                    ("url", "https://meet.example.org/repair"),
                    ("kind", "visio"),
                    ("summary", "Mondays at 8"),
                ],
            )
            .await;
        assert_eq!(renamed.status, 303, "{}", renamed.body);
        let top = ana.get("/@repair/resources").await;
        assert!(top.body.contains("Monday call") && top.body.contains("Mondays at 8"));
        // The folder's own move list offers neither itself nor its own folders.
        let move_list = top
            .body
            .split(&format!("id=\"parent-{meetings}\""))
            .nth(1)
            .unwrap_or_default()
            .split("</select>")
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(!move_list.contains(&year) && !move_list.contains(&meetings));

        let deleted = ana
            .post(
                &inside,
                &page.csrf(),
                &[("action", "delete"), ("resource", &meetings)],
            )
            .await;
        assert_eq!(deleted.status, 303, "{}", deleted.body);
        assert_eq!(deleted.location.as_deref(), Some("/@repair/resources"));
        assert_eq!(ana.get(&inside).await.status, 404);
        let top = ana.get("/@repair/resources").await;
        assert!(!top.body.contains("Meetings") && top.body.contains("Monday call"));
        let hidden = cy.get("/@repair/resources").await;
        assert!(!hidden.body.contains("Monday call"));
    }
}

#[tokio::test]
async fn create_a_pad_makes_a_new_link_on_the_instances_service() {
    for (_db, site) in sites("group_resource_services").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let ana_token = token(&site.base, "ana@example.org").await;
        api(
            &site.base,
            Some(&ana_token),
            "POST",
            "/api/v1/groups",
            json!({"handle": "repair"}),
        )
        .await;
        let page = ana.get("/@repair/resources").await;
        // The test instance proposes a pad and a video call service, and no spreadsheets.
        assert!(
            page.body.contains(">Create a pad</button>")
                && page.body.contains(">Create a video call</button>")
                && !page.body.contains("Create a spreadsheet"),
            "{}",
            page.body
        );
        let head = site.head().await;
        let refused = ana
            .post(
                "/@repair/resources",
                &page.csrf(),
                &[("action", "service"), ("kind", "pad"), ("title", "\u{7}")],
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused.body.contains("A title is 1 to 200"),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains(
                "id=\"service-pad\" name=\"title\" value=\"\u{7}\" aria-invalid=\"true\""
            ) || refused
                .body
                .contains("id=\"service-pad\" name=\"title\" value=\"&#7;\"")
                || refused
                    .body
                    .contains("aria-describedby=\"service-pad-error\""),
            "the pad's title is named: {}",
            refused.body
        );
        assert_eq!(site.head().await, head, "nothing written");
        for title in ["Minutes", "Agenda"] {
            let made = ana
                .post(
                    "/@repair/resources",
                    &page.csrf(),
                    &[("action", "service"), ("kind", "pad"), ("title", title)],
                )
                .await;
            assert_eq!(made.status, 303, "{}", made.body);
        }
        let page = ana.get("/@repair/resources").await;
        let mut names = Vec::new();
        for title in ["Minutes", "Agenda"] {
            let link = page
                .body
                .split_once(&format!("dir=\"auto\">{title}</a>"))
                .map(|(before, _)| before)
                .and_then(|before| before.rsplit_once("href=\""))
                .map(|(_, url)| url.chars().take_while(|c| *c != '"').collect::<String>())
                .unwrap_or_default();
            let name = link
                .strip_prefix("https://pad.example.org/p/")
                .unwrap_or_default()
                .to_string();
            assert!(
                name.len() == 32 && name.chars().all(|c| c.is_ascii_hexdigit()),
                "{title}: {link}"
            );
            names.push(name);
        }
        assert_ne!(names[0], names[1], "each pad its own name");
    }
}

#[tokio::test]
async fn a_link_s_preview_is_shown_to_members_once_the_instance_has_fetched_it() {
    for (_db, site) in sites("group_resource_previews").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "fr").await;
        let cy = Browser::member(&site, "cy@example.org", "cy", "en").await;
        let ana_token = token(&site.base, "ana@example.org").await;
        api(
            &site.base,
            Some(&ana_token),
            "POST",
            "/api/v1/groups",
            json!({"handle": "repair", "display_name": "Repair café", "openness": "open"}),
        )
        .await;
        let link = api(
            &site.base,
            Some(&ana_token),
            "POST",
            "/api/v1/groups/repair/resources",
            json!({"kind": "link", "title": "Minutes", "url": "https://pad.example.org/p/m"}),
        )
        .await;
        assert!(link["preview"].is_null(), "stored as typed: {link}");
        let before = ana.get("/@repair/resources").await.body;
        assert!(!before.contains("link-preview"), "{before}");

        let wanted = convene_api::group_resources::previews_wanted(&site.state, 10, i64::MAX)
            .await
            .expect("the read model");
        assert_eq!(wanted.len(), 1);
        let preview = convene_domain::group::LinkPreview {
            title: Some("Minutes of the <week>".into()),
            description: Some("What we said".into()),
            image: Some("https://pad.example.org/card.png".into()),
        };
        convene_api::group_resources::record_preview(&site.state, &wanted[0], preview)
            .await
            .expect("recorded");
        let after = ana.get("/@repair/resources").await.body;
        assert!(
            after.contains("Ce que la page liée dit d’elle-même"),
            "{after}"
        );
        assert!(after.contains("Minutes of the &lt;week&gt;"), "{after}");
        assert!(after.contains("What we said"));
        assert!(
            !after.contains("card.png"),
            "the image is never loaded by the page"
        );
        let outside = cy.get("/@repair/resources").await;
        assert_eq!(outside.status, 403);
        assert!(!outside.body.contains("What we said"));
    }
}
