//! `GET /api/v1/search/events` over real HTTP, with the search subscriber running.

use crate::support::{create_event, member, profile, Options, TestServer};
use convene_projections::scratch::test_urls;
use convene_search::SearchSubscriber;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn search_server(scratch: &convene_projections::scratch::Scratch) -> TestServer {
    let options = Options {
        more_subscribers: vec![Arc::new(SearchSubscriber::embedded())],
        ..Options::default()
    };
    TestServer::start_with(scratch, options).await
}

/// Waits until /healthz shows the search index caught up with the log.
async fn indexed(server: &TestServer) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let head = server.head().await;
    loop {
        let health = server.client().get("/healthz").await;
        let search = health.json["projections"]
            .as_array()
            .and_then(|all| all.iter().find(|p| p["name"] == "search").cloned())
            .unwrap_or_default();
        if search["checkpoint"] == head && search["lag"] == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{}: search never caught up: {search}",
            server.label
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn public_events_are_found_with_marked_words_totals_and_facets() {
    for scratch in test_urls("search_events").await {
        let server = search_server(&scratch).await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        create_event(&ana, json!({"title": "Climate march <now>"})).await;
        create_event(
            &ana,
            json!({"title": "Climate private dinner", "visibility": "private"}),
        )
        .await;
        create_event(&ana, json!({"title": "Climate draft", "draft": true})).await;
        create_event(&ana, json!({"title": "Fête du vélo", "category": "SPORTS", "online_url": "https://visio.example/v", "address": null}))
            .await;
        indexed(&server).await;
        let client = server.client();

        let found = client.get("/api/v1/search/events?q=climat%20marhc").await;
        assert_eq!(found.status, 200, "{}: {}", server.label, found.text);
        assert_eq!(found.json["total"], 1, "{}: {}", server.label, found.text);
        assert_eq!(
            found.json["hits"][0]["title_html"],
            "<mark>Climate</mark> <mark>march</mark> &lt;now&gt;"
        );
        assert_eq!(found.json["facets"]["origin"]["local"], 1);

        let all = client.get("/api/v1/search/events").await;
        assert_eq!(all.json["total"], 2, "{}: {}", server.label, all.text);
        assert_eq!(all.json["facets"]["online"]["online"], 1);
        let fete = client
            .get("/api/v1/search/events?q=fete&online=true&category=SPORTS")
            .await;
        assert_eq!(fete.json["total"], 1, "{}", fete.text);
        let near = client
            .get("/api/v1/search/events?near=48.8566,2.3522&radius_km=5&sort=date")
            .await;
        assert_eq!(near.json["total"], 1, "{}", near.text);
        assert!(near.json["hits"][0]["distance_km"].as_f64().is_some());

        for odd in ["%22climate", "-march", "*", "climate%3Amarch", "'", "(("] {
            let response = client.get(&format!("/api/v1/search/events?q={odd}")).await;
            assert_eq!(response.status, 200, "{odd}: {}", response.text);
        }
        let past = client.get("/api/v1/search/events?q=march&page=50").await;
        assert_eq!((past.status, past.json["total"].clone()), (200, json!(1)));
        assert_eq!(past.json["hits"], json!([]));
    }
}

#[tokio::test]
async fn bad_parameters_are_422s_naming_them() {
    for scratch in test_urls("search_bad_parameters").await {
        let server = search_server(&scratch).await;
        let client = server.client();
        let long = "a".repeat(10_000);
        for (query, field) in [
            ("colour=red", "colour"),
            ("radius_km=5", "radius_km"),
            ("near=48,2&radius_km=-1", "radius_km"),
            ("near=48,2&radius_km=99999999", "radius_km"),
            ("near=95,2", "near"),
            ("near=45,200", "near"),
            ("from=2030-02-01&to=2030-01-01", "to"),
            (&format!("q={long}"), "q"),
            ("page=0", "page"),
            ("per_page=500", "per_page"),
            ("origin=mars", "origin"),
            ("sort=distance", "sort"),
        ] {
            let response = client.get(&format!("/api/v1/search/events?{query}")).await;
            assert_eq!(
                response.status, 422,
                "{}: {query}: {}",
                server.label, response.text
            );
            assert_eq!(response.content_type, "application/problem+json");
            assert_eq!(response.json["errors"][0]["field"], field, "{query}");
        }
    }
}

#[tokio::test]
async fn search_answers_503_within_bounds_when_meilisearch_is_down_and_the_rest_works() {
    // Nothing listens on this port: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let down =
        convene_search::Meili::new(&format!("http://127.0.0.1:{port}"), Some("key"), "events")
            .expect("client");
    for scratch in test_urls("search_meilisearch_down").await {
        let options = Options {
            search: Some(Arc::new(down.clone())),
            ..Options::default()
        };
        let server = TestServer::start_with(&scratch, options).await;
        let client = server.client();
        let started = Instant::now();
        let response = client.get("/api/v1/search/events?q=climate").await;
        assert_eq!(response.status, 503, "{}: {}", server.label, response.text);
        assert_eq!(response.content_type, "application/problem+json");
        assert_eq!(response.json["type"], "/problems/unavailable");
        assert!(started.elapsed() < convene_search::meili::SEARCH_TIMEOUT + Duration::from_secs(2));
        assert_eq!(
            client.get("/api/v1/events").await.status,
            200,
            "the rest works"
        );
        assert_eq!(client.get("/healthz").await.status, 200);
    }
}

#[tokio::test]
async fn public_groups_are_found_by_their_own_query_and_bad_parameters_named() {
    for scratch in test_urls("search_groups").await {
        let server = search_server(&scratch).await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        for (handle, name, visibility) in [
            ("repair", "Repair <café>", "public"),
            ("circle", "Repair circle", "unlisted"),
        ] {
            let body = json!({
                "handle": handle, "display_name": name, "visibility": visibility,
                "summary": "<p>We fix bikes in Montreuil</p>",
                "address": {"locality": "Montreuil", "latitude": 48.8566, "longitude": 2.3522},
            });
            let created = ana.post("/api/v1/groups", body).await;
            assert_eq!(created.status, 201, "{}: {}", server.label, created.text);
        }
        indexed(&server).await;
        let client = server.client();

        let found = client.get("/api/v1/search/groups?q=repiar").await;
        assert_eq!(found.status, 200, "{}: {}", server.label, found.text);
        assert_eq!(
            found.json["total"], 1,
            "{}: unlisted never found: {}",
            server.label, found.text
        );
        assert_eq!(found.json["hits"][0]["id"], "repair");
        assert_eq!(
            found.json["hits"][0]["name_html"],
            "<mark>Repair</mark> &lt;café&gt;"
        );
        assert_eq!(found.json["hits"][0]["members"], 1);
        let near = client
            .get("/api/v1/search/groups?near=48.8566,2.4&radius_km=5")
            .await;
        assert_eq!(near.json["total"], 1, "{}", near.text);
        assert!(near.json["hits"][0]["distance_km"].as_f64().is_some());
        let far = client
            .get("/api/v1/search/groups?near=45.76,4.83&radius_km=5")
            .await;
        assert_eq!(far.json["total"], 0, "{}", far.text);

        for (query, field) in [
            ("colour=red", "colour"),
            ("category=MUSIC", "category"),
            ("radius_km=5", "radius_km"),
            ("near=95,2", "near"),
            ("page=0", "page"),
            ("per_page=500", "per_page"),
        ] {
            let response = client.get(&format!("/api/v1/search/groups?{query}")).await;
            assert_eq!(
                response.status, 422,
                "{}: {query}: {}",
                server.label, response.text
            );
            assert_eq!(response.content_type, "application/problem+json");
            assert_eq!(response.json["errors"][0]["field"], field, "{query}");
        }
    }
}
