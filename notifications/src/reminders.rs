//! Reminders before the events people take part in.
//!
//! The notifications subscriber keeps, for every event it sees change, who takes part in it as
//! of the log's head (`reminder_attendance`: local profiles holding a seat or an organiser's
//! role; the waitlist and anonymous participants are left out), what the reminders will say of
//! the event (`reminder_events`, once per event, so a title edit rewrites one row) and the
//! reminders they are owed (`reminders`): one per chosen duration before the start, due that many seconds before the
//! instant the event begins in UTC — a day before is 24 hours before, whatever the event's time
//! zone and its clock changes. A reminder's id is derived from (event, recipient, duration,
//! start), so a replay derives the same rows, and an event moved gets new ones while the old
//! pending ones go. Someone who leaves, or an event cancelled or deleted, leaves nobody to
//! remind. Changing one's choice of durations reschedules one's reminders at once.
//! A join or a leave reads and writes only the rows of the person it concerns, however many take
//! part ([`touched_by`]); only what may alter everyone's (a new start, a cancellation, an edit)
//! compares every row.
//!
//! The [`Scheduler`] reads due reminders from the database (never from timers in memory, so a
//! restart loses nothing) and turns each, once, into a notification of kind
//! [`Kind::Reminder`]: the inbox entry, and a mail in the outbox when the person gets reminders
//! by mail. A reminder is claimed by the same update that marks it sent, in the transaction
//! that stores its notification, with `FOR UPDATE SKIP LOCKED` on PostgreSQL: two schedulers
//! never send one twice. One found long after its time (the server was stopped) is sent marked
//! late, unless the event has begun, when it is skipped.

use crate::kinds::{Delivery, Kind};
use crate::mapping::{self, Facts, Notice, Recipient};
use crate::store;
use crate::subscriber::Derived;
use convene_domain::event::details::EventStatus;
use convene_domain::event::{EventChange, Participant, ParticipantState, Participation};
use convene_domain::metadata::format_timestamp;
use convene_domain::{Event, FieldError};
use convene_projections::{Backend, Database, Error};
use sqlx::{AnyConnection, AnyPool, Row};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// When reminders come unless the person chose otherwise: a day and two hours before.
pub const DEFAULT_MINUTES: [i64; 2] = [24 * 60, 2 * 60];
/// The most reminders one may ask for per event.
pub const MAX_REMINDERS: usize = 5;
/// The longest time before an event a reminder may come.
pub const MAX_MINUTES: i64 = 30 * 24 * 60;
/// A reminder sent more than this after its time is marked late.
pub const LATE_AFTER_SECONDS: i64 = 5 * 60;
/// How often `serve`'s scheduler looks for due reminders.
pub const POLL: Duration = Duration::from_secs(30);
/// Reminders claimed per round.
const PER_ROUND: i64 = 100;

/// `minutes` as one writes it: `1d`, `2h`, `90m`.
pub fn format_minutes(minutes: i64) -> String {
    if minutes % (24 * 60) == 0 {
        format!("{}d", minutes / (24 * 60))
    } else if minutes % 60 == 0 {
        format!("{}h", minutes / 60)
    } else {
        format!("{minutes}m")
    }
}

/// The durations `items` names (`1d`, `2h`, `30m`; several in one item may be separated by
/// commas or spaces), longest first, each once. Every mistake is reported on `field`.
pub fn parse_minutes(field: &str, items: &[String]) -> Result<Vec<i64>, Vec<FieldError>> {
    let mut chosen = BTreeSet::new();
    let mut errors = Vec::new();
    let words = items
        .iter()
        .flat_map(|item| item.split(|c: char| c == ',' || c.is_whitespace()))
        .map(str::trim)
        .filter(|w| !w.is_empty());
    for word in words {
        match one_duration(word) {
            Some(minutes) if (1..=MAX_MINUTES).contains(&minutes) => {
                chosen.insert(minutes);
            }
            Some(_) => errors.push(FieldError {
                field: field.to_string(),
                message: format!(
                    "“{word}”: a reminder comes between 1 minute and {} before the event",
                    format_minutes(MAX_MINUTES)
                ),
            }),
            None => errors.push(FieldError {
                field: field.to_string(),
                message: format!(
                    "“{word}” is not a time before the event: a whole number followed by m, h or d (such as 2h or 1d)"
                ),
            }),
        }
    }
    if errors.is_empty() && chosen.len() > MAX_REMINDERS {
        errors.push(FieldError {
            field: field.to_string(),
            message: format!("at most {MAX_REMINDERS} reminders per event"),
        });
    }
    if errors.is_empty() {
        Ok(chosen.into_iter().rev().collect())
    } else {
        Err(errors)
    }
}

