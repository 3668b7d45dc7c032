//! `LocalAgent`: one agent of the local cluster. It launches executors as OS processes (or
//! runs command tasks itself), serves the executor API through the HTTP front, keeps the
//! per-task status-update streams and forwards their heads to the master until the
//! framework acknowledges them.
//!
//! Files: this one holds the actor, its messages and the handlers for the master's
//! requests; `executor_api.rs` the handlers of executor calls; `launch.rs` starting and
//! killing processes; `executor.rs` the per-executor state and environment;
//! `reregister.rs` the re-registration after a master restart.

mod executor_api;
mod executor_state;
mod launch;
mod reregister;
mod restart;

pub use executor_api::{ExecutorApiCall, ExecutorReply, HasExecutor};
pub use executor_state::{ExecutorKind, ExecutorState};
pub use restart::{GoDown, Lose, Recover};

use super::config::LocalClusterConfig;
use super::master::{ForwardUpdate, LocalMaster, TaskAcked, TaskLatestState};
use super::status_updates::{Acked, StatusUpdateManager};
use super::wire::stout_duration;
use crate::proto::executor;
use crate::proto::{
    AgentInfo, ExecutorInfo, FrameworkInfo, KillPolicy, TaskInfo, TaskState, TaskStatus,
};
use actix::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Master → agent: run tasks (LAUNCH: `group` false; LAUNCH_GROUP: true).
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct LaunchTasks {
    /// The framework.
    pub framework_info: FrameworkInfo,
    /// The custom or default executor; `None` for command tasks.
    pub executor: Option<ExecutorInfo>,
    /// The tasks (already validated by the master).
    pub tasks: Vec<TaskInfo>,
    /// Whether they form one task group.
    pub group: bool,
}

/// Master → agent: kill a task.
#[derive(Message, Debug)]
#[rtype(result = "bool")]
pub struct KillTask {
    /// Framework id.
    pub framework_id: String,
    /// Task id.
    pub task_id: String,
    /// Overrides the task's kill policy.
    pub kill_policy: Option<KillPolicy>,
}

/// Master → agent: shut an executor down.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct ShutdownExecutor {
    /// Framework id.
    pub framework_id: String,
    /// Executor id.
    pub executor_id: String,
}

/// Master → agent: the framework was removed; kill everything it runs here.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct ShutdownFramework {
    /// Framework id.
    pub framework_id: String,
}

/// Master → agent: a scheduler's MESSAGE for an executor.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct MessageToExecutor {
    /// Framework id.
    pub framework_id: String,
    /// Executor id.
    pub executor_id: String,
    /// Payload.
    pub data: Vec<u8>,
}

/// Master → agent: the framework acknowledged an update.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct Acknowledge {
    /// Framework id.
    pub framework_id: String,
    /// Task id.
    pub task_id: String,
    /// The update's uuid.
    pub uuid: Vec<u8>,
}

/// Master → agent: the framework (re-)subscribed; resend pending updates now.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct FrameworkResubscribed {
    /// The framework's current info.
    pub framework_info: FrameworkInfo,
}

/// Master → agent: the master restarted with its state lost; re-register with everything
/// running here (answered with [`AgentReregistered`](super::master::AgentReregistered)).
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct MasterFailedOver;

/// HTTP front → agent: the directory its sandboxes live under (`<work_dir>/slaves`), for the
/// files API.
#[derive(Message, Debug)]
#[rtype(result = "PathBuf")]
pub struct SandboxRoot;

/// Cluster → agent: kill every process and stop.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct Stop;

/// A process of an executor (custom) or of a command task exited.
#[derive(Message, Debug)]
#[rtype(result = "()")]
struct ProcessExited {
    framework_id: String,
    executor_id: String,
    /// `Some(task)` for a command task's process.
    task_id: Option<String>,
    status: Result<std::process::ExitStatus, String>,
}

/// An executor's subscription stream was dropped.
#[derive(Message, Debug)]
#[rtype(result = "()")]
struct StreamClosed {
    framework_id: String,
    executor_id: String,
    generation: u64,
}

/// One agent of the local cluster.
pub struct LocalAgent {
    /// 1-based number: the agent is `slave(N)`.
    index: usize,
    info: AgentInfo,
    endpoint: String,
    master: Addr<LocalMaster>,
    config: Arc<LocalClusterConfig>,
    work_dir: PathBuf,
    frameworks: HashMap<String, FrameworkInfo>,
    executors: HashMap<(String, String), ExecutorState>,
    updates: StatusUpdateManager,
    /// The agent process is down (see `restart.rs`).
    down: bool,
    /// The agent's machine is gone.
    lost: bool,
    /// What came while down, replayed on recovery.
    held: Vec<restart::Held>,
}

