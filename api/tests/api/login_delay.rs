//! Guessing one account's password: after a few failures in a row each attempt waits longer,
//! from any address and beyond the rate limits, the owner is told, and the owner still logs in
//! once the wait is over.

use crate::support::{member, Options, TestServer};
use convene_api::throttle::{Limits, FREE_FAILURES};
use convene_projections::scratch::test_urls;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn two_hundred_wrong_passwords_in_five_seconds_are_no_longer_possible() {
    for scratch in test_urls("login_delay").await {
        // No rate limit at all: the delay alone holds.
        let limits = Limits {
            login_delay_max: Duration::from_secs(60),
            ..Limits::off()
        };
        let options = Options {
            limits,
            ..Options::default()
        };
        let server = TestServer::start_with(&scratch, options).await;
        member(&server, "ana@example.org").await;
        let started = Instant::now();
        let attempts = (0..200).map(|_| {
            let client = server.client();
            async move {
                let wrong = json!({"email": "ana@example.org", "password": "not the password"});
                client.post("/api/v1/sessions", wrong).await
            }
        });
        let answers = futures::future::join_all(attempts).await;
        let elapsed = started.elapsed();
        let checked = answers.iter().filter(|a| a.status == 401).count();
        let waiting: Vec<_> = answers.iter().filter(|a| a.status == 429).collect();
        assert_eq!(checked + waiting.len(), 200, "{}", server.label);
        assert!(waiting
            .iter()
            .all(|a| a.json["type"] == "/problems/rate-limited"));
        println!(
            "{}: 200 wrong passwords at once took {elapsed:?}: {checked} checked, {} told to wait",
            server.label,
            waiting.len()
        );
        // Five failures come free; then one second, two, four: by 7 s, at most three more.
        assert!(elapsed < Duration::from_secs(7), "{elapsed:?}");
        assert!(
            checked >= FREE_FAILURES as usize && checked <= FREE_FAILURES as usize + 3,
            "{}: {checked} passwords checked",
            server.label
        );

        // Ana is told once, and logs in as soon as the wait is over: no lock for good.
        let notice = server
            .mail_with("ana@example.org", "Subject: Failed logins to your account")
            .await;
        assert!(notice.contains("failed to log in"), "{notice}");
        let right = json!({"email": "ana@example.org", "password": "correct horse battery"});
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let answer = server
                .client()
                .post("/api/v1/sessions", right.clone())
                .await;
            if answer.status == 201 {
                break;
            }
            assert_eq!(answer.status, 429, "{}", answer.text);
            assert!(Instant::now() < deadline, "never let in");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let notices = server
            .mails_to("ana@example.org")
            .into_iter()
            .filter(|m| m.contains("Subject: Failed logins"))
            .count();
        assert_eq!(notices, 1, "one mail for one run of failures");
        // Her success starts afresh: a mistyped password is checked at once.
        let typo = json!({"email": "ana@example.org", "password": "correct horse batery"});
        assert_eq!(
            server.client().post("/api/v1/sessions", typo).await.status,
            401
        );
    }
}
