//! [`ExecutorHandle`]: how the user's actor talks back to the agent (status updates,
//! messages to the scheduler), and [`StatusUpdate`], what it reports.

use super::runtime::{ExecutorRuntime, SendMessage, SendUpdate, Stop};
use crate::proto::{Labels, TaskId, TaskState, task_status};
use actix::Addr;

/// A task status change to report. The runtime fills in the rest of the `TaskStatus`: a
/// fresh 16-byte v4 uuid, the timestamp, `SOURCE_EXECUTOR`, the executor and agent ids.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    /// The task.
    pub task_id: TaskId,
    /// Its new state (anything but TASK_STAGING).
    pub state: TaskState,
    /// A message for humans (`TaskStatus.message`).
    pub message: Option<String>,
    /// Bytes for the scheduler (`TaskStatus.data`): the reliable way to return a result.
    pub data: Option<Vec<u8>>,
    /// Why (`TaskStatus.reason`).
    pub reason: Option<task_status::Reason>,
    /// Health-check verdict, if the executor checks health.
    pub healthy: Option<bool>,
    /// Labels.
    pub labels: Option<Labels>,
}

impl StatusUpdate {
    /// An update of `task_id` to `state`, with nothing else set.
    pub fn new(task_id: impl Into<TaskId>, state: TaskState) -> Self {
        StatusUpdate {
            task_id: task_id.into(),
            state,
            message: None,
            data: None,
            reason: None,
            healthy: None,
            labels: None,
        }
    }

    /// Sets the message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Sets the data.
    pub fn data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = Some(data.into());
        self
    }

    /// Sets the reason.
    pub fn reason(mut self, reason: task_status::Reason) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Sets the health verdict.
    pub fn healthy(mut self, healthy: bool) -> Self {
        self.healthy = Some(healthy);
        self
    }
}

impl From<(TaskId, TaskState)> for StatusUpdate {
    fn from((task_id, state): (TaskId, TaskState)) -> Self {
        StatusUpdate::new(task_id, state)
    }
}

/// Why a status update was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    /// Executors may not report TASK_STAGING (the agent would answer 400).
    #[error("an executor may not send TASK_STAGING")]
    Staging,
    /// The task id is empty.
    #[error("empty task id")]
    EmptyTaskId,
    /// A terminal update was already sent for this task.
    #[error("task {0} already has a terminal update")]
    AlreadyTerminal(String),
    /// The runtime has stopped.
    #[error("executor runtime stopped")]
    Stopped,
}

/// Why a message to the scheduler was not delivered to the agent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The agent answered with an error status.
    #[error("agent refused the message: {status} {body}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// Response body (shortened).
        body: String,
    },
    /// Too many messages are waiting for the agent to come back.
    #[error("too many messages queued while disconnected")]
    QueueFull,
    /// The runtime has stopped (or stopped before the message went out).
    #[error("executor runtime stopped")]
    Stopped,
}

/// A cheap, cloneable handle to the running executor runtime: send status updates and
/// messages to the scheduler, or stop the executor. Every event the runtime delivers
/// carries one; [`RunningExecutor::handle`](super::RunningExecutor::handle) gives another.
#[derive(Clone)]
pub struct ExecutorHandle {
    addr: Addr<ExecutorRuntime>,
}

impl std::fmt::Debug for ExecutorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutorHandle")
            .field("running", &self.addr.connected())
            .finish()
    }
}

impl ExecutorHandle {
    pub(crate) fn new(addr: Addr<ExecutorRuntime>) -> Self {
        ExecutorHandle { addr }
    }

    /// Reports a status change. Resolves as soon as the runtime has recorded the update
    /// (with the uuid it gave it); from then on the runtime sends it, and re-sends it after
    /// reconnections, until the agent acknowledges it. Refuses TASK_STAGING and anything
    /// after a task's terminal update.
    pub async fn send_update(
        &self,
        update: impl Into<StatusUpdate>,
    ) -> Result<Vec<u8>, UpdateError> {
        self.addr
            .send(SendUpdate(update.into()))
            .await
            .unwrap_or(Err(UpdateError::Stopped))
    }

    /// Shorthand for [`send_update`](Self::send_update) with an optional message.
    pub async fn update(
        &self,
        task_id: impl Into<TaskId>,
        state: TaskState,
        message: Option<String>,
    ) -> Result<Vec<u8>, UpdateError> {
        let mut update = StatusUpdate::new(task_id, state);
        update.message = message;
        self.send_update(update).await
    }

    /// Sends bytes to the scheduler (a MESSAGE call). Resolves when the agent accepted it;
    /// while the agent is away it waits in a bounded queue. Best effort, as in Mesos: put
    /// what must not be lost in a status update's `data`.
    pub async fn send_message(&self, data: impl Into<Vec<u8>>) -> Result<(), MessageError> {
        match self.addr.send(SendMessage(data.into())).await {
            Ok(rx) => rx.await.unwrap_or(Err(MessageError::Stopped)),
            Err(_) => Err(MessageError::Stopped),
        }
    }

    /// Ends the executor as if the agent had sent SHUTDOWN (the user's actor gets
    /// [`Shutdown`](super::Shutdown) with [`ShutdownReason::Stopped`](super::ShutdownReason::Stopped)),
    /// and the run ends with [`ExitReason::Stopped`](super::ExitReason::Stopped).
    pub fn stop(&self) {
        self.addr.do_send(Stop);
    }

    /// Whether the runtime is still running.
    pub fn is_running(&self) -> bool {
        self.addr.connected()
    }
}
