//! The sender killed with SIGKILL in the middle of a fan-out, twice: instance A's organiser has
//! 49 followers on test receivers (7 hosts on 127.0.0.1, six of them slow to answer) and one on
//! instance B, and publishes an event; A's group has 49 remote members on those receivers and
//! publishes a members-only post. Once the fast host's deliveries are recorded and the slow ones
//! are on the wire, A is killed, then restarted on the same database. Every inbox ends up with
//! the `Create` exactly once as the receivers count it (deduplicated by activity id, as
//! ActivityPub servers do), every POST signed by the sender, and B shows the event once.

use crate::federation::{copy_of, each_pair, follows, someone, start, start_on_port, TEST_NETWORK};
use crate::organising::ok;
use crate::support::{convene, free_port, run_ok, Server};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use convene_domain::group::GroupActor;
use convene_domain::{Actor, Group, GroupCommand, Metadata, Profile, ProfileCommand, Source};
use convene_federation::signatures::{self, Received, DEFAULT_MAX_SKEW};
use convene_projections::scratch::Scratch;
use convene_projections::{Commands, Database};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

const HOSTS: usize = 7;
const PER_HOST: usize = 7;
/// How long the slow hosts take to answer a `Create`: long enough to kill A meanwhile.
const SLOW: Duration = Duration::from_secs(4);

/// What the receivers saw: per inbox, every activity id posted (repeats included), and the
/// POSTs whose signature did not verify.
#[derive(Default)]
struct Seen {
    posts: Mutex<HashMap<String, Vec<(String, String)>>>,
    unverified: Mutex<Vec<String>>,
    key: Mutex<Option<String>>,
}

async fn inbox(
    State((seen, host)): State<(Arc<Seen>, usize)>,
    Path(n): Path<usize>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let activity: Value = serde_json::from_slice(&body).unwrap_or_default();
    let id = activity["id"].as_str().unwrap_or_default().to_string();
    let kind = activity["type"].as_str().unwrap_or_default().to_string();
    let pem = seen.key.lock().expect("key").clone().unwrap_or_default();
    let received = Received {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &body,
        scheme: "http",
    };
    let verified = signatures::parse(&received, SystemTime::now(), DEFAULT_MAX_SKEW)
        .and_then(|signed| signed.verify(&pem));
    if verified.is_err() {
        seen.unverified.lock().expect("seen").push(id);
        return StatusCode::UNAUTHORIZED;
    }
    // Counted on arrival: a sender killed before the answer has still delivered it.
    seen.posts
        .lock()
        .expect("seen")
        .entry(format!("{host}/{n}"))
        .or_default()
        .push((kind.clone(), id));
    if kind == "Create" && host != 0 {
        tokio::time::sleep(SLOW).await;
    }
    StatusCode::ACCEPTED
}

/// Seven hosts of test receivers on 127.0.0.1, [`PER_HOST`] inboxes each (`/inbox/{n}`), host 0
/// fast and the others slow to answer a `Create`; what arrives signed by `seen.key` is counted.
struct Receivers {
    runtime: tokio::runtime::Runtime,
    seen: Arc<Seen>,
    bases: Vec<String>,
}

impl Receivers {
    fn start() -> Receivers {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let seen = Arc::new(Seen::default());
        let bases = (0..HOSTS)
            .map(|host| {
                runtime.block_on(async {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("bind");
                    let base = format!("http://{}", listener.local_addr().expect("address"));
                    let app = Router::new()
                        .route("/inbox/{n}", post(inbox))
                        .with_state((seen.clone(), host));
                    tokio::spawn(async move { axum::serve(listener, app).await });
                    base
                })
            })
            .collect();
        Receivers {
            runtime,
            seen,
            bases,
        }
    }

    /// Every receiving actor, with its inbox.
    fn actors(&self) -> Vec<(String, String)> {
        self.bases
            .iter()
            .flat_map(|base| {
                (0..PER_HOST)
                    .map(move |n| (format!("{base}/users/{n}"), format!("{base}/inbox/{n}")))
            })
            .collect()
    }

    /// The POSTs verify with the key of `actor` (its path on `server`).
    fn signed_by(&self, server: &Server, actor: &str) {
        let (_, document) = crate::federation::activity(server, actor);
        *self.seen.key.lock().expect("key") = document["publicKey"]["publicKeyPem"]
            .as_str()
            .map(str::to_string);
    }

