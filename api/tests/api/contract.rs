//! The error contract of `/api/v1`: every refusal is problem+json, naming the field or the
//! parameter at fault; searches and pages are bounded.

use crate::servers;
use crate::support::{create_event, member, profile, TestServer};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A raw HTTP/1.1 request (`head` without its final blank line), then `body` chunk by chunk
/// when `chunks` is set; returns the status, the lower-cased head and the body.
async fn raw(server: &TestServer, head: &str, body: &[u8], chunks: bool) -> (u16, String, String) {
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let framing = if chunks {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {}", body.len())
    };
    let head = format!("{head}\r\nHost: {address}\r\n{framing}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.expect("send");
    // The server may answer and close before the whole body is sent: that is fine.
    if chunks {
        for chunk in body.chunks(64 * 1024) {
            let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
            if stream.write_all(&framed).await.is_err() {
                break;
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n").await;
    } else {
        let _ = stream.write_all(body).await;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_default();
    (status, head.to_lowercase(), body.to_string())
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_problem_json_however_it_comes() {
    for (_db, server) in servers("body_413").await {
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        let event = create_event(&org, json!({})).await;
        let id = event["id"].as_str().unwrap_or_default();
        let token = org.token.clone().unwrap_or_default();
        let big = format!("{{\"message\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
        let before = server.head().await;
        for path in [
            "/api/v1/accounts".to_string(),
            format!("/api/v1/events/{id}/participations"),
            "/api/v1/anonymous-participations/cancel".to_string(),
        ] {
            for chunks in [false, true] {
                let head = format!(
                    "POST {path} HTTP/1.1\r\nContent-Type: application/json\r\n\
                     Authorization: Bearer {token}"
                );
                let (status, head, body) = raw(&server, &head, big.as_bytes(), chunks).await;
                let how = if chunks { "chunked" } else { "with a length" };
                assert_eq!(status, 413, "{}: {path} {how}: {body}", server.label);
                assert!(
                    head.contains("content-type: application/problem+json"),
                    "{head}"
                );
                assert!(body.contains("/problems/payload-too-large"), "{body}");
            }
        }
        assert_eq!(server.head().await, before, "nothing written");
    }
}

#[tokio::test]
async fn only_json_is_taken_as_json() {
    for (_db, server) in servers("media_types").await {
        let body = json!({"email": "ana@example.org", "password": "correct horse battery"});
        for content_type in [
            "application/jsonp",
            "text/plain",
            "application/x-json-stream",
            "application/+json",
        ] {
            let answer = server
                .client()
                .send_raw(
                    "POST",
                    "/api/v1/accounts",
                    Some((content_type.into(), body.to_string())),
                )
                .await;
            assert_eq!(answer.status, 415, "{content_type}: {}", answer.text);
            assert_eq!(answer.content_type, "application/problem+json");
        }
        for content_type in [
            "application/json; charset=utf-8",
            "application/merge-patch+json",
            "Application/JSON",
        ] {
            let email = format!("{}@example.org", content_type.len());
            let body = json!({"email": email, "password": "correct horse battery"});
            let answer = server
                .client()
                .send_raw(
                    "POST",
                    "/api/v1/accounts",
                    Some((content_type.into(), body.to_string())),
                )
                .await;
            assert_eq!(answer.status, 202, "{content_type}: {}", answer.text);
        }
    }
}

#[tokio::test]
async fn query_parameters_that_cannot_be_read_are_named_in_a_problem() {
    for (_db, server) in servers("query_problems").await {
        let client = server.client();
        for (query, field) in [
            ("per_page=9223372036854775808", "per_page"),
            ("per_page=ten", "per_page"),
            ("page=9223372036854775807", "page"),
            ("page=10001", "page"),
            ("page=0", "page"),
            ("from=yesterday", "from"),
        ] {
            let answer = client.get(&format!("/api/v1/events?{query}")).await;
            assert_eq!(
                answer.status, 422,
                "{}: {query}: {}",
                server.label, answer.text
            );
            assert_eq!(answer.content_type, "application/problem+json", "{query}");
            assert_eq!(
                answer.json["errors"][0]["field"], field,
                "{query}: {}",
                answer.text
            );
        }
        let missing = client.get("/api/v1/anonymous-participations/confirm").await;
        assert_eq!(missing.status, 422, "{}", missing.text);
        assert_eq!(missing.json["errors"][0]["field"], "token");
        let method = client.send("PUT", "/api/v1/events", Some(json!({}))).await;
        assert_eq!(method.status, 405);
        assert_eq!(method.content_type, "application/problem+json");
        assert_eq!(method.json["type"], "/problems/method-not-allowed");
    }
}

#[tokio::test]
async fn a_search_is_bounded_and_a_page_past_the_end_is_empty_with_the_total() {
    for (_db, server) in servers("search_bounds").await {
        let org = member(&server, "org@example.org").await;
        profile(&org, "org").await;
        create_event(&org, json!({})).await;
        create_event(&org, json!({"title": "Repair café"})).await;
        let client = server.client();
        let long = client
            .get(&format!("/api/v1/events?q={}", "a".repeat(50_001)))
            .await;
        assert_eq!(long.status, 422, "{}: {}", server.label, long.text);
        assert_eq!(long.json["errors"][0]["field"], "q");
        let longest = client
            .get(&format!("/api/v1/events?q={}", "é".repeat(200)))
            .await;
        assert_eq!(longest.status, 200, "{}", longest.text);

        let first = client.get("/api/v1/events?per_page=1").await;
        assert_eq!(first.json.as_array().map(Vec::len), Some(1));
        let past = client
            .send_raw("GET", "/api/v1/events?per_page=1&page=10000", None)
            .await;
        assert_eq!(
            (past.status, &past.json),
            (200, &json!([])),
            "{}",
            past.text
        );
        let total = crate::support::header(
            &server,
            "/api/v1/events?per_page=1&page=10000",
            "x-total-count",
        )
        .await;
        assert_eq!(total.as_deref(), Some("2"));
        let matching =
            crate::support::header(&server, "/api/v1/events?q=repair", "x-total-count").await;
        assert_eq!(matching.as_deref(), Some("1"));
    }
}
