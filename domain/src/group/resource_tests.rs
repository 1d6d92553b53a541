//! Given/when/then specifications of a group's resources.

use super::resources::PREVIEW_DESCRIPTION_MAX;
use super::*;
use cqrs_es::test::TestFramework;

type Given = TestFramework<Group>;
use GroupChange as C;
use GroupCommand as G;
use MemberRole as R;

fn p(username: &str) -> GroupActor {
    GroupActor::profile(username)
}

fn pad() -> ResourceContent {
    ResourceContent::link(
        ResourceKind::Pad,
        "Minutes",
        "https://pad.example.org/p/minutes",
    )
}

fn added(resource: &str, parent: Option<&str>, content: ResourceContent) -> C {
    C::ResourceAdded {
        resource: resource.into(),
        parent: parent.map(str::to_string),
        author: p("ana"),
        content,
        object: None,
    }
}

/// A group by @ana with @mem (member), @new (asking to join), folder `f1` holding folder `f2`
/// which holds pad `r1`, and a link `l1` at the top.
fn stocked() -> Vec<C> {
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
        added("f1", None, ResourceContent::folder("Meetings")),
        added("f2", Some("f1"), ResourceContent::folder("2030")),
        added("r1", Some("f2"), pad()),
        added(
            "l1",
            None,
            ResourceContent::link(ResourceKind::Link, "Site", "http://repair.example"),
        ),
    ]
}

fn refused_on(field: &str, when: G) {
    let message = match Given::with(()).given(stocked()).when(when).inspect_result() {
        Err(GroupError::Invalid(errors)) => errors,
        other => panic!("expected a refusal naming {field}, got {other:?}"),
    };
    assert_eq!(
        message.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
        [field],
        "{message:?}"
    );
}

#[test]
fn members_add_folders_and_typed_links_as_typed() {
    let typed = ResourceContent {
        kind: ResourceKind::Visio,
        title: "  Weekly call ".into(),
        url: Some(" https://meet.example.org/repair ".into()),
        summary: Some(" Mondays ".into()),
    };
    Given::with(())
        .given(stocked())
        .when(G::AddResource {
            by: p("mem"),
            resource: "r2".into(),
            parent: Some("f1".into()),
            content: typed,
            object: None,
        })
        .then_expect_events(vec![C::ResourceAdded {
            resource: "r2".into(),
            parent: Some("f1".into()),
            author: p("mem"),
            content: ResourceContent {
                kind: ResourceKind::Visio,
                title: "Weekly call".into(),
                url: Some("https://meet.example.org/repair".into()),
                summary: Some("Mondays".into()),
            },
            object: None,
        }]);
    Given::with(())
        .given(stocked())
        .when(G::AddResource {
            by: p("ana"),
            resource: "f3".into(),
            parent: None,
            content: ResourceContent::folder("Flyers"),
            object: None,
        })
        .then_expect_events(vec![C::ResourceAdded {
            resource: "f3".into(),
            parent: None,
            author: p("ana"),
            content: ResourceContent::folder("Flyers"),
            object: None,
        }]);
}

#[test]
fn only_members_touch_resources() {
    for who in ["new", "stranger"] {
        let commands = [
            G::AddResource {
                by: p(who),
                resource: "r9".into(),
                parent: None,
                content: pad(),
                object: None,
            },
            G::EditResource {
                by: p(who),
                resource: "r1".into(),
                patch: ResourcePatch {
                    title: Some("Mine".into()),
                    ..ResourcePatch::default()
                },
            },
            G::MoveResource {
                by: p(who),
                resource: "r1".into(),
                parent: None,
            },
            G::DeleteResource {
                by: p(who),
                resource: "f1".into(),
            },
        ];
        for command in commands {
            Given::with(())
                .given(stocked())
                .when(command)
                .then_expect_error(GroupError::RoleNeeded(R::Member));
        }
    }
}

