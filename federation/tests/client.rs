//! The outgoing client against real HTTP servers on 127.0.0.1: the SSRF guard refuses every
//! forbidden target (literal addresses, names resolving to loopback, redirects to private
//! addresses), the size cap, the redirect limit and the timeout hold, and on the test network
//! a loopback server is reached with signatures it can verify.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use convene_federation::client::{Client, FetchError, Limits, Network, Refused};
use convene_federation::signatures::{self, Received, Signer, DEFAULT_MAX_SKEW};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};
use url::Url;

const ALICE_KEY: &str = include_str!("keys/alice.key.pem");
const ALICE_PUB: &str = include_str!("keys/alice.pub.pem");
const ALICE_ID: &str = "http://127.0.0.1:1/@alice#main-key";

fn alice() -> Signer {
    Signer::new(ALICE_ID, ALICE_KEY).expect("the test key parses")
}

fn client(network: Network, limits: Limits) -> Client {
    let public = Url::parse("http://127.0.0.1:8080").expect("a URL");
    Client::new(&public, network, limits).expect("a client")
}

/// Checks a received request's signature as an inbox would, answering 202 or 401.
fn verify(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let received = Received {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &body,
        scheme: "http",
    };
    match signatures::parse(&received, SystemTime::now(), DEFAULT_MAX_SKEW)
        .and_then(|signed| signed.verify(ALICE_PUB).map(|()| signed))
    {
        Ok(signed) => (StatusCode::ACCEPTED, signed.key_id().to_string()),
        Err(e) => (StatusCode::UNAUTHORIZED, e.to_string()),
    }
}

