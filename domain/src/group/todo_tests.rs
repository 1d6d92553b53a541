//! Given/when/then specifications of a group's todo lists.

use super::*;
use cqrs_es::test::TestFramework;

type Given = TestFramework<Group>;
use GroupChange as C;
use GroupCommand as G;
use MemberRole as R;

fn p(username: &str) -> GroupActor {
    GroupActor::profile(username)
}

/// A group by @ana with @mem (member), @new (asking to join), and list `l1` with todo `t1`.
fn listed() -> Vec<C> {
    vec![
        C::Created {
            handle: "repair".into(),
            creator: p("ana"),
            details: GroupDetails::named("Repair café"),
        },
        C::MemberJoined {
            who: p("mem"),
            role: R::Member,
            message: None,
        },
        C::MemberJoined {
            who: p("new"),
            role: R::NotApproved,
            message: None,
        },
        C::TodoListCreated {
            list: "l1".into(),
            title: "Saturday".into(),
            object: None,
        },
        C::TodoAdded {
            list: "l1".into(),
            todo: "t1".into(),
            content: todo(None),
            object: None,
        },
    ]
}

fn todo(assignee: Option<&str>) -> TodoContent {
    TodoContent {
        title: "Bring the drill".into(),
        due_on: Some("2030-06-01".into()),
        assignee: assignee.map(p),
        done: false,
    }
}

#[test]
fn members_make_lists_and_todos_assigned_to_members() {
    Given::with(())
        .given(listed())
        .when(G::CreateTodoList {
            by: p("mem"),
            list: "l2".into(),
            title: " Sunday ".into(),
            object: None,
        })
        .then_expect_events(vec![C::TodoListCreated {
            list: "l2".into(),
            title: "Sunday".into(),
            object: None,
        }]);
    Given::with(())
        .given(listed())
        .when(G::AddTodo {
            by: p("mem"),
            list: "l1".into(),
            todo: "t2".into(),
            content: todo(Some("ana")),
            object: None,
        })
        .then_expect_events(vec![C::TodoAdded {
            list: "l1".into(),
            todo: "t2".into(),
            content: todo(Some("ana")),
            object: None,
        }]);
    let done = TodoContent {
        done: true,
        ..todo(Some("mem"))
    };
    Given::with(())
        .given(listed())
        .when(G::UpdateTodo {
            by: p("ana"),
            todo: "t1".into(),
            content: done.clone(),
        })
        .then_expect_events(vec![C::TodoUpdated {
            todo: "t1".into(),
            content: done,
        }]);
}

#[test]
fn a_todo_is_assigned_to_a_member_only() {
    for who in ["new", "stranger"] {
        let refused = {
            let mut group = Group::default();
            for change in listed() {
                group.apply(change);
            }
            group.update_todo(&p("mem"), "t1".into(), todo(Some(who)))
        };
        let Err(GroupError::Invalid(errors)) = refused else {
            panic!("expected field errors, got {refused:?}");
        };
        assert_eq!(errors[0].field, "assignee");
    }
}

#[test]
fn a_todo_whose_assignee_left_is_still_edited_and_marked_done() {
    let mut changes = listed();
    changes.push(C::TodoUpdated {
        todo: "t1".into(),
        content: todo(Some("mem")),
    });
    changes.push(C::MemberLeft { who: p("mem") });
    let mut done = todo(Some("mem"));
    done.done = true;
    Given::with(())
        .given(changes.clone())
        .when(G::UpdateTodo {
            by: p("ana"),
            todo: "t1".into(),
            content: done.clone(),
        })
        .then_expect_events(vec![C::TodoUpdated {
            todo: "t1".into(),
            content: done,
        }]);
    // Assigning it anew still needs a member.
    let mut group = Group::default();
    for change in changes {
        group.apply(change);
    }
    let refused = group.update_todo(&p("ana"), "t1".into(), todo(Some("new")));
    assert!(
        matches!(refused, Err(GroupError::Invalid(_))),
        "{refused:?}"
    );
}

