//! Creating and editing an event: one form, inline messages naming each field to fix, the values
//! kept when something is wrong, nothing recorded until everything is right.

use super::pictures::{said, FormWithFile};
use super::{acting, acting_on, check_csrf, field, login_first, Fields};
use crate::render::see_other_saying;
use crate::render::status_of;
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::TimeZone;
use convene_api::events::{self, NewEvent};
use convene_api::groups::{self, GroupEventOptions};
use convene_api::pictures::{self, Upload};
use convene_domain::event::details::DESCRIPTION_MAX_BYTES;
use convene_domain::event::details::{
    Address, EventOptions, EventStatus, JoinMode, Visibility, CATEGORIES,
};
use convene_domain::event::{EventDetails, EventPatch, ParticipantState};
use convene_domain::picture::{checked_alt, PicturePurpose, ShownPicture};
use convene_domain::text::markdown_to_html;
use convene_domain::validation::{html_deeper_than, sanitise_html, HTML_DEPTH_MAX};
use convene_domain::FieldError;
use convene_projections::events::EventView;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use tera::Context;
use time::OffsetDateTime;

const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M";

/// Reads a `datetime-local` value in `zone` as a UTC instant.
pub(crate) fn instant(text: &str, zone: &str) -> Result<OffsetDateTime, ()> {
    let naive = chrono::NaiveDateTime::parse_from_str(text, LOCAL_FORMAT).map_err(|_| ())?;
    let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    // In the hour a clock goes back, the earlier of the two; in the hour it skips, nothing.
    let at = tz.from_local_datetime(&naive).earliest().ok_or(())?;
    OffsetDateTime::from_unix_timestamp(at.timestamp()).map_err(|_| ())
}

fn choice<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).ok()
}

/// The details a form describes, or every field to fix.
pub fn details_from(form: &HashMap<String, String>) -> Result<EventDetails, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut error = |field: &str| {
        errors.push(FieldError {
            field: field.into(),
            message: String::new(),
        })
    };
    let zone = field(form, "time_zone");
    let begins_at = instant(&field(form, "begins_at"), &zone).unwrap_or_else(|_| {
        error("begins_at");
        OffsetDateTime::UNIX_EPOCH
    });
    let ends_text = field(form, "ends_at");
    let ends_at = (!ends_text.is_empty()).then(|| {
        instant(&ends_text, &zone).unwrap_or_else(|_| {
            error("ends_at");
            begins_at
        })
    });
    let capacity_text = field(form, "capacity");
    let capacity = (!capacity_text.is_empty()).then(|| {
        capacity_text.parse::<i64>().unwrap_or_else(|_| {
            error("capacity");
            1
        })
    });
    let optional = |name: &str| Some(field(form, name)).filter(|v| !v.is_empty());
    // Coordinates come with an address chosen among the geocoder's matches (hidden fields).
    let coordinate = |name: &str| optional(name).and_then(|v| v.parse::<f64>().ok());
    let address = Address {
        name: optional("address_name"),
        street: optional("street"),
        postal_code: optional("postal_code"),
        locality: optional("locality"),
        region: optional("region"),
        country: optional("country"),
        latitude: coordinate("latitude"),
        longitude: coordinate("longitude"),
    };
    let details = EventDetails {
        remote_picture: None,
        title: field(form, "title"),
        description: markdown_to_html(&field(form, "description")),
        // Kept, so that editing shows what was written rather than its HTML.
        description_source: Some(field(form, "description")).filter(|s| !s.trim().is_empty()),
        begins_at,
        ends_at,
        time_zone: zone,
        status: choice(&field(form, "status")).unwrap_or(EventStatus::Confirmed),
        visibility: choice(&field(form, "visibility")).unwrap_or(Visibility::Public),
        join_mode: choice(&field(form, "join_mode")).unwrap_or(JoinMode::Free),
        external_url: optional("external_url"),
        capacity,
        address: (address != Address::default()).then_some(address),
        online_url: optional("online_url"),
        category: optional("category").unwrap_or_else(|| "MEETING".into()),
        tags: field(form, "tags").split(',').map(str::to_string).collect(),
        language: optional("language").unwrap_or_else(|| "und".into()),
        links: Vec::new(),
        options: EventOptions {
            anonymous_participation: form.contains_key("anonymous"),
            show_remaining_seats: form.contains_key("show_seats"),
            hide_participant_count: form.contains_key("hide_count"),
            comments_open: form.contains_key("comments_open"),
            online_url_for_participants: form.contains_key("online_private"),
        },
    };
    match details.clone().validate() {
        Ok(valid) if errors.is_empty() => Ok(valid),
        Ok(_) => Err(errors),
        Err(rules) => {
            // A field already refused while reading it is named once.
            for rule in rules {
                if !errors.iter().any(|e| e.field == rule.field) {
                    errors.push(rule);
                }
            }
            Err(errors)
        }
    }
}

