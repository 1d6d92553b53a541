//! `/pictures`, `/events/{id}/picture`, `/profiles/{username}/avatar` and
//! `/groups/{handle}/avatar|banner`: uploads as
//! `multipart/form-data` (a `file` field and text fields), so that a plain HTML form sends the
//! same request as a client.

use super::problem::{Body, Problem};
use crate::auth::{Acting, Session};
use crate::error::Error;
use crate::pictures::{self, PictureView, Upload};
use crate::AppState;
use axum::extract::multipart::{Multipart, MultipartError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use convene_domain::picture::{GroupPicture, PicturePurpose};
use convene_projections::events::EventView;
use convene_projections::groups::GroupView;
use convene_projections::profiles::ProfileView;
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .routes(routes!(
            upload_for_event,
            set_event_picture,
            remove_event_picture
        ))
        .routes(routes!(upload_avatar, remove_avatar))
        .routes(routes!(upload_group_avatar, remove_group_avatar))
        .routes(routes!(upload_group_banner, remove_group_banner))
}

/// The longest text field of an upload form, in bytes.
const TEXT_FIELD_MAX: usize = 4 * 1024;

/// An upload form read: the file's bytes (when one was sent) and the text fields.
#[derive(Debug, Default)]
pub struct UploadForm {
    pub file: Option<Vec<u8>>,
    pub fields: HashMap<String, String>,
}

impl UploadForm {
    pub fn text(&self, name: &str) -> Option<String> {
        self.fields.get(name).cloned()
    }

    /// The file, or a refusal naming the field.
    pub fn file(&mut self) -> Result<Vec<u8>, Error> {
        self.file
            .take()
            .ok_or_else(|| Error::invalid_field("file", "choose a picture to upload"))
    }
}

/// Reads a `multipart/form-data` body: the field `file`, cut off past `limit` bytes (a 413
/// naming the limit), and text fields of at most 4 KB. The name the sender gave the file is
/// never read: files are named after their content.
pub async fn read_form(mut multipart: Multipart, limit: usize) -> Result<UploadForm, Error> {
    let mut form = UploadForm::default();
    while let Some(mut field) = multipart.next_field().await.map_err(|e| broken(e, limit))? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| broken(e, limit))? {
                if bytes.len() + chunk.len() > limit {
                    return Err(pictures::too_large(limit));
                }
                bytes.extend_from_slice(&chunk);
            }
            // A form without a chosen file sends an empty, unnamed part.
            let chosen = !bytes.is_empty() || field.file_name().is_some_and(|n| !n.is_empty());
            if chosen {
                form.file = Some(bytes);
            }
        } else {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| broken(e, limit))? {
                if bytes.len() + chunk.len() > TEXT_FIELD_MAX {
                    return Err(Error::invalid_field(&name, "this field is at most 4 KB"));
                }
                bytes.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(bytes)
                .map_err(|_| Error::invalid_field(&name, "this field is not UTF-8 text"))?;
            if text.contains('\0') {
                return Err(Error::invalid_field(
                    &name,
                    "this field holds a NUL character",
                ));
            }
            form.fields.insert(name, text);
        }
    }
    Ok(form)
}

fn broken(error: MultipartError, limit: usize) -> Error {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        pictures::too_large(limit)
    } else {
        Error::invalid_field(
            "file",
            format!(
                "the form could not be read as multipart/form-data: {}",
                error.body_text()
            ),
        )
    }
}

/// The `multipart/form-data` fields of an upload (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
struct UploadFields {
    /// The picture: JPEG, PNG, WebP or GIF (its first frame), found from its content.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
    /// `event` (the default; at most 10 MB unless the instance says otherwise), `avatar`
    /// (2 MB), `group_avatar` (2 MB) or `group_banner` (10 MB).
    purpose: Option<String>,
    /// Alternative text: required but for profiles' avatars, at most 500 characters on one line.
    alt: Option<String>,
}

/// Upload a picture for later use; it is discarded if nothing shows it within a day.
#[utoipa::path(post, path = "/pictures", tag = "pictures", security(("bearer" = [])),
    request_body(content = UploadFields, content_type = "multipart/form-data"),
    responses((status = 201, body = PictureView), (status = 413, body = Problem),
              (status = 422, body = Problem)))]
