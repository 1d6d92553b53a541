//! The home page (upcoming public events, with filters) and profile pages.

use crate::view::card;
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_domain::event::details::CATEGORIES;
use convene_domain::metadata::format_timestamp;
use convene_projections::events::{self, EventFilter};
use convene_projections::profiles;
use serde::Deserialize;
use tera::Context;

#[derive(Debug, Default, Deserialize)]
pub struct HomeQuery {
    /// yyyy-mm-dd
    pub from: Option<String>,
    pub to: Option<String>,
    pub category: Option<String>,
    /// online, in_person
    pub mode: Option<String>,
    /// Words in the title.
    pub q: Option<String>,
}

fn day_start(date: &str) -> Option<String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(date, &format)
        .ok()
        .map(|d| format_timestamp(d.midnight().assume_utc()))
}

pub async fn home(
    State(web): State<Web>,
    visitor: Visitor,
    Query(query): Query<HomeQuery>,
) -> Response {
    let catalogue = web.pages.catalogue(&visitor);
    let filter = EventFilter {
        from: query
            .from
            .as_deref()
            .and_then(day_start)
            .or_else(|| Some(format_timestamp(time::OffsetDateTime::now_utc()))),
        to: query.to.as_deref().and_then(day_start).map(|d| {
            // Until the end of that day.
            let next =
                time::OffsetDateTime::parse(&d, &time::format_description::well_known::Rfc3339)
                    .map(|t| t + time::Duration::days(1))
                    .map(format_timestamp);
            next.unwrap_or(d)
        }),
        category: query
            .category
            .clone()
            .filter(|c| CATEGORIES.contains(&c.as_str())),
        text: query.q.clone(),
        limit: 100,
        ..Default::default()
    };
    let found = match events::list_public(web.app.db.pool(), &filter).await {
        Ok(found) => found,
        Err(error) => {
            tracing::error!(%error, "listing events");
            return web.pages.error(&visitor, StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let cards: Vec<_> = found
        .iter()
        .filter(|e| match query.mode.as_deref() {
            Some("online") => e.details.is_online(),
            Some("in_person") => e.details.address.is_some(),
            _ => true,
        })
        .map(|e| card(catalogue, e))
        .collect();
    let categories: Vec<(String, String)> = CATEGORIES
        .iter()
        .map(|c| (c.to_string(), catalogue.text(&format!("category_{c}"))))
        .collect();
    let mut context = Context::new();
    context.insert("events", &cards);
    context.insert("categories", &categories);
    context.insert("from", &query.from.unwrap_or_default());
    context.insert("to", &query.to.unwrap_or_default());
    context.insert("category", &query.category.unwrap_or_default());
    context.insert("mode", &query.mode.unwrap_or_default());
    context.insert("q", &query.q.unwrap_or_default());
    web.pages
        .render(&visitor, StatusCode::OK, "home.html", context)
}

pub async fn profile(
    State(web): State<Web>,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    let catalogue = web.pages.catalogue(&visitor);
    let profile = match profiles::find(web.app.db.pool(), &username).await {
        Ok(Some(profile)) => profile,
        Ok(None) => return web.pages.error(&visitor, StatusCode::NOT_FOUND),
        Err(_) => return web.pages.error(&visitor, StatusCode::INTERNAL_SERVER_ERROR),
    };
    let filter = EventFilter {
        organizer: Some(profile.username.clone()),
        from: Some(format_timestamp(time::OffsetDateTime::now_utc())),
        limit: 100,
        ..Default::default()
    };
    let found = events::list_public(web.app.db.pool(), &filter)
        .await
        .unwrap_or_default();
    let cards: Vec<_> = found.iter().map(|e| card(catalogue, e)).collect();
    let mut context = Context::new();
    context.insert("profile", &profile);
    context.insert("events", &cards);
    web.pages
        .render(&visitor, StatusCode::OK, "profile.html", context)
}