fn one_duration(word: &str) -> Option<i64> {
    let unit = word.chars().last()?;
    let number: i64 = word[..word.len() - unit.len_utf8()].parse().ok()?;
    let per = match unit.to_ascii_lowercase() {
        'm' => 1,
        'h' => 60,
        'd' => 24 * 60,
        _ => return None,
    };
    number.checked_mul(per)
}

/// How long before its events `account` wants reminders, longest first.
pub async fn minutes_of(conn: &mut AnyConnection, account: &str) -> Result<Vec<i64>, Error> {
    let mut chosen = minutes_of_all(conn, &[account]).await?;
    Ok(chosen.remove(account).unwrap_or_default())
}

/// Stores `account`'s choice and reschedules its reminders, as of `now` (Unix seconds).
pub async fn set_minutes(
    conn: &mut AnyConnection,
    account: &str,
    minutes: &[i64],
    now: i64,
) -> Result<(), Error> {
    let text = minutes
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    sqlx::query(
        "INSERT INTO reminder_offsets (account_id, minutes) VALUES ($1, $2) \
         ON CONFLICT (account_id) DO UPDATE SET minutes = excluded.minutes",
    )
    .bind(account)
    .bind(text)
    .execute(&mut *conn)
    .await?;
    let rows = sqlx::query(
        "SELECT event_id, recipient, account_id, begins_at FROM reminder_attendance \
         WHERE account_id = $1",
    )
    .bind(account)
    .fetch_all(&mut *conn)
    .await?;
    let mut wanted = Vec::new();
    for row in rows {
        let begins_at: i64 = row.try_get("begins_at")?;
        for m in minutes {
            wanted.push(Owed {
                event_id: row.try_get("event_id")?,
                recipient: row.try_get("recipient")?,
                account_id: account.to_string(),
                minutes_before: *m,
                begins_at,
            });
        }
    }
    let pending: Vec<String> =
        sqlx::query_scalar("SELECT id FROM reminders WHERE account_id = $1 AND state = 'pending'")
            .bind(account)
            .fetch_all(&mut *conn)
            .await?;
    reconcile(conn, &pending, &wanted, now).await
}

/// Someone to remind of an event.
#[derive(Debug, Clone)]
pub struct Attending {
    pub username: String,
    pub account_id: String,
}

/// What the subscriber keeps of an event: what its reminders will say of it and those to remind,
/// as of the log's head, and when the last change of the event was recorded (a reminder whose
/// time had passed by then is not owed).
#[derive(Debug, Clone)]
pub struct Schedule {
    pub event_id: String,
    /// Unix seconds, UTC.
    pub begins_at: i64,
    /// The event as its reminders tell it (no recipient's profile in it); `None` when nobody is
    /// to be reminded of it.
    pub facts: Option<Facts>,
    pub attending: Vec<Attending>,
    pub decided_at: i64,
    /// The profiles whose part in the event the changes since it was last planned may have
    /// altered, when those changes could alter nobody else's ([`touched_by`]); `None` when they
    /// could alter everyone's (a new start, a cancellation…).
    pub touched: Option<BTreeSet<String>>,
    /// `attending` lists only the profiles in `touched` (the others' rows, already stored,
    /// stay as they are): a join to a crowded event does not list its thousands of attendees.
    /// Set only when the event's reminders were planned before ([`planned`]).
    pub touched_only: bool,
}

/// Whether `event_id`'s reminders were planned before (what they say of it is stored).
pub async fn planned(pool: &AnyPool, event_id: &str) -> Result<bool, Error> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT 1 FROM reminder_events WHERE event_id = $1")
            .bind(event_id)
            .fetch_optional(pool)
            .await?
            .is_some(),
    )
}

