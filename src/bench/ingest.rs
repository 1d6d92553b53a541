//! The inbox half of `convene bench federation`: another instance's people post signed
//! `Create`s of public events to this instance's shared inbox from many clients at once, as a
//! busy peer would. Next to it, in the same run: the same POSTs again (each verified, then
//! answered as already received), the same bodies posted to a route that only reads them (the
//! server's raw accept rate), and verifying the signatures alone.

use super::BenchServer;
use anyhow::{bail, Context};
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use convene_federation::keys::KeyPair;
use convene_federation::signatures::{self, Received, Signer, DEFAULT_MAX_SKEW};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// The route the raw accept rate is measured on: it reads the body and answers 202.
pub const PLAIN_ACCEPT: &str = "/bench/accept";

/// What [`ingest`] measured.
pub struct Figures {
    pub posts: usize,
    pub clients: usize,
    /// From the first signed POST to the last answer.
    pub accepted: Duration,
    /// From the first signed POST until every read model had applied the events.
    pub applied: Duration,
    pub repeated: Duration,
    pub plain: Duration,
    pub verifying: Duration,
}

/// The routes to serve beside the instance: the no-op accept route.
pub fn extra_routes() -> Router {
    Router::new().route(
        PLAIN_ACCEPT,
        post(|_body: Bytes| async { StatusCode::ACCEPTED }),
    )
}

/// The other instance: `clients` people at `/users/{n}`, all publishing `public_pem`.
async fn other_instance(clients: usize, public_pem: &str) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (origin, pem) = (base.clone(), public_pem.to_string());
    let person = move |Path(n): Path<usize>| {
        let (origin, pem) = (origin.clone(), pem.clone());
        async move {
            if n >= clients {
                return StatusCode::NOT_FOUND.into_response();
            }
            let id = format!("{origin}/users/{n}");
            let document = json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": id,
                "type": "Person",
                "preferredUsername": format!("poster{n}"),
                "inbox": format!("{id}/inbox"),
                "endpoints": {"sharedInbox": format!("{origin}/inbox")},
                "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pem},
            });
            (
                [(header::CONTENT_TYPE, "application/activity+json")],
                Json(document),
            )
                .into_response()
        }
    };
    let app = Router::new().route("/users/{n}", get(person));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(base)
}

/// Person `n`'s `Create` of event `id` (`{origin}/events/{id}`), public, in Mobilizon's shape.
fn create(origin: &str, n: usize, id: &str) -> Vec<u8> {
    let actor = format!("{origin}/users/{n}");
    let event = format!("{origin}/events/{id}");
    let public = "https://www.w3.org/ns/activitystreams#Public";
    let document = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{actor}/activities/{id}"),
        "type": "Create",
        "actor": actor,
        "to": [public],
        "object": {
            "id": event,
            "type": "Event",
            "name": format!("Assembly {id}"),
            "content": "<p>Bring <b>banners</b></p>",
            "startTime": "2030-06-01T14:00:00+02:00",
            "endTime": "2030-06-01T17:00:00+02:00",
            "timezone": "Europe/Paris",
            "attributedTo": actor,
            "actor": actor,
            "url": event,
            "category": "CAUSES",
            "tag": [{"type": "Hashtag", "name": "#climate"}],
            "to": [public],
            "location": {"type": "Place", "name": "Town hall", "address": {"type": "PostalAddress", "addressLocality": "Lyon", "addressCountry": "France"}},
        },
    });
    serde_json::to_vec(&document).expect("a JSON value serialises")
}

/// One POST ready to send: its body and, when signed, its headers.
struct Prepared {
    body: Vec<u8>,
    headers: HeaderMap,
}

