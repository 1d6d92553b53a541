//! The notifications' tables: the notifications themselves (the inbox), the mail outbox, and
//! each account's settings. SQL that reads the same on SQLite and PostgreSQL, except where
//! PostgreSQL's `FOR UPDATE SKIP LOCKED` keeps two senders off one mail.

use crate::kinds::{Delivery, Kind};
use crate::subscriber::Derived;
use convene_domain::{Profile, ProfileChange};
use convene_projections::account_mails::{self, AccountMailRow};
use convene_projections::Error;
use cqrs_es::Aggregate;
use sqlx::{AnyConnection, AnyPool, Row};

/// The account owning `username`, as its creation recorded it in the log (not a read model,
/// which may lag behind this subscriber).
pub async fn owner(pool: &AnyPool, username: &str) -> Result<Option<String>, Error> {
    let row = sqlx::query(
        "SELECT position, CAST(payload AS TEXT) AS payload FROM event_log \
         WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = 1",
    )
    .bind(Profile::TYPE)
    .bind(username)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let payload: String = row.try_get("payload")?;
    match serde_json::from_str(&payload) {
        Ok(ProfileChange::Created { account, .. }) => Ok(account),
        Ok(_) => Ok(None),
        Err(e) => Err(Error::Unreadable {
            position: row.try_get("position")?,
            reason: e.to_string(),
        }),
    }
}

/// How `account` wants `kind` delivered (a kind nobody chooses the delivery of comes as its
/// default).
pub async fn setting(pool: &AnyPool, account: &str, kind: Kind) -> Result<Delivery, Error> {
    if !kind.chosen_by_person() {
        return Ok(kind.default_delivery());
    }
    let chosen: Option<String> = sqlx::query_scalar(
        "SELECT delivery FROM notification_settings WHERE account_id = $1 AND kind = $2",
    )
    .bind(account)
    .bind(kind.as_str())
    .fetch_optional(pool)
    .await?;
    Ok(chosen
        .as_deref()
        .and_then(Delivery::parse)
        .unwrap_or(kind.default_delivery()))
}

/// Every kind a person chooses the delivery of, with how `account` wants it delivered.
pub async fn settings(pool: &AnyPool, account: &str) -> Result<Vec<(Kind, Delivery)>, Error> {
    let mut all = Vec::new();
    for kind in Kind::chosen() {
        all.push((kind, setting(pool, account, kind).await?));
    }
    Ok(all)
}

