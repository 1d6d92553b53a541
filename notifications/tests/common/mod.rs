//! What the notifications tests share: a server running the notifications subscriber, people
//! with a confirmed account and a profile, and waiting for the subscriber to catch up.
// Each test target uses part of it.
#![allow(dead_code)]

use crate::support::{log_in, profile, Client, Options, TestServer};
use convene_notifications::NotificationsSubscriber;
use convene_projections::scratch::Scratch;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::sync::Notify;

/// A server with the notifications subscriber, and the signal it gives when mail is queued.
pub async fn server(scratch: &Scratch) -> (TestServer, Arc<Notify>) {
    server_writing_at_most(
        scratch,
        convene_notifications::subscriber::WRITES_PER_TRANSACTION,
    )
    .await
}

/// A server whose notifications subscriber writes at most `rows` rows per transaction.
pub async fn server_writing_at_most(scratch: &Scratch, rows: usize) -> (TestServer, Arc<Notify>) {
    let new_mail = Arc::new(Notify::new());
    let subscriber = NotificationsSubscriber::new(new_mail.clone()).writing_at_most(rows);
    let options = Options {
        more_subscribers: vec![Arc::new(subscriber)],
        ..Options::default()
    };
    (TestServer::start_with(scratch, options).await, new_mail)
}

/// Registers `email` with `locale`, confirms it, logs in and makes profile `username`.
pub async fn person(server: &TestServer, email: &str, locale: &str, username: &str) -> Client {
    let registered = server
        .client()
        .post(
            "/api/v1/accounts",
            json!({"email": email, "password": "correct horse battery", "locale": locale}),
        )
        .await;
    assert_eq!(registered.status, 202, "{}", registered.text);
    let token = server.token_mailed(email, "confirm").await;
    let confirmed = server
        .client()
        .post("/api/v1/accounts/confirm", json!({ "token": token }))
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    let client = log_in(server, email).await;
    profile(&client, username).await;
    client.as_profile(username)
}

/// Waits until the notifications subscriber has seen the whole log.
pub async fn settled(server: &TestServer) {
    let head = server.head().await;
    for _ in 0..400 {
        let at = convene_projections::projection::checkpoint(server.db.pool(), "notifications")
            .await
            .expect("checkpoint");
        if at >= head {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "{}: the notifications subscriber did not catch up",
        server.label
    );
}

pub fn unix(rfc3339: &str) -> i64 {
    OffsetDateTime::parse(rfc3339, &Rfc3339)
        .expect("a time")
        .unix_timestamp()
}

pub async fn join(who: &Client, event: &str) {
    let joined = who
        .post(&format!("/api/v1/events/{event}/participations"), json!({}))
        .await;
    assert_eq!(joined.status, 201, "{}", joined.text);
}

pub async fn account_of(server: &TestServer, email: &str) -> String {
    convene_projections::accounts::by_email(server.db.pool(), email)
        .await
        .expect("account")
        .expect("exists")
        .id
}
