//! Two instances on 127.0.0.1, each a real `convene serve` with the test network on: a profile on
//! B follows a profile on A from the command line; A's public event reaches B; someone on B
//! takes part and A accepts them, then they leave; the event's new time, its organiser's
//! comment, its cancellation and its deletion reach B, each signed by A and checked by B. A's
//! drafts never leave A. Replaying A's subscribers sends nothing again. A profile on B follows
//! a group on A by its handle and gets the group's public events, never its members-only ones.
//! Once A suspends B's address, no activity crosses either way until the decision is lifted.
//! A's administrator makes A follow B's instance: B's public events then reach A, though
//! nobody on A follows their organisers. A group on A invites a profile on B by its handle.

use crate::organising::{create_administrator, log_in, member, ok};
use crate::support::{run, run_ok, Caller, Server};
use convene_projections::scratch::{test_urls, Scratch};
use serde_json::{json, Value};
use std::process::Stdio;

pub(crate) const TEST_NETWORK: &str = "--federation-test-network";

/// One pair of instances at a time: each server keeps a pool of connections, and PostgreSQL's
/// default limit of 100 is shared with the rest of the suite.
static ONE_PAIR_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn pair_turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_PAIR_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `story` with fresh databases for an instance A and an instance B, on each database
/// available (SQLite, and PostgreSQL when set), one pair of instances at a time.
pub(crate) fn each_pair(label: &str, story: impl Fn(&Scratch, &Scratch)) {
    let _turn = pair_turn();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let a_urls = runtime.block_on(test_urls(&format!("scenario {label} (instance A)")));
    let b_urls = runtime.block_on(test_urls(&format!("scenario {label} (instance B)")));
    for (a_db, b_db) in a_urls.iter().zip(&b_urls) {
        story(a_db, b_db);
    }
}

/// [`each_pair`] with a third instance C, on SQLite whatever A and B run on: a third server on
/// PostgreSQL beside the other tests' would crowd the connections the server allows.
pub(crate) fn each_trio(label: &str, story: impl Fn(&Scratch, &Scratch, &Scratch)) {
    each_pair(label, |a_db, b_db| {
        let c_db = Scratch::sqlite().expect("a SQLite file for instance C");
        story(a_db, b_db, &c_db)
    });
}

pub(crate) fn start(url: &str) -> Server {
    Server::start_with(
        crate::support::convene(),
        url,
        &[TEST_NETWORK],
        Stdio::inherit(),
    )
}

/// [`start`] on `port`: the same instance again, at the address others know it by.
pub(crate) fn start_on_port(url: &str, port: u16) -> Server {
    Server::start_on(
        crate::support::convene(),
        url,
        port,
        &[TEST_NETWORK],
        Stdio::inherit(),
    )
}

/// `@name` with an account on `server`, acting as that profile.
pub(crate) fn someone(server: &Server, name: &str) -> crate::support::Caller {
    let caller = member(server, &format!("{name}@{name}.example")).as_profile(name);
    ok(
        server,
        "POST",
        "/api/v1/profiles",
        &caller,
        Some(json!({"username": name})),
    );
    caller
}

/// `@follower` on `b` follows `@followed` on `a`, from the command line, until both know it.
pub(crate) fn follows(b: (&Server, &str), follower: &str, a: &Server, followed: &str) {
    let host = a.base.trim_start_matches("http://");
    let said = run_ok(
        b.1,
        &[
            "federation",
            "follow",
            "--as",
            follower,
            &format!("{followed}@{host}"),
            "--test-network",
        ],
    );
    assert!(said.contains("asked to follow"), "{said}");
    a.wait_until(|a| total(a, &format!("/@{followed}/followers")) == 1);
    b.0.wait_until(|b| total(b, &format!("/@{follower}/following")) == 1);
}

/// The remote copy on `server` of the event titled `title`, if it has one.
pub(crate) fn copy_of(server: &Server, title: &str) -> Option<Value> {
    let (_, events) = server.get("/api/v1/events?limit=100");
    events
        .as_array()?
        .iter()
        .find(|e| e["title"] == title && !e["origin"].is_null())
        .cloned()
}

/// The ActivityPub document at `path` of `server`: status and JSON.
pub(crate) fn activity(server: &Server, path: &str) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}{path}", server.base);
    let mut response = agent
        .get(&url)
        .header("accept", "application/activity+json")
        .call()
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (
        response.status().as_u16(),
        serde_json::from_str(&text).unwrap_or_default(),
    )
}

fn total(server: &Server, path: &str) -> i64 {
    activity(server, path).1["totalItems"]
        .as_i64()
        .unwrap_or(-1)
}