pub async fn set_setting(
    conn: &mut AnyConnection,
    account: &str,
    kind: Kind,
    delivery: Delivery,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO notification_settings (account_id, kind, delivery) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id, kind) DO UPDATE SET delivery = excluded.delivery",
    )
    .bind(account)
    .bind(kind.as_str())
    .bind(delivery.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores `n` unless it is already there; true when it was new and a mail was queued for it.
pub async fn insert(conn: &mut AnyConnection, n: &Derived) -> Result<bool, Error> {
    Ok(insert_all(conn, &[n], false).await? == 1)
}

/// Rows written by one multi-row statement, at most: at 11 values each (the widest rows) this
/// stays under SQLite's limit on a statement's variables (999 in old builds).
pub const ROWS_PER_STATEMENT: usize = 90;

/// `rows` groups of `width` placeholders, `($1, $2, …), (…)`, each group followed by `extra`
/// (such as `, 'pending', 0`).
pub fn values(rows: usize, width: usize, extra: &str) -> String {
    (0..rows)
        .map(|row| {
            let one = (1..=width)
                .map(|column| format!("${}", row * width + column))
                .collect::<Vec<_>>()
                .join(", ");
            format!("({one}{extra})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$first, …` for `count` values.
pub fn list(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Stores each of `all` unless it is already there, a statement per [`ROWS_PER_STATEMENT`]
/// (never a read per row). With `past`, each is stored as delivered before: read when its change
/// was recorded, listed by no digest ([`PAST`]) and given no mail — for a notification derived
/// again for a change at or before [`delivered_up_to`] (a kind added since, or rows lost), whose
/// change the people concerned heard of then, or never will now. Returns how many mails were
/// queued.
pub async fn insert_all(
    conn: &mut AnyConnection,
    all: &[&Derived],
    past: bool,
) -> Result<usize, Error> {
    let mut mails = 0;
    for some in all.chunks(ROWS_PER_STATEMENT) {
        let mut facts = Vec::with_capacity(some.len());
        for n in some {
            facts.push(
                serde_json::to_string(&n.notice.facts).map_err(|e| Error::Unreadable {
                    position: n.position,
                    reason: e.to_string(),
                })?,
            );
        }
        let sql = if past {
            format!(
                "INSERT INTO notifications \
                 (id, position, kind, recipient, account_id, event_id, facts, delivery, created_at, \
                  read_at, digest_id) VALUES {} ON CONFLICT (id) DO NOTHING RETURNING id",
                values(some.len(), 11, "")
            )
        } else {
            format!(
                "INSERT INTO notifications \
                 (id, position, kind, recipient, account_id, event_id, facts, delivery, created_at) \
                 VALUES {} ON CONFLICT (id) DO NOTHING RETURNING id",
                values(some.len(), 9, "")
            )
        };
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for (n, facts) in some.iter().zip(facts) {
            query = query
                .bind(&n.id)
                .bind(n.position)
                .bind(n.notice.kind.as_str())
                .bind(n.notice.recipient.key())
                .bind(n.account.as_deref())
                .bind(&n.event_id)
                .bind(facts)
                .bind(n.delivery.as_str())
                .bind(&n.created_at);
            if past {
                query = query.bind(&n.created_at).bind(PAST);
            }
        }
        let inserted: std::collections::HashSet<String> =
            query.fetch_all(&mut *conn).await?.into_iter().collect();
        if past || inserted.is_empty() {
            continue;
        }
        let mut digesting: Vec<&str> = Vec::new();
        let mut mailed: Vec<&str> = Vec::new();
        for n in some.iter().filter(|n| inserted.contains(&n.id)) {
            match (n.delivery, &n.account) {
                (Delivery::Digest, Some(account)) if !digesting.contains(&account.as_str()) => {
                    digesting.push(account);
                }
                (Delivery::Mail, _) if !mailed.contains(&n.id.as_str()) => mailed.push(&n.id),
                _ => {}
            }
        }
        for account in digesting {
            crate::digest::ensure_time(conn, account, now()).await?;
        }
        if !mailed.is_empty() {
            // Every mail is due now: one value, bound after the ids.
            let due = format!(", 'pending', 0, ${}", mailed.len() + 1);
            let sql = format!(
                "INSERT INTO notification_mails (id, state, attempts, due_at) VALUES {} \
                 ON CONFLICT (id) DO NOTHING",
                values(mailed.len(), 1, &due)
            );
            let mut query = sqlx::query(&sql);
            for id in &mailed {
                query = query.bind(*id);
            }
            query.bind(now()).execute(&mut *conn).await?;
            mails += mailed.len();
        }
    }
    Ok(mails)
}

/// The digest id of the notifications stored as delivered before ([`insert_all`] with `past`):
/// no digest has it, so none lists them.
pub const PAST: &str = "past";

/// The highest log position whose notifications a running subscriber has delivered (migration
/// 0048); a replay does not move it back.
pub async fn delivered_up_to(pool: &AnyPool) -> Result<i64, Error> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT position FROM notification_delivered WHERE name = $1")
            .bind(crate::SUBSCRIBER)
            .fetch_optional(pool)
            .await?
            .unwrap_or(0),
    )
}

/// Notes that the notifications of every change up to `position` are delivered (never moving
/// the mark back).
pub async fn note_delivered(conn: &mut AnyConnection, position: i64) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO notification_delivered (name, position) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position \
         WHERE notification_delivered.position < excluded.position",
    )
    .bind(crate::SUBSCRIBER)
    .bind(position)
    .execute(conn)
    .await?;
    Ok(())
}

/// Puts mail `id` (a notification's or a digest's) in the outbox, due now.
pub async fn queue_mail(conn: &mut AnyConnection, id: &str) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO notification_mails (id, state, attempts, due_at) VALUES ($1, 'pending', 0, $2) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A stored notification, as the inbox and the sender read it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: String,
    pub kind: Kind,
    pub recipient: String,
    pub account_id: Option<String>,
    pub event_id: String,
    pub facts: crate::mapping::Facts,
    pub created_at: String,
    pub read_at: Option<String>,
}

const COLUMNS: &str =
    "n.id, n.kind, n.recipient, n.account_id, n.event_id, n.facts, n.created_at, n.read_at";

fn stored(row: &sqlx::any::AnyRow) -> Result<Stored, Error> {
    let kind: String = row.try_get("kind")?;
    let facts: String = row.try_get("facts")?;
    let unreadable = |reason: String| Error::Unreadable {
        position: 0,
        reason,
    };
    Ok(Stored {
        id: row.try_get("id")?,
        kind: Kind::parse(&kind).ok_or_else(|| unreadable(format!("unknown kind {kind}")))?,
        recipient: row.try_get("recipient")?,
        account_id: row.try_get("account_id")?,
        event_id: row.try_get("event_id")?,
        facts: serde_json::from_str(&facts).map_err(|e| unreadable(e.to_string()))?,
        created_at: row.try_get("created_at")?,
        read_at: row.try_get("read_at")?,
    })
}

/// The account's notifications (those it did not turn off), newest first: by when they were
/// made (a reminder is made when it is sent, after the change that scheduled it), then by
/// position.
pub async fn inbox(
    pool: &AnyPool,
    account: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<Stored>, Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notifications n WHERE n.account_id = $1 AND n.delivery <> 'off' \
         ORDER BY n.created_at DESC, n.position DESC, n.id LIMIT $2 OFFSET $3"
    ))
    .bind(account)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    rows.iter().map(stored).collect()
}

