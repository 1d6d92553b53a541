//! `/search/events` and `/search/groups`.

use super::problem::Problem;
use crate::search;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::Json;
use convene_search::{EventHits, GroupHits};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(events))
        .routes(routes!(groups))
}

/// Public events, local and from other instances, matching words (one typo forgiven in longer
/// words, accents ignored, the last word as a prefix) and filters. Each hit carries its title
/// and a snippet HTML-escaped with the matching words in `<mark>`; `facets` count the matching
/// events by category, online or in person, and origin.
#[utoipa::path(get, path = "/search/events", tag = "search",
    params(
        ("q" = Option<String>, Query, description = "Words to find (at most 500 characters)"),
        ("near" = Option<String>, Query, description = "LATITUDE,LONGITUDE of the centre of a distance search"),
        ("radius_km" = Option<f64>, Query, description = "Distance from `near`, in km (default 25)"),
        ("from" = Option<String>, Query, description = "Events beginning on or after this day or RFC 3339 time"),
        ("to" = Option<String>, Query, description = "Events beginning on or before this day or RFC 3339 time"),
        ("category" = Option<String>, Query, description = "One of the event categories"),
        ("tags" = Option<String>, Query, description = "Comma-separated tags, all required"),
        ("online" = Option<bool>, Query, description = "true: online events; false: in person"),
        ("origin" = Option<String>, Query, description = "local, remote or all (default)"),
        ("status" = Option<String>, Query, description = "tentative, confirmed or cancelled"),
        ("sort" = Option<String>, Query, description = "relevance (default), date or participants"),
        ("page" = Option<u32>, Query, description = "From 1"),
        ("per_page" = Option<u32>, Query, description = "1 to 100 (default 20)"),
    ),
    responses((status = 200, body = EventHits), (status = 422, body = Problem)))]
async fn events(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<EventHits>, Problem> {
    let query = search::event_query(&pairs(raw))?;
    Ok(Json(search::events(&state, &query).await?))
}

fn pairs(raw: Option<String>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// Public groups (never unlisted ones) matching words (one typo forgiven in longer words,
/// accents ignored, each word as a prefix) in their name, handle, summary or locality, and a
/// distance: best match first, most members first without words. Each hit carries its name and
/// a snippet of its summary HTML-escaped with the matching words in `<mark>`.
#[utoipa::path(get, path = "/search/groups", tag = "search",
    params(
        ("q" = Option<String>, Query, description = "Words to find (at most 500 characters)"),
        ("near" = Option<String>, Query, description = "LATITUDE,LONGITUDE of the centre of a distance search"),
        ("radius_km" = Option<f64>, Query, description = "Distance from `near`, in km (default 25)"),
        ("page" = Option<u32>, Query, description = "From 1"),
        ("per_page" = Option<u32>, Query, description = "1 to 100 (default 20)"),
    ),
    responses((status = 200, body = GroupHits), (status = 422, body = Problem),
        (status = 503, body = Problem, description = "Meilisearch does not answer in time")))]
async fn groups(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<GroupHits>, Problem> {
    let query = search::group_query(&pairs(raw))?;
    Ok(Json(search::groups(&state, &query).await?))
}
