//! `/accounts`, `/sessions`, `/me`, `/password-resets` and `/admin/accounts`.

use super::extract::{ApiOrigin, Params};
use super::mailed_links::{button_page, PostedToken};
use super::problem::{Body, Problem};
use crate::accounts::{
    self, AccountView, Credentials, DefaultProfile, EmailChange, Me, NewSession, PasswordChange,
    Registered, Registration, ResetCompletion, ResetRequest, RoleChange, TokenBody,
};
use crate::auth::Session;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(confirm, confirm_link))
        .routes(routes!(log_in))
        .routes(routes!(log_out))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(change_email))
        .routes(routes!(confirm_change))
        .routes(routes!(choose_default_profile))
        .routes(routes!(request_password_reset))
        .routes(routes!(complete_password_reset))
        .routes(routes!(change_role))
        .routes(routes!(disable))
}

/// Register an account: a confirmation link is mailed to the address. The answer is the same
/// whether or not the address already has an account (its owner is then mailed instead), so it
/// tells no one which addresses have accounts.
#[utoipa::path(post, path = "/accounts", tag = "accounts", request_body = Registration,
    responses((status = 202, body = Registered), (status = 403, body = Problem),
              (status = 422, body = Problem), (status = 429, body = Problem), (status = 503, body = Problem)))]
async fn register(
    State(state): State<AppState>,
    ApiOrigin(origin): ApiOrigin,
    Body(registration): Body<Registration>,
) -> Result<(StatusCode, Json<Registered>), Problem> {
    let base = format!("{}/api/v1/accounts/confirm", state.config.public_url);
    let registered = accounts::register_account(&state, registration, &origin, &base).await?;
    Ok((StatusCode::ACCEPTED, Json(registered)))
}

/// Confirm an email address with the token from the confirmation mail (JSON or the link
/// page's form).
#[utoipa::path(post, path = "/accounts/confirm", tag = "accounts", request_body(content((TokenBody = "application/json"), (TokenBody = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = AccountView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn confirm(
    State(state): State<AppState>,
    ApiOrigin(origin): ApiOrigin,
    PostedToken(token): PostedToken,
) -> Result<Json<AccountView>, Problem> {
    Ok(Json(
        accounts::confirm_email(&state, &origin, &token).await?,
    ))
}

/// The link in the confirmation mail: a page with a button that confirms (a GET changes
/// nothing: mail scanners follow links).
#[utoipa::path(get, path = "/accounts/confirm", tag = "accounts", params(TokenBody),
    responses((status = 200, description = "an HTML page with a button that confirms", content_type = "text/html")))]
async fn confirm_link(Params(query): Params<TokenBody>) -> Html<String> {
    button_page(
        "Confirm your email address",
        "/accounts/confirm",
        &query.token,
        "Confirm my address",
    )
}

/// Log in with email and password.
#[utoipa::path(post, path = "/sessions", tag = "accounts", request_body = Credentials,
    responses((status = 201, body = NewSession), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 429, body = Problem)))]
async fn log_in(
    State(state): State<AppState>,
    ApiOrigin(origin): ApiOrigin,
    Body(credentials): Body<Credentials>,
) -> Result<(StatusCode, Json<NewSession>), Problem> {
    let (token, account) = accounts::open_session(&state, credentials, &origin).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewSession {
            token,
            account: account.into(),
        }),
    ))
}

/// Log out: the token stops working.
#[utoipa::path(delete, path = "/sessions/current", tag = "accounts", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
async fn log_out(State(state): State<AppState>, session: Session) -> Result<StatusCode, Problem> {
    accounts::close_session(&state, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in account and its profiles.
#[utoipa::path(get, path = "/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(State(state): State<AppState>, session: Session) -> Result<Json<Me>, Problem> {
    Ok(Json(accounts::me(&state, &session).await?))
}

/// Change the password (the current one is asked again).
#[utoipa::path(post, path = "/me/password", tag = "accounts", request_body = PasswordChange, security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn change_password(
    State(state): State<AppState>,
    session: Session,
    Body(change): Body<PasswordChange>,
) -> Result<StatusCode, Problem> {
    accounts::change_password(&state, &session, change).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Choose which profile acts when a request names none.
#[utoipa::path(put, path = "/me/default-profile", tag = "accounts", request_body = DefaultProfile, security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 422, body = Problem)))]
async fn choose_default_profile(
    State(state): State<AppState>,
    session: Session,
    Body(choice): Body<DefaultProfile>,
) -> Result<Json<Me>, Problem> {
    Ok(Json(
        accounts::choose_default_profile(&state, &session, choice).await?,
    ))
}

/// Ask for a password reset link by mail. Always accepted, so it tells no one which addresses
/// have accounts.
#[utoipa::path(post, path = "/password-resets", tag = "accounts", request_body = ResetRequest,
    responses((status = 202), (status = 429, body = Problem)))]
async fn request_password_reset(
    State(state): State<AppState>,
    ApiOrigin(origin): ApiOrigin,
    Body(request): Body<ResetRequest>,
) -> Result<StatusCode, Problem> {
    accounts::request_reset(&state, &origin, &request.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the code from the reset mail; every session is closed.
#[utoipa::path(post, path = "/password-resets/complete", tag = "accounts", request_body = ResetCompletion,
    responses((status = 204), (status = 422, body = Problem)))]
async fn complete_password_reset(
    State(state): State<AppState>,
    ApiOrigin(origin): ApiOrigin,
    Body(completion): Body<ResetCompletion>,
) -> Result<StatusCode, Problem> {
    accounts::complete_reset(&state, &origin, completion).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make an account a user, moderator or administrator (administrators only).
#[utoipa::path(post, path = "/admin/accounts/{id}/role", tag = "administration", request_body = RoleChange,
    params(("id" = String, Path, description = "account id")), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn change_role(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Body(change): Body<RoleChange>,
) -> Result<StatusCode, Problem> {
    accounts::change_role(&state, &session, &id, change.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disable an account: it can no longer log in and its sessions end (administrators only).
#[utoipa::path(post, path = "/admin/accounts/{id}/disable", tag = "administration",
    params(("id" = String, Path, description = "account id")), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn disable(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    accounts::disable(&state, &session, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ask to move the account to a new address (a link is mailed there).
#[utoipa::path(post, path = "/me/email", tag = "accounts", request_body = EmailChange, security(("bearer" = [])),
    responses((status = 202), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn change_email(
    State(state): State<AppState>,
    session: Session,
    Body(change): Body<EmailChange>,
) -> Result<StatusCode, Problem> {
    accounts::request_email_change(&state, &session, change).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Confirm a new address with the token mailed to it.
#[utoipa::path(post, path = "/accounts/email-change/confirm", tag = "accounts", request_body = TokenBody,
    responses((status = 200, body = AccountView), (status = 404, body = Problem)))]
async fn confirm_change(
    State(state): State<AppState>,
    ApiOrigin(origin): ApiOrigin,
    Body(body): Body<TokenBody>,
) -> Result<Json<AccountView>, Problem> {
    Ok(Json(
        accounts::confirm_email_change(&state, &origin, &body.token).await?,
    ))
}
