//! Pictures on the pages: the renditions served (`/pictures/{name}`), the picture form of the
//! event's edit page, the avatar form of the settings page and the avatar and banner forms of
//! a group's settings page. The forms are
//! `multipart/form-data` and work without JavaScript; a refusal shows the form again with the
//! field at fault said in the visitor's language, and stores nothing.

use super::event_form::{edit_page, organised};
use super::{acting_on, check_csrf};
use crate::i18n::Catalogue;
use crate::render::see_other_saying;
use crate::visitor::Visitor;
use crate::Web;
use axum::extract::multipart::Multipart;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use convene_api::http::pictures::{read_form, UploadForm};
use convene_api::pictures::store::{self, Format};
use convene_api::pictures::{self, process::MAX_PIXELS};
use convene_api::Class;
use convene_domain::event::ParticipantState;
use convene_domain::picture::GroupPicture;
use convene_domain::FieldError;
use std::collections::BTreeMap;
use std::collections::HashMap;

/// `GET /pictures/{name}`: a rendition, cached for a year (its name is its content's hash). The
/// WebP rendition of an upload older than WebP renditions is made from its JPEG when first
/// asked for.
pub async fn serve(State(web): State<Web>, Path(name): Path<String>) -> Response {
    let Some((hash, width, format)) = store::parse_file_name(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = store::path_of(&web.app.config.pictures.folder, &name);
    let bytes = match tokio::fs::read(&path).await {
        Ok(bytes) => Some(bytes),
        Err(_) if format == Format::Webp => {
            match pictures::webp_on_demand(&web.app, hash, width).await {
                Ok(made) => made,
                Err(error) => {
                    tracing::warn!(%error, name, "a WebP rendition could not be made");
                    None
                }
            }
        }
        Err(_) => None,
    };
    match bytes {
        Some(bytes) => (
            [
                (header::CONTENT_TYPE, format.content_type()),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `bytes` said in the visitor's language ("10 MB", "10 Mo").
pub fn size(catalogue: &Catalogue, bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB {
        let n = if bytes.is_multiple_of(MIB) {
            (bytes / MIB).to_string()
        } else {
            format!("{:.1}", bytes as f64 / MIB as f64)
        };
        catalogue.fill("size_mb", &[("n", &n)])
    } else {
        let n = bytes.div_ceil(1024).to_string();
        catalogue.fill("size_kb", &[("n", &n)])
    }
}

/// The upload's refusals said in the visitor's language, by field: the file (too large, with
/// the limit; too many pixels; not a picture) and the alternative text.
pub(crate) fn said(
    catalogue: &Catalogue,
    error: &convene_api::Error,
    limit: usize,
) -> Vec<FieldError> {
    error
        .field_errors()
        .into_iter()
        .map(|e| {
            let message = match e.field.as_str() {
                "file" if error.class() == Class::TooLarge => catalogue.fill(
                    "picture_err_too_large",
                    &[("limit", &size(catalogue, limit))],
                ),
                "file" if e.message.starts_with("choose a picture") => {
                    catalogue.text("picture_err_empty")
                }
                "file" if e.message.contains("megapixels") => catalogue.fill(
                    "picture_err_pixels",
                    &[("n", &(MAX_PIXELS / 1_000_000).to_string())],
                ),
                "file" if e.message.starts_with("the picture chosen before") => {
                    catalogue.text("picture_err_kept_gone")
                }
                "file" => catalogue.text("picture_err_file"),
                "alt" => catalogue.text("picture_err_alt"),
                _ => e.message.clone(),
            };
            FieldError {
                field: e.field,
                message,
            }
        })
        .collect()
}

/// A form's body, sent as `application/x-www-form-urlencoded` or, when it may carry a file, as
/// `multipart/form-data`: its fields and its file, or why it could not be read (a file over the
/// limit, a broken body), for the handler to say on the form.
pub struct FormWithFile(pub Result<UploadForm, convene_api::Error>);

impl FromRequest<Web> for FormWithFile {
    type Rejection = Response;

    async fn from_request(request: Request, web: &Web) -> Result<Self, Response> {
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if multipart {
            let limit = web.app.config.pictures.picture_limit;
            let multipart = Multipart::from_request(request, web)
                .await
                .map_err(IntoResponse::into_response)?;
            return Ok(Self(read_form(multipart, limit).await));
        }
        let axum::Form(fields) = super::Fields::from_request(request, web)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self(Ok(UploadForm { file: None, fields })))
    }
}

/// Reads an upload form and checks its CSRF token.
async fn form_of(
    web: &Web,
    visitor: &Visitor,
    multipart: Multipart,
    limit: usize,
) -> Result<UploadForm, Result<convene_api::Error, Response>> {
    let form = read_form(multipart, limit).await.map_err(Ok)?;
    check_csrf(web, visitor, &form.fields).map_err(Err)?;
    Ok(form)
}

/// `POST /events/{id}/picture`: upload a picture and show it on the event.
pub async fn upload_for_event(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Response {
    let limit = web.app.config.pictures.picture_limit;
    let event = match organised(&web, &visitor, &id).await {
        Ok(event) => event,
        Err(response) => return response,
    };
    let catalogue = web.pages.catalogue(&visitor);
    let refused = |error: &convene_api::Error, alt: Option<String>| {
        let status = convene_api::http::problem::status_of(error);
        let errors = said(catalogue, error, limit);
        let sent = alt.into_iter().map(|a| ("alt".to_string(), a)).collect();
        let values = with_event(&event, sent);
        edit_page(&web, &visitor, status, &event, Some(&values), &errors)
    };
    let mut form = match form_of(&web, &visitor, multipart, limit).await {
        Ok(form) => form,
        Err(Ok(error)) => return refused(&error, None),
        Err(Err(response)) => return response,
    };
    let alt = form.text("alt");
    let acting = match acting_on(
        &web,
        &visitor,
        &id,
        form.fields.get("profile"),
        ParticipantState::is_administrator,
    )
    .await
    {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let bytes = match form.file() {
        Ok(bytes) => bytes,
        Err(error) => return refused(&error, alt),
    };
    match pictures::upload_for_event(&web.app, &acting, &id, bytes, alt.clone()).await {
        Ok(_) => see_other_saying(&visitor, &format!("/events/{id}"), "flash_picture_saved"),
        Err(error) if !error.field_errors().is_empty() => refused(&error, alt),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

/// The event's own values for its form, with `extra` (the picture form's fields) over them.
fn with_event(
    event: &convene_projections::events::EventView,
    extra: HashMap<String, String>,
) -> HashMap<String, String> {
    let values = super::event_form::values_of(&event.details);
    let mut values = super::event_form::with_group_options(values, event);
    values.extend(extra);
    values
}

/// `POST /events/{id}/picture/remove`.
pub async fn remove_from_event(
    State(web): State<Web>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::Form(form): super::Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let acting = match acting_on(
        &web,
        &visitor,
        &id,
        form.get("profile"),
        ParticipantState::is_administrator,
    )
    .await
    {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    match pictures::remove_event_picture(&web.app, &acting, &id).await {
        Ok(_) => see_other_saying(&visitor, &format!("/events/{id}"), "flash_picture_removed"),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

/// Who acts on the avatar of `@username`: the visitor's own profile of that name, or the page
/// saying why not.
async fn own_profile(
    web: &Web,
    visitor: &Visitor,
    username: &str,
) -> Result<convene_api::auth::Acting, Response> {
    let Some(session) = visitor.session.clone() else {
        return Err(super::login_first(visitor));
    };
    session
        .acting_as(&web.app, Some(username.to_string()))
        .await
        .map_err(|error| web.pages.failure(visitor, &error))
}

/// `POST /@{username}/avatar`: upload an avatar for one of the visitor's profiles.
pub async fn upload_avatar(
    State(web): State<Web>,
    visitor: Visitor,
    Path(username): Path<String>,
    multipart: Multipart,
) -> Response {
    let limit = web.app.config.pictures.avatar_limit;
    let mut form = match form_of(&web, &visitor, multipart, limit).await {
        Ok(form) => form,
        Err(Ok(error)) => return avatar_refused(&web, &visitor, &username, &error).await,
        Err(Err(response)) => return response,
    };
    let acting = match own_profile(&web, &visitor, &username).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let saved = match form.file() {
        Ok(bytes) => pictures::upload_avatar(&web.app, &acting, bytes).await,
        Err(error) => Err(error),
    };
    match saved {
        Ok(_) => see_other_saying(&visitor, "/settings#identities", "flash_avatar_saved"),
        Err(error) => avatar_refused(&web, &visitor, &username, &error).await,
    }
}

/// The settings page saying why the avatar of `@username` was refused.
async fn avatar_refused(
    web: &Web,
    visitor: &Visitor,
    username: &str,
    error: &convene_api::Error,
) -> Response {
    if error.field_errors().is_empty() {
        return web.pages.failure(visitor, error);
    }
    let limit = web.app.config.pictures.avatar_limit;
    let catalogue = web.pages.catalogue(visitor);
    let status = convene_api::http::problem::status_of(error);
    let errors = said(catalogue, error, limit)
        .into_iter()
        .map(|e| (format!("avatar-{username}"), e.message))
        .collect();
    super::settings::settings_page(web, visitor, status, None, errors).await
}

/// `POST /@{username}/avatar/remove`.
pub async fn remove_avatar(
    State(web): State<Web>,
    visitor: Visitor,
    Path(username): Path<String>,
    axum::Form(form): super::Fields,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let acting = match own_profile(&web, &visitor, &username).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    match pictures::remove_avatar(&web.app, &acting).await {
        Ok(_) => see_other_saying(&visitor, "/settings#identities", "flash_avatar_removed"),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

/// `POST /@{handle}/settings/avatar`: upload the group's avatar (administrators).
pub async fn upload_group_avatar(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    multipart: Multipart,
) -> Response {
    upload_for_group(web, visitor, handle, GroupPicture::Avatar, multipart).await
}

/// `POST /@{handle}/settings/banner`: upload the group's banner (administrators).
pub async fn upload_group_banner(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    multipart: Multipart,
) -> Response {
    upload_for_group(web, visitor, handle, GroupPicture::Banner, multipart).await
}

async fn upload_for_group(
    web: Web,
    visitor: Visitor,
    handle: String,
    slot: GroupPicture,
    multipart: Multipart,
) -> Response {
    let limit = web.app.config.pictures.limit(slot.purpose());
    let mut form = match form_of(&web, &visitor, multipart, limit).await {
        Ok(form) => form,
        Err(Ok(error)) => return group_refused(&web, &visitor, &handle, slot, &error, None).await,
        Err(Err(response)) => return response,
    };
    let named = form.fields.get("profile").cloned();
    let acting = match super::groups::acting_in(&web, &visitor, &handle, named).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    let alt = form.text("alt");
    let saved = match form.file() {
        Ok(bytes) => {
            pictures::upload_for_group(&web.app, &acting, &handle, slot, bytes, alt.clone()).await
        }
        Err(error) => Err(error),
    };
    match saved {
        Ok(_) => see_other_saying(&visitor, &format!("/@{handle}"), "flash_picture_saved"),
        Err(error) if !error.field_errors().is_empty() => {
            group_refused(&web, &visitor, &handle, slot, &error, alt).await
        }
        Err(error) => web.pages.failure(&visitor, &error),
    }
}

/// The group's settings page saying why its picture in `slot` was refused, with the
/// alternative text sent.
async fn group_refused(
    web: &Web,
    visitor: &Visitor,
    handle: &str,
    slot: GroupPicture,
    error: &convene_api::Error,
    alt: Option<String>,
) -> Response {
    if error.field_errors().is_empty() {
        return web.pages.failure(visitor, error);
    }
    let acting = match super::groups::acting_in(web, visitor, handle, None).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    // Only its administrators see the settings, refusals included.
    let group = match convene_api::groups::settings_of(&web.app, &acting, handle).await {
        Ok(group) => group,
        Err(error) => return web.pages.failure(visitor, &error),
    };
    let catalogue = web.pages.catalogue(visitor);
    let limit = web.app.config.pictures.limit(slot.purpose());
    let errors: BTreeMap<String, String> = said(catalogue, error, limit)
        .into_iter()
        .map(|e| (format!("{}-{}", slot.as_str(), e.field), e.message))
        .collect();
    let mut values = super::groups::values_of(&group.handle, &group.details);
    values.insert("profile".into(), acting.profile);
    let sent = alt.map(|alt| (slot, alt));
    let pictures = super::groups::picture_slots(web, catalogue, &group, sent, &errors);
    let status = convene_api::http::problem::status_of(error);
    super::groups::with_pictures(
        web,
        visitor,
        status,
        Some(handle),
        &values,
        errors,
        Some(pictures),
    )
}

/// `POST /@{handle}/settings/avatar/remove`.
pub async fn remove_group_avatar(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    axum::Form(form): super::Fields,
) -> Response {
    remove_from_group(web, visitor, handle, GroupPicture::Avatar, form).await
}

/// `POST /@{handle}/settings/banner/remove`.
pub async fn remove_group_banner(
    State(web): State<Web>,
    visitor: Visitor,
    Path(handle): Path<String>,
    axum::Form(form): super::Fields,
) -> Response {
    remove_from_group(web, visitor, handle, GroupPicture::Banner, form).await
}

async fn remove_from_group(
    web: Web,
    visitor: Visitor,
    handle: String,
    slot: GroupPicture,
    form: HashMap<String, String>,
) -> Response {
    if let Err(refused) = check_csrf(&web, &visitor, &form) {
        return refused;
    }
    let named = form.get("profile").cloned();
    let acting = match super::groups::acting_in(&web, &visitor, &handle, named).await {
        Ok(acting) => acting,
        Err(response) => return response,
    };
    match pictures::remove_group_picture(&web.app, &acting, &handle, slot).await {
        Ok(_) => see_other_saying(&visitor, &format!("/@{handle}"), "flash_picture_removed"),
        Err(error) => web.pages.failure(&visitor, &error),
    }
}
