//! Rate limits on the actions worth guessing at: logging in, registering, asking for a password
//! reset and joining an event anonymously (the last three send mail).
//!
//! Two limits apply to each attempt: one per client address (so one machine cannot try many
//! accounts) and one per account, the email address tried (so many machines cannot try one
//! account). Each action has its own buckets: failing to log in does not use up registrations.
//! For logins the account's bucket counts failed passwords only ([`Throttle::check_login`],
//! [`Throttle::failed_login`]): its owner logging in uses none of it.
//! The buckets are GCRA cells from `governor`: the burst is the limit, refilled evenly over the
//! period, so a client over its limit may try again as soon as one attempt has come back.
//!
//! Beyond these limits, each account's login attempts slow down once they keep failing
//! ([`LoginDelay`]): after [`FREE_FAILURES`] failures in a row the next attempt must wait one
//! second, then two, four… up to `login_delay_max`, whatever the addresses they come from. The
//! wait never grows past that cap and is forgotten after [`FORGET_FAILURES_AFTER`] without an
//! attempt, so no one can lock an account for good; a login that succeeds starts afresh.

use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The sensitive actions; each has its own buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Login,
    Registration,
    PasswordReset,
    AnonymousParticipation,
    /// Reports filed without an account (when the instance takes them): limited per address.
    AnonymousReport,
    /// Another instance's group looked up without an account: each lookup makes this instance
    /// ask that instance (WebFinger, then the actor), so it is limited per address.
    AnonymousLookup,
}

/// How many attempts are allowed.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// attempts per minute from one IP (0: no limit)
    pub per_ip_per_minute: u32,
    /// attempts per hour for one account/address (0: no limit)
    pub per_account_per_hour: u32,
    /// the longest wait between failing logins to one account (zero: no wait)
    pub login_delay_max: Duration,
}

impl Limits {
    /// No limit at all (tests that log in and register many times from one address).
    pub fn off() -> Self {
        Self {
            per_ip_per_minute: 0,
            per_account_per_hour: 0,
            login_delay_max: Duration::ZERO,
        }
    }
}

impl Default for Limits {
    /// What a real instance keeps: enough for a person mistyping a password a few times, far
    /// too few for guessing.
    fn default() -> Self {
        Self {
            per_ip_per_minute: 10,
            per_account_per_hour: 30,
            login_delay_max: Duration::from_secs(60),
        }
    }
}

/// Checks between two sweeps of the buckets that are full again (and so need not be kept).
const SWEEP_EVERY: u64 = 1024;

/// The key of a client's bucket: its address, or its /64 for IPv6, since one subscriber usually
/// holds a whole /64 and could otherwise walk through addresses to escape the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Client {
    V4(u32),
    V6Prefix(u64),
}

impl From<IpAddr> for Client {
    fn from(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Client::V4(u32::from(v4)),
            IpAddr::V6(v6) => Client::V6Prefix((u128::from(v6) >> 64) as u64),
        }
    }
}

type Keyed<K, C> =
    RateLimiter<K, DefaultKeyedStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// The rate limiter for the sensitive actions. Share it in an `Arc`: checks take `&self`.
pub struct Throttle<C: Clock = DefaultClock> {
    per_ip: Option<Keyed<(Action, Client), C>>,
    /// Keyed by a hash of the address rather than the address: a fixed size per entry whatever
    /// is sent, and no list of addresses kept in memory. The hasher's keys are random per
    /// process, so collisions cannot be aimed at.
    per_account: Option<Keyed<(Action, u64), C>>,
    hasher: RandomState,
    checks: AtomicU64,
    clock: C,
    /// Accounts whose failed logins used up their bucket, until when.
    blocked: Mutex<HashMap<u64, C::Instant>>,
    /// Each account's failing logins in a row, and when the next may be tried.
    delays: Mutex<HashMap<u64, LoginDelay<C::Instant>>>,
    login_delay_max: Duration,
}

/// Failures in a row allowed without waiting: room for a person mistyping.
pub const FREE_FAILURES: u32 = 5;

/// Failures in a row after which the account's owner is told by mail (once per run): as soon
/// as its logins start to wait.
pub const BURST_FAILURES: u32 = FREE_FAILURES;

/// Without any attempt for this long, an account's failures are forgotten.
pub const FORGET_FAILURES_AFTER: Duration = Duration::from_secs(15 * 60);

/// One account's failing logins: how many in a row, the last one, and when the next may come.
#[derive(Debug, Clone, Copy)]
struct LoginDelay<I> {
    failures: u32,
    last: I,
    not_before: I,
    owner_told: bool,
}

