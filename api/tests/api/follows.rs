//! Follows of profiles by remote actors and of remote actors by profiles: the use cases the
//! inbox calls, the changes they record with their origin, and the `follows` read model, which a
//! replay rebuilds the same.

use crate::servers;
use crate::support::{member, profile};
use convene_api::auth::{Origin, Session};
use convene_api::follows::{self, RemoteActor, RemoteFollower};
use convene_api::http::problem::status_of;
use convene_domain::profile::FollowingState;
use convene_domain::{Actor, Metadata, Source};
use convene_projections::follows::{followers_of, following_of, Follower, Following};
use convene_projections::log::EventLog;
use convene_projections::read_models;
use convene_projections::Runner;

const BOB: &str = "https://remote.example/users/bob";
const CAROL: &str = "https://other.example/@carol";

fn bob() -> RemoteFollower {
    RemoteFollower {
        actor: BOB.into(),
        inbox: format!("{BOB}/inbox"),
        shared_inbox: Some("https://remote.example/inbox".into()),
    }
}

fn carol() -> RemoteActor {
    RemoteActor {
        actor: CAROL.into(),
        inbox: format!("{CAROL}/inbox"),
        shared_inbox: None,
    }
}

/// The origin the inbox gives a use case for the incoming activity `id`.
fn incoming(id: &str) -> Origin {
    Origin::new(
        Source::Federation {
            activity: id.to_string(),
        },
        "req-inbox",
        None,
    )
}

/// The metadata of the last change in the log.
async fn last_metadata(db: &convene_projections::Database) -> Metadata {
    let log = EventLog::new(db);
    let head = log.head().await.expect("head").position;
    let events = log.read(head - 1, head, 1).await.expect("read");
    events[0].metadata().expect("metadata")
}

#[tokio::test]
async fn remote_followers_are_recorded_once_with_their_origin_and_removed() {
    for (_db, server) in servers("follows_followers").await {
        let state = &server.state;
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let follow = "https://remote.example/activities/f1";
        follows::add_follower(state, &incoming(follow), "ana", bob(), follow)
            .await
            .expect("bob follows ana");
        let metadata = last_metadata(&server.db).await;
        assert_eq!(metadata.actor, Actor::Remote { actor: BOB.into() });
        assert_eq!(
            metadata.source,
            Source::Federation {
                activity: follow.into()
            }
        );
        let head = server.head().await;
        // The same Follow delivered twice is one follower and one change.
        follows::add_follower(state, &incoming(follow), "ana", bob(), follow)
            .await
            .expect("the same follow again");
        assert_eq!(server.head().await, head, "{}", server.label);
        let expected = vec![Follower {
            actor: BOB.into(),
            inbox: format!("{BOB}/inbox"),
            shared_inbox: Some("https://remote.example/inbox".into()),
        }];
        assert_eq!(
            followers_of(server.db.pool(), "ana")
                .await
                .expect("followers"),
            expected
        );
        // A new Follow from the same actor is recorded (to be accepted again): one follower.
        let again = "https://remote.example/activities/f2";
        follows::add_follower(state, &incoming(again), "ana", bob(), again)
            .await
            .expect("a new follow");
        assert_eq!(
            follows::followers(state, "ana").await.expect("followers"),
            expected
        );

        let undo = "https://remote.example/activities/undo-f2";
        follows::remove_follower(state, &incoming(undo), "ana", BOB)
            .await
            .expect("bob leaves");
        assert_eq!(
            last_metadata(&server.db).await.source,
            Source::Federation {
                activity: undo.into()
            }
        );
        assert!(followers_of(server.db.pool(), "ana")
            .await
            .expect("followers")
            .is_empty());
        // An Undo seen twice changes nothing and is no error.
        let head = server.head().await;
        follows::remove_follower(state, &incoming(undo), "ana", BOB)
            .await
            .expect("undo again");
        assert_eq!(server.head().await, head);
    }
}

#[tokio::test]
async fn bad_followers_and_unknown_profiles_are_refused_clearly() {
    for (_db, server) in servers("follows_refusals").await {
        let state = &server.state;
        let follow = "https://remote.example/activities/f1";
        let nobody = follows::add_follower(state, &incoming(follow), "nobody", bob(), follow)
            .await
            .expect_err("no such profile");
        assert_eq!(status_of(&nobody).as_u16(), 404);
        assert_eq!(nobody.detail(), "there is no profile @nobody");
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let bad = RemoteFollower {
            inbox: "/inbox".into(),
            ..bob()
        };
        let refused = follows::add_follower(state, &incoming(follow), "ana", bad, follow)
            .await
            .expect_err("inbox is not a URL");
        assert_eq!(status_of(&refused).as_u16(), 422);
        assert_eq!(refused.field_errors()[0].field, "inbox");
        assert!(followers_of(server.db.pool(), "ana")
            .await
            .expect("followers")
            .is_empty());
    }
}