impl LocalAgent {
    /// An agent numbered `index` (1-based) with `info` (its id set), reachable at
    /// `endpoint` (`127.0.0.1:PORT`), sandboxes under `work_dir`.
    pub fn new(
        index: usize,
        info: AgentInfo,
        endpoint: String,
        master: Addr<LocalMaster>,
        config: Arc<LocalClusterConfig>,
        work_dir: PathBuf,
    ) -> Self {
        let updates = StatusUpdateManager::new(
            config.status_update_backoff,
            config.status_update_backoff_max,
        );
        LocalAgent {
            index,
            info,
            endpoint,
            master,
            config,
            work_dir,
            frameworks: HashMap::new(),
            executors: HashMap::new(),
            updates,
            down: false,
            lost: false,
            held: Vec::new(),
        }
    }

    fn agent_id(&self) -> String {
        self.info
            .id
            .as_ref()
            .map(|i| i.value.clone())
            .unwrap_or_default()
    }

    /// `slave(N)@127.0.0.1:PORT`.
    fn pid(&self) -> String {
        format!("slave({})@{}", self.index, self.endpoint)
    }

    /// Takes a status update of a task (from an executor or generated here): fills in what
    /// the agent adds, records it and forwards it if it is the task's oldest pending one.
    fn handle_update(&mut self, framework_id: &str, executor_id: &str, mut status: TaskStatus) {
        if self.unavailable() {
            self.keep(restart::Held::Update {
                framework_id: framework_id.to_string(),
                executor_id: executor_id.to_string(),
                status: Box::new(status),
            });
            return;
        }
        if !self.frameworks.contains_key(framework_id) {
            tracing::debug!(framework = %framework_id, "update for a removed framework dropped");
            return;
        }
        status.agent_id = self.info.id.clone();
        status.executor_id = Some(executor_id.into());
        if status.timestamp.is_none() {
            status.timestamp = Some(crate::proto::now_seconds());
        }
        let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskStaging);
        if let Some(ex) = self
            .executors
            .get_mut(&(framework_id.to_string(), executor_id.to_string()))
        {
            status.container_status = Some(crate::proto::ContainerStatus {
                container_id: Some(ex.container_id.as_str().into()),
                network_infos: vec![crate::proto::NetworkInfo {
                    ip_addresses: vec![crate::proto::network_info::IpAddress {
                        protocol: Some(crate::proto::network_info::Protocol::IPv4 as i32),
                        ip_address: Some("127.0.0.1".into()),
                    }],
                    ..Default::default()
                }],
                executor_pid: ex
                    .pid
                    .or_else(|| ex.task_pids.get(&status.task_id.value).copied()),
            });
            ex.states.insert(status.task_id.value.clone(), state);
            if state.is_terminal() {
                ex.tasks.remove(&status.task_id.value);
            }
        }
        self.master.do_send(TaskLatestState {
            agent: self.index,
            framework_id: framework_id.to_string(),
            status: status.clone(),
        });
        if let Some(head) = self.updates.push(framework_id, status) {
            self.master.do_send(ForwardUpdate {
                framework_id: framework_id.to_string(),
                status: head,
            });
        }
    }

    /// Sends an event to the executor's stream (dropped when it is not subscribed).
    fn send_to_executor(&self, framework_id: &str, executor_id: &str, event: &executor::Event) {
        if let Some(sub) = self
            .executors
            .get(&(framework_id.to_string(), executor_id.to_string()))
            .and_then(|e| e.subscriber.as_ref())
        {
            sub.send(event);
        }
    }

    fn find_task(&self, framework_id: &str, task_id: &str) -> Option<(String, ExecutorKind)> {
        self.executors
            .iter()
            .find(|((fw, _), ex)| {
                fw == framework_id
                    && (ex.tasks.contains_key(task_id)
                        || ex
                            .queued
                            .iter()
                            .any(|p| p.tasks().iter().any(|t| t.task_id.value == task_id)))
            })
            .map(|((_, id), ex)| (id.clone(), ex.kind))
    }
}

