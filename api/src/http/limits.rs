//! What every response goes through: a cap on request bodies, a deadline for the whole
//! request, and compression of the text formats Convene serves.

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode, Version};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;

const PROBLEM_JSON: &str = "application/problem+json";

/// The limits in force.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// The largest body of an upload (a route whose path ends in `/picture`, `/avatar` or `/banner`, or
    /// is `/api/v1/pictures` or `/events/new`): the largest picture and room for the form's
    /// other fields. The
    /// upload's handler checks the file itself against its own limit.
    pub upload_limit: usize,
    /// How long a request may take, from its head read to its response ready.
    pub request_timeout: Duration,
}

impl Default for HttpLimits {
    /// 1 MiB holds any form or JSON body Convene takes, with room to spare; 30 s is far beyond
    /// what a page or a command needs, and short of what a stuck request should hold on to.
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            upload_limit: 11 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Wraps everything served: a body size limit on every route (413 as RFC 9457 problem+json), a
/// request timeout (503 problem+json), and gzip/br compression of HTML, JSON, ICS, CSS, JS,
/// Atom.
///
/// Call it once all routes and the fallback are in place (layers only wrap the routes that exist
/// when they are added), and inside the request-id and trace layers, so that these answers are
/// logged and carry a request id like any other.
pub fn with_limits(router: Router, limits: HttpLimits) -> Router {
    let HttpLimits {
        body_limit,
        upload_limit,
        request_timeout,
    } = limits;
    // Each layer wraps those above it: the last is the first to see a request.
    router
        // The extractors (`Bytes`, `Form`, `Json`, `String`) enforce their own limit, 2 MB unless
        // told otherwise: tell them ours, so a larger configured limit is not cut short.
        .layer(DefaultBodyLimit::max(body_limit.max(upload_limit)))
        // Refuses a declared Content-Length above the limit before any handler runs, and cuts a
        // chunked body off once it passes the limit (the extractor reading it then fails).
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            limit_body(body_limit, upload_limit, request, next)
        }))
        .layer(middleware::map_response(
            move |response: Response| async move { too_large_as_problem(response, body_limit) },
        ))
        .layer(middleware::from_fn(drain_refused_bodies))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            within(request_timeout, request, next)
        }))
        .layer(CompressionLayer::new().gzip(true).br(true).compress_when(
            SizeAbove::new(MIN_COMPRESSED_SIZE).and(compressible as fn(_, _, &_, &_) -> bool),
        ))
}

/// Whether `path` takes a file: its body may be as large as the upload limit. The new-event
/// pages' forms (`/events/new`, a group's `/@handle/events/new`) carry the event's picture.
pub fn is_upload(path: &str) -> bool {
    path == "/api/v1/pictures"
        || path.ends_with("/events/new")
        || path.ends_with("/picture")
        || path.ends_with("/avatar")
        || path.ends_with("/banner")
}

/// The body limit of `request`'s route, applied as `RequestBodyLimitLayer` would: a declared
/// length above it is refused at once, a longer chunked body is cut off where it passes it.
async fn limit_body(
    body_limit: usize,
    upload_limit: usize,
    request: Request,
    next: Next,
) -> Response {
    let limit = if is_upload(request.uri().path()) {
        upload_limit.max(body_limit)
    } else {
        body_limit
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return too_large_as_problem(StatusCode::PAYLOAD_TOO_LARGE.into_response(), limit);
    }
    let request = request.map(|body| Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}

/// Below this many bytes compression saves too little to be worth its headers and time.
const MIN_COMPRESSED_SIZE: u16 = 512;

/// The text formats Convene serves; images and other already compressed formats are left alone.
const COMPRESSIBLE: [&str; 11] = [
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "text/calendar",
    "application/atom+xml",
    "application/json",
    "application/problem+json",
    "application/activity+json",
    "application/ld+json",
    "application/jrd+json",
];

fn compressible(_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    COMPRESSIBLE.contains(&essence.as_str())
}

/// Every 413 leaves as problem+json, whoever made it: the limit layer for a declared length, an
/// extractor for a body that grew past the limit while being read. A handler's own
/// problem+json, or its own page (a form shown again, naming the file too large), passes
/// untouched.
fn too_large_as_problem(response: Response, body_limit: usize) -> Response {
    let is_answer = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(PROBLEM_JSON.as_bytes())
                || v.as_bytes().starts_with(b"text/html")
        });
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE || is_answer {
        return response;
    }
    problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        &format!(
            "the body is larger than {body_limit} bytes: send at most {body_limit} bytes \
             (a smaller file or less text)"
        ),
    )
}

