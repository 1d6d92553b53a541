//! The SSRF guard: which addresses outgoing requests may reach.
//!
//! Only public unicast addresses: never loopback, private, link-local, CGNAT, multicast,
//! broadcast, documentation, benchmarking or reserved ranges, `0.0.0.0` or `::` (both reach
//! the local host), nor an IPv6 address embedding any of those (IPv4-mapped, IPv4-compatible,
//! NAT64, 6to4). It is applied to the addresses a name resolves to, which are the ones the
//! connection then uses (so DNS rebinding between a check and the connection cannot happen),
//! and to literal IP hosts, which skip resolution, on the first request and every redirect.

use ipnet::{Ipv4Net, Ipv6Net};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::OnceLock;
use url::{Host, Url};

/// Which addresses outgoing requests may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Network {
    /// Public addresses only: the only setting for a real instance.
    #[default]
    Public,
    /// Public addresses and loopback (127.0.0.0/8 and ::1), never private ranges: for
    /// instances talking to each other on one machine in tests and scenarios. Refused unless
    /// the instance's own public URL is a loopback URL ([`check_test_network`]).
    TestLoopback,
}

/// Why the guard refused a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("only http and https URLs may be fetched, not {0:?}")]
    Scheme(String),
    #[error("the URL has no host")]
    NoHost,
    #[error("{host} is a {class} address, which may not be reached")]
    Address { host: String, class: &'static str },
    #[error("{0} does not resolve")]
    Unresolvable(String),
}

/// The test network is refused when the instance's public URL is not itself on loopback: a
/// public instance must never reach its own machine's services.
pub fn check_test_network(public_url: &Url) -> Result<(), String> {
    let loopback = match public_url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if loopback {
        Ok(())
    } else {
        Err(format!(
            "the federation test network allows loopback targets, so it needs a loopback public \
             URL (http://127.0.0.1:PORT or http://localhost:PORT), not {public_url}"
        ))
    }
}

/// Checks a URL before a request or a redirect: its scheme, and its host when it is a literal
/// address (names are checked when they resolve, by [`GuardedResolver`]).
pub fn check_url(url: &Url, network: Network) -> Result<(), Refused> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused::Scheme(url.scheme().to_string()));
    }
    let ip = match url.host().ok_or(Refused::NoHost)? {
        Host::Domain(_) => return Ok(()),
        Host::Ipv4(ip) => IpAddr::V4(ip),
        Host::Ipv6(ip) => IpAddr::V6(ip),
    };
    check_ip(ip, network).map_err(|class| Refused::Address {
        host: ip.to_string(),
        class,
    })
}

/// `Ok` when `ip` may be reached on `network`; otherwise the class of address it is.
pub fn check_ip(ip: IpAddr, network: Network) -> Result<(), &'static str> {
    if network == Network::TestLoopback && is_loopback(ip) {
        return Ok(());
    }
    match forbidden_class(ip) {
        Some(class) => Err(class),
        None => Ok(()),
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6 == Ipv6Addr::LOCALHOST,
    }
}