#[test]
fn an_event_published_on_one_instance_reaches_the_followers_on_another() {
    each_pair("federation", |a_db, b_db| {
        let a = start(&a_db.url);
        let b = start(&b_db.url);
        let ana = someone(&a, "ana");
        let bob = someone(&b, "bob");

        // Bob follows ana@A: B sends the Follow, A records the follower and sends the Accept.
        let bad = run(&b_db.url, &["federation", "follow", "--as", "bob", "ana"]);
        assert!(!bad.status.success());
        assert!(
            String::from_utf8_lossy(&bad.stderr).contains("neither name@host nor an http(s) URL"),
            "{}",
            String::from_utf8_lossy(&bad.stderr)
        );
        follows((&b, &b_db.url), "bob", &a, "ana");
        let (_, followers) = activity(&a, "/@ana/followers?page=1");
        assert_eq!(
            followers["orderedItems"],
            json!([format!("{}/@bob", b.base)])
        );

        // A draft stays on A; publishing sends the event.
        let draft = ok(
            &a,
            "POST",
            "/api/v1/events",
            &ana,
            Some(json!({
                "title": "Repair café",
                "description": "<p>Bring what is broken.</p>",
                "begins_at": "2030-05-16T14:00:00Z",
                "time_zone": "Europe/Paris",
                "tags": ["repair"],
                "draft": true
            })),
        );
        let id = draft["id"].as_str().expect("an id").to_string();
        assert_eq!(
            activity(&a, &format!("/events/{id}")).0,
            404,
            "a draft is not served"
        );
        ok(
            &a,
            "POST",
            &format!("/api/v1/events/{id}/publish"),
            &ana,
            None,
        );
        b.wait_until(|b| copy_of(b, "Repair café").is_some());
        let copy = copy_of(&b, "Repair café").expect("the copy");
        assert_eq!(copy["origin"]["object"], format!("{}/events/{id}", a.base));
        assert_eq!(copy["begins_at"], "2030-05-16T14:00:00Z");
        let copy_id = copy["id"].as_str().expect("an id").to_string();
        let (status, object) = activity(&a, &format!("/events/{id}"));
        assert_eq!(
            (status, &object["type"]),
            (200, &json!("Event")),
            "{object}"
        );

        // Bob takes part from B: A counts him among its participants and accepts him, and B
        // shows him taking part.
        let asked = ok(
            &b,
            "POST",
            &format!("/api/v1/events/{copy_id}/participations"),
            &bob,
            Some(json!({"message": "I bring a lamp"})),
        );
        assert_eq!(asked["state"], "not_approved", "B waits for A's answer");
        let remote_on_a = |a: &Server| {
            let (_, found) = a.call(
                "GET",
                &format!("/api/v1/events/{id}/participations"),
                &ana,
                None,
            );
            found
                .as_array()
                .and_then(|all| all.iter().find(|p| !p["remote"].is_null()).cloned())
        };
        a.wait_until(|a| remote_on_a(a).is_some());
        let bob_on_a = remote_on_a(&a).expect("bob on A");
        assert_eq!(
            bob_on_a["remote"],
            format!("bob@{}", b.base.trim_start_matches("http://"))
        );
        assert_eq!(bob_on_a["state"], "participant");
        assert_eq!(bob_on_a["message"], "I bring a lamp");
        b.wait_until(|b| b.get(&format!("/api/v1/events/{copy_id}")).1["participant_count"] == 1);

        // A new time reaches B.
        ok(
            &a,
            "PATCH",
            &format!("/api/v1/events/{id}"),
            &ana,
            Some(json!({"begins_at": "2030-05-16T15:00:00Z"})),
        );
        b.wait_until(|b| {
            b.get(&format!("/api/v1/events/{copy_id}")).1["begins_at"] == "2030-05-16T15:00:00Z"
        });

        // The organiser's comment on A becomes a comment on B's copy.
        ok(
            &a,
            "POST",
            &format!("/api/v1/events/{id}/comments"),
            &ana,
            Some(json!({"body": "Tools are provided."})),
        );
        b.wait_until(|b| {
            let (_, comments) = b.get(&format!("/api/v1/events/{copy_id}/comments"));
            comments.to_string().contains("Tools are provided.")
        });

        // Bob leaves on B: he is no longer among A's participants.
        ok(
            &b,
            "DELETE",
            &format!("/api/v1/events/{copy_id}/participations/mine"),
            &bob,
            None,
        );
        a.wait_until(|a| remote_on_a(a).is_none());

        // Cancelled on A, cancelled on B; deleted on A, gone from B and a Tombstone on A.
        ok(
            &a,
            "POST",
            &format!("/api/v1/events/{id}/cancel"),
            &ana,
            None,
        );
        b.wait_until(|b| b.get(&format!("/api/v1/events/{copy_id}")).1["status"] == "cancelled");
        ok(&a, "DELETE", &format!("/api/v1/events/{id}"), &ana, None);
        b.wait_until(|b| b.get(&format!("/api/v1/events/{copy_id}")).0 == 404);
        let (status, gone) = activity(&a, &format!("/events/{id}"));
        assert_eq!(
            (status, &gone["type"]),
            (410, &json!("Tombstone")),
            "{gone}"
        );

        // Bob stops following: the Undo reaches A.
        run_ok(
            &b_db.url,
            &[
                "federation",
                "unfollow",
                "--as",
                "bob",
                &format!("{}/@ana", a.base),
            ],
        );
        a.wait_until(|a| total(a, "/@ana/followers") == 0);

        // Everything A queued was delivered, once: Accept (the follow), Create, Accept (the
        // join), Update (the time), Create (the comment), Update (cancelled), Delete. Replaying
        // A's subscribers queues nothing.
        a.wait_until(|_| {
            run_ok(&a_db.url, &["federation", "deliveries"])
                .trim_end()
                .ends_with("0 deliveries")
        });
        let delivered = || {
            run_ok(
                &a_db.url,
                &["federation", "deliveries", "--state", "delivered"],
            )
        };
        assert!(
            delivered().trim_end().ends_with("7 deliveries"),
            "{}",
            delivered()
        );
        a.stop();
        b.stop();
        run_ok(&a_db.url, &["replay"]);
        assert!(
            delivered().trim_end().ends_with("7 deliveries"),
            "{}",
            delivered()
        );
        let pending = run_ok(
            &a_db.url,
            &["federation", "deliveries", "--state", "pending"],
        );
        assert!(pending.trim_end().ends_with("0 deliveries"), "{pending}");
    });
}

