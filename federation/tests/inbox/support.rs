//! Two sides on 127.0.0.1: a Convene instance with its inbox (the pages, the API and federation
//! as `convene serve` assembles them, its read models running, its client on the test network),
//! and a remote server that serves actor documents and objects and signs what it posts.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use convene_api::mail::Mailer;
use convene_api::throttle::Limits;
use convene_api::{ApiConfig, AppState, Registrations};
use convene_federation::admin::Resolver;
use convene_federation::client::{Client, FetchSigner, Limits as ClientLimits, Network};
use convene_federation::discovery::nodeinfo::InstanceInfo;
use convene_federation::http::Federation;
use convene_federation::inbox::{self, Inbox, RemoteActors};
use convene_federation::signatures::{PrivateKey, Signer};
use convene_projections::scratch::Scratch;
use convene_projections::{read_models, Database, Subscribers};
use convene_web::render::Pages;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio_util::sync::CancellationToken;
use url::Url;

pub const ALICE_KEY: &str = include_str!("../keys/alice.key.pem");
pub const ALICE_PUB: &str = include_str!("../keys/alice.pub.pem");
pub const BOB_KEY: &str = include_str!("../keys/bob.key.pem");
pub const BOB_PUB: &str = include_str!("../keys/bob.pub.pem");

pub struct Local {
    pub base: String,
    pub db: Database,
    /// The application as the server runs it (its resolvers included).
    pub state: AppState,
    pub label: &'static str,
    _folder: tempfile::TempDir,
    shutdown: CancellationToken,
    serving: tokio::task::JoinHandle<()>,
}

impl Drop for Local {
    fn drop(&mut self) {
        self.shutdown.cancel();
        self.serving.abort();
    }
}

impl Local {
    pub async fn start(scratch: &Scratch) -> Local {
        Self::start_limited(scratch, Limits::off()).await
    }

