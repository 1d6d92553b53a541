//! A real server (API and pages) on 127.0.0.1 for each test, and a browser-like client that
//! keeps cookies, reads forms' CSRF tokens and does not follow redirects.

use convene_api::mail::Mailer;
use convene_api::{ApiConfig, AppState, Registrations};
use convene_projections::scratch::Scratch;
use convene_projections::{read_models, Database, Subscribers};
use convene_web::render::Pages;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// An application left as it is.
fn same(state: AppState) -> AppState {
    state
}

pub struct Site {
    pub base: String,
    pub db: Database,
    pub state: AppState,
    pub mail: PathBuf,
    _folder: tempfile::TempDir,
    shutdown: CancellationToken,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Site {
    pub async fn start(scratch: &Scratch) -> Site {
        Self::start_with(scratch, Default::default()).await
    }

    /// A site whose instance lets `group_creation` create groups.
    pub async fn start_with(
        scratch: &Scratch,
        group_creation: convene_api::groups::GroupCreation,
    ) -> Site {
        Self::start_configured(
            scratch,
            group_creation,
            None,
            Pages::new().expect("templates"),
            same,
        )
        .await
    }

    /// A site publishing its decisions on other instances' domains.
    pub async fn start_publishing_domain_decisions(scratch: &Scratch) -> Site {
        let pages = Pages::new().expect("templates");
        let publishing = |state: AppState| state.with_public_domain_decisions(true);
        Self::start_configured(scratch, Default::default(), None, pages, publishing).await
    }

    /// A site finding places with `geocoder`.
    pub async fn start_with_geocoder(
        scratch: &Scratch,
        geocoder: Arc<dyn convene_api::places::Geocoder>,
    ) -> Site {
        let pages = Pages::new().expect("templates");
        Self::start_configured(scratch, Default::default(), Some(geocoder), pages, same).await
    }

    /// A site drawing maps from `tiles`.
    pub async fn start_with_tiles(scratch: &Scratch, tiles: convene_web::map::TileServer) -> Site {
        let pages = Pages::new().expect("templates").with_tiles(Some(tiles));
        Self::start_configured(scratch, Default::default(), None, pages, same).await
    }

    /// A site showing the instance's own favicon and logo.
    pub async fn start_with_brand(scratch: &Scratch, brand: convene_web::assets::Brand) -> Site {
        let pages = Pages::new().expect("templates").with_brand(brand);
        Self::start_configured(scratch, Default::default(), None, pages, same).await
    }

    async fn start_configured(
        scratch: &Scratch,
        group_creation: convene_api::groups::GroupCreation,
        geocoder: Option<Arc<dyn convene_api::places::Geocoder>>,
        pages: Pages,
        adjust: fn(AppState) -> AppState,
    ) -> Site {
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
            registrations: Registrations::Open,
            // Tests log in and register many times from one address.
            limits: convene_api::throttle::Limits::off(),
            trusted_proxies: Vec::new(),
            http_limits: Default::default(),
            hashing: Default::default(),
            pictures: convene_api::pictures::PictureConfig::in_folder(
                folder.path().join("pictures"),
            ),
        };
        let subscribers = Subscribers::new(read_models()).with([
            Arc::new(convene_search::SearchSubscriber::embedded()) as _,
            // The inbox; no mail leaves (no sender runs), so pages' mail counts are unchanged.
            Arc::new(convene_notifications::NotificationsSubscriber::new(
                Arc::new(tokio::sync::Notify::new()),
            )) as _,
        ]);
        // Every test instance proposes a pad and a video call service, and no spreadsheets.
        let services = convene_api::group_resources::LinkServices {
            pad: Some("https://pad.example.org/p/".into()),
            calc: None,
            visio: Some("https://meet.example.org/".into()),
        };
        let mut state = adjust(
            AppState::new(&db, config, subscribers.clone())
                .with_group_creation(group_creation)
                .with_link_services(services),
        );
        state.geocoder = geocoder;
        let shutdown = CancellationToken::new();
        subscribers.spawn(&db, &shutdown);
        let pages = Arc::new(pages);
        let app = convene_web::app(state.clone(), pages)
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Site {
            base,
            db,
            state,
            mail,
            _folder: folder,
            shutdown,
        }
    }

    pub fn browser(&self, language: &str) -> Browser {
        Browser {
            base: self.base.clone(),
            language: language.to_string(),
            cookies: Arc::new(Mutex::new(BTreeMap::new())),
        }
    }

