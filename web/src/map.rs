//! Maps, when the instance names a tile server (`--tile-url`): the event page shows its place,
//! the home page and the search results theirs, drawn by Leaflet (served here, the one
//! optional script) from the points a `<div class="map">` carries in data attributes. Without
//! a tile server there is no map markup and no Leaflet; the places stay text, with the
//! OpenStreetMap link, in any case. Pages with a map say which hosts images may come from, so
//! that the tiles load from the one server the administrator chose and scripts only from here.

use crate::render::Pages;
use crate::visitor::Visitor;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Serialize;
use tera::Context;

/// The tile server an administrator configured, and the attribution its terms ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileServer {
    /// `https://tiles.example.org/{z}/{x}/{y}.png`, as Leaflet reads it.
    pub url: String,
    /// Plain text, shown on every map.
    pub attribution: String,
    /// `https://tiles.example.org`, or `https://*.tiles.example.org` for a `{s}` subdomain.
    origin: String,
}

impl TileServer {
    /// The server `url` names, credited with `attribution`; the error says what is wrong.
    pub fn new(url: &str, attribution: &str) -> Result<TileServer, String> {
        let url = url.trim();
        let attribution = attribution.trim();
        let example = "use one such as https://tiles.example.org/{z}/{x}/{y}.png";
        let sample = url
            .replacen("{s}.", "a.", 1)
            .replace("{z}", "1")
            .replace("{x}", "0")
            .replace("{y}", "0")
            .replace("{r}", "");
        let placeholders = ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p));
        if !placeholders || !convene_domain::validation::is_web_url(&sample) {
            return Err(format!(
                "--tile-url `{url}` is not a tile address with {{z}}, {{x}} and {{y}}: {example}"
            ));
        }
        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        // `{s}` may stand for the first label only, which a CSP source writes `*`.
        let host = authority
            .strip_prefix("{s}.")
            .map_or_else(|| authority.to_string(), |after| format!("*.{after}"));
        if host.contains(['{', '}', '@']) {
            return Err(format!(
                "--tile-url `{url}` may only hold {{s}} at the start of its host: {example}"
            ));
        }
        if attribution.is_empty() {
            return Err(format!(
                "--tile-url {url} needs --tile-attribution: the credit the tile server's terms ask for, such as \"© OpenStreetMap contributors\""
            ));
        }
        Ok(TileServer {
            url: url.to_string(),
            attribution: attribution.to_string(),
            origin: format!("{}://{host}", scheme.to_ascii_lowercase()),
        })
    }

    /// Where tiles come from, as a Content-Security-Policy source.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

/// A place on a map: a marker, its title, and the page it leads to (none on the event's own).
#[derive(Debug, Serialize)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// What `map.html` shows: the `<div>` Leaflet draws in.
#[derive(Debug, Serialize)]
pub struct MapView {
    pub tiles: String,
    pub attribution: String,
    /// The map's accessible name ("Map of the events found").
    pub label: String,
    /// The points, as JSON.
    pub points: String,
}

/// The map of `points` (those with coordinates), if the instance has tiles and there is one.
pub fn view(tiles: Option<&TileServer>, label: String, points: Vec<Point>) -> Option<MapView> {
    let tiles = tiles?;
    let points: Vec<Point> = points
        .into_iter()
        .filter(|p| p.lat.is_finite() && p.lon.is_finite())
        .collect();
    if points.is_empty() {
        return None;
    }
    Some(MapView {
        tiles: tiles.url.clone(),
        attribution: tiles.attribution.clone(),
        label,
        points: serde_json::to_string(&points).unwrap_or_else(|_| "[]".into()),
    })
}

