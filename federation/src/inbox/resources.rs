//! A remote member's link or folder for one of our groups' resources, as Mobilizon's members
//! send it: a `Create` (or, into a folder, an `Add`) of a `Document` or `ResourceCollection`
//! whose `target` (else its `context`) is the group's `resources`
//! (`{public_url}/@{handle}/resources`) or one of its folders (`…/resources/{id}`); applied by
//! the group's rules (members only, into a folder that exists), the resource's id derived from
//! the object's. Its `Update` of one of the group's resources (renamed, another address, moved
//! to the folder its `context` names), its `Move` of one (to the folder its `context`, else the
//! `Move`'s `target`, names) and its `Delete` of one, likewise. The group then relays each
//! change to its other members' instances.

use super::dispatch::refusal;
use super::{Inbox, Refusal};
use crate::incoming::IncomingResource;
use axum::http::StatusCode;
use convene_api::remote_events::FromRemote;
use convene_api::remote_groups;

/// The group and folder (none: the top) `url` names, when it is one of our groups' resources.
fn ours(inbox: &Inbox, url: &str) -> Option<(String, Option<String>)> {
    let (handle, place) = super::in_our_group(inbox, url, "/resources")?;
    let folder = match place {
        "" => None,
        folder => Some(
            folder
                .strip_prefix('/')
                .filter(|f| super::is_plain(f))?
                .to_string(),
        ),
    };
    Some((handle, folder))
}

/// `resource`, sent by the actor of `from` (who must be the one adding it) to go in `target`.
pub(super) async fn add(
    inbox: &Inbox,
    from: &FromRemote,
    target: Option<&str>,
    resource: &IncomingResource,
) -> Result<String, Refusal> {
    let Some(place) = target.or(resource.context.as_deref()) else {
        return Err(Refusal::ignored(format!(
            "{} names no group's resources to go in",
            resource.id
        )));
    };
    let Some((handle, folder)) = ours(inbox, place) else {
        return Err(Refusal::ignored(format!(
            "{place} is not the resources of a group here"
        )));
    };
    if resource.actor != from.actor {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!(
                "{} is added by {}, not by {}",
                resource.id, resource.actor, from.actor
            ),
        ));
    }
    let content = resource.content.clone();
    let added =
        remote_groups::add_resource(&inbox.app, from, &handle, (&resource.id, folder), content)
            .await
            .map_err(refusal)?;
    Ok(format!(
        "{} added {} to the resources of @{handle}: resource {added}",
        from.actor, resource.id
    ))
}

/// `resource` as the actor of `from`, a member, asks one of our groups to change it: what it
/// says, and the folder `place` names (the group's `resources`: the top): its `context`, or a
/// `Move`'s `target` when it names none.
pub(super) async fn change(
    inbox: &Inbox,
    from: &FromRemote,
    place: Option<&str>,
    resource: &IncomingResource,
) -> Result<String, Refusal> {
    let place = place.unwrap_or_default();
    let Some((handle, folder)) = ours(inbox, place) else {
        return Err(Refusal::ignored(format!(
            "{} is in no group's resources here",
            resource.id
        )));
    };
    let content = resource.content.clone();
    let changed =
        remote_groups::change_resource(&inbox.app, from, &resource.id, (&handle, folder), content)
            .await
            .map_err(refusal)?;
    Ok(format!(
        "{} changed {} in the resources of @{handle}: resource {changed}",
        from.actor, resource.id
    ))
}

/// The actor of `from`, a member, deletes `id` when it is a resource of one of our groups; `None`
/// when no group here holds it.
pub(super) async fn deleted(
    inbox: &Inbox,
    from: &FromRemote,
    id: &str,
) -> Result<Option<String>, Refusal> {
    let deleted = remote_groups::delete_resource(&inbox.app, from, id)
        .await
        .map_err(refusal)?;
    Ok(deleted.map(|handle| {
        format!(
            "{} deleted {id} from the resources of @{handle}",
            from.actor
        )
    }))
}
