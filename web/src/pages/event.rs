//! The event page, and what people do on it: take part, leave, comment; organisers publish,
//! cancel and delete.

use super::{acting, acting_on, check_csrf, field, login_first, Fields};
use crate::render::{see_other, see_other_saying};
use crate::view::{map_link, place, seats, when};
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_api::auth::Acting;
use convene_api::comments::{self, NewComment};
use convene_api::events::{self, EventPage};
use convene_api::participations::{self, AnonymousJoin, JoinRequest};
use convene_api::pictures::store::Format;
use convene_api::Error;
use convene_domain::event::details::{EventStatus, JoinMode};
use convene_domain::event::ParticipantState;
use convene_domain::text::excerpt;
use convene_projections::events::{CommentView, EventView};
use serde::Serialize;
use serde_json::json;
use tera::Context;

/// A comment and its replies, for display.
#[derive(Serialize)]
struct Thread {
    comment: CommentView,
    replies: Vec<CommentView>,
}

fn threads(comments: Vec<CommentView>) -> Vec<Thread> {
    let (top, replies): (Vec<_>, Vec<_>) =
        comments.into_iter().partition(|c| c.in_reply_to.is_none());
    top.into_iter()
        .map(|comment| Thread {
            replies: replies
                .iter()
                .filter(|r| r.in_reply_to.as_deref() == Some(comment.id.as_str()))
                .cloned()
                .collect(),
            comment,
        })
        .collect()
}

/// schema.org Event as JSON-LD, safe to embed in a `<script>` element.
fn json_ld(web: &Web, event: &EventView) -> String {
    let details = &event.details;
    let mut location = Vec::new();
    if let Some(address) = &details.address {
        location.push(json!({
            "@type": "Place",
            "name": address.name,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": address.street,
                "postalCode": address.postal_code,
                "addressLocality": address.locality,
                "addressRegion": address.region,
                "addressCountry": address.country,
            },
            "geo": address.latitude.zip(address.longitude).map(|(lat, lon)| json!({"@type": "GeoCoordinates", "latitude": lat, "longitude": lon})),
        }));
    }
    if let Some(url) = &details.online_url {
        location.push(json!({"@type": "VirtualLocation", "url": url}));
    }
    let mode = match (details.address.is_some(), details.online_url.is_some()) {
        (true, true) => "https://schema.org/MixedEventAttendanceMode",
        (false, true) => "https://schema.org/OnlineEventAttendanceMode",
        _ => "https://schema.org/OfflineEventAttendanceMode",
    };
    let status = match details.status {
        EventStatus::Cancelled => "https://schema.org/EventCancelled",
        _ => "https://schema.org/EventScheduled",
    };
    let iso = |at: time::OffsetDateTime| crate::view::local(at, &details.time_zone).to_rfc3339();
    let value = json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": details.title,
        "startDate": iso(details.begins_at),
        "endDate": details.ends_at.map(iso),
        "eventStatus": status,
        "eventAttendanceMode": mode,
        "location": location,
        "url": format!("{}/events/{}", web.app.config.public_url, event.id),
        "organizer": {"@type": "Person", "name": event.organiser, "url": format!("{}/@{}", web.app.config.public_url, event.organiser)},
        "inLanguage": details.language,
        "image": json_ld_images(web, event),
    });
    // No `<` at all: `</script>` or `<!--` inside a title must not end or change the element.
    value.to_string().replace('<', "\\u003c")
}

/// The pictures JSON-LD names: the event's own (each width), another instance's, or its
/// category's default, as the page shows it.
fn json_ld_images(web: &Web, event: &EventView) -> Vec<String> {
    let base = &web.app.config.public_url;
    match (&event.picture, &event.details.remote_picture) {
        (Some(own), _) => own
            .facts
            .widths
            .iter()
            .map(|w| {
                let path = convene_api::pictures::url(&own.facts.hash, *w, Format::Jpeg);
                format!("{base}{path}")
            })
            .collect(),
        (None, Some(remote)) => vec![remote.url.clone()],
        (None, None) => crate::assets::category_picture(&event.details.category)
            .map(|path| format!("{base}{path}"))
            .into_iter()
            .collect(),
    }
}

