//! The outbox over a real log on SQLite and (with TEST_DATABASE_URL) PostgreSQL: which changes
//! give which activities, to whom, with ids that a second derivation (a replay, a batch seen
//! again after a crash, another split into batches) gives again unchanged.

use convene_domain::event::details::{EventDetails, EventPatch, EventStatus, JoinMode, Visibility};
use convene_domain::event::{GroupAddress, GroupLink};
use convene_domain::group::{
    GroupActor, GroupDetails, PostContent, PostVisibility, ResourceContent, ResourceKind,
};
use convene_domain::moderation::{Decision, GroupAction, ProfileAction};
use convene_domain::{
    Actor, Event, EventCommand, Group, GroupCommand, InstanceFollow, InstanceFollowCommand,
    Metadata, Profile, ProfileCommand, Source,
};
use convene_federation::keys::{public_key_pem, KeyOwner};
use convene_federation::outbox::{event_document, EventDocument, OutboxSubscriber, Outgoing};
use convene_projections::log::EventLog;
use convene_projections::scratch::test_databases;
use convene_projections::{Commands, Database};
use cqrs_es::Aggregate;
use serde_json::Value;
use time::macros::datetime;

const PUBLIC_URL: &str = "https://convene.example";
const SHARED: &str = "https://b.example/inbox";
const LONE: &str = "https://c.example/users/cleo/inbox";

