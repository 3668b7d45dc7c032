//! What the executor runtime tells the user's actor: the typed replacements of the old
//! executor driver's callbacks (`registered`, `launchTask`, `killTask`, `frameworkMessage`,
//! `shutdown`, `error`).
//!
//! Every message that asks the user to act carries an [`ExecutorHandle`], so a handler can
//! answer (send a status update or a message) without storing anything.

use super::handle::ExecutorHandle;
use crate::proto::{
    AgentInfo, ContainerId, ExecutorInfo, FrameworkInfo, KillPolicy, TaskGroupInfo, TaskId,
    TaskInfo, TaskState,
};
use actix::Message;
use std::time::Duration;

/// The executor is subscribed to its agent (the old driver's `registered` /
/// `reregistered`). Delivered to every recipient added with
/// [`ExecutorBuilder::on_registered`](super::ExecutorBuilder::on_registered), after the first
/// subscription and after each re-subscription.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct Registered {
    /// This executor, as the framework described it.
    pub executor_info: ExecutorInfo,
    /// The framework the executor belongs to.
    pub framework_info: FrameworkInfo,
    /// The agent the executor runs on.
    pub agent_info: AgentInfo,
    /// The executor's container, when the agent said.
    pub container_id: Option<ContainerId>,
    /// `false` the first time, `true` after a reconnection.
    pub resubscribed: bool,
    /// Where to send updates and messages.
    pub handle: ExecutorHandle,
}

/// Run a task (`launchTask`). Answer with a TASK_RUNNING (or TASK_STARTING) update, later
/// a terminal one. The runtime never delivers the same task id twice while that task is
/// alive.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct Launch {
    /// The task, as the scheduler built it (`data` holds the scheduler's payload).
    pub task: TaskInfo,
    /// Where to send the task's updates.
    pub handle: ExecutorHandle,
}

/// Run a group of tasks together. Only delivered to the recipient set with
/// [`ExecutorBuilder::with_launch_group`](super::ExecutorBuilder::with_launch_group); without
/// one, each task of the group arrives as its own [`Launch`].
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct LaunchGroup {
    /// The tasks.
    pub task_group: TaskGroupInfo,
    /// Where to send the tasks' updates.
    pub handle: ExecutorHandle,
}

/// Kill a task (`killTask`): stop it and send a terminal update (TASK_KILLED).
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct Kill {
    /// The task to kill.
    pub task_id: TaskId,
    /// The scheduler's kill policy (grace period), if it gave one.
    pub kill_policy: Option<KillPolicy>,
    /// Where to send the terminal update.
    pub handle: ExecutorHandle,
}

/// Bytes the scheduler sent to this executor (the old driver's `frameworkMessage`). Best
/// effort in Mesos. Delivered to every recipient added with
/// [`ExecutorBuilder::on_message`](super::ExecutorBuilder::on_message); dropped (and logged)
/// when there is none.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct SchedulerMessage {
    /// The payload.
    pub data: Vec<u8>,
    /// Where to answer.
    pub handle: ExecutorHandle,
}

/// Why the executor is shutting down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShutdownReason {
    /// The agent sent SHUTDOWN (the framework or the agent is going away).
    Requested,
    /// The user asked for it through [`ExecutorHandle::stop`].
    Stopped,
    /// The agent connection broke and the framework does not checkpoint, so nobody will
    /// reconnect to this executor.
    AgentGone,
    /// The agent did not come back within `MESOS_RECOVERY_TIMEOUT`.
    RecoveryTimedOut,
    /// The runtime cannot go on (the agent refused the subscription, ...).
    Fatal(String),
}

/// Kill every task and let the runtime end (`shutdown`). Send each task's terminal update
/// within `grace_period`; at three quarters of it the runtime reports TASK_KILLED for
/// every task that has no terminal update yet, and after it the runtime stops.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct Shutdown {
    /// Why.
    pub reason: ShutdownReason,
    /// `MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD`.
    pub grace_period: Duration,
    /// Where to send the terminal updates.
    pub handle: ExecutorHandle,
}

