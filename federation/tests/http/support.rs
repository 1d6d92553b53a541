//! A real server on 127.0.0.1 for each test: the pages and the API with federation in front, as
//! `convene serve` assembles them, its read models and its outbox running (no delivery worker:
//! nothing is sent); and a client that keeps every body it
//! receives, so a test can check that no private key ever left the server.

use convene_api::mail::Mailer;
use convene_api::throttle::Limits;
use convene_api::{ApiConfig, AppState, Registrations};
use convene_federation::discovery::nodeinfo::InstanceInfo;
use convene_federation::http::Federation;
use convene_projections::scratch::Scratch;
use convene_projections::{read_models, Database, Subscribers};
use convene_web::render::Pages;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

pub struct TestServer {
    pub base: String,
    pub db: Database,
    pub label: &'static str,
    pub mail: PathBuf,
    /// Every response body any client of this server received.
    pub bodies: Arc<Mutex<Vec<String>>>,
    _folder: tempfile::TempDir,
    shutdown: CancellationToken,
    running: Vec<tokio::task::JoinHandle<()>>,
    serving: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
        self.serving.abort();
    }
}

impl TestServer {
    pub async fn start(scratch: &Scratch, registrations: Registrations) -> TestServer {
        Self::start_at(scratch, registrations, "127.0.0.1:0").await
    }

    /// A server listening at `address` (a stopped server's, to start it again with its URL).
    pub async fn start_at(
        scratch: &Scratch,
        registrations: Registrations,
        address: &str,
    ) -> TestServer {
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("warn")
            .try_init();
        let db = Database::open(&scratch.url).await.expect("database");
        let folder = tempfile::tempdir().expect("mail folder");
        let mail = folder.path().join("mail");
        // A stopped server's port is free once its task ends: tried again for a while.
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(address).await {
                Ok(listener) => break listener,
                Err(e) if tries == 50 => panic!("bind {address}: {e}"),
                Err(_) => tries += 1,
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let open = registrations == Registrations::Open;
        let config = ApiConfig {
            public_url: base.clone(),
            mailer: Arc::new(
                Mailer::to_folder("Convene <noreply@127.0.0.1>", &mail).expect("mailer"),
            ),
            registrations,
            limits: Limits::off(),
            trusted_proxies: Vec::new(),
            http_limits: Default::default(),
            hashing: Default::default(),
            pictures: convene_api::pictures::PictureConfig::in_folder(
                folder.path().join("pictures"),
            ),
        };
        let limits = config.http_limits;
        let subscribers = Subscribers::new(read_models())
            .with([Arc::new(convene_federation::outbox::OutboxSubscriber::new(&base)) as _]);
        let state = AppState::new(&db, config, subscribers.clone());
        let shutdown = CancellationToken::new();
        let running = subscribers.spawn(&db, &shutdown);
        let pages = Arc::new(Pages::new().expect("templates"));
        let instance = InstanceInfo {
            name: "Test instance".to_string(),
            description: "Where tests meet".to_string(),
            open_registrations: open,
        };
        let federation = Federation::new(&db, &base, instance).expect("federation");
        let app =
            convene_federation::http::app(convene_web::app(state, pages), federation, |routes| {
                convene_api::http::with_layers(routes, limits)
            })
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let serving = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer {
            base,
            db,
            label: scratch.label,
            mail,
            bodies: Arc::default(),
            _folder: folder,
            shutdown,
            running,
            serving,
        }
    }

    /// Stops the subscribers and the server (a stopped server, before a replay or a restart).
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        for runner in self.running.drain(..) {
            let _ = runner.await;
        }
        self.serving.abort();
    }

    pub fn client(&self) -> Client {
        Client {
            base: self.base.clone(),
            token: None,
            bodies: self.bodies.clone(),
        }
    }

