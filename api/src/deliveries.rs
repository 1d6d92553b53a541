//! What this instance sends other instances, for administrators: the deliveries by state
//! (pending, delivered, failed, dead), with their tries and last answers, and a failed or dead
//! one tried again. The running server's delivery worker sends what is pending.

use crate::auth::Session;
use crate::error::{Error, Result};
use crate::AppState;
use convene_domain::metadata::format_timestamp;
use convene_projections::deliveries::{self, Delivery, State, Which};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

/// Deliveries a page.
pub const PAGE_SIZE: i64 = 50;

/// The last page asked for that is not refused.
const MAX_PAGE: i64 = 1_000_000;

/// Which deliveries.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// pending, delivered, failed or dead; all but the delivered ones when absent.
    pub state: Option<String>,
    /// From 1.
    pub page: Option<i64>,
}

/// One delivery of an activity to one inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: String,
    /// The activity sent (its id).
    pub activity: String,
    pub inbox: String,
    /// The inbox's host (and port): each is limited and paused on its own.
    pub host: String,
    /// pending, delivered, failed or dead.
    pub state: String,
    /// Tries made so far.
    pub attempts: i64,
    /// When a pending delivery is tried next (RFC 3339).
    pub next_attempt_at: Option<String>,
    /// The last HTTP status answered, if any.
    pub last_status: Option<i64>,
    /// Why the last try failed, if it did without an answer (or the answer's reason).
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A page of deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    /// Deliveries matching, in all pages.
    pub total: i64,
    pub page: i64,
    /// Oldest first.
    pub deliveries: Vec<DeliveryView>,
}

const ADMINISTRATORS_ONLY: &str =
    "only administrators see and retry what is delivered to other instances";

fn timestamp(ms: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format_timestamp(at)
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        DeliveryView {
            next_attempt_at: (d.state == State::Pending).then(|| timestamp(d.next_attempt_at)),
            id: d.id,
            activity: d.activity_id,
            inbox: d.inbox,
            host: d.host,
            state: d.state.as_str().to_string(),
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            created_at: timestamp(d.created_at),
            updated_at: timestamp(d.updated_at),
        }
    }
}

/// The deliveries `query` asks for (administrators only).
pub async fn list(
    state: &AppState,
    session: &Session,
    query: DeliveriesQuery,
) -> Result<DeliveryPage> {
    session.require_administrator(ADMINISTRATORS_ONLY)?;
    let wanted = match query.state.as_deref() {
        None => None,
        Some(text) => Some(State::parse(text).ok_or_else(|| {
            Error::invalid_field("state", "choose pending, delivered, failed or dead")
        })?),
    };
    let page = query.page.unwrap_or(1);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(Error::invalid_field(
            "page",
            format!("pages are numbered from 1 to {MAX_PAGE}"),
        ));
    }
    let which = wanted.map_or(Which::Undelivered, Which::In);
    let pool = state.db.pool();
    let total = deliveries::count(pool, which).await?;
    let deliveries = deliveries::list(pool, which, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        .await?
        .into_iter()
        .map(DeliveryView::from)
        .collect();
    Ok(DeliveryPage {
        total,
        page,
        deliveries,
    })
}

/// Makes the failed or dead delivery `id` pending again, to be tried at once with a fresh count
/// (administrators only): 404 for an unknown id, 409 for one that is not failed or dead.
pub async fn retry(state: &AppState, session: &Session, id: &str) -> Result<DeliveryView> {
    session.require_administrator(ADMINISTRATORS_ONLY)?;
    let pool = state.db.pool();
    let now = OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    if !deliveries::retry(pool, id, now as i64).await? {
        return Err(match deliveries::get(pool, id).await? {
            None => Error::not_found(format!("there is no delivery {id}")),
            Some(d) => Error::conflict(format!(
                "only a failed or dead delivery is tried again; this one is {}",
                d.state.as_str()
            )),
        });
    }
    let retried = deliveries::get(pool, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("there is no delivery {id}")))?;
    Ok(retried.into())
}
