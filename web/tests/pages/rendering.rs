//! Every page with empty, typical and extreme data: a 200-character title, right-to-left text,
//! 2,000 participants, an event across a daylight-saving change.

use crate::sites;
use crate::support::{create_event, Browser};
use convene_domain::{Actor, EventCommand, Metadata, Source};

#[tokio::test]
async fn pages_render_with_empty_typical_and_extreme_data() {
    for (_db, site) in sites("web_rendering").await {
        let visitor = site.browser("en");
        let empty = visitor.get("/").await;
        assert_eq!(empty.status, 200);
        assert!(empty.body.contains("No upcoming event matches."));
        for (path, status, text) in [
            ("/nothing-here", 404, "Page not found"),
            ("/@nobody", 404, "Page not found"),
            (
                "/events/00000000-0000-0000-0000-000000000000",
                404,
                "Page not found",
            ),
            ("/login", 200, "Log in"),
            ("/register", 200, "Create an account"),
        ] {
            let page = visitor.get(path).await;
            assert_eq!(page.status, status, "{path}");
            assert!(page.body.contains(text), "{path}: {}", page.body);
        }
        assert_eq!(
            visitor.get("/events/new").await.location.as_deref(),
            Some("/login?next=/events/new")
        );

        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let long_title = "L".repeat(200);
        let long = create_event(&organiser, &[("title", &long_title)]).await;
        let rtl = create_event(
            &organiser,
            &[
                ("title", "مسيرة من أجل المناخ"),
                ("description", "<p>שלום עולם</p>"),
            ],
        )
        .await;
        let dst = create_event(
            &organiser,
            &[
                ("title", "Night of the clock change"),
                ("begins_at", "2030-03-30T23:00"),
                ("ends_at", "2030-03-31T05:00"),
            ],
        )
        .await;
        let crowded = create_event(&organiser, &[("title", "Big assembly")]).await;

        // 2,000 participants, recorded directly through the command side.
        let metadata = Metadata::now(Actor::System, Source::Cli, "seed");
        for i in 0..2_000 {
            let command = EventCommand::Join {
                participation: format!("seed-{i}"),
                profile: format!("person{i}"),
                message: None,
            };
            site.state
                .events
                .execute(&crowded, command, &metadata)
                .await
                .expect("join");
        }
        let position = convene_projections::log::EventLog::new(&site.db)
            .head()
            .await
            .expect("head")
            .position;
        convene_api::consistency::caught_up(&site.state, convene_api::events::READS, position)
            .await;

        // Words on the home page become a search (the search page has its own tests).
        let found = visitor.get("/?q=CLOCK%20change").await;
        assert_eq!(found.location.as_deref(), Some("/search?q=CLOCK%20change"));
        let none = visitor.get("/search?q=100%25").await;
        assert_eq!(none.status, 200, "% is a character, not a wildcard");
        let home = visitor.get("/").await;
        assert_eq!(home.status, 200);
        assert!(
            !home.body.contains("rel=\"next\""),
            "four events fit on one page"
        );
        assert!(home.body.contains(&long_title));
        assert!(home.body.contains("مسيرة من أجل المناخ"));
        let page = visitor.get(&format!("/events/{long}")).await;
        assert!(page
            .body
            .contains(&format!("<h1 dir=\"auto\">{long_title}</h1>")));
        let page = visitor.get(&format!("/events/{rtl}")).await;
        assert!(
            page.body
                .contains("<div class=\"description\" dir=\"auto\"><p>שלום עולם</p></div>"),
            "{}",
            page.body
        );
        let page = visitor.get(&format!("/events/{dst}")).await;
        assert!(
            page.body.contains("Saturday, March 30, 2030, 11:00 PM"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("Sunday, March 31, 2030, 5:00 AM"),
            "the end is in summer time"
        );
        assert!(page.body.contains("datetime=\"2030-03-30T23:00:00+01:00\""));
        assert!(page.body.contains("datetime=\"2030-03-31T05:00:00+02:00\""));
        let page = visitor.get(&format!("/events/{crowded}")).await;
        assert!(page.body.contains("2000 going"), "{}", page.body);

        let missing_hour = organiser.get("/events/new").await;
        let refused = organiser
            .post(
                "/events/new",
                &missing_hour.csrf(),
                &crate::support::event_form(&[("begins_at", "2030-03-31T02:30")]),
            )
            .await;
        assert_eq!(
            refused.status, 422,
            "02:30 does not exist in Paris that night"
        );
        assert!(refused
            .body
            .contains("Give the start as a date and a time."));

        let online = visitor.get("/?mode=online").await;
        assert!(
            online.body.contains("No upcoming event matches."),
            "none of these is online"
        );
        let in_person = visitor.get("/?mode=in_person").await;
        assert!(in_person.body.contains("Night of the clock change"));
        assert_eq!(visitor.get("/@nobody/feed.ics").await.status, 404);
        let logged_out = visitor.post(&format!("/events/{dst}/join"), "x", &[]).await;
        assert_eq!(
            logged_out.status, 403,
            "a form without a valid token is refused first"
        );
        let page = visitor.get("/login").await;
        let logged_out = visitor
            .post(&format!("/events/{dst}/join"), &page.csrf(), &[])
            .await;
        assert_eq!(
            logged_out.location.as_deref(),
            Some(format!("/login?next=/events/{dst}").as_str()),
            "back to the event page, not to the form's action"
        );
        let profile = visitor.get("/@org").await;
        assert_eq!(profile.status, 200);
        assert!(
            profile.body.contains("Events organised by ORG")
                || profile.body.contains("Events organised by org"),
            "{}",
            profile.body
        );
        assert!(profile.body.contains("Night of the clock change"));

        let french = site.browser("fr");
        let page = french.get(&format!("/events/{dst}")).await;
        assert!(
            page.body.contains("samedi 30 mars 2030, 23:00"),
            "{}",
            page.body
        );
    }
}

#[tokio::test]
async fn the_stylesheet_and_script_are_linked_by_content_hash_and_kept_a_year() {
    for (_db, site) in sites("web_assets").await {
        let visitor = site.browser("en");
        let home = visitor.get("/").await;
        for (marker, content_type) in [
            ("<link rel=\"stylesheet\" href=\"", "text/css"),
            ("<script src=\"", "text/javascript"),
        ] {
            let start = home.body.find(marker).expect("linked") + marker.len();
            let href = &home.body[start..start + home.body[start..].find('"').expect("quoted")];
            assert!(
                href.starts_with("/static/convene.") && href.matches('.').count() == 2,
                "{href}"
            );
            let asset = visitor.get(href).await;
            assert_eq!(asset.status, 200, "{href}");
            assert!(asset.content_type.starts_with(content_type), "{href}");
            assert_eq!(
                asset.header("cache-control"),
                "public, max-age=31536000, immutable"
            );
            // The plain name, for pages saved before, is kept only an hour.
            let plain = format!(
                "/static/convene.{}",
                href.rsplit('.').next().unwrap_or_default()
            );
            let old = visitor.get(&plain).await;
            assert_eq!((old.status, &old.body), (200, &asset.body));
            assert_eq!(old.header("cache-control"), "public, max-age=3600");
        }
        assert_eq!(
            visitor.get("/static/convene.0000000000.css").await.status,
            404
        );
    }
}

#[tokio::test]
async fn an_error_page_says_one_thing_once() {
    for (_db, site) in sites("web_error_pages").await {
        let visitor = site.browser("en");
        let missing = visitor.get("/no-such-page").await;
        assert_eq!(missing.status, 404);
        assert!(missing
            .body
            .contains("<title>Page not found · Convene</title>"));
        assert!(missing.body.contains("<h1>Page not found</h1>"));
        assert_eq!(missing.body.matches("There is nothing here.").count(), 1);

        let event = visitor
            .get("/events/00000000-0000-0000-0000-000000000000")
            .await;
        assert_eq!(event.status, 404);
        assert!(
            event.body.contains("<h1>Page not found</h1>"),
            "{}",
            event.body
        );
        assert!(
            !event.body.contains("There is nothing here."),
            "the precise reason replaces the general one: {}",
            event.body
        );
        assert_eq!(
            event.body.matches("class=\"detail\"").count(),
            1,
            "{}",
            event.body
        );
    }
}

#[tokio::test]
async fn the_event_form_offers_time_zones_by_region_with_the_visitors_chosen() {
    for (_db, site) in sites("web_zones").await {
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let form = organiser
            .get_with_cookie("/events/new", "convene_tz", "America%2FNew_York")
            .await;
        assert!(form
            .body
            .contains("<select id=\"time_zone\" name=\"time_zone\""));
        assert!(form.body.contains("<optgroup label=\"Europe\">"));
        assert!(
            form.body
                .contains("<option value=\"America/New_York\" selected>New York</option>"),
            "the browser's zone is chosen"
        );
        assert!(form.body.contains(
            "<option value=\"America/Argentina/Buenos_Aires\">Argentina / Buenos Aires</option>"
        ));
        assert!(
            !form.body.contains("value=\"US/Eastern\""),
            "aliases are left out"
        );
    }
}

#[tokio::test]
async fn cards_show_their_tags_and_a_tag_lists_its_events() {
    for (_db, site) in sites("web_tags").await {
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        create_event(
            &organiser,
            &[("title", "Bike repair"), ("tags", "vélo, repair")],
        )
        .await;
        create_event(&organiser, &[("title", "Choir"), ("tags", "music")]).await;
        let visitor = site.browser("en");
        let home = visitor.get("/").await;
        assert!(
            home.body
                .contains("<a href=\"/?tag=v%C3%A9lo\" dir=\"auto\">#vélo</a>"),
            "{}",
            home.body
        );
        let tagged = visitor.get("/?tag=v%C3%A9lo").await;
        assert!(tagged.body.contains("Bike repair") && !tagged.body.contains(">Choir<"));
        assert!(tagged.body.contains("Events tagged #vélo."));
        assert!(
            tagged
                .body
                .contains("<input type=\"hidden\" name=\"tag\" value=\"vélo\">"),
            "the other filters keep the tag"
        );
    }
}
