//! A remote member's link or folder for one of our groups' resources, as Mobilizon's members
//! send it: a `Create` of a `Document` or `ResourceCollection` whose `target` (else its
//! `context`) is the group's `resources` (`{public_url}/@{handle}/resources`) or one of its
//! folders (`…/resources/{id}`); applied by the group's rules (members only, into a folder that
//! exists), the resource's id derived from the object's. The group then relays it to its other
//! members' instances.

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