    /// `commands` run on the database at `url` as the inbox runs them, in order.
    fn record<A>(&self, url: &str, id: &str, commands: Vec<(A::Command, Metadata)>)
    where
        A: cqrs_es::Aggregate<Services = ()> + Clone + 'static,
        A::Command: Clone,
    {
        self.runtime.block_on(async {
            let db = Database::open(url).await.expect("the database");
            for (command, metadata) in commands {
                Commands::<A>::new(&db, ())
                    .execute_retrying(id, command, &metadata)
                    .await
                    .unwrap_or_else(|e| panic!("{id}: {e}"));
            }
        });
    }
}

/// Instance A on `url`, holding the deliveries it claims for 15 s (the shortest lease) rather
/// than a minute: what it claimed before being killed comes back that much sooner.
fn sender(url: &str) -> Server {
    let options = [TEST_NETWORK, "--delivery-lease", "15"];
    Server::start_on(convene(), url, free_port(), &options, Stdio::inherit())
}

/// `a` (started by [`sender`]) killed once the fast host's `Create`s are recorded as delivered and the slow hosts' are
/// on the wire, then restarted on the same database and port: every inbox has the `Create`
/// exactly once, every POST verified. The restarted server.
fn killed_mid_fan_out_and_restarted(a: Server, a_db: &Scratch, receivers: &Receivers) -> Server {
    let seen = &receivers.seen;
    a.wait_until(|_| creates(seen).len() > PER_HOST && delivered_creates(&a_db.url) >= PER_HOST);
    let arrived_before = creates(seen).len();
    let port = a.port();
    a.kill();
    assert!(
        arrived_before < HOSTS * PER_HOST || delivered_creates(&a_db.url) < HOSTS * PER_HOST,
        "A was killed after the fan-out ended: nothing was in flight"
    );

    // What was claimed comes back once its lease ends, and every inbox gets the Create.
    let a = start_on_port(&a_db.url, port);
    a.wait_within(Duration::from_secs(150), |_| pending(&a_db.url) == 0);
    let posts = seen.posts.lock().expect("seen").clone();
    let mut resent = 0;
    for host in 0..HOSTS {
        for n in 0..PER_HOST {
            let inbox = format!("{host}/{n}");
            let got: Vec<&String> = posts
                .get(&inbox)
                .map(|p| {
                    p.iter()
                        .filter(|(k, _)| k == "Create")
                        .map(|(_, id)| id)
                        .collect()
                })
                .unwrap_or_default();
            let distinct: HashSet<&&String> = got.iter().collect();
            assert_eq!(
                distinct.len(),
                1,
                "{}: inbox {inbox} got {got:?}",
                a_db.label
            );
            resent += got.len() - 1;
        }
    }
    assert!(seen.unverified.lock().expect("seen").is_empty());
    eprintln!(
        "{}: {arrived_before} Creates had arrived when A was killed; {resent} sent again after the restart, each counted once",
        a_db.label
    );
    a
}

#[test]
fn a_sender_killed_mid_fan_out_delivers_to_every_inbox_exactly_once_after_restart() {
    each_pair("fan-out killed", |a_db, b_db| {
        let receivers = Receivers::start();
        let a = sender(&a_db.url);
        let b = start(&b_db.url);
        let org = someone(&a, "org");
        someone(&b, "bob");
        follows((&b, &b_db.url), "bob", &a, "org");
        receivers.signed_by(&a, "/@org");

        // 49 followers on the receivers, recorded as the inbox records a Follow.
        let metadata = Metadata::now(Actor::System, Source::Cli, "fan-out");
        let follows = receivers
            .actors()
            .into_iter()
            .map(|(actor, inbox)| {
                let follow = ProfileCommand::AddFollower {
                    activity: format!("{actor}/follows/1"),
                    actor,
                    inbox,
                    shared_inbox: None,
                };
                (follow, metadata.clone())
            })
            .collect();
        receivers.record::<Profile>(&a_db.url, "org", follows);
        // The Accepts of those follows are delivered first.
        a.wait_until(|_| pending(&a_db.url) == 0);

        ok(
            &a,
            "POST",
            "/api/v1/events",
            &org,
            Some(
                json!({"title": "Fan-out under fire", "description": "<p>Fifty inboxes.</p>",
                        "begins_at": "2030-07-01T18:00:00Z", "time_zone": "Europe/Paris"}),
            ),
        );
        let a = killed_mid_fan_out_and_restarted(a, a_db, &receivers);
        // B, the other instance, has the event once.
        b.wait_until(|b| copy_of(b, "Fan-out under fire").is_some());
        let (_, listed) = b.get("/api/v1/events?limit=100");
        let copies = listed.as_array().map(|l| {
            l.iter()
                .filter(|e| e["title"] == "Fan-out under fire")
                .count()
        });
        assert_eq!(copies, Some(1));
        a.stop();
        b.stop();
    });
}

