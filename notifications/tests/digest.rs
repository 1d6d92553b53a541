//! The daily digest against a real server on 127.0.0.1, on SQLite and (with TEST_DATABASE_URL)
//! PostgreSQL: one mail a day at the account's hour on its time zone's clock (across a clock
//! change), in its language, listing what came since the last one; nothing new, no mail; a
//! restart or a replay sends nothing twice; two digesters racing make each digest once.

mod common;
#[path = "../../api/tests/api/support.rs"]
#[allow(dead_code)]
mod support;
use common::{account_of, join, person, server, settled, unix};

use convene_api::mail::Mailer;
use convene_notifications::digest::{self, Digester};
use convene_notifications::{store, unsubscribe, Delivery, Kind, NotificationsSubscriber};
use convene_notifications::{Retries, Sender};
use convene_projections::scratch::test_urls;
use convene_projections::Database;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use support::{create_event, TestServer};
use tokio::sync::Notify;

/// The digests mailed to `to` (in French).
fn digests_to(server: &TestServer, to: &str) -> Vec<String> {
    server
        .mails_to(to)
        .into_iter()
        .filter(|m| m.contains("depuis votre dernier"))
        .collect()
}

#[tokio::test]
async fn a_digest_comes_once_a_day_at_the_chosen_hour_and_never_twice() {
    for scratch in test_urls("notifications_digest").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let org = person(&server, "org@example.org", "fr", "org").await;
        let ana = person(&server, "ana@example.org", "en", "ana").await;
        let bob = person(&server, "bob@example.org", "en", "bob").await;
        let event = create_event(&org, json!({})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        // New participants reach the organiser in the digest (the default).
        join(&ana, &id).await;
        join(&bob, &id).await;
        settled(&server).await;
        let org_account = account_of(&server, "org@example.org").await;
        let pool = server.db.pool();

        // 08:00 in Paris, chosen the day before the clocks go forward.
        let paris = "Europe/Paris".parse().expect("zone");
        let mut conn = pool.acquire().await.expect("connection");
        digest::set_time(
            &mut conn,
            &org_account,
            8,
            paris,
            unix("2027-03-26T12:00:00Z"),
        )
        .await
        .expect("time");
        drop(conn);
        let next = |server: &TestServer| {
            let pool = server.db.pool().clone();
            let account = org_account.clone();
            async move {
                digest::time_of(&pool, &account, 0)
                    .await
                    .expect("time")
                    .next_at
            }
        };
        assert_eq!(next(&server).await, unix("2027-03-27T07:00:00Z"), "{label}");

        let one = Digester::new(&server.db, new_mail.clone(), Duration::from_secs(60));
        // A minute early: nothing.
        let early = one
            .fire_due(unix("2027-03-27T06:59:00Z"))
            .await
            .expect("fire");
        assert_eq!(early, Default::default(), "{label}");
        let first = one
            .fire_due(unix("2027-03-27T07:00:10Z"))
            .await
            .expect("fire");
        assert_eq!((first.sent, first.empty), (1, 0), "{label}");
        // The next morning's 08:00 is summer time: 06:00 UTC, 23 hours later.
        assert_eq!(next(&server).await, unix("2027-03-28T06:00:00Z"), "{label}");
        let again = one
            .fire_due(unix("2027-03-27T07:30:00Z"))
            .await
            .expect("fire");
        assert_eq!(again, Default::default(), "{label}");
        // A day with nothing new: no mail, and the next day is due.
        let empty = one
            .fire_due(unix("2027-03-28T06:00:10Z"))
            .await
            .expect("fire");
        assert_eq!((empty.sent, empty.empty), (0, 1), "{label}");
        assert_eq!(next(&server).await, unix("2027-03-29T06:00:00Z"), "{label}");

        // Carl joins; the server restarts (another digester, its own connections): the next
        // digest lists Carl alone, once.
        let carl = person(&server, "carl@example.org", "en", "carl").await;
        join(&carl, &id).await;
        settled(&server).await;
        let other = Database::open(&scratch.url).await.expect("database");
        let two = Digester::new(&other, new_mail.clone(), Duration::from_secs(60));
        let at = unix("2027-03-29T06:00:10Z");
        let (a, b) = tokio::join!(one.fire_due(at), two.fire_due(at));
        let (a, b) = (a.expect("one"), b.expect("two"));
        assert_eq!(a.sent + b.sent, 1, "{label}: {a:?} {b:?}");
        assert_eq!(two.fire_due(at).await.expect("fire"), Default::default());

        // A replay of the subscriber derives the same notifications: none is listed again.
        let mut server = server;
        server.stop_subscribers().await;
        let subscriber: Arc<dyn convene_projections::Subscriber> =
            Arc::new(NotificationsSubscriber::new(new_mail.clone()));
        let runner = convene_projections::Runner::new(subscriber, &server.db);
        runner.reset().await.expect("reset");
        runner
            .catch_up(server.head().await, &mut |_| {})
            .await
            .expect("replay");
        let replayed = two
            .fire_due(unix("2027-03-30T06:00:10Z"))
            .await
            .expect("fire");
        assert_eq!((replayed.sent, replayed.empty), (0, 1), "{label}");

        // The two digests go out, in the account's language, text and HTML, with the link
        // stopping the digest; sent once.
        let mailer =
            Mailer::to_folder("Convene <noreply@127.0.0.1>", &server.mail).expect("mailer");
        let sender = Sender::new(
            &server.db,
            Arc::new(mailer),
            &server.base,
            new_mail.clone(),
            Retries::default(),
        );
        let round = sender.send_due().await.expect("send");
        assert_eq!(round.sent, 2, "{label}: {round:?}");
        assert_eq!(sender.send_due().await.expect("send").sent, 0, "{label}");
        let mails = digests_to(&server, "org@example.org");
        assert_eq!(mails.len(), 2, "{label}: {mails:?}");
        let first = mails
            .iter()
            .find(|m| m.contains("@ana"))
            .expect("the first");
        let second = mails
            .iter()
            .find(|m| m.contains("@carl"))
            .expect("the second");
        assert!(
            first.contains("text/plain") && first.contains("text/html"),
            "{label}: {first}"
        );
        assert!(
            first.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{label}: {first}"
        );
        assert!(
            first.contains("@ana participe") && first.contains("@bob participe"),
            "{label}: in French, one line each: {first}"
        );
        assert!(!first.contains("@carl"), "{label}: {first}");
        assert!(
            second.contains("@carl participe") && !second.contains("@ana"),
            "{label}: {second}"
        );
        assert!(
            first.contains(&format!("/events/{id}")),
            "{label}: each line links: {first}"
        );
        let outbox = store::outbox(server.db.pool(), "sent", 10)
            .await
            .expect("outbox");
        assert_eq!(
            outbox.iter().filter(|m| m.kind == "digest").count(),
            2,
            "{label}: administrators see the digests"
        );

        // The digest's link stops the digest: every kind the account got in it is turned off.
        let marker = "/notifications/unsubscribe?token=";
        let start = first.find(marker).expect("link") + marker.len();
        let token: String = first[start..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit() || *c == '.')
            .collect();
        let done = unsubscribe::unsubscribe(server.db.pool(), &token)
            .await
            .expect("db")
            .expect("a valid link");
        assert_eq!(done.kinds, [Kind::NewParticipant], "{label}");
        assert_eq!(
            store::setting(server.db.pool(), &org_account, Kind::NewParticipant)
                .await
                .ok(),
            Some(Delivery::Off),
            "{label}"
        );
        drop(org);
        other.close().await;
    }
}

