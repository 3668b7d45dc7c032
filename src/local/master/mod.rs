//! `LocalMaster`: the master of the local cluster. It keeps the frameworks and their
//! subscriptions, the agents, the outstanding offers and the tasks; runs the allocator;
//! forwards status updates, messages and executor failures to frameworks; and expires
//! disconnected frameworks after their `failover_timeout`.
//!
//! Files: this one holds the actor, its messages and the handlers for agents' reports;
//! `subscribe.rs` SUBSCRIBE, disconnection, failover and removal; `calls.rs` the other
//! scheduler calls; `accept.rs` ACCEPT (LAUNCH / LAUNCH_GROUP validation); `offers.rs`
//! allocation rounds; `framework.rs` the per-framework records; `failover.rs` the
//! restart with its state lost (agents re-register) and the one-way event partition.

mod accept;
mod agent_loss;
mod calls;
mod failover;
mod framework;
mod metrics;
mod offers;
mod subscribe;

pub use agent_loss::RemoveAgent;
pub use framework::{ExecutorRecord, Framework, TaskRecord};
pub use metrics::{GetMetrics, GetUiState, prometheus};

use super::agent::LocalAgent;
use super::allocator::Allocator;
use super::config::LocalClusterConfig;
use super::wire::{ApiError, EventStream};
use crate::codec::Encoding;
use crate::proto::{
    AgentInfo, ExecutorInfo, FrameworkInfo, MasterInfo, Offer, TaskInfo, TaskState, TaskStatus,
    master_info, scheduler,
};
use crate::resources::Resources;
use actix::prelude::*;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;

/// The Mesos version the local cluster reports.
pub const VERSION: &str = "1.11.0";

/// HTTP front → master: a scheduler call that passed the stateless checks.
#[derive(Message, Debug)]
#[rtype(result = "Result<SchedulerReply, ApiError>")]
pub struct SchedulerRequest {
    /// The decoded call.
    pub call: scheduler::Call,
    /// The `Mesos-Stream-Id` header, if any.
    pub stream_id: Option<String>,
    /// The authenticated principal (HTTP Basic), if authentication is on.
    pub principal: Option<String>,
    /// The response encoding for SUBSCRIBE (from `Accept`).
    pub accept: Encoding,
}

/// The master's answer to a scheduler call.
#[derive(Debug)]
pub enum SchedulerReply {
    /// 202 Accepted, empty body.
    Accepted,
    /// 200 OK, empty body (UPDATE_FRAMEWORK).
    Ok,
    /// 200 with the event stream (SUBSCRIBE).
    Stream {
        /// The `Mesos-Stream-Id` to send.
        stream_id: String,
        /// The body.
        stream: EventStream,
    },
}

/// HTTP front → master: the `/state` document.
#[derive(Message, Debug)]
#[rtype(result = "serde_json::Value")]
pub struct GetState;

/// Cluster setup → master: an agent joined.
#[derive(Message)]
#[rtype(result = "()")]
pub struct RegisterAgent {
    /// Its actor.
    pub addr: Addr<LocalAgent>,
    /// Its info (id set).
    pub info: AgentInfo,
    /// `slave(N)@ip:port`.
    pub pid: String,
}

/// Agent → master: the latest state of a task (sent for every new update, before it is
/// forwarded), so resources are freed as soon as a task is terminal.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct TaskLatestState {
    /// Agent index (1-based).
    pub agent: usize,
    /// Framework id.
    pub framework_id: String,
    /// The update.
    pub status: TaskStatus,
}

/// Agent → master: forward this update to the framework.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct ForwardUpdate {
    /// Framework id.
    pub framework_id: String,
    /// The update (with uuid).
    pub status: TaskStatus,
}

/// Agent → master: the framework acknowledged the task's terminal update.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct TaskAcked {
    /// Framework id.
    pub framework_id: String,
    /// Task id.
    pub task_id: String,
}

/// Agent → master: an executor is gone.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct ExecutorTerminated {
    /// Agent index.
    pub agent: usize,
    /// Framework id.
    pub framework_id: String,
    /// Executor id.
    pub executor_id: String,
    /// Raw wait status, when known.
    pub status: Option<i32>,
    /// A custom executor (FAILURE is sent) rather than a command executor.
    pub custom: bool,
}

/// Agent → master: an executor's MESSAGE for its scheduler.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct ExecutorMessage {
    /// Agent index.
    pub agent: usize,
    /// Framework id.
    pub framework_id: String,
    /// Executor id.
    pub executor_id: String,
    /// Payload.
    pub data: Vec<u8>,
}

