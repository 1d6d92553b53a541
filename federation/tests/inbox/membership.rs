//! Membership across instances, as Mobilizon federates it: a group invites a remote actor found
//! by URL (`Invite` signed by the group), which accepts (Mobilizon's `Accept` of the `Member`)
//! or declines (its `Reject` naming the invitation); a remote member's new role goes out as the
//! `Update` of its `Member`, its removal as a `Remove`. A remote moderator invites, by the
//! group's rules; a non-moderator's `Invite`, a `Remove` of the last administrator, membership
//! activities about groups not hosted here are refused with a status and a reason, nothing
//! applied.

use crate::groups::{
    derived, group, group_command, group_event, role_of, signed_by_the_group, wait_for_role,
};
use crate::support::*;
use crate::{bytes, changes, now, shown};
use convene_domain::group::{
    GroupActor, GroupPatch, MemberRole, Openness, ResourceContent, ResourceKind, TodoContent,
};
use convene_domain::profile::MembershipState;
use convene_domain::{Actor, EventChange, Group, GroupCommand, Source};
use convene_federation::objects::ActivityKind;
use convene_federation::outbox::Outgoing;
use convene_projections::follows::GroupMembership;
use convene_projections::log::EventLog;
use convene_projections::scratch::test_urls;
use cqrs_es::Aggregate;
use serde_json::{json, Value};

fn signing<'a>(key_id: &'a str, key: &'a str) -> Signing<'a> {
    Signing::Cavage { key_id, key }
}

/// The outgoing activities of `kind` about `actor` (its target, object or `Member`).
fn about<'a>(out: &'a [Outgoing], kind: &str, actor: &str) -> Vec<&'a Outgoing> {
    out.iter()
        .filter(|o| {
            let a = serde_json::to_value(&o.activity).expect("serialises");
            a["type"] == kind
                && (a["target"] == actor || a["object"] == actor || a["object"]["actor"] == actor)
        })
        .collect()
}

async fn log_length(local: &Local, handle: &str) -> usize {
    EventLog::new(&local.db)
        .aggregate(Group::TYPE, handle)
        .await
        .expect("the log")
        .len()
}

async fn open_group(local: &Local, handle: &str) -> String {
    let id = group(local, handle, false).await;
    let open = GroupCommand::Update {
        by: GroupActor::profile("ana"),
        patch: GroupPatch {
            openness: Some(Openness::Open),
            ..Default::default()
        },
    };
    group_command(local, handle, open).await;
    id
}

#[tokio::test]
async fn a_remote_actor_invited_by_url_accepts_or_declines_the_groups_invite() {
    for scratch in test_urls("inbox_group_invite").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let bob = remote.person("bob", BOB_PUB);
        let (alice_key, bob_key) = (format!("{alice}#main-key"), format!("{bob}#main-key"));
        let club = group(&local, "club", false).await;

        // Found by URL (and kept), as the API's invitation does; this instance's own URLs are not.
        let resolver = local.state.actor_resolver.clone().expect("a resolver");
        assert_eq!(resolver.resolve_actor(&alice).await, Ok(alice.clone()));
        assert_eq!(resolver.resolve_actor(&bob).await, Ok(bob.clone()));
        let own = resolver
            .resolve_actor(&format!("{}/@ana", local.base))
            .await
            .expect_err("a local profile is invited by its username");
        assert!(own.contains("on this instance"), "{own}");
        let missing = resolver.resolve_actor(&remote.url("users/nobody")).await;
        assert!(missing.is_err(), "{missing:?}");
        for who in [&alice, &bob] {
            let invite = GroupCommand::Invite {
                by: GroupActor::profile("ana"),
                who: GroupActor::Remote(who.clone()),
            };
            group_command(&local, "club", invite).await;
            wait_for_role(&local, "club", who, Some(MemberRole::Invited)).await;
        }

        // The group's Invite, in Mobilizon's shape, to the invitee's inbox, signed by the group.
        let out = derived(&local).await;
        let invites = about(&out, "Invite", &alice);
        assert_eq!(invites.len(), 1, "{}: {out:?}", local.label);
        let invite = serde_json::to_value(&invites[0].activity).expect("JSON");
        assert_eq!(invite["actor"], club.as_str());
        assert_eq!(invite["object"], club.as_str());
        assert_eq!(invite["target"], alice.as_str());
        assert_eq!(invite["attributedTo"], club.as_str());
        let to: Vec<&str> = invite["to"]
            .as_array()
            .expect("to")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(to.contains(&alice.as_str()), "{invite}");
        assert!(to.contains(&format!("{club}/members").as_str()), "{invite}");
        assert_eq!(invites[0].inboxes, vec![remote.url("inbox")]);
        signed_by_the_group(&local, invites[0], &club).await;
        let bob_invite = about(&out, "Invite", &bob)[0].activity.id.clone();

        // Invited is not a member yet: the members' collections stay closed to her.
        let (status, _) = signed_get(&local, "/@club/members", Some((&alice_key, ALICE_KEY))).await;
        assert_eq!(status, 403, "{}", local.label);

        // Alice accepts as Mobilizon does (the Member of the invitation as object).
        let mut accept = activity(
            "Accept",
            &alice,
            1,
            json!({"id": invite["id"], "type": "Member", "actor": alice, "object": club, "role": "invited"}),
        );
        accept["to"] = json!([club, format!("{club}/members")]);
        let signed = signing(&alice_key, ALICE_KEY);
        let (status, text) = post(&local, "/inbox", &bytes(&accept), signed, now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        wait_for_role(&local, "club", &alice, Some(MemberRole::Member)).await;
        let log = EventLog::new(&local.db)
            .aggregate(Group::TYPE, "club")
            .await
            .expect("the log");
        let metadata = log.last().expect("a change").metadata().expect("metadata");
        assert_eq!(
            metadata.actor,
            Actor::Remote {
                actor: alice.clone()
            }
        );
        assert_eq!(
            metadata.source,
            Source::Federation {
                activity: accept["id"].as_str().unwrap_or_default().to_string()
            }
        );
        let (status, _) = signed_get(&local, "/@club/members", Some((&alice_key, ALICE_KEY))).await;
        assert_eq!(status, 200, "{}", local.label);

        // Bob declines, naming the invitation by its id (Mobilizon's Reject).
        let reject = activity("Reject", &bob, 2, json!(bob_invite));
        let signed = signing(&bob_key, BOB_KEY);
        let (status, text) = post(&local, "/inbox", &bytes(&reject), signed, now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        wait_for_role(&local, "club", &bob, None).await;

        // An answer with no invitation behind it, or about a group not hosted here: refused.
        let length = log_length(&local, "club").await;
        let again = activity(
            "Accept",
            &bob,
            3,
            json!({"type": "Invite", "id": bob_invite,
            "actor": club, "object": club, "target": bob}),
        );
        let signed = signing(&bob_key, BOB_KEY);
        let (status, text) = post(&local, "/inbox", &bytes(&again), signed, now()).await;
        assert_eq!(status, 404, "{}: {text}", local.label);
        assert!(text.contains("no membership"), "{text}");
        let elsewhere = remote.url("groups/elsewhere");
        let foreign = activity(
            "Accept",
            &bob,
            4,
            json!({"id": remote.url("member/1"), "type": "Member", "actor": bob, "object": elsewhere, "role": "invited"}),
        );
        let signed = signing(&bob_key, BOB_KEY);
        let (status, text) = post(&local, "/inbox", &bytes(&foreign), signed, now()).await;
        assert_eq!(status, 404, "{}: {text}", local.label);
        assert!(text.contains("not a group hosted here"), "{text}");
        assert_eq!(log_length(&local, "club").await, length, "{}", local.label);
        assert_eq!(role_of(&local, "club", &bob).await, None);
    }
}

#[tokio::test]
async fn a_remote_members_new_role_and_removal_go_out_as_mobilizon_sends_them() {
    for scratch in test_urls("inbox_group_member_changes").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let bob = remote.person("bob", BOB_PUB);
        let club = open_group(&local, "club").await;
        for (n, (who, key)) in [(&alice, ALICE_KEY), (&bob, BOB_KEY)]
            .into_iter()
            .enumerate()
        {
            let key_id = format!("{who}#main-key");
            let join = activity("Join", who, n as u32 + 1, json!(club));
            let (status, text) = post(
                &local,
                "/inbox",
                &bytes(&join),
                signing(&key_id, key),
                now(),
            )
            .await;
            assert_eq!(status, 202, "{}: {text}", local.label);
            wait_for_role(&local, "club", who, Some(MemberRole::Member)).await;
        }
        group_command(
            &local,
            "club",
            GroupCommand::ChangeRole {
                by: GroupActor::profile("ana"),
                who: GroupActor::Remote(alice.clone()),
                role: MemberRole::Moderator,
            },
        )
        .await;
        group_command(
            &local,
            "club",
            GroupCommand::Remove {
                by: GroupActor::profile("ana"),
                who: GroupActor::Remote(bob.clone()),
            },
        )
        .await;
        let out = derived(&local).await;

        let updates = about(&out, "Update", &alice);
        assert_eq!(updates.len(), 1, "{}: {out:?}", local.label);
        let update = serde_json::to_value(&updates[0].activity).expect("JSON");
        assert_eq!(update["actor"], club.as_str());
        assert_eq!(update["attributedTo"], club.as_str());
        let member = &update["object"];
        assert_eq!(member["type"], "Member");
        assert_eq!(member["actor"], alice.as_str());
        assert_eq!(member["object"], club.as_str());
        assert_eq!(member["role"], "moderator");
        assert!(
            member["id"]
                .as_str()
                .is_some_and(|id| id.starts_with(&format!("{club}/members/"))),
            "{update}"
        );
        assert_eq!(updates[0].inboxes, vec![remote.url("inbox")]);
        signed_by_the_group(&local, updates[0], &club).await;

        // The Member it names is served as Mobilizon fetches it before applying the role: to
        // a member, or to the member's own instance; nobody else.
        let path = member["id"]
            .as_str()
            .and_then(|id| id.strip_prefix(&local.base))
            .expect("a local id")
            .to_string();
        let alice_key = format!("{alice}#main-key");
        let (status, text) = signed_get(&local, &path, Some((&alice_key, ALICE_KEY))).await;
        assert_eq!(status, 200, "{}: {text}", local.label);
        let served: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(
            (&served["id"], &served["type"], &served["role"]),
            (&member["id"], &json!("Member"), &json!("moderator")),
            "{text}"
        );
        assert_eq!(served["actor"], alice.as_str());
        let elsewhere = Remote::start().await;
        let eve = elsewhere.person("eve", BOB_PUB);
        let eve_key = format!("{eve}#main-key");
        let (status, text) = signed_get(&local, &path, Some((&eve_key, BOB_KEY))).await;
        assert_eq!(status, 403, "{}: {text}", local.label);
        let (status, _) = signed_get(&local, &path, None).await;
        assert_eq!(status, 401, "{}", local.label);
        let (status, _) =
            signed_get(&local, "/@club/members/00", Some((&alice_key, ALICE_KEY))).await;
        assert_eq!(status, 404, "{}", local.label);

        let removes = about(&out, "Remove", &bob);
        assert_eq!(removes.len(), 1, "{}: {out:?}", local.label);
        let remove = serde_json::to_value(&removes[0].activity).expect("JSON");
        assert_eq!(remove["actor"], club.as_str());
        assert_eq!(remove["origin"], club.as_str());
        assert_eq!(remove["object"], bob.as_str());
        assert!(remove["to"]
            .as_array()
            .is_some_and(|to| to.contains(&json!(bob))));
        assert_eq!(removes[0].inboxes, vec![remote.url("inbox")]);

        // A local member's changes stay here: nothing goes out about ana.
        let ana = format!("{}/@ana", local.base);
        assert!(about(&out, "Update", &ana).is_empty());

        // Derived again from the log, the same ids: a replay sends nothing twice.
        let again = derived(&local).await;
        assert_eq!(
            about(&again, "Remove", &bob)[0].activity.id,
            removes[0].activity.id
        );
    }
}

