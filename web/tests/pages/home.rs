//! The home page: upcoming events under a heading per day, in the visitor's language, each
//! event on the day it begins in its own time zone; the header's menu, a disclosure that works
//! without JavaScript.

use crate::sites;
use crate::support::{create_event, Browser};

/// Where `needle` first is in `body`, failing loudly.
fn at(body: &str, needle: &str) -> usize {
    body.find(needle)
        .unwrap_or_else(|| panic!("{needle} is not on the page"))
}

#[tokio::test]
async fn the_home_page_groups_events_by_day_in_the_visitors_language() {
    for (db, site) in sites("web_home_days").await {
        let label = db.label;
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        for (title, begins_at, ends_at, zone) in [
            (
                "Morning market",
                "2030-06-02T10:00",
                "2030-06-02T12:00",
                "Europe/Paris",
            ),
            (
                "Afternoon march",
                "2030-06-01T14:00",
                "2030-06-01T17:00",
                "Europe/Paris",
            ),
            // 20:00 UTC on June 1st, but June 2nd where it happens: on the 2nd.
            (
                "Auckland breakfast",
                "2030-06-02T08:00",
                "2030-06-02T09:00",
                "Pacific/Auckland",
            ),
            // 20:30 UTC, after the breakfast, but still June 1st in Paris: on the 1st.
            (
                "Late concert",
                "2030-06-01T22:30",
                "2030-06-01T23:30",
                "Europe/Paris",
            ),
        ] {
            create_event(
                &organiser,
                &[
                    ("title", title),
                    ("begins_at", begins_at),
                    ("ends_at", ends_at),
                    ("time_zone", zone),
                ],
            )
            .await;
        }
        for (language, first, second) in [
            ("en", "Saturday, June 1, 2030", "Sunday, June 2, 2030"),
            ("fr", "samedi 1 juin 2030", "dimanche 2 juin 2030"),
        ] {
            let home = site.browser(language).get("/").await;
            assert_eq!(home.status, 200, "{label}");
            let body = &home.body;
            let first_day = at(
                body,
                &format!(
                    "<h2 id=\"day-2030-06-01\" class=\"day-heading\"><time datetime=\"2030-06-01\">{first}</time></h2>"
                ),
            );
            let second_day = at(
                body,
                &format!(
                    "<h2 id=\"day-2030-06-02\" class=\"day-heading\"><time datetime=\"2030-06-02\">{second}</time></h2>"
                ),
            );
            let march = at(body, "Afternoon march");
            let concert = at(body, "Late concert");
            let breakfast = at(body, "Auckland breakfast");
            let market = at(body, "Morning market");
            assert!(
                first_day < march && march < concert && concert < second_day,
                "{label} {language}: the 1st's events under the 1st"
            );
            assert!(
                second_day < breakfast && breakfast < market,
                "{label} {language}: the 2nd's events under the 2nd, in order of their start"
            );
            assert_eq!(body.matches("class=\"day-heading\"").count(), 2);
            // Under a day's heading, each event's title is a heading of the level below.
            assert!(
                body[march - 80..march].contains("<h3><a href=\"/events/"),
                "{label} {language}"
            );
            assert!(body.contains("aria-labelledby=\"day-2030-06-01\""));
        }
        // The filters fold on phones, open when one is in use.
        let folded = site.browser("en").get("/").await;
        assert!(
            folded
                .body
                .contains("<details class=\"fold filters-fold\">\n<summary>Filters</summary>"),
            "{label}"
        );
        let filtered = site.browser("fr").get("/?category=CAUSES").await;
        assert!(
            filtered
                .body
                .contains("<details class=\"fold filters-fold\" open>\n<summary>Filtres</summary>"),
            "{label}"
        );
        assert!(filtered.body.contains("Afternoon march"), "{label}");
        // Nothing to show: one sentence, no day.
        let none = site.browser("en").get("/?category=SPORTS").await;
        assert!(none.body.contains("No upcoming event matches"), "{label}");
        assert!(!none.body.contains("day-heading"), "{label}");
    }
}

#[tokio::test]
async fn the_header_menu_is_a_disclosure_in_the_visitors_language() {
    for (db, site) in sites("web_home_menu").await {
        let label = db.label;
        for (language, register) in [("en", "Register"), ("fr", "S’inscrire")] {
            let home = site.browser(language).get("/").await;
            let body = &home.body;
            let menu = at(body, "<details class=\"menu fold\">");
            let summary = at(body, "<summary>Menu</summary>");
            let end = at(body, "</details>");
            // Search, links and languages are all inside it, after its button.
            for inside in [
                "action=\"/search\" role=\"search\"",
                "<nav aria-label=\"Convene\">",
                "href=\"/register\"",
                register,
                "class=\"languages\"",
            ] {
                let found = at(body, inside);
                assert!(
                    menu < summary && summary < found && found < end,
                    "{label} {language}: {inside} in the menu"
                );
            }
        }
        // A member's unread notifications show on the button too, for phones.
        let member = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let page = member.get("/").await;
        assert!(
            page.body.contains("<summary>Menu</summary>"),
            "{label}: nothing unread yet"
        );
        // The stylesheet shows the links in a row where a closed disclosure can show them, and
        // the button only on narrow screens.
        let css_link = at(&page.body, "<link rel=\"stylesheet\" href=\"");
        let href: String = page.body[css_link + "<link rel=\"stylesheet\" href=\"".len()..]
            .chars()
            .take_while(|c| *c != '"')
            .collect();
        let css = site.browser("en").get(&href).await;
        assert_eq!(css.status, 200, "{label}");
        assert!(css.body.contains("@supports selector(::details-content)"));
        assert!(css
            .body
            .contains("details.fold::details-content { content-visibility: visible; }"));
        assert!(css.body.contains(".day-heading {"));
    }
}

