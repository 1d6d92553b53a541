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

/// Metadata of a change made through the API by an account itself (not as a profile).
pub fn account_metadata(account: &str, request_id: &str) -> Metadata {
    Metadata::now(
        Actor::Account {
            account: account.to_string(),
            profile: None,
        },
        Source::Api,
        request_id,
    )
}

/// Metadata of a change made through the API on behalf of no one known yet.
pub fn anonymous_metadata(headers: &HeaderMap) -> Metadata {
    Metadata::now(Actor::Anonymous, Source::Api, request_id(headers))
}

/// A logged-in account.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: AccountRow,
    pub token_hash: String,
    pub request_id: String,
}

impl Session {
    /// Metadata of a change made by this account itself (not as one of its profiles).
    pub fn metadata(&self) -> Metadata {
        account_metadata(&self.account.id, &self.request_id)
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
        let token_hash = token_hash(token.trim());
        let account = accounts::by_session(state.db.pool(), &token_hash)
            .await?
            .filter(|a| !a.disabled)
            .ok_or_else(|| Problem::unauthorized("this session has ended: log in again"))?;
        Ok(Session {
            account,
            token_hash,
            request_id: request_id(&parts.headers),
        })
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
        Metadata::now(
            Actor::Account {
                account: self.session.account.id.clone(),
                profile: Some(self.profile.clone()),
            },
            Source::Api,
            &self.session.request_id,
        )
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
        let profile = match chosen {
            Some(profile) => {
                // Someone else's profile and no profile at all look the same: no hint of who
                // owns what.
                let owner = profiles::owner(state.db.pool(), &profile).await?;
                if owner.as_deref() != Some(session.account.id.as_str()) {
                    return Err(Problem::forbidden(format!(
                        "@{profile} is not one of your profiles"
                    )));
                }
                profile
            }
            None => session.account.default_profile.clone().ok_or_else(|| {
                Problem::invalid_field(
                    "profile",
                    "create a profile first (POST /api/v1/profiles): every public action is made as a profile",
                )
            })?,
        };
        Ok(Acting { session, profile })
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
