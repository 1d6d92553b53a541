//! Editing a description starts from what the organiser wrote: the Markdown typed, not the HTML
//! made of it.

use crate::sites;
use crate::support::{create_event, Browser};

fn textarea(body: &str) -> String {
    let start = body
        .find("<textarea id=\"description\"")
        .expect("the description field");
    let open = start + body[start..].find('>').expect("its tag") + 1;
    let close = open + body[open..].find("</textarea>").expect("its end");
    body[open..close].to_string()
}

#[tokio::test]
async fn the_edit_form_shows_the_markdown_as_written() {
    for (db, site) in sites("web_markdown_source").await {
        let label = db.label;
        let org = Browser::member(&site, "org@example.org", "org", "en").await;
        let markdown = "Tous et toutes\n\nDépart place de la **République**\n\n- banderoles\n- eau";
        let id = create_event(&org, &[("description", markdown)]).await;
        let page = site.browser("en").get(&format!("/events/{id}")).await;
        assert!(page.body.contains("<strong>République</strong>"), "{label}");
        let edit = org.get(&format!("/events/{id}/edit")).await;
        assert_eq!(edit.status, 200, "{label}");
        let shown = textarea(&edit.body);
        assert!(shown.contains("**République**"), "{label}: {shown}");
        assert!(shown.contains("- banderoles"), "{label}: {shown}");
        assert!(!shown.contains("&lt;strong&gt;"), "{label}: {shown}");

        // Saved again unchanged, it stays Markdown; changed, the page shows the new text.
        let mut fields =
            crate::support::event_form(&[("description", "Départ place de la *Mairie*")]);
        fields.push(("profile", "org"));
        let saved = org
            .post(&format!("/events/{id}/edit"), &edit.csrf(), &fields)
            .await;
        assert_eq!(saved.status, 303, "{label}: {}", saved.body);
        let edit = org.get(&format!("/events/{id}/edit")).await;
        assert_eq!(
            textarea(&edit.body),
            "Départ place de la *Mairie*",
            "{label}"
        );
        let page = site.browser("en").get(&format!("/events/{id}")).await;
        assert!(page.body.contains("<em>Mairie</em>"), "{label}");
    }
}

/// Markdown nested 10,000 deep is refused on the form (sent, or previewed) with the
/// description's message in the visitor's language, what was typed kept, nothing created.
#[tokio::test]
async fn markdown_nested_ten_thousand_deep_is_refused_on_the_form_with_what_was_typed() {
    for (db, site) in sites("web_markdown_depth").await {
        let label = db.label;
        let org = Browser::member(&site, "org@example.org", "org", "fr").await;
        let deep = format!("{}profond", "- ".repeat(10_000));
        let head = site.head().await;
        for extra in [None, Some(("preview", "1"))] {
            let form = org.get("/events/new").await;
            let mut fields = crate::support::event_form(&[
                ("title", "Réunion imbriquée"),
                ("description", deep.as_str()),
            ]);
            fields.extend(extra);
            let page = org.post("/events/new", &form.csrf(), &fields).await;
            // A preview saves nothing whatever it shows: 200, with the field's error.
            let expected = if extra.is_some() { 200 } else { 422 };
            assert_eq!(page.status, expected, "{label} {extra:?}");
            assert!(
                page.body
                    .contains("ses listes et citations s’imbriquent sur 32 niveaux au plus"),
                "{label} {extra:?}"
            );
            assert!(page.body.contains("id=\"description-error\""), "{label}");
            assert!(!page.body.contains("class=\"preview\""), "{label}");
            assert_eq!(textarea(&page.body), deep, "{label}: kept as typed");
            assert!(page.body.contains("value=\"Réunion imbriquée\""));
        }
        assert_eq!(site.head().await, head, "{label}: nothing written");
    }
}
