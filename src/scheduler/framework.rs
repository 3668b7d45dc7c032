//! [`Framework`] (the handle) and [`FrameworkBuilder`]: how a user starts the scheduler
//! runtime inside its own actix system and talks to it.
//!
//! The runtime's actors run together on a dedicated [`Arbiter`] (one thread), so they never
//! compete with the user's actors for a thread and stop together.

use super::config::RuntimeConfig;
use super::events::{
    Disconnected, ExecutorMessage, Failure, MesosError, Offers, Rescind, Subscribed, TaskUpdate,
};
use super::spec::{SpecRules, TaskSpec};
use super::watch::{LinkState, SubscriptionWatch};
use crate::codec::Encoding;
use crate::proto::{
    AgentId, ExecutorId, FrameworkId, FrameworkInfo, TaskId,
    framework_info::capability::Type as Capability, scheduler::Call,
};
use crate::scheduler::call_gate::{CallsDrained, CloseGate};
use crate::scheduler::framework_id_keeper::ForgetFrameworkId;
use crate::scheduler::master_connection::{CallError, GetFrameworkId, SendCall, Stop};
use crate::scheduler::message_router::SendMessage;
use crate::scheduler::offer_matcher::placement::Strategy;
use crate::scheduler::offer_matcher::{PendingReason, WhyPending};
use crate::scheduler::task_tracker::{
    KillError, KillTask, ListTasks, LocateTask, Quiesced, ReconcileNow, SubmitError, TaskSummary,
    Track, TrackAll, WaitFinished,
};
use actix::prelude::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, watch};
use wiring::{Actors, wire};

mod builder;
pub use builder::FrameworkBuilder;
use builder::UserRecipients;
mod id_store;
mod wiring;