/// Two digesters (two processes, each its own connections) racing over many due accounts:
/// each digest is made once, with one mail.
#[tokio::test]
async fn two_digesters_racing_make_each_digest_once() {
    for scratch in test_urls("notifications_digest_race").await {
        let label = scratch.label;
        let one_db = Database::open(&scratch.url).await.expect("database");
        let other = Database::open(&scratch.url).await.expect("database");
        let pool = one_db.pool();
        let accounts = 150;
        for i in 0..accounts {
            for n in 0..2 {
                sqlx::query(
                    "INSERT INTO notifications \
                     (id, position, kind, recipient, account_id, event_id, facts, delivery, created_at) \
                     VALUES ($1, 1, 'new_participant', $2, $3, 'e1', '{}', 'digest', '2030-01-01T00:00:00Z')",
                )
                .bind(format!("n{i}-{n}"))
                .bind(format!("@p{i}"))
                .bind(format!("a{i}"))
                .execute(pool)
                .await
                .expect("notification");
            }
            sqlx::query(
                "INSERT INTO notification_digest_times (account_id, hour, time_zone, due_at) \
                 VALUES ($1, 8, 'UTC', 1000)",
            )
            .bind(format!("a{i}"))
            .execute(pool)
            .await
            .expect("time");
        }
        let new_mail = Arc::new(Notify::new());
        let one = Digester::new(&one_db, new_mail.clone(), Duration::from_secs(60));
        let two = Digester::new(&other, new_mail, Duration::from_secs(60));
        let mut sent = 0;
        for _ in 0..2 {
            let (a, b) = tokio::join!(one.fire_due(5000), two.fire_due(5000));
            sent += a.expect("one").sent + b.expect("two").sent;
        }
        assert_eq!(sent, accounts, "{label}");
        let count = |sql: &'static str| async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(pool)
                .await
                .expect(sql)
        };
        assert_eq!(
            count("SELECT COUNT(*) FROM notification_digests").await,
            150,
            "{label}"
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM notification_mails").await,
            150,
            "{label}"
        );
        assert_eq!(
            count("SELECT COUNT(*) FROM notifications WHERE digest_id IS NULL").await,
            0,
            "{label}"
        );
        one_db.close().await;
        other.close().await;
    }
}
