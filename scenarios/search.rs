//! A visitor searches the events of a running server; an administrator rebuilds the search
//! index with `convene reindex` while it serves, and the answers stay the same.

use crate::organising::{member, ok};
use crate::support::{run_ok, Server};
use convene_projections::scratch::test_urls;
use serde_json::json;

#[test]
fn search_answers_the_same_before_and_after_a_reindex_while_serving() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let databases = runtime.block_on(test_urls("scenario search"));
    for database in &databases {
        let url = database.url.as_str();
        let server = Server::start(url);
        let mut organiser = member(&server, "org@example.org");
        ok(
            &server,
            "POST",
            "/api/v1/profiles",
            &organiser,
            Some(json!({"username": "org"})),
        );
        organiser.profile = Some("org".into());
        for title in ["Climate march", "Repair café", "Vegan barbecue"] {
            let body = json!({"title": title, "begins_at": "2030-06-01T14:00:00Z",
                "time_zone": "Europe/Paris", "category": "COMMUNITY"});
            ok(&server, "POST", "/api/v1/events", &organiser, Some(body));
        }
        let searched = |s: &Server| s.get("/api/v1/search/events?q=climat%20marhc").1;
        server.wait_until(|s| searched(s)["total"] == 1);
        let before = searched(&server);
        assert_eq!(
            before["hits"][0]["title"], "Climate march",
            "{}",
            database.label
        );

        let reindexed = run_ok(url, &["reindex"]);
        assert!(reindexed.starts_with("reindexed "), "{reindexed}");
        assert_eq!(
            searched(&server),
            before,
            "{}: after reindex",
            database.label
        );
        let (_, repair) = server.get("/api/v1/search/events?q=repair");
        assert_eq!(repair["total"], 1, "{}", database.label);
        let (_, health) = server.get("/healthz");
        let search = health["projections"]
            .as_array()
            .and_then(|all| all.iter().find(|p| p["name"] == "search").cloned())
            .unwrap_or_default();
        assert!(search["checkpoint"].as_i64().is_some(), "{health}");
        server.stop();
    }
}