/// A profile on B follows a group on A by its handle; the group's public event reaches B, signed
/// by the group, and its members-only event never leaves A.
#[test]
fn a_groups_public_event_reaches_its_followers_on_another_instance() {
    each_pair("group federation", |a_db, b_db| {
        let a = start(&a_db.url);
        let b = start(&b_db.url);
        let ana = someone(&a, "ana");
        someone(&b, "bob");
        ok(
            &a,
            "POST",
            "/api/v1/groups",
            &ana,
            Some(json!({"handle": "gardeners", "display_name": "Gardeners"})),
        );
        let (status, group) = activity(&a, "/@gardeners");
        assert_eq!((status, &group["type"]), (200, &json!("Group")), "{group}");

        // Bob follows gardeners@A: the group accepts at once (it approves nobody by hand).
        follows((&b, &b_db.url), "bob", &a, "gardeners");

        let event = |title: &str, members_only: bool| {
            json!({"title": title, "description": "<p>Dig in.</p>",
                   "begins_at": "2030-05-16T14:00:00Z", "time_zone": "Europe/Paris",
                   "members_only": members_only})
        };
        ok(
            &a,
            "POST",
            "/api/v1/groups/gardeners/events",
            &ana,
            Some(event("Seed swap for members", true)),
        );
        let public = ok(
            &a,
            "POST",
            "/api/v1/groups/gardeners/events",
            &ana,
            Some(event("Planting day", false)),
        );
        b.wait_until(|b| copy_of(b, "Planting day").is_some());
        let copy = copy_of(&b, "Planting day").expect("the copy");
        let id = public["id"].as_str().expect("an id");
        assert_eq!(copy["origin"]["object"], format!("{}/events/{id}", a.base));
        // The group stands for its event on B: its updates and deletions are its own.
        assert_eq!(
            copy["origin"]["actor"],
            format!("{}/@gardeners", a.base),
            "{copy}"
        );

        // A queued two deliveries, both delivered: the Accept and the public event's Create.
        a.wait_until(|_| {
            run_ok(&a_db.url, &["federation", "deliveries"])
                .trim_end()
                .ends_with("0 deliveries")
        });
        let delivered = run_ok(
            &a_db.url,
            &["federation", "deliveries", "--state", "delivered"],
        );
        assert!(
            delivered.trim_end().ends_with("2 deliveries"),
            "{delivered}"
        );
        assert!(copy_of(&b, "Seed swap for members").is_none());
        a.stop();
        b.stop();
    });
}

