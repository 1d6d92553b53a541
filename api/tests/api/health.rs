use crate::servers;
use crate::support::member;

#[tokio::test]
async fn healthz_reports_the_last_position_and_each_projections_lag() {
    for (_db, server) in servers("healthz").await {
        member(&server, "ana@example.org").await;
        let health = server.client().get("/healthz").await;
        assert_eq!(health.status, 200, "{}", server.label);
        let last = health.json["last_position"].as_i64().unwrap_or_default();
        assert_eq!(last, server.head().await);
        // The notifications' figures: nothing waits or failed yet.
        assert_eq!(
            health.json["notifications"],
            serde_json::json!({"pending": 0, "failed": 0, "reminders_pending": 0}),
            "{}",
            server.label
        );
        let projections = health.json["projections"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let names: Vec<&str> = projections
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(
            names,
            [
                "accounts",
                "profiles",
                "events",
                "groups",
                "reports",
                "follows",
                "decision_timers",
                "pictures",
                "domain_decisions",
                "instance_follows",
                "instance_settings",
                "transparency"
            ]
        );
        // Logging in reads the accounts read model back: read your writes waited for it, and
        // for it alone.
        assert_eq!(
            projections[0]["lag"], 0,
            "{}: read your writes waited for {}",
            server.label, projections[0]
        );
        // The others catch up on their own, and /healthz shows them get there.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let health = server.client().get("/healthz").await;
            let projections = health.json["projections"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if projections
                .iter()
                .all(|p| p["lag"] == 0 && p["checkpoint"] == last)
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{}: never caught up: {projections:?}",
                server.label
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

#[tokio::test]
async fn unknown_paths_are_problem_json_404s_with_a_request_id() {
    for (_db, server) in servers("unknown_paths").await {
        let response = server.client().get("/no/such/page").await;
        assert_eq!(response.status, 404);
        assert_eq!(response.content_type, "application/problem+json");
        assert_eq!(response.json["type"], "/problems/not-found");
        assert_eq!(
            response.json["detail"],
            "nothing is served at /no/such/page"
        );
        let profile = server.client().get("/api/v1/profiles/nobody").await;
        assert_eq!(
            (profile.status, profile.json["detail"].as_str()),
            (404, Some("there is no profile @nobody"))
        );
    }
}
