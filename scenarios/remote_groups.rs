//! Two instances on 127.0.0.1: on B a profile finds A's group by its handle in the search box,
//! lands on the group's page on B and follows it from there (pending until the group accepts);
//! A's moderator publishes a public group event and a members-only one: the public one appears
//! on B's page for the group, the members-only one never reaches B. Unfollowing is offered then.
//! A profile on B also joins A's groups from their pages on B: an open one at once, a moderated
//! one once A's moderator approves (then sees, with her own signature, what A shows members:
//! discussions, resources, her role, and writes in A's discussion from B; A relays the
//! discussion's comments to B), and leaves.

use crate::federation::{browse_in, copy_of, each_pair, each_trio, settled, someone, start};
use crate::organising::ok;
use serde_json::json;

#[test]
fn a_profile_finds_a_group_elsewhere_by_handle_follows_it_and_sees_its_public_events() {
    each_pair("remote group page", |a_db, b_db| {
        let a = start(&a_db.url);
        let b = start(&b_db.url);
        let ana = someone(&a, "ana");
        let bea = someone(&b, "bea");
        ok(
            &a,
            "POST",
            "/api/v1/groups",
            &ana,
            Some(json!({"handle": "gardeners", "display_name": "Gardeners"})),
        );
        let a_host = a.base.trim_start_matches("http://").to_string();
        let page = format!("/@gardeners@{a_host}");

        // The search box on B, given the handle, leads to the group's page on B.
        let (status, _, location) = browse_in(
            "en",
            &b,
            &bea,
            &format!("/search?q=%40gardeners%40{a_host}"),
            None,
        );
        assert_eq!((status, location.as_str()), (303, page.as_str()));
        let (status, body, _) = browse_in("en", &b, &bea, &page, None);
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("Gardeners"), "{body}");
        assert!(body.contains(&format!("View on {a_host}")), "{body}");
        assert!(body.contains("Members: 1"), "{body}");

        // Bea follows it from the page: asked, then accepted by the group.
        let follow = format!("{page}/follow");
        let (status, _, location) = browse_in(
            "en",
            &b,
            &bea,
            &page,
            Some((&follow, &[("profile", "bea")])),
        );
        assert_eq!((status, location.as_str()), (303, page.as_str()));
        b.wait_until(|b| {
            browse_in("en", b, &bea, &page, None)
                .1
                .contains("You follow this group")
        });

        // A's moderator publishes a members-only event and a public one: only the public one
        // comes to B, where the group's page shows it.
        let event = |title: &str, members_only: bool| {
            json!({"title": title, "description": "<p>Dig in.</p>",
                   "begins_at": "2030-05-16T14:00:00Z", "time_zone": "Europe/Paris",
                   "members_only": members_only})
        };
        for (title, members_only) in [("Seed swap for members", true), ("Planting day", false)] {
            ok(
                &a,
                "POST",
                "/api/v1/groups/gardeners/events",
                &ana,
                Some(event(title, members_only)),
            );
        }
        b.wait_until(|b| {
            browse_in("en", b, &bea, &page, None)
                .1
                .contains("Planting day")
        });
        a.wait_until(|_| settled(&a_db.url));
        let (_, body, _) = browse_in("fr", &b, &bea, &page, None);
        assert!(body.contains("Vous suivez ce groupe"), "{body}");
        assert!(body.contains(&format!("Voir sur {a_host}")), "{body}");
        assert!(!body.contains("Seed swap"), "{body}");
        assert!(copy_of(&b, "Seed swap for members").is_none());

        // Unfollowing is offered, and done.
        let (status, _, _) = browse_in(
            "en",
            &b,
            &bea,
            &page,
            Some((&follow, &[("profile", "bea"), ("unfollow", "1")])),
        );
        assert_eq!(status, 303);
        let (_, body, _) = browse_in("en", &b, &bea, &page, None);
        assert!(!body.contains("You follow this group"), "{body}");
        assert!(body.contains(">Follow</button>"), "{body}");
        a.stop();
        b.stop();
    });
}

