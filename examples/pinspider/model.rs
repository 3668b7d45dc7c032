//! The data that travels: what the scheduler puts in `TaskInfo.data` ([`TaskPayload`]),
//! what an executor sends back ([`TaskResult`]), and the JSON-lines output records
//! ([`Record`]: `{"kind":"profile",...}` and `{"kind":"board",...}`).

use serde::{Deserialize, Serialize};

/// A count as Pinterest shows it: the integer (when it could be read) and the raw text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// `56,312` -> 56312, `1.2k` -> 1200; `None` when the text is not a count.
    pub value: Option<u64>,
    /// The text as found on the page.
    pub raw: String,
}

impl Count {
    /// Parses `raw` (see [`crate::extract::count::parse_count`]).
    pub fn parse(raw: &str) -> Self {
        Count {
            value: crate::extract::count::parse_count(raw),
            raw: raw.trim().to_string(),
        }
    }

    /// A count from a JSON number.
    pub fn from_number(n: u64) -> Self {
        Count {
            value: Some(n),
            raw: n.to_string(),
        }
    }
}

/// A user's profile.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Profile {
    /// The page that was fetched (after redirects).
    pub url: String,
    /// The username (the first path segment of the profile URL).
    pub username: Option<String>,
    /// The display name.
    pub name: Option<String>,
    /// The bio.
    pub about: Option<String>,
    /// Where the user says they are.
    pub location: Option<String>,
    /// The user's website.
    pub website: Option<String>,
    /// Followers.
    pub followers: Option<Count>,
    /// Following.
    pub following: Option<Count>,
    /// Number of boards.
    pub boards: Option<Count>,
    /// Number of pins.
    pub pins: Option<Count>,
    /// Likes (2014 pages only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub likes: Option<Count>,
    /// Facebook link (2014 pages only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub facebook: Option<String>,
    /// Twitter link (2014 pages only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub twitter: Option<String>,
    /// Avatar image.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub image: Option<String>,
    /// Which page layers the fields came from (`meta`, `pws_initial_props`, `pws_data`,
    /// `initial_state`, `legacy_dom`).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Why the page could not be (fully) read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// One board.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Board {
    /// The board page URL.
    pub url: String,
    /// The owner's username.
    pub owner: Option<String>,
    /// The board's title.
    pub title: Option<String>,
    /// Number of pins.
    pub pin_count: Option<Count>,
    /// Followers of the board.
    pub followers: Option<Count>,
    /// Pinterest's category slug (e.g. `holidays_events`).
    pub category: Option<String>,
    /// The cover image URL.
    pub cover_image: Option<String>,
    /// Which page layers the fields came from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Why the board page could not be (fully) read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// One JSON line of output.
// Records are short-lived (built, serialized, dropped): boxing buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Record {
    /// `{"kind":"profile",...}`
    Profile(Profile),
    /// `{"kind":"board",...}`
    Board(Board),
}

impl Record {
    /// The error of this record, if it has one.
    #[cfg(test)]
    pub fn error(&self) -> Option<&str> {
        match self {
            Record::Profile(p) => p.error.as_deref(),
            Record::Board(b) => b.error.as_deref(),
        }
    }
}

/// The two kinds of task (and of executor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TaskKind {
    /// Extract the user's profile.
    Profile,
    /// Extract the user's boards (the board list, then each board page).
    Boards,
}

impl TaskKind {
    /// `profile` or `boards`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Profile => "profile",
            TaskKind::Boards => "boards",
        }
    }
}

/// The fetch policy the scheduler hands to executors (so that `--rate` and
/// `--allow-private-network` reach the processes that fetch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FetchSettings {
    /// Requests per second per host.
    pub rate_per_sec: f64,
    /// Refuse nothing because of its address.
    pub allow_private_network: bool,
    /// Exact socket addresses allowed even though they are private (the demo site).
    #[serde(default)]
    pub allow_addrs: Vec<std::net::SocketAddr>,
    /// The body byte cap.
    pub max_body_bytes: usize,
    /// Most board pages visited by one boards task.
    pub max_boards: usize,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            rate_per_sec: 2.0,
            allow_private_network: false,
            allow_addrs: Vec::new(),
            max_body_bytes: 4 * 1024 * 1024,
            max_boards: 50,
        }
    }
}

/// What the scheduler puts in `TaskInfo.data` (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskPayload {
    /// The task's name (also the `TaskSpec` name), echoed in the result.
    pub task: String,
    /// What to extract.
    pub kind: TaskKind,
    /// The user's profile URL.
    pub url: String,
    /// How to fetch.
    pub fetch: FetchSettings,
}

/// What an executor sends back, in the terminal status update's `data` and as a framework
/// message (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskResult {
    /// The task's name, from the payload.
    pub task: String,
    /// The kind of task.
    pub kind: TaskKind,
    /// The user's profile URL.
    pub url: String,
    /// The extracted records (a profile, or boards).
    pub records: Vec<Record>,
    /// Profile URLs of other users found on the pages.
    pub discovered: Vec<String>,
    /// Why the task failed as a whole (the user's page could not be fetched or read).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    /// Whether the error may go away on retry (timeouts, 5xx): the executor then reports
    /// `TASK_FAILED` so the runtime retries; permanent errors finish the task.
    #[serde(default)]
    pub transient: bool,
}

impl TaskResult {
    /// Serializes to JSON bytes (cannot fail for these types; an empty object otherwise).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_json_shape_has_kind_tag() {
        let r = Record::Profile(Profile {
            url: "http://x/u/".into(),
            followers: Some(Count::parse("56,312")),
            ..Default::default()
        });
        let v: serde_json::Value = serde_json::to_value(&r).unwrap();
        assert_eq!(v["kind"], "profile");
        assert_eq!(v["followers"]["value"], 56312);
        assert_eq!(v["followers"]["raw"], "56,312");
        assert!(v.get("error").is_none());
        let back: Record = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
        let b = serde_json::to_value(Record::Board(Board::default())).unwrap();
        assert_eq!(b["kind"], "board");
    }
}