/// What a remote member made on their instance keeps its id there (the group relays it under
/// that id); nobody else's work carries one, and an id is a web address.
#[test]
fn a_remote_members_work_keeps_its_id_on_their_instance() {
    let zed = GroupActor::Remote("https://other.example/@zed".into());
    let hers = "https://other.example/resources/7";
    let mut given = stocked();
    given.push(C::MemberJoined {
        who: zed.clone(),
        role: R::Member,
        message: None,
    });
    let add = |by: GroupActor, object: &str| G::AddResource {
        by,
        resource: "r9".into(),
        parent: Some("f1".into()),
        content: pad(),
        object: Some(object.into()),
    };
    Given::with(())
        .given(given.clone())
        .when(add(zed.clone(), hers))
        .then_expect_events(vec![C::ResourceAdded {
            resource: "r9".into(),
            parent: Some("f1".into()),
            author: zed.clone(),
            content: pad(),
            object: Some(hers.into()),
        }]);
    refused_on("object", add(p("mem"), hers));
    let not_a_url = Given::with(())
        .given(given.clone())
        .when(add(zed.clone(), "resources/7"))
        .inspect_result();
    assert!(
        matches!(&not_a_url, Err(GroupError::Invalid(e)) if e[0].field == "object"),
        "{not_a_url:?}"
    );
    for command in [
        G::CreateTodoList {
            by: p("mem"),
            list: "l8".into(),
            title: "Mine".into(),
            object: Some(hers.into()),
        },
        G::AddTodo {
            by: zed.clone(),
            list: "l9".into(),
            todo: "t9".into(),
            content: TodoContent {
                title: "Call".into(),
                due_on: None,
                assignee: None,
                done: false,
            },
            object: Some("mailto:zed@other.example".into()),
        },
    ] {
        let mut listed = given.clone();
        listed.push(C::TodoListCreated {
            list: "l9".into(),
            title: "Zed's".into(),
            object: None,
        });
        let refused = Given::with(()).given(listed).when(command).inspect_result();
        assert!(
            matches!(&refused, Err(GroupError::Invalid(e)) if e[0].field == "object"),
            "{refused:?}"
        );
    }
}

#[test]
fn bad_content_is_refused_naming_the_field() {
    let add = |content: ResourceContent| G::AddResource {
        by: p("mem"),
        resource: "r9".into(),
        parent: None,
        content,
        object: None,
    };
    refused_on("title", add(ResourceContent::folder("  ")));
    refused_on("title", add(ResourceContent::folder("two\nlines")));
    refused_on("title", add(ResourceContent::folder(&"x".repeat(201))));
    for url in [
        "ftp://files.example.org/a",
        "javascript:alert(1)",
        "pad",
        "",
    ] {
        refused_on(
            "url",
            add(ResourceContent::link(ResourceKind::Pad, "Pad", url)),
        );
    }
    refused_on(
        "url",
        add(ResourceContent::link(
            ResourceKind::Folder,
            "A folder",
            "https://example.org",
        )),
    );
    let mut long = pad();
    long.summary = Some("s".repeat(1_001));
    refused_on("summary", add(long));
    let in_folder = |parent: &str| G::AddResource {
        by: p("mem"),
        resource: "r9".into(),
        parent: Some(parent.into()),
        content: pad(),
        object: None,
    };
    refused_on("parent", in_folder("nope"));
    refused_on("parent", in_folder("l1"));
    refused_on(
        "resource",
        G::AddResource {
            by: p("mem"),
            resource: "r1".into(),
            parent: None,
            content: pad(),
            object: None,
        },
    );
}

