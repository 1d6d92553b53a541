//! Given/when/then specifications of a group's posts.

use super::*;
use cqrs_es::test::TestFramework;

type Given = TestFramework<Group>;
use GroupChange as C;
use GroupCommand as G;
use MemberRole as R;

fn p(username: &str) -> GroupActor {
    GroupActor::profile(username)
}

/// A group by @ana with @mod (moderator) and @mem (member).
fn staffed() -> Vec<C> {
    vec![
        C::Created {
            handle: "repair".into(),
            creator: p("ana"),
            details: GroupDetails::named("Repair café"),
        },
        C::MemberJoined {
            who: p("mod"),
            role: R::Member,
            message: None,
        },
        C::MemberRoleChanged {
            who: p("mod"),
            role: R::Moderator,
        },
        C::MemberJoined {
            who: p("mem"),
            role: R::Member,
            message: None,
        },
    ]
}

fn content(title: &str) -> PostContent {
    PostContent {
        title: title.into(),
        body: "<p>Bring <script>x()</script>tools</p>".into(),
        tags: vec!["#Repair".into(), "repair".into(), " Tools ".into()],
        visibility: PostVisibility::Members,
        draft: false,
        publish_at: None,
    }
}

fn kept(title: &str) -> PostContent {
    PostContent {
        title: title.into(),
        body: "<p>Bring tools</p>".into(),
        tags: vec!["repair".into(), "tools".into()],
        visibility: PostVisibility::Members,
        draft: false,
        publish_at: None,
    }
}

fn created(post: &str, slug: &str, title: &str) -> C {
    C::PostCreated {
        post: post.into(),
        slug: slug.into(),
        author: p("mod"),
        content: kept(title),
    }
}

fn with(mut changes: Vec<C>, more: impl IntoIterator<Item = C>) -> Vec<C> {
    changes.extend(more);
    changes
}

#[test]
fn a_moderator_writes_a_post_that_is_published_at_once_sanitised() {
    Given::with(())
        .given(staffed())
        .when(G::WritePost {
            by: p("mod"),
            post: "p1".into(),
            content: content("  Café du mois ! "),
        })
        .then_expect_events(vec![
            created("p1", "cafe-du-mois", "Café du mois !"),
            C::PostPublished { post: "p1".into() },
        ]);
}

#[test]
fn a_draft_is_published_by_the_edit_that_leaves_the_draft_and_only_once() {
    let draft = PostContent {
        draft: true,
        ..kept("Plans")
    };
    let written = C::PostCreated {
        post: "p1".into(),
        slug: "plans".into(),
        author: p("ana"),
        content: draft.clone(),
    };
    Given::with(())
        .given(staffed())
        .when(G::WritePost {
            by: p("ana"),
            post: "p1".into(),
            content: draft.clone(),
        })
        .then_expect_events(vec![written.clone()]);
    Given::with(())
        .given(with(staffed(), [written.clone()]))
        .when(G::EditPost {
            by: p("mod"),
            post: "p1".into(),
            content: kept("Plans"),
        })
        .then_expect_events(vec![
            C::PostEdited {
                post: "p1".into(),
                content: kept("Plans"),
                fields: vec!["draft".into()],
            },
            C::PostPublished { post: "p1".into() },
        ]);
    // Back to draft and out again: it was published before, so it is not published anew.
    let again = with(
        staffed(),
        [
            written,
            C::PostPublished { post: "p1".into() },
            C::PostEdited {
                post: "p1".into(),
                content: draft,
                fields: vec!["draft".into()],
            },
        ],
    );
    Given::with(())
        .given(again)
        .when(G::EditPost {
            by: p("mod"),
            post: "p1".into(),
            content: kept("Plans"),
        })
        .then_expect_events(vec![C::PostEdited {
            post: "p1".into(),
            content: kept("Plans"),
            fields: vec!["draft".into()],
        }]);
}

#[test]
fn members_below_moderator_and_strangers_write_edit_and_delete_nothing() {
    let written = with(staffed(), [created("p1", "news", "News")]);
    for who in ["mem", "stranger"] {
        Given::with(())
            .given(staffed())
            .when(G::WritePost {
                by: p(who),
                post: "p2".into(),
                content: content("News"),
            })
            .then_expect_error(GroupError::RoleNeeded(R::Moderator));
        Given::with(())
            .given(written.clone())
            .when(G::EditPost {
                by: p(who),
                post: "p1".into(),
                content: content("Other"),
            })
            .then_expect_error(GroupError::RoleNeeded(R::Moderator));
        Given::with(())
            .given(written.clone())
            .when(G::DeletePost {
                by: p(who),
                post: "p1".into(),
            })
            .then_expect_error(GroupError::RoleNeeded(R::Moderator));
    }
    // A moderator removed a moment ago is a stranger.
    Given::with(())
        .given(with(written, [C::MemberRemoved { who: p("mod") }]))
        .when(G::DeletePost {
            by: p("mod"),
            post: "p1".into(),
        })
        .then_expect_error(GroupError::RoleNeeded(R::Moderator));
}