/// The role of `actor` in group `@handle` on `server`, as its moderator `caller` sees the
/// members list; none when it is not listed.
fn role_of(
    server: &crate::support::Server,
    caller: &crate::support::Caller,
    handle: &str,
    actor: &str,
) -> Option<String> {
    let members = ok(
        server,
        "GET",
        &format!("/api/v1/groups/{handle}/members"),
        caller,
        None,
    );
    members.as_array()?.iter().find_map(|m| {
        (m["member"] == actor).then(|| m["role"].as_str().unwrap_or_default().to_string())
    })
}

/// On B a profile joins A's open group from the group's page on B (a member on both sides once
/// A accepts), asks to join A's moderated group with a message (pending on B until A's moderator
/// approves it), writes in its discussion, adds a link, and made a moderator organises an event
/// for it, which a follower on a third instance C receives from the group, without its
/// members-only content; removed by A's moderator, no longer a member on B; then leaves the first
/// (gone from A's members).
#[test]
fn a_profile_joins_groups_elsewhere_from_their_page_and_leaves() {
    each_trio("remote group membership", |a_db, b_db, c_db| {
        let a = start(&a_db.url);
        let b = start(&b_db.url);
        let c = start(&c_db.url);
        let ana = someone(&a, "ana");
        let bea = someone(&b, "bea");
        let cleo = someone(&c, "cleo");
        for (handle, openness) in [("gardeners", "open"), ("archivists", "moderated")] {
            ok(
                &a,
                "POST",
                "/api/v1/groups",
                &ana,
                Some(json!({"handle": handle, "display_name": handle, "openness": openness})),
            );
        }
        let a_host = a.base.trim_start_matches("http://").to_string();
        let bea_actor = format!("{}/@bea", b.base);
        let page_of = |handle: &str| format!("/@{handle}@{a_host}");
        let join = |handle: &str, fields: &[(&str, &str)]| {
            let page = page_of(handle);
            browse_in(
                "en",
                &b,
                &bea,
                &page,
                Some((&format!("{page}/join"), fields)),
            )
        };

        // The open group: a member at once on A, and B's page says so once A accepts.
        let (status, body, _) = browse_in("en", &b, &bea, &page_of("gardeners"), None);
        assert!(body.contains("A message to its moderators"), "{body}");
        let (status_join, _, location) = join("gardeners", &[("profile", "bea")]);
        assert_eq!((status, status_join), (200, 303));
        assert_eq!(location, page_of("gardeners"));
        a.wait_until(|a| role_of(a, &ana, "gardeners", &bea_actor).as_deref() == Some("member"));
        b.wait_until(|b| {
            browse_in("en", b, &bea, &page_of("gardeners"), None)
                .1
                .contains("You are a member of this group.")
        });

        // A message too long: the form again, saying so, with the message kept; nothing sent.
        let long = format!("{} end", "maps ".repeat(400));
        let (status, body, _) = join("archivists", &[("profile", "bea"), ("message", &long)]);
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains("A message is at most 1,000 characters."),
            "{body}"
        );
        assert!(
            body.contains("maps maps") && body.contains(" end</textarea>"),
            "{body}"
        );

        // The moderated group: a request with its message, approved by A's moderator.
        join(
            "archivists",
            &[("profile", "bea"), ("message", "I keep old maps")],
        );
        a.wait_until(|a| {
            role_of(a, &ana, "archivists", &bea_actor).as_deref() == Some("not_approved")
        });
        let (_, body, _) = browse_in("fr", &b, &bea, &page_of("archivists"), None);
        assert!(
            body.contains("attend la réponse de ses modérateurs"),
            "{body}"
        );
        let members = ok(&a, "GET", "/api/v1/groups/archivists/members", &ana, None);
        assert!(
            format!("{members}").contains("I keep old maps"),
            "{members}"
        );
        let encoded: String = url::form_urlencoded::byte_serialize(bea_actor.as_bytes()).collect();
        ok(
            &a,
            "POST",
            &format!("/api/v1/groups/archivists/members/{encoded}/approve"),
            &ana,
            Some(json!({})),
        );
        b.wait_until(|b| {
            browse_in("en", b, &bea, &page_of("archivists"), None)
                .1
                .contains("You are a member of this group.")
        });

        // A member sees on B what A shows its members, asked of A with her own signature: its
        // discussions and resources, and her role once A's administrator makes her a moderator.
        let started = ok(
            &a,
            "POST",
            "/api/v1/groups/archivists/discussions",
            &ana,
            Some(json!({"title": "Scanning rota", "body": "<p>Who scans on Mondays?</p>"})),
        );
        let discussion_id = started["discussion"]["id"]
            .as_str()
            .or(started["id"].as_str())
            .unwrap_or_else(|| panic!("{started}"))
            .to_string();
        let folder = ok(
            &a,
            "POST",
            "/api/v1/groups/archivists/resources",
            &ana,
            Some(json!({"kind": "folder", "title": "Old maps"})),
        );
        let folder = format!(
            "{}/@archivists/resources/{}",
            a.base,
            folder["id"].as_str().unwrap_or_else(|| panic!("{folder}"))
        );
        ok(
            &a,
            "PUT",
            &format!("/api/v1/groups/archivists/members/{encoded}/role"),
            &ana,
            Some(json!({"role": "moderator"})),
        );
        b.wait_until(|b| {
            let body = browse_in("en", b, &bea, &page_of("archivists"), None).1;
            body.contains("Scanning rota")
                && body.contains("Old maps")
                && body.contains("Your role in it: Moderator.")
        });
        let (_, body, _) = browse_in("en", &b, &bea, &page_of("gardeners"), None);
        assert!(body.contains("For its members"), "{body}");
        assert!(!body.contains("Scanning rota"), "{body}");

        // She writes in the discussion from B: an empty message is said on the form, a message
        // reaches A's discussion as hers.
        let discussion = format!("{}/@archivists/c/{discussion_id}", a.base);
        let page = page_of("archivists");
        let write = |text: &str| {
            let fields = [
                ("profile", "bea"),
                ("discussion", discussion.as_str()),
                ("body", text),
            ];
            browse_in(
                "en",
                &b,
                &bea,
                &page,
                Some((&format!("{page}/discussion"), &fields)),
            )
        };
        let (status, body, _) = write("  ");
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("id=\"discussion-body-error\""), "{body}");
        assert!(
            body.contains(&format!("<option value=\"{discussion}\" selected>")),
            "{body}"
        );
        let (status, _, _) = write("<p>Mondays are mine</p>");
        assert_eq!(status, 303);
        let path = format!("/api/v1/groups/archivists/discussions/{discussion_id}");
        a.wait_until(|a| {
            let thread = ok(a, "GET", &path, &ana, None);
            thread["comments"].as_array().is_some_and(|comments| {
                comments.iter().any(|c| {
                    c["author"] == bea_actor.as_str()
                        && c["body"]
                            .as_str()
                            .unwrap_or("")
                            .contains("Mondays are mine")
                })
            })
        });
        // A relays its discussion to its members' instances, hers too: B's page shows Ana's
        // comment and hers as A took it, under the discussion's name.
        b.wait_until(|b| {
            let body = browse_in("en", b, &bea, &page, None).1;
            body.contains("Latest comments in its discussions")
                && body.contains("<p>Who scans on Mondays?</p>")
                && body.contains("<p>Mondays are mine</p>")
        });
        let (_, body, _) = browse_in("en", &b, &bea, &page, None);
        assert!(
            body.contains(&format!(
                "<a href=\"{discussion}\" rel=\"nofollow noopener\">Scanning rota</a>"
            )),
            "{body}"
        );
        assert!(
            body.contains(&format!("<strong>@ana@{a_host}</strong>"))
                && body.contains("<strong>@bea</strong>"),
            "{body}"
        );

        // She adds a link from B: one without an address is said on the form, what she typed
        // and the folder she chose kept; one at the top reaches A's resources as hers, and B's
        // page lists it among what A shows its members.
        let add = |fields: &[(&str, &str)]| {
            browse_in(
                "en",
                &b,
                &bea,
                &page,
                Some((&format!("{page}/resource"), fields)),
            )
        };
        let mut fields = vec![
            ("profile", "bea"),
            ("folder", folder.as_str()),
            ("title", "Scanning guide"),
            ("url", " "),
        ];
        let (status, body, _) = add(&fields);
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("id=\"resource-url-error\""), "{body}");
        assert!(body.contains("value=\"Scanning guide\""), "{body}");
        assert!(
            body.contains(&format!(
                "<option value=\"{folder}\" selected>Old maps</option>"
            )),
            "{body}"
        );
        fields[1].1 = "";
        fields[3].1 = "https://scans.example/guide";
        let (status, _, _) = add(&fields);
        assert_eq!(status, 303);
        a.wait_until(|a| {
            let top = ok(a, "GET", "/api/v1/groups/archivists/resources", &ana, None);
            top["items"].as_array().is_some_and(|items| {
                items.iter().any(|r| {
                    r["title"] == "Scanning guide"
                        && r["url"] == "https://scans.example/guide"
                        && r["author"] == bea_actor.as_str()
                })
            })
        });
        b.wait_until(|b| {
            browse_in("en", b, &bea, &page, None)
                .1
                .contains("Scanning guide")
        });

        // From B's page she renames it and gives it another address (the group lists it under
        // its id on B, which her Update names), moves it into a folder, then deletes it.
        let (_, body, _) = browse_in("en", &b, &bea, &page, None);
        let resource = body
            .split(">Scanning guide</a>")
            .nth(1)
            .and_then(|rest| rest.split("name=\"resource\" value=\"").nth(1))
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("a form to change the link: {body}"))
            .to_string();
        let top_titles = |a: &crate::support::Server| {
            let top = ok(a, "GET", "/api/v1/groups/archivists/resources", &ana, None);
            format!("{top}")
        };
        let (status, _, _) = add(&[
            ("profile", "bea"),
            ("resource", resource.as_str()),
            ("title", "Scanning handbook"),
            ("url", "https://scans.example/handbook"),
        ]);
        assert_eq!(status, 303);
        a.wait_until(|a| {
            let top = top_titles(a);
            top.contains("Scanning handbook") && top.contains("https://scans.example/handbook")
        });
        b.wait_until(|b| {
            browse_in("en", b, &bea, &page, None)
                .1
                .contains("Scanning handbook")
        });
        // She moves it into "Old maps" (the form says where it goes): A keeps it there, and B's
        // page shows it inside the folder, one level down, where her form says it is.
        let (status, _, _) = add(&[
            ("profile", "bea"),
            ("resource", resource.as_str()),
            ("title", "Scanning handbook"),
            ("url", "https://scans.example/handbook"),
            ("folder", folder.as_str()),
        ]);
        assert_eq!(status, 303);
        let folder_path = format!(
            "/api/v1/groups/archivists/resources/{}",
            folder.rsplit('/').next().unwrap_or_default()
        );
        a.wait_until(|a| {
            let inside = ok(a, "GET", &folder_path, &ana, None);
            format!("{inside}").contains("Scanning handbook")
                && !top_titles(a).contains("Scanning handbook")
        });
        b.wait_until(|b| {
            let body = browse_in("en", b, &bea, &page, None).1;
            body.contains(
                "<li dir=\"auto\" data-depth=\"1\"><a href=\"https://scans.example/handbook\"",
            )
        });
        let (_, body, _) = browse_in("en", &b, &bea, &page, None);
        let handbook = body
            .split(">Scanning handbook</a>")
            .nth(1)
            .unwrap_or_else(|| panic!("{body}"));
        assert!(
            handbook
                .split("</form>")
                .next()
                .is_some_and(|form| form.contains(&format!(
                    "<option value=\"{folder}\" selected>Old maps</option>"
                ))),
            "{handbook}"
        );
        let (status, _, _) = add(&[
            ("profile", "bea"),
            ("resource", resource.as_str()),
            ("delete", "1"),
        ]);
        assert_eq!(status, 303);
        a.wait_until(|a| {
            let inside = ok(a, "GET", &folder_path, &ana, None);
            !format!("{inside}").contains("Scanning handbook")
        });

        // A's todo lists on B: A relays its todos to her instance, where its page shows each
        // list with them; she adds one from B (a title is said on the form when empty) and
        // marks A's done, and A takes both as hers.
        let list = ok(
            &a,
            "POST",
            "/api/v1/groups/archivists/todo-lists",
            &ana,
            Some(json!({"title": "Scanning"})),
        );
        let list_id = list["id"].as_str().unwrap_or_default().to_string();
        ok(
            &a,
            "POST",
            &format!("/api/v1/groups/archivists/todo-lists/{list_id}/todos"),
            &ana,
            Some(json!({"title": "Scan the 1920 maps"})),
        );
        let list_url = format!("{}/@archivists/todos/{list_id}", a.base);
        b.wait_until(|b| {
            let body = browse_in("en", b, &bea, &page, None).1;
            body.contains("Scanning") && body.contains("Scan the 1920 maps")
        });
        let todo_form = |fields: &[(&str, &str)]| {
            browse_in(
                "en",
                &b,
                &bea,
                &page,
                Some((&format!("{page}/todo"), fields)),
            )
        };
        let (status, body, _) = todo_form(&[
            ("profile", "bea"),
            ("list", list_url.as_str()),
            ("title", " "),
        ]);
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("id=\"todo-title-1-error\""), "{body}");
        assert!(!body.contains("id=\"resource-title-error\""), "{body}");
        let (status, _, _) = todo_form(&[
            ("profile", "bea"),
            ("list", list_url.as_str()),
            ("title", "Buy scanner paper"),
        ]);
        assert_eq!(status, 303);
        let (_, body, _) = browse_in("en", &b, &bea, &page, None);
        let first = body
            .split("Scan the 1920 maps")
            .nth(1)
            .and_then(|rest| rest.split("name=\"todo\" value=\"").nth(1))
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("a form to mark it done: {body}"))
            .to_string();
        let (status, _, _) =
            todo_form(&[("profile", "bea"), ("todo", first.as_str()), ("done", "1")]);
        assert_eq!(status, 303);
        let lists_path = "/api/v1/groups/archivists/todo-lists";
        a.wait_until(|a| {
            let lists = format!("{}", ok(a, "GET", lists_path, &ana, None));
            lists.contains("Buy scanner paper") && lists.contains("\"done\":true")
        });
        let lists = ok(&a, "GET", lists_path, &ana, None);
        let todos = lists
            .as_array()
            .or(lists["items"].as_array())
            .and_then(|lists| lists.iter().find(|l| l["title"] == "Scanning"))
            .and_then(|l| l["todos"].as_array())
            .cloned()
            .unwrap_or_else(|| panic!("{lists}"));
        let state: Vec<_> = todos
            .iter()
            .map(|t| (t["title"].as_str().unwrap_or_default(), t["done"] == true))
            .collect();
        assert!(state.contains(&("Scan the 1920 maps", true)), "{lists}");
        assert!(state.contains(&("Buy scanner paper", false)), "{lists}");
        // A relays both back: B's page shows hers, and A's marked done.
        b.wait_until(|b| {
            let body = browse_in("en", b, &bea, &page, None).1;
            body.contains("Buy scanner paper") && body.contains("<s>Scan the 1920 maps</s>")
        });

        // A moderator now, she organises an event for the group from B, as Mobilizon's members
        // do: the event is B's, organised by her, and its Create goes to the group, which
        // lists it among its events on A; B's page for the group lists it too.
        let (_, body, _) = browse_in("en", &b, &bea, &page, None);
        let new_event = format!("{page}/events/new");
        assert!(body.contains(&format!("href=\"{new_event}\"")), "{body}");
        let fields = [
            ("profile", "bea"),
            ("title", "Map fair"),
            ("description", "<p>Old maps for everyone</p>"),
            ("begins_at", "2031-05-10T14:00"),
            ("ends_at", "2031-05-10T18:00"),
            ("time_zone", "Europe/Paris"),
            ("capacity", ""),
            ("join_mode", "free"),
            ("address_name", "Town hall"),
            ("locality", "Lyon"),
            ("country", "France"),
            ("category", "CAUSES"),
            ("language", "en"),
            ("visibility", "public"),
            ("comments_open", "on"),
            ("publish", "now"),
        ];
        // Cleo on C follows the group, which accepts at once.
        let follow = format!("{page}/follow");
        browse_in(
            "en",
            &c,
            &cleo,
            &page,
            Some((&follow, &[("profile", "cleo")])),
        );
        c.wait_until(|c| {
            browse_in("en", c, &cleo, &page, None)
                .1
                .contains("You follow this group")
        });
        let (status, body, _) = browse_in("en", &b, &bea, &new_event, None);
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("The group lives on another instance"),
            "{body}"
        );
        assert!(!body.contains("name=\"members_only\""), "{body}");
        let (status, body, location) =
            browse_in("en", &b, &bea, &new_event, Some((&new_event, &fields)));
        assert_eq!(status, 303, "{body}");
        assert!(location.starts_with("/events/"), "{location}");
        let bea_handle = format!("bea@{}", b.base.trim_start_matches("http://"));
        a.wait_until(|a| {
            let events = ok(a, "GET", "/api/v1/groups/archivists/events", &ana, None);
            format!("{events}").contains("Map fair") && format!("{events}").contains(&bea_handle)
        });
        let (_, body, _) = browse_in("en", &a, &ana, "/@archivists", None);
        assert!(body.contains("Map fair"), "{body}");
        let (_, body, _) = browse_in("en", &b, &bea, &page, None);
        assert!(body.contains("Map fair"), "{body}");
        let (_, body, _) = browse_in("en", &b, &bea, &location, None);
        assert!(body.contains(&format!("href=\"{page}\"")), "{body}");
        // The group announces it to its followers: C fetches it from B and lists it as the
        // group's; what the group keeps for its members never reaches C.
        c.wait_until(|c| {
            browse_in("en", c, &cleo, &page, None)
                .1
                .contains("Map fair")
        });
        let (_, body, _) = browse_in("en", &c, &cleo, &page, None);
        assert!(
            !body.contains("Scanning rota") && !body.contains("Mondays are mine"),
            "{body}"
        );
        assert!(!body.contains("For its members"), "{body}");
        // She renames it on B: the group announces it again, and C, which follows the group
        // (not her), fetches it anew from B.
        ok(
            &b,
            "PATCH",
            &format!("/api/v1{location}"),
            &bea,
            Some(json!({"title": "Map and print fair"})),
        );
        c.wait_until(|c| {
            browse_in("en", c, &cleo, &page, None)
                .1
                .contains("Map and print fair")
        });

        // A's moderator keeps an event to the group's members: it reaches Bea on B, where the
        // group's page shows it to her and to nobody else; never C.
        let for_members = json!({"title": "Archive night", "description": "<p>Members only.</p>",
                                 "begins_at": "2031-06-01T18:00:00Z", "time_zone": "Europe/Paris",
                                 "members_only": true});
        ok(
            &a,
            "POST",
            "/api/v1/groups/archivists/events",
            &ana,
            Some(for_members),
        );
        b.wait_until(|b| {
            browse_in("en", b, &bea, &page, None)
                .1
                .contains("Archive night")
        });
        let stranger = crate::support::Caller {
            token: None,
            profile: None,
        };
        let (_, body, _) = browse_in("en", &b, &stranger, &page, None);
        assert!(
            body.contains("Map and print fair") && !body.contains("Archive night"),
            "{body}"
        );
        a.wait_until(|_| settled(&a_db.url));
        let (_, body, _) = browse_in("en", &c, &cleo, &page, None);
        assert!(!body.contains("Archive night"), "{body}");
        let (_, listed) = c.get("/api/v1/events?limit=100");
        assert!(!format!("{listed}").contains("Archive night"), "{listed}");

        // Removed by A's moderator: B no longer counts her a member, and offers to join again.
        let (status, said) = a.call(
            "POST",
            &format!("/api/v1/groups/archivists/members/{encoded}/remove"),
            &ana,
            Some(json!({"reason": "moved away"})),
        );
        assert_eq!(status, 204, "{said}");
        b.wait_until(|b| {
            browse_in("en", b, &bea, &page_of("archivists"), None)
                .1
                .contains("A message to its moderators")
        });
        let (_, body, _) = browse_in("en", &b, &bea, &page_of("archivists"), None);
        assert!(!body.contains("Scanning rota"), "{body}");
        // What the group keeps to its members is hers no longer.
        assert!(!body.contains("Archive night"), "{body}");

        // Leaving the first: gone from A's members, and B offers to join again.
        let page = page_of("gardeners");
        let (status, _, _) = browse_in(
            "en",
            &b,
            &bea,
            &page,
            Some((&format!("{page}/leave"), &[("profile", "bea")])),
        );
        assert_eq!(status, 303);
        a.wait_until(|a| role_of(a, &ana, "gardeners", &bea_actor).is_none());
        let (_, body, _) = browse_in("en", &b, &bea, &page, None);
        assert!(!body.contains("You are a member"), "{body}");
        a.stop();
        b.stop();
        c.stop();
    });
}