/// The value of attribute `name` of the first tag of `body` starting with `start`.
fn attribute_of(body: &str, start: &str, name: &str) -> String {
    let from = at(body, start);
    let tag = &body[from..from + body[from..].find('>').expect("the tag's end")];
    let marker = format!(" {name}=\"");
    let value = tag.find(&marker).expect("the attribute") + marker.len();
    tag[value..].chars().take_while(|c| *c != '"').collect()
}

#[tokio::test]
async fn every_page_links_the_instance_s_favicon_and_shows_its_logo() {
    for (db, site) in sites("web_brand_default").await {
        let label = db.label;
        let visitor = site.browser("en");
        let mut links = Vec::new();
        for path in ["/", "/login", "/calendar", "/about", "/no/such/page"] {
            let page = visitor.get(path).await;
            let icon = attribute_of(&page.body, "<link rel=\"icon\"", "href");
            let logo = attribute_of(&page.body, "<a class=\"brand\"", "href");
            assert_eq!(logo, "/", "{label} {path}");
            let logo = attribute_of(&page.body, "<img class=\"logo\"", "src");
            links.push((icon, logo));
        }
        links.dedup();
        assert_eq!(links.len(), 1, "{label}: the same on every page");
        let (icon, logo) = links.remove(0);
        assert!(
            icon.starts_with("/static/favicon.") && icon.ends_with(".svg"),
            "{icon}"
        );
        assert!(
            logo.starts_with("/static/logo.") && logo.ends_with(".svg"),
            "{logo}"
        );
        for link in [&icon, &logo] {
            let served = visitor.get(link).await;
            assert_eq!(served.status, 200, "{label}: {link}");
            assert_eq!(served.content_type, "image/svg+xml");
            assert_eq!(
                served.header("cache-control"),
                "public, max-age=31536000, immutable"
            );
        }
        // Pages saved before a new version still find it under its plain name, for an hour.
        let plain = visitor.get("/static/favicon.svg").await;
        assert_eq!(plain.header("cache-control"), "public, max-age=3600");
    }
}

#[tokio::test]
async fn an_administrator_s_own_favicon_and_logo_replace_convene_s() {
    let folder = tempfile::tempdir().expect("a folder");
    let favicon = folder.path().join("favicon.ico");
    let logo = folder.path().join("our logo.png");
    let png = {
        let mut bytes = Vec::new();
        image::RgbImage::from_pixel(4, 4, image::Rgb([200, 30, 30]))
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .expect("a PNG");
        bytes
    };
    std::fs::write(&favicon, [&[0u8, 0, 1, 0][..], &[1; 60][..]].concat()).expect("written");
    std::fs::write(&logo, &png).expect("written");
    // A file that is no picture stops the start, naming the option and the file.
    let text = folder.path().join("notes.txt");
    std::fs::write(&text, "not a picture").expect("written");
    let refused = convene_web::assets::Brand::from_files(None, Some(&text)).err();
    assert!(
        refused.as_deref().is_some_and(|e| e.starts_with("--logo ")
            && e.contains("notes.txt")
            && e.contains("not an SVG")),
        "{refused:?}"
    );
    for scratch in crate::test_urls("web_brand_own").await {
        let brand =
            convene_web::assets::Brand::from_files(Some(&favicon), Some(&logo)).expect("the brand");
        let site = crate::support::Site::start_with_brand(&scratch, brand).await;
        let visitor = site.browser("fr");
        let home = visitor.get("/").await;
        let icon = attribute_of(&home.body, "<link rel=\"icon\"", "href");
        assert_eq!(
            attribute_of(&home.body, "<link rel=\"icon\"", "type"),
            "image/x-icon"
        );
        let shown = attribute_of(&home.body, "<img class=\"logo\"", "src");
        // Named after their content, never after the file's name.
        assert!(
            icon.starts_with("/static/favicon.") && icon.ends_with(".ico"),
            "{icon}"
        );
        assert!(
            shown.starts_with("/static/logo.") && shown.ends_with(".png"),
            "{shown}"
        );
        let served = visitor.get(&shown).await;
        assert_eq!(served.status, 200);
        assert_eq!(served.content_type, "image/png");
        assert_eq!(
            served.header("cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(served.bytes, png);
        assert_eq!(visitor.get(&icon).await.content_type, "image/x-icon");
    }
}