async fn serve() -> SocketAddr {
    let app = Router::new()
        .route(
            "/actor",
            get(|headers: HeaderMap| async move {
                let agent = headers
                    .get("user-agent")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                (
                    [("content-type", "application/activity+json")],
                    format!(r#"{{"id":"/actor","type":"Person","agent":"{agent}"}}"#),
                )
            }),
        )
        .route(
            "/signed",
            get(|method: Method, uri: Uri, headers: HeaderMap| async move {
                let (status, text) = verify(method, uri, headers, Bytes::new());
                (status, format!(r#"{{"said":"{text}"}}"#))
            }),
        )
        .route(
            "/inbox",
            post(
                |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| async move {
                    verify(method, uri, headers, body)
                },
            ),
        )
        .route(
            "/busy",
            post(|| async { (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "30")], "") }),
        )
        .route("/big", get(|| async { "x".repeat(2 * 1024 * 1024) }))
        .route(
            "/streamed",
            get(|| async {
                // No Content-Length: the cap must hold while reading.
                let chunks =
                    (0..64).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b' '; 32 * 1024])));
                Body::from_stream(futures::stream::iter(chunks))
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "{}"
            }),
        )
        .route(
            "/hop/{n}",
            get(
                |axum::extract::Path(n): axum::extract::Path<u32>| async move {
                    if n == 0 {
                        ([("content-type", "application/activity+json")], "{}").into_response()
                    } else {
                        Redirect::temporary(&format!("/hop/{}", n - 1)).into_response()
                    }
                },
            ),
        )
        .route(
            "/to",
            get(
                |axum::extract::Query(q): axum::extract::Query<
                    std::collections::HashMap<String, String>,
                >| async move {
                    let to = q.get("url").cloned().unwrap_or_default();
                    Response::builder()
                        .status(StatusCode::FOUND)
                        .header("location", to)
                        .body(Body::empty())
                        .expect("a response")
                },
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn refused(result: Result<impl std::fmt::Debug, FetchError>) -> Refused {
    match result {
        Err(FetchError::Refused(refused)) => refused,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn the_public_network_refuses_loopback_even_when_it_answers() {
    let addr = serve().await;
    let public = client(Network::Public, Limits::default());
    let port = addr.port();
    for url in [
        format!("http://127.0.0.1:{port}/actor"),
        format!("http://[::1]:{port}/actor"),
        format!("http://[::ffff:127.0.0.1]:{port}/actor"),
        format!("http://0.0.0.0:{port}/actor"),
        format!("http://[::]:{port}/actor"),
        format!("http://10.0.0.1:{port}/actor"),
        format!("http://172.16.0.1:{port}/actor"),
        format!("http://192.168.0.1:{port}/actor"),
        format!("http://169.254.169.254:{port}/latest/meta-data/"),
        format!("http://100.64.0.1:{port}/"),
        format!("http://[fc00::1]:{port}/"),
        format!("http://[fe80::1]:{port}/"),
        format!("http://224.0.0.1:{port}/"),
        format!("http://255.255.255.255:{port}/"),
        format!("http://[64:ff9b::7f00:1]:{port}/"),
    ] {
        assert!(
            matches!(
                refused(public.get_json(&url, None).await),
                Refused::Address { .. }
            ),
            "{url}"
        );
    }
    // Names that resolve to 127.0.0.1: `localhost`, and names from /etc/hosts.
    for host in ["localhost", "localhost.", "vm", "runsc"] {
        let url = format!("http://{host}:{port}/actor");
        match public.get_json(&url, None).await {
            Err(FetchError::Refused(Refused::Address { class, .. })) => {
                assert_eq!(class, "loopback", "{url}")
            }
            // A name this machine's resolver does not know is refused too.
            Err(FetchError::Refused(Refused::Unresolvable(_))) if host != "localhost" => {}
            other => panic!("{url}: expected a refusal, got {other:?}"),
        }
    }
    assert!(matches!(
        refused(
            public
                .post_signed(
                    &format!("http://localhost:{port}/inbox"),
                    b"{}".to_vec(),
                    &alice()
                )
                .await
        ),
        Refused::Address { .. }
    ));
    assert!(matches!(
        refused(public.get_json("http://no-such-host.invalid/", None).await),
        Refused::Unresolvable(_)
    ));
    assert!(matches!(
        refused(public.get_json("gopher://example.org/", None).await),
        Refused::Scheme(_)
    ));
}

#[tokio::test]
async fn the_test_network_reaches_loopback_with_verifiable_signatures() {
    let addr = serve().await;
    let test = client(Network::TestLoopback, Limits::default());
    let fetched = test
        .get_json(&format!("http://127.0.0.1:{}/actor", addr.port()), None)
        .await
        .expect("reached");
    assert!(fetched.is_activity_json());
    assert_eq!(fetched.json["type"], "Person");
    assert_eq!(
        fetched.json["agent"],
        format!(
            "convene/{} (+http://127.0.0.1:8080/)",
            env!("CARGO_PKG_VERSION")
        )
    );
    // By name too.
    let by_name = test
        .get_json(&format!("http://localhost:{}/actor", addr.port()), None)
        .await
        .expect("reached");
    assert_eq!(by_name.json["type"], "Person");

    let signed = test
        .get_json(
            &format!("http://127.0.0.1:{}/signed", addr.port()),
            Some(&alice()),
        )
        .await
        .expect("verified");
    assert_eq!(signed.json["said"], ALICE_ID);
    assert!(matches!(
        test.get_json(&format!("http://127.0.0.1:{}/signed", addr.port()), None)
            .await,
        Err(FetchError::Status(401))
    ));

    let posted = test
        .post_signed(
            &format!("http://127.0.0.1:{}/inbox", addr.port()),
            br#"{"type":"Follow"}"#.to_vec(),
            &alice(),
        )
        .await
        .expect("answered");
    assert_eq!(posted.status, 202);
    let busy = test
        .post_signed(
            &format!("http://127.0.0.1:{}/busy", addr.port()),
            b"{}".to_vec(),
            &alice(),
        )
        .await
        .expect("answered");
    assert_eq!(busy.status, 429);
    assert_eq!(busy.retry_after, Some(Duration::from_secs(30)));

    // Private ranges stay refused on the test network.
    assert!(matches!(
        refused(test.get_json("http://10.0.0.1/", None).await),
        Refused::Address { .. }
    ));
}

#[tokio::test]
async fn a_redirect_to_a_forbidden_target_is_refused() {
    let addr = serve().await;
    let test = client(Network::TestLoopback, Limits::default());
    for target in [
        "http://10.0.0.1/actor",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:192.168.0.1]/",
        "http://0.0.0.0/",
    ] {
        let url = format!("http://127.0.0.1:{}/to?url={target}", addr.port());
        assert!(
            matches!(
                refused(test.get_json(&url, None).await),
                Refused::Address { .. }
            ),
            "{target}"
        );
    }
    let url = format!(
        "http://127.0.0.1:{}/to?url=gopher://example.org/",
        addr.port()
    );
    assert!(matches!(
        refused(test.get_json(&url, None).await),
        Refused::Scheme(_)
    ));
    // A location that is not even an HTTP URI is not followed: the redirect is the answer.
    let url = format!("http://127.0.0.1:{}/to?url=file:///etc/passwd", addr.port());
    assert!(matches!(
        test.get_json(&url, None).await,
        Err(FetchError::Status(302))
    ));
    // A redirect to a name is checked when the name resolves: on the test network, a
    // loopback name is allowed and followed.
    let url = format!(
        "http://127.0.0.1:{0}/to?url=http://localhost:{0}/actor",
        addr.port()
    );
    let fetched = test.get_json(&url, None).await.expect("followed");
    assert_eq!(fetched.url.host_str(), Some("localhost"));
}

#[tokio::test]
async fn redirects_are_limited() {
    let addr = serve().await;
    let test = client(Network::TestLoopback, Limits::default());
    let five = format!("http://127.0.0.1:{}/hop/5", addr.port());
    let fetched = test
        .get_json(&five, None)
        .await
        .expect("five hops are fine");
    assert_eq!(fetched.url.path(), "/hop/0");
    let six = format!("http://127.0.0.1:{}/hop/6", addr.port());
    assert!(matches!(
        test.get_json(&six, None).await,
        Err(FetchError::TooManyRedirects(5))
    ));
}

#[tokio::test]
async fn bodies_are_capped() {
    let addr = serve().await;
    let test = client(Network::TestLoopback, Limits::default());
    for path in ["big", "streamed"] {
        let url = format!("http://127.0.0.1:{}/{path}", addr.port());
        assert!(
            matches!(
                test.get_json(&url, None).await,
                Err(FetchError::TooLarge(1_048_576))
            ),
            "{path}"
        );
    }
    // Under a larger cap, the streamed answer (2 MiB of spaces) is read whole: not JSON.
    let roomy = client(
        Network::TestLoopback,
        Limits {
            max_body: 4 * 1024 * 1024,
            ..Limits::default()
        },
    );
    let url = format!("http://127.0.0.1:{}/streamed", addr.port());
    assert!(matches!(
        roomy.get_json(&url, None).await,
        Err(FetchError::NotJson(_))
    ));
}

#[tokio::test]
async fn slow_servers_time_out() {
    let addr = serve().await;
    let impatient = client(
        Network::TestLoopback,
        Limits {
            total_timeout: Duration::from_millis(500),
            ..Limits::default()
        },
    );
    let started = std::time::Instant::now();
    let url = format!("http://127.0.0.1:{}/slow", addr.port());
    assert!(matches!(
        impatient.get_json(&url, None).await,
        Err(FetchError::Timeout)
    ));
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn the_test_network_is_refused_to_an_instance_with_a_public_url() {
    let public = Url::parse("https://events.example.org").expect("a URL");
    let refused = Client::new(&public, Network::TestLoopback, Limits::default())
        .expect_err("a public instance may not reach loopback");
    assert!(
        refused.to_string().contains("loopback public URL"),
        "{refused}"
    );
    Client::new(&public, Network::Public, Limits::default()).expect("the public network");
}
