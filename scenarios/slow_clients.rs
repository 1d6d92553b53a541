//! Slow clients: connections that never finish a request are closed in time, one address gets
//! at most its share of connections, a full server closes the connection that waited longest
//! to let a newcomer in, and a server allowed 1,024 open files still answers `/healthz` within
//! a second while 1,100 connections trickle their headers.

use crate::support::{convene, convene_with_open_files, Server};
use convene_projections::scratch::test_urls;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A connection to `server` from local address `from` (another loopback address is another
/// client).
fn connect_from(from: &str, server: &Server) -> TcpStream {
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
    stream.set_nonblocking(false).expect("blocking");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    stream
}

/// Reads until the server closes the connection: what it sent, and how long that took.
fn until_closed(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let _ = stream.read_to_end(&mut received);
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: convene\r\n\r\n";

#[test]
fn slow_and_idle_connections_are_closed_and_one_address_gets_its_share() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for database in runtime.block_on(test_urls("scenario slow clients")) {
        let options = [
            "--header-timeout",
            "1",
            "--keep-alive-timeout",
            "1",
            "--max-connections-per-ip",
            "4",
            // No proxy: loopback clients count as clients.
            "--trusted-proxies",
            "",
        ];
        let server = Server::start_with(convene(), &database.url, &options, Stdio::inherit());
        timeouts_and_share_on(&server);
        server.stop();

        let server = Server::start_with(
            convene(),
            &database.url,
            &["--max-connections", "3"],
            Stdio::inherit(),
        );
        let waiting = room_is_made_on(&server);
        // Connections still waiting for a request do not hold the server up at SIGTERM.
        let stopping = Instant::now();
        server.stop();
        assert!(
            stopping.elapsed() < Duration::from_secs(3),
            "stopped in {:?}",
            stopping.elapsed()
        );
        drop(waiting);
    }
}

fn timeouts_and_share_on(server: &Server) {
    // Headers trickled and never finished: closed once the header timeout has passed.
    let mut slow = connect_from("127.0.0.1", server);
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: con")
        .expect("send a part");
    let (sent, waited) = until_closed(&mut slow);
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(5),
        "closed after {waited:?}"
    );
    assert!(
        sent.is_empty() || sent.starts_with("HTTP/1.1 408"),
        "nothing but a 408: {sent}"
    );

    // Answered, then left idle: closed once the keep-alive timeout has passed.
    let mut idle = connect_from("127.0.0.1", server);
    idle.write_all(HEALTH).expect("send");
    let (sent, waited) = until_closed(&mut idle);
    assert!(sent.starts_with("HTTP/1.1 200"), "{sent}");
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(5),
        "closed after {waited:?}"
    );

    // One address opens four connections and sends nothing: a fifth is closed at once, well
    // before the header timeout, while another address is served.
    let held: Vec<TcpStream> = (0..4).map(|_| connect_from("127.0.0.3", server)).collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut fifth = connect_from("127.0.0.3", server);
    let (sent, waited) = until_closed(&mut fifth);
    assert!(sent.is_empty(), "{sent}");
    assert!(
        waited < Duration::from_millis(500),
        "closed after {waited:?}"
    );
    let mut other = connect_from("127.0.0.4", server);
    other.write_all(HEALTH).expect("send");
    let (sent, _) = until_closed(&mut other);
    assert!(sent.starts_with("HTTP/1.1 200"), "{sent}");
    drop(held);

    // A head of more than 100 header fields is refused.
    let mut crowded = connect_from("127.0.0.5", server);
    let fields: String = (0..101).map(|n| format!("X-{n}: y\r\n")).collect();
    let head = format!("GET /healthz HTTP/1.1\r\nHost: convene\r\n{fields}\r\n");
    crowded.write_all(head.as_bytes()).expect("send");
    let (sent, _) = until_closed(&mut crowded);
    assert!(sent.starts_with("HTTP/1.1 431"), "{sent}");
}

/// Returns the connections left open, still waiting for a request.
fn room_is_made_on(server: &Server) -> Vec<TcpStream> {
    // Three connections, the most allowed, all waiting without a request.
    let mut waiting: Vec<TcpStream> = (0..3).map(|_| connect_from("127.0.0.1", server)).collect();
    std::thread::sleep(Duration::from_millis(100));
    // A newcomer is answered: the connection that waited longest was closed for it.
    let mut newcomer = connect_from("127.0.0.1", server);
    newcomer.write_all(HEALTH).expect("send");
    let mut answer = [0u8; 12];
    newcomer.read_exact(&mut answer).expect("an answer");
    assert_eq!(&answer, b"HTTP/1.1 200");
    let (_, waited) = until_closed(&mut waiting[0]);
    assert!(
        waited < Duration::from_secs(1),
        "the oldest was closed at once, not after {waited:?}"
    );
    waiting.split_off(1)
}