    /// The path and query of the last link containing `marker` mailed to `to`, waiting a little
    /// for it (at most 10 s): some mail goes out after the answer.
    pub async fn link_mailed(&self, to: &str, marker: &str) -> String {
        self.link_mailed_since(to, marker, 0).await
    }

    /// The same, among the mails to `to` after the first `seen` of them.
    pub async fn link_mailed_since(&self, to: &str, marker: &str, seen: usize) -> String {
        for _ in 0..200 {
            if let Some(line) = self.mailed_line(to, marker, seen) {
                return line.trim().trim_start_matches(&self.base).to_string();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} with {marker}")
    }

    /// The text of every mail sent to `to`, oldest first.
    pub fn mails_to(&self, to: &str) -> Vec<String> {
        let mut mails: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(&self.mail)
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter_map(|e| {
                        let text = std::fs::read_to_string(e.path()).ok()?;
                        let modified = e.metadata().ok()?.modified().ok()?;
                        text.lines()
                            .any(|l| l.starts_with("To: ") && l.contains(to))
                            .then_some((modified, text))
                    })
                    .collect()
            })
            .unwrap_or_default();
        mails.sort();
        mails.into_iter().map(|(_, text)| text).collect()
    }

    fn mailed_line(&self, to: &str, marker: &str, seen: usize) -> Option<String> {
        self.mails_to(to)
            .iter()
            .skip(seen)
            .rev()
            .find_map(|text| text.lines().find(|l| l.contains(marker)).map(String::from))
    }

    /// Waits until the search index holds everything appended so far.
    pub async fn indexed(&self) {
        let head = self.head().await;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        let caught_up = convene_projections::projection::wait_for(
            &self.db,
            &[convene_search::SUBSCRIBER],
            head,
            deadline,
        )
        .await;
        assert!(caught_up, "the search index never caught up");
    }

    pub async fn head(&self) -> i64 {
        convene_projections::log::EventLog::new(&self.db)
            .head()
            .await
            .expect("head")
            .position
    }
}

#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub content_type: String,
    /// Every header, by lowercase name (the last value of a repeated one).
    pub headers: std::collections::HashMap<String, String>,
    pub body: String,
    /// The body as it came (a picture's bytes).
    pub bytes: Vec<u8>,
}

impl Page {
    /// Header `name` (lowercase), or "" when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    /// The value of the first hidden `_csrf` field.
    pub fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start = self
            .body
            .find(marker)
            .map(|i| i + marker.len())
            .unwrap_or_else(|| panic!("no CSRF field in {}", self.body));
        self.body[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect()
    }
}

/// A client that behaves like a browser without JavaScript.
#[derive(Clone)]
pub struct Browser {
    pub base: String,
    language: String,
    cookies: Arc<Mutex<BTreeMap<String, String>>>,
}

impl Browser {
    async fn send(
        &self,
        method: &'static str,
        path: &str,
        form: Option<Vec<(String, String)>>,
    ) -> Page {
        let body = form.map(|fields| {
            let body: String = fields
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect::<Vec<_>>()
                .join("&");
            (
                "application/x-www-form-urlencoded".to_string(),
                body.into_bytes(),
            )
        });
        self.send_body(method, path, body).await
    }

    /// Posts `body` as it is, with its content type (a multipart form).
    pub async fn post_body(&self, path: &str, content_type: String, body: Vec<u8>) -> Page {
        self.send_body("POST", path, Some((content_type, body)))
            .await
    }

    async fn send_body(
        &self,
        method: &'static str,
        path: &str,
        body: Option<(String, Vec<u8>)>,
    ) -> Page {
        let url = format!("{}{path}", self.base);
        let cookies = self.cookies.clone();
        let language = self.language.clone();
        tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .build()
                .into();
            let cookie_header = cookies
                .lock()
                .map(|c| {
                    c.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            let mut request = ureq::http::Request::builder()
                .method(method)
                .uri(&url)
                .header("accept-language", language.as_str());
            if !cookie_header.is_empty() {
                request = request.header("cookie", cookie_header);
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
            for value in response.headers().get_all("set-cookie") {
                if let Some((pair, _)) = value.to_str().unwrap_or_default().split_once(';') {
                    if let Some((name, value)) = pair.split_once('=') {
                        if let Ok(mut jar) = cookies.lock() {
                            if value.is_empty() {
                                jar.remove(name);
                            } else {
                                jar.insert(name.to_string(), value.to_string());
                            }
                        }
                    }
                }
            }
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let location = header("location");
            let content_type = header("content-type").unwrap_or_default();
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| {
                    let value = value.to_str().unwrap_or_default().to_string();
                    (name.as_str().to_string(), value)
                })
                .collect();
            let bytes = response
                .body_mut()
                .with_config()
                .limit(64 * 1024 * 1024)
                .read_to_vec()
                .unwrap_or_default();
            Page {
                status: response.status().as_u16(),
                location,
                content_type,
                headers,
                body: String::from_utf8_lossy(&bytes).into_owned(),
                bytes,
            }
        })
        .await
        .expect("browser")
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send("GET", path, None).await
    }

