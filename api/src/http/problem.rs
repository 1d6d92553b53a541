//! RFC 9457 problem details: the one shape every error takes on the way out of the JSON API, and
//! the one mapping of the application's [`Error`] to it.

use crate::error::{Class, Error};
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use convene_domain::FieldError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

/// An error response. `type` is stable (clients may match on it); `detail` is for people;
/// `errors` names each invalid field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds before trying again (429), sent as `Retry-After`.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    /// 422 for one field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Error::invalid_field(field, message).into()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// The HTTP status an error deserves, for every front end over HTTP (the API and the pages).
pub fn status_of(error: &Error) -> StatusCode {
    match error.class() {
        Class::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        Class::NotFound => StatusCode::NOT_FOUND,
        Class::Forbidden => StatusCode::FORBIDDEN,
        Class::Unauthenticated => StatusCode::UNAUTHORIZED,
        Class::Conflict => StatusCode::CONFLICT,
        Class::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Class::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Class::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<Error> for Problem {
    fn from(error: Error) -> Self {
        let status = status_of(&error);
        if error.class() == Class::Internal {
            // The cause was logged where it happened; it never reaches the client.
            return Problem::new(status, "internal", error.detail());
        }
        let retry_after = match &error {
            Error::RateLimited { retry_after } => Some(retry_after.as_secs().max(1)),
            _ => None,
        };
        Problem {
            errors: error.field_errors(),
            retry_after,
            ..Problem::new(status, error.rule(), error.detail())
        }
    }
}

impl From<convene_projections::Error> for Problem {
    fn from(error: convene_projections::Error) -> Self {
        Error::from(error).into()
    }
}

/// A JSON body whose every rejection is a problem: malformed JSON is 400, JSON of the wrong
/// shape is 422 naming the field (`address.latitude`), a body that is not JSON is 415.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
        if !json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| {
                // Past the body size limit the rejection is 413; keep it.
                let status = e.status();
                let kind = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "payload-too-large"
                } else {
                    "bad-request"
                };
                Problem::new(status, kind, e.body_text())
            })?;
        parse_json(&bytes).map(Body)
    }
}

/// Parses JSON, naming the offending field when the shape is wrong.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Problem::bad_request(format!("the body is not valid JSON: {e}")))?;
    from_value(value)
}

/// Reads a JSON value as `T`, naming the offending field when the shape is wrong.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Problem> {
    if let Some(path) = nul_in(&value, String::new()) {
        let field = if path.is_empty() {
            "body".to_string()
        } else {
            path
        };
        return Err(Problem::invalid_field(
            &field,
            "text may not contain NUL characters",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let field = if path.is_empty() || path == "." {
            message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
                .unwrap_or("body")
                .to_string()
        } else {
            path
        };
        Problem::invalid_field(&field, message)
    })
}

/// The path of the first string holding a NUL character (which PostgreSQL cannot store).
fn nul_in(value: &serde_json::Value, path: String) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::String(text) => text.contains('\0').then_some(path),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_in(item, format!("{path}[{i}]"))),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                return Some(join(key));
            }
            nul_in(item, join(key))
        }),
        _ => None,
    }
}

/// The answer to any path no route matches.
pub async fn not_found(uri: Uri) -> Problem {
    Error::not_found(format!("nothing is served at {}", uri.path())).into()
}
