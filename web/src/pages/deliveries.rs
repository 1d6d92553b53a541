//! `/admin/deliveries`: what this instance sends other instances, for administrators — the
//! deliveries not delivered yet (or those in one state), with their tries and last answers, and
//! a failed or dead one tried again. The same use cases as `/api/v1/admin/deliveries`; everyone
//! else gets a 403 page saying who may.

use super::{field, forbidden, login_first, posting_session, Fields};
use crate::render::{see_other, status_of};
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_api::deliveries::{self, DeliveriesQuery, PAGE_SIZE};
use convene_api::Class;
use serde::Deserialize;
use std::collections::HashMap;
use tera::Context;

/// The states a list may be narrowed to, in the order the page offers them.
const STATES: [&str; 4] = ["pending", "failed", "dead", "delivered"];

/// The page's query, as typed: a page number that is not one is said, not a 400.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    page: Option<String>,
}

/// Where the list `state` (none: all not delivered) is, at `page`.
fn list_path(state: Option<&str>, page: i64) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(state) = state {
        query.append_pair("state", state);
    }
    if page > 1 {
        query.append_pair("page", &page.to_string());
    }
    let query = query.finish();
    if query.is_empty() {
        "/admin/deliveries".to_string()
    } else {
        format!("/admin/deliveries?{query}")
    }
}

/// GET `/admin/deliveries?state=…&page=…`. A filter that is none is said on the page (422).
pub async fn list(
    State(web): State<Web>,
    visitor: Visitor,
    Query(asked): Query<ListQuery>,
) -> Response {
    let Some(session) = visitor.session.as_ref() else {
        return login_first(&visitor);
    };
    let state = asked.state.filter(|s| !s.trim().is_empty());
    let page = match asked.page.as_deref().map(str::trim) {
        None | Some("") => Some(1),
        Some(text) => text.parse::<i64>().ok(),
    };
    let query = DeliveriesQuery {
        state: state.clone(),
        // Not a number: a page the use case refuses, naming the field.
        page: Some(page.unwrap_or(0)),
    };
    let (status, found, error) = match deliveries::list(&web.app, session, query).await {
        Ok(found) => (StatusCode::OK, Some(found), None),
        Err(error) if error.class() == Class::Invalid => {
            let said = error
                .field_errors()
                .into_iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join(" ");
            (status_of(&error), None, Some(said))
        }
        Err(error) => return forbidden(&web, &visitor, &error, "deliveries_admins_only"),
    };
    let mut context = Context::new();
    let links: Vec<HashMap<&str, String>> = std::iter::once(None)
        .chain(STATES.iter().copied().map(Some))
        .map(|s| {
            HashMap::from([
                ("key", s.unwrap_or("undelivered").to_string()),
                ("href", list_path(s, 1)),
                ("current", (s == state.as_deref()).to_string()),
            ])
        })
        .collect();
    context.insert("states", &links);
    if let Some(found) = &found {
        let pages = (found.total + PAGE_SIZE - 1) / PAGE_SIZE;
        let next = (found.page < pages).then(|| list_path(state.as_deref(), found.page + 1));
        context.insert("next", &next);
    }
    context.insert("found", &found);
    context.insert("state", &state);
    context.insert("error", &error);
    web.pages
        .render(&visitor, status, "admin_deliveries.html", context)
}

/// POST `/admin/deliveries/{id}/retry`: the failed or dead delivery `id` is tried again at
/// once; back to the list it was on (`state`).
pub async fn retry(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::Form(values): Fields,
) -> Response {
    let session = match posting_session(&web, &visitor, &values) {
        Ok(session) => session,
        Err(response) => return response,
    };
    let back = Some(field(&values, "state")).filter(|s| STATES.contains(&s.as_str()));
    match deliveries::retry(&web.app, session, &id).await {
        Ok(_) => see_other(&visitor, &list_path(back.as_deref(), 1)),
        Err(error) => forbidden(&web, &visitor, &error, "deliveries_admins_only"),
    }
}

#[cfg(test)]
mod tests {
    use super::list_path;

    #[test]
    fn lists_keep_their_state_and_page() {
        assert_eq!(list_path(None, 1), "/admin/deliveries");
        assert_eq!(list_path(Some("dead"), 1), "/admin/deliveries?state=dead");
        assert_eq!(list_path(None, 3), "/admin/deliveries?page=3");
        assert_eq!(
            list_path(Some("failed"), 2),
            "/admin/deliveries?state=failed&page=2"
        );
    }
}