/// The wait after `failures` failures in a row: none up to [`FREE_FAILURES`], then one second
/// doubling with each failure, never past `max`.
pub fn login_delay(failures: u32, max: Duration) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES).min(20);
    Duration::from_secs(1u64 << doublings).min(max)
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Self::with_clock(limits, DefaultClock::default())
    }
}

impl<C: Clock + Clone> Throttle<C> {
    /// A throttle reading the time from `clock` (tests pass a clock they move by hand).
    pub fn with_clock(limits: Limits, clock: C) -> Self {
        Self {
            per_ip: NonZeroU32::new(limits.per_ip_per_minute)
                .map(|n| RateLimiter::new(Quota::per_minute(n), Default::default(), clock.clone())),
            per_account: NonZeroU32::new(limits.per_account_per_hour)
                .map(|n| RateLimiter::new(Quota::per_hour(n), Default::default(), clock.clone())),
            hasher: RandomState::new(),
            checks: AtomicU64::new(0),
            clock,
            blocked: Mutex::default(),
            delays: Mutex::default(),
            login_delay_max: limits.login_delay_max,
        }
    }

    /// Counts one login attempt from `ip` to `account`, and refuses while earlier failed
    /// passwords have used up the account's bucket or while its login delay runs. Call before
    /// checking the password; the attempt counts as a failure until [`Throttle::logged_in`]
    /// says otherwise, so attempts sent all at once wait like attempts sent one by one.
    pub fn check_login(&self, ip: Option<IpAddr>, account: &str) -> Result<(), Duration> {
        self.check(Action::Login, ip, None)?;
        let now = self.clock.now();
        let key = self.account_key(account);
        {
            let blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(until) = blocked.get(&key).filter(|until| **until > now) {
                return Err(retry_after(until.duration_since(now).into()));
            }
        }
        if self.login_delay_max.is_zero() {
            return Ok(());
        }
        let mut delays = self.delays.lock().unwrap_or_else(|e| e.into_inner());
        let delay = delays.entry(key).or_insert(LoginDelay {
            failures: 0,
            last: now,
            not_before: now,
            owner_told: false,
        });
        if Duration::from(now.duration_since(delay.last)) >= FORGET_FAILURES_AFTER {
            delay.failures = 0;
            delay.owner_told = false;
        }
        if delay.not_before > now {
            return Err(retry_after(delay.not_before.duration_since(now).into()));
        }
        delay.failures += 1;
        delay.last = now;
        delay.not_before = now + login_delay(delay.failures, self.login_delay_max).into();
        Ok(())
    }

    /// Records a wrong password for `account`: a failure past its allowance makes logins to it
    /// wait until the bucket has room again. True once per run of failures, when it reaches
    /// [`BURST_FAILURES`]: the time to tell the account's owner.
    pub fn failed_login(&self, account: &str) -> bool {
        let key = self.account_key(account);
        if let Some(limiter) = &self.per_account {
            if let Err(not_until) = limiter.check_key(&(Action::Login, key)) {
                let mut blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
                blocked.insert(key, not_until.earliest_possible());
            }
        }
        let mut delays = self.delays.lock().unwrap_or_else(|e| e.into_inner());
        match delays.get_mut(&key) {
            Some(delay) if delay.failures >= BURST_FAILURES && !delay.owner_told => {
                delay.owner_told = true;
                true
            }
            _ => false,
        }
    }

    /// A login to `account` succeeded: its failures are forgotten.
    pub fn logged_in(&self, account: &str) {
        let key = self.account_key(account);
        let mut delays = self.delays.lock().unwrap_or_else(|e| e.into_inner());
        delays.remove(&key);
    }

    fn account_key(&self, account: &str) -> u64 {
        self.hasher.hash_one(account.trim().to_lowercase())
    }

