//! The API over real HTTP on 127.0.0.1, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.

use convene_api::{router, AppState};
use convene_domain::{Actor, Metadata, Profile, ProfileCommand, Source};
use convene_projections::scratch::test_databases;
use convene_projections::{all_projections, Commands, Database, Runner};
use serde_json::Value;

/// Serves the API on an ephemeral loopback port; returns its base URL.
async fn serve(db: &Database) -> String {
    let state = AppState {
        db: db.clone(),
        projections: all_projections().iter().map(|p| p.name()).collect(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router(state)).await });
    format!("http://{address}")
}

/// GET `url`: status, content type, request id and JSON body.
async fn get(url: String) -> (u16, String, Option<String>, Value) {
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = agent.get(&url).call().expect("request");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type").unwrap_or_default();
        let request_id = header("x-request-id");
        let body = response.body_mut().read_json().unwrap_or(Value::Null);
        (response.status().as_u16(), content_type, request_id, body)
    })
    .await
    .expect("client")
}

async fn create_alice(db: &Database) {
    let commands = Commands::<Profile>::new(db, ());
    let command = ProfileCommand::Create {
        username: "alice".into(),
        display_name: Some("Alice Liddell".into()),
        account: None,
    };
    let metadata = Metadata::now(Actor::System, Source::Cli, "test");
    commands
        .execute("alice", command, &metadata)
        .await
        .expect("create");
}

#[tokio::test]
async fn healthz_reports_the_last_position_and_each_projections_lag() {
    for (url, db) in test_databases("healthz").await {
        create_alice(&db).await;
        let base = serve(&db).await;
        let (status, _, request_id, body) = get(format!("{base}/healthz")).await;
        assert_eq!(status, 200, "{}", url.label);
        assert!(
            request_id.is_some_and(|id| id.len() == 36),
            "every response carries a request id"
        );
        assert_eq!(body["last_position"], 1);
        assert_eq!(body["projections"][0]["name"], "profiles");
        assert_eq!(
            body["projections"][0]["lag"], 1,
            "{}: nothing applied yet",
            url.label
        );

        for projection in all_projections() {
            Runner::new(projection, &db)
                .catch_up(1, &mut |_| {})
                .await
                .expect("apply");
        }
        let (_, _, _, body) = get(format!("{base}/healthz")).await;
        assert_eq!(body["projections"][0]["checkpoint"], 1);
        assert_eq!(body["projections"][0]["lag"], 0, "{}", url.label);
    }
}

#[tokio::test]
async fn a_profile_is_read_from_its_read_model() {
    for (url, db) in test_databases("profile_read").await {
        create_alice(&db).await;
        for projection in all_projections() {
            Runner::new(projection, &db)
                .catch_up(1, &mut |_| {})
                .await
                .expect("apply");
        }
        let base = serve(&db).await;
        let (status, content_type, _, body) = get(format!("{base}/api/v1/profiles/alice")).await;
        assert_eq!(status, 200, "{}", url.label);
        assert_eq!(content_type, "application/json");
        assert_eq!(body["username"], "alice");
        assert_eq!(body["display_name"], "Alice Liddell");
        assert!(body["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')));
    }
}

#[tokio::test]
async fn unknown_profiles_and_paths_are_problem_json_404s() {
    for (url, db) in test_databases("profile_missing").await {
        let base = serve(&db).await;
        for (path, detail) in [
            ("/api/v1/profiles/nobody", "there is no profile @nobody"),
            ("/no/such/page", "nothing is served at /no/such/page"),
        ] {
            let (status, content_type, _, body) = get(format!("{base}{path}")).await;
            assert_eq!(status, 404, "{}: {path}", url.label);
            assert_eq!(content_type, "application/problem+json");
            assert_eq!(body["type"], "/problems/not-found");
            assert_eq!(body["status"], 404);
            assert_eq!(body["detail"], detail);
        }
    }
}
