//! NodeInfo 2.0 and 2.1: what software this is, its protocols, who may register and how much it
//! holds. The links document also names the instance actor (FEP-2677).

use convene_projections::Database;
use serde_json::{json, Value};
use sqlx::Row;
use time::OffsetDateTime;

pub const SCHEMA_20: &str = "http://nodeinfo.diaspora.software/ns/schema/2.0";
pub const SCHEMA_21: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";
/// FEP-2677: the link to the instance actor.
pub const APPLICATION_REL: &str = "https://www.w3.org/ns/activitystreams#Application";

/// The software, as NodeInfo names it (lower case, as the schema requires).
pub const SOFTWARE: &str = "convene";

/// `/.well-known/nodeinfo`.
pub fn links(public_url: &str) -> Value {
    json!({
        "links": [
            {"rel": SCHEMA_20, "href": format!("{public_url}/nodeinfo/2.0")},
            {"rel": SCHEMA_21, "href": format!("{public_url}/nodeinfo/2.1")},
            {"rel": APPLICATION_REL, "href": crate::actors::local::instance_actor_id(public_url)},
        ]
    })
}

/// What the instance says of itself in NodeInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceInfo {
    pub name: String,
    pub description: String,
    pub open_registrations: bool,
}

/// The counts NodeInfo reports, from the read models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Accounts that are not disabled.
    pub users: i64,
    /// Of them, those who signed in (opened a session still open) in the last 30 days.
    pub active_month: i64,
    /// … in the last 180 days.
    pub active_halfyear: i64,
    /// Published (not draft) events: Mobilizon counts its local events as posts.
    pub local_posts: i64,
    /// Comments not deleted.
    pub local_comments: i64,
}

/// Which NodeInfo version to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V20,
    V21,
}

impl Version {
    pub fn schema(self) -> &'static str {
        match self {
            Version::V20 => SCHEMA_20,
            Version::V21 => SCHEMA_21,
        }
    }
}

/// The NodeInfo document.
pub fn document(version: Version, instance: &InstanceInfo, usage: Usage) -> Value {
    let mut software = json!({"name": SOFTWARE, "version": env!("CARGO_PKG_VERSION")});
    if version == Version::V21 {
        // Written only when the workspace names them (`repository`, `homepage` in Cargo.toml).
        for (key, value) in [
            ("repository", env!("CARGO_PKG_REPOSITORY")),
            ("homepage", env!("CARGO_PKG_HOMEPAGE")),
        ] {
            if !value.is_empty() {
                software[key] = json!(value);
            }
        }
    }
    json!({
        "version": match version { Version::V20 => "2.0", Version::V21 => "2.1" },
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0"]},
        "openRegistrations": instance.open_registrations,
        "usage": {
            "users": {
                "total": usage.users,
                "activeMonth": usage.active_month,
                "activeHalfyear": usage.active_halfyear,
            },
            "localPosts": usage.local_posts,
            "localComments": usage.local_comments,
        },
        "metadata": {
            "nodeName": instance.name,
            "nodeDescription": instance.description,
        },
    })
}

/// Counts the read models. Sessions are the trace of activity the read models keep: an account
/// that signed in within the window and has not signed out since counts as active.
pub async fn usage(db: &Database) -> Result<Usage, sqlx::Error> {
    let now = OffsetDateTime::now_utc();
    let since =
        |days: i64| convene_domain::metadata::format_timestamp(now - time::Duration::days(days));
    let row = sqlx::query(
        "SELECT \
           (SELECT COUNT(*) FROM accounts WHERE disabled = 0) AS users, \
           (SELECT COUNT(DISTINCT s.account_id) FROM sessions s JOIN accounts a ON a.id = s.account_id \
              WHERE a.disabled = 0 AND s.created_at >= $1) AS active_month, \
           (SELECT COUNT(DISTINCT s.account_id) FROM sessions s JOIN accounts a ON a.id = s.account_id \
              WHERE a.disabled = 0 AND s.created_at >= $2) AS active_halfyear, \
           (SELECT COUNT(*) FROM events WHERE draft = 0) AS local_posts, \
           (SELECT COUNT(*) FROM comments WHERE body IS NOT NULL) AS local_comments",
    )
    .bind(since(30))
    .bind(since(180))
    .fetch_one(db.pool())
    .await?;
    Ok(Usage {
        users: row.try_get("users")?,
        active_month: row.try_get("active_month")?,
        active_halfyear: row.try_get("active_halfyear")?,
        local_posts: row.try_get("local_posts")?,
        local_comments: row.try_get("local_comments")?,
    })
}