    /// [`Local::start`] with the rate `limits` a real instance keeps.
    pub async fn start_limited(scratch: &Scratch, limits: Limits) -> Local {
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter("warn")
            .try_init();
        let db = Database::open(&scratch.url).await.expect("database");
        let folder = tempfile::tempdir().expect("mail folder");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let config = ApiConfig {
            public_url: base.clone(),
            mailer: Arc::new(
                Mailer::to_folder("Convene <noreply@127.0.0.1>", &folder.path().join("mail"))
                    .expect("mailer"),
            ),
            registrations: Registrations::Open,
            limits,
            trusted_proxies: Vec::new(),
            http_limits: Default::default(),
            hashing: Default::default(),
            pictures: convene_api::pictures::PictureConfig::in_folder(
                folder.path().join("pictures"),
            ),
        };
        let limits = config.http_limits;
        let subscribers = Subscribers::new(read_models());
        let state = AppState::new(&db, config, subscribers.clone());
        let shutdown = CancellationToken::new();
        subscribers.spawn(&db, &shutdown);
        let pages = Arc::new(Pages::new().expect("templates"));
        let instance = InstanceInfo {
            name: "Test instance".into(),
            description: String::new(),
            open_registrations: true,
        };
        let federation = Federation::new(&db, &base, instance).expect("federation");
        let client = Client::new(
            &Url::parse(&base).expect("URL"),
            Network::TestLoopback,
            ClientLimits::default(),
        )
        .expect("client")
        .signing_fetches(FetchSigner::instance(&db, &base));
        let resolver = Arc::new(Resolver {
            client: client.clone(),
            actors: RemoteActors::new(&db, client.clone()),
            db: db.clone(),
            public_url: base.clone(),
        });
        let state = state
            .with_instance_resolver(resolver.clone())
            .with_actor_resolver(resolver);
        let inbox = Inbox::new(state.clone(), federation.clone(), client);
        let federation = federation.verifying_fetches(inbox.actors.clone());
        let pages = convene_web::app(state.clone(), pages)
            .merge(convene_api::http::with_layers(inbox::routes(inbox), limits));
        let app = convene_federation::http::app(pages, federation, |routes| {
            convene_api::http::with_layers(routes, limits)
        })
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let serving = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Local {
            base,
            db,
            state,
            label: scratch.label,
            _folder: folder,
            shutdown,
            serving,
        }
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = reqwest::get(format!("{}{path}", self.base))
            .await
            .expect("the instance answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }
}

/// What the remote server serves, by path, and the GETs it was sent (path and headers).
#[derive(Clone, Default)]
struct Served {
    documents: Arc<Mutex<HashMap<String, Value>>>,
    asked: Arc<Mutex<Vec<(String, HeaderMap)>>>,
}

/// A remote server: actor documents and objects, as ActivityStreams.
pub struct Remote {
    pub base: String,
    served: Served,
    serving: tokio::task::JoinHandle<()>,
}

impl Drop for Remote {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

async fn serve_document(
    State(served): State<Served>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    served
        .asked
        .lock()
        .expect("requests")
        .push((format!("/{path}"), headers));
    let found = served
        .documents
        .lock()
        .expect("documents")
        .get(&path)
        .cloned();
    match found {
        Some(document) => (
            [(header::CONTENT_TYPE, "application/activity+json")],
            document.to_string(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

impl Remote {
    pub async fn start() -> Remote {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let served = Served::default();
        let app = Router::new()
            .route("/{*path}", get(serve_document))
            .with_state(served.clone());
        let serving = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Remote {
            base,
            served,
            serving,
        }
    }

    /// The GETs sent to the server so far: path and headers.
    pub fn asked(&self) -> Vec<(String, HeaderMap)> {
        self.served.asked.lock().expect("requests").clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    pub fn serve(&self, path: &str, document: Value) {
        self.served
            .documents
            .lock()
            .expect("documents")
            .insert(path.to_string(), document);
    }

    /// Adds `key: value` to the document served at `path`.
    pub fn amend(&self, path: &str, key: &str, value: Value) {
        let mut documents = self.served.documents.lock().expect("documents");
        if let Some(document) = documents.get_mut(path) {
            document[key] = value;
        }
    }

    /// Serves the `Person` `users/{name}` with `public_pem`; returns its id.
    pub fn person(&self, name: &str, public_pem: &str) -> String {
        self.actor("Person", &format!("users/{name}"), name, public_pem)
    }

    /// Serves an actor of type `kind` at `path`, named `name`, with `public_pem`; returns its id.
    pub fn actor(&self, kind: &str, path: &str, name: &str, public_pem: &str) -> String {
        let id = self.url(path);
        self.serve(
            path,
            json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": id,
                "type": kind,
                "preferredUsername": name,
                "name": format!("{name} on the other side"),
                "inbox": format!("{id}/inbox"),
                "endpoints": {"sharedInbox": self.url("inbox")},
                "url": id,
                "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": public_pem},
            }),
        );
        id
    }
}

/// An Event object of `actor`'s, with id `{origin}/events/{n}`.
pub fn event(actor: &str, n: u32, title: &str) -> Value {
    let origin = actor.rsplit_once("/users/").map_or(actor, |(o, _)| o);
    let id = format!("{origin}/events/{n}");
    json!({
        "id": id,
        "type": "Event",
        "name": title,
        "content": "<p>Bring <b>banners</b><script>alert(1)</script></p>",
        "startTime": "2030-06-01T14:00:00+02:00",
        "endTime": "2030-06-01T17:00:00+02:00",
        "timezone": "Europe/Paris",
        "actor": actor,
        "attributedTo": actor,
        "url": format!("{id}/page"),
        "category": "CAUSES",
        "tag": [{"type": "Hashtag", "name": "#climate"}],
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [],
        "location": {"type": "Place", "name": "Town hall", "address": {"type": "PostalAddress", "streetAddress": "1 Main Street", "addressLocality": "Lyon", "addressCountry": "France"}},
    })
}

/// An activity of `actor`'s about `object`, with id `{actor}/activities/{n}`.
pub fn activity(kind: &str, actor: &str, n: u32, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}/activities/{n}"),
        "type": kind,
        "actor": actor,
        "object": object,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    })
}

/// How a test request is signed.
pub enum Signing<'a> {
    /// draft-cavage `rsa-sha256`, as Mastodon signs (our own signer).
    Cavage {
        key_id: &'a str,
        key: &'a str,
    },
    /// draft-cavage with `algorithm="hs2019"`, as newer Mastodon and Misskey write it.
    Hs2019 {
        key_id: &'a str,
        key: &'a str,
    },
    /// RFC 9421, as Fedify signs first.
    Rfc9421 {
        key_id: &'a str,
        key: &'a str,
    },
    Unsigned,
}

/// Posts `body` to `{local}{path}` signed as told, at `date`; the status and body answered.
pub async fn post(
    local: &Local,
    path: &str,
    body: &[u8],
    signing: Signing<'_>,
    date: SystemTime,
) -> (u16, String) {
    let url = Url::parse(&format!("{}{path}", local.base)).expect("URL");
    let headers = match signing {
        Signing::Cavage { key_id, key } => signer(key_id, key).sign_post(&url, body, date),
        Signing::Hs2019 { key_id, key } => {
            let mut headers = signer(key_id, key).sign_post(&url, body, date);
            let signature = headers["signature"].to_str().expect("ASCII").to_string();
            let renamed = signature.replace("algorithm=\"rsa-sha256\"", "algorithm=\"hs2019\"");
            assert_ne!(signature, renamed, "the signature names its algorithm");
            headers.insert("signature", renamed.parse().expect("header"));
            headers
        }
        Signing::Rfc9421 { key_id, key } => rfc9421(&url, body, date, key_id, key),
        Signing::Unsigned => {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                "application/activity+json".parse().expect("header"),
            );
            headers
        }
    };
    send(url, headers, body.to_vec()).await
}

