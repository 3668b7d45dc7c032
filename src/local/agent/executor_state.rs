//! What an agent knows about one executor: its info, sandbox, process, subscription, the
//! tasks waiting for it to subscribe and the tasks it runs; and the `MESOS_*` environment
//! it is started with.

use crate::local::wire::{Subscriber, stout_duration};
use crate::proto::{ExecutorInfo, TaskGroupInfo, TaskInfo, TaskState, task_status::Reason};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

/// How the executor runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutorKind {
    /// A framework's executor process speaking the executor API.
    Custom,
    /// The built-in command executor (a task with `command` and no executor, or the tasks
    /// of a LAUNCH_GROUP with a DEFAULT executor): each task's command is a child process
    /// of the agent and the agent reports its states.
    Command,
}

/// Something to hand to an executor once it subscribes.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Pending {
    /// A LAUNCH event.
    Task(TaskInfo),
    /// A LAUNCH_GROUP event.
    Group(TaskGroupInfo),
}

impl Pending {
    /// The tasks it carries.
    pub fn tasks(&self) -> Vec<&TaskInfo> {
        match self {
            Pending::Task(t) => vec![t],
            Pending::Group(g) => g.tasks.iter().collect(),
        }
    }
}

/// Why the agent is ending an executor, decided before its process is killed: its tasks'
/// terminal state, reason and message once the process has exited.
#[derive(Debug, Clone)]
pub struct Termination {
    /// The state its live tasks get.
    pub state: TaskState,
    /// Their reason.
    pub reason: Reason,
    /// Their message.
    pub message: String,
}

/// One executor on an agent.
#[derive(Debug)]
pub struct ExecutorState {
    /// The ExecutorInfo (for command tasks: generated from the task).
    pub info: ExecutorInfo,
    /// Its framework.
    pub framework_id: String,
    /// Container id (a uuid).
    pub container_id: String,
    /// Sandbox directory.
    pub directory: PathBuf,
    /// Custom or command.
    pub kind: ExecutorKind,
    /// The custom executor's process group.
    pub pid: Option<u32>,
    /// Command tasks' process groups by task id.
    pub task_pids: HashMap<String, u32>,
    /// Command tasks being killed (their exit becomes TASK_KILLED).
    pub killing: std::collections::HashSet<String>,
    /// Command tasks whose process is being started, with the kill asked for meanwhile
    /// (`Some(policy)`), carried out once the process exists.
    pub starting: HashMap<String, Option<Option<crate::proto::KillPolicy>>>,
    /// Whether the custom executor's process is being started.
    pub spawning: bool,
    /// The current subscription.
    pub subscriber: Option<Subscriber>,
    /// Incremented on every subscription (stale close signals are ignored).
    pub generation: u64,
    /// Whether it ever subscribed.
    pub subscribed_once: bool,
    /// Launches waiting for the subscription.
    pub queued: Vec<Pending>,
    /// Launched tasks that are not terminal yet.
    pub tasks: HashMap<String, TaskInfo>,
    /// Latest state of every task it ran.
    pub states: HashMap<String, TaskState>,
    /// SHUTDOWN was requested.
    pub shutting_down: bool,
    /// Set when the agent itself ends the executor (it did not subscribe or re-subscribe
    /// in time).
    pub termination: Option<Termination>,
}

impl ExecutorState {
    /// A fresh, not yet started executor.
    pub fn new(
        info: ExecutorInfo,
        framework_id: String,
        directory: PathBuf,
        container_id: String,
        kind: ExecutorKind,
    ) -> Self {
        ExecutorState {
            info,
            framework_id,
            container_id,
            directory,
            kind,
            pid: None,
            task_pids: HashMap::new(),
            killing: Default::default(),
            starting: HashMap::new(),
            spawning: false,
            subscriber: None,
            generation: 0,
            subscribed_once: false,
            queued: Vec::new(),
            tasks: HashMap::new(),
            states: HashMap::new(),
            shutting_down: false,
            termination: None,
        }
    }

    /// Ids of tasks launched or queued that have no terminal state yet.
    pub fn live_task_ids(&self) -> Vec<crate::proto::TaskId> {
        let mut ids: Vec<_> = self.tasks.values().map(|t| t.task_id.clone()).collect();
        for p in &self.queued {
            ids.extend(p.tasks().into_iter().map(|t| t.task_id.clone()));
        }
        ids
    }

    /// The grace period between SIGTERM and SIGKILL on shutdown.
    pub fn shutdown_grace(&self, default: Duration) -> Duration {
        crate::local::wire::duration_of(self.info.shutdown_grace_period.as_ref()).unwrap_or(default)
    }
}

/// Everything that goes into an executor's environment.
#[derive(Debug)]
pub struct EnvSpec<'a> {
    /// `127.0.0.1:PORT`.
    pub endpoint: &'a str,
    /// `slave(N)@127.0.0.1:PORT`.
    pub slave_pid: &'a str,
    /// Agent id.
    pub agent_id: &'a str,
    /// Framework id.
    pub framework_id: &'a str,
    /// Executor id.
    pub executor_id: &'a str,
    /// Sandbox.
    pub directory: &'a std::path::Path,
    /// `FrameworkInfo.checkpoint`.
    pub checkpoint: bool,
    /// Shutdown grace period.
    pub grace: Duration,
    /// Recovery timeout.
    pub recovery_timeout: Duration,
}

/// The `MESOS_*` environment of an executor, as a real agent sets it.
pub fn environment(spec: &EnvSpec<'_>) -> BTreeMap<String, String> {
    let dir = spec.directory.display().to_string();
    let mut env = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        env.insert(k.to_string(), v);
    };
    set("LIBPROCESS_IP", "127.0.0.1".into());
    set("LIBPROCESS_PORT", "0".into());
    set("MESOS_AGENT_ENDPOINT", spec.endpoint.into());
    set(
        "MESOS_CHECKPOINT",
        if spec.checkpoint { "1" } else { "0" }.into(),
    );
    set("MESOS_DIRECTORY", dir.clone());
    set("MESOS_SANDBOX", dir);
    set("MESOS_EXECUTOR_ID", spec.executor_id.into());
    set(
        "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD",
        stout_duration(spec.grace),
    );
    set("MESOS_FRAMEWORK_ID", spec.framework_id.into());
    set("MESOS_HTTP_COMMAND_EXECUTOR", "0".into());
    set("MESOS_SLAVE_ID", spec.agent_id.into());
    set("MESOS_SLAVE_PID", spec.slave_pid.into());
    if spec.checkpoint {
        set(
            "MESOS_RECOVERY_TIMEOUT",
            stout_duration(spec.recovery_timeout),
        );
        set("MESOS_SUBSCRIPTION_BACKOFF_MAX", "2secs".into());
    }
    env
}
