//! What templates show, computed from read models in the visitor's language and time zone.

use crate::i18n::Catalogue;
use chrono::TimeZone;
use chrono_tz::Tz;
use convene_api::pictures::store::Format;
use convene_domain::event::details::{Address, EventDetails, EventStatus};
use convene_domain::picture::{PictureFacts, ShownPicture};
use convene_projections::events::EventView;
use serde::Serialize;
use time::OffsetDateTime;

/// `at` in time zone `zone` (UTC when the zone is unknown).
pub fn local(at: OffsetDateTime, zone: &str) -> chrono::DateTime<Tz> {
    let tz: Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    tz.timestamp_opt(at.unix_timestamp(), at.nanosecond())
        .single()
        .unwrap_or_else(|| {
            chrono_tz::UTC
                .timestamp_opt(0, 0)
                .single()
                .expect("epoch")
                .with_timezone(&tz)
        })
}

/// "Saturday, June 1, 2030, 2:00 PM" in the catalogue's language.
pub fn moment(catalogue: &Catalogue, at: OffsetDateTime, zone: &str) -> String {
    let at = local(at, zone);
    format!("{}, {}", catalogue.date(&at), catalogue.time(&at))
}

/// A stored timestamp (RFC 3339, UTC) as a date and time in `zone`, in the catalogue's
/// language; the text as it is when it is not a timestamp.
pub fn stamp(catalogue: &Catalogue, stored: &str, zone: &str) -> String {
    match OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339) {
        Ok(at) => moment(catalogue, at, zone),
        Err(_) => stored.to_string(),
    }
}

/// When an event happens, in its own zone and, if different, in the viewer's.
#[derive(Debug, Serialize)]
pub struct When {
    pub starts: String,
    pub ends: Option<String>,
    pub zone: String,
    /// The start in the viewer's time zone, when theirs differs.
    pub yours: Option<String>,
    /// Machine-readable start and end (for `<time datetime>` and JSON-LD).
    pub starts_iso: String,
    pub ends_iso: Option<String>,
}

pub fn when(catalogue: &Catalogue, details: &EventDetails, viewer_zone: Option<&str>) -> When {
    let zone = details.time_zone.as_str();
    let iso = |at: OffsetDateTime| local(at, zone).to_rfc3339();
    let offset_differs = viewer_zone.filter(|viewer| {
        let theirs = local(details.begins_at, viewer);
        let ours = local(details.begins_at, zone);
        theirs.naive_local() != ours.naive_local()
    });
    When {
        starts: moment(catalogue, details.begins_at, zone),
        ends: details.ends_at.map(|end| {
            let same_day =
                local(end, zone).date_naive() == local(details.begins_at, zone).date_naive();
            if same_day {
                catalogue.time(&local(end, zone))
            } else {
                moment(catalogue, end, zone)
            }
        }),
        zone: zone.to_string(),
        yours: offset_differs.map(|viewer| {
            format!(
                "{} ({viewer})",
                moment(catalogue, details.begins_at, viewer)
            )
        }),
        starts_iso: iso(details.begins_at),
        ends_iso: details.ends_at.map(iso),
    }
}