/// Connections trickling headers, held open (and opened again when closed) against the server.
const SLOW_CONNECTIONS: usize = 1_100;
/// The server's limit on open files.
const OPEN_FILES: u64 = 1_024;
/// How long the slow connections press on: longer than the default header timeout (10 s).
const PRESSURE: Duration = Duration::from_secs(15);

#[test]
#[ignore = "heavy: 1,100 connections trickling headers for 15 s on each database; run with \
            `cargo test --locked --test scenarios -- --ignored --nocapture slow_clients`"]
fn health_answers_within_a_second_while_1100_connections_trickle_headers() {
    // This process holds the 1,100 connections: let it open that many files.
    let wanted = SLOW_CONNECTIONS as u64 + 256;
    let allowed = rlimit::increase_nofile_limit(wanted).expect("read the open-file limit");
    assert!(
        allowed >= wanted,
        "this test opens {wanted} files but may open only {allowed}: raise the hard limit (ulimit -Hn)"
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for database in runtime.block_on(test_urls("scenario 1,100 slow clients")) {
        let log = tempfile::NamedTempFile::new().expect("a log file");
        let server = Server::start_with(
            convene_with_open_files(OPEN_FILES),
            &database.url,
            &[],
            Stdio::from(log.reopen().expect("the log file")),
        );
        let address = server.base.trim_start_matches("http://").to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let attacker = {
            let stop = stop.clone();
            std::thread::spawn(move || trickle(&address, &stop))
        };

        let started = Instant::now();
        let mut latencies = Vec::new();
        while started.elapsed() < PRESSURE {
            let asked = Instant::now();
            let answer = health_within(&server, Duration::from_secs(1));
            let latency = asked.elapsed();
            assert!(
                answer.starts_with("HTTP/1.1 200") && latency < Duration::from_secs(1),
                "{} at {:?} into the pressure: /healthz answered `{answer}` after {latency:?}; \
                 the server's warnings: {}",
                database.label,
                started.elapsed(),
                warnings(log.path())
            );
            latencies.push(latency);
            std::thread::sleep(Duration::from_millis(100));
        }
        stop.store(true, Ordering::Relaxed);
        let (opened, closed) = attacker.join().expect("the slow clients");
        server.stop();

        let log = std::fs::read_to_string(log.path()).unwrap_or_default();
        assert!(
            !log.contains("Too many open files") && !log.contains("cannot accept"),
            "the server ran out of descriptors: {log}"
        );
        latencies.sort();
        let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
        println!(
            "slow clients ({}): {SLOW_CONNECTIONS} connections trickling headers for {} s against \
             {OPEN_FILES} open files; {opened} opened, {closed} closed by the server; /healthz \
             {} times, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            database.label,
            PRESSURE.as_secs(),
            latencies.len(),
            at(0.5).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3,
            at(1.0).as_secs_f64() * 1e3,
        );
    }
}

/// The server log's warnings and errors.
fn warnings(log: &std::path::Path) -> String {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|line| line.contains(" WARN ") || line.contains(" ERROR "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `GET /healthz` on a new connection, given `limit` to connect and answer: the head of the
/// answer (empty when there was none in time).
fn health_within(server: &Server, limit: Duration) -> String {
    let address = server.base.trim_start_matches("http://");
    let Ok(mut stream) =
        TcpStream::connect_timeout(&address.parse().expect("the server's address"), limit)
    else {
        return String::new();
    };
    let _ = stream.set_read_timeout(Some(limit));
    if stream.write_all(HEALTH).is_err() {
        return String::new();
    }
    let mut head = [0u8; 12];
    match stream.read_exact(&mut head) {
        Ok(()) => String::from_utf8_lossy(&head).into_owned(),
        Err(_) => String::new(),
    }
}

/// Keeps [`SLOW_CONNECTIONS`] connections sending a request head a header line at a time, every
/// half second, opening a new one whenever the server closes one: how many were opened, and
/// how many the server closed.
fn trickle(address: &str, stop: &AtomicBool) -> (usize, usize) {
    let mut connections: Vec<Option<TcpStream>> = (0..SLOW_CONNECTIONS).map(|_| None).collect();
    let (mut opened, mut closed) = (0, 0);
    while !stop.load(Ordering::Relaxed) {
        for connection in connections.iter_mut() {
            match connection {
                Some(stream) => {
                    if stream.write_all(b"X-Slow: y\r\n").is_err() {
                        *connection = None;
                        closed += 1;
                    }
                }
                None => {
                    if let Ok(mut stream) = TcpStream::connect(address) {
                        if stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").is_ok() {
                            opened += 1;
                            *connection = Some(stream);
                        }
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    (opened, closed)
}
