//! Which connections the server keeps open: at most so many in all and from one address, and
//! when full, room made by closing those that have waited longest without a request.
//!
//! A client that opens connections and never finishes a request (or trickles its headers a
//! byte at a time) holds a descriptor and a slot each. Refusing newcomers once full would hand
//! the server to whoever opened the most connections first; closing the longest idle ones
//! instead keeps a place for every new client, whose request arrives within milliseconds and
//! is then never among those closed.

use ipnet::IpNet;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The connection limits in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections open at once, in all.
    pub max_connections: usize,
    /// Connections open at once from one client address (trusted proxies excepted).
    pub max_per_ip: usize,
    /// How long a client has to send a request's head, from connecting or from the end of the
    /// previous answer.
    pub header_timeout: Duration,
    /// How long a connection may wait for its next request once it has been answered.
    pub keep_alive_timeout: Duration,
}

impl Default for ConnectionLimits {
    /// A browser opens a handful of connections per site; an office behind one address a few
    /// dozen. A request's head takes milliseconds to send; a browser keeps a connection for
    /// its next click within seconds.
    fn default() -> Self {
        Self {
            max_connections: 4096,
            max_per_ip: 64,
            header_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(5),
        }
    }
}

/// When full, the share of the connections closed at once to make room (1/32: 128 of 4096).
const ROOM_MADE_AT_ONCE: usize = 32;

/// The connections open now.
pub struct Connections {
    limits: ConnectionLimits,
    /// Their connections are many clients' (their addresses come in X-Forwarded-For): no
    /// per-address limit applies to them.
    trusted_proxies: Vec<IpNet>,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    next_id: u64,
    slots: HashMap<u64, Slot>,
    per_ip: HashMap<IpAddr, usize>,
}

struct Slot {
    ip: IpAddr,
    state: Arc<Mutex<State>>,
    /// Wakes the connection's task to end it.
    close: CancellationToken,
    /// Closes its socket at once, giving its descriptor back before the next one is accepted.
    close_socket: Box<dyn FnOnce() + Send>,
}

/// What a connection is doing: handling requests, or waiting for one since when.
struct State {
    in_flight: usize,
    waiting_since: Instant,
    answered: bool,
}

/// Why a connection was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Its address already has the most connections allowed.
    PerIp,
    /// The server is full of connections busy with requests.
    Full,
}

impl Connections {
    pub fn new(limits: ConnectionLimits, trusted_proxies: Vec<IpNet>) -> Arc<Self> {
        Arc::new(Self {
            limits,
            trusted_proxies,
            open: Mutex::default(),
        })
    }

    pub fn limits(&self) -> ConnectionLimits {
        self.limits
    }

    /// Counts a new connection from `ip` in, closing the longest waiting one when full;
    /// `close_socket` closes the newcomer's socket should it be closed that way in turn.
    pub fn admit(
        self: &Arc<Self>,
        ip: IpAddr,
        close_socket: impl FnOnce() + Send + 'static,
    ) -> Result<Admitted, Refused> {
        let ip = ip.to_canonical();
        let limited = !self.trusted_proxies.iter().any(|n| n.contains(&ip));
        let ip = client(ip);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if limited && open.per_ip.get(&ip).copied().unwrap_or(0) >= self.limits.max_per_ip {
            return Err(Refused::PerIp);
        }
        if open.slots.len() >= self.limits.max_connections {
            let mut waiting: Vec<(Instant, u64)> = open
                .slots
                .iter()
                .filter_map(|(id, slot)| {
                    let state = slot.state.lock().unwrap_or_else(PoisonError::into_inner);
                    (state.in_flight == 0).then_some((state.waiting_since, *id))
                })
                .collect();
            if waiting.is_empty() {
                return Err(Refused::Full);
            }
            // Room for several at once: a flood of newcomers then costs one look through the
            // connections per batch rather than per newcomer.
            let batch = (self.limits.max_connections / ROOM_MADE_AT_ONCE).clamp(1, waiting.len());
            waiting.select_nth_unstable(batch - 1);
            for (_, id) in &waiting[..batch] {
                if let Some(slot) = open.remove(*id) {
                    (slot.close_socket)();
                    slot.close.cancel();
                }
            }
        }
        let id = open.next_id;
        open.next_id += 1;
        let state = Arc::new(Mutex::new(State {
            in_flight: 0,
            waiting_since: Instant::now(),
            answered: false,
        }));
        let close = CancellationToken::new();
        *open.per_ip.entry(ip).or_default() += 1;
        open.slots.insert(
            id,
            Slot {
                ip,
                state: state.clone(),
                close: close.clone(),
                close_socket: Box::new(close_socket),
            },
        );
        Ok(Admitted {
            connections: self.clone(),
            id,
            state,
            close,
        })
    }

    /// Connections open now.
    pub fn count(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .slots
            .len()
    }
}

/// The address that stands for one client: an IPv4 address, or an IPv6 /64, the block one household or machine gets (counting single addresses would let it
/// open connections from as many as it likes).
fn client(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let block = u128::from(v6) & !(u128::MAX >> 64);
            IpAddr::V6(block.into())
        }
        v4 => v4,
    }
}

impl Open {
    fn remove(&mut self, id: u64) -> Option<Slot> {
        let slot = self.slots.remove(&id)?;
        if let Some(count) = self.per_ip.get_mut(&slot.ip) {
            *count -= 1;
            if *count == 0 {
                self.per_ip.remove(&slot.ip);
            }
        }
        Some(slot)
    }
}

/// A connection let in; it leaves the count when dropped.
pub struct Admitted {
    connections: Arc<Connections>,
    id: u64,
    state: Arc<Mutex<State>>,
    close: CancellationToken,
}

