//! The HTTP limits on a real server: bodies past the limit, slow handlers, compression.

use axum::body::Bytes;
use axum::http::header;
use axum::routing::{get, post};
use axum::Router;
use convene_api::http::limits::{with_limits, HttpLimits};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const MIB: usize = 1024 * 1024;

/// A server with the limits around a few routes, on its own thread; and how many times the body
/// reading handler ran.
fn serve(limits: HttpLimits) -> Result<(SocketAddr, Arc<AtomicUsize>), std::io::Error> {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    let app = Router::new()
        .route(
            "/echo",
            post(move |body: Bytes| async move {
                counted.fetch_add(1, Ordering::SeqCst);
                format!("{} bytes", body.len())
            }),
        )
        .route(
            "/form",
            post(|form: axum::Form<Vec<(String, String)>>| async move {
                format!("{} fields", form.0.len())
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "too late"
            }),
        )
        .route(
            "/page",
            get(|| async { axum::response::Html("<p>Convene</p>\n".repeat(5000)) }),
        )
        .route(
            "/data.json",
            get(|| async {
                let events: Vec<_> = (0..2000)
                    .map(|n| serde_json::json!({"id": n, "title": "Climate march"}))
                    .collect();
                axum::Json(events)
            }),
        )
        .route(
            "/photo.png",
            get(|| async { ([(header::CONTENT_TYPE, "image/png")], vec![7u8; 100_000]) }),
        );
    let app = with_limits(app, limits);
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                let _ = axum::serve(listener, app).await;
            }
        })
    });
    Ok((address, runs))
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

fn problem_of(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_default()
}

#[test]
fn a_small_body_passes() -> TestResult {
    let (address, runs) = serve(HttpLimits::default())?;
    let mut response = agent()
        .post(format!("http://{address}/echo"))
        .send(&vec![b'a'; 1000][..])?;
    assert_eq!(response.status(), 200);
    assert_eq!(response.body_mut().read_to_string()?, "1000 bytes");
    let mut response = agent()
        .post(format!("http://{address}/echo"))
        .send(&vec![b'a'; MIB][..])?;
    assert_eq!(response.status(), 200, "exactly the limit is allowed");
    assert_eq!(
        response.body_mut().read_to_string()?,
        format!("{MIB} bytes")
    );
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    Ok(())
}

/// Sends a request head declaring `length` bytes of body and none of them, and reads the
/// answer: a server that waited for the body before refusing would never answer.
fn declare_and_read(address: SocketAddr, length: usize) -> Result<String, std::io::Error> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "POST /echo HTTP/1.1\r\nhost: {address}\r\ncontent-length: {length}\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(_) if !answer.is_empty() => break,
            Err(e) => return Err(e),
        }
        if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[test]
fn a_declared_length_past_the_limit_is_refused_before_the_handler() -> TestResult {
    let (address, runs) = serve(HttpLimits::default())?;
    let answer = declare_and_read(address, 2 * MIB)?;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let problem = problem_of(body);
    assert_eq!(problem["type"], "/problems/payload-too-large", "{answer}");
    assert_eq!(problem["status"], 413);
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("larger than 1048576 bytes")),
        "{answer}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 0, "the handler never ran");
    Ok(())
}

