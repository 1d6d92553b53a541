//! What a group shows, one by one, at the addresses of its own resources, todo lists, todos and
//! discussion comments: the objects it relays to its members (the same shapes, folded from the
//! group's changes as the relays are), or their tombstones once deleted.

use super::group_discussions::Comments;
use super::group_work::{GroupDocument, Work};
use super::groups::actor_id;
use crate::actors::local::group_id;
use convene_domain::GroupChange;
use convene_projections::{Error, StoredEvent};

/// What group `@handle`, with the changes `log`, shows at `path` inside its address (its
/// segments: `resources/{id}`, `todos/{list}`, `todos/{list}/{todo}`, `c/{discussion}/{comment}`);
/// `None` when nothing of the group's own is there.
pub fn group_object(
    public_url: &str,
    handle: &str,
    log: &[StoredEvent],
    path: &[&str],
) -> Result<Option<GroupDocument>, Error> {
    let mut work = Work::default();
    let mut comments = Comments::default();
    for stored in log {
        let change: GroupChange = stored.change()?;
        let metadata = stored.metadata()?;
        let at = metadata.recorded_at;
        work.follow(
            &change,
            (&actor_id(public_url, handle, &metadata.actor), at),
        );
        comments.follow(public_url, handle, &change, at);
    }
    let group = group_id(public_url, handle);
    Ok(match path.first() {
        Some(&"c") => comments.at_address((public_url, handle), path),
        _ => work.at_address((public_url, &group), path),
    })
}
