//! [`RuntimeConfig`]: every tunable of the scheduler runtime, with defaults, loadable through
//! the `config` crate from a file and from `MESOS_ACTIX_*` environment variables.
//! `MESOS_MASTER` is read on its own (Mesos uses `MESOS_*` for itself).

use crate::codec::Encoding;
use crate::scheduler::offer_matcher::placement::Strategy;
use crate::scheduler::task_tracker::TrackerLimits;
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// Tunables of the scheduler runtime. Durations are in seconds (fractions allowed).
///
/// Build it with [`RuntimeConfig::load`] (defaults, then an optional TOML file, then
/// `MESOS_ACTIX_<FIELD>` variables, then `MESOS_MASTER`) so a deployment can tune a
/// framework without recompiling it; [`RuntimeConfig::default`] ignores the environment.
///
/// Defaults (each field's name is also its key in the file and, upper-cased after
/// `MESOS_ACTIX_`, its environment variable):
///
/// | field | default |
/// |---|---|
/// | `masters` | empty: the embedded local cluster |
/// | `encoding` | `protobuf` |
/// | `refuse_seconds` | 5 |
/// | `offer_hold_secs` | 10 |
/// | `revive_interval_secs` | 1 |
/// | `backoff_initial_secs` | 0.2 |
/// | `backoff_max_secs` | 15 |
/// | `heartbeat_misses` | 5 |
/// | `call_timeout_secs` | 75 |
/// | `implicit_reconcile_secs` | 900 (15 minutes) |
/// | `reconcile_backoff_initial_secs` | 1 |
/// | `reconcile_backoff_max_secs` | 60 |
/// | `strategy` | `first-fit` |
/// | `max_record_bytes` | 67108864 (64 MiB) |
/// | `call_connections` | 4 |
/// | `call_pipelining` | `true` |
/// | `shutdown_drain_secs` | 5 |
/// | `framework_id_file` | none: the id is not kept between runs |
/// | `finished_task_retention` | 10000 |
/// | `finished_task_ttl_secs` | 3600 (an hour) |
/// | `max_queued_updates` | 10000 |
///
/// Variables under `MESOS_ACTIX_EXECUTOR_` belong to the executor runtime and are not
/// read here; any other `MESOS_ACTIX_*` variable that names no field is logged (WARN) and
/// ignored, so an unrelated variable never stops a scheduler from starting. A file is
/// strict: an unknown key there is an error.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuntimeConfig {
    /// Master URLs tried in turn (`http://m1:5050`); empty means the embedded local cluster.
    pub masters: Vec<String>,
    /// Wire encoding for calls and the event stream.
    pub encoding: Encoding,
    /// `refuse_seconds` of the filter sent with declined offers.
    pub refuse_seconds: f64,
    /// Longest time an offer is held unused before it is declined.
    pub offer_hold_secs: f64,
    /// Shortest time between two REVIVE calls.
    pub revive_interval_secs: f64,
    /// First reconnect delay; doubled after each failure, with jitter.
    pub backoff_initial_secs: f64,
    /// Cap of the reconnect delay.
    pub backoff_max_secs: f64,
    /// The subscription is declared dead after this many heartbeat intervals of silence.
    pub heartbeat_misses: f64,
    /// Timeout of an ordinary call's response.
    pub call_timeout_secs: f64,
    /// Period of implicit reconciliation (0 disables it).
    pub implicit_reconcile_secs: f64,
    /// First wait of the explicit reconciliation loop (truncated exponential backoff).
    pub reconcile_backoff_initial_secs: f64,
    /// Cap of that wait.
    pub reconcile_backoff_max_secs: f64,
    /// Placement strategy of the built-in matcher.
    pub strategy: Strategy,
    /// Cap of one RecordIO record on the event stream, in bytes.
    pub max_record_bytes: usize,
    /// Number of keep-alive connections used for calls.
    pub call_connections: usize,
    /// Pipeline calls to a plain `http://` master: each call connection writes the calls
    /// queued since its last write in one go, without waiting for their answers, and
    /// matches the answers in order (HTTP/1.1 pipelining, which the Mesos master supports).
    /// `false` sends every call as its own request through `awc`. `https://` masters
    /// always use `awc`.
    pub call_pipelining: bool,
    /// Longest wait of [`Framework::shutdown`](super::Framework::shutdown) for the updates
    /// already received to reach the user, their ACKNOWLEDGEs and every other call in
    /// flight to be answered, before TEARDOWN (or the failover disconnect) and the closing
    /// of the call connections. 0 does not wait.
    pub shutdown_drain_secs: f64,
    /// CA bundle for `https://` masters: PEM text, or the path of a PEM file. `None`
    /// trusts the web PKI roots.
    pub tls_ca: Option<String>,
    /// File that keeps the framework id between runs of the scheduler process (a
    /// [`FileFrameworkIdStore`](super::FileFrameworkIdStore)); a store given to
    /// [`FrameworkBuilder::framework_id_store`](super::FrameworkBuilder::framework_id_store)
    /// takes precedence. `None` keeps no id.
    pub framework_id_file: Option<std::path::PathBuf>,
    /// Most records of finished tasks kept (the newest) once their final update reached
    /// the user: [`Framework::tasks`](super::Framework::tasks) lists them and a kill by their
    /// id answers "already terminal"; a forgotten task's id answers "unknown task". 0 keeps
    /// none. The user gets every update first either way.
    pub finished_task_retention: usize,
    /// Longest time a finished task's record is kept after its final update reached the
    /// user (0: forgotten at once).
    pub finished_task_ttl_secs: f64,
    /// Bound of the queue of task updates waiting for the user's actors: while it is full,
    /// updates that Mesos resends (those with a uuid) are left unacknowledged instead of
    /// queued, so a slow user holds memory flat and loses nothing. Must be > 0.
    pub max_queued_updates: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            masters: Vec::new(),
            encoding: Encoding::Protobuf,
            refuse_seconds: 5.0,
            offer_hold_secs: 10.0,
            revive_interval_secs: 1.0,
            backoff_initial_secs: 0.2,
            backoff_max_secs: 15.0,
            heartbeat_misses: 5.0,
            call_timeout_secs: 75.0,
            implicit_reconcile_secs: 900.0,
            reconcile_backoff_initial_secs: 1.0,
            reconcile_backoff_max_secs: 60.0,
            strategy: Strategy::FirstFit,
            max_record_bytes: crate::recordio::DEFAULT_MAX_RECORD,
            call_connections: 4,
            call_pipelining: true,
            shutdown_drain_secs: 5.0,
            tls_ca: None,
            framework_id_file: None,
            finished_task_retention: 10_000,
            finished_task_ttl_secs: 3600.0,
            max_queued_updates: 10_000,
        }
    }
}

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The `config` crate refused the sources (bad file, bad value, unknown key).
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    /// A value is out of range.
    #[error("configuration: {0}")]
    Invalid(String),
}

