//! Searching events: the query a front end sends, read parameter by parameter (each mistake
//! named), and answered from the search index (which holds only what everyone may see).

use crate::error::{Error, Result};
use crate::AppState;
use convene_domain::event::details::CATEGORIES;
use convene_domain::metadata::parse_timestamp;
use convene_domain::FieldError;
use convene_search::query::{PER_PAGE_MAX, RADIUS_KM_MAX};
use convene_search::{EventHits, EventQuery, GroupHits, GroupQuery, Near, OriginFilter, Sort};
use time::macros::format_description;
use time::{Date, Time};

/// Longest text searched, in characters.
pub const Q_MAX: usize = 500;
/// Radius used when `near` comes without one.
pub const DEFAULT_RADIUS_KM: f64 = 25.0;
/// Deepest page served: further pages of a broad search say nothing useful.
pub const PAGE_MAX: u32 = 1_000;

/// The parameters `GET /api/v1/search/events` and the search page take.
pub const EVENT_PARAMETERS: [&str; 13] = [
    "q",
    "near",
    "radius_km",
    "from",
    "to",
    "category",
    "tags",
    "online",
    "origin",
    "status",
    "sort",
    "page",
    "per_page",
];

/// The parameters `GET /api/v1/search/groups` and the search page's groups take.
pub const GROUP_PARAMETERS: [&str; 5] = ["q", "near", "radius_km", "page", "per_page"];

/// Reads a search for events from `name=value` pairs; every parameter it does not know, and
/// every value that does not read, is a field error. An empty value is the same as no value.
pub fn event_query(pairs: &[(String, String)]) -> Result<EventQuery> {
    read_query(pairs, &EVENT_PARAMETERS)
}

/// Reads a search for groups: words, a distance and a page, by the same rules as events.
pub fn group_query(pairs: &[(String, String)]) -> Result<GroupQuery> {
    let query = read_query(pairs, &GROUP_PARAMETERS)?;
    Ok(GroupQuery {
        text: query.text,
        near: query.near,
        page: query.page,
        per_page: query.per_page,
    })
}

/// Reads the parameters `allowed` (a subset of [`EVENT_PARAMETERS`]) from `pairs`.
fn read_query(pairs: &[(String, String)], allowed: &[&str]) -> Result<EventQuery> {
    let mut errors = Vec::new();
    let mut query = EventQuery::default();
    let mut refuse = |field: &str, message: String| {
        errors.push(FieldError {
            field: field.into(),
            message,
        })
    };
    let mut near: Option<(f64, f64)> = None;
    let mut radius: Option<f64> = None;
    for (name, value) in pairs {
        let value = value.trim();
        if !allowed.contains(&name.as_str()) {
            refuse(
                name,
                format!(
                    "`{name}` is not a search parameter: use {}",
                    allowed.join(", ")
                ),
            );
            continue;
        }
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "q" => {
                if value.chars().count() > Q_MAX {
                    refuse("q", format!("search with at most {Q_MAX} characters"));
                } else {
                    query.text = value.to_string();
                }
            }
            "near" => match parse_near(value) {
                Ok(point) => near = Some(point),
                Err(message) => refuse("near", message),
            },
            "radius_km" => match value.parse::<f64>() {
                Ok(km) if km.is_finite() && km > 0.0 && km <= RADIUS_KM_MAX => radius = Some(km),
                _ => refuse(
                    "radius_km",
                    format!("radius_km is a distance in kilometres, above 0 and at most {RADIUS_KM_MAX}"),
                ),
            },
            "from" | "to" => match parse_time(value, name == "to") {
                Some(at) if name == "from" => query.from = Some(at),
                Some(at) => query.to = Some(at),
                None => refuse(
                    name,
                    format!("`{value}` is not a date (2026-12-01) or an RFC 3339 time"),
                ),
            },
            "category" => {
                let category = value.to_uppercase();
                if CATEGORIES.contains(&category.as_str()) {
                    query.category = Some(category);
                } else {
                    refuse("category", format!("`{value}` is not a category"));
                }
            }
            "tags" => {
                query.tags = value
                    .split(',')
                    .map(|t| t.trim().trim_start_matches('#').to_lowercase())
                    .filter(|t| !t.is_empty())
                    .collect();
                if query.tags.len() > 20 {
                    refuse("tags", "search with at most 20 tags".into());
                }
            }
            "online" => match value {
                "true" => query.online = Some(true),
                "false" => query.online = Some(false),
                _ => refuse("online", "online is true or false".into()),
            },
            "origin" => match value {
                "local" => query.origin = OriginFilter::Local,
                "remote" => query.origin = OriginFilter::Remote,
                "all" => query.origin = OriginFilter::All,
                _ => refuse("origin", "origin is local, remote or all".into()),
            },
            "status" => match value {
                "tentative" | "confirmed" | "cancelled" => query.status = Some(value.into()),
                _ => refuse("status", "status is tentative, confirmed or cancelled".into()),
            },
            "sort" => match value {
                "relevance" => query.sort = Sort::Relevance,
                "date" => query.sort = Sort::Date,
                "participants" => query.sort = Sort::Participants,
                _ => refuse("sort", "sort is relevance, date or participants".into()),
            },
            "page" => match value.parse::<u32>() {
                Ok(page) if (1..=PAGE_MAX).contains(&page) => query.page = page,
                _ => refuse("page", format!("page is a number from 1 to {PAGE_MAX}")),
            },
            "per_page" => match value.parse::<u32>() {
                Ok(n) if (1..=PER_PAGE_MAX).contains(&n) => query.per_page = n,
                _ => refuse("per_page", format!("per_page is 1 to {PER_PAGE_MAX}")),
            },
            // Unknown names were refused before the match.
            _ => {}
        }
    }
    match (near, radius) {
        (Some((lat, lon)), radius) => {
            query.near = Some(Near {
                lat,
                lon,
                radius_km: radius.unwrap_or(DEFAULT_RADIUS_KM),
            })
        }
        (None, Some(_)) => refuse(
            "radius_km",
            "a radius needs a point: give near=LATITUDE,LONGITUDE too".into(),
        ),
        (None, None) => {}
    }
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from > to {
            refuse("to", "to comes before from: swap them".into());
        }
    }
    if errors.is_empty() {
        Ok(query)
    } else {
        Err(Error::Invalid(errors))
    }
}

