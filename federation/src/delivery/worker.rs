//! The delivery worker: claims due deliveries, signs and posts them, and records each outcome.

use super::queue::{self, Claimed};
use super::{now_ms, DeliveryError};
use crate::client::{Client, FetchError, Posted};
use crate::signatures::Signer;
use convene_projections::deliveries::State;
use convene_projections::domains::DomainDecisions;
use convene_projections::Database;
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// Finds the signer for a key id (the key store belongs to the actors).
#[async_trait::async_trait]
pub trait SignerSource: Send + Sync {
    async fn signer(&self, key_id: &str) -> Option<Signer>;
}

/// When to try again: Mastodon's schedule (Sidekiq's), `n⁴ + 15 + rand(10)·(n + 1)` units
/// before the (n + 1)-th retry; with a unit of one second, a first try and 16 retries (Mastodon's
/// `retry: 16`) span a little over two days.
#[derive(Debug, Clone)]
pub struct Backoff {
    pub unit: Duration,
    pub max_attempts: i64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            unit: Duration::from_secs(1),
            max_attempts: 17,
        }
    }
}

impl Backoff {
    /// The wait after `failures` failed tries (1 after the first), with `jitter` in 0..10.
    pub fn delay(&self, failures: i64, jitter: u64) -> Duration {
        let n = failures.saturating_sub(1).max(0) as u64;
        let units = n.pow(4) + 15 + (jitter % 10) * (n + 1);
        self.unit.saturating_mul(units as u32)
    }

    /// Every wait in turn, without jitter: when each retry comes, as a whole schedule.
    pub fn schedule(&self) -> Vec<Duration> {
        (1..self.max_attempts).map(|n| self.delay(n, 0)).collect()
    }
}

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub backoff: Backoff,
    /// Deliveries sent to one host at once.
    pub per_host: usize,
    /// Deliveries sent at once in all.
    pub concurrency: usize,
    /// Deliveries claimed at a time.
    pub batch: i64,
    /// How long a claim holds: longer than a request may take.
    pub lease: Duration,
    /// How long to wait for new work when there is none.
    pub poll: Duration,
    /// Consecutive failures after which a host is left alone for `breaker_cooldown`.
    pub breaker_failures: u32,
    pub breaker_cooldown: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            backoff: Backoff::default(),
            per_host: 8,
            concurrency: 64,
            batch: 256,
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(1),
            breaker_failures: 10,
            breaker_cooldown: Duration::from_secs(60),
        }
    }
}

/// What one try came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Worth trying again (408, 429, 5xx, a network failure) after at least this long.
    Retry {
        at_least: Duration,
    },
    /// Not worth trying again.
    Failed,
}

impl Outcome {
    /// The outcome of an answer (or of no answer).
    pub fn of(result: &Result<Posted, FetchError>) -> Outcome {
        match result {
            Ok(posted) => match posted.status {
                200..=299 => Outcome::Delivered,
                408 | 429 | 500..=599 => Outcome::Retry {
                    at_least: posted.retry_after.unwrap_or_default(),
                },
                _ => Outcome::Failed,
            },
            Err(
                FetchError::Refused(_)
                | FetchError::InvalidUrl(_)
                | FetchError::TooManyRedirects(_),
            ) => Outcome::Failed,
            Err(_) => Outcome::Retry {
                at_least: Duration::ZERO,
            },
        }
    }
}

#[derive(Default)]
struct Host {
    permits: Option<Arc<Semaphore>>,
    failures: u32,
    open_until: i64,
}

/// Sends due deliveries. One per process; on PostgreSQL several processes may each run one.
pub struct Worker {
    db: Database,
    client: Client,
    signers: Arc<dyn SignerSource>,
    config: WorkerConfig,
    hosts: Mutex<HashMap<String, Host>>,
    all: Arc<Semaphore>,
}

impl Worker {
    pub fn new(
        db: Database,
        client: Client,
        signers: Arc<dyn SignerSource>,
        config: WorkerConfig,
    ) -> Arc<Self> {
        let all = Arc::new(Semaphore::new(config.concurrency.max(1)));
        Arc::new(Worker {
            db,
            client,
            signers,
            config,
            hosts: Mutex::new(HashMap::new()),
            all,
        })
    }

