//! `convene notifications pending|failed`: for administrators, what the notifications' outbox
//! and reminders hold — each mail waiting (its attempts, its last refusal) or given up (its
//! reason), each reminder waiting for its time. One line each, tab-separated, soonest first.

use crate::config::{NotificationsCommand, Settings};
use convene_notifications::reminders::{self, Reminder};
use convene_notifications::store::{self, OutboxMail};
use convene_projections::Database;
use sqlx::AnyPool;
use std::process::ExitCode;

pub async fn run(settings: &Settings, command: NotificationsCommand) -> anyhow::Result<ExitCode> {
    let db = Database::open_within(&settings.database_url, settings.database_timeout).await?;
    for line in lines(db.pool(), &command).await? {
        println!("{line}");
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// What the command prints: a summary, then one line per mail or reminder.
async fn lines(pool: &AnyPool, command: &NotificationsCommand) -> anyhow::Result<Vec<String>> {
    Ok(match command {
        NotificationsCommand::Pending { limit } => {
            let mails = store::outbox(pool, "pending", *limit).await?;
            let waiting = reminders::list(pool, Some("pending"), *limit).await?;
            let mut lines = vec![format!(
                "{} pending, {} reminders waiting for their time",
                plural(mails.len(), "mail"),
                waiting.len()
            )];
            lines.extend(mails.iter().map(mail_line));
            lines.extend(waiting.iter().map(reminder_line));
            lines
        }
        NotificationsCommand::Failed { limit } => {
            let mails = store::outbox(pool, "failed", *limit).await?;
            let mut lines = vec![format!("{} failed", plural(mails.len(), "mail"))];
            lines.extend(mails.iter().map(mail_line));
            lines
        }
    })
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn at(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// `mail  <id>  <kind>  <recipient>  attempts <n>  due <time>  <last refusal or reason>`.
fn mail_line(mail: &OutboxMail) -> String {
    let due = if mail.state == "pending" {
        format!("due {}", at(mail.due_at))
    } else {
        mail.state.clone()
    };
    format!(
        "mail\t{}\t{}\t{}\tattempts {}\t{}\t{}",
        mail.id,
        mail.kind,
        mail.recipient,
        mail.attempts,
        due,
        mail.last_error.as_deref().unwrap_or("-")
    )
}

/// `reminder  <id>  <recipient>  event <id>  <1d> before  due <time>`.
fn reminder_line(reminder: &Reminder) -> String {
    format!(
        "reminder\t{}\t{}\tevent {}\t{} before\tdue {}",
        reminder.id,
        reminder.recipient,
        reminder.event_id,
        reminders::format_minutes(reminder.minutes_before),
        at(reminder.due_at)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use convene_projections::scratch::Scratch;

    async fn row(pool: &AnyPool, sql: &str) {
        sqlx::query(sql).execute(pool).await.expect(sql);
    }

    /// A mail waiting after a refusal, one given up, one sent (listed by neither) and a
    /// reminder waiting: each command lists its own, with the reasons.
    #[tokio::test]
    async fn pending_and_failed_list_each_mail_and_reminder_with_its_reason() {
        let scratch = Scratch::sqlite().expect("a temporary folder");
        let db = Database::open(&scratch.url).await.expect("database");
        let pool = db.pool();
        for (id, recipient, state, error) in [
            ("m1", "@ana", "pending", "'421 try later'"),
            ("m2", "mailto:x@example.org", "failed", "'550 no such user'"),
            ("m3", "@bob", "sent", "NULL"),
        ] {
            row(pool, &format!(
                "INSERT INTO notifications (id, position, kind, recipient, account_id, event_id, facts, delivery, created_at) \
                 VALUES ('{id}', 1, 'event_changed', '{recipient}', NULL, 'e1', '{{}}', 'mail', '2030-01-01T00:00:00Z')"
            ))
            .await;
            row(
                pool,
                &format!(
                    "INSERT INTO notification_mails (id, state, attempts, due_at, last_error) \
                 VALUES ('{id}', '{state}', 2, 1900000000, {error})"
                ),
            )
            .await;
        }
        row(pool,
            "INSERT INTO reminders (id, event_id, recipient, account_id, minutes_before, begins_at, due_at, state, late) \
             VALUES ('r1', 'e1', '@ana', 'a1', 120, 1900007200, 1900000000, 'pending', 0)",
        )
        .await;
        let pending = lines(pool, &NotificationsCommand::Pending { limit: 10 })
            .await
            .expect("pending");
        assert_eq!(
            pending,
            [
                "1 mail pending, 1 reminders waiting for their time",
                "mail\tm1\tevent_changed\t@ana\tattempts 2\tdue 2030-03-17T17:46:40Z\t421 try later",
                "reminder\tr1\t@ana\tevent e1\t2h before\tdue 2030-03-17T17:46:40Z",
            ]
        );
        let failed = lines(pool, &NotificationsCommand::Failed { limit: 10 })
            .await
            .expect("failed");
        assert_eq!(
            failed,
            [
                "1 mail failed",
                "mail\tm2\tevent_changed\tmailto:x@example.org\tattempts 2\tfailed\t550 no such user",
            ]
        );
        db.close().await;
    }
}
