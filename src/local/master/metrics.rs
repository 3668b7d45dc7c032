//! The master's counters for `/metrics/snapshot` (Apache Mesos names, `master/...`) and the
//! web page's variant of `/state`.

use super::LocalMaster;
use crate::proto::TaskState;
use actix::prelude::*;
use serde_json::{Map, Value, json};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// Returns the `/metrics/snapshot` object: metric name → number.
#[derive(Message, Debug)]
#[rtype(result = "Map<String, Value>")]
pub struct GetMetrics;

/// Returns `/state` with each task's latest status message and reason added (the web page
/// shows them; Apache Mesos's `/state` has no such keys, so `/state` stays without).
#[derive(Message, Debug)]
#[rtype(result = "Value")]
pub struct GetUiState;

/// Running totals that `/state` cannot give back once tasks age out of the bounded lists.
#[derive(Debug, Default)]
pub struct Counters {
    terminal: RefCell<BTreeMap<TaskState, u64>>,
}

impl Counters {
    /// One more task reached the terminal `state`.
    pub fn count_terminal(&self, state: TaskState) {
        *self.terminal.borrow_mut().entry(state).or_insert(0) += 1;
    }

    fn terminal(&self, state: TaskState) -> u64 {
        self.terminal.borrow().get(&state).copied().unwrap_or(0)
    }
}

/// `TASK_RUNNING` → `tasks_running`.
fn metric_name(state: TaskState) -> String {
    let name = state.as_str_name();
    format!(
        "tasks_{}",
        name.strip_prefix("TASK_").unwrap_or(name).to_lowercase()
    )
}

const LIVE: [TaskState; 4] = [
    TaskState::TaskStaging,
    TaskState::TaskStarting,
    TaskState::TaskRunning,
    TaskState::TaskKilling,
];

const TERMINAL: [TaskState; 9] = [
    TaskState::TaskFinished,
    TaskState::TaskFailed,
    TaskState::TaskKilled,
    TaskState::TaskLost,
    TaskState::TaskError,
    TaskState::TaskDropped,
    TaskState::TaskGone,
    TaskState::TaskGoneByOperator,
    TaskState::TaskUnreachable,
];

/// The snapshot of `master`.
pub fn snapshot(master: &LocalMaster) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |k: &str, v: f64| {
        m.insert(format!("master/{k}"), json!(v));
    };
    let mut live: BTreeMap<TaskState, u64> = BTreeMap::new();
    for fw in master.frameworks.values() {
        for t in fw.tasks.values().filter(|t| !t.state.is_terminal()) {
            *live.entry(t.state).or_insert(0) += 1;
        }
    }
    for s in LIVE {
        put(&metric_name(s), live.get(&s).copied().unwrap_or(0) as f64);
    }
    for s in TERMINAL {
        put(&metric_name(s), master.metrics.terminal(s) as f64);
    }
    let fws = master.frameworks.values();
    let connected = fws.clone().filter(|f| f.connected()).count();
    let active = fws.clone().filter(|f| f.active && f.connected()).count();
    let total = master.frameworks.len();
    put("frameworks_active", active as f64);
    put("frameworks_inactive", (total - active) as f64);
    put("frameworks_connected", connected as f64);
    put("frameworks_disconnected", (total - connected) as f64);
    let agents = master.agents.len() as f64;
    put("slaves_active", agents);
    put("slaves_connected", agents);
    put("slaves_inactive", 0.0);
    put("slaves_disconnected", 0.0);
    put("slave_registrations", agents);
    put("outstanding_offers", master.offers.len() as f64);
    put("elected", 1.0);
    put(
        "uptime_secs",
        (crate::proto::now_seconds() - master.start_time).max(0.0),
    );
    for name in ["cpus", "mem", "disk", "gpus"] {
        let (mut total, mut used) = (0.0, 0.0);
        for a in &master.agents {
            total += a.total.scalar(name).to_f64();
            used += a.used.scalar(name).to_f64();
        }
        put(&format!("{name}_total"), total);
        put(&format!("{name}_used"), used);
        put(
            &format!("{name}_percent"),
            if total > 0.0 { used / total } else { 0.0 },
        );
    }
    m
}

impl Handler<GetMetrics> for LocalMaster {
    type Result = MessageResult<GetMetrics>;
    fn handle(&mut self, _: GetMetrics, _: &mut Self::Context) -> Self::Result {
        MessageResult(snapshot(self))
    }
}

impl Handler<GetUiState> for LocalMaster {
    type Result = MessageResult<GetUiState>;
    fn handle(&mut self, _: GetUiState, _: &mut Self::Context) -> Self::Result {
        MessageResult(crate::local::state::ui_state_json(self))
    }
}

/// The Prometheus text form of a snapshot: `master/tasks_running` becomes
/// `mesos_master_tasks_running` (a gauge; every character outside `[a-zA-Z0-9_]` is `_`).
pub fn prometheus(snapshot: &Map<String, Value>) -> String {
    let mut out = String::new();
    for (k, v) in snapshot {
        let Some(v) = v.as_f64() else { continue };
        let name: String = format!("mesos_{k}")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        out.push_str(&format!("# TYPE {name} gauge\n{name} {v}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_text_form() {
        assert_eq!(metric_name(TaskState::TaskRunning), "tasks_running");
        assert_eq!(
            metric_name(TaskState::TaskGoneByOperator),
            "tasks_gone_by_operator"
        );
        let mut m = Map::new();
        m.insert("master/tasks_failed".into(), json!(2.0));
        let text = prometheus(&m);
        assert!(text.contains("# TYPE mesos_master_tasks_failed gauge\n"));
        assert!(text.contains("mesos_master_tasks_failed 2\n"));
        let c = Counters::default();
        c.count_terminal(TaskState::TaskFailed);
        c.count_terminal(TaskState::TaskFailed);
        assert_eq!(c.terminal(TaskState::TaskFailed), 2);
    }
}