fn details(title: &str, visibility: Visibility) -> EventDetails {
    EventDetails {
        description_source: None,
        remote_picture: None,
        title: title.into(),
        description: "<p>Bring what is broken.</p>".into(),
        begins_at: datetime!(2030-06-01 12:00 UTC),
        ends_at: None,
        time_zone: "Europe/Paris".into(),
        status: EventStatus::Confirmed,
        visibility,
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

struct Log {
    db: Database,
}

impl Log {
    fn metadata() -> Metadata {
        Metadata::now(Actor::System, Source::Cli, "test".to_string())
    }

    async fn profile(&self, username: &str, command: ProfileCommand) {
        Commands::<Profile>::new(&self.db, ())
            .execute(username, command, &Self::metadata())
            .await
            .unwrap_or_else(|e| panic!("@{username}: {e}"));
    }

    async fn event(&self, id: &str, command: EventCommand) {
        Commands::<Event>::new(&self.db, ())
            .execute(id, command, &Self::metadata())
            .await
            .unwrap_or_else(|e| panic!("event {id}: {e}"));
    }

    async fn create(&self, id: &str, title: &str, visibility: Visibility, draft: bool) {
        let command = EventCommand::Create {
            organiser: "ana".into(),
            creator_participation: format!("{id}-ana"),
            details: details(title, visibility),
            draft,
        };
        self.event(id, command).await;
    }

    async fn follower(&self, name: &str, inbox: &str, shared_inbox: Option<&str>) {
        let actor = format!("https://{name}.example/users/{name}");
        let command = ProfileCommand::AddFollower {
            actor: actor.clone(),
            inbox: inbox.into(),
            shared_inbox: shared_inbox.map(str::to_string),
            activity: format!("{actor}/follows/1"),
        };
        self.profile("ana", command).await;
    }

    /// What the outbox derives from the whole log, read in batches of `size`.
    async fn derived(&self, size: usize) -> Vec<Outgoing> {
        self.derived_seeing_batches(size, 1).await
    }

    /// As [`Self::derived`], each batch derived `times` times by one outbox, as after a crash
    /// before its checkpoint moved; every derivation of a batch must give the same. Only what is
    /// delivered: activities nobody receives (kept for their actors' outboxes) are left out.
    async fn derived_seeing_batches(&self, size: usize, times: usize) -> Vec<Outgoing> {
        let all = EventLog::new(&self.db)
            .read_after(0, 10_000)
            .await
            .expect("the log");
        let outbox = OutboxSubscriber::new(PUBLIC_URL);
        let mut out = Vec::new();
        for batch in all.chunks(size) {
            let mut made = Vec::new();
            for time in 0..times {
                let again = outbox
                    .outgoing(self.db.pool(), batch)
                    .await
                    .expect("derived");
                if time > 0 {
                    assert_eq!(again, made, "batch at {} seen again", batch[0].position);
                }
                made = again;
            }
            out.extend(
                made.into_iter()
                    .map(|(_, o)| o)
                    .filter(|o| !o.inboxes.is_empty()),
            );
        }
        out
    }
}

/// `(type, object id or type of the embedded object, inboxes)` of each activity.
fn summary(out: &[Outgoing]) -> Vec<(String, String, Vec<String>)> {
    out.iter()
        .map(|o| {
            let activity = serde_json::to_value(&o.activity).expect("serialises");
            let object = match &activity["object"] {
                Value::String(id) => id.clone(),
                object => format!(
                    "{} {}",
                    object["type"].as_str().unwrap_or_default(),
                    object["name"]
                        .as_str()
                        .or(object["content"].as_str())
                        .or(object["id"].as_str())
                        .unwrap_or_default()
                ),
            };
            (
                activity["type"].as_str().unwrap_or_default().to_string(),
                object,
                o.inboxes.clone(),
            )
        })
        .collect()
}

fn s(text: &str) -> String {
    text.to_string()
}

#[tokio::test]
async fn changes_of_local_actors_become_activities_to_their_followers_of_the_time() {
    for (scratch, db) in test_databases("outbox").await {
        let log = Log { db };
        log.profile(
            "ana",
            ProfileCommand::Create {
                username: "ana".into(),
                display_name: Some("Ana".into()),
                account: None,
            },
        )
        .await;
        // Two followers on b.example share its inbox; Cleo has only her own.
        log.follower("bea", "https://b.example/users/bea/inbox", Some(SHARED))
            .await;
        log.follower("bo", "https://b.example/users/bo/inbox", Some(SHARED))
            .await;
        log.create("e1", "Repair café", Visibility::Public, false)
            .await;
        log.follower("cleo", LONE, None).await;
        log.create("e2", "Soup night", Visibility::Unlisted, true)
            .await;
        log.create("e3", "Board meeting", Visibility::Private, false)
            .await;
        let for_group = EventCommand::CreateForGroup {
            organiser: "ana".into(),
            creator_participation: "e4-ana".into(),
            details: details("Union picnic", Visibility::Public),
            draft: false,
            group: GroupLink::here("union", false, false),
        };
        log.event("e4", for_group).await;
        log.event("e2", EventCommand::Publish { by: "ana".into() })
            .await;
        let retitle = EventPatch {
            title: Some("Repair café, second edition".into()),
            ..Default::default()
        };
        log.event(
            "e1",
            EventCommand::Update {
                by: "ana".into(),
                patch: retitle,
            },
        )
        .await;
        log.event(
            "e2",
            EventCommand::PostComment {
                comment: "c1".into(),
                by: "ana".into(),
                in_reply_to: None,
                body: "<p>Bring bowls.</p>".into(),
                announcement: false,
            },
        )
        .await;
        log.event(
            "e2",
            EventCommand::PostComment {
                comment: "c2".into(),
                by: "ana".into(),
                in_reply_to: None,
                body: "<p>For those coming only.</p>".into(),
                announcement: true,
            },
        )
        .await;
        log.event("e1", EventCommand::Cancel { by: "ana".into() })
            .await;
        log.event("e1", EventCommand::Delete { by: "ana".into() })
            .await;

        let out = log.derived(10_000).await;
        let b_only = vec![s(SHARED)];
        let everyone = vec![s(SHARED), s(LONE)];
        let e1 = format!("{PUBLIC_URL}/events/e1");
        assert_eq!(
            summary(&out),
            vec![
                // Each follower's Follow is accepted, at its own inbox.
                (
                    s("Accept"),
                    s("Follow https://bea.example/users/bea/follows/1"),
                    vec![s("https://b.example/users/bea/inbox")]
                ),
                (
                    s("Accept"),
                    s("Follow https://bo.example/users/bo/follows/1"),
                    vec![s("https://b.example/users/bo/inbox")]
                ),
                // Cleo followed after e1 was published: she does not get its Create.
                (s("Create"), s("Event Repair café"), b_only.clone()),
                (
                    s("Accept"),
                    s("Follow https://cleo.example/users/cleo/follows/1"),
                    vec![s(LONE)]
                ),
                // No draft, no private event, no event of a group nobody follows from elsewhere; the
                // draft once published.
                (s("Create"), s("Event Soup night"), everyone.clone()),
                (
                    s("Update"),
                    s("Event Repair café, second edition"),
                    everyone.clone()
                ),
                // The announcement stays here.
                (s("Create"), s("Note <p>Bring bowls.</p>"), everyone.clone()),
                (
                    s("Update"),
                    s("Event Repair café, second edition"),
                    everyone.clone()
                ),
                (s("Delete"), format!("Tombstone {e1}"), everyone.clone()),
            ]
        );
        let cancelled = serde_json::to_value(&out[7].activity).expect("serialises");
        assert_eq!(
            cancelled["object"]["ical:status"], "CANCELLED",
            "{}",
            scratch.label
        );
        for o in &out {
            assert_eq!(o.key_id, format!("{PUBLIC_URL}/@ana#main-key"));
            assert_eq!(o.activity.actor, format!("{PUBLIC_URL}/@ana"));
        }

        // However the log is cut into batches, the same activities with the same ids; and a
        // batch seen again, when the outbox keeps its events folded past it, gives them again.
        for size in [1, 2, 3, 7] {
            assert_eq!(log.derived(size).await, out, "batches of {size}");
        }
        assert_eq!(log.derived_seeing_batches(2, 2).await, out);

        // Peers fetching the events see what was sent.
        let document = |id: &str| {
            let db = log.db.clone();
            let id = id.to_string();
            async move {
                let changes = EventLog::new(&db)
                    .aggregate(Event::TYPE, &id)
                    .await
                    .expect("the log");
                event_document(PUBLIC_URL, &id, &changes).expect("a document")
            }
        };
        assert!(matches!(document("e1").await, EventDocument::Gone(t) if t.id == e1));
        assert!(matches!(document("e2").await, EventDocument::Event(e) if e.name == "Soup night"));
        assert_eq!(document("e3").await, EventDocument::Hidden);
        // A group's public event is the group's: attributed to it, to its followers.
        assert!(matches!(document("e4").await, EventDocument::Event(e)
            if e.attributed_to == format!("{PUBLIC_URL}/@union")
                && e.cc == [format!("{PUBLIC_URL}/@union/followers")]));
        assert_eq!(document("nope").await, EventDocument::Hidden);
    }
}

#[tokio::test]
async fn a_follow_and_its_undo_name_the_same_follow() {
    for (_scratch, db) in test_databases("outbox_follow").await {
        let log = Log { db };
        log.profile(
            "ana",
            ProfileCommand::Create {
                username: "ana".into(),
                display_name: None,
                account: None,
            },
        )
        .await;
        let target = "https://mobilizon.example/@climate";
        log.profile(
            "ana",
            ProfileCommand::Follow {
                target: target.into(),
                inbox: format!("{target}/inbox"),
                shared_inbox: Some("https://mobilizon.example/inbox".into()),
            },
        )
        .await;
        log.profile(
            "ana",
            ProfileCommand::Unfollow {
                target: target.into(),
            },
        )
        .await;
        let out = log.derived(100).await;
        let [follow, undo] = &out[..] else {
            panic!("a Follow and an Undo: {out:?}")
        };
        let follow = serde_json::to_value(&follow.activity).expect("serialises");
        let undo_json = serde_json::to_value(&undo.activity).expect("serialises");
        assert_eq!(follow["type"], "Follow");
        assert_eq!(follow["object"], target);
        assert_eq!(undo_json["type"], "Undo");
        assert_eq!(undo_json["object"]["id"], follow["id"]);
        assert_eq!(undo_json["object"]["type"], "Follow");
        // A follow goes to the actor's own inbox.
        assert_eq!(undo.inboxes, vec![format!("{target}/inbox")]);
    }
}

/// An event a profile here organises for a group elsewhere, as Mobilizon's members do: created,
/// changed and deleted by the profile itself (the group signs only on its own instance),
/// `attributedTo` the group, to the profile's followers and the group's inbox.
#[tokio::test]
async fn an_event_for_a_group_elsewhere_goes_to_the_group_from_its_organiser() {
    for (_scratch, db) in test_databases("outbox_event_group_elsewhere").await {
        let log = Log { db };
        let profile = ProfileCommand::Create {
            username: "ana".into(),
            display_name: None,
            account: None,
        };
        log.profile("ana", profile).await;
        log.follower("cleo", LONE, None).await;
        let group = "https://mobilizon.example/@climate";
        let inbox = "https://mobilizon.example/inbox";
        let for_group = EventCommand::CreateForGroup {
            organiser: "ana".into(),
            creator_participation: "e1-ana".into(),
            details: details("Map fair", Visibility::Public),
            draft: false,
            group: GroupLink {
                handle: "climate@mobilizon.example".into(),
                members_only: false,
                hide_organiser: false,
                elsewhere: Some(GroupAddress {
                    actor: group.into(),
                    inbox: inbox.into(),
                }),
            },
        };
        log.event("e1", for_group).await;
        log.event("e1", EventCommand::Delete { by: "ana".into() })
            .await;
        let out = log.derived(100).await;
        let both = vec![s(LONE), s(inbox)];
        assert_eq!(
            summary(&out)[1..],
            [
                (s("Create"), s("Event Map fair"), both.clone()),
                (
                    s("Delete"),
                    s(&format!("Tombstone {PUBLIC_URL}/events/e1")),
                    both
                ),
            ]
        );
        let create = serde_json::to_value(&out[1].activity).expect("serialises");
        let ana = format!("{PUBLIC_URL}/@ana");
        assert_eq!(create["actor"], ana.as_str());
        assert_eq!(create["object"]["actor"], ana.as_str());
        assert_eq!(create["object"]["attributedTo"], group);
        assert_eq!(out[1].key_id, format!("{ana}#main-key"));
    }
}

/// Ana made here, then a member of the group elsewhere `group` (its `Join` to `inbox`, accepted).
fn ana_member_of(group: &str, inbox: &str) -> [ProfileCommand; 3] {
    [
        ProfileCommand::Create {
            username: "ana".into(),
            display_name: None,
            account: None,
        },
        ProfileCommand::JoinGroup {
            group: group.into(),
            inbox: inbox.into(),
            message: None,
        },
        ProfileCommand::AcceptJoin {
            group: group.into(),
        },
    ]
}

/// A member adds a link to a group elsewhere as Mobilizon's members do: a `Create` of a
/// `Document` in the folder's `context`, naming the folder as its `target`, to the group's
/// inbox alone; so do the changes and deletions the member asks of the group's resources.
#[tokio::test]
async fn a_members_link_goes_to_the_group_elsewhere_naming_where_it_goes() {
    for (_scratch, db) in test_databases("outbox_resource_elsewhere").await {
        let log = Log { db };
        let group = "https://mobilizon.example/@climate";
        let inbox = "https://mobilizon.example/inbox";
        let folder = format!("{group}/resources/manuals");
        for command in ana_member_of(group, inbox).into_iter().chain([
            ProfileCommand::AddGroupResource {
                group: group.into(),
                inbox: inbox.into(),
                target: folder.clone(),
                content: ResourceContent::link(
                    ResourceKind::Link,
                    "Drill manual",
                    "https://docs.example/drill.pdf",
                ),
            },
            ProfileCommand::ChangeGroupResource {
                group: group.into(),
                inbox: inbox.into(),
                resource: format!("{group}/resources/map"),
                target: format!("{group}/resources"),
                content: ResourceContent::link(
                    ResourceKind::Link,
                    "City map",
                    "https://maps.example/city",
                ),
            },
            ProfileCommand::DeleteGroupResource {
                group: group.into(),
                inbox: inbox.into(),
                resource: format!("{group}/resources/old"),
            },
        ]) {
            log.profile("ana", command).await;
        }
        let out = log.derived(100).await;
        let [_join, create, update, delete] = &out[..] else {
            panic!("a Join, a Create, an Update and a Delete: {out:?}")
        };
        // Changed and deleted as Mobilizon's members ask: by the resource's id, to the group.
        let changed = serde_json::to_value(&update.activity).expect("serialises");
        assert_eq!(changed["type"], "Update");
        assert_eq!(changed["object"]["id"], format!("{group}/resources/map"));
        assert_eq!(changed["object"]["name"], "City map");
        assert_eq!(changed["object"]["url"], "https://maps.example/city");
        assert_eq!(changed["object"]["context"], format!("{group}/resources"));
        let deleted = serde_json::to_value(&delete.activity).expect("serialises");
        assert_eq!(deleted["type"], "Delete");
        assert_eq!(deleted["object"], format!("{group}/resources/old"));
        assert_eq!(deleted["to"], serde_json::json!([group]));
        for sent in [update, delete] {
            assert_eq!(sent.inboxes, vec![inbox.to_string()]);
        }
        let json = serde_json::to_value(&create.activity).expect("serialises");
        let ana = format!("{PUBLIC_URL}/@ana");
        assert_eq!(json["type"], "Create");
        assert_eq!(json["actor"], ana.as_str());
        assert_eq!(json["target"], folder.as_str());
        assert_eq!(json["to"], serde_json::json!([group]));
        let object = &json["object"];
        assert_eq!(object["type"], "Document");
        assert_eq!(object["name"], "Drill manual");
        assert_eq!(object["url"], "https://docs.example/drill.pdf");
        assert_eq!(object["context"], folder.as_str());
        assert_eq!(object["actor"], ana.as_str());
        assert_eq!(object["attributedTo"], group);
        assert!(
            object["id"]
                .as_str()
                .is_some_and(|id| id.starts_with(&format!("{PUBLIC_URL}/"))),
            "{object}"
        );
        assert_eq!(create.inboxes, vec![inbox.to_string()]);
    }
}

/// A member works on a group elsewhere's todos as Mobilizon's members do: a `Create` of a
/// `Todo` in its `todoList` (created by the member, the group's), an `Update` of one as a whole
/// (its creator kept as its `actor`), each to the group's inbox alone.
#[tokio::test]
async fn a_members_todos_go_to_the_group_elsewhere() {
    for (_scratch, db) in test_databases("outbox_todo_elsewhere").await {
        let log = Log { db };
        let group = "https://mobilizon.example/@climate";
        let inbox = "https://mobilizon.example/inbox";
        let list = format!("{group}/todo-lists/banners");
        let todo = format!("{group}/todos/paint");
        let creator = "https://mobilizon.example/@tom";
        for command in ana_member_of(group, inbox).into_iter().chain([
            ProfileCommand::AddGroupTodo {
                group: group.into(),
                inbox: inbox.into(),
                list: list.clone(),
                title: "Buy paint".into(),
            },
            ProfileCommand::ChangeGroupTodo {
                group: group.into(),
                inbox: inbox.into(),
                todo: convene_domain::profile::TodoElsewhere {
                    todo: todo.clone(),
                    list: list.clone(),
                    creator: creator.into(),
                    title: "Paint the banners".into(),
                    done: true,
                    due_on: Some("2031-04-30".into()),
                    assignee: Some(creator.into()),
                },
            },
        ]) {
            log.profile("ana", command).await;
        }
        let out = log.derived(100).await;
        let [_join, create, update] = &out[..] else {
            panic!("a Join, a Create and an Update: {out:?}")
        };
        let ana = format!("{PUBLIC_URL}/@ana");
        let created = serde_json::to_value(&create.activity).expect("serialises");
        assert_eq!(created["type"], "Create");
        assert_eq!(created["actor"], ana.as_str());
        assert_eq!(created["to"], serde_json::json!([group]));
        let object = &created["object"];
        assert_eq!(object["type"], "Todo");
        assert_eq!(object["name"], "Buy paint");
        assert_eq!(object["status"], false);
        assert_eq!(object["todoList"], list.as_str());
        assert_eq!(object["actor"], ana.as_str());
        assert_eq!(object["attributedTo"], group);
        assert!(
            object["id"]
                .as_str()
                .is_some_and(|id| id.starts_with(&format!("{PUBLIC_URL}/"))),
            "{object}"
        );
        let changed = serde_json::to_value(&update.activity).expect("serialises");
        assert_eq!(changed["type"], "Update");
        assert_eq!(changed["actor"], ana.as_str());
        let object = &changed["object"];
        assert_eq!(object["id"], todo.as_str());
        assert_eq!(object["name"], "Paint the banners");
        assert_eq!(object["status"], true);
        assert_eq!(object["todoList"], list.as_str());
        assert_eq!(object["actor"], creator);
        assert_eq!(object["dueDate"], "2031-04-30");
        assert_eq!(object["assignedTo"], creator);
        for sent in [create, update] {
            assert_eq!(sent.inboxes, vec![inbox.to_string()]);
        }
    }
}

fn remote(name: &str) -> convene_domain::event::RemoteParticipant {
    let actor = format!("https://{name}.example/users/{name}");
    convene_domain::event::RemoteParticipant {
        handle: format!("{name}@{name}.example"),
        inbox: format!("{actor}/inbox"),
        join: format!("{actor}/joins/1"),
        actor,
    }
}

#[tokio::test]
async fn remote_participants_hear_accept_once_they_hold_a_seat_and_reject_when_refused() {
    for (_scratch, db) in test_databases("outbox_join").await {
        let log = Log { db };
        let restricted = EventCommand::Create {
            organiser: "ana".into(),
            creator_participation: "r-ana".into(),
            details: EventDetails {
                description_source: None,
                remote_picture: None,
                join_mode: JoinMode::Restricted,
                capacity: Some(2),
                ..details("Soup night", Visibility::Public)
            },
            draft: false,
        };
        log.event("r", restricted).await;
        for (n, name) in ["zoe", "yan", "xia"].iter().enumerate() {
            let join = EventCommand::JoinRemote {
                participation: format!("p{n}"),
                who: remote(name),
                message: None,
            };
            log.event("r", join).await;
        }
        let decide = |participation: &str, approve: bool| {
            let (by, participation) = ("ana".to_string(), participation.to_string());
            if approve {
                EventCommand::Approve { by, participation }
            } else {
                EventCommand::Reject { by, participation }
            }
        };
        // Zoe takes the seat left beside the organiser; Yan is refused; Xia waits for a seat,
        // which Zoe's leaving frees.
        log.event("r", decide("p0", true)).await;
        log.event("r", decide("p1", false)).await;
        log.event("r", decide("p2", true)).await;
        let leave = EventCommand::LeaveRemote {
            actor: remote("zoe").actor,
        };
        log.event("r", leave).await;

        let out = log.derived(10_000).await;
        let event = format!("{PUBLIC_URL}/events/r");
        let answers: Vec<(String, String, Vec<String>)> = out
            .iter()
            .map(|o| {
                let json = serde_json::to_value(&o.activity).expect("serialises");
                assert_eq!(json["object"]["type"], "Join");
                assert_eq!(json["object"]["object"], event.as_str());
                assert_eq!(json["actor"], format!("{PUBLIC_URL}/@ana"));
                (
                    json["type"].as_str().unwrap_or_default().to_string(),
                    json["object"]["id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    o.inboxes.clone(),
                )
            })
            .collect();
        let answer = |kind: &str, name: &str| {
            let who = remote(name);
            (s(kind), who.join, vec![who.inbox])
        };
        assert_eq!(
            answers,
            vec![
                answer("Accept", "zoe"),
                answer("Reject", "yan"),
                answer("Accept", "xia"),
            ]
        );
    }
}

#[tokio::test]
async fn what_moderators_remove_is_deleted_for_peers_and_sent_again_when_restored() {
    use convene_domain::moderation::{ContentAction, Decision};
    for (_scratch, db) in test_databases("outbox_moderation").await {
        let log = Log { db };
        log.profile(
            "ana",
            ProfileCommand::Create {
                username: "ana".into(),
                display_name: None,
                account: None,
            },
        )
        .await;
        log.follower("bea", "https://b.example/users/bea/inbox", Some(SHARED))
            .await;
        log.create("e1", "Repair café", Visibility::Public, false)
            .await;
        log.event(
            "e1",
            EventCommand::PostComment {
                comment: "c1".into(),
                by: "ana".into(),
                in_reply_to: None,
                body: "<p>Cheap pills here</p>".into(),
                announcement: false,
            },
        )
        .await;
        let decide = |action: ContentAction| EventCommand::Moderate {
            action,
            decision: Decision::by_moderator(
                "moderator".into(),
                "spam",
                None,
                None,
                time::OffsetDateTime::now_utc(),
            )
            .expect("a decision"),
        };
        for action in [
            ContentAction::RemoveComment {
                comment: "c1".into(),
            },
            ContentAction::RestoreComment {
                comment: "c1".into(),
            },
            ContentAction::Hide,
            ContentAction::Remove,
            ContentAction::Restore,
        ] {
            log.event("e1", decide(action)).await;
        }
        let out = log.derived(10_000).await;
        let kinds: Vec<(String, String)> = summary(&out)
            .into_iter()
            .map(|(kind, object, _)| (kind, object))
            .collect();
        let note = format!("{PUBLIC_URL}/comments/c1");
        let event = format!("{PUBLIC_URL}/events/e1");
        assert_eq!(
            kinds,
            vec![
                (
                    s("Accept"),
                    s("Follow https://bea.example/users/bea/follows/1")
                ),
                (s("Create"), s("Event Repair café")),
                (s("Create"), s("Note <p>Cheap pills here</p>")),
                (s("Delete"), format!("Tombstone {note}")),
                (s("Create"), s("Note <p>Cheap pills here</p>")),
                // Hiding from listings changes nothing for peers; removing deletes it there.
                (s("Delete"), format!("Tombstone {event}")),
                (s("Create"), s("Event Repair café")),
            ]
        );
    }
}

/// `command` on group `handle`, with `metadata`.
async fn group(db: &Database, handle: &str, command: GroupCommand, metadata: &Metadata) {
    Commands::<Group>::new(db, ())
        .execute(handle, command, metadata)
        .await
        .unwrap_or_else(|e| panic!("@{handle}: {e}"));
}

/// Group `@union`, created by `@ana`.
async fn union(db: &Database) {
    let create = GroupCommand::Create {
        handle: "union".into(),
        creator: GroupActor::profile("ana"),
        details: GroupDetails::named("Union"),
    };
    group(db, "union", create, &Log::metadata()).await;
}

/// What the inbox records with a change asked for by remote `actor` (its activity `n`).
fn from_remote(actor: &str, n: u32) -> Metadata {
    Metadata::now(
        Actor::Remote {
            actor: actor.into(),
        },
        Source::Federation {
            activity: format!("{actor}/activities/{n}"),
        },
        "test".to_string(),
    )
}

/// `@union`'s member `who`, from its instance (cached with its inbox), approved by `@ana`.
async fn remote_member(db: &Database, who: &convene_domain::event::RemoteParticipant) {
    cache_actor(db, &who.actor, &who.inbox, None).await;
    let actor = GroupActor::Remote(who.actor.clone());
    let join = GroupCommand::Join {
        who: actor.clone(),
        message: None,
    };
    group(db, "union", join, &from_remote(&who.actor, 1)).await;
    let approve = GroupCommand::Approve {
        by: GroupActor::profile("ana"),
        who: actor,
    };
    group(db, "union", approve, &Log::metadata()).await;
}

#[tokio::test]
async fn a_groups_public_events_and_posts_go_to_its_remote_followers_of_the_time() {
    for (scratch, db) in test_databases("outbox_group").await {
        let log = Log { db: db.clone() };
        let system = Log::metadata();
        let ana = || GroupActor::profile("ana");
        group(
            &db,
            "union",
            GroupCommand::Create {
                handle: "union".into(),
                creator: ana(),
                details: GroupDetails::named("Union"),
            },
            &system,
        )
        .await;
        let for_group = |title: &str, members_only: bool| EventCommand::CreateForGroup {
            organiser: "ana".into(),
            creator_participation: format!("{title}-ana"),
            details: details(title, Visibility::Public),
            draft: false,
            group: GroupLink::here("union", members_only, true),
        };
        // Before anyone follows from elsewhere: nothing to send.
        log.event("g0", for_group("Founding", false)).await;
        // A remote actor follows, as the inbox records it (its Follow's id in the metadata);
        // where it takes deliveries is in the remote actors' cache.
        let bo = "https://b.example/users/bo";
        sqlx::query(
            "INSERT INTO remote_actors (id, kind, inbox, shared_inbox, key_id, public_key_pem, \
             preferred_username, fetched_at) VALUES ($1, 'Person', $2, $3, $4, 'x', 'bo', 'now')",
        )
        .bind(bo)
        .bind(format!("{bo}/inbox"))
        .bind(SHARED)
        .bind(format!("{bo}#main-key"))
        .execute(db.pool())
        .await
        .expect("cached");
        let follow = "https://b.example/follows/1";
        let by_bo = Metadata::now(
            Actor::Remote { actor: bo.into() },
            Source::Federation {
                activity: follow.into(),
            },
            "test".to_string(),
        );
        let who = || GroupActor::Remote(bo.into());
        group(&db, "union", GroupCommand::Follow { who: who() }, &by_bo).await;
        log.event("g1", for_group("Picnic", false)).await;
        log.event("g2", for_group("Members' meeting", true)).await;
        // Opened to everyone later, peers get it; made members-only again, they forget it.
        for members_only in [false, true] {
            let options = EventCommand::ChangeGroupOptions {
                by: "union".into(),
                members_only,
                hide_organiser: true,
            };
            log.event("g2", options).await;
        }
        let retitle = EventPatch {
            title: Some("Picnic by the river".into()),
            ..Default::default()
        };
        log.event(
            "g1",
            EventCommand::Update {
                by: "ana".into(),
                patch: retitle,
            },
        )
        .await;
        let content = |title: &str, visibility: PostVisibility, draft: bool| PostContent {
            title: title.into(),
            body: "<p>Dear all</p>".into(),
            tags: vec![],
            visibility,
            draft,
            publish_at: None,
        };
        for (post, title, visibility, draft) in [
            ("p1", "Spring news", PostVisibility::Public, false),
            ("p2", "Minutes", PostVisibility::Members, false),
            ("p3", "Draft", PostVisibility::Public, true),
        ] {
            let write = GroupCommand::WritePost {
                by: ana(),
                post: post.into(),
                content: content(title, visibility, draft),
            };
            group(&db, "union", write, &system).await;
        }
        // Made members-only: peers forget it.
        let edit = GroupCommand::EditPost {
            by: ana(),
            post: "p1".into(),
            content: content("Spring news", PostVisibility::Members, false),
        };
        group(&db, "union", edit, &system).await;
        log.event("g1", EventCommand::Delete { by: "ana".into() })
            .await;
        group(&db, "union", GroupCommand::Unfollow { who: who() }, &by_bo).await;
        log.event("g3", for_group("After", false)).await;

        let out = log.derived(1_000).await;
        let shared = vec![s(SHARED)];
        let union = format!("{PUBLIC_URL}/@union");
        let g1 = format!("{PUBLIC_URL}/events/g1");
        assert_eq!(
            summary(&out),
            vec![
                (
                    s("Accept"),
                    s("Follow https://b.example/follows/1"),
                    shared.clone()
                ),
                (s("Create"), s("Event Picnic"), shared.clone()),
                (s("Create"), s("Event Members' meeting"), shared.clone()),
                (
                    s("Delete"),
                    format!("Tombstone {PUBLIC_URL}/events/g2"),
                    shared.clone()
                ),
                (s("Update"), s("Event Picnic by the river"), shared.clone()),
                (s("Create"), s("Article Spring news"), shared.clone()),
                (
                    s("Delete"),
                    format!("Tombstone {union}/p/spring-news"),
                    shared.clone()
                ),
                (s("Delete"), format!("Tombstone {g1}"), shared.clone()),
            ],
            "{}",
            scratch.label
        );
        for o in &out {
            assert_eq!(
                o.activity.actor, union,
                "{}: the group sends",
                scratch.label
            );
            assert_eq!(o.key_id, format!("{union}#main-key"));
        }
        // The group hides its organiser: the event is the group's alone.
        let created = serde_json::to_value(&out[1].activity).expect("serialises");
        assert_eq!(created["object"]["actor"], union);
        assert_eq!(created["object"]["attributedTo"], union);
        for size in [1, 2, 3] {
            assert_eq!(log.derived(size).await, out, "batches of {size}");
        }
    }
}

/// A group's members-only event goes to its remote members alone, addressed to its `members`;
/// opened to everyone, the followers get its `Create` and the members an `Update`; made
/// members-only again, the followers forget it (`Delete`) while the members keep it; deleted,
/// the members forget it. A public event goes to its remote members as to its followers; so do
/// the comments on each.
#[tokio::test]
async fn a_groups_members_only_events_go_to_its_remote_members_alone() {
    for (scratch, db) in test_databases("outbox_group_members_events").await {
        let log = Log { db: db.clone() };
        union(&db).await;
        let (bo, zed) = (remote("bo"), remote("zed"));
        cache_actor(&db, &bo.actor, &bo.inbox, None).await;
        let follow = GroupCommand::Follow {
            who: GroupActor::Remote(bo.actor.clone()),
        };
        group(&db, "union", follow, &from_remote(&bo.actor, 1)).await;
        remote_member(&db, &zed).await;
        let for_group = |title: &str, members_only: bool| EventCommand::CreateForGroup {
            organiser: "ana".into(),
            creator_participation: format!("{title}-ana"),
            details: details(title, Visibility::Public),
            draft: false,
            group: GroupLink::here("union", members_only, false),
        };
        log.event("g1", for_group("Members' meeting", true)).await;
        for members_only in [false, true] {
            let options = EventCommand::ChangeGroupOptions {
                by: "union".into(),
                members_only,
                hide_organiser: false,
            };
            log.event("g1", options).await;
        }
        let retitle = EventPatch {
            title: Some("Members' assembly".into()),
            ..Default::default()
        };
        let update = EventCommand::Update {
            by: "ana".into(),
            patch: retitle,
        };
        log.event("g1", update).await;
        let comment = |id: &str, body: &str| EventCommand::PostComment {
            comment: id.into(),
            by: "ana".into(),
            in_reply_to: None,
            body: body.into(),
            announcement: false,
        };
        log.event("g1", comment("c1", "<p>Agenda attached.</p>"))
            .await;
        log.event("g1", EventCommand::Delete { by: "ana".into() })
            .await;
        log.event("g2", for_group("Picnic", false)).await;
        log.event("g2", comment("c2", "<p>Bring bowls.</p>")).await;

        let out: Vec<Outgoing> = log
            .derived(1_000)
            .await
            .into_iter()
            .filter(|o| o.activity.kind != convene_federation::objects::ActivityKind::Accept)
            .collect();
        let (to_bo, to_zed) = (vec![bo.inbox.clone()], vec![zed.inbox.clone()]);
        let g1 = format!("{PUBLIC_URL}/events/g1");
        assert_eq!(
            summary(&out),
            vec![
                (s("Create"), s("Event Members' meeting"), to_zed.clone()),
                (s("Create"), s("Event Members' meeting"), to_bo.clone()),
                (s("Update"), s("Event Members' meeting"), to_zed.clone()),
                (s("Delete"), format!("Tombstone {g1}"), to_bo.clone()),
                (s("Update"), s("Event Members' meeting"), to_zed.clone()),
                (s("Update"), s("Event Members' assembly"), to_zed.clone()),
                (
                    s("Create"),
                    s("Note <p>Agenda attached.</p>"),
                    to_zed.clone()
                ),
                (s("Delete"), format!("Tombstone {g1}"), to_zed.clone()),
                (
                    s("Create"),
                    s("Event Picnic"),
                    vec![bo.inbox.clone(), zed.inbox.clone()]
                ),
                (
                    s("Create"),
                    s("Note <p>Bring bowls.</p>"),
                    vec![bo.inbox.clone(), zed.inbox.clone()]
                ),
            ],
            "{}",
            scratch.label
        );
        let union = format!("{PUBLIC_URL}/@union");
        let members = serde_json::json!([format!("{union}/members")]);
        let json = |i: usize| serde_json::to_value(&out[i].activity).expect("serialises");
        for i in [0, 4, 5, 6, 7] {
            let activity = json(i);
            assert_eq!(activity["to"], members, "{i}: {activity}");
            assert_eq!(activity["cc"], serde_json::json!([]), "{i}: {activity}");
        }
        // The members' comment says so itself.
        assert_eq!(json(6)["object"]["to"], members);
        assert_eq!(json(6)["object"]["cc"], serde_json::json!([]));
        assert_eq!(json(0)["object"]["to"], members);
        assert_eq!(json(0)["object"]["attributedTo"], union);
        // What the followers see is public; so is its deletion for them.
        assert_eq!(
            json(1)["object"]["to"],
            serde_json::json!([convene_federation::context::PUBLIC])
        );
        assert_eq!(
            json(3)["to"],
            serde_json::json!([convene_federation::context::PUBLIC])
        );
        for size in [1, 2, 3] {
            let again: Vec<Outgoing> = log
                .derived(size)
                .await
                .into_iter()
                .filter(|o| o.activity.kind != convene_federation::objects::ActivityKind::Accept)
                .collect();
            assert_eq!(again, out, "batches of {size}");
        }
    }
}

#[tokio::test]
async fn a_picture_set_or_removed_is_sent_as_an_update_carrying_it() {
    for (_scratch, db) in test_databases("outbox_picture").await {
        let log = Log { db };
        log.profile(
            "ana",
            ProfileCommand::Create {
                username: "ana".into(),
                display_name: Some("Ana".into()),
                account: None,
            },
        )
        .await;
        log.follower("bea", "https://b.example/users/bea/inbox", Some(SHARED))
            .await;
        log.create("e1", "Repair café", Visibility::Public, false)
            .await;
        let picture = convene_domain::picture::ShownPicture {
            id: "p1".into(),
            facts: convene_domain::picture::PictureFacts {
                hash: "ab".repeat(32),
                width: 1280,
                height: 720,
                widths: vec![320, 640, 1280],
                colour: "#102030".into(),
                blurhash: None,
            },
            alt: "A lamp on a workbench".into(),
        };
        log.event(
            "e1",
            EventCommand::SetPicture {
                by: "ana".into(),
                picture,
            },
        )
        .await;
        log.event("e1", EventCommand::RemovePicture { by: "ana".into() })
            .await;
        let out = log.derived(10_000).await;
        let updates: Vec<Value> = out
            .iter()
            .map(|o| serde_json::to_value(&o.activity).expect("serialises"))
            .filter(|a| a["type"] == "Update")
            .collect();
        assert_eq!(updates.len(), 2, "{updates:?}");
        let url = format!("{PUBLIC_URL}/pictures/{}-1280.jpg", "ab".repeat(32));
        let banner = updates[0]["object"]["attachment"]
            .as_array()
            .and_then(|a| a.iter().find(|d| d["name"] == "Banner"))
            .expect("the picture as Mobilizon's banner");
        assert_eq!(banner["url"], url.as_str());
        assert_eq!(banner["summary"], "A lamp on a workbench");
        assert_eq!(updates[0]["object"]["image"]["url"], url.as_str());
        assert!(updates[1]["object"].get("image").is_none(), "removed");
        // The event's own document says the same as the last update.
        let events = EventLog::new(&log.db)
            .aggregate("Event", "e1")
            .await
            .expect("the log");
        match event_document(PUBLIC_URL, "e1", &events).expect("derived") {
            EventDocument::Event(event) => assert_eq!(event.image, None),
            other => panic!("{other:?}"),
        }
    }
}

/// Caches remote actor `actor` as the inbox does on its first signed activity.
async fn cache_actor(db: &Database, actor: &str, inbox: &str, shared_inbox: Option<&str>) {
    sqlx::query(
        "INSERT INTO remote_actors (id, kind, inbox, shared_inbox, key_id, public_key_pem, \
         preferred_username, fetched_at) VALUES ($1, 'Person', $2, $3, $4, 'x', 'someone', 'now')",
    )
    .bind(actor)
    .bind(inbox)
    .bind(shared_inbox)
    .bind(format!("{actor}#main-key"))
    .execute(db.pool())
    .await
    .expect("cached");
}

/// The `Update`s derived, as `(actor, object, inboxes)`.
fn updates(out: &[Outgoing]) -> Vec<(String, Value, Vec<String>)> {
    out.iter()
        .filter(|o| o.activity.kind == convene_federation::objects::ActivityKind::Update)
        .map(|o| {
            let json = serde_json::to_value(&o.activity).expect("serialises");
            (
                o.activity.actor.clone(),
                json["object"].clone(),
                o.inboxes.clone(),
            )
        })
        .collect()
}

async fn key_of(db: &Database, owner: KeyOwner) -> String {
    public_key_pem(db, &owner).await.expect("a key")
}

#[tokio::test]
async fn a_renamed_profile_sends_its_person_to_every_instance_that_knows_it() {
    for (scratch, db) in test_databases("outbox_person_update").await {
        let log = Log { db: db.clone() };
        for name in ["ana", "bob"] {
            let create = ProfileCommand::Create {
                username: name.into(),
                display_name: Some(name.to_uppercase()),
                account: None,
            };
            log.profile(name, create).await;
        }
        log.follower("bea", "https://b.example/users/bea/inbox", Some(SHARED))
            .await;
        // Ana takes part in an event of m.example's…
        let organiser = "https://m.example/@org";
        cache_actor(
            &db,
            organiser,
            &format!("{organiser}/inbox"),
            Some("https://m.example/inbox"),
        )
        .await;
        let import = EventCommand::Import {
            origin: convene_domain::event::RemoteOrigin {
                object: "https://m.example/events/1".into(),
                actor: organiser.into(),
                actor_handle: "org@m.example".into(),
                actor_name: None,
                url: "https://m.example/events/1".into(),
                inbox: Some("https://m.example/inbox".into()),
            },
            details: details("Their march", Visibility::Public),
            group: None,
        };
        log.event("m1", import).await;
        let join = EventCommand::Join {
            participation: "m1-ana".into(),
            profile: "ana".into(),
            message: None,
        };
        log.event("m1", join).await;
        // …and organises one Zoe, on c.example, takes part in.
        log.create("e1", "Repair café", Visibility::Public, false)
            .await;
        let zoe = remote("zoe");
        cache_actor(&db, &zoe.actor, &zoe.inbox, None).await;
        let join = EventCommand::JoinRemote {
            participation: "e1-zoe".into(),
            who: zoe.clone(),
            message: None,
        };
        log.event("e1", join).await;
        let subscribers = convene_projections::Subscribers::new(convene_projections::read_models());
        convene_projections::replay::rebuild(&db, &subscribers, &mut |_, _, _| {})
            .await
            .expect("read models");

        let rename = |name: &str| ProfileCommand::Update {
            display_name: Some(name.into()),
            summary: Some("<p>Fixes bikes</p>".into()),
        };
        log.profile("ana", rename("Ana the Fixer")).await;
        // Nobody elsewhere knows Bob: nothing is sent.
        log.profile("bob", rename("Bob")).await;

        let out = log.derived(1_000).await;
        let sent = updates(&out);
        let ana = format!("{PUBLIC_URL}/@ana");
        let key = key_of(&db, KeyOwner::Profile("ana".into())).await;
        let everyone = vec![s(SHARED), s("https://m.example/inbox"), zoe.inbox.clone()];
        // Renamed and described in one command: two changes, two Updates, the last one
        // showing both.
        assert_eq!(sent.len(), 2, "{}: {sent:?}", scratch.label);
        let (actor, person, inboxes) = &sent[1];
        assert_eq!(actor, &ana);
        assert_eq!(inboxes, &everyone, "{}", scratch.label);
        assert_eq!(person["type"], "Person");
        assert_eq!(person["id"], ana.as_str());
        assert_eq!(person["name"], "Ana the Fixer");
        assert_eq!(person["summary"], "<p>Fixes bikes</p>");
        assert_eq!(person["inbox"], format!("{ana}/inbox"));
        assert_eq!(person["publicKey"]["publicKeyPem"], key.as_str());
        assert_eq!(person["publicKey"]["owner"], ana.as_str());
        let update = out
            .iter()
            .rfind(|o| o.activity.kind == convene_federation::objects::ActivityKind::Update)
            .expect("an Update");
        assert_eq!(
            update.key_id,
            format!("{ana}#main-key"),
            "signed by the profile"
        );
        // Parsed back as a peer reads it.
        let read = convene_federation::actors::remote::parse(person).expect("a Person peers take");
        assert_eq!(read.name.as_deref(), Some("Ana the Fixer"));

        // Suspended, then reinstated: each sent to the same instances, the first stripped of
        // what Ana wrote and marked suspended (as Mastodon marks its own), the second whole.
        log.profile("ana", moderate_profile(ProfileAction::Suspend))
            .await;
        log.profile("ana", moderate_profile(ProfileAction::Limit))
            .await;
        log.profile("ana", moderate_profile(ProfileAction::Unsuspend))
            .await;
        let out = log.derived(1_000).await;
        let sent = updates(&out);
        assert_eq!(sent.len(), 4, "a limit is not sent: {sent:?}");
        let (_, suspended, inboxes) = &sent[2];
        assert_eq!(inboxes, &everyone, "{}", scratch.label);
        assert_eq!(suspended["suspended"], true);
        assert_eq!(suspended["name"], "ana");
        assert_eq!(suspended["summary"], Value::Null);
        assert_eq!(suspended["discoverable"], false);
        assert_eq!(suspended["publicKey"]["publicKeyPem"], key.as_str());
        let (_, reinstated, _) = &sent[3];
        assert_eq!(reinstated["suspended"], Value::Null);
        assert_eq!(reinstated["name"], "Ana the Fixer");
        assert_eq!(reinstated["summary"], "<p>Fixes bikes</p>");
        for size in [1, 2, 5] {
            assert_eq!(log.derived(size).await, out, "batches of {size}");
        }
    }
}

#[tokio::test]
async fn a_suspended_account_s_profiles_send_their_person_suspended_and_whole_again() {
    use convene_domain::moderation::AccountAction;
    use convene_domain::{Account, AccountCommand, Role};
    for (scratch, db) in test_databases("outbox_account_suspension").await {
        let log = Log { db: db.clone() };
        let account = |command: AccountCommand| {
            let db = db.clone();
            async move {
                Commands::<Account>::new(&db, ())
                    .execute("acc-1", command, &Log::metadata())
                    .await
                    .unwrap_or_else(|e| panic!("account: {e}"));
            }
        };
        account(AccountCommand::Register {
            email: "ana@example.org".into(),
            password_hash: "$argon2id$…".into(),
            locale: "en".into(),
            role: Role::User,
            confirmation: None,
            application: None,
        })
        .await;
        for name in ["ana", "ana2"] {
            let create = ProfileCommand::Create {
                username: name.into(),
                display_name: Some(name.to_uppercase()),
                account: Some("acc-1".into()),
            };
            log.profile(name, create).await;
            account(AccountCommand::AddProfile {
                username: name.into(),
            })
            .await;
        }
        // Only Ana is known elsewhere: ana2's document goes nowhere.
        log.follower("bea", "https://b.example/users/bea/inbox", Some(SHARED))
            .await;
        for action in [
            AccountAction::Warn,
            AccountAction::Suspend,
            AccountAction::Unsuspend,
        ] {
            account(AccountCommand::Moderate {
                action,
                decision: decision(),
            })
            .await;
        }

        let out = log.derived(1_000).await;
        let sent = updates(&out);
        let ana = format!("{PUBLIC_URL}/@ana");
        assert_eq!(
            sent.len(),
            2,
            "{}: a warning is not sent: {sent:?}",
            scratch.label
        );
        let (actor, suspended, inboxes) = &sent[0];
        assert_eq!(actor, &ana);
        assert_eq!(inboxes, &vec![s(SHARED)], "{}", scratch.label);
        assert_eq!(suspended["suspended"], true);
        assert_eq!(suspended["name"], "ana");
        let (_, reinstated, _) = &sent[1];
        assert_eq!(reinstated["suspended"], Value::Null);
        assert_eq!(reinstated["name"], "ANA");
        let ids: Vec<&str> = out
            .iter()
            .filter(|o| o.activity.kind == convene_federation::objects::ActivityKind::Update)
            .map(|o| o.activity.id.as_str())
            .collect();
        assert_eq!(ids.len(), 2);
        assert_ne!(ids[0], ids[1], "one id per decision");
        let key = key_of(&db, KeyOwner::Profile("ana".into())).await;
        assert_eq!(suspended["publicKey"]["publicKeyPem"], key.as_str());
        for size in [1, 2, 5] {
            assert_eq!(log.derived(size).await, out, "batches of {size}");
        }
    }
}

#[tokio::test]
async fn a_groups_new_settings_go_to_its_remote_followers_and_members() {
    for (scratch, db) in test_databases("outbox_group_update").await {
        let system = Log::metadata();
        let ana = || GroupActor::profile("ana");
        union(&db).await;
        let by = from_remote;
        // Bo follows from b.example; Zed asks to join from c.example and is approved; Yan asks
        // and is still waiting.
        let bo = "https://b.example/users/bo";
        cache_actor(&db, bo, &format!("{bo}/inbox"), Some(SHARED)).await;
        let follow = GroupCommand::Follow {
            who: GroupActor::Remote(bo.into()),
        };
        group(&db, "union", follow, &by(bo, 1)).await;
        for name in ["zed", "yan"] {
            let who = remote(name);
            cache_actor(&db, &who.actor, &who.inbox, None).await;
            let join = GroupCommand::Join {
                who: GroupActor::Remote(who.actor.clone()),
                message: None,
            };
            group(&db, "union", join, &by(&who.actor, 1)).await;
        }
        let approve = GroupCommand::Approve {
            by: ana(),
            who: GroupActor::Remote(remote("zed").actor),
        };
        group(&db, "union", approve, &system).await;
        let patch = convene_domain::group::GroupPatch {
            display_name: Some("Tenants' union".into()),
            summary: Some("<p>Rent strikes</p>".into()),
            openness: Some(convene_domain::group::Openness::Open),
            ..Default::default()
        };
        let update = GroupCommand::Update { by: ana(), patch };
        group(&db, "union", update, &system).await;

        let log = Log { db: db.clone() };
        let out = log.derived(1_000).await;
        let sent = updates(&out);
        let union = format!("{PUBLIC_URL}/@union");
        assert_eq!(sent.len(), 1, "{}: {sent:?}", scratch.label);
        let (actor, document, inboxes) = &sent[0];
        assert_eq!(actor, &union);
        assert_eq!(
            inboxes,
            &vec![s(SHARED), remote("zed").inbox],
            "{}",
            scratch.label
        );
        assert_eq!(document["type"], "Group");
        assert_eq!(document["name"], "Tenants' union");
        assert_eq!(document["summary"], "<p>Rent strikes</p>");
        assert_eq!(document["openness"], "open");
        // Ana and Zed; Yan still waits.
        assert_eq!(document["memberCount"], 2);
        let key = key_of(&db, KeyOwner::Group("union".into())).await;
        assert_eq!(document["publicKey"]["publicKeyPem"], key.as_str());
        let read = convene_federation::actors::remote::parse(document).expect("a Group peers take");
        assert_eq!(read.kind, "Group");

        // Suspended by moderators, then reinstated: both sent to the same audience.
        for action in [GroupAction::Suspend, GroupAction::Unsuspend] {
            let moderate = GroupCommand::Moderate {
                action,
                decision: decision(),
            };
            group(&db, "union", moderate, &system).await;
        }
        let out = log.derived(1_000).await;
        let sent = updates(&out);
        assert_eq!(sent.len(), 3, "{}: {sent:?}", scratch.label);
        let (_, suspended, inboxes) = &sent[1];
        assert_eq!(inboxes, &vec![s(SHARED), remote("zed").inbox]);
        assert_eq!(suspended["suspended"], true);
        assert_eq!(suspended["name"], "union");
        assert_eq!(suspended["summary"], Value::Null);
        assert_eq!(suspended["members"], format!("{union}/members"));
        let (_, reinstated, _) = &sent[2];
        assert_eq!(reinstated["suspended"], Value::Null);
        assert_eq!(reinstated["name"], "Tenants' union");
        for size in [1, 3] {
            assert_eq!(log.derived(size).await, out, "batches of {size}");
        }
    }
}

fn decision() -> Decision {
    Decision::plain("m1", "spam")
}

fn moderate_profile(action: ProfileAction) -> ProfileCommand {
    ProfileCommand::Moderate {
        action,
        decision: decision(),
    }
}

async fn instance(db: &Database, actor: &str, command: InstanceFollowCommand) {
    Commands::<InstanceFollow>::new(db, ())
        .execute(actor, command, &Log::metadata())
        .await
        .unwrap_or_else(|e| panic!("{actor}: {e}"));
}

#[tokio::test]
async fn instance_follows_are_sent_by_the_instance_and_bring_public_events_to_followers() {
    for (scratch, db) in test_databases("outbox_relays").await {
        let log = Log { db: db.clone() };
        let create = ProfileCommand::Create {
            username: "ana".into(),
            display_name: None,
            account: None,
        };
        log.profile("ana", create).await;
        // This instance follows b.example's, which accepts; c.example's follows this one.
        let theirs = "https://b.example/relay";
        let follow = InstanceFollowCommand::Follow {
            inbox: SHARED.into(),
        };
        instance(&db, theirs, follow).await;
        instance(&db, theirs, InstanceFollowCommand::Accept).await;
        let follower = "https://c.example/relay";
        let c_inbox = "https://c.example/inbox";
        let add = InstanceFollowCommand::AddFollower {
            inbox: c_inbox.into(),
            activity: "https://c.example/follows/1".into(),
        };
        instance(&db, follower, add).await;
        log.create("e1", "Bike kitchen", Visibility::Public, false)
            .await;
        log.create("e2", "Tinkering", Visibility::Unlisted, false)
            .await;
        let retitle = EventPatch {
            title: Some("Bike kitchen, again".into()),
            ..Default::default()
        };
        let update = EventCommand::Update {
            by: "ana".into(),
            patch: retitle,
        };
        log.event("e1", update).await;
        instance(&db, theirs, InstanceFollowCommand::Unfollow).await;
        instance(&db, follower, InstanceFollowCommand::RemoveFollower).await;
        log.create("e3", "After the break", Visibility::Public, false)
            .await;

        let out = log.derived(1_000).await;
        let relay = format!("{PUBLIC_URL}/relay");
        let c_only = vec![s(c_inbox)];
        let follow_id = serde_json::to_value(&out[0].activity).expect("JSON")["id"].clone();
        assert_eq!(
            summary(&out),
            vec![
                (s("Follow"), s(theirs), vec![s(SHARED)]),
                (
                    s("Accept"),
                    s("Follow https://c.example/follows/1"),
                    c_only.clone()
                ),
                // The public event, not the unlisted one, nor any once c.example stopped; and
                // the instance's Announce of it, as Mobilizon's relay sends.
                (s("Create"), s("Event Bike kitchen"), c_only.clone()),
                (
                    s("Announce"),
                    format!("{PUBLIC_URL}/events/e1"),
                    c_only.clone()
                ),
                (s("Update"), s("Event Bike kitchen, again"), c_only.clone()),
                (
                    s("Undo"),
                    format!("Follow {}", follow_id.as_str().unwrap_or_default()),
                    vec![s(SHARED)]
                ),
            ],
            "{}",
            scratch.label
        );
        for o in [&out[0], &out[1], &out[3], &out[5]] {
            assert_eq!(o.activity.actor, relay, "the instance's own actor");
            assert_eq!(o.key_id, format!("{relay}#main-key"));
        }
        let announce = serde_json::to_value(&out[3].activity).expect("JSON");
        assert_eq!(
            announce["to"],
            serde_json::json!([format!("{relay}/followers")])
        );
        assert_eq!(
            announce["cc"],
            serde_json::json!([convene_federation::context::PUBLIC])
        );
        // The event is its organiser's, as to her followers.
        assert_eq!(out[2].activity.actor, format!("{PUBLIC_URL}/@ana"));
        for size in [1, 2, 4] {
            assert_eq!(log.derived(size).await, out, "batches of {size}");
        }
    }
}

#[tokio::test]
async fn a_forwarded_report_is_a_flag_from_the_instance_naming_nobody_and_others_stay_here() {
    use convene_domain::report::{Category, Federated, Forward, Target};
    use convene_domain::{Report, ReportCommand};
    for (_scratch, db) in test_databases("outbox_flag").await {
        let file = |id: &str, forward: Option<Forward>| {
            let db = db.clone();
            let id = id.to_string();
            async move {
                let command = ReportCommand::File {
                    reporter: Some("ana".into()),
                    target: Target::Event { id: "e1".into() },
                    category: Category::Spam,
                    comment: "Sells watches\nevery day".into(),
                    evidence: 0,
                    federated: Federated {
                        instance: Some("b.example".into()),
                        forward,
                        flag: None,
                    },
                    snapshot: None,
                };
                Commands::<Report>::new(&db, ())
                    .execute(&id, command, &Log::metadata())
                    .await
                    .expect("filed");
            }
        };
        file("kept-here", None).await;
        let forward = Forward {
            actors: vec![s("https://b.example/@spammer")],
            objects: vec![s("https://b.example/events/9")],
            inbox: s(SHARED),
        };
        file("sent-on", Some(forward)).await;
        let log = Log { db: db.clone() };
        let out = log.derived(1).await;
        assert_eq!(out.len(), 1, "only the forwarded report: {out:?}");
        let flag = serde_json::to_value(&out[0].activity).expect("serialises");
        assert_eq!(flag["type"], "Flag");
        assert_eq!(flag["actor"], format!("{PUBLIC_URL}/relay"));
        assert_eq!(
            flag["object"],
            serde_json::json!(["https://b.example/@spammer", "https://b.example/events/9"])
        );
        assert_eq!(
            flag["to"],
            serde_json::json!(["https://b.example/@spammer"])
        );
        assert_eq!(flag["content"], "Sells watches\nevery day");
        assert_eq!(flag["mediaType"], "text/plain");
        assert_eq!(out[0].inboxes, vec![s(SHARED)]);
        assert_eq!(out[0].key_id, format!("{PUBLIC_URL}/relay#main-key"));
        // The reporter is named nowhere in what leaves.
        assert!(!flag.to_string().contains("ana"), "{flag}");
        assert_eq!(log.derived(2).await, out, "the same in other batches");
    }
}

#[tokio::test]
async fn a_forwarded_report_on_an_actor_is_a_flag_naming_that_actor_alone() {
    use convene_domain::report::{ActorSnapshot, Category, Federated, Forward, Target};
    use convene_domain::{Report, ReportCommand};
    for (_scratch, db) in test_databases("outbox_flag_actor").await {
        let sam = "https://b.example/@sam";
        let command = ReportCommand::File {
            reporter: Some("ana".into()),
            target: Target::RemoteActor { url: s(sam) },
            category: Category::Spam,
            comment: "Sells watches".into(),
            evidence: 0,
            federated: Federated {
                instance: Some("b.example".into()),
                forward: Some(Forward {
                    actors: vec![s(sam)],
                    objects: vec![],
                    inbox: s(SHARED),
                }),
                flag: None,
            },
            snapshot: Some(Box::new(ActorSnapshot {
                id: s(sam),
                kind: s("Person"),
                preferred_username: s("sam"),
                handle: s("sam@b.example"),
                name: Some(s("Sam")),
                summary: None,
                url: None,
                fetched_at: s("2026-11-01T10:00:00Z"),
            })),
        };
        Commands::<Report>::new(&db, ())
            .execute("on-sam", command, &Log::metadata())
            .await
            .expect("filed");
        let log = Log { db: db.clone() };
        let out = log.derived(1).await;
        assert_eq!(out.len(), 1, "{out:?}");
        let flag = serde_json::to_value(&out[0].activity).expect("serialises");
        assert_eq!(flag["type"], "Flag");
        assert_eq!(flag["actor"], format!("{PUBLIC_URL}/relay"));
        assert_eq!(flag["object"], sam, "one thing reported: one value");
        assert_eq!(flag["to"], serde_json::json!([sam]));
        assert_eq!(flag["content"], "Sells watches");
        assert_eq!(flag["mediaType"], "text/plain");
        assert_eq!(out[0].inboxes, vec![s(SHARED)]);
        assert_eq!(out[0].key_id, format!("{PUBLIC_URL}/relay#main-key"));
        assert!(!flag.to_string().contains("ana"), "{flag}");
        assert_eq!(log.derived(2).await, out, "the same in other batches");
    }
}

/// The bodies `actor`'s outbox lists, newest first.
async fn listed(db: &Database, actor: &str) -> Vec<String> {
    convene_federation::outbox::listing::bodies(db.pool(), actor, 100, 0)
        .await
        .expect("the outbox")
}

fn kind_and_object(body: &str) -> (String, String) {
    let activity: Value = serde_json::from_str(body).expect("JSON");
    (
        activity["type"].as_str().unwrap_or_default().to_string(),
        activity["object"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[tokio::test]
async fn the_outbox_lists_public_activities_as_delivered_even_with_no_follower() {
    use convene_federation::delivery;
    use convene_projections::Subscribers;
    use std::sync::Arc;
    for (scratch, db) in test_databases("outbox_listing").await {
        let log = Log { db: db.clone() };
        for username in ["ana", "leo"] {
            let command = ProfileCommand::Create {
                username: username.into(),
                display_name: None,
                account: None,
            };
            log.profile(username, command).await;
        }
        log.follower("bea", "https://b.example/users/bea/inbox", Some(SHARED))
            .await;
        log.create("e1", "Repair café", Visibility::Public, false)
            .await;
        log.create("e2", "Soup night", Visibility::Unlisted, false)
            .await;
        log.create("e3", "Draft", Visibility::Public, true).await;
        log.create("e4", "Board", Visibility::Private, false).await;
        let comment = |comment: &str, by: &str| EventCommand::PostComment {
            comment: comment.into(),
            by: by.into(),
            in_reply_to: None,
            body: format!("<p>{comment}</p>"),
            announcement: false,
        };
        log.event("e1", comment("c1", "ana")).await;
        log.event("e2", comment("c2", "ana")).await;
        // Leo has no follower anywhere: nothing of his is delivered, his public event is listed.
        let leos = EventCommand::Create {
            organiser: "leo".into(),
            creator_participation: "l1-leo".into(),
            details: details("Leo's walk", Visibility::Public),
            draft: false,
        };
        log.event("l1", leos).await;
        log.event("l1", comment("c3", "leo")).await;
        log.event("e1", comment("c4", "leo")).await;
        log.event(
            "l1",
            EventCommand::DeleteComment {
                comment: "c3".into(),
                by: "leo".into(),
            },
        )
        .await;
        let outbox = Arc::new(OutboxSubscriber::new(PUBLIC_URL));
        let subscribers = Subscribers::new([outbox.clone() as _]);
        subscribers.catch_up(&db).await.expect("the outbox ran");

        let ana = format!("{PUBLIC_URL}/@ana");
        let leo = format!("{PUBLIC_URL}/@leo");
        let url = |path: &str| format!("{PUBLIC_URL}/{path}");
        let anas = listed(&db, &ana).await;
        assert_eq!(
            anas.iter().map(|b| kind_and_object(b)).collect::<Vec<_>>(),
            vec![
                (s("Create"), url("comments/c1")),
                (s("Create"), url("events/e1")),
            ],
            "{}",
            scratch.label
        );
        // Exactly what the worker sends to the follower.
        let claimed = delivery::claim(&db, 100, std::time::Duration::from_secs(60))
            .await
            .expect("claimed");
        for body in &anas {
            assert!(
                claimed.iter().any(|c| &c.body == body && c.inbox == SHARED),
                "{body} was not delivered as listed"
            );
        }
        // The unlisted event and its comment went to the follower, unlisted.
        assert!(claimed.iter().any(|c| c.body.contains("Soup night")));
        assert!(claimed.iter().any(|c| c.body.contains("<p>c2</p>")));
        let leos = listed(&db, &leo).await;
        assert_eq!(
            leos.iter().map(|b| kind_and_object(b)).collect::<Vec<_>>(),
            vec![
                (s("Create"), url("comments/c4")),
                (s("Create"), url("events/l1")),
            ]
        );
        assert!(claimed.iter().all(|c| !c.body.contains("Leo's walk")));
        assert_eq!(
            convene_federation::outbox::listing::count(db.pool(), &leo)
                .await
                .expect("count"),
            2
        );

        // E1 made unlisted: its Create and its comments (Leo's too) leave the outboxes; the
        // Update is delivered but not listed. L1 deleted: nothing of it stays, no Delete either.
        let unlisted = EventPatch {
            visibility: Some(Visibility::Unlisted),
            ..Default::default()
        };
        log.event(
            "e1",
            EventCommand::Update {
                by: "ana".into(),
                patch: unlisted,
            },
        )
        .await;
        log.event("l1", EventCommand::Delete { by: "leo".into() })
            .await;
        subscribers.catch_up(&db).await.expect("the outbox ran");
        assert_eq!(listed(&db, &ana).await, Vec::<String>::new());
        assert_eq!(listed(&db, &leo).await, Vec::<String>::new());
        let claimed = delivery::claim(&db, 100, std::time::Duration::from_secs(60))
            .await
            .expect("claimed");
        assert!(
            claimed
                .iter()
                .any(|c| kind_and_object(&c.body) == (s("Update"), url("events/e1"))),
            "{}",
            scratch.label
        );

        // Published again as public: a new Create, listed.
        let public = EventPatch {
            visibility: Some(Visibility::Public),
            ..Default::default()
        };
        log.event(
            "e1",
            EventCommand::Update {
                by: "ana".into(),
                patch: public,
            },
        )
        .await;
        subscribers.catch_up(&db).await.expect("the outbox ran");
        let anas = listed(&db, &ana).await;
        assert_eq!(
            anas.iter().map(|b| kind_and_object(b)).collect::<Vec<_>>(),
            vec![(s("Update"), url("events/e1"))]
        );
    }
}

#[tokio::test]
async fn a_groups_discussions_and_members_posts_go_to_its_remote_members_alone() {
    for (scratch, db) in test_databases("outbox_group_members").await {
        let system = Log::metadata();
        let ana = || GroupActor::profile("ana");
        union(&db).await;
        let by = |actor: &str| from_remote(actor, 1);
        // Zed and Yan are members from their instances; Bo only follows.
        let bo = "https://b.example/users/bo";
        cache_actor(&db, bo, &format!("{bo}/inbox"), Some(SHARED)).await;
        let follow = GroupCommand::Follow {
            who: GroupActor::Remote(bo.into()),
        };
        group(&db, "union", follow, &by(bo)).await;
        for name in ["zed", "yan"] {
            remote_member(&db, &remote(name)).await;
        }
        let zed = remote("zed");
        let start = GroupCommand::StartDiscussion {
            by: ana(),
            discussion: "d1".into(),
            title: "Rent strike".into(),
            comment: "c1".into(),
            body: "<p>Who is in?</p>".into(),
        };
        group(&db, "union", start, &system).await;
        // Zed answers from its instance, under its own Note's id; Ana answers Zed.
        let zed_note = "https://zed.example/notes/1";
        let answer = GroupCommand::CommentOnDiscussion {
            by: GroupActor::Remote(zed.actor.clone()),
            discussion: "d1".into(),
            comment: "c2".into(),
            in_reply_to: Some("c1".into()),
            body: "<p>Me!</p>".into(),
            note: Some(zed_note.into()),
        };
        group(&db, "union", answer, &by(&zed.actor)).await;
        let thanks = GroupCommand::CommentOnDiscussion {
            by: ana(),
            discussion: "d1".into(),
            comment: "c3".into(),
            in_reply_to: Some("c2".into()),
            body: "<p>Thanks</p>".into(),
            note: None,
        };
        group(&db, "union", thanks, &system).await;
        // Ana edits hers; a moderator deletes Zed's, then the whole discussion.
        let edit = GroupCommand::EditDiscussionComment {
            by: ana(),
            discussion: "d1".into(),
            comment: "c3".into(),
            body: "<p>Thanks a lot</p>".into(),
        };
        group(&db, "union", edit, &system).await;
        let delete = GroupCommand::DeleteDiscussionComment {
            by: ana(),
            discussion: "d1".into(),
            comment: "c2".into(),
        };
        group(&db, "union", delete, &system).await;
        let delete = GroupCommand::DeleteDiscussion {
            by: ana(),
            discussion: "d1".into(),
        };
        group(&db, "union", delete, &system).await;
        let content = |visibility| PostContent {
            title: "Minutes".into(),
            body: "<p>We met.</p>".into(),
            tags: vec![],
            visibility,
            draft: false,
            publish_at: None,
        };
        let write = GroupCommand::WritePost {
            by: ana(),
            post: "p1".into(),
            content: content(PostVisibility::Members),
        };
        group(&db, "union", write, &system).await;
        // Opened to everyone: members see it changed, followers see it for the first time;
        // then deleted for both.
        let edit = GroupCommand::EditPost {
            by: ana(),
            post: "p1".into(),
            content: content(PostVisibility::Public),
        };
        group(&db, "union", edit, &system).await;
        let delete = GroupCommand::DeletePost {
            by: ana(),
            post: "p1".into(),
        };
        group(&db, "union", delete, &system).await;

        let log = Log { db: db.clone() };
        let out = log.derived(1_000).await;
        let union = format!("{PUBLIC_URL}/@union");
        let members = vec![remote("yan").inbox, zed.inbox.clone()];
        let sent: Vec<_> = summary(&out)
            .into_iter()
            .filter(|(kind, ..)| kind != "Accept")
            .collect();
        let minutes = format!("{union}/p/minutes");
        assert_eq!(
            sent,
            vec![
                (s("Announce"), s("Note <p>Who is in?</p>"), members.clone()),
                // Zed's instance wrote it, and hears that the group took it.
                (s("Announce"), s("Note <p>Me!</p>"), members.clone()),
                (s("Announce"), s("Note <p>Thanks</p>"), members.clone()),
                (
                    s("Announce"),
                    s("Note <p>Thanks a lot</p>"),
                    members.clone()
                ),
                (
                    s("Delete"),
                    format!("Tombstone {zed_note}"),
                    members.clone()
                ),
                (
                    s("Delete"),
                    format!("Tombstone {union}/c/d1"),
                    members.clone()
                ),
                (s("Create"), s("Article Minutes"), members.clone()),
                (s("Update"), s("Article Minutes"), members.clone()),
                (s("Create"), s("Article Minutes"), vec![s(SHARED)]),
                (
                    s("Delete"),
                    format!("Tombstone {minutes}"),
                    vec![s(SHARED), remote("yan").inbox, zed.inbox.clone()]
                ),
            ],
            "{}",
            scratch.label
        );
        let json = |i: usize| {
            let kinds: Vec<&Outgoing> = out
                .iter()
                .filter(|o| o.activity.kind != convene_federation::objects::ActivityKind::Accept)
                .collect();
            serde_json::to_value(&kinds[i].activity).expect("serialises")
        };
        // Mobilizon's relay: the group announces the Note it embeds, to its members.
        let first = json(0);
        assert_eq!(first["actor"], union);
        assert_eq!(first["to"], serde_json::json!([format!("{union}/members")]));
        let note = &first["object"];
        assert_eq!(note["id"], format!("{union}/c/d1/c1"));
        assert_eq!(note["attributedTo"], format!("{PUBLIC_URL}/@ana"));
        assert_eq!(note["context"], format!("{union}/c/d1"));
        assert_eq!(note["inReplyTo"], format!("{union}/c/d1"));
        let relayed = json(1);
        assert_eq!(relayed["object"]["id"], zed_note);
        assert_eq!(relayed["object"]["attributedTo"], zed.actor);
        assert_eq!(relayed["object"]["inReplyTo"], format!("{union}/c/d1/c1"));
        assert_eq!(json(2)["object"]["inReplyTo"], zed_note);
        let edited = json(3);
        assert_eq!(edited["object"]["id"], format!("{union}/c/d1/c3"));
        assert!(edited["object"]["updated"].is_string(), "{edited}");
        assert_ne!(edited["id"], json(2)["id"]);
        assert_eq!(
            json(4)["to"],
            serde_json::json!([format!("{union}/members")])
        );
        // A members-only post is addressed to the members alone.
        let private = json(6);
        assert_eq!(
            private["object"]["to"],
            serde_json::json!([format!("{union}/members")])
        );
        assert_eq!(private["object"]["cc"], serde_json::json!([]));
        for size in [1, 2, 5] {
            assert_eq!(log.derived(size).await, out, "batches of {size}");
        }
    }
}

#[tokio::test]
async fn a_groups_resources_and_todos_go_to_its_remote_members_as_mobilizon_shapes_them() {
    use convene_domain::group::{ResourceContent, ResourceKind, ResourcePatch, TodoContent};
    for (scratch, db) in test_databases("outbox_group_work").await {
        let system = Log::metadata();
        let ana = || GroupActor::profile("ana");
        union(&db).await;
        // Before any remote member: nothing to send.
        let folder = GroupCommand::AddResource {
            by: ana(),
            resource: "r1".into(),
            parent: None,
            content: ResourceContent::folder("Leaflets"),
            object: None,
        };
        group(&db, "union", folder, &system).await;
        let zed = remote("zed");
        remote_member(&db, &zed).await;
        let pad = "https://pad.example/p/strike";
        let commands = vec![
            GroupCommand::AddResource {
                by: ana(),
                resource: "r2".into(),
                parent: Some("r1".into()),
                content: ResourceContent::link(ResourceKind::Pad, "Strike pad", pad),
                object: None,
            },
            GroupCommand::EditResource {
                by: ana(),
                resource: "r2".into(),
                patch: ResourcePatch {
                    title: Some("Strike notes".into()),
                    ..Default::default()
                },
            },
            GroupCommand::MoveResource {
                by: ana(),
                resource: "r2".into(),
                parent: None,
            },
            GroupCommand::DeleteResource {
                by: ana(),
                resource: "r1".into(),
            },
            GroupCommand::CreateTodoList {
                by: ana(),
                list: "l1".into(),
                title: "Before the strike".into(),
                object: None,
            },
            GroupCommand::AddTodo {
                by: ana(),
                list: "l1".into(),
                todo: "t1".into(),
                content: TodoContent {
                    title: "Print leaflets".into(),
                    due_on: Some("2030-05-01".into()),
                    assignee: Some(GroupActor::Remote(zed.actor.clone())),
                    done: false,
                },
                object: None,
            },
            GroupCommand::UpdateTodo {
                by: ana(),
                todo: "t1".into(),
                content: TodoContent {
                    title: "Print leaflets".into(),
                    due_on: None,
                    assignee: None,
                    done: true,
                },
            },
            GroupCommand::DeleteTodo {
                by: ana(),
                todo: "t1".into(),
            },
            GroupCommand::DeleteTodoList {
                by: ana(),
                list: "l1".into(),
            },
        ];
        // Ana acts from her account: the todo is hers (Mobilizon's `actor` of a `Todo`).
        let as_ana = Actor::Account {
            account: "account-of-ana".into(),
            profile: Some("ana".into()),
        };
        let as_ana = Metadata::now(as_ana, Source::Web, "test".to_string());
        for command in commands {
            group(&db, "union", command, &as_ana).await;
        }
        // Zed's work, made on his instance: the group relays it under his ids, so that his
        // instance (Mobilizon's) knows it again rather than keeping a copy.
        let zeds = |path: &str| format!("{}/{path}", zed.actor);
        let by_zed = || GroupActor::Remote(zed.actor.clone());
        let his = vec![
            GroupCommand::AddResource {
                by: by_zed(),
                resource: "r3".into(),
                parent: None,
                content: ResourceContent::folder("Zed's folder"),
                object: Some(zeds("resources/9")),
            },
            GroupCommand::CreateTodoList {
                by: by_zed(),
                list: "l2".into(),
                title: "Zed's list".into(),
                object: Some(zeds("todo-lists/2")),
            },
            GroupCommand::AddTodo {
                by: by_zed(),
                list: "l2".into(),
                todo: "t2".into(),
                content: TodoContent {
                    title: "Zed's todo".into(),
                    due_on: None,
                    assignee: None,
                    done: false,
                },
                object: Some(zeds("todos/3")),
            },
        ];
        for (n, command) in his.into_iter().enumerate() {
            group(
                &db,
                "union",
                command,
                &from_remote(&zed.actor, 10 + n as u32),
            )
            .await;
        }
        let in_his_folder = GroupCommand::AddResource {
            by: ana(),
            resource: "r4".into(),
            parent: Some("r3".into()),
            content: ResourceContent::link(ResourceKind::Pad, "Our pad", pad),
            object: None,
        };
        group(&db, "union", in_his_folder, &as_ana).await;
        let delete = GroupCommand::DeleteResource {
            by: ana(),
            resource: "r3".into(),
        };
        group(&db, "union", delete, &as_ana).await;

        let log = Log { db: db.clone() };
        let out = log.derived(1_000).await;
        let union = format!("{PUBLIC_URL}/@union");
        let sent: Vec<Value> = out
            .iter()
            .filter(|o| o.activity.kind != convene_federation::objects::ActivityKind::Accept)
            .map(|o| {
                assert_eq!(o.inboxes, vec![zed.inbox.clone()], "{}", scratch.label);
                serde_json::to_value(&o.activity).expect("serialises")
            })
            .collect();
        let shapes: Vec<(String, String, String)> = sent
            .iter()
            .map(|a| {
                let object = &a["object"];
                let name = object["name"].as_str().unwrap_or_default().to_string();
                (
                    format!(
                        "{} {}",
                        a["type"].as_str().unwrap_or_default(),
                        object["type"].as_str().unwrap_or_default()
                    ),
                    object["id"]
                        .as_str()
                        .unwrap_or_default()
                        .replace(&union, ""),
                    name,
                )
            })
            .collect();
        let shape = |kind: &str, id: &str, name: &str| (s(kind), s(id), s(name));
        assert_eq!(
            shapes,
            vec![
                shape("Create Document", "/resources/r2", "Strike pad"),
                shape("Update Document", "/resources/r2", "Strike notes"),
                shape("Update Document", "/resources/r2", "Strike notes"),
                shape("Delete Tombstone", "/resources/r1", ""),
                shape("Create TodoList", "/todos/l1", "Before the strike"),
                shape("Create Todo", "/todos/l1/t1", "Print leaflets"),
                shape("Update Todo", "/todos/l1/t1", "Print leaflets"),
                shape("Delete Tombstone", "/todos/l1/t1", ""),
                shape("Delete Tombstone", "/todos/l1", ""),
                shape(
                    "Create ResourceCollection",
                    &zeds("resources/9"),
                    "Zed's folder"
                ),
                shape("Create TodoList", &zeds("todo-lists/2"), "Zed's list"),
                shape("Create Todo", &zeds("todos/3"), "Zed's todo"),
                shape("Create Document", "/resources/r4", "Our pad"),
                shape("Delete Tombstone", &zeds("resources/9"), ""),
            ],
            "{}",
            scratch.label
        );
        for activity in &sent {
            assert_eq!(activity["actor"], union);
            assert_eq!(
                activity["to"],
                serde_json::json!([format!("{union}/members")])
            );
        }
        let created = &sent[0];
        assert_eq!(created["target"], format!("{union}/resources/r1"));
        assert_eq!(
            created["object"]["context"],
            format!("{union}/resources/r1")
        );
        assert_eq!(created["object"]["url"], pad);
        assert_eq!(created["object"]["attributedTo"], union);
        assert_eq!(created["object"]["actor"], format!("{PUBLIC_URL}/@ana"));
        // Moved to the top: its context is the group's resources.
        assert_eq!(sent[2]["object"]["context"], format!("{union}/resources"));
        assert_eq!(sent[3]["object"]["formerType"], "ResourceCollection");
        let todo = &sent[5]["object"];
        assert_eq!(todo["status"], false);
        assert_eq!(todo["todoList"], format!("{union}/todos/l1"));
        assert_eq!(todo["dueDate"], "2030-05-01");
        assert_eq!(todo["assignedTo"], zed.actor.as_str());
        assert_eq!(todo["actor"], format!("{PUBLIC_URL}/@ana"));
        assert_eq!(todo["attributedTo"], union);
        assert_eq!(sent[6]["object"]["status"], true);
        assert_eq!(sent[6]["object"]["actor"], format!("{PUBLIC_URL}/@ana"));
        assert_eq!(sent[9]["object"]["actor"], zed.actor.as_str());
        assert_eq!(sent[11]["object"]["todoList"], zeds("todo-lists/2"));
        assert_eq!(sent[11]["object"]["actor"], zed.actor.as_str());
        // What goes into his folder names it by his id.
        assert_eq!(sent[12]["target"], zeds("resources/9"));
        assert_eq!(sent[12]["object"]["context"], zeds("resources/9"));
        for size in [1, 4] {
            assert_eq!(log.derived(size).await, out, "batches of {size}");
        }
    }
}
