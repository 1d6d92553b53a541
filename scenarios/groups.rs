//! A collective organises as a group through the API of the real binary: a group is created, a
//! second person is invited and accepts, a third asks to join and is approved and made a
//! moderator, the group organises a public event and a members-only one (and later opens the
//! latter to everyone), a fourth person follows; a member starts a discussion and another
//! replies, a pad link is added, a todo is completed. Then the server stops, `replay` rebuilds the read models from the log, `verify`
//! checks the chain, and the restarted server shows the group exactly as before. A post given
//! a publication time while the server is down is published by the server as it starts.

use crate::organising::{member, ok};
use crate::support::{run_ok, Caller, Server};
use convene_projections::scratch::test_urls;
use serde_json::{json, Value};

/// Everything the API shows of the group to its creator.
fn state_of(server: &Server, ana: &Caller) -> Vec<Value> {
    [
        "/api/v1/groups/repair",
        "/api/v1/groups/repair/members",
        "/api/v1/groups/repair/followers",
        "/api/v1/groups/repair/events",
        "/api/v1/groups/repair/timeline",
        "/api/v1/groups/repair/discussions",
        "/api/v1/groups/repair/resources",
        "/api/v1/groups/repair/todo-lists",
    ]
    .iter()
    .map(|path| ok(server, "GET", path, ana, None))
    .collect()
}

#[test]
fn a_group_survives_replay_and_verify_unchanged() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for database in runtime.block_on(test_urls("scenario groups")) {
        let url = database.url.as_str();
        let server = Server::start(url);
        let mut people = Vec::new();
        for name in ["ana", "bob", "cy", "dee"] {
            let caller = member(&server, &format!("{name}@repair.example"));
            ok(
                &server,
                "POST",
                "/api/v1/profiles",
                &caller,
                Some(json!({"username": name})),
            );
            people.push(caller);
        }
        let (ana, bob, cy, dee) = (&people[0], &people[1], &people[2], &people[3]);

        let group = ok(
            &server,
            "POST",
            "/api/v1/groups",
            ana,
            Some(
                json!({"handle": "repair", "display_name": "Repair café", "openness": "moderated"}),
            ),
        );
        assert_eq!(group["member_count"], 1, "{}", database.label);
        ok(
            &server,
            "POST",
            "/api/v1/groups/repair/invitations",
            ana,
            Some(json!({"username": "bob"})),
        );
        ok(
            &server,
            "POST",
            "/api/v1/groups/repair/invitations/mine/accept",
            bob,
            Some(json!({})),
        );
        let asked = ok(
            &server,
            "POST",
            "/api/v1/groups/repair/members",
            cy,
            Some(json!({"message": "I solder"})),
        );
        assert_eq!(asked["role"], "not_approved");
        ok(
            &server,
            "POST",
            "/api/v1/groups/repair/members/cy/approve",
            ana,
            Some(json!({"reason": "welcome"})),
        );
        ok(
            &server,
            "PUT",
            "/api/v1/groups/repair/members/cy/role",
            ana,
            Some(json!({"role": "moderator"})),
        );
        let event = |title: &str, members_only: bool| {
            json!({"title": title, "begins_at": "2030-05-02T09:00:00Z", "time_zone": "Europe/Paris",
                   "members_only": members_only, "hide_organiser": true})
        };
        ok(
            &server,
            "POST",
            "/api/v1/groups/repair/events",
            cy,
            Some(event("Repair day", false)),
        );
        let meeting = ok(
            &server,
            "POST",
            "/api/v1/groups/repair/events",
            ana,
            Some(event("Members' meeting", true)),
        );
        ok(
            &server,
            "POST",
            "/api/v1/groups/repair/followers",
            dee,
            Some(json!({})),
        );

        // A stranger sees the public event only, as the group's; then the group opens the
        // members' one to everyone.
        let (_, public) = server.get("/api/v1/groups/repair/events");
        assert_eq!(public.as_array().map(Vec::len), Some(1), "{public}");
        assert_eq!(public[0]["organizer"], "repair");
        let meeting = meeting["id"].as_str().unwrap_or_default();
        ok(
            &server,
            "PUT",
            &format!("/api/v1/groups/repair/events/{meeting}/options"),
            cy,
            Some(json!({"members_only": false, "hide_organiser": true})),
        );
        let (_, public) = server.get("/api/v1/groups/repair/events");
        assert_eq!(public.as_array().map(Vec::len), Some(2), "{public}");

        // The members' work: a discussion with a reply, a pad link, a todo completed.
        let started = ok(
            &server,
            "POST",
            "/api/v1/groups/repair/discussions",
            bob,
            Some(json!({"title": "Spare parts", "body": "<p>Who has a pump?</p>"})),
        );
        let discussion = started["id"].as_str().unwrap_or_default();
        let first = started["comments"][0]["id"].as_str().unwrap_or_default();
        ok(
            &server,
            "POST",
            &format!("/api/v1/groups/repair/discussions/{discussion}/comments"),
            cy,
            Some(json!({"body": "<p>I do</p>", "in_reply_to": first})),
        );
        ok(
            &server,
            "POST",
            "/api/v1/groups/repair/resources",
            cy,
            Some(
                json!({"kind": "pad", "title": "Minutes", "url": "https://pad.example.org/p/minutes"}),
            ),
        );
        let list = ok(
            &server,
            "POST",
            "/api/v1/groups/repair/todo-lists",
            ana,
            Some(json!({"title": "Saturday"})),
        );
        let list = list["id"].as_str().unwrap_or_default();
        let added = ok(
            &server,
            "POST",
            &format!("/api/v1/groups/repair/todo-lists/{list}/todos"),
            ana,
            Some(json!({"title": "Bring the pump", "assignee": "@bob"})),
        );
        let todo = added["todos"][0]["id"].as_str().unwrap_or_default();
        ok(
            &server,
            "PUT",
            &format!("/api/v1/groups/repair/todos/{todo}"),
            bob,
            Some(json!({"title": "Bring the pump", "assignee": "@bob", "done": true})),
        );

        let before = state_of(&server, ana);
        assert_eq!(before[0]["member_count"], 3, "{}", database.label);
        assert_eq!(before[3].as_array().map(Vec::len), Some(2));
        let kinds: Vec<&str> = before[4]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["kind"].as_str())
            .collect();
        for kind in ["todo_completed", "resource_added", "discussion_started"] {
            assert!(kinds.contains(&kind), "{kind}: {kinds:?}");
        }
        server.stop();

        let replayed = run_ok(url, &["replay"]);
        assert!(replayed.starts_with("replayed"), "{replayed}");
        let verified = run_ok(url, &["verify"]);
        assert!(verified.contains("intact"), "{verified}");

        let restarted = Server::start(url);
        assert_eq!(
            state_of(&restarted, ana),
            before,
            "{}: the same group after replay",
            database.label
        );
        restarted.stop();
    }
}

