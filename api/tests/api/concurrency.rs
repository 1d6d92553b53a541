//! 200 people join an event of 50 seats at once: exactly 50 get a seat, 150 queue in a
//! consistent order; 10 leave and exactly the next 10 are promoted; the read model agrees with a
//! replay of the log.

use crate::servers;
use crate::support::{create_event, member, Client};
use convene_domain::event::{EventChange, Participant};
use convene_projections::log::EventLog;
use convene_projections::{read_models, replay, tables, Database, Subscribers};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_join_fifty_seats_at_once() {
    for (_db, server) in servers("two_hundred_joins").await {
        let crowd = member(&server, "crowd@example.org").await;
        for i in 0..200 {
            let created = crowd
                .post("/api/v1/profiles", json!({"username": format!("p{i:03}")}))
                .await;
            assert_eq!(created.status, 201, "{}", created.text);
        }
        let org = member(&server, "org@example.org").await;
        crate::support::profile(&org, "org").await;
        let event = create_event(&org, json!({"capacity": 50})).await;
        let id = event["id"].as_str().unwrap_or_default().to_string();

        let joins: Vec<_> = (0..200)
            .map(|i| {
                let (client, id) = (crowd.as_profile(&format!("p{i:03}")), id.clone());
                tokio::spawn(async move {
                    client
                        .post(&format!("/api/v1/events/{id}/participations"), json!({}))
                        .await
                })
            })
            .collect();
        for join in joins {
            let response = join.await.expect("join");
            assert_eq!(response.status, 201, "{}: {}", server.label, response.text);
        }

        let log = EventLog::new(&server.db)
            .aggregate("Event", &id)
            .await
            .expect("log");
        let mut seated = Vec::new();
        let mut queue = Vec::new();
        for stored in &log {
            if let Ok(EventChange::Joined {
                participation,
                who: Participant::Profile(_),
                state,
                ..
            }) = stored.change()
            {
                match state.as_str() {
                    "participant" => seated.push(participation),
                    "waitlisted" => queue.push(participation),
                    other => panic!("unexpected state {other}"),
                }
            }
        }
        assert_eq!((seated.len(), queue.len()), (50, 150), "{}", server.label);

        let list = org
            .get(&format!(
                "/api/v1/events/{id}/participations?state=waitlisted"
            ))
            .await;
        let listed: Vec<String> = list
            .json
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|p| p["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            listed, queue,
            "{}: the read model keeps the log's waitlist order",
            server.label
        );
        let view = server.client().get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(
            (
                view.json["participant_count"].as_i64(),
                view.json["waitlist_count"].as_i64()
            ),
            (Some(50), Some(150))
        );

        // Ten seated people leave at once.
        let leaving: Vec<String> = log
            .iter()
            .filter_map(|s| match s.change() {
                Ok(EventChange::Joined {
                    participation,
                    who: Participant::Profile(p),
                    ..
                }) if seated[..10].contains(&participation) => Some(p),
                _ => None,
            })
            .collect();
        assert_eq!(leaving.len(), 10);
        let leaves: Vec<_> = leaving
            .iter()
            .map(|p| {
                let (client, id): (Client, String) = (crowd.as_profile(p), id.clone());
                tokio::spawn(async move {
                    client
                        .delete(&format!("/api/v1/events/{id}/participations/mine"))
                        .await
                })
            })
            .collect();
        for leave in leaves {
            assert_eq!(leave.await.expect("leave").status, 204);
        }
        let log = EventLog::new(&server.db)
            .aggregate("Event", &id)
            .await
            .expect("log");
        let promoted: Vec<String> = log
            .iter()
            .filter_map(|s| match s.change() {
                Ok(EventChange::Promoted { participation }) => Some(participation),
                _ => None,
            })
            .collect();
        assert_eq!(
            promoted,
            queue[..10].to_vec(),
            "{}: exactly the next ten, in order",
            server.label
        );
        let view = server.client().get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(
            (
                view.json["participant_count"].as_i64(),
                view.json["waitlist_count"].as_i64()
            ),
            (Some(50), Some(140))
        );

        // The live read model is what a replay of the log builds.
        let head = server.head().await;
        let folder = tempfile::tempdir().expect("tmp");
        let into = folder.path().join("replayed.db");
        replay::rebuild_as_of(
            &server.db,
            head,
            &into,
            &Subscribers::new(read_models()),
            &mut |_, _, _| {},
        )
        .await
        .expect("replay");
        let replayed = Database::open(&format!("sqlite://{}", into.display()))
            .await
            .expect("open");
        for table in ["events", "participations", "profiles", "accounts"] {
            let live = tables::dump(server.db.pool(), table).await.expect("dump");
            let again = tables::dump(replayed.pool(), table).await.expect("dump");
            assert_eq!(live, again, "{}: {table} row for row", server.label);
        }
    }
}