/// Seconds as a `Duration`, treating negative and non-finite values as zero.
pub(crate) fn secs(value: f64) -> Duration {
    if value.is_finite() && value > 0.0 {
        Duration::from_secs_f64(value.min(1e9))
    } else {
        Duration::ZERO
    }
}

impl RuntimeConfig {
    /// Defaults, then `file` (TOML) if given, then `MESOS_ACTIX_*` variables (for example
    /// `MESOS_ACTIX_REFUSE_SECONDS=3600`), then `MESOS_MASTER` (comma-separated URLs).
    ///
    /// Only variables naming a field are read: `MESOS_ACTIX_EXECUTOR_*` (the executor
    /// runtime's, such as `MESOS_ACTIX_EXECUTOR_ENCODING`) are skipped silently, any other
    /// unknown `MESOS_ACTIX_*` with a WARN line.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder();
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("MESOS_ACTIX")
                .prefix_separator("_")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("masters")
                .source(Some(scheduler_variables(std::env::vars()))),
        );
        let mut loaded: RuntimeConfig = builder.build()?.try_deserialize()?;
        if let Ok(master) = std::env::var("MESOS_MASTER") {
            loaded.masters = parse_master_list(&master);
        }
        loaded.validate()?;
        Ok(loaded)
    }

    /// Checks ranges: positive intervals, backoff cap not below its start, non-zero caps.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("offer_hold_secs", self.offer_hold_secs),
            ("backoff_initial_secs", self.backoff_initial_secs),
            ("backoff_max_secs", self.backoff_max_secs),
            ("heartbeat_misses", self.heartbeat_misses),
            ("call_timeout_secs", self.call_timeout_secs),
            (
                "reconcile_backoff_initial_secs",
                self.reconcile_backoff_initial_secs,
            ),
        ];
        for (name, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigError::Invalid(format!(
                    "{name} must be > 0, got {value}"
                )));
            }
        }
        if self.backoff_max_secs < self.backoff_initial_secs {
            return Err(ConfigError::Invalid(
                "backoff_max_secs is below backoff_initial_secs".into(),
            ));
        }
        if !(self.refuse_seconds.is_finite() && self.refuse_seconds >= 0.0) {
            return Err(ConfigError::Invalid(format!(
                "refuse_seconds must be >= 0, got {}",
                self.refuse_seconds
            )));
        }
        if !(self.shutdown_drain_secs.is_finite() && self.shutdown_drain_secs >= 0.0) {
            return Err(ConfigError::Invalid(format!(
                "shutdown_drain_secs must be >= 0, got {}",
                self.shutdown_drain_secs
            )));
        }
        if !(self.finished_task_ttl_secs.is_finite() && self.finished_task_ttl_secs >= 0.0) {
            return Err(ConfigError::Invalid(format!(
                "finished_task_ttl_secs must be >= 0, got {}",
                self.finished_task_ttl_secs
            )));
        }
        if self.max_record_bytes == 0 || self.call_connections == 0 || self.max_queued_updates == 0
        {
            return Err(ConfigError::Invalid(
                "max_record_bytes, call_connections and max_queued_updates must be > 0".into(),
            ));
        }
        Ok(())
    }

    /// The task tracker's memory bounds these fields set.
    pub(crate) fn tracker_limits(&self) -> TrackerLimits {
        TrackerLimits {
            finished_retention: self.finished_task_retention,
            finished_ttl: secs(self.finished_task_ttl_secs),
            max_queued_updates: self.max_queued_updates,
        }
    }
}