    /// Counts one attempt of `action`; Err(retry_after) when either the IP or the account is over
    /// its limit.
    ///
    /// An attempt refused for its address is not counted against the account, so one machine
    /// over its limit cannot use up someone else's attempts. `account` is an email address,
    /// compared without regard to case or surrounding spaces.
    pub fn check(
        &self,
        action: Action,
        ip: Option<IpAddr>,
        account: Option<&str>,
    ) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep();
        }
        if let (Some(limiter), Some(ip)) = (&self.per_ip, ip) {
            limiter
                .check_key(&(action, Client::from(ip)))
                .map_err(|not_until| retry_after(not_until.wait_time_from(self.clock.now())))?;
        }
        if let (Some(limiter), Some(account)) = (&self.per_account, account) {
            let account = self.account_key(account);
            limiter
                .check_key(&(action, account))
                .map_err(|not_until| retry_after(not_until.wait_time_from(self.clock.now())))?;
        }
        Ok(())
    }

    /// Forgets the buckets that have filled up again, so memory follows the recent attempts
    /// rather than every address ever seen.
    fn sweep(&self) {
        if let Some(limiter) = &self.per_ip {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.per_account {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        let now = self.clock.now();
        let mut blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
        blocked.retain(|_, until| *until > now);
        let mut delays = self.delays.lock().unwrap_or_else(|e| e.into_inner());
        delays.retain(|_, delay| {
            Duration::from(now.duration_since(delay.last)) < FORGET_FAILURES_AFTER
        });
    }

    /// The buckets held in memory (tests, and curious operators).
    pub fn tracked(&self) -> usize {
        self.per_ip.as_ref().map_or(0, |l| l.len())
            + self.per_account.as_ref().map_or(0, |l| l.len())
    }
}

/// Counts an attempt at `action` from `origin` for `address`; refuses when over the limits.
pub fn attempt(
    state: &crate::AppState,
    action: Action,
    origin: &crate::auth::Origin,
    address: &str,
) -> Result<(), crate::Error> {
    state
        .throttle
        .check(action, origin.ip, Some(address))
        .map_err(refused)
}

/// The error for an attempt over the limits.
pub fn refused(retry_after: Duration) -> crate::Error {
    crate::Error::RateLimited { retry_after }
}

/// Whole seconds, rounded up, at least one: what a `Retry-After` header can say.
fn retry_after(wait: Duration) -> Duration {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Duration::from_secs(seconds.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    fn limited(per_ip: u32, per_account: u32) -> (Throttle<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        let limits = Limits {
            per_ip_per_minute: per_ip,
            per_account_per_hour: per_account,
            login_delay_max: Duration::ZERO,
        };
        (Throttle::with_clock(limits, clock.clone()), clock)
    }

    #[test]
    fn the_defaults_are_those_of_a_real_instance() {
        let limits = Limits::default();
        assert_eq!(limits.per_ip_per_minute, 10);
        assert_eq!(limits.per_account_per_hour, 30);
        assert_eq!(limits.login_delay_max, Duration::from_secs(60));
    }

    fn delayed(max: u64) -> (Throttle<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        let limits = Limits {
            login_delay_max: Duration::from_secs(max),
            ..Limits::off()
        };
        (Throttle::with_clock(limits, clock.clone()), clock)
    }

    #[test]
    fn the_login_delay_grows_from_one_second_to_its_cap() {
        let max = Duration::from_secs(60);
        let waits: Vec<u64> = (1..=14).map(|n| login_delay(n, max).as_secs()).collect();
        assert_eq!(waits, [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
        assert_eq!(login_delay(u32::MAX, max), max);
    }

    #[test]
    fn failing_logins_to_one_account_wait_longer_and_longer_from_anywhere() {
        let (throttle, clock) = delayed(60);
        let account = "ana@example.org";
        let mut tried = 0;
        // Every attempt sent at once counts: five pass, the rest wait a second.
        for n in 0..200u8 {
            match throttle.check_login(Some(IpAddr::from([198, 51, 100, n])), account) {
                Ok(()) => {
                    tried += 1;
                    throttle.failed_login(account);
                }
                Err(wait) => assert_eq!(wait, Duration::from_secs(1)),
            }
        }
        assert_eq!(tried, FREE_FAILURES);
        assert!(
            throttle
                .check_login(ip("192.0.2.1"), "bob@example.org")
                .is_ok(),
            "other accounts are not slowed"
        );
        // Trying as soon as allowed, for five seconds: two more attempts, not two hundred.
        let mut seconds = 0;
        while seconds < 5 {
            clock.advance(Duration::from_secs(1));
            seconds += 1;
            if throttle.check_login(ip("192.0.2.9"), account).is_ok() {
                tried += 1;
                throttle.failed_login(account);
            }
        }
        assert_eq!(tried, FREE_FAILURES + 2);
        let wait = throttle
            .check_login(ip("192.0.2.9"), account)
            .expect_err("still waiting");
        assert_eq!(
            wait,
            Duration::from_secs(2),
            "4 s after the last, 2 s to go"
        );
    }

    #[test]
    fn the_wait_never_passes_its_cap_and_is_forgotten_then_a_success_starts_afresh() {
        let (throttle, clock) = delayed(10);
        let account = "ana@example.org";
        for _ in 0..50 {
            clock.advance(Duration::from_secs(10));
            assert!(
                throttle.check_login(None, account).is_ok(),
                "at most 10 s between attempts, however many failed"
            );
            throttle.failed_login(account);
        }
        assert_eq!(
            throttle.check_login(None, account),
            Err(Duration::from_secs(10))
        );
        clock.advance(FORGET_FAILURES_AFTER);
        for _ in 0..FREE_FAILURES {
            assert!(throttle.check_login(None, account).is_ok(), "forgotten");
            throttle.failed_login(account);
        }
        clock.advance(Duration::from_secs(1));
        assert!(throttle.check_login(None, account).is_ok());
        throttle.logged_in(account);
        for _ in 0..FREE_FAILURES {
            assert!(throttle.check_login(None, account).is_ok(), "afresh");
        }
    }

    #[test]
    fn the_owner_is_told_once_per_run_of_failures() {
        let (throttle, clock) = delayed(1);
        let account = "ana@example.org";
        let mut told = 0;
        for _ in 0..40 {
            clock.advance(Duration::from_secs(1));
            if throttle.check_login(None, account).is_ok() && throttle.failed_login(account) {
                told += 1;
            }
        }
        assert_eq!(told, 1);
        clock.advance(FORGET_FAILURES_AFTER);
        for _ in 0..BURST_FAILURES {
            clock.advance(Duration::from_secs(1));
            if throttle.check_login(None, account).is_ok() && throttle.failed_login(account) {
                told += 1;
            }
        }
        assert_eq!(told, 2, "a new run, a new mail");
    }

    #[test]
    fn an_address_over_its_limit_waits_and_another_passes() {
        let (throttle, clock) = limited(3, 0);
        for n in 0..3 {
            let account = format!("user{n}@example.org");
            assert!(throttle
                .check(Action::Login, ip("192.0.2.1"), Some(&account))
                .is_ok());
        }
        let wait = throttle
            .check(Action::Login, ip("192.0.2.1"), Some("other@example.org"))
            .expect_err("the fourth attempt in a minute is refused");
        // Three per minute: one comes back every 20 s.
        assert_eq!(wait, Duration::from_secs(20));
        assert!(throttle.check(Action::Login, ip("192.0.2.2"), None).is_ok());
        clock.advance(Duration::from_secs(20));
        assert!(throttle.check(Action::Login, ip("192.0.2.1"), None).is_ok());
        assert!(throttle
            .check(Action::Login, ip("192.0.2.1"), None)
            .is_err());
    }

    #[test]
    fn an_account_is_limited_whatever_the_addresses() {
        let (throttle, _clock) = limited(10, 5);
        for n in 0..5u8 {
            let from = Some(IpAddr::from([198, 51, 100, n]));
            assert!(throttle
                .check(Action::Login, from, Some("ana@example.org"))
                .is_ok());
        }
        let wait = throttle
            .check(Action::Login, ip("203.0.113.9"), Some(" ANA@Example.org "))
            .expect_err("the account is over its limit, in any case");
        // Five per hour: one comes back every 12 minutes.
        assert_eq!(wait, Duration::from_secs(12 * 60));
        assert!(throttle
            .check(Action::Login, ip("203.0.113.9"), Some("bob@example.org"))
            .is_ok());
        assert!(
            throttle
                .check(Action::Login, None, Some("ana@example.org"))
                .is_err(),
            "without an address the account's limit still holds"
        );
    }

    #[test]
    fn an_address_over_its_limit_does_not_use_up_the_account() {
        let (throttle, _clock) = limited(2, 3);
        let from = ip("192.0.2.1");
        for _ in 0..2 {
            assert!(throttle
                .check(Action::Login, from, Some("ana@example.org"))
                .is_ok());
        }
        for _ in 0..5 {
            assert!(throttle
                .check(Action::Login, from, Some("ana@example.org"))
                .is_err());
        }
        assert!(
            throttle
                .check(Action::Login, ip("192.0.2.2"), Some("ana@example.org"))
                .is_ok(),
            "the refused attempts were not counted against ana"
        );
    }

    #[test]
    fn only_failed_passwords_use_up_an_account_for_logins() {
        let (throttle, clock) = limited(0, 3);
        let account = "ana@example.org";
        for _ in 0..10 {
            assert!(
                throttle.check_login(ip("192.0.2.1"), account).is_ok(),
                "successes are free"
            );
        }
        // The allowance is three failures; the one past it blocks the account a while.
        for n in 0..4 {
            assert!(throttle
                .check_login(ip(&format!("192.0.2.{n}")), account)
                .is_ok());
            throttle.failed_login(account);
        }
        let refused = throttle.check_login(ip("198.51.100.7"), " ANA@example.org ");
        assert!(refused.is_err(), "failures from anywhere count");
        assert!(throttle
            .check_login(ip("192.0.2.1"), "bob@example.org")
            .is_ok());
        clock.advance(Duration::from_secs(20 * 60));
        assert!(
            throttle.check_login(ip("192.0.2.1"), account).is_ok(),
            "a cell came back"
        );
    }

    #[test]
    fn zero_means_no_limit() {
        let (throttle, _clock) = limited(0, 0);
        for _ in 0..1000 {
            assert!(throttle
                .check(Action::Login, ip("192.0.2.1"), Some("ana@example.org"))
                .is_ok());
        }
        assert_eq!(
            throttle.tracked(),
            0,
            "nothing is kept when nothing is limited"
        );
        let (throttle, _clock) = limited(1, 0);
        for _ in 0..1000 {
            assert!(throttle
                .check(Action::Login, None, Some("ana@example.org"))
                .is_ok());
        }
    }

    #[test]
    fn actions_have_their_own_buckets() {
        let (throttle, _clock) = limited(1, 1);
        let (from, who) = (ip("192.0.2.1"), Some("ana@example.org"));
        assert!(throttle.check(Action::Login, from, who).is_ok());
        assert!(throttle.check(Action::Login, from, who).is_err());
        assert!(throttle.check(Action::Registration, from, who).is_ok());
        assert!(throttle.check(Action::PasswordReset, from, who).is_ok());
        assert!(throttle
            .check(Action::AnonymousParticipation, from, who)
            .is_ok());
        assert!(throttle.check(Action::PasswordReset, from, who).is_err());
    }

    #[test]
    fn an_ipv6_subscriber_is_one_client_across_its_64() {
        let (throttle, _clock) = limited(1, 0);
        assert!(throttle
            .check(Action::Login, ip("2001:db8:1:2::1"), None)
            .is_ok());
        assert!(throttle
            .check(Action::Login, ip("2001:db8:1:2:ffff::9"), None)
            .is_err());
        assert!(throttle
            .check(Action::Login, ip("2001:db8:1:3::1"), None)
            .is_ok());
        // An IPv4 address written as IPv6 is the same client.
        assert!(throttle.check(Action::Login, ip("192.0.2.7"), None).is_ok());
        assert!(throttle
            .check(Action::Login, ip("::ffff:192.0.2.7"), None)
            .is_err());
    }

    #[test]
    fn retry_after_is_whole_seconds_and_at_least_one() {
        assert_eq!(retry_after(Duration::ZERO), Duration::from_secs(1));
        assert_eq!(
            retry_after(Duration::from_millis(1)),
            Duration::from_secs(1)
        );
        assert_eq!(
            retry_after(Duration::from_millis(1001)),
            Duration::from_secs(2)
        );
        assert_eq!(retry_after(Duration::from_secs(7)), Duration::from_secs(7));
        // 3000 per minute: one back every 20 ms, still announced as one second.
        let (throttle, _clock) = limited(3000, 0);
        let from = ip("192.0.2.1");
        let wait = (0..3001)
            .find_map(|_| throttle.check(Action::Login, from, None).err())
            .expect("the 3001st attempt is refused");
        assert_eq!(wait, Duration::from_secs(1));
    }

    #[test]
    fn memory_follows_recent_attempts_only() {
        let (throttle, clock) = limited(10, 30);
        for n in 0..2000u32 {
            let from = Some(IpAddr::from(n.to_be_bytes()));
            let account = format!("user{n}@example.org");
            let _ = throttle.check(Action::Registration, from, Some(&account));
        }
        assert!(throttle.tracked() > 1000, "recent attempts are remembered");
        // An hour later every bucket is full again: the next sweep forgets them all.
        clock.advance(Duration::from_secs(3600));
        for _ in 0..SWEEP_EVERY {
            let _ = throttle.check(Action::Registration, ip("192.0.2.1"), None);
        }
        assert!(
            throttle.tracked() <= 1,
            "{} buckets kept",
            throttle.tracked()
        );
    }

    #[test]
    fn it_is_shared_between_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<Throttle>();
    }
}
