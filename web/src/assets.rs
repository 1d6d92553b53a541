//! The stylesheet, the scripts and the pictures of the instance itself (its favicon, its logo and
//! the default picture of each event category), served under names holding a hash of their
//! content: browsers keep them for a year and fetch them again only when a new version changes
//! the name. The plain names stay served, cached for an hour, for pages saved before. Leaflet
//! (under `vendor/leaflet/`) is served the same way, for the pages showing a map; its marker
//! images keep their names, which its stylesheet and script point to.
//!
//! An administrator replaces the favicon and the logo with files of their own (`--favicon`,
//! `--logo`): read once at start, served the same way (a [`Brand`]).

use crate::Web;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::sync::LazyLock;

pub struct Asset {
    /// `convene.css`, `vendor/leaflet/leaflet.js`
    name: Cow<'static, str>,
    /// `convene.1a2b3c4d5e.css`
    hashed: String,
    content_type: &'static str,
    body: Cow<'static, [u8]>,
}

impl Asset {
    fn new(
        name: impl Into<Cow<'static, str>>,
        content_type: &'static str,
        body: impl Into<Cow<'static, [u8]>>,
    ) -> Asset {
        let (name, body) = (name.into(), body.into());
        let hash = hex::encode(&Sha256::digest(&body)[..5]);
        let (stem, extension) = name.rsplit_once('.').unwrap_or((&name, ""));
        Asset {
            hashed: format!("{stem}.{hash}.{extension}"),
            name,
            content_type,
            body,
        }
    }

    fn link(&self) -> String {
        format!("/static/{}", self.hashed)
    }
}

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// The default picture of each category (`categories/music.svg` for `MUSIC`): its colour and a
/// plain shape, 1200×630 as link previews show them.
macro_rules! categories {
    ($($file:literal),* $(,)?) => {
        [$((
            concat!("categories/", $file, ".svg"),
            include_bytes!(concat!("../static/categories/", $file, ".svg")).as_slice(),
        )),*]
    };
}

const CATEGORY_PICTURES: [(&str, &[u8]); 30] = categories![
    "arts",
    "book_clubs",
    "business",
    "causes",
    "comedy",
    "crafts",
    "food_drink",
    "health",
    "music",
    "auto_boat_air",
    "community",
    "family_education",
    "fashion_beauty",
    "film_media",
    "games",
    "language_culture",
    "learning",
    "lgbtq",
    "movements_politics",
    "networking",
    "party",
    "performing_visual_arts",
    "pets",
    "photography",
    "outdoors_adventure",
    "spirituality_religion_beliefs",
    "science_tech",
    "sports",
    "theatre",
    "meeting",
];

/// The width and height of the category pictures.
pub const CATEGORY_PICTURE_SIZE: (u32, u32) = (1200, 630);

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    let mut assets = vec![
        Asset::new(
            "convene.css",
            CSS,
            include_bytes!("../static/convene.css").as_slice(),
        ),
        Asset::new(
            "convene.js",
            JS,
            include_bytes!("../static/convene.js").as_slice(),
        ),
        Asset::new("map.js", JS, include_bytes!("../static/map.js").as_slice()),
        Asset::new(
            "vendor/leaflet/leaflet.css",
            CSS,
            include_bytes!("../static/vendor/leaflet/leaflet.css").as_slice(),
        ),
        Asset::new(
            "vendor/leaflet/leaflet.js",
            JS,
            include_bytes!("../static/vendor/leaflet/leaflet.js").as_slice(),
        ),
        Asset::new(
            "vendor/leaflet/images/marker-icon.png",
            "image/png",
            include_bytes!("../static/vendor/leaflet/images/marker-icon.png").as_slice(),
        ),
        Asset::new(
            "vendor/leaflet/images/marker-icon-2x.png",
            "image/png",
            include_bytes!("../static/vendor/leaflet/images/marker-icon-2x.png").as_slice(),
        ),
        Asset::new(
            "vendor/leaflet/images/marker-shadow.png",
            "image/png",
            include_bytes!("../static/vendor/leaflet/images/marker-shadow.png").as_slice(),
        ),
        Asset::new(
            "favicon.svg",
            SVG,
            include_bytes!("../static/favicon.svg").as_slice(),
        ),
        Asset::new(
            "logo.svg",
            SVG,
            include_bytes!("../static/logo.svg").as_slice(),
        ),
    ];
    assets.extend(
        CATEGORY_PICTURES
            .iter()
            .map(|(name, body)| Asset::new(*name, SVG, *body)),
    );
    assets
});

fn asset(name: &str) -> &'static Asset {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .expect("an embedded asset")
}

/// The default picture of events in `category` (a Mobilizon category id), by its hashed
/// address; none for a category not known here.
pub fn category_picture(category: &str) -> Option<String> {
    let name = format!("categories/{}.svg", category.to_ascii_lowercase());
    ASSETS.iter().find(|a| a.name == name).map(Asset::link)
}

/// The instance's own favicon and logo: files an administrator chose instead of the defaults.
#[derive(Default)]
pub struct Brand {
    favicon: Option<Asset>,
    logo: Option<Asset>,
}

