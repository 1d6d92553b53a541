//! A remote `Event` as `EventDetails`, held to the same rules as a local one.
//!
//! Choices for what local rules would refuse: a title longer than 200 characters is cut (ending
//! with "…") and one shorter than 3 is refused; an end before the start is dropped; address
//! texts are cut to 200 characters on one line; tags and metadata links beyond the local limits,
//! or that break them, are left out; an unknown category becomes MEETING; a capacity of 0 means
//! no limit (as Mobilizon writes it). A description over 100 KB, or HTML nested too deep, is
//! refused with the domain's own message.

use super::values::{
    expect_kind, id_of, ids, instant, is_web_id, items, kind, line, non_empty, number, same_origin,
    text, visibility, web_id,
};
use super::Ignored;
use crate::objects::BANNER;
use convene_domain::event::details::{
    Address, EventDetails, EventOptions, EventStatus, JoinMode, MetadataLink, Visibility,
    CATEGORIES, LINKS_MAX, TAGS_MAX, TAG_MAX, TITLE_MAX,
};
use convene_domain::picture::RemotePicture;
use convene_domain::text::plain_text;
use serde_json::Value;
use time::{OffsetDateTime, UtcOffset};

const SHORT_TEXT_MAX: usize = 200;
/// Locations read from a list (Gancio sends several).
const LOCATIONS_MAX: usize = 10;

/// A remote event, ready for the command that records it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingEvent {
    pub id: String,
    /// Its page on its origin.
    pub url: Option<String>,
    pub uuid: Option<String>,
    /// The actor that organises it (`actor`, else `attributedTo`).
    pub actor: String,
    /// Whom it is attributed to (a group for a group event), else its actor.
    pub attributed_to: String,
    /// Validated and normalised: what a local event with these values would hold.
    pub details: EventDetails,
    pub participant_count: Option<i64>,
    pub published: Option<OffsetDateTime>,
    pub updated: Option<OffsetDateTime>,
    /// Addressed to the `members` of the actor it is attributed to, and not to the public: a
    /// group's event for its members only (its visibility then reads `Unlisted`, never listed).
    pub for_members: bool,
}

/// What a `location` says: a physical address and an online one, either or both absent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Location {
    pub address: Option<Address>,
    pub online_url: Option<String>,
}

