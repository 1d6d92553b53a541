//! Reminders against a real server on 127.0.0.1, on SQLite and (with TEST_DATABASE_URL)
//! PostgreSQL: due at the right instant across the clock changes, moved with the event, dropped
//! when a person leaves or the event is cancelled, rescheduled when a person chooses other
//! times; sent once, late when the server was stopped over their time, never once the event has
//! begun; two schedulers racing send each one once. A title edit rewrites no attendee's row and
//! the reminder says the new title; a change to a crowded event is written in pieces that a
//! replay writes again to the same rows.

mod common;
#[path = "../../api/tests/api/support.rs"]
#[allow(dead_code)]
mod support;
use common::{account_of, join, person, server, server_writing_at_most, settled, unix};

use convene_api::mail::Mailer;
use convene_notifications::reminders::{self, Reminder, Scheduler};
use convene_notifications::{store, NotificationsSubscriber, Retries, Sender};
use convene_projections::scratch::test_urls;
use convene_projections::Database;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use support::{create_event, profile, TestServer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

/// (recipient, minutes before, due at as RFC 3339 UTC, state) of the event's reminders.
async fn of_event(server: &TestServer, event: &str) -> Vec<(String, i64, String, String)> {
    let mut found: Vec<(String, i64, String, String)> =
        reminders::list(server.db.pool(), None, 1000)
            .await
            .expect("reminders")
            .into_iter()
            .filter(|r| r.event_id == event)
            .map(|r: Reminder| {
                let due = OffsetDateTime::from_unix_timestamp(r.due_at)
                    .ok()
                    .and_then(|t| t.format(&Rfc3339).ok())
                    .unwrap_or_default();
                (r.recipient, r.minutes_before, due, r.state)
            })
            .collect();
    found.sort();
    found
}

fn r(recipient: &str, minutes: i64, due: &str, state: &str) -> (String, i64, String, String) {
    (recipient.into(), minutes, due.into(), state.into())
}

/// (recipient, late) of every reminder notification, in id order.
async fn reminder_notifications(server: &TestServer) -> Vec<(String, bool)> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT recipient, facts FROM notifications WHERE kind = 'reminder' ORDER BY recipient, id",
    )
    .fetch_all(server.db.pool())
    .await
    .expect("notifications");
    rows.into_iter()
        .map(|(recipient, facts)| {
            let facts: serde_json::Value = serde_json::from_str(&facts).unwrap_or_default();
            (recipient, facts["late"].as_bool().unwrap_or(false))
        })
        .collect()
}