#[test]
fn a_post_due_while_the_server_was_down_is_published_as_it_starts() {
    use time::format_description::well_known::Rfc3339;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for database in runtime.block_on(test_urls("scenario scheduled post")) {
        let url = database.url.as_str();
        let server = Server::start(url);
        let ana = member(&server, "ana@repair.example");
        ok(
            &server,
            "POST",
            "/api/v1/profiles",
            &ana,
            Some(json!({"username": "ana"})),
        );
        ok(
            &server,
            "POST",
            "/api/v1/groups",
            &ana,
            Some(json!({"handle": "repair", "display_name": "Repair café"})),
        );
        let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(3);
        let post = ok(
            &server,
            "POST",
            "/api/v1/groups/repair/posts",
            &ana,
            Some(
                json!({"title": "May day", "body": "<p>Bring your tools</p>",
                        "visibility": "public", "publish_at": at.format(&Rfc3339).expect("time")}),
            ),
        );
        assert!(post["published_at"].is_null(), "{post}");
        let listed = |server: &Server| {
            let (status, posts) = server.get("/api/v1/groups/repair/posts");
            assert_eq!(status, 200, "{posts}");
            posts.to_string().contains("May day")
        };
        assert!(!listed(&server), "{}: not before its time", database.label);
        server.stop();

        // The server is down when the time comes; started again, it publishes the post at once
        // rather than at the sweep a minute later.
        let wait = at - time::OffsetDateTime::now_utc() + time::Duration::milliseconds(500);
        std::thread::sleep(wait.try_into().unwrap_or_default());
        let restarted = Server::start(url);
        restarted.wait_within(std::time::Duration::from_secs(20), listed);
        let timeline = ok(
            &restarted,
            "GET",
            "/api/v1/groups/repair/timeline",
            &Caller::default(),
            None,
        );
        assert_eq!(
            timeline.to_string().matches("\"post_published\"").count(),
            1,
            "{}: published once: {timeline}",
            database.label
        );
        restarted.stop();
    }
}