/// One line for a place: its name and town, or "Online".
pub fn place(catalogue: &Catalogue, details: &EventDetails) -> String {
    let physical = details.address.as_ref().map(|a| {
        [a.name.as_deref(), a.locality.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
    });
    match (physical.filter(|p| !p.is_empty()), details.is_online()) {
        (Some(place), true) => format!("{place} · {}", catalogue.text("online")),
        (Some(place), false) => place,
        (None, true) => catalogue.text("online"),
        (None, false) => String::new(),
    }
}

/// A link to the address on OpenStreetMap: the exact point, or a search for the address.
pub fn map_link(address: &Address) -> Option<String> {
    if let (Some(lat), Some(lon)) = (address.latitude, address.longitude) {
        return Some(format!(
            "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
        ));
    }
    let query: Vec<&str> = [
        &address.street,
        &address.postal_code,
        &address.locality,
        &address.country,
    ]
    .into_iter()
    .filter_map(|p| p.as_deref())
    .collect();
    (!query.is_empty()).then(|| {
        let query: String = url_encode(&query.join(", "));
        format!("https://www.openstreetmap.org/search?query={query}")
    })
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An event in a list.
#[derive(Debug, Serialize)]
pub struct EventCard {
    pub id: String,
    pub title: String,
    pub when: String,
    pub when_iso: String,
    pub place: String,
    pub organiser: String,
    pub category: String,
    pub seats: Option<String>,
    pub cancelled: bool,
    pub tentative: bool,
    pub draft: bool,
    /// The handle of the group organising it, and how pages name the group (filled by
    /// `pages::name_groups`, which reads the groups).
    pub group: Option<String>,
    pub group_name: Option<String>,
    /// Its tags, each a link to the list of events with it.
    pub tags: Vec<String>,
    /// For an event organised on another instance: that instance, and the original's page.
    pub origin_host: Option<String>,
    pub original: Option<String>,
    /// The event's picture, if it shows one.
    pub picture: Option<Picture>,
    /// The organising profile's avatar (filled by `pages::fill_cards`, which reads profiles).
    pub organiser_avatar: Option<Picture>,
    /// The hue of the category's own colour, shown when there is no picture.
    pub hue: u16,
}

pub fn card(catalogue: &Catalogue, event: &EventView) -> EventCard {
    let details = &event.details;
    EventCard {
        id: event.id.clone(),
        title: details.title.clone(),
        when: moment(catalogue, details.begins_at, &details.time_zone),
        when_iso: local(details.begins_at, &details.time_zone).to_rfc3339(),
        place: place(catalogue, details),
        organiser: event.organiser.clone(),
        category: catalogue.text(&format!("category_{}", details.category)),
        seats: seats(catalogue, event),
        cancelled: details.status == EventStatus::Cancelled,
        tentative: details.status == EventStatus::Tentative,
        draft: event.draft,
        group: event.group.as_ref().map(|g| g.handle.clone()),
        group_name: None,
        tags: details.tags.clone(),
        origin_host: event.origin.as_ref().map(|o| o.host().to_string()),
        original: event.origin.as_ref().map(|o| o.url.clone()),
        picture: event_picture(event).or_else(|| category_picture(&details.category)),
        organiser_avatar: None,
        hue: category_hue(&details.category),
    }
}

/// A picture as a `<picture>` shows it: a middle-sized JPEG `src` for browsers without
/// `srcset`, every JPEG rendition in `srcset` and every WebP one in `webp_srcset` (browsers
/// that take WebP choose it), the size (so the page keeps its place while it loads) and the
/// placeholder behind it (`style`: the dominant colour, and the blurhash drawn blurred when
/// there is one). A picture of another instance's has one address, and no known size.
#[derive(Debug, Clone, Serialize)]
pub struct Picture {
    pub src: String,
    pub srcset: Option<String>,
    pub webp_srcset: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub colour: String,
    /// The `style` attribute: what shows in the picture's place while it loads.
    pub style: String,
    pub alt: String,
}

/// The picture an event shows: its own, or for another instance's event the one shown there.
pub fn event_picture(event: &EventView) -> Option<Picture> {
    match (&event.picture, &event.details.remote_picture) {
        (Some(shown), _) => Some(picture(shown)),
        (None, Some(remote)) => Some(Picture {
            src: remote.url.clone(),
            srcset: None,
            webp_srcset: None,
            width: None,
            height: None,
            colour: "transparent".into(),
            style: "background-color: transparent".into(),
            alt: remote.alt.clone(),
        }),
        (None, None) => None,
    }
}

/// The picture of events in `category` that have none of their own: decorative (the category
/// is written beside it), so without alternative text.
pub fn category_picture(category: &str) -> Option<Picture> {
    let src = crate::assets::category_picture(category)?;
    let (width, height) = crate::assets::CATEGORY_PICTURE_SIZE;
    let colour = format!("hsl({} 45% 42%)", category_hue(category));
    Some(Picture {
        src,
        srcset: None,
        webp_srcset: None,
        width: Some(width),
        height: Some(height),
        style: format!("background-color: {colour}"),
        colour,
        alt: String::new(),
    })
}

/// The `style` of a picture's place: its dominant colour, and over it the blurhash stretched
/// to the picture's size (browsers smooth it into a blur).
fn placeholder_style(facts: &PictureFacts) -> String {
    let blur = facts.blurhash.as_deref().and_then(|hash| {
        convene_api::pictures::placeholder::data_uri(hash, facts.width, facts.height)
    });
    match blur {
        Some(uri) => format!(
            "background-color: {}; background-image: url({uri}); background-size: 100% 100%",
            facts.colour
        ),
        None => format!("background-color: {}", facts.colour),
    }
}

pub fn picture(shown: &ShownPicture) -> Picture {
    let facts = &shown.facts;
    let url = |w: u32, format: Format| convene_api::pictures::url(&facts.hash, w, format);
    let srcset = |format: Format| {
        facts
            .widths
            .iter()
            .map(|w| format!("{} {w}w", url(*w, format)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let middle = facts
        .widths
        .iter()
        .copied()
        .rfind(|w| *w <= 640)
        .unwrap_or(facts.width);
    Picture {
        src: url(middle, Format::Jpeg),
        srcset: Some(srcset(Format::Jpeg)),
        webp_srcset: Some(srcset(Format::Webp)),
        width: Some(facts.width),
        height: Some(facts.height),
        colour: facts.colour.clone(),
        style: placeholder_style(facts),
        alt: shown.alt.clone(),
    }
}

/// An avatar beside a name on a card: its narrowest rendition, small enough for its place.
pub fn small_avatar(shown: &ShownPicture) -> Picture {
    let facts = &shown.facts;
    let narrowest = facts.widths.first().copied().unwrap_or(facts.width);
    Picture {
        src: convene_api::pictures::url(&facts.hash, narrowest, Format::Jpeg),
        srcset: None,
        webp_srcset: None,
        width: Some(narrowest),
        height: Some(facts.height * narrowest / facts.width.max(1)),
        colour: facts.colour.clone(),
        style: format!("background-color: {}", facts.colour),
        alt: shown.alt.clone(),
    }
}

/// A hue (0–359) of the category's own, so that events without a picture still differ at a
/// glance; the same category always has the same one.
pub fn category_hue(category: &str) -> u16 {
    let sum = category
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    u16::try_from(sum % 360).unwrap_or(0)
}

/// "3 seats left" or "Full…", when the organiser shows it.
pub fn seats(catalogue: &Catalogue, event: &EventView) -> Option<String> {
    let left = event.remaining_seats?;
    Some(if left > 0 {
        catalogue.fill("seats_left", &[("n", &left.to_string())])
    } else {
        catalogue.text("full")
    })
}