pub async fn show(State(web): State<Web>, visitor: Visitor, Path(id): Path<String>) -> Response {
    let app = &web.app;
    let catalogue = web.pages.catalogue(&visitor);
    let EventPage {
        event,
        viewer: roles,
        mine,
        comments,
    } = match events::page(app, visitor.session.as_ref(), &id).await {
        Ok(page) => page,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let my_state = mine.as_ref().map(|p| match p.state {
        s if s.is_organiser() => catalogue.text("your_state_organiser"),
        ParticipantState::Waitlisted => {
            let n = p.waitlist_position.unwrap_or_default().to_string();
            catalogue.fill("your_state_waitlisted", &[("n", &n)])
        }
        ParticipantState::NotApproved => catalogue.text("your_state_not_approved"),
        ParticipantState::Rejected => catalogue.text("your_state_rejected"),
        _ => catalogue.text("your_state_participant"),
    });
    let details = &event.details;
    // People take part in a remote event on its own instance (the page links to it).
    let joinable = details.status != EventStatus::Cancelled
        && matches!(details.join_mode, JoinMode::Free | JoinMode::Restricted)
        && !event.draft
        && event.origin.is_none();
    let handles: Vec<String> = event.group.iter().map(|g| g.handle.clone()).collect();
    let group_names = match super::group_names(&web, &handles).await {
        Ok(names) => names,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    // The organiser's avatar beside their name (a remote organiser has none here).
    let organiser_avatar = match convene_api::profiles::find(app, &event.organiser).await {
        Ok(profile) => profile.avatar.as_ref().map(crate::view::picture),
        Err(_) => None,
    };
    let mut context = Context::new();
    context.insert("organiser_avatar", &organiser_avatar);
    context.insert(
        "group_name",
        &event.group.as_ref().map(|g| group_names[&g.handle].clone()),
    );
    context.insert("event", &event);
    context.insert("origin_host", &event.origin.as_ref().map(|o| o.host()));
    // A remote organiser by the name its instance last gave, with its handle.
    context.insert(
        "origin_organiser",
        &event.origin.as_ref().map(|o| match &o.actor_name {
            Some(name) if !name.trim().is_empty() => format!("{name} (@{})", o.actor_handle),
            _ => format!("@{}", o.actor_handle),
        }),
    );
    context.insert(
        "when",
        &when(catalogue, details, visitor.time_zone.as_deref()),
    );
    context.insert("place", &place(catalogue, details));
    context.insert("map", &details.address.as_ref().and_then(map_link));
    context.insert("seats", &seats(catalogue, &event));
    context.insert(
        "category",
        &catalogue.text(&format!("category_{}", details.category)),
    );
    context.insert(
        "status",
        &catalogue.text(&format!(
            "status_{}",
            serde_json::to_value(details.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        )),
    );
    context.insert("organiser", &roles.organiser);
    context.insert("participant", &roles.participant);
    context.insert("my_state", &my_state);
    context.insert("taking_part", &mine.is_some());
    context.insert("joinable", &joinable);
    context.insert("restricted", &(details.join_mode == JoinMode::Restricted));
    context.insert(
        "hide_count",
        &(details.options.hide_participant_count && !roles.organiser),
    );
    context.insert(
        "online_hidden",
        &(details.options.online_url_for_participants && details.online_url.is_none()),
    );
    let zone = visitor
        .time_zone
        .clone()
        .unwrap_or_else(|| details.time_zone.clone());
    let when_of: std::collections::BTreeMap<String, String> = comments
        .iter()
        .map(|c| {
            (
                c.id.clone(),
                crate::view::stamp(catalogue, &c.created_at, &zone),
            )
        })
        .collect();
    context.insert("when_of", &when_of);
    context.insert("threads", &threads(comments));
    context.insert("json_ld", &json_ld(&web, &event));
    let own_picture = crate::view::event_picture(&event);
    let default_picture = own_picture
        .is_none()
        .then(|| crate::view::category_picture(&details.category))
        .flatten();
    context.insert("picture", &own_picture.or(default_picture.clone()));
    context.insert("hue", &crate::view::category_hue(&details.category));
    // Link previews take the widest rendition, by its absolute address and size.
    // Without a picture of its own, the category's.
    let og_image = event.picture.as_ref().map(|p| {
        let widest = convene_api::pictures::url(&p.facts.hash, p.facts.width, Format::Jpeg);
        json!({
            "url": format!("{}{widest}", app.config.public_url),
            "type": "image/jpeg",
            "width": p.facts.width,
            "height": p.facts.height,
            "alt": p.alt,
        })
    });
    let og_image = og_image.or_else(|| {
        default_picture.map(|p| {
            json!({
                "url": format!("{}{}", app.config.public_url, p.src),
                "type": "image/svg+xml",
                "width": p.width,
                "height": p.height,
                "alt": catalogue.text(&format!("category_{}", details.category)),
            })
        })
    });
    context.insert("og_image", &og_image);
    context.insert("excerpt", &excerpt(&details.description, 200));
    context.insert(
        "url",
        &format!("{}/events/{}", app.config.public_url, event.id),
    );
    let point = details.address.as_ref().and_then(|a| {
        Some(crate::map::Point {
            lat: a.latitude?,
            lon: a.longitude?,
            title: details.title.clone(),
            link: None,
        })
    });
    let map = crate::map::view(
        web.pages.tiles.as_ref(),
        catalogue.text("map_of_place"),
        point.into_iter().collect(),
    );
    let pictures: Vec<String> = crate::view::event_picture(&event)
        .map(|p| p.src)
        .into_iter()
        .collect();
    crate::map::render(
        &web.pages,
        &visitor,
        StatusCode::OK,
        "event.html",
        context,
        map,
        &pictures,
    )
}

pub async fn join(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::Form(form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let acting = match acting(&web, &visitor, form.get("profile").cloned()).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let request = JoinRequest {
        message: Some(field(&form, "message")).filter(|m| !m.is_empty()),
    };
    match participations::join(&web.app, &acting, &id, request).await {
        Ok(_) => see_other(&visitor, &format!("/events/{id}#participation")),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

pub async fn leave(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::Form(form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let acting = match acting_on(&web, &visitor, &id, form.get("profile"), |_| true).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    match participations::leave(&web.app, &acting, &id).await {
        Ok(()) => see_other_saying(
            &visitor,
            &format!("/events/{id}#participation"),
            "flash_left",
        ),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

pub async fn join_anonymously(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::Form(form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let request = AnonymousJoin {
        email: field(&form, "email"),
        message: Some(field(&form, "message")).filter(|m| !m.is_empty()),
    };
    let catalogue = web.pages.catalogue(&visitor);
    match participations::join_anonymously(&web.app, &visitor.origin, &id, request).await {
        Ok(_) => web.pages.message(
            &visitor,
            &catalogue.text("anon_title"),
            &catalogue.text("anon_sent"),
        ),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

pub async fn comment(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::Form(form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let acting = match acting_on(
        &web,
        &visitor,
        &id,
        form.get("profile"),
        if form.contains_key("announcement") {
            ParticipantState::is_organiser
        } else {
            |_| false
        },
    )
    .await
    {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let new = NewComment {
        body: field(&form, "body"),
        in_reply_to: Some(field(&form, "in_reply_to")).filter(|r| !r.is_empty()),
        announcement: form.contains_key("announcement"),
    };
    match comments::post(&web.app, &acting, &id, new).await {
        Ok(posted) => see_other(&visitor, &format!("/events/{id}#comment-{}", posted.id)),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

/// What organisers do to the whole event from its page.
enum Decision {
    Publish,
    /// With the reason the organiser gave, if any.
    Cancel(Option<String>),
    Delete,
}

/// Runs an organiser's decision on the event as its organising identity, then shows where it
/// leads.
async fn organise(
    web: &Web,
    visitor: &Visitor,
    id: &str,
    form: &std::collections::HashMap<String, String>,
    decision: Decision,
) -> Response {
    if let Err(refused) = check_csrf(web, visitor, form) {
        return refused;
    }
    let acting = match acting_on(
        web,
        visitor,
        id,
        form.get("profile"),
        ParticipantState::is_administrator,
    )
    .await
    {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let saying = match decision {
        Decision::Publish => "flash_published",
        Decision::Cancel(_) => "flash_cancelled",
        Decision::Delete => "flash_deleted",
    };
    let reason = match &decision {
        Decision::Cancel(reason) => reason.clone(),
        _ => None,
    };
    match decide(web, &acting, id, decision).await {
        Ok(then) => see_other_saying(visitor, &then, saying),
        // Only the reason can be at fault: asked again, with what was typed.
        Err(error) if !error.field_errors().is_empty() && reason.is_some() => {
            let catalogue = web.pages.catalogue(visitor);
            let refused = (
                reason.unwrap_or_default(),
                catalogue.text("err_cancel_reason"),
            );
            let status = convene_api::http::problem::status_of(&error);
            let question = "confirm_cancel";
            confirm(web, visitor, id, "cancel", question, status, Some(refused)).await
        }
        Err(error) => web.pages.failure(visitor, &error),
    }
}

async fn decide(web: &Web, acting: &Acting, id: &str, decision: Decision) -> Result<String, Error> {
    let app = &web.app;
    match decision {
        Decision::Publish => events::publish(app, acting, id).await.map(drop)?,
        Decision::Cancel(reason) => events::cancel(app, acting, id, reason.as_deref())
            .await
            .map(drop)?,
        Decision::Delete => {
            events::delete(app, acting, id).await?;
            return Ok("/".into());
        }
    }
    Ok(format!("/events/{id}"))
}

pub async fn publish(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::Form(form): Fields,
) -> Response {
    organise(&web, &visitor, &id, &form, Decision::Publish).await
}

pub async fn cancel(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::Form(form): Fields,
) -> Response {
    let reason = form.get("reason").cloned();
    organise(&web, &visitor, &id, &form, Decision::Cancel(reason)).await
}

pub async fn delete(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::Form(form): Fields,
) -> Response {
    organise(&web, &visitor, &id, &form, Decision::Delete).await
}

/// A page asking to confirm `action` (cancel or delete) with a button that posts it; a refused
/// cancellation's reason comes back with what is wrong with it.
async fn confirm(
    web: &Web,
    visitor: &Visitor,
    id: &str,
    action: &str,
    question: &str,
    status: StatusCode,
    refused: Option<(String, String)>,
) -> Response {
    if !visitor.logged_in() {
        return login_first(visitor);
    }
    let (event, roles) =
        match events::show_with_viewer(&web.app, visitor.session.as_ref(), id).await {
            Ok(seen) => seen,
            Err(error) => return web.pages.failure(visitor, &error),
        };
    if !roles.organiser {
        return web.pages.error(visitor, StatusCode::FORBIDDEN);
    }
    let catalogue = web.pages.catalogue(visitor);
    let mut context = Context::new();
    context.insert("event", &event);
    context.insert("action", action);
    context.insert("question", &catalogue.text(question));
    context.insert("button", &catalogue.text(&format!("{action}_event")));
    let (reason, reason_error) = refused.unzip();
    context.insert("reason", &reason);
    context.insert("reason_error", &reason_error);
    web.pages.render(visitor, status, "confirm.html", context)
}

pub async fn confirm_cancel(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    confirm(
        &web,
        &visitor,
        &id,
        "cancel",
        "confirm_cancel",
        StatusCode::OK,
        None,
    )
    .await
}

pub async fn confirm_delete(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    confirm(
        &web,
        &visitor,
        &id,
        "delete",
        "confirm_delete",
        StatusCode::OK,
        None,
    )
    .await
}
