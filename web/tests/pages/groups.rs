//! An event a group organises: its page names the group, in the visitor's language, and hides
//! the member who organised it when the group asks; members-only events stay hidden from others.

use crate::sites;
use crate::support::Browser;
use serde_json::{json, Value};

/// Calls the JSON API of the same site with a bearer token.
pub(crate) async fn api(
    base: &str,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Value,
) -> Value {
    let (url, token, method) = (
        format!("{base}{path}"),
        token.map(str::to_string),
        method.to_string(),
    );
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut request = ureq::http::Request::builder()
            .method(method.as_str())
            .uri(&url)
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let mut response = agent
            .run(request.body(body.to_string()).expect("request"))
            .expect("the server answers");
        let text = response.body_mut().read_to_string().unwrap_or_default();
        serde_json::from_str(&text).unwrap_or(Value::Null)
    })
    .await
    .expect("client")
}

pub(crate) async fn token(base: &str, email: &str) -> String {
    let session = api(
        base,
        None,
        "POST",
        "/api/v1/sessions",
        json!({"email": email, "password": "correct horse battery"}),
    )
    .await;
    session["token"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_group_event_page_shows_the_group_and_may_hide_its_organiser() {
    for (_db, site) in sites("group_event_page").await {
        let ana_browser = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let zoe = Browser::member(&site, "zoe@example.org", "zoe", "fr").await;
        let ana = token(&site.base, "ana@example.org").await;
        let created = api(
            &site.base,
            Some(&ana),
            "POST",
            "/api/v1/groups",
            json!({"handle": "repair", "display_name": "Repair café"}),
        )
        .await;
        assert_eq!(created["handle"], "repair", "{created}");
        let event = |title: &str, extra: Value| {
            let mut body = json!({
                "title": title, "begins_at": "2030-06-01T14:00:00Z", "time_zone": "Europe/Paris"
            });
            if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
                body.extend(extra.clone());
            }
            body
        };
        let hidden = api(
            &site.base,
            Some(&ana),
            "POST",
            "/api/v1/groups/repair/events",
            event("Repair day", json!({"hide_organiser": true})),
        )
        .await;
        let hidden_id = hidden["id"].as_str().unwrap_or_default().to_string();
        let shown = api(
            &site.base,
            Some(&ana),
            "POST",
            "/api/v1/groups/repair/events",
            event("Open workshop", json!({})),
        )
        .await;
        let shown_id = shown["id"].as_str().unwrap_or_default().to_string();
        let secret = api(
            &site.base,
            Some(&ana),
            "POST",
            "/api/v1/groups/repair/events",
            event("Members' meeting", json!({"members_only": true})),
        )
        .await;
        let secret_id = secret["id"].as_str().unwrap_or_default().to_string();

        let anyone = site.browser("en");
        let page = anyone.get(&format!("/events/{hidden_id}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body
                .contains("Organised by the group Repair café (@repair)"),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains("@ana"),
            "the organiser is hidden: {}",
            page.body
        );
        let page = anyone.get(&format!("/events/{shown_id}")).await;
        assert!(page
            .body
            .contains("Organised by the group Repair café (@repair)"));
        assert!(page.body.contains("Organised by @ana"), "{}", page.body);
        let page = zoe.get(&format!("/events/{shown_id}")).await;
        assert!(
            page.body
                .contains("Organisé par le groupe Repair café (@repair)"),
            "{}",
            page.body
        );

        // Cards name the group too, and the member only when the group shows them.
        let home = anyone.get("/").await;
        assert!(
            home.body
                .contains("Organised by the group Repair café (@repair)"),
            "{}",
            home.body
        );
        assert!(home.body.contains("Repair day") && home.body.contains("Open workshop"));
        assert_eq!(
            home.body.matches("Organised by @ana").count(),
            1,
            "only the workshop names its organiser: {}",
            home.body
        );
        for browser in [&anyone, &zoe] {
            let page = browser.get(&format!("/events/{secret_id}")).await;
            assert_eq!(page.status, 404, "a members-only event is hidden");
            let path = "/@repair";
            let page = browser.get(path).await;
            assert_eq!(page.status, 200, "{}", page.body);
            assert!(page.body.contains("Open workshop"), "{}", page.body);
            for path in [
                "/",
                "/events",
                "/@ana",
                "/@ana/feed.ics",
                "/@ana/feed.atom",
                "/@repair",
            ] {
                let page = browser.get(path).await;
                assert!(
                    !page.body.contains("Members' meeting")
                        && !page.body.contains("Members&#39; meeting"),
                    "{path}: {}",
                    page.body
                );
            }
        }
        let page = zoe.get("/@repair").await;
        assert!(page.body.contains("Membres : 1"), "{}", page.body);
        assert!(page.body.contains("Événements à venir"), "{}", page.body);
        let page = ana_browser.get("/@repair").await;
        assert!(page.body.contains("Members: 1"), "{}", page.body);
        assert!(
            page.body.contains("Members&#39; meeting"),
            "members see members-only events: {}",
            page.body
        );
        let page = anyone.get("/@nobody").await;
        assert_eq!(page.status, 404, "neither a profile nor a group");
    }
}

#[tokio::test]
async fn followers_find_the_groups_public_events_among_their_events() {
    for (_db, site) in sites("group_followers_events").await {
        let _ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let zoe = Browser::member(&site, "zoe@example.org", "zoe", "en").await;
        let ana = token(&site.base, "ana@example.org").await;
        let zoe_token = token(&site.base, "zoe@example.org").await;
        api(
            &site.base,
            Some(&ana),
            "POST",
            "/api/v1/groups",
            json!({"handle": "repair", "display_name": "Repair café"}),
        )
        .await;
        for (title, members_only) in [("Open workshop", false), ("Members' meeting", true)] {
            let created = api(
                &site.base,
                Some(&ana),
                "POST",
                "/api/v1/groups/repair/events",
                json!({"title": title, "begins_at": "2030-06-01T14:00:00Z",
                       "time_zone": "Europe/Paris", "members_only": members_only}),
            )
            .await;
            assert!(created["id"].is_string(), "{created}");
        }
        let before = zoe.get("/my/events").await;
        assert!(!before.body.contains("Open workshop"), "not yet a follower");
        let followed = api(
            &site.base,
            Some(&zoe_token),
            "POST",
            "/api/v1/groups/repair/followers",
            json!({}),
        )
        .await;
        assert_eq!(followed["state"], "approved", "{followed}");
        let after = zoe.get("/my/events").await;
        assert!(after.body.contains("From your groups"), "{}", after.body);
        assert!(after.body.contains("Open workshop"), "{}", after.body);
        assert!(after.body.contains("@repair"));
        assert!(
            !after.body.contains("Members' meeting"),
            "followers are not members"
        );
    }
}

#[tokio::test]
async fn the_group_page_offers_the_button_that_says_what_will_happen() {
    for (_db, site) in sites("group_page_buttons").await {
        let ana_browser = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let zoe = Browser::member(&site, "zoe@example.org", "zoe", "fr").await;
        let ana = token(&site.base, "ana@example.org").await;
        for (handle, openness) in [
            ("repair", "moderated"),
            ("choir", "open"),
            ("council", "invite_only"),
        ] {
            let created = api(
                &site.base,
                Some(&ana),
                "POST",
                "/api/v1/groups",
                json!({"handle": handle, "openness": openness}),
            )
            .await;
            assert_eq!(created["handle"], handle, "{created}");
        }
        let page = site.browser("en").get("/@repair").await;
        assert!(page.body.contains("Ask to join"), "{}", page.body);
        let page = ana_browser.get("/@repair").await;
        assert!(page.body.contains(">Leave<"), "{}", page.body);
        let page = zoe.get("/@council").await;
        assert!(
            !page.body.contains("/@council/join"),
            "invite-only: {}",
            page.body
        );
        let page = zoe.get("/@choir").await;
        assert!(page.body.contains(">Rejoindre<"), "{}", page.body);

        // A forged form writes nothing.
        let refused = zoe.post("/@choir/join", "forged", &[]).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        let page = zoe.get("/@choir").await;
        assert!(page.body.contains("Membres : 1"), "{}", page.body);

        let joined = zoe.post("/@choir/join", &page.csrf(), &[]).await;
        assert!(joined.status < 400, "{}", joined.body);
        let page = zoe.get("/@choir").await;
        assert!(page.body.contains("Membres : 2"), "{}", page.body);
        assert!(page.body.contains(">Quitter<"), "{}", page.body);

        let page = zoe.get("/@repair").await;
        let asked = zoe.post("/@repair/join", &page.csrf(), &[]).await;
        assert!(asked.status < 400, "{}", asked.body);
        let page = zoe.get("/@repair").await;
        assert!(page.body.contains("Membres : 1"), "{}", page.body);
        assert!(page.body.contains("Retirer la demande"), "{}", page.body);
        let withdrawn = zoe.post("/@repair/leave", &page.csrf(), &[]).await;
        assert!(withdrawn.status < 400, "{}", withdrawn.body);
        let page = zoe.get("/@repair").await;
        assert!(page.body.contains("Demander à rejoindre"), "{}", page.body);

        assert!(page.body.contains(">Suivre<"), "{}", page.body);
        let followed = zoe.post("/@repair/follow", &page.csrf(), &[]).await;
        assert!(followed.status < 400, "{}", followed.body);
        let page = zoe.get("/@repair").await;
        assert!(page.body.contains(">Ne plus suivre<"), "{}", page.body);
        let unfollowed = zoe
            .post("/@repair/follow", &page.csrf(), &[("unfollow", "1")])
            .await;
        assert!(unfollowed.status < 400, "{}", unfollowed.body);
        let page = zoe.get("/@repair").await;
        assert!(page.body.contains(">Suivre<"), "{}", page.body);
    }
}

#[tokio::test]
async fn a_group_page_shows_its_next_events_and_links_to_all_of_them() {
    for (_db, site) in sites("group_next_events").await {
        let _ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let ana = token(&site.base, "ana@example.org").await;
        api(
            &site.base,
            Some(&ana),
            "POST",
            "/api/v1/groups",
            json!({"handle": "repair", "display_name": "Repair café"}),
        )
        .await;
        // One event already over, then seven to come, one a day.
        let days = std::iter::once(("Meeting past".to_string(), "2020-06-01".to_string()))
            .chain((1..=7).map(|i| (format!("Meeting {i}"), format!("2031-06-0{i}"))));
        for (title, day) in days {
            let created = api(
                &site.base,
                Some(&ana),
                "POST",
                "/api/v1/groups/repair/events",
                json!({"title": title, "begins_at": format!("{day}T14:00:00Z"),
                       "ends_at": format!("{day}T16:00:00Z"), "time_zone": "Europe/Paris"}),
            )
            .await;
            assert_eq!(created["title"], title.as_str(), "{created}");
        }
        let shown = |body: &str| -> Vec<String> {
            std::iter::once("Meeting past".to_string())
                .chain((1..=7).map(|i| format!("Meeting {i}")))
                .filter(|title| body.contains(&format!(">{title}<")))
                .collect()
        };
        for (language, all) in [
            ("en", "All the group’s events"),
            ("fr", "Tous les événements du groupe"),
        ] {
            let page = site.browser(language).get("/@repair").await;
            assert_eq!(page.status, 200, "{}", page.body);
            assert_eq!(
                shown(&page.body),
                [
                    "Meeting 1",
                    "Meeting 2",
                    "Meeting 3",
                    "Meeting 4",
                    "Meeting 5"
                ],
                "{language}: the next five, none over"
            );
            assert!(
                page.body
                    .contains(&format!("<a href=\"/@repair/events\">{all}</a>")),
                "{language}: {}",
                page.body
            );
        }
        let all = site.browser("en").get("/@repair/events").await;
        assert_eq!(all.status, 200, "{}", all.body);
        assert_eq!(
            shown(&all.body).len(),
            8,
            "every event, the past one too: {}",
            all.body
        );
        assert!(
            all.body.contains("href=\"/@repair/events?page=2\""),
            "{}",
            all.body
        );
        let beyond = site.browser("en").get("/@repair/events?page=2").await;
        assert_eq!(beyond.status, 200, "{}", beyond.body);
        assert!(shown(&beyond.body).is_empty(), "{}", beyond.body);
        assert!(
            beyond.body.contains("href=\"/@repair/events?page=1\""),
            "{}",
            beyond.body
        );
        let nobody = site.browser("en").get("/@nobody/events").await;
        assert_eq!(nobody.status, 404);
    }
}

#[tokio::test]
async fn the_edit_form_changes_who_sees_a_group_event_and_whom_it_shows() {
    for (_db, site) in sites("group_event_options_page").await {
        let ana_browser = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let zoe = Browser::member(&site, "zoe@example.org", "zoe", "fr").await;
        let ana = token(&site.base, "ana@example.org").await;
        api(
            &site.base,
            Some(&ana),
            "POST",
            "/api/v1/groups",
            json!({"handle": "repair", "display_name": "Repair café"}),
        )
        .await;
        let created = api(
            &site.base,
            Some(&ana),
            "POST",
            "/api/v1/groups/repair/events",
            json!({"title": "Open workshop", "begins_at": "2030-06-01T14:00:00Z",
                   "time_zone": "Europe/Paris"}),
        )
        .await;
        let id = created["id"].as_str().unwrap_or_default().to_string();
        let edit_path = format!("/events/{id}/edit");
        let unchecked = |name: &str| format!("id=\"{name}\" name=\"{name}\">");
        let checked = |name: &str| format!("id=\"{name}\" name=\"{name}\" checked>");

        let edit = ana_browser.get(&edit_path).await;
        assert_eq!(edit.status, 200, "{}", edit.body);
        assert!(
            edit.body.contains("<legend>For the group</legend>"),
            "{}",
            edit.body
        );
        for name in ["members_only", "hide_organiser"] {
            assert!(
                edit.body.contains(&unchecked(name)),
                "{name}: {}",
                edit.body
            );
        }

        // Bad input elsewhere in the form: the boxes stay as sent, nothing is written.
        let head = site.head().await;
        let mut fields = crate::support::event_form(&[("title", "ab")]);
        fields.extend([("members_only", "on"), ("hide_organiser", "on")]);
        let refused = ana_browser.post(&edit_path, &edit.csrf(), &fields).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        for name in ["members_only", "hide_organiser"] {
            assert!(
                refused.body.contains(&checked(name)),
                "{name}: {}",
                refused.body
            );
        }
        assert_eq!(site.head().await, head, "nothing written");

        // Saved: for members only, with the organiser hidden; strangers no longer see it.
        let mut fields = crate::support::event_form(&[("title", "Members' workshop")]);
        fields.extend([("members_only", "on"), ("hide_organiser", "on")]);
        let saved = ana_browser.post(&edit_path, &edit.csrf(), &fields).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        for browser in [&zoe, &site.browser("en")] {
            let page = browser.get(&format!("/events/{id}")).await;
            assert_eq!(page.status, 404, "{}", page.body);
            assert!(!browser.get("/@repair").await.body.contains("workshop"));
        }
        let edit = ana_browser.get(&edit_path).await;
        for name in ["members_only", "hide_organiser"] {
            assert!(edit.body.contains(&checked(name)), "{name}: {}", edit.body);
        }

        // Both boxes cleared: everyone sees it again, with the member who organised it.
        let fields = crate::support::event_form(&[("title", "Open workshop")]);
        let saved = ana_browser.post(&edit_path, &edit.csrf(), &fields).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        let page = site.browser("en").get(&format!("/events/{id}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("Organised by @ana"), "{}", page.body);
    }
}