#[test]
fn an_edit_keeps_what_it_leaves_out_and_a_folder_stays_a_folder() {
    Given::with(())
        .given(stocked())
        .when(G::EditResource {
            by: p("mem"),
            resource: "r1".into(),
            patch: ResourcePatch {
                kind: Some(ResourceKind::Calc),
                title: Some("Budget ".into()),
                summary: Some("For March".into()),
                ..ResourcePatch::default()
            },
        })
        .then_expect_events(vec![C::ResourceEdited {
            resource: "r1".into(),
            content: ResourceContent {
                kind: ResourceKind::Calc,
                title: "Budget".into(),
                url: Some("https://pad.example.org/p/minutes".into()),
                summary: Some("For March".into()),
            },
        }]);
    Given::with(())
        .given(stocked())
        .when(G::EditResource {
            by: p("mem"),
            resource: "f1".into(),
            patch: ResourcePatch {
                title: Some("Assemblies".into()),
                ..ResourcePatch::default()
            },
        })
        .then_expect_events(vec![C::ResourceEdited {
            resource: "f1".into(),
            content: ResourceContent::folder("Assemblies"),
        }]);
    // The same content again records nothing.
    Given::with(())
        .given(stocked())
        .when(G::EditResource {
            by: p("mem"),
            resource: "f1".into(),
            patch: ResourcePatch {
                title: Some("Meetings".into()),
                ..ResourcePatch::default()
            },
        })
        .then_expect_events(vec![]);
    let edit = |resource: &str, patch: ResourcePatch| G::EditResource {
        by: p("mem"),
        resource: resource.into(),
        patch,
    };
    refused_on(
        "kind",
        edit(
            "f1",
            ResourcePatch {
                kind: Some(ResourceKind::Link),
                ..ResourcePatch::default()
            },
        ),
    );
    refused_on(
        "kind",
        edit(
            "r1",
            ResourcePatch {
                kind: Some(ResourceKind::Folder),
                ..ResourcePatch::default()
            },
        ),
    );
    refused_on(
        "url",
        edit(
            "r1",
            ResourcePatch {
                url: Some("file:///etc/passwd".into()),
                ..ResourcePatch::default()
            },
        ),
    );
    refused_on(
        "title",
        edit(
            "r1",
            ResourcePatch {
                title: Some(String::new()),
                ..ResourcePatch::default()
            },
        ),
    );
    Given::with(())
        .given(stocked())
        .when(edit("gone", ResourcePatch::default()))
        .then_expect_error(GroupError::UnknownResource);
}

