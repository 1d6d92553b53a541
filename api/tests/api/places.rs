//! `GET /api/v1/places`: places known here without a geocoder, and each geocoder's answers
//! through a fake one on 127.0.0.1 (rate-limited, cached, bounded in time).

use crate::fake_geocoder::FakeGeocoder;
use crate::support::{create_event, member, profile, Options, TestServer};
use convene_api::places::{GeocoderConfig, HttpGeocoder, Service};
use convene_projections::scratch::test_urls;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn with_geocoder(
    scratch: &convene_projections::scratch::Scratch,
    fake: &FakeGeocoder,
    service: Service,
) -> TestServer {
    let mut config = GeocoderConfig::new(service, &fake.base, "https://events.example.org");
    config.timeout = Duration::from_secs(2);
    let options = Options {
        geocoder: Some(Arc::new(HttpGeocoder::new(config).expect("geocoder"))),
        ..Options::default()
    };
    TestServer::start_with(scratch, options).await
}

fn fields(json: &serde_json::Value) -> Vec<String> {
    json["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn without_a_geocoder_places_are_the_localities_of_public_events_and_groups() {
    for scratch in test_urls("places_known").await {
        let server = TestServer::start(&scratch, Default::default()).await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        for (lat, lon) in [(45.76, 4.83), (45.78, 4.85)] {
            create_event(
                &ana,
                json!({"address": {"locality": "Lyon", "country": "France", "latitude": lat, "longitude": lon}}),
            )
            .await;
        }
        // Neither a private event's place nor one without coordinates is known.
        create_event(
            &ana,
            json!({"visibility": "private", "address": {"locality": "Lyons-la-Forêt", "country": "France", "latitude": 49.4, "longitude": 1.47}}),
        )
        .await;
        create_event(&ana, json!({"address": {"locality": "Lyonnais"}})).await;
        let in_evry = create_event(
            &ana,
            json!({"address": {"locality": "Évry", "country": "France", "latitude": 48.63, "longitude": 2.44}}),
        )
        .await;
        let group = ana
            .post(
                "/api/v1/groups",
                json!({"handle": "velo", "display_name": "Vélo",
                       "address": {"locality": "Lyon", "country": "United States", "latitude": 34.2, "longitude": -90.5}}),
            )
            .await;
        assert_eq!(group.status, 201, "{}", group.text);
        let client = server.client();

        let found = client.get("/api/v1/places?q=lyon").await;
        assert_eq!(found.status, 200, "{}: {}", server.label, found.text);
        assert_eq!(found.json["source"], "known");
        let places = found.json["places"].as_array().cloned().unwrap_or_default();
        assert_eq!(places.len(), 2, "{}: {}", server.label, found.text);
        // The most used first; the mean of its events' coordinates.
        assert_eq!(places[0]["label"], "Lyon, France");
        assert!((places[0]["latitude"].as_f64().unwrap_or(0.0) - 45.77).abs() < 1e-9);
        assert!((places[0]["longitude"].as_f64().unwrap_or(0.0) - 4.84).abs() < 1e-9);
        assert_eq!(places[1]["label"], "Lyon, United States");

        // Accents and case aside, and a beginning is enough.
        let evry = client.get("/api/v1/places?q=EVR").await;
        assert_eq!(evry.json["places"][0]["locality"], "Évry", "{}", evry.text);
        let nothing = client.get("/api/v1/places?q=Atlantis").await;
        assert_eq!(nothing.status, 200);
        assert_eq!(nothing.json["places"], json!([]));

        // The places are kept between lookups, but never past a change: a deleted event's
        // place goes, a new one's comes, at once.
        let id = in_evry["id"].as_str().unwrap_or_default();
        let deleted = ana.delete(&format!("/api/v1/events/{id}")).await;
        assert_eq!(deleted.status, 204, "{}", deleted.text);
        let evry = client.get("/api/v1/places?q=EVR").await;
        assert_eq!(evry.json["places"], json!([]), "{}", server.label);
        create_event(
            &ana,
            json!({"address": {"locality": "Grenoble", "latitude": 45.19, "longitude": 5.72}}),
        )
        .await;
        let grenoble = client.get("/api/v1/places?q=gren").await;
        assert_eq!(
            grenoble.json["places"][0]["locality"], "Grenoble",
            "{}",
            server.label
        );
    }
}

#[tokio::test]
async fn a_bad_lookup_is_refused_naming_the_parameter() {
    for scratch in test_urls("places_bad").await {
        let server = TestServer::start(&scratch, Default::default()).await;
        let client = server.client();
        for (query, named) in [
            ("", vec!["q"]),
            ("q=", vec!["q"]),
            ("q=%20%20", vec!["q"]),
            (&format!("q={}", "a".repeat(201)), vec!["q"]),
            ("q=Ly%07on", vec!["q"]),
            ("q=Lyon&lang=fr-FR-x", vec!["lang"]),
            ("q=Lyon&near=1,2", vec!["near"]),
        ] {
            let refused = client.get(&format!("/api/v1/places?{query}")).await;
            assert_eq!(refused.status, 422, "{query}: {}", refused.text);
            assert_eq!(fields(&refused.json), named, "{query}: {}", refused.text);
        }
    }
}

#[tokio::test]
async fn the_geocoder_is_asked_once_a_second_and_its_answers_kept() {
    let fake = FakeGeocoder::start().await;
    for scratch in test_urls("places_nominatim").await {
        let server = with_geocoder(&scratch, &fake, Service::Nominatim).await;
        let client = server.client();
        let asked = fake.asked().len();
        let found = client
            .get("/api/v1/places?q=10%20rue%20Jangot%20Lyon")
            .await;
        assert_eq!(found.status, 200, "{}", found.text);
        assert_eq!(found.json["source"], "geocoder");
        let place = &found.json["places"][0];
        assert_eq!(place["street"], "10 Rue Jangot");
        assert_eq!(place["postal_code"], "69007");
        assert_eq!(place["locality"], "Lyon");
        assert_eq!(place["latitude"], 45.7775264);

        // The same question again is answered without asking.
        let again = client.get("/api/v1/places?q=10+rue+jangot+lyon").await;
        assert_eq!(again.json, found.json);
        let lyon = client.get("/api/v1/places?q=Lyon&lang=fr").await;
        assert_eq!(lyon.json["places"].as_array().map(Vec::len), Some(2));
        let asked: Vec<_> = fake.asked().split_off(asked);
        assert_eq!(asked.len(), 2, "{asked:?}");
        assert_eq!(asked[0].q, "10 rue Jangot Lyon");
        // A second apart (as they arrive: the first may take longer to connect), and naming
        // the instance.
        let gap = asked[1].at.duration_since(asked[0].at);
        assert!(gap >= Duration::from_millis(900), "{gap:?}");
        assert!(
            asked[0].user_agent.contains("https://events.example.org"),
            "{:?}",
            asked[0]
        );
    }
}

#[tokio::test]
async fn a_slow_geocoder_is_a_clear_503_in_bounded_time_and_blocks_nothing_else() {
    let fake = FakeGeocoder::start().await;
    for scratch in test_urls("places_slow").await {
        let server = with_geocoder(&scratch, &fake, Service::Nominatim).await;
        let client = server.client();
        let started = Instant::now();
        let lookup = {
            let client = server.client();
            tokio::spawn(async move { client.get("/api/v1/places?q=slow").await })
        };
        // Meanwhile the rest answers at once.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let health = client.get("/healthz").await;
        assert_eq!(health.status, 200);
        assert!(started.elapsed() < Duration::from_millis(900));
        let refused = lookup.await.expect("lookup");
        assert_eq!(refused.status, 503, "{}", refused.text);
        assert!(
            refused.json["detail"]
                .as_str()
                .is_some_and(|d| d.contains("does not answer")),
            "{}",
            refused.text
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn photon_and_addok_are_read_in_their_own_shapes() {
    let fake = FakeGeocoder::start().await;
    for scratch in test_urls("places_services").await {
        for (service, label) in [
            (Service::Photon, "10 Rue Jangot, 69007 Lyon, France"),
            (Service::Addok, "10 Rue Jangot Lyon"),
        ] {
            let server = with_geocoder(&scratch, &fake, service).await;
            let found = server
                .client()
                .get("/api/v1/places?q=10%20rue%20jangot%20lyon")
                .await;
            assert_eq!(found.status, 200, "{service:?}: {}", found.text);
            let place = &found.json["places"][0];
            assert_eq!(place["label"], label, "{service:?}: {}", found.text);
            assert_eq!(place["street"], "10 Rue Jangot");
            assert_eq!(place["locality"], "Lyon");
            assert_eq!(place["country"], "France");
            assert_eq!(place["longitude"], 4.8425657);
        }
    }
}