fn forbidden_class(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    static RANGES: OnceLock<Vec<(Ipv4Net, &'static str)>> = OnceLock::new();
    let ranges = RANGES.get_or_init(|| {
        [
            (
                "0.0.0.0/8",
                "\"this network\" (0.0.0.0 reaches the local host)",
            ),
            ("10.0.0.0/8", "private"),
            ("100.64.0.0/10", "shared (CGNAT)"),
            ("127.0.0.0/8", "loopback"),
            ("169.254.0.0/16", "link-local"),
            ("172.16.0.0/12", "private"),
            ("192.0.0.0/24", "IETF protocol assignment"),
            ("192.0.2.0/24", "documentation"),
            ("192.88.99.0/24", "6to4 relay"),
            ("192.168.0.0/16", "private"),
            ("198.18.0.0/15", "benchmarking"),
            ("198.51.100.0/24", "documentation"),
            ("203.0.113.0/24", "documentation"),
            ("224.0.0.0/4", "multicast"),
            ("240.0.0.0/4", "reserved (and broadcast)"),
        ]
        .into_iter()
        .filter_map(|(net, class)| Some((net.parse().ok()?, class)))
        .collect()
    });
    ranges
        .iter()
        .find(|(net, _)| net.contains(&ip))
        .map(|(_, class)| *class)
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    // Addresses that carry an IPv4 address: judged by it (and `::`, `::1` among them).
    let segments = ip.segments();
    if ip == Ipv6Addr::UNSPECIFIED {
        return Some("unspecified (:: reaches the local host)");
    }
    if ip == Ipv6Addr::LOCALHOST {
        return Some("loopback");
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4).map(|_| "IPv4-mapped non-public");
    }
    if segments[..6] == [0; 6] {
        // IPv4-compatible (deprecated): ::a.b.c.d.
        return Some("IPv4-compatible (deprecated)");
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let v4 = Ipv4Addr::from(u128::from(ip) as u32);
        return forbidden_v4(v4).map(|_| "NAT64 of a non-public");
    }
    if segments[0] == 0x2002 {
        let v4 = Ipv4Addr::new(
            (segments[1] >> 8) as u8,
            segments[1] as u8,
            (segments[2] >> 8) as u8,
            segments[2] as u8,
        );
        return forbidden_v4(v4).map(|_| "6to4 of a non-public");
    }
    static RANGES: OnceLock<Vec<(Ipv6Net, &'static str)>> = OnceLock::new();
    let ranges = RANGES.get_or_init(|| {
        [
            ("64:ff9b:1::/48", "local-use NAT64"),
            ("100::/64", "discard-only"),
            ("2001::/23", "IETF protocol assignment (Teredo among them)"),
            ("2001:db8::/32", "documentation"),
            ("3fff::/20", "documentation"),
            ("fc00::/7", "unique local (private)"),
            ("fe80::/10", "link-local"),
            ("fec0::/10", "site-local (deprecated)"),
            ("ff00::/8", "multicast"),
        ]
        .into_iter()
        .filter_map(|(net, class)| Some((net.parse().ok()?, class)))
        .collect()
    });
    if let Some((_, class)) = ranges.iter().find(|(net, _)| net.contains(&ip)) {
        return Some(class);
    }
    // Outside global unicast (2000::/3) nothing is assigned for public use.
    if segments[0] & 0xe000 != 0x2000 {
        return Some("reserved");
    }
    None
}

/// Resolves names as the system does, then refuses the name when any of its addresses is
/// forbidden: the connection is made to the addresses returned here, and only those.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub network: Network,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let network = self.network;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| Refused::Unresolvable(host.clone()))?
                .collect();
            if addrs.is_empty() {
                return Err(Refused::Unresolvable(host).into());
            }
            for addr in &addrs {
                if let Err(class) = check_ip(addr.ip(), network) {
                    return Err(Refused::Address {
                        host: format!("{host} ({})", addr.ip()),
                        class,
                    }
                    .into());
                }
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(ip: &str) -> bool {
        check_ip(ip.parse().expect("an address"), Network::Public).is_err()
    }

    #[test]
    fn every_forbidden_class_is_refused() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.8.9.10",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2001::1",
            "2001:db8::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "100::1",
            "4000::1",
        ] {
            assert!(refused(ip), "{ip} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.169.0.1",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:808:808::1",
            "2606:4700:4700::1111",
            "2a01:4f8::1",
        ] {
            assert!(!refused(ip), "{ip} must pass");
        }
    }

    #[test]
    fn the_test_network_adds_loopback_only() {
        let test = |ip: &str| check_ip(ip.parse().expect("an address"), Network::TestLoopback);
        assert_eq!(test("127.0.0.1"), Ok(()));
        assert_eq!(test("127.1.2.3"), Ok(()));
        assert_eq!(test("::1"), Ok(()));
        for ip in [
            "10.0.0.1",
            "192.168.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "::",
            "fc00::1",
        ] {
            assert!(test(ip).is_err(), "{ip} stays refused on the test network");
        }
    }

    #[test]
    fn urls_are_checked_for_scheme_and_literal_hosts() {
        let check = |url: &str| check_url(&Url::parse(url).expect("a URL"), Network::Public);
        assert_eq!(check("https://example.org/inbox"), Ok(()));
        assert!(matches!(
            check("ftp://example.org/"),
            Err(Refused::Scheme(_))
        ));
        assert!(matches!(
            check("file:///etc/passwd"),
            Err(Refused::Scheme(_))
        ));
        for url in [
            "http://127.0.0.1/",
            "http://0.0.0.0:8080/",
            "http://[::]/",
            "http://[::ffff:127.0.0.1]/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://169.254.169.254/latest/meta-data/",
        ] {
            assert!(
                matches!(check(url), Err(Refused::Address { .. })),
                "{url} must be refused"
            );
        }
    }

    #[test]
    fn the_test_network_needs_a_loopback_public_url() {
        let check = |url: &str| check_test_network(&Url::parse(url).expect("a URL"));
        assert!(check("http://127.0.0.1:8080").is_ok());
        assert!(check("http://localhost:8080").is_ok());
        assert!(check("http://[::1]:8080").is_ok());
        assert!(check("https://events.example.org").is_err());
        assert!(check("http://10.0.0.1").is_err());
    }
}