/// The local profiles whose reminders `change` may alter, `before` being the event just before
/// it: a participation's own profile (joining, leaving, approved, promoted, a new role), nobody
/// for what reminders ignore (comments, a picture); `None` when it may alter everyone's (the
/// event created, edited — perhaps its start —, published, cancelled, deleted or moderated).
pub fn touched_by(before: &Event, change: &EventChange) -> Option<Vec<String>> {
    use EventChange as C;
    let profile = |who: &Participant| match who {
        Participant::Profile(username) => vec![username.clone()],
        Participant::Anonymous { .. } | Participant::Remote(_) => Vec::new(),
    };
    match change {
        C::Joined { who, .. } => Some(profile(who)),
        C::Confirmed { participation, .. }
        | C::Approved { participation, .. }
        | C::Left { participation }
        | C::Rejected { participation }
        | C::Promoted { participation }
        | C::RoleChanged { participation, .. } => Some(
            before
                .participation(participation)
                .map(|p| profile(&p.who))
                .unwrap_or_default(),
        ),
        C::CommentPosted { .. }
        | C::CommentEdited { .. }
        | C::RemoteCommentPosted { .. }
        | C::CommentDeleted { .. }
        | C::RemoteActorDescribed { .. }
        | C::PictureSet { .. }
        | C::PictureRemoved
        | C::OrganisedByGroup { .. }
        | C::GroupOptionsChanged { .. } => Some(Vec::new()),
        // An edit keeping the start (a title, a place) moves nobody's reminders: their text
        // about the event is kept once for it.
        C::Updated { details, .. }
            if before
                .details()
                .is_some_and(|was| was.begins_at == details.begins_at) =>
        {
            Some(Vec::new())
        }
        C::Created { .. }
        | C::Imported { .. }
        | C::Updated { .. }
        | C::Published
        | C::Cancelled
        | C::Deleted
        | C::Moderated { .. } => None,
    }
}

/// Adds what one change touched ([`touched_by`]) to what earlier ones did.
pub fn note_touched(touched: &mut Option<BTreeSet<String>>, change: Option<Vec<String>>) {
    match (touched.as_mut(), change) {
        (Some(profiles), Some(names)) => profiles.extend(names),
        (_, None) => *touched = None,
        (None, Some(_)) => {}
    }
}

/// What the event's reminders will say of it, and the local profiles taking part in it as it
/// stands (a seat or an organiser's role); `None` when the event is a draft, cancelled, deleted
/// or removed by moderators. Those on the waitlist have no seat to be reminded of; they are once
/// promoted.
///
/// With `only`, the profiles listed are those of it alone.
pub fn taking_part(
    event: &Event,
    draft: bool,
    only: Option<&BTreeSet<String>>,
) -> Option<(Facts, Vec<String>)> {
    let details = event.details()?;
    // Nobody is reminded of what moderators removed.
    if draft || details.status == EventStatus::Cancelled || event.moderation().removed {
        return None;
    }
    let going =
        |p: &&Participation| p.state == ParticipantState::Participant || p.state.is_organiser();
    // Those listed are looked up, not searched for among thousands of participations.
    let usernames = match only {
        Some(only) => only
            .iter()
            .filter(|username| {
                event
                    .participation_of(&Participant::Profile(username.to_string()))
                    .as_ref()
                    .is_some_and(going)
            })
            .cloned()
            .collect(),
        None => event
            .participations()
            .iter()
            .filter(going)
            .filter_map(|p| match &p.who {
                Participant::Profile(username) => Some(username.clone()),
                Participant::Anonymous { .. } | Participant::Remote(_) => None,
            })
            .collect(),
    };
    Some((mapping::event_facts(details), usernames))
}

/// The id of the reminder `minutes_before` the start at `begins_at` of `event_id`, to
/// `recipient` (also the id of the notification it becomes).
pub fn reminder_id(event_id: &str, recipient: &str, minutes_before: i64, begins_at: i64) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!(
        "reminder\n{event_id}\n{recipient}\n{minutes_before}\n{begins_at}"
    ));
    hex::encode(&digest[..16])
}

/// A reminder someone is owed.
struct Owed {
    event_id: String,
    recipient: String,
    account_id: String,
    minutes_before: i64,
    begins_at: i64,
}

impl Owed {
    fn id(&self) -> String {
        reminder_id(
            &self.event_id,
            &self.recipient,
            self.minutes_before,
            self.begins_at,
        )
    }

    fn due_at(&self) -> i64 {
        self.begins_at - self.minutes_before * 60
    }
}

/// A person's row of `reminder_attendance`: account and the event's start (Unix seconds).
pub type AttendanceRow = (String, i64);

/// What bringing one event's reminders to its [`Schedule`] writes: what they say of the event,
/// when that changed, and each person whose row differs (`None`: nobody to remind any more).
/// Only those are written: a join to a crowded event writes one person's rows, a title edit
/// one row, and only a new start rewrites everyone's reminders.
#[derive(Debug)]
pub struct Rescheduling {
    pub event_id: String,
    pub decided_at: i64,
    /// The event's new facts (JSON), or `Some(None)` to forget them; `None` when unchanged.
    facts: Option<Option<String>>,
    pub people: Vec<(String, Option<AttendanceRow>)>,
}