pub fn parse_event(object: &Value) -> Result<IncomingEvent, Ignored> {
    expect_kind(object, "Event")?;
    let id = web_id(object, "id")?;
    let actor = web_id(object, "actor").or_else(|_| web_id(object, "attributedTo"))?;
    let attributed_to = web_id(object, "attributedTo").unwrap_or_else(|_| actor.clone());
    if !same_origin(&id, &actor) {
        return Err(Ignored::ForeignOrigin { id, actor });
    }
    if object.get("draft").and_then(Value::as_bool) == Some(true) {
        return Err(Ignored::Draft);
    }
    let url = object
        .get("url")
        .and_then(|u| match u {
            Value::Object(link) => link.get("href").and_then(Value::as_str),
            other => id_of(other),
        })
        .filter(|u| is_web_id(u))
        .map(str::to_string);

    let begins_at = match object.get("startTime") {
        None | Some(Value::Null) => return Err(Ignored::MissingField("startTime")),
        Some(value) => instant(Some(value)).ok_or(Ignored::BadTime("startTime"))?,
    };
    let ends_at = instant(object.get("endTime")).filter(|end| *end >= begins_at);
    let time_zone = non_empty(text(object.get("timezone")))
        .filter(|zone| zone.parse::<chrono_tz::Tz>().is_ok())
        .unwrap_or_else(|| zone_of_offset(begins_at.offset()));

    let description = non_empty(text(object.get("content")))
        .or_else(|| non_empty(text(object.get("contentMap"))))
        .unwrap_or_default();
    let title = non_empty(text(object.get("name")))
        .or_else(|| non_empty(text(object.get("nameMap"))))
        .or_else(|| {
            // Software that has no title field puts it first in the text.
            non_empty(Some(plain_text(&description))).and_then(|t| {
                t.lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .map(str::to_string)
            })
        })
        .ok_or(Ignored::MissingField("name"))?;

    let to = ids(object.get("to"));
    let cc = ids(object.get("cc"));
    let members = format!("{attributed_to}/members");
    let addressed = visibility(&to, &cc);
    let for_members =
        addressed == Visibility::Private && to.iter().chain(&cc).any(|a| *a == members);
    let visibility = match for_members {
        true => Visibility::Unlisted,
        false => addressed,
    };

    let status = ["status", "ical:status"]
        .iter()
        .find_map(|field| text(object.get(*field)))
        .map(|s| match s.trim().to_ascii_uppercase().as_str() {
            "TENTATIVE" => EventStatus::Tentative,
            "CANCELLED" | "CANCELED" => EventStatus::Cancelled,
            _ => EventStatus::Confirmed,
        })
        .unwrap_or_default();

    let mut join_mode = match text(object.get("joinMode")).as_deref().map(str::trim) {
        Some("restricted") => JoinMode::Restricted,
        Some("invite") => JoinMode::Invite,
        Some("external") => JoinMode::External,
        _ => JoinMode::Free,
    };
    let external_url = if join_mode == JoinMode::External {
        // Registration happens on the origin when it does not say where.
        non_empty(text(object.get("externalParticipationUrl")))
            .filter(|u| is_web_id(u))
            .or_else(|| url.clone())
            .or_else(|| Some(id.clone()))
    } else {
        None
    };
    if join_mode == JoinMode::External && external_url.is_none() {
        join_mode = JoinMode::Free;
    }

    let capacity = number(object.get("maximumAttendeeCapacity"))
        .filter(|c| *c >= 1.0 && *c <= i64::MAX as f64)
        .map(|c| c as i64);
    let participant_count = number(object.get("participantCount"))
        .filter(|c| *c >= 0.0 && *c <= i64::MAX as f64)
        .map(|c| c as i64);

    let mut location = parse_location(object.get("location").unwrap_or(&Value::Null));
    let mut links = Vec::new();
    for attachment in items(object.get("attachment")) {
        match kind(attachment) {
            Some("Link") => {
                let website = text(attachment.get("name"))
                    .is_some_and(|n| n.trim().eq_ignore_ascii_case("website"));
                let href = text(attachment.get("href")).filter(|h| is_web_id(h));
                if website && location.online_url.is_none() {
                    location.online_url = href;
                }
            }
            Some("PropertyValue") if links.len() < LINKS_MAX => {
                if let Some(link) = metadata_link(attachment) {
                    links.push(link);
                }
            }
            _ => {}
        }
    }

    let comments_open = match text(object.get("repliesModerationOption")).as_deref() {
        Some("closed") => false,
        Some(_) => true,
        None => object
            .get("commentsEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(true),
    };
    let mobilizon_family = object.get("joinMode").is_some();
    let options = EventOptions {
        anonymous_participation: object
            .get("anonymousParticipationEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        // Mobilizon (which always sends `joinMode`) sends these two, if only as null, unless
        // its organiser hides them; other software never sends them and hides nothing.
        show_remaining_seats: !mobilizon_family
            || object.get("remainingAttendeeCapacity").is_some(),
        hide_participant_count: mobilizon_family && object.get("participantCount").is_none(),
        comments_open,
        online_url_for_participants: false,
    };

    let details = EventDetails {
        description_source: None,
        remote_picture: picture(object),
        title: line(&title, TITLE_MAX),
        description,
        begins_at: begins_at.to_offset(UtcOffset::UTC),
        ends_at: ends_at.map(|at| at.to_offset(UtcOffset::UTC)),
        time_zone,
        status,
        visibility,
        join_mode,
        external_url,
        capacity,
        address: location.address,
        online_url: location.online_url,
        category: category(object.get("category")),
        tags: tags(object.get("tag")),
        language: language(object),
        links,
        options,
    }
    .validate()
    .map_err(Ignored::Invalid)?;

    Ok(IncomingEvent {
        uuid: non_empty(text(object.get("uuid"))).map(|u| line(&u, 64)),
        url,
        actor,
        attributed_to,
        details,
        participant_count,
        published: instant(object.get("published")),
        updated: instant(object.get("updated")),
        for_members,
        id,
    })
}

/// A `location` as Mobilizon, Gancio and WordPress write it: a Place (with a PostalAddress, a
/// string address, coordinates on it or in `geo`), a VirtualLocation, a plain string, or a list
/// of these (the first physical one and the first online one are kept).
pub fn parse_location(value: &Value) -> Location {
    let mut found = Location::default();
    for item in items(Some(value)).take(LOCATIONS_MAX) {
        match item {
            // A string that is a URL names a Place we do not fetch; other strings are places.
            Value::String(name) if !name.contains("://") && found.address.is_none() => {
                found.address = address(Address {
                    name: Some(name.clone()),
                    ..Address::default()
                });
            }
            Value::Object(_) => {
                if let Some(url) = virtual_url(item) {
                    found.online_url.get_or_insert(url);
                } else if found.address.is_none() {
                    found.address = place(item);
                }
            }
            _ => {}
        }
    }
    found
}

fn virtual_url(item: &Value) -> Option<String> {
    let address = item.get("address");
    let is_virtual =
        kind(item) == Some("VirtualLocation") || address.and_then(kind) == Some("VirtualLocation");
    if !is_virtual {
        return None;
    }
    [
        address.and_then(|a| a.get("url")),
        item.get("url"),
        item.get("id"),
    ]
    .into_iter()
    .find_map(|u| text(u).filter(|u| is_web_id(u)))
}

fn place(item: &Value) -> Option<Address> {
    let field = |v: Option<&Value>| non_empty(text(v)).map(|t| line(&t, SHORT_TEXT_MAX));
    let mut found = Address {
        name: field(item.get("name")),
        ..Address::default()
    };
    match item.get("address") {
        Some(Value::String(street)) => found.street = field(Some(&Value::String(street.clone()))),
        Some(postal @ Value::Object(_)) => {
            found.street = field(postal.get("streetAddress"));
            found.postal_code = field(postal.get("postalCode"));
            found.locality = field(postal.get("addressLocality"));
            found.region = field(postal.get("addressRegion"));
            found.country = field(postal.get("addressCountry"));
        }
        _ => {}
    }
    let geo = item.get("geo");
    let latitude = number(item.get("latitude")).or_else(|| number(geo?.get("latitude")));
    let longitude = number(item.get("longitude")).or_else(|| number(geo?.get("longitude")));
    if let (Some(lat), Some(lon)) = (latitude, longitude) {
        // Coordinates out of range are left out rather than refusing the event.
        if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) {
            found.latitude = Some(lat);
            found.longitude = Some(lon);
        }
    }
    address(found)
}

fn address(address: Address) -> Option<Address> {
    (address != Address::default()).then_some(address)
}

/// An event's picture as Mobilizon reads one: the first image attachment named "Banner", else
/// the `image` property, else (Gancio, Mastodon) the first image attachment. The alternative
/// text is `summary` (Mastodon's place for it), else `name` unless that is the "Banner" marker.
/// Only web addresses are kept: anything else leaves the event without a picture.
pub fn picture(object: &Value) -> Option<RemotePicture> {
    let is_image = |item: &&Value| {
        matches!(kind(item), Some("Document" | "Image"))
            && text(item.get("mediaType")).is_none_or(|m| m.starts_with("image/"))
    };
    let images: Vec<&Value> = items(object.get("attachment")).filter(is_image).collect();
    let banner = images
        .iter()
        .find(|item| text(item.get("name")).as_deref() == Some(BANNER))
        .copied();
    let image = object.get("image").filter(|i| !i.is_null());
    [banner, image, images.first().copied()]
        .into_iter()
        .flatten()
        .find_map(remote_picture)
}

/// An `Image`, a `Document`, a `Link` or a bare address as a picture, when it is usable.
fn remote_picture(item: &Value) -> Option<RemotePicture> {
    let url = match item {
        Value::String(url) => Some(url.clone()),
        Value::Object(_) => match item.get("url") {
            Some(Value::String(url)) => Some(url.clone()),
            // Several renditions, or a Link: the first address given.
            Some(links) => items(Some(links)).find_map(|link| match link {
                Value::String(url) => Some(url.clone()),
                other => text(other.get("href")),
            }),
            None => text(item.get("href")),
        },
        _ => None,
    }?;
    let alt = non_empty(text(item.get("summary")))
        .or_else(|| non_empty(text(item.get("name"))).filter(|n| n != BANNER))
        .unwrap_or_default();
    let media_type = text(item.get("mediaType"));
    RemotePicture::new(&url, &alt, media_type.as_deref())
}

fn metadata_link(attachment: &Value) -> Option<MetadataLink> {
    let key = non_empty(text(attachment.get("propertyID")))?;
    let value = non_empty(text(attachment.get("value")))?;
    let title = non_empty(text(attachment.get("name"))).unwrap_or_default();
    let link = MetadataLink {
        key: line(&key, 100),
        title: line(&title, SHORT_TEXT_MAX),
        value: line(&value, 2_000),
    };
    // The same rule as local links: a web address or plain words, never another kind of URL.
    (!link.value.contains(':') || is_web_id(&link.value)).then_some(link)
}

fn category(value: Option<&Value>) -> String {
    let name = text(value).unwrap_or_default().trim().to_ascii_uppercase();
    if CATEGORIES.contains(&name.as_str()) {
        name
    } else {
        "MEETING".into()
    }
}

fn tags(value: Option<&Value>) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in items(value) {
        if tags.len() == TAGS_MAX {
            break;
        }
        if kind(tag) != Some("Hashtag") {
            continue;
        }
        let Some(name) = text(tag.get("name")) else {
            continue;
        };
        let name = name.trim().trim_start_matches('#').to_lowercase();
        if !name.is_empty()
            && name.chars().count() <= TAG_MAX
            && !name.chars().any(char::is_control)
            && !tags.contains(&name)
        {
            tags.push(name);
        }
    }
    tags
}

/// `inLanguage`, else the language of `contentMap`, as a 2 or 3 letter code; `und` otherwise.
fn language(object: &Value) -> String {
    let declared = text(object.get("inLanguage")).or_else(|| {
        object
            .get("contentMap")
            .and_then(Value::as_object)
            .and_then(|map| map.keys().next().cloned())
    });
    declared
        .map(|code| {
            code.split(['-', '_'])
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|code| {
            (2..=3).contains(&code.len()) && code.chars().all(|c| c.is_ascii_lowercase())
        })
        .unwrap_or_else(|| "und".into())
}

/// An IANA zone for an event that gives only an offset: `UTC`, or `Etc/GMT-2` for +02:00 (the
/// Etc names count the other way); an offset of no whole hour is read as UTC.
fn zone_of_offset(offset: UtcOffset) -> String {
    let seconds = offset.whole_seconds();
    if seconds == 0 || seconds % 3600 != 0 {
        return "UTC".into();
    }
    let hours = seconds / 3600;
    let name = format!("Etc/GMT{:+}", -hours);
    if name.parse::<chrono_tz::Tz>().is_ok() {
        name
    } else {
        "UTC".into()
    }
}