/// Operator `/teardown` → master: remove a framework. Answers whether it existed.
#[derive(Message, Debug)]
#[rtype(result = "bool")]
pub struct TeardownFramework {
    /// Framework id.
    pub framework_id: String,
}

/// Cluster → master: close every subscription and stop.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct StopMaster;

/// Cluster → master: fail over to a fresh master on the same address. Every subscription
/// closes and everything the master knew (frameworks, offers, tasks, executors, filters) is
/// dropped; the agents are kept as *recovered* (no offers, reconciliation of their tasks
/// unanswered) until they re-register and re-report what they run.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct RestartMaster;

/// Agent → master, after [`RestartMaster`]: the agent re-registers with what it runs.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct AgentReregistered {
    /// Agent index (1-based).
    pub agent: usize,
    /// What it runs.
    pub report: AgentReport,
}

/// What an agent re-reports when it re-registers (Mesos's `ReregisterSlaveMessage`).
#[derive(Debug, Default)]
pub struct AgentReport {
    /// The frameworks it runs something for.
    pub frameworks: Vec<FrameworkInfo>,
    /// Executors the master accounts for (custom and DEFAULT ones, not the command
    /// executors generated for command tasks), by framework id.
    pub executors: Vec<(String, ExecutorInfo)>,
    /// Its tasks: live ones and terminal ones whose update is not acknowledged yet.
    pub tasks: Vec<ReportedTask>,
}

/// One task in an [`AgentReport`].
#[derive(Debug)]
pub struct ReportedTask {
    /// Framework id.
    pub framework_id: String,
    /// Executor id (the task id for command tasks).
    pub executor_id: String,
    /// The task as launched (for a terminal task whose info is gone: its id only).
    pub info: TaskInfo,
    /// Its latest state.
    pub state: TaskState,
}

/// Cluster → master: one-way partition master → framework. The current event stream of the
/// framework (of every framework when `None`) stays open but carries nothing more, not even
/// heartbeats; calls keep succeeding. A new SUBSCRIBE gets a working stream. Answers how
/// many streams went silent.
#[derive(Message, Debug)]
#[rtype(result = "usize")]
pub struct PartitionEvents {
    /// The framework, or every subscribed framework.
    pub framework_id: Option<String>,
}

/// Run an allocation round now.
#[derive(Message, Debug)]
#[rtype(result = "()")]
struct Allocate;

/// An agent as the master sees it.
pub struct AgentRecord {
    /// Its actor.
    pub addr: Addr<LocalAgent>,
    /// Its info.
    pub info: AgentInfo,
    /// `slave(N)@ip:port`.
    pub pid: String,
    /// Total resources.
    pub total: Resources,
    /// Held by tasks and executors.
    pub used: Resources,
    /// In outstanding offers.
    pub offered: Resources,
    /// When it registered.
    pub registered_time: f64,
    /// Lost for good (`agent_loss.rs`): offers nothing any more.
    pub removed: bool,
    /// Known from before a master restart but not re-registered yet: offers nothing, and
    /// reconciliation of tasks there is not answered.
    pub recovered: bool,
}

impl AgentRecord {
    /// What is neither used nor offered (nothing while the agent is recovered).
    pub fn free(&self) -> Resources {
        if self.recovered {
            return Resources::new();
        }
        let mut free = self.total.clone();
        free.subtract_present(&self.used);
        free.subtract_present(&self.offered);
        free
    }
}

/// An outstanding offer.
#[derive(Debug, Clone)]
pub struct OfferRecord {
    /// The offer as sent.
    pub offer: Offer,
    /// Framework id.
    pub framework_id: String,
    /// Agent index (1-based).
    pub agent: usize,
    /// Its resources.
    pub resources: Resources,
}

/// The master actor.
pub struct LocalMaster {
    pub(in crate::local) config: Arc<LocalClusterConfig>,
    pub(in crate::local) info: MasterInfo,
    pub(in crate::local) start_time: f64,
    pub(in crate::local) frameworks: HashMap<String, Framework>,
    pub(in crate::local) completed_frameworks: Vec<Framework>,
    pub(in crate::local) removed: HashSet<String>,
    pub(in crate::local) agents: Vec<AgentRecord>,
    pub(in crate::local) offers: HashMap<String, OfferRecord>,
    pub(in crate::local) metrics: metrics::Counters,
    allocator: Allocator,
    next_framework: u64,
    next_offer: u64,
    allocation_pending: bool,
    /// The address it serves (kept for a restart).
    addr: SocketAddr,
    /// Bumped on every restart, to expire timers of the state before it.
    incarnation: u64,
}

