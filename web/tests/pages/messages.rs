//! After every action the next page says, once and in the visitor's language, what was done.

use crate::sites;
use crate::support::{create_event, Browser};

fn flash(body: &str) -> Option<&str> {
    let start = body.find("<p class=\"flash\" role=\"status\">")? + 31;
    Some(&body[start..start + body[start..].find("</p>")?])
}

#[tokio::test]
async fn each_action_is_confirmed_once_in_the_visitors_language() {
    for (db, site) in sites("web_messages").await {
        let label = db.label;
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let id = create_event(&organiser, &[("publish", "later")]).await;
        let page = organiser.get(&format!("/events/{id}")).await;
        assert_eq!(
            flash(&page.body),
            Some("Saved as a draft: only the organisers see it until it is published."),
            "{label}"
        );
        let again = organiser.get(&format!("/events/{id}")).await;
        assert_eq!(flash(&again.body), None, "{label}: said once");

        let published = organiser
            .post(&format!("/events/{id}/publish"), &again.csrf(), &[])
            .await;
        assert_eq!(published.status, 303, "{label}: {}", published.body);
        let page = organiser.get(&format!("/events/{id}")).await;
        assert!(
            flash(&page.body).is_some_and(|f| f.starts_with("Published")),
            "{label}"
        );

        let settings = organiser.get("/settings").await;
        let changed = organiser
            .post(
                "/settings",
                &settings.csrf(),
                &[("action", "locale"), ("locale", "fr")],
            )
            .await;
        assert_eq!(changed.status, 303, "{label}: {}", changed.body);
        let page = organiser.get("/settings").await;
        assert_eq!(flash(&page.body), Some("La langue est changée."), "{label}");

        // A forged cookie says nothing: only the catalogue's messages are shown.
        let forged = organiser
            .get_with_cookie("/", "convene_flash", "flash_nope")
            .await;
        assert_eq!(flash(&forged.body), None, "{label}");
    }
}
