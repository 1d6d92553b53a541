//! Calendar feeds (ICS) for one event, a profile's events and the instance's public events, and
//! an Atom feed of the public events. Times are given in UTC, which every calendar reads as the
//! exact instant and shows in its own time zone.

use crate::view::place;
use crate::Web;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{TimeZone, Utc};
use convene_api::events::{visible, Viewer};
use convene_domain::event::details::EventStatus;
use convene_domain::metadata::format_timestamp;
use convene_projections::events::{self, EventFilter, EventView};
use icalendar::{Calendar, CalendarDateTime, Component, EventLike};
use tera::Context;
use time::OffsetDateTime;

/// Events in a feed, at most.
const FEED_SIZE: i64 = 500;

fn utc(at: OffsetDateTime) -> CalendarDateTime {
    let at = Utc
        .timestamp_opt(at.unix_timestamp(), 0)
        .single()
        .unwrap_or_default();
    CalendarDateTime::Utc(at)
}

/// The host of the instance, for globally unique event ids.
fn host(web: &Web) -> String {
    web.app
        .config
        .public_url
        .split_once("://")
        .map_or("localhost", |(_, rest)| {
            rest.split('/').next().unwrap_or("localhost")
        })
        .to_string()
}

/// Plain text of sanitised HTML (calendars show text).
pub fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

/// An ICS calendar of `events`.
pub fn calendar(web: &Web, name: &str, found: &[EventView]) -> String {
    let catalogue = web.pages.catalogues.get(crate::i18n::DEFAULT);
    let mut calendar = Calendar::new();
    // Calendar names are not escaped by the writer: keep them to one plain line.
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    calendar.name(&name);
    for event in found {
        let details = &event.details;
        let url = format!("{}/events/{}", web.app.config.public_url, event.id);
        let mut entry = icalendar::Event::new();
        entry
            .uid(&format!("{}@{}", event.id, host(web)))
            .summary(&details.title)
            .description(&text_of(&details.description))
            .starts(utc(details.begins_at))
            .url(&url)
            .add_property(
                "ORGANIZER;CN=".to_string() + &event.organizer,
                format!("{}/@{}", web.app.config.public_url, event.organizer),
            )
            .add_property("X-CONVENE-TIMEZONE", &details.time_zone);
        if let Some(end) = details.ends_at {
            entry.ends(utc(end));
        }
        let location = place(catalogue, details);
        if !location.is_empty() {
            entry.location(&location);
        }
        entry.status(match details.status {
            EventStatus::Cancelled => icalendar::EventStatus::Cancelled,
            EventStatus::Tentative => icalendar::EventStatus::Tentative,
            EventStatus::Confirmed => icalendar::EventStatus::Confirmed,
        });
        calendar.push(entry.done());
    }
    calendar.done().to_string()
}

fn ics(body: String, file: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{file}.ics\""),
            ),
        ],
        body,
    )
        .into_response()
}

fn upcoming(organizer: Option<String>) -> EventFilter {
    EventFilter {
        from: Some(format_timestamp(OffsetDateTime::now_utc())),
        organizer,
        limit: FEED_SIZE,
        ..EventFilter::default()
    }
}

/// One event, as anyone with its link sees it (drafts and private events are not served).
pub async fn event_ics(State(web): State<Web>, Path(id): Path<String>) -> Response {
    match visible(&web.app, Viewer::default(), &id).await {
        Ok(event) => {
            let title = event.details.title.clone();
            ics(calendar(&web, &title, &[event]), &id)
        }
        Err(problem) => (
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::NOT_FOUND),
            problem.detail,
        )
            .into_response(),
    }
}

pub async fn instance_ics(State(web): State<Web>) -> Response {
    let found = events::list_public(web.app.db.pool(), &upcoming(None))
        .await
        .unwrap_or_default();
    ics(calendar(&web, &host(&web), &found), "events")
}

