//! [`FrameworkBuilder`]: what a user sets before the runtime starts (its `start` is in
//! `framework.rs`, beside the handle it builds).

use super::*;

/// The user's recipients for what the runtime reports.
#[derive(Default, Clone)]
pub(super) struct UserRecipients {
    pub(super) updates: Vec<Recipient<TaskUpdate>>,
    pub(super) messages: Vec<Recipient<ExecutorMessage>>,
    pub(super) subscribed: Vec<Recipient<Subscribed>>,
    pub(super) disconnected: Vec<Recipient<Disconnected>>,
    pub(super) failures: Vec<Recipient<Failure>>,
    pub(super) errors: Vec<Recipient<MesosError>>,
    pub(super) raw: Option<(Recipient<Offers>, Recipient<Rescind>)>,
}

/// Builds and starts a [`Framework`]. Get one with [`Framework::builder`].
pub struct FrameworkBuilder {
    pub(super) info: FrameworkInfo,
    pub(super) config: RuntimeConfig,
    pub(super) credentials: Option<(String, String)>,
    pub(super) users: UserRecipients,
    pub(super) id_store: Option<Arc<dyn crate::scheduler::FrameworkIdStore>>,
    #[cfg(feature = "local")]
    pub(super) local: crate::local::LocalClusterConfig,
}

impl FrameworkBuilder {
    /// Replaces all tunables (see [`RuntimeConfig::load`] for files and environment).
    /// Masters given earlier with [`master`](Self::master) are kept when `config` names none.
    pub fn config(mut self, config: RuntimeConfig) -> Self {
        let masters = std::mem::take(&mut self.config.masters);
        self.config = config;
        if self.config.masters.is_empty() {
            self.config.masters = masters;
        }
        self
    }

    /// Uses this master: anything the Mesos CLI accepts (`host:port`, `http(s)://host:port`,
    /// a comma list, `zk://[user:pass@]host:port,.../path`, `file:///path`); call again or use
    /// [`masters`](Self::masters) for several candidates. Checked at [`start`](Self::start).
    pub fn master(mut self, url: impl Into<String>) -> Self {
        self.config.masters.push(url.into());
        self
    }

    /// Uses these master candidates, tried in turn.
    pub fn masters(mut self, urls: Vec<String>) -> Self {
        self.config.masters = urls;
        self
    }

    /// Uses `MESOS_MASTER` (what the Mesos CLI accepts, see [`master`](Self::master)) when it
    /// is set; otherwise the framework runs on the embedded local cluster.
    pub fn master_from_env(mut self) -> Self {
        if let Ok(value) = std::env::var("MESOS_MASTER") {
            self.config.masters = crate::scheduler::config::parse_master_list(&value);
        }
        self
    }

    /// Wire encoding (protobuf by default).
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.config.encoding = encoding;
        self
    }

    /// Placement strategy of the built-in matcher.
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.config.strategy = strategy;
        self
    }

    /// `refuse_seconds` sent with declined offers.
    pub fn refuse_seconds(mut self, seconds: f64) -> Self {
        self.config.refuse_seconds = seconds;
        self
    }

    /// Subscribes with these roles (declares the MULTI_ROLE capability).
    #[allow(deprecated)] // clearing the deprecated `role`, which must be unset with MULTI_ROLE
    pub fn roles(mut self, roles: Vec<String>) -> Self {
        self.info.roles = roles;
        self.info.role = None;
        self.info.add_capability(Capability::MultiRole);
        self
    }

    /// How long Mesos keeps the framework's tasks while it is disconnected.
    pub fn failover_timeout(mut self, timeout: Duration) -> Self {
        self.info.failover_timeout = Some(timeout.as_secs_f64());
        self
    }

    /// Resumes a known framework (after a failover of the scheduler process): the tasks
    /// Mesos still runs for it are adopted. Takes precedence over a stored id (see
    /// [`framework_id_store`](Self::framework_id_store)).
    pub fn framework_id(mut self, id: FrameworkId) -> Self {
        self.info.id = Some(id);
        self
    }

    /// HTTP Basic credentials; the principal also goes into `FrameworkInfo.principal`.
    pub fn credentials(mut self, principal: impl Into<String>, secret: impl Into<String>) -> Self {
        let principal = principal.into();
        self.info.principal = Some(principal.clone());
        self.credentials = Some((principal, secret.into()));
        self
    }

    /// Trusts the certificate authorities of `pem` (PEM text) for `https://` masters instead
    /// of the web PKI roots. A certificate the master presents that does not chain to them
    /// ends the framework with [`MesosErrorKind::Tls`](crate::scheduler::MesosErrorKind::Tls).
    pub fn tls_ca_pem(mut self, pem: impl Into<String>) -> Self {
        self.config.tls_ca = Some(pem.into());
        self
    }

    /// Like [`tls_ca_pem`](Self::tls_ca_pem), with the PEM bundle read from `path` at start.
    pub fn tls_ca_file(mut self, path: impl AsRef<std::path::Path>) -> Self {
        self.config.tls_ca = Some(path.as_ref().display().to_string());
        self
    }

    /// Configures the embedded local cluster used when no master is given.
    #[cfg(feature = "local")]
    pub fn local_cluster(mut self, config: crate::local::LocalClusterConfig) -> Self {
        self.local = config;
        self
    }

    /// Adds a recipient of every [`TaskUpdate`]; call again to add more (each recipient gets
    /// its own copy).
    pub fn on_update(mut self, recipient: Recipient<TaskUpdate>) -> Self {
        self.users.updates.push(recipient);
        self
    }

    /// Adds a recipient of every [`ExecutorMessage`] from executors; call again to add more (each recipient gets
    /// its own copy).
    pub fn on_message(mut self, recipient: Recipient<ExecutorMessage>) -> Self {
        self.users.messages.push(recipient);
        self
    }

    /// Adds a recipient of every [`Subscribed`]; call again to add more (each recipient gets
    /// its own copy).
    pub fn on_subscribed(mut self, recipient: Recipient<Subscribed>) -> Self {
        self.users.subscribed.push(recipient);
        self
    }

    /// Adds a recipient of every [`Disconnected`]; call again to add more (each recipient gets
    /// its own copy).
    pub fn on_disconnected(mut self, recipient: Recipient<Disconnected>) -> Self {
        self.users.disconnected.push(recipient);
        self
    }

    /// Adds a recipient of every [`Failure`] (agent or executor lost); call again to add more (each recipient gets
    /// its own copy).
    pub fn on_failure(mut self, recipient: Recipient<Failure>) -> Self {
        self.users.failures.push(recipient);
        self
    }

    /// Adds a recipient of every [`MesosError`]; call again to add more (each recipient gets
    /// its own copy).
    pub fn on_error(mut self, recipient: Recipient<MesosError>) -> Self {
        self.users.errors.push(recipient);
        self
    }

    /// Raw mode: offers and rescinds go to the user's actor instead of the built-in matcher;
    /// answer them with [`Framework::call`]. [`Framework::submit`] still tracks tasks, but
    /// nothing places them.
    pub fn raw_offers(mut self, offers: Recipient<Offers>, rescinds: Recipient<Rescind>) -> Self {
        self.users.raw = Some((offers, rescinds));
        self
    }
}