    /// Sends until `stop`, waiting `poll` whenever nothing is due.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        while !stop.is_cancelled() {
            let tried = match self.run_once().await {
                Ok(tried) => tried,
                Err(error) => {
                    tracing::warn!(%error, "delivery worker");
                    0
                }
            };
            if tried == 0 {
                tokio::select! {
                    _ = stop.cancelled() => {}
                    _ = tokio::time::sleep(self.config.poll) => {}
                }
            }
        }
    }

    /// Claims one batch of due deliveries and tries each, concurrently within the limits;
    /// returns how many were claimed.
    pub async fn run_once(self: &Arc<Self>) -> Result<usize, DeliveryError> {
        // Read before claiming: a failure here leaves no claim waiting out its lease.
        let decisions = Arc::new(DomainDecisions::load(self.db.pool()).await?);
        let claimed = queue::claim(&self.db, self.config.batch, self.config.lease).await?;
        let count = claimed.len();
        let mut tasks = Vec::with_capacity(count);
        for delivery in claimed {
            let worker = Arc::clone(self);
            let decisions = Arc::clone(&decisions);
            tasks.push(tokio::spawn(async move {
                if decisions.suspends(&delivery.host) {
                    return worker.refuse_suspended(delivery).await;
                }
                worker.attempt(delivery).await
            }));
        }
        for task in tasks {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!(%error, "recording a delivery"),
                Err(error) => tracing::warn!(%error, "a delivery task failed"),
            }
        }
        Ok(count)
    }

    /// Nothing goes to a domain the administrators suspended: the delivery fails, saying why
    /// (`convene federation retry` sends it once the decision is lifted).
    async fn refuse_suspended(&self, delivery: Claimed) -> Result<(), DeliveryError> {
        let error = format!(
            "not sent: {} is suspended by this instance's administrators",
            delivery.host
        );
        queue::record(
            &self.db,
            &delivery.id,
            State::Failed,
            delivery.attempts,
            now_ms(),
            None,
            Some(&error),
        )
        .await
    }

    async fn attempt(&self, delivery: Claimed) -> Result<(), DeliveryError> {
        let (host_permits, open_until) = self.host(&delivery.host);
        if open_until > now_ms() {
            return queue::postpone(&self.db, &delivery.id, open_until).await;
        }
        let Some(signer) = self.signers.signer(&delivery.key_id).await else {
            let error = format!("no key {}", delivery.key_id);
            return queue::record(
                &self.db,
                &delivery.id,
                State::Failed,
                delivery.attempts,
                now_ms(),
                None,
                Some(&error),
            )
            .await;
        };
        let result = {
            let _all = self.all.acquire().await;
            let _host = host_permits.acquire().await;
            self.client
                .post_signed(&delivery.inbox, delivery.body.into_bytes(), &signer)
                .await
        };
        let attempts = delivery.attempts + 1;
        let status = result.as_ref().ok().map(|p| p.status);
        let error = match &result {
            Ok(posted) if !(200..300).contains(&posted.status) => {
                Some(format!("answered {}", posted.status))
            }
            Ok(_) => None,
            Err(e) => Some(e.to_string()),
        };
        let outcome = Outcome::of(&result);
        self.note(&delivery.host, &outcome);
        let now = now_ms();
        let (state, next) = match outcome {
            Outcome::Delivered => (State::Delivered, now),
            Outcome::Failed => (State::Failed, now),
            Outcome::Retry { .. } if attempts >= self.config.backoff.max_attempts => {
                (State::Dead, now)
            }
            Outcome::Retry { at_least } => {
                let wait = self.config.backoff.delay(attempts, jitter()).max(at_least);
                (State::Pending, now + wait.as_millis() as i64)
            }
        };
        if let Some(error) = &error {
            tracing::info!(inbox = %delivery.inbox, attempts, state = state.as_str(), %error, "delivery");
        }
        queue::record(
            &self.db,
            &delivery.id,
            state,
            attempts,
            next,
            status,
            error.as_deref(),
        )
        .await
    }

    /// The host's permits, and until when its circuit is open.
    fn host(&self, host: &str) -> (Arc<Semaphore>, i64) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        let entry = hosts.entry(host.to_string()).or_default();
        let permits = entry
            .permits
            .get_or_insert_with(|| Arc::new(Semaphore::new(self.config.per_host.max(1))))
            .clone();
        (permits, entry.open_until)
    }

    /// Counts consecutive failures of a host, opening its circuit past the threshold.
    fn note(&self, host: &str, outcome: &Outcome) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        let entry = hosts.entry(host.to_string()).or_default();
        match outcome {
            Outcome::Retry { .. } => {
                entry.failures += 1;
                if entry.failures >= self.config.breaker_failures {
                    entry.failures = 0;
                    entry.open_until = now_ms() + self.config.breaker_cooldown.as_millis() as i64;
                    tracing::warn!(host, "deliveries to this host paused: it keeps failing");
                }
            }
            _ => entry.failures = 0,
        }
    }
}

fn jitter() -> u64 {
    let mut byte = [0u8];
    let _ = SystemRandom::new().fill(&mut byte);
    u64::from(byte[0] % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mastodons_schedule_spans_days() {
        let backoff = Backoff::default();
        assert_eq!(backoff.delay(1, 0), Duration::from_secs(15));
        assert_eq!(backoff.delay(2, 0), Duration::from_secs(16));
        assert_eq!(backoff.delay(3, 9), Duration::from_secs(16 + 15 + 27));
        let total: Duration = backoff.schedule().iter().sum();
        // 16 waits between 17 tries: a little over two days.
        assert_eq!(backoff.schedule().len(), 16);
        assert!(
            total > Duration::from_secs(2 * 86_400) && total < Duration::from_secs(3 * 86_400),
            "{total:?}"
        );
    }

    #[test]
    fn outcomes_of_answers() {
        let posted = |status, retry_after| {
            Ok(Posted {
                status,
                retry_after,
            })
        };
        assert_eq!(Outcome::of(&posted(202, None)), Outcome::Delivered);
        assert_eq!(Outcome::of(&posted(404, None)), Outcome::Failed);
        assert_eq!(Outcome::of(&posted(401, None)), Outcome::Failed);
        assert_eq!(
            Outcome::of(&posted(429, Some(Duration::from_secs(30)))),
            Outcome::Retry {
                at_least: Duration::from_secs(30)
            }
        );
        assert_eq!(
            Outcome::of(&posted(503, None)),
            Outcome::Retry {
                at_least: Duration::ZERO
            }
        );
        assert_eq!(
            Outcome::of(&posted(408, None)),
            Outcome::Retry {
                at_least: Duration::ZERO
            }
        );
        assert_eq!(
            Outcome::of(&Err(FetchError::Timeout)),
            Outcome::Retry {
                at_least: Duration::ZERO
            }
        );
        assert_eq!(
            Outcome::of(&Err(FetchError::Refused(crate::client::Refused::NoHost))),
            Outcome::Failed
        );
    }
}
