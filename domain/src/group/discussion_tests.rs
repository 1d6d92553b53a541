//! Given/when/then specifications of a group's discussions.

use super::*;
use cqrs_es::test::TestFramework;

type Given = TestFramework<Group>;
use GroupChange as C;
use GroupCommand as G;
use MemberRole as R;

fn p(username: &str) -> GroupActor {
    GroupActor::profile(username)
}

/// A group by @ana with @mod (moderator), @mem and @oth (members), and a discussion `d1` that
/// @mem started with comment `c1`.
fn talking() -> Vec<C> {
    let joined = |who: &str| C::MemberJoined {
        who: p(who),
        role: R::Member,
        message: None,
    };
    vec![
        C::Created {
            handle: "repair".into(),
            creator: p("ana"),
            details: GroupDetails::named("Repair café"),
        },
        joined("mod"),
        C::MemberRoleChanged {
            who: p("mod"),
            role: R::Moderator,
        },
        joined("mem"),
        joined("oth"),
        C::DiscussionStarted {
            discussion: "d1".into(),
            title: "Tools".into(),
            author: p("mem"),
        },
        comment("c1", "mem", None),
    ]
}

fn comment(id: &str, by: &str, in_reply_to: Option<&str>) -> C {
    C::DiscussionCommented {
        discussion: "d1".into(),
        comment: id.into(),
        author: p(by),
        in_reply_to: in_reply_to.map(str::to_string),
        body: "<p>Who has a drill?</p>".into(),
        note: None,
    }
}

fn reply(by: &str, to: Option<&str>) -> G {
    G::CommentOnDiscussion {
        by: p(by),
        discussion: "d1".into(),
        comment: "c2".into(),
        in_reply_to: to.map(str::to_string),
        body: "<p>Who has a drill?</p><script>x()</script>".into(),
        note: None,
    }
}

fn with(mut changes: Vec<C>, more: impl IntoIterator<Item = C>) -> Vec<C> {
    changes.extend(more);
    changes
}

#[test]
fn any_member_starts_a_discussion_with_its_first_comment() {
    Given::with(())
        .given(talking())
        .when(G::StartDiscussion {
            by: p("oth"),
            discussion: "d2".into(),
            title: " Plans ".into(),
            comment: "c9".into(),
            body: "<p>Ideas?</p>".into(),
        })
        .then_expect_events(vec![
            C::DiscussionStarted {
                discussion: "d2".into(),
                title: "Plans".into(),
                author: p("oth"),
            },
            C::DiscussionCommented {
                discussion: "d2".into(),
                comment: "c9".into(),
                author: p("oth"),
                in_reply_to: None,
                body: "<p>Ideas?</p>".into(),
                note: None,
            },
        ]);
}

#[test]
fn those_outside_the_group_and_those_who_left_take_no_part() {
    for who in ["stranger", "mem"] {
        let given = with(talking(), [C::MemberRemoved { who: p("mem") }]);
        Given::with(())
            .given(given.clone())
            .when(reply(who, Some("c1")))
            .then_expect_error(GroupError::RoleNeeded(R::Member));
        Given::with(())
            .given(given)
            .when(G::StartDiscussion {
                by: p(who),
                discussion: "d2".into(),
                title: "Plans".into(),
                comment: "c9".into(),
                body: "Hi".into(),
            })
            .then_expect_error(GroupError::RoleNeeded(R::Member));
    }
    let asked = with(
        talking(),
        [C::MemberJoined {
            who: p("new"),
            role: R::NotApproved,
            message: None,
        }],
    );
    Given::with(())
        .given(asked)
        .when(reply("new", None))
        .then_expect_error(GroupError::RoleNeeded(R::Member));
}

#[test]
fn replies_are_threaded_sanitised_and_only_to_comments_that_are_there() {
    Given::with(())
        .given(talking())
        .when(reply("oth", Some("c1")))
        .then_expect_events(vec![comment("c2", "oth", Some("c1"))]);
    Given::with(())
        .given(talking())
        .when(reply("oth", Some("nope")))
        .then_expect_error(GroupError::UnknownComment);
    let deleted = with(
        talking(),
        [C::DiscussionCommentDeleted {
            discussion: "d1".into(),
            comment: "c1".into(),
        }],
    );
    Given::with(())
        .given(deleted)
        .when(reply("oth", Some("c1")))
        .then_expect_error(GroupError::UnknownComment);
}

