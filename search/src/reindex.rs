//! Rebuilding the index from the log while the live one keeps answering: the log is applied
//! from position 0 into shadow tables with a checkpoint of their own, which then replace the
//! live tables in one transaction, taking the live checkpoint along.

use crate::embedded::{Embedded, SHADOW};
use crate::{Error, SearchIndex, SearchSubscriber, SUBSCRIBER};
use convene_projections::{Database, EventLog, Runner};
use std::sync::Arc;

/// The checkpoint of a rebuild under way.
pub const REBUILD: &str = "search:rebuild";

/// Rebuilds `live` from the whole log, calling `progress(position, head)` after each batch;
/// returns the position the new index is at.
pub async fn reindex(
    db: &Database,
    live: &Embedded,
    progress: &mut (dyn FnMut(i64, i64) + Send),
) -> Result<i64, Error> {
    let shadow = Embedded::with_prefix(db.pool(), db.backend(), SHADOW);
    shadow.drop_tables().await?;
    shadow.prepare().await?;
    let subscriber = Arc::new(SearchSubscriber::named(REBUILD, Arc::new(shadow.clone())));
    let runner = Runner::new(subscriber, db);
    runner.reset().await?;
    let head = EventLog::new(db).head().await?.position;
    progress(0, head);
    let at = runner.catch_up(head, &mut |at| progress(at, head)).await?;
    shadow.replace_with(live, SUBSCRIBER, at).await?;
    Ok(at)
}

/// Rebuilds the Meilisearch index `live` from the whole log into a sibling index, swaps the two
/// when complete (searches see the old one until then) and deletes the old one. The live
/// subscriber may be writing a batch meanwhile, to either index: the swap is counted
/// ([`crate::meili::count_swap`]) so that batch's checkpoint does not move, and the live
/// checkpoint is set to the earlier of the rebuild's and its own, so nothing older than the
/// new index stays in it and nothing newer is skipped.
pub async fn reindex_meili(
    db: &Database,
    live: &crate::Meili,
    progress: &mut (dyn FnMut(i64, i64) + Send),
) -> Result<i64, Error> {
    let shadow = live.sibling(&format!("{}_next", live.uid()));
    shadow.delete().await?;
    shadow.prepare().await?;
    live.prepare().await?;
    let subscriber = Arc::new(SearchSubscriber::named(REBUILD, Arc::new(shadow.clone())));
    let runner = Runner::new(subscriber, db);
    runner.reset().await?;
    let head = EventLog::new(db).head().await?.position;
    progress(0, head);
    let at = runner.catch_up(head, &mut |at| progress(at, head)).await?;
    live.swap_with(&shadow).await?;
    // Batches the live subscriber wrote meanwhile are fenced off, and it resumes from where the
    // new index and it agree.
    crate::meili::count_swap(db.pool(), SUBSCRIBER, at).await?;
    shadow.delete().await?;
    Ok(at)
}
