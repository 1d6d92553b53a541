//! Sharing an event: its QR code, a hand-over to the visitor's own instance; drafts are not
//! shared and say what they are.

use crate::sites;
use crate::support::{create_event, Browser};

#[tokio::test]
async fn an_event_is_shared_by_qr_code_or_on_ones_own_instance_and_a_draft_says_it_is_one() {
    for (db, site) in sites("web_share").await {
        let label = db.label;
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let id = create_event(&organiser, &[("title", "Repair café")]).await;
        let visitor = site.browser("en");
        let page = visitor.get(&format!("/events/{id}")).await;
        assert!(
            page.body.contains(&format!("src=\"/events/{id}/qr.svg\"")),
            "{label}"
        );
        assert!(
            page.body
                .contains(&format!("action=\"/events/{id}/share\"")),
            "{label}"
        );
        assert!(!page.body.contains("draft-banner"), "{label}");

        let qr = visitor.get(&format!("/events/{id}/qr.svg")).await;
        assert_eq!(qr.status, 200, "{label}");
        assert_eq!(qr.content_type, "image/svg+xml");
        assert!(
            qr.body.contains("<svg") && qr.body.contains("<path"),
            "{label}"
        );

        let shared = visitor
            .get(&format!("/events/{id}/share?instance=%40ana%40Mamot.fr"))
            .await;
        assert_eq!(shared.status, 303, "{label}");
        let text = format!("Repair café\n{}/events/{id}", site.base);
        let expected = url::Url::parse_with_params("https://mamot.fr/share", [("text", &text)])
            .map(String::from)
            .unwrap_or_default();
        assert_eq!(
            shared.location.as_deref(),
            Some(expected.as_str()),
            "{label}"
        );
        let bad = visitor
            .get(&format!("/events/{id}/share?instance=javascript:alert(1)"))
            .await;
        assert_eq!(bad.status, 400, "{label}");
        assert!(bad.body.contains("is not an instance address"), "{label}");

        let draft = create_event(&organiser, &[("title", "Not yet"), ("publish", "later")]).await;
        let page = organiser.get(&format!("/events/{draft}")).await;
        assert!(page.body.contains("class=\"draft-banner\""), "{label}");
        assert!(
            !page.body.contains("class=\"share\""),
            "{label}: nothing to share yet"
        );
        assert_eq!(
            visitor.get(&format!("/events/{draft}/qr.svg")).await.status,
            404,
            "{label}"
        );
    }
}
