//! The pages that run a group: creating one, its settings, its members' administration, "my
//! groups" with invitations to answer, and its timeline — each form's bad input shown again
//! with the field named and nothing written, each refusal said in the visitor's language.

use crate::sites;
use crate::support::{Browser, Site};
use convene_projections::scratch::test_urls;

/// Creates group `handle` through the form as `browser`'s default profile.
pub(crate) async fn create_group(browser: &Browser, handle: &str, name: &str, openness: &str) {
    let form = browser.get("/groups/new").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let created = browser
        .post(
            "/groups/new",
            &form.csrf(),
            &[
                ("handle", handle),
                ("display_name", name),
                ("summary", "<p>We <b>fix</b> things</p><script>x()</script>"),
                ("visibility", "public"),
                ("openness", openness),
            ],
        )
        .await;
    assert_eq!(
        (created.status, created.location.as_deref()),
        (303, Some(format!("/@{handle}").as_str())),
        "{}",
        created.body
    );
}

/// Posts one of the members page's forms as `browser`.
async fn members_form(browser: &Browser, handle: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let page = browser.get(&format!("/@{handle}/members")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let done = browser
        .post(&format!("/@{handle}/members"), &page.csrf(), fields)
        .await;
    (done.status, done.body)
}

/// A bad form: its fields, the status it gets, the message it shows and a value it keeps.
type Case<'a> = (&'a [(&'a str, &'a str)], u16, &'a str, &'a str);

#[tokio::test]
async fn a_group_is_created_through_its_form_and_bad_input_is_shown_again() {
    for (_db, site) in sites("group_page_create").await {
        let anyone = site.browser("en");
        let page = anyone.get("/groups/new").await;
        assert_eq!(page.status, 303, "logged out: to the login page");
        assert!(page.location.unwrap_or_default().starts_with("/login"));

        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let form = ana.get("/groups/new").await;
        assert!(form.body.contains("<label for=\"handle\">Handle</label>"));
        assert!(form.body.contains("By invitation only"), "{}", form.body);
        let head = site.head().await;

        let forged = ana
            .post("/groups/new", "forged", &[("handle", "repair")])
            .await;
        assert_eq!(forged.status, 403);
        let too_long = "x".repeat(5_001);
        let cases: [Case; 5] = [
            (
                &[("handle", "Bad Handle"), ("openness", "moderated")],
                422,
                "A handle is 1 to 30 characters",
                "value=\"Bad Handle\"",
            ),
            (
                &[("handle", "admin"), ("openness", "moderated")],
                422,
                "not a word the site keeps for itself",
                "value=\"admin\"",
            ),
            (
                &[("handle", "ana"), ("openness", "moderated")],
                409,
                "This handle is already taken",
                "value=\"ana\"",
            ),
            (
                &[("handle", "repair"), ("openness", "sometimes")],
                422,
                "Choose how people become members from the list.",
                "value=\"repair\"",
            ),
            (
                &[("handle", "repair"), ("summary", &too_long)],
                422,
                "at most 5,000 characters",
                "value=\"repair\"",
            ),
        ];
        for (fields, status, message, kept) in cases {
            let mut all = vec![("visibility", "public"), ("display_name", "Repair café")];
            all.extend_from_slice(fields);
            if !all.iter().any(|(k, _)| *k == "openness") {
                all.push(("openness", "open"));
            }
            let refused = ana.post("/groups/new", &form.csrf(), &all).await;
            assert_eq!(refused.status, status, "{fields:?}: {}", refused.body);
            assert!(
                refused.body.contains(message),
                "{fields:?}: {}",
                refused.body
            );
            assert!(refused.body.contains(kept), "value kept: {}", refused.body);
            assert!(refused.body.contains("value=\"Repair café\""));
            assert!(refused.body.contains("aria-invalid=\"true\""));
        }
        assert_eq!(site.head().await, head, "nothing written");

        let zoe = Browser::member(&site, "zoe@example.org", "zoe", "fr").await;
        let form = zoe.get("/groups/new").await;
        let refused = zoe
            .post(
                "/groups/new",
                &form.csrf(),
                &[
                    ("handle", "events"),
                    ("openness", "open"),
                    ("visibility", "public"),
                ],
            )
            .await;
        assert_eq!(refused.status, 422);
        assert!(
            refused.body.contains("que le site garde pour lui"),
            "{}",
            refused.body
        );

        create_group(&ana, "repair", "Repair café", "moderated").await;
        let page = ana.get("/@repair").await;
        assert!(page.body.contains("Repair café"), "{}", page.body);
        assert!(page.body.contains("<b>fix</b>"), "sanitised HTML kept");
        assert!(!page.body.contains("<script>x()"), "{}", page.body);
        assert!(page.body.contains("href=\"/@repair/settings\""));
        assert!(page.body.contains("href=\"/@repair/members\""));
        let page = zoe.get("/@repair").await;
        assert!(page.body.contains("Demander à rejoindre"), "{}", page.body);
        assert!(!page.body.contains("/@repair/settings"), "{}", page.body);
        let mine = ana.get("/my/groups").await;
        assert!(mine.body.contains("Repair café"), "{}", mine.body);
        assert!(mine.body.contains("Creator"), "{}", mine.body);
    }
}

