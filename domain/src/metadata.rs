//! Who did what, from where, when and why: the metadata stored beside every change.
//!
//! cqrs-es keeps metadata as a flat string map; [`Metadata`] is its typed form, and the two
//! conversions below are the only place the key names are spelled.

use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::{format_description::BorrowedFormatItem, macros::format_description, OffsetDateTime};

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A local account, acting as one of its profiles (none for account-level actions).
    Account {
        account: String,
        profile: Option<String>,
    },
    /// A remote ActivityPub actor, by its id.
    Remote { actor: String },
    /// Someone without an account (an anonymous participant); their email stays out of here.
    Anonymous,
    /// The instance itself (CLI maintenance, automatic promotions, migrations).
    System,
}

/// Where a change came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Web,
    Api,
    /// An incoming ActivityPub activity, by its id.
    Federation {
        activity: String,
    },
    Cli,
    /// Work the server does by itself on a schedule (a timed decision ending, removing unused
    /// uploads).
    Schedule,
}

/// The metadata of one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    pub actor: Actor,
    pub source: Source,
    pub request_id: String,
    /// Wall-clock time of the command, UTC.
    pub recorded_at: OffsetDateTime,
    /// Why, when someone said so (moderation decisions always do).
    pub reason: Option<String>,
    /// The decision on many objects this change is one step of, named by the aggregate that
    /// records it (`Domain/bad.example`), so that undoing it finds exactly its steps.
    pub bulk_decision: Option<String>,
}

/// Metadata read back from the log that does not have the expected shape.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("event metadata: {0}")]
pub struct MetadataError(String);

/// Fixed-width UTC timestamps: they sort as text, so the log can be searched by time in SQL.
const TIMESTAMP: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Formats a time the way the log stores it.
pub fn format_timestamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(TIMESTAMP)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// Parses an RFC 3339 time (any offset).
pub fn parse_timestamp(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
    OffsetDateTime::parse(text, &Rfc3339)
}

impl Metadata {
    /// Metadata for a change made now by `actor` from `source`.
    pub fn now(actor: Actor, source: Source, request_id: impl Into<String>) -> Self {
        let now = OffsetDateTime::now_utc();
        // The log keeps microseconds: keep no more here, so what is read back is what was meant.
        let recorded_at = now
            .replace_nanosecond(now.microsecond() * 1_000)
            .unwrap_or(now);
        Self {
            actor,
            source,
            request_id: request_id.into(),
            recorded_at,
            reason: None,
            bulk_decision: None,
        }
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn with_bulk_decision(mut self, decision: impl Into<String>) -> Self {
        self.bulk_decision = Some(decision.into());
        self
    }

    /// The flat map cqrs-es stores.
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::new();
        let mut put = |k: &str, v: &str| {
            map.insert(k.to_string(), v.to_string());
        };
        match &self.actor {
            Actor::Account { account, profile } => {
                put("actor", "account");
                put("account", account);
                if let Some(profile) = profile {
                    put("profile", profile);
                }
            }
            Actor::Remote { actor } => {
                put("actor", "remote");
                put("remote_actor", actor);
            }
            Actor::Anonymous => put("actor", "anonymous"),
            Actor::System => put("actor", "system"),
        }
        match &self.source {
            Source::Web => put("source", "web"),
            Source::Api => put("source", "api"),
            Source::Cli => put("source", "cli"),
            Source::Schedule => put("source", "schedule"),
            Source::Federation { activity } => {
                put("source", "federation");
                put("activity", activity);
            }
        }
        put("request_id", &self.request_id);
        put("recorded_at", &format_timestamp(self.recorded_at));
        if let Some(reason) = &self.reason {
            put("reason", reason);
        }
        if let Some(decision) = &self.bulk_decision {
            put("bulk_decision", decision);
        }
        map
    }

    /// Reads the flat map back; every change written by [`Metadata::to_map`] round-trips.
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self, MetadataError> {
        let get = |k: &str| {
            map.get(k)
                .cloned()
                .ok_or_else(|| MetadataError(format!("missing `{k}`")))
        };
        let actor = match get("actor")?.as_str() {
            "account" => Actor::Account {
                account: get("account")?,
                profile: map.get("profile").cloned(),
            },
            "remote" => Actor::Remote {
                actor: get("remote_actor")?,
            },
            "anonymous" => Actor::Anonymous,
            "system" => Actor::System,
            other => return Err(MetadataError(format!("unknown actor kind `{other}`"))),
        };
        let source = match get("source")?.as_str() {
            "web" => Source::Web,
            "api" => Source::Api,
            "cli" => Source::Cli,
            "schedule" => Source::Schedule,
            "federation" => Source::Federation {
                activity: get("activity")?,
            },
            other => return Err(MetadataError(format!("unknown source `{other}`"))),
        };
        let recorded_at = parse_timestamp(&get("recorded_at")?)
            .map_err(|e| MetadataError(format!("`recorded_at`: {e}")))?;
        Ok(Self {
            actor,
            source,
            request_id: get("request_id")?,
            recorded_at,
            reason: map.get("reason").cloned(),
            bulk_decision: map.get("bulk_decision").cloned(),
        })
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Account {
                account,
                profile: Some(profile),
            } => write!(f, "account {account} as @{profile}"),
            Actor::Account { account, .. } => write!(f, "account {account}"),
            Actor::Remote { actor } => write!(f, "{actor}"),
            Actor::Anonymous => f.write_str("anonymous"),
            Actor::System => f.write_str("system"),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Web => f.write_str("web"),
            Source::Api => f.write_str("api"),
            Source::Cli => f.write_str("cli"),
            Source::Schedule => f.write_str("schedule"),
            Source::Federation { activity } => write!(f, "federation ({activity})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn sample(actor: Actor, source: Source) -> Metadata {
        Metadata {
            actor,
            source,
            request_id: "req-1".into(),
            recorded_at: datetime!(2026-03-29 01:30:00.123456 UTC),
            reason: Some("spam".into()),
            bulk_decision: Some("Domain/bad.example".into()),
        }
    }

    #[test]
    fn every_actor_and_source_round_trips_through_the_flat_map() {
        let cases = [
            sample(
                Actor::Account {
                    account: "a1".into(),
                    profile: Some("alice".into()),
                },
                Source::Web,
            ),
            sample(
                Actor::Account {
                    account: "a1".into(),
                    profile: None,
                },
                Source::Api,
            ),
            sample(
                Actor::Remote {
                    actor: "https://example.org/@bob".into(),
                },
                Source::Federation {
                    activity: "https://example.org/activities/1".into(),
                },
            ),
            sample(Actor::System, Source::Cli),
            sample(Actor::System, Source::Schedule),
            sample(Actor::Anonymous, Source::Web),
        ];
        for metadata in cases {
            assert_eq!(Metadata::from_map(&metadata.to_map()), Ok(metadata));
        }
    }

    #[test]
    fn timestamps_are_fixed_width_utc_so_they_sort_as_text() {
        let paris = datetime!(2026-03-29 03:30:00 +2);
        assert_eq!(format_timestamp(paris), "2026-03-29T01:30:00.000000Z");
    }

    #[test]
    fn metadata_without_a_source_is_refused_with_the_missing_key() {
        let mut map = sample(Actor::System, Source::Cli).to_map();
        map.remove("source");
        assert_eq!(
            Metadata::from_map(&map),
            Err(MetadataError("missing `source`".into()))
        );
    }
}
