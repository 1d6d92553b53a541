//! Follows of a profile, given/when/then.

use super::*;
use crate::group::{MemberRole, ResourceContent, ResourceKind};
use crate::validation::FieldError;
use cqrs_es::test::TestFramework;

type Given = TestFramework<Profile>;

const BOB: &str = "https://remote.example/users/bob";
const BOB_INBOX: &str = "https://remote.example/users/bob/inbox";
const SHARED: &str = "https://remote.example/inbox";
const FOLLOW: &str = "https://remote.example/activities/follow-1";

fn alice() -> ProfileChange {
    ProfileChange::Created {
        username: "alice".into(),
        display_name: "Alice".into(),
        account: None,
    }
}

fn add_bob(activity: &str) -> ProfileCommand {
    ProfileCommand::AddFollower {
        actor: BOB.into(),
        inbox: BOB_INBOX.into(),
        shared_inbox: Some(SHARED.into()),
        activity: activity.into(),
    }
}

fn bob_added(activity: &str) -> ProfileChange {
    ProfileChange::FollowerAdded {
        actor: BOB.into(),
        inbox: BOB_INBOX.into(),
        shared_inbox: Some(SHARED.into()),
        activity: activity.into(),
    }
}

fn follow_bob() -> ProfileCommand {
    ProfileCommand::Follow {
        target: BOB.into(),
        inbox: BOB_INBOX.into(),
        shared_inbox: None,
    }
}

fn bob_requested() -> ProfileChange {
    ProfileChange::FollowRequested {
        target: BOB.into(),
        inbox: BOB_INBOX.into(),
        shared_inbox: None,
    }
}

fn target(change: fn(String) -> ProfileCommand) -> ProfileCommand {
    change(BOB.into())
}

#[test]
fn a_remote_actor_follows_a_profile() {
    Given::with(())
        .given(vec![alice()])
        .when(add_bob(FOLLOW))
        .then_expect_events(vec![bob_added(FOLLOW)]);
}

#[test]
fn the_same_follow_twice_is_one_follower_and_one_change() {
    Given::with(())
        .given(vec![alice(), bob_added(FOLLOW)])
        .when(add_bob(FOLLOW))
        .then_expect_events(vec![]);
}

#[test]
fn a_new_follow_from_a_follower_is_recorded_again_to_be_accepted_again() {
    let again = "https://remote.example/activities/follow-2";
    Given::with(())
        .given(vec![alice(), bob_added(FOLLOW)])
        .when(add_bob(again))
        .then_expect_events(vec![bob_added(again)]);
}

#[test]
fn a_follower_with_an_inbox_that_is_not_a_url_is_refused_by_field() {
    Given::with(())
        .given(vec![alice()])
        .when(ProfileCommand::AddFollower {
            actor: BOB.into(),
            inbox: "mailto:bob@remote.example".into(),
            shared_inbox: None,
            activity: FOLLOW.into(),
        })
        .then_expect_error(ProfileError::NotAnActorUrl("inbox"));
}

#[test]
fn a_profile_that_does_not_exist_has_no_followers() {
    Given::with(())
        .given_no_previous_events()
        .when(add_bob(FOLLOW))
        .then_expect_error(ProfileError::NotFound);
}

#[test]
fn a_follower_is_removed_and_removing_it_again_records_nothing() {
    let remove = || ProfileCommand::RemoveFollower { actor: BOB.into() };
    Given::with(())
        .given(vec![alice(), bob_added(FOLLOW)])
        .when(remove())
        .then_expect_events(vec![ProfileChange::FollowerRemoved { actor: BOB.into() }]);
    Given::with(())
        .given(vec![
            alice(),
            bob_added(FOLLOW),
            ProfileChange::FollowerRemoved { actor: BOB.into() },
        ])
        .when(remove())
        .then_expect_events(vec![]);
}

#[test]
fn following_is_requested_then_accepted() {
    Given::with(())
        .given(vec![alice()])
        .when(follow_bob())
        .then_expect_events(vec![bob_requested()]);
    Given::with(())
        .given(vec![alice(), bob_requested()])
        .when(target(|target| ProfileCommand::AcceptFollow { target }))
        .then_expect_events(vec![ProfileChange::FollowAccepted { target: BOB.into() }]);
}