#[test]
fn those_outside_the_group_touch_no_list_or_todo() {
    for who in ["new", "stranger"] {
        Given::with(())
            .given(listed())
            .when(G::UpdateTodo {
                by: p(who),
                todo: "t1".into(),
                content: todo(None),
            })
            .then_expect_error(GroupError::RoleNeeded(R::Member));
        Given::with(())
            .given(listed())
            .when(G::CreateTodoList {
                by: p(who),
                list: "l2".into(),
                title: "Mine".into(),
                object: None,
            })
            .then_expect_error(GroupError::RoleNeeded(R::Member));
    }
}

#[test]
fn bad_titles_and_dates_are_named_and_unknown_lists_and_todos_refused() {
    let bad = TodoContent {
        title: " ".into(),
        due_on: Some("1 June".into()),
        assignee: None,
        done: false,
    };
    let errors = bad.validate().expect_err("refused");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["title", "due_on"]);
    Given::with(())
        .given(listed())
        .when(G::AddTodo {
            by: p("mem"),
            list: "nope".into(),
            todo: "t2".into(),
            content: todo(None),
            object: None,
        })
        .then_expect_error(GroupError::UnknownTodo);
    Given::with(())
        .given(listed())
        .when(G::UpdateTodo {
            by: p("mem"),
            todo: "nope".into(),
            content: todo(None),
        })
        .then_expect_error(GroupError::UnknownTodo);
}

#[test]
fn todos_apply_twice_as_once_and_survive_a_snapshot() {
    let mut once = Group::default();
    let mut twice = Group::default();
    for change in listed() {
        once.apply(change.clone());
        twice.apply(change.clone());
        twice.apply(change);
    }
    assert_eq!(once, twice);
    let snapshot = serde_json::to_string(&once).expect("snapshot");
    assert_eq!(serde_json::from_str::<Group>(&snapshot).ok(), Some(once));
}

#[test]
fn members_delete_a_todo_or_a_list_with_its_todos() {
    Given::with(())
        .given(listed())
        .when(G::DeleteTodo {
            by: p("mem"),
            todo: "t1".into(),
        })
        .then_expect_events(vec![C::TodoDeleted { todo: "t1".into() }]);
    Given::with(())
        .given(listed())
        .when(G::DeleteTodoList {
            by: p("ana"),
            list: "l1".into(),
        })
        .then_expect_events(vec![C::TodoListDeleted {
            list: "l1".into(),
            todos: vec!["t1".into()],
        }]);
    for who in ["new", "stranger"] {
        Given::with(())
            .given(listed())
            .when(G::DeleteTodo {
                by: p(who),
                todo: "t1".into(),
            })
            .then_expect_error(GroupError::RoleNeeded(R::Member));
        Given::with(())
            .given(listed())
            .when(G::DeleteTodoList {
                by: p(who),
                list: "l1".into(),
            })
            .then_expect_error(GroupError::RoleNeeded(R::Member));
    }
}

#[test]
fn a_deleted_todo_or_list_is_gone_for_every_later_command() {
    let list_gone = C::TodoListDeleted {
        list: "l1".into(),
        todos: vec!["t1".into()],
    };
    let mut gone = listed();
    gone.push(list_gone);
    Given::with(())
        .given(gone.clone())
        .when(G::UpdateTodo {
            by: p("mem"),
            todo: "t1".into(),
            content: todo(None),
        })
        .then_expect_error(GroupError::UnknownTodo);
    Given::with(())
        .given(gone.clone())
        .when(G::AddTodo {
            by: p("mem"),
            list: "l1".into(),
            todo: "t2".into(),
            content: todo(None),
            object: None,
        })
        .then_expect_error(GroupError::UnknownTodo);
    Given::with(())
        .given(gone)
        .when(G::DeleteTodoList {
            by: p("mem"),
            list: "l1".into(),
        })
        .then_expect_error(GroupError::UnknownTodo);
    let mut deleted = listed();
    deleted.push(C::TodoDeleted { todo: "t1".into() });
    Given::with(())
        .given(deleted.clone())
        .when(G::DeleteTodo {
            by: p("mem"),
            todo: "t1".into(),
        })
        .then_expect_error(GroupError::UnknownTodo);
    // Applied twice, a deletion leaves what applying it once does.
    let mut once = Group::default();
    let mut twice = Group::default();
    for change in deleted {
        once.apply(change.clone());
        twice.apply(change.clone());
        twice.apply(change);
    }
    assert_eq!(once, twice);
}