    /// The host and port, as WebFinger accounts name it.
    pub fn host(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// The link `…/{kind}?token=` last mailed to `to` (waiting for it, at most 10 s).
    pub async fn token_mailed(&self, to: &str, kind: &str) -> String {
        let marker = format!("/{kind}?token=");
        for _ in 0..200 {
            let texts: Vec<String> = std::fs::read_dir(&self.mail)
                .map(|dir| {
                    dir.filter_map(Result::ok)
                        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                        .filter(|t| t.contains(to) && t.contains(&marker))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(text) = texts.first() {
                let start = text.rfind(&marker).unwrap_or_default() + marker.len();
                return text[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} with {marker}")
    }

    /// Fails when any body received from this server holds a private key.
    pub fn assert_no_private_key_served(&self) {
        let bodies = self.bodies.lock().expect("bodies");
        assert!(!bodies.is_empty(), "{}: no body was received", self.label);
        for body in bodies.iter() {
            assert!(
                !body.contains("PRIVATE"),
                "{}: a response holds a private key: {body}",
                self.label
            );
        }
    }
}

/// A response: status, the headers a test looks at, body (JSON when it is JSON).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub json: Value,
}

impl Response {
    /// Every value of header `name`, joined by ", ".
    pub fn header(&self, name: &str) -> String {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub token: Option<String>,
    bodies: Arc<Mutex<Vec<String>>>,
}

impl Client {
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Response {
        let url = format!("{}{path}", self.base);
        let method = method.to_string();
        let token = self.token.clone();
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let response = tokio::task::spawn_blocking(move || {
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
            for (name, value) in headers {
                request = request.header(name, value);
            }
            let result = match body {
                Some(body) => agent.run(
                    request
                        .header("content-type", "application/json")
                        .body(body.to_string())
                        .expect("request"),
                ),
                None => agent.run(request.body(()).expect("request")),
            };
            let mut response = result.expect("the server answers");
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
                .collect();
            let text = response.body_mut().read_to_string().unwrap_or_default();
            let json = serde_json::from_str(&text).unwrap_or(Value::Null);
            Response {
                status: response.status().as_u16(),
                headers,
                text,
                json,
            }
        })
        .await
        .expect("client");
        self.bodies
            .lock()
            .expect("bodies")
            .push(response.text.clone());
        response
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send("GET", path, &[], None).await
    }

    /// GET with `Accept: accept`.
    pub async fn get_as(&self, path: &str, accept: &str) -> Response {
        self.send("GET", path, &[("accept", accept)], None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.send("POST", path, &[], Some(body)).await
    }
}

/// Registers `email`, confirms it, logs in, and creates the profile `@username`.
pub async fn member_with_profile(server: &TestServer, email: &str, username: &str) -> Client {
    let anonymous = server.client();
    let registered = anonymous
        .post(
            "/api/v1/accounts",
            json!({"email": email, "password": "correct horse battery", "locale": "en"}),
        )
        .await;
    assert_eq!(
        registered.status, 202,
        "{}: {}",
        server.label, registered.text
    );
    let token = server.token_mailed(email, "confirm").await;
    let confirmed = anonymous
        .post("/api/v1/accounts/confirm", json!({ "token": token }))
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    let session = anonymous
        .post(
            "/api/v1/sessions",
            json!({"email": email, "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(session.status, 201, "{}", session.text);
    let client = Client {
        token: session.json["token"].as_str().map(str::to_string),
        ..anonymous
    };
    let created = client
        .post(
            "/api/v1/profiles",
            json!({"username": username, "display_name": format!("{username} display")}),
        )
        .await;
    assert_eq!(created.status, 201, "create @{username}: {}", created.text);
    client
}

/// Publishes an event as the client's profile.
pub async fn publish_event(client: &Client) -> Value {
    let created = client
        .post(
            "/api/v1/events",
            json!({
                "title": "Climate march",
                "description": "<p>Bring banners</p>",
                "begins_at": "2030-06-01T14:00:00Z",
                "ends_at": "2030-06-01T17:00:00Z",
                "time_zone": "Europe/Paris",
                "category": "CAUSES"
            }),
        )
        .await;
    assert_eq!(created.status, 201, "create an event: {}", created.text);
    created.json
}
