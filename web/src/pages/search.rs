//! The search page: one box in every page's header, filters, result cards with the matching
//! words marked, pages, and an empty state that suggests a wider search. Events by default;
//! `kind=groups` searches groups by words and distance; a handle (`@club@other.example`) leads
//! to that group's page here. Works without JavaScript: plain GET forms and links.

use crate::pages::encode;
use crate::render::see_other;
use crate::view::moment;
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_api::groups_elsewhere::{self, LookedUp};
use convene_api::search;
use convene_domain::event::details::CATEGORIES;
use convene_domain::FieldError;
use convene_search::{EventHit, EventHits, GroupHit};
use serde::Serialize;
use tera::Context;
use time::OffsetDateTime;

/// A result as the page shows it.
#[derive(Debug, Serialize)]
struct ResultCard {
    id: String,
    /// Escaped, with `<mark>` around the matching words: shown as is.
    title_html: String,
    snippet_html: String,
    when: String,
    when_iso: String,
    place: String,
    organiser: String,
    category: String,
    cancelled: bool,
    tentative: bool,
    remote: Option<String>,
    distance: Option<String>,
    /// A local organiser's avatar, filled from the profiles: the search index keeps no pictures.
    organiser_avatar: Option<crate::view::Picture>,
}

fn result_card(catalogue: &crate::i18n::Catalogue, hit: &EventHit) -> ResultCard {
    let event = &hit.event;
    let at =
        OffsetDateTime::from_unix_timestamp(event.begins_at).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let mut place: Vec<&str> = [event.place.as_deref(), event.locality.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let online = catalogue.text("online");
    if event.online {
        place.push(&online);
    }
    ResultCard {
        id: event.id.clone(),
        title_html: hit.title_html.clone(),
        snippet_html: hit.snippet_html.clone(),
        when: moment(catalogue, at, &event.time_zone),
        when_iso: crate::view::local(at, &event.time_zone).to_rfc3339(),
        place: place.join(", "),
        organiser: event.organiser.clone(),
        category: catalogue.text(&format!("category_{}", event.category)),
        cancelled: event.status == "cancelled",
        tentative: event.status == "tentative",
        remote: (event.origin != convene_search::document::LOCAL).then(|| event.origin.clone()),
        distance: hit
            .distance_km
            .map(|km| catalogue.fill("search_distance", &[("km", &format!("{km:.1}"))])),
        organiser_avatar: None,
    }
}

/// A group found, as the page shows it.
#[derive(Debug, Serialize)]
struct GroupCard {
    handle: String,
    /// Escaped, with `<mark>` around the matching words: shown as is.
    name_html: String,
    snippet_html: String,
    locality: Option<String>,
    members: String,
    distance: Option<String>,
    /// Filled from the group's read model: the search index does not keep pictures.
    avatar: Option<crate::view::Picture>,
}

fn group_card(catalogue: &crate::i18n::Catalogue, hit: &GroupHit) -> GroupCard {
    let group = &hit.group;
    GroupCard {
        handle: group.id.clone(),
        name_html: hit.name_html.clone(),
        snippet_html: hit.snippet_html.clone(),
        locality: group.locality.clone(),
        members: catalogue.fill("search_group_members", &[("n", &group.members.to_string())]),
        distance: hit
            .distance_km
            .map(|km| catalogue.fill("search_distance", &[("km", &format!("{km:.1}"))])),
        avatar: None,
    }
}

/// What a search looks for: `kind=events` (the default) or `kind=groups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Events,
    Groups,
}

/// The link to page `page` of the same search.
fn page_link(pairs: &[(String, String)], page: u32) -> String {
    let mut link = String::from("/search?");
    for (name, value) in pairs {
        if name != "page" && !value.is_empty() {
            link.push_str(&format!("{name}={}&", encode(value)));
        }
    }
    link.push_str(&format!("page={page}"));
    link
}

