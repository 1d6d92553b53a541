//! An instance under too much: a body over the limit is refused with a problem, a flood of
//! failed logins is slowed down while the account's owner still logs in, and a crowd of logins
//! at once keeps the server's memory bounded — with the real `convene serve`.

use crate::support::{convene, Server};
use convene_projections::scratch::test_urls;
use serde_json::json;
use std::io::{Read, Write};
use std::process::Stdio;

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

/// Registrations answer before recording the account and mailing the link (so that a used
/// address cannot be told by the time taken): a server stopped right after answering still
/// finishes that work.
#[test]
fn work_left_after_answering_is_finished_before_the_server_stops() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for database in runtime.block_on(test_urls("scenario limits")) {
        let mut server = Server::start(&database.url);
        let emails: Vec<String> = (0..5).map(|n| format!("late{n}@example.org")).collect();
        for email in &emails {
            let body = json!({"email": email, "password": "correct horse battery"}).to_string();
            let (status, _, _) = post_from("127.0.0.1", &server, "/api/v1/accounts", &body);
            assert_eq!(status, 202, "{}: registering {email}", database.label);
        }
        server.terminate();
        for email in &emails {
            assert_eq!(
                server.mails_to(email).len(),
                1,
                "{}: the confirmation to {email} was lost at shutdown",
                database.label
            );
        }
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
    assert_eq!(status, 202);
    let token = server.token_mailed("ana@example.org", "confirm");
    let (status, _) = server.call(
        "POST",
        "/api/v1/accounts/confirm",
        &Default::default(),
        Some(json!({ "token": token })),
    );
    assert_eq!(status, 200);

    // Someone guesses her password: after five failures in a row the account's logins wait,
    // and the guesser is told for how long.
    let wrong = json!({"email": "ana@example.org", "password": "not her password"}).to_string();
    let mut attempts = 0;
    let (status, head) = loop {
        let (status, head, _) = post_from("127.0.0.1", server, "/api/v1/sessions", &wrong);
        attempts += 1;
        if status != 401 || attempts > 20 {
            break (status, head);
        }
    };
    assert_eq!((status, attempts), (429, 6), "{head}");
    assert!(head.contains("retry-after: 1\r\n"), "{head}");
    // Ana is told by mail.
    server.mail_with("ana@example.org", "Subject: Failed logins to your account");

    // Ana, elsewhere, logs in once the second has passed.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let right = credentials.to_string();
    let (status, _, body) = post_from("127.0.0.2", server, "/api/v1/sessions", &right);
    assert_eq!(status, 201, "{body}");
}

/// The most the server may grow while a crowd logs in at once.
const MEMORY_GROWTH_CEILING: u64 = 200 * 1024 * 1024;

#[test]
#[ignore = "heavy: 256 logins at once against the real binary, with its memory measured"]
fn a_crowd_of_logins_at_once_keeps_the_server_under_its_memory_ceiling() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for database in runtime.block_on(test_urls("scenario hashing memory")) {
        // Every login reaches the hashing pool: no rate limit or login delay stops it first.
        // With the default queue, most are refused; with a queue that takes them all, every
        // one waits its turn: the memory is the same.
        for queue in [None, Some("256")] {
            let mut options = vec![
                "--rate-limit-ip",
                "0",
                "--rate-limit-account",
                "0",
                "--login-delay-max",
                "0",
            ];
            if let Some(queue) = queue {
                options.extend(["--password-hash-queue", queue]);
            }
            let server = Server::start_with(convene(), &database.url, &options, Stdio::inherit());
            let label = format!(
                "{}, queue {}",
                database.label,
                queue.unwrap_or("64 (default)")
            );
            crowd_of_logins(&server, &label);
            server.stop();
        }
    }
}

fn crowd_of_logins(server: &Server, label: &str) {
    const LOGINS: usize = 256;
    let before = server.resident_memory();
    assert!(
        before > 0,
        "the server's memory cannot be read on this system"
    );
    let done = std::sync::atomic::AtomicBool::new(false);
    let start = std::sync::Barrier::new(LOGINS);
    let (peak, statuses) = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut peak = before;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(server.resident_memory());
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            peak
        });
        let logins: Vec<_> = (0..LOGINS)
            .map(|n| {
                let start = &start;
                scope.spawn(move || {
                    let body = json!({"email": format!("person{n}@example.org"), "password": "a password"});
                    start.wait();
                    server.call("POST", "/api/v1/sessions", &Default::default(), Some(body)).0
                })
            })
            .collect();
        let statuses: Vec<u16> = logins
            .into_iter()
            .map(|login| login.join().unwrap_or_default())
            .collect();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        (sampler.join().unwrap_or_default(), statuses)
    });
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let busy = statuses.iter().filter(|s| **s == 503).count();
    assert_eq!(checked + busy, LOGINS, "401 or 503 only: {statuses:?}");
    let growth = peak.saturating_sub(before);
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    println!(
        "{label}: {LOGINS} logins at once: {checked} checked (401), {busy} refused while the \
         queue was full (503); server memory {:.0} MiB before, {:.0} MiB at the peak, growth \
         {:.0} MiB (ceiling {:.0} MiB)",
        mib(before),
        mib(peak),
        mib(growth),
        mib(MEMORY_GROWTH_CEILING)
    );
    assert!(
        growth < MEMORY_GROWTH_CEILING,
        "{label}: the server grew by {:.0} MiB",
        mib(growth)
    );
}