#[test]
fn following_twice_is_harmless() {
    Given::with(())
        .given(vec![alice(), bob_requested()])
        .when(follow_bob())
        .then_expect_events(vec![]);
    Given::with(())
        .given(vec![
            alice(),
            bob_requested(),
            ProfileChange::FollowAccepted { target: BOB.into() },
        ])
        .when(follow_bob())
        .then_expect_events(vec![]);
}

#[test]
fn an_accept_seen_twice_records_nothing_the_second_time() {
    Given::with(())
        .given(vec![
            alice(),
            bob_requested(),
            ProfileChange::FollowAccepted { target: BOB.into() },
        ])
        .when(target(|target| ProfileCommand::AcceptFollow { target }))
        .then_expect_events(vec![]);
}

#[test]
fn an_answer_to_a_follow_never_asked_is_refused() {
    for command in [
        target(|target| ProfileCommand::AcceptFollow { target }),
        target(|target| ProfileCommand::RejectFollow { target }),
    ] {
        Given::with(())
            .given(vec![alice()])
            .when(command)
            .then_expect_error(ProfileError::NotFollowing(BOB.into()));
    }
}

#[test]
fn a_rejected_follow_can_be_asked_again() {
    let rejected = ProfileChange::FollowRejected { target: BOB.into() };
    Given::with(())
        .given(vec![alice(), bob_requested()])
        .when(target(|target| ProfileCommand::RejectFollow { target }))
        .then_expect_events(vec![rejected.clone()]);
    Given::with(())
        .given(vec![alice(), bob_requested(), rejected])
        .when(follow_bob())
        .then_expect_events(vec![bob_requested()]);
}

#[test]
fn unfollowing_ends_a_follow_or_a_request() {
    let unfollow = || target(|target| ProfileCommand::Unfollow { target });
    let unfollowed = ProfileChange::Unfollowed { target: BOB.into() };
    Given::with(())
        .given(vec![alice(), bob_requested()])
        .when(unfollow())
        .then_expect_events(vec![unfollowed.clone()]);
    Given::with(())
        .given(vec![
            alice(),
            bob_requested(),
            ProfileChange::FollowAccepted { target: BOB.into() },
        ])
        .when(unfollow())
        .then_expect_events(vec![unfollowed]);
}

#[test]
fn unfollowing_someone_not_followed_is_a_clear_error() {
    let error = Given::with(())
        .given(vec![alice()])
        .when(target(|target| ProfileCommand::Unfollow { target }))
        .inspect_result()
        .expect_err("not followed");
    assert_eq!(error, ProfileError::NotFollowing(BOB.into()));
    assert_eq!(
        error.to_string(),
        "https://remote.example/users/bob is not followed by this profile"
    );
}

#[test]
fn a_follow_target_must_be_a_url() {
    Given::with(())
        .given(vec![alice()])
        .when(ProfileCommand::Follow {
            target: "bob@remote.example".into(),
            inbox: BOB_INBOX.into(),
            shared_inbox: None,
        })
        .then_expect_error(ProfileError::NotAnActorUrl("target"));
}

#[test]
fn follow_changes_keep_their_stored_names() {
    let stored = serde_json::to_value(bob_added(FOLLOW)).expect("serialises");
    assert_eq!(
        stored,
        serde_json::json!({"FollowerAdded": {
            "actor": BOB, "inbox": BOB_INBOX, "shared_inbox": SHARED, "activity": FOLLOW
        }})
    );
}

const CLUB: &str = "https://remote.example/@club";
const CLUB_INBOX: &str = "https://remote.example/@club/inbox";

fn join_club(message: Option<&str>) -> ProfileCommand {
    ProfileCommand::JoinGroup {
        group: CLUB.into(),
        inbox: CLUB_INBOX.into(),
        message: message.map(Into::into),
    }
}

fn club_asked(message: Option<&str>) -> ProfileChange {
    ProfileChange::GroupJoinRequested {
        group: CLUB.into(),
        inbox: CLUB_INBOX.into(),
        message: message.map(Into::into),
    }
}

fn club(change: fn(String) -> ProfileCommand) -> ProfileCommand {
    change(CLUB.into())
}

