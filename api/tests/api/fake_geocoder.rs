//! A geocoder on 127.0.0.1 answering as Nominatim (`/search`), Photon (`/api/`) and Addok
//! (`/search/`) do, from a few places, and keeping what it was asked. "slow" is answered after
//! five seconds. Shared by the API's and the pages' tests.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A request the fake geocoder received: its text, its User-Agent, when.
#[derive(Debug, Clone)]
pub struct Asked {
    pub q: String,
    pub user_agent: String,
    pub at: Instant,
}

#[derive(Clone, Default)]
pub struct FakeGeocoder {
    pub base: String,
    asked: Arc<Mutex<Vec<Asked>>>,
}

/// (words to match, name, housenumber, street, postcode, city, state, country, lat, lon)
type Known = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
);

const PLACES: &[Known] = &[
    (
        "10 rue jangot lyon",
        None,
        Some("10"),
        Some("Rue Jangot"),
        Some("69007"),
        "Lyon",
        "Auvergne-Rhône-Alpes",
        "France",
        45.7775264,
        4.8425657,
    ),
    (
        "lyon",
        Some("Lyon"),
        None,
        None,
        None,
        "Lyon",
        "Auvergne-Rhône-Alpes",
        "France",
        45.7578137,
        4.8320114,
    ),
    (
        "lyon",
        Some("Lyon"),
        None,
        None,
        None,
        "Lyon",
        "Mississippi",
        "United States",
        34.2176,
        -90.5412,
    ),
    (
        "times square",
        Some("Times Square"),
        None,
        Some("7th Avenue"),
        Some("10036"),
        "New York",
        "New York",
        "United States",
        40.7570095,
        -73.9859724,
    ),
];

fn matching(q: &str) -> Vec<&'static Known> {
    let q = q.trim().to_lowercase().replace(',', "");
    PLACES.iter().filter(|p| q.contains(p.0)).collect()
}

fn point(p: &Known) -> Value {
    json!({"type": "Point", "coordinates": [p.9, p.8]})
}

impl FakeGeocoder {
    pub async fn start() -> FakeGeocoder {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let fake = FakeGeocoder {
            base: format!("http://{}", listener.local_addr().expect("address")),
            ..FakeGeocoder::default()
        };
        let app = Router::new()
            .route("/search", get(nominatim))
            .route("/api/", get(photon))
            .route("/search/", get(addok))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    /// Everything asked so far.
    pub fn asked(&self) -> Vec<Asked> {
        self.asked.lock().expect("asked").clone()
    }

    async fn record(&self, params: &HashMap<String, String>, headers: &HeaderMap) -> String {
        let q = params.get("q").cloned().unwrap_or_default();
        self.asked.lock().expect("asked").push(Asked {
            q: q.clone(),
            user_agent: headers
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
            at: Instant::now(),
        });
        if q == "slow" {
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        q
    }
}

async fn nominatim(
    State(fake): State<FakeGeocoder>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Json<Value> {
    assert_eq!(
        params.get("format").map(String::as_str),
        Some("geocodejson")
    );
    let q = fake.record(&params, &headers).await;
    let features: Vec<Value> = matching(&q)
        .into_iter()
        .map(|p| {
            let label = [p.1, p.3, p.4, Some(p.5), Some(p.6), Some(p.7)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            json!({"type": "Feature", "properties": {"geocoding": {
                "osm_type": "node", "osm_id": 1, "type": "house", "label": label, "name": p.1,
                "housenumber": p.2, "street": p.3, "postcode": p.4, "city": p.5, "state": p.6,
                "country": p.7}}, "geometry": point(p)})
        })
        .collect();
    Json(
        json!({"type": "FeatureCollection", "geocoding": {"version": "0.1.0", "licence": "ODbL", "query": q}, "features": features}),
    )
}

async fn photon(
    State(fake): State<FakeGeocoder>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Json<Value> {
    let q = fake.record(&params, &headers).await;
    let features: Vec<Value> = matching(&q)
        .into_iter()
        .map(|p| {
            json!({"type": "Feature", "geometry": point(p), "properties": {"osm_id": 1,
                "osm_type": "N", "name": p.1, "housenumber": p.2, "street": p.3, "postcode": p.4,
                "city": p.5, "state": p.6, "country": p.7, "countrycode": "FR", "type": "house"}})
        })
        .collect();
    Json(json!({"type": "FeatureCollection", "features": features}))
}

async fn addok(
    State(fake): State<FakeGeocoder>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Json<Value> {
    let q = fake.record(&params, &headers).await;
    let features: Vec<Value> = matching(&q)
        .into_iter()
        .filter(|p| p.7 == "France")
        .map(|p| {
            let kind = if p.2.is_some() {
                "housenumber"
            } else {
                "municipality"
            };
            let street =
                p.3.map(|s| format!("{} {s} ", p.2.unwrap_or_default()))
                    .unwrap_or_default();
            let label = format!("{street}{}", p.5);
            json!({"type": "Feature", "geometry": point(p), "properties": {
                "label": label.trim(),
                "score": 0.9, "type": kind, "name": p.1.unwrap_or(p.5), "housenumber": p.2,
                "street": p.3, "postcode": p.4.unwrap_or("69001"), "city": p.5,
                "context": format!("69, Rhône, {}", p.6)}})
        })
        .collect();
    Json(
        json!({"type": "FeatureCollection", "version": "draft", "attribution": "BAN", "licence": "ETALAB-2.0", "query": q, "features": features}),
    )
}
