//! Accounts and sessions: register, confirm the email, log in and out, the account's own view
//! (`/me`), passwords, and the administrators' account actions.

use crate::auth::{self, hash_password, new_token, token_hash, verify_password, Origin, Session};
use crate::consistency;
use crate::problem::{Body, Problem};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use convene_domain::account::{normalise_email, validate_locale, validate_password, Role};
use convene_domain::claim::{email_claim, ClaimCommand};
use convene_domain::{AccountCommand, FieldError, Metadata};
use convene_projections::accounts::{self, AccountRow};
use convene_projections::profiles::{self, ProfileView};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How long a password reset link works.
const RESET_VALIDITY: time::Duration = time::Duration::hours(1);

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

/// An account as the account itself sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub locale: String,
    pub confirmed: bool,
    pub default_profile: Option<String>,
    pub created_at: String,
}

impl From<AccountRow> for AccountView {
    fn from(row: AccountRow) -> Self {
        Self {
            id: row.id,
            email: row.email,
            role: row.role,
            locale: row.locale,
            confirmed: row.confirmed,
            default_profile: row.default_profile,
            created_at: row.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Registration {
    pub email: String,
    /// At least 10 characters.
    pub password: String,
    /// `en` or `fr`.
    #[serde(default = "english")]
    pub locale: String,
}

fn english() -> String {
    "en".into()
}

/// A new account, and the confirmation token mailed for it (none when created confirmed).
pub struct NewAccount {
    pub id: String,
    pub confirmation: Option<String>,
}

/// Claims the address and registers the account; `confirmed` skips the email confirmation
/// (accounts made from the command line).
pub async fn create_account(
    state: &AppState,
    registration: Registration,
    role: Role,
    confirmed: bool,
    metadata: impl Fn(&str) -> Metadata,
) -> Result<NewAccount, Problem> {
    let mut errors: Vec<FieldError> = Vec::new();
    let email = normalise_email(&registration.email)
        .map_err(|e| errors.push(e))
        .ok();
    errors.extend(validate_password(&registration.password).err());
    errors.extend(validate_locale(&registration.locale).err());
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return Err(Problem::invalid(errors));
    };
    let taken = || Problem {
        errors: vec![FieldError {
            field: "email".into(),
            message: "an account already uses this address: log in or reset the password".into(),
        }],
        ..Problem::conflict("an account already uses this address")
    };
    if accounts::by_email(state.db.pool(), &email).await?.is_some() {
        return Err(taken());
    }
    let id = uuid::Uuid::new_v4().to_string();
    let metadata = metadata(&id);
    state
        .claims
        .execute(
            &email_claim(&email),
            ClaimCommand::Take { owner: id.clone() },
            &metadata,
        )
        .await
        .map_err(|_| taken())?;
    let password_hash = hash_password(registration.password).await?;
    let token = (!confirmed).then(new_token);
    let command = AccountCommand::Register {
        email,
        password_hash,
        locale: registration.locale,
        role,
        confirmation: token.as_deref().map(token_hash),
    };
    consistency::command(state, &state.accounts, &id, command, &metadata).await?;
    Ok(NewAccount {
        id,
        confirmation: token,
    })
}

async fn account_view(state: &AppState, id: &str) -> Result<AccountView, Problem> {
    accounts::by_id(state.db.pool(), id)
        .await?
        .map(AccountView::from)
        .ok_or_else(|| Problem::internal(format!("account {id} is missing from the read model")))
}

/// Register an account; a confirmation link is mailed to the address.
#[utoipa::path(post, path = "/accounts", tag = "accounts", request_body = Registration,
    responses((status = 201, body = AccountView), (status = 403, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(registration): Body<Registration>,
) -> Result<(StatusCode, Json<AccountView>), Problem> {
    let base = format!("{}/api/v1/accounts/confirm", state.config.public_url);
    let view = register_account(&state, registration, &Origin::api(&headers), &base).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Registers an account as the instance's policy allows, and mails the confirmation link
/// (`{confirm_base}?token=…`).
pub async fn register_account(
    state: &AppState,
    registration: Registration,
    origin: &Origin,
    confirm_base: &str,
) -> Result<AccountView, Problem> {
    let email = registration.email.trim().to_lowercase();
    if !state.config.registrations.allows(&email) {
        return Err(Problem::forbidden(match state.config.registrations {
            crate::Registrations::Closed => "registrations are closed on this instance",
            _ => "this instance only takes registrations from invited addresses",
        }));
    }
    let created = create_account(state, registration, Role::User, false, |id| {
        origin.account(id)
    })
    .await?;
    let view = account_view(state, &created.id).await?;
    if let Some(token) = created.confirmation {
        let link = format!("{confirm_base}?token={token}");
        let body = format!(
            "Welcome to Convene!\n\nConfirm your email address by following this link:\n\n{link}\n\n\
             If you did not register, ignore this message.\n"
        );
        if let Err(error) = state
            .config
            .mailer
            .send(&view.email, "Confirm your email address", body)
            .await
        {
            tracing::error!(%error, "the confirmation mail was not sent");
        }
    }
    Ok(view)
}

#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct TokenBody {
    pub token: String,
}

/// Confirm an email address with the token from the confirmation mail.
#[utoipa::path(post, path = "/accounts/confirm", tag = "accounts", request_body = TokenBody,
    responses((status = 200, body = AccountView), (status = 404, body = Problem)))]
async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body<TokenBody>,
) -> Result<Json<AccountView>, Problem> {
    Ok(Json(
        confirm_email(&state, &Origin::api(&headers), &body.token).await?,
    ))
}

