//! NUL and other control characters in every path segment, query parameter and form field, on
//! the pages and the API: refused at the edge (404, or 422 naming the field), never a 5xx, on
//! every database.

use crate::sites;
use crate::support::{create_event, Browser, Site};
use serde_json::Value;

/// One answer: status, content type, body.
struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

/// A request with any method, an optional bearer token and an optional body (type, text).
async fn send(
    site: &Site,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, String)>,
) -> Answer {
    let url = format!("{}{path}", site.base);
    let (method, token) = (method.to_string(), token.map(str::to_string));
    let body = body.map(|(kind, text)| (kind.to_string(), text));
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let mut request = ureq::http::Request::builder()
            .method(method.as_str())
            .uri(&url);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let result = match body {
            Some((kind, text)) => agent.run(
                request
                    .header("content-type", kind)
                    .body(text)
                    .expect("request"),
            ),
            None => agent.run(request.body(()).expect("request")),
        };
        let mut response = result.expect("the server answers");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        Answer {
            status: response.status().as_u16(),
            content_type,
            body: response.body_mut().read_to_string().unwrap_or_default(),
        }
    })
    .await
    .expect("client")
}

/// Every operation of the OpenAPI document: (method, path template, query parameter names).
fn operations() -> Vec<(String, String, Vec<String>)> {
    let doc = serde_json::to_value(convene_api::http::api().1).unwrap_or_default();
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let query: Vec<String> = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str().map(str::to_string))
                .collect();
            found.push((method.to_uppercase(), path.clone(), query));
        }
    }
    found
}

/// The pages with a path parameter, and the pages' query parameters.
const PAGE_PATHS: [&str; 16] = [
    "/@%00",
    "/@%00/feed.ics",
    "/events/%00",
    "/events/%00/calendar.ics",
    "/events/%00/edit",
    "/events/%00/participants",
    "/events/%00/participants.csv",
    "/events/%00/history",
    "/events/%00/cancel",
    "/events/%00/delete",
    "/feeds/%00/my-events.ics",
    "/feeds/%00/my-events.atom",
    "/language/%00",
    "/events/x%0Ay",
    "/@caf%FF",
    "/%00",
];
const PAGE_QUERIES: [(&str, &str); 12] = [
    ("/", "q"),
    ("/", "category"),
    ("/", "from"),
    ("/", "to"),
    ("/", "mode"),
    ("/", "page"),
    ("/login", "next"),
    ("/confirm-email", "token"),
    ("/confirm-email-change", "token"),
    ("/reset-password/complete", "token"),
    ("/participations/confirm", "token"),
    ("/participations/cancel", "token"),
];

