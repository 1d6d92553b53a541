//! The mail sender: takes due mails from the outbox table (never from memory, so a restart
//! loses nothing), writes each in its recipient's language, sends it through the instance's
//! mailer and records the outcome. A refusal that may pass (SMTP 4xx, a server that cannot be
//! reached) is tried again later, after a delay that doubles each time; a permanent refusal
//! (5xx), or too many attempts, leaves the mail failed with its reason, for administrators.

use crate::mapping::Recipient;
use crate::store::{self, Due, Mail, Stored};
use crate::templates::{self, Links};
use crate::unsubscribe;
use convene_api::account_mail::{self, AccountMail};
use convene_api::mail::{MailError, Mailer, Outgoing};
use convene_projections::account_mails::AccountMailRow;
use convene_projections::{accounts, Backend, Database, Error};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How hard the sender tries.
#[derive(Debug, Clone, Copy)]
pub struct Retries {
    /// The wait after the first refusal; each later one doubles it.
    pub first_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
    /// Attempts before a mail is given up as failed.
    pub max_attempts: i64,
    /// How long a claimed mail stays away from other senders (a sender that dies mid-send gives
    /// its mails back after it).
    pub lease: Duration,
    /// How often the outbox is looked at when nothing woke the sender.
    pub poll: Duration,
}

impl Default for Retries {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(6 * 3600),
            max_attempts: 10,
            lease: Duration::from_secs(300),
            poll: Duration::from_secs(5),
        }
    }
}

impl Retries {
    /// The wait after the `attempts`th refusal.
    pub fn delay(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        self.first_delay
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(self.max_delay)
    }
}

/// Mails claimed per round.
const PER_ROUND: i64 = 50;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

#[derive(Clone)]
pub struct Sender {
    db: Database,
    mailer: Arc<Mailer>,
    public_url: String,
    new_mail: Arc<Notify>,
    retries: Retries,
}

impl Sender {
    pub fn new(
        db: &Database,
        mailer: Arc<Mailer>,
        public_url: &str,
        new_mail: Arc<Notify>,
        retries: Retries,
    ) -> Self {
        Self {
            db: db.clone(),
            mailer,
            public_url: public_url.trim_end_matches('/').to_string(),
            new_mail,
            retries,
        }
    }

