//! The notifications' HTTP routes: the inbox, the settings, when reminders and the digest come in the JSON API (each handler
//! parses, calls one use case of [`crate::inbox`] or [`crate::settings`], answers problem+json
//! on failure), and the one-click unsubscribe link of every notification mail. `GET` shows a
//! page with one button (mail scanners and link previews follow links; only people press
//! buttons); `POST` — the button, or the mail client's RFC 8058 one-click request — turns the
//! kind off.

use crate::inbox::{self, InboxPage};
use crate::settings;
use crate::unsubscribe::{unsubscribe, Refusal};
use crate::{Delivery, Kind};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use convene_api::auth::Session;
use convene_api::http::extract::Params;
use convene_api::http::problem::{Body, Problem};
use convene_api::AppState;
use convene_projections::Database;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Token {
    #[serde(default)]
    token: String,
}

pub fn routes(db: &Database) -> Router {
    Router::new()
        .route("/notifications/unsubscribe", get(ask).post(confirm))
        .with_state(db.clone())
}

/// `/api/v1/notifications…` and `/api/v1/notification-settings`.
pub fn api(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/notifications", get(list))
        .route("/api/v1/notifications/unread", get(unread))
        .route("/api/v1/notifications/read-all", post(read_all))
        .route("/api/v1/notifications/{id}/read", post(read))
        .route(
            "/api/v1/notification-settings",
            get(get_settings).put(put_settings),
        )
        .route(
            "/api/v1/notification-settings/reminders",
            get(get_reminders).put(put_reminders),
        )
        .route(
            "/api/v1/notification-settings/digest",
            get(get_digest).put(put_digest),
        )
        .with_state(state)
}

#[derive(Deserialize)]
struct Paging {
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The session's inbox, newest first.
async fn list(
    State(state): State<AppState>,
    session: Session,
    Params(paging): Params<Paging>,
) -> Result<Json<InboxPage>, Problem> {
    Ok(Json(
        inbox::list(&state, &session, paging.page, paging.per_page).await?,
    ))
}

#[derive(Serialize)]
struct Unread {
    unread: i64,
}

async fn unread(State(state): State<AppState>, session: Session) -> Result<Json<Unread>, Problem> {
    Ok(Json(Unread {
        unread: inbox::unread(&state, &session).await?,
    }))
}

async fn read(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    inbox::mark_read(&state, &session, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct Marked {
    marked: u64,
}

async fn read_all(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Marked>, Problem> {
    Ok(Json(Marked {
        marked: inbox::mark_all_read(&state, &session).await?,
    }))
}

/// Kind → delivery, by their stored names.
type Settings = BTreeMap<String, String>;

fn named(all: Vec<(Kind, Delivery)>) -> Json<Settings> {
    Json(
        all.into_iter()
            .map(|(k, d)| (k.as_str().to_string(), d.as_str().to_string()))
            .collect(),
    )
}

async fn get_settings(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Settings>, Problem> {
    Ok(named(settings::get(&state, &session).await?))
}

/// Sets the kinds the body names (`{"join_request": "off"}`); the others stay as they are.
async fn put_settings(
    State(state): State<AppState>,
    session: Session,
    Body(wanted): Body<Settings>,
) -> Result<Json<Settings>, Problem> {
    let chosen = settings::parse(&wanted)?;
    Ok(named(settings::set(&state, &session, &chosen).await?))
}

/// When reminders come: `before` as written (`["1d", "2h"]`), and in minutes.
#[derive(Serialize)]
struct Reminders {
    before: Vec<String>,
    minutes: Vec<i64>,
}

impl From<Vec<i64>> for Reminders {
    fn from(minutes: Vec<i64>) -> Self {
        Self {
            before: minutes
                .iter()
                .map(|m| crate::reminders::format_minutes(*m))
                .collect(),
            minutes,
        }
    }
}

#[derive(Deserialize)]
struct WantedReminders {
    before: Vec<String>,
}

async fn get_reminders(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Reminders>, Problem> {
    Ok(Json(settings::reminders(&state, &session).await?.into()))
}

/// Sets when reminders come (`{"before": ["1d", "2h"]}`; an empty list turns them off).
async fn put_reminders(
    State(state): State<AppState>,
    session: Session,
    Body(wanted): Body<WantedReminders>,
) -> Result<Json<Reminders>, Problem> {
    let minutes = settings::parse_reminders("before", &wanted.before)?;
    Ok(Json(
        settings::set_reminders(&state, &session, &minutes)
            .await?
            .into(),
    ))
}

/// When the daily digest comes: the hour on the time zone's clock, and the next one's instant.
#[derive(Serialize)]
struct Digest {
    hour: u32,
    time_zone: String,
    /// RFC 3339, UTC.
    next_at: String,
}

impl From<crate::digest::DigestTime> for Digest {
    fn from(time: crate::digest::DigestTime) -> Self {
        Self {
            hour: time.hour,
            time_zone: time.time_zone,
            next_at: time::OffsetDateTime::from_unix_timestamp(time.next_at)
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
struct WantedDigest {
    hour: i64,
    time_zone: String,
}

async fn get_digest(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Digest>, Problem> {
    Ok(Json(settings::digest(&state, &session).await?.into()))
}

/// Sets when the digest comes (`{"hour": 8, "time_zone": "Europe/Paris"}`).
async fn put_digest(
    State(state): State<AppState>,
    session: Session,
    Body(wanted): Body<WantedDigest>,
) -> Result<Json<Digest>, Problem> {
    let chosen = settings::parse_digest(wanted.hour, &wanted.time_zone)?;
    Ok(Json(
        settings::set_digest(&state, &session, chosen).await?.into(),
    ))
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><main><h1>{title}</h1>{body}</main></body></html>\n"
    ))
}

async fn ask(Query(token): Query<Token>) -> Html<String> {
    let token = crate::templates::escape(&token.token);
    page(
        "Stop these mails / Ne plus recevoir ces mails",
        &format!(
            "<form method=\"post\" action=\"/notifications/unsubscribe?token={token}\">\
             <button type=\"submit\">Stop mails of this kind / Ne plus recevoir ce type de mail</button></form>"
        ),
    )
}

async fn confirm(State(db): State<Database>, Query(token): Query<Token>) -> Response {
    match unsubscribe(db.pool(), &token.token).await {
        Ok(Ok(_)) => page(
            "Done / C’est fait",
            "<p>You will get no more mails of this kind. Vous ne recevrez plus ce type de mail.</p>",
        )
        .into_response(),
        Ok(Err(refusal)) => {
            let status = match refusal {
                Refusal::Invalid => StatusCode::BAD_REQUEST,
                Refusal::Used => StatusCode::GONE,
            };
            (status, page("Not done / Rien n’a changé", &format!("<p>{refusal}</p>")))
                .into_response()
        }
        Err(error) => {
            tracing::error!(%error, "unsubscribe");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
