//! What the index holds for an event: only what everyone may see.

use crate::text::strip_html;
use convene_domain::event::details::{EventStatus, Visibility};
use convene_domain::Event;
use serde::{Deserialize, Serialize};

/// The origin of local events.
pub const LOCAL: &str = "local";

/// An event as indexed and returned by a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventDocument {
    pub id: String,
    pub title: String,
    /// The description as plain text.
    pub description: String,
    pub tags: Vec<String>,
    pub place: Option<String>,
    pub locality: Option<String>,
    /// The organiser's username, or the group's handle when the group hides which member
    /// organised it.
    pub organiser: String,
    /// The handle of the group organising the event.
    #[serde(default)]
    pub group: Option<String>,
    /// Unix seconds.
    pub begins_at: i64,
    pub ends_at: Option<i64>,
    pub time_zone: String,
    pub category: String,
    pub online: bool,
    /// `tentative`, `confirmed` or `cancelled`.
    pub status: String,
    /// `local`, or the host of the instance the event comes from.
    pub origin: String,
    pub language: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Participants holding a seat; absent when the organiser hides the count.
    pub participants: Option<i64>,
}

pub fn status_name(status: EventStatus) -> &'static str {
    match status {
        EventStatus::Tentative => "tentative",
        EventStatus::Confirmed => "confirmed",
        EventStatus::Cancelled => "cancelled",
    }
}

/// What the log says of an event beyond its aggregate's state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shown {
    pub draft: bool,
    /// The profile that created it, or that profile's account, or the group organising it, is
    /// suspended by moderators; or it comes from another instance's domain the administrators
    /// suspended or limited.
    pub organiser_suspended: bool,
}

/// The document of event `id` in state `event`, or none when it must not be found: deleted,
/// draft, not public (unlisted and private events are reached by their link or invitation
/// only), kept to a group's members, hidden or removed by the instance's moderators, or
/// organised by a profile they suspended.
pub fn event_document(
    id: &str,
    event: &Event,
    shown: Shown,
    origin: &str,
) -> Option<EventDocument> {
    let details = event.details()?;
    let group = event.group();
    let moderation = event.moderation();
    if moderation.hidden || moderation.removed || shown.organiser_suspended {
        return None;
    }
    let draft = shown.draft;
    if draft || details.visibility != Visibility::Public || group.is_some_and(|g| g.members_only) {
        return None;
    }
    let shown_organiser = group.filter(|g| g.hide_organiser).map(|g| g.handle.clone());
    let address = details.address.as_ref();
    let coordinates = address
        .and_then(|a| a.latitude.zip(a.longitude))
        .filter(|(lat, lon)| (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon));
    Some(EventDocument {
        id: id.to_string(),
        title: details.title.clone(),
        description: strip_html(&details.description),
        tags: details.tags.clone(),
        place: address.and_then(|a| a.name.clone()),
        locality: address.and_then(|a| a.locality.clone()),
        organiser: shown_organiser.unwrap_or_else(|| creator(event)),
        group: group.map(|g| g.handle.clone()),
        begins_at: details.begins_at.unix_timestamp(),
        ends_at: details.ends_at.map(|t| t.unix_timestamp()),
        time_zone: details.time_zone.clone(),
        category: details.category.clone(),
        online: details.is_online(),
        status: status_name(details.status).to_string(),
        origin: origin.to_string(),
        language: details.language.clone(),
        lat: coordinates.map(|c| c.0),
        lon: coordinates.map(|c| c.1),
        participants: (!details.options.hide_participant_count).then(|| event.seats_taken() as i64),
    })
}

/// The username of the profile that created `event`, or the handle of its remote organiser.
fn creator(event: &Event) -> String {
    if let Some(origin) = event.origin() {
        return origin.actor_handle.clone();
    }
    event
        .participations()
        .iter()
        .find(|p| p.state == convene_domain::event::ParticipantState::Creator)
        .and_then(|p| match &p.who {
            convene_domain::event::Participant::Profile(name) => Some(name.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

impl EventDocument {
    /// The text searched, in one string: title, description, tags, place, organiser, group.
    pub fn searchable_text(&self) -> String {
        let mut parts = vec![self.title.as_str(), self.description.as_str()];
        parts.extend(self.tags.iter().map(String::as_str));
        parts.extend(self.place.as_deref());
        parts.extend(self.locality.as_deref());
        parts.push(&self.organiser);
        parts.extend(self.group.as_deref());
        parts.join(" ")
    }

    /// A public, confirmed, in-person "Meetup" by @organiser beginning at `begins_at` (Unix
    /// seconds) at `(lat, lon)`, written straight into an index by tests of its queries.
    #[doc(hidden)]
    pub fn meetup(id: String, begins_at: i64, (lat, lon): (f64, f64)) -> Self {
        Self {
            id,
            title: "Meetup".into(),
            description: String::new(),
            tags: vec![],
            place: None,
            locality: None,
            organiser: "organiser".into(),
            group: None,
            begins_at,
            ends_at: None,
            time_zone: "UTC".into(),
            category: "MEETING".into(),
            online: false,
            status: "confirmed".into(),
            origin: "local".into(),
            language: "en".into(),
            lat: Some(lat),
            lon: Some(lon),
            participants: None,
        }
    }
}