#[tokio::test]
async fn reminders_come_at_the_right_instant_follow_the_event_and_are_sent_once() {
    for scratch in test_urls("notifications_reminders").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let org = person(&server, "org@example.org", "en", "org").await;
        let ana = person(&server, "ana@example.org", "fr", "ana").await;
        let bob = person(&server, "bob@example.org", "en", "bob").await;
        // The morning the clocks go forward in Paris (02:00 → 03:00 on 28 March 2027), and the
        // morning they go back (03:00 → 02:00 on 31 October 2027).
        let spring = create_event(
            &org,
            json!({"begins_at": "2027-03-28T10:00:00+02:00", "ends_at": "2027-03-28T12:00:00+02:00",
                   "time_zone": "Europe/Paris"}),
        )
        .await;
        let spring = spring["id"].as_str().unwrap_or_default().to_string();
        let autumn = create_event(
            &org,
            json!({"begins_at": "2027-10-31T10:00:00+01:00", "ends_at": "2027-10-31T12:00:00+01:00",
                   "time_zone": "Europe/Paris", "capacity": 1}),
        )
        .await;
        let autumn = autumn["id"].as_str().unwrap_or_default().to_string();
        join(&ana, &spring).await;
        join(&bob, &spring).await;
        join(&ana, &autumn).await;
        // Bob waits for a seat: nothing to remind him of yet.
        join(&bob, &autumn).await;
        settled(&server).await;

        // A day before is 24 hours before the instant: on the eve of the spring change that is
        // 09:00 in Paris (08:00 UTC), on the eve of the autumn one 11:00 (09:00 UTC).
        assert_eq!(
            of_event(&server, &spring).await,
            vec![
                r("@ana", 120, "2027-03-28T06:00:00Z", "pending"),
                r("@ana", 1440, "2027-03-27T08:00:00Z", "pending"),
                r("@bob", 120, "2027-03-28T06:00:00Z", "pending"),
                r("@bob", 1440, "2027-03-27T08:00:00Z", "pending"),
                r("@org", 120, "2027-03-28T06:00:00Z", "pending"),
                r("@org", 1440, "2027-03-27T08:00:00Z", "pending"),
            ],
            "{label}"
        );
        assert_eq!(
            of_event(&server, &autumn).await,
            vec![
                r("@ana", 120, "2027-10-31T07:00:00Z", "pending"),
                r("@ana", 1440, "2027-10-30T09:00:00Z", "pending"),
                r("@org", 120, "2027-10-31T07:00:00Z", "pending"),
                r("@org", 1440, "2027-10-30T09:00:00Z", "pending"),
            ],
            "{label}: the waitlist is not reminded"
        );
        let health = server.client().get("/healthz").await;
        assert_eq!(
            health.json["notifications"],
            json!({"pending": 0, "failed": 0, "reminders_pending": 10}),
            "{label}"
        );

        // Moved a week later: the reminders move with it.
        let moved = org
            .patch(
                &format!("/api/v1/events/{spring}"),
                json!({"begins_at": "2027-04-04T10:00:00+02:00", "ends_at": "2027-04-04T12:00:00+02:00",
                       "title": "Spring march"}),
            )
            .await;
        assert_eq!(moved.status, 200, "{label}: {}", moved.text);
        // Bob leaves; the autumn event is cancelled.
        let left = bob
            .delete(&format!("/api/v1/events/{spring}/participations/mine"))
            .await;
        assert!(left.status < 300, "{label}: {}", left.text);
        let cancelled = org
            .post(&format!("/api/v1/events/{autumn}/cancel"), json!({}))
            .await;
        assert!(cancelled.status < 300, "{label}: {}", cancelled.text);
        settled(&server).await;
        assert_eq!(
            of_event(&server, &spring).await,
            vec![
                r("@ana", 120, "2027-04-04T06:00:00Z", "pending"),
                r("@ana", 1440, "2027-04-03T08:00:00Z", "pending"),
                r("@org", 120, "2027-04-04T06:00:00Z", "pending"),
                r("@org", 1440, "2027-04-03T08:00:00Z", "pending"),
            ],
            "{label}: moved, and Bob gone"
        );
        assert_eq!(of_event(&server, &autumn).await, vec![], "{label}");

        // Ana wants one reminder, three hours before: hers are rescheduled at once.
        let ana_account = account_of(&server, "ana@example.org").await;
        let mut conn = server.db.pool().acquire().await.expect("connection");
        reminders::set_minutes(&mut conn, &ana_account, &[180], store::now())
            .await
            .expect("choice");
        drop(conn);
        let begins = unix("2027-04-04T08:00:00Z");
        assert_eq!(
            of_event(&server, &spring).await,
            vec![
                r("@ana", 180, "2027-04-04T05:00:00Z", "pending"),
                r("@org", 120, "2027-04-04T06:00:00Z", "pending"),
                r("@org", 1440, "2027-04-03T08:00:00Z", "pending"),
            ],
            "{label}"
        );

        // The scheduler, ten seconds after Ana's reminder is due: hers goes on time; the
        // organiser's of the day before goes too, late (as after a server stopped over it).
        let scheduler = Scheduler::new(&server.db, new_mail.clone(), Duration::from_secs(30));
        let fired = scheduler
            .fire_due(begins - 3 * 3600 + 10)
            .await
            .expect("fire");
        assert_eq!(
            (fired.sent, fired.late, fired.skipped),
            (2, 1, 0),
            "{label}"
        );
        assert_eq!(
            reminder_notifications(&server).await,
            vec![("@ana".to_string(), false), ("@org".to_string(), true)],
            "{label}"
        );
        // Ana's inbox shows it, as its mail will say it.
        let inbox = store::inbox(server.db.pool(), &ana_account, 50, 0)
            .await
            .expect("inbox");
        assert_eq!(
            inbox.first().map(|n| n.kind),
            Some(convene_notifications::Kind::Reminder),
            "{label}"
        );
        // Again: nothing more.
        let again = scheduler
            .fire_due(begins - 3 * 3600 + 20)
            .await
            .expect("fire");
        assert_eq!(again, Default::default(), "{label}");
        // Once the event has begun, the organiser's two-hour reminder is no use: skipped.
        let after = scheduler.fire_due(begins + 60).await.expect("fire");
        assert_eq!((after.sent, after.skipped), (0, 1), "{label}");
        assert_eq!(reminder_notifications(&server).await.len(), 2, "{label}");
        let health = server.client().get("/healthz").await;
        assert_eq!(
            health.json["notifications"],
            json!({"pending": 6, "failed": 0, "reminders_pending": 0}),
            "{label}: the mails of the two reminders, the move (Ana, Bob) and the cancellation \
             (Ana, Bob waiting) wait for the sender"
        );
        assert_eq!(
            of_event(&server, &spring).await,
            vec![
                r("@ana", 180, "2027-04-04T05:00:00Z", "sent"),
                r("@org", 120, "2027-04-04T06:00:00Z", "skipped"),
                r("@org", 1440, "2027-04-03T08:00:00Z", "sent"),
            ],
            "{label}"
        );

        // The mails, each in its reader's language, the time as Paris shows it.
        let mailer =
            Mailer::to_folder("Convene <noreply@127.0.0.1>", &server.mail).expect("mailer");
        let sender = Sender::new(
            &server.db,
            Arc::new(mailer),
            &server.base,
            new_mail.clone(),
            Retries::default(),
        );
        let round = sender.send_due().await.expect("send");
        assert!(round.sent >= 2, "{label}: {round:?}");
        let ana_mail: Vec<String> = server
            .mails_to("ana@example.org")
            .into_iter()
            .filter(|m| m.contains("Rappel"))
            .collect();
        assert_eq!(ana_mail.len(), 1, "{label}: {ana_mail:?}");
        assert!(
            ana_mail[0].contains("2027-04-04 10:00 (Europe/Paris)")
                && ana_mail[0].contains("Spring march")
                && !ana_mail[0].contains("retard"),
            "{label}: {}",
            ana_mail[0]
        );
        let org_mail: Vec<String> = server
            .mails_to("org@example.org")
            .into_iter()
            .filter(|m| m.contains("Reminder"))
            .collect();
        assert_eq!(org_mail.len(), 1, "{label}: {org_mail:?}");
        assert!(
            org_mail[0].contains("comes late"),
            "{label}: {}",
            org_mail[0]
        );

        // Replaying the subscriber schedules nothing again and sends nothing again.
        let mut server = server;
        server.stop_subscribers().await;
        let subscriber: Arc<dyn convene_projections::Subscriber> =
            Arc::new(NotificationsSubscriber::new(new_mail.clone()));
        let runner = convene_projections::Runner::new(subscriber, &server.db);
        runner.reset().await.expect("reset");
        runner
            .catch_up(server.head().await, &mut |_| {})
            .await
            .expect("replay");
        assert_eq!(of_event(&server, &spring).await.len(), 3, "{label}");
        let replayed = scheduler.fire_due(begins + 60).await.expect("fire");
        assert_eq!(replayed, Default::default(), "{label}");
        assert_eq!(sender.send_due().await.expect("send").sent, 0, "{label}");
    }
}

