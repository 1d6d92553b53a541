//! Notifications: everyone concerned by a change hears of it.
//!
//! The [`NotificationsSubscriber`] follows the log like any subscriber and decides, for each
//! change of an event, who must hear of it ([`mapping`]); each notification's id is derived from
//! (position, recipient, kind), so a replay or a batch seen again after a crash stores nothing
//! new. Notifications are the in-app inbox ([`store::inbox`]); those delivered by mail get a row
//! in the mail outbox, which the [`Sender`] empties through the instance's mailer, in the
//! recipient's language ([`templates`]), with retries and a signed one-click unsubscribe link
//! ([`unsubscribe`]). Commands never wait for any of it. The inbox ([`inbox`]) and each
//! account's choice per kind ([`settings`]) are use cases the JSON API ([`http`]) and the pages
//! call. Reminders before the events people take part in ([`reminders`]) are scheduled by the
//! same subscriber and sent, once, by the [`Scheduler`]. Notifications an account gets "in the
//! digest" are listed in one mail a day at its chosen hour by the [`Digester`] ([`digest`]).

pub mod digest;
pub mod http;
pub mod inbox;
pub mod kinds;
pub mod mapping;
pub mod reminders;
pub mod sender;
pub mod settings;
pub mod store;
pub mod subscriber;
pub mod templates;
pub mod unsubscribe;

pub use digest::Digester;
pub use kinds::{Delivery, Kind};
pub use reminders::Scheduler;
pub use sender::{Retries, Sender};
pub use subscriber::NotificationsSubscriber;

/// The subscriber's name: its checkpoint, its lease, `convene replay --projection notifications`.
pub const SUBSCRIBER: &str = "notifications";

/// Does `work` at once (what fell due while the server was stopped), then every `poll` until
/// `shutdown`; a failed round is logged as `what` and tried again at the next.
pub(crate) async fn every<T, F, Fut>(
    poll: std::time::Duration,
    shutdown: tokio_util::sync::CancellationToken,
    what: &str,
    work: F,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, convene_projections::Error>>,
{
    loop {
        if let Err(error) = work().await {
            tracing::warn!(%error, "{what}");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(poll) => {}
        }
    }
}
