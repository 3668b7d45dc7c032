//! An agent lost for good (its machine is gone, [`LocalCluster::remove_agent`]): as Apache
//! Mesos marks an agent unreachable, its offers are rescinded, it gets no more offers, and
//! each framework is told its tasks there are TASK_UNREACHABLE (PARTITION_AWARE) or
//! TASK_LOST, reason `REASON_AGENT_REMOVED`, by master-generated updates (no uuid: nothing
//! to acknowledge), followed by a FAILURE naming the agent (`slaveLost`).
//!
//! [`LocalCluster::remove_agent`]: crate::local::LocalCluster::remove_agent

use super::LocalMaster;
use crate::local::wire::master_status;
use crate::proto::{
    TaskState, framework_info::capability::Type as Cap, scheduler, task_status::Reason,
};
use actix::prelude::*;

/// Cluster → master: the agent numbered `agent` (1-based) is gone with everything on it.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct RemoveAgent {
    /// Agent index (1-based).
    pub agent: usize,
}

impl Handler<RemoveAgent> for LocalMaster {
    type Result = ();
    fn handle(&mut self, msg: RemoveAgent, ctx: &mut Self::Context) {
        let Some(record) = self.agent_mut(msg.agent) else {
            return;
        };
        if record.removed {
            return;
        }
        record.removed = true;
        let agent_id = record.info.id.clone();
        let name = agent_id
            .as_ref()
            .map_or("", |a| a.value.as_str())
            .to_string();
        tracing::warn!(agent = %name, "agent removed: its tasks are lost");
        let offers: Vec<_> = self
            .offers
            .iter()
            .filter(|(_, o)| o.agent == msg.agent)
            .map(|(id, o)| (id.clone(), o.framework_id.clone()))
            .collect();
        for (offer_id, framework_id) in offers {
            self.remove_offer(&offer_id);
            if let Some(fw) = self.frameworks.get(&framework_id) {
                fw.send(&scheduler::Event {
                    r#type: Some(scheduler::event::Type::Rescind as i32),
                    rescind: Some(scheduler::event::Rescind {
                        offer_id: offer_id.as_str().into(),
                    }),
                    ..Default::default()
                });
            }
        }
        for fw in self.frameworks.values_mut() {
            let state = if fw.has(Cap::PartitionAware) {
                TaskState::TaskUnreachable
            } else {
                TaskState::TaskLost
            };
            let lost: Vec<String> = fw
                .tasks
                .values()
                .filter(|t| t.agent == msg.agent && !t.state.is_terminal())
                .map(|t| t.info.task_id.value.clone())
                .collect();
            for id in &lost {
                let Some(task) = fw.tasks.get_mut(id) else {
                    continue;
                };
                let status = master_status(
                    &task.info.task_id,
                    state,
                    Reason::AgentRemoved,
                    format!("Agent {name} is unreachable"),
                    agent_id.clone(),
                    Some(task.executor_id.as_str().into()),
                );
                task.state = state;
                task.released = true;
                task.message = status.message.clone();
                task.statuses
                    .push((state, status.timestamp.unwrap_or_default()));
                if state.is_terminal() {
                    self.metrics.count_terminal(state);
                    if let Some(done) = fw.tasks.remove(id) {
                        fw.completed_tasks.push(done);
                    }
                }
                fw.send(&scheduler::Event {
                    r#type: Some(scheduler::event::Type::Update as i32),
                    update: Some(scheduler::event::Update { status }),
                    ..Default::default()
                });
            }
            let excess = fw.completed_tasks.len().saturating_sub(1000);
            fw.completed_tasks.drain(..excess);
            fw.executors.retain(|(agent, _), _| *agent != msg.agent);
            fw.send(&scheduler::Event {
                r#type: Some(scheduler::event::Type::Failure as i32),
                failure: Some(scheduler::event::Failure {
                    agent_id: agent_id.clone(),
                    executor_id: None,
                    status: None,
                }),
                ..Default::default()
            });
        }
        if let Some(record) = self.agent_mut(msg.agent) {
            record.used = crate::resources::Resources::new();
        }
        self.schedule_allocation(ctx);
    }
}