impl Actor for LocalAgent {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let tick = (self.config.status_update_backoff / 4).clamp(
            std::time::Duration::from_millis(10),
            std::time::Duration::from_secs(1),
        );
        ctx.run_interval(tick, |agent, _| {
            if agent.unavailable() {
                return;
            }
            for (fw, status) in agent.updates.due() {
                agent.master.do_send(ForwardUpdate {
                    framework_id: fw,
                    status,
                });
            }
        });
        ctx.run_interval(self.config.executor_heartbeat_interval, |agent, _| {
            let hb = executor::Event {
                r#type: Some(executor::event::Type::Heartbeat as i32),
                ..Default::default()
            };
            for ex in agent.executors.values() {
                if let Some(s) = &ex.subscriber {
                    s.send(&hb);
                }
            }
        });
        tracing::info!(agent = %self.agent_id(), pid = %self.pid(), "agent started");
    }

    fn stopping(&mut self, _: &mut Self::Context) -> Running {
        for ex in self.executors.values() {
            launch::kill_all(ex, libc::SIGKILL);
        }
        Running::Stop
    }
}

impl Drop for LocalAgent {
    fn drop(&mut self) {
        // No process outlives its agent, even when the actix system just goes away.
        for ex in self.executors.values() {
            launch::kill_all(ex, libc::SIGKILL);
        }
    }
}

impl Handler<SandboxRoot> for LocalAgent {
    type Result = MessageResult<SandboxRoot>;
    fn handle(&mut self, _: SandboxRoot, _: &mut Self::Context) -> Self::Result {
        let root = self.work_dir.join("slaves");
        MessageResult(std::path::absolute(&root).unwrap_or(root))
    }
}

impl Handler<Stop> for LocalAgent {
    type Result = ();
    fn handle(&mut self, _: Stop, ctx: &mut Self::Context) {
        for ex in self.executors.values() {
            launch::kill_all(ex, libc::SIGKILL);
        }
        ctx.stop();
    }
}

impl Handler<LaunchTasks> for LocalAgent {
    type Result = ();
    fn handle(&mut self, msg: LaunchTasks, ctx: &mut Self::Context) {
        if self.unavailable() {
            return self.keep(restart::Held::Launch(Box::new(msg)));
        }
        self.launch(msg, ctx);
    }
}

impl Handler<KillTask> for LocalAgent {
    type Result = bool;
    fn handle(&mut self, msg: KillTask, ctx: &mut Self::Context) -> bool {
        if self.unavailable() {
            // The master re-sends kills when a disconnected agent comes back.
            self.keep(restart::Held::Kill(msg));
            return !self.lost;
        }
        self.kill_task(msg, ctx)
    }
}

impl LocalAgent {
    /// Kills a task: dropped from the queue when not yet delivered, else a KILL to its
    /// executor or the kill of its command. `false` when the task is unknown here.
    fn kill_task(&mut self, msg: KillTask, ctx: &mut Context<Self>) -> bool {
        let Some((executor_id, kind)) = self.find_task(&msg.framework_id, &msg.task_id) else {
            return false;
        };
        let key = (msg.framework_id.clone(), executor_id.clone());
        // Not yet handed to the executor: it never starts.
        let queued = self.executors.get_mut(&key).and_then(|ex| {
            let pos = ex
                .queued
                .iter()
                .position(|p| p.tasks().iter().any(|t| t.task_id.value == msg.task_id))?;
            Some(ex.queued.remove(pos))
        });
        if let Some(pending) = queued {
            for t in pending.tasks() {
                let status = super::wire::executor_status(
                    &t.task_id,
                    TaskState::TaskKilled,
                    crate::proto::task_status::Source::Agent,
                    Some("Killed before delivery to the executor".into()),
                );
                self.handle_update(&msg.framework_id, &executor_id, status);
            }
            return true;
        }
        match kind {
            ExecutorKind::Custom => {
                let event = executor::Event {
                    r#type: Some(executor::event::Type::Kill as i32),
                    kill: Some(executor::event::Kill {
                        task_id: msg.task_id.as_str().into(),
                        kill_policy: msg.kill_policy,
                    }),
                    ..Default::default()
                };
                self.send_to_executor(&msg.framework_id, &executor_id, &event);
            }
            ExecutorKind::Command => {
                self.kill_command_task(&key, &msg.task_id, msg.kill_policy.as_ref(), ctx);
            }
        }
        true
    }
}