/// Every field of [`RuntimeConfig`], as named in files and (upper-cased) in variables.
pub(crate) const FIELDS: &[&str] = &[
    "masters",
    "encoding",
    "refuse_seconds",
    "offer_hold_secs",
    "revive_interval_secs",
    "backoff_initial_secs",
    "backoff_max_secs",
    "heartbeat_misses",
    "call_timeout_secs",
    "implicit_reconcile_secs",
    "reconcile_backoff_initial_secs",
    "reconcile_backoff_max_secs",
    "strategy",
    "max_record_bytes",
    "call_connections",
    "call_pipelining",
    "shutdown_drain_secs",
    "tls_ca",
    "framework_id_file",
    "finished_task_retention",
    "finished_task_ttl_secs",
    "max_queued_updates",
];

/// The prefix of the executor runtime's variables, never read by [`RuntimeConfig::load`].
pub(crate) const EXECUTOR_PREFIX: &str = "MESOS_ACTIX_EXECUTOR_";

/// The `MESOS_ACTIX_<FIELD>` variables among `vars`; other `MESOS_ACTIX_*` variables are
/// left out (with a WARN line unless they are the executor runtime's).
pub(crate) fn scheduler_variables(
    vars: impl Iterator<Item = (String, String)>,
) -> config::Map<String, String> {
    let mut kept = config::Map::new();
    for (name, value) in vars {
        let Some(field) = name.strip_prefix("MESOS_ACTIX_") else {
            continue;
        };
        if FIELDS.iter().any(|f| f.eq_ignore_ascii_case(field)) {
            kept.insert(name, value);
        } else if !name.starts_with(EXECUTOR_PREFIX) {
            tracing::warn!(variable = %name, "ignoring MESOS_ACTIX_ variable: it names no RuntimeConfig field");
        }
    }
    kept
}

