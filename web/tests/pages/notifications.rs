//! The inbox: an organiser sees a join request on the notifications page and in the header,
//! marks it read; the participant's inbox, in French, shows the approval and the move; nobody
//! else can read or mark another's notifications; the JSON API says the same; the settings
//! section changes a kind's delivery and refuses unknown kinds and values, naming them.

use crate::sites;
use crate::support::{create_event, Browser, Site};
use serde_json::{json, Value};
use std::time::Duration;

/// Waits until the notifications subscriber has seen the whole log.
pub(crate) async fn settled(site: &Site) {
    let head = site.head().await;
    for _ in 0..400 {
        let at = convene_projections::projection::checkpoint(site.db.pool(), "notifications")
            .await
            .expect("checkpoint");
        if at >= head {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the notifications subscriber did not catch up");
}

/// A JSON call with a bearer token; (status, body).
async fn api(
    site: &Site,
    method: &'static str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}{path}", site.base);
    let token = token.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let result = match body {
            Some(body) => agent.run(
                request
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .expect("request"),
            ),
            None => agent.run(request.body(()).expect("request")),
        };
        let mut response = result.expect("the server answers");
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (
            response.status().as_u16(),
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    })
    .await
    .expect("client")
}

async fn token(site: &Site, email: &str) -> String {
    let (status, body) = api(
        site,
        "POST",
        "/api/v1/sessions",
        None,
        Some(json!({"email": email, "password": "correct horse battery"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap_or_default().to_string()
}

/// The id in the first "mark read" form of the inbox page.
fn first_unread_id(body: &str) -> String {
    body.split("action=\"/notifications/")
        .skip(1)
        .filter_map(|rest| rest.split_once("/read\""))
        .map(|(id, _)| id.to_string())
        .find(|id| !id.contains('"'))
        .expect("a mark-read form")
}

#[tokio::test]
async fn the_inbox_tells_each_person_what_concerns_them_and_no_one_else() {
    for (scratch, site) in sites("pages_notifications").await {
        let label = scratch.label;
        let org = Browser::member(&site, "org@example.org", "org", "en").await;
        let ana = Browser::member(&site, "ana@example.org", "ana", "fr").await;
        let eve = Browser::member(&site, "eve@example.org", "eve", "en").await;
        let id = create_event(&org, &[("join_mode", "restricted")]).await;

        let page = ana.get(&format!("/events/{id}")).await;
        let joined = ana
            .post(
                &format!("/events/{id}/join"),
                &page.csrf(),
                &[("profile", "ana")],
            )
            .await;
        assert_eq!(joined.status, 303, "{label}: {}", joined.body);
        settled(&site).await;

        // The organiser's header counts it on every page; the inbox tells it, with its link.
        let home = org.get("/").await;
        assert!(home.body.contains("(1 unread)"), "{label}: {}", home.body);
        let inbox = org.get("/notifications").await;
        assert_eq!(inbox.status, 200, "{label}");
        assert!(
            inbox.body.contains("@ana asks to join Climate march"),
            "{label}: {}",
            inbox.body
        );
        assert!(inbox.body.contains(&format!("/events/{id}\"")), "{label}");
        let notification = first_unread_id(&inbox.body);

        // Someone else can neither mark it nor see it.
        let eve_inbox = eve.get("/notifications").await;
        assert!(!eve_inbox.body.contains("asks to join"), "{label}");
        assert!(!eve_inbox.body.contains("unread)"), "{label}");
        let refused = eve
            .post(
                &format!("/notifications/{notification}/read"),
                &eve_inbox.csrf(),
                &[],
            )
            .await;
        assert_eq!(refused.status, 404, "{label}: {}", refused.body);
        let eve_token = token(&site, "eve@example.org").await;
        let (status, body) = api(
            &site,
            "POST",
            &format!("/api/v1/notifications/{notification}/read"),
            Some(&eve_token),
            None,
        )
        .await;
        assert_eq!(status, 404, "{label}: {body}");
        assert_eq!(body["status"], 404, "{label}: problem+json {body}");
        let (_, eve_list) = api(
            &site,
            "GET",
            "/api/v1/notifications",
            Some(&eve_token),
            None,
        )
        .await;
        assert_eq!(eve_list["notifications"], json!([]), "{label}");
        let (status, _) = api(&site, "GET", "/api/v1/notifications", None, None).await;
        assert_eq!(status, 401, "{label}");

        // The organiser marks it read: the count goes.
        let marked = org
            .post(
                &format!("/notifications/{notification}/read"),
                &inbox.csrf(),
                &[],
            )
            .await;
        assert_eq!(
            (marked.status, marked.location.as_deref()),
            (303, Some("/notifications")),
            "{label}: {}",
            marked.body
        );
        let after = org.get("/notifications").await;
        assert!(!after.body.contains("unread)"), "{label}: {}", after.body);
        assert!(after.body.contains("0 unread"), "{label}");

        // Approves, then moves the event: Ana's inbox, in French, says both, newest first.
        let people = org.get(&format!("/events/{id}/participants")).await;
        let pid_marker = "/participants/";
        let start = people
            .body
            .find(pid_marker)
            .map(|i| i + pid_marker.len())
            .expect("an approve form");
        let pid: String = people.body[start..]
            .chars()
            .take_while(|c| *c != '/')
            .collect();
        let approved = org
            .post(
                &format!("/events/{id}/participants/{pid}/approve"),
                &people.csrf(),
                &[],
            )
            .await;
        assert_eq!(approved.status, 303, "{label}: {}", approved.body);
        let org_token = token(&site, "org@example.org").await;
        let (status, body) = api(
            &site,
            "PATCH",
            &format!("/api/v1/events/{id}"),
            Some(&org_token),
            Some(json!({"begins_at": "2030-06-02T14:00:00Z", "ends_at": "2030-06-02T17:00:00Z"})),
        )
        .await;
        assert_eq!(status, 200, "{label}: {body}");
        settled(&site).await;
        let ana_token = token(&site, "ana@example.org").await;
        let (status, list) = api(
            &site,
            "GET",
            "/api/v1/notifications",
            Some(&ana_token),
            None,
        )
        .await;
        assert_eq!(status, 200, "{label}: {list}");
        let kinds: Vec<&str> = list["notifications"]
            .as_array()
            .map(|a| a.iter().filter_map(|n| n["kind"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(kinds, ["event_changed", "approved"], "{label}: {list}");
        assert_eq!(list["unread"], 2, "{label}");
        assert_eq!(
            list["notifications"][0]["text"], "Climate march a changé",
            "{label}: in the account's language: {list}"
        );
        assert_eq!(list["notifications"][0]["read"], false);
        let ana_page = ana.get("/notifications").await;
        assert!(ana_page.body.contains("(2 non lues)"), "{label}");
        assert!(ana_page.body.contains("Climate march a changé"), "{label}");

        // Pages of one: the second holds the older one, and says no more follow.
        let (_, second) = api(
            &site,
            "GET",
            "/api/v1/notifications?page=2&per_page=1",
            Some(&ana_token),
            None,
        )
        .await;
        assert_eq!(second["notifications"][0]["kind"], "approved", "{label}");
        assert_eq!(second["more"], false, "{label}");
        let (status, bad) = api(
            &site,
            "GET",
            "/api/v1/notifications?per_page=0",
            Some(&ana_token),
            None,
        )
        .await;
        assert_eq!(status, 422, "{label}: {bad}");
        assert!(bad.to_string().contains("per_page"), "{label}: {bad}");

        let (status, marked) = api(
            &site,
            "POST",
            "/api/v1/notifications/read-all",
            Some(&ana_token),
            None,
        )
        .await;
        assert_eq!(
            (status, marked["marked"].as_u64()),
            (200, Some(2)),
            "{label}"
        );
        let (_, count) = api(
            &site,
            "GET",
            "/api/v1/notifications/unread",
            Some(&ana_token),
            None,
        )
        .await;
        assert_eq!(count["unread"], 0, "{label}");
    }
}

#[tokio::test]
async fn notification_settings_are_chosen_per_kind_and_unknown_ones_are_named() {
    for (scratch, site) in sites("pages_notification_settings").await {
        let label = scratch.label;
        let org = Browser::member(&site, "org@example.org", "org", "en").await;
        let org_token = token(&site, "org@example.org").await;

        // The defaults: changes at once, new participants in the digest.
        let (status, chosen) = api(
            &site,
            "GET",
            "/api/v1/notification-settings",
            Some(&org_token),
            None,
        )
        .await;
        assert_eq!(status, 200, "{label}: {chosen}");
        assert_eq!(chosen["event_changed"], "mail", "{label}");
        assert_eq!(chosen["join_request"], "mail", "{label}");
        assert_eq!(chosen["new_participant"], "digest", "{label}");
        assert_eq!(chosen["group_invitation"], "mail", "{label}");
        // A moderators' warning is not the person's to turn off: it is not among the choices.
        assert!(
            chosen.get("moderation_warning").is_none(),
            "{label}: {chosen}"
        );

        let (status, problem) = api(
            &site,
            "PUT",
            "/api/v1/notification-settings",
            Some(&org_token),
            Some(
                json!({"join_request": "off", "bogus": "mail", "approved": "sometimes",
                        "moderation_warning": "off"}),
            ),
        )
        .await;
        assert_eq!(status, 422, "{label}: {problem}");
        let text = problem.to_string();
        assert!(
            text.contains("bogus")
                && text.contains("approved")
                && text.contains("\"moderation_warning\""),
            "{label}: {problem}"
        );
        let (_, unchanged) = api(
            &site,
            "GET",
            "/api/v1/notification-settings",
            Some(&org_token),
            None,
        )
        .await;
        assert_eq!(
            unchanged["join_request"], "mail",
            "{label}: nothing half-written"
        );

        let (status, chosen) = api(
            &site,
            "PUT",
            "/api/v1/notification-settings",
            Some(&org_token),
            Some(json!({"join_request": "off"})),
        )
        .await;
        assert_eq!(status, 200, "{label}: {chosen}");
        assert_eq!(chosen["join_request"], "off", "{label}");

        // The settings page shows the choice and changes it.
        let settings = org.get("/settings").await;
        assert!(
            settings
                .body
                .contains("<label for=\"notif-join_request\">Someone asks to join an event I organise</label>"),
            "{label}: {}",
            settings.body
        );
        let saved = org
            .post(
                "/settings",
                &settings.csrf(),
                &[
                    ("action", "notifications"),
                    ("kind_join_request", "digest"),
                    ("kind_event_changed", "off"),
                ],
            )
            .await;
        assert_eq!(saved.status, 303, "{label}: {}", saved.body);
        let (_, chosen) = api(
            &site,
            "GET",
            "/api/v1/notification-settings",
            Some(&org_token),
            None,
        )
        .await;
        assert_eq!(
            (
                chosen["join_request"].as_str(),
                chosen["event_changed"].as_str()
            ),
            (Some("digest"), Some("off")),
            "{label}"
        );
        let refused = org
            .post(
                "/settings",
                &settings.csrf(),
                &[("action", "notifications"), ("kind_join_request", "loudly")],
            )
            .await;
        assert_eq!(refused.status, 422, "{label}: {}", refused.body);
        assert!(
            refused.body.contains("id=\"notif-join_request-error\""),
            "{label}: {}",
            refused.body
        );
    }
}

#[tokio::test]
async fn reminder_times_are_chosen_in_the_api_and_the_settings_page() {
    for (scratch, site) in sites("pages_reminder_settings").await {
        let label = scratch.label;
        let ana = Browser::member(&site, "ana@example.org", "ana", "fr").await;
        let ana_token = token(&site, "ana@example.org").await;
        let path = "/api/v1/notification-settings/reminders";

        // The default: a day and two hours before.
        let (status, chosen) = api(&site, "GET", path, Some(&ana_token), None).await;
        assert_eq!(status, 200, "{label}: {chosen}");
        assert_eq!(
            chosen,
            json!({"before": ["1d", "2h"], "minutes": [1440, 120]})
        );

        // Bad times are refused, naming the field, and change nothing.
        let (status, problem) = api(
            &site,
            "PUT",
            path,
            Some(&ana_token),
            Some(json!({"before": ["3h", "soon", "40d"]})),
        )
        .await;
        assert_eq!(status, 422, "{label}: {problem}");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(fields, ["before", "before"], "{label}: {problem}");
        assert!(problem.to_string().contains("soon"), "{label}: {problem}");
        let (_, unchanged) = api(&site, "GET", path, Some(&ana_token), None).await;
        assert_eq!(unchanged["before"], json!(["1d", "2h"]), "{label}");
        let (status, _) = api(&site, "PUT", path, None, Some(json!({"before": []}))).await;
        assert_eq!(status, 401, "{label}");

        let (status, chosen) = api(
            &site,
            "PUT",
            path,
            Some(&ana_token),
            Some(json!({"before": ["30m", "3h"]})),
        )
        .await;
        assert_eq!(status, 200, "{label}: {chosen}");
        assert_eq!(chosen["before"], json!(["3h", "30m"]), "{label}");

        // The settings page shows the choice, in French, and changes it.
        let settings = ana.get("/settings").await;
        assert!(
            settings.body.contains("Rappels avant chaque événement")
                && settings
                    .body
                    .contains("name=\"reminders\" value=\"3h, 30m\""),
            "{label}: {}",
            settings.body
        );
        let refused = ana
            .post(
                "/settings",
                &settings.csrf(),
                &[("action", "notifications"), ("reminders", "1d, demain")],
            )
            .await;
        assert_eq!(refused.status, 422, "{label}: {}", refused.body);
        assert!(
            refused.body.contains("id=\"notif-reminders-error\"")
                && refused.body.contains("Indiquez des durées"),
            "{label}: {}",
            refused.body
        );
        let (_, unchanged) = api(&site, "GET", path, Some(&ana_token), None).await;
        assert_eq!(unchanged["before"], json!(["3h", "30m"]), "{label}");
        let saved = ana
            .post(
                "/settings",
                &settings.csrf(),
                &[("action", "notifications"), ("reminders", "")],
            )
            .await;
        assert_eq!(saved.status, 303, "{label}: {}", saved.body);
        let (_, none) = api(&site, "GET", path, Some(&ana_token), None).await;
        assert_eq!(none["before"], json!([]), "{label}: no reminders");
    }
}

#[tokio::test]
async fn the_digest_time_is_chosen_in_the_api_and_the_settings_page() {
    for (scratch, site) in sites("pages_digest_settings").await {
        let label = scratch.label;
        let ana = Browser::member(&site, "ana@example.org", "ana", "fr").await;
        let ana_token = token(&site, "ana@example.org").await;
        let path = "/api/v1/notification-settings/digest";

        // The default: 08:00 UTC.
        let (status, chosen) = api(&site, "GET", path, Some(&ana_token), None).await;
        assert_eq!(status, 200, "{label}: {chosen}");
        assert_eq!(
            (chosen["hour"].as_u64(), chosen["time_zone"].as_str()),
            (Some(8), Some("UTC")),
            "{label}: {chosen}"
        );
        assert!(
            chosen["next_at"]
                .as_str()
                .is_some_and(|t| t.ends_with("T08:00:00Z")),
            "{label}: {chosen}"
        );

        // A bad hour and zone are refused, each named, and change nothing.
        let (status, problem) = api(
            &site,
            "PUT",
            path,
            Some(&ana_token),
            Some(json!({"hour": 24, "time_zone": "Mars/Olympus"})),
        )
        .await;
        assert_eq!(status, 422, "{label}: {problem}");
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(fields, ["hour", "time_zone"], "{label}: {problem}");
        let (_, unchanged) = api(&site, "GET", path, Some(&ana_token), None).await;
        assert_eq!(unchanged["time_zone"], "UTC", "{label}");
        let (status, _) = api(
            &site,
            "PUT",
            path,
            None,
            Some(json!({"hour": 7, "time_zone": "UTC"})),
        )
        .await;
        assert_eq!(status, 401, "{label}");

        // 18:00 in Paris: the next digest is at that hour on Paris's clock.
        let (status, chosen) = api(
            &site,
            "PUT",
            path,
            Some(&ana_token),
            Some(json!({"hour": 18, "time_zone": "Europe/Paris"})),
        )
        .await;
        assert_eq!(status, 200, "{label}: {chosen}");
        let next = chosen["next_at"].as_str().unwrap_or_default();
        assert!(
            next.ends_with("T16:00:00Z") || next.ends_with("T17:00:00Z"),
            "{label}: 18:00 in Paris is 16:00 or 17:00 UTC: {chosen}"
        );

        // The settings page shows the choice, in French, refuses a bad zone naming it, and
        // changes it.
        let settings = ana.get("/settings").await;
        assert!(
            settings.body.contains("Heure du résumé quotidien")
                && settings
                    .body
                    .contains("<option value=\"18\" selected>18:00</option>")
                && settings
                    .body
                    .contains("name=\"digest_time_zone\" value=\"Europe/Paris\""),
            "{label}: {}",
            settings.body
        );
        let refused = ana
            .post(
                "/settings",
                &settings.csrf(),
                &[
                    ("action", "notifications"),
                    ("digest_hour", "9"),
                    ("digest_time_zone", "Paris"),
                ],
            )
            .await;
        assert_eq!(refused.status, 422, "{label}: {}", refused.body);
        assert!(
            refused.body.contains("id=\"notif-digest-zone-error\""),
            "{label}: {}",
            refused.body
        );
        let (_, unchanged) = api(&site, "GET", path, Some(&ana_token), None).await;
        assert_eq!(unchanged["hour"], 18, "{label}");
        let saved = ana
            .post(
                "/settings",
                &settings.csrf(),
                &[
                    ("action", "notifications"),
                    ("digest_hour", "6"),
                    ("digest_time_zone", "America/New_York"),
                ],
            )
            .await;
        assert_eq!(saved.status, 303, "{label}: {}", saved.body);
        let (_, chosen) = api(&site, "GET", path, Some(&ana_token), None).await;
        assert_eq!(
            (chosen["hour"].as_u64(), chosen["time_zone"].as_str()),
            (Some(6), Some("America/New_York")),
            "{label}: {chosen}"
        );
    }
}