/// A server stopped over a reminder's time: once started, its scheduler sends it at once,
/// marked late, and only once.
#[tokio::test]
async fn a_scheduler_started_after_the_time_sends_the_reminder_once_marked_late() {
    for scratch in test_urls("notifications_reminders_late").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let org = person(&server, "org@example.org", "en", "org").await;
        let soon = (OffsetDateTime::now_utc() + time::Duration::hours(3))
            .replace_nanosecond(0)
            .expect("a time");
        let begins = soon.format(&Rfc3339).expect("a time");
        let ends = (soon + time::Duration::hours(1))
            .format(&Rfc3339)
            .expect("a time");
        let event = create_event(&org, json!({"begins_at": begins, "ends_at": ends})).await;
        let event = event["id"].as_str().unwrap_or_default().to_string();
        settled(&server).await;
        // Created three hours ahead: the day-before reminder's time had passed, so only the
        // two-hour one is owed.
        let owed = of_event(&server, &event).await;
        assert_eq!(owed.len(), 1, "{label}: {owed:?}");
        assert_eq!(owed[0].1, 120, "{label}");
        // Its time passes while no server runs (an hour ago, in effect).
        sqlx::query("UPDATE reminders SET due_at = $1 WHERE event_id = $2")
            .bind(store::now() - 3600)
            .bind(&event)
            .execute(server.db.pool())
            .await
            .expect("update");
        let shutdown = CancellationToken::new();
        let scheduler = Scheduler::new(&server.db, new_mail.clone(), Duration::from_secs(3600));
        let running = tokio::spawn(scheduler.clone().run(shutdown.clone()));
        let mut sent = Vec::new();
        for _ in 0..200 {
            sent = reminder_notifications(&server).await;
            if !sent.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(sent, vec![("@org".to_string(), true)], "{label}");
        shutdown.cancel();
        let _ = running.await;
        // A second start finds nothing to send.
        let again = scheduler.fire_due(store::now()).await.expect("fire");
        assert_eq!(again, Default::default(), "{label}");
        assert_eq!(reminder_notifications(&server).await.len(), 1, "{label}");
    }
}

