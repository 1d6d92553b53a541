//! Given/when/then specifications of the group aggregate.

use super::*;
use crate::event::details::Address;
use cqrs_es::test::TestFramework;

type Given = TestFramework<Group>;
use GroupChange as C;
use GroupCommand as G;
use MemberRole as R;

fn p(username: &str) -> GroupActor {
    GroupActor::profile(username)
}

fn created_with(openness: Openness) -> C {
    let mut details = GroupDetails::named("Repair café");
    details.openness = openness;
    C::Created {
        handle: "repair".into(),
        creator: p("ana"),
        details,
    }
}

fn created() -> C {
    created_with(Openness::Moderated)
}

fn joined(who: &str, role: R) -> C {
    C::MemberJoined {
        who: p(who),
        role,
        message: None,
    }
}

fn role(who: &str, role: R) -> C {
    C::MemberRoleChanged { who: p(who), role }
}

fn join(who: &str) -> G {
    G::Join {
        who: p(who),
        message: None,
    }
}

/// A moderated group by @ana with @mod (moderator), @adm (administrator) and @mem (member).
fn staffed() -> Vec<C> {
    vec![
        created(),
        joined("mod", R::Member),
        role("mod", R::Moderator),
        joined("adm", R::Member),
        role("adm", R::Administrator),
        joined("mem", R::Member),
    ]
}