/// The form's values from existing details (to edit them).
pub(crate) fn values_of(details: &EventDetails) -> HashMap<String, String> {
    let zone = &details.time_zone;
    let local = |at: OffsetDateTime| {
        crate::view::local(at, zone)
            .format(LOCAL_FORMAT)
            .to_string()
    };
    let text = |v: &str| v.to_string();
    let mut values = HashMap::new();
    let address = details.address.clone().unwrap_or_default();
    for (key, value) in [
        ("title", text(&details.title)),
        // What the organiser wrote, else (descriptions from before it was kept) the HTML.
        (
            "description",
            text(
                details
                    .description_source
                    .as_deref()
                    .unwrap_or(&details.description),
            ),
        ),
        ("begins_at", local(details.begins_at)),
        ("ends_at", details.ends_at.map(local).unwrap_or_default()),
        ("time_zone", text(zone)),
        (
            "capacity",
            details.capacity.map(|c| c.to_string()).unwrap_or_default(),
        ),
        (
            "join_mode",
            serde_json::to_value(details.join_mode)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        ),
        (
            "visibility",
            serde_json::to_value(details.visibility)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        ),
        (
            "external_url",
            details.external_url.clone().unwrap_or_default(),
        ),
        ("online_url", details.online_url.clone().unwrap_or_default()),
        ("address_name", address.name.unwrap_or_default()),
        ("street", address.street.unwrap_or_default()),
        ("postal_code", address.postal_code.unwrap_or_default()),
        ("locality", address.locality.unwrap_or_default()),
        ("country", address.country.unwrap_or_default()),
        ("region", address.region.unwrap_or_default()),
        (
            "latitude",
            address.latitude.map(|l| l.to_string()).unwrap_or_default(),
        ),
        (
            "longitude",
            address.longitude.map(|l| l.to_string()).unwrap_or_default(),
        ),
        ("category", text(&details.category)),
        ("tags", details.tags.join(", ")),
        ("language", text(&details.language)),
    ] {
        values.insert(key.to_string(), value);
    }
    let options = details.options;
    for (key, on) in [
        ("anonymous", options.anonymous_participation),
        ("show_seats", options.show_remaining_seats),
        ("hide_count", options.hide_participant_count),
        ("comments_open", options.comments_open),
        ("online_private", options.online_url_for_participants),
    ] {
        if on {
            values.insert(key.to_string(), "on".into());
        }
    }
    values
}

/// The regions IANA zones are grouped by in the time zone list (legacy aliases such as
/// `US/Eastern` or `Etc/GMT+5` are left out: each has a regional name).
const ZONE_REGIONS: [&str; 9] = [
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
];

#[derive(Serialize)]
struct ZoneGroup {
    region: String,
    /// (IANA name, what the list shows: "Argentina / Buenos Aires")
    zones: Vec<(String, String)>,
}

