//! A real server on 127.0.0.1 for each test, with its projections running and its mail written
//! to a temporary folder, and a small HTTP client.

use convene_api::http::router;
use convene_api::mail::Mailer;
use convene_api::throttle::Limits;
use convene_api::{ApiConfig, AppState, Registrations};
use convene_projections::scratch::Scratch;
use convene_projections::{read_models, Database, Subscriber, Subscribers};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub struct TestServer {
    pub base: String,
    pub db: Database,
    pub label: &'static str,
    pub mail: PathBuf,
    /// The application the server runs, for use cases no HTTP route calls (the inbox's).
    pub state: AppState,
    _folder: tempfile::TempDir,
    shutdown: CancellationToken,
    running: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// How a test server differs from the default one.
pub struct Options {
    pub registrations: Registrations,
    /// Off unless a test is about them: tests log in and register many times from one address.
    pub limits: Limits,
    /// Subscribers run after the read models.
    pub more_subscribers: Vec<Arc<dyn Subscriber>>,
    pub group_creation: convene_api::groups::GroupCreation,
    /// Where searches are answered, when not the database's embedded index.
    pub search: Option<Arc<dyn convene_search::SearchIndex>>,
    /// Whether anonymous reports are taken.
    pub reports: convene_api::reports::ReportPolicy,
    /// Whether the domain decisions are public.
    pub public_domain_decisions: bool,
    /// The pad, calc and video call services proposed (none by default).
    pub link_services: convene_api::group_resources::LinkServices,
    /// The time use cases counting days go by (the system's by default).
    pub clock: convene_api::instance::Clock,
    /// The geocoder places are looked up with (none by default).
    pub geocoder: Option<Arc<dyn convene_api::places::Geocoder>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            registrations: Registrations::Open,
            limits: Limits::off(),
            more_subscribers: Vec::new(),
            group_creation: Default::default(),
            search: None,
            reports: Default::default(),
            public_domain_decisions: false,
            link_services: Default::default(),
            clock: Default::default(),
            geocoder: None,
        }
    }
}

impl TestServer {
    pub async fn start(scratch: &Scratch, registrations: Registrations) -> TestServer {
        let options = Options {
            registrations,
            ..Options::default()
        };
        Self::start_with(scratch, options).await
    }

    pub async fn start_with(scratch: &Scratch, options: Options) -> TestServer {
        // Server errors show in a failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("warn")
            .try_init();
        let db = Database::open(&scratch.url).await.expect("database");
        let folder = tempfile::tempdir().expect("mail folder");
        let mail = folder.path().join("mail");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let config = ApiConfig {
            public_url: base.clone(),
            mailer: Arc::new(
                Mailer::to_folder("Convene <noreply@127.0.0.1>", &mail).expect("mailer"),
            ),
            registrations: options.registrations,
            limits: options.limits,
            trusted_proxies: Vec::new(),
            http_limits: Default::default(),
            hashing: Default::default(),
            pictures: convene_api::pictures::PictureConfig::in_folder(
                folder.path().join("pictures"),
            ),
        };
        let subscribers = Subscribers::new(read_models()).with(options.more_subscribers);
        let mut state = AppState::new(&db, config, subscribers.clone())
            .with_group_creation(options.group_creation)
            .with_report_policy(options.reports)
            .with_public_domain_decisions(options.public_domain_decisions)
            .with_link_services(options.link_services);
        if let Some(search) = options.search {
            state.search = search;
        }
        state.clock = options.clock;
        state.geocoder = options.geocoder;
        let shutdown = CancellationToken::new();
        let running = subscribers.spawn(&db, &shutdown);
        let app =
            router(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        TestServer {
            base,
            db,
            label: scratch.label,
            mail,
            state,
            _folder: folder,
            shutdown,
            running,
        }
    }

    /// Stops the subscribers (their leases are free once this returns), as a stopped server
    /// would before a replay.
    pub async fn stop_subscribers(&mut self) {
        self.shutdown.cancel();
        for runner in self.running.drain(..) {
            let _ = runner.await;
        }
    }

    pub fn client(&self) -> Client {
        Client {
            base: self.base.clone(),
            token: None,
            profile: None,
        }
    }

    /// The text of every mail sent to `to`, oldest first.
    pub fn mails_to(&self, to: &str) -> Vec<String> {
        let mut found: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(&self.mail)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter_map(|entry| {
                        let text = std::fs::read_to_string(entry.path()).ok()?;
                        let modified = entry.metadata().ok()?.modified().ok()?;
                        text.lines()
                            .any(|l| l.starts_with("To: ") && l.contains(to))
                            .then_some((modified, text))
                    })
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        found.into_iter().map(|(_, text)| text).collect()
    }

    /// The `token=` of the last link of `kind` (such as `confirm`) mailed to `to`, waiting a
    /// little for it: some mail goes out after the answer.
    pub async fn token_mailed(&self, to: &str, kind: &str) -> String {
        let marker = format!("/{kind}?token=");
        let text = self.mail_with(to, &marker).await;
        let start = text.rfind(&marker).unwrap_or_default() + marker.len();
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }

    /// The last mail to `to` containing `marker`, once it has been written (at most 10 s).
    pub async fn mail_with(&self, to: &str, marker: &str) -> String {
        for _ in 0..200 {
            if let Some(text) = self
                .mails_to(to)
                .into_iter()
                .rev()
                .find(|t| t.contains(marker))
            {
                return text;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} with {marker}: {:?}", self.mails_to(to))
    }

    pub async fn head(&self) -> i64 {
        convene_projections::log::EventLog::new(&self.db)
            .head()
            .await
            .expect("head")
            .position
    }
}

/// A response: status, content type and body (JSON when it is JSON).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub text: String,
    pub json: Value,
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub token: Option<String>,
    pub profile: Option<String>,
}

impl Client {
    pub fn as_profile(&self, profile: &str) -> Client {
        Client {
            profile: Some(profile.to_string()),
            ..self.clone()
        }
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        self.send_raw(
            method,
            path,
            body.map(|b| ("application/json".to_string(), b.to_string())),
        )
        .await
    }

    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<(String, String)>,
    ) -> Response {
        let body = body.map(|(content_type, text)| (content_type, text.into_bytes()));
        self.send_bytes(method, path, body).await
    }

