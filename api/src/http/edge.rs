//! Requests refused before any route runs: a path segment or a query parameter holding a
//! control character (NUL above all, which PostgreSQL cannot store or even compare) makes no
//! sense anywhere in Convene, and would otherwise reach the database.

use super::problem::Problem;
use crate::error::Error;
use axum::extract::Request;
use axum::http::Uri;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;

/// What is wrong with a request's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A path segment that is not text on one line: nothing is served there (404).
    Path,
    /// A query parameter that is not text on one line, by its name (422).
    Parameter(String),
}

impl Refusal {
    /// The application's error for it, for every front end to show its own way.
    pub fn error(&self) -> Error {
        match self {
            Refusal::Path => Error::not_found("nothing is served at this address"),
            Refusal::Parameter(name) => Error::invalid_field(
                name,
                format!("{name} must be text on one line, without control characters"),
            ),
        }
    }
}

/// The first thing wrong with `uri`'s path or query string, if any.
pub fn refusal(uri: &Uri) -> Option<Refusal> {
    let path_ok = uri.path().split('/').all(|segment| {
        let decoded: Cow<[u8]> = percent_encoding::percent_decode_str(segment).into();
        std::str::from_utf8(&decoded).is_ok_and(|text| !has_control(text))
    });
    if !path_ok {
        return Some(Refusal::Path);
    }
    let query = uri.query().unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, value)| has_control(name) || has_control(value))
        .map(|(name, _)| {
            let name: String = name.chars().filter(|c| !c.is_control()).collect();
            Refusal::Parameter(if name.is_empty() {
                "query".into()
            } else {
                name
            })
        })
}

/// Whether `text` holds a control character.
pub fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// Refuses, as problem+json, a request whose path or query string holds a control character.
pub async fn refuse_control_characters(request: Request, next: Next) -> Response {
    match refusal(request.uri()) {
        Some(refusal) => Problem::from(refusal.error()).into_response(),
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(uri: &str) -> Option<Refusal> {
        refusal(&uri.parse().expect("a URI"))
    }

    #[test]
    fn control_characters_in_paths_and_parameters_are_refused() {
        assert_eq!(refused("/events/%00"), Some(Refusal::Path));
        assert_eq!(refused("/@ana%0A"), Some(Refusal::Path));
        assert_eq!(refused("/events/%FF"), Some(Refusal::Path), "not UTF-8");
        assert_eq!(
            refused("/api/v1/events?page=2&q=%00"),
            Some(Refusal::Parameter("q".into()))
        );
        assert_eq!(
            refused("/?category=a%09b"),
            Some(Refusal::Parameter("category".into()))
        );
        assert_eq!(refused("/?%00=x"), Some(Refusal::Parameter("query".into())));
        assert_eq!(refused("/events/caf%C3%A9?q=Caf%C3%A9+%C3%A0+Paris"), None);
        assert_eq!(refused("/"), None);
    }
}
