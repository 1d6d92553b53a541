//! `/profiles`.

use super::problem::{Body, Problem};
use crate::auth::Session;
use crate::profiles::{self, NewProfile, ProfileChanges};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use convene_projections::profiles::ProfileView;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(show, update))
}

/// Create a profile (an identity) for the logged-in account; its first becomes the default.
#[utoipa::path(post, path = "/profiles", tag = "profiles", request_body = NewProfile, security(("bearer" = [])),
    responses((status = 201, body = ProfileView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create(
    State(state): State<AppState>,
    session: Session,
    Body(new): Body<NewProfile>,
) -> Result<(StatusCode, Json<ProfileView>), Problem> {
    let created =
        profiles::create_profile(&state, &session.account.id, &session.origin, new).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// A profile's public view.
#[utoipa::path(get, path = "/profiles/{username}", tag = "profiles",
    params(("username" = String, Path)),
    responses((status = 200, body = ProfileView), (status = 404, body = Problem)))]
async fn show(
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> Result<Json<ProfileView>, Problem> {
    Ok(Json(profiles::find(&state, &username).await?))
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
    Ok(Json(
        profiles::update_profile(&state, &session, &username, changes).await?,
    ))
}