    /// Sends `body` as it is (a multipart form, say) with its content type.
    pub async fn send_bytes(
        &self,
        method: &str,
        path: &str,
        body: Option<(String, Vec<u8>)>,
    ) -> Response {
        let url = format!("{}{path}", self.base);
        let (token, profile, method) =
            (self.token.clone(), self.profile.clone(), method.to_string());
        tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .allow_non_standard_methods(true)
                .build()
                .into();
            let mut request = ureq::http::Request::builder()
                .method(method.as_str())
                .uri(&url);
            if let Some(token) = token {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            if let Some(profile) = profile {
                request = request.header("x-convene-profile", profile);
            }
            let result = match body {
                Some((content_type, body)) => agent.run(
                    request
                        .header("content-type", content_type)
                        .body(body)
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
            let text = response.body_mut().read_to_string().unwrap_or_default();
            let json = serde_json::from_str(&text).unwrap_or(Value::Null);
            Response {
                status: response.status().as_u16(),
                content_type,
                text,
                json,
            }
        })
        .await
        .expect("client")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.send("POST", path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Response {
        self.send("PATCH", path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.send("PUT", path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send("DELETE", path, None).await
    }
}

/// Registers `email`, confirms it from the mail, logs in; returns the logged-in client.
pub async fn member(server: &TestServer, email: &str) -> Client {
    let anonymous = server.client();
    let registered = anonymous
        .post(
            "/api/v1/accounts",
            json!({"email": email, "password": "correct horse battery", "locale": "en"}),
        )
        .await;
    assert_eq!(
        registered.status, 202,
        "{}: register {email}: {}",
        server.label, registered.text
    );
    let token = server.token_mailed(email, "confirm").await;
    let confirmed = anonymous
        .post("/api/v1/accounts/confirm", json!({ "token": token }))
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    log_in(server, email).await
}

pub async fn log_in(server: &TestServer, email: &str) -> Client {
    let session = server
        .client()
        .post(
            "/api/v1/sessions",
            json!({"email": email, "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(
        session.status, 201,
        "{}: log in {email}: {}",
        server.label, session.text
    );
    Client {
        token: session.json["token"].as_str().map(str::to_string),
        ..server.client()
    }
}

/// Creates a profile for the client's account.
pub async fn profile(client: &Client, username: &str) -> Value {
    let created = client
        .post(
            "/api/v1/profiles",
            json!({"username": username, "display_name": username.to_uppercase()}),
        )
        .await;
    assert_eq!(created.status, 201, "create @{username}: {}", created.text);
    created.json
}

/// A typical event body, changed by `extra` (merged over it).
pub fn event_body(extra: Value) -> Value {
    let mut body = json!({
        "title": "Climate march",
        "description": "<p>Bring banners</p>",
        "begins_at": "2030-06-01T14:00:00Z",
        "ends_at": "2030-06-01T17:00:00Z",
        "time_zone": "Europe/Paris",
        "category": "CAUSES",
        "tags": ["climate"],
        "language": "fr",
        "address": {"name": "Place de la République", "locality": "Paris", "country": "France", "latitude": 48.8674, "longitude": 2.3636},
        "links": [{"key": "mz:visio:jitsi_meet", "title": "Visio", "value": "https://meet.example.org/march"}]
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    body
}

pub async fn create_event(client: &Client, extra: Value) -> Value {
    let created = client.post("/api/v1/events", event_body(extra)).await;
    assert_eq!(created.status, 201, "create an event: {}", created.text);
    created.json
}

/// The value of header `name` on the answer to GET `path`.
pub async fn header(server: &TestServer, path: &str, name: &str) -> Option<String> {
    let url = format!("{}{path}", server.base);
    let name = name.to_string();
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let response = agent.get(&url).call().ok()?;
        let value = response.headers().get(name.as_str())?.to_str().ok()?;
        Some(value.to_string())
    })
    .await
    .ok()
    .flatten()
}