#[test]
fn a_delivery_to_an_instance_that_was_down_arrives_when_it_is_back() {
    each_pair("federation retry", |a_db, b_db| {
        let a = start(&a_db.url);
        let mut b = start(&b_db.url);
        let ana = someone(&a, "ana");
        someone(&b, "bob");
        follows((&b, &b_db.url), "bob", &a, "ana");

        // B is down while A publishes: the delivery fails, and waits for its next try.
        let port = b.port();
        b.terminate();
        ok(
            &a,
            "POST",
            "/api/v1/events",
            &ana,
            Some(json!({
                "title": "Night walk",
                "begins_at": "2030-09-02T19:00:00Z",
                "time_zone": "Europe/Paris"
            })),
        );
        a.wait_until(|_| {
            let pending = run_ok(
                &a_db.url,
                &["federation", "deliveries", "--state", "pending"],
            );
            pending.contains("tries  1")
        });

        // B is back on its address: the retry (15 to 25 s after the failure) brings the event.
        drop(b);
        let b = Server::start_on(
            crate::support::convene(),
            &b_db.url,
            port,
            &[TEST_NETWORK],
            Stdio::inherit(),
        );
        b.wait_within(std::time::Duration::from_secs(60), |b| {
            copy_of(b, "Night walk").is_some()
        });
        // The Accept of the follow, then the event on its second try (recorded once A has B's
        // answer, which may come after B shows the event).
        let delivered = || {
            run_ok(
                &a_db.url,
                &["federation", "deliveries", "--state", "delivered"],
            )
        };
        a.wait_until(|_| delivered().trim_end().ends_with("2 deliveries"));
        let delivered = delivered();
        assert!(delivered.contains("tries  2"), "{delivered}");
        a.stop();
        b.stop();
    });
}

#[test]
fn once_a_domain_is_suspended_nothing_crosses_either_way_until_it_is_lifted() {
    each_pair("federation domain", |a_db, b_db| {
        let a = start(&a_db.url);
        let b = start(&b_db.url);
        let ana = someone(&a, "ana");
        someone(&b, "bob");
        follows((&b, &b_db.url), "bob", &a, "ana");

        // A's administrators suspend B's address from the command line.
        let b_host = b.base.trim_start_matches("http://").to_string();
        let bad = run(
            &a_db.url,
            &[
                "federation",
                "domain",
                "suspend",
                "https://x/",
                "--reason",
                "x",
            ],
        );
        assert!(!bad.status.success());
        let said = String::from_utf8_lossy(&bad.stderr);
        assert!(said.contains("a domain name such as"), "{said}");
        let said = run_ok(
            &a_db.url,
            &[
                "federation",
                "domain",
                "suspend",
                &b_host,
                "--reason",
                "spam from there",
            ],
        );
        assert!(said.contains("suspend recorded"), "{said}");
        // The running server applies it to its read models.
        a.wait_until(|_| run_ok(&a_db.url, &["federation", "domains"]).contains(&b_host));
        let listed = run_ok(&a_db.url, &["federation", "domains"]);
        assert!(
            listed.contains(&b_host) && listed.contains("1 followers"),
            "{listed}"
        );

        // A publishes: nothing goes to B, and the delivery says why.
        ok(
            &a,
            "POST",
            "/api/v1/events",
            &ana,
            Some(json!({
                "title": "Quiet walk",
                "begins_at": "2030-09-03T19:00:00Z",
                "time_zone": "Europe/Paris"
            })),
        );
        a.wait_until(|_| {
            run_ok(
                &a_db.url,
                &["federation", "deliveries", "--state", "failed"],
            )
            .contains("suspended by this instance's administrators")
        });
        assert!(copy_of(&b, "Quiet walk").is_none());

        // B sends an Undo of bob's follow: A refuses it, and still counts bob.
        run_ok(
            &b_db.url,
            &[
                "federation",
                "unfollow",
                "--as",
                "bob",
                &format!("{}/@ana", a.base),
                "--test-network",
            ],
        );
        b.wait_until(|_| {
            run_ok(
                &b_db.url,
                &["federation", "deliveries", "--state", "failed"],
            )
            .contains("answered 403")
        });
        assert_eq!(total(&a, "/@ana/followers"), 1);

        // Lifted: A's operator retries the delivery, and the event reaches B.
        run_ok(
            &a_db.url,
            &[
                "federation",
                "domain",
                "lift",
                &b_host,
                "--reason",
                "talked to them",
            ],
        );
        a.wait_until(|_| !run_ok(&a_db.url, &["federation", "domains"]).contains(&b_host));
        let failed = run_ok(
            &a_db.url,
            &["federation", "deliveries", "--state", "failed"],
        );
        let id = failed
            .lines()
            .find(|l| l.contains("suspended"))
            .and_then(|l| l.split_whitespace().next())
            .expect("the refused delivery")
            .to_string();
        run_ok(&a_db.url, &["federation", "retry", &id]);
        b.wait_until(|b| copy_of(b, "Quiet walk").is_some());

        // B's operator removes everything A sent, then restores it, from the command line.
        let a_host = a.base.trim_start_matches("http://").to_string();
        let no_reason = run(
            &b_db.url,
            &[
                "federation",
                "domain",
                "remove_content",
                &a_host,
                "--reason",
                " ",
            ],
        );
        assert!(!no_reason.status.success());
        let said = String::from_utf8_lossy(&no_reason.stderr);
        assert!(said.contains("--reason"), "{said}");
        let said = run_ok(
            &b_db.url,
            &[
                "federation",
                "domain",
                "remove_content",
                &a_host,
                "--reason",
                "a spam wave",
            ],
        );
        // Told as it goes (after each page of events, then of comments), then once done.
        assert!(
            said.contains(
                "1 events and 0 comments removed, 0 events and 0 comments left as they were so far"
            ),
            "{said}"
        );
        assert!(
            said.contains("1 events and 0 comments removed, 0 events and 0 comments left as they were (log position"),
            "{said}"
        );
        b.wait_until(|b| copy_of(b, "Quiet walk").is_none());
        let said = run_ok(
            &b_db.url,
            &[
                "federation",
                "domain",
                "restore_content",
                &a_host,
                "--reason",
                "not spam",
            ],
        );
        assert!(said.contains("1 events and 0 comments restored"), "{said}");
        b.wait_until(|b| copy_of(b, "Quiet walk").is_some());
        a.stop();
        b.stop();
    });
}

