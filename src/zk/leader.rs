//! The group layout Apache Mesos masters use: one ephemeral sequential node per master named
//! `json.info_<seq>` holding its MasterInfo as JSON; the leader is the lowest sequence.
//! [`Leader`] is what detection yields; [`parse_master_info`] reads a node's data.

use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr};
use url::Url;

/// The label Apache Mesos masters put before the sequence number of their group nodes.
pub const MASTER_NODE_PREFIX: &str = "json.info_";
/// Largest MasterInfo JSON accepted from ZooKeeper, in bytes.
pub const MAX_MASTER_INFO_BYTES: usize = 64 * 1024;
/// How much of a bad value an error quotes.
const QUOTE_LEN: usize = 64;

/// The leading master, as detected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leader {
    /// Where to reach its HTTP API: `scheme://ip:port/` (the host name when no IP is given).
    pub url: Url,
    /// Its group node, for example `json.info_0000000003`.
    pub node: String,
    /// The node's sequence number.
    pub sequence: u64,
    /// `MasterInfo.id`.
    pub id: String,
    /// `MasterInfo.hostname` (or `address.hostname`), if any.
    pub hostname: Option<String>,
    /// `MasterInfo.version`, if any.
    pub version: Option<String>,
}

/// Why a MasterInfo node could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MasterInfoError {
    /// Larger than [`MAX_MASTER_INFO_BYTES`].
    #[error("MasterInfo is {len} bytes, the limit is {max}")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not JSON of the MasterInfo shape.
    #[error("MasterInfo is not valid JSON: {0}")]
    Json(String),
    /// No `address.ip`, `address.hostname`, `ip` or `hostname`.
    #[error("MasterInfo names no address")]
    NoAddress,
    /// A port outside 1..=65535.
    #[error("MasterInfo port {0} is out of range")]
    BadPort(i64),
    /// A host that is neither an IP address nor a DNS name.
    #[error("MasterInfo host {0:?} is not an IP address or host name")]
    BadHost(String),
}

#[derive(Deserialize)]
struct MasterInfoJson {
    #[serde(default)]
    id: String,
    ip: Option<u32>,
    port: Option<i64>,
    hostname: Option<String>,
    version: Option<String>,
    address: Option<AddressJson>,
}

#[derive(Deserialize)]
struct AddressJson {
    hostname: Option<String>,
    ip: Option<String>,
    port: Option<i64>,
}

/// The sequence number of a master's group node (`json.info_0000000007` -> 7); `None` for any
/// other node (`log_replicas`, the protobuf `info_` nodes of old masters, junk).
pub fn master_node_sequence(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(MASTER_NODE_PREFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The leader's node among a group's children: the master node with the lowest sequence.
pub fn leader_node<S: AsRef<str>>(children: &[S]) -> Option<(&str, u64)> {
    children
        .iter()
        .map(AsRef::as_ref)
        .filter_map(|name| master_node_sequence(name).map(|seq| (name, seq)))
        .min_by_key(|&(name, seq)| (seq, name))
}

/// Reads a master node's data into a [`Leader`] reached over `scheme` (`http` or `https`).
/// Prefers `address.ip`, then the top-level `ip` (a `uint32` in network byte order), then the
/// host names; the port is `address.port`, else `port`, else 5050.
pub fn parse_master_info(
    node: &str,
    sequence: u64,
    data: &[u8],
    scheme: &str,
) -> Result<Leader, MasterInfoError> {
    if data.len() > MAX_MASTER_INFO_BYTES {
        return Err(MasterInfoError::TooLarge {
            len: data.len(),
            max: MAX_MASTER_INFO_BYTES,
        });
    }
    let info: MasterInfoJson = serde_json::from_slice(data).map_err(|e| {
        let mut text = e.to_string();
        text.truncate(200);
        MasterInfoError::Json(text)
    })?;
    let address = info.address.as_ref();
    let hostname = info
        .hostname
        .clone()
        .or_else(|| address.and_then(|a| a.hostname.clone()))
        .filter(|h| !h.is_empty());
    let host = address
        .and_then(|a| a.ip.clone())
        .filter(|ip| !ip.is_empty())
        .or_else(|| info.ip.map(network_order_ip))
        .or_else(|| {
            address
                .and_then(|a| a.hostname.clone())
                .filter(|h| !h.is_empty())
        })
        .or_else(|| hostname.clone())
        .ok_or(MasterInfoError::NoAddress)?;
    let port = address.and_then(|a| a.port).or(info.port).unwrap_or(5050);
    let port = u16::try_from(port)
        .ok()
        .filter(|&p| p != 0)
        .ok_or(MasterInfoError::BadPort(port))?;
    let url = build_url(scheme, &host, port)?;
    Ok(Leader {
        url,
        node: node.to_string(),
        sequence,
        id: info.id,
        hostname,
        version: info.version,
    })
}

/// `MasterInfo.ip` holds the address bytes in network order read as a little-endian integer
/// (127.0.0.1 is 16777343).
fn network_order_ip(ip: u32) -> String {
    Ipv4Addr::from(ip.to_le_bytes()).to_string()
}

fn build_url(scheme: &str, host: &str, port: u16) -> Result<Url, MasterInfoError> {
    let bad = || {
        let mut quoted = host.to_string();
        let mut end = quoted.len().min(QUOTE_LEN);
        while !quoted.is_char_boundary(end) {
            end -= 1;
        }
        quoted.truncate(end);
        MasterInfoError::BadHost(quoted)
    };
    let text = match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(ip)) => format!("{scheme}://[{ip}]:{port}/"),
        Ok(IpAddr::V4(ip)) => format!("{scheme}://{ip}:{port}/"),
        Err(_) => {
            let valid = !host.is_empty()
                && host.len() <= 253
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
            if !valid {
                return Err(bad());
            }
            format!("{scheme}://{host}:{port}/")
        }
    };
    Url::parse(&text).map_err(|_| bad())
}

#[cfg(test)]
mod tests;
