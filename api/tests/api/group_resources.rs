//! A group's resources over real HTTP: members add folders and typed links, rename, move and
//! delete them; a folder never moves into itself or one of its own folders; nobody else reads
//! or writes any, a removed member at once; bad input is named and writes nothing.

use crate::groups::{cast, fields, kind};
use crate::servers;
use serde_json::json;

fn id(response: &crate::support::Response) -> String {
    response.json["id"].as_str().unwrap_or_default().to_string()
}

fn titles(response: &crate::support::Response) -> Vec<String> {
    response.json["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["title"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn members_keep_a_tree_of_folders_and_links() {
    for (_db, server) in servers("group_resources").await {
        let (ana, bob, cy, _) = cast(&server).await;
        bob.post("/api/v1/groups/repair/members", json!({})).await;
        ana.post("/api/v1/groups/repair/members/bob/approve", json!({}))
            .await;
        cy.post("/api/v1/groups/repair/members", json!({})).await;
        let base = "/api/v1/groups/repair/resources";

        let meetings = bob
            .post(base, json!({"kind": "folder", "title": " Meetings "}))
            .await;
        assert_eq!(meetings.status, 201, "{}", meetings.text);
        assert_eq!(meetings.json["title"], "Meetings");
        assert!(meetings.json["url"].is_null());
        let meetings = id(&meetings);
        let year = bob
            .post(
                base,
                json!({"kind": "folder", "title": "2030", "parent": meetings}),
            )
            .await;
        assert_eq!(year.status, 201, "{}", year.text);
        let year = id(&year);
        let pad = ana
            .post(
                base,
                json!({"kind": "pad", "title": "Minutes", "parent": year,
                       "url": "https://pad.example.org/p/minutes", "summary": "Who brings what"}),
            )
            .await;
        assert_eq!(pad.status, 201, "{}", pad.text);
        assert_eq!(pad.json["kind"], "pad");
        assert_eq!(pad.json["url"], "https://pad.example.org/p/minutes");
        assert_eq!(pad.json["author"], "@ana");
        let pad = id(&pad);
        let site = bob
            .post(
                base,
                json!({"kind": "link", "title": "Our site", "url": "http://repair.example/"}),
            )
            .await;
        assert_eq!(site.status, 201, "{}", site.text);

        // The top lists folders first; a folder lists its content with the way down to it.
        let top = bob.get(base).await;
        assert_eq!(top.status, 200, "{}", top.text);
        assert_eq!(titles(&top), ["Meetings", "Our site"]);
        assert_eq!(top.json["path"], json!([]));
        let inside = bob.get(&format!("{base}/{year}")).await;
        assert_eq!(inside.status, 200, "{}", inside.text);
        assert_eq!(titles(&inside), ["Minutes"]);
        assert_eq!(
            inside.json["path"],
            json!([{"id": meetings, "title": "Meetings"}, {"id": year, "title": "2030"}])
        );
        assert_eq!(bob.get(&format!("{base}/{pad}")).await.status, 404);
        assert_eq!(bob.get(&format!("{base}/nope")).await.status, 404);

        // Rename, change a link, move.
        let renamed = bob
            .patch(
                &format!("{base}/{pad}"),
                json!({"title": "Budget", "kind": "calc"}),
            )
            .await;
        assert_eq!(renamed.status, 200, "{}", renamed.text);
        assert_eq!(renamed.json["title"], "Budget");
        assert_eq!(renamed.json["kind"], "calc");
        assert_eq!(renamed.json["summary"], "Who brings what");
        let moved = bob
            .post(&format!("{base}/{pad}/move"), json!({"parent": meetings}))
            .await;
        assert_eq!(moved.status, 200, "{}", moved.text);
        assert_eq!(moved.json["parent"], meetings.as_str());
        let to_top = bob
            .post(&format!("{base}/{year}/move"), json!({"parent": null}))
            .await;
        assert_eq!(to_top.status, 200, "{}", to_top.text);
        assert!(to_top.json["parent"].is_null());
        let moved_back = bob
            .post(&format!("{base}/{year}/move"), json!({"parent": meetings}))
            .await;
        assert_eq!(moved_back.status, 200, "{}", moved_back.text);

        // Bad input: named, nothing written.
        let head = server.head().await;
        let refused = bob
            .post(
                base,
                json!({"kind": "pad", "title": " ", "url": "ftp://files.example.org/x"}),
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert_eq!(fields(&refused), ["title", "url"]);
        for (body, field) in [
            (json!({"kind": "video", "title": "Call"}), "kind"),
            (json!({"kind": "link", "title": "Site"}), "url"),
            (
                json!({"kind": "link", "title": "Site", "url": "javascript:alert(1)"}),
                "url",
            ),
            (
                json!({"kind": "folder", "title": "In", "parent": "nope"}),
                "parent",
            ),
            (
                json!({"kind": "folder", "title": "In", "parent": id(&site)}),
                "parent",
            ),
        ] {
            let refused = bob.post(base, body.clone()).await;
            assert_eq!(
                (refused.status, fields(&refused)),
                (422, vec![field.to_string()]),
                "{body}: {}",
                refused.text
            );
        }
        for parent in [meetings.as_str(), year.as_str()] {
            let refused = bob
                .post(
                    &format!("{base}/{meetings}/move"),
                    json!({ "parent": parent }),
                )
                .await;
            assert_eq!(refused.status, 422, "{}", refused.text);
            assert_eq!(fields(&refused), ["parent"]);
        }
        let refused = bob
            .patch(&format!("{base}/{meetings}"), json!({"kind": "link"}))
            .await;
        assert_eq!(fields(&refused), ["kind"]);
        let refused = bob
            .patch(&format!("{base}/{pad}"), json!({"url": "not a url"}))
            .await;
        assert_eq!(fields(&refused), ["url"]);
        assert_eq!(
            bob.patch(&format!("{base}/nope"), json!({"title": "X"}))
                .await
                .status,
            404
        );
        assert_eq!(bob.delete(&format!("{base}/nope")).await.status, 404);
        assert_eq!(
            server.head().await,
            head,
            "{}: nothing written",
            server.label
        );

        // Outsiders read and write nothing.
        for client in [cy.clone(), server.client()] {
            for response in [
                client.get(base).await,
                client.get(&format!("{base}/{meetings}")).await,
                client
                    .post(base, json!({"kind": "folder", "title": "Mine"}))
                    .await,
                client
                    .patch(&format!("{base}/{pad}"), json!({"title": "Mine"}))
                    .await,
                client.post(&format!("{base}/{pad}/move"), json!({})).await,
                client.delete(&format!("{base}/{meetings}")).await,
            ] {
                assert!(matches!(response.status, 401 | 403), "{}", response.text);
                assert!(!response.text.contains("Budget"));
            }
        }
        assert_eq!(kind(&cy.get(base).await), "/problems/member-needed");

        // A folder deleted takes its content with it.
        let deleted = bob.delete(&format!("{base}/{meetings}")).await;
        assert_eq!(deleted.status, 204, "{}", deleted.text);
        assert_eq!(titles(&bob.get(base).await), ["Our site"]);
        for gone in [&meetings, &year, &pad] {
            assert_eq!(
                bob.patch(&format!("{base}/{gone}"), json!({"title": "Back"}))
                    .await
                    .status,
                404
            );
        }

        // Members see "resource added" on the timeline; the public does not.
        let timeline = ana.get("/api/v1/groups/repair/timeline").await;
        assert!(
            timeline.text.contains("resource_added"),
            "{}",
            timeline.text
        );
        let public = server.client().get("/api/v1/groups/repair/timeline").await;
        assert!(!public.text.contains("resource_added"), "{}", public.text);
        assert!(!public.text.contains("Our site"));

        let removed = ana
            .post("/api/v1/groups/repair/members/bob/remove", json!({}))
            .await;
        assert_eq!(removed.status, 204);
        assert_eq!(bob.get(base).await.status, 403);
    }
}

/// The 32 hexadecimal digits after `base` in `url`, if that is what it is.
fn fresh_name<'a>(url: &'a str, base: &str) -> Option<&'a str> {
    url.strip_prefix(base)
        .filter(|name| name.len() == 32 && name.chars().all(|c| c.is_ascii_hexdigit()))
}

