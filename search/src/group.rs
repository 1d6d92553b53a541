//! Groups in the index: what is kept of a public group, how groups are searched, and what a
//! search answers. Unlisted groups are reached by their address only, never found.

use crate::query::{Near, PER_PAGE_MAX};
use crate::text::strip_html;
use convene_domain::group::GroupVisibility;
use convene_domain::{Group, MemberRole};
use serde::{Deserialize, Serialize};

/// A public group as indexed and returned by a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupDocument {
    /// The group's handle (its page is `/@{id}`).
    pub id: String,
    pub name: String,
    /// The summary as plain text.
    pub summary: String,
    pub locality: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Members, moderators, administrators and the creator (not those invited or waiting).
    pub members: i64,
}

/// The document of group `id` in state `group`, or none when it must not be found: not
/// created, unlisted, or suspended by the instance's moderators.
pub fn group_document(id: &str, group: &Group) -> Option<GroupDocument> {
    let details = group.details()?;
    if details.visibility != GroupVisibility::Public || group.suspended() {
        return None;
    }
    let address = details.address.as_ref();
    let coordinates = address
        .and_then(|a| a.latitude.zip(a.longitude))
        .filter(|(lat, lon)| (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon));
    let members = group
        .members()
        .values()
        .filter(|role| {
            matches!(
                role,
                MemberRole::Member
                    | MemberRole::Moderator
                    | MemberRole::Administrator
                    | MemberRole::Creator
            )
        })
        .count() as i64;
    Some(GroupDocument {
        id: id.to_string(),
        name: details.display_name.clone(),
        summary: strip_html(&details.summary),
        locality: address.and_then(|a| a.locality.clone()),
        lat: coordinates.map(|c| c.0),
        lon: coordinates.map(|c| c.1),
        members,
    })
}

impl GroupDocument {
    /// The text searched: name, handle, summary, locality.
    pub fn searchable_text(&self) -> String {
        let mut parts = vec![self.name.as_str(), self.id.as_str(), self.summary.as_str()];
        parts.extend(self.locality.as_deref());
        parts.join(" ")
    }
}

/// A search for groups: words and a distance, both optional. Best match first with words,
/// most members first without.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupQuery {
    pub text: String,
    pub near: Option<Near>,
    /// From 1.
    pub page: u32,
    pub per_page: u32,
}

impl Default for GroupQuery {
    fn default() -> Self {
        Self {
            text: String::new(),
            near: None,
            page: 1,
            per_page: 20,
        }
    }
}

impl GroupQuery {
    pub fn text(text: &str) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    pub fn offset(&self) -> u64 {
        u64::from(self.page.max(1) - 1) * u64::from(self.per_page.min(PER_PAGE_MAX))
    }
}

/// One group found, with its text highlighted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupHit {
    #[serde(flatten)]
    pub group: GroupDocument,
    /// The name, HTML-escaped, the matching words in `<mark>`.
    pub name_html: String,
    /// Some words of the summary around the first match, escaped and marked the same way.
    pub snippet_html: String,
    /// From the `near` point, when one was given.
    pub distance_km: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupHits {
    /// How many groups match; when `total_exact` is false, at least this many.
    pub total: u64,
    pub total_exact: bool,
    pub hits: Vec<GroupHit>,
}

/// A group found, highlighted for `terms`, with its distance from the query's point.
pub fn group_hit(group: GroupDocument, terms: &[String], near: Option<Near>) -> GroupHit {
    let distance_km = near.zip(group.lat.zip(group.lon)).map(|(near, place)| {
        let km = crate::geo::distance_km((near.lat, near.lon), place);
        (km * 10.0).round() / 10.0
    });
    GroupHit {
        name_html: crate::text::highlight(&group.name, terms),
        snippet_html: crate::text::snippet(&group.summary, terms, 30),
        distance_km,
        group,
    }
}
