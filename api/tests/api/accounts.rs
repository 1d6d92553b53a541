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
        assert_eq!(registered.status, 201, "{}", registered.text);
        assert_eq!(registered.json["email"], "ana@example.org");
        assert_eq!(registered.json["confirmed"], false);
        assert!(
            registered.text.find("password").is_none(),
            "no password (hash) is ever served"
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

        let token = server.token_mailed("ana@example.org", "confirm");
        let confirmed = anonymous
            .post("/api/v1/accounts/confirm", json!({"token": token}))
            .await;
        assert_eq!(
            (confirmed.status, &confirmed.json["confirmed"]),
            (200, &json!(true))
        );
        let again = anonymous
            .get(&format!("/api/v1/accounts/confirm?token={token}"))
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

        member(&server, "ana@example.org").await;
        let twice = anonymous
            .post(
                "/api/v1/accounts",
                json!({"email": "ANA@example.org", "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(
            (twice.status, &twice.json["errors"][0]["field"]),
            (409, &json!("email"))
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
            Registrations::Allowlist(vec!["union.example".into()]),
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
        let mail = server.mails_to("ana@example.org").pop().unwrap_or_default();
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
