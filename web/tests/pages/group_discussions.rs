//! A group's discussions in the pages: members start them and reply through forms (bad input
//! shown again with the field named and the text kept, nothing written), the author or a
//! moderator archives; nobody outside the group sees a word, a removed member at once.

use crate::groups::{api, token};
use crate::sites;
use crate::support::Browser;
use serde_json::json;

#[tokio::test]
async fn members_discuss_through_the_pages_and_outsiders_see_nothing() {
    for (_db, site) in sites("group_discussion_pages").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let bob = Browser::member(&site, "bob@example.org", "bob", "fr").await;
        let cy = Browser::member(&site, "cy@example.org", "cy", "en").await;
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

        assert_eq!(
            site.browser("en").get("/@repair/discussions").await.status,
            303
        );
        let refused = cy.get("/@repair/discussions").await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        let group_page = bob.get("/@repair").await.body;
        assert!(group_page.contains("href=\"/@repair/discussions\""));
        assert!(!cy.get("/@repair").await.body.contains("/discussions"));

        let list = bob.get("/@repair/discussions").await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert!(list.body.contains("Lancer une discussion"), "{}", list.body);
        let head = site.head().await;
        let bad = bob
            .post(
                "/@repair/discussions",
                &list.csrf(),
                &[("title", ""), ("body", "<p>Kept words</p>")],
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(
            bad.body.contains("Un titre fait de 1 à 200"),
            "{}",
            bad.body
        );
        assert!(bad.body.contains("Kept words"), "the text is kept");
        assert!(bad.body.contains("aria-invalid=\"true\""));
        let bad = bob
            .post(
                "/@repair/discussions",
                &list.csrf(),
                &[("title", "Kept title"), ("body", " ")],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(
            bad.body.contains("Un message fait de 1 à 10 000"),
            "{}",
            bad.body
        );
        assert!(bad.body.contains("value=\"Kept title\""));
        assert_eq!(site.head().await, head, "nothing written");

        let started = bob
            .post(
                "/@repair/discussions",
                &list.csrf(),
                &[("title", "Tools"), ("body", "<p>Who has a drill?</p>")],
            )
            .await;
        assert_eq!(started.status, 303, "{}", started.body);
        let thread = started.location.unwrap_or_default();
        assert!(thread.starts_with("/@repair/c/"), "{thread}");
        let page = ana.get(&thread).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("Who has a drill?"));
        let marker = "name=\"in_reply_to\" value=\"";
        let first: String = page
            .body
            .split(marker)
            .nth(1)
            .unwrap_or_default()
            .chars()
            .take_while(|c| *c != '"')
            .collect();
        let empty = ana
            .post(
                &thread,
                &page.csrf(),
                &[("action", "comment"), ("in_reply_to", &first), ("body", "")],
            )
            .await;
        assert_eq!(empty.status, 422, "{}", empty.body);
        assert!(empty.body.contains("A message is 1 to 10,000 characters."));
        let replied = ana
            .post(
                &thread,
                &page.csrf(),
                &[
                    ("action", "comment"),
                    ("in_reply_to", &first),
                    ("body", "I do"),
                ],
            )
            .await;
        assert_eq!(replied.status, 303, "{}", replied.body);
        let page = bob.get(&thread).await;
        assert!(
            page.body.contains("class=\"comment reply\""),
            "{}",
            page.body
        );
        assert!(page.body.contains("I do"));

        // Outsiders: no thread, no list, no timeline entry.
        for visitor in [&cy] {
            let hidden = visitor.get(&thread).await;
            assert_eq!(hidden.status, 403, "{}", hidden.body);
            assert!(!hidden.body.contains("drill") && !hidden.body.contains("Tools"));
            let timeline = visitor.get("/@repair/timeline").await.body;
            assert!(!timeline.contains("Tools") && !timeline.contains("started a discussion"));
        }
        let timeline = bob.get("/@repair/timeline").await.body;
        assert!(timeline.contains("a lancé une discussion"), "{timeline}");
        assert!(timeline.contains(&format!("href=\"{thread}\"")));

        // Archived: no more messages, said in the visitor's language.
        let anas = ana.get(&thread).await;
        assert!(anas.body.contains("Archive"), "the creator manages it");
        assert!(
            page.body.contains("value=\"archive\""),
            "its author manages it too"
        );
        let archived = ana
            .post(&thread, &anas.csrf(), &[("action", "archive")])
            .await;
        assert_eq!(archived.status, 303, "{}", archived.body);
        let late = bob
            .post(
                &thread,
                &page.csrf(),
                &[("action", "comment"), ("body", "Late")],
            )
            .await;
        assert_eq!(late.status, 409, "{}", late.body);
        assert!(
            late.body.contains("Cette discussion est archivée"),
            "{}",
            late.body
        );

        // A removed member loses access at once.
        let removed = api(
            &site.base,
            Some(&ana_token),
            "POST",
            "/api/v1/groups/repair/members/bob/remove",
            json!({}),
        )
        .await;
        assert!(removed.is_null(), "{removed}");
        assert_eq!(bob.get(&thread).await.status, 403);
        assert_eq!(bob.get("/@repair/discussions").await.status, 403);
    }
}