impl Admitted {
    /// Marks a request begun; it ends when the returned guard is dropped (once the answer has
    /// been sent, body included).
    pub fn busy(&self) -> Busy {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .in_flight += 1;
        Busy(self.state.clone())
    }

    /// Resolves when the connection must be closed: made room for another, or answered and
    /// then left without a request for the keep-alive timeout.
    pub async fn must_close(&self) {
        let keep_alive = self.connections.limits.keep_alive_timeout;
        loop {
            let idle_since = {
                let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                (state.answered && state.in_flight == 0).then_some(state.waiting_since)
            };
            let next_look = match idle_since {
                Some(since) if since.elapsed() >= keep_alive => return,
                Some(since) => since + keep_alive,
                None => Instant::now() + keep_alive,
            };
            tokio::select! {
                _ = self.close.cancelled() => return,
                _ = tokio::time::sleep_until(next_look) => {}
            }
        }
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.connections
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(self.id);
    }
}

/// A request in progress on a connection.
pub struct Busy(Arc<Mutex<State>>);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        state.in_flight -= 1;
        state.waiting_since = Instant::now();
        state.answered = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_connections: usize, max_per_ip: usize) -> ConnectionLimits {
        ConnectionLimits {
            max_connections,
            max_per_ip,
            ..ConnectionLimits::default()
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn one_address_gets_at_most_its_share_unless_it_is_a_trusted_proxy() {
        let proxies: Vec<IpNet> = ["10.0.0.1/32", "::1/128"]
            .iter()
            .filter_map(|p| p.parse().ok())
            .collect();
        let connections = Connections::new(limits(10, 2), proxies);
        let a = connections.admit(ip("192.0.2.1"), || {});
        let b = connections.admit(ip("192.0.2.1"), || {});
        assert!(a.is_ok() && b.is_ok());
        assert_eq!(
            connections.admit(ip("192.0.2.1"), || {}).err(),
            Some(Refused::PerIp)
        );
        assert!(
            connections.admit(ip("192.0.2.2"), || {}).is_ok(),
            "others come in"
        );
        let from_proxy: Vec<_> = (0..5)
            .flat_map(|_| {
                [
                    connections.admit(ip("10.0.0.1"), || {}),
                    connections.admit(ip("::1"), || {}),
                ]
            })
            .collect();
        assert!(from_proxy.iter().all(Result::is_ok));
        drop(a);
        assert!(
            connections.admit(ip("192.0.2.1"), || {}).is_ok(),
            "a closed connection frees its place"
        );
    }

    #[test]
    fn an_ipv6_block_counts_as_one_client() {
        let connections = Connections::new(limits(10, 2), vec![]);
        let first = connections.admit(ip("2001:db8:1:2::1"), || {});
        let second = connections.admit(ip("2001:db8:1:2:ffff::9"), || {});
        assert!(first.is_ok() && second.is_ok());
        assert_eq!(
            connections.admit(ip("2001:db8:1:2::3"), || {}).err(),
            Some(Refused::PerIp)
        );
        assert!(connections.admit(ip("2001:db8:1:3::1"), || {}).is_ok());
        let mapped = connections.admit(ip("::ffff:192.0.2.1"), || {});
        let plain = connections.admit(ip("192.0.2.1"), || {});
        assert!(mapped.is_ok() && plain.is_ok());
        assert_eq!(
            connections.admit(ip("192.0.2.1"), || {}).err(),
            Some(Refused::PerIp),
            "an IPv4 address written as IPv6 is the same client"
        );
    }

    #[tokio::test]
    async fn when_full_the_longest_waiting_connection_makes_room() {
        let connections = Connections::new(limits(2, 10), vec![]);
        let closed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let oldest = {
            let closed = closed.clone();
            connections.admit(ip("192.0.2.1"), move || {
                closed.store(true, std::sync::atomic::Ordering::SeqCst);
            })
        };
        let busy = connections.admit(ip("192.0.2.2"), || {});
        let (Ok(oldest), Ok(busy)) = (oldest, busy) else {
            panic!("both let in");
        };
        let _request = busy.busy();
        let newcomer = connections.admit(ip("192.0.2.3"), || {});
        assert!(newcomer.is_ok(), "room is made");
        assert!(
            closed.load(std::sync::atomic::Ordering::SeqCst),
            "the oldest's socket is closed at once"
        );
        tokio::time::timeout(Duration::from_secs(1), oldest.must_close())
            .await
            .expect("the longest waiting connection is told to close");
        assert_eq!(connections.count(), 2);

        // Only busy connections left: a newcomer is refused rather than cut one short.
        let _second = newcomer.as_ref().map(|n| n.busy());
        assert_eq!(
            connections.admit(ip("192.0.2.4"), || {}).err(),
            Some(Refused::Full)
        );
    }

    #[tokio::test]
    async fn an_answered_connection_is_closed_after_the_keep_alive_timeout() {
        let keep_alive_timeout = Duration::from_millis(200);
        let connections = Connections::new(
            ConnectionLimits {
                keep_alive_timeout,
                ..ConnectionLimits::default()
            },
            vec![],
        );
        let Ok(connection) = connections.admit(ip("192.0.2.1"), || {}) else {
            panic!("let in");
        };
        let request = connection.busy();
        let waiting = tokio::time::timeout(keep_alive_timeout * 2, connection.must_close()).await;
        assert!(waiting.is_err(), "kept open during a request");
        drop(request);
        let answered = Instant::now();
        connection.must_close().await;
        assert!(answered.elapsed() >= keep_alive_timeout);
    }
}