/// Every zone by region, UTC first; `chosen` is listed even when it is none of them (an alias
/// stored earlier, or a mistyped value sent back to be fixed).
fn zone_groups(chosen: &str) -> Vec<ZoneGroup> {
    let mut groups = vec![ZoneGroup {
        region: "UTC".into(),
        zones: vec![("UTC".into(), "UTC".into())],
    }];
    for region in ZONE_REGIONS {
        let prefix = format!("{region}/");
        let mut zones: Vec<(String, String)> = chrono_tz::TZ_VARIANTS
            .iter()
            .filter_map(|z| {
                let place = z.name().strip_prefix(&prefix)?;
                Some((
                    z.name().to_string(),
                    place.replace('_', " ").replace('/', " / "),
                ))
            })
            .collect();
        zones.sort_by(|a, b| a.1.cmp(&b.1));
        groups.push(ZoneGroup {
            region: region.into(),
            zones,
        });
    }
    let listed = groups
        .iter()
        .flat_map(|g| &g.zones)
        .any(|(z, _)| z == chosen);
    if !listed && !chosen.is_empty() {
        groups.push(ZoneGroup {
            region: "—".into(),
            zones: vec![(chosen.to_string(), chosen.to_string())],
        });
    }
    groups
}

/// A new event's values, in `language` (the form's: organisers mostly write in it).
fn new_values(language: &str, zone: Option<&str>) -> HashMap<String, String> {
    let mut values = values_of(&EventDetails {
        description_source: None,
        remote_picture: None,
        title: String::new(),
        description: String::new(),
        begins_at: OffsetDateTime::now_utc(),
        ends_at: None,
        // The zone the visitor's browser reported, else the one most of our users live in.
        time_zone: zone.unwrap_or("Europe/Paris").into(),
        status: EventStatus::Confirmed,
        visibility: Visibility::Public,
        join_mode: JoinMode::Free,
        external_url: None,
        capacity: None,
        address: None,
        online_url: None,
        category: "MEETING".into(),
        tags: Vec::new(),
        language: language.into(),
        links: Vec::new(),
        options: EventOptions::default(),
    });
    values.insert("begins_at".into(), String::new());
    // The zone proposed until the organiser chooses another: a chosen address may replace it.
    let zone = values.get("time_zone").cloned().unwrap_or_default();
    values.insert(ZONE_PROPOSED.into(), zone);
    values
}

/// The button showing the description as it will be published, without saving anything.
const PREVIEW: &str = "preview";
/// The button looking up the address typed, and the one choosing among the places found.
const FIND_ADDRESS: &str = "find_address";
const USE_PLACE: &str = "use_place";
/// The time zone the form proposed itself (hidden): while the organiser keeps it, choosing an
/// address proposes the zone of that place instead.
const ZONE_PROPOSED: &str = "time_zone_proposed";

/// What the address buttons did, as the form shows it.
#[derive(Debug, Default, Serialize)]
pub(crate) struct AddressLookup {
    /// The places found: (label, the place as its button sends it back).
    matches: Vec<(String, String)>,
    /// The place whose address now fills the form.
    chosen: Option<String>,
    /// The time zone proposed from the chosen place.
    zone: Option<String>,
}