/// The link in the confirmation mail (confirming twice is harmless).
#[utoipa::path(get, path = "/accounts/confirm", tag = "accounts", params(TokenBody),
    responses((status = 200, body = AccountView), (status = 404, body = Problem)))]
async fn confirm_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<TokenBody>,
) -> Result<Json<AccountView>, Problem> {
    Ok(Json(
        confirm_email(&state, &Origin::api(&headers), &query.token).await?,
    ))
}

/// Confirms the address whose mailed token is `token`.
pub async fn confirm_email(
    state: &AppState,
    origin: &Origin,
    token: &str,
) -> Result<AccountView, Problem> {
    let hash = token_hash(token.trim());
    let account = accounts::by_confirmation(state.db.pool(), &hash)
        .await?
        .ok_or_else(|| {
            Problem::not_found(
                "this confirmation link is not valid (any more): log in, or register again",
            )
        })?;
    let metadata = origin.account(&account.id);
    let command = AccountCommand::ConfirmEmail { confirmation: hash };
    consistency::command(state, &state.accounts, &account.id, command, &metadata).await?;
    account_view(state, &account.id).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewSession {
    /// Send it as `Authorization: Bearer <token>`; it is shown once.
    pub token: String,
    pub account: AccountView,
}

/// Log in with email and password.
#[utoipa::path(post, path = "/sessions", tag = "accounts", request_body = Credentials,
    responses((status = 201, body = NewSession), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn log_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(credentials): Body<Credentials>,
) -> Result<(StatusCode, Json<NewSession>), Problem> {
    let (token, account) = open_session(&state, credentials, &Origin::api(&headers)).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewSession {
            token,
            account: account.into(),
        }),
    ))
}

/// Checks the credentials and opens a session; returns its token (shown once) and the account.
pub async fn open_session(
    state: &AppState,
    credentials: Credentials,
    origin: &Origin,
) -> Result<(String, AccountRow), Problem> {
    let email = credentials.email.trim().to_lowercase();
    let account = accounts::by_email(state.db.pool(), &email).await?;
    let hash = match &account {
        Some(account) => account.password_hash.clone(),
        None => auth::decoy_hash().await?,
    };
    let matches = verify_password(credentials.password, hash).await;
    let Some(account) = account.filter(|_| matches) else {
        return Err(Problem::unauthorized("wrong email or password"));
    };
    let token = new_token();
    let metadata = origin.account(&account.id);
    let command = AccountCommand::OpenSession {
        session: token_hash(&token),
    };
    consistency::command(state, &state.accounts, &account.id, command, &metadata).await?;
    Ok((token, account))
}

