//! An organiser runs an event with approval and two seats, from registration to cancellation,
//! with a registered member, a second one and an anonymous participant; the history tells every
//! step and who made it. Then an administrator made from the command line disables an account.

use crate::support::{run, Caller, Server};
use convene_projections::scratch::test_urls;
use serde_json::{json, Value};
use std::io::Write;
use std::process::Stdio;

pub(crate) const PASSWORD: &str = "correct horse battery";

/// Makes the administrator account `email` from the command line (its password on standard
/// input, as an administrator types it); what the command said.
pub(crate) fn create_administrator(database_url: &str, email: &str) -> String {
    let mut create = crate::support::convene()
        .args([
            "--database-url",
            database_url,
            "account",
            "create",
            email,
            "--admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("convene account create");
    if let Some(mut stdin) = create.stdin.take() {
        writeln!(stdin, "{PASSWORD}").expect("password");
    }
    let output = create.wait_with_output().expect("wait");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Registers `email`, confirms it with the link from the .eml, logs in.
pub(crate) fn member(server: &Server, email: &str) -> Caller {
    let anyone = Caller::default();
    let (status, body) = server.call(
        "POST",
        "/api/v1/accounts",
        &anyone,
        Some(json!({"email": email, "password": PASSWORD})),
    );
    assert_eq!(status, 202, "register {email}: {body}");
    let token = server.token_mailed(email, "confirm");
    let (status, body) = server.call(
        "POST",
        "/api/v1/accounts/confirm",
        &anyone,
        Some(json!({ "token": token })),
    );
    assert_eq!((status, &body["confirmed"]), (200, &json!(true)), "{body}");
    log_in(server, email)
}

pub(crate) fn log_in(server: &Server, email: &str) -> Caller {
    let (status, body) = server.call(
        "POST",
        "/api/v1/sessions",
        &Caller::default(),
        Some(json!({"email": email, "password": PASSWORD})),
    );
    assert_eq!(status, 201, "log in {email}: {body}");
    Caller {
        token: body["token"].as_str().map(str::to_string),
        profile: None,
    }
}

pub(crate) fn ok(
    server: &Server,
    method: &str,
    path: &str,
    caller: &Caller,
    body: Option<Value>,
) -> Value {
    let (status, answer) = server.call(method, path, caller, body);
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {answer}"
    );
    answer
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap_or_default().to_string()
}

#[test]
fn an_event_with_approval_and_two_seats_from_registration_to_cancellation() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for database in runtime.block_on(test_urls("scenario organising")) {
        let server = Server::start(&database.url);
        let org = member(&server, "organiser@climate.example");
        ok(
            &server,
            "POST",
            "/api/v1/profiles",
            &org,
            Some(json!({"username": "climate_collective", "display_name": "Climate collective"})),
        );
        ok(
            &server,
            "POST",
            "/api/v1/profiles",
            &org,
            Some(json!({"username": "maya", "display_name": "Maya"})),
        );
        let collective = org.as_profile("climate_collective");

        let draft = ok(
            &server,
            "POST",
            "/api/v1/events",
            &collective,
            Some(json!({
                "title": "Bike repair workshop",
                "begins_at": "2030-03-14T17:00:00Z",
                "time_zone": "Europe/Paris",
                "capacity": 2,
                "join_mode": "restricted",
                "options": {"anonymous_participation": true},
                "draft": true
            })),
        );
        let event = id(&draft);
        assert_eq!(
            server.get(&format!("/api/v1/events/{event}")).0,
            404,
            "a draft is hidden"
        );
        ok(
            &server,
            "POST",
            &format!("/api/v1/events/{event}/publish"),
            &collective,
            None,
        );

        let mut joins = Vec::new();
        for (email, username) in [("bob@example.org", "bob"), ("carol@example.org", "carol")] {
            let person = member(&server, email);
            ok(
                &server,
                "POST",
                "/api/v1/profiles",
                &person,
                Some(json!({"username": username})),
            );
            let joined = ok(
                &server,
                "POST",
                &format!("/api/v1/events/{event}/participations"),
                &person,
                Some(json!({"message": "I can bring tools"})),
            );
            assert_eq!(joined["state"], "not_approved");
            joins.push((person, id(&joined)));
        }
        let asked = ok(
            &server,
            "POST",
            &format!("/api/v1/events/{event}/anonymous-participations"),
            &Caller::default(),
            Some(json!({"email": "zoe@example.org"})),
        );
        assert_eq!(asked["state"], "not_confirmed");
        let token = server.token_mailed("zoe@example.org", "confirm");
        let confirmed = ok(
            &server,
            "POST",
            "/api/v1/anonymous-participations/confirm",
            &Caller::default(),
            Some(json!({ "token": token })),
        );
        assert_eq!(
            confirmed["state"], "not_approved",
            "confirmed, now waiting for the organisers"
        );

        // The organiser approves the two members: the event is full.
        for (_, participation) in &joins {
            let approved = ok(
                &server,
                "POST",
                &format!("/api/v1/events/{event}/participations/{participation}/approve"),
                &collective,
                None,
            );
            assert_eq!(approved["state"], "participant");
        }
        // Approving Zoe now puts her first on the waitlist.
        let pending = ok(
            &server,
            "GET",
            &format!("/api/v1/events/{event}/participations?state=not_approved"),
            &collective,
            None,
        );
        let zoe = id(&pending[0]);
        let waitlisted = ok(
            &server,
            "POST",
            &format!("/api/v1/events/{event}/participations/{zoe}/approve"),
            &collective,
            None,
        );
        assert_eq!(
            (&waitlisted["state"], &waitlisted["waitlist_position"]),
            (&json!("waitlisted"), &json!(1))
        );

        // Bob leaves; Zoe takes his seat.
        let (status, _) = server.call(
            "DELETE",
            &format!("/api/v1/events/{event}/participations/mine"),
            &joins[0].0,
            None,
        );
        assert_eq!(status, 204);
        let seated = ok(
            &server,
            "GET",
            &format!("/api/v1/events/{event}/participations?state=participant"),
            &collective,
            None,
        );
        let seated: Vec<String> = seated
            .as_array()
            .map(|l| l.iter().map(id).collect())
            .unwrap_or_default();
        assert_eq!(seated, [joins[1].1.clone(), zoe.clone()]);

        let cancelled = ok(
            &server,
            "POST",
            &format!("/api/v1/events/{event}/cancel"),
            &collective,
            None,
        );
        assert_eq!(cancelled["status"], "cancelled");

        let history = ok(
            &server,
            "GET",
            &format!("/api/v1/events/{event}/history"),
            &collective,
            None,
        );
        let steps: Vec<(String, String)> = history
            .as_array()
            .map(|h| {
                h.iter()
                    .map(|e| {
                        (
                            e["actor"].as_str().unwrap_or_default().to_string(),
                            e["summary"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let expected = [
            (
                "@climate_collective",
                "created \"Bike repair workshop\" as a draft",
            ),
            ("@climate_collective", "published the event"),
            ("@bob", "@bob joined (not_approved)"),
            ("@carol", "@carol joined (not_approved)"),
            (
                "anonymous",
                "an anonymous participant joined (not_confirmed)",
            ),
            (
                "anonymous",
                "an anonymous participant confirmed by email (not_approved)",
            ),
            ("@climate_collective", "approved @bob (participant)"),
            ("@climate_collective", "approved @carol (participant)"),
            (
                "@climate_collective",
                "approved an anonymous participant (waitlisted)",
            ),
            ("@bob", "@bob left"),
            (
                "@bob",
                "an anonymous participant got a seat from the waitlist",
            ),
            ("@climate_collective", "cancelled the event"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(a, s)| (a.to_string(), s.to_string()))
            .collect();
        assert_eq!(steps, expected, "{}", database.label);
        assert!(history
            .as_array()
            .is_some_and(|h| h.iter().all(|e| e["source"] == "api")));
        server.stop();
    }
}

#[test]
fn the_first_administrator_is_made_from_the_command_line_and_can_disable_accounts() {
    let folder = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}", folder.path().join("convene.db").display());
    let said = create_administrator(&url, "admin@example.org");
    assert!(
        said.starts_with("created the administrator account "),
        "{said}"
    );
    let twice = run(&url, &["account", "create", "admin@example.org"]);
    assert!(!twice.status.success());

    let server = Server::start(&url);
    let admin = log_in(&server, "admin@example.org");
    let me = ok(&server, "GET", "/api/v1/me", &admin, None);
    assert_eq!(me["account"]["role"], "administrator");
    let bob = member(&server, "bob@example.org");
    let bob_id = ok(&server, "GET", "/api/v1/me", &bob, None)["account"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (status, _) = server.call(
        "POST",
        &format!("/api/v1/admin/accounts/{bob_id}/disable"),
        &bob,
        None,
    );
    assert_eq!(status, 403, "only administrators disable accounts");
    let (status, _) = server.call(
        "POST",
        &format!("/api/v1/admin/accounts/{bob_id}/disable"),
        &admin,
        None,
    );
    assert_eq!(status, 204);
    assert_eq!(
        server.call("GET", "/api/v1/me", &bob, None).0,
        401,
        "the session ended"
    );
    let (status, body) = server.call(
        "POST",
        "/api/v1/sessions",
        &Caller::default(),
        Some(json!({"email": "bob@example.org", "password": PASSWORD})),
    );
    assert_eq!(
        (status, body["detail"].as_str()),
        (403, Some("this account is disabled"))
    );
    server.stop();
}
