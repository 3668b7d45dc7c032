//! Leader election of local masters through ZooKeeper, in the group layout of Apache Mesos:
//! each master registers its MasterInfo JSON as an ephemeral sequential `json.info_<seq>`
//! node ([`Registration`]) and follows the group's leader ([`LeaderDetector`]) to know where
//! to redirect. [`Leadership::route`] tells the HTTP front what to do with a request that
//! only the leader answers.

use crate::proto::MasterInfo;
use crate::zk::{LeaderDetector, Registration, Role, ZkOptions, ZkUrl};
use std::sync::Mutex;
use tokio::sync::watch;

/// What a master-only request gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// We lead (or run standalone): serve it.
    Serve,
    /// Another master leads: `307` to `//host:port` (no scheme, as Apache Mesos sends).
    Redirect {
        /// `host:port` of the leader (its host name, as Apache Mesos redirects).
        authority: String,
    },
    /// No leader is known: `503`.
    NoLeader,
}

/// This master's membership in the group and its view of the leader.
pub(crate) struct Leadership {
    /// `None` once [`close`](Self::close)d.
    inner: Mutex<Option<Inner>>,
    role: watch::Receiver<Role>,
    /// Our `MasterInfo.id`: a detected leader with it is us (maybe a stale node of ours).
    id: String,
}

struct Inner {
    registration: Registration,
    detector: LeaderDetector,
}

impl Leadership {
    /// Registers `info` in the group of `url` and starts following the group's leader, on
    /// the current tokio runtime. Both stop (the node disappears) when this is dropped.
    pub(crate) fn start(url: ZkUrl, info: &MasterInfo, options: ZkOptions) -> Leadership {
        let json = master_info_json(info);
        let registration = Registration::spawn(url.clone(), json, options.clone());
        let detector = LeaderDetector::spawn(url, options);
        Leadership {
            id: info.id.clone(),
            role: registration.role(),
            inner: Mutex::new(Some(Inner {
                registration,
                detector,
            })),
        }
    }

    /// Leaves the group (closing the session removes our node) and stops following it.
    pub(crate) fn close(&self) {
        let inner = self.lock().take();
        drop(inner);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Inner>> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether this master leads right now.
    pub(crate) fn is_leader(&self) -> bool {
        self.lock()
            .as_ref()
            .is_some_and(|inner| inner.registration.is_leader())
    }

    /// Our role as it changes (closed once the leadership is closed).
    pub(crate) fn role(&self) -> watch::Receiver<Role> {
        self.role.clone()
    }

    /// What a master-only request gets right now.
    pub(crate) fn route(&self) -> Route {
        let guard = self.lock();
        let Some(inner) = guard.as_ref() else {
            return Route::NoLeader;
        };
        if matches!(*inner.registration.role().borrow(), Role::Leader { .. }) {
            return Route::Serve;
        }
        let leader = inner.detector.leader().borrow().clone();
        drop(guard);
        match leader {
            // The detector may still name us (an old node of ours) after we lost the lead:
            // no leader is known then.
            Some(leader) if leader.id != self.id => {
                let host = leader
                    .hostname
                    .clone()
                    .or_else(|| leader.url.host_str().map(str::to_string));
                match (host, leader.url.port_or_known_default()) {
                    (Some(host), Some(port)) => Route::Redirect {
                        authority: format!("{}:{port}", bracket_ipv6(&host)),
                    },
                    _ => Route::NoLeader,
                }
            }
            _ => Route::NoLeader,
        }
    }
}

fn bracket_ipv6(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// The MasterInfo as Apache Mesos masters write it to their group node: `address`,
/// `hostname`, `id`, `ip` (the IPv4 address as a u32 in network byte order), `pid`, `port`,
/// `version` and the capabilities.
pub(crate) fn master_info_json(info: &MasterInfo) -> Vec<u8> {
    let mut json = serde_json::json!({
        "id": info.id,
        "ip": info.ip,
        "port": info.port,
    });
    if let Some(address) = &info.address {
        json["address"] = serde_json::json!({
            "hostname": address.hostname,
            "ip": address.ip,
            "port": address.port,
        });
    }
    if let Some(hostname) = &info.hostname {
        json["hostname"] = hostname.clone().into();
    }
    if let Some(pid) = &info.pid {
        json["pid"] = pid.clone().into();
    }
    if let Some(version) = &info.version {
        json["version"] = version.clone().into();
    }
    let capabilities: Vec<serde_json::Value> = info
        .capabilities
        .iter()
        .filter_map(|c| c.r#type)
        .filter_map(|t| crate::proto::master_info::capability::Type::try_from(t).ok())
        .map(|t| serde_json::json!({ "type": t.as_str_name() }))
        .collect();
    json["capabilities"] = capabilities.into();
    json.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_info_json_has_the_fields_of_apache_mesos() {
        let info = MasterInfo {
            id: "m1".into(),
            ip: u32::from_le_bytes([127, 0, 0, 1]),
            port: 5261,
            pid: Some("master@127.0.0.1:5261".into()),
            hostname: Some("localhost".into()),
            version: Some("1.11.0".into()),
            address: Some(crate::proto::Address {
                hostname: Some("localhost".into()),
                ip: Some("127.0.0.1".into()),
                port: 5261,
            }),
            ..Default::default()
        };
        let json: serde_json::Value =
            serde_json::from_slice(&master_info_json(&info)).expect("JSON");
        assert_eq!(json["ip"], 16777343);
        assert_eq!(json["pid"], "master@127.0.0.1:5261");
        assert_eq!(json["address"]["port"], 5261);
        let data = master_info_json(&info);
        let leader = crate::zk::parse_master_info("json.info_0000000001", 1, &data, "http");
        let leader = leader.expect("a MasterInfo the detector reads");
        assert_eq!(leader.url.as_str(), "http://127.0.0.1:5261/");
    }
}
