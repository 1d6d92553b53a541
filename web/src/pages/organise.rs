//! What organisers see of their event: a summary of seats and requests, participants by state
//! with approve and reject buttons (one by one, or several ticked at once), a CSV export, a
//! message to everyone, and the history of every change.

use super::{acting_on, check_csrf, login_first, Fields};
use crate::render::see_other_saying;
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use convene_api::auth::Session;
use convene_api::history::event_history;
use convene_api::{events, participations, profiles};
use convene_domain::event::ParticipantState;
use convene_projections::events::{EventView, ParticipationView};
use serde::Serialize;
use tera::Context;

/// The logged-in visitor's session, or the login page.
fn session(visitor: &Visitor) -> Result<&Session, Response> {
    visitor.session.as_ref().ok_or_else(|| login_first(visitor))
}

/// Organisers' pages answer outsiders with the plain 403 page.
fn refused(web: &Web, visitor: &Visitor, error: &convene_api::Error) -> Response {
    if error.class() == convene_api::Class::Forbidden {
        web.pages.error(visitor, StatusCode::FORBIDDEN)
    } else {
        web.pages.failure(visitor, error)
    }
}

/// The event and its participants, if the visitor organises it (or moderates the instance).
async fn as_organiser(
    web: &Web,
    visitor: &Visitor,
    id: &str,
) -> Result<(EventView, Vec<ParticipationView>), Response> {
    let session = session(visitor)?;
    let fail = |error| refused(web, visitor, &error);
    let found = participations::participants(&web.app, session, id, None)
        .await
        .map_err(fail)?;
    let event = events::show(&web.app, Some(session), id)
        .await
        .map_err(fail)?;
    Ok((event, found))
}

#[derive(Serialize)]
struct Row {
    id: String,
    /// The display name (or "Anonymous").
    who: String,
    /// `@username`, shown smaller beside the name.
    handle: Option<String>,
    /// A participant on another instance: their actor, whom the organiser may report.
    remote_actor: Option<String>,
    state: String,
    state_label: String,
    waitlist_position: Option<i64>,
    message: String,
    joined_at: String,
    can_approve: bool,
    can_reject: bool,
}

/// "3 / 3 seats taken, 2 waiting, 1 to approve": the counts an organiser decides with.
fn summary(web: &Web, visitor: &Visitor, event: &EventView, found: &[ParticipationView]) -> String {
    let catalogue = web.pages.catalogue(visitor);
    let count = |state| {
        found
            .iter()
            .filter(|p| p.state == state)
            .count()
            .to_string()
    };
    let taken = count(ParticipantState::Participant);
    let mut parts = vec![match event.details.capacity {
        Some(capacity) => catalogue.fill(
            "summary_seats",
            &[("taken", &taken), ("capacity", &capacity.to_string())],
        ),
        None => catalogue.fill("summary_going", &[("count", &taken)]),
    }];
    for (state, key) in [
        (ParticipantState::Waitlisted, "summary_waiting"),
        (ParticipantState::NotApproved, "summary_to_approve"),
    ] {
        let n = count(state);
        if n != "0" {
            parts.push(catalogue.fill(key, &[("count", &n)]));
        }
    }
    parts.join(", ")
}

fn rows(
    web: &Web,
    visitor: &Visitor,
    found: Vec<ParticipationView>,
    names: &std::collections::HashMap<String, String>,
    zone: &str,
) -> Vec<Row> {
    let catalogue = web.pages.catalogue(visitor);
    found
        .into_iter()
        .map(|p| {
            let state = p.state;
            Row {
                who: match (&p.profile, &p.remote) {
                    (Some(u), _) => names.get(u).cloned().unwrap_or_else(|| format!("@{u}")),
                    // Someone on another instance, as people write them there.
                    (None, Some(remote)) => format!("@{remote}"),
                    (None, None) => catalogue.text("anonymous"),
                },
                handle: p.profile.as_ref().map(|u| format!("@{u}")),
                remote_actor: p.remote_actor.clone(),
                state_label: catalogue.text(&format!("state_{}", state.as_str())),
                can_approve: state.may_be_approved(),
                can_reject: state.may_be_rejected(),
                id: p.id,
                state: state.as_str().to_string(),
                waitlist_position: p.waitlist_position,
                message: p.message.unwrap_or_default(),
                joined_at: crate::view::stamp(web.pages.catalogue(visitor), &p.joined_at, zone),
            }
        })
        .collect()
}