#[test]
fn joining_another_instance_s_group_is_asked_then_accepted_once() {
    Given::with(())
        .given(vec![alice()])
        .when(join_club(Some("  I repair bikes  ")))
        .then_expect_events(vec![club_asked(Some("I repair bikes"))]);
    // Asking again while asked, or once a member, records nothing.
    Given::with(())
        .given(vec![alice(), club_asked(None)])
        .when(join_club(None))
        .then_expect_events(vec![]);
    let accepted = ProfileChange::GroupJoinAccepted { group: CLUB.into() };
    Given::with(())
        .given(vec![alice(), club_asked(None)])
        .when(club(|group| ProfileCommand::AcceptJoin { group }))
        .then_expect_events(vec![accepted.clone()]);
    Given::with(())
        .given(vec![alice(), club_asked(None), accepted])
        .when(club(|group| ProfileCommand::AcceptJoin { group }))
        .then_expect_events(vec![]);
}

#[test]
fn an_answer_to_a_join_never_asked_and_a_leave_without_joining_are_refused() {
    for answer in [
        club(|group| ProfileCommand::AcceptJoin { group }),
        club(|group| ProfileCommand::RejectJoin { group }),
        ProfileCommand::LeaveGroup {
            group: CLUB.into(),
            inbox: CLUB_INBOX.into(),
        },
    ] {
        Given::with(())
            .given(vec![alice()])
            .when(answer)
            .then_expect_error(ProfileError::NotAMember(CLUB.into()));
    }
}

#[test]
fn a_rejected_or_left_membership_can_be_asked_again() {
    let rejected = ProfileChange::GroupJoinRejected { group: CLUB.into() };
    Given::with(())
        .given(vec![alice(), club_asked(None)])
        .when(club(|group| ProfileCommand::RejectJoin { group }))
        .then_expect_events(vec![rejected.clone()]);
    let left = ProfileChange::GroupLeft {
        group: CLUB.into(),
        inbox: CLUB_INBOX.into(),
    };
    Given::with(())
        .given(vec![alice(), club_asked(None)])
        .when(ProfileCommand::LeaveGroup {
            group: CLUB.into(),
            inbox: CLUB_INBOX.into(),
        })
        .then_expect_events(vec![left.clone()]);
    for gone in [rejected, left] {
        Given::with(())
            .given(vec![alice(), club_asked(None), gone])
            .when(join_club(None))
            .then_expect_events(vec![club_asked(None)]);
    }
}

#[test]
fn a_join_naming_no_url_or_with_too_long_a_message_is_refused() {
    Given::with(())
        .given(vec![alice()])
        .when(ProfileCommand::JoinGroup {
            group: "club@remote.example".into(),
            inbox: CLUB_INBOX.into(),
            message: None,
        })
        .then_expect_error(ProfileError::NotAnActorUrl("group"));
    let long = "x".repeat(JOIN_MESSAGE_MAX + 1);
    Given::with(())
        .given(vec![alice()])
        .when(join_club(Some(&long)))
        .then_expect_error(ProfileError::JoinMessageTooLong);
}

fn club_role(role: MemberRole) -> ProfileCommand {
    ProfileCommand::ReceiveGroupRole {
        group: CLUB.into(),
        role,
    }
}

fn club_gave(role: MemberRole) -> ProfileChange {
    ProfileChange::GroupRoleGiven {
        group: CLUB.into(),
        role,
    }
}

#[test]
fn a_group_elsewhere_gives_its_member_a_role_once() {
    let accepted = ProfileChange::GroupJoinAccepted { group: CLUB.into() };
    Given::with(())
        .given(vec![alice(), club_asked(None), accepted.clone()])
        .when(club_role(MemberRole::Moderator))
        .then_expect_events(vec![club_gave(MemberRole::Moderator)]);
    // The same role again records nothing; another one is recorded.
    let moderator = vec![
        alice(),
        club_asked(None),
        accepted,
        club_gave(MemberRole::Moderator),
    ];
    Given::with(())
        .given(moderator.clone())
        .when(club_role(MemberRole::Moderator))
        .then_expect_events(vec![]);
    Given::with(())
        .given(moderator)
        .when(club_role(MemberRole::Member))
        .then_expect_events(vec![club_gave(MemberRole::Member)]);
    // A role given to a profile still asking makes it a member: a Join then records nothing.
    Given::with(())
        .given(vec![alice(), club_asked(None)])
        .when(club_role(MemberRole::Member))
        .then_expect_events(vec![club_gave(MemberRole::Member)]);
    Given::with(())
        .given(vec![
            alice(),
            club_asked(None),
            club_gave(MemberRole::Member),
        ])
        .when(join_club(None))
        .then_expect_events(vec![]);
}

