//! [`ZkUrl`]: `zk://[user:pass@]host1:port,host2:port/path`, the way Apache Mesos names a
//! ZooKeeper group of masters. Credentials are ZooKeeper `digest` credentials.

use std::fmt;
use std::str::FromStr;

/// Longest accepted `zk://` string, in bytes.
pub const MAX_ZK_URL_LEN: usize = 4096;
/// Most servers accepted in one `zk://` string.
pub const MAX_ZK_SERVERS: usize = 64;
/// ZooKeeper's client port when a server names none.
pub const DEFAULT_ZK_PORT: u16 = 2181;
/// Longest group path, in bytes.
const MAX_PATH_LEN: usize = 1024;
/// Longest host name, in bytes (DNS limit).
const MAX_HOST_LEN: usize = 253;
/// How much of a bad piece of input an error quotes.
const QUOTE_LEN: usize = 64;

/// Why a `zk://` string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZkUrlError {
    /// The string is longer than [`MAX_ZK_URL_LEN`].
    #[error("zk:// URL is {len} bytes, the limit is {max}")]
    TooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// It does not start with `zk://`.
    #[error("not a zk:// URL")]
    NotZk,
    /// A control character or whitespace inside the URL.
    #[error("zk:// URL contains a control character or whitespace")]
    ControlCharacter,
    /// No server between `zk://` and the path.
    #[error("zk:// URL names no ZooKeeper server")]
    NoServers,
    /// More servers than [`MAX_ZK_SERVERS`].
    #[error("zk:// URL names {count} servers, the limit is {max}")]
    TooManyServers {
        /// How many it names.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A server that is not `host`, `host:port` or `[ipv6]:port`.
    #[error("bad ZooKeeper server {server:?}: {reason}")]
    BadServer {
        /// The server as written (cut to 64 bytes).
        server: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `user:pass@` that is not a non-empty user, a colon and a password.
    #[error("bad zk:// credentials: {0}")]
    BadCredentials(&'static str),
    /// A group path ZooKeeper would refuse.
    #[error("bad ZooKeeper path: {0}")]
    BadPath(&'static str),
}

/// One ZooKeeper server of a [`ZkUrl`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkServer {
    /// Host name or IP address (an IPv6 address without its brackets).
    pub host: String,
    /// Client port.
    pub port: u16,
}

impl fmt::Display for ZkServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// ZooKeeper `digest` credentials (`user:password`); `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    user: String,
    password: String,
}

impl Credentials {
    /// The user name.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The `user:password` bytes ZooKeeper's `digest` scheme takes.
    pub fn digest_auth(&self) -> Vec<u8> {
        format!("{}:{}", self.user, self.password).into_bytes()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

/// A parsed `zk://[user:pass@]host1:port,host2:port/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkUrl {
    servers: Vec<ZkServer>,
    path: String,
    credentials: Option<Credentials>,
}

impl ZkUrl {
    /// Parses a `zk://` string. A server without a port gets 2181; a missing path is `/`.
    /// Nothing is percent-decoded (Apache Mesos does not decode either).
    pub fn parse(input: &str) -> Result<Self, ZkUrlError> {
        if input.len() > MAX_ZK_URL_LEN {
            return Err(ZkUrlError::TooLong {
                len: input.len(),
                max: MAX_ZK_URL_LEN,
            });
        }
        let rest = strip_scheme(input.trim()).ok_or(ZkUrlError::NotZk)?;
        if rest.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(ZkUrlError::ControlCharacter);
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (credentials, hosts) = match authority.rfind('@') {
            Some(i) => (
                Some(parse_credentials(&authority[..i])?),
                &authority[i + 1..],
            ),
            None => (None, authority),
        };
        let servers = parse_servers(hosts)?;
        let path = normalize_path(path)?;
        Ok(ZkUrl {
            servers,
            path,
            credentials,
        })
    }

    /// The servers, in the order written.
    pub fn servers(&self) -> &[ZkServer] {
        &self.servers
    }

    /// The group path (`/mesos`), absolute, without a trailing slash unless it is `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The digest credentials, if the URL has any.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_ref()
    }

    /// The ZooKeeper connect string `host1:port,host2:port` (no chroot).
    pub fn connect_string(&self) -> String {
        let servers: Vec<String> = self.servers.iter().map(ZkServer::to_string).collect();
        servers.join(",")
    }

    /// `path` joined to the group path.
    pub(crate) fn child_path(&self, name: &str) -> String {
        if self.path == "/" {
            format!("/{name}")
        } else {
            format!("{}/{name}", self.path)
        }
    }
}

impl FromStr for ZkUrl {
    type Err = ZkUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ZkUrl::parse(s)
    }
}

