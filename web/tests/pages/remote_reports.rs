//! Reporting another instance's actor from the pages: a remote organiser from its event's page, a
//! remote comment's author from the comment, a remote member from a group's members list, a
//! remote participant from the organiser's participants page; the form names who is reported, offers to send a copy to their instance, and files a
//! `remote_actor` report through the same use case as the API.

use crate::group_admin::create_group;
use crate::moderation::give_role;
use crate::sites;
use crate::support::{create_event, Browser, Site};
use convene_api::remote_events::FromRemote;
use convene_domain::event::{RemoteAuthor, RemoteOrigin};
use convene_domain::Role;
use convene_projections::reports::{self, ReportRow};

const SPAM: &str = "https://bad.example/@spam";
const SPAM_LINK: &str = "/report?actor=https%3A//bad.example/%40spam";

/// `actor` as the cache federation fills knows it (with where it takes activities).
async fn known(site: &Site, actor: &str, name: &str) {
    sqlx::query(
        "INSERT INTO remote_actors (id, kind, inbox, shared_inbox, key_id, public_key_pem, \
         preferred_username, name, url, fetched_at) \
         VALUES ($1, 'Person', $2, NULL, $3, 'pem', $4, $5, NULL, '2026-01-01T00:00:00Z')",
    )
    .bind(actor)
    .bind(format!("{actor}/inbox"))
    .bind(format!("{actor}#main-key"))
    .bind(actor.rsplit('@').next().unwrap_or_default())
    .bind(name)
    .execute(site.db.pool())
    .await
    .expect("a cached actor");
}

fn from(actor: &str) -> FromRemote {
    FromRemote {
        actor: actor.into(),
        activity: format!("{actor}/activities/1"),
        request_id: "test".into(),
    }
}

/// An event of bad.example organised by `@spam`, imported here; its id.
pub(crate) async fn remote_event(site: &Site) -> String {
    remote_event_of(site, SPAM).await
}

/// An event organised by `actor` (`https://host/@name`), imported here; its id.
pub(crate) async fn remote_event_of(site: &Site, actor: &str) -> String {
    let (host, name) = actor
        .trim_start_matches("https://")
        .split_once("/@")
        .expect("https://host/@name");
    let details = serde_json::from_value(serde_json::json!({
        "title": "Pills",
        "begins_at": "2031-06-01T12:00:00Z",
        "time_zone": "Europe/Paris",
    }))
    .expect("details");
    let origin = RemoteOrigin {
        object: format!("https://{host}/events/1"),
        actor: actor.into(),
        actor_handle: format!("{name}@{host}"),
        actor_name: Some("Spam Shop".into()),
        url: format!("https://{host}/events/1"),
        inbox: Some(format!("https://{host}/inbox")),
    };
    convene_api::remote_events::import_event(&site.state, &from(actor), origin, details, None)
        .await
        .expect("imported")
}

async fn the_queue(site: &Site) -> Vec<ReportRow> {
    reports::queue(site.db.pool(), &Default::default(), 1)
        .await
        .expect("the queue")
}

