//! Faults of the master a test (or a user testing a framework) can cause: a restart with its
//! state lost, after which the agents re-register and re-report their frameworks,
//! executors and tasks as Apache Mesos agents do after a master failover; and a one-way
//! partition of event streams.

use super::{
    AgentRecord, AgentReregistered, ExecutorRecord, Framework, LocalMaster, PartitionEvents,
    RestartMaster, TaskRecord,
};
use crate::local::agent::MasterFailedOver;
use crate::resources::Resources;
use actix::prelude::*;

impl Handler<RestartMaster> for LocalMaster {
    type Result = ();
    fn handle(&mut self, _: RestartMaster, ctx: &mut Self::Context) {
        let agents: Vec<AgentRecord> = std::mem::take(&mut self.agents)
            .into_iter()
            .map(|a| AgentRecord {
                used: Resources::new(),
                offered: Resources::new(),
                recovered: true,
                ..a
            })
            .collect();
        let mut fresh = LocalMaster::new(self.config.clone(), self.addr);
        fresh.incarnation = self.incarnation + 1;
        fresh.agents = agents;
        // Dropping the old state drops every subscriber: the streams end.
        let old = std::mem::replace(self, fresh);
        tracing::info!(old = %old.info.id, new = %self.info.id, "master restarted; its state is lost");
        drop(old);
        for agent in &self.agents {
            agent.addr.do_send(MasterFailedOver);
        }
        self.schedule_allocation(ctx);
    }
}

impl Handler<AgentReregistered> for LocalMaster {
    type Result = ();
    fn handle(&mut self, msg: AgentReregistered, ctx: &mut Self::Context) {
        let index = msg.agent;
        let report = msg.report;
        for info in report.frameworks {
            let Some(id) = info.id.as_ref().map(|i| i.value.clone()) else {
                continue;
            };
            // Known (it re-subscribed first) or new: recovered, not connected.
            self.frameworks
                .entry(id.clone())
                .or_insert_with(|| Framework::new(id, info));
        }
        let mut used = Resources::new();
        for (framework_id, ex) in report.executors {
            let Some(fw) = self.frameworks.get_mut(&framework_id) else {
                continue;
            };
            let resources = Resources::unreserved(&ex.resources);
            used.merge(&resources);
            fw.executors
                .insert((index, ex.executor_id.value), ExecutorRecord { resources });
        }
        let now = crate::proto::now_seconds();
        let mut live = 0usize;
        for task in report.tasks {
            let Some(fw) = self.frameworks.get_mut(&task.framework_id) else {
                continue;
            };
            let terminal = task.state.is_terminal();
            let resources = if terminal {
                Resources::new()
            } else {
                live += 1;
                Resources::unreserved(&task.info.resources)
            };
            used.merge(&resources);
            let role = fw.role();
            fw.tasks.insert(
                task.info.task_id.value.clone(),
                TaskRecord {
                    info: task.info,
                    agent: index,
                    executor_id: task.executor_id,
                    state: task.state,
                    statuses: vec![(task.state, now)],
                    resources,
                    released: terminal,
                    role,
                    message: None,
                },
            );
        }
        let Some(agent) = self.agent_mut(index) else {
            return;
        };
        agent.used = used;
        agent.offered = Resources::new();
        agent.recovered = false;
        tracing::info!(agent = index, tasks = live, "agent re-registered");
        self.schedule_allocation(ctx);
    }
}

impl Handler<PartitionEvents> for LocalMaster {
    type Result = usize;
    fn handle(&mut self, msg: PartitionEvents, _: &mut Self::Context) -> usize {
        let mut silenced = 0;
        for fw in self.frameworks.values_mut() {
            let chosen = msg.framework_id.as_ref().is_none_or(|id| *id == fw.id);
            if chosen && fw.connected() && !fw.silenced {
                fw.silenced = true;
                silenced += 1;
            }
        }
        tracing::info!(streams = silenced, framework = ?msg.framework_id, "event streams partitioned");
        silenced
    }
}
