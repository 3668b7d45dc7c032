//! What the master keeps per framework and per task.

use crate::local::wire::Subscriber;
use crate::proto::{FrameworkInfo, TaskInfo, TaskState, framework_info::capability::Type as Cap};
use crate::resources::Resources;
use std::collections::HashMap;

/// A task as the master tracks it.
#[derive(Debug, Clone)]
pub struct TaskRecord {
    /// The task as launched (with `agent_id`).
    pub info: TaskInfo,
    /// Agent index (1-based).
    pub agent: usize,
    /// Executor id (the task id for command tasks).
    pub executor_id: String,
    /// Latest known state.
    pub state: TaskState,
    /// (state, timestamp) history.
    pub statuses: Vec<(TaskState, f64)>,
    /// The resources it holds until terminal.
    pub resources: Resources,
    /// Whether its resources were given back already.
    pub released: bool,
    /// The allocation role.
    pub role: String,
    /// The latest update's message and reason (shown on the web page, not in `/state`).
    pub message: Option<String>,
}

/// A custom executor as the master tracks it (its resources; the agent is in its key).
#[derive(Debug, Clone)]
pub struct ExecutorRecord {
    /// Resources it holds while running.
    pub resources: Resources,
}

/// A framework known to the master.
#[derive(Debug)]
pub struct Framework {
    /// Its id.
    pub id: String,
    /// Its latest FrameworkInfo (id set).
    pub info: FrameworkInfo,
    /// The current subscription's stream and id, when connected.
    pub subscriber: Option<Subscriber>,
    /// Current stream id.
    pub stream_id: Option<String>,
    /// Bumped on every (re-)subscription and disconnection, to expire stale timers.
    pub epoch: u64,
    /// SUPPRESSed (no offers until REVIVE).
    pub suppressed: bool,
    /// Active tasks by id.
    pub tasks: HashMap<String, TaskRecord>,
    /// Tasks whose terminal update was acknowledged.
    pub completed_tasks: Vec<TaskRecord>,
    /// Custom executors by (agent, executor id).
    pub executors: HashMap<(usize, String), ExecutorRecord>,
    /// When it first subscribed.
    pub registered_time: f64,
    /// When it last re-subscribed.
    pub reregistered_time: Option<f64>,
    /// When it disconnected (0 when connected).
    pub unregistered_time: f64,
    /// Whether it is still registered (false once removed).
    pub active: bool,
    /// Its current stream is cut one way (a test's partition): events are dropped.
    pub silenced: bool,
}

impl Framework {
    /// A new, connected framework.
    pub fn new(id: String, info: FrameworkInfo) -> Self {
        Framework {
            id,
            info,
            subscriber: None,
            stream_id: None,
            epoch: 0,
            suppressed: false,
            tasks: HashMap::new(),
            completed_tasks: Vec::new(),
            executors: HashMap::new(),
            registered_time: crate::proto::now_seconds(),
            reregistered_time: None,
            unregistered_time: 0.0,
            active: true,
            silenced: false,
        }
    }

    /// Whether it has a live subscription.
    pub fn connected(&self) -> bool {
        self.subscriber.is_some()
    }

    /// Whether it declared `cap`.
    pub fn has(&self, cap: Cap) -> bool {
        self.info.has_capability(cap)
    }

    /// The role its offers are allocated to.
    pub fn role(&self) -> String {
        if self.has(Cap::MultiRole) {
            self.info
                .roles
                .first()
                .cloned()
                .unwrap_or_else(|| "*".into())
        } else {
            #[allow(deprecated)]
            self.info.role.clone().unwrap_or_else(|| "*".into())
        }
    }

    /// Sends an event on its stream (dropped when disconnected or partitioned).
    pub fn send(&self, event: &crate::proto::scheduler::Event) {
        if self.silenced {
            return;
        }
        if let Some(s) = &self.subscriber {
            s.send(event);
        }
    }

    /// Sum of the resources its tasks and executors hold.
    pub fn used(&self) -> Resources {
        let mut used = Resources::new();
        for t in self.tasks.values().filter(|t| !t.released) {
            used.merge(&t.resources);
        }
        for e in self.executors.values() {
            used.merge(&e.resources);
        }
        used
    }
}