#[test]
fn a_role_from_a_group_never_asked_or_below_a_member_s_is_refused() {
    Given::with(())
        .given(vec![alice()])
        .when(club_role(MemberRole::Moderator))
        .then_expect_error(ProfileError::NotAMember(CLUB.into()));
    for role in [
        MemberRole::Invited,
        MemberRole::NotApproved,
        MemberRole::Rejected,
    ] {
        Given::with(())
            .given(vec![alice(), club_asked(None)])
            .when(club_role(role))
            .then_expect_error(ProfileError::NotAMemberRole(role.as_str()));
    }
}

const INVITE: &str = "https://remote.example/member/invite-1";
const MODERATOR: &str = "https://remote.example/@admin";

fn club_invites(invite: &str) -> ProfileCommand {
    ProfileCommand::ReceiveGroupInvitation {
        group: CLUB.into(),
        inbox: SHARED.into(),
        invite: invite.into(),
        by: MODERATOR.into(),
    }
}

fn club_invited(invite: &str) -> ProfileChange {
    ProfileChange::GroupInvitationReceived {
        group: CLUB.into(),
        inbox: SHARED.into(),
        invite: invite.into(),
        by: MODERATOR.into(),
    }
}

#[test]
fn a_group_elsewhere_invites_and_the_profile_accepts_or_declines_once() {
    Given::with(())
        .given(vec![alice()])
        .when(club_invites(INVITE))
        .then_expect_events(vec![club_invited(INVITE)]);
    // The same Invite again records nothing; a new one is recorded, to be answered.
    Given::with(())
        .given(vec![alice(), club_invited(INVITE)])
        .when(club_invites(INVITE))
        .then_expect_events(vec![]);
    let again = "https://remote.example/member/invite-2";
    Given::with(())
        .given(vec![alice(), club_invited(INVITE)])
        .when(club_invites(again))
        .then_expect_events(vec![club_invited(again)]);
    // The answer names the Invite and goes where the invitation said.
    let accepted = ProfileChange::GroupInvitationAccepted {
        group: CLUB.into(),
        inbox: SHARED.into(),
        invite: INVITE.into(),
    };
    Given::with(())
        .given(vec![alice(), club_invited(INVITE)])
        .when(club(|group| ProfileCommand::AcceptGroupInvitation {
            group,
        }))
        .then_expect_events(vec![accepted.clone()]);
    Given::with(())
        .given(vec![alice(), club_invited(INVITE)])
        .when(club(|group| ProfileCommand::DeclineGroupInvitation {
            group,
        }))
        .then_expect_events(vec![ProfileChange::GroupInvitationDeclined {
            group: CLUB.into(),
            inbox: SHARED.into(),
            invite: INVITE.into(),
        }]);
    // Answered, nothing is left to answer; a member is not invited again.
    let member = vec![alice(), club_invited(INVITE), accepted];
    Given::with(())
        .given(member.clone())
        .when(club(|group| ProfileCommand::DeclineGroupInvitation {
            group,
        }))
        .then_expect_error(ProfileError::NotInvited(CLUB.into()));
    Given::with(())
        .given(member)
        .when(club_invites(again))
        .then_expect_events(vec![]);
}

#[test]
fn an_invitation_never_received_cannot_be_answered_nor_one_naming_no_url_kept() {
    Given::with(())
        .given(vec![alice(), club_asked(None)])
        .when(club(|group| ProfileCommand::AcceptGroupInvitation {
            group,
        }))
        .then_expect_error(ProfileError::NotInvited(CLUB.into()));
    Given::with(())
        .given(vec![alice()])
        .when(club_invites("member-1"))
        .then_expect_error(ProfileError::NotAnActorUrl("invite"));
}

