//! No response tells that two profiles share an account: not their account id, not its email,
//! not a field that groups them. Only the account itself (`/me`) sees its profiles together.

use crate::servers;
use crate::support::{create_event, member, profile};
use serde_json::json;

#[tokio::test]
async fn no_endpoint_reveals_that_two_profiles_share_an_account() {
    for (_db, server) in servers("unlinkability").await {
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        profile(&ana, "ana_union").await;
        let account_id = ana.get("/api/v1/me").await.json["account"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(!account_id.is_empty());

        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let event = create_event(&org, json!({"capacity": 10})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        let own = create_event(&ana.as_profile("ana"), json!({"title": "Ana's picnic"})).await;
        let own_id = own["id"].as_str().unwrap_or_default().to_string();
        for who in ["ana", "ana_union"] {
            let joined = ana
                .as_profile(who)
                .post(&format!("/api/v1/events/{id}/participations"), json!({}))
                .await;
            assert_eq!(joined.status, 201, "{}", joined.text);
            ana.as_profile(who)
                .post(
                    &format!("/api/v1/events/{id}/comments"),
                    json!({"body": format!("{who} says hi")}),
                )
                .await;
        }
        ana.as_profile("ana_union")
            .post(
                &format!("/api/v1/events/{own_id}/participations"),
                json!({}),
            )
            .await;

        // Both of ana's profiles belong to org's group and follow it.
        let group = org
            .post(
                "/api/v1/groups",
                json!({"handle": "collective", "display_name": "Collective"}),
            )
            .await;
        assert_eq!(group.status, 201, "{}", group.text);
        for who in ["ana", "ana_union"] {
            let asked = ana
                .as_profile(who)
                .post(
                    "/api/v1/groups/collective/members",
                    json!({"message": "hello"}),
                )
                .await;
            assert_eq!(asked.status, 201, "{}", asked.text);
            org.post(
                &format!("/api/v1/groups/collective/members/{who}/approve"),
                json!({}),
            )
            .await;
            ana.as_profile(who)
                .post("/api/v1/groups/collective/followers", json!({}))
                .await;
        }

        // Ana writes a post as one profile and discusses as the other.
        let promoted = org
            .put(
                "/api/v1/groups/collective/members/ana/role",
                json!({"role": "moderator"}),
            )
            .await;
        assert_eq!(promoted.status, 200, "{}", promoted.text);
        let post = ana
            .as_profile("ana")
            .post(
                "/api/v1/groups/collective/posts",
                json!({"title": "News", "body": "<p>Hello</p>"}),
            )
            .await;
        assert_eq!(post.status, 201, "{}", post.text);
        let post_id = post.json["id"].as_str().unwrap_or_default().to_string();
        let discussion = ana
            .as_profile("ana_union")
            .post(
                "/api/v1/groups/collective/discussions",
                json!({"title": "Plans", "body": "Ideas?"}),
            )
            .await;
        assert_eq!(discussion.status, 201, "{}", discussion.text);
        let discussion_id = discussion.json["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        ana.as_profile("ana")
            .post(
                &format!("/api/v1/groups/collective/discussions/{discussion_id}/comments"),
                json!({"body": "Agreed"}),
            )
            .await;

        let list = ana
            .as_profile("ana_union")
            .post(
                "/api/v1/groups/collective/todo-lists",
                json!({"title": "Saturday"}),
            )
            .await;
        let list_id = list.json["id"].as_str().unwrap_or_default();
        let added = ana
            .as_profile("ana")
            .post(
                &format!("/api/v1/groups/collective/todo-lists/{list_id}/todos"),
                json!({"title": "Chairs", "assignee": "ana_union"}),
            )
            .await;
        assert_eq!(added.status, 201, "{}", added.text);

        let folder = ana
            .as_profile("ana_union")
            .post(
                "/api/v1/groups/collective/resources",
                json!({"kind": "folder", "title": "Flyers"}),
            )
            .await;
        let folder_id = folder.json["id"].as_str().unwrap_or_default();
        let link = ana
            .as_profile("ana")
            .post(
                "/api/v1/groups/collective/resources",
                json!({"kind": "pad", "title": "Minutes", "parent": folder_id,
                       "url": "https://pad.example.org/p/minutes"}),
            )
            .await;
        assert_eq!(link.status, 201, "{}", link.text);

        // Ana, a moderator, organises a group event and changes whom it shows.
        let group_event = ana
            .as_profile("ana")
            .post(
                "/api/v1/groups/collective/events",
                crate::support::event_body(json!({"title": "Group picnic"})),
            )
            .await;
        assert_eq!(group_event.status, 201, "{}", group_event.text);
        let group_event_id = group_event.json["id"].as_str().unwrap_or_default();
        let options_path = format!("/api/v1/groups/collective/events/{group_event_id}/options");
        let options = ana
            .as_profile("ana")
            .put(
                &options_path,
                json!({"members_only": false, "hide_organiser": true}),
            )
            .await;
        assert_eq!(options.status, 200, "{}", options.text);

        let anyone = server.client();
        let stranger = member(&server, "stranger@example.org").await;
        profile(&stranger, "stranger").await;
        let mut seen = Vec::new();
        for client in [&anyone, &stranger, &org] {
            for path in [
                "/api/v1/profiles/ana".to_string(),
                "/api/v1/profiles/ana_union".to_string(),
                "/api/v1/events".to_string(),
                format!("/api/v1/events/{id}"),
                format!("/api/v1/events/{own_id}"),
                format!("/api/v1/events/{id}/comments"),
                format!("/api/v1/events/{id}/participations"),
                format!("/api/v1/events/{id}/participations?format=csv"),
                format!("/api/v1/events/{id}/history"),
                "/api/v1/events?organizer=ana".to_string(),
                "/api/v1/groups".to_string(),
                "/api/v1/groups/collective".to_string(),
                "/api/v1/groups/collective/members".to_string(),
                "/api/v1/groups/collective/followers".to_string(),
                "/api/v1/groups/collective/timeline".to_string(),
                "/api/v1/groups/collective/events".to_string(),
                "/api/v1/groups/collective/posts".to_string(),
                format!("/api/v1/groups/collective/posts/{post_id}"),
                "/api/v1/groups/collective/discussions".to_string(),
                format!("/api/v1/groups/collective/discussions/{discussion_id}"),
                "/api/v1/groups/collective/todo-lists".to_string(),
                "/api/v1/groups/collective/resources".to_string(),
                format!("/api/v1/groups/collective/resources/{folder_id}"),
            ] {
                let response = client.get(&path).await;
                seen.push((path, response));
            }
        }
        // Ana's own event, seen by ana_union's organiser view of it: still no account.
        let own_people = ana
            .as_profile("ana")
            .get(&format!("/api/v1/events/{own_id}/participations"))
            .await;
        let own_history = ana
            .as_profile("ana")
            .get(&format!("/api/v1/events/{own_id}/history"))
            .await;
        // Seen by a fellow member, and each profile's own groups.
        for (path, client) in [
            (
                "/api/v1/groups/collective/members",
                ana.as_profile("ana_union"),
            ),
            ("/api/v1/me/groups", ana.as_profile("ana")),
            ("/api/v1/me/groups", ana.as_profile("ana_union")),
            (
                "/api/v1/groups/collective/posts",
                ana.as_profile("ana_union"),
            ),
            (
                "/api/v1/groups/collective/discussions",
                ana.as_profile("ana"),
            ),
        ] {
            seen.push((format!("{path} as a member"), client.get(path).await));
        }
        // A comment edited by its author answers the thread: each comment names its profile only.
        let thread = format!("/api/v1/groups/collective/discussions/{discussion_id}");
        let first = discussion.json["comments"][0]["id"]
            .as_str()
            .unwrap_or_default();
        let edited = ana
            .as_profile("ana_union")
            .put(
                &format!("{thread}/comments/{first}"),
                json!({"body": "Ideas, anyone?"}),
            )
            .await;
        assert_eq!(edited.status, 200, "{}", edited.text);
        seen.push((format!("{thread} edited by its author"), edited));
        let folder_path = format!("/api/v1/groups/collective/resources/{folder_id}");
        let resources = ana.as_profile("ana_union").get(&folder_path).await;
        assert_eq!(resources.status, 200, "{}", resources.text);
        seen.push((format!("{folder_path} as a member"), resources));
        let own_groups = ana.as_profile("ana").get("/api/v1/me/groups").await;
        assert!(
            !own_groups.text.contains("ana_union"),
            "a profile's groups name no other profile: {}",
            own_groups.text
        );
        seen.push((format!("{options_path} by its organiser"), options));
        seen.push(("own participations".into(), own_people));
        seen.push(("own history".into(), own_history));

        let mut checked = 0;
        for (path, response) in &seen {
            if response.status != 200 {
                continue;
            }
            checked += 1;
            for secret in [account_id.as_str(), "ana@example.org", "\"account"] {
                assert!(
                    !response.text.contains(secret),
                    "{}: {path} reveals {secret}: {}",
                    server.label,
                    response.text
                );
            }
        }
        assert!(checked >= 36, "most endpoints answered ({checked})");
        for (path, other) in [
            ("/api/v1/profiles/ana", "ana_union"),
            ("/api/v1/profiles/ana_union", "\"ana\""),
        ] {
            let response = anyone.get(path).await;
            assert!(!response.text.contains(other), "{path}: {}", response.text);
        }
        let history = org.get(&format!("/api/v1/events/{id}/history")).await;
        let actors: Vec<&str> = history
            .json
            .as_array()
            .map(|h| h.iter().filter_map(|e| e["actor"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            actors,
            ["@org", "@ana", "@ana", "@ana_union", "@ana_union"],
            "actors are profiles only"
        );
    }
}
