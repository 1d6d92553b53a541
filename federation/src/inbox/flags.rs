//! A `Flag`: another instance reports content of this one to its moderators (Mastodon and
//! Mobilizon send it from their instance actor, Lemmy from the reporting person, with the reason
//! in `summary`). It becomes a report in the queue, its reporter unnamed; `object`, one id or a
//! list, names the reported actor and content, and only this instance's are kept.

use super::dispatch::refusal;
use super::{Inbox, Refusal};
use crate::incoming::IncomingActivity;
use convene_api::remote_events::FromRemote;
use convene_api::reports::{self, Receipt, ReceivedReport};

pub(super) async fn flag(
    inbox: &Inbox,
    from: &FromRemote,
    activity: &IncomingActivity,
) -> Result<String, Refusal> {
    let received = ReceivedReport {
        flag: activity.id.clone(),
        objects: activity.objects.clone(),
        comment: activity.content.clone().unwrap_or_default(),
    };
    match reports::receive(&inbox.app, from, received).await {
        Ok(Receipt::Filed(report)) => Ok(format!("filed report {report} from {}", activity.id)),
        Ok(Receipt::Ignored(why)) => Err(Refusal::ignored(why)),
        Err(error) => Err(refusal(error)),
    }
}
