//! Cancelling an event from its page: the confirmation asks why (optional), a reason too long
//! is said on the form with nothing written, and the reason is shown on the event's page.

use crate::sites;
use crate::support::{create_event, Browser};

#[tokio::test]
async fn an_organiser_cancels_saying_why_and_everyone_reads_it() {
    for (db, site) in sites("web_cancel_reason").await {
        let label = db.label;
        let org = Browser::member(&site, "org@example.org", "org", "fr").await;
        let id = create_event(&org, &[("title", "Repair café")]).await;
        let form = org.get(&format!("/events/{id}/cancel")).await;
        assert_eq!(form.status, 200, "{label}");
        assert!(
            form.body
                .contains("<label for=\"reason\">Pourquoi ? (facultatif)</label>"),
            "{label}: {}",
            form.body
        );
        let long = "a".repeat(1001);
        let head = site.head().await;
        let refused = org
            .post(
                &format!("/events/{id}/cancel"),
                &form.csrf(),
                &[("reason", &long)],
            )
            .await;
        assert_eq!(refused.status, 422, "{label}: {}", refused.body);
        assert!(refused.body.contains("id=\"reason-error\""), "{label}");
        assert!(refused.body.contains("1 000 caractères au plus"), "{label}");
        assert!(refused.body.contains(&long), "what was typed stays");
        assert_eq!(site.head().await, head, "{label}: nothing written");

        let reason = "The hall is flooded.\nSee you next month.";
        let done = org
            .post(
                &format!("/events/{id}/cancel"),
                &form.csrf(),
                &[("reason", reason)],
            )
            .await;
        assert_eq!(done.status, 303, "{label}: {}", done.body);
        for (language, heading) in [
            ("en", "The organisers cancelled it and say why:"),
            (
                "fr",
                "Les organisateur·ices l’ont annulé et disent pourquoi :",
            ),
        ] {
            let page = site.browser(language).get(&format!("/events/{id}")).await;
            assert!(
                page.body.contains(heading),
                "{label} {language}: {}",
                page.body
            );
            assert!(page.body.contains(reason), "{label} {language}");
        }
        // Without a reason, a cancellation says nothing more.
        let other = create_event(&org, &[("title", "Picnic")]).await;
        let form = org.get(&format!("/events/{other}/cancel")).await;
        let done = org
            .post(&format!("/events/{other}/cancel"), &form.csrf(), &[])
            .await;
        assert_eq!(done.status, 303, "{label}");
        let page = site.browser("en").get(&format!("/events/{other}")).await;
        assert!(page.body.contains("badge cancelled"), "{label}");
        assert!(!page.body.contains("say why"), "{label}");
    }
}
