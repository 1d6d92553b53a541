//! Content negotiation on URLs shared by a page and an ActivityPub document.

use super::Federation;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::MethodRouter;
use axum::Router;
use std::sync::Arc;
use tower::ServiceExt;

/// The negotiated paths, and the router serving their documents.
#[derive(Clone)]
pub struct Negotiation {
    paths: Arc<matchit::Router<()>>,
    documents: Router,
}

impl Negotiation {
    pub fn new(
        documents: Vec<(&'static str, MethodRouter<Federation>)>,
        federation: Federation,
        layers: &impl Fn(Router) -> Router,
    ) -> Self {
        let mut paths = matchit::Router::new();
        let mut router = Router::new();
        for (path, handler) in documents {
            // The list is ours and fixed: a bad pattern is a bug found by the first test.
            #[allow(clippy::expect_used)]
            paths
                .insert(path, ())
                .expect("document paths are valid and distinct");
            router = router.route(path, handler);
        }
        Self {
            paths: Arc::new(paths),
            documents: layers(router.with_state(federation)),
        }
    }
}

/// Sends a GET of a negotiated path to its document or to the page, and says the answer varies
/// with `Accept` (so caches keep both apart).
pub async fn negotiate(
    State(negotiation): State<Negotiation>,
    request: Request,
    next: Next,
) -> Response {
    let negotiable = matches!(*request.method(), Method::GET | Method::HEAD)
        && negotiation.paths.at(request.uri().path()).is_ok();
    if !negotiable {
        return next.run(request).await;
    }
    let mut response = if wants_activity_json(request.headers()) {
        // A fresh request: the extensions hold what the outer router matched, which the
        // documents' router must not see beside its own match.
        let (parts, body) = request.into_parts();
        let mut fresh = Request::new(body);
        *fresh.method_mut() = parts.method;
        *fresh.uri_mut() = parts.uri;
        *fresh.version_mut() = parts.version;
        *fresh.headers_mut() = parts.headers;
        match negotiation.documents.oneshot(fresh).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    } else {
        next.run(request).await
    };
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("Accept"));
    response
}

/// Whether `Accept` prefers an ActivityStreams document (`application/activity+json`, or
/// `application/ld+json` with or without the ActivityStreams profile) to a page.
pub fn wants_activity_json(headers: &HeaderMap) -> bool {
    let mut activity = 0.0_f32;
    let mut html = 0.0_f32;
    for value in headers.get_all(header::ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        for range in value.split(',') {
            let mut params = range.split(';').map(str::trim);
            let media = params.next().unwrap_or_default().to_ascii_lowercase();
            let q = params
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.eq_ignore_ascii_case("q"))
                .and_then(|(_, v)| v.parse::<f32>().ok())
                .unwrap_or(1.0);
            match media.as_str() {
                "application/activity+json" | "application/ld+json" => activity = activity.max(q),
                "text/html" | "application/xhtml+xml" => html = html.max(q),
                _ => {}
            }
        }
    }
    activity > 0.0 && activity >= html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
        );
        wants_activity_json(&headers)
    }

    #[test]
    fn each_activitypub_accept_form_is_recognised() {
        assert!(accept("application/activity+json"));
        assert!(accept(
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
        ));
        assert!(accept("application/ld+json"));
        // Mastodon's fetches.
        assert!(accept(
            "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
        ));
    }

    #[test]
    fn browsers_and_others_get_the_page() {
        assert!(!accept(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        ));
        assert!(!accept("*/*"));
        assert!(!accept("application/json"));
        assert!(!accept("text/html, application/activity+json;q=0.5"));
        assert!(!accept("application/activity+json;q=0"));
        assert!(!wants_activity_json(&HeaderMap::new()));
    }
}