#[test]
fn slugs_are_unique_within_the_group() {
    let given = with(
        staffed(),
        [
            created("p1", "news", "News"),
            created("p2", "news-2", "News"),
        ],
    );
    Given::with(())
        .given(given)
        .when(G::WritePost {
            by: p("mod"),
            post: "p3".into(),
            content: kept("News"),
        })
        .then_expect_events(vec![
            created("p3", "news-3", "News"),
            C::PostPublished { post: "p3".into() },
        ]);
    // A deleted post's slug is never given again: old links never open another post.
    let deleted = with(
        staffed(),
        [
            created("p1", "news", "News"),
            C::PostDeleted { post: "p1".into() },
        ],
    );
    Given::with(())
        .given(deleted)
        .when(G::WritePost {
            by: p("mod"),
            post: "p2".into(),
            content: kept("News"),
        })
        .then_expect_events(vec![
            created("p2", "news-2", "News"),
            C::PostPublished { post: "p2".into() },
        ]);
    assert_eq!(posts::slug_of("¿¡ !?"), "post");
    assert_eq!(posts::slug_of("Été 2026: l'atelier"), "ete-2026-l-atelier");
    assert!(posts::slug_of(&"long ".repeat(40)).len() <= posts::SLUG_MAX);
}

#[test]
fn every_bad_field_of_a_post_is_named_and_nothing_is_written() {
    let bad = PostContent {
        title: "a\nb".into(),
        body: "x".repeat(posts::POST_BODY_MAX_BYTES + 1),
        tags: vec!["t".repeat(41)],
        visibility: PostVisibility::Public,
        draft: false,
        publish_at: None,
    };
    let group = {
        let mut group = Group::default();
        for change in staffed() {
            group.apply(change);
        }
        group
    };
    let error = group
        .write_post(p("mod"), "p1".into(), bad)
        .expect_err("refused");
    let GroupError::Invalid(errors) = error else {
        panic!("expected field errors, got {error:?}");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["title", "body", "tags"]);
    let empty = PostContent {
        title: "  ".into(),
        ..kept("x")
    };
    assert!(group.write_post(p("mod"), "p1".into(), empty).is_err());
}

#[test]
fn an_edit_names_what_it_changed_and_an_edit_changing_nothing_records_nothing() {
    let written = with(
        staffed(),
        [
            created("p1", "news", "News"),
            C::PostPublished { post: "p1".into() },
        ],
    );
    Given::with(())
        .given(written.clone())
        .when(G::EditPost {
            by: p("ana"),
            post: "p1".into(),
            content: content("News"),
        })
        .then_expect_events(vec![]);
    let public = PostContent {
        visibility: PostVisibility::Public,
        body: "<p>Other</p>".into(),
        ..kept("News")
    };
    Given::with(())
        .given(written)
        .when(G::EditPost {
            by: p("ana"),
            post: "p1".into(),
            content: public.clone(),
        })
        .then_expect_events(vec![C::PostEdited {
            post: "p1".into(),
            content: public,
            fields: vec!["body".into(), "visibility".into()],
        }]);
}

#[test]
fn a_deleted_post_is_gone_for_edits_and_deletes() {
    let gone = with(
        staffed(),
        [
            created("p1", "news", "News"),
            C::PostDeleted { post: "p1".into() },
        ],
    );
    Given::with(())
        .given(with(staffed(), [created("p1", "news", "News")]))
        .when(G::DeletePost {
            by: p("mod"),
            post: "p1".into(),
        })
        .then_expect_events(vec![C::PostDeleted { post: "p1".into() }]);
    Given::with(())
        .given(gone.clone())
        .when(G::DeletePost {
            by: p("mod"),
            post: "p1".into(),
        })
        .then_expect_error(GroupError::UnknownPost);
    Given::with(())
        .given(gone)
        .when(G::EditPost {
            by: p("mod"),
            post: "p1".into(),
            content: kept("News"),
        })
        .then_expect_error(GroupError::UnknownPost);
}

