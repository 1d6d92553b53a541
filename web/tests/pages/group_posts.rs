//! A group's posts in the pages: the form its moderators write and edit them with (bad input
//! shown again with the field named, the values kept and nothing written), the post page, and
//! members-only posts hidden from everyone else on every page.

use crate::groups::{api, token};
use crate::sites;
use crate::support::Browser;
use serde_json::json;

/// A bad form: its fields, the message it shows and a value it keeps.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

#[tokio::test]
async fn moderators_write_posts_through_the_form_and_members_only_ones_stay_with_members() {
    for (_db, site) in sites("group_post_pages").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let bob = Browser::member(&site, "bob@example.org", "bob", "fr").await;
        let cy = Browser::member(&site, "cy@example.org", "cy", "en").await;
        let ana_token = token(&site.base, "ana@example.org").await;
        let bob_token = token(&site.base, "bob@example.org").await;
        let created = api(
            &site.base,
            Some(&ana_token),
            "POST",
            "/api/v1/groups",
            json!({"handle": "repair", "display_name": "Repair café", "openness": "open"}),
        )
        .await;
        assert_eq!(created["handle"], "repair", "{created}");
        let joined = api(
            &site.base,
            Some(&bob_token),
            "POST",
            "/api/v1/groups/repair/members",
            json!({}),
        )
        .await;
        assert_eq!(joined["role"], "member", "{joined}");

        // Only moderators and above get the form.
        let anyone = site.browser("en");
        let page = anyone.get("/@repair/posts/new").await;
        assert_eq!(page.status, 303, "logged out: to the login page");
        let refused = bob.get("/@repair/posts/new").await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(refused.body.contains("modérateurs"), "{}", refused.body);
        let group_page = ana.get("/@repair").await;
        assert!(group_page.body.contains("href=\"/@repair/posts/new\""));
        assert!(!bob.get("/@repair").await.body.contains("/posts/new"));

        let form = ana.get("/@repair/posts/new").await;
        assert_eq!(form.status, 200, "{}", form.body);
        assert!(form.body.contains("<label for=\"title\">Title</label>"));
        assert!(form.body.contains("members only"), "{}", form.body);
        let head = site.head().await;
        let forged = ana
            .post("/@repair/posts/new", "forged", &[("title", "Forged")])
            .await;
        assert_eq!(forged.status, 403);
        let many_tags = vec!["t"; 21].join(",");
        let cases: [Case; 3] = [
            (
                &[("title", " "), ("body", "<p>Kept text</p>")],
                "A title is 1 to 200 characters",
                "&lt;p&gt;Kept text&lt;/p&gt;",
            ),
            (
                &[("title", "Kept title"), ("visibility", "secret")],
                "Choose who may read the post from the list.",
                "value=\"Kept title\"",
            ),
            (
                &[("title", "Kept title"), ("tags", &many_tags)],
                "At most 20 tags",
                "value=\"Kept title\"",
            ),
        ];
        for (fields, message, kept) in cases {
            let mut all = vec![("visibility", "public")];
            all.retain(|(k, _)| !fields.iter().any(|(f, _)| f == k));
            all.extend_from_slice(fields);
            let refused = ana.post("/@repair/posts/new", &form.csrf(), &all).await;
            assert_eq!(refused.status, 422, "{fields:?}: {}", refused.body);
            assert!(
                refused.body.contains(message),
                "{fields:?}: {}",
                refused.body
            );
            assert!(refused.body.contains(kept), "value kept: {}", refused.body);
            assert!(refused.body.contains("aria-invalid=\"true\""));
        }
        assert_eq!(site.head().await, head, "nothing written");

        let write = |title: &'static str, visibility: &'static str| {
            let ana = &ana;
            let csrf = form.csrf();
            async move {
                let fields = [
                    ("title", title),
                    ("body", "<p>Bring <b>tools</b></p><script>x()</script>"),
                    ("tags", "repair, tools"),
                    ("visibility", visibility),
                ];
                ana.post("/@repair/posts/new", &csrf, &fields).await
            }
        };
        let public = write("Café du mois", "public").await;
        assert_eq!(
            (public.status, public.location.as_deref()),
            (303, Some("/@repair/p/cafe-du-mois")),
            "{}",
            public.body
        );
        let members = write("Keys to the shed", "members").await;
        assert_eq!(
            members.location.as_deref(),
            Some("/@repair/p/keys-to-the-shed")
        );

        let page = cy.get("/@repair/p/cafe-du-mois").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("<b>tools</b>") && !page.body.contains("<script>x()"));
        assert!(
            page.body.contains("By @repair"),
            "the group signs for strangers"
        );
        assert!(!page.body.contains("@ana"), "{}", page.body);
        assert!(
            !page.body.contains("/delete"),
            "no delete button for strangers"
        );

        // Members-only: hidden from strangers and the logged-out on every page.
        for visitor in [&anyone, &cy] {
            let hidden = visitor.get("/@repair/p/keys-to-the-shed").await;
            assert_eq!(hidden.status, 404, "{}", hidden.body);
            for path in [
                "/@repair",
                "/@repair/timeline",
                "/@repair/p/keys-to-the-shed",
            ] {
                let body = visitor.get(path).await.body;
                assert!(!body.contains("Keys to the shed"), "{path}: {body}");
            }
            let group = visitor.get("/@repair").await.body;
            assert!(group.contains("Café du mois"), "{group}");
        }
        let seen = bob.get("/@repair").await.body;
        assert!(
            seen.contains("Billets") && seen.contains("Keys to the shed"),
            "{seen}"
        );
        let seen = bob.get("/@repair/p/keys-to-the-shed").await;
        assert_eq!(seen.status, 200);
        assert!(seen.body.contains("Par @ana"), "{}", seen.body);
        let timeline = bob.get("/@repair/timeline").await.body;
        assert!(timeline.contains("a publié un billet"), "{timeline}");
        assert!(timeline.contains("href=\"/@repair/p/keys-to-the-shed\""));

        // Edit: the form keeps the values on bad input; a good edit shows the post.
        let edit = ana.get("/@repair/p/cafe-du-mois/edit").await;
        assert_eq!(edit.status, 200, "{}", edit.body);
        assert!(edit.body.contains("value=\"Café du mois\""));
        assert!(edit.body.contains("value=\"repair, tools\""));
        let refused = ana
            .post(
                "/@repair/p/cafe-du-mois/edit",
                &edit.csrf(),
                &[("title", ""), ("body", "Kept"), ("visibility", "public")],
            )
            .await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("A title is 1 to 200"));
        assert!(
            refused.body.contains(">Kept</textarea>"),
            "{}",
            refused.body
        );
        let edited = ana
            .post(
                "/@repair/p/cafe-du-mois/edit",
                &edit.csrf(),
                &[("title", "Café d'octobre"), ("visibility", "members")],
            )
            .await;
        assert_eq!(edited.location.as_deref(), Some("/@repair/p/cafe-du-mois"));
        assert_eq!(cy.get("/@repair/p/cafe-du-mois").await.status, 404);
        assert_eq!(bob.get("/@repair/p/cafe-du-mois/edit").await.status, 403);

        let post_page = ana.get("/@repair/p/cafe-du-mois").await;
        let deleted = ana
            .post("/@repair/p/cafe-du-mois/delete", &post_page.csrf(), &[])
            .await;
        assert_eq!(
            deleted.location.as_deref(),
            Some("/@repair"),
            "{}",
            deleted.body
        );
        assert_eq!(ana.get("/@repair/p/cafe-du-mois").await.status, 404);
    }
}