#[test]
fn a_two_mebibyte_body_is_refused_as_a_problem() -> TestResult {
    let (address, runs) = serve(HttpLimits::default())?;
    let mut response = agent()
        .post(format!("http://{address}/echo"))
        .send(&vec![b'a'; 2 * MIB][..])?;
    assert_eq!(response.status(), 413);
    assert_eq!(
        response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let problem = problem_of(&response.body_mut().read_to_string()?);
    assert_eq!(problem["type"], "/problems/payload-too-large");
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    Ok(())
}

#[test]
fn a_chunked_body_growing_past_the_limit_is_refused_as_a_problem() -> TestResult {
    let (address, _runs) = serve(HttpLimits::default())?;
    let mut body = std::io::repeat(b'a').take(2 * MIB as u64);
    let mut response = agent()
        .post(format!("http://{address}/echo"))
        .send(ureq::SendBody::from_reader(&mut body))?;
    assert_eq!(response.status(), 413);
    let problem = problem_of(&response.body_mut().read_to_string()?);
    assert_eq!(problem["type"], "/problems/payload-too-large");
    assert_eq!(problem["status"], 413);
    // A form read with `axum::Form` ends the same way.
    let mut body = std::io::repeat(b'a').take(2 * MIB as u64);
    let mut response = agent()
        .post(format!("http://{address}/form"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send(ureq::SendBody::from_reader(&mut body))?;
    assert_eq!(response.status(), 413);
    let problem = problem_of(&response.body_mut().read_to_string()?);
    assert_eq!(problem["type"], "/problems/payload-too-large");
    let mut response = agent()
        .post(format!("http://{address}/form"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send("title=March&city=Lyon")?;
    assert_eq!(response.body_mut().read_to_string()?, "2 fields");
    // And a small chunked body still passes.
    let mut body = std::io::repeat(b'a').take(1000);
    let mut response = agent()
        .post(format!("http://{address}/echo"))
        .send(ureq::SendBody::from_reader(&mut body))?;
    assert_eq!(response.status(), 200);
    assert_eq!(response.body_mut().read_to_string()?, "1000 bytes");
    Ok(())
}

#[test]
fn a_larger_configured_limit_is_honoured_by_the_extractors() -> TestResult {
    let (address, _runs) = serve(HttpLimits {
        body_limit: 3 * MIB,
        ..HttpLimits::default()
    })?;
    let mut response = agent()
        .post(format!("http://{address}/echo"))
        .send(&vec![b'a'; 5 * MIB / 2][..])?;
    assert_eq!(response.status(), 200, "past axum's own 2 MB default");
    assert_eq!(
        response.body_mut().read_to_string()?,
        format!("{} bytes", 5 * MIB / 2)
    );
    Ok(())
}

#[test]
fn a_slow_handler_ends_in_the_timeout_problem() -> TestResult {
    let (address, _runs) = serve(HttpLimits {
        request_timeout: Duration::from_millis(300),
        ..HttpLimits::default()
    })?;
    let started = std::time::Instant::now();
    let mut response = agent().get(format!("http://{address}/slow")).call()?;
    assert!(started.elapsed() < Duration::from_secs(4), "stopped early");
    assert_eq!(response.status(), 503);
    assert_eq!(
        response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let problem = problem_of(&response.body_mut().read_to_string()?);
    assert_eq!(problem["type"], "/problems/timeout");
    assert_eq!(problem["status"], 503);
    assert!(problem["detail"]
        .as_str()
        .is_some_and(|d| d.contains("longer than 0.3 s")));
    Ok(())
}

fn gunzip(bytes: &[u8]) -> Result<String, std::io::Error> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut text)?;
    Ok(text)
}

#[test]
fn large_pages_and_json_are_compressed_when_asked() -> TestResult {
    let (address, _runs) = serve(HttpLimits::default())?;
    for path in ["/page", "/data.json"] {
        let mut response = agent()
            .get(format!("http://{address}{path}"))
            .header("accept-encoding", "gzip")
            .call()?;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok()),
            Some("gzip"),
            "{path}"
        );
        let compressed = response.body_mut().read_to_vec()?;
        let text = gunzip(&compressed)?;
        assert!(compressed.len() * 10 < text.len(), "{path}");
        assert!(text.contains("Convene") || text.contains("Climate march"));

        let response = agent()
            .get(format!("http://{address}{path}"))
            .header("accept-encoding", "br")
            .call()?;
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok()),
            Some("br"),
            "{path}"
        );

        let response = agent().get(format!("http://{address}{path}")).call()?;
        assert!(
            response.headers().get(header::CONTENT_ENCODING).is_none(),
            "{path}: not compressed unless asked"
        );
    }
    let response = agent()
        .get(format!("http://{address}/photo.png"))
        .header("accept-encoding", "gzip, br")
        .call()?;
    assert!(
        response.headers().get(header::CONTENT_ENCODING).is_none(),
        "images are left alone"
    );
    Ok(())
}