#[tokio::test]
async fn group_creation_may_be_kept_to_the_instances_administrators() {
    for scratch in test_urls("group_page_creation_admins").await {
        let site =
            Site::start_with(&scratch, convene_api::groups::GroupCreation::Administrators).await;
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let form = ana.get("/groups/new").await;
        assert_eq!(form.status, 403, "{}", form.body);
        assert!(form
            .body
            .contains("only its administrators may create groups"));
        let mine = ana.get("/my/groups").await;
        assert!(!mine.body.contains("href=\"/groups/new\""), "{}", mine.body);
        let head = site.head().await;
        let refused = ana
            .post(
                "/groups/new",
                &mine.csrf(),
                &[
                    ("handle", "repair"),
                    ("openness", "open"),
                    ("visibility", "public"),
                ],
            )
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(
            site.head().await,
            head,
            "nothing written, not even the claim"
        );
    }
}

#[tokio::test]
async fn administrators_change_the_settings_and_nobody_else_does() {
    for (_db, site) in sites("group_page_settings").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let zoe = Browser::member(&site, "zoe@example.org", "zoe", "en").await;
        create_group(&ana, "choir", "Choir", "open").await;
        let page = zoe.get("/@choir").await;
        zoe.post("/@choir/join", &page.csrf(), &[]).await;

        let refused = zoe.get("/@choir/settings").await;
        assert_eq!(refused.status, 403, "a member is not an administrator");
        assert!(
            refused.body.contains("Only the group&#39;s administrators")
                || refused.body.contains("Only the group's administrators"),
            "{}",
            refused.body
        );
        let refused = zoe
            .post(
                "/@choir/settings",
                &page.csrf(),
                &[
                    ("display_name", "Taken over"),
                    ("openness", "open"),
                    ("visibility", "public"),
                ],
            )
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        let anonymous = site.browser("en").get("/@choir/settings").await;
        assert_eq!(anonymous.status, 303);

        let form = ana.get("/@choir/settings").await;
        assert_eq!(form.status, 200, "{}", form.body);
        assert!(form.body.contains("value=\"Choir\""), "{}", form.body);
        assert!(form
            .body
            .contains("id=\"openness-open\" name=\"openness\" value=\"open\" checked"));
        let head = site.head().await;
        let refused = ana
            .post(
                "/@choir/settings",
                &form.csrf(),
                &[
                    ("display_name", ""),
                    ("summary", "Kept"),
                    ("openness", "invite_only"),
                    ("visibility", "public"),
                ],
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.body.contains("A name is 1 to 100 characters"));
        assert!(
            refused.body.contains(">Kept</textarea>"),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("value=\"invite_only\" checked"));
        assert_eq!(site.head().await, head, "nothing written");

        let saved = ana
            .post(
                "/@choir/settings",
                &form.csrf(),
                &[
                    ("display_name", "The choir"),
                    ("openness", "invite_only"),
                    ("visibility", "public"),
                    ("manually_approves_followers", "on"),
                ],
            )
            .await;
        assert_eq!(
            (saved.status, saved.location.as_deref()),
            (303, Some("/@choir"))
        );
        let page = site.browser("en").get("/@choir").await;
        assert!(page.body.contains("The choir"));
        assert!(!page.body.contains("/@choir/join"), "invite-only now");
        let form = ana.get("/@choir/settings").await;
        assert!(form
            .body
            .contains("name=\"manually_approves_followers\" checked"));
    }
}

