//! The private-network guard (SSRF protection): every host is resolved *by us*, every
//! resolved address is checked, and the request then connects to the checked address
//! (awc's `ClientRequest::address`), so a name that resolves differently a second time
//! (DNS rebinding) cannot slip through. Loopback, private, link-local (169.254.169.254
//! included), unspecified, multicast, reserved and documentation ranges, and their IPv6
//! equivalents (including IPv4-mapped, NAT64 and 6to4 forms), are refused unless
//! `allow_private_network` is set or the exact socket address is on the allowlist.

use super::FetchError;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::time::Duration;
use url::{Host, Url};

/// Why an IPv4 address is not a public unicast address, if it is not.
pub fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "unspecified (0.0.0.0/8)",
        (127, _, _) => "loopback",
        (10, _, _) => "private (10/8)",
        (172, 16..=31, _) => "private (172.16/12)",
        (192, 168, _) => "private (192.168/16)",
        (169, 254, _) => "link-local (169.254/16, cloud metadata)",
        (100, 64..=127, _) => "shared address space (100.64/10)",
        (192, 0, 0) => "IETF protocol assignments (192.0.0/24)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking (198.18/15)",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved or broadcast",
        _ => return None,
    })
}

/// Why an IPv6 address is not a public unicast address, if it is not.
pub fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    if ip.is_unspecified() {
        return Some("unspecified (::)");
    }
    if ip.is_loopback() {
        return Some("loopback (::1)");
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4).map(|_| "IPv4-mapped non-public address");
    }
    match seg[0] {
        0xff00..=0xffff => return Some("multicast"),
        0xfe80..=0xfebf => return Some("link-local (fe80::/10)"),
        0xfec0..=0xfeff => return Some("site-local (fec0::/10)"),
        0xfc00..=0xfdff => return Some("unique local (fc00::/7)"),
        _ => {}
    }
    // IPv4-compatible (::a.b.c.d, deprecated) and NAT64 (64:ff9b::/96) embed an IPv4.
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if seg[..6] == [0, 0, 0, 0, 0, 0] || seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return forbidden_v4(embedded(seg[6], seg[7])).map(|_| "IPv6 form of a non-public IPv4");
    }
    if seg[0] == 0x2002 {
        return forbidden_v4(embedded(seg[1], seg[2])).map(|_| "6to4 form of a non-public IPv4");
    }
    if seg[0] == 0x2001 && seg[1] == 0x0db8 {
        return Some("documentation (2001:db8::/32)");
    }
    if seg[0] == 0x2001 && seg[1] == 0 {
        return Some("Teredo (2001::/32)");
    }
    None
}

/// Why `ip` may not be fetched from, if it may not.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

/// Resolves hosts and refuses non-public addresses.
#[derive(Debug, Clone, Default)]
pub struct NetGuard {
    /// Allow every address (`--allow-private-network`).
    pub allow_private_network: bool,
    /// Exact socket addresses allowed even though non-public (the demo site, tests).
    pub allow_addrs: Vec<SocketAddr>,
    /// Fixed answers for names (like curl's `--resolve`), used instead of DNS; tests use
    /// them to show the guard checks resolved addresses, not names.
    pub overrides: HashMap<String, Vec<IpAddr>>,
    /// Bound on a DNS lookup.
    pub resolve_timeout: Duration,
}

