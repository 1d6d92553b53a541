//! `/admin/instances`: the instances this one follows or is followed by (Mobilizon's relays),
//! for administrators: listed, followed by host or URL, unfollowed. The same use cases as
//! `/api/v1/admin/instances`; everyone else gets a 403 page saying who may.

use super::{field, forbidden, login_first, posting_session, Fields};
use crate::render::{see_other, status_of};
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use convene_api::{instance_follows, Class};
use std::collections::HashMap;
use tera::Context;

/// GET `/admin/instances`.
pub async fn list(State(web): State<Web>, visitor: Visitor) -> Response {
    page(&web, &visitor, &HashMap::new(), None).await
}

/// POST `/admin/instances` (`instance`): this instance follows the one named; a refusal shows
/// the form again with the field marked and nothing recorded.
pub async fn follow(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(values): Fields,
) -> Response {
    let session = match posting_session(&web, &visitor, &values) {
        Ok(session) => session,
        Err(response) => return response,
    };
    let given = field(&values, "instance");
    match instance_follows::follow_instance(&web.app, session, &given).await {
        Ok(_) => see_other(&visitor, "/admin/instances"),
        Err(error) if matches!(error.class(), Class::Invalid | Class::Conflict) => {
            page(&web, &visitor, &values, Some(&error)).await
        }
        Err(error) => forbidden(&web, &visitor, &error, "instances_admins_only"),
    }
}

/// POST `/admin/instances/unfollow` (`instance`: the actor followed): this instance stops
/// following it, or withdraws its request.
pub async fn unfollow(
    State(web): State<Web>,
    visitor: Visitor,
    axum::Form(values): Fields,
) -> Response {
    let session = match posting_session(&web, &visitor, &values) {
        Ok(session) => session,
        Err(response) => return response,
    };
    let given = field(&values, "instance");
    match instance_follows::unfollow_instance(&web.app, session, &given).await {
        Ok(()) => see_other(&visitor, "/admin/instances"),
        Err(error) => forbidden(&web, &visitor, &error, "instances_admins_only"),
    }
}

async fn page(
    web: &Web,
    visitor: &Visitor,
    values: &HashMap<String, String>,
    failed: Option<&convene_api::Error>,
) -> Response {
    let Some(session) = visitor.session.as_ref() else {
        return login_first(visitor);
    };
    let instances = match instance_follows::list(&web.app, session).await {
        Ok(instances) => instances,
        Err(error) => return forbidden(web, visitor, &error, "instances_admins_only"),
    };
    let errors: HashMap<String, String> = match failed {
        Some(error) if !error.field_errors().is_empty() => error
            .field_errors()
            .into_iter()
            .map(|f| (f.field, f.message))
            .collect(),
        Some(error) => HashMap::from([("instance".to_string(), error.to_string())]),
        None => HashMap::new(),
    };
    let mut context = Context::new();
    context.insert("instances", &instances);
    context.insert("values", values);
    context.insert("errors", &errors);
    web.pages.render(
        visitor,
        failed.map_or(StatusCode::OK, status_of),
        "admin_instances.html",
        context,
    )
}
