//! Reports across instances at the inbox: a `Flag` about content of this instance becomes a
//! report in the moderators' queue (its reporter unnamed), once however often it is delivered;
//! a domain whose reports are rejected files none. And a domain whose media are rejected has its
//! events' pictures shown nowhere here.

use super::*;
use convene_projections::reports::{self, QueueFilter, ReportRow};

async fn queue(local: &Local) -> Vec<ReportRow> {
    reports::queue(local.db.pool(), &QueueFilter::default(), 1)
        .await
        .expect("the queue")
}

/// A `Flag` from `actor`, numbered `n`, naming `object` (one id or a list).
fn flag(actor: &str, n: u32, object: Value, text: (&str, &str)) -> Value {
    let mut flag = activity("Flag", actor, n, object);
    flag[text.0] = json!(text.1);
    flag
}

#[tokio::test]
async fn a_flag_from_another_instance_is_a_report_on_what_it_names_here() {
    for scratch in test_urls("inbox_flag").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let host = remote.base.trim_start_matches("http://").to_string();
        let (key_id, key) = alice_signs(&alice);
        let signing = || Signing::Cavage {
            key_id: &key_id,
            key,
        };
        let ana = local_profile(&local, "ana").await;
        let event = local_event(&local).await;
        let event_url = format!("{}/events/{event}", local.base);

        // Mastodon's shape: the account then its content, the comment in `content`.
        let mastodon = flag(
            &alice,
            1,
            json!([ana, event_url, remote.url("statuses/7")]),
            ("content", "<p>Sells fake <b>watches</b></p>"),
        );
        let (status, text) = post(&local, "/inbox", &bytes(&mastodon), signing(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let filed = queue(&local).await;
        assert_eq!(filed.len(), 1, "{}", local.label);
        let report = &filed[0];
        assert_eq!(
            (report.target_kind.as_str(), report.target_id.as_str()),
            ("event", event.as_str()),
            "the most precise target here"
        );
        assert_eq!(report.reporter, None, "the reporter is not named");
        assert_eq!(report.received_from.as_deref(), Some(host.as_str()));
        assert_eq!(report.instance, None, "content of this instance");
        assert_eq!(report.comment, "Sells fake watches");
        assert_eq!(report.category, "other", "categories stay with the sender");
        let log = EventLog::new(&local.db)
            .aggregate("Report", &report.id)
            .await
            .expect("the log");
        let metadata = log[0].metadata().expect("metadata");
        assert_eq!(
            metadata.actor,
            Actor::Remote {
                actor: alice.clone()
            }
        );
        assert_eq!(
            metadata.source,
            Source::Federation {
                activity: mastodon["id"].as_str().expect("set above").into()
            }
        );

        // Delivered again: still one report.
        let (status, text) = post(&local, "/inbox", &bytes(&mastodon), signing(), now()).await;
        assert_eq!(status, 202, "{text}");
        assert_eq!(queue(&local).await.len(), 1, "{text}");

        // Lemmy's shape: one id, the reason in `summary`.
        let lemmy = flag(&alice, 2, json!(ana), ("summary", "Harassment"));
        let (status, text) = post(&local, "/inbox", &bytes(&lemmy), signing(), now()).await;
        assert_eq!(status, 202, "{text}");
        let filed = queue(&local).await;
        assert_eq!(filed.len(), 2);
        let profile = reports::find(local.db.pool(), &filed[1].id)
            .await
            .expect("read")
            .expect("filed");
        assert_eq!(
            (profile.target_kind.as_str(), profile.target_id.as_str()),
            ("profile", "ana")
        );
        assert_eq!(profile.comment, "Harassment");

        // Naming nothing of this instance: nothing filed.
        let elsewhere = flag(
            &alice,
            3,
            json!([remote.url("statuses/8")]),
            ("content", "x"),
        );
        let (status, text) = post(&local, "/inbox", &bytes(&elsewhere), signing(), now()).await;
        assert_eq!(status, 202, "{text}");
        assert!(text.contains("names nothing"), "{text}");
        assert_eq!(queue(&local).await.len(), 2);

        // Its reports rejected, the domain files none until they are accepted again.
        decide_on_domain(&local, &host, DomainAction::RejectReports).await;
        let rejected = flag(&alice, 4, json!([event_url]), ("content", "Again"));
        let (status, text) = post(&local, "/inbox", &bytes(&rejected), signing(), now()).await;
        assert_eq!(status, 202, "{text}");
        assert!(text.contains("rejected"), "{text}");
        assert_eq!(queue(&local).await.len(), 2);
        decide_on_domain(&local, &host, DomainAction::AcceptReports).await;
        let (status, text) = post(&local, "/inbox", &bytes(&rejected), signing(), now()).await;
        assert_eq!(status, 202, "{text}");
        assert_eq!(queue(&local).await.len(), 3, "{text}");

        // The queue finds them by the instance that sent them… and by the content's: here.
        let local_only = QueueFilter {
            instance: Some("local".into()),
            ..QueueFilter::default()
        };
        let here = reports::queue(local.db.pool(), &local_only, 1)
            .await
            .expect("the queue");
        assert_eq!(here.len(), 3);
        let theirs = QueueFilter {
            instance: Some(host.clone()),
            ..QueueFilter::default()
        };
        assert!(reports::queue(local.db.pool(), &theirs, 1)
            .await
            .expect("the queue")
            .is_empty());
    }
}

#[tokio::test]
async fn a_domain_s_rejected_media_are_shown_nowhere_here_until_accepted_again() {
    for scratch in test_urls("inbox_reject_media").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let host = remote.base.trim_start_matches("http://").to_string();
        let (key_id, key) = alice_signs(&alice);
        let signing = || Signing::Cavage {
            key_id: &key_id,
            key,
        };
        let mut pictured = event(&alice, 1, "With a picture");
        pictured["image"] =
            json!({"type": "Image", "url": remote.url("media/poster.jpg"), "name": "A poster"});
        let object = pictured["id"].as_str().expect("set above").to_string();
        let create = activity("Create", &alice, 1, pictured);
        let (status, text) = post(&local, "/inbox", &bytes(&create), signing(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let path = format!("/events/{}", event_id(&object));
        let picture = remote.url("media/poster.jpg");
        assert!(local.get(&path).await.1.contains(&picture));

        decide_on_domain(&local, &host, DomainAction::RejectMedia).await;
        let view = shown(&local, &object).await.expect("still here");
        assert_eq!(view.details.remote_picture, None, "{}", local.label);
        let (_, page) = local.get(&path).await;
        assert!(!page.contains(&picture), "{page}");
        assert!(page.contains("With a picture"), "the event itself stays");
        let (_, home) = local.get("/").await;
        assert!(!home.contains(&picture), "{home}");

        decide_on_domain(&local, &host, DomainAction::AcceptMedia).await;
        assert!(local.get(&path).await.1.contains(&picture));
    }
}