#[test]
fn an_archived_discussion_takes_no_comment_until_it_leaves_the_archive() {
    let archived = with(
        talking(),
        [C::DiscussionArchived {
            discussion: "d1".into(),
            archived: true,
        }],
    );
    Given::with(())
        .given(archived.clone())
        .when(reply("oth", None))
        .then_expect_error(GroupError::DiscussionArchived);
    Given::with(())
        .given(archived)
        .when(G::ChangeDiscussion {
            by: p("mem"),
            discussion: "d1".into(),
            title: None,
            archived: Some(false),
        })
        .then_expect_events(vec![C::DiscussionArchived {
            discussion: "d1".into(),
            archived: false,
        }]);
}

#[test]
fn a_rename_and_an_archive_asked_together_are_both_or_neither() {
    Given::with(())
        .given(talking())
        .when(G::ChangeDiscussion {
            by: p("mem"),
            discussion: "d1".into(),
            title: Some("Drills".into()),
            archived: Some(true),
        })
        .then_expect_events(vec![
            C::DiscussionRenamed {
                discussion: "d1".into(),
                title: "Drills".into(),
            },
            C::DiscussionArchived {
                discussion: "d1".into(),
                archived: true,
            },
        ]);
    Given::with(())
        .given(talking())
        .when(G::ChangeDiscussion {
            by: p("mem"),
            discussion: "d1".into(),
            title: Some("\n".into()),
            archived: Some(true),
        })
        .then_expect_error(GroupError::Invalid(vec![crate::FieldError {
            field: "title".into(),
            message: "a title is 1 to 200 characters on one line".into(),
        }]));
}

#[test]
fn the_author_or_a_moderator_renames_archives_and_deletes_others_do_not() {
    for by in ["mem", "mod", "ana"] {
        Given::with(())
            .given(talking())
            .when(G::ChangeDiscussion {
                by: p(by),
                discussion: "d1".into(),
                title: Some("Drills".into()),
                archived: None,
            })
            .then_expect_events(vec![C::DiscussionRenamed {
                discussion: "d1".into(),
                title: "Drills".into(),
            }]);
    }
    Given::with(())
        .given(talking())
        .when(G::DeleteDiscussion {
            by: p("oth"),
            discussion: "d1".into(),
        })
        .then_expect_error(GroupError::RoleNeeded(R::Moderator));
    Given::with(())
        .given(talking())
        .when(G::ChangeDiscussion {
            by: p("oth"),
            discussion: "d1".into(),
            title: None,
            archived: Some(true),
        })
        .then_expect_error(GroupError::RoleNeeded(R::Moderator));
    Given::with(())
        .given(talking())
        .when(G::ChangeDiscussion {
            by: p("mem"),
            discussion: "d1".into(),
            title: Some("\n".into()),
            archived: None,
        })
        .then_expect_error(GroupError::Invalid(vec![crate::FieldError {
            field: "title".into(),
            message: "a title is 1 to 200 characters on one line".into(),
        }]));
    Given::with(())
        .given(talking())
        .when(G::DeleteDiscussion {
            by: p("mod"),
            discussion: "d1".into(),
        })
        .then_expect_events(vec![C::DiscussionDeleted {
            discussion: "d1".into(),
        }]);
    Given::with(())
        .given(with(
            talking(),
            [C::DiscussionDeleted {
                discussion: "d1".into(),
            }],
        ))
        .when(reply("oth", None))
        .then_expect_error(GroupError::UnknownDiscussion);
}

