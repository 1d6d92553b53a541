//! A Mastodon account (the Mastodon actor fixture, moved to 127.0.0.1 with a test key) follows
//! a local group: accepted at once, or pending until a moderator approves; the group's public
//! event and post then go to its shared inbox, signed by the group, shaped as Mastodon reads
//! them; members-only ones never do. Its Undo ends the follow. A remote person joins a group
//! by the local rules (open, moderated, invite-only), hears the group's answer, and leaves.

use crate::support::*;
use crate::{bytes, now};
use convene_domain::event::details::{EventDetails, EventStatus, JoinMode, Visibility};
use convene_domain::event::GroupLink;
use convene_domain::group::{
    FollowState, GroupActor, GroupDetails, MemberRole, Openness, PostContent, PostVisibility,
};
use convene_domain::{
    Actor, Event, EventCommand, Group, GroupChange, GroupCommand, Metadata, Source,
};
use convene_federation::delivery::SignerSource;
use convene_federation::outbox::{LocalSigners, OutboxSubscriber, Outgoing};
use convene_federation::signatures::{self, Received};
use convene_projections::log::EventLog;
use convene_projections::scratch::test_urls;
use convene_projections::Commands;
use cqrs_es::Aggregate;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};
use time::macros::datetime;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The Mastodon actor fixture as served from `remote`, with the test key; its id.
fn mastodon_actor(remote: &Remote) -> Option<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/activitypub/mobilizon/mastodon-actor.json"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the Mastodon actor fixture is not at {path}"
        );
        eprintln!("*** group follows: SKIPPED: no fixture at {path} ***");
        return None;
    };
    let moved = text.replace("https://framapiaf.org", &remote.base);
    let mut actor: Value = serde_json::from_str(&moved).expect("the fixture is JSON");
    actor["publicKey"]["publicKeyPem"] = json!(ALICE_PUB);
    let id = actor["id"].as_str().expect("an id").to_string();
    let path = id
        .strip_prefix(&format!("{}/", remote.base))
        .expect("moved");
    remote.serve(path, actor);
    Some(id)
}

pub(crate) fn seed() -> Metadata {
    Metadata::now(Actor::System, Source::Cli, "seed")
}

