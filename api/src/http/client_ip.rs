//! Who is asking: the client's address, for rate limits and logs.
//!
//! Convene usually listens on loopback behind a reverse proxy, so the peer of the connection is
//! the proxy. `X-Forwarded-For` then says who the proxy was talking to, but anyone can send that
//! header: it is believed only when the peer is a proxy we trust, and only from the right, where
//! our own proxies appended what they saw. The first address from the right that is not one of
//! our proxies is the client; what lies further left was written by the client and proves
//! nothing.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The proxies trusted when none are configured: this machine only.
pub const DEFAULT_TRUSTED_PROXIES: &str = "127.0.0.0/8,::1/128";

/// [`DEFAULT_TRUSTED_PROXIES`] as networks.
pub fn default_trusted_proxies() -> Vec<IpNet> {
    vec![
        IpNet::new_assert(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)), 8),
        IpNet::new_assert(IpAddr::V6(Ipv6Addr::LOCALHOST), 128),
    ]
}

/// One network of a trusted proxy list: `10.0.0.0/8`, `fd00::/8`, or a single address.
pub fn parse_network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
        .map(|net| net.trunc())
}

/// The client address: the peer, or — when the peer is a trusted proxy — the right-most address
/// of X-Forwarded-For that is not itself a trusted proxy.
///
/// When every address in the header is a trusted proxy, the left-most is the best known; when
/// the header holds something that is not an address before a client is found, the last trusted
/// hop before it is. Without a peer (a server not started with connect info) there is nothing to
/// go by and the answer is `None`.
pub fn client_ip(
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?.ip().to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    // Several X-Forwarded-For lines are one list, in order (RFC 9110, 5.3).
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("garbage").split(','))
        .collect();
    let mut known = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            return Some(known);
        };
        if !is_trusted(&ip) {
            return Some(ip);
        }
        known = ip;
    }
    Some(known)
}

