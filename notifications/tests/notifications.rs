//! The notifications subscriber against a real server on 127.0.0.1, on SQLite and (with
//! TEST_DATABASE_URL) PostgreSQL: who hears of each change, in which language, once; settings;
//! replay; the mail outbox and its sender; one-click unsubscribe links.

mod common;
#[path = "../../api/tests/api/support.rs"]
#[allow(dead_code)]
mod support;
use common::{account_of, person, server, settled};

use convene_api::mail::Mailer;
use convene_notifications::unsubscribe::{self, Refusal};
use convene_notifications::{store, Delivery, Kind, NotificationsSubscriber, Retries, Sender};
use convene_projections::scratch::test_urls;
use convene_projections::{Runner, Subscriber};
use serde_json::json;
use sqlx::Row;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use support::{create_event, profile, TestServer};
use tokio::sync::Notify;

/// (recipient, kind, delivery) of every notification, in log order.
async fn all(server: &TestServer) -> Vec<(String, String, String)> {
    sqlx::query(
        "SELECT recipient, kind, delivery FROM notifications ORDER BY position, recipient, kind",
    )
    .fetch_all(server.db.pool())
    .await
    .expect("notifications")
    .iter()
    .map(|r| {
        (
            r.get::<String, _>("recipient"),
            r.get::<String, _>("kind"),
            r.get::<String, _>("delivery"),
        )
    })
    .collect()
}

fn n(recipient: &str, kind: &str, delivery: &str) -> (String, String, String) {
    (recipient.into(), kind.into(), delivery.into())
}

fn mail_folder_sender(server: &TestServer, new_mail: Arc<Notify>) -> Sender {
    let mailer = Mailer::to_folder("Convene <noreply@127.0.0.1>", &server.mail).expect("mailer");
    Sender::new(
        &server.db,
        Arc::new(mailer),
        &server.base,
        new_mail,
        Retries::default(),
    )
}

#[tokio::test]
async fn each_change_reaches_exactly_those_concerned_once() {
    for scratch in test_urls("notifications_flow").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let org = person(&server, "org@example.org", "en", "org").await;
        let ana = person(&server, "ana@example.org", "fr", "ana").await;
        let bob = person(&server, "bob@example.org", "en", "bob").await;
        // Ana's second profile: nothing sent to @ana may name it, nor the reverse.
        profile(&ana, "ana_alt").await;
        let event = create_event(&org, json!({"capacity": 1, "join_mode": "restricted"})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();

        let mut pids = Vec::new();
        for who in [&ana, &bob] {
            let joined = who
                .post(&format!("/api/v1/events/{id}/participations"), json!({}))
                .await;
            assert_eq!(joined.status, 201, "{label}: {}", joined.text);
            pids.push(joined.json["id"].as_str().unwrap_or_default().to_string());
        }
        for pid in &pids {
            let approved = org
                .post(
                    &format!("/api/v1/events/{id}/participations/{pid}/approve"),
                    json!({}),
                )
                .await;
            assert_eq!(approved.status, 200, "{label}: {}", approved.text);
        }
        // Ana leaves: Bob, first in line, takes her seat.
        let left = ana
            .delete(&format!("/api/v1/events/{id}/participations/mine"))
            .await;
        assert!(left.status < 300, "{label}: {}", left.text);
        // The organiser turns requests off (once the requests so far are told: the setting is
        // read when a change is derived), then a third person asks: no notification.
        settled(&server).await;
        let org_account = account_of(&server, "org@example.org").await;
        let mut conn = server.db.pool().acquire().await.expect("connection");
        store::set_setting(&mut conn, &org_account, Kind::JoinRequest, Delivery::Off)
            .await
            .expect("setting");
        drop(conn);
        settled(&server).await;
        let carl = person(&server, "carl@example.org", "en", "carl").await;
        carl.post(&format!("/api/v1/events/{id}/participations"), json!({}))
            .await;
        // A new time (and the same place given again: not a change of place).
        let moved = org
            .patch(
                &format!("/api/v1/events/{id}"),
                json!({"begins_at": "2030-06-02T14:00:00Z", "ends_at": "2030-06-02T17:00:00Z"}),
            )
            .await;
        assert_eq!(moved.status, 200, "{label}: {}", moved.text);
        let cancelled = org
            .post(&format!("/api/v1/events/{id}/cancel"), json!({}))
            .await;
        assert!(cancelled.status < 300, "{label}: {}", cancelled.text);
        settled(&server).await;

        let expected = vec![
            n("@org", "join_request", "mail"),
            n("@org", "join_request", "mail"),
            n("@ana", "approved", "mail"),
            n("@bob", "approved", "mail"),
            n("@bob", "promoted", "mail"),
            n("@org", "join_request", "off"),
            n("@bob", "event_changed", "mail"),
            n("@bob", "event_cancelled", "mail"),
        ];
        assert_eq!(all(&server).await, expected, "{label}");

        // The inbox shows what was not turned off, newest first.
        let inbox = store::inbox(server.db.pool(), &org_account, 50, 0)
            .await
            .expect("inbox");
        assert_eq!(inbox.len(), 2, "{label}");
        assert!(inbox.iter().all(|n| n.kind == Kind::JoinRequest));
        assert_eq!(
            store::unread(server.db.pool(), &org_account).await.ok(),
            Some(2)
        );
        assert!(store::mark_read(
            server.db.pool(),
            &org_account,
            &inbox[0].id,
            "2030-01-01T00:00:00Z"
        )
        .await
        .expect("mark"));
        assert_eq!(
            store::unread(server.db.pool(), &org_account).await.ok(),
            Some(1)
        );

        // Mail: each in its account's language, text and HTML, with the one-click headers.
        let sender = mail_folder_sender(&server, new_mail.clone());
        let round = sender.send_due().await.expect("send");
        assert_eq!(round.sent, 7, "{label}: {round:?}");
        let ana_mail = server.mails_to("ana@example.org");
        let approved: Vec<&String> = ana_mail
            .iter()
            .filter(|m| m.contains("Vous pouvez participer"))
            .collect();
        assert_eq!(approved.len(), 1, "{label}: {ana_mail:?}");
        let mail = approved[0];
        assert!(
            mail.contains("text/plain") && mail.contains("text/html"),
            "{mail}"
        );
        assert!(
            mail.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{mail}"
        );
        assert!(mail.contains("@ana") && !mail.contains("ana_alt"), "{mail}");
        let bob_mail = server.mails_to("bob@example.org");
        let changed: Vec<&String> = bob_mail
            .iter()
            .filter(|m| m.contains("has changed"))
            .collect();
        assert_eq!(changed.len(), 1, "{label}: {bob_mail:?}");
        assert!(
            changed[0].contains("2030-06-02 16:00 (Europe/Paris)")
                && changed[0].contains("2030-06-01 16:00"),
            "{}",
            changed[0]
        );
        assert!(!changed[0].contains("place changed"), "{}", changed[0]);
        assert_eq!(
            bob_mail
                .iter()
                .filter(|m| m.contains("Subject: Cancelled"))
                .count(),
            1,
            "{label}"
        );
        assert!(server
            .mails_to("carl@example.org")
            .iter()
            .all(|m| !m.contains("join")));

        // Replay: the subscriber forgets its checkpoint and derives everything again — the same
        // ids, so nothing new is stored and nothing is sent again.
        let mut server = server;
        server.stop_subscribers().await;
        let subscriber: Arc<dyn Subscriber> =
            Arc::new(NotificationsSubscriber::new(new_mail.clone()));
        let runner = Runner::new(subscriber, &server.db);
        runner.reset().await.expect("reset");
        runner
            .catch_up(server.head().await, &mut |_| {})
            .await
            .expect("replay");
        assert_eq!(all(&server).await, expected, "{label}: after replay");
        let again = sender.send_due().await.expect("send");
        assert_eq!(again.sent, 0, "{label}");

        // One-click unsubscribe: the link works once; altered or used again, it changes nothing.
        let marker = "/notifications/unsubscribe?token=";
        let text = changed[0].clone();
        let start = text.find(marker).expect("link") + marker.len();
        let token: String = text[start..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit() || *c == '.')
            .collect();
        let mut tampered = token.clone();
        tampered.replace_range(0..2, if token.starts_with("00") { "11" } else { "00" });
        let pool = server.db.pool();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let routes = convene_notifications::http::routes(&server.db);
        tokio::spawn(async move { axum::serve(listener, routes).await });
        let one_click = |token: String| {
            let url = format!("{base}/notifications/unsubscribe?token={token}");
            tokio::task::spawn_blocking(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let response = agent
                    .post(&url)
                    .content_type("application/x-www-form-urlencoded")
                    .send("List-Unsubscribe=One-Click")
                    .expect("answer");
                response.status().as_u16()
            })
        };
        assert_eq!(one_click(tampered).await.ok(), Some(400), "{label}");
        let bob_account = account_of(&server, "bob@example.org").await;
        assert_eq!(
            store::setting(pool, &bob_account, Kind::EventChanged)
                .await
                .ok(),
            Some(Delivery::Mail)
        );
        assert_eq!(one_click(token.clone()).await.ok(), Some(200), "{label}");
        assert_eq!(
            store::setting(pool, &bob_account, Kind::EventChanged)
                .await
                .ok(),
            Some(Delivery::Off)
        );
        let mut conn = pool.acquire().await.expect("connection");
        store::set_setting(&mut conn, &bob_account, Kind::EventChanged, Delivery::Mail)
            .await
            .expect("setting");
        drop(conn);
        // Replayed: refused, and the setting chosen since stays.
        assert_eq!(one_click(token.clone()).await.ok(), Some(410), "{label}");
        assert_eq!(
            unsubscribe::unsubscribe(pool, &token).await.expect("db"),
            Err(Refusal::Used)
        );
        assert_eq!(
            store::setting(pool, &bob_account, Kind::EventChanged)
                .await
                .ok(),
            Some(Delivery::Mail)
        );
        drop(bob);
    }
}