#[tokio::test]
async fn moderators_answer_requests_invite_and_administrators_give_roles() {
    for (_db, site) in sites("group_page_members").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let zoe = Browser::member(&site, "zoe@example.org", "zoe", "en").await;
        let bob = Browser::member(&site, "bob@example.org", "bob", "fr").await;
        let cy = Browser::member(&site, "cy@example.org", "cy", "en").await;
        create_group(&ana, "repair", "Repair café", "moderated").await;

        // Strangers and the logged-out see no member list.
        let page = zoe.get("/@repair/members").await;
        assert_eq!(page.status, 403, "{}", page.body);
        assert!(
            page.body.contains("Only the group&#39;s members")
                || page.body.contains("Only the group's members"),
            "{}",
            page.body
        );
        assert_eq!(site.browser("en").get("/@repair/members").await.status, 303);

        for asker in [&zoe, &cy] {
            let page = asker.get("/@repair").await;
            let asked = asker
                .post("/@repair/join", &page.csrf(), &[("message", "I fix bikes")])
                .await;
            assert_eq!(asked.status, 303, "{}", asked.body);
        }
        // Cy withdraws; approving Cy afterwards is refused, saying what happened.
        let mine = cy.get("/my/groups").await;
        assert!(
            mine.body.contains("Requests waiting for an answer"),
            "{}",
            mine.body
        );
        let withdrawn = cy
            .post("/@repair/leave", &mine.csrf(), &[("profile", "cy")])
            .await;
        assert_eq!(withdrawn.status, 303);

        let page = ana.get("/@repair/members").await;
        assert!(page.body.contains("@zoe"), "{}", page.body);
        assert!(page.body.contains("Asked to join"), "{}", page.body);
        assert!(
            page.body.contains("I fix bikes"),
            "moderators read the message"
        );
        let head = site.head().await;
        let (status, body) =
            members_form(&ana, "repair", &[("action", "approve"), ("username", "cy")]).await;
        assert_eq!(status, 409, "{body}");
        assert!(body.contains("it was withdrawn, or never made"), "{body}");
        assert_eq!(site.head().await, head, "nothing written");

        let (status, body) = members_form(
            &ana,
            "repair",
            &[("action", "approve"), ("username", "zoe")],
        )
        .await;
        assert_eq!(status, 303, "{body}");

        // Inviting: a name nobody has is named on the form, the value kept.
        let (status, body) = members_form(
            &ana,
            "repair",
            &[("action", "invite"), ("username", "nobody")],
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains("There is no profile with this username here."),
            "{body}"
        );
        assert!(body.contains("value=\"nobody\""), "{body}");
        // Another instance's actor by URL: this test instance federates with nobody, and says so.
        let (status, body) = members_form(
            &ana,
            "repair",
            &[
                ("action", "invite"),
                ("username", "https://other.example/@bo"),
            ],
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body.contains("only its own profiles can be invited"),
            "{body}"
        );
        let (status, _) =
            members_form(&ana, "repair", &[("action", "invite"), ("username", "bob")]).await;
        assert_eq!(status, 303);
        let (status, body) =
            members_form(&ana, "repair", &[("action", "invite"), ("username", "bob")]).await;
        assert_eq!(status, 409, "nobody is invited twice: {body}");
        assert!(body.contains("already has a place in the group"), "{body}");

        // Bob answers from "my groups", in French.
        let mine = bob.get("/my/groups").await;
        assert!(mine.body.contains("Invitations"), "{}", mine.body);
        assert!(mine.body.contains("Repair café"), "{}", mine.body);
        let accepted = bob
            .post(
                "/@repair/invitation",
                &mine.csrf(),
                &[("profile", "bob"), ("answer", "accept")],
            )
            .await;
        assert_eq!(accepted.status, 303, "{}", accepted.body);
        let mine = bob.get("/my/groups").await;
        assert!(mine.body.contains("Mes groupes"), "{}", mine.body);
        assert!(
            mine.body.contains(">Membre<") || mine.body.contains("· Membre"),
            "{}",
            mine.body
        );

        // Members see members, without the messages or any button.
        let page = bob.get("/@repair/members").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("@zoe") && page.body.contains("@ana"));
        assert!(!page.body.contains("I fix bikes"), "{}", page.body);
        assert!(!page.body.contains("name=\"action\""), "{}", page.body);

        // Roles: administrators give them, up to their own.
        let (status, body) = members_form(
            &ana,
            "repair",
            &[
                ("action", "role"),
                ("username", "zoe"),
                ("role", "moderator"),
            ],
        )
        .await;
        assert_eq!(status, 303, "{body}");
        let page = ana.get("/@repair/members").await;
        assert!(page.body.contains("Moderator"), "{}", page.body);
        let (status, body) = members_form(
            &zoe,
            "repair",
            &[
                ("action", "role"),
                ("username", "bob"),
                ("role", "moderator"),
            ],
        )
        .await;
        assert_eq!(status, 403, "a moderator gives no roles: {body}");
        assert!(
            body.contains("Only the group&#39;s administrators")
                || body.contains("Only the group's administrators"),
            "{body}"
        );
        let (status, body) = members_form(
            &ana,
            "repair",
            &[("action", "role"), ("username", "zoe"), ("role", "creator")],
        )
        .await;
        assert_eq!(status, 422, "{body}");
        let (status, body) =
            members_form(&ana, "repair", &[("action", "remove"), ("username", "ana")]).await;
        assert_eq!(status, 409, "{body}");
        assert!(
            body.contains("The last administrator cannot leave"),
            "{body}"
        );
        // A moderator removes a member; the member loses the list at once.
        let (status, body) =
            members_form(&zoe, "repair", &[("action", "remove"), ("username", "bob")]).await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(bob.get("/@repair/members").await.status, 403);
    }
}