impl LocalMaster {
    /// A master reachable at `addr`.
    pub fn new(config: Arc<LocalClusterConfig>, addr: SocketAddr) -> Self {
        let id = uuid::Uuid::new_v4().to_string();
        let ip = match addr.ip() {
            std::net::IpAddr::V4(v4) => u32::from_le_bytes(v4.octets()),
            std::net::IpAddr::V6(_) => 0,
        };
        let info = MasterInfo {
            id: id.clone(),
            ip,
            port: u32::from(addr.port()),
            pid: Some(format!("master@{addr}")),
            hostname: Some(config.hostname.clone()),
            version: Some(VERSION.into()),
            address: Some(crate::proto::Address {
                hostname: Some(config.hostname.clone()),
                ip: Some(addr.ip().to_string()),
                port: i32::from(addr.port()),
            }),
            domain: None,
            capabilities: vec![
                master_info::Capability {
                    r#type: Some(master_info::capability::Type::AgentUpdate as i32),
                },
                master_info::Capability {
                    r#type: Some(master_info::capability::Type::AgentDraining as i32),
                },
            ],
        };
        LocalMaster {
            config,
            info,
            start_time: crate::proto::now_seconds(),
            frameworks: HashMap::new(),
            completed_frameworks: Vec::new(),
            removed: HashSet::new(),
            agents: Vec::new(),
            offers: HashMap::new(),
            metrics: metrics::Counters::default(),
            allocator: Allocator::default(),
            next_framework: 0,
            next_offer: 0,
            allocation_pending: false,
            addr,
            incarnation: 0,
        }
    }

    /// The agent id an agent numbered `index` (1-based) gets.
    pub fn agent_id_for(&self, index: usize) -> String {
        format!("{}-S{}", self.info.id, index.saturating_sub(1))
    }

    fn agent(&self, index: usize) -> Option<&AgentRecord> {
        index.checked_sub(1).and_then(|i| self.agents.get(i))
    }

    fn agent_mut(&mut self, index: usize) -> Option<&mut AgentRecord> {
        index.checked_sub(1).and_then(|i| self.agents.get_mut(i))
    }

    /// The agent index of an agent id.
    fn agent_index(&self, agent_id: &str) -> Option<usize> {
        self.agents
            .iter()
            .position(|a| a.info.id.as_ref().is_some_and(|i| i.value == agent_id))
            .map(|i| i + 1)
    }

    /// Coalesces allocation requests into one round on the next turn of the mailbox.
    fn schedule_allocation(&mut self, ctx: &mut Context<Self>) {
        if !self.allocation_pending {
            self.allocation_pending = true;
            ctx.notify(Allocate);
        }
    }
}

impl Actor for LocalMaster {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(self.config.heartbeat_interval, |master, _| {
            let hb = scheduler::Event {
                r#type: Some(scheduler::event::Type::Heartbeat as i32),
                ..Default::default()
            };
            for fw in master.frameworks.values() {
                fw.send(&hb);
            }
        });
        ctx.run_interval(self.config.allocation_interval, |master, ctx| {
            master.schedule_allocation(ctx)
        });
        tracing::info!(id = %self.info.id, pid = ?self.info.pid, "master started");
    }
}

impl Handler<TeardownFramework> for LocalMaster {
    type Result = bool;
    fn handle(&mut self, msg: TeardownFramework, ctx: &mut Self::Context) -> bool {
        if !self.frameworks.contains_key(&msg.framework_id) {
            return false;
        }
        tracing::info!(framework = %msg.framework_id, "operator teardown");
        self.remove_framework(&msg.framework_id, ctx);
        true
    }
}

impl Handler<StopMaster> for LocalMaster {
    type Result = ();
    fn handle(&mut self, _: StopMaster, ctx: &mut Self::Context) {
        for fw in self.frameworks.values_mut() {
            fw.subscriber = None;
        }
        ctx.stop();
    }
}

impl Handler<Allocate> for LocalMaster {
    type Result = ();
    fn handle(&mut self, _: Allocate, _: &mut Self::Context) {
        self.allocation_pending = false;
        self.allocate();
    }
}

impl Handler<RegisterAgent> for LocalMaster {
    type Result = ();
    fn handle(&mut self, msg: RegisterAgent, ctx: &mut Self::Context) {
        let total = Resources::unreserved(&msg.info.resources);
        self.agents.push(AgentRecord {
            addr: msg.addr,
            info: msg.info,
            pid: msg.pid,
            total,
            used: Resources::new(),
            offered: Resources::new(),
            registered_time: crate::proto::now_seconds(),
            removed: false,
            recovered: false,
        });
        self.schedule_allocation(ctx);
    }
}

