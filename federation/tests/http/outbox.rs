//! The actors' outboxes: each local actor's public activities, as the outbox stored them, newest
//! first and paged; nothing unlisted, draft, private, members-only or one person's; nothing from
//! a suspended actor; the same after the read models are replayed.

use super::servers;
use super::support::{member_with_profile, Client, TestServer};
use convene_projections::log::EventLog;
use convene_projections::subscriber::checkpoint;
use serde_json::{json, Value};

const AP: &str = "application/activity+json";

/// Waits until the outbox has derived everything in the log (at most 10 s).
async fn outbox_caught_up(server: &TestServer) {
    for _ in 0..200 {
        let head = EventLog::new(&server.db)
            .head()
            .await
            .expect("the log's head")
            .position;
        let at = checkpoint(server.db.pool(), "outbox")
            .await
            .expect("the outbox's checkpoint");
        if at >= head {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{}: the outbox never caught up", server.label);
}

/// Creates an event as the client's profile with the extra fields of `more`; its id.
async fn event(client: &Client, title: &str, more: Value) -> String {
    let mut body = json!({
        "title": title,
        "description": "<p>Bring banners</p>",
        "begins_at": "2030-06-01T14:00:00Z",
        "time_zone": "Europe/Paris",
        "category": "CAUSES"
    });
    for (key, value) in more.as_object().expect("fields") {
        body[key] = value.clone();
    }
    let created = client.post("/api/v1/events", body).await;
    assert_eq!(created.status, 201, "{title}: {}", created.text);
    created.json["id"].as_str().expect("an id").to_string()
}

/// Every item of the outbox at `path`, page after page, checking each page's links.
async fn all_items(client: &Client, path: &str) -> Vec<Value> {
    let collection = client.get_as(path, AP).await;
    assert_eq!(collection.status, 200, "{path}: {}", collection.text);
    assert_eq!(collection.json["type"], "OrderedCollection");
    let total = collection.json["totalItems"].as_u64().expect("a total");
    let id = collection.json["id"].as_str().expect("an id").to_string();
    assert_eq!(collection.json["first"], format!("{id}?page=1"));
    let mut items = Vec::new();
    let mut page = 1;
    loop {
        let answer = client.get_as(&format!("{path}?page={page}"), AP).await;
        assert_eq!(answer.status, 200, "{path}?page={page}: {}", answer.text);
        let doc = &answer.json;
        assert_eq!(doc["type"], "OrderedCollectionPage");
        assert_eq!(doc["partOf"], id);
        assert_eq!(doc["totalItems"], total);
        let shown = doc["orderedItems"].as_array().expect("items").clone();
        assert!(shown.len() <= 10, "a page holds at most 10");
        match page {
            1 => assert!(doc.get("prev").is_none()),
            _ => assert_eq!(doc["prev"], format!("{id}?page={}", page - 1)),
        }
        items.extend(shown);
        if (items.len() as u64) < total {
            assert_eq!(doc["next"], format!("{id}?page={}", page + 1), "{doc}");
            page += 1;
        } else {
            assert!(doc.get("next").is_none(), "{doc}");
            break;
        }
    }
    assert_eq!(items.len() as u64, total, "{path}");
    items
}

/// The body stored for activity `id`: what the delivery worker signs and sends.
async fn stored(server: &TestServer, id: &str) -> Value {
    let (body,): (String,) = sqlx::query_as("SELECT body FROM activities WHERE id = $1")
        .bind(id)
        .fetch_one(server.db.pool())
        .await
        .expect("the stored activity");
    serde_json::from_str(&body).expect("JSON")
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn objects(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["object"]["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_profiles_outbox_lists_its_public_events_newest_first_over_pages() {
    for (scratch, server) in servers("a_profiles_outbox_lists_its_public_events").await {
        let base = server.base.clone();
        // Nobody follows either of them: their public activities are listed all the same.
        let alice = member_with_profile(&server, "alice@example.org", "alice").await;
        let bob = member_with_profile(&server, "bob@example.org", "bob").await;
        let mut public = Vec::new();
        for n in 0..11 {
            public.push(event(&alice, &format!("March {n}"), json!({})).await);
        }
        let unlisted = event(&alice, "Quiet", json!({"visibility": "unlisted"})).await;
        let draft = event(&alice, "Not yet", json!({"draft": true})).await;
        let private = event(&alice, "Board", json!({"visibility": "private"})).await;
        let bobs = event(&bob, "Bob's picnic", json!({})).await;
        let joined = alice
            .post(&format!("/api/v1/events/{bobs}/participations"), json!({}))
            .await;
        assert_eq!(joined.status, 201, "{}", joined.text);
        outbox_caught_up(&server).await;

        let client = server.client();
        let items = all_items(&client, "/@alice/outbox").await;
        let newest_first: Vec<String> = public
            .iter()
            .rev()
            .map(|id| format!("{base}/events/{id}"))
            .collect();
        assert_eq!(objects(&items), newest_first, "{}", server.label);
        for item in &items {
            assert_eq!(item["type"], "Create", "{item}");
            assert_eq!(item["actor"], format!("{base}/@alice"));
            assert_eq!(item["object"]["type"], "Event");
            assert_eq!(
                item["to"],
                json!(["https://www.w3.org/ns/activitystreams#Public"])
            );
            let id = item["id"].as_str().expect("an id");
            assert_eq!(item, &stored(&server, id).await, "the activity as stored");
        }
        for hidden in [&unlisted, &draft, &private, &bobs] {
            let all = serde_json::to_string(&items).expect("JSON");
            assert!(!all.contains(hidden.as_str()), "{hidden} is listed");
        }
        let bobs_items = all_items(&client, "/@bob/outbox").await;
        assert_eq!(objects(&bobs_items), vec![format!("{base}/events/{bobs}")]);
        // The instance actor announces nothing: its outbox stays empty.
        assert_eq!(
            all_items(&client, "/relay/outbox").await,
            Vec::<Value>::new()
        );

        // Deleted, or no longer public: its activities leave the outbox, and the Delete is not
        // listed either.
        let deleted = alice
            .send(
                "DELETE",
                &format!("/api/v1/events/{}", public[3]),
                &[],
                None,
            )
            .await;
        assert!(deleted.status < 300, "{}", deleted.text);
        let quieter = alice
            .send(
                "PATCH",
                &format!("/api/v1/events/{}", public[5]),
                &[],
                Some(json!({"visibility": "unlisted"})),
            )
            .await;
        assert_eq!(quieter.status, 200, "{}", quieter.text);
        let retitled = alice
            .send(
                "PATCH",
                &format!("/api/v1/events/{}", public[0]),
                &[],
                Some(json!({"title": "March 0, again"})),
            )
            .await;
        assert_eq!(retitled.status, 200, "{}", retitled.text);
        outbox_caught_up(&server).await;
        let items = all_items(&client, "/@alice/outbox").await;
        let mut expected: Vec<String> = newest_first
            .iter()
            .filter(|url| !url.ends_with(&public[3]) && !url.ends_with(&public[5]))
            .cloned()
            .collect();
        // The Update is the newest.
        expected.insert(0, format!("{base}/events/{}", public[0]));
        assert_eq!(objects(&items), expected, "{}", server.label);
        assert_eq!(items[0]["type"], "Update");
        assert_eq!(items[0]["object"]["name"], "March 0, again");
        assert!(items.iter().all(|i| i["type"] != "Delete"));

        // Replaying the read models leaves the outbox as it was.
        let before = (ids(&items), items.clone());
        let address = server.host().to_string();
        server.stop().await;
        let db = convene_projections::Database::open(&scratch.url)
            .await
            .expect("database");
        let all = convene_projections::Subscribers::new(convene_projections::read_models()).with([
            std::sync::Arc::new(convene_federation::outbox::OutboxSubscriber::new(&base)) as _,
        ]);
        convene_projections::replay::rebuild(&db, &all, &mut |_, _, _| {})
            .await
            .expect("replayed");
        let again =
            TestServer::start_at(&scratch, convene_api::Registrations::Open, &address).await;
        let items = all_items(&again.client(), "/@alice/outbox").await;
        assert_eq!((ids(&items), items), before, "{}", again.label);
    }
}

#[tokio::test]
async fn a_groups_outbox_lists_its_public_events_and_posts_never_members_only_ones() {
    use super::groups::{moderate, Moderated};
    use convene_domain::moderation::{GroupAction, ProfileAction};
    for (_scratch, server) in servers("a_groups_outbox_lists_its_public_events").await {
        let base = server.base.clone();
        let ana = member_with_profile(&server, "ana@example.org", "ana").await;
        let created = ana
            .post(
                "/api/v1/groups",
                json!({"handle": "gardeners", "display_name": "Gardeners",
                       "summary": "<p>We grow things</p>", "openness": "open"}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let group_event = |title: &str, members_only: bool| {
            json!({"title": title, "description": "<p>Dig</p>",
                   "begins_at": "2030-06-01T14:00:00Z", "time_zone": "Europe/Paris",
                   "members_only": members_only})
        };
        let mut events = Vec::new();
        for (title, members_only) in [("Planting day", false), ("Seed swap", true)] {
            let made = ana
                .post(
                    "/api/v1/groups/gardeners/events",
                    group_event(title, members_only),
                )
                .await;
            assert_eq!(made.status, 201, "{}", made.text);
            events.push(made.json["id"].as_str().expect("an id").to_string());
        }
        for (title, visibility) in [("Our spring", "public"), ("Keys", "members")] {
            let post = ana
                .post(
                    "/api/v1/groups/gardeners/posts",
                    json!({"title": title, "body": "<p>News</p>", "visibility": visibility}),
                )
                .await;
            assert_eq!(post.status, 201, "{}", post.text);
        }
        let own = event(&ana, "Ana's walk", json!({})).await;
        outbox_caught_up(&server).await;

        let client = server.client();
        let items = all_items(&client, "/@gardeners/outbox").await;
        let kinds: Vec<(String, String)> = items
            .iter()
            .map(|i| {
                let object = &i["object"];
                let name = object["name"].as_str().unwrap_or_default();
                (
                    format!("{} {}", i["type"], object["type"]),
                    name.to_string(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                (s("\"Create\" \"Article\""), s("Our spring")),
                (s("\"Create\" \"Event\""), s("Planting day")),
            ],
            "{}",
            server.label
        );
        let group = format!("{base}/@gardeners");
        for item in &items {
            assert_eq!(item["actor"], group);
            assert_eq!(
                item,
                &stored(&server, item["id"].as_str().expect("id")).await
            );
        }
        let text = serde_json::to_string(&items).expect("JSON");
        assert!(
            !text.contains(&events[1]) && !text.contains("Keys"),
            "{text}"
        );
        // The group's events are the group's, not the organiser's.
        let anas = all_items(&client, "/@ana/outbox").await;
        assert_eq!(objects(&anas), vec![format!("{base}/events/{own}")]);

        // Suspended: the collection answers, with nothing in it; reinstated, all is back.
        moderate(&server, Moderated::Group("gardeners", GroupAction::Suspend)).await;
        let emptied = once_total(&client, "/@gardeners/outbox", 0).await;
        assert_eq!(emptied["first"], format!("{group}/outbox?page=1"));
        let page = client.get_as("/@gardeners/outbox?page=1", AP).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.json["orderedItems"], json!([]));
        moderate(
            &server,
            Moderated::Group("gardeners", GroupAction::Unsuspend),
        )
        .await;
        once_total(&client, "/@gardeners/outbox", 2).await;
        moderate(&server, Moderated::Profile("ana", ProfileAction::Suspend)).await;
        once_total(&client, "/@ana/outbox", 0).await;
        assert_eq!(
            client.get_as("/@ana/outbox?page=1", AP).await.json["orderedItems"],
            json!([])
        );

        for path in [
            "/@gardeners/outbox?page=0",
            "/@ana/outbox?page=x",
            "/relay/outbox?page=-1",
        ] {
            let refused = client.get_as(path, AP).await;
            assert_eq!(refused.status, 400, "{path}: {}", refused.text);
            assert!(refused.text.contains("count from 1"), "{}", refused.text);
        }
        let unknown = client.get_as("/@nobody/outbox", AP).await;
        assert_eq!(unknown.status, 404);
        server.assert_no_private_key_served();
    }
}

fn s(text: &str) -> String {
    text.to_string()
}

/// The collection at `path` once its total is `total` (the read models follow the log).
async fn once_total(client: &Client, path: &str, total: u64) -> Value {
    for _ in 0..100 {
        let answer = client.get_as(path, AP).await;
        if answer.json["totalItems"] == total {
            return answer.json;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{path} never listed {total}");
}