pub async fn page(State(web): State<Web>, visitor: Visitor, RawQuery(raw): RawQuery) -> Response {
    let catalogue = web.pages.catalogue(&visitor);
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut context = Context::new();
    for name in search::EVENT_PARAMETERS {
        context.insert(name, &value(name));
    }
    // `kind` chooses the query; every other pair is the query's own.
    let kind = match value("kind").as_str() {
        "" | "events" => Ok(Kind::Events),
        "groups" => Ok(Kind::Groups),
        other => Err(FieldError {
            field: "kind".into(),
            message: format!("`{other}` is not something to search: events or groups"),
        }),
    };
    let pairs: Vec<(String, String)> = pairs.iter().filter(|(n, _)| n != "kind").cloned().collect();
    context.insert("q_link", &encode(&value("q")));
    // An address leads to what it names here: a page of this instance, or another instance's
    // event or group (fetched, then shown here). A handle names a group: its page here (another
    // instance's too). Else why it cannot be found.
    let q = value("q");
    let is_address = q.starts_with("https://") || q.starts_with("http://");
    let handle_errors = if is_address {
        if let Some(path) = here(&web.app.config.public_url, &q) {
            return see_other(&visitor, &path);
        }
        let session = visitor.session.as_ref();
        match groups_elsewhere::look_up(&web.app, session, &visitor.origin, "q", &q).await {
            Ok(LookedUp::Event(id)) => return see_other(&visitor, &format!("/events/{id}")),
            Ok(LookedUp::Group(group)) => {
                return see_other(&visitor, &format!("/@{}", group.handle))
            }
            Err(convene_api::Error::Invalid(errors)) => Some(errors),
            Err(error) => return web.pages.failure(&visitor, &error),
        }
    } else if !super::remote_group::is_handle(&q) {
        None
    } else if let Some(name) = groups_elsewhere::local_name(&web.app, &q) {
        return see_other(&visitor, &format!("/@{name}"));
    } else {
        let session = visitor.session.as_ref();
        match groups_elsewhere::find(&web.app, session, &visitor.origin, "q", &q).await {
            Ok(group) => return see_other(&visitor, &format!("/@{}", group.handle)),
            Err(convene_api::Error::Invalid(errors)) => Some(errors),
            Err(error) => return web.pages.failure(&visitor, &error),
        }
    };
    let near = resolve_near(&web, catalogue, &pairs, matches!(kind, Ok(Kind::Groups))).await;
    let near_error = near.as_ref().err().cloned();
    let near = near.unwrap_or_else(|_| Near::as_given(&pairs));
    // The field shows the place used, by its name.
    if let Some(place) = &near.used {
        context.insert("near", place);
    }
    context.insert("near_used", &near.used);
    context.insert("near_others", &near.others);
    if handle_errors.is_none() && matches!(kind, Ok(Kind::Groups)) {
        return groups_page(&web, &visitor, &near, near_error, context).await;
    }
    let pairs = near.links;
    if let Some(errors) = kind.err().map(|e| vec![e]).or(handle_errors) {
        context.insert("categories", &Vec::<(String, String)>::new());
        context.insert("results", &Vec::<ResultCard>::new());
        context.insert("searched", &false);
        context.insert("total", &0);
        context.insert("total_exact", &true);
        context.insert("errors", &errors);
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return web.pages.render(&visitor, status, "search.html", context);
    }
    let categories: Vec<(String, String)> = CATEGORIES
        .iter()
        .map(|c| (c.to_string(), catalogue.text(&format!("category_{c}"))))
        .collect();
    context.insert("categories", &categories);
    let (status, hits, errors): (StatusCode, Option<EventHits>, Vec<FieldError>) =
        match with_near_error(search::event_query(&near.query), near_error) {
            Err(convene_api::Error::Invalid(errors)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, None, errors)
            }
            Err(error) => return web.pages.failure(&visitor, &error),
            Ok(mut query) => {
                // The page looks ahead unless asked for a past day.
                if query.from.is_none() {
                    query.from = Some(OffsetDateTime::now_utc().unix_timestamp());
                }
                match search::events(&web.app, &query).await {
                    Ok(hits) => {
                        insert_pages(&mut context, &pairs, query.page, query.per_page, hits.total);
                        (StatusCode::OK, Some(hits), Vec::new())
                    }
                    Err(error) => return web.pages.failure(&visitor, &error),
                }
            }
        };
    let mut cards: Vec<ResultCard> = hits
        .iter()
        .flat_map(|h| h.hits.iter())
        .map(|hit| result_card(catalogue, hit))
        .collect();
    let local: Vec<&str> = cards
        .iter()
        .filter(|c| c.remote.is_none())
        .map(|c| c.organiser.as_str())
        .collect();
    let avatars = match crate::pages::organiser_avatars(&web, &local).await {
        Ok(avatars) => avatars,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    for card in cards.iter_mut().filter(|c| c.remote.is_none()) {
        card.organiser_avatar = avatars.get(&card.organiser).cloned().flatten();
    }
    let points = hits
        .iter()
        .flat_map(|h| h.hits.iter())
        .filter_map(|hit| {
            let event = &hit.event;
            Some(crate::map::Point {
                lat: event.lat?,
                lon: event.lon?,
                title: event.title.clone(),
                link: Some(format!("/events/{}", event.id)),
            })
        })
        .collect();
    let map = crate::map::view(
        web.pages.tiles.as_ref(),
        catalogue.text("map_of_results"),
        points,
    );
    context.insert("results", &cards);
    context.insert("searched", &hits.is_some());
    context.insert("total", &hits.as_ref().map_or(0, |h| h.total));
    context.insert("total_exact", &hits.as_ref().is_none_or(|h| h.total_exact));
    context.insert("errors", &errors);
    // Results show no pictures from elsewhere: the avatars are this instance's.
    crate::map::render(
        &web.pages,
        &visitor,
        status,
        "search.html",
        context,
        map,
        &[],
    )
}