/// Log out: the token stops working.
#[utoipa::path(delete, path = "/sessions/current", tag = "accounts", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
async fn log_out(State(state): State<AppState>, session: Session) -> Result<StatusCode, Problem> {
    let command = AccountCommand::CloseSession {
        session: session.token_hash.clone(),
    };
    consistency::command(
        &state,
        &state.accounts,
        &session.account.id,
        command,
        &session.metadata(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The account and all its profiles: only the account itself ever sees them together.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub account: AccountView,
    pub profiles: Vec<ProfileView>,
}

async fn me_view(state: &AppState, id: &str) -> Result<Me, Problem> {
    Ok(Me {
        account: account_view(state, id).await?,
        profiles: profiles::owned_by(state.db.pool(), id).await?,
    })
}

/// The logged-in account and its profiles.
#[utoipa::path(get, path = "/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(State(state): State<AppState>, session: Session) -> Result<Json<Me>, Problem> {
    Ok(Json(me_view(&state, &session.account.id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Change the password (the current one is asked again).
#[utoipa::path(post, path = "/me/password", tag = "accounts", request_body = PasswordChange, security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn change_password(
    State(state): State<AppState>,
    session: Session,
    Body(change): Body<PasswordChange>,
) -> Result<StatusCode, Problem> {
    if !verify_password(
        change.current_password,
        session.account.password_hash.clone(),
    )
    .await
    {
        return Err(Problem::invalid_field(
            "current_password",
            "this is not your current password",
        ));
    }
    validate_password(&change.new_password).map_err(|e| {
        Problem::invalid(vec![FieldError {
            field: "new_password".into(),
            ..e
        }])
    })?;
    let command = AccountCommand::ChangePassword {
        password_hash: hash_password(change.new_password).await?,
        keep_session: Some(session.token_hash.clone()),
    };
    consistency::command(
        &state,
        &state.accounts,
        &session.account.id,
        command,
        &session.metadata(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DefaultProfile {
    pub username: String,
}

/// Choose which profile acts when a request names none.
#[utoipa::path(put, path = "/me/default-profile", tag = "accounts", request_body = DefaultProfile, security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 422, body = Problem)))]
async fn choose_default_profile(
    State(state): State<AppState>,
    session: Session,
    Body(choice): Body<DefaultProfile>,
) -> Result<Json<Me>, Problem> {
    let command = AccountCommand::ChooseDefaultProfile {
        username: choice.username.trim().trim_start_matches('@').to_string(),
    };
    consistency::command(
        &state,
        &state.accounts,
        &session.account.id,
        command,
        &session.metadata(),
    )
    .await?;
    Ok(Json(me_view(&state, &session.account.id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetRequest {
    pub email: String,
}

/// Ask for a password reset link by mail. Always accepted, so it tells no one which addresses
/// have accounts.
#[utoipa::path(post, path = "/password-resets", tag = "accounts", request_body = ResetRequest,
    responses((status = 202)))]
async fn request_password_reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(request): Body<ResetRequest>,
) -> Result<StatusCode, Problem> {
    request_reset(&state, &Origin::api(&headers), &request.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Mails a reset code (and a link to the page that takes it) to `email` if an enabled account
/// uses it; says nothing either way.
pub async fn request_reset(state: &AppState, origin: &Origin, email: &str) -> Result<(), Problem> {
    let email = email.trim().to_lowercase();
    let Some(account) = accounts::by_email(state.db.pool(), &email).await? else {
        return Ok(());
    };
    if account.disabled {
        return Ok(());
    }
    let token = new_token();
    let command = AccountCommand::RequestPasswordReset {
        token: token_hash(&token),
        expires_at: OffsetDateTime::now_utc() + RESET_VALIDITY,
    };
    let metadata = origin.account(&account.id);
    consistency::command(state, &state.accounts, &account.id, command, &metadata).await?;
    let base = &state.config.public_url;
    let body = format!(
        "Someone (hopefully you) asked to reset the password of your Convene account.\n\n\
         Choose a new one within the hour on this page:\n\n{base}/reset-password/complete?token={token}\n\n\
         Your reset code, valid for one hour:\n\n{token}\n\n\
         (Applications send it with the new password to {base}/api/v1/password-resets/complete.)\n\n\
         If you did not ask, ignore this message: your password stays as it is.\n"
    );
    if let Err(error) = state
        .config
        .mailer
        .send(&email, "Reset your password", body)
        .await
    {
        tracing::error!(%error, "the password reset mail was not sent");
    }
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetCompletion {
    pub token: String,
    pub password: String,
}

/// Set a new password with the code from the reset mail; every session is closed.
#[utoipa::path(post, path = "/password-resets/complete", tag = "accounts", request_body = ResetCompletion,
    responses((status = 204), (status = 422, body = Problem)))]
async fn complete_password_reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(completion): Body<ResetCompletion>,
) -> Result<StatusCode, Problem> {
    complete_reset(&state, &Origin::api(&headers), completion).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a new password with a mailed reset code; every session closes.
pub async fn complete_reset(
    state: &AppState,
    origin: &Origin,
    completion: ResetCompletion,
) -> Result<(), Problem> {
    validate_password(&completion.password).map_err(|e| Problem::invalid(vec![e]))?;
    let hash = token_hash(completion.token.trim());
    let account = accounts::by_reset_token(state.db.pool(), &hash)
        .await?
        .ok_or_else(|| {
            Problem::invalid_field(
                "token",
                "this reset code is not valid or has expired: ask for a new one",
            )
        })?;
    let command = AccountCommand::ResetPassword {
        token: hash,
        password_hash: hash_password(completion.password).await?,
        now: OffsetDateTime::now_utc(),
    };
    let metadata = origin.account(&account.id);
    consistency::command(state, &state.accounts, &account.id, command, &metadata).await?;
    Ok(())
}

fn require_administrator(session: &Session) -> Result<(), Problem> {
    if session.account.role == Role::Administrator {
        Ok(())
    } else {
        Err(Problem::forbidden("only administrators may do this"))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleChange {
    pub role: Role,
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
    require_administrator(&session)?;
    let command = AccountCommand::ChangeRole { role: change.role };
    consistency::command(&state, &state.accounts, &id, command, &session.metadata()).await?;
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
    require_administrator(&session)?;
    consistency::command(
        &state,
        &state.accounts,
        &id,
        AccountCommand::Disable,
        &session.metadata(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailChange {
    /// The new address: it replaces the current one once the link mailed to it is followed.
    pub email: String,
    /// The current password, asked again.
    pub password: String,
}

/// Ask to move the account to a new address (a link is mailed there).
#[utoipa::path(post, path = "/me/email", tag = "accounts", request_body = EmailChange, security(("bearer" = [])),
    responses((status = 202), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn change_email(
    State(state): State<AppState>,
    session: Session,
    Body(change): Body<EmailChange>,
) -> Result<StatusCode, Problem> {
    request_email_change(&state, &session, change).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Claims the new address for the account and mails it a confirmation link; the old address
/// is told too, and keeps working until the link is followed.
pub async fn request_email_change(
    state: &AppState,
    session: &Session,
    change: EmailChange,
) -> Result<(), Problem> {
    if !verify_password(change.password, session.account.password_hash.clone()).await {
        return Err(Problem::invalid_field(
            "password",
            "this is not your current password",
        ));
    }
    let email = normalise_email(&change.email).map_err(|e| Problem::invalid(vec![e]))?;
    if email == session.account.email {
        return Err(Problem::invalid_field(
            "email",
            "this is already your address",
        ));
    }
    let taken = || Problem {
        errors: vec![FieldError {
            field: "email".into(),
            message: "an account already uses this address".into(),
        }],
        ..Problem::conflict("an account already uses this address")
    };
    if accounts::by_email(state.db.pool(), &email).await?.is_some() {
        return Err(taken());
    }
    let metadata = session.metadata();
    let owner = session.account.id.clone();
    let claim = ClaimCommand::Take {
        owner: owner.clone(),
    };
    if let Err(problem) =
        consistency::command(state, &state.claims, &email_claim(&email), claim, &metadata).await
    {
        // Asking again for the same new address is fine: it is already ours.
        if problem.status != 409
            || accounts::pending_email(state.db.pool(), &owner)
                .await?
                .as_deref()
                != Some(email.as_str())
        {
            return Err(taken());
        }
    }
    let token = new_token();
    let command = AccountCommand::RequestEmailChange {
        email: email.clone(),
        confirmation: token_hash(&token),
    };
    consistency::command(state, &state.accounts, &owner, command, &metadata).await?;
    let link = format!(
        "{}/confirm-email-change?token={token}",
        state.config.public_url
    );
    let body = format!(
        "Confirm that this address becomes the one of your Convene account:\n\n{link}\n\n\
         If you did not ask, ignore this message.\n"
    );
    if let Err(error) = state
        .config
        .mailer
        .send(&email, "Confirm your new email address", body)
        .await
    {
        tracing::error!(%error, "the address change mail was not sent");
    }
    let notice = format!(
        "Someone asked to move your Convene account to {email}. It happens only if that address \
         confirms. If it was not you, change your password.\n"
    );
    if let Err(error) = state
        .config
        .mailer
        .send(
            &session.account.email,
            "Your email address may change",
            notice,
        )
        .await
    {
        tracing::error!(%error, "the address change notice was not sent");
    }
    Ok(())
}

/// Confirm a new address with the token mailed to it.
#[utoipa::path(post, path = "/accounts/email-change/confirm", tag = "accounts", request_body = TokenBody,
    responses((status = 200, body = AccountView), (status = 404, body = Problem)))]
async fn confirm_change(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(body): Body<TokenBody>,
) -> Result<Json<AccountView>, Problem> {
    Ok(Json(
        confirm_email_change(&state, &Origin::api(&headers), &body.token).await?,
    ))
}

/// Moves the account to the new address whose mailed token is `token`; the old address is
/// released for others.
pub async fn confirm_email_change(
    state: &AppState,
    origin: &Origin,
    token: &str,
) -> Result<AccountView, Problem> {
    let hash = token_hash(token.trim());
    let (account, _) = accounts::by_email_change(state.db.pool(), &hash)
        .await?
        .ok_or_else(|| Problem::not_found("this confirmation link is not valid (any more)"))?;
    let metadata = origin.account(&account.id);
    let command = AccountCommand::ConfirmEmailChange { confirmation: hash };
    consistency::command(state, &state.accounts, &account.id, command, &metadata).await?;
    let release = ClaimCommand::Release {
        owner: account.id.clone(),
    };
    if let Err(problem) = consistency::command(
        state,
        &state.claims,
        &email_claim(&account.email),
        release,
        &metadata,
    )
    .await
    {
        tracing::warn!(detail = %problem.detail, "the previous address could not be released");
    }
    account_view(state, &account.id).await
}
