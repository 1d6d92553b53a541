//! What everyone reads of the instance: `/about`, its terms and privacy pages, and the
//! transparency log (`/transparency`, with its Atom feed).

use super::field;
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use convene_api::{instance, moderation, Class};
use convene_domain::instance::Transparency;
use convene_domain::metadata::format_timestamp;
use convene_domain::text::markdown_to_html;
use convene_domain::validation::sanitise_html;
use std::collections::HashMap;
use tera::Context;
use time::OffsetDateTime;

/// GET `/about`: the instance's name, description, rules, contact and languages.
pub async fn about(State(web): State<Web>, visitor: Visitor) -> Response {
    let settings = match instance::settings(&web.app).await {
        Ok(settings) => settings,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    // Published only when the instance chooses to (`--publish-domain-decisions`).
    let domains = match moderation::public_domain_decisions(&web.app).await {
        Ok(domains) => Some(domains),
        Err(error) if error.class() == Class::NotFound => None,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let mut context = Context::new();
    context.insert("domains", &domains);
    context.insert("host", &crate::feeds::host(&web));
    context.insert("registrations", settings.registrations.as_str());
    context.insert(
        "transparency",
        &(settings.transparency != Transparency::Off),
    );
    context.insert("settings", &settings);
    web.pages
        .render(&visitor, StatusCode::OK, "about.html", context)
}

/// GET `/about/{page}`: the terms of use (`terms`) or the privacy policy (`privacy`), from the
/// administrators' Markdown; 404 while they wrote none.
pub async fn about_page(
    State(web): State<Web>,
    visitor: Visitor,
    Path(page): Path<String>,
) -> Response {
    let settings = match instance::settings(&web.app).await {
        Ok(settings) => settings,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let source = match page.as_str() {
        "terms" => &settings.terms,
        "privacy" => &settings.privacy,
        _ => return web.pages.error(&visitor, StatusCode::NOT_FOUND),
    };
    if source.trim().is_empty() {
        return web.pages.error(&visitor, StatusCode::NOT_FOUND);
    }
    let mut context = Context::new();
    context.insert("page", &page);
    context.insert("html", &sanitise_html(&markdown_to_html(source)));
    web.pages
        .render(&visitor, StatusCode::OK, "about_page.html", context)
}

/// GET `/transparency?before=ID`: the moderation decisions the instance publishes, newest
/// first (404 when it publishes none).
pub async fn transparency(
    State(web): State<Web>,
    visitor: Visitor,
    Query(values): Query<HashMap<String, String>>,
) -> Response {
    let before = field(&values, "before").parse::<i64>().ok();
    let page = match instance::transparency(&web.app, before).await {
        Ok(page) => page,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    // When each was decided, in the visitor's words and time zone.
    let catalogue = web.pages.catalogue(&visitor);
    let zone = visitor.time_zone.as_deref().unwrap_or("UTC");
    let decided: Vec<String> = page
        .entries
        .iter()
        .map(|e| crate::view::stamp(catalogue, &e.decided_at, zone))
        .collect();
    let mut context = Context::new();
    context.insert("page", &page);
    context.insert("decided", &decided);
    web.pages
        .render(&visitor, StatusCode::OK, "transparency.html", context)
}

/// GET `/transparency.atom`: the same decisions as an Atom feed, in English.
pub async fn transparency_atom(State(web): State<Web>) -> Response {
    let page = match instance::transparency(&web.app, None).await {
        Ok(page) => page,
        Err(error) => return crate::feeds::plain_failure(&error),
    };
    let mut context = Context::new();
    context.insert("base", &web.app.config.public_url);
    context.insert("host", &crate::feeds::host(&web));
    context.insert(
        "updated",
        &page
            .entries
            .first()
            .map(|e| e.decided_at.clone())
            .unwrap_or_else(|| format_timestamp(OffsetDateTime::now_utc())),
    );
    context.insert("entries", &page.entries);
    match web.pages.render_raw("transparency.xml", &context) {
        Ok(xml) => (
            [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
            xml,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "the transparency feed failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
