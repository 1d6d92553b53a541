//! The home page (upcoming public events, with filters) and profile pages.

use crate::i18n::Catalogue;
use crate::view::{card, EventCard};
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use convene_api::{events, groups, profiles};
use convene_domain::event::details::CATEGORIES;
use convene_domain::group::details::Openness;
use convene_domain::group::members::MemberRole;
use convene_domain::metadata::format_timestamp;
use convene_projections::events::EventFilter;
use serde::{Deserialize, Serialize};
use tera::Context;

#[derive(Debug, Default, Deserialize)]
pub struct HomeQuery {
    /// yyyy-mm-dd
    pub from: Option<String>,
    pub to: Option<String>,
    pub category: Option<String>,
    /// One tag the events must have.
    pub tag: Option<String>,
    /// online, in_person
    pub mode: Option<String>,
    /// Words to search: the list hands over to the search page.
    pub q: Option<String>,
    /// From 1 (anything else is the first page, the last page number the API takes the last).
    pub page: Option<String>,
}

/// Events on one page of the list.
pub const PAGE_SIZE: i64 = 30;

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
    if let Some(words) = query.q.as_deref().filter(|q| !q.trim().is_empty()) {
        return to_search(words, &query);
    }
    let catalogue = web.pages.catalogue(&visitor);
    let page = query
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, events::PAGE_MAX);
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
        tag: query.tag.clone().filter(|t| !t.trim().is_empty()),
        text: query.q.clone(),
        online: match query.mode.as_deref() {
            Some("online") => Some(true),
            Some("in_person") => Some(false),
            _ => None,
        },
        // One more than shown, to know whether there is a next page.
        limit: PAGE_SIZE + 1,
        offset: (page - 1) * PAGE_SIZE,
        ..Default::default()
    };
    let found = match events::upcoming(&web.app, &filter).await {
        Ok(found) => found,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let more = found.len() as i64 > PAGE_SIZE;
    let points = found
        .iter()
        .take(PAGE_SIZE as usize)
        .filter_map(|e| {
            let address = e.details.address.as_ref()?;
            Some(crate::map::Point {
                lat: address.latitude?,
                lon: address.longitude?,
                title: e.details.title.clone(),
                link: Some(format!("/events/{}", e.id)),
            })
        })
        .collect();
    let map = crate::map::view(
        web.pages.tiles.as_ref(),
        catalogue.text("map_of_events"),
        points,
    );
    let mut cards: Vec<_> = found
        .iter()
        .take(PAGE_SIZE as usize)
        .map(|e| card(catalogue, e))
        .collect();
    if let Err(error) = super::fill_cards(&web, &mut cards).await {
        return web.pages.failure(&visitor, &error);
    }
    // The cards' pictures of other instances' events are shown from there.
    let pictures: Vec<String> = cards
        .iter()
        .filter_map(|c| c.picture.as_ref().map(|p| p.src.clone()))
        .collect();
    let days = by_day(catalogue, cards);
    let categories: Vec<(String, String)> = CATEGORIES
        .iter()
        .map(|c| (c.to_string(), catalogue.text(&format!("category_{c}"))))
        .collect();
    let mut context = Context::new();
    context.insert("days", &days);
    context.insert("categories", &categories);
    context.insert("from", &query.from.clone().unwrap_or_default());
    context.insert("to", &query.to.clone().unwrap_or_default());
    context.insert("category", &query.category.clone().unwrap_or_default());
    context.insert("mode", &query.mode.clone().unwrap_or_default());
    context.insert("q", &query.q.clone().unwrap_or_default());
    context.insert("tag", &query.tag.clone().unwrap_or_default());
    let next = more.then(|| {
        let mut link = format!("/?page={}", page + 1);
        for (key, value) in [
            ("from", &query.from),
            ("to", &query.to),
            ("category", &query.category),
            ("mode", &query.mode),
            ("q", &query.q),
            ("tag", &query.tag),
        ] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                link.push_str(&format!("&{key}={}", crate::pages::encode(value)));
            }
        }
        link
    });
    context.insert("next", &next);
    crate::map::render(
        &web.pages,
        &visitor,
        StatusCode::OK,
        "home.html",
        context,
        map,
        &pictures,
    )
}

/// The events of one day, under its heading.
#[derive(Debug, Serialize)]
pub struct Day {
    /// `yyyy-mm-dd`, for `<time datetime>` and the heading's id.
    pub date: String,
    /// The date said in the visitor's language ("Saturday, June 1, 2030").
    pub heading: String,
    pub events: Vec<EventCard>,
}

/// `cards` (in order of their start) under the day each begins, in its own time zone — the
/// rule the calendar and the cards' times follow — days in order.
pub fn by_day(catalogue: &Catalogue, cards: Vec<EventCard>) -> Vec<Day> {
    let mut days: Vec<Day> = Vec::new();
    for card in cards {
        let starts = chrono::DateTime::parse_from_rfc3339(&card.when_iso).ok();
        let date = starts.map_or_else(String::new, |at| at.format("%Y-%m-%d").to_string());
        match days.iter_mut().find(|d| d.date == date) {
            Some(day) => day.events.push(card),
            None => days.push(Day {
                heading: starts.map_or_else(String::new, |at| catalogue.date(&at)),
                date,
                events: vec![card],
            }),
        }
    }
    // Events in zones far apart can start on a later day yet earlier in time.
    days.sort_by(|a, b| a.date.cmp(&b.date));
    days
}