fn write_in(discussion: &str, body: &str) -> ProfileCommand {
    ProfileCommand::CommentInGroupDiscussion {
        group: CLUB.into(),
        inbox: SHARED.into(),
        discussion: discussion.into(),
        body: body.into(),
    }
}

#[test]
fn a_member_writes_in_a_discussion_of_a_group_elsewhere_by_the_comment_rules() {
    let member = vec![
        alice(),
        club_asked(None),
        ProfileChange::GroupJoinAccepted { group: CLUB.into() },
    ];
    let discussion = "https://remote.example/@club/c/tools";
    Given::with(())
        .given(member.clone())
        .when(write_in(
            discussion,
            "<p onclick=\"x()\">I have a drill</p>",
        ))
        .then_expect_events(vec![ProfileChange::GroupDiscussionCommented {
            group: CLUB.into(),
            inbox: SHARED.into(),
            discussion: discussion.into(),
            body: "<p>I have a drill</p>".into(),
        }]);
    Given::with(())
        .given(member.clone())
        .when(write_in(
            "https://elsewhere.example/@club/c/tools",
            "<p>Hi</p>",
        ))
        .then_expect_error(ProfileError::DiscussionElsewhere(CLUB.into()));
    Given::with(())
        .given(member)
        .when(write_in(discussion, "   "))
        .then_expect_error(ProfileError::InvalidComment(
            "a comment is 1 to 10000 characters".into(),
        ));
    // Asking is not belonging.
    Given::with(())
        .given(vec![alice(), club_asked(None)])
        .when(write_in(discussion, "<p>Hi</p>"))
        .then_expect_error(ProfileError::NotAMember(CLUB.into()));
}

fn add_to(target: &str, content: ResourceContent) -> ProfileCommand {
    ProfileCommand::AddGroupResource {
        group: CLUB.into(),
        inbox: SHARED.into(),
        target: target.into(),
        content,
    }
}

#[test]
fn a_member_adds_a_resource_to_a_group_elsewhere_by_the_resources_rules() {
    let member = vec![
        alice(),
        club_asked(None),
        ProfileChange::GroupJoinAccepted { group: CLUB.into() },
    ];
    let folder = "https://remote.example/@club/resources/maps";
    let link = ResourceContent::link(ResourceKind::Link, "  Drill manual ", "https://d.example/m");
    Given::with(())
        .given(member.clone())
        .when(add_to(folder, link.clone()))
        .then_expect_events(vec![ProfileChange::GroupResourceAdded {
            group: CLUB.into(),
            inbox: SHARED.into(),
            target: folder.into(),
            content: ResourceContent::link(
                ResourceKind::Link,
                "Drill manual",
                "https://d.example/m",
            ),
        }]);
    Given::with(())
        .given(member.clone())
        .when(add_to(
            "https://elsewhere.example/@club/resources",
            link.clone(),
        ))
        .then_expect_error(ProfileError::FolderElsewhere(CLUB.into()));
    let nowhere = ResourceContent::link(ResourceKind::Link, "Drill manual", "ftp://d.example/m");
    Given::with(())
        .given(member)
        .when(add_to(folder, nowhere))
        .then_expect_error(ProfileError::InvalidResource(vec![FieldError {
            field: "url".into(),
            message: "a link is an absolute http:// or https:// URL of at most 2000 characters"
                .into(),
        }]));
    // Asking is not belonging.
    Given::with(())
        .given(vec![alice(), club_asked(None)])
        .when(add_to(folder, link))
        .then_expect_error(ProfileError::NotAMember(CLUB.into()));
}

