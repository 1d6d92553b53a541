//! An event as an ActivityStreams `Event`, with Mobilizon's extensions.

use super::image::{banner_document, image_object, DocumentObject, ImageObject};
use super::place::{Hashtag, Link, Place, PostalAddress, PropertyValue};
use super::{audience, base, timestamp, ActorRef};
use chrono::{Offset, TimeZone};
use convene_domain::event::details::{Address, EventDetails, EventStatus, JoinMode};
use convene_domain::picture::ShownPicture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{OffsetDateTime, UtcOffset};

/// An event as federated: what the outbox knows of it from the log and the read models
/// (`EventView` and the actor URLs of its organiser and group).
#[derive(Debug, Clone, PartialEq)]
pub struct FederatedEvent {
    pub uuid: String,
    /// The profile that organises it.
    pub organiser: ActorRef,
    /// The group organising it, if one does.
    pub group: Option<FederatedGroup>,
    pub details: EventDetails,
    pub draft: bool,
    /// Participants (role participant and up), as Mobilizon counts them.
    pub participant_count: i64,
    /// Actor ids of the people taking part, addressed when the event is private.
    pub participants: Vec<String>,
    /// The picture it shows, if any.
    pub picture: Option<ShownPicture>,
    pub published: OffsetDateTime,
    pub updated: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedGroup {
    pub actor: ActorRef,
    /// The group shows itself as the organiser: the member who created the event is not named.
    pub hide_organiser: bool,
    /// For the group's members only: addressed to its `members` alone.
    pub members_only: bool,
}

/// Where an event lives: `{public_url}/events/{uuid}`, its id and its page.
pub fn event_url(public_url: &str, uuid: &str) -> String {
    format!("{}/events/{uuid}", base(public_url))
}

/// The `Event` object Mobilizon emits (see its converter), field by field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventObject {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    pub url: String,
    pub uuid: String,
    pub name: String,
    pub content: String,
    pub media_type: String,
    /// Plain text Mastodon shows: when and where.
    pub summary: String,
    pub start_time: String,
    pub end_time: Option<String>,
    pub timezone: String,
    pub published: String,
    pub updated: String,
    pub actor: String,
    pub attributed_to: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub category: String,
    pub tag: Vec<Hashtag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Place>,
    pub join_mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_participation_url: Option<String>,
    pub maximum_attendee_capacity: Option<i64>,
    /// Absent when the organiser hides the seats left; `null` when there is no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_attendee_capacity: Option<Option<i64>>,
    /// Absent when the organiser hides the number of participants.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant_count: Option<i64>,
    pub replies_moderation_option: String,
    pub comments_enabled: bool,
    pub anonymous_participation_enabled: bool,
    pub is_online: bool,
    pub draft: bool,
    /// Mobilizon sends both; older peers read only `ical:status`.
    pub status: String,
    #[serde(rename = "ical:status")]
    pub ical_status: String,
    pub in_language: String,
    pub attachment: Vec<Attachment>,
    /// The picture again, as an `Image` with its alternative text (Mobilizon 5 reads either).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageObject>,
}

/// What an event attaches: metadata links and its online address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Attachment {
    PropertyValue(PropertyValue),
    Link(Link),
    /// The picture, named "Banner".
    Document(DocumentObject),
}

