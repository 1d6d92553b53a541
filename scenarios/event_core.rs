//! An administrator runs Convene on the embedded default, creates a profile from the command
//! line, a visitor reads it over HTTP; then maintenance: stop, replay, verify, restart.

use crate::support::{run_ok, temp_path, Server};
use convene_projections::scratch::test_urls;

#[test]
fn a_profile_survives_serve_replay_verify_and_restart() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let databases = runtime.block_on(test_urls("scenario event_core"));
    for database in &databases {
        let url = database.url.as_str();
        let server = Server::start(url);
        assert_eq!(
            server.get("/api/v1/profiles/alice").0,
            404,
            "{}",
            database.label
        );

        // The CLI appends while the server runs; the server's projection picks it up.
        let created = run_ok(
            url,
            &["profile", "create", "alice", "--display-name", "Alice"],
        );
        assert!(created.contains("created @alice"), "{created}");
        run_ok(url, &["profile", "rename", "alice", "Alice Liddell"]);
        server.wait_until(|s| s.get("/api/v1/profiles/alice").1["display_name"] == "Alice Liddell");
        // Every projection catches up with the log, and /healthz says so.
        server.wait_until(|s| {
            let (_, health) = s.get("/healthz");
            let lags = health["projections"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            !lags.is_empty() && lags.iter().all(|p| p["lag"] == 0)
        });
        let (status, health) = server.get("/healthz");
        assert_eq!(status, 200);
        // The username's claim, the profile, its rename.
        assert_eq!(health["last_position"], 3, "{}", database.label);
        server.stop();

        let replayed = run_ok(url, &["replay"]);
        assert!(replayed.starts_with("replayed 3 events"), "{replayed}");
        let verified = run_ok(url, &["verify"]);
        assert!(
            verified.contains("verified 3 events") && verified.contains("intact"),
            "{verified}"
        );

        // History as it was after the profile's creation, into a separate file.
        let (_folder, then) = temp_path("then.db");
        let then = then.to_string_lossy().to_string();
        run_ok(url, &["replay", "--as-of", "2", "--into", &then]);
        let snapshot = Server::start(&format!("sqlite://{then}"));
        let (_, alice_then) = snapshot.get("/api/v1/profiles/alice");
        assert_eq!(
            alice_then["display_name"], "Alice",
            "{}: the name before the rename",
            database.label
        );
        snapshot.stop();

        let restarted = Server::start(url);
        let (status, alice) = restarted.get("/api/v1/profiles/alice");
        assert_eq!(
            (status, alice["display_name"].as_str()),
            (200, Some("Alice Liddell"))
        );
        restarted.stop();
    }
}