/// A free port on 127.0.0.1 (nothing listens on it once this returns).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Whether Python's aiosmtpd is here to serve SMTP on loopback; its absence is said loudly (and
/// fails in CI, where `.ci/run` installs it).
fn aiosmtpd_present(test: &str) -> bool {
    let present = std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !present {
        assert!(
            std::env::var("CI").is_err(),
            "aiosmtpd is missing in CI: .ci/run installs it"
        );
        let _ = writeln!(
            std::io::stderr(),
            "*** {test}: SKIPPED: python3 -m pip install aiosmtpd to run it ***"
        );
    }
    present
}

/// The loopback SMTP server of `smtp_server.py` (see [`aiosmtpd_present`]).
fn smtp_server(port: u16, folder: &std::path::Path) -> std::process::Child {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_server.py");
    let mut child = std::process::Command::new("python3")
        .arg(script)
        .arg(port.to_string())
        .arg(folder)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the SMTP server");
    let mut line = String::new();
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("stdout");
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the SMTP server starts");
    assert_eq!(line.trim(), "ready");
    child
}

async fn mail_states(server: &TestServer) -> Vec<(String, String, i64, Option<String>)> {
    sqlx::query(
        "SELECT n.recipient, m.state, m.attempts, m.last_error FROM notification_mails m \
         JOIN notifications n ON n.id = m.id ORDER BY n.recipient",
    )
    .fetch_all(server.db.pool())
    .await
    .expect("mails")
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
    .collect()
}

#[tokio::test]
async fn smtp_refusals_and_outages_lose_nothing_and_send_nothing_twice() {
    if !aiosmtpd_present("smtp_refusals_and_outages_lose_nothing_and_send_nothing_twice") {
        return;
    }
    for scratch in test_urls("notifications_smtp").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let org = person(&server, "org@example.org", "en", "org").await;
        let event = create_event(&org, json!({})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        for (email, name) in [
            ("ok@example.org", "okay"),
            ("later@example.org", "later"),
            ("bounce@example.org", "bounce"),
        ] {
            let who = person(&server, email, "en", name).await;
            let joined = who
                .post(&format!("/api/v1/events/{id}/participations"), json!({}))
                .await;
            assert_eq!(joined.status, 201, "{label}: {}", joined.text);
        }
        let cancelled = org
            .post(&format!("/api/v1/events/{id}/cancel"), json!({}))
            .await;
        assert!(cancelled.status < 300, "{label}: {}", cancelled.text);
        settled(&server).await;
        // The organiser gets new participants in the digest: only the three cancellations mail.
        let port = free_port();
        let received = tempfile::tempdir().expect("folder");
        let mailer = Mailer::smtp(
            "Convene <noreply@127.0.0.1>",
            &format!("smtp://127.0.0.1:{port}"),
        )
        .expect("mailer");
        let retries = Retries {
            first_delay: Duration::ZERO,
            max_attempts: 4,
            ..Retries::default()
        };
        let sender = Sender::new(
            &server.db,
            Arc::new(mailer),
            &server.base,
            new_mail,
            retries,
        );

        // The server is down: every mail waits, none is lost.
        let round = sender.send_due().await.expect("round");
        assert_eq!(
            (round.sent, round.retrying, round.failed),
            (0, 3, 0),
            "{label}"
        );
        let mut smtp = smtp_server(port, received.path());
        // Up: one accepted, one refused for now (451), one refused for good (550).
        let round = sender.send_due().await.expect("round");
        assert_eq!(
            (round.sent, round.retrying, round.failed),
            (1, 1, 1),
            "{label}"
        );
        let round = sender.send_due().await.expect("round");
        assert_eq!(
            (round.sent, round.retrying, round.failed),
            (1, 0, 0),
            "{label}"
        );
        let round = sender.send_due().await.expect("round");
        assert_eq!(
            (round.sent, round.retrying, round.failed),
            (0, 0, 0),
            "{label}"
        );
        let _ = smtp.kill();
        let _ = smtp.wait();

        let states = mail_states(&server).await;
        assert_eq!(states.len(), 3, "{label}: {states:?}");
        assert_eq!(
            (states[0].0.as_str(), states[0].1.as_str()),
            ("@bounce", "failed")
        );
        assert!(
            states[0].3.as_deref().is_some_and(|e| e.contains("550")),
            "{label}: {states:?}"
        );
        assert_eq!(
            (states[1].0.as_str(), states[1].1.as_str(), states[1].2),
            ("@later", "sent", 3)
        );
        assert_eq!(
            (states[2].0.as_str(), states[2].1.as_str(), states[2].2),
            ("@okay", "sent", 2)
        );
        let mut files: Vec<String> = std::fs::read_dir(received.path())
            .expect("received")
            .filter_map(Result::ok)
            .map(|e| {
                e.file_name()
                    .to_string_lossy()
                    .split_once('-')
                    .map(|(_, r)| r.to_string())
                    .unwrap_or_default()
            })
            .collect();
        files.sort();
        assert_eq!(
            files,
            ["later@example.org.eml", "ok@example.org.eml"],
            "{label}"
        );
        let administrators_see = store::outbox(server.db.pool(), "failed", 10)
            .await
            .expect("outbox");
        assert_eq!(administrators_see.len(), 1);
        let health = server.client().get("/healthz").await;
        assert_eq!(
            (
                health.json["notifications"]["pending"].as_i64(),
                health.json["notifications"]["failed"].as_i64()
            ),
            (Some(0), Some(1)),
            "{label}: {}",
            health.text
        );
    }
}