/// The home page's filters with words become a search (all instances, same filters).
fn to_search(words: &str, query: &HomeQuery) -> Response {
    let online = match query.mode.as_deref() {
        Some("online") => "true",
        Some("in_person") => "false",
        _ => "",
    };
    let mut link = format!("/search?q={}", crate::pages::encode(words));
    for (name, value) in [
        ("from", query.from.as_deref().unwrap_or_default()),
        ("to", query.to.as_deref().unwrap_or_default()),
        ("category", query.category.as_deref().unwrap_or_default()),
        ("online", online),
    ] {
        if !value.is_empty() {
            link.push_str(&format!("&{name}={}", crate::pages::encode(value)));
        }
    }
    Redirect::to(&link).into_response()
}

pub async fn profile(
    State(web): State<Web>,
    visitor: Visitor,
    Path(username): Path<String>,
) -> Response {
    // Another instance's group, by its handle.
    if super::remote_group::is_handle(&username) {
        return super::remote_group::page(&web, &visitor, &username).await;
    }
    let catalogue = web.pages.catalogue(&visitor);
    let profile = match profiles::find(&web.app, &username).await {
        Ok(profile) => profile,
        // A suspended profile says so (a tombstone), rather than looking for a group.
        Err(error) if error.rule() == "suspended-by-moderators" => {
            return web.pages.failure(&visitor, &error)
        }
        // Profiles and groups share the /@name namespace.
        Err(error) if error.class() == convene_api::Class::NotFound => {
            return group(&web, &visitor, &username).await
        }
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let filter = EventFilter {
        organiser: Some(profile.username.clone()),
        from: Some(format_timestamp(time::OffsetDateTime::now_utc())),
        limit: 100,
        ..Default::default()
    };
    let found = match events::upcoming(&web.app, &filter).await {
        Ok(found) => found,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let mut cards: Vec<_> = found.iter().map(|e| card(catalogue, e)).collect();
    if let Err(error) = super::fill_cards(&web, &mut cards).await {
        return web.pages.failure(&visitor, &error);
    }
    let mut context = Context::new();
    context.insert("avatar", &profile.avatar.as_ref().map(crate::view::picture));
    context.insert("profile", &profile);
    context.insert("events", &cards);
    web.pages
        .render(&visitor, StatusCode::OK, "profile.html", context)
}

/// Upcoming events on a group's page; the group's events page lists them all.
const GROUP_PAGE_EVENTS: i64 = 5;

/// A group's page: about, address, member count and its next events as the visitor may see
/// them (members-only events to members only, as the use case decides).
async fn group(web: &Web, visitor: &Visitor, handle: &str) -> Response {
    let catalogue = web.pages.catalogue(visitor);
    let group = match groups::show_to(&web.app, visitor.session.as_ref(), handle).await {
        Ok(group) => group,
        // A suspended group says so to everyone but moderators (a tombstone).
        Err(error) if error.rule() == "group-suspended-by-moderators" => {
            return web.pages.failure(visitor, &error)
        }
        Err(error) if error.class() == convene_api::Class::NotFound => {
            return web.pages.error(visitor, StatusCode::NOT_FOUND)
        }
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let session = visitor.session.as_ref();
    let found = match groups::upcoming_events_of(&web.app, session, handle, GROUP_PAGE_EVENTS).await
    {
        Ok(found) => found,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let posts = match convene_api::group_posts::listed_in(&web.app, session, handle, None).await {
        Ok(posts) => posts,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    // The cards are this group's: named from the group already read.
    let name = format!("{} (@{handle})", group.details.display_name);
    let mut cards: Vec<_> = found
        .iter()
        .map(|e| card(catalogue, e))
        .map(|mut c| {
            if c.group.as_deref() == Some(handle) {
                c.group_name = Some(name.clone());
            }
            c
        })
        .collect();
    if let Err(error) = super::fill_cards(web, &mut cards).await {
        return web.pages.failure(visitor, &error);
    }
    let address = group.details.address.as_ref().map(|a| {
        [
            &a.name,
            &a.street,
            &a.postal_code,
            &a.locality,
            &a.region,
            &a.country,
        ]
        .into_iter()
        .flatten()
        .filter(|part| !part.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(", ")
    });
    // The visitor's standing in the group decides which button is offered.
    let mut standing = "none";
    let mut following = false;
    let mut administrator = false;
    let mut moderator = false;
    let mut acting_as = None;
    if let Some(session) = visitor.session.clone() {
        // The visitor's profile with the highest role in the group, or their default one.
        let acting = match groups::acting_in(&web.app, session, handle, None).await {
            Ok(acting) => acting,
            Err(error) => return web.pages.failure(visitor, &error),
        };
        let mine = match groups::my_groups(&web.app, &acting).await {
            Ok(mine) => mine,
            Err(error) => return web.pages.failure(visitor, &error),
        };
        following = match groups::my_follow(&web.app, &acting, handle).await {
            Ok(follow) => follow.is_some(),
            Err(error) => return web.pages.failure(visitor, &error),
        };
        if let Some(membership) = mine.iter().find(|m| m.group == handle) {
            administrator = membership.role.is_administrator();
            moderator = membership.role.at_least(MemberRole::Moderator);
            standing = match membership.role {
                role if role.is_member() => "member",
                MemberRole::NotApproved => "asked",
                MemberRole::Invited => "invited",
                _ => "none",
            };
        }
        acting_as = Some(acting.profile);
    }
    let openness = match group.details.openness {
        Openness::Open => "open",
        Openness::Moderated => "moderated",
        Openness::InviteOnly => "invite_only",
    };
    let mut context = Context::new();
    context.insert("standing", standing);
    context.insert("following", &following);
    context.insert("administrator", &administrator);
    context.insert("moderator", &moderator);
    context.insert("acting", &acting_as);
    context.insert("openness", openness);
    context.insert("banner", &group.banner.as_ref().map(crate::view::picture));
    context.insert("avatar", &group.avatar.as_ref().map(crate::view::picture));
    context.insert("group", &group);
    context.insert("address", &address);
    context.insert("events", &cards);
    context.insert("posts", &posts);
    web.pages
        .render(visitor, StatusCode::OK, "group.html", context)
}

/// A group page's form: its CSRF token checked, then the visitor acting as the profile it names.
async fn group_form_acting(
    web: &Web,
    visitor: &Visitor,
    form: &std::collections::HashMap<String, String>,
) -> Result<convene_api::auth::Acting, Response> {
    super::check_csrf(web, visitor, form)?;
    super::acting(web, visitor, form.get("profile").cloned()).await
}

/// Back to the group's page once `done`, or the page saying why not.
fn back_to_group(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
    done: Result<(), convene_api::Error>,
) -> Response {
    match done {
        Ok(()) => crate::render::see_other(visitor, &format!("/@{handle}")),
        Err(error) => web.pages.failure(visitor, &error),
    }
}

/// Joins the group (or asks to, when it is moderated) as the visitor's profile.
pub async fn join_group(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    axum::Form(form): super::Fields,
) -> Response {
    if super::remote_group::is_handle(&handle) {
        return super::remote_group::join(&web, &visitor, &handle, &form, false).await;
    }
    let acting = match group_form_acting(&web, &visitor, &form).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let request = groups::JoinGroup {
        message: Some(super::field(&form, "message")).filter(|m| !m.is_empty()),
    };
    let done = groups::join(&web.app, &acting, &handle, request).await;
    back_to_group(&web, &visitor, &handle, done.map(drop))
}

/// Follows the group, or stops following it (`unfollow` set), as the visitor's profile.
pub async fn follow_group(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    axum::Form(form): super::Fields,
) -> Response {
    if super::remote_group::is_handle(&handle) {
        return super::remote_group::follow(&web, &visitor, &handle, &form).await;
    }
    let acting = match group_form_acting(&web, &visitor, &form).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let done = if form.contains_key("unfollow") {
        groups::unfollow(&web.app, &acting, &handle).await
    } else {
        groups::follow(&web.app, &acting, &handle).await.map(drop)
    };
    back_to_group(&web, &visitor, &handle, done)
}

/// Writes in a discussion of another instance's group (`/@name@host/discussion`); a local
/// group's discussions have their own pages.
pub async fn write_in_discussion_elsewhere(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    axum::Form(form): super::Fields,
) -> Response {
    if !super::remote_group::is_handle(&handle) {
        return web.pages.error(&visitor, axum::http::StatusCode::NOT_FOUND);
    }
    super::remote_group::comment(&web, &visitor, &handle, &form).await
}

/// Adds a link to the resources of another instance's group (`/@name@host/resource`); a local
/// group's resources have their own pages.
pub async fn add_link_elsewhere(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    axum::Form(form): super::Fields,
) -> Response {
    if !super::remote_group::is_handle(&handle) {
        return web.pages.error(&visitor, axum::http::StatusCode::NOT_FOUND);
    }
    super::remote_group::resource_form(&web, &visitor, &handle, &form).await
}

/// Adds a todo to, or marks one done in, a list of another instance's group
/// (`/@name@host/todo`); a local group's todos have their own pages.
pub async fn todo_elsewhere(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    axum::Form(form): super::Fields,
) -> Response {
    if !super::remote_group::is_handle(&handle) {
        return web.pages.error(&visitor, axum::http::StatusCode::NOT_FOUND);
    }
    super::remote_group::todo_form(&web, &visitor, &handle, &form).await
}

/// Leaves the group, or withdraws a request to join it.
pub async fn leave_group(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    axum::Form(form): super::Fields,
) -> Response {
    if super::remote_group::is_handle(&handle) {
        return super::remote_group::join(&web, &visitor, &handle, &form, true).await;
    }
    let acting = match group_form_acting(&web, &visitor, &form).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let done = groups::leave(&web.app, &acting, &handle).await;
    back_to_group(&web, &visitor, &handle, done)
}
