use crate::servers;
use crate::support::{log_in, member, profile, TestServer};
use convene_api::Registrations;
use convene_projections::scratch::Scratch;
use serde_json::json;

#[tokio::test]
async fn register_confirm_log_in_and_act_as_several_profiles() {
    for (_db, server) in servers("register_flow").await {
        let anonymous = server.client();
        let registered = anonymous
            .post("/api/v1/accounts", json!({"email": " Ana@Example.org ", "password": "correct horse battery", "locale": "fr"}))
            .await;
        assert_eq!(registered.status, 202, "{}", registered.text);
        assert_eq!(registered.json["email"], "ana@example.org");
        assert!(
            registered.text.find("password").is_none(),
            "no password (hash) is ever served"
        );

        let token = server.token_mailed("ana@example.org", "confirm").await;
        let before = server.head().await;
        let page = anonymous
            .get(&format!("/api/v1/accounts/confirm?token={token}"))
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(page.content_type.starts_with("text/html"));
        assert!(page
            .text
            .contains("<form method=\"post\" action=\"/api/v1/accounts/confirm\">"));
        assert!(page.text.contains(&format!("value=\"{token}\"")));
        assert_eq!(
            server.head().await,
            before,
            "opening the link changes nothing"
        );
        let early = anonymous
            .post(
                "/api/v1/sessions",
                json!({"email": "ana@example.org", "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(
            early.status, 403,
            "unconfirmed accounts cannot log in: {}",
            early.text
        );

        // The page's button posts a form.
        let confirmed = anonymous
            .send_raw(
                "POST",
                "/api/v1/accounts/confirm",
                Some((
                    "application/x-www-form-urlencoded".into(),
                    format!("token={token}"),
                )),
            )
            .await;
        assert_eq!(
            (confirmed.status, &confirmed.json["confirmed"]),
            (200, &json!(true)),
            "{}",
            confirmed.text
        );
        let again = anonymous
            .post("/api/v1/accounts/confirm", json!({"token": token}))
            .await;
        assert_eq!(again.status, 404, "a used link is spent: {}", again.text);

        let wrong = anonymous
            .post(
                "/api/v1/sessions",
                json!({"email": "ana@example.org", "password": "wrong horse battery"}),
            )
            .await;
        assert_eq!(
            (wrong.status, wrong.json["detail"].as_str()),
            (401, Some("wrong email or password"))
        );
        let unknown = anonymous
            .post(
                "/api/v1/sessions",
                json!({"email": "nobody@example.org", "password": "wrong horse battery"}),
            )
            .await;
        assert_eq!(
            unknown.json["detail"], wrong.json["detail"],
            "unknown addresses look the same"
        );

        let ana = log_in(&server, "ana@example.org").await;
        let me = ana.get("/api/v1/me").await;
        assert_eq!(me.json["profiles"], json!([]));
        let needs_profile = ana
            .post("/api/v1/events", crate::support::event_body(json!({})))
            .await;
        assert_eq!(needs_profile.status, 422);
        assert_eq!(needs_profile.json["errors"][0]["field"], "profile");

        profile(&ana, "ana").await;
        profile(&ana, "ana_union").await;
        let me = ana.get("/api/v1/me").await;
        assert_eq!(
            me.json["account"]["default_profile"], "ana",
            "the first profile is the default"
        );
        let names: Vec<&str> = me.json["profiles"]
            .as_array()
            .map(|p| p.iter().filter_map(|p| p["username"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(names, ["ana", "ana_union"]);
        let chosen = ana
            .put(
                "/api/v1/me/default-profile",
                json!({"username": "ana_union"}),
            )
            .await;
        assert_eq!(chosen.json["account"]["default_profile"], "ana_union");

        let renamed = ana.patch("/api/v1/profiles/ana", json!({"display_name": "Ana L.", "summary": "<b>Organiser</b><script>x()</script>"})).await;
        assert_eq!(renamed.status, 200, "{}", renamed.text);
        assert_eq!(renamed.json["summary"], "<b>Organiser</b>");

        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;
        let stolen = bob
            .patch("/api/v1/profiles/ana", json!({"display_name": "Bob"}))
            .await;
        assert_eq!(stolen.status, 403);
        let as_other = bob.as_profile("ana").get("/api/v1/me").await;
        assert_eq!(as_other.status, 200, "/me needs no profile");
        let acting_as_other = bob
            .as_profile("ana")
            .post("/api/v1/events", crate::support::event_body(json!({})))
            .await;
        assert_eq!(
            (
                acting_as_other.status,
                acting_as_other.json["detail"].as_str()
            ),
            (403, Some("@ana is not one of your profiles"))
        );
        let taken = bob
            .post("/api/v1/profiles", json!({"username": "ana"}))
            .await;
        assert_eq!(
            (taken.status, &taken.json["errors"][0]["field"]),
            (409, &json!("username"))
        );

        let logged_out = ana.delete("/api/v1/sessions/current").await;
        assert_eq!(logged_out.status, 204);
        let after = ana.get("/api/v1/me").await;
        assert_eq!(after.status, 401, "{}", after.text);
    }
}

#[tokio::test]
async fn registration_refuses_bad_input_field_by_field_and_writes_nothing() {
    for (_db, server) in servers("register_invalid").await {
        let anonymous = server.client();
        let before = server.head().await;
        let bad = anonymous
            .post(
                "/api/v1/accounts",
                json!({"email": "ana", "password": "short", "locale": "xx"}),
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.text);
        assert_eq!(bad.content_type, "application/problem+json");
        let fields: Vec<&str> = bad.json["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(fields, ["email", "password", "locale"]);
        let malformed = anonymous
            .send_raw(
                "POST",
                "/api/v1/accounts",
                Some(("application/json".into(), "{\"email\": ".into())),
            )
            .await;
        assert_eq!(malformed.status, 400, "{}", malformed.text);
        let wrong_type = anonymous
            .post(
                "/api/v1/accounts",
                json!({"email": 3, "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(
            (wrong_type.status, &wrong_type.json["errors"][0]["field"]),
            (422, &json!("email"))
        );
        assert_eq!(server.head().await, before, "nothing appended");
    }
}

#[tokio::test]
async fn registering_a_used_address_answers_as_for_a_new_one_and_tells_the_owner() {
    for (_db, server) in servers("register_twice").await {
        let anonymous = server.client();
        let ana = member(&server, "ana@example.org").await;
        let twice = anonymous
            .post(
                "/api/v1/accounts",
                json!({"email": "ANA@example.org", "password": "another horse battery"}),
            )
            .await;
        let new = anonymous
            .post(
                "/api/v1/accounts",
                json!({"email": "new@example.org", "password": "another horse battery"}),
            )
            .await;
        assert_eq!((twice.status, new.status), (202, 202), "{}", twice.text);
        assert_eq!(twice.content_type, new.content_type);
        assert_eq!(
            twice.text.replace("ana@example.org", "new@example.org"),
            new.text,
            "the same answer, but for the address"
        );
        let notice = server
            .mail_with("ana@example.org", "which already has one")
            .await;
        assert!(
            notice.contains("Subject: You already have an account"),
            "{notice}"
        );
        assert!(
            !notice.contains("token="),
            "no link that would change anything"
        );
        server.token_mailed("new@example.org", "confirm").await;
        // Nothing changed for ana: same password, same session.
        assert_eq!(ana.get("/api/v1/me").await.status, 200);
        log_in(&server, "ana@example.org").await;
    }
}

#[tokio::test]
async fn account_mails_are_written_in_the_accounts_language_with_a_text_and_an_html_part() {
    for (_db, server) in servers("account_mail_language").await {
        let anonymous = server.client();
        let registered = anonymous
            .post(
                "/api/v1/accounts",
                json!({"email": "lea@example.org", "password": "correct horse battery", "locale": "fr"}),
            )
            .await;
        assert_eq!(registered.status, 202, "{}", registered.text);
        let mail = server.mail_with("lea@example.org", "/confirm?token=").await;
        assert!(mail.contains("Bienvenue sur Convene !"), "{mail}");
        assert!(mail.contains("Content-Type: text/plain"), "{mail}");
        assert!(mail.contains("Content-Type: text/html"), "{mail}");
        assert!(mail.contains("<a href=\""), "{mail}");
        let token = server.token_mailed("lea@example.org", "confirm").await;
        let confirmed = anonymous
            .post("/api/v1/accounts/confirm", json!({ "token": token }))
            .await;
        assert_eq!(confirmed.status, 200, "{}", confirmed.text);
        // Registering the address again tells its owner, in the owner's language, whatever
        // language the new registration asked for.
        let again = anonymous
            .post(
                "/api/v1/accounts",
                json!({"email": "lea@example.org", "password": "another horse battery", "locale": "en"}),
            )
            .await;
        assert_eq!(again.status, 202, "{}", again.text);
        let notice = server
            .mail_with("lea@example.org", "qui en a déjà un")
            .await;
        assert!(!notice.contains("token="), "{notice}");
        // So does a reset.
        let reset = anonymous
            .post(
                "/api/v1/password-resets",
                json!({"email": "lea@example.org"}),
            )
            .await;
        assert_eq!(reset.status, 202, "{}", reset.text);
        let mail = server
            .mail_with("lea@example.org", "Votre code de réinitialisation")
            .await;
        assert!(mail.contains("/reset-password/complete?token="), "{mail}");
    }
}

/// One keep-alive HTTP/1.1 connection, so that timings measure the server rather than
/// connection setup.
struct Connection {
    stream: tokio::io::BufReader<tokio::net::TcpStream>,
    host: String,
}

impl Connection {
    async fn open(base: &str) -> Connection {
        let host = base.trim_start_matches("http://").to_string();
        let stream = tokio::net::TcpStream::connect(&host)
            .await
            .expect("connect");
        Connection {
            stream: tokio::io::BufReader::new(stream),
            host,
        }
    }

    /// POSTs JSON; the status and how long the answer took.
    async fn post(&mut self, path: &str, body: serde_json::Value) -> (u16, std::time::Duration) {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
        let body = body.to_string();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        let started = std::time::Instant::now();
        self.stream
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .expect("send");
        let (mut status, mut length) = (0, 0);
        loop {
            let mut line = String::new();
            self.stream.read_line(&mut line).await.expect("read");
            let line = line.trim_end().to_ascii_lowercase();
            if line.is_empty() {
                break;
            }
            if let Some(code) = line.strip_prefix("http/1.1 ") {
                status = code
                    .get(..3)
                    .and_then(|c| c.parse().ok())
                    .unwrap_or_default();
            }
            if let Some(n) = line.strip_prefix("content-length: ") {
                length = n.parse().unwrap_or_default();
            }
        }
        let mut rest = vec![0; length];
        self.stream.read_exact(&mut rest).await.expect("body");
        (status, started.elapsed())
    }
}

fn median(mut times: Vec<std::time::Duration>) -> std::time::Duration {
    times.sort();
    times[times.len() / 2]
}

/// Whether two medians are within 20 % of the larger.
fn within_a_fifth(a: std::time::Duration, b: std::time::Duration) -> bool {
    let (low, high) = (a.min(b).as_secs_f64(), a.max(b).as_secs_f64());
    high - low <= 0.2 * high
}

/// The same, or less than a millisecond apart: answers that take about a millisecond vary by
/// more than a fifth on a busy machine, whereas looking an address up and recording a reset
/// added about ten.
fn alike(a: std::time::Duration, b: std::time::Duration) -> bool {
    within_a_fifth(a, b) || a.abs_diff(b) < std::time::Duration::from_millis(1)
}

// Several threads, like the real server: on one thread the client would wait for whatever the
// server does after answering, which a real client does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "heavy: compares timings, so it runs alone (other tests running beside it skew them)"]
async fn password_resets_and_failed_logins_take_as_long_for_known_and_unknown_addresses() {
    for (_db, server) in servers("enumeration_timing").await {
        member(&server, "ana@example.org").await;
        let mut connection = Connection::open(&server.base).await;
        let (mut known, mut unknown) = (Vec::new(), Vec::new());
        // Known and unknown take turns, so that both meet the same conditions; the first
        // rounds warm up.
        for round in 0..45 {
            let mailed = server.mails_to("ana@example.org").len();
            let (status, took) = connection
                .post(
                    "/api/v1/password-resets",
                    json!({"email": "ana@example.org"}),
                )
                .await;
            assert_eq!(status, 202);
            // What is done after answering is over before the next request.
            while server.mails_to("ana@example.org").len() == mailed {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            let (status, took_unknown) = connection
                .post(
                    "/api/v1/password-resets",
                    json!({"email": "nobody@example.org"}),
                )
                .await;
            assert_eq!(status, 202);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            if round >= 4 {
                known.push(took);
                unknown.push(took_unknown);
            }
        }
        let (known, unknown) = (median(known), median(unknown));
        println!(
            "{}: median password reset {known:?} (known address) / {unknown:?} (unknown)",
            server.label
        );
        assert!(
            alike(known, unknown),
            "{}: password reset, known {known:?}, unknown {unknown:?}",
            server.label
        );
        assert!(server.mails_to("nobody@example.org").is_empty());

        let (mut known, mut unknown) = (Vec::new(), Vec::new());
        for round in 0..25 {
            for (email, times) in [
                ("ana@example.org", &mut known),
                ("nobody@example.org", &mut unknown),
            ] {
                let wrong = json!({"email": email, "password": "not the password"});
                let (status, took) = connection.post("/api/v1/sessions", wrong).await;
                assert_eq!(status, 401);
                if round >= 4 {
                    times.push(took);
                }
            }
        }
        let (known, unknown) = (median(known), median(unknown));
        println!(
            "{}: median failed login {known:?} (known address) / {unknown:?} (unknown)",
            server.label
        );
        assert!(
            within_a_fifth(known, unknown),
            "{}: failed login, known {known:?}, unknown {unknown:?}",
            server.label
        );
    }
}

#[tokio::test]
async fn closed_and_allowlisted_registrations_are_enforced() {
    for scratch in convene_projections::scratch::test_urls("registration_policy").await {
        let closed = TestServer::start(&scratch, Registrations::Closed).await;
        let refused = closed
            .client()
            .post(
                "/api/v1/accounts",
                json!({"email": "ana@example.org", "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(
            (refused.status, refused.json["detail"].as_str()),
            (403, Some("registrations are closed on this instance"))
        );
        drop(closed);
        let other = Scratch::sqlite().expect("scratch");
        let listed = TestServer::start(
            &other,
            Registrations::Allowlist {
                allowed: vec!["union.example".into()],
            },
        )
        .await;
        let outsider = listed
            .client()
            .post(
                "/api/v1/accounts",
                json!({"email": "ana@example.org", "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(outsider.status, 403);
        member(&listed, "ana@union.example").await;
    }
}

#[tokio::test]
async fn passwords_change_and_reset_by_mail() {
    for (_db, server) in servers("passwords").await {
        let ana = member(&server, "ana@example.org").await;
        let wrong = ana
            .post(
                "/api/v1/me/password",
                json!({"current_password": "nope nope nope", "new_password": "another good one"}),
            )
            .await;
        assert_eq!(
            (wrong.status, &wrong.json["errors"][0]["field"]),
            (422, &json!("current_password"))
        );
        let changed = ana
            .post("/api/v1/me/password", json!({"current_password": "correct horse battery", "new_password": "another good one"}))
            .await;
        assert_eq!(changed.status, 204, "{}", changed.text);

        let anonymous = server.client();
        let asked = anonymous
            .post(
                "/api/v1/password-resets",
                json!({"email": "ana@example.org"}),
            )
            .await;
        assert_eq!(asked.status, 202);
        let unknown = anonymous
            .post(
                "/api/v1/password-resets",
                json!({"email": "nobody@example.org"}),
            )
            .await;
        assert_eq!(unknown.status, 202, "no hint of which addresses exist");
        let mail = server.mail_with("ana@example.org", "Your reset code").await;
        let code_line = mail
            .lines()
            .skip_while(|l| !l.starts_with("Your reset code"))
            .nth(2)
            .unwrap_or_default()
            .trim()
            .to_string();
        let too_short = anonymous
            .post(
                "/api/v1/password-resets/complete",
                json!({"token": code_line, "password": "short"}),
            )
            .await;
        assert_eq!(too_short.status, 422);
        let reset = anonymous
            .post(
                "/api/v1/password-resets/complete",
                json!({"token": code_line, "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(reset.status, 204, "{}", reset.text);
        assert_eq!(
            ana.get("/api/v1/me").await.status,
            401,
            "a reset closes every session"
        );
        log_in(&server, "ana@example.org").await;
        let reused = anonymous
            .post(
                "/api/v1/password-resets/complete",
                json!({"token": code_line, "password": "yet another one"}),
            )
            .await;
        assert_eq!(reused.status, 422, "a reset code works once");
    }
}