#[tokio::test]
async fn the_timeline_page_tells_members_everything_and_others_the_public_facts() {
    for (_db, site) in sites("group_page_timeline").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let zoe = Browser::member(&site, "zoe@example.org", "zoe", "fr").await;
        create_group(&ana, "choir", "Choir", "open").await;
        let page = zoe.get("/@choir").await;
        zoe.post("/@choir/join", &page.csrf(), &[]).await;
        let form = ana.get("/@choir/settings").await;
        ana.post(
            "/@choir/settings",
            &form.csrf(),
            &[
                ("display_name", "The choir"),
                // As the form gives it back: only the name changes.
                ("summary", "<p>We <b>fix</b> things</p>"),
                ("openness", "open"),
                ("visibility", "public"),
            ],
        )
        .await;

        let token = crate::groups::token(&site.base, "ana@example.org").await;
        for (title, members_only) in [("Open rehearsal", false), ("Members meeting", true)] {
            let created = crate::groups::api(
                &site.base,
                Some(&token),
                "POST",
                "/api/v1/groups/choir/events",
                serde_json::json!({"title": title, "begins_at": "2030-06-01T14:00:00Z",
                       "time_zone": "Europe/Paris", "members_only": members_only}),
            )
            .await;
            assert!(created["id"].is_string(), "{created}");
        }

        let page = zoe.get("/@choir/timeline").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("@ana a organisé un événement"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("Members meeting"),
            "members see it: {}",
            page.body
        );
        assert!(
            page.body.contains("@ana a créé le groupe."),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("@zoe a rejoint le groupe."),
            "{}",
            page.body
        );
        assert!(page.body.contains("@ana a changé le nom."), "{}", page.body);

        let page = site.browser("en").get("/@choir/timeline").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("@choir created the group."),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("@choir changed the name."),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains("@zoe"),
            "who belongs is for members: {}",
            page.body
        );
        // Who runs the group is for members; a public event names its organiser anyway.
        assert!(
            !page.body.contains("@ana created") && !page.body.contains("@ana changed"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("@ana organised an event"),
            "{}",
            page.body
        );
        assert!(page.body.contains("Open rehearsal"), "{}", page.body);
        assert!(!page.body.contains("Members meeting"), "{}", page.body);

        // Removed, Zoe loses the members' view at once.
        let (status, body) =
            members_form(&ana, "choir", &[("action", "remove"), ("username", "zoe")]).await;
        assert_eq!(status, 303, "{body}");
        let page = zoe.get("/@choir/timeline").await;
        assert!(!page.body.contains("Members meeting"), "{}", page.body);
        assert!(!page.body.contains("@zoe a rejoint"), "{}", page.body);
        assert_eq!(zoe.get("/@choir/members").await.status, 403);
        assert_eq!(
            site.browser("en").get("/@nobody/timeline").await.status,
            404
        );
    }
}