pub async fn participants(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    let (event, found) = match as_organiser(&web, &visitor, &id).await {
        Ok(organised) => organised,
        Err(response) => return response,
    };
    let usernames: Vec<&str> = found.iter().filter_map(|p| p.profile.as_deref()).collect();
    let names = match profiles::display_names(&web.app, &usernames).await {
        Ok(names) => names,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let mut context = Context::new();
    context.insert("summary", &summary(&web, &visitor, &event, &found));
    context.insert(
        "decidable",
        &found.iter().any(|p| p.state.may_be_approved()),
    );
    context.insert("event", &event);
    let zone = visitor
        .time_zone
        .clone()
        .unwrap_or_else(|| event.details.time_zone.clone());
    context.insert("rows", &rows(&web, &visitor, found, &names, &zone));
    web.pages
        .render(&visitor, StatusCode::OK, "participants.html", context)
}

pub async fn export(State(web): State<Web>, visitor: Visitor, Path(id): Path<String>) -> Response {
    let found = match as_organiser(&web, &visitor, &id).await {
        Ok((_, found)) => found,
        Err(response) => return response,
    };
    match participations::csv(&found) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"participants-{id}.csv\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(error) => refused(&web, &visitor, &error),
    }
}

/// An organiser's decision on a participation, then back to the list.
async fn decide(
    web: &Web,
    visitor: &Visitor,
    id: &str,
    form: &std::collections::HashMap<String, String>,
    pid: &str,
    approve: bool,
) -> Response {
    if let Err(refused) = check_csrf(web, visitor, form) {
        return refused;
    }
    let acting = match acting_on(
        web,
        visitor,
        id,
        form.get("profile"),
        ParticipantState::is_organiser,
    )
    .await
    {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let decided = if approve {
        participations::approve(&web.app, &acting, id, pid).await
    } else {
        participations::reject(&web.app, &acting, id, pid).await
    };
    match decided {
        Ok(_) => see_other_saying(
            visitor,
            &format!("/events/{id}/participants"),
            if approve {
                "flash_approved"
            } else {
                "flash_declined"
            },
        ),
        Err(error) => web.pages.failure(visitor, &error),
    }
}

/// Several ticked participations approved or declined at once (`p` repeated, `decision` =
/// `approve` or `reject`); each decided in turn, the first refusal shown.
pub async fn decide_several(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Response {
    let form: std::collections::HashMap<String, String> = pairs.iter().cloned().collect();
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let approve = match form.get("decision").map(String::as_str) {
        Some("approve") => true,
        Some("reject") => false,
        _ => return web.pages.error(&visitor, StatusCode::BAD_REQUEST),
    };
    let acting = match acting_on(
        &web,
        &visitor,
        &id,
        form.get("profile"),
        ParticipantState::is_organiser,
    )
    .await
    {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    for (_, pid) in pairs.iter().filter(|(name, _)| name == "p") {
        let decided = if approve {
            participations::approve(&web.app, &acting, &id, pid).await
        } else {
            participations::reject(&web.app, &acting, &id, pid).await
        };
        if let Err(error) = decided {
            return web.pages.failure(&visitor, &error);
        }
    }
    see_other_saying(
        &visitor,
        &format!("/events/{id}/participants"),
        if approve {
            "flash_approved"
        } else {
            "flash_declined"
        },
    )
}

pub async fn approve(
    State(web): State<Web>,
    visitor: Visitor,
    Path((id, pid)): Path<(String, String)>,
    axum::Form(form): Fields,
) -> Response {
    decide(&web, &visitor, &id, &form, &pid, true).await
}

pub async fn reject(
    State(web): State<Web>,
    visitor: Visitor,
    Path((id, pid)): Path<(String, String)>,
    axum::Form(form): Fields,
) -> Response {
    decide(&web, &visitor, &id, &form, &pid, false).await
}

pub async fn history(State(web): State<Web>, visitor: Visitor, Path(id): Path<String>) -> Response {
    let session = match session(&visitor) {
        Ok(session) => session,
        Err(response) => return response,
    };
    let shown = async {
        let event = events::show(&web.app, Some(session), &id).await?;
        let entries = event_history(&web.app, session, &id).await?;
        Ok::<_, convene_api::Error>((entries, event))
    };
    match shown.await {
        Ok((entries, event)) => {
            let catalogue = web.pages.catalogue(&visitor);
            let zone = visitor
                .time_zone
                .clone()
                .unwrap_or_else(|| event.details.time_zone.clone());
            let when: Vec<String> = entries
                .iter()
                .map(|e| crate::view::stamp(catalogue, &e.at, &zone))
                .collect();
            let mut context = Context::new();
            context.insert("when", &when);
            context.insert("event", &event);
            context.insert("entries", &entries);
            web.pages
                .render(&visitor, StatusCode::OK, "history.html", context)
        }
        Err(error) => refused(&web, &visitor, &error),
    }
}