pub async fn unread(pool: &AnyPool, account: &str) -> Result<i64, Error> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications \
         WHERE account_id = $1 AND delivery <> 'off' AND read_at IS NULL",
    )
    .bind(account)
    .fetch_one(pool)
    .await?)
}

/// Marks one of the account's notifications read; false when it has none with that id.
pub async fn mark_read(pool: &AnyPool, account: &str, id: &str, at: &str) -> Result<bool, Error> {
    let found = sqlx::query_scalar::<_, String>(
        "SELECT id FROM notifications WHERE id = $1 AND account_id = $2 AND delivery <> 'off'",
    )
    .bind(id)
    .bind(account)
    .fetch_optional(pool)
    .await?
    .is_some();
    if found {
        sqlx::query(
            "UPDATE notifications SET read_at = $1 \
             WHERE id = $2 AND account_id = $3 AND read_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .bind(account)
        .execute(pool)
        .await?;
    }
    Ok(found)
}

pub async fn mark_all_read(pool: &AnyPool, account: &str, at: &str) -> Result<u64, Error> {
    Ok(sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE account_id = $2 AND read_at IS NULL",
    )
    .bind(at)
    .bind(account)
    .execute(pool)
    .await?
    .rows_affected())
}

/// A mail to send: what it tells of, and how many times it was tried (this claim included).
#[derive(Debug, Clone)]
pub struct Due {
    pub id: String,
    pub attempts: i64,
    pub mail: Mail,
}

/// What a mail of the outbox tells of.
#[derive(Debug, Clone)]
pub enum Mail {
    /// One notification.
    Notification(Box<Stored>),
    /// An account's daily digest: the notifications it lists, oldest first.
    Digest {
        account_id: String,
        items: Vec<Stored>,
    },
    /// A mail about an account itself (confirming an address, a password reset…).
    Account(AccountMailRow),
}