/// Two schedulers (two processes, each its own connections) racing over the same due
/// reminders: each is sent once.
#[tokio::test]
async fn two_schedulers_racing_send_each_reminder_once() {
    for scratch in test_urls("notifications_reminders_race").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let org = person(&server, "org@example.org", "en", "org").await;
        let crowd = person(&server, "crowd@example.org", "en", "crowd0").await;
        let event = create_event(&org, json!({})).await;
        let event = event["id"].as_str().unwrap_or_default().to_string();
        join(&crowd, &event).await;
        for i in 1..40 {
            let name = format!("crowd{i}");
            profile(&crowd, &name).await;
            join(&crowd.as_profile(&name), &event).await;
        }
        settled(&server).await;
        let owed = of_event(&server, &event).await.len();
        assert_eq!(owed, 2 * 41, "{label}");
        let other = Database::open(&scratch.url).await.expect("database");
        let one = Scheduler::new(&server.db, new_mail.clone(), Duration::from_secs(30));
        let two = Scheduler::new(&other, new_mail.clone(), Duration::from_secs(30));
        // After both reminders' times, before the event.
        let at = unix("2030-06-01T13:00:00Z");
        let mut sent = 0;
        for _ in 0..3 {
            let (a, b) = tokio::join!(one.fire_due(at), two.fire_due(at));
            sent += a.expect("one").sent + b.expect("two").sent;
        }
        assert_eq!(sent, owed, "{label}");
        let mails: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notification_mails m JOIN notifications n ON n.id = m.id \
             WHERE n.kind = 'reminder'",
        )
        .fetch_one(server.db.pool())
        .await
        .expect("count");
        assert_eq!(mails, i64::try_from(owed).unwrap_or(0), "{label}");
        assert_eq!(
            reminders::pending_count(server.db.pool()).await.ok(),
            Some(0),
            "{label}"
        );
        other.close().await;
    }
}