#[tokio::test]
async fn a_profile_follows_a_remote_actor_until_it_unfollows_and_a_replay_rebuilds_the_same() {
    for (_db, mut server) in servers("follows_following").await {
        let state = server.state.clone();
        let ana = member(&server, "ana@example.org").await;
        profile(&ana, "ana").await;
        let token = ana.token.clone().expect("logged in");
        let session = Session::open(&state, &token, Origin::new(Source::Api, "req-1", None))
            .await
            .expect("session")
            .expect("open");
        let acting = session
            .acting_as(&state, Some("ana".into()))
            .await
            .expect("acting as ana");

        let not_followed = follows::unfollow(&state, &acting, CAROL)
            .await
            .expect_err("not followed yet");
        assert_eq!(status_of(&not_followed).as_u16(), 404);
        assert_eq!(
            not_followed.detail(),
            format!("{CAROL} is not followed by this profile")
        );

        follows::follow_remote(&state, &acting, carol())
            .await
            .expect("ana asks to follow carol");
        assert_eq!(
            last_metadata(&server.db).await.actor,
            Actor::Account {
                account: session_account(&acting),
                profile: Some("ana".into())
            }
        );
        let head = server.head().await;
        follows::follow_remote(&state, &acting, carol())
            .await
            .expect("asking twice is harmless");
        assert_eq!(server.head().await, head);
        let state_of = |list: Vec<Following>| {
            list.into_iter()
                .map(|f| (f.target, f.state))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            state_of(
                following_of(server.db.pool(), "ana")
                    .await
                    .expect("following")
            ),
            vec![(CAROL.to_string(), FollowingState::Requested)]
        );

        let accept = "https://other.example/activities/accept-1";
        follows::follow_accepted(&state, &incoming(accept), "ana", CAROL)
            .await
            .expect("carol accepts");
        assert_eq!(
            last_metadata(&server.db).await.actor,
            Actor::Remote {
                actor: CAROL.into()
            }
        );
        assert_eq!(
            state_of(follows::following(&state, "ana").await.expect("following")),
            vec![(CAROL.to_string(), FollowingState::Accepted)]
        );
        let stranger = follows::follow_accepted(&state, &incoming(accept), "ana", BOB)
            .await
            .expect_err("never asked bob");
        assert_eq!(status_of(&stranger).as_u16(), 404);

        // Rejected: no longer followed; asked again, then unfollowed.
        follows::follow_rejected(&state, &incoming(accept), "ana", CAROL)
            .await
            .expect("carol rejects");
        assert!(following_of(server.db.pool(), "ana")
            .await
            .expect("following")
            .is_empty());
        follows::follow_remote(&state, &acting, carol())
            .await
            .expect("ask again");
        follows::add_follower(
            &state,
            &incoming("https://remote.example/f"),
            "ana",
            bob(),
            "https://remote.example/f",
        )
        .await
        .expect("bob follows ana");
        follows::unfollow(&state, &acting, CAROL)
            .await
            .expect("unfollow");
        assert!(following_of(server.db.pool(), "ana")
            .await
            .expect("following")
            .is_empty());
        follows::follow_remote(&state, &acting, carol())
            .await
            .expect("and again");

        // The read model rebuilt from the log is the one kept live.
        let followers = followers_of(server.db.pool(), "ana")
            .await
            .expect("followers");
        let following = following_of(server.db.pool(), "ana")
            .await
            .expect("following");
        server.stop_subscribers().await;
        let model = read_models()
            .into_iter()
            .find(|m| m.name() == "follows")
            .expect("the follows read model");
        let runner = Runner::new(model, &server.db);
        runner.reset().await.expect("reset");
        assert!(followers_of(server.db.pool(), "ana")
            .await
            .expect("emptied")
            .is_empty());
        let head = server.head().await;
        runner.catch_up(head, &mut |_| {}).await.expect("replay");
        assert_eq!(
            followers_of(server.db.pool(), "ana")
                .await
                .expect("rebuilt"),
            followers
        );
        assert_eq!(
            following_of(server.db.pool(), "ana")
                .await
                .expect("rebuilt"),
            following
        );
        assert_eq!(followers.len(), 1);
        assert_eq!(
            state_of(following),
            vec![(CAROL.to_string(), FollowingState::Requested)]
        );
    }
}

fn session_account(acting: &convene_api::auth::Acting) -> String {
    acting.session.account.id.clone()
}
