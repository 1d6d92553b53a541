//! Another instance's address given here — in the search box, or by `/interact` when someone
//! follows or joins from their own instance — leads to what it names: an event fetched from its
//! origin and recorded as a received one (once, however often it is looked up), or a group's
//! page here. A person, an object from a suspended domain, an event whose organiser lives
//! elsewhere and an address that serves nothing are refused on `q` with the reason.

use crate::decide_on_domain;
use crate::handles::{club, host, page};
use crate::support::*;
use convene_domain::remote_domain::DomainAction;
use convene_projections::scratch::test_urls;
use serde_json::Value;

fn encoded(address: &str) -> String {
    url::form_urlencoded::byte_serialize(address.as_bytes()).collect()
}

/// Serves `event` at its own id's path on `remote`, as ActivityStreams.
fn served(remote: &Remote, event: Value) -> String {
    let id = event["id"].as_str().expect("an id").to_string();
    let mut document = event;
    document["@context"] = "https://www.w3.org/ns/activitystreams".into();
    remote.serve(
        id.trim_start_matches(&format!("{}/", remote.base)),
        document,
    );
    id
}

async fn imported(local: &Local, object: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE origin_object = $1")
        .bind(object)
        .fetch_one(local.db.pool())
        .await
        .expect("a count")
}

#[tokio::test]
async fn an_address_elsewhere_leads_to_its_event_or_group_here() {
    for scratch in test_urls("inbox_addresses").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let repair = served(&remote, event(&alice, 1, "Repair café"));

        // Searched: fetched, recorded, and shown here with a link to its origin.
        let search = format!("/search?q={}", encoded(&repair));
        let (status, location, body) = page(&local, &search, "en").await;
        assert_eq!(status, 303, "{}: {body}", local.label);
        assert!(location.starts_with("/events/"), "{location}");
        let (status, _, shown) = page(&local, &location, "en").await;
        assert_eq!(status, 200, "{shown}");
        assert!(shown.contains("Repair café"), "{shown}");
        assert!(
            shown.contains(&format!("alice@{}", host(&remote))),
            "{shown}"
        );

        // Again, and from /interact as a remote follow button sends people: the same event,
        // recorded once.
        let (status, to_search, _) =
            page(&local, &format!("/interact?uri={}", encoded(&repair)), "en").await;
        assert_eq!((status, to_search.as_str()), (303, search.as_str()));
        let (_, again, _) = page(&local, &to_search, "en").await;
        assert_eq!(again, location);
        assert_eq!(imported(&local, &repair).await, 1);

        // A group's address leads to its page here.
        let group = club(&remote);
        let (status, location, body) =
            page(&local, &format!("/search?q={}", encoded(&group)), "en").await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(location, format!("/@club@{}", host(&remote)));

        // An address of this instance is its page.
        let (status, location, _) = page(
            &local,
            &format!(
                "/search?q={}",
                encoded(&format!("{}/@nobody?x=1", local.base))
            ),
            "en",
        )
        .await;
        assert_eq!((status, location.as_str()), (303, "/@nobody?x=1"));
    }
}

#[tokio::test]
async fn addresses_that_lead_to_nothing_shown_here_say_why() {
    for scratch in test_urls("inbox_addresses_refused").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let elsewhere = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let bob = elsewhere.person("bob", BOB_PUB);
        // An event of `remote` claiming an organiser on another server.
        let mut claimed = event(&alice, 2, "Not theirs");
        claimed["actor"] = bob.clone().into();
        claimed["attributedTo"] = bob.into();
        let claimed = served(&remote, claimed);
        let cases = [
            (
                alice.clone(),
                "is a Person: only the groups and events of other instances have a page here",
            ),
            (claimed.clone(), "does not share the origin of its actor"),
            (remote.url("events/404"), "cannot be fetched"),
        ];
        for (address, reason) in cases {
            let (status, _, body) =
                page(&local, &format!("/search?q={}", encoded(&address)), "en").await;
            assert_eq!(status, 422, "{address}: {body}");
            assert!(body.contains(reason), "{address}: {body}");
        }
        assert_eq!(imported(&local, &claimed).await, 0);

        // Nothing is fetched from a suspended domain.
        let repair = served(&remote, event(&alice, 3, "Repair café"));
        decide_on_domain(&local, host(&remote), DomainAction::Suspend).await;
        let asked = remote.asked().len();
        let (status, _, body) =
            page(&local, &format!("/search?q={}", encoded(&repair)), "en").await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("is suspended"), "{body}");
        assert_eq!(
            remote.asked().len(),
            asked,
            "nothing asked of a suspended domain"
        );
        assert_eq!(imported(&local, &repair).await, 0);
    }
}