impl Brand {
    /// `favicon` and `logo` read from these files; none: the default. A file must be an SVG,
    /// PNG, ICO, WebP or JPEG picture (told by its content) of at most 1 MB.
    pub fn from_files(
        favicon: Option<&std::path::Path>,
        logo: Option<&std::path::Path>,
    ) -> Result<Brand, String> {
        let read = |option: &str, stem: &'static str, path: Option<&std::path::Path>| {
            path.map(|path| {
                let body = std::fs::read(path)
                    .map_err(|e| format!("--{option} {}: {e}", path.display()))?;
                Brand::picture(stem, body)
                    .map_err(|reason| format!("--{option} {}: {reason}", path.display()))
            })
            .transpose()
        };
        Ok(Brand {
            favicon: read("favicon", "favicon", favicon)?,
            logo: read("logo", "logo", logo)?,
        })
    }

    fn picture(stem: &'static str, body: Vec<u8>) -> Result<Asset, String> {
        const MAX: usize = 1024 * 1024;
        if body.len() > MAX {
            return Err(format!(
                "at most 1 MB (this file is {} KB)",
                body.len().div_ceil(1024)
            ));
        }
        let start = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
        let (content_type, extension) = if body.starts_with(b"\x89PNG\r\n\x1a\n") {
            ("image/png", "png")
        } else if body.starts_with(&[0, 0, 1, 0]) {
            ("image/x-icon", "ico")
        } else if body.starts_with(b"\xff\xd8\xff") {
            ("image/jpeg", "jpg")
        } else if body.len() > 12 && body.starts_with(b"RIFF") && &body[8..12] == b"WEBP" {
            ("image/webp", "webp")
        } else if start.contains("<svg") {
            (SVG, "svg")
        } else {
            return Err("not an SVG, PNG, ICO, WebP or JPEG picture".into());
        };
        Ok(Asset::new(
            format!("{stem}.{extension}"),
            content_type,
            body,
        ))
    }
}

/// Where pages link the assets.
#[derive(Serialize)]
pub struct Links {
    pub css: String,
    pub js: String,
    /// Only the pages showing a map link these.
    pub map_js: String,
    pub leaflet_css: String,
    pub leaflet_js: String,
    pub favicon: String,
    pub favicon_type: &'static str,
    pub logo: String,
}

pub fn links(brand: &Brand) -> Links {
    let favicon = brand
        .favicon
        .as_ref()
        .unwrap_or_else(|| asset("favicon.svg"));
    Links {
        css: asset("convene.css").link(),
        js: asset("convene.js").link(),
        map_js: asset("map.js").link(),
        leaflet_css: asset("vendor/leaflet/leaflet.css").link(),
        leaflet_js: asset("vendor/leaflet/leaflet.js").link(),
        favicon: favicon.link(),
        favicon_type: favicon.content_type,
        logo: brand
            .logo
            .as_ref()
            .unwrap_or_else(|| asset("logo.svg"))
            .link(),
    }
}

/// `GET /static/{*file}`.
pub async fn serve(State(web): State<Web>, Path(file): Path<String>) -> Response {
    let brand = &web.pages.brand;
    let chosen = [&brand.favicon, &brand.logo].into_iter().flatten();
    for asset in chosen.chain(ASSETS.iter()) {
        let cache = if file == asset.hashed {
            "public, max-age=31536000, immutable"
        } else if file == asset.name {
            "public, max-age=3600"
        } else {
            continue;
        };
        let mut response = (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, cache),
            ],
            asset.body.clone().into_owned(),
        )
            .into_response();
        if asset.content_type == SVG {
            // A picture opened on its own runs nothing, whoever made it.
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                header::HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
            );
        }
        return response;
    }
    StatusCode::NOT_FOUND.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_change_with_the_content() {
        let a = Asset::new("convene.css", "text/css", b"body { color: red }".as_slice());
        let b = Asset::new(
            "convene.css",
            "text/css",
            b"body { color: blue }".as_slice(),
        );
        assert!(a.hashed.starts_with("convene.") && a.hashed.ends_with(".css"));
        assert_eq!(a.hashed.len(), "convene..css".len() + 10);
        assert_ne!(a.hashed, b.hashed);
        let leaflet = Asset::new(
            "vendor/leaflet/leaflet.js",
            "text/javascript",
            b"L".as_slice(),
        );
        assert!(leaflet.hashed.starts_with("vendor/leaflet/leaflet."));
    }

    #[test]
    fn every_category_has_its_picture() {
        for category in convene_domain::event::details::CATEGORIES {
            let link = category_picture(category).expect(category);
            assert!(link.starts_with("/static/categories/") && link.ends_with(".svg"));
        }
        assert_eq!(category_picture("PICNIC"), None);
    }

    #[test]
    fn a_chosen_picture_is_told_by_its_content() {
        let png = Brand::picture("logo", b"\x89PNG\r\n\x1a\n rest".to_vec()).expect("png");
        assert_eq!(
            (png.content_type, png.name.as_ref()),
            ("image/png", "logo.png")
        );
        let svg = Brand::picture("favicon", b"<?xml version=\"1.0\"?>\n<svg/>".to_vec());
        assert_eq!(svg.expect("svg").content_type, SVG);
        assert!(Brand::picture("logo", b"GIF89a".to_vec()).is_err());
        assert!(Brand::picture("logo", vec![0x89; 2 * 1024 * 1024]).is_err());
    }
}