#[tokio::test]
async fn folds_kept_between_batches_derive_what_one_fold_of_the_whole_log_derives() {
    use convene_notifications::subscriber::{derive, Folds};
    for scratch in test_urls("notifications_folds").await {
        let (server, _) = server(&scratch).await;
        let org = person(&server, "org@example.org", "en", "org").await;
        let ana = person(&server, "ana@example.org", "fr", "ana").await;
        let bob = person(&server, "bob@example.org", "en", "bob").await;
        let event = create_event(&org, json!({"capacity": 1, "join_mode": "restricted"})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        for who in [&ana, &bob] {
            let joined = who
                .post(&format!("/api/v1/events/{id}/participations"), json!({}))
                .await;
            let pid = joined.json["id"].as_str().unwrap_or_default().to_string();
            org.post(
                &format!("/api/v1/events/{id}/participations/{pid}/approve"),
                json!({}),
            )
            .await;
        }
        let posted = ana
            .post(
                &format!("/api/v1/events/{id}/comments"),
                json!({"body": "Hi"}),
            )
            .await;
        let parent = posted.json["id"].as_str().unwrap_or_default().to_string();
        bob.post(
            &format!("/api/v1/events/{id}/comments"),
            json!({"body": "Hello", "in_reply_to": parent}),
        )
        .await;
        ana.delete(&format!("/api/v1/events/{id}/participations/mine"))
            .await;
        org.patch(
            &format!("/api/v1/events/{id}"),
            json!({"begins_at": "2030-06-02T14:00:00Z", "ends_at": "2030-06-02T17:00:00Z"}),
        )
        .await;
        settled(&server).await;

        let pool = server.db.pool();
        let log = convene_projections::EventLog::new(&server.db)
            .read_after(0, 10_000)
            .await
            .expect("the log");
        let ids = |derived: convene_notifications::subscriber::Derivation| {
            derived
                .notifications
                .into_iter()
                .map(|n| n.id)
                .collect::<Vec<_>>()
        };
        let whole = ids(derive(pool, &log, &mut Folds::default())
            .await
            .expect("derive"));
        assert!(whole.len() >= 5, "{}: {whole:?}", server.label);
        let mut folds = Folds::default();
        let mut one_by_one = Vec::new();
        for change in log.chunks(1) {
            one_by_one.extend(ids(derive(pool, change, &mut folds).await.expect("derive")));
        }
        assert_eq!(one_by_one, whole, "{}", server.label);
        // A batch seen again (a replay, another process's batch) reads from the start.
        let again = ids(derive(pool, &log, &mut folds).await.expect("derive"));
        assert_eq!(again, whole, "{}", server.label);
    }
}

/// An organiser's announcement reaches everyone taking part or waiting — accounts in their own
/// language, an anonymous participant at the confirmed address in the event's — through the
/// outbox, once, except those who turned announcements off.
#[tokio::test]
async fn announcements_reach_participants_and_the_waitlist_as_each_chose() {
    for scratch in test_urls("notifications_announcements").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let org = person(&server, "org@example.org", "en", "org").await;
        let ana = person(&server, "ana@example.org", "fr", "ana").await;
        let dan = person(&server, "dan@example.org", "en", "dan").await;
        let bob = person(&server, "bob@example.org", "en", "bob").await;
        let event = create_event(
            &org,
            json!({"capacity": 3, "options": {"anonymous_participation": true}}),
        )
        .await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        for who in [&ana, &dan] {
            let joined = who
                .post(&format!("/api/v1/events/{id}/participations"), json!({}))
                .await;
            assert_eq!(joined.status, 201, "{label}: {}", joined.text);
        }
        let asked = server
            .client()
            .post(
                &format!("/api/v1/events/{id}/anonymous-participations"),
                json!({"email": "zoe@example.org"}),
            )
            .await;
        assert_eq!(asked.status, 202, "{label}: {}", asked.text);
        let confirm = server.token_mailed("zoe@example.org", "confirm").await;
        let confirmed = server
            .client()
            .post(
                "/api/v1/anonymous-participations/confirm",
                json!({ "token": confirm }),
            )
            .await;
        assert_eq!(confirmed.status, 200, "{label}: {}", confirmed.text);
        // No seat left: Bob waits.
        let waiting = bob
            .post(&format!("/api/v1/events/{id}/participations"), json!({}))
            .await;
        assert_eq!(
            waiting.json["state"], "waitlisted",
            "{label}: {}",
            waiting.text
        );
        // Dan turned announcements off.
        let dan_account = account_of(&server, "dan@example.org").await;
        let mut conn = server.db.pool().acquire().await.expect("connection");
        store::set_setting(&mut conn, &dan_account, Kind::Announcement, Delivery::Off)
            .await
            .expect("setting");
        drop(conn);
        let announced = org
            .post(
                &format!("/api/v1/events/{id}/comments"),
                json!({"body": "<p>Bring water!</p>", "announcement": true}),
            )
            .await;
        assert_eq!(announced.status, 201, "{label}: {}", announced.text);
        settled(&server).await;
        let told: Vec<_> = all(&server)
            .await
            .into_iter()
            .filter(|(_, kind, _)| kind == "announcement")
            .collect();
        assert_eq!(
            told,
            [
                n("@ana", "announcement", "mail"),
                n("@bob", "announcement", "mail"),
                n("@dan", "announcement", "off"),
                n("mailto:zoe@example.org", "announcement", "mail"),
            ],
            "{label}"
        );

        let sender = mail_folder_sender(&server, new_mail.clone());
        sender.send_due().await.expect("send");
        let announcements = |server: &TestServer, to: &str| -> Vec<String> {
            server
                .mails_to(to)
                .into_iter()
                .filter(|m| m.contains("Bring water!"))
                .collect()
        };
        let ana_mail = announcements(&server, "ana@example.org");
        assert_eq!(ana_mail.len(), 1, "{label}: {ana_mail:?}");
        assert!(
            ana_mail[0].contains("annoncent")
                && ana_mail[0].contains("text/html")
                && ana_mail[0].contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{label}: in French, with the one-click link: {}",
            ana_mail[0]
        );
        let bob_mail = announcements(&server, "bob@example.org");
        assert_eq!(bob_mail.len(), 1, "{label}: the waitlist hears too");
        assert!(
            bob_mail[0].contains("announce:"),
            "{label}: {}",
            bob_mail[0]
        );
        let zoe_mail = announcements(&server, "zoe@example.org");
        assert_eq!(zoe_mail.len(), 1, "{label}: {zoe_mail:?}");
        assert!(
            !zoe_mail[0].contains("List-Unsubscribe"),
            "{label}: no settings to unsubscribe from"
        );
        // Zoe's mail carries the link cancelling her participation, in both parts; accounts'
        // mails carry none.
        let marker = format!("{}/participations/cancel?token=", server.base);
        assert_eq!(
            zoe_mail[0].matches(&marker).count(),
            2,
            "{label}: {}",
            zoe_mail[0]
        );
        assert!(!ana_mail[0].contains("participations/cancel"), "{label}");
        let start = zoe_mail[0].find(&marker).unwrap_or_default() + marker.len();
        let token: String = zoe_mail[0][start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        assert_eq!(
            token,
            server.token_mailed("zoe@example.org", "cancel").await,
            "{label}: the very link of her confirmation mail"
        );
        assert!(
            announcements(&server, "dan@example.org").is_empty(),
            "{label}"
        );
        assert!(
            announcements(&server, "org@example.org").is_empty(),
            "{label}"
        );

        // It works: Zoe leaves, and the next mails to the event's participants reach her no more.
        let cancelled = server
            .client()
            .post(
                "/api/v1/anonymous-participations/cancel",
                json!({ "token": token }),
            )
            .await;
        assert_eq!(cancelled.status, 200, "{label}: {}", cancelled.text);
        let again = org
            .post(
                &format!("/api/v1/events/{id}/comments"),
                json!({"body": "<p>Bring hats!</p>", "announcement": true}),
            )
            .await;
        assert_eq!(again.status, 201, "{label}: {}", again.text);
        settled(&server).await;
        sender.send_due().await.expect("send");
        assert!(
            server
                .mails_to("zoe@example.org")
                .iter()
                .all(|m| !m.contains("Bring hats!")),
            "{label}"
        );
        assert_eq!(
            server
                .mails_to("ana@example.org")
                .iter()
                .filter(|m| m.contains("Bring hats!"))
                .count(),
            1,
            "{label}"
        );

        // Replayed: nothing new, nothing sent again.
        let mut server = server;
        server.stop_subscribers().await;
        let subscriber: Arc<dyn Subscriber> =
            Arc::new(NotificationsSubscriber::new(new_mail.clone()));
        let runner = Runner::new(subscriber, &server.db);
        runner.reset().await.expect("reset");
        runner
            .catch_up(server.head().await, &mut |_| {})
            .await
            .expect("replay");
        assert_eq!(sender.send_due().await.expect("send").sent, 0, "{label}");
        assert_eq!(
            announcements(&server, "ana@example.org").len(),
            1,
            "{label}"
        );
    }
}

/// A cancellation mail says why, as the organisers put it, in each recipient's language: an
/// account in its own, an anonymous participant in the event's, without a link to cancel a
/// participation in an event that will not take place.
#[tokio::test]
async fn a_cancellation_mail_carries_the_organisers_reason() {
    for scratch in test_urls("notifications_cancel_reason").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let org = person(&server, "org@example.org", "en", "org").await;
        let ana = person(&server, "ana@example.org", "fr", "ana").await;
        let bob = person(&server, "bob@example.org", "en", "bob").await;
        let event = create_event(
            &org,
            json!({"language": "en", "options": {"anonymous_participation": true}}),
        )
        .await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        for who in [&ana, &bob] {
            let joined = who
                .post(&format!("/api/v1/events/{id}/participations"), json!({}))
                .await;
            assert_eq!(joined.status, 201, "{label}: {}", joined.text);
        }
        let asked = server
            .client()
            .post(
                &format!("/api/v1/events/{id}/anonymous-participations"),
                json!({"email": "zoe@example.org"}),
            )
            .await;
        assert_eq!(asked.status, 202, "{label}: {}", asked.text);
        let confirm = server.token_mailed("zoe@example.org", "confirm").await;
        let confirmed = server
            .client()
            .post(
                "/api/v1/anonymous-participations/confirm",
                json!({ "token": confirm }),
            )
            .await;
        assert_eq!(confirmed.status, 200, "{label}: {}", confirmed.text);
        let cancelled = org
            .post(
                &format!("/api/v1/events/{id}/cancel"),
                json!({"reason": "The hall is flooded.\nSee you in July."}),
            )
            .await;
        assert_eq!(cancelled.status, 200, "{label}: {}", cancelled.text);
        settled(&server).await;
        let sender = mail_folder_sender(&server, new_mail.clone());
        sender.send_due().await.expect("send");
        let cancellation = |to: &str| -> Vec<String> {
            server
                .mails_to(to)
                .into_iter()
                .filter(|m| m.contains("The hall is flooded."))
                .collect()
        };
        for (to, says) in [
            (
                "ana@example.org",
                "Raison donnée par l’organisation : The hall is flooded.",
            ),
            (
                "bob@example.org",
                "The organisers’ reason: The hall is flooded.",
            ),
            (
                "zoe@example.org",
                "The organisers’ reason: The hall is flooded.",
            ),
        ] {
            let mails = cancellation(to);
            assert_eq!(mails.len(), 1, "{label} {to}: {mails:?}");
            assert!(mails[0].contains(says), "{label} {to}: {}", mails[0]);
            assert!(
                mails[0].contains("The hall is flooded.<br>See you in July."),
                "{label} {to}: the HTML part keeps the line break: {}",
                mails[0]
            );
            assert!(
                !mails[0].contains("participations/cancel"),
                "{label} {to}: nothing left to cancel"
            );
        }
        assert!(cancellation("org@example.org").is_empty(), "{label}");
    }
}

