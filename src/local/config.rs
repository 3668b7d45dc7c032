//! Configuration of the embedded local cluster and its error type.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How to run a [`LocalCluster`](super::LocalCluster): where to listen, how many agents and
/// with which resources, and the protocol timers (all configurable so tests run fast).
#[derive(Debug, Clone)]
pub struct LocalClusterConfig {
    /// Address the HTTP front binds to (default `127.0.0.1:0`: a free loopback port).
    pub bind: SocketAddr,
    /// Number of agents (default 1).
    pub agents: usize,
    /// Resources of every agent in Mesos text syntax, e.g.
    /// `cpus:4;mem:4096;disk:10240;ports:[31000-32000]` (default: this machine's cpus and
    /// memory, disk 10240, ports `[31000-32000]`).
    pub resources: String,
    /// Attributes of every agent in Mesos text syntax, e.g. `rack:r1;zone:a` (default none).
    pub attributes: String,
    /// Root of the agents' sandboxes; a fresh temporary directory (removed on
    /// [`stop`](super::LocalCluster::stop)) when `None`.
    pub work_dir: Option<PathBuf>,
    /// Interval of the scheduler HEARTBEAT events (default 15 s, as Mesos).
    pub heartbeat_interval: Duration,
    /// JSON credentials file `{"credentials":[{"principal":"p","secret":"s"}]}`; when set,
    /// schedulers must authenticate with HTTP Basic (realm `mesos-master-scheduler`).
    pub credentials: Option<PathBuf>,
    /// How long a launched executor may take to subscribe before it is killed and its tasks
    /// fail with `REASON_EXECUTOR_REGISTRATION_TIMEOUT` (default 1 min, as Mesos'
    /// `--executor_registration_timeout`).
    pub executor_registration_timeout: Duration,
    /// How long, after an agent restart ([`LocalCluster::restart_agent`]), the executors
    /// that were subscribed have to subscribe again before they are killed and their tasks
    /// lost (default 2 s, as Mesos' `--executor_reregistration_timeout`).
    ///
    /// [`LocalCluster::restart_agent`]: super::LocalCluster::restart_agent
    pub executor_reregistration_timeout: Duration,
    /// Grace period between SIGTERM and SIGKILL when killing tasks and executors, unless
    /// the task or executor says otherwise (default 5 s, `MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD`).
    pub executor_shutdown_grace_period: Duration,
    /// How long a disconnected executor may take to re-subscribe before it is killed
    /// (default 15 min, `MESOS_RECOVERY_TIMEOUT`).
    pub recovery_timeout: Duration,
    /// First resend interval of an unacknowledged status update (default 10 s, doubling).
    pub status_update_backoff: Duration,
    /// Cap of the status-update resend interval (default 10 min).
    pub status_update_backoff_max: Duration,
    /// How often the allocator runs besides reacting to events (default 1 s).
    pub allocation_interval: Duration,
    /// Interval of executor HEARTBEAT events (default 30 min).
    pub executor_heartbeat_interval: Duration,
    /// Largest request body accepted (default 16 MiB; larger gets 413).
    pub max_request_bytes: usize,
    /// Host name reported for the master and agents (default `localhost`).
    pub hostname: String,
    /// `zk://[user:pass@]host:port[,host:port...]/path`: run as one of several masters that
    /// elect a leader through ZooKeeper, registered in the group as Apache Mesos masters
    /// register (default `None`: a standalone master). Followers answer the scheduler API and
    /// `/state` with `307` to the leader, `503` while no leader is known. State is not
    /// replicated: each master keeps its own agents and tasks.
    pub zk: Option<String>,
    /// The `--quorum` of Apache Mesos, accepted for command-line compatibility; the local
    /// masters have no replicated log, so it only has to be at least 1 when given.
    pub quorum: Option<usize>,
    /// ZooKeeper session timeout of the registration (default 10 s, as Mesos'
    /// `--zk_session_timeout`); a killed leader's node disappears after it.
    pub zk_session_timeout: Duration,
    /// PEM certificate chain to serve HTTPS with (with [`tls_key`](Self::tls_key));
    /// `None` serves plain HTTP.
    pub tls_certificate: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) matching
    /// [`tls_certificate`](Self::tls_certificate).
    pub tls_key: Option<PathBuf>,
}

impl Default for LocalClusterConfig {
    fn default() -> Self {
        LocalClusterConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            agents: 1,
            resources: default_resources(),
            attributes: String::new(),
            work_dir: None,
            heartbeat_interval: Duration::from_secs(15),
            credentials: None,
            executor_registration_timeout: Duration::from_secs(60),
            executor_reregistration_timeout: Duration::from_secs(2),
            executor_shutdown_grace_period: Duration::from_secs(5),
            recovery_timeout: Duration::from_secs(15 * 60),
            status_update_backoff: Duration::from_secs(10),
            status_update_backoff_max: Duration::from_secs(600),
            allocation_interval: Duration::from_secs(1),
            executor_heartbeat_interval: Duration::from_secs(30 * 60),
            max_request_bytes: 16 * 1024 * 1024,
            hostname: "localhost".to_string(),
            zk: None,
            quorum: None,
            zk_session_timeout: Duration::from_secs(10),
            tls_certificate: None,
            tls_key: None,
        }
    }
}

/// This machine's cpus and memory (MB) as a resource string, with disk 10240 and ports
/// `[31000-32000]`.
pub fn default_resources() -> String {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!(
        "cpus:{cpus};mem:{};disk:10240;ports:[31000-32000]",
        machine_memory_mb()
    )
}

fn machine_memory_mb() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb / 1024)
        .unwrap_or(4096)
}

/// Why the local cluster could not start.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The resource or attribute string does not parse.
    #[error("invalid resources or attributes: {0}")]
    Resources(String),
    /// The configuration is unusable (e.g. zero agents).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The credentials file cannot be read or parsed.
    #[error("invalid credentials file {path}: {reason}")]
    Credentials {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// No agent has this index (agents are numbered from 0, as their ids end `-S<index>`).
    #[error("no agent {0}")]
    UnknownAgent(usize),
    /// The `zk://` URL does not parse.
    #[error("invalid ZooKeeper URL: {0}")]
    Zk(String),
    /// The TLS certificate or key cannot be read or used.
    #[error("TLS {path}: {reason}")]
    Tls {
        /// The certificate or key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Binding the HTTP port or creating the work directory failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}