/// A moderator on A invites a profile on B by its handle (`@bob@B`, found by WebFinger): A keeps
/// the invitation and its group sends B the `Invite`, signed by the group; B keeps it for the
/// profile, who accepts from the group's page on B (a member on A) — another declines from "My
/// groups". The members page's form takes a handle too. Names that lead to no actor elsewhere
/// are refused on the field.
#[test]
fn a_group_invites_a_profile_on_another_instance_by_its_handle() {
    each_pair("group invitations", |a_db, b_db| {
        let a = start(&a_db.url);
        let b = start(&b_db.url);
        let ana = someone(&a, "ana");
        let bob_here = someone(&b, "bob");
        ok(
            &a,
            "POST",
            "/api/v1/groups",
            &ana,
            Some(json!({"handle": "gardeners", "display_name": "Gardeners"})),
        );
        let bob = format!("{}/@bob", b.base);
        let b_host = b.base.trim_start_matches("http://");
        let invited = ok(
            &a,
            "POST",
            "/api/v1/groups/gardeners/invitations",
            &ana,
            Some(json!({ "username": format!("@bob@{b_host}") })),
        );
        assert_eq!(
            (&invited["member"], &invited["role"]),
            (&json!(bob), &json!("invited")),
            "{invited}"
        );
        for (url, says) in [
            (format!("{}/@ana", a.base), "on this instance"),
            (format!("@nobody@{b_host}"), "nobody"),
        ] {
            let (status, problem) = a.call(
                "POST",
                "/api/v1/groups/gardeners/invitations",
                &ana,
                Some(json!({ "username": url })),
            );
            assert_eq!(status, 422, "{url}: {problem}");
            let field = problem["errors"]
                .as_array()
                .and_then(|e| e.first())
                .cloned();
            let field = field.unwrap_or_default();
            assert_eq!(field["field"], "username", "{problem}");
            assert!(
                field["message"].as_str().unwrap_or("").contains(says),
                "{problem}"
            );
        }

        // The members page's form takes a handle too; a name leading nowhere is said on it.
        let carol_here = someone(&b, "carol");
        let carol = format!("@carol@{b_host}");
        let nobody = format!("@nobody@{b_host}");
        let invite = |who: &str| {
            let fields = [("profile", "ana"), ("action", "invite"), ("username", who)];
            browse_in(
                "en",
                &a,
                &ana,
                "/@gardeners/members",
                Some(("/@gardeners/members", &fields)),
            )
        };
        let (status, body, _) = invite(&nobody);
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains("does not answer WebFinger for nobody@"),
            "{body}"
        );
        let (status, body, _) = invite(&carol);
        assert_eq!(status, 303, "{body}");

        // Each Invite leaves A once and B takes it (answering that it keeps nothing of it).
        a.wait_until(|_| settled(&a_db.url));
        let delivered = run_ok(
            &a_db.url,
            &["federation", "deliveries", "--state", "delivered"],
        );
        assert!(
            delivered.trim_end().ends_with("2 deliveries"),
            "{delivered}"
        );
        let (_, members) = a.call("GET", "/api/v1/groups/gardeners/members", &ana, None);
        assert!(
            members
                .as_array()
                .is_some_and(|m| m.iter().any(|m| m["member"] == bob.as_str())
                    && m.iter()
                        .any(|m| m["member"] == format!("{}/@carol", b.base))),
            "{members}"
        );

        // On B each sees the invitation, on the group's page and in "My groups": Bob accepts
        // from the page (a member on A), Carol declines from her list (no longer invited on A).
        let a_host = a.base.trim_start_matches("http://");
        let page = format!("/@gardeners@{a_host}");
        let (_, body, _) = browse_in("en", &b, &bob_here, &page, None);
        assert!(
            body.contains(&format!("gardeners@{a_host} invited you to this group.")),
            "{body}"
        );
        let (_, body, _) = browse_in("en", &b, &carol_here, "/my/groups", None);
        assert!(
            body.contains(&format!("action=\"{page}/invitation\"")),
            "{body}"
        );
        let answer = |who: &Caller, name: &str, answer: &str| {
            let fields = [("profile", name), ("answer", answer)];
            browse_in(
                "en",
                &b,
                who,
                &page,
                Some((&format!("{page}/invitation"), &fields)),
            )
        };
        let (status, _, location) = answer(&bob_here, "bob", "accept");
        assert_eq!((status, location.as_str()), (303, page.as_str()));
        let (status, _, _) = answer(&carol_here, "carol", "decline");
        assert_eq!(status, 303);
        let role_on_a = |who: &str| {
            let (_, members) = a.call("GET", "/api/v1/groups/gardeners/members", &ana, None);
            members.as_array().and_then(|m| {
                m.iter()
                    .find(|m| m["member"] == who)
                    .map(|m| m["role"].as_str().unwrap_or_default().to_string())
            })
        };
        let carol = format!("{}/@carol", b.base);
        a.wait_until(|_| {
            role_on_a(&bob).as_deref() == Some("member")
                && role_on_a(&carol).as_deref() != Some("invited")
        });
        let (_, body, _) = browse_in("en", &b, &bob_here, "/my/groups", None);
        assert!(body.contains(&format!("href=\"{page}\"")), "{body}");
        // An answer again, with no invitation left: refused, nothing sent.
        let (status, _, _) = answer(&carol_here, "carol", "accept");
        assert_eq!(status, 404);
        a.stop();
        b.stop();
    });
}

