//! Sharing an event without third-party scripts: its QR code drawn here as SVG, and a form that
//! asks for the visitor's own fediverse instance and hands the event over to its share page.

use super::field;
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use convene_api::events;
use qrcode::render::svg;
use qrcode::QrCode;
use std::collections::HashMap;

/// The event page's address as a QR code, for posters and flyers.
pub async fn qr(State(web): State<Web>, visitor: Visitor, Path(id): Path<String>) -> Response {
    let event = match events::show(&web.app, None, &id).await {
        Ok(event) => event,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let url = format!("{}/events/{}", web.app.config.public_url, event.id);
    let Ok(code) = QrCode::new(url.as_bytes()) else {
        return web.pages.error(&visitor, StatusCode::INTERNAL_SERVER_ERROR);
    };
    let image = code.render::<svg::Color>().min_dimensions(200, 200).build();
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        image,
    )
        .into_response()
}

/// The host of an instance as people type it ("mastodon.social", "@me@mastodon.social",
/// "https://mastodon.social/"), or none when it is not a plain DNS name.
fn instance_host(text: &str) -> Option<String> {
    let text = text.trim().trim_end_matches('/');
    let text = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(text);
    // A full handle names its instance after the last `@`.
    let host = text.rsplit('@').next().unwrap_or_default().to_lowercase();
    let labels_ok = host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    (host.contains('.') && host.len() <= 253 && labels_ok).then_some(host)
}

/// `GET /events/{id}/share?instance=…`: to the instance's share page with the event's title and
/// address filled in (Mastodon, and the servers that copy its `/share?text=`).
pub async fn to_instance(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let event = match events::show(&web.app, None, &id).await {
        Ok(event) => event,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let typed = field(&query, "instance");
    let Some(host) = instance_host(&typed) else {
        let catalogue = web.pages.catalogue(&visitor);
        let mut page = web.pages.message_back(
            &visitor,
            &catalogue.text("share_fediverse"),
            &catalogue.fill("share_bad_instance", &[("instance", &typed)]),
            Some(&event.id),
        );
        *page.status_mut() = StatusCode::BAD_REQUEST;
        return page;
    };
    let text = format!(
        "{}\n{}/events/{}",
        event.details.title, web.app.config.public_url, event.id
    );
    match url::Url::parse_with_params(&format!("https://{host}/share"), [("text", text)]) {
        Ok(to) => Redirect::to(to.as_str()).into_response(),
        Err(_) => web.pages.error(&visitor, StatusCode::BAD_REQUEST),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_are_read_as_people_type_them() {
        for (typed, host) in [
            ("mastodon.social", "mastodon.social"),
            ("  Mastodon.Social/ ", "mastodon.social"),
            ("https://mamot.fr/", "mamot.fr"),
            ("@ana@piaille.fr", "piaille.fr"),
        ] {
            assert_eq!(instance_host(typed).as_deref(), Some(host), "{typed}");
        }
        for bad in [
            "",
            "localhost",
            "evil.example/path",
            "a b.example",
            "javascript:alert(1)",
            "x.example:8080",
            "-bad.example",
        ] {
            assert_eq!(instance_host(bad), None, "{bad}");
        }
    }
}