/// When one of the address buttons sent the form: its values (with a chosen place filled in),
/// what to show, and what went wrong (nothing typed, nothing found, the geocoder silent).
/// Nothing is saved either way.
async fn address_step(
    web: &Web,
    catalogue: &crate::i18n::Catalogue,
    form: &HashMap<String, String>,
) -> Option<(HashMap<String, String>, AddressLookup, Vec<FieldError>)> {
    let mut values = form.clone();
    values.remove(FIND_ADDRESS);
    values.remove(USE_PLACE);
    let mut lookup = AddressLookup::default();
    let refused = |key: &str, place: &str| {
        vec![FieldError {
            field: FIND_ADDRESS.into(),
            message: catalogue.fill(key, &[("place", place)]),
        }]
    };
    if let Some(chosen) = form.get(USE_PLACE) {
        let Ok(place) = serde_json::from_str::<convene_api::places::Place>(chosen) else {
            return Some((values, lookup, refused("address_find_again", "")));
        };
        for (key, value) in [
            ("address_name", place.name.clone()),
            ("street", place.street.clone()),
            ("postal_code", place.postal_code.clone()),
            ("locality", place.locality.clone()),
            ("region", place.region.clone()),
            ("country", place.country.clone()),
            ("latitude", Some(place.latitude.to_string())),
            ("longitude", Some(place.longitude.to_string())),
        ] {
            values.insert(key.into(), value.unwrap_or_default());
        }
        let proposed = form.get(ZONE_PROPOSED).filter(|z| !z.is_empty());
        if proposed.is_some() && proposed == form.get("time_zone") {
            if let Some(zone) = convene_api::places::time_zone_at(place.latitude, place.longitude) {
                values.insert("time_zone".into(), zone.clone());
                values.insert(ZONE_PROPOSED.into(), zone.clone());
                lookup.zone = Some(zone);
            }
        }
        lookup.chosen = Some(place.label);
        return Some((values, lookup, Vec::new()));
    }
    if !form.contains_key(FIND_ADDRESS) {
        return None;
    }
    let typed: Vec<&str> = [
        "address_name",
        "street",
        "postal_code",
        "locality",
        "country",
    ]
    .iter()
    .filter_map(|name| form.get(*name).map(|v| v.trim()))
    .filter(|v| !v.is_empty())
    .collect();
    let text = typed.join(", ");
    if convene_api::places::read_name(FIND_ADDRESS, &text).is_err() {
        return Some((values, lookup, refused("address_type_first", &text)));
    }
    let errors = match convene_api::places::find(&web.app, &text, &catalogue.code).await {
        Ok(found) if found.places.is_empty() => refused("address_not_found", &text),
        Ok(found) => {
            lookup.matches = found
                .places
                .iter()
                .map(|p| {
                    (
                        p.label.clone(),
                        serde_json::to_string(p).unwrap_or_default(),
                    )
                })
                .collect();
            Vec::new()
        }
        Err(_) => refused("address_unavailable", &text),
    };
    Some((values, lookup, errors))
}

/// The form page, with `errors` (field → message in the visitor's language) when refused.
fn form_page(
    web: &Web,
    visitor: &Visitor,
    status: StatusCode,
    action: &str,
    editing: bool,
    values: &HashMap<String, String>,
    errors: &[FieldError],
) -> Response {
    let form = Form {
        action,
        editing,
        group: None,
        lookup: None,
        kept: None,
    };
    form_page_for(web, visitor, status, form, values, errors)
}

/// `values` with the checkboxes of how the group organising `event`, if any, shows it.
pub(crate) fn with_group_options(
    mut values: HashMap<String, String>,
    event: &EventView,
) -> HashMap<String, String> {
    if let Some(group) = &event.group {
        for (name, on) in [
            ("members_only", group.members_only),
            ("hide_organiser", group.hide_organiser),
        ] {
            if on {
                values.insert(name.to_string(), "on".to_string());
            }
        }
    }
    values
}

/// Where the form posts, whether it edits, the group it creates an event for, what the
/// address buttons found, and the picture a new event's form kept.
struct Form<'a> {
    action: &'a str,
    editing: bool,
    group: Option<&'a str>,
    lookup: Option<&'a AddressLookup>,
    kept: Option<&'a ShownPicture>,
}

impl<'a> Form<'a> {
    /// A new event's form posting to `action`, for `group` if any, keeping `kept`.
    fn new(action: &'a str, group: Option<&'a str>, kept: Option<&'a ShownPicture>) -> Self {
        Form {
            action,
            editing: false,
            group,
            lookup: None,
            kept,
        }
    }
}

/// The edit page of `event`: its form with the event's values (or `values`, as sent), and the
/// picture's own form, with `errors` marked on either.
pub(crate) fn edit_page(
    web: &Web,
    visitor: &Visitor,
    status: StatusCode,
    event: &EventView,
    values: Option<&HashMap<String, String>>,
    errors: &[FieldError],
) -> Response {
    edit_page_looked_up(web, visitor, status, event, values, errors, None)
}