#[tokio::test]
async fn a_pad_or_a_video_call_is_made_on_the_services_the_instance_proposes() {
    use convene_api::group_resources::LinkServices;
    use convene_projections::scratch::test_urls;
    for scratch in test_urls("group_link_services").await {
        let options = crate::support::Options {
            link_services: LinkServices {
                pad: Some("https://pad.example.org/p/".into()),
                calc: None,
                visio: Some("https://meet.example.org/".into()),
            },
            ..Default::default()
        };
        let server = crate::support::TestServer::start_with(&scratch, options).await;
        let (ana, bob, _, _) = cast(&server).await;
        let base = "/api/v1/groups/repair/resources";
        let top = ana.get(base).await;
        assert_eq!(
            top.json["services"],
            json!(["pad", "visio"]),
            "{}",
            top.text
        );

        let mut names = Vec::new();
        for (kind, service) in [
            ("pad", "https://pad.example.org/p/"),
            ("pad", "https://pad.example.org/p/"),
            ("visio", "https://meet.example.org/"),
        ] {
            let made = ana
                .post(base, json!({"kind": kind, "title": "Minutes"}))
                .await;
            assert_eq!(made.status, 201, "{}", made.text);
            let url = made.json["url"].as_str().unwrap_or_default().to_string();
            let name = fresh_name(&url, service).map(str::to_string);
            assert!(name.is_some(), "{kind}: {url}");
            names.extend(name);
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 3, "every pad its own name");
        // An address given is kept, whatever the services.
        let given = ana
            .post(
                base,
                json!({"kind": "pad", "title": "Old", "url": "https://pads.example/p/old"}),
            )
            .await;
        assert_eq!(given.json["url"], "https://pads.example/p/old");

        // No spreadsheet service here, and a plain link has no service: each needs its address.
        let head = server.head().await;
        for kind in ["calc", "link"] {
            let refused = ana
                .post(base, json!({"kind": kind, "title": "Budget"}))
                .await;
            assert_eq!(
                (refused.status, fields(&refused)),
                (422, vec!["url".to_string()]),
                "{kind}: {}",
                refused.text
            );
        }
        let refused = ana.post(base, json!({"kind": "pad", "title": " "})).await;
        assert_eq!(fields(&refused), ["title"]);
        // Outsiders make nothing on the instance's services.
        let refused = bob
            .post(base, json!({"kind": "pad", "title": "Mine"}))
            .await;
        assert_eq!(kind(&refused), "/problems/member-needed");
        assert_eq!(server.head().await, head, "nothing written");
    }
    // An instance that proposes none makes none.
    for (_db, server) in servers("group_no_link_services").await {
        let (ana, _, _, _) = cast(&server).await;
        let base = "/api/v1/groups/repair/resources";
        assert_eq!(ana.get(base).await.json["services"], json!([]));
        let refused = ana
            .post(base, json!({"kind": "pad", "title": "Minutes"}))
            .await;
        assert_eq!(fields(&refused), ["url"], "{}", refused.text);
    }
}