/// An administrator account `email` on the instance at `database_url`, made from the command
/// line, logged in on `server`.
fn administrator(server: &Server, database_url: &str, email: &str) -> crate::support::Caller {
    create_administrator(database_url, email);
    log_in(server, email)
}

/// Whether `server`'s delivery queue is empty (all delivered, or given up).
pub(crate) fn settled(database_url: &str) -> bool {
    run_ok(
        database_url,
        &["federation", "deliveries", "--state", "pending"],
    )
    .trim_end()
    .ends_with("0 deliveries")
}

#[test]
fn an_instance_following_another_gets_its_public_events() {
    each_pair("instance follows", |a_db, b_db| {
        let a = start(&a_db.url);
        let b = start(&b_db.url);
        let admin = administrator(&a, &a_db.url, "admin@a.example");
        let bea = someone(&b, "bea");
        let b_host = b.base.trim_start_matches("http://").to_string();

        // Only administrators, and only an instance that answers.
        let (status, _) = a.call(
            "POST",
            "/api/v1/admin/instances",
            &member(&a, "ann@a.example"),
            Some(json!({"instance": b_host})),
        );
        assert_eq!(status, 403);
        let (status, said) = a.call(
            "POST",
            "/api/v1/admin/instances",
            &admin,
            Some(json!({"instance": "127.0.0.1:1"})),
        );
        assert_eq!(status, 422, "{said}");
        assert_eq!(said["errors"][0]["field"], "instance", "{said}");

        // A's administrator makes A follow B's instance by its host; B accepts at once.
        let (status, asked) = a.call(
            "POST",
            "/api/v1/admin/instances",
            &admin,
            Some(json!({"instance": b_host})),
        );
        assert_eq!(status, 202, "{asked}");
        assert_eq!(asked["actor"], format!("{}/relay", b.base));
        assert_eq!(asked["following"], "pending");
        a.wait_until(|a| {
            a.call("GET", "/api/v1/admin/instances", &admin, None).1[0]["following"] == "accepted"
        });
        let (_, following) = activity(&a, "/relay/following?page=1");
        assert_eq!(
            following["orderedItems"],
            json!([format!("{}/relay", b.base)])
        );
        let (_, followers) = activity(&b, "/relay/followers?page=1");
        assert_eq!(
            followers["orderedItems"],
            json!([format!("{}/relay", a.base)])
        );
        let listed = run_ok(&b_db.url, &["federation", "instances"]);
        assert!(listed.contains("follows us: yes"), "{listed}");
        let listed = run_ok(&a_db.url, &["federation", "instances"]);
        assert!(listed.contains("following: accepted"), "{listed}");

        // Bea publishes on B: her public event appears on A, listed and found, though nobody
        // on A follows her; her unlisted one stays on B.
        let event = |title: &str, visibility: &str| {
            json!({"title": title, "description": "<p>Spanners provided.</p>",
                   "begins_at": "2030-05-20T17:00:00Z", "time_zone": "Europe/Paris",
                   "visibility": visibility})
        };
        ok(
            &b,
            "POST",
            "/api/v1/events",
            &bea,
            Some(event("Unlisted tinkering", "unlisted")),
        );
        ok(
            &b,
            "POST",
            "/api/v1/events",
            &bea,
            Some(event("Bike kitchen", "public")),
        );
        a.wait_until(|a| copy_of(a, "Bike kitchen").is_some());
        a.wait_until(|a| a.get("/api/v1/search/events?q=kitchen").1["total"] == 1);
        b.wait_until(|_| settled(&b_db.url));
        assert!(copy_of(&a, "Unlisted tinkering").is_none());

        // A stops following from the command line: B forgets A, and its next event stays on B.
        let said = run_ok(&a_db.url, &["federation", "unfollow-instance", &b_host]);
        assert!(said.contains("no longer follows"), "{said}");
        b.wait_until(|b| total(b, "/relay/followers") == 0);
        assert_eq!(total(&a, "/relay/following"), 0);
        ok(
            &b,
            "POST",
            "/api/v1/events",
            &bea,
            Some(event("After the break", "public")),
        );
        b.wait_until(|_| settled(&b_db.url));
        assert!(copy_of(&a, "After the break").is_none());

        // A suspended domain can be neither followed nor follow.
        run_ok(
            &a_db.url,
            &[
                "federation",
                "domain",
                "suspend",
                &b_host,
                "--reason",
                "spam from there",
            ],
        );
        a.wait_until(|_| run_ok(&a_db.url, &["federation", "domains"]).contains(&b_host));
        let refused = run(
            &a_db.url,
            &["federation", "follow-instance", &b_host, "--test-network"],
        );
        assert!(!refused.status.success());
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(said.contains("suspended"), "{said}");
        let (status, said) = a.call(
            "POST",
            "/api/v1/admin/instances",
            &admin,
            Some(json!({"instance": b_host})),
        );
        assert_eq!(status, 422, "{said}");
        let a_host = a.base.trim_start_matches("http://").to_string();
        run_ok(
            &b_db.url,
            &["federation", "follow-instance", &a_host, "--test-network"],
        );
        b.wait_until(|_| {
            run_ok(
                &b_db.url,
                &["federation", "deliveries", "--state", "failed"],
            )
            .contains("answered 403")
        });
        assert_eq!(total(&a, "/relay/followers"), 0);
        a.stop();
        b.stop();
    });
}