pub async fn send(url: Url, headers: HeaderMap, body: Vec<u8>) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(url)
        .headers(headers)
        .body(body)
        .send()
        .await
        .expect("the instance answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// GETs `{local}{path}` as ActivityStreams, signed with `key` under `key_id` when given (a
/// signed fetch, `(request-target) host date`); the status and body answered.
pub async fn signed_get(local: &Local, path: &str, signing: Option<(&str, &str)>) -> (u16, String) {
    let url = Url::parse(&format!("{}{path}", local.base)).expect("URL");
    let mut headers = match signing {
        Some((key_id, key)) => signer(key_id, key).sign_get(&url, SystemTime::now()),
        None => HeaderMap::new(),
    };
    headers.insert(
        header::ACCEPT,
        "application/activity+json".parse().expect("header"),
    );
    let response = reqwest::Client::new()
        .get(url)
        .headers(headers)
        .send()
        .await
        .expect("the instance answers");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

pub fn signer(key_id: &str, key: &str) -> Signer {
    Signer::new(key_id, key).expect("the test key parses")
}

/// An RFC 9421 signature over `@method`, `@target-uri` and `content-digest`, as Fedify sends.
fn rfc9421(url: &Url, body: &[u8], date: SystemTime, key_id: &str, key: &str) -> HeaderMap {
    let digest = format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)));
    let created = date
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let params = format!(
        "(\"@method\" \"@target-uri\" \"content-digest\");alg=\"rsa-v1_5-sha256\";keyid=\"{key_id}\";created={created}"
    );
    let base = format!(
        "\"@method\": POST\n\"@target-uri\": {url}\n\"content-digest\": {digest}\n\"@signature-params\": {params}"
    );
    let key = PrivateKey::from_pkcs8_pem(key).expect("the test key parses");
    let signature = STANDARD.encode(key.sign(base.as_bytes()));
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, value.parse().expect("header"));
    };
    set("content-type", "application/activity+json".into());
    set("date", httpdate::fmt_http_date(date));
    set("content-digest", digest);
    set("signature-input", format!("sig1={params}"));
    set("signature", format!("sig1=:{signature}:"));
    headers
}