/// (recipient, account, begins_at) of each attendee's row for `event`, and the reminders' ids.
async fn stored_attendance(
    server: &TestServer,
    event: &str,
) -> (Vec<(String, String, i64)>, Vec<String>) {
    let attendance = sqlx::query_as(
        "SELECT recipient, account_id, begins_at FROM reminder_attendance WHERE event_id = $1 \
         ORDER BY recipient",
    )
    .bind(event)
    .fetch_all(server.db.pool())
    .await
    .expect("attendance");
    let ids = sqlx::query_scalar("SELECT id FROM reminders WHERE event_id = $1 ORDER BY id")
        .bind(event)
        .fetch_all(server.db.pool())
        .await
        .expect("reminders");
    (attendance, ids)
}

#[tokio::test]
async fn a_title_edit_rewrites_no_attendee_and_the_reminder_says_the_new_title() {
    for scratch in test_urls("notifications_reminders_title").await {
        let (server, new_mail) = server(&scratch).await;
        let label = server.label;
        let org = person(&server, "org@example.org", "en", "org").await;
        let ana = person(&server, "ana@example.org", "en", "ana").await;
        let event = create_event(
            &org,
            json!({"title": "Repair café", "begins_at": "2031-05-10T10:00:00Z",
                   "ends_at": "2031-05-10T12:00:00Z", "time_zone": "Europe/Paris"}),
        )
        .await;
        let event = event["id"].as_str().unwrap_or_default().to_string();
        join(&ana, &event).await;
        settled(&server).await;
        let before = stored_attendance(&server, &event).await;
        assert_eq!(before.0.len(), 2, "{label}: the organiser and Ana");
        assert_eq!(before.1.len(), 4, "{label}: two reminders each");

        let edited = org
            .patch(
                &format!("/api/v1/events/{event}"),
                json!({"title": "Bike repair café"}),
            )
            .await;
        assert_eq!(edited.status, 200, "{label}: {}", edited.text);
        settled(&server).await;
        assert_eq!(stored_attendance(&server, &event).await, before, "{label}");
        let facts: String =
            sqlx::query_scalar("SELECT facts FROM reminder_events WHERE event_id = $1")
                .bind(&event)
                .fetch_one(server.db.pool())
                .await
                .expect("the event's reminder text");
        let facts: serde_json::Value = serde_json::from_str(&facts).expect("JSON");
        assert_eq!(facts["title"], "Bike repair café", "{label}");

        // The schedule as the subscriber would make it again: nobody to write.
        let account = account_of(&server, "ana@example.org").await;
        let org_account = account_of(&server, "org@example.org").await;
        let schedule = reminders::Schedule {
            event_id: event.clone(),
            begins_at: unix("2031-05-10T10:00:00Z"),
            facts: serde_json::from_value(facts).ok(),
            attending: vec![
                reminders::Attending {
                    username: "ana".into(),
                    account_id: account.clone(),
                },
                reminders::Attending {
                    username: "org".into(),
                    account_id: org_account,
                },
            ],
            decided_at: store::now(),
            touched: None,
            touched_only: false,
        };
        let plan = reminders::plan(server.db.pool(), &schedule)
            .await
            .expect("plan");
        assert!(plan.people.is_empty(), "{label}: {plan:?}");

        // Fired, the reminder tells each person the title as it is now, as their own.
        let scheduler = Scheduler::new(&server.db, new_mail.clone(), Duration::from_secs(30));
        let fired = scheduler
            .fire_due(unix("2031-05-09T10:00:00Z") + 1)
            .await
            .expect("fire");
        assert_eq!(fired.sent, 2, "{label}");
        let told: Vec<(String, String)> = sqlx::query_as(
            "SELECT recipient, facts FROM notifications WHERE kind = 'reminder' ORDER BY recipient",
        )
        .fetch_all(server.db.pool())
        .await
        .expect("notifications");
        for (recipient, facts) in told {
            let facts: serde_json::Value = serde_json::from_str(&facts).expect("JSON");
            assert_eq!(facts["title"], "Bike repair café", "{label}: {recipient}");
            assert_eq!(
                format!("@{}", facts["profile"].as_str().unwrap_or_default()),
                recipient,
                "{label}"
            );
        }
    }
}