#[test]
fn posts_apply_twice_as_once_and_survive_a_snapshot() {
    let mut once = Group::default();
    let mut twice = Group::default();
    for change in with(
        staffed(),
        [
            created("p1", "news", "News"),
            C::PostPublished { post: "p1".into() },
            created("p2", "plans", "Plans"),
        ],
    ) {
        once.apply(change.clone());
        twice.apply(change.clone());
        twice.apply(change);
    }
    assert_eq!(once, twice);
    assert!(once.posts()["p1"].published);
    let snapshot = serde_json::to_string(&once).expect("snapshot");
    assert_eq!(serde_json::from_str::<Group>(&snapshot).ok(), Some(once));
}

fn at(text: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .expect("a time")
}

/// A post to be published on the 1st of May at nine.
fn scheduled(title: &str) -> PostContent {
    PostContent {
        publish_at: Some(at("2030-05-01T09:00:00Z")),
        ..kept(title)
    }
}

#[test]
fn a_post_with_a_publication_time_waits_for_it_and_is_published_then_once() {
    let written = C::PostCreated {
        post: "p1".into(),
        slug: "may-day".into(),
        author: p("mod"),
        content: scheduled("May day"),
    };
    Given::with(())
        .given(staffed())
        .when(G::WritePost {
            by: p("mod"),
            post: "p1".into(),
            content: scheduled("May day"),
        })
        .then_expect_events(vec![written.clone()]);
    // Before its time, the instance's sweep writes nothing.
    Given::with(())
        .given(with(staffed(), [written.clone()]))
        .when(G::PublishPost {
            post: "p1".into(),
            now: at("2030-05-01T08:59:59Z"),
        })
        .then_expect_events(vec![]);
    // At its time (or after), it is published.
    Given::with(())
        .given(with(staffed(), [written.clone()]))
        .when(G::PublishPost {
            post: "p1".into(),
            now: at("2030-05-01T09:00:00Z"),
        })
        .then_expect_events(vec![C::PostPublished { post: "p1".into() }]);
    // A second sweep (another process) finds it published and writes nothing.
    Given::with(())
        .given(with(
            staffed(),
            [written, C::PostPublished { post: "p1".into() }],
        ))
        .when(G::PublishPost {
            post: "p1".into(),
            now: at("2030-05-01T09:01:00Z"),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_scheduled_post_put_back_to_draft_or_deleted_is_not_published_by_its_time() {
    let written = C::PostCreated {
        post: "p1".into(),
        slug: "may-day".into(),
        author: p("mod"),
        content: scheduled("May day"),
    };
    let drafted = C::PostEdited {
        post: "p1".into(),
        content: PostContent {
            draft: true,
            ..scheduled("May day")
        },
        fields: vec!["draft".into()],
    };
    Given::with(())
        .given(with(staffed(), [written.clone(), drafted]))
        .when(G::PublishPost {
            post: "p1".into(),
            now: at("2030-06-01T00:00:00Z"),
        })
        .then_expect_events(vec![]);
    Given::with(())
        .given(with(
            staffed(),
            [written, C::PostDeleted { post: "p1".into() }],
        ))
        .when(G::PublishPost {
            post: "p1".into(),
            now: at("2030-06-01T00:00:00Z"),
        })
        .then_expect_error(GroupError::UnknownPost);
}

#[test]
fn an_edit_that_drops_the_publication_time_publishes_a_scheduled_post_at_once() {
    let written = C::PostCreated {
        post: "p1".into(),
        slug: "may-day".into(),
        author: p("mod"),
        content: scheduled("May day"),
    };
    Given::with(())
        .given(with(staffed(), [written.clone()]))
        .when(G::EditPost {
            by: p("mod"),
            post: "p1".into(),
            content: kept("May day"),
        })
        .then_expect_events(vec![
            C::PostEdited {
                post: "p1".into(),
                content: kept("May day"),
                fields: vec!["publish_at".into()],
            },
            C::PostPublished { post: "p1".into() },
        ]);
    // Moving the time keeps it waiting, for the new time.
    let later = PostContent {
        publish_at: Some(at("2030-05-02T09:00:00Z")),
        ..kept("May day")
    };
    Given::with(())
        .given(with(
            staffed(),
            [
                written,
                C::PostEdited {
                    post: "p1".into(),
                    content: later.clone(),
                    fields: vec!["publish_at".into()],
                },
            ],
        ))
        .when(G::PublishPost {
            post: "p1".into(),
            now: at("2030-05-01T09:30:00Z"),
        })
        .then_expect_events(vec![]);
}
