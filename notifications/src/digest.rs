//! The daily digest: one mail per account per day, at the hour it chose on its time zone's
//! clock, listing the notifications it gets "in the digest" made since its last digest.
//!
//! Each account's next digest instant is a row of `notification_digest_times` (made with the
//! defaults when its first digest notification is stored, or when it chooses its time), so a
//! restart loses nothing. The [`Digester`] claims due rows — on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, so two processes never both take one — and, in the same
//! transaction, marks the waiting notifications as listed by the digest, queues its mail in the
//! outbox (the [`crate::Sender`] sends it, with its retries) and moves the row to the next day's
//! instant. Nothing waiting: no mail. A replay of the subscriber derives the same notification
//! ids, so what a digest listed is never listed again.

use crate::store;
use chrono::{Days, LocalResult, TimeZone, Utc};
use chrono_tz::Tz;
use convene_domain::metadata::format_timestamp;
use convene_domain::FieldError;
use convene_projections::{Backend, Database, Error};
use sqlx::{AnyConnection, AnyPool, Row};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The digest's hour unless the account chose one.
pub const DEFAULT_HOUR: u32 = 8;
/// The digest's time zone unless the account chose one.
pub const DEFAULT_TIME_ZONE: &str = "UTC";
/// How often `serve`'s digester looks for due digests.
pub const POLL: Duration = Duration::from_secs(60);
/// Accounts claimed per round.
const PER_ROUND: i64 = 100;

/// When an account's digest comes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestTime {
    /// 0 to 23, on the time zone's clock.
    pub hour: u32,
    /// An IANA time zone.
    pub time_zone: String,
    /// The next digest's instant (Unix seconds, UTC).
    pub next_at: i64,
}

/// The first instant after `after` (Unix seconds) at which `zone`'s clock shows `hour`:00. On a
/// day the clocks skip that hour, the instant they reach it after the skip; on a day they show
/// it twice, the first time.
pub fn next_due(hour: u32, zone: Tz, after: i64) -> i64 {
    let from = Utc
        .timestamp_opt(after, 0)
        .single()
        .unwrap_or_default()
        .with_timezone(&zone)
        .date_naive();
    for days in 0..3 {
        let Some(at) = from
            .checked_add_days(Days::new(days))
            .and_then(|d| d.and_hms_opt(hour.min(23), 0, 0))
        else {
            continue;
        };
        let instant = match zone.from_local_datetime(&at) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.timestamp(),
            // In the hour the clocks skip: an hour after the clock's hour before, which is
            // the instant of the skip.
            LocalResult::None => match zone
                .from_local_datetime(&(at - chrono::TimeDelta::hours(1)))
                .earliest()
            {
                Some(t) => t.timestamp() + 3600,
                None => continue,
            },
        };
        if instant > after {
            return instant;
        }
    }
    after + 24 * 3600
}

/// Checks a chosen hour and time zone, naming `hour` and `time_zone` for each mistake.
pub fn parse(hour: i64, time_zone: &str) -> Result<(u32, Tz), Vec<FieldError>> {
    let mut errors = Vec::new();
    let hour = match u32::try_from(hour) {
        Ok(h) if h <= 23 => Some(h),
        _ => {
            errors.push(FieldError {
                field: "hour".into(),
                message: format!("“{hour}” is not an hour: a whole number from 0 to 23"),
            });
            None
        }
    };
    let zone = match time_zone.trim().parse::<Tz>() {
        Ok(zone) => Some(zone),
        Err(_) => {
            errors.push(FieldError {
                field: "time_zone".into(),
                message: format!("“{time_zone}” is not a time zone: one such as Europe/Paris"),
            });
            None
        }
    };
    match (hour, zone) {
        (Some(hour), Some(zone)) if errors.is_empty() => Ok((hour, zone)),
        _ => Err(errors),
    }
}

