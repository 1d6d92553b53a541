//! The search page, in English and French, as a browser without JavaScript uses it.

use crate::sites;
use crate::support::{create_event, Browser};

#[tokio::test]
async fn the_search_page_finds_marks_pages_and_suggests_widening() {
    for (_db, site) in sites("web_search").await {
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        create_event(
            &organiser,
            &[
                ("title", "Fête du vélo"),
                ("description", "<p>Ride <b>together</b> &amp; repair</p>"),
            ],
        )
        .await;
        create_event(
            &organiser,
            &[
                ("title", "Private climate dinner"),
                ("visibility", "private"),
            ],
        )
        .await;
        for n in 0..21 {
            create_event(&organiser, &[("title", &format!("Series meetup {n}"))]).await;
        }
        site.indexed().await;
        let visitor = site.browser("en");

        // The box is in every page's header.
        let home = visitor.get("/").await;
        assert!(
            home.body.contains("action=\"/search\" role=\"search\""),
            "{}",
            home.body
        );

        let found = visitor.get("/search?q=fete+velo").await;
        assert_eq!(found.status, 200, "{}", found.body);
        assert!(
            found
                .body
                .contains("<mark>Fête</mark> du <mark>vélo</mark>"),
            "{}",
            found.body
        );
        assert!(found.body.contains("1 events found"));
        assert!(
            found.body.contains("Ride together &amp; repair"),
            "{}",
            found.body
        );
        assert!(!visitor
            .get("/search?q=climate")
            .await
            .body
            .contains("Private climate dinner"));

        // Pages: 21 meetups, 20 a page.
        let first = visitor.get("/search?q=series").await;
        assert!(first.body.contains("Page 1 of 2"), "{}", first.body);
        assert!(
            first
                .body
                .contains("href=\"/search?q=series&amp;page=2\" rel=\"next\""),
            "{}",
            first.body
        );
        let second = visitor.get("/search?q=series&page=2").await;
        assert_eq!(second.body.matches("class=\"card\"").count(), 1);

        // Nothing found: a suggestion to widen the search, in the visitor's language.
        let none = visitor.get("/search?q=zzzzzz").await;
        assert!(none.body.contains("Try fewer words"), "{}", none.body);
        let french = site.browser("fr");
        let rien = french.get("/search?q=zzzzzz").await;
        assert!(rien.body.contains("Rien ne correspond"), "{}", rien.body);
        let trouve = french.get("/search?q=fete").await;
        assert!(
            trouve.body.contains("1 événements trouvés"),
            "{}",
            trouve.body
        );

        // A filter that does not read is shown with the form again, never a server error.
        let bad = visitor.get("/search?q=x&radius_km=5").await;
        assert_eq!(bad.status, 422);
        assert!(bad.body.contains("a radius needs a point"), "{}", bad.body);
        let odd = visitor.get("/search?q=%22%2A%3A-").await;
        assert_eq!(odd.status, 200);
    }
}

#[tokio::test]
async fn the_search_page_finds_groups_with_their_own_form() {
    for (_db, site) in sites("web_search_groups").await {
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        for (handle, name, visibility) in [
            ("velo", "Atelier vélo", "public"),
            ("secret", "Atelier secret", "unlisted"),
        ] {
            let form = organiser.get("/groups/new").await;
            let created = organiser
                .post(
                    "/groups/new",
                    &form.csrf(),
                    &[
                        ("handle", handle),
                        ("display_name", name),
                        ("summary", "On répare les vélos ensemble"),
                        ("visibility", visibility),
                        ("openness", "open"),
                    ],
                )
                .await;
            assert_eq!(created.status, 303, "{}", created.body);
        }
        site.indexed().await;
        let visitor = site.browser("en");

        let found = visitor.get("/search?kind=groups&q=atelier").await;
        assert_eq!(found.status, 200, "{}", found.body);
        assert!(found.body.contains("1 groups found"), "{}", found.body);
        assert!(
            found
                .body
                .contains("href=\"/@velo\" dir=\"auto\"><mark>Atelier</mark> vélo</a>"),
            "{}",
            found.body
        );
        assert!(found.body.contains("1 members"), "{}", found.body);
        assert!(
            !found.body.contains("Atelier secret"),
            "unlisted: {}",
            found.body
        );
        // The groups' form keeps to groups; the way back to events keeps the words.
        assert!(
            found.body.contains("name=\"kind\" value=\"groups\""),
            "{}",
            found.body
        );
        assert!(!found.body.contains("name=\"category\""), "{}", found.body);
        assert!(
            found.body.contains("href=\"/search?q=atelier\""),
            "{}",
            found.body
        );

        // A filter of events is not one of groups: named, in a 422.
        let wrong = visitor.get("/search?kind=groups&category=MUSIC").await;
        assert_eq!(wrong.status, 422, "{}", wrong.body);
        assert!(wrong.body.contains("href=\"#category\""), "{}", wrong.body);
        let odd = visitor.get("/search?kind=people").await;
        assert_eq!(odd.status, 422, "{}", odd.body);
        assert!(odd.body.contains("href=\"#kind\""), "{}", odd.body);

        let french = site.browser("fr");
        let rien = french.get("/search?kind=groups&q=zzzzzz").await;
        assert!(
            rien.body.contains("Aucun groupe ne correspond"),
            "{}",
            rien.body
        );
        let trouve = french.get("/search?kind=groups&q=velo").await;
        assert!(trouve.body.contains("1 groupes trouvés"), "{}", trouve.body);
    }
}
