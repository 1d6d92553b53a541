//! Maps: none (no markup, no Leaflet, no policy) unless the instance names a tile server; with
//! one, the event page, the home page and search results carry the map's data, link Leaflet
//! and the map script (served here), and tell the browser images may come from the tile host.

use crate::sites;
use crate::support::{create_event, Browser, Page, Site};
use convene_projections::scratch::test_urls;
use convene_web::map::TileServer;

const TILES: &str = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png";

/// The value of the first `name="…"` attribute in `body`, unescaped; empty if there is none.
fn attribute(body: &str, name: &str) -> String {
    let marker = format!(" {name}=\"");
    let Some(start) = body.find(&marker).map(|at| at + marker.len()) else {
        return String::new();
    };
    let value = &body[start..start + body[start..].find('"').unwrap_or(0)];
    value
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// One event with coordinates in Lyon, one in Paris without; their ids.
async fn two_events(organiser: &Browser) -> (String, String) {
    let lyon = create_event(
        organiser,
        &[
            ("title", "Repair café <Lyon>"),
            ("locality", "Lyon"),
            ("latitude", "45.75"),
            ("longitude", "4.85"),
        ],
    )
    .await;
    let paris = create_event(organiser, &[("title", "Climate march")]).await;
    (lyon, paris)
}

fn assert_no_map(page: &Page, what: &str) {
    assert_eq!(page.status, 200, "{what}: {}", page.body);
    for absent in ["class=\"map\"", "leaflet", "/static/map.", "data-tiles"] {
        assert!(
            !page.body.contains(absent),
            "{what} has {absent}: {}",
            page.body
        );
    }
    assert!(
        !page.headers.contains_key("content-security-policy"),
        "{what}"
    );
}

#[tokio::test]
async fn without_a_tile_server_no_page_has_a_map_or_leaflet() {
    for (_db, site) in sites("web_maps_off").await {
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let (lyon, _) = two_events(&organiser).await;
        site.indexed().await;
        let visitor = site.browser("en");
        let event = visitor.get(&format!("/events/{lyon}")).await;
        assert_no_map(&event, "event page");
        // The link to OpenStreetMap stays, the one way to a map without a tile server.
        assert!(
            event
                .body
                .contains("https://www.openstreetmap.org/?mlat=45.75&amp;mlon=4.85"),
            "{}",
            event.body
        );
        assert_no_map(&visitor.get("/").await, "home");
        assert_no_map(&visitor.get("/search?q=repair").await, "search");
    }
}

/// The map's script and Leaflet are linked by content hash and served from here.
async fn assert_map_assets(visitor: &Browser, page: &Page) {
    for (marker, content_type) in [
        (
            "<link rel=\"stylesheet\" href=\"/static/vendor/leaflet/leaflet.",
            "text/css",
        ),
        (
            "<script src=\"/static/vendor/leaflet/leaflet.",
            "text/javascript",
        ),
        ("<script src=\"/static/map.", "text/javascript"),
    ] {
        let start = page.body.find(marker).expect(marker) + marker.find("/static").unwrap_or(0);
        let href = &page.body[start..start + page.body[start..].find('"').expect("quoted")];
        let asset = visitor.get(href).await;
        assert_eq!(asset.status, 200, "{href}");
        assert!(asset.content_type.starts_with(content_type), "{href}");
        assert_eq!(
            asset.header("cache-control"),
            "public, max-age=31536000, immutable",
            "{href}"
        );
    }
    // Leaflet's stylesheet points to its marker, by a name relative to it.
    let marker = visitor
        .get("/static/vendor/leaflet/images/marker-icon.png")
        .await;
    assert_eq!(marker.status, 200);
    assert_eq!(marker.content_type, "image/png");
    assert!(marker.bytes.starts_with(b"\x89PNG"));
}

/// The map's points, as JSON.
fn points(page: &Page) -> serde_json::Value {
    serde_json::from_str(&attribute(&page.body, "data-points")).expect("points")
}

#[tokio::test]
async fn with_a_tile_server_the_event_page_home_and_search_show_a_map() {
    let tiles = TileServer::new(TILES, "© Test tiles & <co>").expect("tiles");
    for scratch in test_urls("web_maps_on").await {
        let site = Site::start_with_tiles(&scratch, tiles.clone()).await;
        let organiser = Browser::member(&site, "org@example.org", "org", "en").await;
        let (lyon, paris) = two_events(&organiser).await;
        site.indexed().await;
        let visitor = site.browser("en");

        let event = visitor.get(&format!("/events/{lyon}")).await;
        assert_eq!(event.status, 200, "{}", event.body);
        assert!(event.body.contains("<div class=\"map\""), "{}", event.body);
        assert_eq!(attribute(&event.body, "data-tiles"), TILES);
        assert_eq!(
            attribute(&event.body, "data-attribution"),
            "© Test tiles & <co>"
        );
        assert_eq!(attribute(&event.body, "data-label"), "Map of the place");
        assert_eq!(
            points(&event),
            serde_json::json!([{"lat": 45.75, "lon": 4.85, "title": "Repair café <Lyon>"}])
        );
        assert_eq!(
            event.header("content-security-policy"),
            "script-src 'self'; object-src 'none'; base-uri 'self'; img-src 'self' data: http://127.0.0.1:9"
        );
        // Without JavaScript the place stays text with its link.
        assert!(event.body.contains("See on OpenStreetMap"));
        assert_map_assets(&visitor, &event).await;

        // No coordinates, no map: nothing to draw, nothing to load.
        assert_no_map(
            &visitor.get(&format!("/events/{paris}")).await,
            "the event without coordinates",
        );

        let home = visitor.get("/").await;
        assert_eq!(attribute(&home.body, "data-label"), "Map of these events");
        assert_eq!(
            points(&home),
            serde_json::json!([{
                "lat": 45.75, "lon": 4.85, "title": "Repair café <Lyon>",
                "link": format!("/events/{lyon}"),
            }])
        );
        assert!(home
            .header("content-security-policy")
            .contains("img-src 'self' data: http://127.0.0.1:9"));
        assert!(home.body.contains("<script src=\"/static/map."));

        let french = site.browser("fr");
        let found = french.get("/search?q=repair").await;
        assert_eq!(found.status, 200, "{}", found.body);
        assert_eq!(
            attribute(&found.body, "data-label"),
            "Carte des événements trouvés"
        );
        assert_eq!(
            points(&found)[0]["link"],
            serde_json::json!(format!("/events/{lyon}"))
        );
        assert_eq!(
            attribute(&found.body, "data-attribution"),
            "© Test tiles & <co>"
        );
        assert!(found
            .header("content-security-policy")
            .contains("http://127.0.0.1:9"));
        // Results without coordinates make no map.
        assert_no_map(&french.get("/search?q=march").await, "search in Paris");
    }
}
