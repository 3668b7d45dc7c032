//! Re-registration after a master restart: like an Apache Mesos agent after a master
//! failover, the agent re-reports the frameworks it runs something for, their executors
//! and their tasks (live ones, and terminal ones whose update is not acknowledged yet).

use super::{ExecutorKind, LocalAgent, MasterFailedOver};
use crate::local::master::{AgentReport, AgentReregistered, ReportedTask};
use crate::proto::{TaskInfo, TaskState};
use actix::prelude::*;
use std::collections::HashSet;

impl Handler<MasterFailedOver> for LocalAgent {
    type Result = ();
    fn handle(&mut self, _: MasterFailedOver, _: &mut Self::Context) {
        let report = self.report();
        tracing::info!(agent = %self.agent_id(), tasks = report.tasks.len(), "re-registering with the restarted master");
        self.master.do_send(AgentReregistered {
            agent: self.index,
            report,
        });
    }
}

impl LocalAgent {
    /// Everything the master must learn again.
    fn report(&self) -> AgentReport {
        let mut report = AgentReport {
            frameworks: self.frameworks.values().cloned().collect(),
            ..AgentReport::default()
        };
        let mut seen = HashSet::new();
        for ((framework_id, executor_id), ex) in &self.executors {
            // The command executor made up for a command task is not the master's to count.
            let generated = ex.kind == ExecutorKind::Command && ex.info.command.is_some();
            if !generated {
                report
                    .executors
                    .push((framework_id.clone(), ex.info.clone()));
            }
            let queued = ex.queued.iter().flat_map(|p| p.tasks());
            for task in ex.tasks.values().chain(queued) {
                let state = ex
                    .states
                    .get(&task.task_id.value)
                    .copied()
                    .unwrap_or(TaskState::TaskStaging);
                seen.insert((framework_id.as_str(), task.task_id.value.as_str()));
                report.tasks.push(ReportedTask {
                    framework_id: framework_id.clone(),
                    executor_id: executor_id.clone(),
                    info: task.clone(),
                    state,
                });
            }
        }
        for (framework_id, status) in self.updates.latest_pending() {
            if seen.contains(&(framework_id, status.task_id.value.as_str())) {
                continue;
            }
            let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskLost);
            report.tasks.push(ReportedTask {
                framework_id: framework_id.to_string(),
                executor_id: status
                    .executor_id
                    .as_ref()
                    .map_or_else(|| status.task_id.value.clone(), |e| e.value.clone()),
                info: TaskInfo {
                    name: status.task_id.value.clone(),
                    task_id: status.task_id.clone(),
                    agent_id: self.info.id.clone().unwrap_or_default(),
                    ..Default::default()
                },
                state,
            });
        }
        report
    }
}