/// The edit page, with what the address buttons found.
fn edit_page_looked_up(
    web: &Web,
    visitor: &Visitor,
    status: StatusCode,
    event: &EventView,
    values: Option<&HashMap<String, String>>,
    errors: &[FieldError],
    lookup: Option<&AddressLookup>,
) -> Response {
    let own;
    let values = match values {
        Some(values) => values,
        None => {
            own = with_group_options(values_of(&event.details), event);
            &own
        }
    };
    let action = format!("/events/{}/edit", event.id);
    let form = Form {
        action: &action,
        editing: true,
        // A group's event shows how the group shows it, for its moderators to change.
        group: event.group.as_ref().map(|g| g.handle.as_str()),
        lookup,
        kept: None,
    };
    let alt = values
        .get("alt")
        .cloned()
        .or_else(|| event.picture.as_ref().map(|p| p.alt.clone()))
        .unwrap_or_default();
    let extra = move |context: &mut Context| {
        context.insert("event_id", &event.id);
        context.insert("picture_alt", &alt);
        context.insert("picture", &event.picture.as_ref().map(crate::view::picture));
    };
    form_page_with(web, visitor, status, form, values, errors, extra)
}

fn form_page_for(
    web: &Web,
    visitor: &Visitor,
    status: StatusCode,
    form: Form,
    values: &HashMap<String, String>,
    errors: &[FieldError],
) -> Response {
    form_page_with(web, visitor, status, form, values, errors, |_| {})
}

fn form_page_with(
    web: &Web,
    visitor: &Visitor,
    status: StatusCode,
    Form {
        action,
        editing,
        group,
        lookup,
        kept,
    }: Form,
    values: &HashMap<String, String>,
    errors: &[FieldError],
    extra: impl FnOnce(&mut Context),
) -> Response {
    let catalogue = web.pages.catalogue(visitor);
    let messages: BTreeMap<String, String> = errors
        .iter()
        .map(|e| {
            let key = format!(
                "err_{}",
                e.field.split(['.', '[']).next().unwrap_or_default()
            );
            let text = catalogue
                .t
                .get(&key)
                .cloned()
                .unwrap_or_else(|| e.message.clone());
            (
                e.field
                    .split('[')
                    .next()
                    .unwrap_or_default()
                    .replace("address.", ""),
                text,
            )
        })
        .collect();
    let categories: Vec<(String, String)> = CATEGORIES
        .iter()
        .map(|c| (c.to_string(), catalogue.text(&format!("category_{c}"))))
        .collect();
    let mut context = Context::new();
    let mut messages = messages;
    if values.contains_key(PREVIEW) {
        // Sanitised as the domain will keep it, so the preview shows exactly what is published;
        // what the domain would refuse unparsed (too large, nested too deep) is refused here too.
        let description = values.get("description").map_or("", String::as_str);
        let html = (description.len() <= DESCRIPTION_MAX_BYTES)
            .then(|| markdown_to_html(description))
            .filter(|html| !html_deeper_than(html, HTML_DEPTH_MAX));
        match html {
            Some(html) => context.insert("preview", &sanitise_html(&html)),
            None => {
                messages.insert("description".into(), catalogue.text("err_description"));
            }
        }
    }
    context.insert("values", values);
    context.insert("errors", &messages);
    context.insert("action", action);
    context.insert("editing", &editing);
    context.insert("group", &group);
    context.insert("lookup", &lookup);
    context.insert("kept_picture", &kept.map(crate::view::picture));
    context.insert("categories", &categories);
    let chosen = values.get("time_zone").map_or("", String::as_str);
    context.insert("zones", &zone_groups(chosen));
    context.insert(
        "picture_limit",
        &super::pictures::size(catalogue, web.app.config.pictures.picture_limit),
    );
    extra(&mut context);
    web.pages
        .render(visitor, status, "event_form.html", context)
}

pub async fn new_form(State(web): State<Web>, visitor: Visitor) -> Response {
    if !visitor.logged_in() {
        return login_first(&visitor);
    }
    form_page(
        &web,
        &visitor,
        StatusCode::OK,
        "/events/new",
        false,
        &new_values(
            &web.pages.catalogue(&visitor).code,
            visitor.time_zone.as_deref(),
        ),
        &[],
    )
}

pub async fn create(
    State(web): State<Web>,
    visitor: Visitor,
    FormWithFile(body): FormWithFile,
) -> Response {
    create_from(&web, &visitor, None, body).await
}

/// `POST /@{handle}/events/new`: an event organised by group `handle`, with its picture as on
/// the new-event form.
pub async fn group_create(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    FormWithFile(body): FormWithFile,
) -> Response {
    create_from(&web, &visitor, Some(&handle), body).await
}