/// An address as proxies write them: `192.0.2.1`, `2001:db8::1`, and sometimes with a port
/// (`192.0.2.1:4711`, `[2001:db8::1]:4711`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse::<Ipv6Addr>().ok())
                .map(IpAddr::V6)
        })?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn peer(text: &str) -> Option<SocketAddr> {
        text.parse().ok()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.append("x-forwarded-for", value);
            }
        }
        headers
    }

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn without_the_header_the_peer_is_the_client() {
        let trusted = default_trusted_proxies();
        let none = HeaderMap::new();
        assert_eq!(
            client_ip(peer("192.0.2.1:5000"), &none, &trusted),
            ip("192.0.2.1")
        );
        assert_eq!(
            client_ip(peer("127.0.0.1:5000"), &none, &trusted),
            ip("127.0.0.1"),
            "a local client with no proxy in between is itself"
        );
        assert_eq!(client_ip(None, &none, &trusted), None);
    }

    #[test]
    fn the_header_is_ignored_from_a_peer_that_is_not_a_trusted_proxy() {
        let trusted = default_trusted_proxies();
        let spoofed = forwarded(&["203.0.113.66"]);
        assert_eq!(
            client_ip(peer("192.0.2.1:5000"), &spoofed, &trusted),
            ip("192.0.2.1")
        );
        assert_eq!(
            client_ip(peer("[2001:db8::1]:5000"), &spoofed, &[]),
            ip("2001:db8::1"),
            "with no trusted proxies the header never counts"
        );
    }

    #[test]
    fn behind_the_local_proxy_the_forwarded_address_is_the_client() {
        let trusted = default_trusted_proxies();
        let headers = forwarded(&["192.0.2.1"]);
        assert_eq!(
            client_ip(peer("127.0.0.1:5000"), &headers, &trusted),
            ip("192.0.2.1")
        );
        assert_eq!(
            client_ip(peer("[::1]:5000"), &headers, &trusted),
            ip("192.0.2.1")
        );
        assert_eq!(
            client_ip(peer("[::ffff:127.0.0.1]:5000"), &headers, &trusted),
            ip("192.0.2.1"),
            "an IPv4 peer on a dual-stack socket is still loopback"
        );
    }

    #[test]
    fn a_chain_of_proxies_is_walked_from_the_right() {
        let trusted: Vec<IpNet> = ["127.0.0.0/8", "10.0.0.0/8"]
            .iter()
            .filter_map(|n| parse_network(n))
            .collect();
        // The client forged the first entry; the edge proxy (10.1.1.1) appended the client's real
        // address, the local proxy appended the edge proxy's.
        let headers = forwarded(&["6.6.6.6, 192.0.2.1", "10.1.1.1"]);
        assert_eq!(
            client_ip(peer("127.0.0.1:5000"), &headers, &trusted),
            ip("192.0.2.1")
        );
        let headers = forwarded(&["6.6.6.6, 192.0.2.1, 10.1.1.1"]);
        assert_eq!(
            client_ip(peer("127.0.0.1:5000"), &headers, &trusted),
            ip("192.0.2.1")
        );
        let headers = forwarded(&["10.9.9.9, 10.1.1.1"]);
        assert_eq!(
            client_ip(peer("127.0.0.1:5000"), &headers, &trusted),
            ip("10.9.9.9"),
            "all proxies: the left-most is the furthest known"
        );
        let headers = forwarded(&["[2001:db8::7]:4711, 192.0.2.1:80"]);
        assert_eq!(
            client_ip(peer("127.0.0.1:5000"), &headers, &trusted),
            ip("192.0.2.1"),
            "ports written by some proxies are dropped"
        );
        let headers = forwarded(&["[2001:db8::7]:4711"]);
        assert_eq!(
            client_ip(peer("127.0.0.1:5000"), &headers, &trusted),
            ip("2001:db8::7")
        );
    }

    #[test]
    fn garbage_in_the_header_stops_the_walk() {
        let trusted: Vec<IpNet> = ["127.0.0.0/8", "10.0.0.0/8"]
            .iter()
            .filter_map(|n| parse_network(n))
            .collect();
        let from_local = peer("127.0.0.1:5000");
        for junk in [
            "unknown",
            "",
            "not an address",
            "999.1.1.1",
            "'; drop table",
        ] {
            let headers = forwarded(&[junk]);
            assert_eq!(
                client_ip(from_local, &headers, &trusted),
                ip("127.0.0.1"),
                "{junk:?}"
            );
            let headers = forwarded(&[&format!("192.0.2.1, {junk}, 10.1.1.1")]);
            assert_eq!(
                client_ip(from_local, &headers, &trusted),
                ip("10.1.1.1"),
                "{junk:?}: nothing left of it is believed"
            );
            let headers = forwarded(&[&format!("{junk}, 192.0.2.1")]);
            assert_eq!(
                client_ip(from_local, &headers, &trusted),
                ip("192.0.2.1"),
                "{junk:?}: what the client wrote before its address does not matter"
            );
        }
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_bytes(b"192.0.2.1\xff") {
            headers.insert("x-forwarded-for", value);
        }
        assert_eq!(client_ip(from_local, &headers, &trusted), ip("127.0.0.1"));
    }

    #[test]
    fn networks_parse_with_or_without_a_prefix() {
        assert_eq!(parse_network(" 10.0.0.0/8 "), "10.0.0.0/8".parse().ok());
        assert_eq!(parse_network("10.1.2.3/8"), "10.0.0.0/8".parse().ok());
        assert_eq!(parse_network("192.0.2.1"), "192.0.2.1/32".parse().ok());
        assert_eq!(parse_network("::1"), "::1/128".parse().ok());
        assert_eq!(parse_network("10.0.0.0/33"), None);
        assert_eq!(parse_network("proxy.example"), None);
        let defaults: Vec<IpNet> = DEFAULT_TRUSTED_PROXIES
            .split(',')
            .filter_map(parse_network)
            .collect();
        assert_eq!(defaults, default_trusted_proxies());
    }
}