async fn upload(
    State(state): State<AppState>,
    acting: Acting,
    multipart: Multipart,
) -> Result<(StatusCode, Json<PictureView>), Problem> {
    let config = &state.config.pictures;
    let limit = config.picture_limit.max(config.avatar_limit);
    let mut form = read_form(multipart, limit).await?;
    let purpose = match form.text("purpose").as_deref().map(str::trim) {
        None | Some("") => PicturePurpose::Event,
        Some(text) => PicturePurpose::parse(text).ok_or_else(|| {
            Error::invalid_field(
                "purpose",
                "a purpose is `event`, `avatar`, `group_avatar` or `group_banner`",
            )
        })?,
    };
    let upload = Upload {
        purpose,
        bytes: form.file()?,
        alt: form.text("alt"),
    };
    let stored = pictures::upload(&state, &acting, upload).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// Upload a picture and show it on the event at once (its creator and administrators).
#[utoipa::path(post, path = "/events/{id}/picture", tag = "pictures", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content = UploadFields, content_type = "multipart/form-data"),
    responses((status = 200, body = EventView), (status = 403, body = Problem),
              (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn upload_for_event(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Json<EventView>, Problem> {
    let mut form = read_form(multipart, state.config.pictures.picture_limit).await?;
    let bytes = form.file()?;
    let event = pictures::upload_for_event(&state, &acting, &id, bytes, form.text("alt")).await?;
    Ok(Json(event))
}

/// Which upload an event shows.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PictureChoice {
    /// The id of an event picture the acting profile uploaded.
    pub picture: String,
    /// Alternative text, instead of the upload's own.
    pub alt: Option<String>,
}

/// Show an uploaded picture on the event (its creator and administrators).
#[utoipa::path(put, path = "/events/{id}/picture", tag = "pictures", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PictureChoice,
    responses((status = 200, body = EventView), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_event_picture(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
    Body(choice): Body<PictureChoice>,
) -> Result<Json<EventView>, Problem> {
    let event =
        pictures::set_event_picture(&state, &acting, &id, &choice.picture, choice.alt).await?;
    Ok(Json(event))
}

/// Stop showing a picture on the event.
#[utoipa::path(delete, path = "/events/{id}/picture", tag = "pictures", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = EventView), (status = 403, body = Problem)))]
async fn remove_event_picture(
    State(state): State<AppState>,
    acting: Acting,
    Path(id): Path<String>,
) -> Result<Json<EventView>, Problem> {
    Ok(Json(
        pictures::remove_event_picture(&state, &acting, &id).await?,
    ))
}

/// Upload an avatar for one of your profiles and show it (at most 2 MB unless the instance says
/// otherwise).
#[utoipa::path(post, path = "/profiles/{username}/avatar", tag = "pictures",
    security(("bearer" = [])), params(("username" = String, Path)),
    request_body(content = UploadFields, content_type = "multipart/form-data"),
    responses((status = 200, body = ProfileView), (status = 403, body = Problem),
              (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn upload_avatar(
    State(state): State<AppState>,
    session: Session,
    Path(username): Path<String>,
    multipart: Multipart,
) -> Result<Json<ProfileView>, Problem> {
    let acting = session.acting_as(&state, Some(username)).await?;
    let mut form = read_form(multipart, state.config.pictures.avatar_limit).await?;
    let bytes = form.file()?;
    Ok(Json(pictures::upload_avatar(&state, &acting, bytes).await?))
}

/// Stop showing an avatar on one of your profiles.
#[utoipa::path(delete, path = "/profiles/{username}/avatar", tag = "pictures",
    security(("bearer" = [])), params(("username" = String, Path)),
    responses((status = 200, body = ProfileView), (status = 403, body = Problem)))]
async fn remove_avatar(
    State(state): State<AppState>,
    session: Session,
    Path(username): Path<String>,
) -> Result<Json<ProfileView>, Problem> {
    let acting = session.acting_as(&state, Some(username)).await?;
    Ok(Json(pictures::remove_avatar(&state, &acting).await?))
}

/// Upload a picture and show it as the group's avatar or banner; its administrators only.
async fn upload_for_group(
    state: AppState,
    acting: Acting,
    handle: String,
    slot: GroupPicture,
    multipart: Multipart,
) -> Result<Json<GroupView>, Problem> {
    let limit = state.config.pictures.limit(slot.purpose());
    let mut form = read_form(multipart, limit).await?;
    let bytes = form.file()?;
    let alt = form.text("alt");
    let group = pictures::upload_for_group(&state, &acting, &handle, slot, bytes, alt).await?;
    Ok(Json(group))
}

/// Upload the group's avatar (administrators; at most 2 MB unless the instance says otherwise;
/// alternative text required).
#[utoipa::path(post, path = "/groups/{handle}/avatar", tag = "pictures",
    security(("bearer" = [])), params(("handle" = String, Path)),
    request_body(content = UploadFields, content_type = "multipart/form-data"),
    responses((status = 200, body = GroupView), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 413, body = Problem),
              (status = 422, body = Problem)))]
async fn upload_group_avatar(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
    multipart: Multipart,
) -> Result<Json<GroupView>, Problem> {
    upload_for_group(state, acting, handle, GroupPicture::Avatar, multipart).await
}

/// Stop showing the group's avatar (administrators).
#[utoipa::path(delete, path = "/groups/{handle}/avatar", tag = "pictures",
    security(("bearer" = [])), params(("handle" = String, Path)),
    responses((status = 200, body = GroupView), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
async fn remove_group_avatar(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
) -> Result<Json<GroupView>, Problem> {
    let group = pictures::remove_group_picture(&state, &acting, &handle, GroupPicture::Avatar);
    Ok(Json(group.await?))
}

/// Upload the group's banner (administrators; at most 10 MB unless the instance says
/// otherwise; alternative text required).
#[utoipa::path(post, path = "/groups/{handle}/banner", tag = "pictures",
    security(("bearer" = [])), params(("handle" = String, Path)),
    request_body(content = UploadFields, content_type = "multipart/form-data"),
    responses((status = 200, body = GroupView), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 413, body = Problem),
              (status = 422, body = Problem)))]
async fn upload_group_banner(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
    multipart: Multipart,
) -> Result<Json<GroupView>, Problem> {
    upload_for_group(state, acting, handle, GroupPicture::Banner, multipart).await
}

/// Stop showing the group's banner (administrators).
#[utoipa::path(delete, path = "/groups/{handle}/banner", tag = "pictures",
    security(("bearer" = [])), params(("handle" = String, Path)),
    responses((status = 200, body = GroupView), (status = 403, body = Problem),
              (status = 404, body = Problem)))]
async fn remove_group_banner(
    State(state): State<AppState>,
    acting: Acting,
    Path(handle): Path<String>,
) -> Result<Json<GroupView>, Problem> {
    let group = pictures::remove_group_picture(&state, &acting, &handle, GroupPicture::Banner);
    Ok(Json(group.await?))
}
