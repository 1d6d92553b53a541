//! Authentication: bearer tokens (random, stored only as SHA-256), argon2 password hashes, and
//! the extractors that tell a handler who is acting and as which profile.

use crate::problem::Problem;
use crate::{AppState, REQUEST_ID};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use base64::Engine;
use convene_domain::{Actor, Metadata, Source};
use convene_projections::accounts::{self, AccountRow};
use convene_projections::profiles;
use rand::RngCore;
use sha2::{Digest, Sha256};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// The header choosing which of the account's profiles acts.
pub const PROFILE_HEADER: &str = "x-convene-profile";

/// A new secret token: 32 random bytes, URL-safe base64.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password with argon2id (off the async threads: it is slow on purpose).
pub async fn hash_password(password: String) -> Result<String, Problem> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(Problem::internal)?
    .map_err(Problem::internal)
}

/// A real hash to check against when an address is unknown, so a failed login takes as long
/// whether or not the account exists.
pub async fn decoy_hash() -> Result<String, Problem> {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY
        .get_or_try_init(|| hash_password(new_token()))
        .await
        .cloned()
}

/// Whether `password` matches `hash`.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// The request's id, as set by the request-id layer.
pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Where a request came from (the API or the web pages) and its id: what every change it makes
/// records beside who made it.
#[derive(Debug, Clone)]
pub struct Origin {
    pub source: Source,
    pub request_id: String,
}

impl Origin {
    /// A request to the JSON API.
    pub fn api(headers: &HeaderMap) -> Self {
        Self {
            source: Source::Api,
            request_id: request_id(headers),
        }
    }

    /// A request from the web pages.
    pub fn web(headers: &HeaderMap) -> Self {
        Self {
            source: Source::Web,
            request_id: request_id(headers),
        }
    }

    /// Metadata of a change made by an account itself (not as one of its profiles).
    pub fn account(&self, account: &str) -> Metadata {
        self.by(Actor::Account {
            account: account.to_string(),
            profile: None,
        })
    }

    /// Metadata of a change made by someone without an account.
    pub fn anonymous(&self) -> Metadata {
        self.by(Actor::Anonymous)
    }

    pub fn by(&self, actor: Actor) -> Metadata {
        Metadata::now(actor, self.source.clone(), &self.request_id)
    }
}

/// A logged-in account.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: AccountRow,
    pub token_hash: String,
    pub origin: Origin,
}

impl Session {
    /// The session behind `token`, if it is open and its account enabled.
    pub async fn open(
        state: &AppState,
        token: &str,
        origin: Origin,
    ) -> Result<Option<Session>, Problem> {
        let token_hash = token_hash(token.trim());
        let account = accounts::by_session(state.db.pool(), &token_hash)
            .await?
            .filter(|a| !a.disabled);
        Ok(account.map(|account| Session {
            account,
            token_hash,
            origin,
        }))
    }

    /// Metadata of a change made by this account itself (not as one of its profiles).
    pub fn metadata(&self) -> Metadata {
        self.origin.account(&self.account.id)
    }

    /// This account acting as `profile`, if the profile is one of its own.
    pub async fn acting_as(
        self,
        state: &AppState,
        profile: Option<String>,
    ) -> Result<Acting, Problem> {
        let profile = match profile {
            Some(profile) => {
                // Someone else's profile and no profile at all look the same: no hint of who
                // owns what.
                let owner = profiles::owner(state.db.pool(), &profile).await?;
                if owner.as_deref() != Some(self.account.id.as_str()) {
                    return Err(Problem::forbidden(format!(
                        "@{profile} is not one of your profiles"
                    )));
                }
                profile
            }
            None => self.account.default_profile.clone().ok_or_else(|| {
                Problem::invalid_field(
                    "profile",
                    "create a profile first (POST /api/v1/profiles): every public action is made as a profile",
                )
            })?,
        };
        Ok(Acting {
            session: self,
            profile,
        })
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                Problem::unauthorized("log in first: send Authorization: Bearer <token>")
            })?;
        Session::open(state, token, Origin::api(&parts.headers))
            .await?
            .ok_or_else(|| Problem::unauthorized("this session has ended: log in again"))
    }
}

/// An optional session: public routes show more to the right people.
pub struct MaybeSession(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(MaybeSession(None));
        }
        Session::from_request_parts(parts, state)
            .await
            .map(|s| MaybeSession(Some(s)))
    }
}

/// A logged-in account acting as one of its profiles: the one named by `X-Convene-Profile`,
/// or its default profile.
#[derive(Debug, Clone)]
pub struct Acting {
    pub session: Session,
    pub profile: String,
}

impl Acting {
    pub fn metadata(&self) -> Metadata {
        self.session.origin.by(Actor::Account {
            account: self.session.account.id.clone(),
            profile: Some(self.profile.clone()),
        })
    }
}

impl FromRequestParts<AppState> for Acting {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let session = Session::from_request_parts(parts, state).await?;
        let chosen = parts
            .headers
            .get(PROFILE_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().trim_start_matches('@').to_string());
        session.acting_as(state, chosen).await
    }
}

/// Declares the bearer scheme in the OpenAPI document.
pub struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery".into())
            .await
            .expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), hash.clone()).await);
        assert!(!verify_password("wrong horse battery".into(), hash).await);
    }
}