#[test]
fn a_group_killed_mid_fan_out_of_a_members_post_delivers_it_to_every_member_once() {
    each_pair("group fan-out killed", |a_db, _| {
        let receivers = Receivers::start();
        let a = sender(&a_db.url);
        let org = someone(&a, "org");
        ok(
            &a,
            "POST",
            "/api/v1/groups",
            &org,
            Some(json!({"handle": "crew", "display_name": "Crew", "openness": "open"})),
        );
        receivers.signed_by(&a, "/@crew");

        // 49 remote members on the receivers, joined as the inbox records a Join (their
        // inboxes in the remote actors' cache, which verified their signatures).
        let joins = receivers
            .actors()
            .into_iter()
            .map(|(actor, inbox)| {
                receivers
                    .runtime
                    .block_on(cache_actor(&a_db.url, &actor, &inbox));
                let metadata = Metadata::now(
                    Actor::Remote {
                        actor: actor.clone(),
                    },
                    Source::Federation {
                        activity: format!("{actor}/joins/1"),
                    },
                    "fan-out",
                );
                let join = GroupCommand::Join {
                    who: GroupActor::Remote(actor),
                    message: None,
                };
                (join, metadata)
            })
            .collect();
        receivers.record::<Group>(&a_db.url, "crew", joins);
        // The Accepts of those joins are delivered first.
        a.wait_until(|_| pending(&a_db.url) == 0);

        ok(
            &a,
            "POST",
            "/api/v1/groups/crew/posts",
            &org,
            Some(
                json!({"title": "Minutes", "body": "<p>For the crew only.</p>",
                        "visibility": "members"}),
            ),
        );
        let a = killed_mid_fan_out_and_restarted(a, a_db, &receivers);
        // What the members received is the group's members-only Article.
        let posts = receivers.seen.posts.lock().expect("seen").clone();
        assert!(posts
            .values()
            .flatten()
            .any(|(kind, id)| kind == "Create" && id.contains("/activities/crew/")));
        a.stop();
    });
}

/// Caches remote actor `actor`, as the inbox does on its first signed activity.
async fn cache_actor(url: &str, actor: &str, inbox: &str) {
    let db = Database::open(url).await.expect("the database");
    sqlx::query(
        "INSERT INTO remote_actors (id, kind, inbox, shared_inbox, key_id, public_key_pem, \
         preferred_username, fetched_at) VALUES ($1, 'Person', $2, NULL, $3, 'x', 'member', 'now')",
    )
    .bind(actor)
    .bind(inbox)
    .bind(format!("{actor}#main-key"))
    .execute(db.pool())
    .await
    .expect("cached");
}

/// The Create activity ids the receivers have seen, with their inbox.
fn creates(seen: &Seen) -> Vec<(String, String)> {
    seen.posts
        .lock()
        .expect("seen")
        .iter()
        .flat_map(|(inbox, posts)| {
            posts
                .iter()
                .filter(|(k, _)| k == "Create")
                .map(move |(_, id)| (inbox.clone(), id.clone()))
        })
        .collect()
}

/// How many deliveries are still pending on `database_url`.
fn pending(database_url: &str) -> usize {
    count(database_url, "pending", "")
}

/// How many deliveries of a Create are recorded as delivered.
fn delivered_creates(database_url: &str) -> usize {
    count(database_url, "delivered", "/create")
}

fn count(database_url: &str, state: &str, activity: &str) -> usize {
    run_ok(
        database_url,
        &["federation", "deliveries", "--state", state],
    )
    .lines()
    .filter(|l| l.contains("/activities/") && l.contains(activity))
    .count()
}