/// The agent acknowledged one of our status updates: it has it and owns its delivery to
/// the scheduler. Delivered once per update, however often the agent repeats it, to every
/// recipient added with [`ExecutorBuilder::on_acknowledged`](super::ExecutorBuilder::on_acknowledged).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
#[rtype(result = "()")]
pub struct Acknowledged {
    /// The task.
    pub task_id: TaskId,
    /// The update's uuid, as returned by [`ExecutorHandle::send_update`].
    pub uuid: Vec<u8>,
    /// The state the update reported.
    pub state: TaskState,
}

/// Something went wrong between the executor and its agent that the user may want to know
/// about (the old driver's `error`). The runtime has already dealt with it (reconnected,
/// dropped the call, ...) and logged it; it is also delivered to every recipient added
/// with [`ExecutorBuilder::on_error`](super::ExecutorBuilder::on_error).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
#[rtype(result = "()")]
pub struct AgentError {
    /// What kind of problem.
    pub kind: AgentErrorKind,
    /// Details for humans.
    pub message: String,
}

impl std::fmt::Display for AgentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

/// The kinds of [`AgentError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentErrorKind {
    /// The agent sent an ERROR event.
    ErrorEvent,
    /// The event stream carried bytes that are not valid RecordIO or not a valid event; the
    /// runtime dropped the connection and subscribes again.
    MalformedEvent,
    /// The connection to the agent broke; the runtime subscribes again if it may.
    Disconnected,
    /// The agent refused the subscription for good (401, 403, 400 ...).
    SubscribeRejected,
    /// The agent refused a status update (400): it will never be acknowledged and is
    /// dropped.
    UpdateRejected,
}

/// How the runtime ended: the value of [`ExecutorBuilder::run`](super::ExecutorBuilder::run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitReason {
    /// SHUTDOWN from the agent, handled: exit with status 0.
    Shutdown,
    /// [`ExecutorHandle::stop`] was called: exit with status 0.
    Stopped,
    /// The agent went away and the framework does not checkpoint.
    AgentGone,
    /// The agent did not come back within the recovery timeout.
    RecoveryTimedOut,
    /// A fatal problem (refused subscription, agent never reachable, ...).
    Fatal(String),
}

impl ExitReason {
    /// The process exit status this reason calls for: 0 for [`ExitReason::Shutdown`] and
    /// [`ExitReason::Stopped`], 1 otherwise.
    pub fn code(&self) -> i32 {
        match self {
            ExitReason::Shutdown | ExitReason::Stopped => 0,
            _ => 1,
        }
    }

    /// Whether [`code`](Self::code) is 0.
    pub fn is_success(&self) -> bool {
        self.code() == 0
    }
}

impl From<ShutdownReason> for ExitReason {
    fn from(reason: ShutdownReason) -> Self {
        match reason {
            ShutdownReason::Requested => ExitReason::Shutdown,
            ShutdownReason::Stopped => ExitReason::Stopped,
            ShutdownReason::AgentGone => ExitReason::AgentGone,
            ShutdownReason::RecoveryTimedOut => ExitReason::RecoveryTimedOut,
            ShutdownReason::Fatal(m) => ExitReason::Fatal(m),
        }
    }
}

impl std::fmt::Display for ExitReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitReason::Shutdown => f.write_str("shut down by the agent"),
            ExitReason::Stopped => f.write_str("stopped"),
            ExitReason::AgentGone => {
                f.write_str("the agent went away and the framework does not checkpoint")
            }
            ExitReason::RecoveryTimedOut => {
                f.write_str("the agent did not come back within the recovery timeout")
            }
            ExitReason::Fatal(m) => write!(f, "fatal: {m}"),
        }
    }
}