#[tokio::test]
async fn the_author_edits_a_message_through_the_page_and_nobody_else_may() {
    for (_db, site) in sites("group_comment_edit_pages").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let bob = Browser::member(&site, "bob@example.org", "bob", "fr").await;
        let ana_token = token(&site.base, "ana@example.org").await;
        let bob_token = token(&site.base, "bob@example.org").await;
        api(
            &site.base,
            Some(&ana_token),
            "POST",
            "/api/v1/groups",
            json!({"handle": "repair", "openness": "open"}),
        )
        .await;
        api(
            &site.base,
            Some(&bob_token),
            "POST",
            "/api/v1/groups/repair/members",
            json!({}),
        )
        .await;
        let started = api(
            &site.base,
            Some(&bob_token),
            "POST",
            "/api/v1/groups/repair/discussions",
            json!({"title": "Tools", "body": "<p>Who has a drill?</p>"}),
        )
        .await;
        let id = started["id"].as_str().unwrap_or_default().to_string();
        let first = started["comments"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let thread = format!("/@repair/c/{id}");

        // The group's creator deletes the message but has no form to change its words.
        let page = ana.get(&thread).await;
        assert!(!page.body.contains("Edit this message"), "{}", page.body);
        assert!(page.body.contains("Delete this message"));
        let refused = ana
            .post(
                &thread,
                &page.csrf(),
                &[
                    ("action", "edit_comment"),
                    ("comment", first.as_str()),
                    ("body", "<p>Mine now</p>"),
                ],
            )
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(
            refused
                .body
                .contains("Only its author may change what a message says."),
            "{}",
            refused.body
        );

        let page = bob.get(&thread).await;
        assert!(page.body.contains("Modifier ce message"), "{}", page.body);
        assert!(
            page.body
                .contains("&lt;p&gt;Who has a drill?&lt;&#x2F;p&gt;")
                || page.body.contains("&lt;p&gt;Who has a drill?&lt;/p&gt;"),
            "the form holds the words as they are: {}",
            page.body
        );
        let head = site.head().await;
        let bad = bob
            .post(
                &thread,
                &page.csrf(),
                &[
                    ("action", "edit_comment"),
                    ("comment", first.as_str()),
                    ("body", "   "),
                ],
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(bad.body.contains("Un message fait de 1 à 10 000"));
        assert!(
            bad.body.contains(&format!(
                "id=\"edit-{first}\" name=\"body\" rows=\"3\" aria-invalid=\"true\""
            )),
            "the field is named: {}",
            bad.body
        );
        assert!(bad.body.contains("<details open>"), "{}", bad.body);
        assert_eq!(site.head().await, head, "nothing written");

        let edited = bob
            .post(
                &thread,
                &page.csrf(),
                &[
                    ("action", "edit_comment"),
                    ("comment", first.as_str()),
                    ("body", "<p>Who has a <b>drill</b>?</p><script>x()</script>"),
                ],
            )
            .await;
        assert_eq!(edited.status, 303, "{}", edited.body);
        let page = ana.get(&thread).await;
        assert!(
            page.body.contains("<p>Who has a <b>drill</b>?</p>") && !page.body.contains("x()"),
            "{}",
            page.body
        );
        assert!(page.body.contains(" · edited"), "{}", page.body);
    }
}

#[tokio::test]
async fn a_comment_from_a_member_on_another_instance_shows_its_handle_and_links_there() {
    use convene_api::remote_events::FromRemote;
    use convene_api::remote_groups;
    for (_db, site) in sites("group_discussion_remote_author").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let ana_token = token(&site.base, "ana@example.org").await;
        api(
            &site.base,
            Some(&ana_token),
            "POST",
            "/api/v1/groups",
            json!({"handle": "repair", "openness": "open"}),
        )
        .await;
        let started = api(
            &site.base,
            Some(&ana_token),
            "POST",
            "/api/v1/groups/repair/discussions",
            json!({"title": "Tools", "body": "<p>Who has a drill?</p>"}),
        )
        .await;
        let id = started["id"].as_str().unwrap_or_default().to_string();
        // Zoe of another instance, known here as the inbox would have kept her.
        let zoe = "https://other.example/users/zoe";
        sqlx::query(
            "INSERT INTO remote_actors (id, kind, inbox, key_id, public_key_pem, \
             preferred_username, fetched_at) VALUES ($1, 'Person', $2, $3, 'unused', 'zoe', \
             '2030-01-01T00:00:00Z')",
        )
        .bind(zoe)
        .bind(format!("{zoe}/inbox"))
        .bind(format!("{zoe}#main-key"))
        .execute(site.db.pool())
        .await
        .expect("a known actor");
        let from = |n: u32| FromRemote {
            actor: zoe.into(),
            activity: format!("{zoe}/activities/{n}"),
            request_id: format!("r{n}"),
        };
        remote_groups::join(&site.state, &from(1), "repair", None)
            .await
            .expect("joined");
        remote_groups::comment_on_discussion(
            &site.state,
            &from(2),
            "repair",
            (&id, None),
            &format!("{zoe}/notes/1"),
            "<p>I have one</p>",
        )
        .await
        .expect("commented");
        let page = ana.get(&format!("/@repair/c/{id}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains(&format!(
                "<a href=\"{zoe}\" rel=\"nofollow noopener\">@zoe@other.example</a>"
            )),
            "{}",
            page.body
        );
        assert!(page.body.contains("I have one"), "{}", page.body);
        assert!(
            page.body.contains("<a href=\"/@ana\">@ana</a>"),
            "{}",
            page.body
        );
    }
}
