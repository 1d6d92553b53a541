//! HTTP hygiene on the real API: bodies too large, and the rate limit on logins per address
//! and per account.

use crate::support::{member, Options, TestServer};
use convene_api::throttle::Limits;
use convene_projections::scratch::test_urls;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A raw HTTP/1.1 POST of JSON sent from local address `from` (another loopback address is
/// another client); returns the status line's code, the headers and the body.
async fn post_from(from: &str, base: &str, path: &str, body: &str) -> (u16, String, String) {
    let server = base.trim_start_matches("http://");
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{from}:0").parse().expect("address"))
        .expect("bind the client address");
    let mut stream = socket
        .connect(server.parse().expect("server address"))
        .await
        .expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {server}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_default();
    (status, head.to_lowercase(), body.to_string())
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_a_problem() {
    for scratch in test_urls("body_limit").await {
        let server = TestServer::start(&scratch, convene_api::Registrations::Open).await;
        let big = format!(
            "{{\"email\": \"ana@example.org\", \"password\": \"{}\"}}",
            "x".repeat(2 * 1024 * 1024)
        );
        let refused = server
            .client()
            .send_raw(
                "POST",
                "/api/v1/accounts",
                Some(("application/json".into(), big)),
            )
            .await;
        assert_eq!(refused.status, 413, "{}: {}", scratch.label, refused.text);
        assert_eq!(refused.content_type, "application/problem+json");
        assert_eq!(refused.json["type"], "/problems/payload-too-large");
        // Nothing was recorded.
        assert_eq!(server.head().await, 0);
    }
}

#[tokio::test]
async fn failed_logins_are_limited_per_address_while_others_still_log_in() {
    for scratch in test_urls("login_limit").await {
        // The per-address limit alone: the login delay has a test of its own.
        let limits = Limits {
            login_delay_max: std::time::Duration::ZERO,
            ..Limits::default()
        };
        let options = Options {
            limits,
            ..Options::default()
        };
        let server = TestServer::start_with(&scratch, options).await;
        member(&server, "ana@example.org").await;
        let wrong = json!({"email": "ana@example.org", "password": "not the password"}).to_string();
        let mut statuses = Vec::new();
        let limited = loop {
            let (status, head, body) =
                post_from("127.0.0.1", &server.base, "/api/v1/sessions", &wrong).await;
            if status != 401 {
                break (status, head, body);
            }
            statuses.push(status);
            assert!(statuses.len() <= 20, "{}: never limited", scratch.label);
        };
        let (status, head, body) = limited;
        assert_eq!(status, 429, "{}: {body}", scratch.label);
        assert!(head.contains("retry-after: "), "{head}");
        assert!(head.contains("application/problem+json"), "{head}");
        assert!(body.contains("/problems/rate-limited"), "{body}");
        // The right password from the same address waits too…
        let right =
            json!({"email": "ana@example.org", "password": "correct horse battery"}).to_string();
        let (status, _, _) = post_from("127.0.0.1", &server.base, "/api/v1/sessions", &right).await;
        assert_eq!(status, 429);
        // …but from another address it works: the account has not used up its own (larger)
        // allowance of failed passwords.
        let (status, _, body) =
            post_from("127.0.0.2", &server.base, "/api/v1/sessions", &right).await;
        assert_eq!(status, 201, "{}: {body}", scratch.label);
    }
}