impl Handler<ShutdownExecutor> for LocalAgent {
    type Result = ();
    fn handle(&mut self, msg: ShutdownExecutor, ctx: &mut Self::Context) {
        if self.unavailable() {
            return self.keep(restart::Held::ShutdownExecutor(msg));
        }
        self.shutdown_executor((msg.framework_id, msg.executor_id), ctx);
    }
}

impl Handler<ShutdownFramework> for LocalAgent {
    type Result = ();
    fn handle(&mut self, msg: ShutdownFramework, ctx: &mut Self::Context) {
        if self.unavailable() {
            return self.keep(restart::Held::ShutdownFramework(msg));
        }
        self.shutdown_framework(&msg.framework_id, ctx);
    }
}

impl LocalAgent {
    /// Kills everything `framework_id` runs here and forgets it.
    fn shutdown_framework(&mut self, framework_id: &str, ctx: &mut Context<Self>) {
        self.updates.remove_framework(framework_id);
        let keys: Vec<_> = self
            .executors
            .keys()
            .filter(|(fw, _)| fw == framework_id)
            .cloned()
            .collect();
        for key in keys {
            self.shutdown_executor(key, ctx);
        }
        self.frameworks.remove(framework_id);
    }
}

impl Handler<MessageToExecutor> for LocalAgent {
    type Result = ();
    fn handle(&mut self, msg: MessageToExecutor, _: &mut Self::Context) {
        let event = executor::Event {
            r#type: Some(executor::event::Type::Message as i32),
            message: Some(executor::event::Message { data: msg.data }),
            ..Default::default()
        };
        self.send_to_executor(&msg.framework_id, &msg.executor_id, &event);
    }
}

impl Handler<Acknowledge> for LocalAgent {
    type Result = ();
    fn handle(&mut self, msg: Acknowledge, _: &mut Self::Context) {
        if self.unavailable() {
            // Not delivered to a disconnected agent: the update is resent after recovery.
            return;
        }
        match self
            .updates
            .acknowledge(&msg.framework_id, &msg.task_id, &msg.uuid)
        {
            Acked::Done { next, terminal } => {
                if let Some(next) = next {
                    self.master.do_send(ForwardUpdate {
                        framework_id: msg.framework_id.clone(),
                        status: next,
                    });
                }
                if terminal {
                    self.master.do_send(TaskAcked {
                        framework_id: msg.framework_id,
                        task_id: msg.task_id,
                    });
                }
            }
            Acked::Ignored => {
                tracing::debug!(task = %msg.task_id, "acknowledgement of a non-head update ignored");
            }
        }
    }
}

impl Handler<FrameworkResubscribed> for LocalAgent {
    type Result = ();
    fn handle(&mut self, msg: FrameworkResubscribed, _: &mut Self::Context) {
        let Some(id) = msg.framework_info.id.as_ref().map(|i| i.value.clone()) else {
            return;
        };
        if self.frameworks.contains_key(&id) {
            self.frameworks.insert(id.clone(), msg.framework_info);
        }
        if self.unavailable() {
            // The recovery resends every pending update.
            return;
        }
        for status in self.updates.heads(&id) {
            self.master.do_send(ForwardUpdate {
                framework_id: id.clone(),
                status,
            });
        }
    }
}

impl Handler<ProcessExited> for LocalAgent {
    type Result = ();
    fn handle(&mut self, msg: ProcessExited, ctx: &mut Self::Context) {
        if self.unavailable() {
            return self.keep(restart::Held::Exited(msg));
        }
        self.process_exited(msg, ctx);
    }
}

impl Handler<StreamClosed> for LocalAgent {
    type Result = ();
    fn handle(&mut self, msg: StreamClosed, ctx: &mut Self::Context) {
        let key = (msg.framework_id, msg.executor_id);
        let Some(ex) = self.executors.get_mut(&key) else {
            return;
        };
        if ex.generation != msg.generation {
            return;
        }
        ex.subscriber = None;
        tracing::info!(executor = %key.1, "executor disconnected; waiting for it to re-subscribe");
        let timeout = self.config.recovery_timeout;
        ctx.run_later(timeout, move |agent, _| {
            if let Some(ex) = agent.executors.get(&key) {
                if ex.generation == msg.generation && ex.subscriber.is_none() {
                    tracing::warn!(executor = %key.1, recovery = %stout_duration(timeout), "executor did not re-subscribe; killing it");
                    launch::kill_all(ex, libc::SIGKILL);
                }
            }
        });
    }
}
