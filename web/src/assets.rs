//! The stylesheet and the scripts, served under names holding a hash of their content: browsers
//! keep them for a year and fetch them again only when a new version changes the name. The
//! plain names stay served, cached for an hour, for pages saved before. Leaflet (under
//! `vendor/leaflet/`) is served the same way, for the pages showing a map; its marker images
//! keep their names, which its stylesheet and script point to.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

struct Asset {
    /// `convene.css`, `vendor/leaflet/leaflet.js`
    name: &'static str,
    /// `convene.1a2b3c4d5e.css`
    hashed: String,
    content_type: &'static str,
    body: &'static [u8],
}

impl Asset {
    fn new(name: &'static str, content_type: &'static str, body: &'static [u8]) -> Asset {
        let hash = hex::encode(&Sha256::digest(body)[..5]);
        let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
        Asset {
            name,
            hashed: format!("{stem}.{hash}.{extension}"),
            content_type,
            body,
        }
    }
}

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: LazyLock<[Asset; 8]> = LazyLock::new(|| {
    [
        Asset::new("convene.css", CSS, include_bytes!("../static/convene.css")),
        Asset::new("convene.js", JS, include_bytes!("../static/convene.js")),
        Asset::new("map.js", JS, include_bytes!("../static/map.js")),
        Asset::new(
            "vendor/leaflet/leaflet.css",
            CSS,
            include_bytes!("../static/vendor/leaflet/leaflet.css"),
        ),
        Asset::new(
            "vendor/leaflet/leaflet.js",
            JS,
            include_bytes!("../static/vendor/leaflet/leaflet.js"),
        ),
        Asset::new(
            "vendor/leaflet/images/marker-icon.png",
            "image/png",
            include_bytes!("../static/vendor/leaflet/images/marker-icon.png"),
        ),
        Asset::new(
            "vendor/leaflet/images/marker-icon-2x.png",
            "image/png",
            include_bytes!("../static/vendor/leaflet/images/marker-icon-2x.png"),
        ),
        Asset::new(
            "vendor/leaflet/images/marker-shadow.png",
            "image/png",
            include_bytes!("../static/vendor/leaflet/images/marker-shadow.png"),
        ),
    ]
});

/// Where pages link the assets.
#[derive(Serialize)]
pub struct Links {
    pub css: String,
    pub js: String,
    /// Only the pages showing a map link these.
    pub map_js: String,
    pub leaflet_css: String,
    pub leaflet_js: String,
}

pub fn links() -> Links {
    let [css, js, map_js, leaflet_css, leaflet_js, ..] = &*ASSETS;
    let link = |asset: &Asset| format!("/static/{}", asset.hashed);
    Links {
        css: link(css),
        js: link(js),
        map_js: link(map_js),
        leaflet_css: link(leaflet_css),
        leaflet_js: link(leaflet_js),
    }
}

/// `GET /static/{*file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    for asset in ASSETS.iter() {
        let cache = if file == asset.hashed {
            "public, max-age=31536000, immutable"
        } else if file == asset.name {
            "public, max-age=3600"
        } else {
            continue;
        };
        return (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, cache),
            ],
            asset.body,
        )
            .into_response();
    }
    StatusCode::NOT_FOUND.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_change_with_the_content() {
        let a = Asset::new("convene.css", "text/css", b"body { color: red }");
        let b = Asset::new("convene.css", "text/css", b"body { color: blue }");
        assert!(a.hashed.starts_with("convene.") && a.hashed.ends_with(".css"));
        assert_eq!(a.hashed.len(), "convene..css".len() + 10);
        assert_ne!(a.hashed, b.hashed);
        let leaflet = Asset::new("vendor/leaflet/leaflet.js", "text/javascript", b"L");
        assert!(leaflet.hashed.starts_with("vendor/leaflet/leaflet."));
    }
}
