//! Accounts and sessions: register, confirm the email, log in and out, the account's own view,
//! passwords, email address, language, private feed link, and the administrators' account
//! actions.

use crate::account_mail::{send, AccountMail};
use crate::auth::{self, new_token, token_hash, Origin, Session};
use crate::consistency::{self, Reads};
use crate::error::{Error, Result};
use crate::throttle::{attempt, refused, Action};
use crate::validation::validate;
use crate::AppState;
use convene_domain::account::{normalise_email, Role};
use convene_domain::claim::{email_claim, ClaimCommand};
use convene_domain::{AccountCommand, FieldError, Metadata};
use convene_projections::accounts::{self, AccountRow};
use convene_projections::profiles::{self, ProfileView};
use convene_projections::read_model::ACCOUNTS;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use validator::Validate;

/// How long a password reset link works.
const RESET_VALIDITY: time::Duration = time::Duration::hours(1);

/// What account use cases read back after their commands.
const READS: Reads = &[ACCOUNTS];

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

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct Registration {
    #[validate(custom(function = "crate::validation::email"))]
    pub email: String,
    /// At least 10 characters.
    #[validate(custom(function = "crate::validation::password"))]
    pub password: String,
    /// `en` or `fr`.
    #[serde(default = "english")]
    #[validate(custom(function = "crate::validation::locale"))]
    pub locale: String,
    /// Why you would like to join: required when the instance approves each registration (at
    /// most 1,000 characters), ignored otherwise.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Longest reason for joining, in characters.
pub const APPLICATION_MAX: usize = 1_000;

/// The reason a registration under approval gives, or the field at fault.
fn application(reason: Option<&str>) -> Result<String> {
    let reason = convene_domain::validation::multiline(reason.unwrap_or_default().trim());
    let length = reason.chars().count();
    if length == 0 || length > APPLICATION_MAX {
        return Err(Error::invalid_field(
            "reason",
            format!(
                "this instance's moderators approve each registration: say why you would like \
                 to join, in 1 to {APPLICATION_MAX} characters"
            ),
        ));
    }
    Ok(reason)
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
) -> Result<NewAccount> {
    validate(&registration)?;
    let email = normalise_email(&registration.email).map_err(|e| Error::Invalid(vec![e]))?;
    let password_hash = state.hasher.hash(registration.password).await?;
    let account = AccountToRecord {
        email,
        password_hash,
        locale: registration.locale,
        role,
        confirmed,
        application: None,
    };
    record_account(state, account, metadata).await
}

/// An account about to be recorded, its password already hashed.
struct AccountToRecord {
    email: String,
    password_hash: String,
    locale: String,
    role: Role,
    confirmed: bool,
    /// Why the person asks to join, when a moderator approves each registration.
    application: Option<String>,
}

/// Claims the address and records the account; a conflict when another account has it.
async fn record_account(
    state: &AppState,
    account: AccountToRecord,
    metadata: impl Fn(&str) -> Metadata,
) -> Result<NewAccount> {
    let AccountToRecord {
        email,
        password_hash,
        locale,
        role,
        confirmed,
        application,
    } = account;
    let taken =
        || address_taken("an account already uses this address: log in or reset the password");
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
    let token = (!confirmed).then(new_token);
    let command = AccountCommand::Register {
        email,
        password_hash,
        locale,
        role,
        confirmation: token.as_deref().map(token_hash),
        application,
    };
    run(state, &id, command, &metadata).await?;
    Ok(NewAccount {
        id,
        confirmation: token,
    })
}

/// A conflict over an address another account uses, said on the `email` field.
fn address_taken(message: &str) -> Error {
    Error::Conflict {
        detail: "an account already uses this address".into(),
        errors: vec![FieldError {
            field: "email".into(),
            message: message.into(),
        }],
    }
}

async fn account_view(state: &AppState, id: &str) -> Result<AccountView> {
    accounts::by_id(state.db.pool(), id)
        .await?
        .map(AccountView::from)
        .ok_or_else(|| Error::internal(format!("account {id} is missing from the read model")))
}

/// Runs a command on account `id`, then waits until the accounts read model shows it.
async fn run(
    state: &AppState,
    id: &str,
    command: AccountCommand,
    metadata: &Metadata,
) -> Result<()> {
    consistency::command(state, &state.accounts, id, command, metadata, READS)
        .await
        .map(drop)
}

/// Runs a command on account `id`, made by `session`'s account itself.
async fn on_account(
    state: &AppState,
    session: &Session,
    id: &str,
    command: AccountCommand,
) -> Result<()> {
    run(state, id, command, &session.metadata()).await
}

/// Runs a command on the account of `session` as the account itself.
async fn on_own_account(
    state: &AppState,
    session: &Session,
    command: AccountCommand,
) -> Result<()> {
    on_account(state, session, &session.account.id, command).await
}

/// What a registration answers, whether or not the address already had an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registered {
    pub email: String,
    pub detail: String,
    /// Whether a moderator approves the account before it can log in.
    pub awaiting_approval: bool,
}

