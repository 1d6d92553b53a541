//! RFC 9457 problem details: the one shape every error takes on the way out, and the mapping of
//! every domain error to its status.

use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use convene_domain::account::AccountError;
use convene_domain::claim::ClaimError;
use convene_domain::{EventError, FieldError, ProfileError};
use convene_projections::CommandError;
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
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", detail)
    }

    /// 422 with the invalid fields named.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            errors,
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", detail)
        }
    }

    /// 422 for one field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// A failure of ours: the cause goes to the log, never to the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on the server; it has been logged",
        )
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
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<convene_projections::Error> for Problem {
    fn from(error: convene_projections::Error) -> Self {
        Problem::internal(error)
    }
}

/// Maps a rule broken in the domain to the status that says so.
pub trait DomainProblem: std::error::Error {
    fn problem(self) -> Problem;
}

impl<E: DomainProblem> From<CommandError<E>> for Problem {
    fn from(error: CommandError<E>) -> Self {
        match error {
            CommandError::Rejected(e) => e.problem(),
            CommandError::Conflict(_) => Problem::conflict(error.to_string()),
            CommandError::Store(cause) => Problem::internal(cause),
        }
    }
}

/// The stable name of each rule an event command can break: the `type` of its problem, so
/// clients (and the web pages, to say it in the visitor's language) can tell them apart.
fn event_rule(error: &EventError) -> &'static str {
    match error {
        EventError::Invalid(_) => "invalid",
        EventError::NotFound | EventError::UnknownParticipation | EventError::UnknownComment => {
            "not-found"
        }
        EventError::NotParticipating(_) => "not-participating",
        EventError::UnknownToken => "link-invalid",
        EventError::NotOrganiser => "not-organiser",
        EventError::NotAdministrator => "not-administrator",
        EventError::NotCommentAuthor => "not-comment-author",
        EventError::AnonymousNotAllowed => "anonymous-not-allowed",
        EventError::InviteOnly => "invite-only",
        EventError::AlreadyExists => "already-exists",
        EventError::Draft => "draft",
        EventError::Cancelled => "cancelled",
        EventError::AlreadyParticipating(_) => "already-participating",
        EventError::RejectedBefore(_) => "rejected-before",
        EventError::ExternalRegistration(_) => "external-registration",
        EventError::WrongState(..) => "wrong-state",
        EventError::LastOrganiser => "last-organiser",
        EventError::Full => "full",
        EventError::CommentsClosed => "comments-closed",
    }
}

impl DomainProblem for EventError {
    fn problem(self) -> Problem {
        let detail = self.to_string();
        let rule = event_rule(&self);
        let problem = match self {
            EventError::Invalid(errors) => return Problem::invalid(errors),
            EventError::NotFound
            | EventError::UnknownParticipation
            | EventError::UnknownComment
            | EventError::NotParticipating(_)
            | EventError::UnknownToken => Problem::not_found(detail),
            EventError::NotOrganiser
            | EventError::NotAdministrator
            | EventError::NotCommentAuthor
            | EventError::AnonymousNotAllowed
            | EventError::InviteOnly => Problem::forbidden(detail),
            EventError::AlreadyExists
            | EventError::Draft
            | EventError::Cancelled
            | EventError::AlreadyParticipating(_)
            | EventError::RejectedBefore(_)
            | EventError::ExternalRegistration(_)
            | EventError::WrongState(..)
            | EventError::LastOrganiser
            | EventError::Full
            | EventError::CommentsClosed => Problem::conflict(detail),
        };
        Problem {
            kind: format!("/problems/{rule}"),
            ..problem
        }
    }
}

impl DomainProblem for ProfileError {
    fn problem(self) -> Problem {
        let detail = self.to_string();
        match self {
            ProfileError::UsernameTaken(_) => Problem {
                errors: vec![FieldError {
                    field: "username".into(),
                    message: detail.clone(),
                }],
                ..Problem::conflict(detail)
            },
            ProfileError::InvalidUsername => Problem::invalid_field("username", detail),
            ProfileError::InvalidDisplayName => Problem::invalid_field("display_name", detail),
            ProfileError::InvalidSummary => Problem::invalid_field("summary", detail),
            ProfileError::NotFound => Problem::not_found(detail),
        }
    }
}

impl DomainProblem for AccountError {
    fn problem(self) -> Problem {
        let detail = self.to_string();
        match self {
            AccountError::AlreadyRegistered => Problem::conflict(detail),
            AccountError::NotFound => Problem::not_found(detail),
            AccountError::WrongConfirmation | AccountError::WrongResetToken => {
                Problem::invalid_field("token", detail)
            }
            AccountError::Unconfirmed => Problem {
                kind: "/problems/unconfirmed".into(),
                ..Problem::forbidden(detail)
            },
            AccountError::Disabled => Problem {
                kind: "/problems/disabled".into(),
                ..Problem::forbidden(detail)
            },
            AccountError::NotOwnProfile(_) => Problem::invalid_field("username", detail),
        }
    }
}

impl DomainProblem for ClaimError {
    fn problem(self) -> Problem {
        Problem::conflict(self.to_string())
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
            .map_err(|e| Problem::bad_request(e.body_text()))?;
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
    Problem::not_found(format!("nothing is served at {}", uri.path()))
}