/// Posts each of `requests` to `url` from `clients` tasks at once (each sending its share in
/// turn); how long until the last answer. Any answer but 202 fails the run, with its reason.
async fn post_all(
    http: &reqwest::Client,
    url: &str,
    requests: &Arc<Vec<Prepared>>,
    clients: usize,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for c in 0..clients {
        let (http, url, requests) = (http.clone(), url.to_string(), requests.clone());
        tasks.push(tokio::spawn(async move {
            for request in requests.iter().skip(c).step_by(clients) {
                let response = http
                    .post(&url)
                    .headers(request.headers.clone())
                    .body(request.body.clone())
                    .send()
                    .await?;
                let status = response.status();
                if status != StatusCode::ACCEPTED {
                    bail!("{url} answered {status}: {}", response.text().await?);
                }
            }
            Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(started.elapsed())
}

/// The remote events the read models hold.
async fn remote_events(server: &BenchServer, origin: &str) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE origin_object LIKE $1")
            .bind(format!("{origin}/events/%"))
            .fetch_one(server.db.pool())
            .await?,
    )
}

/// Posts `posts` signed `Create`s of events from `clients` people of another instance (all
/// signing with `pair`) to `server`'s shared inbox, `clients` at once. `server` must serve
/// federation ([`BenchServer::serve_federated`] with [`extra_routes`]).
pub async fn ingest(
    server: &BenchServer,
    pair: &KeyPair,
    posts: usize,
    clients: usize,
) -> anyhow::Result<Figures> {
    if posts == 0 || clients == 0 {
        bail!("--posts and --clients must be at least 1");
    }
    let origin = other_instance(clients, &pair.public_pem).await?;
    let inbox = url::Url::parse(&format!("{}/inbox", server.base))?;
    let signers: Vec<Signer> = (0..clients)
        .map(|n| {
            Signer::new(
                format!("{origin}/users/{n}#main-key"),
                pair.private_pem.expose(),
            )
        })
        .collect::<Result<_, _>>()?;
    let sign = |n: usize, id: &str| {
        let body = create(&origin, n, id);
        let headers = signers[n].sign_post(&inbox, &body, SystemTime::now());
        Prepared { body, headers }
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;

    // Each person's key fetched and kept once, as a peer that has posted before.
    let warm: Arc<Vec<Prepared>> = Arc::new(
        (0..clients)
            .map(|n| sign(n, &format!("warm-{n}")))
            .collect(),
    );
    post_all(&http, inbox.as_str(), &warm, clients)
        .await
        .context("the first POST of each person")?;

    // Signed before the clock starts: a peer signs on its own side.
    let requests: Arc<Vec<Prepared>> = Arc::new(
        (0..posts)
            .map(|i| sign(i % clients, &i.to_string()))
            .collect(),
    );
    let started = Instant::now();
    let accepted = post_all(&http, inbox.as_str(), &requests, clients).await?;
    server.caught_up().await?;
    let applied = started.elapsed();
    let held = remote_events(server, &origin).await?;
    if held != (posts + clients) as i64 {
        bail!(
            "the read models hold {held} of the other instance's events, not {}",
            posts + clients
        );
    }

    let repeated = post_all(&http, inbox.as_str(), &requests, clients).await?;
    if remote_events(server, &origin).await? != held {
        bail!("an activity received twice was applied twice");
    }

    let plain: Arc<Vec<Prepared>> = Arc::new(
        requests
            .iter()
            .map(|r| Prepared {
                body: r.body.clone(),
                headers: HeaderMap::new(),
            })
            .collect(),
    );
    let plain = post_all(
        &http,
        &format!("{}{PLAIN_ACCEPT}", server.base),
        &plain,
        clients,
    )
    .await?;

    let uri: Uri = inbox.path().parse()?;
    let started = Instant::now();
    for request in requests.iter() {
        let received = Received {
            method: &Method::POST,
            uri: &uri,
            headers: &request.headers,
            body: &request.body,
            scheme: "http",
        };
        signatures::parse(&received, SystemTime::now(), DEFAULT_MAX_SKEW)
            .and_then(|s| s.verify(&pair.public_pem))
            .map_err(|e| anyhow::anyhow!("a signature of the bench's does not verify: {e}"))?;
    }
    let verifying = started.elapsed();
    Ok(Figures {
        posts,
        clients,
        accepted,
        applied,
        repeated,
        plain,
        verifying,
    })
}

impl Figures {
    /// The table and the verdict against the target of 500 accepted a second.
    pub fn print(&self) {
        let rate = |took: Duration| self.posts as f64 / took.as_secs_f64().max(1e-9);
        println!();
        println!(
            "inbox ingest: {} signed Create Event POSTs to the shared inbox from {} clients",
            self.posts, self.clients
        );
        println!(
            "{:<42} {:>10} {:>12} {:>10}",
            "what", "count", "per second", "seconds"
        );
        let row = |what: &str, took: Duration| {
            println!(
                "{what:<42} {:>10} {:>12.0} {:>10.2}",
                self.posts,
                rate(took),
                took.as_secs_f64()
            );
        };
        row("ingest: signed Creates accepted (202)", self.accepted);
        row("  ... and applied by every read model", self.applied);
        row("the same POSTs again (verified, seen)", self.repeated);
        row("plain POSTs to a route that reads them", self.plain);
        row("verifying alone (one core)", self.verifying);
        println!();
        let accepted = rate(self.accepted);
        println!(
            "ingest / plain POSTs: {:.2}x the time; target: at least 500 accepted a second: {}",
            self.accepted.as_secs_f64() / self.plain.as_secs_f64().max(1e-9),
            if accepted >= 500.0 { "met" } else { "NOT met" }
        );
    }
}