/// When `account`'s digest comes (the defaults when it never chose), as of `now`.
pub async fn time_of(pool: &AnyPool, account: &str, now: i64) -> Result<DigestTime, Error> {
    let row: Option<(i64, String, i64)> = sqlx::query_as(
        "SELECT hour, time_zone, due_at FROM notification_digest_times WHERE account_id = $1",
    )
    .bind(account)
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        Some((hour, time_zone, due_at)) => DigestTime {
            hour: u32::try_from(hour).unwrap_or(DEFAULT_HOUR),
            time_zone,
            next_at: due_at,
        },
        None => DigestTime {
            hour: DEFAULT_HOUR,
            time_zone: DEFAULT_TIME_ZONE.into(),
            next_at: next_due(DEFAULT_HOUR, chrono_tz::UTC, now),
        },
    })
}

/// Sets `account`'s digest time; the next digest comes at its first occurrence after `now`.
pub async fn set_time(
    conn: &mut AnyConnection,
    account: &str,
    hour: u32,
    zone: Tz,
    now: i64,
) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO notification_digest_times (account_id, hour, time_zone, due_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO UPDATE \
         SET hour = excluded.hour, time_zone = excluded.time_zone, due_at = excluded.due_at",
    )
    .bind(account)
    .bind(i64::from(hour))
    .bind(zone.name())
    .bind(next_due(hour, zone, now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives `account` a digest time (the defaults) unless it has one: called when a notification
/// for its digest is stored.
pub async fn ensure_time(conn: &mut AnyConnection, account: &str, now: i64) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO notification_digest_times (account_id, hour, time_zone, due_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(account)
    .bind(i64::from(DEFAULT_HOUR))
    .bind(DEFAULT_TIME_ZONE)
    .bind(next_due(DEFAULT_HOUR, chrono_tz::UTC, now))
    .execute(conn)
    .await?;
    Ok(())
}

/// The id of `account`'s digest due at `due_at` (also the id of its mail).
pub fn digest_id(account: &str, due_at: i64) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("digest\n{account}\n{due_at}"));
    hex::encode(&digest[..16])
}

/// What one round of the digester did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Digested {
    /// Digests made (each one mail).
    pub sent: usize,
    /// Accounts whose time came with nothing to tell: no mail.
    pub empty: usize,
}

/// Makes due digests: see the module's documentation.
#[derive(Clone)]
pub struct Digester {
    db: Database,
    new_mail: Arc<Notify>,
    poll: Duration,
}

impl Digester {
    /// A digester waking `new_mail` (the sender) when it queued mail, looking every `poll`.
    pub fn new(db: &Database, new_mail: Arc<Notify>, poll: Duration) -> Self {
        Self {
            db: db.clone(),
            new_mail,
            poll,
        }
    }

    /// Makes due digests until `shutdown`: at once (those due while the server was stopped),
    /// then every poll interval.
    pub async fn run(self, shutdown: CancellationToken) {
        let what = "digests: the due digests could not be read";
        crate::every(self.poll, shutdown, what, || self.fire_due(store::now())).await
    }

    /// Makes every digest due at `now` (Unix seconds), round after round.
    pub async fn fire_due(&self, now: i64) -> Result<Digested, Error> {
        let mut total = Digested::default();
        loop {
            let (round, claimed) = self.round(now).await?;
            total.sent += round.sent;
            total.empty += round.empty;
            if round.sent > 0 {
                self.new_mail.notify_one();
            }
            if claimed < PER_ROUND {
                return Ok(total);
            }
        }
    }