/// A member asks the group to change or delete one of its resources (by its id, wherever it was
/// made), by the same rules as adding one; asking is not belonging.
#[test]
fn a_member_changes_and_deletes_a_resource_of_a_group_elsewhere() {
    let member = vec![
        alice(),
        club_asked(None),
        ProfileChange::GroupJoinAccepted { group: CLUB.into() },
    ];
    let top = "https://remote.example/@club/resources";
    let resource = "https://remote.example/@club/resources/r1";
    let link = ResourceContent::link(ResourceKind::Link, " Map ", "https://maps.example/m");
    let change = |resource: &str, target: &str| ProfileCommand::ChangeGroupResource {
        group: CLUB.into(),
        inbox: SHARED.into(),
        resource: resource.into(),
        target: target.into(),
        content: link.clone(),
    };
    let delete = |resource: &str| ProfileCommand::DeleteGroupResource {
        group: CLUB.into(),
        inbox: SHARED.into(),
        resource: resource.into(),
    };
    Given::with(())
        .given(member.clone())
        .when(change(resource, top))
        .then_expect_events(vec![ProfileChange::GroupResourceChanged {
            group: CLUB.into(),
            inbox: SHARED.into(),
            resource: resource.into(),
            target: top.into(),
            content: ResourceContent::link(ResourceKind::Link, "Map", "https://maps.example/m"),
        }]);
    Given::with(())
        .given(member.clone())
        .when(delete(resource))
        .then_expect_events(vec![ProfileChange::GroupResourceDeleted {
            group: CLUB.into(),
            inbox: SHARED.into(),
            resource: resource.into(),
        }]);
    Given::with(())
        .given(member.clone())
        .when(change(
            resource,
            "https://elsewhere.example/@club/resources",
        ))
        .then_expect_error(ProfileError::FolderElsewhere(CLUB.into()));
    Given::with(())
        .given(member)
        .when(delete("r1"))
        .then_expect_error(ProfileError::NotAnActorUrl("resource"));
    for command in [change(resource, top), delete(resource)] {
        Given::with(())
            .given(vec![alice(), club_asked(None)])
            .when(command)
            .then_expect_error(ProfileError::NotAMember(CLUB.into()));
    }
}

/// A member keeps the todos the group relays (by the todos' rules), forgets them when the
/// group deletes them, adds one to a list and asks the group to change one; asking is not
/// belonging.
#[test]
fn a_member_works_on_the_todos_of_a_group_elsewhere() {
    let member = vec![
        alice(),
        club_asked(None),
        ProfileChange::GroupJoinAccepted { group: CLUB.into() },
    ];
    let list = "https://remote.example/@club/todos/l1";
    let todo = |title: &str, done: bool| TodoElsewhere {
        todo: "https://remote.example/@club/todos/l1/t1".into(),
        list: list.into(),
        creator: "https://remote.example/@ana".into(),
        title: title.into(),
        done,
        due_on: Some(" 2031-05-01 ".into()),
        assignee: None,
    };
    let tidy = |done: bool| TodoElsewhere {
        title: "Scan maps".into(),
        due_on: Some("2031-05-01".into()),
        ..todo("", done)
    };
    Given::with(())
        .given(member.clone())
        .when(ProfileCommand::ReceiveGroupTodo {
            group: CLUB.into(),
            todo: todo(" Scan maps ", false),
        })
        .then_expect_events(vec![ProfileChange::GroupTodoReceived {
            group: CLUB.into(),
            todo: tidy(false),
        }]);
    Given::with(())
        .given(member.clone())
        .when(ProfileCommand::ForgetGroupTodos {
            group: CLUB.into(),
            removed: list.into(),
        })
        .then_expect_events(vec![ProfileChange::GroupTodosRemoved {
            group: CLUB.into(),
            removed: list.into(),
        }]);
    let add = |title: &str| ProfileCommand::AddGroupTodo {
        group: CLUB.into(),
        inbox: SHARED.into(),
        list: list.into(),
        title: title.into(),
    };
    Given::with(())
        .given(member.clone())
        .when(add(" Label boxes "))
        .then_expect_events(vec![ProfileChange::GroupTodoAdded {
            group: CLUB.into(),
            inbox: SHARED.into(),
            list: list.into(),
            title: "Label boxes".into(),
        }]);
    let change = |todo: TodoElsewhere| ProfileCommand::ChangeGroupTodo {
        group: CLUB.into(),
        inbox: SHARED.into(),
        todo,
    };
    Given::with(())
        .given(member.clone())
        .when(change(todo("Scan maps", true)))
        .then_expect_events(vec![ProfileChange::GroupTodoChanged {
            group: CLUB.into(),
            inbox: SHARED.into(),
            todo: tidy(true),
        }]);
    // Broken rules, by field.
    let Err(ProfileError::InvalidTodo(errors)) = Given::with(())
        .given(member.clone())
        .when(add("  "))
        .inspect_result()
    else {
        panic!("an empty title is refused")
    };
    assert_eq!(errors[0].field, "title");
    let mut undated = todo("Scan maps", false);
    undated.due_on = Some("May".into());
    let Err(ProfileError::InvalidTodo(errors)) = Given::with(())
        .given(member.clone())
        .when(change(undated))
        .inspect_result()
    else {
        panic!("a due day that is no day is refused")
    };
    assert_eq!(errors[0].field, "due_on");
    let mut nowhere = todo("Scan maps", false);
    nowhere.list = "l1".into();
    Given::with(())
        .given(member)
        .when(change(nowhere))
        .then_expect_error(ProfileError::NotAnActorUrl("list"));
    for command in [
        add("Label boxes"),
        change(todo("Scan maps", true)),
        ProfileCommand::ReceiveGroupTodo {
            group: CLUB.into(),
            todo: todo("Scan maps", false),
        },
    ] {
        Given::with(())
            .given(vec![alice(), club_asked(None)])
            .when(command)
            .then_expect_error(ProfileError::NotAMember(CLUB.into()));
    }
}

