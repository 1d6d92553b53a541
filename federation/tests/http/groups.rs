//! A group as an ActivityPub actor: its `Group` document beside its page, in WebFinger, and its
//! collections — public ones to anyone, members-only ones refused.

use super::servers;
use super::support::member_with_profile;
use serde_json::{json, Value};

const AP: &str = "application/activity+json";

#[tokio::test]
async fn a_group_is_a_group_actor_with_its_collections() {
    for (_scratch, server) in servers("a_group_is_a_group_actor_with_its_collections").await {
        let base = server.base.clone();
        let ana = member_with_profile(&server, "ana@example.org", "ana").await;
        let created = ana
            .post(
                "/api/v1/groups",
                json!({"handle": "gardeners", "display_name": "Gardeners",
                       "summary": "<p>We grow things</p>", "openness": "open",
                       "manually_approves_followers": true}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let client = server.client();

        let actor = client.get_as("/@gardeners", AP).await;
        assert_eq!(actor.status, 200, "{}: {}", server.label, actor.text);
        assert_eq!(actor.header("content-type"), AP);
        assert!(actor.header("vary").contains("Accept"));
        let doc = &actor.json;
        let id = format!("{base}/@gardeners");
        assert_eq!(doc["id"], id);
        assert_eq!(doc["type"], "Group");
        assert_eq!(doc["preferredUsername"], "gardeners");
        assert_eq!(doc["name"], "Gardeners");
        assert_eq!(doc["summary"], "<p>We grow things</p>");
        assert_eq!(doc["openness"], "open");
        assert_eq!(doc["manuallyApprovesFollowers"], true);
        assert_eq!(doc["discoverable"], true);
        assert_eq!(doc["memberCount"], 1);
        assert_eq!(doc["endpoints"]["sharedInbox"], format!("{base}/inbox"));
        for name in [
            "inbox",
            "outbox",
            "followers",
            "following",
            "members",
            "events",
            "posts",
            "discussions",
            "resources",
            "todos",
        ] {
            assert_eq!(doc[name], format!("{id}/{name}"), "{name}");
        }
        // Its own key, not a profile's: peers read it as a Group.
        let parsed = convene_federation::actors::remote::parse(doc).expect("parses");
        assert_eq!(parsed.kind, "Group");
        assert_eq!(parsed.public_key.id.as_str(), format!("{id}#main-key"));
        let person = client.get_as("/@ana", AP).await;
        assert_ne!(
            person.json["publicKey"]["publicKeyPem"],
            doc["publicKey"]["publicKeyPem"]
        );
        // The page stays for browsers.
        let page = client.get_as("/@gardeners", "text/html").await;
        assert_eq!(page.status, 200);
        assert!(page.header("content-type").starts_with("text/html"));

        let finger = client
            .get(&format!(
                "/.well-known/webfinger?resource=acct:gardeners@{}",
                server.host()
            ))
            .await;
        assert_eq!(finger.status, 200, "{}", finger.text);
        assert_eq!(
            finger.json["subject"],
            format!("acct:gardeners@{}", server.host())
        );
        assert_eq!(finger.json["links"][0]["href"], id);

        // A public event and a members-only one; a public post and a members-only one.
        let event = |title: &str, members_only: bool| {
            json!({"title": title, "description": "<p>Dig</p>",
                   "begins_at": "2030-06-01T14:00:00Z", "time_zone": "Europe/Paris",
                   "members_only": members_only})
        };
        let public = ana
            .post(
                "/api/v1/groups/gardeners/events",
                event("Planting day", false),
            )
            .await;
        assert_eq!(public.status, 201, "{}", public.text);
        let members = ana
            .post("/api/v1/groups/gardeners/events", event("Seed swap", true))
            .await;
        assert_eq!(members.status, 201, "{}", members.text);
        for (title, visibility) in [("Our spring", "public"), ("Keys", "members")] {
            let post = ana
                .post(
                    "/api/v1/groups/gardeners/posts",
                    json!({"title": title, "body": "<p>News</p>", "visibility": visibility}),
                )
                .await;
            assert_eq!(post.status, 201, "{}", post.text);
        }
        let events = client.get_as("/@gardeners/events?page=1", AP).await;
        assert_eq!(events.status, 200, "{}", events.text);
        assert_eq!(
            events.json["orderedItems"],
            json!([format!(
                "{base}/events/{}",
                public.json["id"].as_str().unwrap_or_default()
            )])
        );
        assert_eq!(
            client.get_as("/@gardeners/events", AP).await.json["totalItems"],
            1
        );
        let posts = client.get_as("/@gardeners/posts?page=1", AP).await;
        assert_eq!(posts.json["totalItems"], 1, "{}", posts.text);
        let post_url = posts.json["orderedItems"][0].as_str().unwrap_or_default();
        assert!(post_url.starts_with(&format!("{id}/p/")), "{post_url}");

        // The members-only event is for its members' signed fetches alone (see the inbox tests);
        // the public one is served to anyone, as the group's.
        let public_event = client
            .get_as(
                &format!("/events/{}", public.json["id"].as_str().unwrap_or_default()),
                AP,
            )
            .await;
        assert_eq!(public_event.status, 200, "{}", public_event.text);
        assert_eq!(public_event.json["attributedTo"], id);
        let hidden = client
            .get_as(
                &format!(
                    "/events/{}",
                    members.json["id"].as_str().unwrap_or_default()
                ),
                AP,
            )
            .await;
        assert_eq!(hidden.status, 401, "{}", hidden.text);
        assert!(!hidden.text.contains("Seed swap"), "{}", hidden.text);

        // Followers: how many, never who.
        let bo = member_with_profile(&server, "bo@example.org", "bo").await;
        let followed = bo
            .post("/api/v1/groups/gardeners/followers", json!({}))
            .await;
        assert!(followed.status < 300, "{}", followed.text);
        let approve = ana
            .post("/api/v1/groups/gardeners/followers/bo/approve", json!({}))
            .await;
        assert!(approve.status < 300, "{}", approve.text);
        let followers = client.get_as("/@gardeners/followers", AP).await;
        assert_eq!(followers.json["type"], "OrderedCollection");
        assert_eq!(followers.json["totalItems"], 1, "{}", followers.text);
        let page = client.get_as("/@gardeners/followers?page=1", AP).await;
        assert_eq!(page.json["orderedItems"], json!([]));
        // Its outbox lists the public event's and post's Creates (see tests/http/outbox.rs).
        once(&client, "/@gardeners/outbox", |doc| doc["totalItems"] == 2).await;
        assert_eq!(
            client.get_as("/@gardeners/following", AP).await.json["totalItems"],
            0
        );

        // Members-only collections: unsigned 401, signed by anyone 403, never the content.
        for name in ["members", "discussions", "resources", "todos"] {
            let path = format!("/@gardeners/{name}");
            let unsigned = client.get_as(&path, AP).await;
            assert_eq!(unsigned.status, 401, "{path}: {}", unsigned.text);
            assert_eq!(unsigned.header("content-type"), "application/problem+json");
            let signed = client
                .send(
                    "GET",
                    &path,
                    &[
                        ("accept", AP),
                        ("signature", "keyId=\"https://elsewhere.example/@x#main-key\",headers=\"(request-target) host date\",signature=\"AAAA\""),
                    ],
                    None,
                )
                .await;
            assert_eq!(signed.status, 403, "{path}: {}", signed.text);
            assert!(!signed.text.contains("ana"), "{}", signed.text);
        }
        let unknown = client.get_as("/@nobody/events", AP).await;
        assert_eq!(unknown.status, 404);
        server.assert_no_private_key_served();
    }
}

/// A moderator's decision on `group` or `profile`, as the moderation use case records it.
pub(crate) async fn moderate(server: &super::support::TestServer, target: Moderated) {
    use convene_domain::moderation::Decision;
    use convene_domain::{Actor, Group, GroupCommand, Metadata, Profile, ProfileCommand, Source};
    use convene_projections::Commands;
    let decision = Decision::plain("m1", "spam");
    let metadata = Metadata::now(Actor::System, Source::Cli, "test");
    let done = match target {
        Moderated::Group(handle, action) => Commands::<Group>::new(&server.db, ())
            .execute(
                handle,
                GroupCommand::Moderate { action, decision },
                &metadata,
            )
            .await
            .map_err(|e| e.to_string()),
        Moderated::Profile(username, action) => Commands::<Profile>::new(&server.db, ())
            .execute(
                username,
                ProfileCommand::Moderate { action, decision },
                &metadata,
            )
            .await
            .map_err(|e| e.to_string()),
    };
    done.expect("the decision");
}

pub(crate) enum Moderated {
    Group(&'static str, convene_domain::moderation::GroupAction),
    Profile(&'static str, convene_domain::moderation::ProfileAction),
}

/// `path` as ActivityPub once the read models show `shown` on it.
async fn once(
    client: &super::support::Client,
    path: &str,
    shown: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..100 {
        let answer = client.get_as(path, AP).await;
        if shown(&answer.json) {
            return answer.json;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{path} never changed");
}

#[tokio::test]
async fn suspended_actors_show_as_suspended_and_a_suspended_groups_collections_are_gone() {
    use convene_domain::moderation::{GroupAction, ProfileAction};
    for (_scratch, server) in servers("suspended_actors_show_as_suspended").await {
        let ana = member_with_profile(&server, "ana@example.org", "ana").await;
        let created = ana
            .post(
                "/api/v1/groups",
                json!({"handle": "gardeners", "display_name": "Gardeners",
                       "summary": "<p>We grow things</p>"}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let client = server.client();
        let before = client.get_as("/@gardeners", AP).await.json;
        assert_eq!(before["suspended"], Value::Null, "{}", server.label);

        moderate(&server, Moderated::Group("gardeners", GroupAction::Suspend)).await;
        let doc = once(&client, "/@gardeners", |doc| doc["suspended"] == true).await;
        // Mastodon's way: the ids and the key stay, so peers can tell, and still verify what
        // the group signed; what it wrote does not show.
        assert_eq!(doc["type"], "Group");
        assert_eq!(doc["name"], "gardeners");
        assert_eq!(doc["summary"], Value::Null);
        assert_eq!(doc["discoverable"], false);
        assert_eq!(doc["publicKey"], before["publicKey"]);
        assert_eq!(doc["@context"][2]["suspended"], "toot:suspended");
        for collection in ["events", "posts", "members"] {
            let gone = client
                .get_as(&format!("/@gardeners/{collection}"), AP)
                .await;
            assert_eq!(gone.status, 404, "{collection}: {}", gone.text);
            assert!(
                gone.text.contains("suspended"),
                "{collection}: {}",
                gone.text
            );
        }
        moderate(
            &server,
            Moderated::Group("gardeners", GroupAction::Unsuspend),
        )
        .await;
        let doc = once(&client, "/@gardeners", |doc| doc["suspended"].is_null()).await;
        assert_eq!(doc["name"], "Gardeners");
        assert_eq!(client.get_as("/@gardeners/events", AP).await.status, 200);

        moderate(&server, Moderated::Profile("ana", ProfileAction::Suspend)).await;
        let doc = once(&client, "/@ana", |doc| doc["suspended"] == true).await;
        assert_eq!(doc["type"], "Person");
        assert_eq!(doc["name"], "ana");
        assert_eq!(doc["discoverable"], false);
        convene_federation::actors::remote::parse(&doc).expect("peers still read it");
    }
}
