//! The pages behind the links mailed to anonymous participants.

use super::{check_csrf, field, Fields};
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use convene_api::auth::Origin;
use convene_api::participations::{cancel_anonymous, confirm_anonymous};
use serde::Deserialize;
use tera::Context;

#[derive(Debug, Deserialize)]
pub struct Token {
    #[serde(default)]
    pub token: String,
}

/// Following the confirmation link confirms (doing it twice is harmless).
pub async fn confirm(
    State(web): State<Web>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(query): Query<Token>,
) -> Response {
    let catalogue = web.pages.catalogue(&visitor);
    match confirm_anonymous(&web.app, &Origin::web(&headers), &query.token).await {
        Ok(state) => web.pages.message(
            &visitor,
            &catalogue.text("anon_confirm_title"),
            &catalogue.text(&format!("anon_state_{}", state.state)),
        ),
        Err(problem) if problem.status == 404 => web.pages.link_invalid(&visitor),
        Err(problem) => web.pages.problem(&visitor, &problem),
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
    headers: HeaderMap,
    axum::Form(form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let catalogue = web.pages.catalogue(&visitor);
    match cancel_anonymous(&web.app, &Origin::web(&headers), &field(&form, "token")).await {
        Ok(_) => web.pages.message(
            &visitor,
            &catalogue.text("anon_cancel_title"),
            &catalogue.text("anon_cancelled"),
        ),
        Err(problem) if problem.status == 404 => web.pages.link_invalid(&visitor),
        Err(problem) => web.pages.problem(&visitor, &problem),
    }
}
