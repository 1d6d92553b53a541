//! The inbox page: the account's notifications, newest first, each with its link, and forms to
//! mark one or all read (plain posts, then back to the page).

use super::{check_csrf, field, login_first, Fields};
use crate::render::see_other;
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_notifications::inbox;
use serde::Deserialize;
use tera::Context;

#[derive(Deserialize)]
pub struct Paging {
    page: Option<String>,
}

pub async fn inbox(
    State(web): State<Web>,
    visitor: Visitor,
    Query(paging): Query<Paging>,
) -> Response {
    let Some(session) = &visitor.session else {
        return login_first(&visitor);
    };
    // A page number that does not read is the first page, as on the search page.
    let page = paging.page.and_then(|p| p.trim().parse::<i64>().ok());
    let listed = match inbox::list(&web.app, session, page, None).await {
        Ok(listed) => listed,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let catalogue = web.pages.catalogue(&visitor);
    let notifications: Vec<serde_json::Value> = listed
        .notifications
        .iter()
        .map(|n| {
            let zone = visitor.time_zone.as_deref().unwrap_or("UTC");
            let when = crate::view::stamp(catalogue, &n.created_at, zone);
            serde_json::json!({
                "id": n.id,
                "text": n.text,
                "link": n.link,
                "read": n.read,
                "created_at": n.created_at,
                "when": when,
            })
        })
        .collect();
    let mut context = Context::new();
    context.insert("notifications", &notifications);
    context.insert("page", &listed.page);
    context.insert("more", &listed.more);
    context.insert("unread_here", &listed.unread);
    web.pages
        .render(&visitor, StatusCode::OK, "notifications.html", context)
}

/// Back to the page the form was on (a path of the inbox only).
fn back(form: &std::collections::HashMap<String, String>) -> String {
    let page = field(form, "page").parse::<i64>().unwrap_or(1).max(1);
    if page == 1 {
        "/notifications".to_string()
    } else {
        format!("/notifications?page={page}")
    }
}

pub async fn mark_read(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::Form(form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let Some(session) = &visitor.session else {
        return login_first(&visitor);
    };
    match inbox::mark_read(&web.app, session, &id).await {
        Ok(()) => see_other(&visitor, &back(&form)),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

pub async fn mark_all_read(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let Some(session) = &visitor.session else {
        return login_first(&visitor);
    };
    match inbox::mark_all_read(&web.app, session).await {
        Ok(_) => see_other(&visitor, &back(&form)),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}