pub async fn profile_ics(State(web): State<Web>, Path(username): Path<String>) -> Response {
    match convene_projections::profiles::find(web.app.db.pool(), &username).await {
        Ok(Some(profile)) => {
            let found =
                events::list_public(web.app.db.pool(), &upcoming(Some(profile.username.clone())))
                    .await
                    .unwrap_or_default();
            ics(
                calendar(&web, &format!("@{}", profile.username), &found),
                &profile.username,
            )
        }
        Ok(None) => (StatusCode::NOT_FOUND, "there is no such profile").into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The public events as an Atom feed, newest changes first.
pub async fn instance_atom(State(web): State<Web>) -> Response {
    let found = events::list_public(web.app.db.pool(), &upcoming(None))
        .await
        .unwrap_or_default();
    let title = host(&web);
    atom(&web, &title, "/feed.atom", found)
}

/// The events an account organises, takes part in or waits for (drafts and private ones
/// included: the link is the account's secret).
async fn own_events(web: &Web, account: &str) -> Vec<EventView> {
    let own: Vec<String> = convene_projections::profiles::owned_by(web.app.db.pool(), account)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.username)
        .collect();
    let mut found = Vec::new();
    for participation in events::participations_of(web.app.db.pool(), &own)
        .await
        .unwrap_or_default()
    {
        let wanted = convene_domain::event::ParticipantState::parse(&participation.state)
            .is_some_and(|s| {
                s.is_going() || s == convene_domain::event::ParticipantState::Waitlisted
            });
        if !wanted
            || found
                .iter()
                .any(|e: &EventView| e.id == participation.event_id)
        {
            continue;
        }
        if let Ok(Some(event)) = events::find(web.app.db.pool(), &participation.event_id).await {
            found.push(event);
        }
    }
    found
}

async fn feed_account(web: &Web, token: &str) -> Option<String> {
    let hash = convene_api::auth::token_hash(token);
    convene_projections::accounts::by_feed_token(web.app.db.pool(), &hash)
        .await
        .ok()
        .flatten()
        .filter(|a| !a.disabled)
        .map(|a| a.id)
}

/// The private calendar of "my events", behind a secret the account can replace or revoke.
pub async fn private_ics(State(web): State<Web>, Path(token): Path<String>) -> Response {
    match feed_account(&web, &token).await {
        Some(account) => {
            let found = own_events(&web, &account).await;
            ics(calendar(&web, "Convene", &found), "my-events")
        }
        None => (
            StatusCode::NOT_FOUND,
            "this feed link is not valid (any more)",
        )
            .into_response(),
    }
}

pub async fn private_atom(State(web): State<Web>, Path(token): Path<String>) -> Response {
    match feed_account(&web, &token).await {
        Some(account) => {
            let found = own_events(&web, &account).await;
            atom(
                &web,
                "Convene",
                &format!("/feeds/{token}/my-events.atom"),
                found,
            )
        }
        None => (
            StatusCode::NOT_FOUND,
            "this feed link is not valid (any more)",
        )
            .into_response(),
    }
}

/// An Atom feed of `found`, newest changes first.
fn atom(web: &Web, title: &str, path: &str, mut found: Vec<EventView>) -> Response {
    found.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
    let entries: Vec<serde_json::Value> = found
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": format!("{}/events/{}", web.app.config.public_url, e.id),
                "title": e.details.title,
                "updated": e.updated_at,
                "author": e.organizer,
                "summary": text_of(&e.details.description),
                "starts": format_timestamp(e.details.begins_at),
            })
        })
        .collect();
    let mut context = Context::new();
    context.insert("base", &web.app.config.public_url);
    context.insert("title", title);
    context.insert("self_path", path);
    context.insert(
        "updated",
        &found
            .first()
            .map(|e| e.updated_at.clone())
            .unwrap_or_else(|| format_timestamp(OffsetDateTime::now_utc())),
    );
    context.insert("entries", &entries);
    match web.pages.render_raw("feed.xml", &context) {
        Ok(xml) => (
            [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
            xml,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "an Atom feed failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