/// Splits `http://m1:5050,http://m2:5050` into URLs; a bare `host:port` gets `http://`.
/// A `zk://` or `file://` string (whose commas are its own) stays one entry.
pub(crate) fn parse_master_list(value: &str) -> Vec<String> {
    let trimmed = value.trim();
    let lower = trimmed.get(..7).unwrap_or_default().to_ascii_lowercase();
    if lower.starts_with("zk://") || lower.starts_with("file://") {
        return vec![trimmed.to_string()];
    }
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.contains("://") {
                s.to_string()
            } else {
                format!("http://{s}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_list() {
        assert_eq!(
            parse_master_list(" http://a:5050, b:5050 ,,"),
            vec!["http://a:5050".to_string(), "http://b:5050".to_string()]
        );
        assert_eq!(
            parse_master_list(" zk://h1:2181,h2:2181/mesos "),
            vec!["zk://h1:2181,h2:2181/mesos".to_string()]
        );
    }

    #[test]
    fn file_values_and_bad_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rt.toml");
        std::fs::write(
            &path,
            "refuse_seconds = 3600.0\nstrategy = \"bin-pack\"\nencoding = \"json\"\n",
        )
        .unwrap();
        let cfg = RuntimeConfig::load(Some(&path)).unwrap();
        assert_eq!(cfg.refuse_seconds, 3600.0);
        assert_eq!(cfg.strategy, Strategy::BinPack);
        assert_eq!(cfg.encoding, Encoding::Json);
        std::fs::write(&path, "no_such_key = 1\n").unwrap();
        assert!(RuntimeConfig::load(Some(&path)).is_err());
        std::fs::write(
            &path,
            "finished_task_retention = 5\nfinished_task_ttl_secs = 1.5\nmax_queued_updates = 7\n",
        )
        .unwrap();
        let limits = RuntimeConfig::load(Some(&path)).unwrap().tracker_limits();
        assert_eq!(limits.finished_retention, 5);
        assert_eq!(limits.finished_ttl, Duration::from_millis(1500));
        assert_eq!(limits.max_queued_updates, 7);
        for bad in [
            "max_queued_updates = 0\n",
            "finished_task_ttl_secs = -1.0\n",
        ] {
            std::fs::write(&path, bad).unwrap();
            assert!(RuntimeConfig::load(Some(&path)).is_err(), "{bad}");
        }
        std::fs::write(&path, "backoff_max_secs = -1.0\n").unwrap();
        assert!(RuntimeConfig::load(Some(&path)).is_err());
        std::fs::write(&path, "refuse_seconds = \"lots\"\n").unwrap();
        assert!(RuntimeConfig::load(Some(&path)).is_err());
    }

    #[test]
    fn variables_name_fields_and_executor_ones_are_skipped() {
        let vars = [
            ("MESOS_ACTIX_REFUSE_SECONDS", "3600"),
            ("MESOS_ACTIX_EXECUTOR_ENCODING", "json"),
            ("MESOS_ACTIX_SKIP_CHROMIUM", "1"),
            ("PATH", "/bin"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let kept = scheduler_variables(vars.into_iter());
        assert_eq!(kept.len(), 1);
        assert_eq!(
            kept.get("MESOS_ACTIX_REFUSE_SECONDS").map(String::as_str),
            Some("3600")
        );
    }

    /// `FIELDS` lists exactly the struct's fields (serde names them in its error).
    #[test]
    fn fields_list_is_complete() {
        let err = toml_error("no_such_key = 1\n");
        for field in FIELDS {
            assert!(
                err.contains(&format!("`{field}`")),
                "{field} not a field: {err}"
            );
        }
        let listed = err.matches('`').count() / 2 - 1; // minus the unknown key itself
        assert_eq!(
            listed,
            FIELDS.len(),
            "a field is missing from FIELDS: {err}"
        );
    }

    fn toml_error(text: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rt.toml");
        std::fs::write(&path, text).unwrap();
        RuntimeConfig::load(Some(&path)).unwrap_err().to_string()
    }

    #[test]
    fn secs_is_total() {
        assert_eq!(secs(-1.0), Duration::ZERO);
        assert_eq!(secs(f64::NAN), Duration::ZERO);
        assert_eq!(secs(1.5), Duration::from_millis(1500));
    }
}
