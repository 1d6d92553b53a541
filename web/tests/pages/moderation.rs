//! Reporting from the pages and the moderators' pages: a comment is reported in French, a plain
//! user is refused the queue with the role named, a moderator sees the comment as it was
//! reported, must give a reason, resolves it, and the reporter is mailed.

use crate::sites;
use crate::support::{create_event, Browser, Site};
use convene_domain::{Account, AccountCommand, Actor, Metadata, Role, Source};
use convene_projections::{accounts, events, profiles, Commands};

async fn make_moderator(site: &Site, username: &str) {
    give_role(site, username, Role::Moderator).await;
}

pub(crate) async fn give_role(site: &Site, username: &str, role: Role) {
    let account = profiles::owner(site.db.pool(), username)
        .await
        .expect("owner")
        .expect("an account");
    let metadata = Metadata::now(Actor::System, Source::Cli, "test");
    Commands::<Account>::new(&site.db, ())
        .execute(&account, AccountCommand::ChangeRole { role }, &metadata)
        .await
        .expect("give a role");
    for _ in 0..100 {
        let row = accounts::by_id(site.db.pool(), &account)
            .await
            .expect("row");
        if row.is_some_and(|a| a.role == role) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the role never showed");
}

#[tokio::test]
async fn a_comment_is_reported_and_a_moderator_resolves_it_with_a_reason() {
    for (_db, site) in sites("moderation_pages").await {
        let org = Browser::member(&site, "org@example.org", "org", "en").await;
        let bob = Browser::member(&site, "bob@example.org", "bob", "en").await;
        let carol = Browser::member(&site, "carol@example.org", "carol", "fr").await;
        let mia = Browser::member(&site, "mia@example.org", "mia", "en").await;
        make_moderator(&site, "mia").await;

        let id = create_event(&org, &[]).await;
        let page = bob.get(&format!("/events/{id}")).await;
        let posted = bob
            .post(
                &format!("/events/{id}/comments"),
                &page.csrf(),
                &[("body", "Cheap watches at spam.example")],
            )
            .await;
        assert_eq!(posted.status, 303, "{}", posted.body);
        let comment = events::comments(site.db.pool(), &id)
            .await
            .expect("comments")
            .remove(0)
            .id;

        // Strangers are sent to log in first (anonymous reports are off).
        let link = format!("/report?event={id}&comment_id={comment}");
        let stranger = site.browser("en").get(&link).await;
        assert_eq!(stranger.status, 303);

        // Carol finds the link on the comment and reports it, in French.
        let event_page = carol.get(&format!("/events/{id}")).await;
        assert!(
            event_page.body.contains(&link.replace('&', "&amp;")),
            "{}",
            event_page.body
        );
        let form = carol.get(&link).await;
        assert_eq!(form.status, 200, "{}", form.body);
        assert!(form.body.contains("Signaler aux modérateurs"));
        let head = site.head().await;
        let incomplete = carol
            .post(
                "/report",
                &form.csrf(),
                &[
                    ("event", &id),
                    ("comment_id", &comment),
                    ("comment", "Publicité"),
                ],
            )
            .await;
        assert_eq!(incomplete.status, 422, "{}", incomplete.body);
        assert!(incomplete
            .body
            .contains("Choisissez une catégorie dans la liste."));
        assert_eq!(site.head().await, head, "nothing written");
        let sent = carol
            .post(
                "/report",
                &form.csrf(),
                &[
                    ("event", &id),
                    ("comment_id", &comment),
                    ("category", "spam"),
                ],
            )
            .await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        assert!(sent.body.contains("Signalement envoyé"), "{}", sent.body);

        // Neither the reporter nor the reported sees the queue or the report.
        for browser in [&carol, &bob] {
            let refused = browser.get("/moderation/reports").await;
            assert_eq!(refused.status, 403, "{}", refused.body);
        }
        let refused = carol.get("/moderation/reports").await;
        assert!(refused.body.contains("modérateurs"), "{}", refused.body);

        let queue = mia.get("/moderation/reports?state=open").await;
        assert_eq!(queue.status, 200, "{}", queue.body);
        let marker = "href=\"/moderation/reports/";
        let start = queue.body.find(marker).expect("a report in the queue") + marker.len();
        let report: String = queue.body[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect();
        let path = format!("/moderation/reports/{report}");
        let shown = mia.get(&path).await;
        assert_eq!(shown.status, 200, "{}", shown.body);
        assert!(
            shown.body.contains("Cheap watches at spam.example"),
            "{}",
            shown.body
        );
        assert!(shown.body.contains("@carol"));
        assert!(bob.get(&path).await.status == 403);

        let head = site.head().await;
        let no_reason = mia
            .post(
                &format!("{path}/resolve"),
                &shown.csrf(),
                &[("reason", " ")],
            )
            .await;
        assert_eq!(no_reason.status, 422, "{}", no_reason.body);
        assert!(no_reason.body.contains("aria-invalid=\"true\""));
        assert_eq!(site.head().await, head, "nothing written");
        let done = mia
            .post(
                &format!("{path}/resolve"),
                &shown.csrf(),
                &[("reason", "Advertising")],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        let after = mia.get(&path).await;
        assert!(
            after.body.contains("Resolved — Advertising"),
            "{}",
            after.body
        );

        // The reporter's notification is mailed by the outbox's sender (none runs beside the
        // test site): once the subscriber derived it, one round sends it.
        crate::notifications::settled(&site).await;
        let mailer =
            convene_api::mail::Mailer::to_folder("Convene <noreply@127.0.0.1>", &site.mail)
                .expect("mailer");
        convene_notifications::Sender::new(
            &site.db,
            std::sync::Arc::new(mailer),
            &site.base,
            std::sync::Arc::new(tokio::sync::Notify::new()),
            convene_notifications::Retries::default(),
        )
        .send_due()
        .await
        .expect("send");
        let mail = site.mails_to("carol@example.org");
        assert!(mail.iter().any(|m| m.contains("signalement")), "{mail:?}");
        assert!(mail.iter().all(|m| !m.contains("mia")));

        // The moderator removes the comment from the report page: a reason is required and an
        // end must lie ahead; nothing is written until both are right.
        let target = format!("comment:{comment}");
        let decide = |reason: &'static str, until: &'static str| {
            vec![
                ("event", id.clone()),
                ("action", "remove".to_string()),
                ("target", target.clone()),
                ("reason", reason.to_string()),
                ("until", until.to_string()),
            ]
        };
        let head = site.head().await;
        for (fields, field) in [
            (decide("", ""), "decision-reason"),
            (decide("Spam", "2020-01-01T10:00"), "decision-until"),
        ] {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let refused = mia
                .post(&format!("{path}/decide"), &after.csrf(), &fields)
                .await;
            assert_eq!(refused.status, 422, "{}", refused.body);
            assert!(
                refused
                    .body
                    .contains(&format!("aria-describedby=\"{field}-error\"")),
                "{}",
                refused.body
            );
        }
        assert_eq!(site.head().await, head, "nothing written");
        let fields = decide("Advertising", "");
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let removed = mia
            .post(&format!("{path}/decide"), &after.csrf(), &fields)
            .await;
        assert_eq!(removed.status, 303, "{}", removed.body);
        let seen = carol.get(&format!("/events/{id}")).await;
        assert!(
            seen.body
                .contains("Ce commentaire a été retiré par les modérateurs."),
            "{}",
            seen.body
        );
        assert!(!seen.body.contains("Cheap watches"));
        let moderator = mia.get(&format!("/events/{id}")).await;
        assert!(moderator.body.contains("Cheap watches"));
        assert!(moderator.body.contains("Removed by the moderators"));
        let twice = mia
            .post(&format!("{path}/decide"), &after.csrf(), &fields)
            .await;
        assert_eq!(twice.status, 409, "{}", twice.body);

        // Comments closed by the moderators: the form gives way to the notice.
        let close = [
            ("event", id.as_str()),
            ("action", "close_comments"),
            ("target", "event"),
            ("reason", "Flame war"),
        ];
        let closed = mia
            .post(&format!("{path}/decide"), &after.csrf(), &close)
            .await;
        assert_eq!(closed.status, 303, "{}", closed.body);
        let page = bob.get(&format!("/events/{id}")).await;
        assert!(page.body.contains("Comments are closed."), "{}", page.body);
        assert!(!page.body.contains("id=\"comment-body\""));
        let refused = bob
            .post("/moderation/reports/x/decide", &page.csrf(), &close)
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
    }
}

/// `reporter` reports profile `username` as spam; the report's page as moderator `moderator`
/// opens it, with its path.
async fn reported_profile(
    reporter: &Browser,
    moderator: &Browser,
    username: &str,
) -> (String, crate::support::Page) {
    let form = reporter.get(&format!("/report?profile={username}")).await;
    let sent = reporter
        .post(
            "/report",
            &form.csrf(),
            &[("profile", username), ("category", "spam")],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let queue = moderator.get("/moderation/reports").await;
    let marker = "href=\"/moderation/reports/";
    let start = queue.body.find(marker).expect("a report in the queue") + marker.len();
    let report: String = queue.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let path = format!("/moderation/reports/{report}");
    let shown = moderator.get(&path).await;
    (path, shown)
}

#[tokio::test]
async fn a_reported_profile_is_suspended_from_the_report_page_and_unsuspended() {
    for (_db, site) in sites("moderation_profile_pages").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let bob = Browser::member(&site, "bob@example.org", "bob", "en").await;
        let mia = Browser::member(&site, "mia@example.org", "mia", "en").await;
        make_moderator(&site, "mia").await;
        let march = create_event(&ana, &[("title", "Fake march")]).await;
        let (path, shown) = reported_profile(&bob, &mia, "ana").await;
        assert!(
            shown.body.contains("Suspend (login refused"),
            "{}",
            shown.body
        );
        let decide = |action: &'static str| {
            [
                ("profile", "ana"),
                ("target", "profile"),
                ("action", action),
                ("reason", "Impersonation"),
            ]
        };
        let suspended = mia
            .post(&format!("{path}/decide"), &shown.csrf(), &decide("suspend"))
            .await;
        assert_eq!(suspended.status, 303, "{}", suspended.body);
        let page = site.browser("en").get("/@ana").await;
        assert_eq!(page.status, 404, "{}", page.body);
        assert!(
            page.body
                .contains("This profile is suspended by the instance&#39;s moderators."),
            "{}",
            page.body
        );
        let own = ana.get("/@ana").await;
        assert_eq!(own.status, 404);
        // The audit trail shows the suspension with what it hides.
        let trail = mia.get("/moderation/audit?change=ProfileSuspended").await;
        assert!(
            trail.body.contains(
                "While in force, it hides here — events: 1, comments: 0 (of which already \
                 removed by moderators — events: 0, comments: 0)."
            ),
            "{}",
            trail.body
        );
        assert!(
            trail.body.contains(&format!("href=\"/events/{march}\"")),
            "{}",
            trail.body
        );
        let lifted = mia
            .post(
                &format!("{path}/decide"),
                &shown.csrf(),
                &decide("unsuspend"),
            )
            .await;
        assert_eq!(lifted.status, 303, "{}", lifted.body);
        assert_eq!(site.browser("en").get("/@ana").await.status, 200);
    }
}

#[tokio::test]
async fn a_reported_profile_is_limited_from_the_report_page_its_events_leave_the_listings() {
    for (_db, site) in sites("moderation_limit_pages").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let bob = Browser::member(&site, "bob@example.org", "bob", "en").await;
        let mia = Browser::member(&site, "mia@example.org", "mia", "en").await;
        make_moderator(&site, "mia").await;
        let event = create_event(&ana, &[("title", "Miracle diet seminar")]).await;
        let listed = |site: &Site| {
            let home = site.browser("en");
            async move { home.get("/").await.body.contains("Miracle diet seminar") }
        };
        assert!(listed(&site).await, "listed before the decision");
        let (path, shown) = reported_profile(&bob, &mia, "ana").await;
        let decide = |action: &'static str| {
            [
                ("profile", "ana"),
                ("target", "profile"),
                ("action", action),
                ("reason", "Spam on the home page"),
            ]
        };
        let limited = mia
            .post(&format!("{path}/decide"), &shown.csrf(), &decide("limit"))
            .await;
        assert_eq!(limited.status, 303, "{}", limited.body);
        assert!(
            !listed(&site).await,
            "a limited profile's event leaves the home page"
        );
        let by_link = site.browser("en").get(&format!("/events/{event}")).await;
        assert_eq!(by_link.status, 200, "still reachable by its link");
        assert_eq!(site.browser("en").get("/@ana").await.status, 200);
        let decided = mia.get(&path).await;
        assert!(
            decided.body.contains("Spam on the home page"),
            "{}",
            decided.body
        );
        let lifted = mia
            .post(&format!("{path}/decide"), &shown.csrf(), &decide("unlimit"))
            .await;
        assert_eq!(lifted.status, 303, "{}", lifted.body);
        assert!(listed(&site).await, "listed again once lifted");
    }
}