/// `response`, a page showing a map, with the policy that lets images load from here, from
/// the tile server and from the other addresses the page shows pictures from (`pictures`:
/// their `src`; pictures of other instances' events are linked, not copied), and scripts only
/// from here.
pub fn with_policy<'a>(
    mut response: Response,
    tiles: &TileServer,
    pictures: impl IntoIterator<Item = &'a str>,
) -> Response {
    let mut sources = vec![
        "'self'".to_string(),
        "data:".to_string(),
        tiles.origin.clone(),
    ];
    for src in pictures {
        if let Ok(url) = url::Url::parse(src) {
            let origin = url.origin().ascii_serialization();
            if matches!(url.scheme(), "http" | "https") && !sources.contains(&origin) {
                sources.push(origin);
            }
        }
    }
    let policy = format!(
        "script-src 'self'; object-src 'none'; base-uri 'self'; img-src {}",
        sources.join(" ")
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// `template` rendered with `map` (as `tile_map`, which also links Leaflet), under the policy
/// above; without a map, rendered as any page.
pub fn render(
    pages: &Pages,
    visitor: &Visitor,
    status: StatusCode,
    template: &str,
    mut context: Context,
    map: Option<MapView>,
    pictures: &[String],
) -> Response {
    let (Some(map), Some(tiles)) = (map, &pages.tiles) else {
        return pages.render(visitor, status, template, context);
    };
    context.insert("tile_map", &map);
    let response = pages.render(visitor, status, template, context);
    with_policy(response, tiles, pictures.iter().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tile_url_needs_its_placeholders_and_an_attribution() {
        let osm = TileServer::new(
            "https://{s}.tile.example.org/{z}/{x}/{y}.png",
            "© OpenStreetMap",
        )
        .expect("valid");
        assert_eq!(osm.origin(), "https://*.tile.example.org");
        let local =
            TileServer::new("http://127.0.0.1:9000/t/{z}/{x}/{y}.png", "Tiles").expect("valid");
        assert_eq!(local.origin(), "http://127.0.0.1:9000");
        for (url, attribution, said) in [
            (
                "https://tiles.example.org/{z}/{x}.png",
                "x",
                "{z}, {x} and {y}",
            ),
            ("tiles/{z}/{x}/{y}.png", "x", "is not a tile address"),
            ("javascript:{z}{x}{y}", "x", "is not a tile address"),
            ("https://a{s}.example.org/{z}/{x}/{y}.png", "x", "{s}"),
            (
                "https://tiles.example.org/{z}/{x}/{y}.png",
                " ",
                "needs --tile-attribution",
            ),
        ] {
            let error = TileServer::new(url, attribution).expect_err(url);
            assert!(error.contains(said), "{url}: {error}");
        }
    }

    #[test]
    fn the_policy_allows_the_tiles_and_the_pictures_shown_from_elsewhere() {
        let tiles = TileServer::new("https://t.example.org/{z}/{x}/{y}.png", "T").expect("valid");
        let response = with_policy(
            Response::new(axum::body::Body::empty()),
            &tiles,
            [
                "/pictures/abc/640.jpg",
                "https://other.example/media/a.jpg",
                "https://other.example/media/b.jpg",
                "javascript:alert(1)",
            ],
        );
        assert_eq!(
            response.headers()[header::CONTENT_SECURITY_POLICY],
            "script-src 'self'; object-src 'none'; base-uri 'self'; \
             img-src 'self' data: https://t.example.org https://other.example"
        );
    }

    #[test]
    fn no_tiles_or_no_point_means_no_map() {
        let tiles = TileServer::new("https://t.example.org/{z}/{x}/{y}.png", "T").expect("valid");
        let point = || Point {
            lat: 45.75,
            lon: 4.85,
            title: "Repair café".into(),
            link: None,
        };
        assert!(view(None, "Map".into(), vec![point()]).is_none());
        assert!(view(Some(&tiles), "Map".into(), Vec::new()).is_none());
        let map = view(Some(&tiles), "Map".into(), vec![point()]).expect("a map");
        assert_eq!(
            map.points,
            r#"[{"lat":45.75,"lon":4.85,"title":"Repair café"}]"#
        );
    }
}