/// Compares `schedule` with what is stored for its event.
///
/// When the event's reminders were planned before and are still owed, and the changes since
/// could alter only some people's part ([`Schedule::touched`]), only their rows are read and
/// compared: every other row holds the start it already held. Otherwise every row is.
pub async fn plan(pool: &AnyPool, schedule: &Schedule) -> Result<Rescheduling, Error> {
    let stored_facts: Option<String> =
        sqlx::query_scalar("SELECT facts FROM reminder_events WHERE event_id = $1")
            .bind(&schedule.event_id)
            .fetch_optional(pool)
            .await?;
    // An event already begun owes nobody anything more.
    let facts = match &schedule.facts {
        Some(told) if schedule.begins_at > schedule.decided_at => {
            Some(serde_json::to_string(told).map_err(|e| Error::Unreadable {
                position: 0,
                reason: e.to_string(),
            })?)
        }
        _ => None,
    };
    let only: Option<HashSet<String>> = match &schedule.touched {
        Some(touched) if (schedule.touched_only || stored_facts.is_some()) && facts.is_some() => {
            Some(
                touched
                    .iter()
                    .map(|username| Recipient::Profile(username.clone()).key())
                    .collect(),
            )
        }
        _ => None,
    };
    let mut now: HashMap<String, AttendanceRow> = HashMap::new();
    if facts.is_some() {
        for person in &schedule.attending {
            let recipient = Recipient::Profile(person.username.clone()).key();
            if only.as_ref().is_none_or(|only| only.contains(&recipient)) {
                now.insert(recipient, (person.account_id.clone(), schedule.begins_at));
            }
        }
    }
    let stored = match &only {
        Some(recipients) => attendance_of(pool, &schedule.event_id, recipients).await?,
        None => attendance(pool, &schedule.event_id).await?,
    };
    let gone = stored.keys().filter(|r| !now.contains_key(*r));
    let changed = now.iter().filter(|(r, row)| stored.get(*r) != Some(*row));
    let mut people: Vec<(String, Option<AttendanceRow>)> = gone
        .map(|r| (r.clone(), None))
        .chain(changed.map(|(r, row)| (r.clone(), Some(row.clone()))))
        .collect();
    people.sort();
    Ok(Rescheduling {
        event_id: schedule.event_id.clone(),
        decided_at: schedule.decided_at,
        facts: (facts != stored_facts).then_some(facts),
        people,
    })
}

type StoredAttendance = HashMap<String, AttendanceRow>;

/// Every stored row of `event_id`'s attendees, by recipient.
async fn attendance(pool: &AnyPool, event_id: &str) -> Result<StoredAttendance, Error> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT recipient, account_id, begins_at FROM reminder_attendance WHERE event_id = $1",
    )
    .bind(event_id)
    .fetch_all(pool)
    .await?;
    Ok(by_recipient(rows))
}

/// Recipients named in one query, at most.
const RECIPIENTS_PER_QUERY: usize = 100;

/// The stored rows of `recipients` at `event_id` (those who have one).
async fn attendance_of(
    pool: &AnyPool,
    event_id: &str,
    recipients: &HashSet<String>,
) -> Result<StoredAttendance, Error> {
    let recipients: Vec<&String> = recipients.iter().collect();
    let mut found = HashMap::new();
    for some in recipients.chunks(RECIPIENTS_PER_QUERY) {
        let placeholders = (2..some.len() + 2)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT recipient, account_id, begins_at FROM reminder_attendance \
             WHERE event_id = $1 AND recipient IN ({placeholders})"
        );
        let mut query = sqlx::query_as(&sql).bind(event_id);
        for recipient in some {
            query = query.bind(*recipient);
        }
        let rows: Vec<(String, String, i64)> = query.fetch_all(pool).await?;
        found.extend(by_recipient(rows));
    }
    Ok(found)
}

fn by_recipient(rows: Vec<(String, String, i64)>) -> StoredAttendance {
    rows.into_iter()
        .map(|(recipient, account, begins_at)| (recipient, (account, begins_at)))
        .collect()
}

