//! The organisers' participants page: the summary they decide with, names beside handles,
//! several requests decided at once.

use crate::sites;
use crate::support::{create_event, Browser};

/// Renames `@username` (password "correct horse battery") through the JSON API.
async fn rename(base: &str, email: &str, username: &str, display_name: &str) {
    let (base, email, username, display_name) = (
        base.to_string(),
        email.to_string(),
        username.to_string(),
        display_name.to_string(),
    );
    let status = tokio::task::spawn_blocking(move || {
        let session: serde_json::Value = ureq::post(format!("{base}/api/v1/sessions"))
            .send_json(serde_json::json!({"email": email, "password": "correct horse battery"}))
            .expect("log in")
            .body_mut()
            .read_json()
            .expect("session");
        let token = session["token"].as_str().unwrap_or_default().to_string();
        ureq::patch(format!("{base}/api/v1/profiles/{username}"))
            .header("Authorization", format!("Bearer {token}"))
            .send_json(serde_json::json!({ "display_name": display_name }))
            .expect("patch")
            .status()
    })
    .await
    .expect("join");
    assert_eq!(status, 200);
}

/// The ids of the participations the page lets organisers tick.
fn pickable(body: &str) -> Vec<String> {
    body.split("name=\"p\" value=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn organisers_see_a_summary_names_and_decide_several_requests_at_once() {
    for (db, site) in sites("web_participants").await {
        let label = db.label;
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let id = create_event(
            &organiser,
            &[("capacity", "2"), ("join_mode", "restricted")],
        )
        .await;
        for who in ["ana", "bob", "cyd", "dan"] {
            let email = format!("{who}@example.org");
            let browser = Browser::member(&site, &email, who, "en").await;
            let page = browser.get(&format!("/events/{id}")).await;
            let asked = browser
                .post(
                    &format!("/events/{id}/join"),
                    &page.csrf(),
                    &[("profile", who)],
                )
                .await;
            assert_eq!(asked.status, 303, "{label}: {who} asks: {}", asked.body);
        }
        rename(&site.base, "ana@example.org", "ana", "Ana Lima").await;

        let path = format!("/events/{id}/participants");
        let page = organiser.get(&path).await;
        assert_eq!(page.status, 200, "{label}");
        assert!(
            page.body
                .contains("<p class=\"summary\">0 / 2 seats taken, 4 to approve</p>"),
            "{label}: {}",
            page.body
        );
        assert!(
            page.body.contains(
                "<span dir=\"auto\">Ana Lima</span> <span class=\"handle-small\">@ana</span>"
            ),
            "{label}: the name, then the handle"
        );
        let requests = pickable(&page.body);
        assert_eq!(requests.len(), 4, "{label}");
        let mut fields = vec![("decision", "approve")];
        fields.extend(requests[..3].iter().map(|p| ("p", p.as_str())));
        let decided = organiser
            .post(
                &format!("/events/{id}/participants/decide"),
                &page.csrf(),
                &fields,
            )
            .await;
        assert_eq!(decided.status, 303, "{label}: {}", decided.body);
        let page = organiser.get(&path).await;
        assert!(
            page.body
                .contains("<p class=\"summary\">2 / 2 seats taken, 1 waiting, 1 to approve</p>"),
            "{label}: {}",
            page.body
        );

        let last = pickable(&page.body);
        assert_eq!(last.len(), 1, "{label}");
        let declined = organiser
            .post(
                &format!("/events/{id}/participants/decide"),
                &page.csrf(),
                &[("decision", "reject"), ("p", &last[0])],
            )
            .await;
        assert_eq!(declined.status, 303, "{label}");
        let page = organiser.get(&path).await;
        assert!(
            page.body.contains("2 / 2 seats taken, 1 waiting</p>"),
            "{label}"
        );

        let odd = organiser
            .post(
                &format!("/events/{id}/participants/decide"),
                &page.csrf(),
                &[("decision", "maybe")],
            )
            .await;
        assert_eq!(odd.status, 400, "{label}");
        let stranger = Browser::member(&site, "eve@example.org", "eve", "en").await;
        let home = stranger.get("/").await;
        let refused = stranger
            .post(
                &format!("/events/{id}/participants/decide"),
                &home.csrf(),
                &[("decision", "approve"), ("p", &requests[3])],
            )
            .await;
        assert!(
            refused.status == 403 || refused.status == 404,
            "{label}: {}",
            refused.status
        );
    }
}