fn fields(error: GroupError) -> Vec<String> {
    match error {
        GroupError::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

fn create_error(handle: &str, details: GroupDetails) -> Vec<String> {
    let group = Group::default();
    fields(
        group
            .create(handle.into(), p("ana"), details)
            .expect_err("refused"),
    )
}

// Creation and settings.

#[test]
fn a_profile_creates_a_group_and_becomes_its_creator() {
    Given::with(())
        .given_no_previous_events()
        .when(G::Create {
            handle: "repair".into(),
            creator: p("ana"),
            details: GroupDetails {
                summary: "<p>Fix <script>x()</script>things</p>".into(),
                ..GroupDetails::named("  Repair café ")
            },
        })
        .then_expect_events(vec![C::Created {
            handle: "repair".into(),
            creator: p("ana"),
            details: GroupDetails {
                summary: "<p>Fix things</p>".into(),
                ..GroupDetails::named("Repair café")
            },
        }]);
    let mut group = Group::default();
    group.apply(created());
    assert_eq!(group.role_of(&p("ana")), Some(R::Creator));
}

#[test]
fn a_handle_is_a_username_and_not_one_the_instance_reserves() {
    for bad in [
        "",
        "Repair",
        "re pair",
        "café",
        &"x".repeat(31),
        "admin",
        "api",
    ] {
        assert_eq!(
            create_error(bad, GroupDetails::named("Repair")),
            ["handle"],
            "{bad}"
        );
    }
}

#[test]
fn every_bad_setting_is_named_at_once() {
    let details = GroupDetails {
        summary: "x".repeat(details::SUMMARY_MAX + 1),
        address: Some(Address {
            latitude: Some(91.0),
            longitude: Some(0.0),
            ..Address::default()
        }),
        ..GroupDetails::named(" ")
    };
    assert_eq!(
        create_error("Bad", details),
        ["handle", "display_name", "summary", "address.latitude"]
    );
}

#[test]
fn a_group_is_created_once() {
    Given::with(())
        .given(vec![created()])
        .when(G::Create {
            handle: "repair".into(),
            creator: p("bob"),
            details: GroupDetails::named("Other"),
        })
        .then_expect_error(GroupError::AlreadyExists);
}

#[test]
fn administrators_change_the_settings_and_only_what_changed_is_named() {
    let patch = GroupPatch {
        openness: Some(Openness::Open),
        manually_approves_followers: Some(true),
        ..GroupPatch::default()
    };
    let mut expected = GroupDetails::named("Repair café");
    expected.openness = Openness::Open;
    expected.manually_approves_followers = true;
    Given::with(())
        .given(staffed())
        .when(G::Update {
            by: p("adm"),
            patch: patch.clone(),
        })
        .then_expect_events(vec![C::Updated {
            details: expected,
            fields: vec!["openness".into(), "manually_approves_followers".into()],
        }]);
    Given::with(())
        .given(staffed())
        .when(G::Update {
            by: p("mod"),
            patch,
        })
        .then_expect_error(GroupError::RoleNeeded(R::Administrator));
}

#[test]
fn settings_set_to_what_they_are_record_nothing() {
    Given::with(())
        .given(staffed())
        .when(G::Update {
            by: p("ana"),
            patch: GroupPatch {
                display_name: Some(" Repair café ".into()),
                ..GroupPatch::default()
            },
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_group_that_does_not_exist_takes_no_command() {
    Given::with(())
        .given_no_previous_events()
        .when(join("bob"))
        .then_expect_error(GroupError::NotFound);
}

// Openness.

#[test]
fn joining_an_open_group_makes_a_member() {
    Given::with(())
        .given(vec![created_with(Openness::Open)])
        .when(join("bob"))
        .then_expect_events(vec![joined("bob", R::Member)]);
}

#[test]
fn joining_a_moderated_group_asks_the_moderators() {
    Given::with(())
        .given(vec![created()])
        .when(G::Join {
            who: p("bob"),
            message: Some("  I fix lamps ".into()),
        })
        .then_expect_events(vec![C::MemberJoined {
            who: p("bob"),
            role: R::NotApproved,
            message: Some("I fix lamps".into()),
        }]);
}

#[test]
fn an_invite_only_group_refuses_to_be_joined() {
    Given::with(())
        .given(vec![created_with(Openness::InviteOnly)])
        .when(join("bob"))
        .then_expect_error(GroupError::InviteOnly);
}

#[test]
fn nobody_joins_twice_and_the_rejected_do_not_ask_again() {
    Given::with(())
        .given(vec![created(), joined("bob", R::NotApproved)])
        .when(join("bob"))
        .then_expect_error(GroupError::AlreadyIn("@bob".into(), "not_approved"));
    Given::with(())
        .given(vec![
            created(),
            joined("bob", R::NotApproved),
            C::MemberRejected { who: p("bob") },
        ])
        .when(join("bob"))
        .then_expect_error(GroupError::RejectedBefore("@bob".into()));
}

#[test]
fn an_oversized_message_is_refused_by_field() {
    let group = {
        let mut g = Group::default();
        g.apply(created());
        g
    };
    let error = group
        .join(p("bob"), Some("x".repeat(MESSAGE_MAX + 1)))
        .expect_err("refused");
    assert_eq!(fields(error), ["message"]);
}

// Requests.

#[test]
fn moderators_approve_or_reject_a_request_once() {
    let asked = vec![
        created(),
        joined("mod", R::Member),
        role("mod", R::Moderator),
        joined("bob", R::NotApproved),
    ];
    Given::with(())
        .given(asked.clone())
        .when(G::Approve {
            by: p("mod"),
            who: p("bob"),
        })
        .then_expect_events(vec![C::MemberApproved { who: p("bob") }]);
    Given::with(())
        .given(asked.clone())
        .when(G::Reject {
            by: p("mod"),
            who: p("bob"),
        })
        .then_expect_events(vec![C::MemberRejected { who: p("bob") }]);
    let mut answered = asked;
    answered.push(C::MemberApproved { who: p("bob") });
    Given::with(())
        .given(answered)
        .when(G::Reject {
            by: p("mod"),
            who: p("bob"),
        })
        .then_expect_error(GroupError::WrongRole("@bob".into(), "member"));
}

#[test]
fn members_cannot_answer_requests() {
    let mut given = staffed();
    given.push(joined("bob", R::NotApproved));
    Given::with(())
        .given(given)
        .when(G::Approve {
            by: p("mem"),
            who: p("bob"),
        })
        .then_expect_error(GroupError::RoleNeeded(R::Moderator));
}

#[test]
fn a_withdrawn_request_cannot_be_approved() {
    let mut given = staffed();
    given.push(joined("bob", R::NotApproved));
    Given::with(())
        .given(given.clone())
        .when(G::Leave { who: p("bob") })
        .then_expect_events(vec![C::MemberLeft { who: p("bob") }]);
    given.push(C::MemberLeft { who: p("bob") });
    Given::with(())
        .given(given)
        .when(G::Approve {
            by: p("mod"),
            who: p("bob"),
        })
        .then_expect_error(GroupError::NoRequest("@bob".into()));
}

#[test]
fn a_request_never_made_cannot_be_rejected() {
    Given::with(())
        .given(staffed())
        .when(G::Reject {
            by: p("mod"),
            who: p("nobody"),
        })
        .then_expect_error(GroupError::NoRequest("@nobody".into()));
}

// Invitations.

#[test]
fn moderators_invite_and_the_invited_accept_or_decline() {
    Given::with(())
        .given(staffed())
        .when(G::Invite {
            by: p("mod"),
            who: p("bob"),
        })
        .then_expect_events(vec![C::MemberInvited { who: p("bob") }]);
    let mut invited = staffed();
    invited.push(C::MemberInvited { who: p("bob") });
    Given::with(())
        .given(invited.clone())
        .when(G::AcceptInvitation { who: p("bob") })
        .then_expect_events(vec![C::InvitationAccepted { who: p("bob") }]);
    Given::with(())
        .given(invited)
        .when(G::DeclineInvitation { who: p("bob") })
        .then_expect_events(vec![C::InvitationDeclined { who: p("bob") }]);
}

#[test]
fn invite_only_groups_take_the_invited() {
    Given::with(())
        .given(vec![
            created_with(Openness::InviteOnly),
            C::MemberInvited { who: p("bob") },
        ])
        .when(G::AcceptInvitation { who: p("bob") })
        .then_expect_events(vec![C::InvitationAccepted { who: p("bob") }]);
}

#[test]
fn nobody_is_invited_twice_and_members_cannot_invite() {
    let mut invited = staffed();
    invited.push(C::MemberInvited { who: p("bob") });
    Given::with(())
        .given(invited)
        .when(G::Invite {
            by: p("adm"),
            who: p("bob"),
        })
        .then_expect_error(GroupError::AlreadyIn("@bob".into(), "invited"));
    Given::with(())
        .given(staffed())
        .when(G::Invite {
            by: p("mod"),
            who: p("mem"),
        })
        .then_expect_error(GroupError::AlreadyIn("@mem".into(), "member"));
    Given::with(())
        .given(staffed())
        .when(G::Invite {
            by: p("mem"),
            who: p("bob"),
        })
        .then_expect_error(GroupError::RoleNeeded(R::Moderator));
}

#[test]
fn only_an_invitation_is_accepted() {
    Given::with(())
        .given(staffed())
        .when(G::AcceptInvitation { who: p("mem") })
        .then_expect_error(GroupError::WrongRole("@mem".into(), "member"));
    Given::with(())
        .given(staffed())
        .when(G::AcceptInvitation { who: p("bob") })
        .then_expect_error(GroupError::NotInGroup("@bob".into()));
}

#[test]
fn a_rejected_person_may_still_be_invited() {
    let mut given = staffed();
    given.push(joined("bob", R::NotApproved));
    given.push(C::MemberRejected { who: p("bob") });
    Given::with(())
        .given(given)
        .when(G::Invite {
            by: p("mod"),
            who: p("bob"),
        })
        .then_expect_events(vec![C::MemberInvited { who: p("bob") }]);
}

// Roles.

#[test]
fn administrators_change_roles_up_to_their_own() {
    Given::with(())
        .given(staffed())
        .when(G::ChangeRole {
            by: p("adm"),
            who: p("mem"),
            role: R::Administrator,
        })
        .then_expect_events(vec![role("mem", R::Administrator)]);
    Given::with(())
        .given(staffed())
        .when(G::ChangeRole {
            by: p("adm"),
            who: p("mod"),
            role: R::Member,
        })
        .then_expect_events(vec![role("mod", R::Member)]);
}

#[test]
fn moderators_and_members_cannot_change_roles() {
    for by in ["mod", "mem", "stranger"] {
        Given::with(())
            .given(staffed())
            .when(G::ChangeRole {
                by: p(by),
                who: p("mem"),
                role: R::Moderator,
            })
            .then_expect_error(GroupError::RoleNeeded(R::Administrator));
    }
}

#[test]
fn nobody_changes_the_role_of_someone_above_them() {
    Given::with(())
        .given(staffed())
        .when(G::ChangeRole {
            by: p("adm"),
            who: p("ana"),
            role: R::Member,
        })
        .then_expect_error(GroupError::AboveOwnRole);
}

#[test]
fn creator_is_not_given_and_requests_are_not_promoted() {
    Given::with(())
        .given(staffed())
        .when(G::ChangeRole {
            by: p("ana"),
            who: p("mem"),
            role: R::Creator,
        })
        .then_expect_error(GroupError::RoleNotAssignable);
    let mut given = staffed();
    given.push(joined("bob", R::NotApproved));
    Given::with(())
        .given(given)
        .when(G::ChangeRole {
            by: p("ana"),
            who: p("bob"),
            role: R::Moderator,
        })
        .then_expect_error(GroupError::WrongRole("@bob".into(), "not_approved"));
}

// The last administrator.

#[test]
fn the_last_administrator_cannot_leave_or_step_down() {
    Given::with(())
        .given(vec![created(), joined("mem", R::Member)])
        .when(G::Leave { who: p("ana") })
        .then_expect_error(GroupError::LastAdministrator);
    Given::with(())
        .given(vec![created(), joined("mem", R::Member)])
        .when(G::ChangeRole {
            by: p("ana"),
            who: p("ana"),
            role: R::Moderator,
        })
        .then_expect_error(GroupError::LastAdministrator);
}

#[test]
fn an_administrator_leaves_when_another_remains() {
    Given::with(())
        .given(staffed())
        .when(G::Leave { who: p("ana") })
        .then_expect_events(vec![C::MemberLeft { who: p("ana") }]);
    Given::with(())
        .given(staffed())
        .when(G::ChangeRole {
            by: p("ana"),
            who: p("ana"),
            role: R::Member,
        })
        .then_expect_events(vec![role("ana", R::Member)]);
}

// Leaving and removal.

#[test]
fn members_leave_and_invitations_are_declined_not_left() {
    Given::with(())
        .given(staffed())
        .when(G::Leave { who: p("mem") })
        .then_expect_events(vec![C::MemberLeft { who: p("mem") }]);
    let mut invited = staffed();
    invited.push(C::MemberInvited { who: p("bob") });
    Given::with(())
        .given(invited)
        .when(G::Leave { who: p("bob") })
        .then_expect_error(GroupError::WrongRole("@bob".into(), "invited"));
    Given::with(())
        .given(staffed())
        .when(G::Leave { who: p("stranger") })
        .then_expect_error(GroupError::NotInGroup("@stranger".into()));
}

#[test]
fn moderators_remove_members_but_not_those_above_them() {
    Given::with(())
        .given(staffed())
        .when(G::Remove {
            by: p("mod"),
            who: p("mem"),
        })
        .then_expect_events(vec![C::MemberRemoved { who: p("mem") }]);
    Given::with(())
        .given(staffed())
        .when(G::Remove {
            by: p("mod"),
            who: p("adm"),
        })
        .then_expect_error(GroupError::AboveOwnRole);
    Given::with(())
        .given(staffed())
        .when(G::Remove {
            by: p("mem"),
            who: p("mod"),
        })
        .then_expect_error(GroupError::RoleNeeded(R::Moderator));
}

#[test]
fn removing_cancels_an_invitation() {
    let mut invited = staffed();
    invited.push(C::MemberInvited { who: p("bob") });
    Given::with(())
        .given(invited)
        .when(G::Remove {
            by: p("mod"),
            who: p("bob"),
        })
        .then_expect_events(vec![C::MemberRemoved { who: p("bob") }]);
}

#[test]
fn the_last_administrator_cannot_remove_themself() {
    Given::with(())
        .given(vec![created()])
        .when(G::Remove {
            by: p("ana"),
            who: p("ana"),
        })
        .then_expect_error(GroupError::LastAdministrator);
}

// Followers.

#[test]
fn anyone_follows_a_public_group_at_once_unless_it_approves_followers() {
    Given::with(())
        .given(vec![created()])
        .when(G::Follow { who: p("bob") })
        .then_expect_events(vec![C::Followed {
            who: p("bob"),
            state: FollowState::Approved,
        }]);
    let mut details = GroupDetails::named("Repair café");
    details.manually_approves_followers = true;
    let approving = C::Created {
        handle: "repair".into(),
        creator: p("ana"),
        details,
    };
    Given::with(())
        .given(vec![approving.clone()])
        .when(G::Follow {
            who: GroupActor::Remote("https://masto.example/users/zoe".into()),
        })
        .then_expect_events(vec![C::Followed {
            who: GroupActor::Remote("https://masto.example/users/zoe".into()),
            state: FollowState::Pending,
        }]);
    Given::with(())
        .given(vec![
            approving,
            C::Followed {
                who: p("bob"),
                state: FollowState::Pending,
            },
        ])
        .when(G::ApproveFollower {
            by: p("ana"),
            who: p("bob"),
        })
        .then_expect_events(vec![C::FollowerApproved { who: p("bob") }]);
}

#[test]
fn unlisted_groups_are_not_followed_and_nobody_follows_twice() {
    let mut details = GroupDetails::named("Quiet");
    details.visibility = GroupVisibility::Unlisted;
    Given::with(())
        .given(vec![C::Created {
            handle: "quiet".into(),
            creator: p("ana"),
            details,
        }])
        .when(G::Follow { who: p("bob") })
        .then_expect_error(GroupError::NotFollowable);
    Given::with(())
        .given(vec![
            created(),
            C::Followed {
                who: p("bob"),
                state: FollowState::Approved,
            },
        ])
        .when(G::Follow { who: p("bob") })
        .then_expect_error(GroupError::AlreadyFollowing("@bob".into()));
}

#[test]
fn followers_unfollow_and_moderators_reject_followers() {
    let followed = vec![
        created(),
        C::Followed {
            who: p("bob"),
            state: FollowState::Approved,
        },
    ];
    Given::with(())
        .given(followed.clone())
        .when(G::Unfollow { who: p("bob") })
        .then_expect_events(vec![C::Unfollowed { who: p("bob") }]);
    Given::with(())
        .given(followed.clone())
        .when(G::RejectFollower {
            by: p("ana"),
            who: p("bob"),
        })
        .then_expect_events(vec![C::FollowerRejected { who: p("bob") }]);
    Given::with(())
        .given(followed)
        .when(G::RejectFollower {
            by: p("bob"),
            who: p("bob"),
        })
        .then_expect_error(GroupError::RoleNeeded(R::Moderator));
    Given::with(())
        .given(vec![created()])
        .when(G::Unfollow { who: p("bob") })
        .then_expect_error(GroupError::NotFollowing("@bob".into()));
}

// Replays.

#[test]
fn applying_every_change_twice_leaves_the_state_as_once() {
    let mut changes = staffed();
    changes.extend([
        joined("bob", R::NotApproved),
        C::MemberApproved { who: p("bob") },
        C::MemberInvited { who: p("cy") },
        C::InvitationAccepted { who: p("cy") },
        C::MemberLeft { who: p("mem") },
        C::Followed {
            who: p("dee"),
            state: FollowState::Pending,
        },
        C::FollowerApproved { who: p("dee") },
    ]);
    let mut once = Group::default();
    let mut twice = Group::default();
    for change in changes {
        once.apply(change.clone());
        twice.apply(change.clone());
        twice.apply(change);
    }
    assert_eq!(once, twice);
    assert_eq!(once.members().len(), 5);
    // Snapshots store the aggregate as JSON.
    let snapshot = serde_json::to_string(&once).expect("snapshot");
    assert_eq!(
        serde_json::from_str::<Group>(&snapshot).ok(),
        Some(once.clone())
    );
    assert_eq!(once.role_of(&p("cy")), Some(R::Member));
}

fn shown(id: &str, alt: &str) -> crate::picture::ShownPicture {
    crate::picture::ShownPicture {
        id: id.into(),
        facts: crate::picture::PictureFacts {
            hash: "ab".repeat(32),
            width: 640,
            height: 480,
            widths: vec![320, 640],
            colour: "#a0b1c2".into(),
            blurhash: None,
        },
        alt: alt.into(),
    }
}

#[test]
fn administrators_set_and_remove_the_avatar_and_the_banner_others_may_not() {
    use crate::picture::GroupPicture as Slot;
    for slot in [Slot::Avatar, Slot::Banner] {
        Given::with(())
            .given(staffed())
            .when(G::SetPicture {
                by: p("adm"),
                slot,
                picture: shown("pic1", " A knot "),
            })
            .then_expect_events(vec![C::PictureSet {
                slot,
                picture: shown("pic1", "A knot"),
            }]);
        for who in ["mod", "mem", "stranger"] {
            Given::with(())
                .given(staffed())
                .when(G::SetPicture {
                    by: p(who),
                    slot,
                    picture: shown("pic1", "A knot"),
                })
                .then_expect_error(GroupError::RoleNeeded(R::Administrator));
        }
        let result = Given::with(())
            .given(staffed())
            .when(G::SetPicture {
                by: p("ana"),
                slot,
                picture: shown("pic1", "  "),
            })
            .inspect_result();
        assert!(
            matches!(&result, Err(GroupError::Invalid(e)) if e[0].field == "alt"),
            "{result:?}"
        );
        let mut with_picture = staffed();
        with_picture.push(C::PictureSet {
            slot,
            picture: shown("pic1", "A knot"),
        });
        Given::with(())
            .given(with_picture.clone())
            .when(G::RemovePicture { by: p("mem"), slot })
            .then_expect_error(GroupError::RoleNeeded(R::Administrator));
        Given::with(())
            .given(with_picture)
            .when(G::RemovePicture { by: p("ana"), slot })
            .then_expect_events(vec![C::PictureRemoved { slot }]);
        // Nothing shown, nothing to remove.
        Given::with(())
            .given(staffed())
            .when(G::RemovePicture { by: p("ana"), slot })
            .then_expect_events(vec![]);
    }
    // Each place keeps its own picture.
    let mut group = Group::default();
    for change in staffed() {
        group.apply(change);
    }
    group.apply(C::PictureSet {
        slot: Slot::Banner,
        picture: shown("banner1", "A cliff"),
    });
    assert_eq!(group.picture(Slot::Banner), Some("banner1"));
    assert_eq!(group.picture(Slot::Avatar), None);
}

// The instance moderators' decisions.

fn moderate(action: crate::moderation::GroupAction) -> G {
    G::Moderate {
        action,
        decision: crate::moderation::Decision::plain("m1", "a front for spam"),
    }
}

fn moderated(action: crate::moderation::GroupAction) -> C {
    let G::Moderate { action, decision } = moderate(action) else {
        unreachable!()
    };
    C::Moderated { action, decision }
}

#[test]
fn a_group_is_suspended_once_and_unsuspended_once() {
    use crate::moderation::GroupAction::{Suspend, Unsuspend};
    Given::with(())
        .given(staffed())
        .when(moderate(Suspend))
        .then_expect_events(vec![moderated(Suspend)]);
    let mut suspended = staffed();
    suspended.push(moderated(Suspend));
    Given::with(())
        .given(suspended.clone())
        .when(moderate(Suspend))
        .then_expect_error(GroupError::AlreadyDecided("the group is already suspended"));
    Given::with(())
        .given(suspended)
        .when(moderate(Unsuspend))
        .then_expect_events(vec![moderated(Unsuspend)]);
    Given::with(())
        .given(staffed())
        .when(moderate(Unsuspend))
        .then_expect_error(GroupError::AlreadyDecided("the group is not suspended"));
    Given::with(())
        .given_no_previous_events()
        .when(moderate(Suspend))
        .then_expect_error(GroupError::NotFound);
}

#[test]
fn a_suspended_group_takes_nothing_from_its_members_but_their_leaving() {
    use crate::moderation::GroupAction::{Suspend, Unsuspend};
    let mut suspended = staffed();
    suspended.push(moderated(Suspend));
    Given::with(())
        .given(suspended.clone())
        .when(G::StartDiscussion {
            by: p("mem"),
            discussion: "d1".into(),
            title: "Next session".into(),
            comment: "c1".into(),
            body: "Who brings the solder?".into(),
        })
        .then_expect_error(GroupError::Suspended);
    Given::with(())
        .given(suspended.clone())
        .when(join("zoe"))
        .then_expect_error(GroupError::Suspended);
    Given::with(())
        .given(suspended.clone())
        .when(G::Leave { who: p("mem") })
        .then_expect_events(vec![C::MemberLeft { who: p("mem") }]);
    // Lifted, the group takes its members' work again.
    suspended.push(moderated(Unsuspend));
    Given::with(())
        .given(suspended)
        .when(join("zoe"))
        .then_expect_events(vec![C::MemberJoined {
            who: p("zoe"),
            role: R::NotApproved,
            message: None,
        }]);
}
