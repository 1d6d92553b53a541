//! What organisers see of their event: participants by state with approve and reject buttons,
//! a CSV export, a message to everyone, and the history of every change.

use super::{acting_on, check_csrf, login_first, Fields};
use crate::render::see_other;
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use convene_api::consistency;
use convene_api::events::{viewer, visible};
use convene_api::history::event_history;
use convene_domain::event::ParticipantState;
use convene_domain::EventCommand;
use convene_projections::events::{self, EventView, ParticipationView};
use serde::Serialize;
use tera::Context;

/// The event, if the visitor organises it (or moderates the instance).
async fn as_organiser(web: &Web, visitor: &Visitor, id: &str) -> Result<EventView, Response> {
    if !visitor.logged_in() {
        return Err(login_first(visitor));
    }
    let roles = viewer(&web.app, visitor.session.as_ref(), id)
        .await
        .map_err(|p| web.pages.problem(visitor, &p))?;
    let event = visible(&web.app, roles, id)
        .await
        .map_err(|p| web.pages.problem(visitor, &p))?;
    if !(roles.organiser || roles.moderator) {
        return Err(web.pages.error(visitor, StatusCode::FORBIDDEN));
    }
    Ok(event)
}

#[derive(Serialize)]
struct Row {
    id: String,
    who: String,
    state: String,
    state_label: String,
    waitlist_position: Option<i64>,
    message: String,
    joined_at: String,
    can_approve: bool,
    can_reject: bool,
}

fn rows(web: &Web, visitor: &Visitor, found: Vec<ParticipationView>, zone: &str) -> Vec<Row> {
    let catalogue = web.pages.catalogue(visitor);
    found
        .into_iter()
        .map(|p| {
            let state = ParticipantState::parse(&p.state);
            Row {
                who: p
                    .profile
                    .as_ref()
                    .map_or_else(|| catalogue.text("anonymous"), |u| format!("@{u}")),
                state_label: catalogue.text(&format!("state_{}", p.state)),
                can_approve: matches!(
                    state,
                    Some(ParticipantState::NotApproved | ParticipantState::Rejected)
                ),
                can_reject: matches!(
                    state,
                    Some(
                        ParticipantState::NotApproved
                            | ParticipantState::Waitlisted
                            | ParticipantState::Participant
                    )
                ),
                id: p.id,
                state: p.state,
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
    let event = match as_organiser(&web, &visitor, &id).await {
        Ok(event) => event,
        Err(response) => return response,
    };
    let found = events::participations(web.app.db.pool(), &id, None)
        .await
        .unwrap_or_default();
    let mut context = Context::new();
    context.insert("event", &event);
    let zone = visitor
        .time_zone
        .clone()
        .unwrap_or_else(|| event.details.time_zone.clone());
    context.insert("rows", &rows(&web, &visitor, found, &zone));
    web.pages
        .render(&visitor, StatusCode::OK, "participants.html", context)
}

pub async fn export(State(web): State<Web>, visitor: Visitor, Path(id): Path<String>) -> Response {
    if let Err(response) = as_organiser(&web, &visitor, &id).await {
        return response;
    }
    let found = events::participations(web.app.db.pool(), &id, None)
        .await
        .unwrap_or_default();
    match convene_api::participations::csv(&found) {
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
        Err(problem) => web.pages.problem(&visitor, &problem),
    }
}

async fn decide(
    web: &Web,
    visitor: &Visitor,
    id: &str,
    form: &std::collections::HashMap<String, String>,
    command: impl FnOnce(String) -> EventCommand,
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
    let command = command(acting.profile.clone());
    match consistency::command(&web.app, &web.app.events, id, command, &acting.metadata()).await {
        Ok(_) => see_other(visitor, &format!("/events/{id}/participants")),
        Err(problem) => web.pages.problem(visitor, &problem),
    }
}

pub async fn approve(
    State(web): State<Web>,
    visitor: Visitor,
    Path((id, pid)): Path<(String, String)>,
    axum::Form(form): Fields,
) -> Response {
    decide(&web, &visitor, &id, &form, |by| EventCommand::Approve {
        by,
        participation: pid,
    })
    .await
}

pub async fn reject(
    State(web): State<Web>,
    visitor: Visitor,
    Path((id, pid)): Path<(String, String)>,
    axum::Form(form): Fields,
) -> Response {
    decide(&web, &visitor, &id, &form, |by| EventCommand::Reject {
        by,
        participation: pid,
    })
    .await
}

pub async fn history(State(web): State<Web>, visitor: Visitor, Path(id): Path<String>) -> Response {
    let event = match as_organiser(&web, &visitor, &id).await {
        Ok(event) => event,
        Err(response) => return response,
    };
    let Some(session) = visitor.session.as_ref() else {
        return login_first(&visitor);
    };
    match event_history(&web.app, session, &id).await {
        Ok(entries) => {
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
        Err(problem) => web.pages.problem(&visitor, &problem),
    }
}
