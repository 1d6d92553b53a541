//! Page handlers, one module per area.

pub mod accounts;
pub mod anonymous;
pub mod event;
pub mod event_form;
pub mod home;
pub mod organise;
pub mod settings;

use crate::render::see_other;
use crate::visitor::Visitor;
use crate::Web;
use axum::http::StatusCode;
use axum::response::Response;
use convene_api::auth::Acting;
use std::collections::HashMap;

/// A posted form, field by field.
pub type Fields = axum::Form<HashMap<String, String>>;

/// The trimmed value of `name` ("" when absent).
pub fn field(form: &HashMap<String, String>, name: &str) -> String {
    form.get(name)
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

/// A posted form must carry the visitor's CSRF token; otherwise a 403 page says why.
pub fn check_csrf(
    web: &Web,
    visitor: &Visitor,
    form: &HashMap<String, String>,
) -> Result<(), Response> {
    if visitor.csrf_ok(form.get("_csrf")) {
        return Ok(());
    }
    let catalogue = web.pages.catalogue(visitor);
    let mut response = web.pages.message(
        visitor,
        &catalogue.text("error_403_title"),
        &catalogue.text("csrf_failed"),
    );
    *response.status_mut() = StatusCode::FORBIDDEN;
    Err(response)
}

/// The logged-in visitor acting as `profile` (or their default profile); logged-out visitors
/// are sent to the login page and back.
pub async fn acting(
    web: &Web,
    visitor: &Visitor,
    profile: Option<String>,
) -> Result<Acting, Response> {
    let Some(session) = visitor.session.clone() else {
        return Err(login_first(visitor));
    };
    let profile = profile.filter(|p| !p.is_empty());
    session
        .acting_as(&web.app, profile)
        .await
        .map_err(|problem| web.pages.problem(visitor, &problem))
}

/// A redirection to the login page, coming back here afterwards.
pub fn login_first(visitor: &Visitor) -> Response {
    see_other(visitor, &format!("/login?next={}", encode(&visitor.here)))
}

/// Percent-encodes a path for a query parameter.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only same-site paths are followed after a login (never another host).
pub fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_string()
    } else {
        "/".to_string()
    }
}