#[tokio::test]
async fn a_change_to_a_crowded_event_is_written_in_pieces_that_a_replay_writes_again_alike() {
    for scratch in test_urls("notifications_in_pieces").await {
        // Two rows per transaction: five participants' notifications and reminders take several.
        let (server, _new_mail) = server_writing_at_most(&scratch, 2).await;
        let label = server.label;
        let org = person(&server, "org@example.org", "en", "org").await;
        let event = create_event(
            &org,
            json!({"begins_at": "2031-05-10T10:00:00Z", "ends_at": "2031-05-10T12:00:00Z",
                   "time_zone": "Europe/Paris"}),
        )
        .await;
        let event = event["id"].as_str().unwrap_or_default().to_string();
        for i in 0..5 {
            let who = person(
                &server,
                &format!("p{i}@example.org"),
                "en",
                &format!("p{i}"),
            )
            .await;
            join(&who, &event).await;
        }
        settled(&server).await;
        let before_move = server.head().await;
        let moved = org
            .patch(
                &format!("/api/v1/events/{event}"),
                json!({"begins_at": "2031-05-11T10:00:00Z", "ends_at": "2031-05-11T12:00:00Z"}),
            )
            .await;
        assert_eq!(moved.status, 200, "{label}: {}", moved.text);
        settled(&server).await;
        let count = |sql: &'static str| {
            let pool = server.db.pool().clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(&pool)
                    .await
                    .expect("count")
            }
        };
        let changed = "SELECT COUNT(*) FROM notifications WHERE kind = 'event_changed'";
        // The notifications' mails (the outbox also holds account mails, such as confirmations).
        let mails = "SELECT COUNT(*) FROM notification_mails m JOIN notifications n ON n.id = m.id";
        assert_eq!(
            count(changed).await,
            5,
            "{label}: each participant told once"
        );
        let written = stored_attendance(&server, &event).await;
        assert_eq!(written.0.len(), 6, "{label}");
        assert!(
            written
                .0
                .iter()
                .all(|(_, _, at)| *at == unix("2031-05-11T10:00:00Z")),
            "{label}: {written:?}"
        );
        let mails_before = count(mails).await;

        // As if the process had died before the piece moving the checkpoint: the batch is
        // derived and written again, to the same rows.
        let mut conn = server.db.pool().acquire().await.expect("connection");
        convene_projections::subscriber::set_checkpoint(&mut conn, "notifications", before_move)
            .await
            .expect("checkpoint back");
        drop(conn);
        // The subscriber meets the moved checkpoint on its next batch.
        person(&server, "late@example.org", "en", "late").await;
        settled(&server).await;
        assert_eq!(count(changed).await, 5, "{label}: nobody told twice");
        assert_eq!(
            count(mails).await,
            mails_before,
            "{label}: no mail queued twice"
        );
        assert_eq!(stored_attendance(&server, &event).await, written, "{label}");
    }
}

/// The ids of the default reminders (a day and two hours before) of `recipients` at `event`
/// starting at `begins_at`, sorted.
fn default_ids(event: &str, recipients: &[String], begins_at: i64) -> Vec<String> {
    let mut ids: Vec<String> = recipients
        .iter()
        .flat_map(|r| {
            reminders::DEFAULT_MINUTES.map(|m| reminders::reminder_id(event, r, m, begins_at))
        })
        .collect();
    ids.sort();
    ids
}

/// Moves the notifications subscriber's checkpoint back to `position` and lets it write again
/// what follows, as after a crash before the checkpoint moved.
async fn replay_from(server: &TestServer, position: i64) {
    let mut conn = server.db.pool().acquire().await.expect("connection");
    convene_projections::subscriber::set_checkpoint(&mut conn, "notifications", position)
        .await
        .expect("checkpoint back");
    drop(conn);
    // The subscriber meets the moved checkpoint on its next batch.
    let who = format!("replay{position}");
    person(server, &format!("{who}@example.org"), "en", &who).await;
    settled(server).await;
}

