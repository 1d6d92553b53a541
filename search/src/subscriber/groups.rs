//! Groups as the subscriber sees them: each group a batch touches is folded from its first
//! change up to the batch's end, reading only the changes its document depends on (its
//! settings, its memberships and its suspension, not its posts or discussions).

use crate::group::group_document;
use crate::{Change, Error};
use convene_domain::{Group, GroupChange};
use convene_projections::StoredEvent;
use cqrs_es::Aggregate;
use sqlx::{AnyPool, Row};
use std::collections::{BTreeMap, BTreeSet};

/// The changes a group's document depends on.
const SHOWN: [&str; 13] = [
    "GroupCreated",
    "GroupUpdated",
    "GroupMemberJoined",
    "GroupMemberInvited",
    "GroupInvitationAccepted",
    "GroupInvitationDeclined",
    "GroupMemberApproved",
    "GroupMemberRejected",
    "GroupMemberLeft",
    "GroupMemberRoleChanged",
    "GroupMemberRemoved",
    "GroupSuspended",
    "GroupUnsuspended",
];

/// The index changes for the groups `batch` touches, as they stand at the batch's end.
pub async fn changes(pool: &AnyPool, batch: &[StoredEvent]) -> Result<Vec<Change>, Error> {
    let Some(last) = batch.last() else {
        return Ok(Vec::new());
    };
    let touched: BTreeSet<&str> = batch
        .iter()
        .filter(|e| e.aggregate_type == Group::TYPE && SHOWN.contains(&e.event_type.as_str()))
        .map(|e| e.aggregate_id.as_str())
        .collect();
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let ids: Vec<&str> = touched.into_iter().collect();
    for chunk in ids.chunks(200) {
        let types_at = 3;
        let ids_at = types_at + SHOWN.len();
        let list = |from: usize, n: usize| {
            (from..from + n)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sql = format!(
            "SELECT aggregate_id, position, CAST(payload AS TEXT) AS payload FROM event_log \
             WHERE aggregate_type = $1 AND position <= $2 AND event_type IN ({}) \
             AND aggregate_id IN ({}) ORDER BY position",
            list(types_at, SHOWN.len()),
            list(ids_at, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(Group::TYPE).bind(last.position);
        for t in SHOWN {
            query = query.bind(t);
        }
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(pool).await? {
            let position: i64 = row.try_get("position")?;
            let payload: String = row.try_get("payload")?;
            let change: GroupChange = serde_json::from_str(&payload).map_err(|e| {
                Error::Log(convene_projections::Error::Unreadable {
                    position,
                    reason: e.to_string(),
                })
            })?;
            groups
                .entry(row.try_get("aggregate_id")?)
                .or_default()
                .apply(change);
        }
    }
    Ok(ids
        .iter()
        .map(|id| {
            groups
                .get(*id)
                .and_then(|group| group_document(id, group))
                .map_or_else(
                    || Change::RemoveGroup(id.to_string()),
                    |d| Change::PutGroup(Box::new(d)),
                )
        })
        .collect())
}