    /// One transaction: claims up to [`PER_ROUND`] due accounts (the first write, so that
    /// SQLite's writers queue here), makes each one's digest and moves it to its next day.
    async fn round(&self, now: i64) -> Result<(Digested, i64), Error> {
        let lock = if self.db.backend() == Backend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let mut tx = self.db.pool().begin().await?;
        let due = sqlx::query(&format!(
            "UPDATE notification_digest_times SET due_at = due_at \
             WHERE account_id IN (SELECT account_id FROM notification_digest_times \
                                  WHERE due_at <= $1 ORDER BY due_at, account_id LIMIT $2{lock}) \
             RETURNING account_id, hour, time_zone, due_at"
        ))
        .bind(now)
        .bind(PER_ROUND)
        .fetch_all(&mut *tx)
        .await?;
        let claimed = i64::try_from(due.len()).unwrap_or(PER_ROUND);
        let created_at = time::OffsetDateTime::from_unix_timestamp(now)
            .map(format_timestamp)
            .unwrap_or_default();
        let mut done = Digested::default();
        for row in due {
            let account: String = row.try_get("account_id")?;
            let hour: i64 = row.try_get("hour")?;
            let zone: String = row.try_get("time_zone")?;
            let due_at: i64 = row.try_get("due_at")?;
            let id = digest_id(&account, due_at);
            let listed: Vec<String> = sqlx::query_scalar(
                "UPDATE notifications SET digest_id = $1 \
                 WHERE account_id = $2 AND delivery = 'digest' AND digest_id IS NULL \
                 RETURNING id",
            )
            .bind(&id)
            .bind(&account)
            .fetch_all(&mut *tx)
            .await?;
            if listed.is_empty() {
                done.empty += 1;
            } else {
                sqlx::query(
                    "INSERT INTO notification_digests (id, account_id, due_at, items, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
                )
                .bind(&id)
                .bind(&account)
                .bind(due_at)
                .bind(i64::try_from(listed.len()).unwrap_or(i64::MAX))
                .bind(&created_at)
                .execute(&mut *tx)
                .await?;
                store::queue_mail(&mut tx, &id).await?;
                done.sent += 1;
            }
            let zone: Tz = zone.parse().unwrap_or(chrono_tz::UTC);
            let hour = u32::try_from(hour).unwrap_or(DEFAULT_HOUR);
            sqlx::query("UPDATE notification_digest_times SET due_at = $1 WHERE account_id = $2")
                .bind(next_due(hour, zone, now.max(due_at)))
                .bind(&account)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok((done, claimed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(rfc3339: &str) -> i64 {
        time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
            .expect("a time")
            .unix_timestamp()
    }

    #[test]
    fn the_hour_is_kept_on_the_clock_across_the_changes() {
        let paris: Tz = "Europe/Paris".parse().expect("zone");
        // Winter: 08:00 in Paris is 07:00 UTC; the morning the clocks go forward, 06:00 UTC.
        let eve = next_due(8, paris, unix("2027-03-26T12:00:00Z"));
        assert_eq!(eve, unix("2027-03-27T07:00:00Z"));
        assert_eq!(next_due(8, paris, eve), unix("2027-03-28T06:00:00Z"));
        // The morning they go back: 08:00 is 07:00 UTC again.
        assert_eq!(
            next_due(8, paris, unix("2027-10-30T07:00:00Z")),
            unix("2027-10-31T07:00:00Z")
        );
        // 02:30 does not exist on 28 March in Paris: the digest comes as the clocks reach 03:00.
        assert_eq!(
            next_due(2, paris, unix("2027-03-27T12:00:00Z")),
            unix("2027-03-28T01:00:00Z")
        );
        // 02:00 comes twice on 31 October: the first time.
        assert_eq!(
            next_due(2, paris, unix("2027-10-30T12:00:00Z")),
            unix("2027-10-31T00:00:00Z")
        );
        // Exactly at the instant: the next day's.
        assert_eq!(
            next_due(7, chrono_tz::UTC, unix("2030-01-01T07:00:00Z")),
            unix("2030-01-02T07:00:00Z")
        );
    }

    #[test]
    fn bad_hours_and_zones_are_named() {
        assert!(parse(8, "Europe/Paris").is_ok());
        let Err(errors) = parse(24, "Mars/Olympus") else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["hour", "time_zone"]);
        assert!(parse(-1, "UTC").is_err());
    }
}
