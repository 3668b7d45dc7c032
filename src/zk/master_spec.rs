//! [`MasterSpec`]: the master strings the Mesos CLI accepts (`--master`, `MESOS_MASTER`):
//! `host:port`, `http(s)://host:port`, comma-separated lists of those, `zk://...`, and
//! `file:///path` naming a file that holds one of them.

use super::url::{ZkUrl, ZkUrlError};
use url::Url;

/// Longest accepted master string, in bytes.
pub const MAX_MASTER_SPEC_LEN: usize = 8192;
/// Most masters in one comma-separated list.
pub const MAX_MASTERS: usize = 64;
/// Largest `file://` master file read, in bytes.
const MAX_MASTER_FILE_LEN: u64 = 8192;
/// How much of a bad piece of input an error quotes.
const QUOTE_LEN: usize = 64;

/// Where the masters are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterSpec {
    /// Known master URLs (`http` or `https`), tried in turn.
    Urls(Vec<Url>),
    /// A ZooKeeper group whose leader is the master.
    Zk(ZkUrl),
}

/// Why a master string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MasterSpecError {
    /// Nothing but spaces and commas.
    #[error("no master given")]
    Empty,
    /// Longer than [`MAX_MASTER_SPEC_LEN`].
    #[error("master string is {len} bytes, the limit is {max}")]
    TooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More entries than [`MAX_MASTERS`].
    #[error("{count} masters listed, the limit is {max}")]
    TooMany {
        /// How many.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A bad `zk://` URL.
    #[error(transparent)]
    Zk(#[from] ZkUrlError),
    /// `zk://` inside a comma list of plain masters (a `zk://` URL lists its servers itself).
    #[error("zk:// cannot be mixed with other masters in a comma list")]
    ZkInList,
    /// A scheme other than `http`, `https`, `zk` or `file`.
    #[error("unsupported master scheme {0:?} (expected http, https, zk or file)")]
    UnsupportedScheme(String),
    /// An entry that is not a URL with a host.
    #[error("bad master {master:?}: {reason}")]
    BadMaster {
        /// The entry (cut to 64 bytes).
        master: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `file://` master file that could not be read.
    #[error("cannot read master file {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

impl MasterSpec {
    /// Parses a master string. Plain entries keep `parse_master_list`'s behaviour: split on
    /// commas, trim, drop empty entries, prefix `http://` when there is no scheme. A
    /// `file://` string is read once (capped at 8 KiB) and its content parsed the same way
    /// (a file naming another file is refused).
    pub fn parse(input: &str) -> Result<Self, MasterSpecError> {
        let trimmed = input.trim();
        if let Some(path) = strip_prefix_ci(trimmed, "file://") {
            let content = read_master_file(path)?;
            if strip_prefix_ci(content.trim(), "file://").is_some() {
                return Err(MasterSpecError::UnsupportedScheme("file (nested)".into()));
            }
            return Self::parse_inline(&content);
        }
        Self::parse_inline(input)
    }

    fn parse_inline(input: &str) -> Result<Self, MasterSpecError> {
        if input.len() > MAX_MASTER_SPEC_LEN {
            return Err(MasterSpecError::TooLong {
                len: input.len(),
                max: MAX_MASTER_SPEC_LEN,
            });
        }
        let trimmed = input.trim();
        if strip_prefix_ci(trimmed, "zk://").is_some() {
            return Ok(MasterSpec::Zk(ZkUrl::parse(trimmed)?));
        }
        let entries: Vec<&str> = trimmed
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if entries.len() > MAX_MASTERS {
            return Err(MasterSpecError::TooMany {
                count: entries.len(),
                max: MAX_MASTERS,
            });
        }
        if entries.is_empty() {
            return Err(MasterSpecError::Empty);
        }
        let urls = entries
            .into_iter()
            .map(parse_plain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MasterSpec::Urls(urls))
    }
}

impl std::str::FromStr for MasterSpec {
    type Err = MasterSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MasterSpec::parse(s)
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn quote(text: &str) -> String {
    let mut end = text.len().min(QUOTE_LEN);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

fn parse_plain(entry: &str) -> Result<Url, MasterSpecError> {
    let bad = |reason: &str| MasterSpecError::BadMaster {
        master: quote(entry),
        reason: reason.to_string(),
    };
    let text = match entry.split_once("://") {
        Some((scheme, _)) => {
            let lower = scheme.to_ascii_lowercase();
            match lower.as_str() {
                "http" | "https" => entry.to_string(),
                "zk" => return Err(MasterSpecError::ZkInList),
                _ => return Err(MasterSpecError::UnsupportedScheme(quote(scheme))),
            }
        }
        None => format!("http://{entry}"),
    };
    let url = Url::parse(&text).map_err(|e| bad(&e.to_string()))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if let Some(url::Host::Domain(domain)) = url.host() {
        // One trailing dot is a fully qualified name; any other empty label is a typo.
        let labels = domain.strip_suffix('.').unwrap_or(domain);
        if labels.split('.').any(str::is_empty) {
            return Err(bad("empty label in host name"));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials in a master URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("query or fragment in a master URL"));
    }
    Ok(url)
}

fn read_master_file(path: &str) -> Result<String, MasterSpecError> {
    use std::io::Read;
    let failed = |reason: String| MasterSpecError::File {
        path: quote(path),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| failed(e.to_string()))?;
    let mut content = String::new();
    file.take(MAX_MASTER_FILE_LEN + 1)
        .read_to_string(&mut content)
        .map_err(|e| failed(e.to_string()))?;
    if content.len() as u64 > MAX_MASTER_FILE_LEN {
        return Err(failed(format!("larger than {MAX_MASTER_FILE_LEN} bytes")));
    }
    Ok(content)
}

#[cfg(test)]
mod tests;
