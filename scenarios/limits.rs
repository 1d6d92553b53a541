//! An instance under too much: a body over the limit is refused with a problem, and a flood of
//! failed logins from one address is slowed down while people elsewhere still log in — with
//! the real `convene serve` and its default settings.

use crate::support::Server;
use convene_projections::scratch::test_urls;
use serde_json::json;
use std::io::{Read, Write};

/// A raw HTTP/1.1 POST of JSON from local address `from` (another loopback address is another
/// client): the status, the lower-cased head and the body.
fn post_from(from: &str, server: &Server, path: &str, body: &str) -> (u16, String, String) {
    let address = server.base.trim_start_matches("http://").to_string();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket
            .bind(format!("{from}:0").parse().expect("an address"))
            .expect("bind the client address");
        socket
            .connect(address.parse().expect("the server's address"))
            .await
            .expect("connect")
            .into_std()
            .expect("a blocking stream")
    });
    let mut stream = stream;
    stream.set_nonblocking(false).expect("blocking");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_default();
    (status, head.to_lowercase(), body.to_string())
}

#[test]
fn floods_are_refused_while_others_are_served() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for database in runtime.block_on(test_urls("scenario limits")) {
        let server = Server::start(&database.url);
        floods_on(&server);
        server.stop();
    }
}

fn floods_on(server: &Server) {
    // A body over the default 1 MiB limit: 413 problem+json, nothing recorded.
    let big = json!({"email": "x@example.org", "password": "p".repeat(2 << 20)}).to_string();
    let (status, head, body) = post_from("127.0.0.1", server, "/api/v1/accounts", &big);
    assert_eq!(status, 413, "{head}");
    assert!(head.contains("application/problem+json"), "{head}");
    assert!(body.contains("/problems/payload-too-large"), "{body}");

    // Ana registers and confirms her address.
    let credentials = json!({"email": "ana@example.org", "password": "correct horse battery"});
    let (status, _) = server.call(
        "POST",
        "/api/v1/accounts",
        &Default::default(),
        Some(credentials.clone()),
    );
    assert_eq!(status, 201);
    let token = server.token_mailed("ana@example.org", "confirm");
    let (status, _) = server.get(&format!("/api/v1/accounts/confirm?token={token}"));
    assert_eq!(status, 200);

    // Someone guesses her password from one address: after the default ten attempts a minute,
    // that address waits, and is told for how long.
    let wrong = json!({"email": "ana@example.org", "password": "not her password"}).to_string();
    let mut attempts = 0;
    let (status, head) = loop {
        let (status, head, _) = post_from("127.0.0.1", server, "/api/v1/sessions", &wrong);
        attempts += 1;
        if status != 401 || attempts > 20 {
            break (status, head);
        }
    };
    assert_eq!((status, attempts), (429, 11), "{head}");
    assert!(head.contains("retry-after: "), "{head}");

    // Ana, elsewhere, still logs in.
    let right = credentials.to_string();
    let (status, _, body) = post_from("127.0.0.2", server, "/api/v1/sessions", &right);
    assert_eq!(status, 201, "{body}");
}