fn relayed(discussion: &str, body: &str) -> ProfileCommand {
    ProfileCommand::ReceiveGroupComment {
        group: CLUB.into(),
        comment: CommentElsewhere {
            note: "https://third.example/notes/1".into(),
            discussion: discussion.into(),
            author: "https://third.example/users/tom".into(),
            in_reply_to: None,
            body: body.into(),
        },
    }
}

#[test]
fn a_member_keeps_what_the_group_relays_from_its_discussions_by_the_comment_rules() {
    let member = vec![
        alice(),
        club_asked(None),
        ProfileChange::GroupJoinAccepted { group: CLUB.into() },
    ];
    let discussion = "https://remote.example/@club/c/tools";
    let ProfileCommand::ReceiveGroupComment { comment, .. } =
        relayed(discussion, "<p>Drill here</p>")
    else {
        unreachable!()
    };
    Given::with(())
        .given(member.clone())
        .when(relayed(discussion, "<p onclick=\"x()\">Drill here</p>"))
        .then_expect_events(vec![ProfileChange::GroupCommentReceived {
            group: CLUB.into(),
            comment,
        }]);
    Given::with(())
        .given(member.clone())
        .when(relayed(
            "https://elsewhere.example/@club/c/tools",
            "<p>Hi</p>",
        ))
        .then_expect_error(ProfileError::DiscussionElsewhere(CLUB.into()));
    Given::with(())
        .given(member.clone())
        .when(relayed(discussion, " "))
        .then_expect_error(ProfileError::InvalidComment(
            "a comment is 1 to 10000 characters".into(),
        ));
    Given::with(())
        .given(member)
        .when(relayed("not a url", "<p>Hi</p>"))
        .then_expect_error(ProfileError::NotAnActorUrl("discussion"));
    // Left, or never more than asked: nothing kept.
    for given in [
        vec![alice(), club_asked(None)],
        vec![
            alice(),
            club_asked(None),
            ProfileChange::GroupJoinAccepted { group: CLUB.into() },
            ProfileChange::GroupJoinRejected { group: CLUB.into() },
        ],
    ] {
        Given::with(())
            .given(given)
            .when(relayed(discussion, "<p>Hi</p>"))
            .then_expect_error(ProfileError::NotAMember(CLUB.into()));
    }
}

#[test]
fn a_member_forgets_what_the_group_deleted_and_only_a_member() {
    let forget = || ProfileCommand::ForgetGroupComments {
        group: CLUB.into(),
        removed: "https://remote.example/@club/c/tools".into(),
    };
    Given::with(())
        .given(vec![
            alice(),
            club_asked(None),
            ProfileChange::GroupJoinAccepted { group: CLUB.into() },
        ])
        .when(forget())
        .then_expect_events(vec![ProfileChange::GroupCommentsRemoved {
            group: CLUB.into(),
            removed: "https://remote.example/@club/c/tools".into(),
        }]);
    Given::with(())
        .given(vec![alice(), club_asked(None)])
        .when(forget())
        .then_expect_error(ProfileError::NotAMember(CLUB.into()));
}
