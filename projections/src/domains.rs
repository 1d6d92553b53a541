//! The `domain_decisions` read model: the administrators' decisions in force on other instances'
//! domains (suspended or limited), one row per domain, and the questions the rest of Convene asks
//! of them — is this host suspended (the inbox, the delivery worker), is this remote organiser's
//! or author's content to be shown (the listings, through [`covered_sql`]).

use crate::error::Error;
use crate::log::StoredEvent;
use crate::projection::{Applying, Projection};
use async_trait::async_trait;
use convene_domain::remote_actor::ActorAction;
use convene_domain::remote_domain::{covers, DomainAction};
use convene_domain::{RemoteActor, RemoteActorChange, RemoteDomain, RemoteDomainChange};
use cqrs_es::Aggregate;
use serde::Serialize;
use sqlx::{AnyConnection, AnyPool, Row};

pub struct DomainDecisionsProjection;

#[async_trait]
impl Projection for DomainDecisionsProjection {
    fn name(&self) -> &'static str {
        crate::read_model::DOMAIN_DECISIONS
    }

    fn tables(&self) -> &'static [&'static str] {
        &["domain_decisions", "domain_policies", "actor_decisions"]
    }

    fn concerns(&self, event: &StoredEvent) -> bool {
        [RemoteActor::TYPE, RemoteDomain::TYPE].contains(&event.aggregate_type.as_str())
    }

    async fn apply(&self, conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
        if event.aggregate_type == RemoteActor::TYPE {
            return actor_decided(conn, event).await;
        }
        let on = Applying::of(event)?;
        // Removing everything a domain sent is recorded on each object, not here.
        let RemoteDomainChange::Moderated {
            action,
            decision,
            public_comment,
        } = event.change::<RemoteDomainChange>()?
        else {
            return Ok(());
        };
        // A policy has its row per domain and policy; a suspension or limit, one per domain.
        let (table, key, name, kept, delete) = match action.policy() {
            Some((policy, set)) => (
                "domain_policies",
                "policy",
                policy.as_str(),
                set,
                sqlx::query("DELETE FROM domain_policies WHERE domain = $1 AND policy = $2")
                    .bind(on.id)
                    .bind(policy.as_str()),
            ),
            None => (
                "domain_decisions",
                "action",
                action.as_str(),
                action != DomainAction::Lift,
                sqlx::query("DELETE FROM domain_decisions WHERE domain = $1").bind(on.id),
            ),
        };
        delete.execute(&mut *conn).await?;
        if kept {
            sqlx::query(&format!(
                "INSERT INTO {table} (domain, {key}, reason, public_comment, until, decided_at, \
                 position) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            ))
            .bind(on.id)
            .bind(name)
            .bind(decision.reason)
            .bind(public_comment)
            .bind(decision.until)
            .bind(on.at.clone())
            .bind(on.position)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// A remote actor suspended, or its suspension lifted.
async fn actor_decided(conn: &mut AnyConnection, event: &StoredEvent) -> Result<(), Error> {
    let on = Applying::of(event)?;
    let RemoteActorChange::Moderated {
        action,
        decision,
        handle,
    } = event.change::<RemoteActorChange>()?
    else {
        return Ok(());
    };
    sqlx::query("DELETE FROM actor_decisions WHERE actor = $1")
        .bind(on.id)
        .execute(&mut *conn)
        .await?;
    if action == ActorAction::Suspend {
        sqlx::query(
            "INSERT INTO actor_decisions (actor, handle, reason, until, decided_at, position) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(on.id)
        .bind(handle)
        .bind(decision.reason)
        .bind(decision.until)
        .bind(on.at.clone())
        .bind(on.position)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The policies in force on domains covering `host` (`reject_media`, `reject_reports`).
pub async fn policies_for(pool: &AnyPool, host: &str) -> Result<Vec<String>, Error> {
    let mut policies: Vec<String> = policies_in_force(pool)
        .await?
        .into_iter()
        .filter(|p| covers(&p.domain, host))
        .map(|p| p.action)
        .collect();
    policies.sort();
    policies.dedup();
    Ok(policies)
}

/// Whether the media (pictures, avatars) of `host` are shown nowhere here.
pub async fn rejects_media(pool: &AnyPool, host: &str) -> Result<bool, Error> {
    let policy = convene_domain::remote_domain::Policy::RejectMedia.as_str();
    Ok(policies_for(pool, host).await?.iter().any(|p| p == policy))
}

/// Whether the reports (`Flag`s) of `host` are rejected here.
pub async fn rejects_reports(pool: &AnyPool, host: &str) -> Result<bool, Error> {
    let policy = convene_domain::remote_domain::Policy::RejectReports.as_str();
    Ok(policies_for(pool, host).await?.iter().any(|p| p == policy))
}

/// Where the remote actor `actor` takes activities (its shared inbox when it has one), when it
/// is known here.
pub async fn remote_inbox(pool: &AnyPool, actor: &str) -> Result<Option<String>, Error> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(shared_inbox, inbox) FROM remote_actors WHERE id = $1")
            .bind(actor)
            .fetch_optional(pool)
            .await?,
    )
}

/// Whether the remote actor `actor` (its URL) is suspended here.
pub async fn actor_suspended(pool: &AnyPool, actor: &str) -> Result<bool, Error> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT position FROM actor_decisions WHERE actor = $1")
            .bind(actor)
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}

/// How this instance's content names the remote actor `actor` (`name@host`, as federation
/// writes handles), when the actor is known here (in the cache federation fills).
pub async fn remote_handle(pool: &AnyPool, actor: &str) -> Result<Option<String>, Error> {
    Ok(remote_names(pool, actor).await?.map(|(handle, _)| handle))
}

/// The remote actor `actor`'s handle (`name@host`) and the name it gives itself, when it is
/// known here.
pub async fn remote_names(
    pool: &AnyPool,
    actor: &str,
) -> Result<Option<(String, Option<String>)>, Error> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT preferred_username, name FROM remote_actors WHERE id = $1")
            .bind(actor)
            .fetch_optional(pool)
            .await?;
    Ok(row.and_then(|(username, name)| handle_at(&username, actor).map(|handle| (handle, name))))
}

/// `name@host` for the actor at `actor` (its URL) whose preferred username is `username`, as
/// federation writes handles.
pub fn handle_at(username: &str, actor: &str) -> Option<String> {
    host_of_url(actor).map(|host| format!("{username}@{host}"))
}

/// An SQL condition, true when the `name@host` handle in `column` (a remote organiser or
/// author) is an actor the moderators suspended.
pub fn actor_suspended_sql(column: &str) -> String {
    format!("EXISTS (SELECT 1 FROM actor_decisions ad WHERE ad.handle = {column})")
}

/// A decision in force on a domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DomainDecisionView {
    pub domain: String,
    /// `suspend` or `limit`; for a policy, `reject_media` or `reject_reports`.
    pub action: String,
    /// The administrators' reason: for moderators only.
    pub reason: String,
    /// What the public list of moderated domains says.
    pub public_comment: Option<String>,
    /// When it ends by itself, if it does.
    pub until: Option<String>,
    pub decided_at: String,
}

/// Every suspension or limit in force, by domain.
pub async fn in_force(pool: &AnyPool) -> Result<Vec<DomainDecisionView>, Error> {
    views(pool, "SELECT domain, action, reason, public_comment, until, decided_at FROM domain_decisions ORDER BY domain").await
}

/// Every policy in force (`reject_media`, `reject_reports`, as `action`), by domain.
pub async fn policies_in_force(pool: &AnyPool) -> Result<Vec<DomainDecisionView>, Error> {
    views(pool, "SELECT domain, policy AS action, reason, public_comment, until, decided_at FROM domain_policies ORDER BY domain, policy").await
}

async fn views(pool: &AnyPool, sql: &'static str) -> Result<Vec<DomainDecisionView>, Error> {
    let rows = sqlx::query(sql).fetch_all(pool).await?;
    rows.iter()
        .map(|row| {
            Ok(DomainDecisionView {
                domain: row.try_get("domain")?,
                action: row.try_get("action")?,
                reason: row.try_get("reason")?,
                public_comment: row.try_get("public_comment")?,
                until: row.try_get("until")?,
                decided_at: row.try_get("decided_at")?,
            })
        })
        .collect()
}

/// The decisions in force, to ask about many hosts in a row (a batch of deliveries).
#[derive(Debug, Clone, Default)]
pub struct DomainDecisions(Vec<(String, DomainAction)>);

impl DomainDecisions {
    /// The decisions `decisions` (by domain), lifted ones included.
    pub fn from_decisions(decisions: impl IntoIterator<Item = (String, DomainAction)>) -> Self {
        Self(
            decisions
                .into_iter()
                .filter(|(_, action)| matches!(action, DomainAction::Suspend | DomainAction::Limit))
                .collect(),
        )
    }

    pub async fn load(pool: &AnyPool) -> Result<Self, Error> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT domain, action FROM domain_decisions")
                .fetch_all(pool)
                .await?;
        Ok(Self(
            rows.into_iter()
                .map(|(domain, action)| {
                    let action = if action == "suspend" {
                        DomainAction::Suspend
                    } else {
                        DomainAction::Limit
                    };
                    (domain, action)
                })
                .collect(),
        ))
    }

    /// What applies to `host` (`name` or `name:port`): a suspension wins over a limit when
    /// decisions on a domain and its subdomain both cover it.
    pub fn for_host(&self, host: &str) -> Option<DomainAction> {
        let mut found = None;
        for (domain, action) in &self.0 {
            if covers(domain, host) {
                if *action == DomainAction::Suspend {
                    return Some(DomainAction::Suspend);
                }
                found = Some(*action);
            }
        }
        found
    }

    /// Whether `host` is suspended.
    pub fn suspends(&self, host: &str) -> bool {
        self.for_host(host) == Some(DomainAction::Suspend)
    }
}

/// The host (`name`, or `name:port` when the port is not the scheme's) of an actor or object
/// URL, as decisions are matched against it.
pub fn host_of_url(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    // `bad.example.` is `bad.example` to DNS.
    let host = url.host_str()?.trim_end_matches('.');
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// An SQL condition, true when the `name@host` handle in `$column` (a remote organiser or
/// author; local ones have no `@`) is on a domain of the rows `$rows` (`dd`, with a `domain`
/// column) name. The same rule as [`covers`]: the domain itself, its subdomains, any port unless
/// the decision names one (then that address only). A literal, so that column lists stay
/// constants. (An `_` in a domain would match any character here: such names are not valid
/// host names.)
macro_rules! on_domain_sql {
    ($column:literal, $($rows:tt)+) => {
        concat!(
            "EXISTS (SELECT 1 FROM ",
            $($rows)+,
            " AND (",
            $column,
            " LIKE '%@' || dd.domain OR ((dd.domain NOT LIKE '%:%' OR dd.domain LIKE '%]') AND (",
            $column,
            " LIKE '%@%.' || dd.domain OR ",
            $column,
            " LIKE '%@' || dd.domain || ':%' OR ",
            $column,
            " LIKE '%@%.' || dd.domain || ':%'))))"
        )
    };
}
pub(crate) use on_domain_sql;

/// [`on_domain_sql`] for the domains under one of `$actions` (`"'suspend'"`, or
/// `"'suspend', 'limit'"`).
macro_rules! covered_sql {
    ($column:literal, $actions:literal) => {
        crate::domains::on_domain_sql!(
            $column,
            concat!("domain_decisions dd WHERE dd.action IN (", $actions, ")")
        )
    };
}
pub(crate) use covered_sql;

/// [`on_domain_sql`] for the domains under the policy `$policy` (`"reject_media"`).
macro_rules! policy_sql {
    ($column:literal, $policy:literal) => {
        crate::domains::on_domain_sql!(
            $column,
            concat!("domain_policies dd WHERE dd.policy = '", $policy, "'")
        )
    };
}
pub(crate) use policy_sql;

/// What a decision on a domain touches here, counted before it is made (or lifted): nothing of
/// it is deleted, so these are what is hidden or paused, and what comes back on lifting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DomainImpact {
    /// Events organised there.
    pub events: i64,
    /// Comments written there on events here.
    pub comments: i64,
    /// People from there taking part in events here.
    pub participants: i64,
    /// Their actors following profiles here.
    pub followers: i64,
    /// Their actors profiles here follow.
    pub following: i64,
    /// What removing everything it sent would remove now: its events, and its comments not
    /// deleted, that moderators have not removed yet.
    pub removable_events: i64,
    pub removable_comments: i64,
}

/// What a decision on `domain` touches (see [`DomainImpact`]).
pub async fn impact(pool: &AnyPool, domain: &str) -> Result<DomainImpact, Error> {
    let on_domain = |handle: &str| {
        handle
            .rsplit_once('@')
            .is_some_and(|(_, host)| covers(domain, host))
    };
    let by_handle = |sql: &'static str| async move {
        let handles: Vec<String> = sqlx::query_scalar(sql).fetch_all(pool).await?;
        Ok::<i64, Error>(handles.iter().filter(|h| on_domain(h)).count() as i64)
    };
    let by_url = |sql: &'static str| async move {
        let urls: Vec<String> = sqlx::query_scalar(sql).fetch_all(pool).await?;
        Ok::<i64, Error>(
            urls.iter()
                .filter(|u| host_of_url(u).is_some_and(|host| covers(domain, &host)))
                .count() as i64,
        )
    };
    let sent = crate::sent::counts(pool, crate::sent::Sender::Domain(domain)).await?;
    Ok(DomainImpact {
        events: by_handle("SELECT organizer FROM events WHERE origin_object IS NOT NULL").await?,
        comments: by_handle("SELECT author FROM comments WHERE author LIKE '%@%'").await?,
        participants: by_handle(
            "SELECT remote_handle FROM participations WHERE remote_handle IS NOT NULL",
        )
        .await?,
        followers: by_url("SELECT actor FROM profile_followers").await?,
        following: by_url("SELECT target FROM profile_following").await?,
        removable_events: sent.events - sent.removed_events,
        removable_comments: sent.comments - sent.removed_comments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SQL rule and the Rust rule agree on every kind of handle.
    #[tokio::test]
    async fn the_sql_condition_covers_what_covers_covers() {
        for (_scratch, db) in crate::scratch::test_databases("domains_sql").await {
            sql_and_rust_agree(db.pool()).await;
        }
    }

    async fn sql_and_rust_agree(pool: &AnyPool) {
        for (domain, action) in [
            ("bad.example", "suspend"),
            ("127.0.0.1:8081", "limit"),
            ("port.example:8443", "limit"),
        ] {
            sqlx::query(
                "INSERT INTO domain_decisions (domain, action, reason, decided_at, position) \
                 VALUES ($1, $2, 'r', 't', 1)",
            )
            .bind(domain)
            .bind(action)
            .execute(pool)
            .await
            .expect("insert");
        }
        let decisions = DomainDecisions::load(pool).await.expect("load");
        for handle in [
            "ana",
            "ana@bad.example",
            "ana@events.bad.example",
            "ana@bad.example:8443",
            "ana@notbad.example",
            "ana@bad.example.org",
            "ana@127.0.0.1:8081",
            "ana@127.0.0.1:8082",
            "ana@port.example:8443",
            "ana@sub.port.example:8443",
            "ana@port.example",
        ] {
            let sql = concat!(
                "SELECT CASE WHEN ",
                covered_sql!("h", "'suspend', 'limit'"),
                " THEN 1 ELSE 0 END FROM (SELECT CAST($1 AS TEXT) AS h) t"
            );
            let covered: i64 = sqlx::query_scalar(sql)
                .bind(handle)
                .fetch_one(pool)
                .await
                .expect("query");
            let host = handle.rsplit_once('@').map(|(_, h)| h);
            let expected = host.is_some_and(|h| decisions.for_host(h).is_some());
            assert_eq!(covered == 1, expected, "{handle}");
        }
        assert!(decisions.suspends("events.bad.example"));
        assert!(!decisions.suspends("127.0.0.1:8081"));
        assert_eq!(
            decisions.for_host("127.0.0.1:8081"),
            Some(DomainAction::Limit)
        );
    }
}