    /// Sends due mails until `shutdown`, woken by new mail or the poll interval.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            let woken = self.new_mail.notified();
            let busy = match self.send_due().await {
                Ok(round) => round.sent + round.retrying + round.failed > 0,
                Err(error) => {
                    tracing::warn!(%error, "notification mails: the outbox could not be read");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = woken => {}
                _ = tokio::time::sleep(self.retries.poll) => {}
            }
        }
    }

    /// One round: claims the mails due now and sends them.
    pub async fn send_due(&self) -> Result<Round, Error> {
        let pool = self.db.pool();
        let due = store::claim_due(
            pool,
            self.db.backend() == Backend::Postgres,
            PER_ROUND,
            i64::try_from(self.retries.lease.as_secs()).unwrap_or(300),
        )
        .await?;
        let mut round = Round::default();
        for mail in due {
            let id = mail.id.clone();
            let outcome = match self.compose(&mail).await? {
                Some(outgoing) => self.mailer.send_mail(&outgoing).await,
                None => Err(MailError::Refused(
                    "nobody to send it to (the account is gone or disabled), or nothing left to send"
                        .into(),
                )),
            };
            match outcome {
                Ok(()) => {
                    store::mark_sent(pool, &id).await?;
                    round.sent += 1;
                }
                Err(MailError::Send(reason)) if mail.attempts < self.retries.max_attempts => {
                    let wait = self.retries.delay(mail.attempts);
                    let due_at =
                        store::now() + i64::try_from(wait.as_secs()).unwrap_or(i64::MAX / 2);
                    tracing::info!(mail = id, attempts = mail.attempts, %reason, "notification mail refused for now; trying again later");
                    store::retry_at(pool, &id, due_at, &reason).await?;
                    round.retrying += 1;
                }
                Err(error) => {
                    let reason = match error {
                        MailError::Send(reason) => {
                            format!("given up after {} attempts: {reason}", mail.attempts)
                        }
                        other => other.to_string(),
                    };
                    tracing::warn!(mail = id, %reason, "notification mail failed");
                    store::mark_failed(pool, &id, &reason).await?;
                    round.failed += 1;
                }
            }
        }
        Ok(round)
    }

    /// The message for `mail`, in its recipient's language; `None` when there is nobody to send
    /// it to any more (the account is gone or disabled).
    async fn compose(&self, mail: &Due) -> Result<Option<Outgoing>, Error> {
        match &mail.mail {
            Mail::Notification(n) => self.notification(n).await,
            Mail::Digest { account_id, items } => self.digest(&mail.id, account_id, items).await,
            Mail::Account(row) => Ok(account_mail(row)),
        }
        .map(|outgoing| {
            outgoing.map(|outgoing| Outgoing {
                message_id: Some(convene_api::mail::message_id(&mail.id, &self.public_url)),
                ..outgoing
            })
        })
    }

    /// The account's address and language, and the signed link stopping what the mail `id`
    /// tells of (`what`: a kind's name, or [`unsubscribe::DIGEST`]).
    async fn account_link(
        &self,
        account_id: &str,
        id: &str,
        what: &str,
    ) -> Result<Option<(String, String, String)>, Error> {
        let pool = self.db.pool();
        let Some(account) = accounts::by_id(pool, account_id).await? else {
            return Ok(None);
        };
        if account.disabled {
            return Ok(None);
        }
        let key = unsubscribe::key(pool).await?;
        let token = unsubscribe::sign(&key, id, account_id, what);
        let link = format!(
            "{}/notifications/unsubscribe?token={token}",
            self.public_url
        );
        Ok(Some((account.email, account.locale, link)))
    }

    async fn notification(&self, n: &Stored) -> Result<Option<Outgoing>, Error> {
        let (to, locale, unsubscribe) = match Recipient::parse(&n.recipient) {
            Some(Recipient::Profile(_) | Recipient::Account(_)) => {
                let Some(account_id) = &n.account_id else {
                    return Ok(None);
                };
                match self
                    .account_link(account_id, &n.id, n.kind.as_str())
                    .await?
                {
                    // A kind nobody may turn off offers no link pretending to.
                    Some((to, locale, link)) => {
                        (to, locale, n.kind.chosen_by_person().then_some(link))
                    }
                    None => return Ok(None),
                }
            }
            Some(Recipient::Email(email)) => (email, n.facts.language.clone(), None),
            None => return Ok(None),
        };
        let link = crate::inbox::link(&self.public_url, n.kind, &n.event_id);
        // Checked when sent: a participation cancelled since, or made before cancellation
        // tokens were derived, gets no link that would not work.
        let cancel = match &n.facts.participation {
            Some(participation) => {
                convene_api::participations::cancel_link(
                    self.db.pool(),
                    &self.public_url,
                    participation,
                )
                .await?
            }
            None => None,
        };
        let rendered = templates::render(
            &locale,
            n.kind,
            &n.facts,
            &Links {
                link: &link,
                unsubscribe: unsubscribe.as_deref(),
                cancel: cancel.as_deref(),
            },
        );
        Ok(Some(Outgoing {
            to,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            unsubscribe,
            message_id: None,
        }))
    }

    /// A digest: each notification's line and link, in the account's language.
    async fn digest(
        &self,
        id: &str,
        account_id: &str,
        items: &[Stored],
    ) -> Result<Option<Outgoing>, Error> {
        let Some((to, locale, unsubscribe)) = self
            .account_link(account_id, id, unsubscribe::DIGEST)
            .await?
        else {
            return Ok(None);
        };
        let lines: Vec<(String, String)> = items
            .iter()
            .map(|n| {
                let link = crate::inbox::link(&self.public_url, n.kind, &n.event_id);
                let line = templates::render(
                    &locale,
                    n.kind,
                    &n.facts,
                    &Links {
                        link: &link,
                        unsubscribe: None,
                        cancel: None,
                    },
                )
                .subject;
                (line, link)
            })
            .collect();
        let inbox = format!("{}/notifications", self.public_url);
        let rendered = templates::render_digest(
            &locale,
            &lines,
            &Links {
                link: &inbox,
                unsubscribe: Some(&unsubscribe),
                cancel: None,
            },
        );
        Ok(Some(Outgoing {
            to,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            unsubscribe: Some(unsubscribe),
            message_id: None,
        }))
    }
}

/// A mail about an account, composed again from what the outbox kept; `None` when it cannot be
/// (its values already forgotten, or a mail this version does not know).
fn account_mail(row: &AccountMailRow) -> Option<Outgoing> {
    let mail = AccountMail::parse(&row.mail)?;
    let values = row.values.as_ref()?;
    let values: Vec<(&str, &str)> = values
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    Some(account_mail::compose(
        mail,
        &row.locale,
        &row.recipient,
        &values,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_its_cap() {
        let retries = Retries {
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(600),
            ..Retries::default()
        };
        assert_eq!(retries.delay(1), Duration::from_secs(60));
        assert_eq!(retries.delay(2), Duration::from_secs(120));
        assert_eq!(retries.delay(4), Duration::from_secs(480));
        assert_eq!(retries.delay(5), Duration::from_secs(600));
        assert_eq!(retries.delay(500), Duration::from_secs(600));
    }
}
