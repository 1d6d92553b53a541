//! The pages behind the links mailed to anonymous participants.

use super::{check_csrf, field, link_button, Fields};
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_api::participations::{cancel_anonymous, confirm_anonymous};
use serde::Deserialize;
use tera::Context;

#[derive(Debug, Deserialize)]
pub struct Token {
    #[serde(default)]
    pub token: String,
}

/// The confirmation link only shows a button, like the cancellation link: mail scanners
/// follow links, people press buttons.
pub async fn confirm_form(
    State(web): State<Web>,
    visitor: Visitor,
    Query(query): Query<Token>,
) -> Response {
    let labels = ("anon_confirm_ask", "anon_confirm_button");
    link_button(
        &web,
        &visitor,
        Some(&query.token),
        "/participations/confirm",
        labels,
    )
}

/// Confirms (doing it twice is harmless).
pub async fn confirm(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let catalogue = web.pages.catalogue(&visitor);
    match confirm_anonymous(&web.app, &visitor.origin, &field(&form, "token")).await {
        Ok(state) => web.pages.message_back(
            &visitor,
            &catalogue.text("anon_confirm_title"),
            &catalogue.text(&format!("anon_state_{}", state.state)),
            Some(&state.event),
        ),
        Err(error) => web.pages.link_failure(&visitor, &error),
    }
}

/// The cancellation link only shows a button: mail scanners follow links, people press buttons.
pub async fn cancel_form(
    State(web): State<Web>,
    visitor: Visitor,
    Query(query): Query<Token>,
) -> Response {
    let mut context = Context::new();
    context.insert("token", &query.token);
    web.pages
        .render(&visitor, StatusCode::OK, "cancel.html", context)
}

pub async fn cancel(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let catalogue = web.pages.catalogue(&visitor);
    match cancel_anonymous(&web.app, &visitor.origin, &field(&form, "token")).await {
        Ok(cancelled) => web.pages.message_back(
            &visitor,
            &catalogue.text("anon_cancel_title"),
            &catalogue.text("anon_cancelled"),
            Some(&cancelled.event),
        ),
        Err(error) => web.pages.link_failure(&visitor, &error),
    }
}