/// Registers an account as the instance's policy allows, and mails the confirmation link
/// (`{confirm_base}?token=…`).
///
/// The answer is the same whether or not an account already uses the address (its owner is
/// mailed instead), and takes as long: the password is hashed either way, then the rest is done
/// after answering.
pub async fn register_account(
    state: &AppState,
    registration: Registration,
    origin: &Origin,
    confirm_base: &str,
) -> Result<Registered> {
    register(state, registration, None, origin, confirm_base).await
}

async fn register(
    state: &AppState,
    registration: Registration,
    username: Option<String>,
    origin: &Origin,
    confirm_base: &str,
) -> Result<Registered> {
    attempt(state, Action::Registration, origin, &registration.email)?;
    validate(&registration)?;
    let email = normalise_email(&registration.email).map_err(|e| Error::Invalid(vec![e]))?;
    let registrations = crate::instance::registrations_now(state, origin).await?;
    if !registrations.allows(&email) {
        return Err(Error::forbidden(match registrations {
            crate::Registrations::Closed => "registrations are closed on this instance",
            _ => "this instance only takes registrations from invited addresses",
        }));
    }
    let application = match registrations {
        crate::Registrations::Approval => Some(application(registration.reason.as_deref())?),
        _ => None,
    };
    let awaits = application.is_some();
    let account = AccountToRecord {
        email: email.clone(),
        password_hash: state.hasher.hash(registration.password).await?,
        locale: registration.locale,
        role: Role::User,
        confirmed: false,
        application,
    };
    let (origin, base) = (origin.clone(), confirm_base.to_string());
    after_answering(state, "registration", move |state| async move {
        finish_registration(&state, account, username, &origin, &base).await
    });
    let detail = if awaits {
        "check your mailbox and follow the link we sent to confirm the address; a moderator \
         then reviews your registration, and a mail tells you when you can log in"
    } else {
        "check your mailbox and follow the link we sent to confirm the address"
    };
    Ok(Registered {
        email,
        detail: detail.into(),
        awaiting_approval: awaits,
    })
}

/// Records the account (and its first profile) and mails the link; or, when the address has an
/// account already, tells its owner.
async fn finish_registration(
    state: &AppState,
    account: AccountToRecord,
    username: Option<String>,
    origin: &Origin,
    confirm_base: &str,
) -> Result<()> {
    let (email, locale) = (account.email.clone(), account.locale.clone());
    let created = match record_account(state, account, |id| origin.account(id)).await {
        Ok(created) => created,
        Err(error) if error.class() == crate::Class::Conflict => {
            // Told in the language of the account the address has.
            let lang = match accounts::by_email(state.db.pool(), &email).await? {
                Some(existing) => existing.locale,
                None => locale,
            };
            let base = state.config.public_url.as_str();
            let values = [("base", base)];
            send(
                state,
                AccountMail::AlreadyRegistered,
                &lang,
                &email,
                &values,
            )
            .await;
            return Ok(());
        }
        Err(error) => return Err(error),
    };
    if let Some(username) = username {
        let profile = crate::profiles::NewProfile {
            username,
            display_name: None,
            summary: None,
        };
        if let Err(error) =
            crate::profiles::create_profile(state, &created.id, origin, profile).await
        {
            tracing::warn!(%error, "the first profile of a new account was not created");
        }
    }
    if let Some(token) = created.confirmation {
        let link = format!("{confirm_base}?token={token}");
        send(
            state,
            AccountMail::Confirm,
            &locale,
            &email,
            &[("link", &link)],
        )
        .await;
    }
    Ok(())
}