/// A request to join a moderated group reaches its moderators and administrators, each in their
/// language, with its message and the link to the group's members page; a plain member and the
/// one asking hear nothing; a replay sends nothing again.
#[tokio::test]
async fn a_request_to_join_a_group_reaches_its_moderators() {
    for scratch in test_urls("notifications_group_requests").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let ana = person(&server, "ana@example.org", "fr", "ana").await;
        let bob = person(&server, "bob@example.org", "en", "bob").await;
        let cy = person(&server, "cy@example.org", "en", "cy").await;
        let dee = person(&server, "dee@example.org", "en", "dee").await;
        let created = ana
            .post(
                "/api/v1/groups",
                json!({"handle": "repair", "display_name": "Repair café"}),
            )
            .await;
        assert_eq!(created.status, 201, "{label}: {}", created.text);
        // Bob and Cy ask and are let in; Bob becomes a moderator.
        for (who, name) in [(&bob, "bob"), (&cy, "cy")] {
            let asked = who.post("/api/v1/groups/repair/members", json!({})).await;
            assert_eq!(asked.status, 201, "{label}: {}", asked.text);
            let approved = ana
                .post(
                    &format!("/api/v1/groups/repair/members/{name}/approve"),
                    json!({}),
                )
                .await;
            assert_eq!(approved.status, 200, "{label}: {}", approved.text);
        }
        let promoted = ana
            .put(
                "/api/v1/groups/repair/members/bob/role",
                json!({"role": "moderator"}),
            )
            .await;
        assert_eq!(promoted.status, 200, "{label}: {}", promoted.text);
        let asked = dee
            .post(
                "/api/v1/groups/repair/members",
                json!({"message": "I fix <b>lamps</b>"}),
            )
            .await;
        assert_eq!(asked.status, 201, "{label}: {}", asked.text);
        settled(&server).await;
        let told: Vec<_> = all(&server)
            .await
            .into_iter()
            .filter(|(_, kind, _)| kind == "group_join_request")
            .collect();
        // Ana heard of Cy's request before Bob was a moderator; Bob hears of Dee's only.
        assert_eq!(
            told,
            [
                n("@ana", "group_join_request", "mail"),
                n("@ana", "group_join_request", "mail"),
                n("@ana", "group_join_request", "mail"),
                n("@bob", "group_join_request", "mail"),
            ],
            "{label}"
        );
        let sender = mail_folder_sender(&server, new_mail.clone());
        sender.send_due().await.expect("send");
        let about_dee = |server: &TestServer, to: &str| -> Vec<String> {
            server
                .mails_to(to)
                .into_iter()
                .filter(|m| m.contains("@dee"))
                .collect()
        };
        let members_page = format!("{}/@repair/members", server.base);
        let ana_mail = about_dee(&server, "ana@example.org");
        assert_eq!(ana_mail.len(), 1, "{label}: {ana_mail:?}");
        assert!(
            ana_mail[0].contains("demande à rejoindre le groupe « Repair café »")
                && ana_mail[0].contains("Son message : I fix lamps")
                && ana_mail[0].contains(&members_page),
            "{label}: {}",
            ana_mail[0]
        );
        let bob_mail = about_dee(&server, "bob@example.org");
        assert_eq!(bob_mail.len(), 1, "{label}: {bob_mail:?}");
        assert!(
            bob_mail[0].contains("asks to join the group “Repair café”")
                && bob_mail[0].contains("<blockquote>I fix lamps</blockquote>"),
            "{label}: {}",
            bob_mail[0]
        );
        assert!(about_dee(&server, "cy@example.org").is_empty(), "{label}");
        assert!(about_dee(&server, "dee@example.org").is_empty(), "{label}");
        // Replayed: the same notifications, nothing sent again.
        let before = all(&server).await;
        let mut server = server;
        server.stop_subscribers().await;
        let subscriber: Arc<dyn Subscriber> =
            Arc::new(NotificationsSubscriber::new(new_mail.clone()));
        let runner = Runner::new(subscriber, &server.db);
        runner.reset().await.expect("reset");
        runner
            .catch_up(server.head().await, &mut |_| {})
            .await
            .expect("replay");
        assert_eq!(all(&server).await, before, "{label}");
        assert_eq!(sender.send_due().await.expect("send").sent, 0, "{label}");
        assert_eq!(about_dee(&server, "bob@example.org").len(), 1, "{label}");
    }
}

