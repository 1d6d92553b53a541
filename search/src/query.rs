//! What a search asks for and what it answers: the same for every backend.

use crate::document::EventDocument;
use serde::Serialize;
use std::collections::BTreeMap;

/// Largest page a search returns.
pub const PER_PAGE_MAX: u32 = 100;
/// Largest radius accepted: half the Earth's circumference.
pub const RADIUS_KM_MAX: f64 = 20_000.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
}

/// Which instances' events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OriginFilter {
    Local,
    Remote,
    #[default]
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Best match first (soonest first without text).
    #[default]
    Relevance,
    /// Soonest first.
    Date,
    /// Most participants first.
    Participants,
}

/// A search for events; every filter is optional and they all apply together.
#[derive(Debug, Clone, PartialEq)]
pub struct EventQuery {
    pub text: String,
    pub near: Option<Near>,
    /// Events beginning at or after this time (Unix seconds).
    pub from: Option<i64>,
    /// Events beginning at or before this time (Unix seconds).
    pub to: Option<i64>,
    pub category: Option<String>,
    /// Events carrying every one of these tags.
    pub tags: Vec<String>,
    pub online: Option<bool>,
    pub origin: OriginFilter,
    pub status: Option<String>,
    pub sort: Sort,
    /// From 1.
    pub page: u32,
    pub per_page: u32,
}

impl Default for EventQuery {
    fn default() -> Self {
        Self {
            text: String::new(),
            near: None,
            from: None,
            to: None,
            category: None,
            tags: Vec::new(),
            online: None,
            origin: OriginFilter::All,
            status: None,
            sort: Sort::Relevance,
            page: 1,
            per_page: 20,
        }
    }
}

impl EventQuery {
    pub fn text(text: &str) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    pub fn offset(&self) -> u64 {
        u64::from(self.page.max(1) - 1) * u64::from(self.per_page)
    }
}

/// One event found, with its text highlighted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventHit {
    #[serde(flatten)]
    pub event: EventDocument,
    /// The title, HTML-escaped, the matching words in `<mark>`.
    pub title_html: String,
    /// Some words of the description around the first match, escaped and marked the same way.
    pub snippet_html: String,
    /// From the `near` point, when one was given.
    pub distance_km: Option<f64>,
}

/// How many of the matching events fall in each value of a filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Facets {
    pub category: BTreeMap<String, u64>,
    /// `online` and `in_person`.
    pub online: BTreeMap<String, u64>,
    /// `local` and `remote`.
    pub origin: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventHits {
    /// How many events match; when `total_exact` is false, at least this many.
    pub total: u64,
    /// False when the backend stopped counting (the embedded index counts up to 1,000 matches;
    /// facets then count those).
    pub total_exact: bool,
    pub hits: Vec<EventHit>,
    pub facets: Facets,
}