/// How long work left for after the answer waits before it starts: long enough for the answer
/// to have gone out, so the work cannot slow it down (which would tell what the work was).
const AFTER_ANSWERING: std::time::Duration = std::time::Duration::from_millis(50);

/// Runs `work` after the answer has gone, so that how long it takes tells nothing; its failures
/// are logged. It is tracked, so the server finishes it before stopping.
fn after_answering<Work, Done>(state: &AppState, what: &'static str, work: Work)
where
    Work: FnOnce(AppState) -> Done + Send + 'static,
    Done: std::future::Future<Output = Result<()>> + Send + 'static,
{
    let work = work(state.clone());
    state.after_answering.spawn(async move {
        tokio::time::sleep(AFTER_ANSWERING).await;
        if let Err(error) = work.await {
            tracing::error!(%error, what, "work done after answering failed");
        }
    });
}

/// A registration with its first profile, as the pages take it.
#[derive(Debug)]
pub struct Signup {
    pub registration: Registration,
    pub username: String,
}

/// Registers an account with its first profile. Every field is checked before answering; the
/// account and then its profile are recorded after, as for [`register_account`] (should the
/// username be taken meanwhile, the account is left without a profile and the failure logged).
pub async fn sign_up(
    state: &AppState,
    signup: Signup,
    origin: &Origin,
    confirm_base: &str,
) -> Result<Registered> {
    let Signup {
        registration,
        username,
    } = signup;
    let mut errors = validate(&registration)
        .err()
        .map(|e| e.field_errors())
        .unwrap_or_default();
    if let Err(refused) = crate::validation::username(&username) {
        errors.push(FieldError {
            field: "username".into(),
            message: refused.message.unwrap_or_default().to_string(),
        });
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    if profiles::find(state.db.pool(), &username).await?.is_some() {
        return Err(convene_domain::ProfileError::UsernameTaken(username).into());
    }
    register(state, registration, Some(username), origin, confirm_base).await
}

/// A token from a mailed link.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenBody {
    pub token: String,
}

/// Confirms the address whose mailed token is `token`.
pub async fn confirm_email(state: &AppState, origin: &Origin, token: &str) -> Result<AccountView> {
    let hash = token_hash(token.trim());
    let account = accounts::by_confirmation(state.db.pool(), &hash)
        .await?
        .ok_or_else(|| {
            Error::not_found(
                "this confirmation link is not valid (any more): log in, or register again",
            )
        })?;
    let metadata = origin.account(&account.id);
    let command = AccountCommand::ConfirmEmail { confirmation: hash };
    run(state, &account.id, command, &metadata).await?;
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

/// Checks the credentials and opens a session; returns its token (shown once) and the account.
pub async fn open_session(
    state: &AppState,
    credentials: Credentials,
    origin: &Origin,
) -> Result<(String, AccountRow)> {
    let email = credentials.email.trim().to_lowercase();
    state
        .throttle
        .check_login(origin.ip, &email)
        .map_err(refused)?;
    let account = accounts::by_email(state.db.pool(), &email).await?;
    let hash = match &account {
        Some(account) => account.password_hash.clone(),
        None => auth::decoy_hash(state).await?,
    };
    let matches = state.hasher.verify(credentials.password, hash).await?;
    if !matches {
        let burst = state.throttle.failed_login(&email);
        if let Some(account) = account.as_ref().filter(|_| burst) {
            let (to, lang) = (account.email.clone(), account.locale.clone());
            after_answering(state, "failed logins notice", move |state| async move {
                let count = crate::throttle::BURST_FAILURES.to_string();
                let values = [
                    ("count", count.as_str()),
                    ("base", &state.config.public_url),
                ];
                send(&state, AccountMail::FailedLogins, &lang, &to, &values).await;
                Ok(())
            });
        }
    }
    let Some(account) = account.filter(|_| matches) else {
        return Err(Error::Unauthenticated("wrong email or password".into()));
    };
    state.throttle.logged_in(&email);
    let token = new_token();
    let metadata = origin.account(&account.id);
    let command = AccountCommand::OpenSession {
        session: token_hash(&token),
    };
    run(state, &account.id, command, &metadata).await?;
    Ok((token, account))
}

/// Ends `session`: its token stops working.
pub async fn close_session(state: &AppState, session: &Session) -> Result<()> {
    let command = AccountCommand::CloseSession {
        session: session.token_hash.clone(),
    };
    on_own_account(state, session, command).await
}

/// The account and all its profiles: only the account itself ever sees them together.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub account: AccountView,
    pub profiles: Vec<ProfileView>,
}

/// The account of `session` and its profiles.
pub async fn me(state: &AppState, session: &Session) -> Result<Me> {
    let id = &session.account.id;
    Ok(Me {
        account: account_view(state, id).await?,
        profiles: profiles::owned_by(state.db.pool(), id).await?,
    })
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct PasswordChange {
    pub current_password: String,
    #[validate(custom(function = "crate::validation::password"))]
    pub new_password: String,
}

/// Changes the password of `session`'s account (the current one is asked again); its other
/// sessions close.
pub async fn change_password(
    state: &AppState,
    session: &Session,
    change: PasswordChange,
) -> Result<()> {
    let current = state.hasher.verify(
        change.current_password.clone(),
        session.account.password_hash.clone(),
    );
    if !current.await? {
        return Err(Error::invalid_field(
            "current_password",
            "this is not your current password",
        ));
    }
    validate(&change)?;
    let command = AccountCommand::ChangePassword {
        password_hash: state.hasher.hash(change.new_password).await?,
        keep_session: Some(session.token_hash.clone()),
    };
    on_own_account(state, session, command).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DefaultProfile {
    pub username: String,
}

/// Chooses which of its profiles acts when `session` names none.
pub async fn choose_default_profile(
    state: &AppState,
    session: &Session,
    choice: DefaultProfile,
) -> Result<Me> {
    let command = AccountCommand::ChooseDefaultProfile {
        username: choice.username.trim().trim_start_matches('@').to_string(),
    };
    on_own_account(state, session, command).await?;
    me(state, session).await
}

/// Chooses the language of the pages and mail for `session`'s account.
pub async fn change_locale(state: &AppState, session: &Session, locale: &str) -> Result<()> {
    convene_domain::account::validate_locale(locale).map_err(|e| Error::Invalid(vec![e]))?;
    let command = AccountCommand::ChangeLocale {
        locale: locale.to_string(),
    };
    on_own_account(state, session, command).await
}

/// A new secret link to the private feeds of `session`'s account (the old one stops working);
/// returns the secret, shown this once.
pub async fn rotate_feed_token(state: &AppState, session: &Session) -> Result<String> {
    let token = new_token();
    let command = AccountCommand::RotateFeedToken {
        token: token_hash(&token),
    };
    on_own_account(state, session, command).await?;
    Ok(token)
}

/// Ends the private feed link of `session`'s account.
pub async fn revoke_feed_token(state: &AppState, session: &Session) -> Result<()> {
    on_own_account(state, session, AccountCommand::RevokeFeedToken).await
}

/// The account whose private feed secret is `token`.
pub async fn feed_owner(state: &AppState, token: &str) -> Result<AccountRow> {
    accounts::by_feed_token(state.db.pool(), &token_hash(token))
        .await?
        .filter(|a| !a.disabled)
        .ok_or_else(|| Error::not_found("this feed link is not valid (any more)"))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetRequest {
    pub email: String,
}

/// Mails a reset code (and a link to the page that takes it) to `email` if an enabled account
/// uses it; says nothing either way, and answers before looking, so that it takes as long
/// whether or not the address has an account.
pub async fn request_reset(state: &AppState, origin: &Origin, email: &str) -> Result<()> {
    attempt(state, Action::PasswordReset, origin, email)?;
    let email = email.trim().to_lowercase();
    let origin = origin.clone();
    after_answering(state, "password reset", move |state| async move {
        send_reset(&state, &origin, &email).await
    });
    Ok(())
}

async fn send_reset(state: &AppState, origin: &Origin, email: &str) -> Result<()> {
    let Some(account) = accounts::by_email(state.db.pool(), email).await? else {
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
    run(state, &account.id, command, &metadata).await?;
    let base = state.config.public_url.as_str();
    let link = format!("{base}/reset-password/complete?token={token}");
    let values = [("base", base), ("link", &link), ("token", &token)];
    send(state, AccountMail::Reset, &account.locale, email, &values).await;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct ResetCompletion {
    pub token: String,
    #[validate(custom(function = "crate::validation::password"))]
    pub password: String,
}

/// Sets a new password with a mailed reset code; every session closes.
pub async fn complete_reset(
    state: &AppState,
    origin: &Origin,
    completion: ResetCompletion,
) -> Result<()> {
    validate(&completion)?;
    let hash = token_hash(completion.token.trim());
    let account = accounts::by_reset_token(state.db.pool(), &hash)
        .await?
        .ok_or_else(|| {
            Error::invalid_field(
                "token",
                "this reset code is not valid or has expired: ask for a new one",
            )
        })?;
    let command = AccountCommand::ResetPassword {
        token: hash,
        password_hash: state.hasher.hash(completion.password).await?,
        now: OffsetDateTime::now_utc(),
    };
    let metadata = origin.account(&account.id);
    run(state, &account.id, command, &metadata).await?;
    Ok(())
}

/// Makes account `id` a user, moderator or administrator (administrators only).
pub async fn change_role(state: &AppState, session: &Session, id: &str, role: Role) -> Result<()> {
    session.require_administrator("only administrators may do this")?;
    on_account(state, session, id, AccountCommand::ChangeRole { role }).await
}

/// Disables account `id`: it can no longer log in and its sessions end (administrators only).
pub async fn disable(state: &AppState, session: &Session, id: &str) -> Result<()> {
    session.require_administrator("only administrators may do this")?;
    on_account(state, session, id, AccountCommand::Disable).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleChange {
    pub role: Role,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
pub struct EmailChange {
    /// The new address: it replaces the current one once the link mailed to it is followed.
    #[validate(custom(function = "crate::validation::email"))]
    pub email: String,
    /// The current password, asked again.
    pub password: String,
}

/// Claims the new address for the account and mails it a confirmation link; the old address
/// is told too, and keeps working until the link is followed.
pub async fn request_email_change(
    state: &AppState,
    session: &Session,
    change: EmailChange,
) -> Result<()> {
    let current = state.hasher.verify(
        change.password.clone(),
        session.account.password_hash.clone(),
    );
    if !current.await? {
        return Err(Error::invalid_field(
            "password",
            "this is not your current password",
        ));
    }
    validate(&change)?;
    let email = normalise_email(&change.email).map_err(|e| Error::Invalid(vec![e]))?;
    if email == session.account.email {
        return Err(Error::invalid_field(
            "email",
            "this is already your address",
        ));
    }
    let taken = || address_taken("an account already uses this address");
    if accounts::by_email(state.db.pool(), &email).await?.is_some() {
        return Err(taken());
    }
    let metadata = session.metadata();
    let owner = session.account.id.clone();
    let claim = ClaimCommand::Take {
        owner: owner.clone(),
    };
    if let Err(refused) = consistency::command(
        state,
        &state.claims,
        &email_claim(&email),
        claim,
        &metadata,
        &[],
    )
    .await
    {
        // Asking again for the same new address is fine: it is already ours.
        if refused.class() != crate::Class::Conflict
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
    run(state, &owner, command, &metadata).await?;
    let link = format!(
        "{}/confirm-email-change?token={token}",
        state.config.public_url
    );
    let lang = &session.account.locale;
    send(
        state,
        AccountMail::NewAddress,
        lang,
        &email,
        &[("link", &link)],
    )
    .await;
    let (mail, old) = (AccountMail::AddressMayChange, &session.account.email);
    send(state, mail, lang, old, &[("email", &email)]).await;
    Ok(())
}

/// Moves the account to the new address whose mailed token is `token`; the old address is
/// released for others.
pub async fn confirm_email_change(
    state: &AppState,
    origin: &Origin,
    token: &str,
) -> Result<AccountView> {
    let hash = token_hash(token.trim());
    let (account, _) = accounts::by_email_change(state.db.pool(), &hash)
        .await?
        .ok_or_else(|| Error::not_found("this confirmation link is not valid (any more)"))?;
    let metadata = origin.account(&account.id);
    let command = AccountCommand::ConfirmEmailChange { confirmation: hash };
    run(state, &account.id, command, &metadata).await?;
    let release = ClaimCommand::Release {
        owner: account.id.clone(),
    };
    if let Err(error) = consistency::command(
        state,
        &state.claims,
        &email_claim(&account.email),
        release,
        &metadata,
        &[],
    )
    .await
    {
        tracing::warn!(%error, "the previous address could not be released");
    }
    account_view(state, &account.id).await
}