/// The most of a refused body read and thrown away, and for how long, before giving up on it.
const DRAIN_BYTES: u64 = 16 * 1024 * 1024;
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// Reads and throws away what is left of a refused body, after the answer has gone out.
///
/// A 413 is sent before the body has arrived (that is the point of it), and most clients read
/// the answer only once they have sent the whole body. Were the connection closed with the body
/// still coming, such a client would see a broken pipe or a reset instead of our 413. So the
/// rest is read and discarded, within bounds, while the answer is written; past them the
/// connection is closed as before.
async fn drain_refused_bodies(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let slot = Arc::new(Mutex::new(Some(body)));
    let request = Request::from_parts(parts, Body::new(SharedBody(slot.clone())));
    let response = next.run(request).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let rest = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(rest) = rest.filter(|body| !body.is_end_stream()) {
            tokio::spawn(async move {
                let _ = tokio::time::timeout(DRAIN_TIME, discard(rest, DRAIN_BYTES)).await;
            });
        }
    }
    response
}

async fn discard(mut body: Body, at_most: u64) {
    let mut read = 0u64;
    while read < at_most {
        match std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
            Some(Ok(frame)) => {
                read += frame.data_ref().map_or(0, |data| data.len() as u64);
            }
            _ => break,
        }
    }
}

/// The request body as the handler sees it, left in a place where the middleware can take back
/// what the handler did not read.
struct SharedBody(Arc<Mutex<Option<Body>>>);

impl HttpBody for SharedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        let slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slot.as_ref().is_none_or(|body| body.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        let slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slot.as_ref()
            .map_or(SizeHint::with_exact(0), |body| body.size_hint())
    }
}

/// The handler's answer, or a problem once the deadline has passed.
///
/// 503 rather than 408: 408 says the *client* was too slow to send its request, and some
/// clients resend a request on 408 by themselves, which for a command that was in fact carried
/// out would do it twice. Here the server did not answer in time, a temporary condition on our
/// side (503), and the client should look before trying again. Timing out in a middleware of
/// our own, rather than tower-http's `TimeoutLayer`, tells our deadline apart from a 503 a
/// handler gives for its own reasons (such as `/healthz`).
async fn within(deadline: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let seconds = deadline.as_secs_f64();
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                &format!(
                    "the request took longer than {seconds} s and was stopped: it may have \
                     been carried out in part, so check before sending it again"
                ),
            )
        }
    }
}

/// An RFC 9457 problem, in the shape of every other error Convene sends.
fn problem(status: StatusCode, kind: &str, detail: &str) -> Response {
    let body = serde_json::json!({
        "type": format!("/problems/{kind}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
        Body::from(body.to_string()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(content_type) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        headers
    }

    fn compresses(content_type: &str) -> bool {
        compressible(
            StatusCode::OK,
            Version::HTTP_11,
            &headers(content_type),
            &Extensions::new(),
        )
    }

    #[test]
    fn text_formats_are_compressed_and_images_are_not() {
        for yes in [
            "text/html; charset=utf-8",
            "application/json",
            "Application/Problem+JSON",
            "text/calendar; charset=utf-8",
            "application/atom+xml",
            "text/css",
            "text/javascript",
            "application/activity+json",
        ] {
            assert!(compresses(yes), "{yes}");
        }
        for no in ["image/png", "image/jpeg", "application/octet-stream", ""] {
            assert!(!compresses(no), "{no}");
        }
    }

    #[tokio::test]
    async fn a_413_becomes_a_problem_naming_the_limit() -> Result<(), axum::Error> {
        let plain = (StatusCode::PAYLOAD_TOO_LARGE, "length limit exceeded").into_response();
        let response = too_large_as_problem(plain, 1024);
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE),
            Some(&HeaderValue::from_static(PROBLEM_JSON))
        );
        let body = axum::body::to_bytes(response.into_body(), 4096).await?;
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(problem["type"], "/problems/payload-too-large");
        assert_eq!(problem["status"], 413);
        assert_eq!(
            problem["title"].as_str(),
            StatusCode::PAYLOAD_TOO_LARGE.canonical_reason()
        );
        assert!(problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("send at most 1024 bytes")));
        Ok(())
    }

    #[tokio::test]
    async fn other_answers_pass_untouched() -> Result<(), axum::Error> {
        let ours = problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-many-photos",
            "one at a time",
        );
        let body = axum::body::to_bytes(too_large_as_problem(ours, 1).into_body(), 4096).await?;
        assert!(String::from_utf8_lossy(&body).contains("too-many-photos"));
        let fine = too_large_as_problem((StatusCode::OK, "fine").into_response(), 1);
        assert_eq!(fine.status(), StatusCode::OK);
        Ok(())
    }

    #[test]
    fn the_defaults() {
        let limits = HttpLimits::default();
        assert_eq!(limits.body_limit, 1_048_576);
        assert_eq!(limits.request_timeout, Duration::from_secs(30));
    }
}