fn insert_pages(
    context: &mut Context,
    pairs: &[(String, String)],
    page: u32,
    per_page: u32,
    total: u64,
) {
    let pages = total.div_ceil(u64::from(per_page)).max(1);
    context.insert("page_number", &page);
    context.insert("pages", &pages);
    context.insert("previous", &(page > 1).then(|| page_link(pairs, page - 1)));
    context.insert(
        "next",
        &(u64::from(page) < pages).then(|| page_link(pairs, page + 1)),
    );
}

/// The search for groups: words and a distance, group cards.
async fn groups_page(
    web: &Web,
    visitor: &Visitor,
    near: &Near,
    near_error: Option<FieldError>,
    mut context: Context,
) -> Response {
    let catalogue = web.pages.catalogue(visitor);
    let mut pairs = near.links.clone();
    // The page links keep searching groups.
    pairs.insert(0, ("kind".into(), "groups".into()));
    let (status, hits, errors) = match with_near_error(search::group_query(&near.query), near_error)
    {
        Err(convene_api::Error::Invalid(errors)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, None, errors)
        }
        Err(error) => return web.pages.failure(visitor, &error),
        Ok(query) => match search::groups(&web.app, &query).await {
            Ok(hits) => {
                insert_pages(&mut context, &pairs, query.page, query.per_page, hits.total);
                (StatusCode::OK, Some(hits), Vec::new())
            }
            Err(error) => return web.pages.failure(visitor, &error),
        },
    };
    let mut cards: Vec<GroupCard> = hits
        .iter()
        .flat_map(|h| h.hits.iter())
        .map(|hit| group_card(catalogue, hit))
        .collect();
    for card in &mut cards {
        card.avatar = match convene_api::groups::show(&web.app, &card.handle).await {
            Ok(group) => group.avatar.as_ref().map(crate::view::picture),
            Err(error) if error.class() == convene_api::Class::NotFound => None,
            Err(error) => return web.pages.failure(visitor, &error),
        };
    }
    context.insert("groups", &cards);
    context.insert("searched", &hits.is_some());
    context.insert("total", &hits.as_ref().map_or(0, |h| h.total));
    context.insert("total_exact", &hits.as_ref().is_none_or(|h| h.total_exact));
    context.insert("errors", &errors);
    web.pages
        .render(visitor, status, "search_groups.html", context)
}

/// The search's pairs once `near` is resolved: a place's name becomes its coordinates.
#[derive(Debug, Clone)]
struct Near {
    /// What the query reads: `near` as coordinates, `place` left out.
    query: Vec<(String, String)>,
    /// What links to other pages of the search keep: the coordinates and the place's name.
    links: Vec<(String, String)>,
    /// The name of the place searched near.
    used: Option<String>,
    /// Other places of that name: (name, link to the same search near it).
    others: Vec<(String, String)>,
}