/// 100 profiles ask to join a moderated group at once; then two moderators approve 60 of them
/// while 10 withdraw (five of those among the 60). Every request is answered once, and the
/// members list is what a replay of the log gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_ask_to_join_a_group_while_moderators_approve() {
    use convene_domain::group::{GroupActor, GroupChange};
    use convene_domain::Group;
    use cqrs_es::Aggregate;
    use std::collections::BTreeMap;

    for (_db, server) in servers("group_requests").await {
        let crowd = member(&server, "crowd@example.org").await;
        for i in 0..100 {
            let created = crowd
                .post("/api/v1/profiles", json!({"username": format!("p{i:03}")}))
                .await;
            assert_eq!(created.status, 201, "{}", created.text);
        }
        let ana = member(&server, "ana@example.org").await;
        crate::support::profile(&ana, "ana").await;
        let moderator = member(&server, "mod@example.org").await;
        crate::support::profile(&moderator, "moderator").await;
        let created = ana
            .post(
                "/api/v1/groups",
                json!({"handle": "union", "display_name": "Union"}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        ana.post(
            "/api/v1/groups/union/invitations",
            json!({"username": "moderator"}),
        )
        .await;
        moderator
            .post("/api/v1/groups/union/invitations/mine/accept", json!({}))
            .await;
        let promoted = ana
            .put(
                "/api/v1/groups/union/members/moderator/role",
                json!({"role": "moderator"}),
            )
            .await;
        assert_eq!(promoted.status, 200, "{}", promoted.text);

        let asks: Vec<_> = (0..100)
            .map(|i| {
                let client = crowd.as_profile(&format!("p{i:03}"));
                tokio::spawn(
                    async move { client.post("/api/v1/groups/union/members", json!({})).await },
                )
            })
            .collect();
        for ask in asks {
            let response = ask.await.expect("ask");
            assert_eq!(response.status, 201, "{}: {}", server.label, response.text);
            assert_eq!(response.json["role"], "not_approved");
        }

        let mut tasks = Vec::new();
        for i in 0..60 {
            let by = if i % 2 == 0 {
                ana.clone()
            } else {
                moderator.clone()
            };
            tasks.push(tokio::spawn(async move {
                let path = format!("/api/v1/groups/union/members/p{i:03}/approve");
                (
                    format!("p{i:03}"),
                    "approve",
                    by.post(&path, json!({})).await,
                )
            }));
        }
        for i in 55..65 {
            let client = crowd.as_profile(&format!("p{i:03}"));
            tasks.push(tokio::spawn(async move {
                (
                    format!("p{i:03}"),
                    "leave",
                    client.delete("/api/v1/groups/union/members/mine").await,
                )
            }));
        }
        let (mut approved, mut withdrawn) = (0, 0);
        for task in tasks {
            let (who, what, response) = task.await.expect("task");
            match (what, response.status) {
                ("approve", 200) => approved += 1,
                // Withdrawn before the moderator got to it, or approved and gone at once: a
                // conflict naming what happened.
                ("approve", 409) => {
                    assert!((55..60).any(|i| who == format!("p{i:03}")), "{who}");
                    assert!(
                        response.text.contains("no-pending-request")
                            || response.text.contains("left @union at once"),
                        "{}",
                        response.text
                    );
                    withdrawn += 1;
                }
                ("leave", 204) => {}
                other => panic!("{}: {who} {other:?}: {}", server.label, response.text),
            }
        }

        let log = EventLog::new(&server.db)
            .aggregate("Group", "union")
            .await
            .expect("log");
        let mut answers: BTreeMap<GroupActor, usize> = BTreeMap::new();
        let mut replayed = Group::default();
        for stored in &log {
            let change: GroupChange = stored.change().expect("change");
            if let GroupChange::MemberApproved { who } | GroupChange::MemberRejected { who } =
                &change
            {
                *answers.entry(who.clone()).or_default() += 1;
            }
            replayed.apply(change);
        }
        // A request withdrawn first is answered 409; one approved and then left at once is
        // answered 409 too (the answer reads the membership back, and it is gone): the log, not
        // the answers, says who was approved.
        assert!(
            (approved..=approved + withdrawn).contains(&answers.len()),
            "{}: {approved} answered approved, {withdrawn} conflicts, {} approved in the log",
            server.label,
            answers.len()
        );
        assert!(
            answers.values().all(|n| *n == 1),
            "every request answered once"
        );
        assert!((55..=60).contains(&answers.len()), "{}", answers.len());

        let listed = ana.get("/api/v1/groups/union/members").await;
        let mut members: Vec<(String, String)> = listed
            .json
            .as_array()
            .map(|l| {
                l.iter()
                    .map(|m| {
                        let text = |k: &str| m[k].as_str().unwrap_or_default().to_string();
                        (text("member"), text("role"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        members.sort();
        let expected: Vec<(String, String)> = replayed
            .members()
            .iter()
            .map(|(who, role)| (who.key(), role.as_str().to_string()))
            .collect();
        assert_eq!(
            members, expected,
            "{}: the members list is the log's",
            server.label
        );
        // 60 approved, 10 withdrew or left (5 of them after approval), 35 still waiting.
        let count = |role: &str| members.iter().filter(|(_, r)| r == role).count();
        assert_eq!(
            (count("member"), count("not_approved")),
            (55, 35),
            "{}",
            server.label
        );

        let head = server.head().await;
        let folder = tempfile::tempdir().expect("tmp");
        let into = folder.path().join("replayed.db");
        replay::rebuild_as_of(
            &server.db,
            head,
            &into,
            &Subscribers::new(read_models()),
            &mut |_, _, _| {},
        )
        .await
        .expect("replay");
        let again = Database::open(&format!("sqlite://{}", into.display()))
            .await
            .expect("open");
        for table in [
            "groups",
            "group_members",
            "group_followers",
            "group_timeline",
        ] {
            let live = tables::dump(server.db.pool(), table).await.expect("dump");
            let rebuilt = tables::dump(again.pool(), table).await.expect("dump");
            assert_eq!(live, rebuilt, "{}: {table} row for row", server.label);
        }
    }
}