#[tokio::test]
async fn people_named_in_a_comment_hear_of_it_in_their_language() {
    for scratch in test_urls("notifications_mentions").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let org = person(&server, "org@example.org", "en", "org").await;
        person(&server, "ana@example.org", "fr", "ana").await;
        person(&server, "bob@example.org", "en", "bob").await;
        let event = create_event(&org, json!({"language": "en"})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        let private = create_event(&org, json!({"visibility": "private"})).await;
        let private = private["id"].as_str().unwrap_or_default().to_string();
        for (on, body) in [
            (
                &id,
                "<p>@ana @bob come along! Mail org@example.org, or @nobody.</p>",
            ),
            // Bob may not read the private event: naming him there tells him nothing.
            (&private, "<p>@bob this one is private</p>"),
        ] {
            let posted = org
                .post(
                    &format!("/api/v1/events/{on}/comments"),
                    json!({ "body": body }),
                )
                .await;
            assert_eq!(posted.status, 201, "{label}: {}", posted.text);
        }
        settled(&server).await;
        let mentions: Vec<(String, String)> = all(&server)
            .await
            .into_iter()
            .filter(|(_, kind, _)| kind == "mention")
            .map(|(recipient, _, delivery)| (recipient, delivery))
            .collect();
        assert_eq!(
            mentions,
            [(s("@ana"), s("mail")), (s("@bob"), s("mail"))],
            "{label}"
        );
        mail_folder_sender(&server, new_mail)
            .send_due()
            .await
            .expect("send");
        let said = |to: &str, words: &str| -> usize {
            server
                .mails_to(to)
                .into_iter()
                .filter(|m| m.contains(words))
                .count()
        };
        assert_eq!(said("ana@example.org", "vous a mentionné"), 1, "{label}");
        assert_eq!(said("bob@example.org", "mentioned you"), 1, "{label}");
        assert_eq!(said("bob@example.org", "this one is private"), 0, "{label}");
    }
}

fn s(text: &str) -> String {
    text.to_string()
}

/// A group's invitation, and the answer to a request to join, reach the profile concerned once,
/// in its account's language, through the outbox (text and HTML), never naming the moderator
/// who answered; a person who turned approvals off gets none; a replay sends nothing again.
#[tokio::test]
async fn a_group_s_invitations_and_answers_reach_the_profile_concerned() {
    for scratch in test_urls("notifications_group_answers").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let ana = person(&server, "ana@example.org", "en", "ana").await;
        let bob = person(&server, "bob@example.org", "en", "bob").await;
        let cy = person(&server, "cy@example.org", "en", "cy").await;
        let dee = person(&server, "dee@example.org", "en", "dee").await;
        person(&server, "zoe@example.org", "fr", "zoe").await;
        let cy_account = account_of(&server, "cy@example.org").await;
        let mut conn = server.db.pool().acquire().await.expect("conn");
        store::set_setting(&mut conn, &cy_account, Kind::GroupApproved, Delivery::Off)
            .await
            .expect("setting");
        drop(conn);
        let created = ana
            .post(
                "/api/v1/groups",
                json!({"handle": "repair", "display_name": "Repair café"}),
            )
            .await;
        assert_eq!(created.status, 201, "{label}: {}", created.text);
        for who in [&bob, &cy, &dee] {
            let asked = who.post("/api/v1/groups/repair/members", json!({})).await;
            assert_eq!(asked.status, 201, "{label}: {}", asked.text);
        }
        for name in ["bob", "cy"] {
            let approved = ana
                .post(
                    &format!("/api/v1/groups/repair/members/{name}/approve"),
                    json!({"reason": "welcome"}),
                )
                .await;
            assert_eq!(approved.status, 200, "{label}: {}", approved.text);
        }
        let rejected = ana
            .post(
                "/api/v1/groups/repair/members/dee/reject",
                json!({"reason": "Members live in <Lyon>"}),
            )
            .await;
        assert_eq!(rejected.status, 200, "{label}: {}", rejected.text);
        let invited = ana
            .post(
                "/api/v1/groups/repair/invitations",
                json!({"username": "zoe"}),
            )
            .await;
        assert_eq!(invited.status, 201, "{label}: {}", invited.text);
        settled(&server).await;
        let answers = |all: Vec<(String, String, String)>| -> Vec<(String, String, String)> {
            all.into_iter()
                .filter(|(_, kind, _)| kind.starts_with("group_") && kind != "group_join_request")
                .collect()
        };
        assert_eq!(
            answers(all(&server).await),
            [
                n("@bob", "group_approved", "mail"),
                n("@cy", "group_approved", "off"),
                n("@dee", "group_rejected", "mail"),
                n("@zoe", "group_invitation", "mail"),
            ],
            "{label}"
        );

        let sender = mail_folder_sender(&server, new_mail.clone());
        sender.send_due().await.expect("send");
        let about_repair = |to: &str| -> Vec<String> {
            server
                .mails_to(to)
                .into_iter()
                .filter(|m| m.contains("Repair caf") && !m.contains("asks to join"))
                .collect()
        };
        let group_page = format!("{}/@repair", server.base);
        let bob_mail = about_repair("bob@example.org");
        assert_eq!(bob_mail.len(), 1, "{label}: {bob_mail:?}");
        assert!(
            bob_mail[0].contains("Welcome to Repair café")
                && bob_mail[0].contains("you are now a member")
                && bob_mail[0].contains("text/plain")
                && bob_mail[0].contains("text/html")
                && bob_mail[0].contains(&group_page)
                && bob_mail[0].contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{label}: {}",
            bob_mail[0]
        );
        assert!(
            !bob_mail[0].contains("@ana"),
            "{label}: the moderator is not named"
        );
        assert!(about_repair("cy@example.org").is_empty(), "{label}");
        let dee_mail = about_repair("dee@example.org");
        assert_eq!(dee_mail.len(), 1, "{label}: {dee_mail:?}");
        assert!(
            dee_mail[0].contains("was not accepted")
                && dee_mail[0].contains("The moderators’ reason: Members live in <Lyon>")
                && dee_mail[0].contains("Members live in &lt;Lyon&gt;"),
            "{label}: {}",
            dee_mail[0]
        );
        let zoe_mail = about_repair("zoe@example.org");
        assert_eq!(zoe_mail.len(), 1, "{label}: {zoe_mail:?}");
        assert!(
            zoe_mail[0].contains("Pour votre profil @zoe.")
                && zoe_mail[0].contains("@ana vous invite à rejoindre le groupe « Repair café »")
                && zoe_mail[0].contains(&group_page),
            "{label}: {}",
            zoe_mail[0]
        );
        // The inbox holds the same.
        let bob_account = account_of(&server, "bob@example.org").await;
        let inbox = store::inbox(server.db.pool(), &bob_account, 10, 0)
            .await
            .expect("inbox");
        assert!(
            inbox.iter().any(|n| n.kind == Kind::GroupApproved),
            "{label}: {inbox:?}"
        );

        // Replayed: the same notifications, nothing sent again.
        let before = all(&server).await;
        let mut server = server;
        server.stop_subscribers().await;
        let subscriber: Arc<dyn Subscriber> =
            Arc::new(NotificationsSubscriber::new(new_mail.clone()));
        let runner = Runner::new(subscriber, &server.db);
        runner.reset().await.expect("reset");
        runner
            .catch_up(server.head().await, &mut |_| {})
            .await
            .expect("replay");
        assert_eq!(all(&server).await, before, "{label}");
        assert_eq!(sender.send_due().await.expect("send").sent, 0, "{label}");
    }
}

