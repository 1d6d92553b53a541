//! A group's posts: the post page (`/@group/p/{slug}`), and the form its moderators write and
//! edit posts with. Who reads which post is the application's decision
//! (`convene_api::group_posts`); a post the visitor may not read is a 404 page.

use super::groups::{acting_in, choice};
use super::{check_csrf, field, Fields};
use crate::i18n::Catalogue;
use crate::render::{see_other, status_of};
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use convene_api::group_posts::{self, PostInput};
use convene_api::groups;
use convene_api::{Class, Error};
use convene_domain::group::{MemberRole, PostVisibility};
use convene_projections::group_posts::PostView;
use std::collections::{BTreeMap, HashMap};
use tera::Context;

pub async fn show(
    State(web): State<Web>,
    visitor: Visitor,
    Path((handle, key)): Path<(String, String)>,
) -> Response {
    let catalogue = web.pages.catalogue(&visitor);
    let session = visitor.session.as_ref();
    let group = match groups::show(&web.app, &handle).await {
        Ok(group) => group,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let post = match group_posts::show(&web.app, session, &handle, &key).await {
        Ok(post) => post,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let role = match group_posts::standing(&web.app, session, &handle).await {
        Ok(role) => role,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let mut context = Context::new();
    context.insert("group", &group);
    context.insert(
        "published",
        &post
            .published_at
            .as_deref()
            .map(|at| crate::view::stamp(catalogue, at, "UTC")),
    );
    // A post waiting for its publication time (seen by moderators only) says when it appears.
    context.insert(
        "scheduled",
        &post
            .publish_at
            .as_deref()
            .filter(|_| post.published_at.is_none() && !post.draft)
            .map(|at| crate::view::stamp(catalogue, at, "UTC")),
    );
    context.insert(
        "visibility",
        &catalogue.text(&format!("post_visibility_{}", post.visibility.as_str())),
    );
    context.insert("post", &post);
    context.insert(
        "editor",
        &role.is_some_and(|r| r.at_least(MemberRole::Moderator)),
    );
    web.pages
        .render(&visitor, StatusCode::OK, "group_post.html", context)
}

/// The form's values for `post` (or an empty post).
fn values_of(post: Option<&PostView>) -> HashMap<String, String> {
    let mut values = HashMap::from([("visibility".to_string(), "public".to_string())]);
    if let Some(post) = post {
        values.insert("title".into(), post.title.clone());
        values.insert("body".into(), post.body.clone());
        values.insert("tags".into(), post.tags.join(", "));
        values.insert("visibility".into(), post.visibility.as_str().into());
        if post.draft {
            values.insert("draft".into(), "on".into());
        }
        // Only a post still waiting has a time to change.
        if let Some(at) = post
            .publish_at
            .as_deref()
            .filter(|_| post.published_at.is_none())
        {
            values.insert("publish_at".into(), local_minutes(at));
        }
    }
    values
}

fn field_messages(catalogue: &Catalogue, error: &Error) -> BTreeMap<String, String> {
    super::groups::messages_of(catalogue, error, "post")
}

/// The post form of group `handle`: a new post (`editing` none) or post `editing`.
fn form_page(
    web: &Web,
    visitor: &Visitor,
    status: StatusCode,
    (handle, editing): (&str, Option<&str>),
    values: &HashMap<String, String>,
    refused: Option<&Error>,
) -> Response {
    let catalogue = web.pages.catalogue(visitor);
    let errors = refused
        .map(|error| field_messages(catalogue, error))
        .unwrap_or_default();
    let mut context = Context::new();
    context.insert("handle", handle);
    context.insert("editing", &editing);
    context.insert("values", values);
    context.insert("errors", &errors);
    web.pages
        .render(visitor, status, "group_post_form.html", context)
}

/// A stored UTC time (`2030-05-01T09:00:00Z`) as a `datetime-local` value (`2030-05-01T09:00`).
fn local_minutes(at: &str) -> String {
    at.chars().take(16).collect()
}

/// The post a form describes; a visibility that is not on the list, or a publication time
/// that is not one, is named.
fn input_from(form: &HashMap<String, String>) -> Result<PostInput, Error> {
    let Some(visibility) = choice::<PostVisibility>(&field(form, "visibility")) else {
        return Err(Error::invalid_field(
            "visibility",
            "choose who may read the post from the list",
        ));
    };
    let publish_at = match field(form, "publish_at").as_str() {
        "" => None,
        text => Some(super::event_form::instant(text, "UTC").map_err(|()| {
            Error::invalid_field(
                "publish_at",
                "a publication time is a date and time such as 2030-05-01T09:00",
            )
        })?),
    };
    Ok(PostInput {
        title: field(form, "title"),
        body: form.get("body").cloned().unwrap_or_default(),
        tags: field(form, "tags")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        visibility,
        draft: form.contains_key("draft"),
        publish_at,
    })
}

pub async fn new_form(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
) -> Response {
    let acting = match acting_in(&web, &visitor, &handle, None).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    if let Err(error) = convene_api::groups::may_organise(&web.app, &acting, &handle).await {
        return web.pages.failure(&visitor, &error);
    }
    let mut values = values_of(None);
    values.insert("profile".into(), acting.profile);
    form_page(
        &web,
        &visitor,
        StatusCode::OK,
        (&handle, None),
        &values,
        None,
    )
}

pub async fn create(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    axum::Form(form): Fields,
) -> Response {
    save(web, visitor, handle, None, form).await
}

pub async fn edit_form(
    State(web): State<Web>,
    visitor: Visitor,
    Path((handle, key)): Path<(String, String)>,
) -> Response {
    let acting = match acting_in(&web, &visitor, &handle, None).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let post = match group_posts::for_editing(&web.app, &acting, &handle, &key).await {
        Ok(post) => post,
        Err(error) => return web.pages.failure(&visitor, &error),
    };
    let mut values = values_of(Some(&post));
    values.insert("profile".into(), acting.profile);
    let editing = Some(post.slug.as_str());
    form_page(
        &web,
        &visitor,
        StatusCode::OK,
        (&handle, editing),
        &values,
        None,
    )
}

pub async fn update(
    State(web): State<Web>,
    visitor: Visitor,
    Path((handle, key)): Path<(String, String)>,
    axum::Form(form): Fields,
) -> Response {
    save(web, visitor, handle, Some(key), form).await
}

/// Writes or edits a post from its form, then shows it; or the form again saying what to fix.
async fn save(
    web: Web,
    visitor: Visitor,
    handle: String,
    editing: Option<String>,
    form: HashMap<String, String>,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let acting = match acting_in(&web, &visitor, &handle, form.get("profile").cloned()).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let refused = |error: Error| {
        let at = (handle.as_str(), editing.as_deref());
        form_page(&web, &visitor, status_of(&error), at, &form, Some(&error))
    };
    let input = match input_from(&form) {
        Ok(input) => input,
        Err(error) => return refused(error),
    };
    let saved = match &editing {
        Some(key) => group_posts::edit(&web.app, &acting, &handle, key, input).await,
        None => group_posts::write(&web.app, &acting, &handle, input).await,
    };
    match saved {
        Ok(post) => see_other(&visitor, &format!("/@{handle}/p/{}", post.slug)),
        Err(error) if !error.field_errors().is_empty() => refused(error),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

pub async fn delete(
    State(web): State<Web>,
    visitor: Visitor,
    Path((handle, key)): Path<(String, String)>,
    axum::Form(form): Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let acting = match acting_in(&web, &visitor, &handle, form.get("profile").cloned()).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    match group_posts::delete(&web.app, &acting, &handle, &key).await {
        Ok(()) => see_other(&visitor, &format!("/@{handle}")),
        Err(error) if error.class() == Class::NotFound => {
            web.pages.error(&visitor, StatusCode::NOT_FOUND)
        }
        Err(error) => web.pages.failure(&visitor, &error),
    }
}
