//! Groups over real HTTP: handles shared with profiles, members and roles, invitations and
//! requests, the last administrator, followers, and bad input that writes nothing.

use crate::servers;
use crate::support::{member, profile, Client, Response, TestServer};
use serde_json::{json, Value};

async fn group(client: &Client, handle: &str, extra: Value) -> Value {
    let mut body = json!({"handle": handle, "display_name": "Repair café"});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    let created = client.post("/api/v1/groups", body).await;
    assert_eq!(created.status, 201, "create @{handle}: {}", created.text);
    created.json
}

pub(crate) fn kind(response: &Response) -> &str {
    response.json["type"].as_str().unwrap_or_default()
}

pub(crate) fn fields(response: &Response) -> Vec<String> {
    response.json["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `(member, role)` of a member list.
fn roles(response: &Response) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = response
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
    found.sort();
    found
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = list
        .iter()
        .map(|(m, r)| (m.to_string(), r.to_string()))
        .collect();
    found.sort();
    found
}

/// Ana (creator of a moderated @repair), bob, cy and dee, each with a profile of that name.
pub(crate) async fn cast(server: &TestServer) -> (Client, Client, Client, Client) {
    let mut people = Vec::new();
    for name in ["ana", "bob", "cy", "dee"] {
        let client = member(server, &format!("{name}@example.org")).await;
        profile(&client, name).await;
        people.push(client);
    }
    let dee = people.pop().expect("dee");
    let cy = people.pop().expect("cy");
    let bob = people.pop().expect("bob");
    let ana = people.pop().expect("ana");
    group(
        &ana,
        "repair",
        json!({"summary": "<p>We fix <script>x()</script>things</p>"}),
    )
    .await;
    (ana, bob, cy, dee)
}

#[tokio::test]
async fn a_group_takes_a_handle_no_profile_or_group_has() {
    for (_db, server) in servers("group_handles").await {
        let (ana, bob, _, _) = cast(&server).await;
        let shown = server.client().get("/api/v1/groups/repair").await;
        assert_eq!(shown.status, 200, "{}", shown.text);
        assert_eq!(shown.json["display_name"], "Repair café");
        assert_eq!(shown.json["summary"], "<p>We fix things</p>");
        assert_eq!(shown.json["openness"], "moderated");
        assert_eq!(shown.json["member_count"], 1);
        let mine = ana.get("/api/v1/me/groups").await;
        assert_eq!(roles(&mine), pairs(&[("@ana", "creator")]));

        let head = server.head().await;
        // A profile's username, a group's handle, a reserved or malformed one: refused, named.
        let as_profile = bob
            .post("/api/v1/profiles", json!({"username": "repair"}))
            .await;
        assert_eq!(as_profile.status, 409, "{}", as_profile.text);
        assert_eq!(fields(&as_profile), ["username"]);
        for (handle, status) in [
            ("repair", 409),
            ("bob", 409),
            ("admin", 422),
            ("Bad Handle", 422),
        ] {
            let refused = bob
                .post(
                    "/api/v1/groups",
                    json!({"handle": handle, "display_name": "X"}),
                )
                .await;
            assert_eq!(refused.status, status, "{handle}: {}", refused.text);
            assert_eq!(refused.content_type, "application/problem+json");
            assert_eq!(fields(&refused), ["handle"], "{handle}");
        }
        let oversized = bob
            .post(
                "/api/v1/groups",
                json!({"handle": "big", "display_name": "x".repeat(101), "summary": "y".repeat(5001)}),
            )
            .await;
        assert_eq!(oversized.status, 422);
        assert_eq!(fields(&oversized), ["display_name", "summary"]);
        assert_eq!(
            server.head().await,
            head,
            "{}: nothing written",
            server.label
        );

        let unknown = server.client().get("/api/v1/groups/nobody").await;
        assert_eq!(unknown.status, 404);
        let listed = server.client().get("/api/v1/groups").await;
        assert_eq!(listed.json.as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test]
async fn requests_invitations_and_roles_follow_the_rules() {
    for (_db, server) in servers("group_members").await {
        let (ana, bob, cy, dee) = cast(&server).await;

        // Bob asks to join the moderated group; a member cannot decide, a moderator can.
        let asked = bob
            .post(
                "/api/v1/groups/repair/members",
                json!({"message": "I fix lamps"}),
            )
            .await;
        assert_eq!(asked.status, 201, "{}", asked.text);
        assert_eq!(asked.json["role"], "not_approved");
        let again = bob.post("/api/v1/groups/repair/members", json!({})).await;
        assert_eq!(
            (again.status, kind(&again)),
            (409, "/problems/already-in-group")
        );
        let approved = ana
            .post(
                "/api/v1/groups/repair/members/bob/approve",
                json!({"reason": "welcome"}),
            )
            .await;
        assert_eq!(approved.status, 200, "{}", approved.text);
        assert_eq!(approved.json["role"], "member");

        // Members need a moderator to invite or answer requests.
        let not_allowed = bob
            .post(
                "/api/v1/groups/repair/invitations",
                json!({"username": "cy"}),
            )
            .await;
        assert_eq!(not_allowed.status, 403);
        assert_eq!(kind(&not_allowed), "/problems/moderator-needed");
        assert!(not_allowed.json["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("moderator"));

        // Ana invites cy (once), who accepts; an invitation to nobody names the field.
        let invited = ana
            .post(
                "/api/v1/groups/repair/invitations",
                json!({"username": "cy"}),
            )
            .await;
        assert_eq!(
            (invited.status, invited.json["role"].as_str()),
            (201, Some("invited"))
        );
        let twice = ana
            .post(
                "/api/v1/groups/repair/invitations",
                json!({"username": "cy"}),
            )
            .await;
        assert_eq!(
            (twice.status, kind(&twice)),
            (409, "/problems/already-in-group")
        );
        let nobody = ana
            .post(
                "/api/v1/groups/repair/invitations",
                json!({"username": "ghost"}),
            )
            .await;
        assert_eq!(
            (nobody.status, fields(&nobody)),
            (422, vec!["username".to_string()])
        );
        let accepted = cy
            .post("/api/v1/groups/repair/invitations/mine/accept", json!({}))
            .await;
        assert_eq!(accepted.json["role"], "member", "{}", accepted.text);

        // Dee asks and withdraws: the request can no longer be approved.
        dee.post("/api/v1/groups/repair/members", json!({})).await;
        let withdrawn = dee.delete("/api/v1/groups/repair/members/mine").await;
        assert_eq!(withdrawn.status, 204);
        let too_late = ana
            .post("/api/v1/groups/repair/members/dee/approve", json!({}))
            .await;
        assert_eq!(
            (too_late.status, kind(&too_late)),
            (409, "/problems/no-pending-request")
        );
        assert!(too_late.text.contains("withdrawn"), "{}", too_late.text);
        dee.post("/api/v1/groups/repair/members", json!({"message": "again"}))
            .await;

        // Members see members; moderators also see requests, with their messages.
        let seen_by_bob = bob.get("/api/v1/groups/repair/members").await;
        assert_eq!(
            roles(&seen_by_bob),
            pairs(&[("@ana", "creator"), ("@bob", "member"), ("@cy", "member")])
        );
        assert!(!seen_by_bob.text.contains("again"));
        let seen_by_ana = ana.get("/api/v1/groups/repair/members").await;
        assert_eq!(
            roles(&seen_by_ana),
            pairs(&[
                ("@ana", "creator"),
                ("@bob", "member"),
                ("@cy", "member"),
                ("@dee", "not_approved")
            ])
        );
        assert!(seen_by_ana.text.contains("again"));
        let outsider = dee.get("/api/v1/groups/repair/members").await;
        assert_eq!(
            (outsider.status, kind(&outsider)),
            (403, "/problems/member-needed")
        );

        // Only administrators change roles, never above their own.
        let by_member = bob
            .put(
                "/api/v1/groups/repair/members/cy/role",
                json!({"role": "moderator"}),
            )
            .await;
        assert_eq!(
            (by_member.status, kind(&by_member)),
            (403, "/problems/administrator-needed")
        );
        let promoted = ana
            .put(
                "/api/v1/groups/repair/members/bob/role",
                json!({"role": "administrator", "reason": "treasurer"}),
            )
            .await;
        assert_eq!(promoted.json["role"], "administrator", "{}", promoted.text);
        let above = bob
            .put(
                "/api/v1/groups/repair/members/ana/role",
                json!({"role": "member"}),
            )
            .await;
        assert_eq!(
            (above.status, kind(&above)),
            (403, "/problems/above-own-role")
        );
        let creator = ana
            .put(
                "/api/v1/groups/repair/members/cy/role",
                json!({"role": "creator"}),
            )
            .await;
        assert_eq!(
            (creator.status, fields(&creator)),
            (422, vec!["role".to_string()])
        );
        let unknown_role = ana
            .put(
                "/api/v1/groups/repair/members/cy/role",
                json!({"role": "boss"}),
            )
            .await;
        assert_eq!(
            (unknown_role.status, fields(&unknown_role)),
            (422, vec!["role".to_string()])
        );

        // A moderator removes a member, who loses access at once.
        ana.put(
            "/api/v1/groups/repair/members/cy/role",
            json!({"role": "moderator"}),
        )
        .await;
        let removed = cy
            .post("/api/v1/groups/repair/members/bob/remove", json!({}))
            .await;
        assert_eq!(
            (removed.status, kind(&removed)),
            (403, "/problems/above-own-role")
        );
        let rejected = cy
            .post(
                "/api/v1/groups/repair/members/dee/reject",
                json!({"reason": "not now"}),
            )
            .await;
        assert_eq!(rejected.json["role"], "rejected", "{}", rejected.text);
        let gone = ana
            .post("/api/v1/groups/repair/members/cy/remove", json!({}))
            .await;
        assert_eq!(gone.status, 204, "{}", gone.text);
        let after = cy.get("/api/v1/groups/repair/members").await;
        assert_eq!(after.status, 403);
        let shown = server.client().get("/api/v1/groups/repair").await;
        assert_eq!(shown.json["member_count"], 2);
    }
}

#[tokio::test]
async fn the_last_administrator_stays() {
    for (_db, server) in servers("group_last_admin").await {
        let (ana, bob, _, _) = cast(&server).await;
        let head = server.head().await;
        let leaving = ana.delete("/api/v1/groups/repair/members/mine").await;
        assert_eq!(leaving.status, 409, "{}", leaving.text);
        assert_eq!(kind(&leaving), "/problems/last-administrator");
        bob.post("/api/v1/groups/repair/members", json!({})).await;
        ana.post("/api/v1/groups/repair/members/bob/approve", json!({}))
            .await;
        let head = head.max(server.head().await);
        let stepping_down = ana
            .put(
                "/api/v1/groups/repair/members/ana/role",
                json!({"role": "member"}),
            )
            .await;
        assert_eq!(
            (stepping_down.status, kind(&stepping_down)),
            (409, "/problems/last-administrator")
        );
        assert_eq!(server.head().await, head, "nothing written");
        ana.put(
            "/api/v1/groups/repair/members/bob/role",
            json!({"role": "administrator"}),
        )
        .await;
        let now_free = ana.delete("/api/v1/groups/repair/members/mine").await;
        assert_eq!(now_free.status, 204, "{}", now_free.text);
    }
}

#[tokio::test]
async fn openness_and_settings() {
    for (_db, server) in servers("group_openness").await {
        let (ana, bob, cy, _) = cast(&server).await;
        let by_member = bob
            .patch("/api/v1/groups/repair", json!({"openness": "open"}))
            .await;
        assert_eq!(
            (by_member.status, kind(&by_member)),
            (403, "/problems/administrator-needed")
        );
        let opened = ana
            .patch("/api/v1/groups/repair", json!({"openness": "open"}))
            .await;
        assert_eq!(opened.json["openness"], "open", "{}", opened.text);
        let joined = bob.post("/api/v1/groups/repair/members", json!({})).await;
        assert_eq!(joined.json["role"], "member");
        ana.patch("/api/v1/groups/repair", json!({"openness": "invite_only"}))
            .await;
        let refused = cy.post("/api/v1/groups/repair/members", json!({})).await;
        assert_eq!(
            (refused.status, kind(&refused)),
            (403, "/problems/invite-only")
        );
        let bad = ana
            .patch(
                "/api/v1/groups/repair",
                json!({"display_name": " ", "address": {"latitude": 91, "longitude": 0}}),
            )
            .await;
        assert_eq!(bad.status, 422);
        assert_eq!(fields(&bad), ["display_name", "address.latitude"]);
        let message = "x".repeat(1001);
        ana.patch("/api/v1/groups/repair", json!({"openness": "moderated"}))
            .await;
        let long = cy
            .post("/api/v1/groups/repair/members", json!({"message": message}))
            .await;
        assert_eq!(
            (long.status, fields(&long)),
            (422, vec!["message".to_string()])
        );
    }
}

#[tokio::test]
async fn followers_follow_public_groups_with_approval_when_asked() {
    for (_db, server) in servers("group_followers").await {
        let (ana, bob, cy, _) = cast(&server).await;
        let followed = bob.post("/api/v1/groups/repair/followers", json!({})).await;
        assert_eq!(
            (followed.status, followed.json["state"].as_str()),
            (201, Some("approved"))
        );
        ana.patch(
            "/api/v1/groups/repair",
            json!({"manually_approves_followers": true}),
        )
        .await;
        let pending = cy.post("/api/v1/groups/repair/followers", json!({})).await;
        assert_eq!(pending.json["state"], "pending", "{}", pending.text);
        let by_follower = bob.get("/api/v1/groups/repair/followers").await;
        assert_eq!(
            (by_follower.status, kind(&by_follower)),
            (403, "/problems/moderator-needed")
        );
        let approved = ana
            .post("/api/v1/groups/repair/followers/cy/approve", json!({}))
            .await;
        assert_eq!(approved.json["state"], "approved", "{}", approved.text);
        let shown = server.client().get("/api/v1/groups/repair").await;
        assert_eq!(shown.json["follower_count"], 2);
        let stopped = bob.delete("/api/v1/groups/repair/followers/mine").await;
        assert_eq!(stopped.status, 204);
        let shown = server.client().get("/api/v1/groups/repair").await;
        assert_eq!(
            shown.json["follower_count"], 1,
            "counted again once bob stopped"
        );
        ana.patch("/api/v1/groups/repair", json!({"visibility": "unlisted"}))
            .await;
        let unlisted = bob.post("/api/v1/groups/repair/followers", json!({})).await;
        assert_eq!(
            (unlisted.status, kind(&unlisted)),
            (403, "/problems/not-followable")
        );
        let listed = server.client().get("/api/v1/groups").await;
        assert_eq!(
            listed.json.as_array().map(Vec::len),
            Some(0),
            "unlisted groups are not listed"
        );
        let by_address = server.client().get("/api/v1/groups/repair").await;
        assert_eq!(by_address.status, 200);
    }
}

#[tokio::test]
async fn an_instance_may_keep_group_creation_to_its_administrators() {
    use convene_api::groups::GroupCreation;
    use convene_domain::{Account, AccountCommand, Actor, Metadata, Role, Source};
    use convene_projections::scratch::test_urls;
    use convene_projections::Commands;

    for scratch in test_urls("group_creation").await {
        let options = crate::support::Options {
            group_creation: GroupCreation::Administrators,
            ..Default::default()
        };
        let server = TestServer::start_with(&scratch, options).await;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let head = server.head().await;
        let refused = ana
            .post("/api/v1/groups", json!({"handle": "repair"}))
            .await;
        assert_eq!(refused.status, 403, "{}", refused.text);
        assert_eq!(
            server.head().await,
            head,
            "nothing written, not even the claim"
        );

        let id = ana.get("/api/v1/me").await.json["account"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let metadata = Metadata::now(Actor::System, Source::Cli, "test");
        Commands::<Account>::new(&server.db, ())
            .execute(
                &id,
                AccountCommand::ChangeRole {
                    role: Role::Administrator,
                },
                &metadata,
            )
            .await
            .expect("make ana an administrator");
        for _ in 0..100 {
            if ana.get("/api/v1/me").await.json["account"]["role"] == "administrator" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let created = ana
            .post("/api/v1/groups", json!({"handle": "repair"}))
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        assert_eq!(
            created.json["display_name"], "repair",
            "the handle by default"
        );
    }
}

#[tokio::test]
async fn a_group_organises_events_its_moderators_edit_and_its_members_alone_may_see() {
    for (_db, server) in servers("group_events").await {
        let (ana, bob, cy, dee) = cast(&server).await;
        let body = |extra: Value| crate::support::event_body(extra);

        let by_outsider = bob
            .post(
                "/api/v1/groups/repair/events",
                body(json!({"members_only": true})),
            )
            .await;
        assert_eq!(
            (by_outsider.status, kind(&by_outsider)),
            (403, "/problems/moderator-needed")
        );
        let bad_flag = ana
            .post(
                "/api/v1/groups/repair/events",
                body(json!({"members_only": "yes"})),
            )
            .await;
        assert_eq!(
            (bad_flag.status, fields(&bad_flag)),
            (422, vec!["members_only".to_string()])
        );

        let secret = ana
            .post(
                "/api/v1/groups/repair/events",
                body(json!({"title": "Members' meeting", "members_only": true, "hide_organiser": true})),
            )
            .await;
        assert_eq!(secret.status, 201, "{}", secret.text);
        assert_eq!(secret.json["group"]["handle"], "repair");
        assert_eq!(
            secret.json["organizer"], "ana",
            "the organiser sees themself"
        );
        let secret_id = secret.json["id"].as_str().unwrap_or_default().to_string();
        let open = ana
            .post(
                "/api/v1/groups/repair/events",
                body(json!({"title": "Open repair day"})),
            )
            .await;
        let open_id = open.json["id"].as_str().unwrap_or_default().to_string();

        // Strangers see the public event as the group's, and nothing of the members' one.
        let anyone = server.client();
        for client in [&anyone, &dee] {
            let page = client.get(&format!("/api/v1/events/{secret_id}")).await;
            assert_eq!(page.status, 404, "{}", page.text);
            let listed = client.get("/api/v1/groups/repair/events").await;
            assert_eq!(
                listed.json.as_array().map(Vec::len),
                Some(1),
                "{}",
                listed.text
            );
            for path in ["/api/v1/events", "/api/v1/events?organizer=ana"] {
                let listed = client.get(path).await;
                assert!(!listed.text.contains(&secret_id), "{path}: {}", listed.text);
                assert!(!listed.text.contains("Members' meeting"), "{path}");
            }
        }
        let public = anyone.get(&format!("/api/v1/events/{open_id}")).await;
        assert_eq!(public.json["group"]["handle"], "repair", "{}", public.text);
        assert_eq!(public.json["organizer"], "ana");

        // A member sees it, with the group standing as its organiser.
        bob.post("/api/v1/groups/repair/members", json!({})).await;
        ana.post("/api/v1/groups/repair/members/bob/approve", json!({}))
            .await;
        let seen = bob.get(&format!("/api/v1/events/{secret_id}")).await;
        assert_eq!(seen.status, 200, "{}", seen.text);
        assert_eq!(
            seen.json["organizer"], "repair",
            "the member who organised it is hidden"
        );
        assert!(!seen.text.contains("\"ana\""), "{}", seen.text);
        let listed = bob.get("/api/v1/groups/repair/events").await;
        assert_eq!(listed.json.as_array().map(Vec::len), Some(2));
        let beyond = bob.get("/api/v1/groups/repair/events?page=2").await;
        assert_eq!(beyond.json.as_array().map(Vec::len), Some(0));
        let bad_page = bob.get("/api/v1/groups/repair/events?page=0").await;
        assert_eq!(
            (bad_page.status, fields(&bad_page)),
            (422, vec!["page".to_string()])
        );

        // Members do not edit the group's events; its moderators do.
        let by_member = bob
            .patch(
                &format!("/api/v1/events/{secret_id}"),
                json!({"title": "Renamed"}),
            )
            .await;
        assert_eq!(by_member.status, 403, "{}", by_member.text);
        cy.post("/api/v1/groups/repair/members", json!({})).await;
        ana.post("/api/v1/groups/repair/members/cy/approve", json!({}))
            .await;
        ana.put(
            "/api/v1/groups/repair/members/cy/role",
            json!({"role": "moderator"}),
        )
        .await;
        let by_moderator = cy
            .patch(
                &format!("/api/v1/events/{secret_id}"),
                json!({"title": "Members' assembly"}),
            )
            .await;
        assert_eq!(by_moderator.status, 200, "{}", by_moderator.text);
        assert_eq!(by_moderator.json["title"], "Members' assembly");
        // They also answer requests to take part in it.
        ana.patch(
            &format!("/api/v1/events/{secret_id}"),
            json!({"join_mode": "restricted"}),
        )
        .await;
        let asked = bob
            .post(
                &format!("/api/v1/events/{secret_id}/participations"),
                json!({}),
            )
            .await;
        assert_eq!(asked.json["state"], "not_approved", "{}", asked.text);
        let pid = asked.json["id"].as_str().unwrap_or_default().to_string();
        let approved = cy
            .post(
                &format!("/api/v1/events/{secret_id}/participations/{pid}/approve"),
                json!({}),
            )
            .await;
        assert_eq!(approved.json["state"], "participant", "{}", approved.text);
        bob.delete(&format!("/api/v1/events/{secret_id}/participations/mine"))
            .await;

        // A removed member loses access at once.
        ana.post("/api/v1/groups/repair/members/bob/remove", json!({}))
            .await;
        let after = bob.get(&format!("/api/v1/events/{secret_id}")).await;
        assert_eq!(after.status, 404, "{}", after.text);
        let listed = bob.get("/api/v1/groups/repair/events").await;
        assert_eq!(listed.json.as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test]
async fn a_group_changes_who_sees_its_event_and_whom_it_shows_after_creating_it() {
    for (_db, server) in servers("group_event_options").await {
        let (ana, bob, _cy, dee) = cast(&server).await;
        let created = ana
            .post(
                "/api/v1/groups/repair/events",
                crate::support::event_body(json!({"title": "Open repair day"})),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let id = created.json["id"].as_str().unwrap_or_default().to_string();
        let options = format!("/api/v1/groups/repair/events/{id}/options");
        bob.post("/api/v1/groups/repair/members", json!({})).await;
        ana.post("/api/v1/groups/repair/members/bob/approve", json!({}))
            .await;
        let own = ana
            .post("/api/v1/events", crate::support::event_body(json!({})))
            .await;
        let own_id = own.json["id"].as_str().unwrap_or_default().to_string();

        // Refused, naming the role, the field or what is missing; nothing written.
        let head = server.head().await;
        let by_member = bob.put(&options, json!({"members_only": true})).await;
        assert_eq!(
            (by_member.status, kind(&by_member)),
            (403, "/problems/moderator-needed"),
            "{}",
            by_member.text
        );
        let anonymous = server.client().put(&options, json!({})).await;
        assert_eq!(anonymous.status, 401, "{}", anonymous.text);
        let bad = ana.put(&options, json!({"hide_organiser": "yes"})).await;
        assert_eq!(
            (bad.status, fields(&bad)),
            (422, vec!["hide_organiser".to_string()])
        );
        for path in [
            "/api/v1/groups/repair/events/nope/options".to_string(),
            format!("/api/v1/groups/repair/events/{own_id}/options"),
            format!("/api/v1/groups/nobody/events/{id}/options"),
        ] {
            let missing = ana.put(&path, json!({"members_only": true})).await;
            assert_eq!(missing.status, 404, "{path}: {}", missing.text);
        }
        assert_eq!(
            server.head().await,
            head,
            "{}: nothing written",
            server.label
        );

        // Made members-only with the organiser hidden: gone for everyone else at once.
        let changed = ana
            .put(
                &options,
                json!({"members_only": true, "hide_organiser": true}),
            )
            .await;
        assert_eq!(changed.status, 200, "{}", changed.text);
        assert_eq!(changed.json["group"]["members_only"], true);
        assert_eq!(changed.json["group"]["hide_organiser"], true);
        for client in [server.client(), dee.clone()] {
            let page = client.get(&format!("/api/v1/events/{id}")).await;
            assert_eq!(page.status, 404, "{}", page.text);
            for path in ["/api/v1/groups/repair/events", "/api/v1/events"] {
                let listed = client.get(path).await;
                assert!(!listed.text.contains(&id), "{path}: {}", listed.text);
            }
        }
        let seen = bob.get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(seen.status, 200, "{}", seen.text);
        assert_eq!(seen.json["organizer"], "repair", "{}", seen.text);

        // The same options again write nothing; opened again, everyone sees who organised it.
        let head = server.head().await;
        let again = ana
            .put(
                &options,
                json!({"members_only": true, "hide_organiser": true}),
            )
            .await;
        assert_eq!(again.status, 200, "{}", again.text);
        assert_eq!(
            server.head().await,
            head,
            "{}: nothing written",
            server.label
        );
        let opened = ana.put(&options, json!({})).await;
        assert_eq!(opened.status, 200, "{}", opened.text);
        let public = server.client().get(&format!("/api/v1/events/{id}")).await;
        assert_eq!(public.status, 200, "{}", public.text);
        assert_eq!(public.json["organizer"], "ana");
        assert_eq!(public.json["group"]["members_only"], false);

        // Each change is in the event's history, with who made it.
        let history = ana.get(&format!("/api/v1/events/{id}/history")).await;
        let changes: Vec<(String, String)> = history
            .json
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["change"] == "EventGroupOptionsChanged")
            .map(|e| {
                let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
                (text("actor"), text("summary"))
            })
            .collect();
        assert_eq!(
            changes,
            [
                (
                    "@ana".to_string(),
                    "changed how the group shows it: members only yes, organiser hidden yes"
                        .to_string()
                ),
                (
                    "@ana".to_string(),
                    "changed how the group shows it: members only no, organiser hidden no"
                        .to_string()
                ),
            ],
            "{}",
            history.text
        );
    }
}

/// `(kind, actor, subject)` of a timeline, newest first.
fn entries(response: &Response) -> Vec<(String, String, String)> {
    response
        .json
        .as_array()
        .map(|l| {
            l.iter()
                .map(|e| {
                    let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
                    (text("kind"), text("actor"), text("subject"))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_timeline_shows_members_everything_and_others_the_public_facts() {
    for (_db, server) in servers("group_timeline").await {
        let (ana, bob, _, dee) = cast(&server).await;
        bob.post("/api/v1/groups/repair/members", json!({})).await;
        ana.post(
            "/api/v1/groups/repair/members/bob/approve",
            json!({"reason": "welcome"}),
        )
        .await;
        ana.put(
            "/api/v1/groups/repair/members/bob/role",
            json!({"role": "moderator"}),
        )
        .await;
        ana.patch(
            "/api/v1/groups/repair",
            json!({"summary": "<p>Every Saturday</p>"}),
        )
        .await;
        let event = |title: &str, extra: Value| {
            let mut body = crate::support::event_body(json!({"title": title}));
            if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
                body.extend(extra.clone());
            }
            body
        };
        let open = bob
            .post(
                "/api/v1/groups/repair/events",
                event("Open day", json!({"hide_organiser": true})),
            )
            .await;
        let open_id = open.json["id"].as_str().unwrap_or_default().to_string();
        let secret = ana
            .post(
                "/api/v1/groups/repair/events",
                event("Meeting", json!({"members_only": true})),
            )
            .await;
        let secret_id = secret.json["id"].as_str().unwrap_or_default().to_string();
        dee.post("/api/v1/groups/repair/followers", json!({})).await;

        let seen_by_member = bob.get("/api/v1/groups/repair/timeline").await;
        assert_eq!(seen_by_member.status, 200, "{}", seen_by_member.text);
        let e = |kind: &str, actor: &str, subject: &str| {
            (kind.to_string(), actor.to_string(), subject.to_string())
        };
        assert_eq!(
            entries(&seen_by_member),
            [
                e("followed", "@dee", "@dee"),
                e("event_organised", "@ana", &secret_id),
                // Bob organised it, and sees himself as its organiser.
                e("event_organised", "@bob", &open_id),
                e("settings_changed", "@ana", ""),
                e("role_changed", "@ana", "@bob"),
                e("member_approved", "@ana", "@bob"),
                e("join_requested", "@bob", "@bob"),
                e("group_created", "@ana", ""),
            ],
            "{}",
            server.label
        );
        // Others see the public facts and the events they may see, without the hidden organiser.
        for client in [server.client(), dee.clone()] {
            let seen = client.get("/api/v1/groups/repair/timeline").await;
            assert_eq!(
                entries(&seen),
                [
                    e("event_organised", "@repair", &open_id),
                    e("settings_changed", "@repair", ""),
                    e("group_created", "@repair", ""),
                ],
                "{}",
                server.label
            );
            assert!(!seen.text.contains("@bob"), "{}", seen.text);
            assert!(
                !seen.text.contains("@ana"),
                "who runs the group is for members"
            );
        }
        let bad = bob.get("/api/v1/groups/repair/timeline?page=0").await;
        assert_eq!((bad.status, fields(&bad)), (422, vec!["page".to_string()]));
        let second = bob.get("/api/v1/groups/repair/timeline?page=2").await;
        assert_eq!(second.json.as_array().map(Vec::len), Some(0));
    }
}

#[tokio::test]
async fn moderators_approve_or_refuse_a_remote_follower_named_by_its_url() {
    use convene_api::remote_events::FromRemote;
    use convene_domain::group::FollowState;
    for (_db, server) in servers("group_remote_followers").await {
        let (ana, bob, _, _) = cast(&server).await;
        ana.patch(
            "/api/v1/groups/repair",
            json!({"manually_approves_followers": true}),
        )
        .await;
        let from = |actor: &str, n: u32| FromRemote {
            actor: actor.to_string(),
            activity: format!("{actor}/follows/{n}"),
            request_id: format!("test-{n}"),
        };
        let mastodon = "https://social.example/users/zoe";
        let other = "https://other.example/users/yan";
        for (actor, n) in [(mastodon, 1), (other, 2)] {
            let state =
                convene_api::remote_groups::follow(&server.state, &from(actor, n), "repair")
                    .await
                    .expect("followed");
            assert_eq!(state, FollowState::Pending, "{}", server.label);
        }
        // A new Follow from the same actor changes nothing.
        let again = convene_api::remote_groups::follow(&server.state, &from(mastodon, 3), "repair")
            .await
            .expect("followed");
        assert_eq!(again, FollowState::Pending);
        let escaped = |url: &str| url.replace(':', "%3A").replace('/', "%2F");
        let by_follower = bob
            .post(
                &format!(
                    "/api/v1/groups/repair/followers/{}/approve",
                    escaped(mastodon)
                ),
                json!({}),
            )
            .await;
        assert_eq!(
            (by_follower.status, kind(&by_follower)),
            (403, "/problems/moderator-needed")
        );
        let approved = ana
            .post(
                &format!(
                    "/api/v1/groups/repair/followers/{}/approve",
                    escaped(mastodon)
                ),
                json!({}),
            )
            .await;
        assert_eq!(approved.status, 200, "{}", approved.text);
        assert_eq!(approved.json["follower"], mastodon);
        assert_eq!(approved.json["state"], "approved");
        let refused = ana
            .post(
                &format!("/api/v1/groups/repair/followers/{}/reject", escaped(other)),
                json!({"reason": "spam"}),
            )
            .await;
        assert_eq!(refused.status, 204, "{}", refused.text);
        let listed = ana.get("/api/v1/groups/repair/followers").await;
        let followers: Vec<&str> = listed
            .json
            .as_array()
            .map(|l| l.iter().filter_map(|f| f["follower"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(followers, [mastodon], "{}", listed.text);
        // Its Undo: no longer a follower; an Undo of nothing changes nothing.
        convene_api::remote_groups::unfollow(&server.state, &from(mastodon, 4), "repair")
            .await
            .expect("unfollowed");
        convene_api::remote_groups::unfollow(&server.state, &from(mastodon, 5), "repair")
            .await
            .expect("nothing to undo");
        let listed = ana.get("/api/v1/groups/repair/followers").await;
        assert_eq!(listed.json, json!([]), "{}", listed.text);
        let unknown = convene_api::remote_groups::follow(&server.state, &from(other, 6), "nope")
            .await
            .expect_err("no such group");
        assert_eq!(unknown.to_string(), "there is no group @nope");
    }
}

#[tokio::test]
async fn moderators_decide_on_a_remote_persons_request_named_by_its_url() {
    use convene_api::remote_events::FromRemote;
    use convene_domain::group::MemberRole;
    for (_db, server) in servers("group_remote_members").await {
        let (ana, bob, _, _) = cast(&server).await;
        let from = |actor: &str, n: u32| FromRemote {
            actor: actor.to_string(),
            activity: format!("{actor}/joins/{n}"),
            request_id: format!("test-{n}"),
        };
        let zoe = "https://mobilizon.example/@zoe";
        let yan = "https://other.example/@yan";
        for (actor, n) in [(zoe, 1), (yan, 2)] {
            let role = convene_api::remote_groups::join(
                &server.state,
                &from(actor, n),
                "repair",
                Some("Hello".into()),
            )
            .await
            .expect("asked");
            assert_eq!(role, MemberRole::NotApproved, "{}", server.label);
        }
        let escaped = |url: &str| url.replace(':', "%3A").replace('/', "%2F");
        let path = |url: &str, what: &str| {
            format!("/api/v1/groups/repair/members/{}/{what}", escaped(url))
        };
        let by_stranger = bob.post(&path(zoe, "approve"), json!({})).await;
        assert_eq!(
            (by_stranger.status, kind(&by_stranger)),
            (403, "/problems/moderator-needed")
        );
        let approved = ana.post(&path(zoe, "approve"), json!({})).await;
        assert_eq!(approved.status, 200, "{}", approved.text);
        assert_eq!(approved.json["member"], zoe);
        assert_eq!(approved.json["role"], "member");
        let rejected = ana
            .post(&path(yan, "reject"), json!({"reason": "unknown to us"}))
            .await;
        assert_eq!(rejected.json["role"], "rejected", "{}", rejected.text);
        let promoted = ana
            .put(&path(zoe, "role"), json!({"role": "moderator"}))
            .await;
        assert_eq!(promoted.json["role"], "moderator", "{}", promoted.text);
        let removed = ana.post(&path(zoe, "remove"), json!({})).await;
        assert_eq!(removed.status, 204, "{}", removed.text);
        let members = ana.get("/api/v1/groups/repair/members").await;
        let listed: Vec<&str> = members
            .json
            .as_array()
            .map(|l| l.iter().filter_map(|m| m["member"].as_str()).collect())
            .unwrap_or_default();
        assert!(!listed.contains(&zoe), "{listed:?}");
        assert!(
            listed.contains(&yan),
            "rejected, still listed to moderators: {listed:?}"
        );
    }
}