/// Gives the client's account `role`, as the command line would, and waits until it shows.
async fn give_role(client: &support::Client, role: convene_domain::Role, server: &TestServer) {
    use convene_domain::{Account, AccountCommand, Actor, Metadata, Source};
    let id = client.get("/api/v1/me").await.json["account"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let metadata = Metadata::now(Actor::System, Source::Cli, "test");
    convene_projections::Commands::<Account>::new(&server.db, ())
        .execute(&id, AccountCommand::ChangeRole { role }, &metadata)
        .await
        .expect("give a role");
    for _ in 0..100 {
        if client.get("/api/v1/me").await.json["account"]["role"] == role.as_str() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the role never showed");
}

/// A reporter hears, in their language, that their report was handled — not by whom, not why;
/// a warned account gets the moderators' words, naming none of its profiles and no moderator,
/// with no link to turn such mails off; the person reported hears nothing of the report.
#[tokio::test]
async fn a_handled_report_and_a_warning_reach_only_those_concerned() {
    for scratch in test_urls("notifications_moderation").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let carol = person(&server, "carol@example.org", "fr", "carol").await;
        let bob = person(&server, "bob@example.org", "en", "bob").await;
        let mia = person(&server, "mia@example.org", "en", "mia").await;
        give_role(&mia, convene_domain::Role::Moderator, &server).await;
        let event = create_event(&bob, json!({"title": "Buy cheap watches"})).await;
        let event = event["id"].as_str().unwrap_or_default().to_string();
        let filed = carol
            .post(
                "/api/v1/reports",
                json!({"target": {"kind": "event", "id": event}, "category": {"kind": "spam"}}),
            )
            .await;
        assert_eq!(filed.status, 201, "{label}: {}", filed.text);
        let report = filed.json["id"].as_str().unwrap_or_default().to_string();
        let resolved = mia
            .post(
                &format!("/api/v1/moderation/reports/{report}/resolve"),
                json!({"reason": "Advertising, event hidden"}),
            )
            .await;
        assert_eq!(resolved.status, 200, "{label}: {}", resolved.text);
        let warned = mia
            .post(
                "/api/v1/moderation/decisions",
                json!({"action": "warn", "target": {"kind": "profile", "username": "bob"},
                       "reason": "Please stop the spam."}),
            )
            .await;
        assert_eq!(warned.status, 201, "{label}: {}", warned.text);
        settled(&server).await;
        let bob_account = account_of(&server, "bob@example.org").await;
        let told: Vec<_> = all(&server)
            .await
            .into_iter()
            .filter(|(_, kind, _)| kind == "report_handled" || kind == "moderation_warning")
            .collect();
        assert_eq!(
            told,
            [
                n("@carol", "report_handled", "mail"),
                n(
                    &format!("account:{bob_account}"),
                    "moderation_warning",
                    "mail"
                ),
            ],
            "{label}"
        );

        let sender = mail_folder_sender(&server, new_mail.clone());
        sender.send_due().await.expect("send");
        let carol_mail: Vec<String> = server
            .mails_to("carol@example.org")
            .into_iter()
            .filter(|m| m.contains("signalement"))
            .collect();
        assert_eq!(carol_mail.len(), 1, "{label}: {carol_mail:?}");
        let mail = &carol_mail[0];
        assert!(
            mail.contains("Votre signalement a été traité")
                && mail.contains("ils ont pris les mesures nécessaires")
                && mail.contains("text/html"),
            "{label}: {mail}"
        );
        assert!(
            !mail.contains("mia") && !mail.contains("Advertising"),
            "{label}: neither who nor why: {mail}"
        );
        let bob_mail = server.mails_to("bob@example.org");
        assert!(
            bob_mail.iter().all(|m| !m.contains("report")),
            "{label}: {bob_mail:?}"
        );
        let warnings: Vec<&String> = bob_mail
            .iter()
            .filter(|m| m.contains("warning from the moderators"))
            .collect();
        assert_eq!(warnings.len(), 1, "{label}: {bob_mail:?}");
        let warning = warnings[0];
        assert!(
            warning.contains("Please stop the spam.") && warning.contains("text/html"),
            "{label}: {warning}"
        );
        assert!(
            !warning.contains("mia") && !warning.contains("@bob"),
            "{label}: names no moderator and no profile: {warning}"
        );
        assert!(!warning.contains("List-Unsubscribe"), "{label}: {warning}");
        let inbox = store::inbox(server.db.pool(), &bob_account, 10, 0)
            .await
            .expect("inbox");
        assert!(
            inbox.iter().any(|n| n.kind == Kind::ModerationWarning),
            "{label}: {inbox:?}"
        );
    }
}

/// A mail about an account (here a password reset) outlives a mail server that is down: kept in
/// the outbox with the refusal, sent once, in the account's language with both parts, when the
/// server is back; its link is then forgotten by the store.
#[tokio::test]
async fn account_mails_wait_in_the_outbox_while_the_mail_server_is_down() {
    use convene_api::account_mail::{self, AccountMail};
    for scratch in test_urls("notifications_account_mails").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        person(&server, "ana@example.org", "fr", "ana").await;
        let mut down = server.state.clone();
        down.config.mailer = Arc::new(
            Mailer::smtp(
                "Convene <noreply@127.0.0.1>",
                &format!("smtp://127.0.0.1:{}", free_port()),
            )
            .expect("mailer"),
        );
        let link = format!("{}/reset-password?token=s3cret-token", server.base);
        let values = [
            ("link", link.as_str()),
            ("token", "s3cret-token"),
            ("base", server.base.as_str()),
        ];
        account_mail::send(&down, AccountMail::Reset, "fr", "ana@example.org", &values).await;
        let pending = store::outbox(server.db.pool(), "pending", 10)
            .await
            .expect("outbox");
        assert_eq!(pending.len(), 1, "{label}: {pending:?}");
        assert_eq!(
            (pending[0].kind.as_str(), pending[0].recipient.as_str()),
            ("account:reset", "mailto:ana@example.org"),
            "{label}"
        );
        assert!(pending[0].last_error.is_some(), "{label}: {pending:?}");
        let with_token = |server: &TestServer| -> Vec<String> {
            server
                .mails_to("ana@example.org")
                .into_iter()
                .filter(|m| m.contains("s3cret-token"))
                .collect()
        };
        assert!(with_token(&server).is_empty(), "{label}");

        // The server is back (the mail folder here): sent once, in French, text and HTML.
        let sender = mail_folder_sender(&server, new_mail.clone());
        assert_eq!(sender.send_due().await.expect("send").sent, 1, "{label}");
        assert_eq!(sender.send_due().await.expect("send").sent, 0, "{label}");
        let sent = with_token(&server);
        assert_eq!(sent.len(), 1, "{label}: {sent:?}");
        assert!(
            sent[0].contains("Choisissez-en un nouveau dans l’heure")
                && sent[0].contains("text/plain")
                && sent[0].contains("text/html")
                && !sent[0].contains("List-Unsubscribe"),
            "{label}: {}",
            sent[0]
        );
        let kept: Vec<Option<String>> = sqlx::query_scalar("SELECT vals FROM account_mails")
            .fetch_all(server.db.pool())
            .await
            .expect("account mails");
        assert!(
            !kept.is_empty() && kept.iter().all(Option::is_none),
            "{label}: every link forgotten once sent: {kept:?}"
        );
    }
}

