//! `TaskTracker`: every submitted task's state machine, acknowledgements, reconciliation,
//! retries, kills and the completion signal.
//!
//! An update that carries a uuid is acknowledged only after every user recipient got its
//! [`TaskUpdate`](super::events::TaskUpdate); updates without a uuid are never
//! acknowledged. After every (re)subscription it reconciles all non-terminal tasks
//! explicitly (truncated exponential backoff until each has been heard of), and
//! implicitly on a period. Failed or lost tasks are relaunched under a new task id as
//! their [`RetryPolicy`](super::spec::RetryPolicy) allows.

use super::spec::TaskSpec;
use crate::proto::{AgentId, ExecutorId, TaskId, TaskState};
use actix::prelude::*;

// ---------------------------------------------------------------------------------------
// Messages handled by TaskTracker.
// ---------------------------------------------------------------------------------------

/// Start tracking a new task and queue its first attempt. Answers its first task id.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<TaskId, SubmitError>")]
pub struct Track(pub TaskSpec);

/// Kill a task (by any of its attempts' ids): a pending one is dequeued and reported
/// TASK_KILLED, a launched one gets a KILL call; no retry follows.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<(), KillError>")]
pub struct KillTask(pub TaskId);

/// Reconcile every non-terminal task explicitly now.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct ReconcileNow;

/// Resolves once every tracked task is final (terminal, no retry left).
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct WaitFinished;

/// Where does a task run? `None` while it is pending or unknown.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Option<TaskLocation>")]
pub struct LocateTask(pub TaskId);

/// A snapshot of every tracked task.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "Vec<TaskSummary>")]
pub struct ListTasks;

/// Where a task runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskLocation {
    /// The agent.
    pub agent_id: AgentId,
    /// The agent's hostname.
    pub hostname: String,
    /// The executor running the task.
    pub executor_id: ExecutorId,
}

/// One tracked task, as [`ListTasks`] reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSummary {
    /// Spec name.
    pub name: String,
    /// Current attempt's task id.
    pub task_id: TaskId,
    /// Last known state (TASK_STAGING while pending or launching).
    pub state: TaskState,
    /// Current attempt number (0 first).
    pub attempt: u32,
    /// Terminal with no retry left.
    pub is_final: bool,
}

/// Why a task could not be submitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The spec is not launchable.
    #[error("invalid task spec: {0}")]
    Invalid(String),
    /// The runtime is shutting down.
    #[error("runtime stopped")]
    Stopped,
}

/// Why a kill could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KillError {
    /// No tracked task has this id.
    #[error("unknown task {0}")]
    UnknownTask(String),
    /// The task is already final.
    #[error("task {0} is already terminal")]
    AlreadyTerminal(String),
    /// The KILL call failed.
    #[error("kill call failed: {0}")]
    Call(#[from] super::connection::CallError),
}
