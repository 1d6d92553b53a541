//! Each account's choice, kind by kind, of how it hears of things: a mail at once, the daily
//! digest, or nothing (the inbox keeps every kind not turned off). Use cases every front end
//! calls; a kind or a delivery the instance does not know is refused, naming it. Also when
//! reminders come before the events the account takes part in, and when its daily digest comes.

use crate::digest::{self, DigestTime};
use crate::kinds::{Delivery, Kind};
use crate::reminders;
use crate::store;
use convene_api::auth::Session;
use convene_api::{AppState, Error};
use convene_domain::FieldError;
use std::collections::BTreeMap;

/// Every kind with how the session's account wants it delivered (its choice or the default).
pub async fn get(state: &AppState, session: &Session) -> Result<Vec<(Kind, Delivery)>, Error> {
    Ok(store::settings(state.db.pool(), &session.account.id).await?)
}

/// The choices `wanted` names (kind → delivery, by their stored names), checked all together
/// so that every unknown kind or value is named at once.
pub fn parse(wanted: &BTreeMap<String, String>) -> Result<Vec<(Kind, Delivery)>, Error> {
    let mut chosen = Vec::new();
    let mut errors = Vec::new();
    let deliveries = Delivery::ALL.map(Delivery::as_str).join(", ");
    for (kind, delivery) in wanted {
        match (
            Kind::parse(kind).filter(|k| k.chosen_by_person()),
            Delivery::parse(delivery),
        ) {
            (Some(kind), Some(delivery)) => chosen.push((kind, delivery)),
            (None, _) => errors.push(FieldError {
                field: kind.clone(),
                message: format!(
                    "not a kind of notification one may choose: one of {}",
                    Kind::chosen()
                        .map(Kind::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
            (Some(_), None) => errors.push(FieldError {
                field: kind.clone(),
                message: format!("“{delivery}” is not a delivery: one of {deliveries}"),
            }),
        }
    }
    if errors.is_empty() {
        Ok(chosen)
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Sets the kinds `chosen` names (the others keep their setting), all or nothing; then every
/// kind's setting.
pub async fn set(
    state: &AppState,
    session: &Session,
    chosen: &[(Kind, Delivery)],
) -> Result<Vec<(Kind, Delivery)>, Error> {
    let mut tx = state.db.pool().begin().await.map_err(internal)?;
    for (kind, delivery) in chosen {
        store::set_setting(&mut tx, &session.account.id, *kind, *delivery).await?;
    }
    tx.commit().await.map_err(internal)?;
    get(state, session).await
}

/// How long before its events the session's account is reminded, longest first (minutes).
pub async fn reminders(state: &AppState, session: &Session) -> Result<Vec<i64>, Error> {
    let mut conn = state.db.pool().acquire().await.map_err(internal)?;
    Ok(reminders::minutes_of(&mut conn, &session.account.id).await?)
}

/// The durations `before` names (`1d`, `2h`, `30m`), each mistake named on `field`.
pub fn parse_reminders(field: &str, before: &[String]) -> Result<Vec<i64>, Error> {
    reminders::parse_minutes(field, before).map_err(Error::Invalid)
}

/// Sets when the session's account is reminded (no durations: no reminders) and reschedules
/// the reminders of the events it takes part in, all or nothing; then the choice.
pub async fn set_reminders(
    state: &AppState,
    session: &Session,
    minutes: &[i64],
) -> Result<Vec<i64>, Error> {
    let mut tx = state.db.pool().begin().await.map_err(internal)?;
    reminders::set_minutes(&mut tx, &session.account.id, minutes, store::now()).await?;
    tx.commit().await.map_err(internal)?;
    reminders(state, session).await
}

/// When the session's account gets its daily digest (the defaults until it chooses).
pub async fn digest(state: &AppState, session: &Session) -> Result<DigestTime, Error> {
    Ok(digest::time_of(state.db.pool(), &session.account.id, store::now()).await?)
}

/// The hour (0 to 23) and IANA time zone of a digest, each mistake named on `hour` or
/// `time_zone`.
pub fn parse_digest(hour: i64, time_zone: &str) -> Result<(u32, chrono_tz::Tz), Error> {
    digest::parse(hour, time_zone).map_err(Error::Invalid)
}

/// Sets when the session's account gets its digest: the next one comes at the first such hour
/// from now. Then the choice.
pub async fn set_digest(
    state: &AppState,
    session: &Session,
    (hour, zone): (u32, chrono_tz::Tz),
) -> Result<DigestTime, Error> {
    let mut conn = state.db.pool().acquire().await.map_err(internal)?;
    digest::set_time(&mut conn, &session.account.id, hour, zone, store::now()).await?;
    drop(conn);
    digest(state, session).await
}

fn internal(error: sqlx::Error) -> Error {
    Error::from(convene_projections::Error::from(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_kinds_and_values_are_each_named() {
        let wanted: BTreeMap<String, String> = [
            ("approved", "off"),
            ("bogus", "mail"),
            ("join_request", "sometimes"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let Err(Error::Invalid(errors)) = parse(&wanted) else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["bogus", "join_request"]);
        let fine: BTreeMap<String, String> = [("approved".to_string(), "digest".to_string())]
            .into_iter()
            .collect();
        assert_eq!(
            parse(&fine).ok(),
            Some(vec![(Kind::Approved, Delivery::Digest)])
        );
    }
}
