//! Reports forwarded to another instance: a `Flag` from this instance's actor (the reporter is
//! never named elsewhere), derived from the report's filing as Mastodon and Mobilizon send it:
//! `object` names the reported actors then their event or comments (one id alone when the
//! report names one thing: an actor itself), `content` is the reporter's comment as plain text,
//! and the reported actors are its audience.

use super::derive::Outgoing;
use crate::actors::local::instance_actor_id;
use crate::keys::key_id;
use crate::objects::{activity_id, Activity, ActivityKind};
use convene_domain::{Report, ReportChange};
use convene_projections::{Error, StoredEvent};
use cqrs_es::Aggregate;
use serde_json::Value;

/// The `Flag`s the reports filed in `batch` send.
pub fn flag_activities(
    public_url: &str,
    batch: &[StoredEvent],
) -> Result<Vec<(i64, Outgoing)>, Error> {
    let relay = instance_actor_id(public_url);
    let mut out = Vec::new();
    for stored in batch.iter().filter(|s| s.aggregate_type == Report::TYPE) {
        let ReportChange::Filed {
            comment, federated, ..
        } = stored.change()?
        else {
            continue;
        };
        let Some(forward) = federated.forward else {
            continue;
        };
        let id = activity_id(
            public_url,
            &format!("report-{}", stored.aggregate_id),
            stored.sequence as u64,
            ActivityKind::Flag,
        );
        let mut objects: Vec<Value> = (forward.actors.iter().chain(&forward.objects))
            .cloned()
            .map(Value::String)
            .collect();
        // A single value, as Mastodon writes a report on an account alone; receivers take both.
        let object = match objects.len() {
            1 => objects.remove(0),
            _ => Value::Array(objects),
        };
        let mut activity = Activity::new(
            id,
            ActivityKind::Flag,
            &relay,
            object,
            forward.actors.clone(),
            Vec::new(),
            stored.metadata()?.recorded_at,
        );
        activity.content = Some(comment);
        activity.media_type = Some("text/plain".into());
        out.push((
            stored.position,
            Outgoing {
                activity,
                key_id: key_id(&relay),
                inboxes: vec![forward.inbox],
                about: None,
            },
        ));
    }
    Ok(out)
}