#[tokio::test]
async fn a_remote_organiser_is_reported_from_its_event_page_and_sent_on_to_its_instance() {
    for (_db, site) in sites("remote_actor_report_organiser").await {
        let bob = Browser::member(&site, "bob@example.org", "bob", "fr").await;
        let mia = Browser::member(&site, "mia@example.org", "mia", "en").await;
        give_role(&site, "mia", Role::Moderator).await;
        known(&site, SPAM, "Spam Shop").await;
        let event = remote_event(&site).await;

        let page = bob.get(&format!("/events/{event}")).await;
        assert!(
            page.body.contains(&format!("href=\"{SPAM_LINK}\""))
                && page.body.contains("Signaler l&#39;organisateur"),
            "{}",
            page.body
        );
        let form = bob.get(SPAM_LINK).await;
        assert_eq!(form.status, 200, "{}", form.body);
        for shown in [
            "Vous signalez Spam Shop (@spam@bad.example), d&#39;une autre instance.",
            "name=\"actor\" value=\"https://bad.example/@spam\"",
            "name=\"forward\"",
            "aux modérateurs de bad.example",
            "name=\"category\"",
            "name=\"comment\"",
        ] {
            assert!(form.body.contains(shown), "{shown}: {}", form.body);
        }

        // A category is required, as on every report form; nothing is written.
        let refused = bob
            .post(
                "/report",
                &form.csrf(),
                &[("actor", SPAM), ("forward", "on")],
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(the_queue(&site).await.is_empty());

        let sent = bob
            .post(
                "/report",
                &form.csrf(),
                &[
                    ("actor", SPAM),
                    ("category", "spam"),
                    ("comment", "Sells pills"),
                    ("forward", "on"),
                ],
            )
            .await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        let queue = the_queue(&site).await;
        assert_eq!(queue.len(), 1, "{queue:?}");
        let row = &queue[0];
        assert_eq!(
            (
                row.target_kind.as_str(),
                row.target_id.as_str(),
                row.reporter.as_deref(),
                row.comment.as_str(),
                row.instance.as_deref(),
            ),
            (
                "remote_actor",
                SPAM,
                Some("bob"),
                "Sells pills",
                Some("bad.example")
            )
        );
        let detail = mia.get(&format!("/moderation/reports/{}", row.id)).await;
        assert!(
            detail.body.contains("sent to its moderators too"),
            "{}",
            detail.body
        );
    }
}

#[tokio::test]
async fn a_remote_comment_s_author_group_member_and_participant_are_reported_from_their_pages() {
    for (_db, site) in sites("remote_actor_report_author_member").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let troll = "https://bad.example/@troll";
        known(&site, troll, "Troll").await;
        let event = create_event(&ana, &[]).await;
        let base = site
            .state
            .config
            .public_url
            .trim_end_matches('/')
            .to_string();
        let author = RemoteAuthor {
            actor: troll.into(),
            handle: "troll@bad.example".into(),
            note: "https://bad.example/notes/1".into(),
        };
        let (_, comment) = convene_api::remote_events::post_comment(
            &site.state,
            &from(troll),
            author,
            &format!("{base}/events/{event}"),
            "<p>Buy now</p>",
            &[],
        )
        .await
        .expect("a remote comment");

        let page = ana.get(&format!("/events/{event}")).await;
        let link = format!("/report?event={event}&amp;author_of={comment}");
        assert!(
            page.body.contains(&link) && page.body.contains("Report its author"),
            "{}",
            page.body
        );
        let form = ana
            .get(&format!("/report?event={event}&author_of={comment}"))
            .await;
        assert_eq!(form.status, 200, "{}", form.body);
        assert!(
            form.body
                .contains("You are reporting Troll (@troll@bad.example)")
                && form.body.contains("value=\"https://bad.example/@troll\"")
                && !form.body.contains("name=\"event\""),
            "{}",
            form.body
        );
        let sent = ana
            .post(
                "/report",
                &form.csrf(),
                &[("actor", troll), ("category", "other"), ("comment", "Ads")],
            )
            .await;
        assert_eq!(sent.status, 200, "{}", sent.body);
        let queue = the_queue(&site).await;
        assert_eq!(
            (queue[0].target_kind.as_str(), queue[0].target_id.as_str()),
            ("remote_actor", troll)
        );

        // A comment written here has no such link, and the form will not take one.
        let local = ana
            .get(&format!("/report?event={event}&author_of=nothing"))
            .await;
        assert_eq!(local.status, 404, "{}", local.body);

        // A remote member of a group, on the members list.
        create_group(&ana, "repair", "Repair café", "moderated").await;
        convene_api::remote_groups::join(&site.state, &from(troll), "repair", None)
            .await
            .expect("asked");
        let members = ana.get("/@repair/members").await;
        assert!(
            members
                .body
                .contains("href=\"/report?actor=https%3A//bad.example/%40troll\""),
            "{}",
            members.body
        );

        // A remote participant, on the organiser's participants page.
        let who = convene_domain::event::RemoteParticipant {
            actor: troll.into(),
            handle: "troll@bad.example".into(),
            inbox: format!("{troll}/inbox"),
            join: "https://bad.example/joins/1".into(),
        };
        let event_url = format!("{base}/events/{event}");
        convene_api::remote_events::join(&site.state, &from(troll), &event_url, who, None)
            .await
            .expect("joined");
        let participants = ana.get(&format!("/events/{event}/participants")).await;
        assert!(
            participants.body.contains("@troll@bad.example")
                && participants
                    .body
                    .contains("href=\"/report?actor=https%3A//bad.example/%40troll\""),
            "{}",
            participants.body
        );
    }
}

#[tokio::test]
async fn an_actor_unknown_here_or_of_this_instance_is_refused_by_the_form_with_the_reason() {
    for (_db, site) in sites("remote_actor_report_refused").await {
        let ana = Browser::member(&site, "ana@example.org", "ana", "en").await;
        let unknown = ana
            .get("/report?actor=https%3A//nowhere.example/%40x")
            .await;
        assert_eq!(unknown.status, 422, "{}", unknown.body);
        assert!(
            unknown.body.contains("is not an actor known here"),
            "{}",
            unknown.body
        );
        let form = ana.get("/report?profile=ana").await;
        let base = site
            .state
            .config
            .public_url
            .trim_end_matches('/')
            .to_string();
        let ours = format!("{base}/@ana");
        let refused = ana
            .post(
                "/report",
                &form.csrf(),
                &[("actor", ours.as_str()), ("category", "spam")],
            )
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(
            refused.body.contains("is on this instance"),
            "{}",
            refused.body
        );
        assert!(the_queue(&site).await.is_empty());

        // Without an account, where the instance takes no anonymous reports: log in first.
        known(&site, SPAM, "Spam Shop").await;
        let visitor = site.browser("en").get(SPAM_LINK).await;
        assert_eq!(visitor.status, 303, "{}", visitor.body);
        assert!(
            visitor
                .location
                .as_deref()
                .unwrap_or_default()
                .starts_with("/login"),
            "{:?}",
            visitor.location
        );
    }
}