async fn api_token(site: &Site, email: &str) -> String {
    let body = format!("{{\"email\": \"{email}\", \"password\": \"correct horse battery\"}}");
    let session = send(
        site,
        "POST",
        "/api/v1/sessions",
        None,
        Some(("application/json", body)),
    )
    .await;
    let json: Value = serde_json::from_str(&session.body).unwrap_or_default();
    json["token"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn nul_anywhere_in_an_address_or_a_form_is_refused_and_never_a_server_error() {
    for (scratch, site) in sites("nul_probes").await {
        let member = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let event = create_event(&member, &[]).await;
        let token = api_token(&site, "ana@example.org").await;
        let before = site.head().await;
        let mut probes = 0;

        // The API: %00 for each path parameter, then in each query parameter, logged in or not.
        for (method, template, query) in operations() {
            for bearer in [None, Some(token.as_str())] {
                if template.contains('{') {
                    let path: String = template
                        .split('/')
                        .map(|s| if s.starts_with('{') { "%00" } else { s })
                        .collect::<Vec<_>>()
                        .join("/");
                    let answer = send(&site, &method, &path, bearer, None).await;
                    probes += 1;
                    assert_eq!(
                        answer.status, 404,
                        "{}: {method} {path}: {}",
                        scratch.label, answer.body
                    );
                    assert_eq!(answer.content_type, "application/problem+json", "{path}");
                }
                let path = template
                    .replace("{id}", &event)
                    .replace("{username}", "ana");
                let path = path.replace("{pid}", "x");
                for name in &query {
                    let probe = format!("{path}?{name}=a%00b");
                    let answer = send(&site, &method, &probe, bearer, None).await;
                    probes += 1;
                    assert_eq!(
                        answer.status, 422,
                        "{}: {method} {probe}: {}",
                        scratch.label, answer.body
                    );
                    let json: Value = serde_json::from_str(&answer.body).unwrap_or_default();
                    assert_eq!(json["errors"][0]["field"], name.as_str(), "{probe}");
                }
            }
        }
        // Text bodies of the API: NUL in any string, form or JSON.
        for (path, kind, body) in [
            (
                "/api/v1/sessions",
                "application/json",
                r#"{"email": "a\u0000@example.org", "password": "x"}"#,
            ),
            (
                "/api/v1/accounts",
                "application/json",
                r#"{"email": "a\u0000@example.org", "password": "correct horse battery"}"#,
            ),
            (
                "/api/v1/password-resets",
                "application/json",
                r#"{"email": "a\u0000@example.org"}"#,
            ),
            (
                "/api/v1/anonymous-participations/cancel",
                "application/x-www-form-urlencoded",
                "token=%00",
            ),
            (
                "/api/v1/anonymous-participations/confirm",
                "application/json",
                r#"{"token": "\u0000"}"#,
            ),
        ] {
            let answer = send(&site, "POST", path, None, Some((kind, body.to_string()))).await;
            probes += 1;
            assert_eq!(
                answer.status, 422,
                "{}: {path}: {}",
                scratch.label, answer.body
            );
        }

        // The pages: 404 for a path segment, 422 naming the parameter.
        for path in PAGE_PATHS {
            for browser in [&site.browser("en"), &member] {
                let page = browser.get(path).await;
                probes += 1;
                assert_eq!(page.status, 404, "{}: {path}: {}", scratch.label, page.body);
                assert!(page.content_type.starts_with("text/html"), "{path}");
            }
        }
        for (path, name) in PAGE_QUERIES {
            for browser in [&site.browser("en"), &member] {
                let probe = format!("{path}?{name}=%00");
                let page = browser.get(&probe).await;
                probes += 1;
                assert_eq!(
                    page.status, 422,
                    "{}: {probe}: {}",
                    scratch.label, page.body
                );
                let named = format!("{name} must be text on one line");
                assert!(page.body.contains(&named), "{probe} names {name}");
            }
        }

        // The account forms come back with the field marked and the values kept.
        let visitor = site.browser("en");
        for (path, fields) in [
            (
                "/login",
                vec![
                    ("email", "ana\0@example.org"),
                    ("password", "correct horse battery"),
                    ("next", "/my/events"),
                ],
            ),
            (
                "/register",
                vec![
                    ("email", "bob\0@example.org"),
                    ("password", "correct horse battery"),
                    ("username", "bob"),
                    ("locale", "en"),
                ],
            ),
            ("/reset-password", vec![("email", "ana@example.org\0")]),
        ] {
            let form = visitor.get(path).await;
            let page = visitor.post(path, &form.csrf(), &fields).await;
            probes += 1;
            assert_eq!(page.status, 422, "{}: {path}: {}", scratch.label, page.body);
            assert!(
                page.body.contains("aria-invalid") || page.body.contains("error"),
                "{path}: {}",
                page.body
            );
            let kept = fields[0].1.replace('\0', "");
            assert!(
                page.body.contains(&kept),
                "{path} keeps {kept}: {}",
                page.body
            );
        }
        // Any other form: a page naming the field.
        let event_page = member.get(&format!("/events/{event}")).await;
        let csrf = event_page.csrf();
        for (path, field, value) in [
            (format!("/events/{event}/join"), "profile", "ana\0"),
            (format!("/events/{event}/comments"), "body", "Hello\0"),
            ("/settings".to_string(), "display_name", "Ana\0"),
            ("/participations/cancel".to_string(), "token", "\0"),
        ] {
            let page = member.post(&path, &csrf, &[(field, value)]).await;
            probes += 1;
            assert_eq!(page.status, 422, "{}: {path}: {}", scratch.label, page.body);
            let named = format!("{field} may not contain NUL");
            assert!(page.body.contains(&named), "{path} names {field}");
        }

        assert_eq!(
            site.head().await,
            before,
            "{}: nothing written",
            scratch.label
        );
        println!("{}: {probes} probes, none answered 5xx", scratch.label);
    }
}

#[tokio::test]
async fn the_home_page_bounds_its_search_and_its_pages() {
    for (scratch, site) in sites("home_bounds").await {
        let visitor = site.browser("en");
        // Words on the home page hand over to the search page, which bounds them.
        let long = "a".repeat(50_001);
        let handed = visitor.get(&format!("/?q={long}")).await;
        assert_eq!(handed.status, 303, "{}", scratch.label);
        let searched = visitor.get(&format!("/search?q={long}")).await;
        assert_eq!(searched.status, 422, "{}: {}", scratch.label, searched.body);
        assert!(searched.body.contains("search with at most 500 characters"));
        for page in ["9223372036854775807", "99999999999999999999", "-3", "two"] {
            let answer = visitor.get(&format!("/?page={page}")).await;
            assert_eq!(answer.status, 200, "{}: page {page}", scratch.label);
        }
    }
}