impl NetGuard {
    /// The address to connect to for `url`: resolved, every candidate checked.
    pub async fn check(&self, url: &Url) -> Result<SocketAddr, FetchError> {
        let port = url
            .port_or_known_default()
            .ok_or_else(|| FetchError::InvalidUrl(url.to_string()))?;
        let host = url
            .host()
            .ok_or_else(|| FetchError::InvalidUrl(url.to_string()))?;
        let (name, ips): (String, Vec<IpAddr>) = match host {
            Host::Ipv4(ip) => (ip.to_string(), vec![IpAddr::V4(ip)]),
            Host::Ipv6(ip) => (ip.to_string(), vec![IpAddr::V6(ip)]),
            Host::Domain(d) => {
                let d = d.to_ascii_lowercase();
                let ips = match self.overrides.get(&d) {
                    Some(ips) => ips.clone(),
                    None => self.resolve(&d, port).await?,
                };
                (d, ips)
            }
        };
        let Some(first) = ips.first().copied() else {
            return Err(FetchError::Resolve(name, "no addresses".into()));
        };
        for ip in &ips {
            let addr = SocketAddr::new(*ip, port);
            if let Some(reason) = forbidden(*ip) {
                if !self.allow_private_network && !self.allow_addrs.contains(&addr) {
                    return Err(FetchError::Blocked {
                        host: name,
                        addr,
                        reason,
                    });
                }
            }
        }
        Ok(SocketAddr::new(first, port))
    }

    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, FetchError> {
        let target = (host.to_string(), port);
        let lookup = tokio::task::spawn_blocking(move || {
            target
                .to_socket_addrs()
                .map(|addrs| addrs.map(|a| a.ip()).collect::<Vec<_>>())
        });
        let timeout = if self.resolve_timeout.is_zero() {
            Duration::from_secs(5)
        } else {
            self.resolve_timeout
        };
        match tokio::time::timeout(timeout, lookup).await {
            Ok(Ok(Ok(ips))) => Ok(ips),
            Ok(Ok(Err(e))) => Err(FetchError::Resolve(host.into(), e.to_string())),
            Ok(Err(e)) => Err(FetchError::Resolve(host.into(), e.to_string())),
            Err(_) => Err(FetchError::Resolve(host.into(), "timed out".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> Option<&'static str> {
        forbidden(s.parse().unwrap())
    }

    #[test]
    fn ipv4_ranges() {
        for bad in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "198.18.0.1",
            "192.0.2.1",
        ] {
            assert!(v4(bad).is_some(), "{bad}");
        }
        for good in [
            "8.8.8.8",
            "151.101.0.84",
            "172.32.0.1",
            "192.169.0.1",
            "100.128.0.1",
        ] {
            assert!(v4(good).is_none(), "{good}");
        }
    }

    #[test]
    fn ipv6_ranges() {
        for bad in [
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "2001:db8::1",
        ] {
            assert!(v4(bad).is_some(), "{bad}");
        }
        for good in [
            "2a04:4e42::84",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "2002:808:808::",
        ] {
            assert!(v4(good).is_none(), "{good}");
        }
    }

    #[actix_rt::test]
    async fn checks_resolved_addresses_not_names() {
        let mut guard = NetGuard::default();
        guard.overrides.insert(
            "public.example".into(),
            vec!["169.254.169.254".parse().unwrap()],
        );
        let err = guard
            .check(&Url::parse("http://public.example/latest/meta-data/").unwrap())
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Blocked { .. }), "{err}");
        // `localhost` resolves (from /etc/hosts) to loopback: refused.
        let err = guard
            .check(&Url::parse("http://localhost:1/").unwrap())
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Blocked { .. }), "{err}");
        // Literal addresses, v4 and v6.
        for u in [
            "http://127.0.0.1/",
            "http://[::1]:8080/",
            "http://[::ffff:10.0.0.1]/",
            "http://0x7f000001/",
        ] {
            let err = guard.check(&Url::parse(u).unwrap()).await.unwrap_err();
            assert!(matches!(err, FetchError::Blocked { .. }), "{u}: {err}");
        }
        // The allowlist admits one exact socket address, not the whole host.
        guard.allow_addrs.push("127.0.0.1:8080".parse().unwrap());
        assert!(
            guard
                .check(&Url::parse("http://127.0.0.1:8080/x").unwrap())
                .await
                .is_ok()
        );
        assert!(
            guard
                .check(&Url::parse("http://127.0.0.1:8081/x").unwrap())
                .await
                .is_err()
        );
        // A public address passes without DNS.
        guard.overrides.insert(
            "pinterest.example".into(),
            vec!["151.101.0.84".parse().unwrap()],
        );
        let addr = guard
            .check(&Url::parse("https://pinterest.example/u/").unwrap())
            .await
            .unwrap();
        assert_eq!(addr, "151.101.0.84:443".parse().unwrap());
        guard.allow_private_network = true;
        assert!(
            guard
                .check(&Url::parse("http://10.1.2.3/").unwrap())
                .await
                .is_ok()
        );
    }
}
