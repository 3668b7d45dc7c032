//! Scheduler calls other than SUBSCRIBE and ACCEPT: the framework / stream checks, then
//! DECLINE, REVIVE, SUPPRESS, KILL, SHUTDOWN, ACKNOWLEDGE, RECONCILE, MESSAGE, TEARDOWN,
//! REQUEST, UPDATE_FRAMEWORK and the inverse-offer / operation calls.

use super::{LocalMaster, SchedulerReply, SchedulerRequest};
use crate::local::agent::{Acknowledge, KillTask, MessageToExecutor, ShutdownExecutor};
use crate::local::allocator::refuse_duration;
use crate::local::wire::{ApiError, master_status};
use crate::proto::{
    TaskState, TaskStatus, framework_info::capability::Type as Cap, scheduler,
    scheduler::call::Type, task_status::Reason,
};
use actix::prelude::*;

impl LocalMaster {
    pub(super) fn call(
        &mut self,
        msg: SchedulerRequest,
        ctx: &mut Context<Self>,
    ) -> Result<SchedulerReply, ApiError> {
        let call = msg.call;
        let id = call
            .framework_id
            .as_ref()
            .map(|f| f.value.clone())
            .ok_or_else(|| ApiError::bad_request("Expecting 'framework_id' to be present"))?;
        let kind = call.r#type();
        if kind == Type::UpdateFramework && self.removed.contains(&id) {
            return Err(ApiError::new(409, "Framework has been removed"));
        }
        let fw = self
            .frameworks
            .get(&id)
            .ok_or_else(|| ApiError::bad_request("Framework cannot be found"))?;
        if let Some(p) = &msg.principal {
            if fw.info.principal.as_deref() != Some(p.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "Authenticated principal '{p}' does not match principal '{}' set in `FrameworkInfo`",
                    fw.info.principal.clone().unwrap_or_default()
                )));
            }
        }
        if !fw.connected() {
            return Err(ApiError::forbidden("Framework is not subscribed"));
        }
        let Some(stream_id) = msg.stream_id else {
            return Err(ApiError::bad_request(
                "All non-subscribe calls should include the 'Mesos-Stream-Id' header",
            ));
        };
        if fw.stream_id.as_deref() != Some(stream_id.as_str()) {
            return Err(ApiError::bad_request(format!(
                "The stream ID '{stream_id}' included in this request didn't match the stream ID currently associated with framework ID {id}"
            )));
        }
        match kind {
            Type::Accept => {
                if let Some(accept) = call.accept {
                    self.accept(&id, accept, ctx);
                }
            }
            Type::Decline => {
                if let Some(d) = call.decline {
                    self.decline(&id, &d.offer_ids, d.filters.as_ref());
                    self.schedule_allocation(ctx);
                }
            }
            Type::Revive => {
                self.allocator.clear_filters(&id);
                if let Some(fw) = self.frameworks.get_mut(&id) {
                    fw.suppressed = false;
                }
                self.schedule_allocation(ctx);
            }
            Type::Suppress => {
                if let Some(fw) = self.frameworks.get_mut(&id) {
                    fw.suppressed = true;
                }
            }
            Type::Kill => {
                if let Some(kill) = call.kill {
                    self.kill(&id, kill, ctx);
                }
            }
            Type::Shutdown => {
                if let Some(s) = call.shutdown {
                    if let Some(agent) = self
                        .agent_index(&s.agent_id.value)
                        .and_then(|i| self.agent(i))
                    {
                        agent.addr.do_send(ShutdownExecutor {
                            framework_id: id.clone(),
                            executor_id: s.executor_id.value,
                        });
                    }
                }
            }
            Type::Acknowledge => {
                if let Some(ack) = call.acknowledge {
                    if let Some(agent) = self
                        .agent_index(&ack.agent_id.value)
                        .and_then(|i| self.agent(i))
                    {
                        agent.addr.do_send(Acknowledge {
                            framework_id: id.clone(),
                            task_id: ack.task_id.value,
                            uuid: ack.uuid,
                        });
                    }
                }
            }
            Type::Reconcile => {
                let tasks = call.reconcile.map(|r| r.tasks).unwrap_or_default();
                self.reconcile(&id, tasks);
            }
            Type::Message => {
                if let Some(m) = call.message {
                    if let Some(agent) = self
                        .agent_index(&m.agent_id.value)
                        .and_then(|i| self.agent(i))
                    {
                        agent.addr.do_send(MessageToExecutor {
                            framework_id: id.clone(),
                            executor_id: m.executor_id.value,
                            data: m.data,
                        });
                    }
                }
            }
            Type::Teardown => {
                tracing::info!(framework = %id, "TEARDOWN");
                self.remove_framework(&id, ctx);
            }
            Type::UpdateFramework => return self.update_framework(&id, call.update_framework, ctx),
            Type::Request
            | Type::AcceptInverseOffers
            | Type::DeclineInverseOffers
            | Type::AcknowledgeOperationStatus
            | Type::ReconcileOperations => {}
            Type::Subscribe | Type::Unknown => {
                return Err(ApiError::bad_request("Unexpected call type"));
            }
        }
        Ok(SchedulerReply::Accepted)
    }

    /// DECLINE (and ACCEPT's unused remainder): the offers' resources come back, filtered
    /// from this framework for `refuse_seconds`.
    pub(super) fn decline(
        &mut self,
        framework_id: &str,
        offer_ids: &[crate::proto::OfferId],
        filters: Option<&crate::proto::Filters>,
    ) {
        let refuse = refuse_duration(filters);
        for offer_id in offer_ids {
            let owned = self
                .offers
                .get(&offer_id.value)
                .is_some_and(|o| o.framework_id == framework_id);
            if !owned {
                continue;
            }
            if let Some(record) = self.remove_offer(&offer_id.value) {
                self.allocator
                    .add_filter(framework_id, record.agent, record.resources, refuse);
            }
        }
    }

    fn kill(&mut self, id: &str, kill: scheduler::call::Kill, ctx: &mut Context<Self>) {
        let task = self
            .frameworks
            .get(id)
            .and_then(|f| f.tasks.get(&kill.task_id.value))
            .map(|t| t.agent);
        match task.and_then(|a| self.agent(a)) {
            Some(agent) => {
                let request = KillTask {
                    framework_id: id.to_string(),
                    task_id: kill.task_id.value.clone(),
                    kill_policy: kill.kill_policy,
                };
                agent.addr.do_send(request);
            }
            None => {
                // Unknown to the master: answer as reconciliation does.
                self.reconcile(
                    id,
                    vec![scheduler::call::reconcile::Task {
                        task_id: kill.task_id,
                        agent_id: kill.agent_id,
                    }],
                );
            }
        }
        let _ = ctx;
    }

    /// RECONCILE: explicit (listed tasks) or implicit (empty list: every known task).
    pub(super) fn reconcile(&mut self, id: &str, tasks: Vec<scheduler::call::reconcile::Task>) {
        let Some(fw) = self.frameworks.get(id) else {
            return;
        };
        let partition_aware = fw.has(Cap::PartitionAware);
        let latest =
            |t: &super::TaskRecord, agent_id: Option<crate::proto::AgentId>| -> TaskStatus {
                master_status(
                    &t.info.task_id,
                    t.state,
                    Reason::Reconciliation,
                    "Reconciliation: Latest task state",
                    agent_id,
                    Some(t.executor_id.as_str().into()),
                )
            };
        let mut answers = Vec::new();
        if tasks.is_empty() {
            for t in fw.tasks.values() {
                let agent_id = self.agent(t.agent).and_then(|a| a.info.id.clone());
                answers.push(latest(t, agent_id));
            }
        } else {
            for req in tasks {
                if let Some(t) = fw.tasks.get(&req.task_id.value) {
                    let agent_id = self.agent(t.agent).and_then(|a| a.info.id.clone());
                    answers.push(latest(t, agent_id));
                    continue;
                }
                let named = req
                    .agent_id
                    .as_ref()
                    .and_then(|a| self.agent_index(&a.value));
                // An agent not re-registered since a master restart may still report the
                // task: Mesos answers nothing until it does.
                let awaiting = match (&req.agent_id, named) {
                    (Some(_), index) => index
                        .and_then(|i| self.agent(i))
                        .is_some_and(|a| a.recovered),
                    (None, _) => self.agents.iter().any(|a| a.recovered),
                };
                if awaiting {
                    continue;
                }
                let known_agent = named.is_some();
                let (state, message) = match (known_agent, partition_aware) {
                    (_, false) => (TaskState::TaskLost, "Reconciliation: Task is unknown"),
                    (true, true) => (
                        TaskState::TaskGone,
                        "Reconciliation: Task is unknown to the agent",
                    ),
                    (false, true) => (TaskState::TaskUnknown, "Reconciliation: Task is unknown"),
                };
                answers.push(master_status(
                    &req.task_id,
                    state,
                    Reason::Reconciliation,
                    message,
                    req.agent_id,
                    None,
                ));
            }
        }
        for status in answers {
            fw.send(&scheduler::Event {
                r#type: Some(scheduler::event::Type::Update as i32),
                update: Some(scheduler::event::Update { status }),
                ..Default::default()
            });
        }
    }

    fn update_framework(
        &mut self,
        id: &str,
        update: Option<scheduler::call::UpdateFramework>,
        ctx: &mut Context<Self>,
    ) -> Result<SchedulerReply, ApiError> {
        let update = update
            .ok_or_else(|| ApiError::bad_request("Expecting 'update_framework' to be present"))?;
        let info = update.framework_info;
        if info.id.as_ref().map(|i| i.value.as_str()) != Some(id) {
            return Err(ApiError::bad_request(
                "'framework_id' differs from 'update_framework.framework_info.id'",
            ));
        }
        let Some(fw) = self.frameworks.get_mut(id) else {
            return Err(ApiError::new(409, "Framework has been removed"));
        };
        if fw.info.principal != info.principal
            || fw.info.user != info.user
            || fw.info.checkpoint != info.checkpoint
        {
            return Err(ApiError::bad_request(
                "Updating 'FrameworkInfo.principal', 'user' or 'checkpoint' is unsupported",
            ));
        }
        let roles_changed = fw.info.roles != info.roles;
        fw.info = info;
        fw.suppressed = !update.suppressed_roles.is_empty();
        if roles_changed {
            self.rescind_offers(id);
        }
        self.schedule_allocation(ctx);
        Ok(SchedulerReply::Ok)
    }
}
