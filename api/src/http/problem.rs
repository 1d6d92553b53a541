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
    /// Seconds before trying again (429, 503), sent as `Retry-After`.
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
        Class::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
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
            Error::RateLimited { retry_after } | Error::Busy { retry_after } => {
                Some(retry_after.as_secs().max(1))
            }
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
/// shape is 422 naming the field (`address.latitude`), a body that is not JSON is 415, a body
/// over the limit 413.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let JsonBytes(bytes) = JsonBytes::from_request(request, state).await?;
        parse_json(&bytes).map(Body)
    }
}

/// A JSON body's bytes, not yet parsed, with the same rejections as [`Body`].
pub struct JsonBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if !content_type.is_some_and(is_json) {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        read_body(request, state).await.map(JsonBytes)
    }
}

/// A body's bytes, whatever its type, with the rejections of [`Body`] but 415: for routes whose
/// body is optional or may come as a form.
pub struct BodyBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for BodyBytes {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_body(request, state).await.map(BodyBytes)
    }
}

/// Whether a Content-Type names JSON: `application/json` or a `+json` type, parameters aside
/// (`application/jsonp` is not JSON).
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let Some(subtype) = essence.strip_prefix("application/") else {
        return false;
    };
    subtype == "json" || (subtype.ends_with("+json") && subtype.len() > "+json".len())
}

/// The whole body, or a problem: 413 past the body limit, however the limit was met (a
/// declared length, or a body that grew past it while being read), 400 when it broke off.
pub async fn read_body<S: Send + Sync>(
    request: Request,
    state: &S,
) -> Result<axum::body::Bytes, Problem> {
    axum::body::Bytes::from_request(request, state)
        .await
        .map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE || over_the_limit(&e) {
                Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload-too-large",
                    "the body is larger than this server accepts: send less",
                )
            } else {
                Problem::bad_request(format!("the body could not be read: {}", e.body_text()))
            }
        })
}

/// Whether reading failed on the body limit layer cutting it off (which axum's extractor does
/// not recognise as its own limit, and reports as a 400).
fn over_the_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = error.source();
    while let Some(inner) = cause {
        if inner.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = inner.source();
    }
    false
}

/// Parses JSON straight into `T`, naming the offending field when the shape is wrong.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    // A NUL can only come escaped; look closer (and slower) only when one may be there.
    if bytes.windows(6).any(|w| w == b"\\u0000") {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| Problem::bad_request(format!("the body is not valid JSON: {e}")))?;
        return from_value(value);
    }
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let not_json =
        |e: &serde_json::Error| Problem::bad_request(format!("the body is not valid JSON: {e}"));
    let value = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        if e.inner().is_data() {
            wrong_shape(e.path().to_string(), e.inner().to_string())
        } else {
            not_json(e.inner())
        }
    })?;
    json.end().map_err(|e| not_json(&e))?;
    Ok(value)
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
    serde_path_to_error::deserialize(value)
        .map_err(|e| wrong_shape(e.path().to_string(), e.inner().to_string()))
}

/// 422 naming the field at `path` (or the missing field the message names).
pub fn wrong_shape(path: String, message: String) -> Problem {
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

/// Every error leaving `/api/v1` as problem+json, whoever made it: the router's own answers
/// (405 for a method a path does not take, an undecodable path segment) carry plain text or
/// nothing. A problem passes untouched; headers such as `Allow` are kept.
pub async fn errors_as_problems(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => "this path does not take this method: see Allow".into(),
        _ if text.trim().is_empty() => status.canonical_reason().unwrap_or("error").into(),
        _ => text.trim().to_string(),
    };
    let kind = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::PAYLOAD_TOO_LARGE => "payload-too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        _ if status.is_server_error() => "internal",
        _ => "bad-request",
    };
    let mut problem = Problem::new(status, kind, detail).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().insert(name.clone(), value.clone());
        }
    }
    problem
}

/// The answer to any path no route matches.
pub async fn not_found(uri: Uri) -> Problem {
    Error::not_found(format!("nothing is served at {}", uri.path())).into()
}