#[test]
fn a_comment_is_deleted_by_its_author_or_a_moderator() {
    let deleted = C::DiscussionCommentDeleted {
        discussion: "d1".into(),
        comment: "c1".into(),
    };
    for by in ["mem", "mod"] {
        Given::with(())
            .given(talking())
            .when(G::DeleteDiscussionComment {
                by: p(by),
                discussion: "d1".into(),
                comment: "c1".into(),
            })
            .then_expect_events(vec![deleted.clone()]);
    }
    Given::with(())
        .given(talking())
        .when(G::DeleteDiscussionComment {
            by: p("oth"),
            discussion: "d1".into(),
            comment: "c1".into(),
        })
        .then_expect_error(GroupError::RoleNeeded(R::Moderator));
}

#[test]
fn a_discussion_needs_a_title_and_a_comment_both_named_when_missing() {
    let mut group = Group::default();
    for change in talking() {
        group.apply(change);
    }
    let refused = group
        .start_discussion(p("mem"), "d2".into(), " ", "c9".into(), "  ")
        .expect_err("refused");
    let GroupError::Invalid(errors) = refused else {
        panic!("expected field errors, got {refused:?}");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["title", "body"]);
}

#[test]
fn discussions_apply_twice_as_once_and_survive_a_snapshot() {
    let mut once = Group::default();
    let mut twice = Group::default();
    for change in with(
        talking(),
        [
            comment("c2", "oth", Some("c1")),
            C::DiscussionCommentDeleted {
                discussion: "d1".into(),
                comment: "c1".into(),
            },
            C::DiscussionArchived {
                discussion: "d1".into(),
                archived: true,
            },
        ],
    ) {
        once.apply(change.clone());
        twice.apply(change.clone());
        twice.apply(change);
    }
    assert_eq!(once, twice);
    assert_eq!(once.discussions()["d1"].comments.len(), 2);
    let snapshot = serde_json::to_string(&once).expect("snapshot");
    assert_eq!(serde_json::from_str::<Group>(&snapshot).ok(), Some(once));
}

fn edit(by: &str, comment: &str) -> G {
    G::EditDiscussionComment {
        by: p(by),
        discussion: "d1".into(),
        comment: comment.into(),
        body: " <p>Who has a <b>drill</b>?</p><script>x()</script> ".into(),
    }
}

#[test]
fn a_comment_is_edited_by_its_author_only_sanitised() {
    Given::with(())
        .given(talking())
        .when(edit("mem", "c1"))
        .then_expect_events(vec![C::DiscussionCommentEdited {
            discussion: "d1".into(),
            comment: "c1".into(),
            body: "<p>Who has a <b>drill</b>?</p>".into(),
        }]);
    // Moderators delete; nobody else puts words in the author's mouth.
    for by in ["mod", "ana", "oth"] {
        Given::with(())
            .given(talking())
            .when(edit(by, "c1"))
            .then_expect_error(GroupError::AuthorOnly);
    }
    Given::with(())
        .given(talking())
        .when(edit("stranger", "c1"))
        .then_expect_error(GroupError::RoleNeeded(R::Member));
}

#[test]
fn a_deleted_comment_or_an_archived_discussion_takes_no_edit_and_a_bad_body_is_named() {
    let deleted = C::DiscussionCommentDeleted {
        discussion: "d1".into(),
        comment: "c1".into(),
    };
    Given::with(())
        .given(with(talking(), [deleted]))
        .when(edit("mem", "c1"))
        .then_expect_error(GroupError::UnknownComment);
    Given::with(())
        .given(talking())
        .when(edit("mem", "nope"))
        .then_expect_error(GroupError::UnknownComment);
    let archived = C::DiscussionArchived {
        discussion: "d1".into(),
        archived: true,
    };
    Given::with(())
        .given(with(talking(), [archived]))
        .when(edit("mem", "c1"))
        .then_expect_error(GroupError::DiscussionArchived);
    let group = talking().into_iter().fold(Group::default(), |mut g, c| {
        g.apply(c);
        g
    });
    for body in ["  ", &"x".repeat(10_001)] {
        let refused = group.edit_discussion_comment(&p("mem"), "d1".into(), "c1".into(), body);
        match refused {
            Err(GroupError::Invalid(fields)) => assert_eq!(fields[0].field, "body"),
            other => panic!("{other:?}"),
        }
    }
}
