//! Who a JSON request comes from: its origin (request id, client address), its session from
//! `Authorization: Bearer`, and the profile it acts as from `X-Convene-Profile`.

use super::client_ip::client_ip;
use super::problem::Problem;
use super::REQUEST_ID;
use crate::auth::{Acting, Origin, Session};
use crate::error::Error;
use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use convene_domain::Source;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// The header choosing which of the account's profiles acts.
pub const PROFILE_HEADER: &str = "x-convene-profile";

/// Where a request comes from: `source`, the id the request-id layer gave it, and the client's
/// address (the peer, or what a trusted proxy says the client was).
pub fn origin(parts: &Parts, state: &AppState, source: Source) -> Origin {
    let request_id = parts
        .headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| *peer);
    let ip = client_ip(peer, &parts.headers, &state.config.trusted_proxies);
    Origin::new(source, request_id, ip)
}

/// A request to the JSON API, logged in or not.
pub struct ApiOrigin(pub Origin);

impl FromRequestParts<AppState> for ApiOrigin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        Ok(ApiOrigin(origin(parts, state, Source::Api)))
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
                Error::Unauthenticated("log in first: send Authorization: Bearer <token>".into())
            })?;
        Session::open(state, token, origin(parts, state, Source::Api))
            .await?
            .ok_or_else(|| Error::Unauthenticated("this session has ended: log in again".into()))
            .map_err(Problem::from)
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

/// The session acting as the profile `X-Convene-Profile` names, or its default profile.
impl FromRequestParts<AppState> for Acting {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let session = Session::from_request_parts(parts, state).await?;
        let chosen = parts
            .headers
            .get(PROFILE_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(session.acting_as(state, chosen).await?)
    }
}

/// The query string read as `T`; a parameter that cannot be read is a 422 problem naming it
/// (axum's own `Query` answers in plain text without saying which).
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs = url::form_urlencoded::parse(query.as_bytes());
        serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs))
            .map(Params)
            .map_err(|e| super::problem::wrong_shape(e.path().to_string(), e.inner().to_string()))
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
