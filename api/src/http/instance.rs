//! `/instance` (what the instance says of itself, its transparency log) and `/admin/…` (its
//! settings, registrations waiting for approval, the dashboard).

use super::extract::Params;
use super::problem::{Body, Problem};
use crate::auth::Session;
use crate::instance::{
    self, AccountList, Dashboard, PendingRegistration, TransparencyPage, Verdict,
};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use convene_domain::instance::{InstanceSettings, Rule, SettingsInput, Transparency};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(about))
        .routes(routes!(transparency))
        .routes(routes!(settings, change_settings))
        .routes(routes!(registrations))
        .routes(routes!(decide_registration))
        .routes(routes!(dashboard))
        .routes(routes!(accounts))
}

/// What the instance says of itself, for everyone.
#[derive(Debug, Serialize, ToSchema)]
pub struct About {
    /// Empty when the instance goes by its host.
    pub name: String,
    pub description: String,
    pub rules: Vec<Rule>,
    /// The terms of use, in Markdown.
    pub terms: String,
    /// The privacy policy, in Markdown.
    pub privacy: String,
    pub contact: String,
    pub languages: Vec<String>,
    /// `open`, `approval` (a moderator approves each account), `allowlist` or `closed`.
    pub registrations: String,
    /// Whether its moderation decisions are published (`/instance/transparency`).
    pub transparency: bool,
}

impl From<InstanceSettings> for About {
    fn from(settings: InstanceSettings) -> Self {
        Self {
            registrations: settings.registrations.as_str().into(),
            transparency: settings.transparency != Transparency::Off,
            name: settings.name,
            description: settings.description,
            rules: settings.rules,
            terms: settings.terms,
            privacy: settings.privacy,
            contact: settings.contact,
            languages: settings.languages,
        }
    }
}

/// The instance's name, description, rules, terms, privacy policy, contact, languages and
/// who may register.
#[utoipa::path(get, path = "/instance", tag = "instance",
    responses((status = 200, body = About)))]
async fn about(State(state): State<AppState>) -> Result<Json<About>, Problem> {
    Ok(Json(instance::settings(&state).await?.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TransparencyQuery {
    /// An entry's id: the page of entries before it (older).
    before: Option<i64>,
}

/// The public transparency log, newest first, 50 a page, when the instance publishes it
/// (404 otherwise): each moderation decision's action, what it was on (as far as the public may
/// know), the rules and category of the report it answers, the public comment, the moderator
/// when the instance names them, and the decision it undoes or that undid it.
#[utoipa::path(get, path = "/instance/transparency", tag = "instance", params(TransparencyQuery),
    responses((status = 200, body = TransparencyPage), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn transparency(
    State(state): State<AppState>,
    Params(query): Params<TransparencyQuery>,
) -> Result<Json<TransparencyPage>, Problem> {
    Ok(Json(instance::transparency(&state, query.before).await?))
}

/// The instance's settings in force (administrators).
#[utoipa::path(get, path = "/admin/settings", tag = "instance",
    security(("bearer" = [])),
    responses((status = 200, body = InstanceSettings), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn settings(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<InstanceSettings>, Problem> {
    Ok(Json(
        instance::settings_for_administrators(&state, &session).await?,
    ))
}

/// Replace the instance's settings (administrators): each field not sent becomes empty. Each
/// change is recorded in the log with who made it; sending the same settings again records
/// nothing.
#[utoipa::path(put, path = "/admin/settings", tag = "instance", request_body = SettingsInput,
    security(("bearer" = [])),
    responses((status = 200, body = InstanceSettings), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn change_settings(
    State(state): State<AppState>,
    session: Session,
    Body(form): Body<SettingsInput>,
) -> Result<Json<InstanceSettings>, Problem> {
    Ok(Json(
        instance::change_settings(&state, &session, form).await?,
    ))
}

/// Registrations waiting for a moderator's approval, oldest first, with the reason each
/// person gave (moderators and administrators).
#[utoipa::path(get, path = "/admin/registrations", tag = "instance",
    security(("bearer" = [])),
    responses((status = 200, body = [PendingRegistration]), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn registrations(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<PendingRegistration>>, Problem> {
    Ok(Json(
        instance::pending_registrations(&state, &session).await?,
    ))
}

/// A moderator's answer to a registration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationVerdict {
    pub verdict: Verdict,
    /// Why: required to reject (kept for moderators, never mailed), optional to approve.
    #[serde(default)]
    pub reason: String,
}

/// Approve or reject a registration waiting for approval (moderators and administrators).
/// The person is mailed either way; a rejected address may register again.
#[utoipa::path(post, path = "/admin/registrations/{account}", tag = "instance",
    params(("account" = String, Path, description = "The account's id")),
    request_body = RegistrationVerdict,
    security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn decide_registration(
    State(state): State<AppState>,
    session: Session,
    Path(account): Path<String>,
    Body(verdict): Body<RegistrationVerdict>,
) -> Result<StatusCode, Problem> {
    instance::decide_registration(&state, &session, &account, verdict.verdict, &verdict.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The instance at a glance (moderators and administrators): accounts, registrations waiting,
/// profiles, events here and from elsewhere, groups, open reports, known instances, failing
/// deliveries, and who may register.
#[utoipa::path(get, path = "/admin/dashboard", tag = "instance",
    security(("bearer" = [])),
    responses((status = 200, body = Dashboard), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn dashboard(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Dashboard>, Problem> {
    Ok(Json(instance::dashboard(&state, &session).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AccountsQuery {
    /// Words found in the address, or in a profile's username or display name.
    q: Option<String>,
    /// From 1.
    page: Option<i64>,
}

/// The instance's accounts, newest first, 50 a page, with their profiles, role and standing
/// (moderators and administrators); `q` searches addresses and profiles.
#[utoipa::path(get, path = "/admin/accounts", tag = "instance", params(AccountsQuery),
    security(("bearer" = [])),
    responses((status = 200, body = AccountList), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn accounts(
    State(state): State<AppState>,
    session: Session,
    Params(query): Params<AccountsQuery>,
) -> Result<Json<AccountList>, Problem> {
    let words = query.q.unwrap_or_default();
    let page = query.page.unwrap_or(1);
    Ok(Json(
        instance::accounts(&state, &session, &words, page).await?,
    ))
}