#[tokio::test]
async fn an_administrator_suspends_a_domain_from_the_domains_page_and_lifts_it() {
    for (_db, site) in sites("moderation_domains").await {
        let admin = Browser::member(&site, "admin@example.org", "admin", "fr").await;
        give_role(&site, "admin", Role::Administrator).await;
        let mia = Browser::member(&site, "mia@example.org", "mia", "en").await;
        make_moderator(&site, "mia").await;
        let bob = Browser::member(&site, "bob@example.org", "bob", "en").await;

        assert_eq!(bob.get("/moderation/domains").await.status, 403);
        let page = mia.get("/moderation/domains").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("No decision is in force"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("administrators decide on domains"),
            "{}",
            page.body
        );

        let page = admin.get("/moderation/domains").await;
        assert!(
            page.body.contains("Domaines des autres instances"),
            "{}",
            page.body
        );
        let head = site.head().await;
        let bad = admin
            .post(
                "/moderation/domains",
                &page.csrf(),
                &[
                    ("domain", "https://bad.example/"),
                    ("action", "suspend"),
                    ("reason", "spam"),
                    ("public_comment", "Spam"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(
            bad.body.contains("id=\"domain-domain-error\""),
            "{}",
            bad.body
        );
        assert!(
            bad.body.contains("value=\"Spam\""),
            "the values are kept: {}",
            bad.body
        );
        assert_eq!(site.head().await, head, "nothing written");

        let done = admin
            .post(
                "/moderation/domains",
                &page.csrf(),
                &[
                    ("domain", "Bad.Example"),
                    ("action", "suspend"),
                    ("reason", "spam wave"),
                    ("public_comment", ""),
                ],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        let listed = mia.get("/moderation/domains").await;
        assert!(
            listed.body.contains("bad.example") && listed.body.contains("spam wave"),
            "{}",
            listed.body
        );

        let refused = mia
            .post(
                "/moderation/domains",
                &listed.csrf(),
                &[
                    ("domain", "bad.example"),
                    ("action", "lift"),
                    ("reason", "x"),
                ],
            )
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        let lifted = admin
            .post(
                "/moderation/domains",
                &page.csrf(),
                &[
                    ("domain", "bad.example"),
                    ("action", "lift"),
                    ("reason", "talked"),
                ],
            )
            .await;
        assert_eq!(lifted.status, 303, "{}", lifted.body);
        let again = admin.get("/moderation/domains").await;
        assert!(again.body.contains("Aucune décision"), "{}", again.body);

        // Its media rejected apart: a row of its own, which lifting nothing else removes.
        let media = admin
            .post(
                "/moderation/domains",
                &page.csrf(),
                &[
                    ("domain", "bad.example"),
                    ("action", "reject_media"),
                    ("reason", "shock pictures"),
                ],
            )
            .await;
        assert_eq!(media.status, 303, "{}", media.body);
        let listed = mia.get("/moderation/domains").await;
        assert!(
            listed.body.contains("Reject its media") && listed.body.contains("shock pictures"),
            "{}",
            listed.body
        );
        let accepted = admin
            .post(
                "/moderation/domains",
                &page.csrf(),
                &[
                    ("domain", "bad.example"),
                    ("action", "accept_media"),
                    ("reason", "they moderate now"),
                ],
            )
            .await;
        assert_eq!(accepted.status, 303, "{}", accepted.body);
        let again = admin.get("/moderation/domains").await;
        assert!(again.body.contains("Aucune décision"), "{}", again.body);
    }
}

/// Posts `action` on everything bad.example sent from the domains page: the page it answers.
async fn on_content(admin: &Browser, action: &str) -> crate::support::Page {
    let page = admin.get("/moderation/domains").await;
    admin
        .post(
            "/moderation/domains",
            &page.csrf(),
            &[
                ("domain", "bad.example"),
                ("action", action),
                ("reason", "a spam wave"),
            ],
        )
        .await
}

#[tokio::test]
async fn an_administrator_removes_everything_a_domain_sent_from_the_domains_page_and_restores_it() {
    for (_db, site) in sites("moderation_domain_content").await {
        let admin = Browser::member(&site, "admin@example.org", "admin", "en").await;
        give_role(&site, "admin", Role::Administrator).await;
        let remote = crate::remote_reports::remote_event(&site).await;
        let page = admin.get("/moderation/domains").await;
        assert!(
            page.body.contains("value=\"remove_content\"")
                && page.body.contains("Remove every event and comment it sent"),
            "{}",
            page.body
        );

        let removed = on_content(&admin, "remove_content").await;
        assert_eq!(removed.status, 200, "{}", removed.body);
        assert!(
            removed
                .body
                .contains("bad.example: 1 events and 0 comments removed; 0 events"),
            "{}",
            removed.body
        );
        let view = events::find(site.db.pool(), &remote).await.expect("read");
        assert!(
            view.is_some_and(|e| e.removed_by_moderators),
            "the event is removed"
        );
        // Deciding again finds nothing left to remove, and says so on the form.
        let head = site.head().await;
        let again = on_content(&admin, "remove_content").await;
        assert_eq!(again.status, 409, "{}", again.body);
        assert!(
            again.body.contains("everything it sent is already removed"),
            "{}",
            again.body
        );
        assert_eq!(site.head().await, head, "nothing written");

        let restored = on_content(&admin, "restore_content").await;
        assert!(
            restored
                .body
                .contains("bad.example: 1 events and 0 comments restored"),
            "{}",
            restored.body
        );
        let view = events::find(site.db.pool(), &remote).await.expect("read");
        assert!(
            view.is_some_and(|e| !e.removed_by_moderators),
            "the event is back"
        );
    }
}

#[tokio::test]
async fn a_report_on_another_instance_s_event_may_go_to_its_moderators_from_the_form() {
    for (_db, site) in sites("moderation_forward").await {
        let bob = Browser::member(&site, "bob@example.org", "bob", "fr").await;
        let mia = Browser::member(&site, "mia@example.org", "mia", "en").await;
        make_moderator(&site, "mia").await;
        let actor = "https://bad.example/@spam";
        let details = serde_json::from_value(serde_json::json!({
            "title": "Pills",
            "begins_at": "2031-06-01T12:00:00Z",
            "time_zone": "Europe/Paris",
        }))
        .expect("details");
        let origin = convene_domain::event::RemoteOrigin {
            object: "https://bad.example/events/1".into(),
            actor: actor.into(),
            actor_handle: "spam@bad.example".into(),
            actor_name: None,
            url: "https://bad.example/events/1".into(),
            inbox: Some("https://bad.example/inbox".into()),
        };
        let from = convene_api::remote_events::FromRemote {
            actor: actor.into(),
            activity: "https://bad.example/activities/1".into(),
            request_id: "test".into(),
        };
        let remote =
            convene_api::remote_events::import_event(&site.state, &from, origin, details, None)
                .await
                .expect("imported");
        let ours = create_event(&bob, &[]).await;

        let form = bob.get(&format!("/report?event={ours}")).await;
        assert!(!form.body.contains("name=\"forward\""), "{}", form.body);
        let form = bob.get(&format!("/report?event={remote}")).await;
        assert!(
            form.body.contains("name=\"forward\"")
                && form.body.contains("aux modérateurs de bad.example"),
            "{}",
            form.body
        );
        let sent = bob
            .post(
                "/report",
                &form.csrf(),
                &[
                    ("event", remote.as_str()),
                    ("category", "spam"),
                    ("comment", "Pills"),
                    ("forward", "on"),
                ],
            )
            .await;
        assert_eq!(sent.status, 200, "{}", sent.body);

        let queue = mia.get("/moderation/reports?instance=bad.example").await;
        assert!(queue.body.contains("on bad.example"), "{}", queue.body);
        let none = mia.get("/moderation/reports?instance=local").await;
        assert!(!none.body.contains("on bad.example"), "{}", none.body);
        let id = convene_projections::reports::queue(site.db.pool(), &Default::default(), 1)
            .await
            .expect("the queue")[0]
            .id
            .clone();
        let detail = mia.get(&format!("/moderation/reports/{id}")).await;
        assert!(
            detail.body.contains("sent to its moderators too"),
            "{}",
            detail.body
        );

        // The organiser, another instance's actor known here, is suspended from the report.
        sqlx::query(
            "INSERT INTO remote_actors (id, kind, inbox, shared_inbox, key_id, public_key_pem, \
             preferred_username, name, url, fetched_at) \
             VALUES ($1, 'Person', $2, NULL, $3, 'pem', 'spam', NULL, NULL, '2026-01-01')",
        )
        .bind(actor)
        .bind(format!("{actor}/inbox"))
        .bind(format!("{actor}#main-key"))
        .execute(site.db.pool())
        .await
        .expect("a cached actor");
        let target = format!("actor:{actor}");
        assert!(detail.body.contains(&target), "{}", detail.body);
        let decided = mia
            .post(
                &format!("/moderation/reports/{id}/decide"),
                &detail.csrf(),
                &[
                    ("event", remote.as_str()),
                    ("action", "suspend"),
                    ("target", target.as_str()),
                    ("reason", "sells pills"),
                ],
            )
            .await;
        assert_eq!(decided.status, 303, "{}", decided.body);
        assert!(
            convene_projections::domains::actor_suspended(site.db.pool(), actor)
                .await
                .expect("read"),
            "suspended here"
        );
    }
}

/// Now, as the revert form's window bounds are written, a moment apart from the changes around
/// it.
async fn instant() -> String {
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    now
}

#[tokio::test]
async fn a_moderator_previews_a_revert_then_applies_it_from_the_revert_page() {
    for (_db, site) in sites("moderation_revert").await {
        let mia = Browser::member(&site, "mia@example.org", "mia", "en").await;
        make_moderator(&site, "mia").await;
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let from = instant().await;
        let spam = create_event(&ana, &[("title", "Cheap pills")]).await;
        let to = instant().await;

        assert_eq!(ana.get("/moderation/revert").await.status, 403);
        let form = mia
            .get("/moderation/revert?account=&from=2026-01-01T00:00:00Z")
            .await;
        assert_eq!(form.status, 200, "{}", form.body);
        assert!(
            form.body.contains("value=\"2026-01-01T00:00:00Z\""),
            "{}",
            form.body
        );
        assert!(
            form.body.contains("name=\"lock_out\" value=\"1\" checked"),
            "{}",
            form.body
        );
        let head = site.head().await;
        let ask = |reason: &'static str, apply: &'static str| {
            vec![
                ("profile", "ana".to_string()),
                ("from", from.clone()),
                ("to", to.clone()),
                ("reason", reason.to_string()),
                ("lock_out", "1".to_string()),
                ("apply", apply.to_string()),
            ]
        };
        let send = |values: Vec<(&'static str, String)>| {
            let mia = mia.clone();
            let csrf = form.csrf();
            async move {
                let borrowed: Vec<(&str, &str)> =
                    values.iter().map(|(k, v)| (*k, v.as_str())).collect();
                mia.post("/moderation/revert", &csrf, &borrowed).await
            }
        };
        let refused = send(ask(" ", "1")).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused.body.contains("id=\"revert-reason-error\""),
            "{}",
            refused.body
        );
        let preview = send(ask("account taken over", "0")).await;
        assert_eq!(preview.status, 200, "{}", preview.body);
        assert!(
            preview.body.contains("Remove the event"),
            "{}",
            preview.body
        );
        assert!(preview.body.contains(&spam), "{}", preview.body);
        assert!(
            preview.body.contains("Apply these 2 steps"),
            "{}",
            preview.body
        );
        assert_eq!(site.head().await, head, "a preview writes nothing");

        let applied = send(ask("account taken over", "1")).await;
        assert_eq!(applied.status, 200, "{}", applied.body);
        assert!(
            applied.body.contains("Reverted: the decision is recorded"),
            "{}",
            applied.body
        );
        assert_eq!(
            site.browser("en")
                .get(&format!("/events/{spam}"))
                .await
                .status,
            404
        );
        let again = send(ask("account taken over", "1")).await;
        assert!(
            again.body.contains("Nothing left to revert"),
            "{}",
            again.body
        );
    }
}

#[tokio::test]
async fn a_reported_group_is_suspended_from_the_report_page_and_its_page_is_a_tombstone() {
    use crate::groups::{api, token};
    for (_db, site) in sites("moderation_group_pages").await {
        let _ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let bob = Browser::member(&site, "bob@example.org", "bob", "fr").await;
        let mia = Browser::member(&site, "mia@example.org", "mia", "en").await;
        make_moderator(&site, "mia").await;
        let ana = token(&site.base, "ana@example.org").await;
        let created = api(
            &site.base,
            Some(&ana),
            "POST",
            "/api/v1/groups",
            serde_json::json!({"handle": "repair", "display_name": "Repair café"}),
        )
        .await;
        assert_eq!(created["handle"], "repair", "{created}");
        assert_eq!(site.browser("en").get("/@repair").await.status, 200);

        let form = bob.get("/report?group=repair").await;
        let sent = bob
            .post(
                "/report",
                &form.csrf(),
                &[("group", "repair"), ("category", "spam")],
            )
            .await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        let queue = mia.get("/moderation/reports").await;
        let marker = "href=\"/moderation/reports/";
        let start = queue.body.find(marker).expect("a report in the queue") + marker.len();
        let report: String = queue.body[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect();
        let path = format!("/moderation/reports/{report}");
        let shown = mia.get(&path).await;
        assert!(shown.body.contains("Suspend the group"), "{}", shown.body);
        let decide = |action: &'static str, reason: &'static str| {
            [
                ("group", "repair"),
                ("target", "group"),
                ("action", action),
                ("reason", reason),
            ]
        };
        // A refusal names the field on the form again.
        let refused = mia
            .post(
                &format!("{path}/decide"),
                &shown.csrf(),
                &decide("suspend", ""),
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused.body.contains("aria-invalid=\"true\""),
            "{}",
            refused.body
        );
        let suspended = mia
            .post(
                &format!("{path}/decide"),
                &shown.csrf(),
                &decide("suspend", "A spam network"),
            )
            .await;
        assert_eq!(suspended.status, 303, "{}", suspended.body);
        let decided = mia.get(&path).await;
        assert!(
            decided.body.contains("Decisions answering this report")
                && decided.body.contains("Group suspended"),
            "{}",
            decided.body
        );

        // A tombstone for everyone but moderators, in their language; its feeds too.
        let page = site.browser("en").get("/@repair").await;
        assert_eq!(page.status, 404, "{}", page.body);
        assert!(
            page.body
                .contains("This group is suspended by the instance&#39;s moderators."),
            "{}",
            page.body
        );
        let page = bob.get("/@repair").await;
        assert_eq!(page.status, 404, "{}", page.body);
        assert!(
            page.body
                .contains("Ce groupe est suspendu par les modérateurs de l&#39;instance."),
            "{}",
            page.body
        );
        assert_eq!(
            site.browser("en").get("/@repair/feed.ics").await.status,
            404
        );
        assert_eq!(
            site.browser("en").get("/@repair/feed.atom").await.status,
            404
        );
        let moderators = mia.get("/@repair").await;
        assert_eq!(moderators.status, 200, "{}", moderators.body);
        assert!(
            moderators
                .body
                .contains("The instance&#39;s moderators suspended this group"),
            "{}",
            moderators.body
        );

        let lifted = mia
            .post(
                &format!("{path}/decide"),
                &shown.csrf(),
                &decide("unsuspend", "Appeal granted"),
            )
            .await;
        assert_eq!(lifted.status, 303, "{}", lifted.body);
        assert_eq!(site.browser("en").get("/@repair").await.status, 200);
    }
}

#[tokio::test]
async fn the_audit_trail_links_each_action_to_reverting_that_action_alone() {
    for (_db, site) in sites("moderation_revert_request").await {
        let mia = Browser::member(&site, "mia@example.org", "mia", "fr").await;
        make_moderator(&site, "mia").await;
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let first = create_event(&ana, &[("title", "Cheap pills")]).await;
        let second = create_event(&ana, &[("title", "Cheaper pills")]).await;

        let trail = mia.get("/moderation/audit?profile=ana").await;
        assert_eq!(trail.status, 200, "{}", trail.body);
        let link = "/moderation/revert?request_id=";
        let request = trail
            .body
            .split(link)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("each entry links to its revert: {}", trail.body))
            .to_string();
        assert!(
            trail.body.contains("annuler cette action"),
            "{}",
            trail.body
        );
        let form = mia.get(&format!("{link}{request}")).await;
        assert_eq!(form.status, 200, "{}", form.body);
        assert!(
            form.body.contains(&format!("value=\"{request}\"")),
            "{}",
            form.body
        );
        let preview = mia
            .post(
                "/moderation/revert",
                &form.csrf(),
                &[
                    ("request_id", request.as_str()),
                    ("reason", "spam"),
                    ("apply", "0"),
                ],
            )
            .await;
        assert_eq!(preview.status, 200, "{}", preview.body);
        // The newest entry comes first: the second event's creation, and nothing else.
        assert!(preview.body.contains(&second), "{}", preview.body);
        assert!(!preview.body.contains(&first), "{}", preview.body);
    }
}

#[tokio::test]
async fn a_reported_actor_of_another_instance_is_shown_as_known_and_suspended_from_the_report() {
    use convene_api::reports::{self, NewReport, Reporter};
    use convene_domain::report::{Category, Target};
    for (_db, site) in sites("moderation_remote_actor_report").await {
        let mia = Browser::member(&site, "mia@example.org", "mia", "en").await;
        make_moderator(&site, "mia").await;
        let sam = "https://other.example/@sam";
        sqlx::query(
            "INSERT INTO remote_actors (id, kind, inbox, shared_inbox, key_id, public_key_pem, \
             preferred_username, name, url, fetched_at, summary) \
             VALUES ($1, 'Person', $2, NULL, $3, 'pem', 'sam', 'Sam Watches', $4, \
             '2026-11-01T10:00:00Z', '<p>Sells <em>watches</em> <script>x()</script></p>')",
        )
        .bind(sam)
        .bind(format!("{sam}/inbox"))
        .bind(format!("{sam}#main-key"))
        .bind("https://other.example/profiles/sam")
        .execute(site.db.pool())
        .await
        .expect("a cached actor");
        // Filed through the use case, anonymously (the pages file as a profile).
        let mut app = site.state.clone();
        app.reports_policy.anonymous = true;
        let origin = convene_api::auth::Origin::new(Source::Web, "report-sam", None);
        let new = NewReport {
            target: Target::RemoteActor { url: sam.into() },
            category: Category::Spam,
            comment: "Spams every event".into(),
            forward: false,
        };
        let id = reports::file(&app, Reporter::Anonymous(origin), new)
            .await
            .expect("filed")
            .id;

        let queue = mia.get("/moderation/reports").await;
        assert!(
            queue
                .body
                .contains("Another instance&#39;s actor https://other.example/@sam"),
            "{}",
            queue.body
        );
        let page = mia.get(&format!("/moderation/reports/{id}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        for shown in [
            "Sam Watches",
            "@sam@other.example",
            "href=\"https://other.example/profiles/sam\"",
            "Sells watches",
            "value=\"actor:https://other.example/@sam\"",
            "Suspend here",
        ] {
            assert!(page.body.contains(shown), "{shown}: {}", page.body);
        }
        assert!(!page.body.contains("<script>x()"), "{}", page.body);
        assert!(!page.body.contains("value=\"event\""), "{}", page.body);

        let decided = mia
            .post(
                &format!("/moderation/reports/{id}/decide"),
                &page.csrf(),
                &[
                    ("action", "suspend"),
                    ("target", &format!("actor:{sam}")),
                    ("reason", "spams every event"),
                ],
            )
            .await;
        assert_eq!(decided.status, 303, "{}", decided.body);
        assert!(
            convene_projections::domains::actor_suspended(site.db.pool(), sam)
                .await
                .expect("read"),
            "suspended here"
        );
        let page = mia.get(&format!("/moderation/reports/{id}")).await;
        assert!(page.body.contains("spams every event"), "{}", page.body);

        // Everything it sent is removed from the report too, each event kept as evidence.
        let sent = crate::remote_reports::remote_event_of(&site, sam).await;
        assert!(
            page.body.contains("Remove every event and comment it sent"),
            "{}",
            page.body
        );
        let removed = mia
            .post(
                &format!("/moderation/reports/{id}/decide"),
                &page.csrf(),
                &[
                    ("action", "remove_content"),
                    ("target", &format!("actor:{sam}")),
                    ("reason", "spam wave"),
                ],
            )
            .await;
        assert_eq!(removed.status, 303, "{}", removed.body);
        let view = events::find(site.db.pool(), &sent).await.expect("read");
        assert!(view.is_some_and(|e| e.removed_by_moderators), "removed");
        // The report's page names the decision in its history.
        let page = mia.get(&format!("/moderation/reports/{id}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("spam wave"), "{}", page.body);
    }
}

#[tokio::test]
async fn an_instance_publishing_its_domain_decisions_lists_them_on_its_about_page() {
    for scratch in convene_projections::scratch::test_urls("moderation_public_domains").await {
        let site = crate::support::Site::start_publishing_domain_decisions(&scratch).await;
        let admin = Browser::member(&site, "admin@example.org", "admin", "en").await;
        give_role(&site, "admin", Role::Administrator).await;
        let about = site.browser("en").get("/about").await;
        assert!(
            !about.body.contains("Moderated instances"),
            "{}",
            about.body
        );
        let page = admin.get("/moderation/domains").await;
        let decided = admin
            .post(
                "/moderation/domains",
                &page.csrf(),
                &[
                    ("domain", "bad.example"),
                    ("action", "suspend"),
                    ("reason", "the moderators' own words"),
                    ("public_comment", "Spam and harassment"),
                ],
            )
            .await;
        assert!(decided.status < 400, "{}", decided.body);
        for (language, says) in [("en", "Suspended"), ("fr", "Suspendue")] {
            let about = site.browser(language).get("/about").await;
            assert_eq!(about.status, 200, "{}", about.body);
            assert!(
                about.body.contains("<td>bad.example</td>")
                    && about.body.contains(&format!("<td>{says}</td>"))
                    && about.body.contains("Spam and harassment"),
                "{}",
                about.body
            );
            assert!(!about.body.contains("own words"), "{}", about.body);
        }
    }
    // An instance that does not publish them says nothing of them.
    for (_db, site) in sites("moderation_unpublished_domains").await {
        let admin = Browser::member(&site, "admin@example.org", "admin", "en").await;
        give_role(&site, "admin", Role::Administrator).await;
        let page = admin.get("/moderation/domains").await;
        let fields = [
            ("domain", "bad.example"),
            ("action", "suspend"),
            ("reason", "spam"),
        ];
        let decided = admin
            .post("/moderation/domains", &page.csrf(), &fields)
            .await;
        assert!(decided.status < 400, "{}", decided.body);
        let about = site.browser("en").get("/about").await;
        assert!(!about.body.contains("bad.example"), "{}", about.body);
    }
}