#[test]
fn the_federation_bench_delivers_every_inbox_once_takes_every_post_once_and_prints_its_figures() {
    let (_folder, path) = crate::support::temp_path("bench.db");
    let url = format!("sqlite://{}", path.display());
    let printed = run_ok(
        &url,
        &[
            "bench",
            "federation",
            "--inboxes",
            "40",
            "--hosts",
            "4",
            "--latency-ms",
            "10",
            "--posts",
            "60",
            "--clients",
            "4",
        ],
    );
    for row in [
        "fan-out: outbox + signed deliveries",
        "plain POSTs, same limits",
        "signing alone",
        "verifying alone",
        "inbox ingest: 60 signed Create Event POSTs to the shared inbox from 4 clients",
        "ingest: signed Creates accepted (202)",
        "and applied by every read model",
        "the same POSTs again (verified, seen)",
        "plain POSTs to a route that reads them",
        "verifying alone (one core)",
        "target: at least 500 accepted a second:",
    ] {
        assert!(printed.contains(row), "{row}: {printed}");
    }
    assert!(
        printed.contains("40 inboxes in under 10 s: met"),
        "{printed}"
    );
}

/// A page of `server` as a browser with `caller`'s session sees it, or the answer to a form
/// posted from it: status, body and `Location`. The CSRF token is the page's own.
fn browse(
    server: &Server,
    caller: &crate::support::Caller,
    path: &str,
    form: Option<(&str, &[(&str, &str)])>,
) -> (u16, String, String) {
    browse_in("en", server, caller, path, form)
}