#[tokio::test]
async fn a_second_identity_in_a_group_is_never_linked_to_its_account() {
    for (_db, site) in sites("group_page_identities").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let zoe = Browser::member(&site, "zoe@example.org", "zoe", "en").await;
        let settings = ana.get("/settings").await;
        let made = ana
            .post(
                "/settings",
                &settings.csrf(),
                &[
                    ("action", "new_profile"),
                    ("username", "knitter"),
                    ("display_name", "Knitter"),
                ],
            )
            .await;
        assert_eq!(made.status, 303, "{}", made.body);
        let form = ana.get("/groups/new").await;
        let created = ana
            .post(
                "/groups/new",
                &form.csrf(),
                &[
                    ("profile", "knitter"),
                    ("handle", "yarn"),
                    ("display_name", "Yarn circle"),
                    ("openness", "open"),
                    ("visibility", "public"),
                ],
            )
            .await;
        assert_eq!(created.status, 303, "{}", created.body);
        let page = zoe.get("/@yarn").await;
        zoe.post("/@yarn/join", &page.csrf(), &[]).await;

        // The account acts in the group as the identity that belongs to it.
        let page = ana.get("/@yarn").await;
        assert!(
            page.body.contains("href=\"/@yarn/settings\""),
            "{}",
            page.body
        );
        assert!(page.body.contains("name=\"profile\" value=\"knitter\""));
        let mine = ana.get("/my/groups").await;
        assert!(mine.body.contains("As @knitter"), "{}", mine.body);
        let (status, body) = members_form(
            &ana,
            "yarn",
            &[
                ("action", "role"),
                ("username", "zoe"),
                ("role", "moderator"),
            ],
        )
        .await;
        assert_eq!(status, 303, "{body}");

        // Nobody else learns which account is behind it.
        let anyone = site.browser("en");
        for (who, browser) in [("zoe", &zoe), ("anyone", &anyone)] {
            for path in ["/@yarn", "/@yarn/members", "/@yarn/timeline"] {
                let page = browser.get(path).await;
                assert!(
                    !page.body.contains("@ana") && !page.body.contains("ana@example.org"),
                    "{who} {path}: {}",
                    page.body
                );
            }
        }
        let page = zoe.get("/@yarn/members").await;
        assert!(page.body.contains("@knitter"), "{}", page.body);
        let page = zoe.get("/@yarn/timeline").await;
        assert!(
            page.body.contains("@knitter made @zoe Moderator."),
            "{}",
            page.body
        );
    }
}

