//! Pictures as ActivityStreams writes them: an `Image` (an actor's `icon` and `image`, an
//! event's `image`) and the `Document` attachment named "Banner" that Mobilizon reads as an
//! event's picture. Both point at the widest rendition stored here, with its size.

use super::base;
use convene_domain::picture::ShownPicture;
use serde::{Deserialize, Serialize};

/// The name Mobilizon gives the attachment that is an event's picture.
pub const BANNER: &str = "Banner";

/// Renditions are re-encoded as JPEG.
const MEDIA_TYPE: &str = "image/jpeg";

/// An `Image`: `name` is its alternative text (absent when there is none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageObject {
    #[serde(rename = "type")]
    pub kind: String,
    pub media_type: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// The picture's `Document` attachment: `name` is Mobilizon's "Banner" marker, so the
/// alternative text goes in `summary`, where Mastodon looks first for a description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentObject {
    #[serde(rename = "type")]
    pub kind: String,
    pub media_type: String,
    pub url: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// The absolute address of `picture`'s widest rendition.
pub fn picture_url(public_url: &str, picture: &ShownPicture) -> String {
    let path = convene_api::pictures::url(
        &picture.facts.hash,
        picture.facts.width,
        convene_api::pictures::store::Format::Jpeg,
    );
    format!("{}{path}", base(public_url))
}

/// `picture` as an `Image`, its alternative text as `name`.
pub fn image_object(public_url: &str, picture: &ShownPicture) -> ImageObject {
    ImageObject {
        kind: "Image".into(),
        media_type: MEDIA_TYPE.into(),
        url: picture_url(public_url, picture),
        name: (!picture.alt.is_empty()).then(|| picture.alt.clone()),
        width: Some(picture.facts.width),
        height: Some(picture.facts.height),
    }
}

/// `picture` as the "Banner" `Document` of an event.
pub fn banner_document(public_url: &str, picture: &ShownPicture) -> DocumentObject {
    DocumentObject {
        kind: "Document".into(),
        media_type: MEDIA_TYPE.into(),
        url: picture_url(public_url, picture),
        name: BANNER.into(),
        summary: (!picture.alt.is_empty()).then(|| picture.alt.clone()),
        width: Some(picture.facts.width),
        height: Some(picture.facts.height),
    }
}