/// A new event from its form, for the acting profile or for `group`. Its picture is checked
/// first and kept through every step that saves nothing.
async fn create_from(
    web: &Web,
    visitor: &Visitor,
    group: Option<&str>,
    body: Result<convene_api::http::pictures::UploadForm, convene_api::Error>,
) -> Response {
    let catalogue = web.pages.catalogue(visitor);
    let limit = web.app.config.pictures.picture_limit;
    let action = group.map_or_else(
        || "/events/new".to_string(),
        |h| format!("/@{h}/events/new"),
    );
    let mut body = match body {
        Ok(body) => body,
        Err(error) => {
            let errors = said(catalogue, &error, limit);
            let (status, values) = (status_of(&error), HashMap::new());
            return form_page_for(
                web,
                visitor,
                status,
                Form::new(&action, group, None),
                &values,
                &errors,
            );
        }
    };
    let mut form = std::mem::take(&mut body.fields);
    if let Err(refused) = check_csrf(web, visitor, &form) {
        return refused;
    }
    let profile = form.get("profile").cloned();
    let acting = match group {
        Some(handle) => {
            let Some(session) = visitor.session.clone() else {
                return login_first(visitor);
            };
            let acting = match groups::acting_in(&web.app, session, handle, profile).await {
                Ok(acting) => acting,
                Err(error) => return web.pages.failure(visitor, &error),
            };
            // Refused before a picture is kept for someone who may not organise.
            if let Err(error) = groups::may_organise(&web.app, &acting, handle).await {
                return web.pages.failure(visitor, &error);
            }
            acting
        }
        None => match acting(web, visitor, profile).await {
            Ok(acting) => acting,
            Err(response) => return response,
        },
    };
    // The picture is checked before anything else is saved: refused, nothing is.
    let picture = match chosen_picture(web, &acting, body.file.take(), &mut form).await {
        Ok(picture) => picture,
        Err(error) if !error.field_errors().is_empty() => {
            let errors = said(catalogue, &error, limit);
            let status = status_of(&error);
            let form_page = Form::new(&action, group, None);
            return form_page_for(web, visitor, status, form_page, &form, &errors);
        }
        Err(error) => return web.pages.failure(visitor, &error),
    };
    // Whatever shows the form again keeps the picture chosen, stored as an upload.
    let (acting, action) = (&acting, &action);
    let again = |picture, values, lookup, status, errors: Vec<FieldError>| async move {
        let mut values: HashMap<String, String> = values;
        let kept = match picture {
            ChosenPicture::Fresh(prepared) => {
                match pictures::keep_prepared(&web.app, acting, prepared).await {
                    Ok(kept) => Some(kept),
                    Err(error) => return web.pages.failure(visitor, &error),
                }
            }
            ChosenPicture::Kept(kept) => Some(kept),
            ChosenPicture::None => None,
        };
        if let Some(kept) = &kept {
            values.insert(KEPT_PICTURE.into(), kept.id.clone());
        }
        let form = Form {
            lookup,
            ..Form::new(action, group, kept.as_ref())
        };
        form_page_for(web, visitor, status, form, &values, &errors)
    };
    if let Some((values, lookup, errors)) = address_step(web, catalogue, &form).await {
        let status = looked_up(&errors);
        return again(picture, values, Some(&lookup), status, errors).await;
    }
    if form.contains_key(PREVIEW) {
        return again(picture, form.clone(), None, StatusCode::OK, Vec::new()).await;
    }
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    let details = match details_from(&form) {
        Ok(details) => details,
        Err(errors) => return again(picture, form.clone(), None, refused, errors).await,
    };
    // A kept picture's text may have been changed since: checked as a fresh one's is.
    let mut picture = picture;
    if let ChosenPicture::Kept(kept) = &mut picture {
        match checked_alt(form.get("alt").map(String::as_str), true) {
            Ok(alt) => kept.alt = alt,
            Err(errors) => {
                let errors = said(catalogue, &convene_api::Error::Invalid(errors), limit);
                return again(picture, form.clone(), None, refused, errors).await;
            }
        }
    }
    let new = NewEvent {
        details,
        draft: field(&form, "publish") != "now",
    };
    let saying = if new.draft {
        "flash_saved_draft"
    } else {
        "flash_published"
    };
    let created = match group {
        Some(handle) => {
            let options = GroupEventOptions {
                members_only: form.contains_key("members_only"),
                hide_organiser: form.contains_key("hide_organiser"),
            };
            groups::create_event(&web.app, acting, handle, new, options).await
        }
        None => events::create_event(&web.app, acting, new).await,
    };
    let created = match created {
        Ok(created) => created,
        Err(error) if !error.field_errors().is_empty() => {
            return again(picture, form.clone(), None, refused, error.field_errors()).await
        }
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let shown = match picture {
        ChosenPicture::Fresh(prepared) => {
            pictures::show_prepared(&web.app, acting, &created.id, prepared).await
        }
        ChosenPicture::Kept(kept) => {
            let alt = Some(kept.alt);
            pictures::set_event_picture(&web.app, acting, &created.id, &kept.id, alt).await
        }
        ChosenPicture::None => Ok(created.clone()),
    };
    if let Err(error) = shown {
        return web.pages.failure(visitor, &error);
    }
    see_other_saying(visitor, &format!("/events/{}", created.id), saying)
}

/// The hidden field naming the upload a new event's form kept (see [`ChosenPicture::Kept`]).
const KEPT_PICTURE: &str = "kept_picture";

/// The picture a new event's form brings.
enum ChosenPicture {
    None,
    /// A file sent with this submission, checked and rendered, not stored yet.
    Fresh(pictures::Prepared),
    /// One sent with an earlier submission of the same form, stored then as the profile's upload.
    Kept(ShownPicture),
}

/// The picture sent with `form`, else the one it kept; a new file replaces a kept one. A kept
/// upload that is gone (swept after a day unused, or not this profile's) is asked for again.
async fn chosen_picture(
    web: &Web,
    acting: &convene_api::auth::Acting,
    file: Option<Vec<u8>>,
    form: &mut HashMap<String, String>,
) -> Result<ChosenPicture, convene_api::Error> {
    let kept = form.remove(KEPT_PICTURE).filter(|id| !id.is_empty());
    if let Some(bytes) = file {
        let upload = Upload {
            purpose: PicturePurpose::Event,
            bytes,
            alt: form.get("alt").cloned(),
        };
        return Ok(ChosenPicture::Fresh(
            pictures::prepare(&web.app, upload).await?,
        ));
    }
    let Some(id) = kept else {
        return Ok(ChosenPicture::None);
    };
    match pictures::kept_for_event(&web.app, acting, &id).await {
        Ok(kept) => Ok(ChosenPicture::Kept(kept)),
        Err(convene_api::Error::NotFound(_)) => Err(convene_api::Error::invalid_field(
            "file",
            "the picture chosen before is no longer kept: choose it again",
        )),
        Err(error) => Err(error),
    }
}

/// The event, if the visitor organises it.
pub(crate) async fn organised(
    web: &Web,
    visitor: &Visitor,
    id: &str,
) -> Result<EventView, Response> {
    if !visitor.logged_in() {
        return Err(login_first(visitor));
    }
    let (event, roles) = events::show_with_viewer(&web.app, visitor.session.as_ref(), id)
        .await
        .map_err(|error| web.pages.failure(visitor, &error))?;
    if !roles.organiser {
        return Err(web.pages.error(visitor, StatusCode::FORBIDDEN));
    }
    Ok(event)
}

pub async fn edit_form(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    match organised(&web, &visitor, &id).await {
        Ok(event) => edit_page(&web, &visitor, StatusCode::OK, &event, None, &[]),
        Err(response) => response,
    }
}

pub async fn update(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::Form(form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let event = match organised(&web, &visitor, &id).await {
        Ok(event) => event,
        Err(response) => return response,
    };
    let page = |status, errors: &[FieldError]| {
        edit_page(&web, &visitor, status, &event, Some(&form), errors)
    };
    let catalogue = web.pages.catalogue(&visitor);
    if let Some((values, lookup, errors)) = address_step(&web, catalogue, &form).await {
        let status = looked_up(&errors);
        return edit_page_looked_up(
            &web,
            &visitor,
            status,
            &event,
            Some(&values),
            &errors,
            Some(&lookup),
        );
    }
    if form.contains_key(PREVIEW) {
        return page(StatusCode::OK, &[]);
    }
    let acting = match acting_on(
        &web,
        &visitor,
        &id,
        form.get("profile"),
        ParticipantState::is_administrator,
    )
    .await
    {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let current = event.details.clone();
    let details = match details_from(&form) {
        Ok(details) => details,
        Err(errors) => return page(StatusCode::UNPROCESSABLE_ENTITY, &errors),
    };
    // A form without the hidden region and coordinates keeps those set elsewhere.
    let address = details.address.map(|mut address| {
        if let Some(old) = current
            .address
            .as_ref()
            .filter(|_| !form.contains_key("latitude"))
        {
            address.region = old.region.clone();
            address.latitude = old.latitude;
            address.longitude = old.longitude;
        }
        address
    });
    let patch = EventPatch {
        title: Some(details.title),
        description: Some(details.description),
        description_source: details.description_source,
        begins_at: Some(details.begins_at),
        ends_at: Some(details.ends_at),
        time_zone: Some(details.time_zone),
        visibility: Some(details.visibility),
        join_mode: Some(details.join_mode),
        external_url: Some(details.external_url),
        capacity: Some(details.capacity),
        address: Some(address),
        online_url: Some(details.online_url),
        category: Some(details.category),
        tags: Some(details.tags),
        language: Some(details.language),
        // Links are kept as they are: the form does not edit them yet.
        links: Some(current.links),
        options: Some(details.options),
        ..EventPatch::default()
    };
    // How the group shows its event changes only when a box changed, and only by the group's
    // moderators: checked before anything is written.
    let options = event.group.as_ref().and_then(|group| {
        let wanted = GroupEventOptions {
            members_only: form.contains_key("members_only"),
            hide_organiser: form.contains_key("hide_organiser"),
        };
        let changed = (wanted.members_only, wanted.hide_organiser)
            != (group.members_only, group.hide_organiser);
        changed.then(|| (group.handle.clone(), wanted))
    });
    if let Some((handle, _)) = &options {
        if let Err(error) = groups::may_organise(&web.app, &acting, handle).await {
            return web.pages.failure(&visitor, &error);
        }
    }
    let updated = match events::update(&web.app, &acting, &id, patch).await {
        Ok(updated) => match options {
            Some((handle, wanted)) => {
                groups::change_event_options(&web.app, &acting, &handle, &id, wanted).await
            }
            None => Ok(updated),
        },
        Err(error) => Err(error),
    };
    match updated {
        Ok(_) => see_other_saying(&visitor, &format!("/events/{id}"), "flash_saved"),
        Err(error) if !error.field_errors().is_empty() => {
            page(StatusCode::UNPROCESSABLE_ENTITY, &error.field_errors())
        }
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

/// The form for an event organised by group `handle`, for its moderators and above, acting as
/// the account's profile with the highest role there.
pub async fn group_new_form(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
) -> Response {
    let Some(session) = visitor.session.clone() else {
        return login_first(&visitor);
    };
    let acting = match groups::acting_in(&web.app, session, &handle, None).await {
        Ok(acting) => acting,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    match groups::may_organise(&web.app, &acting, &handle).await {
        Ok(()) => {}
        Err(error) => return web.pages.failure(&visitor, &error),
    }
    let mut values = new_values(
        &web.pages.catalogue(&visitor).code,
        visitor.time_zone.as_deref(),
    );
    values.insert("profile".into(), acting.profile);
    let action = format!("/@{handle}/events/new");
    let form = Form {
        action: &action,
        editing: false,
        group: Some(&handle),
        lookup: None,
        kept: None,
    };
    form_page_for(&web, &visitor, StatusCode::OK, form, &values, &[])
}

/// The status of a form shown again after an address button: 200, or 422 when the address
/// could not be found.
fn looked_up(errors: &[FieldError]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}
