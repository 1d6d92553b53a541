//! Calendar feeds (ICS) for one event, a profile's or a group's events and the instance's public
//! events, and Atom feeds of the same lists. Times are given in UTC, which every calendar reads as the
//! exact instant and shows in its own time zone.

use crate::view::place;
use crate::Web;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{TimeZone, Utc};
use convene_api::{accounts, events, groups, profiles, Class};
use convene_domain::event::details::{Address, EventStatus};
use convene_domain::event::ParticipantState;
use convene_domain::metadata::format_timestamp;
use convene_domain::text::plain_text;
use convene_projections::events::{EventFilter, EventView};
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
pub(crate) fn host(web: &Web) -> String {
    web.app
        .config
        .public_url
        .split_once("://")
        .map_or("localhost", |(_, rest)| {
            rest.split('/').next().unwrap_or("localhost")
        })
        .to_string()
}

/// An ICS calendar of `events`.
pub fn calendar(web: &Web, name: &str, found: &[EventView]) -> String {
    let catalogue = web.pages.catalogues.get(crate::i18n::DEFAULT);
    let mut calendar = Calendar::new();
    // The writer escapes TEXT values, but a line break would end the property.
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    calendar.name(&name);
    for event in found {
        let details = &event.details;
        let url = format!("{}/events/{}", web.app.config.public_url, event.id);
        let mut description = plain_text(&details.description);
        // The link is in the view only for those who may see it (participants' own feeds).
        if let Some(online) = &details.online_url {
            description = format!("{description}\n\n{}: {online}", catalogue.text("online"));
        }
        let mut entry = icalendar::Event::new();
        entry
            .uid(&format!("{}@{}", event.id, host(web)))
            .summary(&details.title)
            .description(description.trim_start())
            .starts(utc(details.begins_at))
            .url(&url)
            .add_property(
                "ORGANIZER;CN=".to_string() + &event.organiser,
                format!("{}/@{}", web.app.config.public_url, event.organiser),
            )
            .add_property("X-CONVENE-TIMEZONE", &details.time_zone);
        if let Some(end) = details.ends_at {
            entry.ends(utc(end));
        }
        let location = details
            .address
            .as_ref()
            .map(full_address)
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| place(catalogue, details));
        if !location.is_empty() {
            entry.location(&location);
        }
        if let Some((lat, lon)) = details
            .address
            .as_ref()
            .and_then(|a| a.latitude.zip(a.longitude))
        {
            entry.add_property("GEO", format!("{lat};{lon}"));
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

/// Every line of an address that is filled in, for a calendar's `LOCATION`.
fn full_address(address: &Address) -> String {
    let town = [address.postal_code.as_deref(), address.locality.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    [
        address.name.as_deref(),
        address.street.as_deref(),
        Some(town.as_str()),
        address.region.as_deref(),
        address.country.as_deref(),
    ]
    .into_iter()
    .flatten()
    .filter(|part| !part.trim().is_empty())
    .collect::<Vec<_>>()
    .join(", ")
}

/// A file name from a title: lowercase ASCII letters and digits joined by dashes ("Fête de
/// la musique" → "fete-de-la-musique"), or `fallback` when nothing is left.
fn file_name(title: &str, fallback: &str) -> String {
    let mut name = String::new();
    for c in deunicode::deunicode(title).chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
        if name.len() >= 60 {
            break;
        }
    }
    let name = name.trim_matches('-');
    if name.is_empty() {
        fallback.to_string()
    } else {
        name.to_string()
    }
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

fn upcoming(organiser: Option<String>) -> EventFilter {
    EventFilter {
        from: Some(format_timestamp(OffsetDateTime::now_utc())),
        organiser,
        limit: FEED_SIZE,
        ..EventFilter::default()
    }
}

/// One event, as anyone with its link sees it (drafts and private events are not served).
pub async fn event_ics(State(web): State<Web>, Path(id): Path<String>) -> Response {
    match events::show(&web.app, None, &id).await {
        Ok(event) => {
            let file = file_name(&event.details.title, &id);
            let title = event.details.title.clone();
            ics(calendar(&web, &title, &[event]), &file)
        }
        Err(error) => plain_failure(&error),
    }
}

/// A failure as feeds answer it: its status and its words, as plain text.
pub(crate) fn plain_failure(error: &convene_api::Error) -> Response {
    (crate::render::status_of(error), error.detail()).into_response()
}

pub async fn instance_ics(State(web): State<Web>) -> Response {
    match events::upcoming(&web.app, &upcoming(None)).await {
        Ok(found) => ics(calendar(&web, &host(&web), &found), "events"),
        Err(error) => plain_failure(&error),
    }
}

/// Whose feed `/@name/feed.*` is: its name as the instance spells it, and the feed's title.
struct FeedOwner {
    name: String,
    title: String,
}

/// The upcoming events `/@name` stands for, with their owner: a profile's (those it
/// organises and shows itself as organising), or a group's public ones (never members-only
/// ones or drafts: the filter lists only what anyone may see).
async fn events_of_name(
    web: &Web,
    name: &str,
) -> Result<(FeedOwner, Vec<EventView>), convene_api::Error> {
    match profiles::find(&web.app, name).await {
        Ok(profile) => {
            let found =
                events::upcoming(&web.app, &upcoming(Some(profile.username.clone()))).await?;
            let owner = FeedOwner {
                title: format!("@{}", profile.username),
                name: profile.username,
            };
            Ok((owner, found))
        }
        // Profiles and groups share the /@name namespace.
        Err(error) if error.class() == Class::NotFound => {
            let group = groups::show(&web.app, name).await?;
            let filter = EventFilter {
                group: Some(group.handle.clone()),
                ..upcoming(None)
            };
            let found = events::upcoming(&web.app, &filter).await?;
            let owner = FeedOwner {
                title: format!("{} (@{})", group.details.display_name, group.handle),
                name: group.handle,
            };
            Ok((owner, found))
        }
        Err(error) => Err(error),
    }
}

/// `/@name/feed.ics`: a profile's or a group's calendar.
pub async fn name_ics(State(web): State<Web>, Path(name): Path<String>) -> Response {
    match events_of_name(&web, &name).await {
        Ok((owner, found)) => ics(calendar(&web, &owner.title, &found), &owner.name),
        Err(error) => plain_failure(&error),
    }
}

/// `/@name/feed.atom`: a profile's or a group's events as an Atom feed.
pub async fn name_atom(State(web): State<Web>, Path(name): Path<String>) -> Response {
    match events_of_name(&web, &name).await {
        Ok((owner, found)) => {
            let path = format!("/@{}/feed.atom", owner.name);
            atom(&web, &owner.title, &path, found)
        }
        Err(error) => plain_failure(&error),
    }
}

/// The public events as an Atom feed, newest changes first.
pub async fn instance_atom(State(web): State<Web>) -> Response {
    match events::upcoming(&web.app, &upcoming(None)).await {
        Ok(found) => atom(&web, &host(&web), "/feed.atom", found),
        Err(error) => plain_failure(&error),
    }
}

/// The events the account behind private feed secret `token` organises, takes part in or
/// waits for (drafts and private ones included: the link is the account's secret), and those
/// of the groups its profiles follow or belong to.
async fn own_events(web: &Web, token: &str) -> Result<Vec<EventView>, convene_api::Error> {
    let account = accounts::feed_owner(&web.app, token).await?;
    let mut found: Vec<EventView> = Vec::new();
    for (event, participation) in events::of_account(&web.app, &account).await? {
        let state = participation.state;
        let wanted = state.is_going() || state == ParticipantState::Waitlisted;
        if wanted && !found.iter().any(|e| e.id == event.id) {
            found.push(event);
        }
    }
    // And the events of the groups its profiles follow or belong to.
    for event in convene_api::groups::followed_events(&web.app, &account).await? {
        if !found.iter().any(|e| e.id == event.id) {
            found.push(event);
        }
    }
    Ok(found)
}

/// The private calendar of "my events", behind a secret the account can replace or revoke.
pub async fn private_ics(State(web): State<Web>, Path(token): Path<String>) -> Response {
    match own_events(&web, &token).await {
        Ok(found) => ics(calendar(&web, "Convene", &found), "my-events"),
        Err(error) => plain_failure(&error),
    }
}

pub async fn private_atom(State(web): State<Web>, Path(token): Path<String>) -> Response {
    match own_events(&web, &token).await {
        Ok(found) => atom(
            &web,
            "Convene",
            &format!("/feeds/{token}/my-events.atom"),
            found,
        ),
        Err(error) => plain_failure(&error),
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
                "author": e.organiser,
                "summary": plain_text(&e.details.description),
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
