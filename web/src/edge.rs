//! The pages' side of the checks made before any route runs (`convene_api::http::edge`): a
//! path segment or query parameter holding a control character, or a posted form field holding
//! NUL, is answered with a page in the visitor's language — a 404, or a 422 naming the field.
//! The account forms (log in, register, reset a password) come back with their values, the
//! field marked. Multi-line fields may hold line breaks, so only NUL is refused in forms; the
//! rules of each field refuse the rest where it makes no sense.

use crate::pages::accounts;
use crate::visitor::Visitor;
use crate::Web;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use convene_api::http::edge::{refusal, Refusal};
use convene_domain::FieldError;
use std::collections::HashMap;

/// The forms shown again with their values when a field is refused, by the path they post
/// to, and whether the form marks each field (others say what is wrong above the form).
const ACCOUNT_FORMS: [(&str, &str, bool); 3] = [
    ("/login", "login.html", false),
    ("/register", "register.html", true),
    ("/reset-password", "reset.html", false),
];

pub async fn refuse(State(web): State<Web>, request: Request, next: Next) -> Response {
    if let Some(refusal) = refusal(request.uri()) {
        let (mut parts, _) = request.into_parts();
        let visitor = match Visitor::from_request_parts(&mut parts, &web).await {
            Ok(visitor) => visitor,
            Err(response) => return response,
        };
        return match refusal {
            Refusal::Path => web.pages.error(&visitor, StatusCode::NOT_FOUND),
            refusal => web.pages.failure(&visitor, &refusal.error()),
        };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if request.method() != Method::POST || !is_form {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    // The body limit layer has already bounded the body: past it, reading fails with a 413.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&bytes)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let Some(field) = fields
        .iter()
        .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        .map(|(name, _)| name.replace('\0', ""))
    else {
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    };
    let visitor = match Visitor::from_request_parts(&mut parts, &web).await {
        Ok(visitor) => visitor,
        Err(response) => return response,
    };
    let message = format!("{field} may not contain NUL characters");
    let form = ACCOUNT_FORMS
        .iter()
        .find(|(path, _, _)| *path == parts.uri.path());
    match form {
        Some((_, template, marks_fields)) => {
            let values: HashMap<String, String> = fields
                .into_iter()
                .map(|(name, value)| (name.replace('\0', ""), value.replace('\0', "")))
                .collect();
            let catalogue = web.pages.catalogue(&visitor);
            let label = catalogue.t.get(&format!("field_{field}")).unwrap_or(&field);
            let text = catalogue.t.get(&format!("err_{field}")).unwrap_or(&message);
            let notice = (!marks_fields).then(|| format!("{label}: {text}"));
            let error = FieldError { field, message };
            accounts::form(
                &web,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                template,
                &values,
                &[error],
                notice,
            )
        }
        None => web.pages.failure(
            &visitor,
            &convene_api::Error::invalid_field(&field, message),
        ),
    }
}
