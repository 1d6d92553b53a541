//! A group's resources (`/@group/resources` and `/@group/resources/{folder}`), for its members:
//! the folders and links of a folder with the way down to it, forms to add a folder or a link
//! there (or a new pad, spreadsheet or video call on a service the instance proposes), and for
//! each resource forms to change it, move it (a list of the folders) and delete it. A refused form is shown again with the field named and the values kept.

use super::groups::acting_in;
use super::{check_csrf, field, Fields};
use crate::i18n::Catalogue;
use crate::render::{see_other, status_of};
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_api::group_resources::{self, MoveTo, NewResource, ResourceChange};
use convene_api::{groups, Class, Error};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use tera::Context;

/// The kinds of link a member may choose.
const LINK_KINDS: [&str; 4] = ["link", "pad", "calc", "visio"];

fn field_messages(catalogue: &Catalogue, error: &Error) -> BTreeMap<String, String> {
    super::groups::messages_of(catalogue, error, "resource")
}

/// A folder a resource may be moved into: its id, the way down to it, and the folders it is
/// inside (so that a folder is never offered itself or one of its own).
#[derive(Serialize)]
struct Place {
    id: String,
    label: String,
    within: Vec<String>,
}

pub async fn top(State(web): State<Web>, visitor: Visitor, Path(handle): Path<String>) -> Response {
    render(&web, &visitor, &handle, None, None, None, HashMap::new()).await
}

pub async fn folder(
    State(web): State<Web>,
    visitor: Visitor,
    Path((handle, folder)): Path<(String, String)>,
) -> Response {
    render(
        &web,
        &visitor,
        &handle,
        Some(&folder),
        None,
        None,
        HashMap::new(),
    )
    .await
}

async fn render(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
    folder: Option<&str>,
    named: Option<String>,
    refused: Option<&Error>,
    values: HashMap<String, String>,
) -> Response {
    let acting = match acting_in(web, visitor, handle, named).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let group = match groups::show(&web.app, handle).await {
        Ok(group) => group,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let listing = match group_resources::listing(&web.app, &acting, handle, folder).await {
        Ok(listing) => listing,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let places = match group_resources::folders(&web.app, &acting, handle).await {
        Ok(found) => found
            .into_iter()
            .map(|(id, path)| Place {
                id,
                label: path
                    .iter()
                    .map(|c| c.title.as_str())
                    .collect::<Vec<_>>()
                    .join(" / "),
                within: path.into_iter().map(|c| c.id).collect(),
            })
            .collect::<Vec<_>>(),
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let catalogue = web.pages.catalogue(visitor);
    let errors = refused
        .map(|e| field_messages(catalogue, e))
        .unwrap_or_default();
    let here = match folder {
        Some(id) => format!("/@{handle}/resources/{id}"),
        None => format!("/@{handle}/resources"),
    };
    let mut context = Context::new();
    context.insert("group", &group);
    context.insert("listing", &listing);
    context.insert("places", &places);
    context.insert("kinds", &LINK_KINDS);
    context.insert("here", &here);
    context.insert("acting", &acting.profile);
    context.insert("errors", &errors);
    context.insert("values", &values);
    let status = refused.map_or(StatusCode::OK, status_of);
    web.pages
        .render(visitor, status, "group_resources.html", context)
}

pub async fn act_at_top(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    form: Fields,
) -> Response {
    act(web, visitor, handle, None, form).await
}

pub async fn act_in_folder(
    State(web): State<Web>,
    visitor: Visitor,
    Path((handle, folder)): Path<(String, String)>,
    form: Fields,
) -> Response {
    act(web, visitor, handle, Some(folder), form).await
}

/// Every form of the page posts to the page, saying which with `action`: folder, link, service
/// (a new link on the instance's pad, calc or video call service), edit, move or delete.
async fn act(
    web: Web,
    visitor: Visitor,
    handle: String,
    folder: Option<String>,
    axum::Form(form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let named = form.get("profile").cloned();
    let acting = match acting_in(&web, &visitor, &handle, named.clone()).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let app = &web.app;
    let optional = |name: &str| Some(field(&form, name)).filter(|v| !v.is_empty());
    let resource = field(&form, "resource");
    let mut back = folder.clone();
    let done = match field(&form, "action").as_str() {
        // A new pad, spreadsheet or video call on the instance's service: no address given.
        "service" => {
            let new = NewResource {
                parent: folder.clone(),
                kind: field(&form, "kind"),
                title: field(&form, "title"),
                url: None,
                summary: None,
            };
            group_resources::create(app, &acting, &handle, new)
                .await
                .map(drop)
        }
        "folder" | "link" => {
            let is_folder = field(&form, "action") == "folder";
            let new = NewResource {
                parent: folder.clone(),
                kind: if is_folder {
                    "folder".into()
                } else {
                    field(&form, "kind")
                },
                title: field(&form, "title"),
                url: (!is_folder).then(|| field(&form, "url")),
                summary: optional("summary"),
            };
            group_resources::create(app, &acting, &handle, new)
                .await
                .map(drop)
        }
        "edit" => {
            let change = ResourceChange {
                kind: optional("kind"),
                title: Some(field(&form, "title")),
                url: form.contains_key("url").then(|| field(&form, "url")),
                summary: form
                    .contains_key("summary")
                    .then(|| field(&form, "summary")),
            };
            group_resources::change(app, &acting, &handle, &resource, change)
                .await
                .map(drop)
        }
        "move" => {
            let to = MoveTo {
                parent: optional("parent"),
            };
            group_resources::move_to(app, &acting, &handle, &resource, to)
                .await
                .map(drop)
        }
        "delete" => match group_resources::delete(app, &acting, &handle, &resource).await {
            Ok(parent) => {
                // Deleting the folder shown goes back to the folder it was in.
                if folder.as_deref() == Some(resource.as_str()) {
                    back = parent;
                }
                Ok(())
            }
            Err(error) => Err(error),
        },
        _ => return web.pages.error(&visitor, StatusCode::NOT_FOUND),
    };
    match done {
        Ok(()) => {
            let to = match back {
                Some(id) => format!("/@{handle}/resources/{id}"),
                None => format!("/@{handle}/resources"),
            };
            see_other(&visitor, &to)
        }
        Err(error) if error.class() == Class::Invalid => {
            render(
                &web,
                &visitor,
                &handle,
                folder.as_deref(),
                named,
                Some(&error),
                form,
            )
            .await
        }
        Err(error) => web.pages.failure(&visitor, &error),
    }
}
