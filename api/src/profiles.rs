//! Profiles: create one for the logged-in account, edit it, and the public view of any.

use crate::auth::{Origin, Session};
use crate::consistency::caught_up;
use crate::problem::{Body, DomainProblem, Problem};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use convene_domain::profile::validate_username;
use convene_domain::{AccountCommand, Actor, Metadata, ProfileCommand, ProfileError};
use convene_projections::profiles::{self, ProfileView};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(show, update))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProfile {
    /// 1 to 30 characters among a-z, 0-9 and _.
    pub username: String,
    pub display_name: Option<String>,
    pub summary: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub summary: Option<String>,
}

fn as_profile(session: &Session, username: &str) -> Metadata {
    session.origin.by(Actor::Account {
        account: session.account.id.clone(),
        profile: Some(username.to_string()),
    })
}

async fn view(state: &AppState, username: &str) -> Result<ProfileView, Problem> {
    profiles::find(state.db.pool(), username)
        .await?
        .ok_or_else(|| Problem::not_found(format!("there is no profile @{username}")))
}

/// Create a profile (an identity) for the logged-in account; its first becomes the default.
#[utoipa::path(post, path = "/profiles", tag = "profiles", request_body = NewProfile, security(("bearer" = [])),
    responses((status = 201, body = ProfileView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create(
    State(state): State<AppState>,
    session: Session,
    Body(new): Body<NewProfile>,
) -> Result<(StatusCode, Json<ProfileView>), Problem> {
    let created = create_profile(&state, &session.account.id, &session.origin, new).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Creates a profile owned by `account` (its first becomes the default).
pub async fn create_profile(
    state: &AppState,
    account: &str,
    origin: &Origin,
    new: NewProfile,
) -> Result<ProfileView, Problem> {
    let username = new.username.trim().to_string();
    validate_username(&username).map_err(DomainProblem::problem)?;
    let metadata = origin.by(Actor::Account {
        account: account.to_string(),
        profile: Some(username.clone()),
    });
    let create = ProfileCommand::Create {
        username: username.clone(),
        display_name: new.display_name,
        account: Some(account.to_string()),
    };
    state.profiles.execute(&username, create, &metadata).await?;
    let add = AccountCommand::AddProfile {
        username: username.clone(),
    };
    let mut position = state.accounts.execute(account, add, &metadata).await?;
    if new.summary.is_some() {
        let update = ProfileCommand::Update {
            display_name: None,
            summary: new.summary,
        };
        position = state
            .profiles
            .execute(&username, update, &metadata)
            .await?
            .max(position);
    }
    caught_up(state, position).await;
    view(state, &username).await
}

/// A profile's public view.
#[utoipa::path(get, path = "/profiles/{username}", tag = "profiles",
    params(("username" = String, Path)),
    responses((status = 200, body = ProfileView), (status = 404, body = Problem)))]
async fn show(
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> Result<Json<ProfileView>, Problem> {
    Ok(Json(view(&state, &username).await?))
}

/// Change one of your profiles' display name or summary.
#[utoipa::path(patch, path = "/profiles/{username}", tag = "profiles", request_body = ProfileChanges,
    params(("username" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ProfileView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn update(
    State(state): State<AppState>,
    session: Session,
    Path(username): Path<String>,
    Body(changes): Body<ProfileChanges>,
) -> Result<Json<ProfileView>, Problem> {
    let owner = profiles::owner(state.db.pool(), &username).await?;
    if owner.as_deref() != Some(session.account.id.as_str()) {
        return Err(Problem::forbidden(format!(
            "@{username} is not one of your profiles"
        )));
    }
    let command = ProfileCommand::Update {
        display_name: changes.display_name,
        summary: changes.summary,
    };
    let position = state
        .profiles
        .execute(&username, command, &as_profile(&session, &username))
        .await
        .map_err(|e| match e {
            convene_projections::CommandError::Rejected(ProfileError::NotFound) => {
                Problem::not_found(format!("there is no profile @{username}"))
            }
            other => other.into(),
        })?;
    caught_up(&state, position).await;
    Ok(Json(view(&state, &username).await?))
}
