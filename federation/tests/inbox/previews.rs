//! Link previews of a group's resources: the link is stored as typed, then the fetcher reads
//! the page on a local server (the client on the test network), records its title,
//! description and image as a change of the group, and never fetches it again; a page that
//! answers 503 is asked again later, then given up on; with the guard on (public addresses
//! only), a loopback address is refused and nothing is fetched.

use super::groups::{group, group_command};
use super::support::Local;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use convene_api::group_resources;
use convene_domain::group::{
    GroupActor, GroupChange, GroupCommand, LinkPreview, ResourceContent, ResourceKind,
};
use convene_domain::{Actor, Group, Source};
use convene_federation::client::{Client, Limits, Network};
use convene_federation::previews;
use convene_projections::log::EventLog;
use convene_projections::scratch::test_urls;
use cqrs_es::Aggregate;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

const PAGE: &str = r#"<!doctype html><html><head><title>Ignored for og:title</title>
<meta property="og:title" content="Minutes of the week">
<meta property="og:description" content="What the repair café said &amp; did">
<meta property="og:image" content="/card.png"></head><body>Minutes</body></html>"#;

/// The time of the fetcher's rounds (Unix seconds), unless a test moves it on.
const NOW: i64 = 1_900_000_000;

/// A page server on 127.0.0.1 counting what it is asked: `/minutes` answers the page, but
/// `/flaky` answers 503 twice before it, and `/down` always answers 503.
async fn page_server() -> (String, Arc<AtomicUsize>) {
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let flaky = Arc::new(AtomicUsize::new(0));
    let unavailable = || async { (axum::http::StatusCode::SERVICE_UNAVAILABLE, "") };
    let app = Router::new()
        .route(
            "/flaky",
            get(move || {
                let answer = flaky.fetch_add(1, Ordering::SeqCst);
                async move {
                    if answer < 2 {
                        unavailable().await.into_response()
                    } else {
                        ([("content-type", "text/html")], PAGE).into_response()
                    }
                }
            }),
        )
        .route("/down", get(unavailable))
        .route(
            "/minutes",
            get(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                async { ([("content-type", "text/html; charset=utf-8")], PAGE) }
            }),
        )
        .route(
            "/missing",
            get(|| async { (axum::http::StatusCode::NOT_FOUND, "") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, asked)
}

fn client(local: &Local, network: Network) -> Client {
    let public = Url::parse(&local.base).expect("a URL");
    Client::new(&public, network, Limits::default()).expect("a client")
}

async fn add_link(local: &Local, resource: &str, url: &str) {
    let add = GroupCommand::AddResource {
        by: GroupActor::profile("ana"),
        resource: resource.into(),
        parent: None,
        content: ResourceContent::link(ResourceKind::Link, "Minutes", url),
        object: None,
    };
    group_command(local, "repair", add).await;
}

/// The previews the log records for the group, with who recorded them.
async fn previews_logged(local: &Local) -> Vec<(String, LinkPreview, Actor, Source)> {
    let log = EventLog::new(&local.db)
        .aggregate(Group::TYPE, "repair")
        .await
        .expect("the log");
    log.iter()
        .filter_map(|stored| match stored.change::<GroupChange>().ok()? {
            GroupChange::ResourcePreviewed {
                resource, preview, ..
            } => {
                let metadata = stored.metadata().ok()?;
                Some((resource, preview, metadata.actor, metadata.source))
            }
            _ => None,
        })
        .collect()
}

/// Waits until the read model has caught up with what the links wait for.
async fn waiting(local: &Local, count: usize) -> Vec<group_resources::WantedPreview> {
    for _ in 0..200 {
        let wanted = group_resources::previews_wanted(&local.state, 100, NOW)
            .await
            .expect("the read model");
        if wanted.len() == count {
            return wanted;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never {count} links waiting for a preview");
}

#[tokio::test]
async fn a_link_s_preview_is_fetched_after_it_is_stored_and_recorded_once() {
    for scratch in test_urls("resource_previews").await {
        let local = Local::start(&scratch).await;
        let (pages, asked) = page_server().await;
        group(&local, "repair", false).await;
        let url = format!("{pages}/minutes");
        add_link(&local, "r1", &url).await;
        add_link(&local, "r2", &format!("{pages}/missing")).await;

        // Stored as typed, with no preview yet.
        assert_eq!(waiting(&local, 2).await.len(), 2);
        let stored = convene_projections::group_resources::one(local.db.pool(), "repair", "r1")
            .await
            .expect("the read model")
            .expect("the link");
        assert_eq!(stored.url.as_deref(), Some(url.as_str()));
        assert_eq!(stored.preview, None);

        let test_network = client(&local, Network::TestLoopback);
        let recorded = previews::preview_waiting(&local.state, &test_network, NOW)
            .await
            .expect("a round");
        assert_eq!(recorded, 2, "{}", scratch.label);
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        let logged = previews_logged(&local).await;
        let card = format!("{pages}/card.png");
        assert_eq!(
            logged
                .iter()
                .map(|(r, p, a, s)| (r.as_str(), p.clone(), a.clone(), s.clone()))
                .collect::<Vec<_>>(),
            [
                (
                    "r1",
                    LinkPreview {
                        title: Some("Minutes of the week".into()),
                        description: Some("What the repair café said & did".into()),
                        image: Some(card.clone()),
                    },
                    Actor::System,
                    Source::Schedule
                ),
                // A page that answers 404 gives an empty preview, so it is not asked again.
                (
                    "r2",
                    LinkPreview::default(),
                    Actor::System,
                    Source::Schedule
                ),
            ]
        );
        let shown = convene_projections::group_resources::one(local.db.pool(), "repair", "r1")
            .await
            .expect("the read model")
            .expect("the link");
        assert_eq!(
            shown.preview.and_then(|p| p.image),
            Some(card),
            "{}",
            scratch.label
        );

        // Nothing waits any more: another round fetches nothing and writes nothing.
        waiting(&local, 0).await;
        let again = previews::preview_waiting(&local.state, &test_network, NOW)
            .await
            .expect("a round");
        assert_eq!(again, 0);
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        assert_eq!(previews_logged(&local).await.len(), 2);
    }
}

#[tokio::test]
async fn a_page_that_cannot_be_reached_is_asked_again_later_then_given_up_on() {
    for scratch in test_urls("resource_previews_retry").await {
        let local = Local::start(&scratch).await;
        let (pages, _) = page_server().await;
        group(&local, "repair", false).await;
        add_link(&local, "r1", &format!("{pages}/flaky")).await;
        add_link(&local, "r2", &format!("{pages}/down")).await;
        waiting(&local, 2).await;
        let test_network = client(&local, Network::TestLoopback);
        let round = |at: i64| {
            let (state, client) = (local.state.clone(), test_network.clone());
            async move {
                previews::preview_waiting(&state, &client, at)
                    .await
                    .expect("a round")
            }
        };
        let later = |at: i64| {
            let state = local.state.clone();
            async move {
                group_resources::previews_wanted(&state, 100, at)
                    .await
                    .expect("the read model")
                    .len()
            }
        };

        // Both answer 503: nothing is recorded, and neither is asked before a minute has passed.
        assert_eq!(round(NOW).await, 0, "{}", scratch.label);
        assert!(previews_logged(&local).await.is_empty());
        assert_eq!(later(NOW + 59).await, 0);
        assert_eq!(later(NOW + 60).await, 2);
        // Again 503 from both, then asked ten minutes on: the flaky page answers.
        assert_eq!(round(NOW + 60).await, 0);
        assert_eq!(later(NOW + 659).await, 0);
        assert_eq!(round(NOW + 660).await, 1);
        let logged = previews_logged(&local).await;
        assert_eq!(logged.len(), 1);
        assert_eq!(logged[0].0, "r1");
        assert_eq!(logged[0].1.title.as_deref(), Some("Minutes of the week"));
        // The page that stays down is asked after an hour and six hours, then given up on with
        // an empty preview, and not asked again.
        assert_eq!(round(NOW + 660 + 3_599).await, 0);
        assert_eq!(round(NOW + 660 + 3_600).await, 0);
        assert_eq!(round(NOW + 4_260 + 6 * 3_600).await, 1);
        let logged = previews_logged(&local).await;
        assert_eq!(logged.len(), 2, "{}", scratch.label);
        assert_eq!(
            (logged[1].0.as_str(), &logged[1].1),
            ("r2", &LinkPreview::default())
        );
        waiting(&local, 0).await;
        assert_eq!(later(NOW + 1_000_000).await, 0);
    }
}

#[tokio::test]
async fn with_the_guard_on_a_link_to_a_loopback_address_is_never_fetched() {
    for scratch in test_urls("resource_previews_guard").await {
        let local = Local::start(&scratch).await;
        let (pages, asked) = page_server().await;
        group(&local, "repair", false).await;
        add_link(&local, "r1", &format!("{pages}/minutes")).await;
        add_link(&local, "r2", "http://10.0.0.1/intranet").await;
        waiting(&local, 2).await;

        let guarded = client(&local, Network::Public);
        let recorded = previews::preview_waiting(&local.state, &guarded, NOW)
            .await
            .expect("a round");
        assert_eq!(recorded, 2);
        assert_eq!(
            asked.load(Ordering::SeqCst),
            0,
            "the loopback server is never asked"
        );
        let logged = previews_logged(&local).await;
        assert!(
            logged
                .iter()
                .all(|(_, p, _, _)| *p == LinkPreview::default()),
            "{logged:?}"
        );
    }
}