fn parse_near(value: &str) -> std::result::Result<(f64, f64), String> {
    let usage = || format!("`{value}` is not LATITUDE,LONGITUDE in degrees (48.85,2.35)");
    let (lat, lon) = value.split_once(',').ok_or_else(usage)?;
    let lat: f64 = lat.trim().parse().map_err(|_| usage())?;
    let lon: f64 = lon.trim().parse().map_err(|_| usage())?;
    if !(-90.0..=90.0).contains(&lat) {
        return Err("the latitude is between -90 and 90".into());
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err("the longitude is between -180 and 180".into());
    }
    Ok((lat, lon))
}

/// Unix seconds of an RFC 3339 time, or of a day (its start, or its end for `to`).
fn parse_time(value: &str, end_of_day: bool) -> Option<i64> {
    if let Ok(at) = parse_timestamp(value) {
        return Some(at.unix_timestamp());
    }
    let day = Date::parse(value, format_description!("[year]-[month]-[day]")).ok()?;
    let time = if end_of_day {
        Time::from_hms(23, 59, 59).ok()?
    } else {
        Time::MIDNIGHT
    };
    Some(day.with_time(time).assume_utc().unix_timestamp())
}

/// Public events matching `query`, local and remote.
pub async fn events(state: &AppState, query: &EventQuery) -> Result<EventHits> {
    state.search.search_events(query).await.map_err(failed)
}

/// Public groups matching `query`.
pub async fn groups(state: &AppState, query: &GroupQuery) -> Result<GroupHits> {
    state.search.search_groups(query).await.map_err(failed)
}

fn failed(error: convene_search::Error) -> Error {
    match error {
        convene_search::Error::Unavailable(cause) => {
            tracing::warn!(%cause, "search is unavailable");
            Error::Unavailable("search is unavailable for a moment: try again in a minute".into())
        }
        other => Error::internal(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    fn fields(query: &str) -> Vec<String> {
        match event_query(&pairs(query)) {
            Err(Error::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("{query}: {other:?}"),
        }
    }

    #[test]
    fn each_bad_parameter_is_named() {
        assert_eq!(fields("colour=red"), ["colour"]);
        assert_eq!(fields("radius_km=5"), ["radius_km"]);
        assert_eq!(fields("near=1,2&radius_km=-3"), ["radius_km"]);
        assert_eq!(fields("near=1,2&radius_km=1e9"), ["radius_km"]);
        assert_eq!(fields("near=91,2"), ["near"]);
        assert_eq!(fields("near=1,181"), ["near"]);
        assert_eq!(fields("near=abc"), ["near"]);
        assert_eq!(fields("from=2026-05-02&to=2026-05-01"), ["to"]);
        assert_eq!(fields(&format!("q={}", "a".repeat(10_000))), ["q"]);
        assert_eq!(fields("page=0&per_page=1000"), ["page", "per_page"]);
        assert_eq!(fields("category=NOPE&online=maybe"), ["category", "online"]);
    }

    #[test]
    fn groups_take_words_distance_and_pages_only() {
        let query = group_query(&pairs(
            "q=bikes&near=48.85,2.35&radius_km=10&page=2&per_page=5",
        ))
        .expect("a query");
        assert_eq!(query.near.map(|n| n.radius_km), Some(10.0));
        assert_eq!(
            (query.text.as_str(), query.page, query.per_page),
            ("bikes", 2, 5)
        );
        match group_query(&pairs("category=MUSIC&radius_km=5")) {
            Err(Error::Invalid(errors)) => assert_eq!(
                errors.into_iter().map(|e| e.field).collect::<Vec<_>>(),
                ["category", "radius_km"]
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_good_query_reads_whole() {
        let query = event_query(&pairs(
            "q=climate&near=48.85,2.35&radius_km=10&from=2026-05-01&to=2026-05-01&\
             category=music&tags=a,%23B&online=false&origin=remote&status=cancelled&sort=date&\
             page=2&per_page=5",
        ))
        .expect("a query");
        assert_eq!(query.near.map(|n| n.radius_km), Some(10.0));
        assert_eq!(query.to.zip(query.from).map(|(t, f)| t - f), Some(86_399));
        assert_eq!(query.category.as_deref(), Some("MUSIC"));
        assert_eq!(query.tags, ["a", "b"]);
        assert_eq!((query.page, query.per_page), (2, 5));
        assert_eq!(query.origin, OriginFilter::Remote);
    }
}