#[test]
fn resources_move_between_folders_and_to_the_top() {
    Given::with(())
        .given(stocked())
        .when(G::MoveResource {
            by: p("mem"),
            resource: "r1".into(),
            parent: Some("f1".into()),
        })
        .then_expect_events(vec![C::ResourceMoved {
            resource: "r1".into(),
            parent: Some("f1".into()),
        }]);
    Given::with(())
        .given(stocked())
        .when(G::MoveResource {
            by: p("mem"),
            resource: "f2".into(),
            parent: None,
        })
        .then_expect_events(vec![C::ResourceMoved {
            resource: "f2".into(),
            parent: None,
        }]);
    // Where it already is: nothing recorded.
    Given::with(())
        .given(stocked())
        .when(G::MoveResource {
            by: p("mem"),
            resource: "f2".into(),
            parent: Some("f1".into()),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_resource_is_edited_and_moved_at_once_or_not_at_all() {
    let change = |title: &str, parent: Option<&str>| G::ChangeResource {
        by: p("mem"),
        resource: "l1".into(),
        patch: ResourcePatch {
            title: Some(title.into()),
            ..Default::default()
        },
        parent: parent.map(str::to_string),
    };
    let renamed = ResourceContent::link(ResourceKind::Link, "Our site", "http://repair.example");
    Given::with(())
        .given(stocked())
        .when(change("Our site", Some("f1")))
        .then_expect_events(vec![
            C::ResourceEdited {
                resource: "l1".into(),
                content: renamed,
            },
            C::ResourceMoved {
                resource: "l1".into(),
                parent: Some("f1".into()),
            },
        ]);
    // The same as it is: nothing recorded.
    Given::with(())
        .given(stocked())
        .when(change("Site", None))
        .then_expect_events(vec![]);
    // A folder that is not there: the new title is not kept either.
    assert!(Given::with(())
        .given(stocked())
        .when(change("Our site", Some("nowhere")))
        .inspect_result()
        .is_err());
    refused_on("title", change(" ", None));
}

#[test]
fn a_folder_never_moves_into_itself_or_its_own_folders() {
    let into = |resource: &str, parent: &str| G::MoveResource {
        by: p("ana"),
        resource: resource.into(),
        parent: Some(parent.into()),
    };
    refused_on("parent", into("f1", "f1"));
    refused_on("parent", into("f1", "f2"));
    refused_on("parent", into("f1", "nope"));
    refused_on("parent", into("r1", "l1"));
    // Once f2 is out of f1, f1 may go into f2.
    let mut moved = stocked();
    moved.push(C::ResourceMoved {
        resource: "f2".into(),
        parent: None,
    });
    Given::with(())
        .given(moved)
        .when(into("f1", "f2"))
        .then_expect_events(vec![C::ResourceMoved {
            resource: "f1".into(),
            parent: Some("f2".into()),
        }]);
    Given::with(())
        .given(stocked())
        .when(into("gone", "f1"))
        .then_expect_error(GroupError::UnknownResource);
}

#[test]
fn a_deleted_folder_takes_its_content_with_it() {
    Given::with(())
        .given(stocked())
        .when(G::DeleteResource {
            by: p("mem"),
            resource: "f1".into(),
        })
        .then_expect_events(vec![C::ResourceDeleted {
            resource: "f1".into(),
            content: vec!["f2".into(), "r1".into()],
        }]);
    let mut deleted = stocked();
    deleted.push(C::ResourceDeleted {
        resource: "f1".into(),
        content: vec!["f2".into(), "r1".into()],
    });
    let mut group = Group::default();
    for change in deleted.clone() {
        group.apply(change);
    }
    assert_eq!(group.resources().keys().collect::<Vec<_>>(), ["l1"]);
    for gone in ["f1", "f2", "r1"] {
        Given::with(())
            .given(deleted.clone())
            .when(G::DeleteResource {
                by: p("mem"),
                resource: gone.into(),
            })
            .then_expect_error(GroupError::UnknownResource);
    }
    refused_on(
        "parent",
        G::AddResource {
            by: p("mem"),
            resource: "r9".into(),
            parent: Some("nope".into()),
            content: pad(),
            object: None,
        },
    );
}

#[test]
fn kinds_read_as_they_are_written() {
    for kind in ["folder", "link", "pad", "calc", "visio"] {
        assert_eq!(
            ResourceKind::parse(kind).map(ResourceKind::as_str),
            Some(kind)
        );
    }
    assert_eq!(ResourceKind::parse("video"), None);
}

#[test]
fn the_instance_records_a_link_s_preview_once_for_the_url_it_was_fetched_for() {
    let fetched = LinkPreview {
        title: Some("  Minutes\n of the  week ".into()),
        description: Some("d".repeat(PREVIEW_DESCRIPTION_MAX + 10)),
        image: Some("javascript:alert(1)".into()),
    };
    let kept = LinkPreview {
        title: Some("Minutes of the week".into()),
        description: Some("d".repeat(PREVIEW_DESCRIPTION_MAX)),
        image: None,
    };
    let url = "https://pad.example.org/p/minutes";
    let previewed = C::ResourcePreviewed {
        resource: "r1".into(),
        url: url.into(),
        preview: kept.clone(),
    };
    Given::with(())
        .given(stocked())
        .when(G::PreviewResource {
            resource: "r1".into(),
            url: url.into(),
            preview: fetched.clone(),
        })
        .then_expect_events(vec![previewed.clone()]);
    // Fetched again (after a restart): nothing more.
    let mut after = stocked();
    after.push(previewed.clone());
    Given::with(())
        .given(after.clone())
        .when(G::PreviewResource {
            resource: "r1".into(),
            url: url.into(),
            preview: fetched.clone(),
        })
        .then_expect_events(vec![]);
    // A preview of a URL the link no longer has, of a folder, or of a deleted link: nothing.
    for (resource, url) in [
        ("r1", "https://pad.example.org/p/old"),
        ("f1", "https://pad.example.org/p/minutes"),
        ("gone", "https://pad.example.org/p/minutes"),
    ] {
        Given::with(())
            .given(stocked())
            .when(G::PreviewResource {
                resource: resource.into(),
                url: url.into(),
                preview: fetched.clone(),
            })
            .then_expect_events(vec![]);
    }
    // The link given a new URL and back: each URL it has is previewed anew.
    after.push(C::ResourceEdited {
        resource: "r1".into(),
        content: ResourceContent::link(ResourceKind::Pad, "Minutes", "https://pad.example.org/p/2"),
    });
    after.push(C::ResourceEdited {
        resource: "r1".into(),
        content: pad(),
    });
    Given::with(())
        .given(after)
        .when(G::PreviewResource {
            resource: "r1".into(),
            url: url.into(),
            preview: fetched,
        })
        .then_expect_events(vec![previewed]);
}