/// Why the framework could not start or a request could not be done.
#[derive(Debug, thiserror::Error)]
pub enum FrameworkError {
    /// No master was given and the embedded local cluster is not compiled in.
    #[error("no master given (set MESOS_MASTER or call .master()) and the `local` feature is off")]
    NoMaster,
    /// The embedded local cluster failed to start.
    #[error("embedded local cluster: {0}")]
    Local(String),
    /// Configuration is invalid.
    #[error(transparent)]
    Config(#[from] super::config::ConfigError),
    /// The task spec was refused.
    #[error(transparent)]
    Submit(#[from] SubmitError),
    /// The kill could not be done.
    #[error(transparent)]
    Kill(#[from] KillError),
    /// A call to the master failed.
    #[error(transparent)]
    Call(#[from] CallError),
    /// The master refused the framework or the runtime gave up.
    #[error("{}", .0.message)]
    Mesos(MesosError),
    /// The task is not running anywhere (pending, finished or unknown).
    #[error("task {0} is not running on any executor")]
    NotRunning(String),
    /// Timed out waiting.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// A master string is malformed or names an unsupported scheme (checked at `start()`).
    #[error("master: {0}")]
    Master(#[from] crate::zk::MasterSpecError),
    /// The TLS CA bundle is unusable (checked at `start()`).
    #[error("tls: {0}")]
    Tls(#[from] crate::transport::client::TlsConfigError),
    /// [`Framework::wait_subscribed`] timed out; carries the last connection error, if any.
    #[error("not subscribed after {timeout:?}{}", last_error.as_ref().map(|e| format!(": last error: {e}")).unwrap_or_default())]
    SubscribeTimeout {
        /// How long it waited.
        timeout: Duration,
        /// Why the last attempt failed (as reported to `on_disconnected`).
        last_error: Option<String>,
    },
    /// The runtime's actors are gone (shut down).
    #[error("the runtime is stopped")]
    Stopped,
    /// The framework id store could not be read (checked at `start()`).
    #[error(transparent)]
    IdStore(#[from] super::FrameworkIdStoreError),
}

impl From<MailboxError> for FrameworkError {
    fn from(_: MailboxError) -> Self {
        FrameworkError::Stopped
    }
}

/// How [`Framework::shutdown`] leaves the framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownMode {
    /// TEARDOWN: Mesos kills every task and forgets the framework.
    Teardown,
    /// Disconnect only: tasks keep running for `failover_timeout`, so another instance can
    /// take over with the same framework id.
    Failover,
}

impl FrameworkBuilder {
    /// Starts the runtime: the embedded local cluster first if no master was given, then the
    /// four actors on their own arbiter. Returns at once; the subscription proceeds in the
    /// background (see [`Framework::wait_subscribed`]). Must be called inside an actix system.
    pub async fn start(self) -> Result<Framework, FrameworkError> {
        self.config.validate()?;
        if !self.config.masters.is_empty() {
            crate::zk::MasterSpec::parse(&self.config.masters.join(","))?;
        }
        crate::transport::client::tls_config(self.config.tls_ca.as_deref())?;
        // `config` gains the local cluster's URL only with the `local` feature.
        #[cfg_attr(not(feature = "local"), allow(unused_mut))]
        let FrameworkBuilder {
            mut info,
            mut config,
            credentials,
            users,
            id_store,
            ..
        } = self;
        let id_store = id_store::resume(id_store, &config, &mut info)?;
        #[cfg(feature = "local")]
        let mut local_cluster = None;
        if config.masters.is_empty() {
            #[cfg(feature = "local")]
            {
                let cluster = crate::local::LocalCluster::start(self.local)
                    .await
                    .map_err(|e| FrameworkError::Local(e.to_string()))?;
                config.masters.push(cluster.url());
                local_cluster = Some(cluster);
            }
            #[cfg(not(feature = "local"))]
            return Err(FrameworkError::NoMaster);
        }
        let shutdown_drain = super::config::secs(config.shutdown_drain_secs);
        let first = crate::zk::MasterSpec::parse(&config.masters.join(","))?;
        let master_url = match first {
            crate::zk::MasterSpec::Urls(urls) => urls
                .first()
                .map(|u| u.as_str().trim_end_matches('/').to_string())
                .unwrap_or_default(),
            crate::zk::MasterSpec::Zk(_) => config.masters.join(","),
        };
        let master_url = Arc::new(Mutex::new(master_url));
        let rules = SpecRules::of(&info);
        let (watch_actor, link) = SubscriptionWatch::new(master_url.clone());
        let arbiter = Arbiter::new();
        let (tx, rx) = oneshot::channel();
        let spawned = arbiter.spawn_fn(move || {
            let _ = tx.send(wire(
                info,
                config,
                credentials,
                users,
                watch_actor,
                id_store,
            ));
        });
        if !spawned {
            return Err(FrameworkError::Stopped);
        }
        let actors = rx.await.map_err(|_| FrameworkError::Stopped)?;
        Ok(Framework {
            inner: Arc::new(Inner {
                actors,
                arbiter: Mutex::new(Some(arbiter)),
                link,
                master_url,
                shutdown_drain,
                rules,
                #[cfg(feature = "local")]
                local_cluster: Mutex::new(local_cluster),
            }),
        })
    }
}

/// A running framework: the handle through which the user submits and kills tasks, sends
/// messages, and shuts the framework down.
///
/// The handle is cheap to clone (like an actor's `Addr`): every clone talks to the same
/// runtime, so an actor can own one and hand clones to its futures. The runtime stops when
/// [`shutdown`](Self::shutdown) is called on any clone, or when the last clone is dropped
/// (then without TEARDOWN, so Mesos keeps the tasks for `failover_timeout`).
#[derive(Clone)]
pub struct Framework {
    inner: Arc<Inner>,
}

/// What the clones of a [`Framework`] share.
struct Inner {
    actors: Actors,
    /// The runtime's arbiter, until it is stopped.
    arbiter: Mutex<Option<Arbiter>>,
    link: watch::Receiver<LinkState>,
    /// The master in use: the first candidate until subscribed, then the one subscribed to.
    master_url: Arc<Mutex<String>>,
    /// Bound of the drain before TEARDOWN ([`RuntimeConfig::shutdown_drain_secs`]).
    shutdown_drain: Duration,
    /// What a submitted spec may ask for, from the `FrameworkInfo`.
    rules: SpecRules,
    #[cfg(feature = "local")]
    local_cluster: Mutex<Option<crate::local::LocalCluster>>,
}

impl Inner {
    /// Stops the runtime's arbiter (once).
    fn stop_arbiter(&self) {
        let arbiter = self
            .arbiter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(arbiter) = arbiter {
            arbiter.stop();
        }
    }
}

impl Framework {
    /// Starts building a framework from its `FrameworkInfo` (see [`FrameworkInfo::new`]).
    pub fn builder(info: FrameworkInfo) -> FrameworkBuilder {
        FrameworkBuilder {
            info,
            config: RuntimeConfig::default(),
            credentials: None,
            users: UserRecipients::default(),
            id_store: None,
            #[cfg(feature = "local")]
            local: crate::local::LocalClusterConfig::default(),
        }
    }

    /// The runtime's counters now: offers, tasks by state, calls taken and failed by type,
    /// acknowledgements, subscriptions, malformed events and queue depths (see
    /// [`MetricsSnapshot`](super::MetricsSnapshot)). Cheap: a few relaxed atomic loads, no
    /// message to the runtime.
    ///
    /// ```no_run
    /// # async fn example(framework: mesos_actix::scheduler::Framework) {
    /// let before = framework.metrics();
    /// // ... run some tasks ...
    /// let after = framework.metrics();
    /// assert!(after.tasks.finished >= before.tasks.finished);
    /// # }
    /// ```
    pub fn metrics(&self) -> super::MetricsSnapshot {
        self.inner.actors.metrics.snapshot()
    }

    /// The master in use (`scheme://host:port`): the one subscribed to (after redirects
    /// and ZooKeeper detection) once subscribed, before that the first candidate (the
    /// embedded cluster's when none was given, the `zk://` string while no leader is known).
    pub fn master_url(&self) -> String {
        self.inner
            .master_url
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Queues a task; answers the Mesos task id of its first attempt. A submit before
    /// SUBSCRIBED is queued too (the first offers take it). The spec is checked against
    /// the `FrameworkInfo` first ([`TaskSpec::validate_for`]).
    pub async fn submit(&self, spec: TaskSpec) -> Result<TaskId, FrameworkError> {
        self.inner
            .rules
            .check(&spec)
            .map_err(SubmitError::Invalid)?;
        Ok(self.inner.actors.tracker.send(Track(spec)).await??)
    }

    /// Queues several tasks in one message to the runtime (much cheaper per task than
    /// calling [`Framework::submit`] for each); answers their first task ids in order.
    /// All or nothing: if any spec is invalid, none is queued.
    ///
    /// ```no_run
    /// # async fn demo(fw: mesos_actix::scheduler::Framework) -> Result<(), mesos_actix::scheduler::FrameworkError> {
    /// use mesos_actix::scheduler::TaskSpec;
    /// let specs = (0..1000).map(|i| TaskSpec::new(format!("job-{i}")).cpus(0.1).mem(32.0).command("true"));
    /// let ids = fw.submit_all(specs.collect()).await?;
    /// assert_eq!(ids.len(), 1000);
    /// # Ok(()) }
    /// ```
    pub async fn submit_all(&self, specs: Vec<TaskSpec>) -> Result<Vec<TaskId>, FrameworkError> {
        for (index, spec) in specs.iter().enumerate() {
            let check = self.inner.rules.check(spec);
            check.map_err(|error| SubmitError::InvalidInBatch { index, error })?;
        }
        Ok(self.inner.actors.tracker.send(TrackAll(specs)).await??)
    }

    /// Kills a task (pending or running); it is not retried.
    pub async fn kill(&self, task_id: &TaskId) -> Result<(), FrameworkError> {
        Ok(self
            .inner
            .actors
            .tracker
            .send(KillTask(task_id.clone()))
            .await??)
    }

    /// Sends bytes to an executor (best effort, as all framework messages in Mesos).
    pub async fn send_message(
        &self,
        agent_id: AgentId,
        executor_id: ExecutorId,
        data: Vec<u8>,
    ) -> Result<(), FrameworkError> {
        let msg = SendMessage {
            agent_id,
            executor_id,
            data,
        };
        Ok(self.inner.actors.router.send(msg).await??)
    }

    /// Sends bytes to the executor running `task_id`.
    pub async fn send_message_to_task(
        &self,
        task_id: &TaskId,
        data: Vec<u8>,
    ) -> Result<(), FrameworkError> {
        let location = self
            .inner
            .actors
            .tracker
            .send(LocateTask(task_id.clone()))
            .await?
            .ok_or_else(|| FrameworkError::NotRunning(task_id.value.clone()))?;
        self.send_message(location.agent_id, location.executor_id, data)
            .await
    }

    /// Reconciles every non-terminal task with the master now. Every answer reaches your
    /// update handler, also one repeating a state you were given (the runtime's own
    /// reconciliation delivers only changes).
    ///
    /// Only while subscribed: otherwise it does nothing and answers
    /// `FrameworkError::Call(CallError::NotSubscribed)` (or the error that ended the
    /// subscription, as [`FrameworkError::Mesos`]). Nothing is lost by that: after every
    /// (re)subscription the runtime reconciles every non-terminal task on its own.
    pub async fn reconcile(&self) -> Result<(), FrameworkError> {
        match &*self.inner.link.borrow() {
            LinkState::Subscribed(_) => {}
            LinkState::Failed(e) => return Err(FrameworkError::Mesos(e.clone())),
            LinkState::Connecting | LinkState::Reconnecting(_) => {
                return Err(FrameworkError::Call(CallError::NotSubscribed));
            }
        }
        Ok(self.inner.actors.tracker.send(ReconcileNow).await?)
    }

    /// Why a pending task has not been placed (`None` if it is not pending).
    pub async fn why_pending(
        &self,
        task_id: &TaskId,
    ) -> Result<Option<PendingReason>, FrameworkError> {
        match &self.inner.actors.matcher {
            Some(m) => Ok(m.send(WhyPending(task_id.clone())).await?),
            None => Ok(None),
        }
    }

    /// Every tracked task and its state: all tasks not yet final, and finished tasks
    /// while the retention rule keeps them (`RuntimeConfig::finished_task_retention`,
    /// `finished_task_ttl_secs`).
    pub async fn tasks(&self) -> Result<Vec<TaskSummary>, FrameworkError> {
        Ok(self.inner.actors.tracker.send(ListTasks).await?)
    }

    /// Sends a raw call (for raw mode: ACCEPT, DECLINE, ...). `framework_id` and the
    /// stream id are filled in.
    pub async fn call(&self, call: Call) -> Result<(), FrameworkError> {
        Ok(self.inner.actors.gate.send(SendCall(call)).await??)
    }

    /// The framework id, once subscribed.
    pub async fn framework_id(&self) -> Option<FrameworkId> {
        self.inner
            .actors
            .connection
            .send(GetFrameworkId)
            .await
            .ok()
            .flatten()
    }

    /// Waits until the runtime is subscribed (answers the framework id), or fails with
    /// the error that ended it, or times out.
    pub async fn wait_subscribed(&self, timeout: Duration) -> Result<FrameworkId, FrameworkError> {
        let mut link = self.inner.link.clone();
        let wait = async {
            loop {
                match &*link.borrow_and_update() {
                    LinkState::Subscribed(id) => return Ok(id.clone()),
                    LinkState::Failed(e) => return Err(FrameworkError::Mesos(e.clone())),
                    _ => {}
                }
                if link.changed().await.is_err() {
                    return Err(FrameworkError::Stopped);
                }
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(result) => result,
            Err(_) => Err(FrameworkError::SubscribeTimeout {
                timeout,
                last_error: match &*self.inner.link.borrow() {
                    LinkState::Reconnecting(reason) => Some(reason.clone()),
                    _ => None,
                },
            }),
        }
    }

    /// Resolves when every submitted task is final (terminal, no retry left), or with the
    /// error that ended the subscription for good.
    pub async fn wait_finished(&self) -> Result<(), FrameworkError> {
        let mut link = self.inner.link.clone();
        let failed = async {
            loop {
                if let LinkState::Failed(e) = &*link.borrow_and_update() {
                    return FrameworkError::Mesos(e.clone());
                }
                if link.changed().await.is_err() {
                    return FrameworkError::Stopped;
                }
            }
        };
        // A framework that has ended with an error reports it even when nothing was
        // pending (both branches ready at once): the failure is polled first.
        tokio::select! {
            biased;
            err = failed => Err(err),
            done = self.inner.actors.tracker.send(WaitFinished) => Ok(done?),
        }
    }

    /// Shuts the framework down (see [`ShutdownMode`]) and stops the runtime's actors and
    /// the embedded local cluster, if any. Any clone may call it; afterwards every clone's
    /// calls answer [`FrameworkError::Stopped`], and a second call does nothing more.
    ///
    /// It drains first, for at most [`RuntimeConfig::shutdown_drain_secs`] (5 s by
    /// default): the updates already received are delivered to the user's recipients and
    /// acknowledged, and every call in flight (ACKNOWLEDGE, DECLINE, MESSAGE, ...) gets its
    /// answer. Then no new call is let through, TEARDOWN is sent (in
    /// [`ShutdownMode::Teardown`]) and only after its answer are the connections closed.
    /// So call it from a spawned future, not from inside a handler that blocks the
    /// mailbox of an actor receiving [`TaskUpdate`]s (that actor could not take the last
    /// updates, and the drain would wait out its bound).
    pub async fn shutdown(&self, mode: ShutdownMode) {
        let stop = match mode {
            ShutdownMode::Teardown => Stop::Teardown,
            ShutdownMode::Failover => Stop::Failover,
        };
        let actors = &self.inner.actors;
        let deadline = tokio::time::Instant::now() + self.inner.shutdown_drain;
        if tokio::time::timeout_at(deadline, actors.tracker.send(Quiesced))
            .await
            .is_err()
        {
            tracing::warn!(bound = ?self.inner.shutdown_drain, "shutdown: updates not all delivered and acknowledged in time");
        }
        actors.gate.do_send(CloseGate);
        if tokio::time::timeout_at(deadline, actors.gate.send(CallsDrained))
            .await
            .is_err()
        {
            tracing::warn!(bound = ?self.inner.shutdown_drain, "shutdown: calls still unanswered");
        }
        let connection = &actors.connection;
        let _ = tokio::time::timeout(Duration::from_secs(10), connection.send(stop)).await;
        if mode == ShutdownMode::Teardown {
            let _ = actors.keeper.send(ForgetFrameworkId).await;
        }
        self.inner.stop_arbiter();
        #[cfg(feature = "local")]
        {
            let cluster = self
                .inner
                .local_cluster
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            if let Some(cluster) = cluster {
                cluster.stop().await;
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop_arbiter();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keeps_earlier_masters_unless_it_names_its_own() {
        let kept = Framework::builder(FrameworkInfo::new("t"))
            .master("http://a:5050")
            .config(RuntimeConfig::default());
        assert_eq!(kept.config.masters, vec!["http://a:5050".to_string()]);
        let replaced = Framework::builder(FrameworkInfo::new("t"))
            .master("http://a:5050")
            .config(RuntimeConfig {
                masters: vec!["http://b:5050".into()],
                ..Default::default()
            });
        assert_eq!(replaced.config.masters, vec!["http://b:5050".to_string()]);
    }

    #[test]
    fn roles_declare_multi_role_and_credentials_set_the_principal() {
        let b = Framework::builder(FrameworkInfo::new("t"))
            .roles(vec!["web".into()])
            .credentials("p", "s");
        assert!(b.info.has_capability(Capability::MultiRole));
        assert_eq!(b.info.roles, vec!["web".to_string()]);
        assert_eq!(b.info.principal.as_deref(), Some("p"));
    }
}