/// (id, state) of every mail in the outbox, notifications' and accounts' alike.
async fn outbox_rows(server: &TestServer) -> Vec<(String, String)> {
    sqlx::query_as("SELECT id, state FROM notification_mails ORDER BY id")
        .fetch_all(server.db.pool())
        .await
        .expect("outbox")
}

/// A replay after an upgrade that added kinds, or with the notifications' rows lost, tells
/// nobody now of a change from the past: what it derives anew for changes a running subscriber
/// had passed is stored as read, in no digest, with no mail; the account mails stay as they
/// were; a change after the replay is mailed as ever.
#[tokio::test]
async fn a_replay_mails_nothing_of_the_past_even_for_kinds_added_since() {
    for scratch in test_urls("notifications_past").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let org = person(&server, "org@example.org", "en", "org").await;
        let ana = person(&server, "ana@example.org", "fr", "ana").await;
        let bob = person(&server, "bob@example.org", "en", "bob").await;
        let bob_account = account_of(&server, "bob@example.org").await;
        let mut conn = server.db.pool().acquire().await.expect("connection");
        store::set_setting(
            &mut conn,
            &bob_account,
            Kind::EventChanged,
            Delivery::Digest,
        )
        .await
        .expect("setting");
        drop(conn);
        let event = create_event(&org, json!({})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        common::join(&ana, &id).await;
        common::join(&bob, &id).await;
        let move_to = |day: u32| {
            json!({"begins_at": format!("2030-06-{day:02}T14:00:00Z"),
                   "ends_at": format!("2030-06-{day:02}T17:00:00Z")})
        };
        let moved = org.patch(&format!("/api/v1/events/{id}"), move_to(2)).await;
        assert_eq!(moved.status, 200, "{label}: {}", moved.text);
        settled(&server).await;
        let sender = mail_folder_sender(&server, new_mail.clone());
        sender.send_due().await.expect("send");
        let before = all(&server).await;
        assert!(
            before.contains(&n("@ana", "event_changed", "mail"))
                && before.contains(&n("@bob", "event_changed", "digest"))
                && before.contains(&n("@org", "new_participant", "digest")),
            "{label}: {before:?}"
        );
        let ana_mails = server.mails_to("ana@example.org").len();
        let bob_mails = server.mails_to("bob@example.org").len();

        // As if the version that delivered them had not known event changes or new
        // participants (kinds added since), and Ana's rows were lost.
        let forgotten = "kind IN ('event_changed', 'new_participant') OR recipient = '@ana'";
        for sql in [
            format!("DELETE FROM notification_mails WHERE id IN (SELECT id FROM notifications WHERE {forgotten})"),
            format!("DELETE FROM notifications WHERE {forgotten}"),
        ] {
            sqlx::query(&sql)
                .execute(server.db.pool())
                .await
                .expect("forget");
        }
        let outbox = outbox_rows(&server).await;
        assert!(
            outbox.iter().all(|(_, state)| state == "sent"),
            "{label}: the account mails were sent: {outbox:?}"
        );

        // Rebuilt from position 0 by a new subscriber.
        let mut server = server;
        server.stop_subscribers().await;
        let subscriber: Arc<dyn Subscriber> =
            Arc::new(NotificationsSubscriber::new(new_mail.clone()));
        let runner = Runner::new(subscriber, &server.db);
        runner.reset().await.expect("reset");
        runner
            .catch_up(server.head().await, &mut |_| {})
            .await
            .expect("replay");
        assert_eq!(
            all(&server).await,
            before,
            "{label}: the same notifications"
        );
        let unsettled: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM notifications WHERE ({forgotten}) \
             AND (read_at IS NULL OR digest_id IS NULL OR digest_id <> 'past')"
        ))
        .fetch_one(server.db.pool())
        .await
        .expect("count");
        assert_eq!(unsettled, 0, "{label}: read and in no digest");
        assert_eq!(
            outbox_rows(&server).await,
            outbox,
            "{label}: no mail queued, the account mails untouched"
        );
        assert_eq!(sender.send_due().await.expect("send").sent, 0, "{label}");
        let digester = convene_notifications::Digester::new(
            &server.db,
            new_mail.clone(),
            Duration::from_secs(60),
        );
        digester
            .fire_due(store::now() + 3 * 24 * 3600)
            .await
            .expect("digests");
        assert_eq!(sender.send_due().await.expect("send").sent, 0, "{label}");
        assert_eq!(
            server.mails_to("ana@example.org").len(),
            ana_mails,
            "{label}"
        );
        assert_eq!(
            server.mails_to("bob@example.org").len(),
            bob_mails,
            "{label}"
        );
        let inbox = store::inbox(
            server.db.pool(),
            &account_of(&server, "ana@example.org").await,
            10,
            0,
        )
        .await
        .expect("inbox");
        assert!(
            inbox
                .iter()
                .any(|n| n.kind == Kind::EventChanged && n.read_at.is_some()),
            "{label}: in Ana's inbox, read: {inbox:?}"
        );

        // A change after the replay is mailed as ever.
        let moved = org.patch(&format!("/api/v1/events/{id}"), move_to(3)).await;
        assert_eq!(moved.status, 200, "{label}: {}", moved.text);
        runner
            .catch_up(server.head().await, &mut |_| {})
            .await
            .expect("catch up");
        assert_eq!(sender.send_due().await.expect("send").sent, 1, "{label}");
        assert_eq!(
            server.mails_to("ana@example.org").len(),
            ana_mails + 1,
            "{label}"
        );
    }
}

/// The `Message-ID` header of a mail's text.
fn message_id(mail: &str) -> Option<String> {
    mail.lines()
        .find_map(|line| line.strip_prefix("Message-ID: "))
        .map(|id| id.trim().to_string())
}

/// A mail the sender sends again (as when its process died after the server accepted it,
/// before the outbox recorded it) carries the same `Message-ID`, derived from its outbox id, so
/// the repeat is recognisable; account mails get theirs the same way.
#[tokio::test]
async fn a_mail_sent_again_after_a_crash_carries_the_same_message_id() {
    for scratch in test_urls("notifications_message_id").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let org = person(&server, "org@example.org", "en", "org").await;
        let ana = person(&server, "ana@example.org", "fr", "ana").await;
        let event = create_event(&org, json!({})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        common::join(&ana, &id).await;
        let moved = org
            .patch(
                &format!("/api/v1/events/{id}"),
                json!({"begins_at": "2030-06-02T14:00:00Z", "ends_at": "2030-06-02T17:00:00Z"}),
            )
            .await;
        assert_eq!(moved.status, 200, "{label}: {}", moved.text);
        settled(&server).await;
        let sender = mail_folder_sender(&server, new_mail.clone());
        sender.send_due().await.expect("send");
        let notification: String = sqlx::query_scalar(
            "SELECT id FROM notifications WHERE kind = 'event_changed' AND recipient = '@ana'",
        )
        .fetch_one(server.db.pool())
        .await
        .expect("notification");
        let expected = format!("<{notification}@127.0.0.1>");
        let changed = |server: &TestServer| -> Vec<String> {
            server
                .mails_to("ana@example.org")
                .into_iter()
                .filter(|m| message_id(m).as_deref() == Some(expected.as_str()))
                .collect()
        };
        assert_eq!(changed(&server).len(), 1, "{label}");

        // The outbox lost the record of its sending: sent again, under the same Message-ID.
        sqlx::query("UPDATE notification_mails SET state = 'pending', due_at = 0 WHERE id = $1")
            .bind(&notification)
            .execute(server.db.pool())
            .await
            .expect("lost record");
        assert_eq!(sender.send_due().await.expect("send").sent, 1, "{label}");
        assert_eq!(changed(&server).len(), 2, "{label}: one message, twice");

        // The confirmation mail, sent by the request that wrote it to the outbox.
        let confirmation: String = sqlx::query_scalar(
            "SELECT id FROM account_mails WHERE recipient = $1 AND mail = 'confirm'",
        )
        .bind("ana@example.org")
        .fetch_one(server.db.pool())
        .await
        .expect("account mail");
        let ids: Vec<Option<String>> = server
            .mails_to("ana@example.org")
            .iter()
            .map(|m| message_id(m))
            .collect();
        assert!(
            ids.contains(&Some(format!("<{confirmation}@127.0.0.1>"))),
            "{label}: {ids:?}"
        );
    }
}