#[tokio::test]
async fn a_join_or_a_leave_reads_and_writes_only_its_row_and_a_move_reschedules_everyone() {
    for scratch in test_urls("notifications_reminders_touched").await {
        let (server, _new_mail) = server(&scratch).await;
        let label = server.label;
        let org = person(&server, "org@example.org", "en", "org").await;
        let event = create_event(
            &org,
            json!({"begins_at": "2031-05-10T10:00:00Z", "ends_at": "2031-05-10T12:00:00Z",
                   "time_zone": "Europe/Paris"}),
        )
        .await;
        let event = event["id"].as_str().unwrap_or_default().to_string();
        let begins = unix("2031-05-10T10:00:00Z");
        let mut people = Vec::new();
        for i in 0..6 {
            let who = person(
                &server,
                &format!("p{i}@example.org"),
                "en",
                &format!("p{i}"),
            )
            .await;
            join(&who, &event).await;
            people.push(who);
        }
        settled(&server).await;
        assert_eq!(
            stored_attendance(&server, &event).await.0.len(),
            7,
            "{label}"
        );

        // Behind the subscriber's back, p0's row says another start: only a planning that
        // reads p0's row would put it right.
        sqlx::query(
            "UPDATE reminder_attendance SET begins_at = 1 WHERE event_id = $1 AND recipient = '@p0'",
        )
        .bind(&event)
        .execute(server.db.pool())
        .await
        .expect("altered");
        let (rows, ids) = stored_attendance(&server, &event).await;
        let before_join = server.head().await;

        // A newcomer joins: their row and their two reminders are added, nobody else's read.
        let newcomer = person(&server, "new@example.org", "en", "new").await;
        join(&newcomer, &event).await;
        settled(&server).await;
        let new_account = account_of(&server, "new@example.org").await;
        let mut expected_rows = rows.clone();
        expected_rows.push(("@new".into(), new_account, begins));
        expected_rows.sort();
        let mut expected_ids = ids.clone();
        expected_ids.extend(default_ids(&event, &["@new".into()], begins));
        expected_ids.sort();
        let joined = stored_attendance(&server, &event).await;
        assert_eq!(
            joined,
            (expected_rows.clone(), expected_ids.clone()),
            "{label}"
        );

        // p1 leaves: their row and reminders go, p0's row is still not read.
        let left = people[1]
            .delete(&format!("/api/v1/events/{event}/participations/mine"))
            .await;
        assert!(left.status < 300, "{label}: {}", left.text);
        settled(&server).await;
        expected_rows.retain(|(recipient, _, _)| recipient != "@p1");
        let p1_ids = default_ids(&event, &["@p1".into()], begins);
        expected_ids.retain(|id| !p1_ids.contains(id));
        let after_leave = stored_attendance(&server, &event).await;
        assert_eq!(after_leave, (expected_rows, expected_ids), "{label}");

        // The join and the leave written again: the same rows.
        replay_from(&server, before_join).await;
        assert_eq!(
            stored_attendance(&server, &event).await,
            after_leave,
            "{label}"
        );

        // The event moves: every row is compared, p0's put right, everyone's reminders moved.
        let moved = org
            .patch(
                &format!("/api/v1/events/{event}"),
                json!({"begins_at": "2031-05-11T10:00:00Z", "ends_at": "2031-05-11T12:00:00Z"}),
            )
            .await;
        assert_eq!(moved.status, 200, "{label}: {}", moved.text);
        settled(&server).await;
        let moved_to = unix("2031-05-11T10:00:00Z");
        let (rows, ids) = stored_attendance(&server, &event).await;
        let recipients: Vec<String> = rows.iter().map(|(r, _, _)| r.clone()).collect();
        assert_eq!(
            recipients,
            ["@new", "@org", "@p0", "@p2", "@p3", "@p4", "@p5"],
            "{label}"
        );
        assert!(
            rows.iter().all(|(_, _, at)| *at == moved_to),
            "{label}: {rows:?}"
        );
        assert_eq!(ids, default_ids(&event, &recipients, moved_to), "{label}");

        // The whole log written again: the same rows.
        let moved = stored_attendance(&server, &event).await;
        replay_from(&server, 0).await;
        assert_eq!(stored_attendance(&server, &event).await, moved, "{label}");
    }
}