/// Claims up to `limit` due mails for `lease` seconds: each claim counts an attempt and moves
/// the mail's due time past the lease, so a sender that dies mid-send gives them back then.
/// On PostgreSQL rows another sender is claiming are skipped, never waited for or taken twice.
pub async fn claim_due(
    pool: &AnyPool,
    postgres: bool,
    limit: i64,
    lease: i64,
) -> Result<Vec<Due>, Error> {
    let now = now();
    let lock = if postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let ids: Vec<(String, i64)> = sqlx::query_as(&format!(
        "UPDATE notification_mails SET due_at = $1, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM notification_mails \
                      WHERE state = 'pending' AND due_at <= $2 ORDER BY due_at, id LIMIT $3{lock}) \
         RETURNING id, attempts"
    ))
    .bind(now + lease)
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let mut due = Vec::with_capacity(ids.len());
    for (id, attempts) in ids {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications n WHERE n.id = $1"
        ))
        .bind(&id)
        .fetch_optional(pool)
        .await?;
        let mail = match row {
            Some(row) => Mail::Notification(Box::new(stored(&row)?)),
            None => {
                if let Some(mail) = account_mails::find(pool, &id).await? {
                    due.push(Due {
                        id,
                        attempts,
                        mail: Mail::Account(mail),
                    });
                    continue;
                }
                let account_id: String =
                    sqlx::query_scalar("SELECT account_id FROM notification_digests WHERE id = $1")
                        .bind(&id)
                        .fetch_one(pool)
                        .await?;
                let items = sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM notifications n WHERE n.digest_id = $1 \
                     ORDER BY n.created_at, n.position, n.id"
                ))
                .bind(&id)
                .fetch_all(pool)
                .await?
                .iter()
                .map(stored)
                .collect::<Result<_, _>>()?;
                Mail::Digest { account_id, items }
            }
        };
        due.push(Due { id, attempts, mail });
    }
    Ok(due)
}

pub async fn mark_sent(pool: &AnyPool, id: &str) -> Result<(), Error> {
    sqlx::query(
        "UPDATE notification_mails SET state = 'sent', sent_at = $1, last_error = NULL WHERE id = $2",
    )
    .bind(convene_domain::metadata::format_timestamp(
        time::OffsetDateTime::now_utc(),
    ))
    .bind(id)
    .execute(pool)
    .await?;
    account_mails::forget_values(pool, id).await
}

/// A refusal that may pass: tried again at `due_at` (the same for every mail of the outbox).
pub use account_mails::retry_at;

/// Given up: kept with the reason, for administrators.
pub async fn mark_failed(pool: &AnyPool, id: &str, error: &str) -> Result<(), Error> {
    sqlx::query("UPDATE notification_mails SET state = 'failed', last_error = $1 WHERE id = $2")
        .bind(error)
        .bind(id)
        .execute(pool)
        .await?;
    account_mails::forget_values(pool, id).await
}

/// A mail of the outbox, as administrators see it.
#[derive(Debug, Clone)]
pub struct OutboxMail {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub state: String,
    pub attempts: i64,
    pub due_at: i64,
    pub last_error: Option<String>,
}

/// The mails in `state` (pending, sent, failed), oldest first.
pub async fn outbox(pool: &AnyPool, state: &str, limit: i64) -> Result<Vec<OutboxMail>, Error> {
    let rows = sqlx::query(
        "SELECT m.id, COALESCE(n.kind, 'account:' || a.mail, 'digest') AS kind, \
                COALESCE(n.recipient, 'mailto:' || a.recipient, 'account ' || d.account_id, '?') \
                  AS recipient, \
                m.state, m.attempts, m.due_at, m.last_error \
         FROM notification_mails m LEFT JOIN notifications n ON n.id = m.id \
         LEFT JOIN notification_digests d ON d.id = m.id \
         LEFT JOIN account_mails a ON a.id = m.id \
         WHERE m.state = $1 ORDER BY m.due_at, m.id LIMIT $2",
    )
    .bind(state)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(OutboxMail {
                id: row.try_get("id")?,
                kind: row.try_get("kind")?,
                recipient: row.try_get("recipient")?,
                state: row.try_get("state")?,
                attempts: row.try_get("attempts")?,
                due_at: row.try_get("due_at")?,
                last_error: row.try_get("last_error")?,
            })
        })
        .collect()
}

/// How many mails are in each state.
pub async fn outbox_counts(pool: &AnyPool) -> Result<Vec<(String, i64)>, Error> {
    Ok(sqlx::query_as(
        "SELECT state, COUNT(*) FROM notification_mails GROUP BY state ORDER BY state",
    )
    .fetch_all(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_every_value_once() {
        assert_eq!(values(2, 3, ""), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(
            values(2, 1, ", 'pending'"),
            "($1, 'pending'), ($2, 'pending')"
        );
        assert_eq!(list(2, 3), "$2, $3, $4");
        // The widest statement stays under SQLite's oldest limit of 999 variables.
        let widest = values(ROWS_PER_STATEMENT, 11, "");
        assert!(widest.contains("$990)") && !widest.contains("$991"));
    }
}