impl Handler<GetState> for LocalMaster {
    type Result = MessageResult<GetState>;
    fn handle(&mut self, _: GetState, _: &mut Self::Context) -> Self::Result {
        MessageResult(super::state::state_json(self))
    }
}

impl Handler<SchedulerRequest> for LocalMaster {
    type Result = Result<SchedulerReply, ApiError>;
    fn handle(&mut self, msg: SchedulerRequest, ctx: &mut Self::Context) -> Self::Result {
        if msg.call.r#type() == scheduler::call::Type::Subscribe {
            return self.subscribe(msg, ctx);
        }
        self.call(msg, ctx)
    }
}

impl Handler<TaskLatestState> for LocalMaster {
    type Result = ();
    fn handle(&mut self, msg: TaskLatestState, ctx: &mut Self::Context) {
        let state = TaskState::try_from(msg.status.state).unwrap_or(TaskState::TaskStaging);
        let Some(fw) = self.frameworks.get_mut(&msg.framework_id) else {
            return;
        };
        let Some(task) = fw.tasks.get_mut(&msg.status.task_id.value) else {
            return;
        };
        if state.is_terminal() && !task.state.is_terminal() {
            self.metrics.count_terminal(state);
        }
        if let Some(m) = msg.status.message.as_ref().filter(|m| !m.is_empty()) {
            task.message = Some(m.clone());
        }
        task.state = state;
        task.statuses.push((
            state,
            msg.status
                .timestamp
                .unwrap_or_else(crate::proto::now_seconds),
        ));
        if state.is_terminal() && !task.released {
            task.released = true;
            let resources = task.resources.clone();
            if let Some(agent) = self.agent_mut(msg.agent) {
                agent.used.subtract_present(&resources);
            }
            self.schedule_allocation(ctx);
        }
    }
}

impl Handler<ForwardUpdate> for LocalMaster {
    type Result = ();
    fn handle(&mut self, msg: ForwardUpdate, _: &mut Self::Context) {
        if let Some(fw) = self.frameworks.get(&msg.framework_id) {
            fw.send(&scheduler::Event {
                r#type: Some(scheduler::event::Type::Update as i32),
                update: Some(scheduler::event::Update { status: msg.status }),
                ..Default::default()
            });
        }
    }
}

impl Handler<TaskAcked> for LocalMaster {
    type Result = ();
    fn handle(&mut self, msg: TaskAcked, _: &mut Self::Context) {
        if let Some(fw) = self.frameworks.get_mut(&msg.framework_id) {
            if let Some(task) = fw.tasks.remove(&msg.task_id) {
                fw.completed_tasks.push(task);
                let excess = fw.completed_tasks.len().saturating_sub(1000);
                fw.completed_tasks.drain(..excess);
            }
        }
    }
}

impl Handler<ExecutorTerminated> for LocalMaster {
    type Result = ();
    fn handle(&mut self, msg: ExecutorTerminated, ctx: &mut Self::Context) {
        let agent_id = self.agent(msg.agent).and_then(|a| a.info.id.clone());
        let Some(fw) = self.frameworks.get_mut(&msg.framework_id) else {
            return;
        };
        let record = fw.executors.remove(&(msg.agent, msg.executor_id.clone()));
        if msg.custom {
            fw.send(&scheduler::Event {
                r#type: Some(scheduler::event::Type::Failure as i32),
                failure: Some(scheduler::event::Failure {
                    agent_id,
                    executor_id: Some(msg.executor_id.as_str().into()),
                    status: msg.status,
                }),
                ..Default::default()
            });
        }
        if let Some(record) = record {
            if let Some(agent) = self.agent_mut(msg.agent) {
                agent.used.subtract_present(&record.resources);
            }
            self.schedule_allocation(ctx);
        }
    }
}

impl Handler<ExecutorMessage> for LocalMaster {
    type Result = ();
    fn handle(&mut self, msg: ExecutorMessage, _: &mut Self::Context) {
        let agent_id = self
            .agent(msg.agent)
            .and_then(|a| a.info.id.clone())
            .unwrap_or_default();
        if let Some(fw) = self.frameworks.get(&msg.framework_id) {
            fw.send(&scheduler::Event {
                r#type: Some(scheduler::event::Type::Message as i32),
                message: Some(scheduler::event::Message {
                    agent_id,
                    executor_id: msg.executor_id.as_str().into(),
                    data: msg.data,
                }),
                ..Default::default()
            });
        }
    }
}