/// [`browse`] in `language`.
pub(crate) fn browse_in(
    language: &str,
    server: &Server,
    caller: &crate::support::Caller,
    path: &str,
    form: Option<(&str, &[(&str, &str)])>,
) -> (u16, String, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let token = caller.token.clone().unwrap_or_default();
    // The CSRF cookie is the visitor's secret; forms carry it masked.
    let cookies = format!(
        "convene_session={token}; convene_csrf=scenario-csrf-secret-0123456789ab; convene_lang={language}"
    );
    let read = |mut response: ureq::http::Response<ureq::Body>| {
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_to_string().unwrap_or_default(),
            location,
        )
    };
    let page = agent
        .get(format!("{}{path}", server.base))
        .header("cookie", &cookies)
        .call()
        .map(read)
        .expect("the page answers");
    let Some((action, fields)) = form else {
        return page;
    };
    let csrf = page
        .1
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("a form on {path}: {}", page.1))
        .to_string();
    let mut body: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
    body.extend_from_slice(fields);
    agent
        .post(format!("{}{action}", server.base))
        .header("cookie", &cookies)
        .send_form(body)
        .map(read)
        .expect("the form is answered")
}

#[test]
fn an_administrator_follows_and_unfollows_an_instance_from_its_page_never_its_own() {
    each_pair("instances page", |a_db, b_db| {
        let a = start(&a_db.url);
        let b = start(&b_db.url);
        let admin = administrator(&a, &a_db.url, "admin@a.example");
        let ann = member(&a, "ann@a.example");
        let a_host = a.base.trim_start_matches("http://").to_string();
        let b_host = b.base.trim_start_matches("http://").to_string();

        // Administrators only.
        let (status, body, _) = browse(&a, &ann, "/admin/instances", None);
        assert_eq!(status, 403, "{body}");
        assert!(body.contains("Only the instance"), "{body}");
        let (status, body, _) = browse(&a, &admin, "/admin/instances", None);
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("follows no other instance"), "{body}");

        // This instance itself, by any of its names: refused on the field, nothing recorded,
        // from the page, the API and the command line alike.
        let head = || run_ok(&a_db.url, &["federation", "instances"]);
        for own in [a_host.clone(), a.base.clone(), format!("{}/relay", a.base)] {
            let (status, body, _) = browse(
                &a,
                &admin,
                "/admin/instances",
                Some(("/admin/instances", &[("instance", own.as_str())])),
            );
            assert_eq!(status, 422, "{own}: {body}");
            assert!(body.contains("id=\"instance-error\""), "{body}");
            assert!(body.contains("is this instance itself"), "{body}");
            let (status, said) = a.call(
                "POST",
                "/api/v1/admin/instances",
                &admin,
                Some(json!({"instance": own})),
            );
            assert_eq!(status, 422, "{said}");
            assert_eq!(said["errors"][0]["field"], "instance", "{said}");
        }
        let refused = run(
            &a_db.url,
            &["federation", "follow-instance", &a_host, "--test-network"],
        );
        assert!(!refused.status.success());
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(said.contains("is this instance itself"), "{said}");
        assert!(head().contains("0 instances"), "{}", head());

        // B, by its host: followed, listed as asked then accepted, then unfollowed.
        let (status, body, location) = browse(
            &a,
            &admin,
            "/admin/instances",
            Some(("/admin/instances", &[("instance", b_host.as_str())])),
        );
        assert_eq!(
            (status, location.as_str()),
            (303, "/admin/instances"),
            "{body}"
        );
        a.wait_until(|a| {
            browse(a, &admin, "/admin/instances", None)
                .1
                .contains(&format!("Stop following {b_host}"))
                && a.call("GET", "/api/v1/admin/instances", &admin, None).1[0]["following"]
                    == "accepted"
        });
        let (_, body, _) = browse(&a, &admin, "/admin/instances", None);
        assert!(body.contains(&b_host), "{body}");
        let (_, body, _) = browse_in("fr", &a, &admin, "/admin/instances", None);
        assert!(body.contains("Instances suivies et abonnées"), "{body}");
        assert!(body.contains(&format!("Ne plus suivre {b_host}")), "{body}");
        let b_actor = format!("{}/relay", b.base);
        let (status, body, _) = browse(
            &a,
            &admin,
            "/admin/instances",
            Some((
                "/admin/instances/unfollow",
                &[("instance", b_actor.as_str())],
            )),
        );
        assert_eq!(status, 303, "{body}");
        b.wait_until(|b| total(b, "/relay/followers") == 0);
        let (_, body, _) = browse(&a, &admin, "/admin/instances", None);
        assert!(!body.contains("Stop following"), "{body}");
        a.stop();
        b.stop();
    });
}