/// A comment from another instance (as the federation inbox records it) tells the profiles
/// here its `Mention` tags name, in their language, and the author of the comment it answers,
/// as a local comment does: not a profile of another instance, nor one here it does not tag.
#[tokio::test]
async fn a_comment_from_another_instance_tells_the_local_profiles_it_mentions() {
    use convene_api::remote_events::{self, FromRemote};
    use convene_domain::event::RemoteAuthor;
    for scratch in test_urls("notifications_remote_mentions").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let org = person(&server, "org@example.org", "en", "org").await;
        let ana = person(&server, "ana@example.org", "en", "ana").await;
        person(&server, "bob@example.org", "fr", "bob").await;
        person(&server, "cleo@example.org", "en", "cleo").await;
        let event = create_event(&org, json!({"language": "en"})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        let posted = ana
            .post(
                &format!("/api/v1/events/{id}/comments"),
                json!({"body": "<p>Who brings the tools?</p>"}),
            )
            .await;
        assert_eq!(posted.status, 201, "{label}: {}", posted.text);
        let parent = posted.json["id"].as_str().unwrap_or_default().to_string();
        let base = server.base.trim_end_matches('/').to_string();
        let actor = "https://mastodon.example/users/zoe";
        let from = FromRemote {
            actor: actor.into(),
            activity: format!("{actor}/activities/1"),
            request_id: "r1".into(),
        };
        let author = RemoteAuthor {
            actor: actor.into(),
            handle: "zoe@mastodon.example".into(),
            note: format!("{actor}/statuses/1"),
        };
        // Ana's comment answered; Bob tagged; a Bob of Zoe's instance and Cleo (named in the
        // text only) are not profiles the note tags here.
        remote_events::post_comment(
            &server.state,
            &from,
            author,
            &format!("{base}/comments/{parent}"),
            "<p>@ana I will. @bob @cleo bring gloves</p>",
            &[
                format!("{base}/@ana"),
                format!("{base}/@bob"),
                "https://mastodon.example/users/bob".into(),
            ],
        )
        .await
        .expect("a remote comment");
        let told = told_of(&server, |kind| kind == "mention" || kind == "comment_reply").await;
        assert_eq!(
            told,
            [
                n("@ana", "comment_reply", "mail"),
                n("@bob", "mention", "mail")
            ],
            "{label}"
        );
        mail_folder_sender(&server, new_mail)
            .send_due()
            .await
            .expect("send");
        let bob: Vec<String> = server
            .mails_to("bob@example.org")
            .into_iter()
            .filter(|m| m.contains("vous a mentionné"))
            .collect();
        assert_eq!(bob.len(), 1, "{label}");
        assert!(
            bob[0].contains("zoe@mastodon.example") && bob[0].contains("bring gloves"),
            "{label}: {}",
            bob[0]
        );
        assert!(
            server
                .mails_to("cleo@example.org")
                .iter()
                .all(|m| !m.contains("gloves")),
            "{label}"
        );
    }
}

/// (recipient, kind, delivery) of the notifications of the kinds `wanted` keeps, once the
/// subscriber has caught up, in log order.
async fn told_of(server: &TestServer, wanted: fn(&str) -> bool) -> Vec<(String, String, String)> {
    settled(server).await;
    all(server)
        .await
        .into_iter()
        .filter(|(_, kind, _)| wanted(kind))
        .collect()
}

/// An actor of another instance, as the cache federation fills knows it.
async fn known_remote_actor(server: &TestServer, id: &str, kind: &str, username: &str, name: &str) {
    sqlx::query(
        "INSERT INTO remote_actors (id, kind, inbox, key_id, public_key_pem, preferred_username, \
         name, fetched_at) VALUES ($1, $2, $3, $4, 'unused', $5, $6, '2030-01-01T00:00:00Z')",
    )
    .bind(id)
    .bind(kind)
    .bind(format!("{id}/inbox"))
    .bind(format!("{id}#main-key"))
    .bind(username)
    .bind(name)
    .execute(server.db.pool())
    .await
    .expect("a known actor");
}

#[tokio::test]
async fn a_group_elsewhere_s_invitation_and_welcome_reach_the_profile_concerned() {
    use convene_api::groups_elsewhere;
    use convene_api::remote_events::FromRemote;
    for scratch in test_urls("notifications_groups_elsewhere").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        person(&server, "ana@example.org", "fr", "ana").await;
        let (club, walkers) = (
            "https://other.example/@club",
            "https://other.example/@walkers",
        );
        let admin = "https://other.example/@admin";
        known_remote_actor(&server, club, "Group", "club", "Repair club").await;
        known_remote_actor(&server, walkers, "Group", "walkers", "Night walkers").await;
        known_remote_actor(&server, admin, "Person", "admin", "Admin").await;
        let from = |actor: &str, n: u32| FromRemote {
            actor: actor.into(),
            activity: format!("{actor}/activities/{n}"),
            request_id: format!("r{n}"),
        };
        // Invited to the club by its administrator; accepted by the walkers she asked to join.
        groups_elsewhere::invited(
            &server.state,
            &from(admin, 1),
            "ana",
            club,
            "https://other.example/inbox".into(),
            "https://other.example/member/1".into(),
        )
        .await
        .expect("invited");
        let metadata = convene_domain::Metadata::now(
            convene_domain::Actor::System,
            convene_domain::Source::Cli,
            "asked",
        );
        let join = convene_domain::ProfileCommand::JoinGroup {
            group: walkers.into(),
            inbox: "https://other.example/inbox".into(),
            message: None,
        };
        convene_projections::Commands::<convene_domain::Profile>::new(&server.db, ())
            .execute_retrying("ana", join, &metadata)
            .await
            .expect("asked to join");
        groups_elsewhere::join_answered(&server.state, &from(walkers, 2), "ana", true)
            .await
            .expect("accepted");
        let told = told_of(&server, |kind| kind.starts_with("group_")).await;
        assert_eq!(
            told,
            [
                n("@ana", "group_invitation", "mail"),
                n("@ana", "group_approved", "mail")
            ],
            "{label}"
        );
        mail_folder_sender(&server, new_mail)
            .send_due()
            .await
            .expect("send");
        let mails = server.mails_to("ana@example.org");
        let invitation = mails.iter().find(|m| m.contains("Repair club"));
        let invitation = invitation.unwrap_or_else(|| panic!("{label}: {mails:?}"));
        assert!(invitation.contains("admin@other.example"), "{invitation}");
        assert!(
            invitation.contains(&format!(
                "{}/@club@other.example",
                server.base.trim_end_matches('/')
            )),
            "{invitation}"
        );
        assert!(
            mails.iter().any(|m| m.contains("Night walkers")),
            "{label}: {mails:?}"
        );
    }
}