#[tokio::test]
async fn membership_activities_are_refused_by_the_groups_rules_and_nothing_is_applied() {
    for scratch in test_urls("inbox_group_member_refusals").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let bob = remote.person("bob", BOB_PUB);
        let carol = remote.person("carol", BOB_PUB);
        let (alice_key, bob_key) = (format!("{alice}#main-key"), format!("{bob}#main-key"));
        let as_alice = || signing(&alice_key, ALICE_KEY);
        let as_bob = || signing(&bob_key, BOB_KEY);
        let club = open_group(&local, "club").await;
        for (n, (who, signed)) in [(&alice, as_alice()), (&bob, as_bob())]
            .into_iter()
            .enumerate()
        {
            let join = activity("Join", who, n as u32 + 1, json!(club));
            let (status, text) = post(&local, "/inbox", &bytes(&join), signed, now()).await;
            assert_eq!(status, 202, "{}: {text}", local.label);
            wait_for_role(&local, "club", who, Some(MemberRole::Member)).await;
        }
        let invite_carol = |n| {
            let mut invite = activity("Invite", &alice, n, json!(club));
            invite["target"] = json!(carol);
            invite
        };
        let elsewhere = remote.url("groups/elsewhere");
        let mut refused = vec![
            // A member who does not moderate invites: the group's rule.
            (invite_carol(10), as_alice(), 403, "moderator"),
            // A member makes himself administrator.
            (
                activity(
                    "Update",
                    &bob,
                    11,
                    json!({"id": format!("{club}/members/x"), "type": "Member", "actor": bob,
                           "object": club, "role": "administrator"}),
                ),
                as_bob(),
                403,
                "administrator",
            ),
            // A member removes another.
            (
                {
                    let mut remove = activity("Remove", &bob, 12, json!(alice));
                    remove["origin"] = json!(club);
                    remove
                },
                as_bob(),
                403,
                "moderator",
            ),
            // A role that is none.
            (
                activity(
                    "Update",
                    &alice,
                    13,
                    json!({"id": format!("{club}/members/x"), "type": "Member", "actor": bob,
                           "object": club, "role": "overlord"}),
                ),
                as_alice(),
                422,
                "overlord",
            ),
        ];
        // Membership activities about a group not hosted here.
        let mut foreign_invite = activity("Invite", &alice, 14, json!(elsewhere));
        foreign_invite["target"] = json!(bob);
        refused.push((foreign_invite, as_alice(), 404, "not a group hosted here"));
        let mut foreign_remove = activity("Remove", &alice, 15, json!(bob));
        foreign_remove["origin"] = json!(elsewhere);
        refused.push((foreign_remove, as_alice(), 404, "not a group hosted here"));
        let length = log_length(&local, "club").await;
        for (body, signed, status, says) in refused {
            let (got, text) = post(&local, "/inbox", &bytes(&body), signed, now()).await;
            assert_eq!(got, status, "{}: {body}: {text}", local.label);
            assert!(text.contains(says), "{says}: {text}");
        }
        assert_eq!(log_length(&local, "club").await, length, "{}", local.label);
        assert_eq!(role_of(&local, "club", &carol).await, None);
        assert_eq!(
            role_of(&local, "club", &bob).await,
            Some(MemberRole::Member)
        );

        // Made moderator, Alice invites Carol: the group's Invite goes to Carol.
        group_command(
            &local,
            "club",
            GroupCommand::ChangeRole {
                by: GroupActor::profile("ana"),
                who: GroupActor::Remote(alice.clone()),
                role: MemberRole::Administrator,
            },
        )
        .await;
        let invite = invite_carol(17);
        let (status, text) = post(&local, "/inbox", &bytes(&invite), as_alice(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        wait_for_role(&local, "club", &carol, Some(MemberRole::Invited)).await;
        assert_eq!(about(&derived(&local).await, "Invite", &carol).len(), 1);

        // Ana leaves: Alice is the last administrator, and her Remove of herself is refused.
        group_command(
            &local,
            "club",
            GroupCommand::Leave {
                who: GroupActor::profile("ana"),
            },
        )
        .await;
        let length = log_length(&local, "club").await;
        let mut last = activity("Remove", &alice, 18, json!(alice));
        last["origin"] = json!(club);
        let (status, text) = post(&local, "/inbox", &bytes(&last), as_alice(), now()).await;
        assert_eq!(status, 409, "{}: {text}", local.label);
        assert!(text.contains("last administrator"), "{text}");
        assert_eq!(log_length(&local, "club").await, length, "{}", local.label);
        assert_eq!(
            role_of(&local, "club", &alice).await,
            Some(MemberRole::Administrator)
        );

        // As administrator she removes Bob, by his Member's id: he loses access at once.
        let bob_member = {
            let (status, text) = signed_get(
                &local,
                "/@club/members?page=1",
                Some((&alice_key, ALICE_KEY)),
            )
            .await;
            assert_eq!(status, 200, "{text}");
            let page: Value = serde_json::from_str(&text).expect("JSON");
            page["orderedItems"]
                .as_array()
                .expect("items")
                .iter()
                .find(|m| m["actor"] == bob.as_str())
                .and_then(|m| m["id"].as_str())
                .expect("Bob's Member")
                .to_string()
        };
        let mut remove = activity("Remove", &alice, 19, json!(bob_member));
        remove["origin"] = json!(club);
        let (status, text) = post(&local, "/inbox", &bytes(&remove), as_alice(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        wait_for_role(&local, "club", &bob, None).await;
        let (status, _) = signed_get(&local, "/@club/members", Some((&bob_key, BOB_KEY))).await;
        assert_eq!(status, 403, "{}", local.label);
    }
}

/// `@ana` here a member of the group elsewhere `group` (its `Join` sent to `inbox`, accepted).
async fn ana_member_of(local: &Local, group: &str, inbox: String) {
    let metadata = convene_domain::Metadata::now(Actor::System, Source::Cli, "seed");
    for command in [
        convene_domain::ProfileCommand::JoinGroup {
            group: group.to_string(),
            inbox: inbox.clone(),
            message: None,
        },
        convene_domain::ProfileCommand::AcceptJoin {
            group: group.to_string(),
        },
    ] {
        convene_projections::Commands::<convene_domain::Profile>::new(&local.db, ())
            .execute_retrying("ana", command, &metadata)
            .await
            .expect("a member");
    }
}

/// Where `@profile` stands in the group elsewhere `group`, once the read model shows what
/// `wanted` waits for.
async fn membership_when(
    local: &Local,
    profile: &str,
    group: &str,
    wanted: impl Fn(&Option<GroupMembership>) -> bool,
) -> Option<GroupMembership> {
    for _ in 0..200 {
        let found = convene_projections::follows::membership_of(local.db.pool(), profile, group)
            .await
            .expect("the read model");
        if wanted(&found) {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{}: @{profile} in {group}: never as awaited", local.label);
}

/// A group of another instance speaking for itself, as Mobilizon's do: its `Update` of the
/// `Member` of one of our profiles records the role given (the group and its activity in the
/// change's metadata); the same about another instance's member is answered and not kept; a role
/// below a member's, or a role from a group never asked to join, is refused, nothing recorded.
#[tokio::test]
async fn a_group_elsewhere_gives_one_of_our_profiles_a_role() {
    for scratch in test_urls("inbox_group_elsewhere_role").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let club = remote.person("club", ALICE_PUB);
        let other = remote.person("other", BOB_PUB);
        let stranger = remote.person("stranger", BOB_PUB);
        let club_key = format!("{club}#main-key");
        let other_key = format!("{other}#main-key");
        let as_club = || signing(&club_key, ALICE_KEY);
        let ana = crate::local_profile(&local, "ana").await;
        let metadata = convene_domain::Metadata::now(Actor::System, Source::Cli, "seed");
        let join = convene_domain::ProfileCommand::JoinGroup {
            group: club.clone(),
            inbox: remote.url("inbox"),
            message: None,
        };
        convene_projections::Commands::<convene_domain::Profile>::new(&local.db, ())
            .execute_retrying("ana", join, &metadata)
            .await
            .expect("asked to join");
        let profile_log = || async {
            EventLog::new(&local.db)
                .aggregate(convene_domain::Profile::TYPE, "ana")
                .await
                .expect("the log")
        };
        let member = |by: &str, n, actor: &str, role: &str| {
            activity(
                "Update",
                by,
                n,
                json!({"id": format!("{by}/members/{n}"), "type": "Member", "actor": actor,
                       "object": by, "role": role}),
            )
        };

        let made = member(&club, 1, &ana, "moderator");
        let (status, text) = post(&local, "/inbox", &bytes(&made), as_club(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let moderator = Some(MemberRole::Moderator);
        membership_when(&local, "ana", &club, |m| {
            m.as_ref().and_then(|m| m.role) == moderator
        })
        .await;
        let recorded = profile_log().await;
        let given = recorded.last().expect("a change");
        assert_eq!(given.event_type, "ProfileGroupRoleGiven");
        assert!(given.metadata.contains(&club), "{}", given.metadata);
        assert!(
            given.metadata.contains(made["id"].as_str().expect("id")),
            "{}",
            given.metadata
        );

        let length = recorded.len();
        let refused = [
            // Another instance's member: not ours to keep.
            (
                member(&club, 2, &stranger, "member"),
                as_club(),
                202,
                "only its own profiles",
            ),
            // A role that is not a member's.
            (
                member(&club, 3, &ana, "invited"),
                as_club(),
                422,
                "not invited",
            ),
            // A group Ana never asked to join.
            (
                member(&other, 4, &ana, "administrator"),
                signing(&other_key, BOB_KEY),
                404,
                "not a member",
            ),
        ];
        for (body, signed, status, says) in refused {
            let (got, text) = post(&local, "/inbox", &bytes(&body), signed, now()).await;
            assert_eq!(got, status, "{}: {body}: {text}", local.label);
            assert!(text.contains(says), "{says}: {text}");
        }
        assert_eq!(profile_log().await.len(), length, "{}", local.label);
    }
}

/// The Invite Mobilizon sends (`mobilizon/mobilizon-invite-activity.json`: signed by the inviting
/// member, `object` the group, `target` the invitee, its id the `Member`'s), its hosts moved to a
/// server on 127.0.0.1 whose group invites our `@ana`: kept for her to answer, her `Accept` names
/// that id and goes to the group's inbox, signed with her key. From another server than the
/// group's: 403; to an actor that is no group: 422; nothing kept.
#[tokio::test]
async fn a_group_elsewhere_invites_one_of_our_profiles_who_accepts() {
    let Some(folder) = crate::fixtures::fixtures() else {
        return;
    };
    let fixture = std::fs::read_to_string(folder.join("mobilizon/mobilizon-invite-activity.json"))
        .expect("the Mobilizon Invite fixture");
    for scratch in test_urls("inbox_group_elsewhere_invite").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let other = Remote::start().await;
        let group = remote.actor("Group", "@mygroup", "mygroup", BOB_PUB);
        let admin = remote.actor("Person", "@admin", "admin", ALICE_PUB);
        let ana = crate::local_profile(&local, "ana").await;
        let text = fixture
            .replace("http://mobilizon.test/@mygroup", &group)
            .replace("http://mobilizon.test/@someuser", &ana)
            .replace("http://mobilizon2.test/@admin", &admin)
            .replace("http://mobilizon2.test/member/", &remote.url("member/"));
        let invite: Value = serde_json::from_str(&text).expect("JSON");
        let invite_id = invite["id"].as_str().expect("an id").to_string();
        let admin_key = format!("{admin}#main-key");
        let membership = || async {
            convene_projections::follows::membership_of(local.db.pool(), "ana", &group)
                .await
                .expect("the read model")
        };

        // Refused first: from another server, and to an actor that is no group.
        let stranger = other.person("mallory", ALICE_PUB);
        let stranger_key = format!("{stranger}#main-key");
        let mut forged = invite.clone();
        forged["actor"] = json!(stranger);
        forged["id"] = json!(other.url("member/forged"));
        let mut to_a_person = invite.clone();
        to_a_person["object"] = json!(admin);
        to_a_person["id"] = json!(remote.url("member/person"));
        for (body, key, status, says) in [
            (forged, &stranger_key, 403, "only the group's own server"),
            (to_a_person, &admin_key, 422, "not a group"),
        ] {
            let signed = signing(key, ALICE_KEY);
            let (got, text) = post(&local, "/inbox", &bytes(&body), signed, now()).await;
            assert_eq!(got, status, "{}: {body}: {text}", local.label);
            assert!(text.contains(says), "{says}: {text}");
        }
        assert_eq!(membership().await, None, "{}", local.label);

        let signed = signing(&admin_key, ALICE_KEY);
        let (status, text) = post(&local, "/inbox", text.as_bytes(), signed, now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let invited = membership_when(&local, "ana", &group, Option::is_some)
            .await
            .expect("invited");
        let host = remote.base.trim_start_matches("http://");
        assert_eq!(invited.state, MembershipState::Invited);
        assert_eq!(invited.invited_by, Some(format!("admin@{host}")));

        let metadata = convene_domain::Metadata::now(Actor::System, Source::Cli, "answer");
        let accept = convene_domain::ProfileCommand::AcceptGroupInvitation {
            group: group.clone(),
        };
        convene_projections::Commands::<convene_domain::Profile>::new(&local.db, ())
            .execute_retrying("ana", accept, &metadata)
            .await
            .expect("accepted");
        let out = derived(&local).await;
        let answers: Vec<Value> = out
            .iter()
            .filter(|o| o.key_id == format!("{ana}#main-key"))
            .map(|o| serde_json::to_value(&o.activity).expect("serialises"))
            .filter(|a| a["type"] == "Accept")
            .collect();
        assert_eq!(answers.len(), 1, "{answers:?}");
        assert_eq!(answers[0]["object"], invite_id.as_str());
        assert_eq!(answers[0]["actor"], ana.as_str());
        let to: Vec<&Outgoing> = out
            .iter()
            .filter(|o| o.key_id == format!("{ana}#main-key"))
            .collect();
        assert_eq!(to[0].inboxes, vec![remote.url("inbox")]);
        let member = Some(MembershipState::Accepted);
        membership_when(&local, "ana", &group, |m| {
            m.as_ref().map(|m| m.state) == member
        })
        .await;
    }
}

/// A remote member's comment in one of our groups' discussions, as Mobilizon's members send it:
/// a `Create` of a `Note` whose `context` is the discussion. Applied by the group's rules, a
/// reply to it threaded under it; a non-member's, or one in a discussion that is none: refused
/// with the reason, nothing applied.
#[tokio::test]
async fn a_remote_member_comments_in_a_discussion_of_ours() {
    for scratch in test_urls("inbox_discussion_comments").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let bob = remote.person("bob", BOB_PUB);
        let (alice_key, bob_key) = (format!("{alice}#main-key"), format!("{bob}#main-key"));
        let club = open_group(&local, "club").await;
        let join = activity("Join", &alice, 1, json!(club));
        let signed = signing(&alice_key, ALICE_KEY);
        let (status, text) = post(&local, "/inbox", &bytes(&join), signed, now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        wait_for_role(&local, "club", &alice, Some(MemberRole::Member)).await;
        let start = GroupCommand::StartDiscussion {
            by: GroupActor::profile("ana"),
            discussion: "d1".into(),
            title: "Seeds".into(),
            comment: "c1".into(),
            body: "<p>Who has seeds?</p>".into(),
        };
        group_command(&local, "club", start).await;
        let note = |by: &str, n: u32, context: &str, in_reply_to: Option<String>| {
            let note = json!({
                "id": format!("{by}/notes/{n}"), "type": "Note", "attributedTo": by,
                "context": context, "inReplyTo": in_reply_to,
                "content": format!("<p>Seeds from {n}</p>"), "to": [format!("{club}/members")],
            });
            activity("Create", by, 10 + n, note)
        };
        let discussion = format!("{club}/c/d1");
        let first = note(&alice, 1, &discussion, None);
        let signed = signing(&alice_key, ALICE_KEY);
        let (status, text) = post(&local, "/inbox", &bytes(&first), signed, now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let reply = note(&alice, 2, &discussion, Some(format!("{alice}/notes/1")));
        let signed = signing(&alice_key, ALICE_KEY);
        let (status, text) = post(&local, "/inbox", &bytes(&reply), signed, now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);

        let length = log_length(&local, "club").await;
        for (body, key, status, says) in [
            (note(&bob, 3, &discussion, None), &bob_key, 403, "member"),
            (
                note(&alice, 4, &format!("{club}/c/nothing"), None),
                &alice_key,
                404,
                "discussion",
            ),
        ] {
            let signed = signing(key, if key == &bob_key { BOB_KEY } else { ALICE_KEY });
            let (got, text) = post(&local, "/inbox", &bytes(&body), signed, now()).await;
            assert_eq!(got, status, "{}: {body}: {text}", local.label);
            assert!(text.contains(says), "{says}: {text}");
        }
        assert_eq!(log_length(&local, "club").await, length, "{}", local.label);

        let mut comments = Vec::new();
        for _ in 0..200 {
            comments = convene_projections::group_discussions::comments(local.db.pool(), "d1")
                .await
                .expect("the read model");
            if comments.len() == 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        let by_alice: Vec<_> = comments.iter().filter(|c| c.author == alice).collect();
        assert_eq!(by_alice.len(), 2, "{}: {comments:?}", local.label);
        assert_eq!(by_alice[0].in_reply_to, None);
        assert_eq!(
            by_alice[1].in_reply_to.as_deref(),
            Some(by_alice[0].id.as_str())
        );
        assert_eq!(by_alice[0].body, "<p>Seeds from 1</p>");
    }
}

/// A remote member adds a link into a folder of ours and a folder at the top (Mobilizon's
/// `Create` of a `Document` or `ResourceCollection`, its `target` where it goes): both applied
/// by the group's rules, as hers. A non-member (403), a folder that does not exist (422), a
/// resource added in someone else's name (403) and a link breaking the rules (422): refused,
/// nothing applied.
#[tokio::test]
async fn a_remote_member_adds_resources_of_ours() {
    for scratch in test_urls("inbox_remote_resources").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let bob = remote.person("bob", BOB_PUB);
        let (alice_key, bob_key) = (format!("{alice}#main-key"), format!("{bob}#main-key"));
        let club = open_group(&local, "club").await;
        let join = activity("Join", &alice, 1, json!(club));
        let signed = signing(&alice_key, ALICE_KEY);
        let (status, text) = post(&local, "/inbox", &bytes(&join), signed, now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        wait_for_role(&local, "club", &alice, Some(MemberRole::Member)).await;
        let folder = GroupCommand::AddResource {
            by: GroupActor::profile("ana"),
            resource: "f1".into(),
            parent: None,
            content: ResourceContent::folder("Manuals"),
            object: None,
        };
        group_command(&local, "club", folder).await;
        let create = |by: &str, n: u32, kind: &str, target: &str, url: &str| {
            let object = json!({
                "id": format!("{by}/resources/{n}"), "type": kind, "name": format!("Item {n}"),
                "url": url, "context": target, "actor": by, "attributedTo": club,
            });
            let mut create = activity("Create", by, 20 + n, object);
            create["target"] = json!(target);
            create
        };
        let in_folder = format!("{club}/resources/f1");
        let top = format!("{club}/resources");
        let link = "https://docs.example/drill.pdf";
        for body in [
            create(&alice, 1, "Document", &in_folder, link),
            create(&alice, 2, "ResourceCollection", &top, ""),
        ] {
            let signed = signing(&alice_key, ALICE_KEY);
            let (status, text) = post(&local, "/inbox", &bytes(&body), signed, now()).await;
            assert_eq!(status, 202, "{}: {text}", local.label);
        }

        let length = log_length(&local, "club").await;
        let mut in_her_name = create(&alice, 5, "Document", &top, link);
        in_her_name["object"]["actor"] = json!(bob);
        for (body, by_bob, status, says) in [
            (create(&bob, 3, "Document", &top, link), true, 403, "member"),
            (
                create(&alice, 4, "Document", &format!("{top}/nothing"), link),
                false,
                422,
                "folder",
            ),
            (in_her_name, false, 403, "added by"),
            (
                create(&alice, 6, "Document", &top, "ftp://docs.example/x"),
                false,
                422,
                "url",
            ),
        ] {
            let signed = match by_bob {
                true => signing(&bob_key, BOB_KEY),
                false => signing(&alice_key, ALICE_KEY),
            };
            let (got, text) = post(&local, "/inbox", &bytes(&body), signed, now()).await;
            assert_eq!(got, status, "{}: {body}: {text}", local.label);
            assert!(text.contains(says), "{says}: {text}");
        }
        assert_eq!(log_length(&local, "club").await, length, "{}", local.label);

        let pool = local.db.pool();
        let mut listed = (Vec::new(), Vec::new());
        for _ in 0..200 {
            listed = (
                convene_projections::group_resources::children(pool, "club", Some("f1"))
                    .await
                    .expect("the read model"),
                convene_projections::group_resources::children(pool, "club", None)
                    .await
                    .expect("the read model"),
            );
            if listed.0.len() == 1 && listed.1.len() == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        let (in_f1, at_top) = listed;
        assert_eq!(in_f1.len(), 1, "{}: {in_f1:?}", local.label);
        assert_eq!(
            (
                in_f1[0].title.as_str(),
                in_f1[0].url.as_deref(),
                in_f1[0].author.as_str()
            ),
            ("Item 1", Some(link), alice.as_str())
        );
        // Kept with its id on her instance, which the group relays and lists it under.
        let hers = format!("{alice}/resources/1");
        assert_eq!(in_f1[0].object.as_deref(), Some(hers.as_str()));
        let folders: Vec<_> = at_top
            .iter()
            .filter(|r| r.is_folder())
            .map(|r| &r.title)
            .collect();
        assert_eq!(folders, ["Item 2", "Manuals"], "{}", local.label);
        // The group lists her folder and link to its members under their ids on her instance,
        // every folder's content with the rest, each in its folder (`context`), as Mobilizon
        // lists a group's resources.
        let signed = Some((alice_key.as_str(), ALICE_KEY));
        let (status, text) = signed_get(&local, "/@club/resources?page=1", signed).await;
        assert_eq!(status, 200, "{}: {text}", local.label);
        let page: Value = serde_json::from_str(&text).expect("JSON");
        let listed: Vec<_> = page["orderedItems"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| {
                let text = |key: &str| item[key].as_str().unwrap_or_default().to_string();
                (text("id"), text("type"), text("context"), text("actor"))
            })
            .collect();
        let ana = format!("{}/@ana", local.base);
        assert_eq!(
            listed,
            [
                (
                    format!("{alice}/resources/2"),
                    "ResourceCollection".into(),
                    top.clone(),
                    alice.clone()
                ),
                (in_folder.clone(), "ResourceCollection".into(), top, ana),
                (hers, "Document".into(), in_folder, alice.clone()),
            ],
            "{text}"
        );
    }
}

/// A group of another instance relays a comment of its discussions to our member (its
/// `Announce` of the embedded `Note`, as groups here send it, the note from a third server):
/// kept, once the group's `members` collection, fetched with her signature, lists the author;
/// kept once when relayed again, its text replaced when relayed edited, forgotten when the group
/// deletes it (not when another group does). A group that does not list the author is refused
/// (403); a group nobody here belongs to is answered and nothing kept. Its resources relayed
/// are answered and nothing kept, nor fetched back from here when made here.
#[tokio::test]
async fn a_group_elsewhere_relays_its_discussions_to_our_member() {
    for scratch in test_urls("inbox_group_elsewhere_relay").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let third = Remote::start().await;
        let club = remote.actor("Group", "@club", "club", ALICE_PUB);
        let other = remote.actor("Group", "@other", "other", BOB_PUB);
        let members = format!("{club}/members");
        remote.amend("@club", "members", json!(members));
        let tom = third.person("tom", BOB_PUB);
        let wanda = third.person("wanda", BOB_PUB);
        let ana = crate::local_profile(&local, "ana").await;
        let member = |actor: &str, role: &str| json!({"type": "Member", "actor": actor, "object": club, "role": role});
        remote.serve(
            "@club/members",
            json!({"id": members, "type": "OrderedCollection", "totalItems": 3,
                   "orderedItems": [member(&ana, "member"), member(&tom, "moderator"),
                                    member(&wanda, "invited")]}),
        );
        ana_member_of(&local, &club, remote.url("inbox")).await;
        let discussion = format!("{club}/c/tools");
        let relay = |group: &str, n: u32, author: &str| {
            let note = json!({
                "id": third.url(&format!("notes/{n}")),
                "type": "Note",
                "attributedTo": author,
                "context": discussion,
                "inReplyTo": discussion,
                "content": "<p>I have a <b>drill</b><script>x()</script></p>",
                "to": [format!("{group}/members")],
            });
            activity("Announce", group, n, note)
        };
        let (club_key, other_key) = (format!("{club}#main-key"), format!("{other}#main-key"));
        let as_club = || signing(&club_key, ALICE_KEY);
        let kept = || async {
            convene_projections::follows::comments_elsewhere(local.db.pool(), &club, 10)
                .await
                .expect("the read model")
        };

        // Wanda is only invited: not a member's comment.
        let (status, text) = post(
            &local,
            "/inbox",
            &bytes(&relay(&club, 1, &wanda)),
            as_club(),
            now(),
        )
        .await;
        assert_eq!(status, 403, "{}: {text}", local.label);
        assert!(text.contains("does not list"), "{text}");
        // Nobody here belongs to the other group: answered, nothing kept.
        let as_other = signing(&other_key, BOB_KEY);
        let (status, text) = post(
            &local,
            "/inbox",
            &bytes(&relay(&other, 2, &tom)),
            as_other,
            now(),
        )
        .await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        assert!(kept().await.is_empty(), "{}", local.label);

        let relayed = relay(&club, 3, &tom);
        let (status, text) = post(&local, "/inbox", &bytes(&relayed), as_club(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let mut found = Vec::new();
        for _ in 0..200 {
            found = kept().await;
            if !found.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(found.len(), 1, "{}", local.label);
        assert_eq!(found[0].note, third.url("notes/3"));
        assert_eq!(found[0].author, tom);
        assert_eq!(found[0].discussion, discussion);
        assert_eq!(found[0].body, "<p>I have a <b>drill</b></p>");
        // The group's members were asked with Ana's signature.
        let asked: Vec<_> = remote
            .asked()
            .into_iter()
            .filter(|(path, _)| path == "/@club/members")
            .collect();
        assert!(!asked.is_empty(), "{}", local.label);
        let signature = asked[0].1["signature"].to_str().expect("ASCII");
        assert!(
            signature.contains(&format!("{ana}#main-key")),
            "{signature}"
        );
        // Relayed again under another Announce: kept once.
        let mut again = relayed.clone();
        again["id"] = json!(remote.url("activities/again"));
        let (status, text) = post(&local, "/inbox", &bytes(&again), as_club(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        assert!(text.contains("already here"), "{text}");
        let log = EventLog::new(&local.db)
            .aggregate(convene_domain::Profile::TYPE, "ana")
            .await
            .expect("the log");
        let received: Vec<_> = log
            .iter()
            .filter(|e| e.event_type == "ProfileGroupCommentReceived")
            .collect();
        assert_eq!(received.len(), 1, "{}", local.label);
        assert!(
            received[0].metadata.contains(&club),
            "{}",
            received[0].metadata
        );

        // Edited on the group's side, relayed again: the text kept is replaced, in its place;
        // the group is not asked again whether its author is a member.
        let members_asked = || {
            remote
                .asked()
                .into_iter()
                .filter(|(path, _)| path == "/@club/members")
                .count()
        };
        let asked_before = members_asked();
        let mut edited = relay(&club, 4, &tom);
        edited["object"] = relayed["object"].clone();
        edited["object"]["content"] = json!("<p>A drill and a saw</p>");
        let (status, text) = post(&local, "/inbox", &bytes(&edited), as_club(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let mut bodies = Vec::new();
        for _ in 0..200 {
            bodies = kept().await.into_iter().map(|c| c.body).collect();
            if bodies == ["<p>A drill and a saw</p>"] {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(bodies, ["<p>A drill and a saw</p>"], "{}", local.label);
        assert_eq!(members_asked(), asked_before, "{}", local.label);

        // Deleted: by another group, nothing happens; by the group, forgotten.
        let note = third.url("notes/3");
        let tombstone = json!({"id": note, "type": "Tombstone", "formerType": "Note"});
        let by_other = activity("Delete", &other, 5, tombstone.clone());
        let as_other = signing(&other_key, BOB_KEY);
        let (status, text) = post(&local, "/inbox", &bytes(&by_other), as_other, now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        assert!(text.contains("nothing here is"), "{text}");
        assert_eq!(kept().await.len(), 1, "{}", local.label);
        let by_club = activity("Delete", &club, 6, tombstone);
        let (status, text) = post(&local, "/inbox", &bytes(&by_club), as_club(), now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        for _ in 0..200 {
            if kept().await.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert!(kept().await.is_empty(), "{}", local.label);

        // The group relays its resources to its members' instances too: ours reads them from
        // the group when shown, so it answers and keeps nothing, and one our member made here
        // (its id ours) is not fetched back from ourselves.
        let resources = format!("{club}/resources");
        for (n, id, by, says) in [
            (
                7,
                format!("{}/activities/ana/3/create/resource", local.base),
                &ana,
                "this instance's own",
            ),
            (
                8,
                format!("{club}/resources/r8"),
                &club,
                "not the resources of a group here",
            ),
        ] {
            let link = json!({
                "id": id, "type": "Document", "name": "Rota", "url": "https://pad.example/rota",
                "context": resources, "actor": by, "attributedTo": club,
            });
            let mut create = activity("Create", &club, n, link);
            create["target"] = json!(resources);
            let (status, text) = post(&local, "/inbox", &bytes(&create), as_club(), now()).await;
            assert_eq!(status, 202, "{}: {text}", local.label);
            assert!(text.contains(says), "{says}: {text}");
        }
    }
}

/// A group of another instance relays its todos to our member as Mobilizon's groups do (its
/// `Create` and `Update` of the `Todo`, `attributedTo` the group, from its own server or a
/// member's): kept as last relayed, once when relayed again unchanged; a todo attributed to
/// another group is refused (403); the group's `Delete` of a list forgets its todos; a group
/// nobody here belongs to is answered, nothing kept.
#[tokio::test]
async fn a_group_elsewhere_relays_its_todos_to_our_member() {
    for scratch in test_urls("inbox_group_elsewhere_todos").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let third = Remote::start().await;
        let club = remote.actor("Group", "@club", "club", ALICE_PUB);
        let other = remote.actor("Group", "@other", "other", BOB_PUB);
        let tom = third.person("tom", BOB_PUB);
        crate::local_profile(&local, "ana").await;
        ana_member_of(&local, &club, remote.url("inbox")).await;
        let (l1, l2) = (format!("{club}/todos/l1"), format!("{club}/todos/l2"));
        let todo = |id: &str, by: &str, list: &str, title: &str, done: bool| {
            json!({"id": id, "type": "Todo", "name": title, "status": done, "todoList": list,
                   "actor": by, "attributedTo": club})
        };
        let (club_key, other_key) = (format!("{club}#main-key"), format!("{other}#main-key"));
        let send = |kind: &str, n: u32, object: Value, by_other: bool| {
            let (actor, key_id, key) = match by_other {
                true => (&other, &other_key, BOB_KEY),
                false => (&club, &club_key, ALICE_KEY),
            };
            let body = activity(kind, actor, n, object);
            let local = &local;
            let signed = signing(key_id, key);
            async move { post(local, "/inbox", &bytes(&body), signed, now()).await }
        };
        let kept = || async {
            convene_projections::follows::todos_elsewhere(local.db.pool(), &club)
                .await
                .expect("the read model")
                .into_iter()
                .map(|t| (t.title, t.done, t.list, t.creator))
                .collect::<Vec<_>>()
        };
        let by_ana = format!("{club}/todos/l1/t1");
        let by_tom = format!("{}/todos/9", third.base);
        let ana_there = remote.url("@ana");
        for (n, object) in [
            (1, todo(&by_ana, &ana_there, &l1, "Scan maps", false)),
            (2, todo(&by_tom, &tom, &l1, "Label boxes", false)),
            (
                3,
                todo(
                    &format!("{club}/todos/l2/t3"),
                    &ana_there,
                    &l2,
                    "Book the hall",
                    false,
                ),
            ),
        ] {
            let (status, text) = send("Create", n, object, false).await;
            assert_eq!(status, 202, "{}: {text}", local.label);
        }
        let (status, text) = send(
            "Update",
            4,
            todo(&by_ana, &ana_there, &l1, "Scan maps", true),
            false,
        )
        .await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let mut seen = Vec::new();
        for _ in 0..200 {
            seen = kept().await;
            if seen.len() == 3 && seen[0].1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(
            seen,
            [
                ("Scan maps".to_string(), true, l1.clone(), ana_there.clone()),
                ("Label boxes".to_string(), false, l1.clone(), tom.clone()),
                (
                    "Book the hall".to_string(),
                    false,
                    l2.clone(),
                    ana_there.clone()
                ),
            ],
            "{}",
            local.label
        );
        // Unchanged: kept once. Another group's todo, or a group nobody here belongs to.
        let (status, text) = send(
            "Update",
            5,
            todo(&by_ana, &ana_there, &l1, "Scan maps", true),
            false,
        )
        .await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        assert!(text.contains("already here"), "{text}");
        let mut theirs = todo(
            &format!("{club}/todos/l1/t6"),
            &ana_there,
            &l1,
            "Theirs",
            false,
        );
        theirs["attributedTo"] = json!(other);
        let (status, text) = send("Create", 6, theirs.clone(), false).await;
        assert_eq!(status, 403, "{}: {text}", local.label);
        assert!(text.contains("is not a todo of"), "{text}");
        theirs["id"] = json!(format!("{other}/todos/7"));
        let (status, text) = send("Create", 7, theirs, true).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        assert!(text.contains("nobody here"), "{text}");

        // The group deletes its first list: its todos are forgotten.
        let (status, text) = send("Delete", 8, json!(l1), false).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        for _ in 0..200 {
            seen = kept().await;
            if seen.len() == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(
            seen,
            [("Book the hall".to_string(), false, l2, ana_there)],
            "{}",
            local.label
        );
    }
}

/// A remote moderator of one of our groups organises an event for it from its own instance, as
/// Mobilizon's members do (its `Create` of an `Event` it organises, `attributedTo` the group):
/// recorded as the group's (the remote actor and the activity in the metadata), listed with the
/// group's events and on its timeline as the remote actor's doing; the group announces it to
/// its other remote members, not back to the organiser's instance, and again once she changes
/// it. A stranger's and a plain member's are refused with the reason, nothing recorded.
#[tokio::test]
async fn a_remote_moderator_organises_an_event_for_our_group() {
    for scratch in test_urls("inbox_remote_group_event").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let third = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let bob = third.person("bob", BOB_PUB);
        let (alice_key, bob_key) = (format!("{alice}#main-key"), format!("{bob}#main-key"));
        let club = open_group(&local, "club").await;
        let for_club = |who: &str, n: u32, title: &str| {
            let mut object = event(who, n, title);
            object["attributedTo"] = json!(club);
            activity("Create", who, 40 + n, object)
        };
        let send = |body: Value, by_bob: bool| {
            let signed = match by_bob {
                true => signing(&bob_key, BOB_KEY),
                false => signing(&alice_key, ALICE_KEY),
            };
            let local = &local;
            async move { post(local, "/inbox", &bytes(&body), signed, now()).await }
        };
        // Bob is no member yet, then a plain member; Alice joins, then is made a moderator.
        let (status, text) = send(for_club(&bob, 1, "Bob's fair"), true).await;
        assert_eq!(status, 404, "{}: {text}", local.label);
        assert!(
            text.contains("not-in-group") || text.contains("not a member"),
            "{text}"
        );
        for (n, (who, by_bob)) in [(&alice, false), (&bob, true)].into_iter().enumerate() {
            let join = activity("Join", who, n as u32 + 1, json!(club));
            let (status, text) = send(join, by_bob).await;
            assert_eq!(status, 202, "{}: {text}", local.label);
            wait_for_role(&local, "club", who, Some(MemberRole::Member)).await;
        }
        let (status, text) = send(for_club(&bob, 2, "Bob's fair"), true).await;
        assert_eq!(status, 403, "{}: {text}", local.label);
        assert!(text.contains("moderator"), "{text}");
        group_command(
            &local,
            "club",
            GroupCommand::ChangeRole {
                by: GroupActor::profile("ana"),
                who: GroupActor::Remote(alice.clone()),
                role: MemberRole::Moderator,
            },
        )
        .await;
        // The group's rule reads its members as the read model has them.
        wait_for_role(&local, "club", &alice, Some(MemberRole::Moderator)).await;
        for n in [1, 2] {
            let object = format!("{}/events/{n}", third.base);
            assert!(shown(&local, &object).await.is_none(), "{}", local.label);
        }

        let create = for_club(&alice, 3, "Map fair");
        let (status, text) = send(create.clone(), false).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let object = create["object"]["id"].as_str().expect("an id").to_string();
        let view = shown(&local, &object).await.expect("imported");
        assert_eq!(
            view.group.as_ref().map(|g| g.handle.as_str()),
            Some("club"),
            "{}",
            local.label
        );
        assert!(view.organiser.starts_with("alice@"), "{}", view.organiser);
        let (_, origin_metadata) = changes(&local, &object)
            .await
            .into_iter()
            .map(|(change, actor, source)| (change, (actor, source)))
            .find(|(change, _)| matches!(change, EventChange::OrganisedByGroup { .. }))
            .expect("recorded as the group's");
        assert_eq!(
            origin_metadata,
            (
                Actor::Remote {
                    actor: alice.clone()
                },
                Source::Federation {
                    activity: create["id"].as_str().expect("an id").to_string()
                }
            )
        );
        let pool = local.db.pool();
        let listed = convene_projections::events::upcoming_of_group(pool, "club", "2000-01-01", 10)
            .await
            .expect("the read model");
        assert_eq!(listed.len(), 1, "{}: {listed:?}", local.label);
        assert_eq!(listed[0].details.title, "Map fair");
        let mut timeline = Vec::new();
        for _ in 0..200 {
            timeline = convene_projections::groups::timeline_of(pool, "club", true, 50, 0)
                .await
                .expect("the timeline");
            if timeline
                .iter()
                .any(|e| e.subject.as_deref() == Some(view.id.as_str()))
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        let entry = timeline
            .iter()
            .find(|e| e.subject.as_deref() == Some(view.id.as_str()))
            .unwrap_or_else(|| panic!("{}: {timeline:?}", local.label));
        assert_eq!(entry.actor, alice, "{}", local.label);

        // The group announces it to Bob's instance, not back to Alice's.
        let out = derived(&local).await;
        let announced: Vec<_> = out
            .iter()
            .filter(|o| o.activity.kind == ActivityKind::Announce)
            .collect();
        assert_eq!(announced.len(), 1, "{}: {out:?}", local.label);
        let announce = serde_json::to_value(&announced[0].activity).expect("JSON");
        assert_eq!(announce["actor"], club.as_str());
        assert_eq!(announce["object"], object.as_str());
        assert_eq!(announce["to"], json!([convene_federation::context::PUBLIC]));
        assert_eq!(announce["cc"], json!([format!("{club}/followers")]));
        assert_eq!(
            announced[0].inboxes,
            [third.url("inbox")],
            "{}",
            local.label
        );
        signed_by_the_group(&local, announced[0], &club).await;

        // Renamed on her instance: the group announces it again, under another id, so that
        // those holding it fetch it anew.
        let mut renamed = for_club(&alice, 3, "Map and print fair")["object"].clone();
        renamed["updated"] = json!("2030-01-02T00:00:00Z");
        let (status, text) = send(activity("Update", &alice, 60, renamed), false).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let out = derived(&local).await;
        let announced: Vec<_> = out
            .iter()
            .filter(|o| o.activity.kind == ActivityKind::Announce)
            .collect();
        assert_eq!(announced.len(), 2, "{}: {out:?}", local.label);
        assert_ne!(announced[0].activity.id, announced[1].activity.id);
        let again = serde_json::to_value(&announced[1].activity).expect("JSON");
        assert_eq!(again["object"], object.as_str());
        assert_eq!(
            announced[1].inboxes,
            [third.url("inbox")],
            "{}",
            local.label
        );
    }
}

/// A group of another instance announces an event one of its members made for it
/// (`attributedTo` the group, organised by the member): fetched from its origin, recorded as
/// the organiser's and as the group's (listed with the group's events here), and announced
/// again once changed, brought up to date as the organiser's change. Its `Announce` of an event
/// that is not attributed to it is recorded as the organiser's alone.
#[tokio::test]
async fn a_group_elsewhere_vouches_for_the_event_its_member_made_for_it() {
    for scratch in test_urls("inbox_group_elsewhere_event").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let club = remote.actor("Group", "@club", "club", ALICE_PUB);
        let bob = remote.person("bob", BOB_PUB);
        let mut made = event(&bob, 1, "Map fair");
        made["attributedTo"] = json!(club);
        remote.serve("events/1", made);
        remote.serve("events/2", event(&bob, 2, "Bob's own"));
        let club_key = format!("{club}#main-key");
        for n in [1, 2] {
            let announce = activity(
                "Announce",
                &club,
                n,
                json!(remote.url(&format!("events/{n}"))),
            );
            let signed = signing(&club_key, ALICE_KEY);
            let (status, text) = post(&local, "/inbox", &bytes(&announce), signed, now()).await;
            assert_eq!(status, 202, "{}: {text}", local.label);
        }
        let handle = format!("club@{}", remote.base.trim_start_matches("http://"));
        let fair = shown(&local, &remote.url("events/1"))
            .await
            .expect("imported");
        assert!(fair.organiser.starts_with("bob@"), "{}", fair.organiser);
        assert_eq!(fair.group.map(|g| g.handle), Some(handle.clone()));
        let own = shown(&local, &remote.url("events/2"))
            .await
            .expect("imported");
        assert_eq!(own.group, None, "{}", local.label);
        let of_the_group = convene_projections::events::EventFilter {
            group: Some(handle),
            limit: 10,
            ..Default::default()
        };
        let listed = convene_projections::events::list_public(local.db.pool(), &of_the_group)
            .await
            .expect("the read model");
        let titles: Vec<_> = listed.iter().map(|e| e.details.title.as_str()).collect();
        assert_eq!(titles, ["Map fair"], "{}", local.label);

        // Renamed by its organiser, announced again by the group: brought up to date as its
        // origin now serves it, as the organiser's change.
        let mut renamed = event(&bob, 1, "Map and print fair");
        renamed["attributedTo"] = json!(club);
        remote.serve("events/1", renamed);
        let again = activity("Announce", &club, 3, json!(remote.url("events/1")));
        let signed = signing(&club_key, ALICE_KEY);
        let (status, text) = post(&local, "/inbox", &bytes(&again), signed, now()).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let fair = shown(&local, &remote.url("events/1")).await.expect("kept");
        assert_eq!(fair.details.title, "Map and print fair", "{}", local.label);
        let (_, by) = changes(&local, &remote.url("events/1"))
            .await
            .into_iter()
            .map(|(change, actor, _)| (change, actor))
            .find(|(change, _)| matches!(change, EventChange::Updated { .. }))
            .expect("updated");
        assert_eq!(by, Actor::Remote { actor: bob.clone() }, "{}", local.label);
    }
}

/// A group of another instance sends its own event addressed to its `members` alone: kept here
/// for the members of that group (its link says so), never listed publicly; opened to everyone
/// by a later `Update`, it is listed with the group's events; kept to the members again, it is
/// not.
#[tokio::test]
async fn a_group_elsewhere_keeps_its_event_to_its_members_here() {
    for scratch in test_urls("inbox_group_elsewhere_members_event").await {
        let local = Local::start(&scratch).await;
        let remote = Remote::start().await;
        let club = remote.actor("Group", "@club", "club", ALICE_PUB);
        let club_key = format!("{club}#main-key");
        let handle = format!("club@{}", remote.base.trim_start_matches("http://"));
        let meeting = |n: u32, for_members: bool| {
            let mut made = event(&club, 1, "Members' meeting");
            let members = json!([format!("{club}/members")]);
            let public = json!([convene_federation::context::PUBLIC]);
            made["to"] = if for_members { members } else { public };
            activity(if n == 1 { "Create" } else { "Update" }, &club, n, made)
        };
        let of_the_group = convene_projections::events::EventFilter {
            group: Some(handle.clone()),
            limit: 10,
            ..Default::default()
        };
        let listed = || async {
            convene_projections::events::list_public(local.db.pool(), &of_the_group)
                .await
                .expect("the read model")
                .len()
        };
        for (n, for_members) in [(1, true), (2, false), (3, true)] {
            let signed = signing(&club_key, ALICE_KEY);
            let body = bytes(&meeting(n, for_members));
            let (status, text) = post(&local, "/inbox", &body, signed, now()).await;
            assert_eq!(status, 202, "{}: {n}: {text}", local.label);
            let kept = shown(&local, &format!("{club}/events/1"))
                .await
                .expect("imported");
            let group = kept.group.expect("the group's");
            assert_eq!(
                (group.handle.as_str(), group.members_only),
                (handle.as_str(), for_members),
                "{}: {n}",
                local.label
            );
            let publicly = if for_members { 0 } else { 1 };
            assert_eq!(listed().await, publicly, "{}: {n}", local.label);
        }
    }
}

/// Our open group `club` with Alice, on a remote server, as its member, and Bob, on the same
/// server, a stranger to it.
struct WithMember {
    local: Local,
    remote: Remote,
    alice: String,
    bob: String,
    club: String,
}

impl WithMember {
    async fn start(scratch: &convene_projections::scratch::Scratch) -> Self {
        let local = Local::start(scratch).await;
        let remote = Remote::start().await;
        let alice = remote.person("alice", ALICE_PUB);
        let bob = remote.person("bob", BOB_PUB);
        let club = open_group(&local, "club").await;
        let scene = Self {
            local,
            remote,
            alice,
            bob,
            club,
        };
        let join = activity("Join", &scene.alice, 1, json!(scene.club));
        let (status, text) = scene.send(join, false).await;
        assert_eq!(status, 202, "{}: {text}", scene.local.label);
        wait_for_role(&scene.local, "club", &scene.alice, Some(MemberRole::Member)).await;
        scene
    }

    /// Ana's folder "Manuals" (`f1`) and link "Rota" (`l1`) at the top of the club's resources.
    async fn manuals_and_rota(&self) {
        for (resource, content) in [
            ("f1", ResourceContent::folder("Manuals")),
            (
                "l1",
                ResourceContent::link(ResourceKind::Link, "Rota", "https://pad.example/rota"),
            ),
        ] {
            let add = GroupCommand::AddResource {
                by: GroupActor::profile("ana"),
                resource: resource.into(),
                parent: None,
                content,
                object: None,
            };
            group_command(&self.local, "club", add).await;
        }
    }

    /// Posts `body` to our shared inbox, signed by Bob, or else by Alice.
    async fn send(&self, body: Value, by_bob: bool) -> (u16, String) {
        let (actor, key) = match by_bob {
            true => (&self.bob, BOB_KEY),
            false => (&self.alice, ALICE_KEY),
        };
        let key_id = format!("{actor}#main-key");
        let signed = signing(&key_id, key);
        post(&self.local, "/inbox", &bytes(&body), signed, now()).await
    }
}

/// A remote member changes and deletes resources of one of our groups as Mobilizon's members
/// do: its `Update` of a `Document` renames it, gives it another address and moves it to the
/// folder its `context` names — one it added from its instance, or one added here (embedded
/// with our own address, taken as its request) — and its `Delete` (by id, or of a `Tombstone`)
/// removes it. A stranger's, and a move to a folder that does not exist, are refused, nothing
/// changed.
#[tokio::test]
async fn a_remote_member_changes_and_deletes_resources_of_ours() {
    for scratch in test_urls("inbox_remote_resource_changes").await {
        let scene = WithMember::start(&scratch).await;
        let (local, club) = (&scene.local, &scene.club);
        let (alice, bob) = (&scene.alice, &scene.bob);
        let send = |body: Value, by_bob: bool| scene.send(body, by_bob);
        scene.manuals_and_rota().await;
        let top = format!("{club}/resources");
        let in_f1 = format!("{top}/f1");
        // As Mobilizon writes it: `actor` the member who added it.
        let document = |id: &str, name: &str, url: &str, context: &str| {
            let added_by = match id.starts_with(club.as_str()) {
                true => format!("{}/@ana", local.base),
                false => alice.clone(),
            };
            json!({
                "id": id, "type": "Document", "name": name, "url": url,
                "context": context, "actor": added_by, "attributedTo": club,
            })
        };
        let hers = format!("{alice}/resources/1");
        let mut create = activity(
            "Create",
            alice,
            2,
            document(&hers, "Drill", "https://docs.example/drill.pdf", &top),
        );
        create["target"] = json!(top);
        let (status, text) = send(create, false).await;
        assert_eq!(status, 202, "{}: {text}", local.label);

        // Refused, nothing changed: a stranger's update, a move into a folder that is not there.
        let length = log_length(local, "club").await;
        let renamed = document(
            &hers,
            "Drill, second edition",
            "https://docs.example/drill-2.pdf",
            &in_f1,
        );
        for (body, by_bob, status) in [
            (activity("Update", bob, 3, renamed.clone()), true, 403),
            (
                activity(
                    "Update",
                    alice,
                    4,
                    document(
                        &hers,
                        "Drill",
                        "https://docs.example/drill.pdf",
                        &format!("{top}/nothing"),
                    ),
                ),
                false,
                422,
            ),
        ] {
            let (got, text) = send(body.clone(), by_bob).await;
            assert_eq!(got, status, "{}: {body}: {text}", local.label);
        }
        assert_eq!(log_length(local, "club").await, length, "{}", local.label);

        // Hers renamed, readdressed and moved into the folder; ours renamed where it is.
        let ours = format!("{top}/l1");
        for (n, object) in [
            (5, renamed),
            (
                6,
                document(
                    &ours,
                    "Rota for June",
                    "https://pad.example/rota-june",
                    &top,
                ),
            ),
        ] {
            let (status, text) = send(activity("Update", alice, n, object), false).await;
            assert_eq!(status, 202, "{}: {text}", local.label);
        }
        let pool = local.db.pool();
        let titles = |parent: Option<&'static str>| async move {
            convene_projections::group_resources::children(pool, "club", parent)
                .await
                .expect("the read model")
                .into_iter()
                .map(|r| (r.title, r.url))
                .collect::<Vec<_>>()
        };
        let mut seen = (Vec::new(), Vec::new());
        for _ in 0..200 {
            seen = (titles(Some("f1")).await, titles(None).await);
            if seen.0.len() == 1 && seen.1.iter().any(|(t, _)| t == "Rota for June") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        let drill = (
            "Drill, second edition".to_string(),
            Some("https://docs.example/drill-2.pdf".to_string()),
        );
        assert_eq!(seen.0, [drill], "{}", local.label);
        let rota = (
            "Rota for June".to_string(),
            Some("https://pad.example/rota-june".to_string()),
        );
        assert_eq!(
            seen.1,
            [("Manuals".to_string(), None), rota],
            "{}",
            local.label
        );

        // Deleted: ours by id, hers as a Tombstone.
        let tombstone = json!({"id": hers, "type": "Tombstone"});
        for (n, object) in [(7, json!(ours)), (8, tombstone)] {
            let (status, text) = send(activity("Delete", alice, n, object), false).await;
            assert_eq!(status, 202, "{}: {text}", local.label);
        }
        for _ in 0..200 {
            seen = (titles(Some("f1")).await, titles(None).await);
            if seen.0.is_empty() && seen.1.len() == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(
            seen,
            (vec![], vec![("Manuals".to_string(), None)]),
            "{}",
            local.label
        );
    }
}

/// A Mobilizon member adds into and moves between one of our groups' folders as Mobilizon sends
/// it (its `lib/federation/activity_pub/utils.ex`, `make_add_data` and `make_move_data`; its
/// `types/resources.ex`): an `Add` of its `Document` with the folder as `target`; a `Move` of a
/// link made here, the object's `context` where it goes, `origin` and `target` the folders (none
/// at the top), its id the object's own followed by `/move` — on our origin, not the member's:
/// believed as the member's, and the same id moving it back is applied again. Its `Update`
/// named after the object (`/activity`) renames it. A stranger's move is refused (403), a move
/// into a folder that is not there too (422), and an id named after an object elsewhere than
/// the object sent (403): nothing changed.
#[tokio::test]
async fn a_mobilizon_member_adds_into_and_moves_between_our_folders() {
    for scratch in test_urls("inbox_remote_resource_moves").await {
        let scene = WithMember::start(&scratch).await;
        let (local, club) = (&scene.local, &scene.club);
        let (alice, bob) = (&scene.alice, &scene.bob);
        let send = |body: Value, by_bob: bool| scene.send(body, by_bob);
        scene.manuals_and_rota().await;
        let (top, members) = (format!("{club}/resources"), format!("{club}/members"));
        let in_f1 = format!("{top}/f1");
        let ours = format!("{top}/l1");
        let document = |id: &str, name: &str, context: &str, by: &str| {
            json!({
                "id": id, "type": "Document", "name": name, "url": "https://pad.example/rota",
                "summary": null, "context": context, "actor": by, "attributedTo": club,
            })
        };
        // Mobilizon's `Add`: the object's id and `/add`, `target` the folder.
        let hers = format!("{alice}/resources/7");
        let add = json!({
            "type": "Add", "id": format!("{hers}/add"), "actor": alice,
            "object": document(&hers, "Drill", &in_f1, alice), "target": in_f1,
            "to": [members], "cc": [],
        });
        let (status, text) = send(add, false).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        // Mobilizon's `Move` of a link made here: named after it, on our origin.
        let moving = |to: &str, by: &str| {
            let target = if to == top { Value::Null } else { json!(to) };
            let origin = if to == top { json!(in_f1) } else { Value::Null };
            json!({
                "type": "Move", "id": format!("{ours}/move"), "actor": by,
                "object": document(&ours, "Rota", to, &format!("{}/@ana", local.base)),
                "origin": origin, "target": target, "to": [members], "cc": [],
            })
        };
        let pool = local.db.pool();
        let titles = |parent: Option<&'static str>| async move {
            convene_projections::group_resources::children(pool, "club", parent)
                .await
                .expect("the read model")
                .into_iter()
                .map(|r| r.title)
                .collect::<Vec<_>>()
        };
        let named = |in_f1: &[&str], at_top: &[&str]| {
            let owned = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
            (owned(in_f1), owned(at_top))
        };
        let settled = |want: (Vec<String>, Vec<String>)| async move {
            let mut seen = (Vec::new(), Vec::new());
            for _ in 0..200 {
                seen = (titles(Some("f1")).await, titles(None).await);
                if seen == want {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            seen
        };
        let (status, text) = send(moving(&in_f1, alice), false).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let want = named(&["Drill", "Rota"], &["Manuals"]);
        assert_eq!(settled(want.clone()).await, want, "{}", local.label);

        // Refused, nothing changed.
        let length = log_length(local, "club").await;
        // Named after another of our objects than the one it sends.
        let mut elsewhere = moving(&top, alice);
        elsewhere["id"] = json!(format!("{in_f1}/move"));
        let nowhere = moving(&format!("{top}/nothing"), alice);
        for (body, by_bob, status, says) in [
            (moving(&top, bob), true, 403, "member"),
            (nowhere, false, 422, "folder"),
            (elsewhere, false, 403, "origin"),
        ] {
            let (got, text) = send(body.clone(), by_bob).await;
            assert_eq!(got, status, "{}: {body}: {text}", local.label);
            assert!(text.contains(says), "{says}: {text}");
        }
        assert_eq!(log_length(local, "club").await, length, "{}", local.label);

        // The same id moves it back to the top; an `Update` named after it renames it.
        let (status, text) = send(moving(&top, alice), false).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let mut renamed = document(&ours, "Rota for July", &top, alice);
        renamed["actor"] = json!(format!("{}/@ana", local.base));
        let update = json!({
            "type": "Update", "id": format!("{ours}/activity"), "actor": alice,
            "object": renamed, "to": [members], "cc": [],
        });
        let (status, text) = send(update, false).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        let want = named(&["Drill"], &["Manuals", "Rota for July"]);
        assert_eq!(settled(want.clone()).await, want, "{}", local.label);
    }
}

/// A remote member works on one of our groups' todos as Mobilizon's members do: its `Create` of
/// a `TodoList` (the group as `actor`) and of `Todo`s (in that list, or one made here), its
/// `Update` of a todo made here (embedded with our own address, taken as its request: done),
/// its `Delete` of its list (by id, the list's todos with it) — each by the group's rules. A
/// stranger's todo and one in a list no group here holds are refused, nothing changed.
#[tokio::test]
async fn a_remote_member_works_on_our_groups_todos() {
    for scratch in test_urls("inbox_remote_todos").await {
        let scene = WithMember::start(&scratch).await;
        let (local, remote, club) = (&scene.local, &scene.remote, &scene.club);
        let (alice, bob) = (&scene.alice, &scene.bob);
        let send = |body: Value, by_bob: bool| scene.send(body, by_bob);
        let ana = GroupActor::profile("ana");
        for command in [
            GroupCommand::CreateTodoList {
                by: ana.clone(),
                list: "l1".into(),
                title: "Before the fair".into(),
                object: None,
            },
            GroupCommand::AddTodo {
                by: ana.clone(),
                list: "l1".into(),
                todo: "t1".into(),
                content: TodoContent {
                    title: "Print leaflets".into(),
                    due_on: None,
                    assignee: None,
                    done: false,
                },
                object: None,
            },
        ] {
            group_command(local, "club", command).await;
        }
        let ours = format!("{club}/todos/l1");
        let her_list = remote.url("todo-lists/1");
        let todo = |id: &str, by: &str, list: &str, name: &str, done: bool| {
            json!({
                "type": "Todo", "id": id, "actor": by, "attributedTo": club,
                "name": name, "status": done, "todoList": list,
            })
        };

        // Refused, nothing changed: a stranger's todo, a todo in a list nobody here holds.
        let length = log_length(local, "club").await;
        for (body, by_bob, status) in [
            (
                activity(
                    "Create",
                    bob,
                    2,
                    todo(&remote.url("todos/9"), bob, &ours, "Sneak", false),
                ),
                true,
                403,
            ),
            (
                activity(
                    "Create",
                    alice,
                    3,
                    todo(
                        &remote.url("todos/8"),
                        alice,
                        &format!("{club}/todos/nope"),
                        "Lost",
                        false,
                    ),
                ),
                false,
                404,
            ),
        ] {
            let (got, text) = send(body.clone(), by_bob).await;
            assert_eq!(got, status, "{}: {body}: {text}", local.label);
        }
        assert_eq!(log_length(local, "club").await, length, "{}", local.label);

        // Her list and todos, and ours done.
        let list = json!({"type": "TodoList", "id": her_list, "actor": club, "name": "Map fair"});
        let mut assigned = todo(&remote.url("todos/1"), alice, &ours, "Book the hall", false);
        assigned["dueDate"] = json!("2030-06-01");
        assigned["assignedTo"] = json!(alice);
        let done = todo(
            &format!("{ours}/t1"),
            &format!("{}/@ana", local.base),
            &ours,
            "Print leaflets",
            true,
        );
        for (n, body) in [
            (4, activity("Create", alice, 4, list)),
            (5, activity("Create", alice, 5, assigned)),
            (
                6,
                activity(
                    "Create",
                    alice,
                    6,
                    todo(
                        &remote.url("todos/2"),
                        alice,
                        &her_list,
                        "Bring maps",
                        false,
                    ),
                ),
            ),
            (7, activity("Update", alice, 7, done)),
        ] {
            let (status, text) = send(body, false).await;
            assert_eq!(status, 202, "{}: {n}: {text}", local.label);
        }
        let pool = local.db.pool();
        let read = || async {
            convene_projections::group_todos::of_group(pool, "club")
                .await
                .expect("the read model")
                .into_iter()
                .map(|l| {
                    let todos = l
                        .todos
                        .into_iter()
                        .map(|t| (t.title, t.done, t.due_on, t.assignee));
                    (l.title, todos.collect::<Vec<_>>())
                })
                .collect::<Vec<_>>()
        };
        let expected = vec![
            (
                "Before the fair".to_string(),
                vec![
                    ("Print leaflets".to_string(), true, None, None),
                    (
                        "Book the hall".to_string(),
                        false,
                        Some("2030-06-01".to_string()),
                        Some(alice.clone()),
                    ),
                ],
            ),
            (
                "Map fair".to_string(),
                vec![("Bring maps".to_string(), false, None, None)],
            ),
        ];
        let mut seen = Vec::new();
        for _ in 0..200 {
            seen = read().await;
            if seen == expected {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(seen, expected, "{}", local.label);
        // Hers keep the ids they have on her instance, which the group relays them under.
        let lists = convene_projections::group_todos::of_group(pool, "club")
            .await
            .expect("the read model");
        let objects: Vec<_> = lists
            .iter()
            .map(|l| {
                let todos: Vec<_> = l.todos.iter().map(|t| t.object.clone()).collect();
                (l.object.clone(), todos)
            })
            .collect();
        assert_eq!(
            objects,
            vec![
                (None, vec![None, Some(remote.url("todos/1"))]),
                (Some(her_list.clone()), vec![Some(remote.url("todos/2"))]),
            ],
            "{}",
            local.label
        );

        // Her list deleted, with its todo.
        let (status, text) = send(activity("Delete", alice, 8, json!(her_list)), false).await;
        assert_eq!(status, 202, "{}: {text}", local.label);
        for _ in 0..200 {
            seen = read().await;
            if seen.len() == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(seen, expected[..1], "{}", local.label);
    }
}

/// The group's own resources, todo lists, todos, discussion comments and members-only events
/// are served one by one at their addresses, in the shapes the group relays them, to its
/// members' signed fetches only (unsigned 401, a stranger 403); a deleted one as its
/// `Tombstone` with 410; what a member made on their instance has its id there, not here (404).
#[tokio::test]
async fn our_groups_objects_are_served_one_by_one_to_members_signed_fetches() {
    for scratch in test_urls("inbox_group_objects").await {
        let scene = WithMember::start(&scratch).await;
        let (local, club, alice) = (&scene.local, &scene.club, &scene.alice);
        let ana = || GroupActor::profile("ana");
        for command in [
            GroupCommand::AddResource {
                by: ana(),
                resource: "f1".into(),
                parent: None,
                content: ResourceContent::folder("Manuals"),
                object: None,
            },
            GroupCommand::AddResource {
                by: ana(),
                resource: "r1".into(),
                parent: Some("f1".into()),
                content: ResourceContent::link(ResourceKind::Pad, "Rota", "https://pad.example/r"),
                object: None,
            },
            GroupCommand::CreateTodoList {
                by: ana(),
                list: "l1".into(),
                title: "Before the fair".into(),
                object: None,
            },
            GroupCommand::AddTodo {
                by: ana(),
                list: "l1".into(),
                todo: "t1".into(),
                content: TodoContent {
                    title: "Print leaflets".into(),
                    due_on: Some("2030-05-01".into()),
                    assignee: None,
                    done: false,
                },
                object: None,
            },
            GroupCommand::StartDiscussion {
                by: ana(),
                discussion: "d1".into(),
                title: "Fair".into(),
                comment: "c1".into(),
                body: "<p>Who brings chairs?</p>".into(),
            },
        ] {
            group_command(local, "club", command).await;
        }
        // Alice adds a link from her instance: its id is hers.
        let hers = scene.remote.url("resources/7");
        let link = json!({
            "id": hers, "type": "Document", "name": "Map", "url": "https://maps.example/m",
            "context": format!("{club}/resources"), "actor": alice, "attributedTo": club,
        });
        let (status, text) = scene.send(activity("Create", alice, 2, link), false).await;
        assert_eq!(status, 202, "{}: {text}", local.label);

        let alice_key = format!("{alice}#main-key");
        let bob_key = format!("{}#main-key", scene.bob);
        let as_alice = Some((alice_key.as_str(), ALICE_KEY));
        let fetch = |path: &str| {
            let path = path.to_string();
            async move {
                let (status, text) = signed_get(local, &path, as_alice).await;
                let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                (status, json, text)
            }
        };
        let (status, folder, text) = fetch("/@club/resources/f1").await;
        assert_eq!(status, 200, "{}: {text}", local.label);
        assert_eq!(
            (&folder["id"], &folder["type"], &folder["name"]),
            (
                &json!(format!("{club}/resources/f1")),
                &json!("ResourceCollection"),
                &json!("Manuals")
            )
        );
        assert_eq!(folder["context"], format!("{club}/resources"));
        let (status, pad, text) = fetch("/@club/resources/r1").await;
        assert_eq!(status, 200, "{}: {text}", local.label);
        assert_eq!(pad["type"], "Document");
        assert_eq!(pad["url"], "https://pad.example/r");
        assert_eq!(pad["context"], format!("{club}/resources/f1"));
        assert_eq!(pad["attributedTo"], club.as_str());
        assert_eq!(pad["actor"], format!("{}/@ana", local.base));
        let (status, list, text) = fetch("/@club/todos/l1").await;
        assert_eq!(status, 200, "{}: {text}", local.label);
        assert_eq!(
            (&list["type"], &list["name"]),
            (&json!("TodoList"), &json!("Before the fair"))
        );
        let (status, todo, text) = fetch("/@club/todos/l1/t1").await;
        assert_eq!(status, 200, "{}: {text}", local.label);
        assert_eq!(todo["id"], format!("{club}/todos/l1/t1"));
        assert_eq!(todo["todoList"], format!("{club}/todos/l1"));
        assert_eq!(
            (&todo["status"], &todo["dueDate"]),
            (&json!(false), &json!("2030-05-01"))
        );
        group_event(local, "e1", "club", "Members' meeting", true).await;
        let (status, event, text) = fetch("/events/e1").await;
        assert_eq!(status, 200, "{}: {text}", local.label);
        assert_eq!(event["name"], "Members' meeting");
        assert_eq!(event["to"], json!([format!("{club}/members")]));
        let (status, note, text) = fetch("/@club/c/d1/c1").await;
        assert_eq!(status, 200, "{}: {text}", local.label);
        assert_eq!(note["type"], "Note");
        assert_eq!(note["content"], "<p>Who brings chairs?</p>");
        assert_eq!(note["context"], format!("{club}/c/d1"));
        assert_eq!(note["to"], json!([format!("{club}/members")]));
        // The discussion itself, as Mobilizon serves one: a Note named by its title, its own
        // address as context, its latest comment's text, who started it.
        let (status, discussion, text) = fetch("/@club/c/d1").await;
        assert_eq!(status, 200, "{}: {text}", local.label);
        assert_eq!(discussion["type"], "Note");
        assert_eq!(discussion["id"], format!("{club}/c/d1"));
        assert_eq!(discussion["name"], "Fair");
        assert_eq!(discussion["context"], format!("{club}/c/d1"));
        assert_eq!(discussion["content"], "<p>Who brings chairs?</p>");
        assert_eq!(discussion["actor"], format!("{}/@ana", local.base));
        assert_eq!(discussion["attributedTo"], club.as_str());

        // Nothing of ours: a todo under another list, an unknown id, and Alice's link (whose
        // id is on her instance).
        let derived = convene_projections::group_resources::children(local.db.pool(), "club", None)
            .await
            .expect("the read model");
        let alices = derived
            .iter()
            .find(|r| r.object.as_deref() == Some(hers.as_str()))
            .map(|r| r.id.clone())
            .expect("her link is kept");
        for path in [
            "/@club/todos/l2/t1".to_string(),
            "/@club/resources/nope".to_string(),
            "/@club/c/nope".to_string(),
            format!("/@club/resources/{alices}"),
        ] {
            let (status, _, text) = fetch(&path).await;
            assert_eq!(status, 404, "{}: {path}: {text}", local.label);
        }
        // Unsigned: 401; Bob, no member: 403.
        for path in ["/@club/resources/f1", "/events/e1", "/@club/c/d1"] {
            let (status, _) = signed_get(local, path, None).await;
            assert_eq!(status, 401, "{}: {path}", local.label);
            let (status, _) = signed_get(local, path, Some((&bob_key, BOB_KEY))).await;
            assert_eq!(status, 403, "{}: {path}", local.label);
        }
        let (status, text) =
            signed_get(local, "/@club/todos/l1/t1", Some((&bob_key, BOB_KEY))).await;
        assert_eq!(status, 403, "{}: {text}", local.label);

        // Deleted, with what the folder held: tombstones, 410.
        let delete = GroupCommand::DeleteResource {
            by: ana(),
            resource: "f1".into(),
        };
        group_command(local, "club", delete).await;
        let delete = GroupCommand::DeleteDiscussionComment {
            by: ana(),
            discussion: "d1".into(),
            comment: "c1".into(),
        };
        group_command(local, "club", delete).await;
        let (status, discussion, text) = fetch("/@club/c/d1").await;
        assert_eq!(status, 200, "{}: {text}", local.label);
        assert_eq!(
            discussion["name"], "Fair",
            "a deleted comment leaves its discussion"
        );
        let delete = GroupCommand::DeleteDiscussion {
            by: ana(),
            discussion: "d1".into(),
        };
        group_command(local, "club", delete).await;
        for (path, former) in [
            ("/@club/resources/f1", "ResourceCollection"),
            ("/@club/resources/r1", "Document"),
            ("/@club/c/d1/c1", "Note"),
            ("/@club/c/d1", "Note"),
        ] {
            let (status, gone, text) = fetch(path).await;
            assert_eq!(status, 410, "{}: {path}: {text}", local.label);
            assert_eq!(
                (&gone["type"], &gone["formerType"]),
                (&json!("Tombstone"), &json!(former))
            );
            assert_eq!(gone["id"], format!("{}{path}", local.base));
        }
    }
}

/// Replies to a members-only event of our group come from its members alone: Alice's is kept;
/// Bob's (no member) is taken as a reply to nothing here (202, ignored), nothing kept.
#[tokio::test]
async fn only_members_reply_to_our_groups_members_only_event() {
    for scratch in test_urls("inbox_members_only_replies").await {
        let scene = WithMember::start(&scratch).await;
        let local = &scene.local;
        group_event(local, "e1", "club", "Members' meeting", true).await;
        let event = format!("{}/events/e1", local.base);
        for (by_bob, n) in [(true, 1), (false, 2)] {
            let author = if by_bob { &scene.bob } else { &scene.alice };
            let reply = json!({
                "id": format!("{author}/statuses/{n}"), "type": "Note", "attributedTo": author,
                "inReplyTo": event, "content": "<p>I'll be there</p>",
                "to": [format!("{}/members", scene.club)],
            });
            let (status, text) = scene
                .send(activity("Create", author, 10 + n, reply), by_bob)
                .await;
            assert_eq!(status, 202, "{}: {text}", local.label);
            assert_eq!(
                text.contains("nothing here to reply to"),
                by_bob,
                "{}: {text}",
                local.label
            );
        }
        let comments = convene_projections::events::comments(local.db.pool(), "e1")
            .await
            .expect("comments");
        let authors: Vec<_> = comments.iter().map(|c| c.author.clone()).collect();
        let host = scene.remote.base.trim_start_matches("http://");
        assert_eq!(authors, [format!("alice@{host}")], "{}", local.label);
    }
}
