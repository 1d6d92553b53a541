//! A remote note naming a local profile in a `Mention` tag: the notifications subscriber tells
//! that profile's account, once, and nobody else.

use super::support::*;
use super::{alice_signs, bytes, local_event, note, now};
use convene_domain::{Actor, Source};
use convene_notifications::NotificationsSubscriber;
use convene_projections::scratch::test_urls;
use convene_projections::subscriber::checkpoint;
use convene_projections::{Subscriber, Subscribers};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The local profile `@name` of account `account`, seeded straight through its aggregate.
async fn owned_profile(local: &Local, name: &str, account: &str) {
    let command = convene_domain::ProfileCommand::Create {
        username: name.into(),
        display_name: None,
        account: Some(account.into()),
    };
    let metadata = convene_domain::Metadata::now(Actor::System, Source::Cli, "seed");
    convene_projections::Commands::<convene_domain::Profile>::new(&local.db, ())
        .execute_retrying(name, command, &metadata)
        .await
        .expect("created");
}

/// The notifications stored for the comment's change: (kind, recipient, account), once the
/// subscriber has passed the log's head.
async fn notifications(local: &Local) -> Vec<(String, String, Option<String>)> {
    let head: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM event_log")
        .fetch_one(local.db.pool())
        .await
        .expect("the log");
    for _ in 0..400 {
        let at = checkpoint(local.db.pool(), convene_notifications::SUBSCRIBER)
            .await
            .expect("the checkpoint");
        if at >= head {
            return sqlx::query_as(
                "SELECT kind, recipient, account_id FROM notifications ORDER BY kind, recipient",
            )
            .fetch_all(local.db.pool())
            .await
            .expect("the notifications");
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the notifications subscriber did not reach the log's head")
}

#[tokio::test]
async fn a_remote_note_mentioning_a_local_profile_notifies_its_account() {
    for scratch in test_urls("inbox_mention").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let (key_id, key) = alice_signs(&alice);
        let event = local_event(&local).await;
        owned_profile(&local, "bea", "account-bea").await;
        owned_profile(&local, "cleo", "account-cleo").await;

        let stop = CancellationToken::new();
        Subscribers::new([
            Arc::new(NotificationsSubscriber::new(Default::default())) as Arc<dyn Subscriber>
        ])
        .spawn(&local.db, &stop);

        let host = remote.base.trim_start_matches("http://");
        let mut reply = note(
            &alice,
            1,
            &format!("{}/events/{event}", local.base),
            "<p>@bea, see you there</p>",
        );
        reply["tag"] = json!([
            {"type": "Mention", "href": format!("{}/@bea", local.base), "name": "@bea"},
            {"type": "Mention", "href": remote.url("users/dan"), "name": format!("@dan@{host}")},
        ]);
        let create = activity("Create", &alice, 1, reply);
        let (status, text) = post(
            &local,
            "/inbox",
            &bytes(&create),
            Signing::Cavage {
                key_id: &key_id,
                key,
            },
            now(),
        )
        .await;
        assert_eq!(status, 202, "{}: {text}", local.label);

        let told = notifications(&local).await;
        assert_eq!(
            told,
            vec![(
                "mention".to_string(),
                "@bea".to_string(),
                Some("account-bea".to_string())
            )],
            "{}",
            local.label
        );
        let facts: String =
            sqlx::query_scalar("SELECT facts FROM notifications WHERE kind = 'mention'")
                .fetch_one(local.db.pool())
                .await
                .expect("the mention");
        let facts: serde_json::Value = serde_json::from_str(&facts).expect("JSON");
        assert_eq!(facts["who"], format!("alice@{host}"), "{}", local.label);
        assert!(
            facts["text"]
                .as_str()
                .is_some_and(|t| t.contains("see you there")),
            "{facts}"
        );
        stop.cancel();
    }
}