/// Writes what `rescheduling` says of the event itself.
pub async fn write_event(
    conn: &mut AnyConnection,
    rescheduling: &Rescheduling,
) -> Result<(), Error> {
    match &rescheduling.facts {
        None => {}
        Some(None) => {
            sqlx::query("DELETE FROM reminder_events WHERE event_id = $1")
                .bind(&rescheduling.event_id)
                .execute(&mut *conn)
                .await?;
        }
        Some(Some(facts)) => {
            sqlx::query(
                "INSERT INTO reminder_events (event_id, facts) VALUES ($1, $2) \
                 ON CONFLICT (event_id) DO UPDATE SET facts = excluded.facts",
            )
            .bind(&rescheduling.event_id)
            .bind(facts)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Brings `people` of event `event_id` (a slice of a [`Rescheduling`]'s) to their new rows and
/// reminders. Writing them again changes nothing, so a batch cut short is finished by its replay.
/// A few set-based statements per [`store::ROWS_PER_STATEMENT`] people, never one per person.
pub async fn write_people(
    conn: &mut AnyConnection,
    event_id: &str,
    decided_at: i64,
    people: &[(String, Option<AttendanceRow>)],
) -> Result<(), Error> {
    let per = store::ROWS_PER_STATEMENT;
    let recipients: Vec<&str> = people.iter().map(|(r, _)| r.as_str()).collect();
    let mut pending = Vec::new();
    for some in recipients.chunks(per) {
        let sql = format!(
            "DELETE FROM reminder_attendance WHERE event_id = $1 AND recipient IN ({})",
            store::list(2, some.len())
        );
        let mut query = sqlx::query(&sql).bind(event_id);
        for recipient in some {
            query = query.bind(*recipient);
        }
        query.execute(&mut *conn).await?;
        let sql = format!(
            "SELECT id FROM reminders \
             WHERE event_id = $1 AND state = 'pending' AND recipient IN ({})",
            store::list(2, some.len())
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(event_id);
        for recipient in some {
            query = query.bind(*recipient);
        }
        pending.extend(query.fetch_all(&mut *conn).await?);
    }
    let attending: Vec<(&str, &AttendanceRow)> = people
        .iter()
        .filter_map(|(r, row)| row.as_ref().map(|row| (r.as_str(), row)))
        .collect();
    for some in attending.chunks(per) {
        let sql = format!(
            "INSERT INTO reminder_attendance (event_id, recipient, account_id, begins_at) VALUES {}",
            store::values(some.len(), 4, "")
        );
        let mut query = sqlx::query(&sql);
        for (recipient, (account_id, begins_at)) in some {
            query = query
                .bind(event_id)
                .bind(*recipient)
                .bind(account_id)
                .bind(*begins_at);
        }
        query.execute(&mut *conn).await?;
    }
    let mut accounts: Vec<&str> = attending.iter().map(|(_, (a, _))| a.as_str()).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let minutes = minutes_of_all(conn, &accounts).await?;
    let mut wanted = Vec::new();
    for (recipient, (account_id, begins_at)) in attending {
        for minutes_before in &minutes[account_id.as_str()] {
            wanted.push(Owed {
                event_id: event_id.to_string(),
                recipient: recipient.to_string(),
                account_id: account_id.clone(),
                minutes_before: *minutes_before,
                begins_at: *begins_at,
            });
        }
    }
    reconcile(conn, &pending, &wanted, decided_at).await
}

/// How long before their events each of `accounts` wants reminders ([`minutes_of`]), read a
/// statement per [`store::ROWS_PER_STATEMENT`] accounts.
async fn minutes_of_all<'a>(
    conn: &mut AnyConnection,
    accounts: &[&'a str],
) -> Result<HashMap<&'a str, Vec<i64>>, Error> {
    let mut chosen: HashMap<&str, Vec<i64>> = accounts
        .iter()
        .map(|a| (*a, DEFAULT_MINUTES.to_vec()))
        .collect();
    for some in accounts.chunks(store::ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT account_id, minutes FROM reminder_offsets WHERE account_id IN ({})",
            store::list(1, some.len())
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql);
        for account in some {
            query = query.bind(*account);
        }
        for (account, text) in query.fetch_all(&mut *conn).await? {
            if let Some(account) = some.iter().find(|a| **a == account) {
                // Stored as "1440,120"; a part that is no number is left out.
                let minutes = text.split(',').filter_map(|m| m.trim().parse().ok());
                chosen.insert(*account, minutes.collect());
            }
        }
    }
    Ok(chosen)
}

/// Makes `pending` (the pending reminders of one scope: some people at an event, or an
/// account) exactly `wanted`: those no longer owed go; those newly owed are added when their
/// time is still after `decided_at` (someone joining an hour before the event is not told a
/// day before). Sent and skipped ones stay. A statement per [`store::ROWS_PER_STATEMENT`] rows.
async fn reconcile(
    conn: &mut AnyConnection,
    pending: &[String],
    wanted: &[Owed],
    decided_at: i64,
) -> Result<(), Error> {
    let ids: HashSet<String> = wanted.iter().map(Owed::id).collect();
    let gone: Vec<&String> = pending.iter().filter(|id| !ids.contains(*id)).collect();
    for some in gone.chunks(store::ROWS_PER_STATEMENT) {
        let sql = format!(
            "DELETE FROM reminders WHERE state = 'pending' AND id IN ({})",
            store::list(1, some.len())
        );
        let mut query = sqlx::query(&sql);
        for id in some {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    let owed: Vec<&Owed> = wanted.iter().filter(|o| o.due_at() > decided_at).collect();
    for some in owed.chunks(store::ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO reminders \
             (id, event_id, recipient, account_id, minutes_before, begins_at, due_at, state, late) \
             VALUES {} ON CONFLICT (id) DO NOTHING",
            store::values(some.len(), 7, ", 'pending', 0")
        );
        let mut query = sqlx::query(&sql);
        for owed in some {
            query = query
                .bind(owed.id())
                .bind(&owed.event_id)
                .bind(&owed.recipient)
                .bind(&owed.account_id)
                .bind(owed.minutes_before)
                .bind(owed.begins_at)
                .bind(owed.due_at());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A reminder as administrators and tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub id: String,
    pub event_id: String,
    pub recipient: String,
    pub minutes_before: i64,
    /// Unix seconds, UTC.
    pub begins_at: i64,
    pub due_at: i64,
    /// pending, sent or skipped.
    pub state: String,
    pub late: bool,
}

/// The reminders in `state` (all when `None`), soonest first.
pub async fn list(
    pool: &sqlx::AnyPool,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<Reminder>, Error> {
    let rows = sqlx::query(
        "SELECT id, event_id, recipient, minutes_before, begins_at, due_at, state, late \
         FROM reminders WHERE ($1 = '' OR state = $1) ORDER BY due_at, id LIMIT $2",
    )
    .bind(state.unwrap_or_default())
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Reminder {
                id: row.try_get("id")?,
                event_id: row.try_get("event_id")?,
                recipient: row.try_get("recipient")?,
                minutes_before: row.try_get("minutes_before")?,
                begins_at: row.try_get("begins_at")?,
                due_at: row.try_get("due_at")?,
                state: row.try_get("state")?,
                late: row.try_get::<i64, _>("late")? != 0,
            })
        })
        .collect()
}

/// How many reminders wait to be sent.
pub async fn pending_count(pool: &sqlx::AnyPool) -> Result<i64, Error> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM reminders WHERE state = 'pending'")
            .fetch_one(pool)
            .await?,
    )
}

/// What one round of the scheduler did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Fired {
    /// Turned into notifications (late ones included).
    pub sent: usize,
    /// Of those, sent after their time.
    pub late: usize,
    /// Not sent: the event had begun.
    pub skipped: usize,
}

/// Sends due reminders: see the module's documentation.
#[derive(Clone)]
pub struct Scheduler {
    db: Database,
    new_mail: Arc<Notify>,
    poll: Duration,
}

impl Scheduler {
    /// A scheduler waking `new_mail` (the sender) when it queued mail, looking for due
    /// reminders every `poll`.
    pub fn new(db: &Database, new_mail: Arc<Notify>, poll: Duration) -> Self {
        Self {
            db: db.clone(),
            new_mail,
            poll,
        }
    }

    /// Sends due reminders until `shutdown`: at once (those due while the server was stopped),
    /// then every poll interval.
    pub async fn run(self, shutdown: CancellationToken) {
        let what = "reminders: the due reminders could not be read";
        crate::every(self.poll, shutdown, what, || self.fire_due(store::now())).await
    }

    /// Sends every reminder due at `now` (Unix seconds), round after round.
    pub async fn fire_due(&self, now: i64) -> Result<Fired, Error> {
        let mut total = Fired::default();
        loop {
            let (round, claimed) = self.round(now).await?;
            total.sent += round.sent;
            total.late += round.late;
            total.skipped += round.skipped;
            if round.sent > 0 {
                self.new_mail.notify_one();
            }
            if claimed < PER_ROUND {
                return Ok(total);
            }
        }
    }

    /// One transaction: claims up to [`PER_ROUND`] due reminders (marking them sent, the
    /// transaction's first write, so that SQLite's writers queue here rather than fail later)
    /// and stores their notifications. Returns what it did and how many it claimed.
    async fn round(&self, now: i64) -> Result<(Fired, i64), Error> {
        let lock = if self.db.backend() == Backend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let at = time::OffsetDateTime::from_unix_timestamp(now)
            .map(format_timestamp)
            .unwrap_or_default();
        let mut tx = self.db.pool().begin().await?;
        let ids: Vec<String> = sqlx::query_scalar(&format!(
            "UPDATE reminders SET state = 'sent', fired_at = $1 \
             WHERE id IN (SELECT id FROM reminders \
                          WHERE state = 'pending' AND due_at <= $2 \
                          ORDER BY due_at, id LIMIT $3{lock}) \
             RETURNING id"
        ))
        .bind(&at)
        .bind(now)
        .bind(PER_ROUND)
        .fetch_all(&mut *tx)
        .await?;
        let claimed = i64::try_from(ids.len()).unwrap_or(PER_ROUND);
        let position: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM event_log")
            .fetch_one(&mut *tx)
            .await?;
        let mut fired = Fired::default();
        for id in ids {
            let row = sqlx::query(
                "SELECT r.event_id, r.recipient, r.account_id, r.begins_at, r.due_at, \
                        CASE WHEN a.recipient IS NULL THEN NULL ELSE e.facts END AS facts, \
                        s.delivery \
                 FROM reminders r \
                 LEFT JOIN reminder_attendance a \
                        ON a.event_id = r.event_id AND a.recipient = r.recipient \
                 LEFT JOIN reminder_events e ON e.event_id = r.event_id \
                 LEFT JOIN notification_settings s \
                        ON s.account_id = r.account_id AND s.kind = $1 \
                 WHERE r.id = $2",
            )
            .bind(Kind::Reminder.as_str())
            .bind(&id)
            .fetch_one(&mut *tx)
            .await?;
            let begins_at: i64 = row.try_get("begins_at")?;
            let due_at: i64 = row.try_get("due_at")?;
            let facts: Option<String> = row.try_get("facts")?;
            let facts: Option<Facts> = facts.and_then(|f| serde_json::from_str(&f).ok());
            // Begun: too late to remind anyone of it.
            let Some(mut facts) = facts.filter(|_| begins_at > now) else {
                sqlx::query("UPDATE reminders SET state = 'skipped' WHERE id = $1")
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                fired.skipped += 1;
                continue;
            };
            facts.late = now - due_at > LATE_AFTER_SECONDS;
            if facts.late {
                sqlx::query("UPDATE reminders SET late = 1 WHERE id = $1")
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                fired.late += 1;
            }
            let recipient: String = row.try_get("recipient")?;
            let recipient = Recipient::parse(&recipient).unwrap_or(Recipient::Profile(recipient));
            facts.profile = match &recipient {
                Recipient::Profile(username) => Some(username.clone()),
                Recipient::Account(_) | Recipient::Email(_) => None,
            };
            let delivery: Option<String> = row.try_get("delivery")?;
            let delivery = delivery
                .as_deref()
                .and_then(Delivery::parse)
                .unwrap_or(Kind::Reminder.default_delivery());
            let notification = Derived {
                id,
                position,
                notice: Notice {
                    kind: Kind::Reminder,
                    recipient,
                    facts,
                },
                account: Some(row.try_get("account_id")?),
                event_id: row.try_get("event_id")?,
                delivery,
                created_at: at.clone(),
            };
            store::insert(&mut tx, &notification).await?;
            fired.sent += 1;
        }
        tx.commit().await?;
        Ok((fired, claimed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn durations_read_and_write_back() {
        assert_eq!(
            parse_minutes("before", &words(&["2h", "1d", "30m", "1d"])),
            Ok(vec![1440, 120, 30])
        );
        assert_eq!(
            parse_minutes("before", &words(&["1d, 2h"])),
            Ok(vec![1440, 120])
        );
        assert_eq!(parse_minutes("before", &words(&[""])), Ok(vec![]));
        for minutes in [1440, 120, 90, 2880] {
            assert_eq!(
                parse_minutes("before", &[format_minutes(minutes)]),
                Ok(vec![minutes])
            );
        }
    }

    #[test]
    fn bad_durations_are_each_named_on_the_field() {
        let Err(errors) = parse_minutes("before", &words(&["2x", "0h", "31d", "h", "-1d", "1é"]))
        else {
            panic!("refused");
        };
        assert_eq!(errors.len(), 6, "{errors:?}");
        assert!(errors.iter().all(|e| e.field == "before"));
        assert!(errors[0].message.contains("“2x”"), "{errors:?}");
        assert!(errors[2].message.contains("30d"), "{errors:?}");
        let Err(errors) = parse_minutes("before", &words(&["1m 2m 3m 4m 5m 6m"])) else {
            panic!("too many");
        };
        assert!(errors[0].message.contains("at most 5"), "{errors:?}");
    }

    fn joined(participation: &str, who: Participant) -> EventChange {
        EventChange::Joined {
            participation: participation.into(),
            who,
            state: ParticipantState::Participant,
            message: None,
            confirm_token: None,
            cancel_token: None,
        }
    }

    #[test]
    fn a_participation_touches_its_profile_only_and_the_event_everyone() {
        use cqrs_es::Aggregate;
        let mut event =
            crate::mapping::tests::event(convene_domain::event::details::Visibility::Public);
        event.apply(joined("p-ana", Participant::Profile("ana".into())));
        let anonymous = Participant::Anonymous {
            email: "x@example.org".into(),
        };
        event.apply(joined("p-x", anonymous.clone()));
        let ana = Some(vec!["ana".to_string()]);
        let nobody = Some(Vec::new());
        let left = |p: &str| EventChange::Left {
            participation: p.into(),
        };
        assert_eq!(
            touched_by(&event, &joined("p-bob", Participant::Profile("bob".into()))),
            Some(vec!["bob".to_string()])
        );
        assert_eq!(touched_by(&event, &left("p-ana")), ana);
        let promoted = EventChange::Promoted {
            participation: "p-ana".into(),
        };
        assert_eq!(touched_by(&event, &promoted), ana);
        let role = EventChange::RoleChanged {
            participation: "p-ana".into(),
            role: ParticipantState::Moderator,
        };
        assert_eq!(touched_by(&event, &role), ana);
        // Anonymous participants and participations unknown have no reminders to alter.
        assert_eq!(touched_by(&event, &joined("p-y", anonymous)), nobody);
        assert_eq!(touched_by(&event, &left("p-x")), nobody);
        assert_eq!(touched_by(&event, &left("p-none")), nobody);
        let comment = EventChange::CommentDeleted {
            comment: "c1".into(),
        };
        assert_eq!(touched_by(&event, &comment), nobody);
        let details = event.details().cloned().expect("details");
        let retitled = EventChange::Updated {
            details: convene_domain::event::details::EventDetails {
                title: "Another title".into(),
                ..details.clone()
            },
            fields: vec!["title".into()],
        };
        assert_eq!(touched_by(&event, &retitled), nobody);
        let edited = EventChange::Updated {
            details: convene_domain::event::details::EventDetails {
                begins_at: details.begins_at + time::Duration::hours(1),
                ..details
            },
            fields: vec!["begins_at".into()],
        };
        for everyone in [edited, EventChange::Cancelled, EventChange::Published] {
            assert_eq!(touched_by(&event, &everyone), None, "{everyone:?}");
        }
    }

    #[test]
    fn what_changes_touched_adds_up_until_one_touches_everyone() {
        let mut touched = Some(BTreeSet::new());
        note_touched(&mut touched, Some(vec!["ana".into()]));
        note_touched(&mut touched, Some(vec!["bob".into(), "ana".into()]));
        note_touched(&mut touched, Some(Vec::new()));
        assert_eq!(
            touched,
            Some(BTreeSet::from(["ana".to_string(), "bob".to_string()]))
        );
        note_touched(&mut touched, None);
        note_touched(&mut touched, Some(vec!["cleo".into()]));
        assert_eq!(touched, None);
    }

    #[test]
    fn ids_change_with_the_start() {
        let a = reminder_id("e", "@ana", 120, 1_000_000);
        assert_eq!(a, reminder_id("e", "@ana", 120, 1_000_000));
        assert_ne!(a, reminder_id("e", "@ana", 120, 1_003_600));
        assert_ne!(a, reminder_id("e", "@ana", 1440, 1_000_000));
        assert_ne!(a, reminder_id("e", "@bob", 120, 1_000_000));
    }
}