#[tokio::test]
async fn a_post_given_a_publication_time_through_the_form_appears_by_itself_then() {
    for (_db, site) in sites("group_post_schedule_pages").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let bob = Browser::member(&site, "bob@example.org", "bob", "fr").await;
        let ana_token = token(&site.base, "ana@example.org").await;
        let bob_token = token(&site.base, "bob@example.org").await;
        api(
            &site.base,
            Some(&ana_token),
            "POST",
            "/api/v1/groups",
            json!({"handle": "repair", "display_name": "Repair café", "openness": "open"}),
        )
        .await;
        let joined = api(
            &site.base,
            Some(&bob_token),
            "POST",
            "/api/v1/groups/repair/members",
            json!({}),
        )
        .await;
        assert_eq!(joined["role"], "member", "{joined}");

        let form = ana.get("/@repair/posts/new").await;
        assert!(
            form.body
                .contains("<label for=\"publish_at\">Publish it at (UTC)</label>"),
            "{}",
            form.body
        );
        // A time that is not one: the field named, the values kept, nothing written.
        let head = site.head().await;
        let refused = ana
            .post(
                "/@repair/posts/new",
                &form.csrf(),
                &[
                    ("title", "May day"),
                    ("visibility", "public"),
                    ("publish_at", "next Monday"),
                ],
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused.body.contains("Give a date and time"),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("value=\"May day\""));
        assert!(refused.body.contains("value=\"next Monday\""));
        assert!(refused.body.contains("aria-invalid=\"true\""));
        assert_eq!(site.head().await, head, "nothing written");

        let at = time::OffsetDateTime::now_utc() + time::Duration::days(3);
        let local = at
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]"
            ))
            .expect("time");
        let written = ana
            .post(
                "/@repair/posts/new",
                &form.csrf(),
                &[
                    ("title", "May day"),
                    ("body", "<p>All out</p>"),
                    ("visibility", "public"),
                    ("publish_at", &local),
                ],
            )
            .await;
        assert_eq!(
            written.location.as_deref(),
            Some("/@repair/p/may-day"),
            "{}",
            written.body
        );
        // Its moderators see it waiting, and when it appears; the form keeps the time.
        let page = ana.get("/@repair/p/may-day").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("Scheduled"), "{}", page.body);
        assert!(page.body.contains("To be published"), "{}", page.body);
        let edit = ana.get("/@repair/p/may-day/edit").await;
        assert!(
            edit.body.contains(&format!("value=\"{local}\"")),
            "{}",
            edit.body
        );

        // Nobody else sees it before its time, on any page.
        let anyone = site.browser("en");
        for visitor in [&anyone, &bob] {
            assert_eq!(visitor.get("/@repair/p/may-day").await.status, 404);
            for path in ["/@repair", "/@repair/timeline", "/"] {
                let body = visitor.get(path).await.body;
                assert!(!body.contains("May day"), "{path}: {body}");
            }
        }

        // Its time comes: the instance's sweep publishes it, and it is there for everyone.
        let later = at + time::Duration::minutes(1);
        let published = convene_api::group_posts::publish_due(&site.state, later)
            .await
            .expect("sweep");
        assert_eq!(published, 1);
        let page = anyone.get("/@repair/p/may-day").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("All out") && page.body.contains("Published"));
        assert!(anyone.get("/@repair").await.body.contains("May day"));
        let timeline = bob.get("/@repair/timeline").await.body;
        assert!(timeline.contains("@ana a publié un billet"), "{timeline}");
        let page = bob.get("/@repair/p/may-day").await;
        assert!(page.body.contains("Publié le"), "{}", page.body);
        assert!(!page.body.contains("Programmé"), "{}", page.body);
    }
}