/// The `Event` object of `event`.
pub fn event_object(public_url: &str, event: &FederatedEvent) -> EventObject {
    let details = &event.details;
    let id = event_url(public_url, &event.uuid);
    let (actor, attributed_to) = match &event.group {
        Some(group) if group.hide_organiser => (&group.actor, &group.actor),
        Some(group) => (&event.organiser, &group.actor),
        None => (&event.organiser, &event.organiser),
    };
    let (to, cc) = match &event.group {
        Some(group) if group.members_only => (vec![format!("{}/members", group.actor.id)], vec![]),
        _ => audience(
            details.visibility,
            &[attributed_to.followers.as_str()],
            &event.participants,
        ),
    };
    let status = match details.status {
        EventStatus::Tentative => "TENTATIVE",
        EventStatus::Confirmed => "CONFIRMED",
        EventStatus::Cancelled => "CANCELLED",
    }
    .to_string();
    let mut attachment: Vec<Attachment> = details
        .links
        .iter()
        .map(|link| {
            Attachment::PropertyValue(PropertyValue {
                kind: "PropertyValue".into(),
                property_id: link.key.clone(),
                value: link.value.clone(),
                name: (!link.title.is_empty()).then(|| link.title.clone()),
            })
        })
        .collect();
    // An address kept for participants is not published.
    if let Some(online) = details
        .online_url
        .as_ref()
        .filter(|_| !details.options.online_url_for_participants)
    {
        attachment.push(Attachment::Link(Link {
            kind: "Link".into(),
            href: online.clone(),
            media_type: "text/html".into(),
            name: "Website".into(),
        }));
    }
    if let Some(picture) = &event.picture {
        attachment.push(Attachment::Document(banner_document(public_url, picture)));
    }
    let remaining = details
        .capacity
        .map(|capacity| (capacity - event.participant_count).max(0));
    EventObject {
        context: Some(crate::context::context()),
        kind: "Event".into(),
        url: id.clone(),
        uuid: event.uuid.clone(),
        name: details.title.clone(),
        content: details.description.clone(),
        media_type: "text/html".into(),
        summary: summary(details),
        start_time: timestamp(in_zone(details.begins_at, &details.time_zone)),
        end_time: details
            .ends_at
            .map(|at| timestamp(in_zone(at, &details.time_zone))),
        timezone: details.time_zone.clone(),
        published: timestamp(event.published),
        updated: timestamp(event.updated),
        actor: actor.id.clone(),
        attributed_to: attributed_to.id.clone(),
        to,
        cc,
        category: details.category.clone(),
        tag: details
            .tags
            .iter()
            .map(|tag| Hashtag {
                kind: "Hashtag".into(),
                name: format!("#{tag}"),
                href: format!("{}/tags/{tag}", base(public_url)),
            })
            .collect(),
        location: details.address.as_ref().map(|address| place(&id, address)),
        join_mode: match details.join_mode {
            JoinMode::Free => "free",
            JoinMode::Restricted => "restricted",
            JoinMode::Invite => "invite",
            JoinMode::External => "external",
        }
        .into(),
        external_participation_url: details.external_url.clone(),
        maximum_attendee_capacity: details.capacity,
        remaining_attendee_capacity: details.options.show_remaining_seats.then_some(remaining),
        participant_count: (!details.options.hide_participant_count)
            .then_some(event.participant_count),
        replies_moderation_option: if details.options.comments_open {
            "allow_all"
        } else {
            "closed"
        }
        .into(),
        comments_enabled: details.options.comments_open,
        anonymous_participation_enabled: details.options.anonymous_participation,
        // Mobilizon's `isOnline` means "only online": a place makes it in person too.
        is_online: details.online_url.is_some() && details.address.is_none(),
        draft: event.draft,
        ical_status: status.clone(),
        status,
        in_language: details.language.clone(),
        attachment,
        image: event
            .picture
            .as_ref()
            .map(|picture| image_object(public_url, picture)),
        id,
    }
}

fn place(event_id: &str, address: &Address) -> Place {
    Place {
        kind: "Place".into(),
        // Addresses have no page of their own: a fragment of the event names this one.
        id: format!("{event_id}#address"),
        name: address.name.clone(),
        address: PostalAddress {
            kind: "PostalAddress".into(),
            street_address: address.street.clone(),
            postal_code: address.postal_code.clone(),
            address_locality: address.locality.clone(),
            address_region: address.region.clone(),
            address_country: address.country.clone(),
        },
        latitude: address.latitude,
        longitude: address.longitude,
    }
}

/// The offset of IANA zone `zone` at `at` (UTC for a zone we do not know).
pub(crate) fn zone_offset(at: OffsetDateTime, zone: &str) -> UtcOffset {
    let Ok(tz) = zone.parse::<chrono_tz::Tz>() else {
        return UtcOffset::UTC;
    };
    let seconds = chrono::DateTime::from_timestamp(at.unix_timestamp(), 0)
        .map(|utc| {
            tz.offset_from_utc_datetime(&utc.naive_utc())
                .fix()
                .local_minus_utc()
        })
        .unwrap_or(0);
    UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
}

/// `at` shifted into the event's zone, as Mobilizon writes `startTime` (an offset, not `Z`).
fn in_zone(at: OffsetDateTime, zone: &str) -> OffsetDateTime {
    at.to_offset(zone_offset(at, zone))
}

/// "Sat 1 June 2030, 14:00 (UTC+02:00) - Hall, 1 Main Street, Lyon": when and where in plain
/// text, for software that shows only `summary` (Mastodon).
fn summary(details: &EventDetails) -> String {
    let begins = in_zone(details.begins_at, &details.time_zone);
    let format = time::macros::format_description!(
        "[weekday repr:short] [day padding:none] [month repr:long] [year], [hour]:[minute] (UTC[offset_hour sign:mandatory]:[offset_minute])"
    );
    let mut text = begins.format(&format).unwrap_or_default();
    if let Some(address) = &details.address {
        let parts: Vec<&str> = [
            &address.name,
            &address.street,
            &address.postal_code,
            &address.locality,
            &address.country,
        ]
        .into_iter()
        .filter_map(|p| p.as_deref())
        .collect();
        if !parts.is_empty() {
            text.push_str(" - ");
            text.push_str(&parts.join(", "));
        }
    }
    text
}
