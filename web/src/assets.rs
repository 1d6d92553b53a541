//! The stylesheet and the script, served under names holding a hash of their content: browsers
//! keep them for a year and fetch them again only when a new version changes the name. The
//! plain names stay served, cached for an hour, for pages saved before.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

struct Asset {
    /// `convene.css`
    name: &'static str,
    /// `convene.1a2b3c4d5e.css`
    hashed: String,
    content_type: &'static str,
    body: &'static str,
}

impl Asset {
    fn new(name: &'static str, content_type: &'static str, body: &'static str) -> Asset {
        let hash = hex::encode(&Sha256::digest(body.as_bytes())[..5]);
        let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
        Asset {
            name,
            hashed: format!("{stem}.{hash}.{extension}"),
            content_type,
            body,
        }
    }
}

static ASSETS: LazyLock<[Asset; 2]> = LazyLock::new(|| {
    [
        Asset::new(
            "convene.css",
            "text/css; charset=utf-8",
            include_str!("../static/convene.css"),
        ),
        Asset::new(
            "convene.js",
            "text/javascript; charset=utf-8",
            include_str!("../static/convene.js"),
        ),
    ]
});

/// Where pages link the assets.
#[derive(Serialize)]
pub struct Links {
    pub css: String,
    pub js: String,
}

pub fn links() -> Links {
    let [css, js] = &*ASSETS;
    Links {
        css: format!("/static/{}", css.hashed),
        js: format!("/static/{}", js.hashed),
    }
}

/// `GET /static/{file}`.
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
        let a = Asset::new("convene.css", "text/css", "body { color: red }");
        let b = Asset::new("convene.css", "text/css", "body { color: blue }");
        assert!(a.hashed.starts_with("convene.") && a.hashed.ends_with(".css"));
        assert_eq!(a.hashed.len(), "convene..css".len() + 10);
        assert_ne!(a.hashed, b.hashed);
    }
}