/// `zk://user:***@host:port/path`: the password never appears.
impl fmt::Display for ZkUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("zk://")?;
        if let Some(credentials) = &self.credentials {
            write!(f, "{}:***@", credentials.user)?;
        }
        write!(f, "{}{}", self.connect_string(), self.path)
    }
}

fn strip_scheme(input: &str) -> Option<&str> {
    let head = input.get(..5)?;
    head.eq_ignore_ascii_case("zk://").then(|| &input[5..])
}

fn quote(text: &str) -> String {
    let mut end = text.len().min(QUOTE_LEN);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

fn parse_credentials(text: &str) -> Result<Credentials, ZkUrlError> {
    // ZooKeeper's digest scheme splits `user:password` at the first colon.
    let (user, password) = text
        .split_once(':')
        .ok_or(ZkUrlError::BadCredentials("expected user:password"))?;
    if user.is_empty() {
        return Err(ZkUrlError::BadCredentials("empty user"));
    }
    if user.contains('@') {
        return Err(ZkUrlError::BadCredentials("'@' in the user name"));
    }
    Ok(Credentials {
        user: user.to_string(),
        password: password.to_string(),
    })
}

fn parse_servers(hosts: &str) -> Result<Vec<ZkServer>, ZkUrlError> {
    let count = hosts.split(',').count();
    if count > MAX_ZK_SERVERS {
        return Err(ZkUrlError::TooManyServers {
            count,
            max: MAX_ZK_SERVERS,
        });
    }
    let mut servers = Vec::with_capacity(count);
    for server in hosts.split(',') {
        if server.is_empty() {
            continue;
        }
        servers.push(parse_server(server)?);
    }
    if servers.is_empty() {
        return Err(ZkUrlError::NoServers);
    }
    Ok(servers)
}

fn parse_server(text: &str) -> Result<ZkServer, ZkUrlError> {
    let bad = |reason| ZkUrlError::BadServer {
        server: quote(text),
        reason,
    };
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or(bad("unclosed '['"))?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad("not an IPv6 address inside [ ]"));
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(bad("junk after ']'"))?),
        };
        (host, port)
    } else {
        match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err(bad("empty host"));
    }
    if host.len() > MAX_HOST_LEN {
        return Err(bad("host name too long"));
    }
    if !host.contains(':') && !host.bytes().all(is_host_byte) {
        return Err(bad(
            "host has characters outside letters, digits, '.', '-', '_'",
        ));
    }
    let port = match port {
        None => DEFAULT_ZK_PORT,
        Some(port) => match port.parse::<u16>() {
            Ok(0) | Err(_) => return Err(bad("port is not a number in 1..=65535")),
            Ok(port) => port,
        },
    };
    Ok(ZkServer {
        host: host.to_string(),
        port,
    })
}

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')
}

fn normalize_path(path: &str) -> Result<String, ZkUrlError> {
    if path.len() > MAX_PATH_LEN {
        return Err(ZkUrlError::BadPath("longer than 1024 bytes"));
    }
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    if trimmed == "/" {
        return Ok(trimmed.to_string());
    }
    for segment in trimmed[1..].split('/') {
        match segment {
            "" => return Err(ZkUrlError::BadPath("empty segment ('//')")),
            "." | ".." => return Err(ZkUrlError::BadPath("'.' or '..' segment")),
            _ => {}
        }
    }
    if trimmed == "/zookeeper" || trimmed.starts_with("/zookeeper/") {
        return Err(ZkUrlError::BadPath("/zookeeper is ZooKeeper's own tree"));
    }
    if trimmed.contains(['?', '#']) {
        return Err(ZkUrlError::BadPath("'?' or '#' in the path"));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests;
