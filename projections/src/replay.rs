//! Rebuilding read models from the log: in place from position 0, or "as of" a past position or
//! time into a separate SQLite file for forensics while the live server keeps running.

use crate::db::Database;
use crate::error::Error;
use crate::lease::Lease;
use crate::log::EventLog;
use crate::projection::Runner;
use crate::subscriber::Subscribers;
use convene_domain::metadata::{format_timestamp, parse_timestamp};
use std::path::Path;
use time::OffsetDateTime;

/// Reports progress: the projection being rebuilt, the position reached, the position to reach.
pub type Progress<'a> = dyn FnMut(&str, i64, i64) + Send + 'a;

/// Resets each subscriber (a read model is emptied; an external store builds anew) and applies
/// the whole log again. Takes each subscriber's lease, so it refuses to run while another
/// process (a running server on PostgreSQL) runs it.
pub async fn rebuild(
    db: &Database,
    subscribers: &Subscribers,
    progress: &mut Progress<'_>,
) -> Result<i64, Error> {
    let head = EventLog::new(db).head().await?.position;
    for subscriber in subscribers.iter() {
        let runner = Runner::new(subscriber.clone(), db);
        let lease_name = format!("projection:{}", runner.name());
        let Some(lease) = Lease::try_acquire(db, &lease_name).await? else {
            return Err(Error::InvalidRequest(format!(
                "another convene process is running the `{}` projection on this database: stop it \
                 first, or rebuild into a separate file with --as-of and --into",
                runner.name()
            )));
        };
        runner.reset().await?;
        progress(runner.name(), 0, head);
        runner
            .catch_up(head, &mut |at| progress(runner.name(), at, head))
            .await?;
        lease.release().await?;
    }
    Ok(head)
}

/// A point in the log's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    Position(i64),
    Time(OffsetDateTime),
}

impl std::str::FromStr for AsOf {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Ok(position) = text.parse::<i64>() {
            return Ok(AsOf::Position(position));
        }
        parse_timestamp(text).map(AsOf::Time).map_err(|_| {
            format!(
                "`{text}` is neither a log position (such as 42) nor an RFC 3339 time (such as \
                 2026-11-26T10:00:00Z)"
            )
        })
    }
}

/// The last position included "as of" `as_of`; refuses points outside the log.
pub async fn resolve(log: &EventLog, as_of: AsOf) -> Result<i64, Error> {
    let head = log.head().await?.position;
    let Some((first, last)) = log.time_span().await? else {
        return Err(Error::InvalidRequest(
            "the log is empty: there is no history to rebuild".into(),
        ));
    };
    match as_of {
        AsOf::Position(position) if (1..=head).contains(&position) => Ok(position),
        AsOf::Position(position) => Err(Error::InvalidRequest(format!(
            "position {position} is outside the log: choose one from 1 to {head}"
        ))),
        AsOf::Time(at) => {
            let at_text = format_timestamp(at);
            if at_text < first {
                return Err(Error::InvalidRequest(format!(
                    "{at_text} is before the first event ({first}): choose a time from {first} to {last}"
                )));
            }
            if at_text > last {
                return Err(Error::InvalidRequest(format!(
                    "{at_text} is after the last event ({last}): choose a time from {first} to {last}"
                )));
            }
            log.position_at(at).await
        }
    }
}

/// Builds the read models among `subscribers` as they were at `position` into a new SQLite
/// file `into` (external stores are left alone: they have no place in a file). The file must
/// not exist; it is removed again if the rebuild fails half-way.
pub async fn rebuild_as_of(
    db: &Database,
    position: i64,
    into: &Path,
    subscribers: &Subscribers,
    progress: &mut Progress<'_>,
) -> Result<(), Error> {
    check_new_file(into)?;
    let outcome = async {
        let target = Database::open(&format!("sqlite://{}", into.display())).await?;
        for subscriber in subscribers.read_models().iter() {
            let runner =
                Runner::into_target(subscriber.clone(), EventLog::new(db), target.pool().clone());
            progress(runner.name(), 0, position);
            runner
                .catch_up(position, &mut |at| progress(runner.name(), at, position))
                .await?;
        }
        target.close().await;
        Ok(())
    }
    .await;
    if outcome.is_err() {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", into.display()));
        }
    }
    outcome
}

/// Refuses an `--into` path that exists or whose folder does not.
pub fn check_new_file(into: &Path) -> Result<(), Error> {
    if into.exists() {
        return Err(Error::InvalidRequest(format!(
            "{} already exists: give --into a new file name (an existing file is never overwritten)",
            into.display()
        )));
    }
    let folder = into.parent().filter(|p| !p.as_os_str().is_empty());
    if folder.is_some_and(|f| !f.is_dir()) {
        return Err(Error::InvalidRequest(format!(
            "the folder of {} does not exist: create it first or choose another path for --into",
            into.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn as_of_reads_a_position_or_a_time() {
        assert_eq!("42".parse(), Ok(AsOf::Position(42)));
        assert_eq!(
            "2026-11-26T11:00:00+01:00".parse(),
            Ok(AsOf::Time(datetime!(2026-11-26 10:00 UTC)))
        );
        let error = "yesterday".parse::<AsOf>().err().unwrap_or_default();
        assert!(error.contains("neither a log position"), "{error}");
    }
}
