//! The instance as its administrators run it: settings in the log (administrators only, read
//! by everyone), registrations under approval, the switch to approval when no moderator acts,
//! the dashboard, and the public transparency log with its redactions.

use crate::reports::{account_id, fields, give_role};
use crate::support::{create_event, log_in, member, profile, Client, Options, TestServer};
use convene_api::instance::Clock;
use convene_domain::Role;
use convene_projections::scratch::test_urls;
use serde_json::{json, Value};

async fn administrator(server: &TestServer, email: &str) -> Client {
    let client = member(server, email).await;
    give_role(server, &client, Role::Administrator).await;
    client
}

async fn moderator(server: &TestServer, email: &str) -> Client {
    let client = member(server, email).await;
    give_role(server, &client, Role::Moderator).await;
    client
}

fn settings(extra: Value) -> Value {
    let mut body = json!({
        "name": "Repair café",
        "description": "Fixing things together, every Saturday.",
        "rules": [{"text": "Be kind"}, {"text": "No advertising"}],
        "contact": "hello@repair.example",
        "languages": ["fr", "en"],
        "registrations": {"mode": "open"},
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}

async fn save(admin: &Client, body: Value) -> Value {
    let saved = admin.put("/api/v1/admin/settings", body).await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    saved.json
}

#[tokio::test]
async fn administrators_set_the_instance_s_settings_and_everyone_reads_them() {
    for scratch in test_urls("instance_settings").await {
        let server = TestServer::start_with(&scratch, Options::default()).await;
        let admin = administrator(&server, "admin@example.org").await;
        let mia = moderator(&server, "mia@example.org").await;
        let ana = member(&server, "ana@example.org").await;
        let bob = member(&server, "bob@example.org").await;

        let before = server.client().get("/api/v1/instance").await;
        assert_eq!(before.status, 200, "{}", before.text);
        assert_eq!(before.json["name"], "");
        assert_eq!(before.json["registrations"], "open");

        let saved = save(&admin, settings(json!({}))).await;
        assert_eq!(
            saved["rules"][1],
            json!({"id": 2, "text": "No advertising"})
        );
        let about = server.client().get("/api/v1/instance").await.json;
        assert_eq!(about["name"], "Repair café");
        assert_eq!(about["contact"], "hello@repair.example");
        assert_eq!(about["languages"], json!(["fr", "en"]));
        assert_eq!(about["rules"][0]["text"], "Be kind");
        assert_eq!(about["transparency"], false);

        // Saving the same settings again records nothing.
        let head = server.head().await;
        let rules = json!([{"id": 1, "text": "Be kind"}, {"id": 2, "text": "No advertising"}]);
        save(&admin, settings(json!({ "rules": rules }))).await;
        assert_eq!(server.head().await, head, "{}", server.label);

        // The audit trail shows what a change of the settings changed, and only that.
        let trail = admin
            .get("/api/v1/moderation/audit?target_kind=instance")
            .await;
        assert_eq!(trail.status, 200, "{}", trail.text);
        let entry = &trail.json["entries"][0];
        assert_eq!(entry["change"], "InstanceSettingsChanged", "{}", trail.text);
        assert_eq!(
            entry["after"]["settings"]["name"], "Repair café",
            "{}",
            trail.text
        );

        // A removed rule's id is never given again.
        let rules =
            json!([{"id": 2, "text": "No advertising"}, {"text": "Speak French or English"}]);
        let saved = save(&admin, settings(json!({ "rules": rules }))).await;
        assert_eq!(
            saved["rules"],
            json!([{"id": 2, "text": "No advertising"}, {"id": 3, "text": "Speak French or English"}])
        );

        for (client, who) in [(&mia, "moderator"), (&ana, "user")] {
            let read = client.get("/api/v1/admin/settings").await;
            assert_eq!(read.status, 403, "{who}: {}", read.text);
            let write = client
                .put("/api/v1/admin/settings", settings(json!({})))
                .await;
            assert_eq!(write.status, 403, "{who}: {}", write.text);
        }
        let anonymous = server.client().get("/api/v1/admin/settings").await;
        assert_eq!(anonymous.status, 401, "{}", anonymous.text);

        let head = server.head().await;
        let bad = admin
            .put(
                "/api/v1/admin/settings",
                settings(json!({
                    "name": "x".repeat(101),
                    "contact": "nobody",
                    "languages": ["français"],
                    "rules": [{"id": 9, "text": "Unknown"}],
                    "registrations": {"mode": "allowlist", "allowed": []},
                    "approval_after_idle_days": 0,
                })),
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.text);
        assert_eq!(
            fields(&bad),
            [
                "name",
                "contact",
                "rules[0].id",
                "languages",
                "registrations.allowed",
                "approval_after_idle_days"
            ]
        );
        assert_eq!(server.head().await, head, "nothing written");

        // The saved settings decide who registers, over the configuration.
        let rules = saved["rules"].clone();
        save(
            &admin,
            settings(json!({"registrations": {"mode": "closed"}, "rules": rules})),
        )
        .await;
        let closed = server
            .client()
            .post(
                "/api/v1/accounts",
                json!({"email": "late@example.org", "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(closed.status, 403, "{}", closed.text);

        // Reports name the instance's rules by their ids.
        profile(&bob, "bob").await;
        profile(&ana, "ana").await;
        let unknown = ana
            .post(
                "/api/v1/reports",
                json!({"target": {"kind": "profile", "username": "bob"},
                       "category": {"kind": "rule_violation", "rules": ["1"]}}),
            )
            .await;
        assert_eq!(unknown.status, 422, "{}", unknown.text);
        assert_eq!(fields(&unknown), ["rules"]);
        assert!(
            unknown.text.contains("3 (Speak French or English)"),
            "{}",
            unknown.text
        );
        let known = ana
            .post(
                "/api/v1/reports",
                json!({"target": {"kind": "profile", "username": "bob"},
                       "category": {"kind": "rule_violation", "rules": ["2", "3"]}}),
            )
            .await;
        assert_eq!(known.status, 201, "{}", known.text);
    }
}

async fn ask_to_join(
    server: &TestServer,
    email: &str,
    reason: Option<&str>,
) -> crate::support::Response {
    let mut body = json!({"email": email, "password": "correct horse battery"});
    if let Some(reason) = reason {
        body["reason"] = json!(reason);
    }
    server.client().post("/api/v1/accounts", body).await
}

async fn confirm(server: &TestServer, email: &str) {
    let token = server.token_mailed(email, "confirm").await;
    let confirmed = server
        .client()
        .post("/api/v1/accounts/confirm", json!({ "token": token }))
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
}

async fn log_in_refused(server: &TestServer, email: &str) -> crate::support::Response {
    server
        .client()
        .post(
            "/api/v1/sessions",
            json!({"email": email, "password": "correct horse battery"}),
        )
        .await
}

async fn pending(mia: &Client) -> Vec<Value> {
    let listed = mia.get("/api/v1/admin/registrations").await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    listed.json.as_array().cloned().unwrap_or_default()
}

/// The registrations waiting, once there are `count` (accounts are recorded after answering).
async fn pending_count(mia: &Client, count: usize) -> Vec<Value> {
    for _ in 0..100 {
        let found = pending(mia).await;
        if found.len() == count {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "never {count} registrations waiting: {:?}",
        pending(mia).await
    )
}

#[tokio::test]
async fn under_approval_each_registration_waits_for_a_moderator() {
    for scratch in test_urls("registration_approval").await {
        let server = TestServer::start_with(&scratch, Options::default()).await;
        let admin = administrator(&server, "admin@example.org").await;
        let mia = moderator(&server, "mia@example.org").await;
        let user = member(&server, "user@example.org").await;
        save(
            &admin,
            settings(json!({"registrations": {"mode": "approval"}})),
        )
        .await;

        let without = ask_to_join(&server, "zoe@example.org", None).await;
        assert_eq!(without.status, 422, "{}", without.text);
        assert_eq!(fields(&without), ["reason"]);
        let asked = ask_to_join(&server, "zoe@example.org", Some("I fix bicycles")).await;
        assert_eq!(asked.status, 202, "{}", asked.text);
        assert_eq!(asked.json["awaiting_approval"], true);
        confirm(&server, "zoe@example.org").await;
        let waiting = log_in_refused(&server, "zoe@example.org").await;
        assert_eq!(waiting.status, 403, "{}", waiting.text);
        assert!(
            waiting.text.contains("awaiting-approval"),
            "{}",
            waiting.text
        );

        let queue = pending_count(&mia, 1).await;
        assert_eq!(queue[0]["email"], "zoe@example.org");
        assert_eq!(queue[0]["reason"], "I fix bicycles");
        assert_eq!(queue[0]["confirmed"], true);
        let zoe = queue[0]["account"].as_str().unwrap_or_default().to_string();

        let refused = user.get("/api/v1/admin/registrations").await;
        assert_eq!(refused.status, 403, "{}", refused.text);
        let refused = user
            .post(
                &format!("/api/v1/admin/registrations/{zoe}"),
                json!({"verdict": "approve"}),
            )
            .await;
        assert_eq!(refused.status, 403, "{}", refused.text);

        let approved = mia
            .post(
                &format!("/api/v1/admin/registrations/{zoe}"),
                json!({"verdict": "approve"}),
            )
            .await;
        assert_eq!(approved.status, 204, "{}", approved.text);
        server
            .mail_with("zoe@example.org", "approved your account")
            .await;
        log_in(&server, "zoe@example.org").await;
        assert!(pending(&mia).await.is_empty());
        let twice = mia
            .post(
                &format!("/api/v1/admin/registrations/{zoe}"),
                json!({"verdict": "approve"}),
            )
            .await;
        assert_eq!(twice.status, 404, "{}", twice.text);

        // A rejection needs a reason, frees the address, and is never told why.
        let asked = ask_to_join(&server, "spam@example.org", Some("buy now")).await;
        assert_eq!(asked.status, 202, "{}", asked.text);
        let spam = pending_count(&mia, 1).await[0]["account"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let unexplained = mia
            .post(
                &format!("/api/v1/admin/registrations/{spam}"),
                json!({"verdict": "reject"}),
            )
            .await;
        assert_eq!(unexplained.status, 422, "{}", unexplained.text);
        assert_eq!(fields(&unexplained), ["reason"]);
        let rejected = mia
            .post(
                &format!("/api/v1/admin/registrations/{spam}"),
                json!({"verdict": "reject", "reason": "an advertising bot"}),
            )
            .await;
        assert_eq!(rejected.status, 204, "{}", rejected.text);
        let mail = server.mail_with("spam@example.org", "did not accept").await;
        assert!(!mail.contains("advertising bot"), "{mail}");
        assert!(pending(&mia).await.is_empty());
        let again = ask_to_join(&server, "spam@example.org", Some("please")).await;
        assert_eq!(again.status, 202, "{}", again.text);
        pending_count(&mia, 1).await;
    }
}

/// Signs up `email` with the first profile `@username`, as the registration page does.
async fn sign_up(server: &TestServer, email: &str, username: &str) {
    let signup = convene_api::accounts::Signup {
        registration: convene_api::accounts::Registration {
            email: email.into(),
            password: "correct horse battery".into(),
            locale: "en".into(),
            reason: Some("I fix bicycles".into()),
        },
        username: username.into(),
    };
    let origin = convene_api::auth::Origin::new(convene_domain::Source::Web, "signup", None);
    convene_api::accounts::sign_up(&server.state, signup, &origin, &server.base)
        .await
        .expect("signed up");
}

#[tokio::test]
async fn a_profile_is_shown_to_nobody_until_its_account_is_approved() {
    for scratch in test_urls("registration_hidden_profile").await {
        let server = TestServer::start_with(&scratch, Options::default()).await;
        let admin = administrator(&server, "admin@example.org").await;
        let mia = moderator(&server, "mia@example.org").await;
        save(
            &admin,
            settings(json!({"registrations": {"mode": "approval"}})),
        )
        .await;
        sign_up(&server, "zed@example.org", "zed").await;
        sign_up(&server, "spam@example.org", "cheap_pills").await;
        let queue = pending_count(&mia, 2).await;
        let account = |email: &str| {
            queue
                .iter()
                .find(|q| q["email"] == email)
                .and_then(|q| q["account"].as_str())
                .unwrap_or_default()
                .to_string()
        };
        let (zed, spam) = (account("zed@example.org"), account("spam@example.org"));
        for name in ["zed", "cheap_pills"] {
            // The profile is recorded after the answer: there, yet shown to nobody.
            let mut recorded = None;
            for _ in 0..200 {
                recorded = convene_projections::profiles::find(server.state.db.pool(), name)
                    .await
                    .expect("the read model");
                if recorded.is_some() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            assert!(recorded.is_some_and(|p| p.awaiting_approval), "@{name}");
            let hidden = server
                .client()
                .get(&format!("/api/v1/profiles/{name}"))
                .await;
            assert_eq!(hidden.status, 404, "@{name}: {}", hidden.text);
        }
        // The name is still taken meanwhile.
        let origin = convene_api::auth::Origin::new(convene_domain::Source::Web, "again", None);
        let signup = convene_api::accounts::Signup {
            registration: convene_api::accounts::Registration {
                email: "other@example.org".into(),
                password: "correct horse battery".into(),
                locale: "en".into(),
                reason: Some("me too".into()),
            },
            username: "zed".into(),
        };
        let taken = convene_api::accounts::sign_up(&server.state, signup, &origin, &server.base)
            .await
            .expect_err("taken");
        assert_eq!(taken.field_errors()[0].field, "username", "{taken}");

        let approved = mia
            .post(
                &format!("/api/v1/admin/registrations/{zed}"),
                json!({"verdict": "approve"}),
            )
            .await;
        assert_eq!(approved.status, 204, "{}", approved.text);
        let shown = server.client().get("/api/v1/profiles/zed").await;
        assert_eq!(shown.status, 200, "{}", shown.text);
        let rejected = mia
            .post(
                &format!("/api/v1/admin/registrations/{spam}"),
                json!({"verdict": "reject", "reason": "an advertising bot"}),
            )
            .await;
        assert_eq!(rejected.status, 204, "{}", rejected.text);
        let gone = server.client().get("/api/v1/profiles/cheap_pills").await;
        assert_eq!(gone.status, 404, "refused, never shown: {}", gone.text);
    }
}

#[tokio::test]
async fn open_registrations_switch_to_approval_when_no_moderator_acted() {
    for scratch in test_urls("registration_idle").await {
        // Eight days from now, as far as the instance can tell.
        let options = Options {
            clock: Clock::ahead(time::Duration::days(8)),
            ..Options::default()
        };
        let server = TestServer::start_with(&scratch, options).await;
        let admin = administrator(&server, "admin@example.org").await;
        save(&admin, settings(json!({"approval_after_idle_days": 7}))).await;
        let asked = ask_to_join(&server, "zoe@example.org", None).await;
        assert_eq!(asked.status, 422, "{}", asked.text);
        assert_eq!(fields(&asked), ["reason"]);
        let about = server.client().get("/api/v1/instance").await.json;
        assert_eq!(about["registrations"], "approval");
        let trail = admin
            .get("/api/v1/moderation/audit?change=InstanceRegistrationsSwitchedToApproval")
            .await;
        assert_eq!(trail.status, 200, "{}", trail.text);
        assert!(
            trail
                .text
                .contains("no moderator or administrator acted for 7 days"),
            "{}",
            trail.text
        );
    }
    // Within the idle time nothing switches.
    for scratch in test_urls("registration_not_idle").await {
        let server = TestServer::start_with(&scratch, Options::default()).await;
        let admin = administrator(&server, "admin@example.org").await;
        save(&admin, settings(json!({"approval_after_idle_days": 7}))).await;
        let asked = ask_to_join(&server, "zoe@example.org", None).await;
        assert_eq!(asked.status, 202, "{}", asked.text);
        let about = server.client().get("/api/v1/instance").await.json;
        assert_eq!(about["registrations"], "open");
    }
}

#[tokio::test]
async fn the_dashboard_counts_what_moderators_watch() {
    for scratch in test_urls("instance_dashboard").await {
        let server = TestServer::start_with(&scratch, Options::default()).await;
        let admin = administrator(&server, "admin@example.org").await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        create_event(&ana, json!({})).await;
        save(
            &admin,
            settings(json!({"registrations": {"mode": "approval"}})),
        )
        .await;
        let asked = ask_to_join(&server, "zoe@example.org", Some("hello")).await;
        assert_eq!(asked.status, 202, "{}", asked.text);
        let mut dashboard = Value::Null;
        for _ in 0..100 {
            dashboard = admin.get("/api/v1/admin/dashboard").await.json;
            if dashboard["registrations_waiting"] == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(dashboard["accounts"], 2, "{dashboard}");
        assert_eq!(dashboard["registrations_waiting"], 1, "{dashboard}");
        assert_eq!(dashboard["profiles"], 1, "{dashboard}");
        assert_eq!(dashboard["local_events"], 1, "{dashboard}");
        assert_eq!(dashboard["remote_events"], 0, "{dashboard}");
        assert_eq!(dashboard["open_reports"], 0, "{dashboard}");
        assert_eq!(dashboard["registrations"], "approval", "{dashboard}");
        let refused = ana.get("/api/v1/admin/dashboard").await;
        assert_eq!(refused.status, 403, "{}", refused.text);
    }
}

async fn transparency(server: &TestServer) -> crate::support::Response {
    server.client().get("/api/v1/instance/transparency").await
}

#[tokio::test]
async fn the_transparency_log_publishes_decisions_never_their_reasons() {
    for scratch in test_urls("instance_transparency").await {
        let server = TestServer::start_with(&scratch, Options::default()).await;
        let admin = administrator(&server, "admin@example.org").await;
        profile(&admin, "admin").await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;
        let spam = create_event(&bob, json!({"title": "Cheap watches"})).await;
        let spam = spam["id"].as_str().unwrap_or_default().to_string();
        let fair = create_event(&ana, json!({"title": "Repair café"})).await;
        let fair = fair["id"].as_str().unwrap_or_default().to_string();

        let off = transparency(&server).await;
        assert_eq!(off.status, 404, "{}", off.text);

        save(&admin, settings(json!({"transparency": "anonymous"}))).await;
        let report = ana
            .post(
                "/api/v1/reports",
                json!({"target": {"kind": "event", "id": spam},
                       "category": {"kind": "rule_violation", "rules": ["2"]},
                       "comment": "bob sells watches"}),
            )
            .await;
        assert_eq!(report.status, 201, "{}", report.text);
        let report = report.json["id"].as_str().unwrap_or_default().to_string();
        let decide = |body: Value| {
            let admin = admin.clone();
            async move {
                let made = admin.post("/api/v1/moderation/decisions", body).await;
                assert_eq!(made.status, 201, "{}", made.text);
            }
        };
        decide(
            json!({"action": "remove", "target": {"kind": "event", "id": spam},
                      "reason": "secret: bob is a known spammer", "report": report}),
        )
        .await;
        decide(
            json!({"action": "hide", "target": {"kind": "event", "id": fair},
                      "reason": "secret: looked like spam",
                      "public_comment": "Reported as spam, checking"}),
        )
        .await;
        decide(
            json!({"action": "unhide", "target": {"kind": "event", "id": fair},
                      "reason": "secret: it was not"}),
        )
        .await;
        let bob_account = account_id(&bob).await;
        decide(
            json!({"action": "suspend", "target": {"kind": "account", "id": bob_account},
                      "reason": "secret: spam wave"}),
        )
        .await;
        decide(
            json!({"action": "warn", "target": {"kind": "profile", "username": "ana"},
                      "reason": "secret: a warning"}),
        )
        .await;

        let mut page = transparency(&server).await;
        for _ in 0..100 {
            if page.json["entries"].as_array().map_or(0, Vec::len) == 4 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            page = transparency(&server).await;
        }
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(!page.text.contains("secret"), "{}", page.text);
        assert!(!page.text.contains("watches"), "{}", page.text);
        assert!(!page.text.contains(&bob_account), "{}", page.text);
        let entries = page.json["entries"].as_array().cloned().unwrap_or_default();
        let actions: Vec<&str> = entries
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(
            actions,
            [
                "AccountSuspended",
                "EventUnhidden",
                "EventHidden",
                "EventRemoved"
            ],
            "the warning is not published: {}",
            page.text
        );
        let suspended = &entries[0];
        assert_eq!(
            suspended["target"],
            json!({"kind": "account", "label": null, "url": null})
        );
        assert_eq!(suspended["moderator"], Value::Null);
        let (unhidden, hidden, removed) = (&entries[1], &entries[2], &entries[3]);
        assert_eq!(unhidden["undoes"], hidden["id"]);
        assert_eq!(hidden["undone_by"], unhidden["id"]);
        assert_eq!(hidden["target"]["label"], "Repair café");
        assert_eq!(hidden["public_comment"], "Reported as spam, checking");
        assert_eq!(removed["category"], "rule_violation");
        assert_eq!(
            removed["rules"],
            json!([{"id": 2, "text": "No advertising"}])
        );
        assert_eq!(
            removed["target"]["label"],
            Value::Null,
            "a removed event's title is not shown"
        );

        save(&admin, settings(json!({"transparency": "named"}))).await;
        let named = transparency(&server).await;
        assert_eq!(
            named.json["entries"][0]["moderator"], "@admin",
            "{}",
            named.text
        );
    }
}

#[tokio::test]
async fn moderators_find_accounts_by_address_or_profile() {
    for scratch in test_urls("instance_accounts").await {
        let server = TestServer::start_with(&scratch, Options::default()).await;
        let mia = moderator(&server, "mia@example.org").await;
        let ana = member(&server, "ana@union.example").await;
        profile(&ana, "ana_rouge").await;
        let bob = member(&server, "bob@example.org").await;
        profile(&bob, "bob").await;

        let all = mia.get("/api/v1/admin/accounts").await;
        assert_eq!(all.status, 200, "{}", all.text);
        assert_eq!(all.json["accounts"].as_array().map(Vec::len), Some(3));
        assert_eq!(all.json["more"], false);

        let by_address = mia.get("/api/v1/admin/accounts?q=UNION").await;
        assert_eq!(by_address.json["accounts"][0]["email"], "ana@union.example");
        assert_eq!(
            by_address.json["accounts"][0]["profiles"],
            json!(["ana_rouge"])
        );
        assert_eq!(
            by_address.json["accounts"].as_array().map(Vec::len),
            Some(1)
        );
        let by_profile = mia.get("/api/v1/admin/accounts?q=rouge").await;
        assert_eq!(by_profile.json["accounts"][0]["email"], "ana@union.example");
        // `_` is a letter here, not a wildcard.
        let literal = mia.get("/api/v1/admin/accounts?q=a_r").await;
        assert_eq!(
            literal.json["accounts"].as_array().map(Vec::len),
            Some(1),
            "{}",
            literal.text
        );
        let not_bob = mia.get("/api/v1/admin/accounts?q=b_b").await;
        assert_eq!(
            not_bob.json["accounts"].as_array().map(Vec::len),
            Some(0),
            "{}",
            not_bob.text
        );
        let none = mia.get("/api/v1/admin/accounts?q=%25").await;
        assert_eq!(
            none.json["accounts"].as_array().map(Vec::len),
            Some(0),
            "{}",
            none.text
        );

        let bad = mia.get("/api/v1/admin/accounts?page=0").await;
        assert_eq!(bad.status, 422, "{}", bad.text);
        assert_eq!(fields(&bad), ["page"]);
        let refused = ana.get("/api/v1/admin/accounts").await;
        assert_eq!(refused.status, 403, "{}", refused.text);
    }
}