impl Near {
    /// The pairs as they came (`near` coordinates, or nothing to resolve).
    fn as_given(pairs: &[(String, String)]) -> Self {
        let used = pairs
            .iter()
            .find(|(n, v)| n == "place" && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string());
        Near {
            query: pairs
                .iter()
                .filter(|(n, _)| n != "place")
                .cloned()
                .collect(),
            links: pairs.to_vec(),
            used,
            others: Vec::new(),
        }
    }
}

/// Coordinates in the form `search::event_query` reads ("48.85,2.35").
fn looks_like_coordinates(text: &str) -> bool {
    text.split_once(',').is_some_and(|(lat, lon)| {
        lat.trim().parse::<f64>().is_ok() && lon.trim().parse::<f64>().is_ok()
    })
}

/// `near` as the visitor gave it: coordinates are kept as they are (the query checks them), a
/// place's name is looked up (the instance's geocoder, else the places of public events and
/// groups here) and its first match used, the others offered as links.
async fn resolve_near(
    web: &Web,
    catalogue: &crate::i18n::Catalogue,
    pairs: &[(String, String)],
    groups: bool,
) -> Result<Near, FieldError> {
    let given = Near::as_given(pairs);
    let text = pairs
        .iter()
        .find(|(n, _)| n == "near")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    if text.is_empty() || looks_like_coordinates(&text) {
        return Ok(given);
    }
    let refuse = |key: &str| FieldError {
        field: "near".into(),
        message: catalogue.fill(key, &[("place", text.as_str())]),
    };
    if let Err(convene_api::Error::Invalid(mut errors)) =
        convene_api::places::read_name("near", &text)
    {
        return Err(errors.remove(0));
    }
    let found = match convene_api::places::find(&web.app, &text, &catalogue.code).await {
        Ok(found) => found.places,
        Err(_) => return Err(refuse("search_near_unavailable")),
    };
    let Some(first) = found.first() else {
        return Err(refuse("search_near_unknown"));
    };
    let near_place = |place: &convene_api::places::Place| {
        let mut pairs: Vec<(String, String)> = pairs
            .iter()
            .filter(|(n, _)| !matches!(n.as_str(), "near" | "place" | "page"))
            .cloned()
            .collect();
        pairs.push((
            "near".into(),
            format!("{:.5},{:.5}", place.latitude, place.longitude),
        ));
        pairs.push(("place".into(), place.label.clone()));
        pairs
    };
    let links = near_place(first);
    let others = found
        .iter()
        .skip(1)
        .map(|place| {
            let mut pairs = near_place(place);
            if groups {
                pairs.insert(0, ("kind".into(), "groups".into()));
            }
            let query: Vec<String> = pairs
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(n, v)| format!("{n}={}", encode(v)))
                .collect();
            (place.label.clone(), format!("/search?{}", query.join("&")))
        })
        .collect();
    Ok(Near {
        query: links
            .iter()
            .filter(|(n, _)| n != "place")
            .cloned()
            .collect(),
        links,
        used: Some(first.label.clone()),
        others,
    })
}

/// The query read, with the place that could not be found named among its mistakes.
fn with_near_error<T>(
    read: convene_api::error::Result<T>,
    near: Option<FieldError>,
) -> convene_api::error::Result<T> {
    let Some(near) = near else {
        return read;
    };
    let mut errors = match read {
        Err(convene_api::Error::Invalid(errors)) => errors,
        _ => Vec::new(),
    };
    // The query saw the name where it reads coordinates: those complaints are this one.
    errors.retain(|e| {
        e.field != "near" && !(e.field == "radius_km" && e.message.contains("needs a point"))
    });
    errors.insert(0, near);
    Err(convene_api::Error::Invalid(errors))
}

/// The path here of `address` when it is on this instance (`public_url`'s origin).
fn here(public_url: &str, address: &str) -> Option<String> {
    let ours = url::Url::parse(public_url).ok()?;
    let given = url::Url::parse(address).ok()?;
    (given.origin() == ours.origin()).then(|| match given.query() {
        Some(query) => format!("{}?{query}", given.path()),
        None => given.path().to_string(),
    })
}