#[tokio::test]
async fn moderators_create_the_groups_events_through_the_event_form() {
    for (_db, site) in sites("group_page_event_form").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let zoe = Browser::member(&site, "zoe@example.org", "zoe", "en").await;
        create_group(&ana, "repair", "Repair café", "open").await;
        let page = zoe.get("/@repair").await;
        assert!(!page.body.contains("/@repair/events/new"), "{}", page.body);
        zoe.post("/@repair/join", &page.csrf(), &[]).await;

        // Members who are not moderators, and strangers, get no form.
        let refused = zoe.get("/@repair/events/new").await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(refused.body.contains("moderators and administrators"));
        let head = site.head().await;
        let refused = zoe
            .post(
                "/@repair/events/new",
                &page.csrf(),
                &crate::support::event_form(&[]),
            )
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert_eq!(
            site.browser("en").get("/@repair/events/new").await.status,
            303
        );
        assert_eq!(site.head().await, head, "nothing written");

        let page = ana.get("/@repair").await;
        assert!(
            page.body.contains("href=\"/@repair/events/new\""),
            "{}",
            page.body
        );
        let form = ana.get("/@repair/events/new").await;
        assert_eq!(form.status, 200, "{}", form.body);
        assert!(
            form.body.contains("organised by the group @repair"),
            "{}",
            form.body
        );
        let refused = ana
            .post(
                "/@repair/events/new",
                &form.csrf(),
                &crate::support::event_form(&[("title", "x"), ("members_only", "on")]),
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.body.contains("A title is 3 to 200 characters."));
        assert!(
            refused.body.contains("name=\"members_only\" checked"),
            "kept"
        );
        assert_eq!(site.head().await, head, "nothing written");

        let created = ana
            .post(
                "/@repair/events/new",
                &form.csrf(),
                &crate::support::event_form(&[
                    ("title", "Members' meeting"),
                    ("members_only", "on"),
                    ("hide_organiser", "on"),
                ]),
            )
            .await;
        assert_eq!(created.status, 303, "{}", created.body);
        let path = created.location.unwrap_or_default();
        let page = zoe.get(&path).await;
        assert_eq!(page.status, 200, "members see it: {}", page.body);
        assert!(page
            .body
            .contains("Organised by the group Repair café (@repair)"));
        assert!(!page.body.contains("Organised by @ana"), "{}", page.body);
        assert_eq!(site.browser("en").get(&path).await.status, 404);
    }
}

#[tokio::test]
async fn moderators_answer_a_remote_persons_request_from_the_members_page() {
    use convene_api::remote_events::FromRemote;
    for (_db, site) in sites("group_page_remote_members").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        create_group(&ana, "repair", "Repair café", "moderated").await;
        let zoe = "https://mobilizon.example/@zoe";
        let from = FromRemote {
            actor: zoe.to_string(),
            activity: format!("{zoe}/joins/1"),
            request_id: "test".into(),
        };
        convene_api::remote_groups::join(&site.state, &from, "repair", Some("Hi from afar".into()))
            .await
            .expect("asked");
        let page = ana.get("/@repair/members").await;
        assert!(page.body.contains(zoe), "{}", page.body);
        assert!(page.body.contains("Hi from afar"), "{}", page.body);
        assert!(
            page.body
                .contains(&format!("name=\"username\" value=\"{zoe}\"")),
            "the forms name the remote person: {}",
            page.body
        );
        let (status, body) =
            members_form(&ana, "repair", &[("action", "approve"), ("username", zoe)]).await;
        assert_eq!(status, 303, "{body}");
        let member = convene_projections::groups::membership(
            site.state.db.pool(),
            "repair",
            &convene_domain::group::GroupActor::Remote(zoe.into()),
        )
        .await
        .expect("the read model")
        .expect("a member");
        assert_eq!(member.role.as_str(), "member");
    }
}