pub(crate) async fn group(
    local: &Local,
    handle: &str,
    manually_approves_followers: bool,
) -> String {
    let mut details = GroupDetails::named(handle);
    details.manually_approves_followers = manually_approves_followers;
    let create = GroupCommand::Create {
        handle: handle.into(),
        creator: GroupActor::profile("ana"),
        details,
    };
    group_command(local, handle, create).await;
    // Peers find it once the read models show it, as its actor document does.
    for _ in 0..200 {
        let found = convene_projections::groups::find(local.db.pool(), handle)
            .await
            .expect("the read model");
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    format!("{}/@{handle}", local.base)
}

pub(crate) async fn group_command(local: &Local, handle: &str, command: GroupCommand) {
    Commands::<Group>::new(&local.db, ())
        .execute_retrying(handle, command, &seed())
        .await
        .unwrap_or_else(|e| panic!("@{handle}: {e}"));
}

async fn follower_state(local: &Local, handle: &str, actor: &str) -> Option<FollowState> {
    let who = GroupActor::Remote(actor.to_string());
    for _ in 0..200 {
        let found = convene_projections::groups::follower(local.db.pool(), handle, &who)
            .await
            .expect("the read model");
        if found.is_some() {
            return found.map(|f| f.state);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

/// What the outbox derives from the whole log to deliver (not what it keeps only for the
/// actors' outboxes, which nobody receives).
pub(crate) async fn derived(local: &Local) -> Vec<Outgoing> {
    let all = EventLog::new(&local.db)
        .read_after(0, 10_000)
        .await
        .expect("the log");
    OutboxSubscriber::new(&local.base)
        .outgoing(local.db.pool(), &all)
        .await
        .expect("derived")
        .into_iter()
        .map(|(_, o)| o)
        .filter(|o| !o.inboxes.is_empty())
        .collect()
}

fn details(title: &str) -> EventDetails {
    EventDetails {
        description_source: None,
        remote_picture: None,
        title: title.into(),
        description: "<p>Bring <b>seeds</b>.</p>".into(),
        begins_at: datetime!(2030-06-01 12:00 UTC),
        ends_at: None,
        time_zone: "Europe/Paris".into(),
        status: EventStatus::Confirmed,
        visibility: Visibility::Public,
        join_mode: JoinMode::Free,
        external_url: None,
        capacity: None,
        address: None,
        online_url: None,
        category: "CRAFTS".into(),
        tags: vec![],
        language: "en".into(),
        links: vec![],
        options: Default::default(),
    }
}

pub(crate) async fn group_event(
    local: &Local,
    id: &str,
    handle: &str,
    title: &str,
    members_only: bool,
) {
    let command = EventCommand::CreateForGroup {
        organiser: "ana".into(),
        creator_participation: format!("{id}-ana"),
        details: details(title),
        draft: false,
        group: GroupLink::here(handle, members_only, false),
    };
    Commands::<Event>::new(&local.db, ())
        .execute(id, command, &seed())
        .await
        .unwrap_or_else(|e| panic!("event {id}: {e}"));
}

/// Checks that `out` is signed as the group's published key verifies.
pub(crate) async fn signed_by_the_group(local: &Local, out: &Outgoing, group: &str) {
    assert_eq!(out.key_id, format!("{group}#main-key"));
    let signer = LocalSigners::new(&local.db, &local.base)
        .signer(&out.key_id)
        .await
        .expect("the group signs");
    let inbox = url::Url::parse(&out.inboxes[0]).expect("an inbox URL");
    let body = serde_json::to_vec(&out.activity).expect("serialises");
    let headers = signer.sign_post(&inbox, &body, SystemTime::now());
    let uri: http::Uri = inbox.path().parse().expect("a path");
    let request = Received {
        method: &http::Method::POST,
        uri: &uri,
        headers: &headers,
        body: &body,
        scheme: "http",
    };
    let parsed = signatures::parse(&request, SystemTime::now(), Duration::from_secs(60))
        .expect("well signed");
    let document = reqwest::Client::new()
        .get(group)
        .header("accept", "application/activity+json")
        .send()
        .await
        .expect("the group's actor")
        .text()
        .await
        .expect("a body");
    let document: Value = serde_json::from_str(&document).expect("JSON");
    let pem = document["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap_or_default();
    parsed
        .verify(pem)
        .expect("verifies with the group's published key");
}

#[tokio::test]
async fn a_mastodon_account_follows_a_group_and_gets_its_public_content() {
    for scratch in test_urls("inbox_group_follow").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let Some(mastodon) = mastodon_actor(&remote) else {
            return;
        };
        let key_id = format!("{mastodon}#main-key");
        let signing = || Signing::Cavage {
            key_id: &key_id,
            key: ALICE_KEY,
        };
        let gardeners = group(&local, "gardeners", false).await;
        let shared = remote.url("inbox");

        // Mastodon's Follow, as its fixture has it, of the group.
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{mastodon}#follows/2"),
            "type": "Follow",
            "actor": mastodon,
            "object": gardeners,
        });
        let (status, text) = post(
            &local,
            "/@gardeners/inbox",
            &bytes(&follow),
            signing(),
            now(),
        )
        .await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        assert_eq!(
            follower_state(&local, "gardeners", &mastodon).await,
            Some(FollowState::Approved),
            "{}",
            local.label
        );
        let log = EventLog::new(&local.db)
            .aggregate(Group::TYPE, "gardeners")
            .await
            .expect("the log");
        let followed = log.last().expect("a change");
        let metadata = followed.metadata().expect("metadata");
        assert_eq!(
            metadata.actor,
            Actor::Remote {
                actor: mastodon.clone()
            }
        );
        assert_eq!(
            metadata.source,
            Source::Federation {
                activity: format!("{mastodon}#follows/2")
            }
        );
        assert_eq!(
            followed.change::<GroupChange>().expect("a group change"),
            GroupChange::Followed {
                who: GroupActor::Remote(mastodon.clone()),
                state: FollowState::Approved
            }
        );

        // A public event, a members-only one, a public post and a members-only post.
        group_event(&local, "e1", "gardeners", "Planting day", false).await;
        group_event(&local, "e2", "gardeners", "Seed swap", true).await;
        for (post, visibility) in [
            ("p1", PostVisibility::Public),
            ("p2", PostVisibility::Members),
        ] {
            let write = GroupCommand::WritePost {
                by: GroupActor::profile("ana"),
                post: post.into(),
                content: PostContent {
                    title: format!("News {post}"),
                    body: "<p>The <b>beans</b> are up.</p>".into(),
                    tags: vec![],
                    visibility,
                    draft: false,
                    publish_at: None,
                },
            };
            group_command(&local, "gardeners", write).await;
        }
        let out = derived(&local).await;
        let shapes: Vec<(String, String, String)> = out
            .iter()
            .map(|o| {
                let a = serde_json::to_value(&o.activity).expect("serialises");
                (
                    a["type"].as_str().unwrap_or_default().to_string(),
                    a["object"]["type"].as_str().unwrap_or_default().to_string(),
                    a["object"]["name"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let s = |t: &str| t.to_string();
        assert_eq!(
            shapes,
            vec![
                (s("Accept"), s("Follow"), s("")),
                (s("Create"), s("Event"), s("Planting day")),
                (s("Create"), s("Article"), s("News p1")),
            ],
            "{}: members-only content never leaves",
            local.label
        );
        for o in &out {
            assert_eq!(o.inboxes, vec![shared.clone()], "{}", local.label);
            assert_eq!(o.activity.actor, gardeners);
            signed_by_the_group(&local, o, &gardeners).await;
        }
        let accept = serde_json::to_value(&out[0].activity).expect("serialises");
        assert_eq!(accept["object"]["id"], format!("{mastodon}#follows/2"));
        assert_eq!(accept["object"]["actor"], mastodon);
        assert_eq!(accept["object"]["object"], gardeners);
        // Mastodon shows an Event or an Article by its name, summary and link, to the public,
        // as the followers of the group it follows.
        for created in &out[1..] {
            let object = serde_json::to_value(&created.activity.object).expect("serialises");
            assert_eq!(created.activity.to, vec![s(PUBLIC)]);
            assert_eq!(created.activity.cc, vec![format!("{gardeners}/followers")]);
            assert_eq!(object["attributedTo"], gardeners);
            for field in ["name", "summary", "content", "url"] {
                assert!(
                    object[field].as_str().is_some_and(|v| !v.is_empty()),
                    "{field}: {object}"
                );
            }
        }

        // Undo: no longer a follower, and nothing more is sent to it.
        let undo = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{mastodon}#follows/2/undo"),
            "type": "Undo",
            "actor": mastodon,
            "object": follow,
        });
        let (status, text) = post(&local, "/inbox", &bytes(&undo), signing(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let who = GroupActor::Remote(mastodon.clone());
        for _ in 0..200 {
            let left = convene_projections::groups::follower(local.db.pool(), "gardeners", &who)
                .await
                .expect("the read model");
            if left.is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            convene_projections::groups::follower(local.db.pool(), "gardeners", &who)
                .await
                .expect("the read model")
                .is_none()
        );
        group_event(&local, "e3", "gardeners", "Harvest", false).await;
        let after = derived(&local).await;
        assert_eq!(
            after.len(),
            out.len(),
            "{}: nothing for a former follower",
            local.label
        );
    }
}

#[tokio::test]
async fn a_group_that_approves_its_followers_accepts_once_a_moderator_does() {
    for scratch in test_urls("inbox_group_follow_approved").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let Some(mastodon) = mastodon_actor(&remote) else {
            return;
        };
        let key_id = format!("{mastodon}#main-key");
        let signing = || Signing::Cavage {
            key_id: &key_id,
            key: ALICE_KEY,
        };
        let closed = group(&local, "closed", true).await;
        let follow = json!({
            "id": format!("{mastodon}#follows/7"),
            "type": "Follow",
            "actor": mastodon,
            "object": closed,
        });
        let (status, text) = post(&local, "/inbox", &bytes(&follow), signing(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        assert_eq!(
            follower_state(&local, "closed", &mastodon).await,
            Some(FollowState::Pending)
        );
        assert!(
            derived(&local).await.is_empty(),
            "{}: no Accept while pending",
            local.label
        );

        // A stranger cannot approve it; the group's administrator does.
        let approve = |by: &str| GroupCommand::ApproveFollower {
            by: GroupActor::profile(by),
            who: GroupActor::Remote(mastodon.clone()),
        };
        let refused = Commands::<Group>::new(&local.db, ())
            .execute_retrying("closed", approve("mallory"), &seed())
            .await;
        assert!(refused.is_err(), "{}", local.label);
        group_command(&local, "closed", approve("ana")).await;
        let out = derived(&local).await;
        assert_eq!(out.len(), 1, "{}: {out:?}", local.label);
        let accept = serde_json::to_value(&out[0].activity).expect("serialises");
        assert_eq!(accept["type"], "Accept");
        assert_eq!(accept["actor"], closed);
        assert_eq!(accept["object"]["id"], format!("{mastodon}#follows/7"));
        assert_eq!(out[0].inboxes, vec![remote.url("inbox")]);

        // A group nobody may follow (unlisted) refuses with the reason; an unknown one is 404.
        let hidden = group(&local, "hidden", false).await;
        let patch = convene_domain::group::GroupPatch {
            visibility: Some(convene_domain::group::GroupVisibility::Unlisted),
            ..Default::default()
        };
        group_command(
            &local,
            "hidden",
            GroupCommand::Update {
                by: GroupActor::profile("ana"),
                patch,
            },
        )
        .await;
        let again = json!({"id": format!("{mastodon}#follows/8"), "type": "Follow",
                           "actor": mastodon, "object": hidden});
        let (status, text) = post(&local, "/inbox", &bytes(&again), signing(), now()).await;
        assert_eq!(status, 403, "{}: {text}", local.label);
        assert!(text.contains("not-followable"), "{text}");
        let nobody = json!({"id": format!("{mastodon}#follows/9"), "type": "Follow",
                            "actor": mastodon, "object": format!("{}/@nobody", local.base)});
        let (status, _) = post(&local, "/inbox", &bytes(&nobody), signing(), now()).await;
        assert_eq!(status, 404, "{}", local.label);
    }
}

pub(crate) async fn role_of(local: &Local, handle: &str, actor: &str) -> Option<MemberRole> {
    let who = GroupActor::Remote(actor.to_string());
    convene_projections::groups::membership(local.db.pool(), handle, &who)
        .await
        .expect("the read model")
        .map(|m| m.role)
}

/// Waits until `actor`'s role in `@handle` is `role` (none: no membership).
pub(crate) async fn wait_for_role(
    local: &Local,
    handle: &str,
    actor: &str,
    role: Option<MemberRole>,
) {
    for _ in 0..200 {
        if role_of(local, handle, actor).await == role {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(role_of(local, handle, actor).await, role, "{}", local.label);
}

#[tokio::test]
async fn a_remote_person_joins_a_group_by_the_local_rules_and_leaves_it() {
    for scratch in test_urls("inbox_group_join").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let bob = remote.person("bob", BOB_PUB);
        let alice_key = format!("{alice}#main-key");
        let bob_key = format!("{bob}#main-key");
        let as_alice = || Signing::Cavage {
            key_id: &alice_key,
            key: ALICE_KEY,
        };
        let as_bob = || Signing::Cavage {
            key_id: &bob_key,
            key: BOB_KEY,
        };
        let open = group(&local, "open", false).await;
        let moderated = group(&local, "moderated", false).await;
        let closed = group(&local, "closed", false).await;
        let openness = |openness| {
            let patch = convene_domain::group::GroupPatch {
                openness: Some(openness),
                ..Default::default()
            };
            GroupCommand::Update {
                by: GroupActor::profile("ana"),
                patch,
            }
        };
        group_command(&local, "open", openness(Openness::Open)).await;
        group_command(&local, "closed", openness(Openness::InviteOnly)).await;

        // An open group: a member at once, and the group accepts the Join.
        let join = activity("Join", &alice, 1, json!(open));
        let (status, text) = post(&local, "/inbox", &bytes(&join), as_alice(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        wait_for_role(&local, "open", &alice, Some(MemberRole::Member)).await;
        let joined = EventLog::new(&local.db)
            .aggregate(Group::TYPE, "open")
            .await
            .expect("the log");
        let metadata = joined
            .last()
            .expect("a change")
            .metadata()
            .expect("metadata");
        assert_eq!(
            metadata.actor,
            Actor::Remote {
                actor: alice.clone()
            }
        );
        assert_eq!(
            metadata.source,
            Source::Federation {
                activity: join["id"].as_str().unwrap_or_default().to_string()
            }
        );

        // A moderated group: a request with its message; approved, then accepted; another
        // rejected, then refused.
        let mut asks = activity("Join", &alice, 2, json!(moderated));
        asks["participationMessage"] = json!("I grow tomatoes");
        let (status, text) = post(&local, "/inbox", &bytes(&asks), as_alice(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        wait_for_role(&local, "moderated", &alice, Some(MemberRole::NotApproved)).await;
        let member = convene_projections::groups::membership(
            local.db.pool(),
            "moderated",
            &GroupActor::Remote(alice.clone()),
        )
        .await
        .expect("the read model")
        .expect("a request");
        assert_eq!(member.message.as_deref(), Some("I grow tomatoes"));
        let bob_asks = activity("Join", &bob, 3, json!(moderated));
        let (status, text) = post(&local, "/inbox", &bytes(&bob_asks), as_bob(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let answers_before = derived(&local).await.len();
        assert_eq!(
            answers_before, 1,
            "{}: only the open group's Accept",
            local.label
        );
        group_command(
            &local,
            "moderated",
            GroupCommand::Approve {
                by: GroupActor::profile("ana"),
                who: GroupActor::Remote(alice.clone()),
            },
        )
        .await;
        group_command(
            &local,
            "moderated",
            GroupCommand::Reject {
                by: GroupActor::profile("ana"),
                who: GroupActor::Remote(bob.clone()),
            },
        )
        .await;
        let out = derived(&local).await;
        let answers: Vec<(String, String, String, Vec<String>)> = out
            .iter()
            .map(|o| {
                let a = serde_json::to_value(&o.activity).expect("serialises");
                (
                    a["type"].as_str().unwrap_or_default().to_string(),
                    a["actor"].as_str().unwrap_or_default().to_string(),
                    a["object"]["id"].as_str().unwrap_or_default().to_string(),
                    o.inboxes.clone(),
                )
            })
            .collect();
        let id = |a: &Value| a["id"].as_str().unwrap_or_default().to_string();
        let shared = vec![remote.url("inbox")];
        assert_eq!(
            answers,
            vec![
                ("Accept".into(), open.clone(), id(&join), shared.clone()),
                (
                    "Accept".into(),
                    moderated.clone(),
                    id(&asks),
                    shared.clone()
                ),
                (
                    "Reject".into(),
                    moderated.clone(),
                    id(&bob_asks),
                    shared.clone()
                ),
            ],
            "{}",
            local.label
        );
        for o in &out {
            assert_eq!(o.activity.to.len(), 1);
            assert_eq!(
                serde_json::to_value(&o.activity).expect("serialises")["object"]["type"],
                "Join"
            );
        }

        // Refused with a reason, nothing applied: an invite-only group, a second Join, a
        // rejected person asking again, a group we do not host.
        for (join, signing, status, says) in [
            (
                activity("Join", &alice, 4, json!(closed)),
                as_alice(),
                403,
                "invite-only",
            ),
            (
                activity("Join", &alice, 5, json!(open)),
                as_alice(),
                409,
                "already-in-group",
            ),
            (
                activity("Join", &bob, 6, json!(moderated)),
                as_bob(),
                409,
                "rejected-before",
            ),
            (
                activity("Join", &alice, 7, json!(remote.url("groups/elsewhere"))),
                as_alice(),
                404,
                "",
            ),
        ] {
            let (got, text) = post(&local, "/inbox", &bytes(&join), signing, now()).await;
            assert_eq!(got, status, "{}: {text}", local.label);
            assert!(text.contains(says), "{text}");
        }
        assert_eq!(role_of(&local, "closed", &alice).await, None);

        // The group's timeline shows each decision with the remote actor who made it.
        let timeline =
            convene_projections::groups::timeline_of(local.db.pool(), "moderated", true, 50, 0)
                .await
                .expect("the timeline");
        let shown: Vec<(String, &str, Option<String>)> = timeline
            .iter()
            .map(|e| (e.actor.clone(), e.kind.as_str(), e.subject.clone()))
            .collect();
        assert!(
            shown.contains(&(alice.clone(), "join_requested", Some(alice.clone()))),
            "{shown:?}"
        );
        assert!(
            shown.contains(&(bob.clone(), "join_requested", Some(bob.clone()))),
            "{shown:?}"
        );

        // Leave: no longer a member.
        let leave = activity("Leave", &alice, 8, json!(open));
        let (status, text) = post(&local, "/inbox", &bytes(&leave), as_alice(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        wait_for_role(&local, "open", &alice, None).await;
    }
}

#[tokio::test]
async fn members_only_collections_are_served_to_a_current_members_signed_fetch_only() {
    for scratch in test_urls("inbox_group_members_only").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let bob = remote.person("bob", BOB_PUB);
        let alice_key = format!("{alice}#main-key");
        let bob_key = format!("{bob}#main-key");
        let club = group(&local, "club", false).await;
        let open = GroupCommand::Update {
            by: GroupActor::profile("ana"),
            patch: convene_domain::group::GroupPatch {
                openness: Some(Openness::Open),
                ..Default::default()
            },
        };
        group_command(&local, "club", open).await;
        let join = activity("Join", &alice, 1, json!(club));
        let as_alice = Signing::Cavage {
            key_id: &alice_key,
            key: ALICE_KEY,
        };
        let (status, text) = post(&local, "/inbox", &bytes(&join), as_alice, now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        wait_for_role(&local, "club", &alice, Some(MemberRole::Member)).await;

        // Alice, a member, fetches each collection signed with her key.
        let (status, text) = signed_get(
            &local,
            "/@club/members?page=1",
            Some((&alice_key, ALICE_KEY)),
        )
        .await;
        assert_eq!(status, 200, "{}: {text}", local.label);
        let page: Value = serde_json::from_str(&text).expect("JSON");
        let items = page["orderedItems"].as_array().expect("items");
        let actors: Vec<&str> = items.iter().filter_map(|m| m["actor"].as_str()).collect();
        assert!(actors.contains(&alice.as_str()), "{text}");
        assert!(
            actors.contains(&format!("{}/@ana", local.base).as_str()),
            "{text}"
        );
        assert!(items
            .iter()
            .all(|m| m["type"] == "Member" && m["object"] == club.as_str()));
        for name in ["discussions", "resources", "todos"] {
            let (status, text) = signed_get(
                &local,
                &format!("/@club/{name}"),
                Some((&alice_key, ALICE_KEY)),
            )
            .await;
            assert_eq!(status, 200, "{name}: {text}");
            let collection: Value = serde_json::from_str(&text).expect("JSON");
            assert_eq!(collection["id"], format!("{club}/{name}"), "{text}");
        }

        // Unsigned: 401. Alice's key id with Bob's key (it does not verify): 401. Bob, who is
        // not a member, signing with his own key: 403.
        let (status, _) = signed_get(&local, "/@club/members", None).await;
        assert_eq!(status, 401, "{}", local.label);
        let (status, _) = signed_get(&local, "/@club/members", Some((&alice_key, BOB_KEY))).await;
        assert_eq!(status, 401, "{}", local.label);
        let (status, text) = signed_get(&local, "/@club/members", Some((&bob_key, BOB_KEY))).await;
        assert_eq!(status, 403, "{}: {text}", local.label);
        assert!(text.contains("is not one"), "{text}");

        // Removed by the group's administrator: her next fetch is refused.
        group_command(
            &local,
            "club",
            GroupCommand::Remove {
                by: GroupActor::profile("ana"),
                who: GroupActor::Remote(alice.clone()),
            },
        )
        .await;
        wait_for_role(&local, "club", &alice, None).await;
        let (status, _) = signed_get(&local, "/@club/members", Some((&alice_key, ALICE_KEY))).await;
        assert_eq!(status, 403, "{}", local.label);
        // The public ones need no signature.
        let (status, _) = signed_get(&local, "/@club/events", None).await;
        assert_eq!(status, 200, "{}", local.label);
    }
}