    /// Sets cookie `name` (as a forger would), then opens `path`.
    pub async fn get_with_cookie(&self, path: &str, name: &str, value: &str) -> Page {
        if let Ok(mut jar) = self.cookies.lock() {
            jar.insert(name.to_string(), value.to_string());
        }
        self.get(path).await
    }

    /// Follows a mailed link as a person does: opens its page, then presses its one button
    /// (which posts the link's token).
    pub async fn press_mailed_link(&self, link: &str) -> Page {
        let page = self.get(link).await;
        assert_eq!(page.status, 200, "{link}: {}", page.body);
        // The button posts to the link's own path.
        let action = link.split('?').next().unwrap_or_default().to_string();
        assert!(
            page.body
                .contains(&format!("<form method=\"post\" action=\"{action}\">")),
            "no button on {link}: {}",
            page.body
        );
        let token = link.split("token=").nth(1).unwrap_or_default();
        self.post(&action, &page.csrf(), &[("token", token)]).await
    }

    /// Posts a form with the CSRF token of the page the form came from.
    pub async fn post(&self, path: &str, csrf: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(String, String)> = vec![("_csrf".into(), csrf.into())];
        all.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.send("POST", path, Some(all)).await
    }

    /// Registers, confirms from the mail and logs in; returns the logged-in browser.
    pub async fn member(site: &Site, email: &str, username: &str, language: &str) -> Browser {
        let browser = site.browser(language);
        let seen = site.mails_to(email).len();
        let form = browser.get("/register").await;
        let done = browser
            .post(
                "/register",
                &form.csrf(),
                &[
                    ("email", email),
                    ("password", "correct horse battery"),
                    ("username", username),
                    ("locale", language),
                ],
            )
            .await;
        assert_eq!(done.status, 200, "register: {}", done.body);
        let confirm = site
            .link_mailed_since(email, "/confirm-email?token=", seen)
            .await;
        let confirmed = browser.press_mailed_link(&confirm).await;
        assert_eq!(confirmed.status, 200, "{}", confirmed.body);
        let login = browser.get("/login").await;
        let logged = browser
            .post(
                "/login",
                &login.csrf(),
                &[
                    ("email", email),
                    ("password", "correct horse battery"),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(
            (logged.status, logged.location.as_deref()),
            (303, Some("/")),
            "log in: {}",
            logged.body
        );
        browser
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The fields of a typical event form.
pub fn event_form<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("title", "Climate march"),
        ("description", "<p>Bring <b>banners</b></p>"),
        ("begins_at", "2030-06-01T14:00"),
        ("ends_at", "2030-06-01T17:00"),
        ("time_zone", "Europe/Paris"),
        ("capacity", ""),
        ("join_mode", "free"),
        ("address_name", "Place de la République"),
        ("locality", "Paris"),
        ("country", "France"),
        ("category", "CAUSES"),
        ("tags", "climate, paris"),
        ("language", "fr"),
        ("visibility", "public"),
        ("show_seats", "on"),
        ("comments_open", "on"),
        ("publish", "now"),
    ];
    for (key, value) in overrides {
        fields.retain(|(k, _)| k != key);
        if !value.is_empty() || *key == "capacity" {
            fields.push((key, value));
        }
    }
    fields
}

/// Creates an event through the form; returns its id.
pub async fn create_event(browser: &Browser, overrides: &[(&str, &str)]) -> String {
    let form = browser.get("/events/new").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let created = browser
        .post("/events/new", &form.csrf(), &event_form(overrides))
        .await;
    assert_eq!(created.status, 303, "create: {}", created.body);
    created
        .location
        .unwrap_or_default()
        .trim_start_matches("/events/")
        .to_string()
}
