//! How [`ExecutorRuntime`] handles each event from the agent.

use super::{Conn, ExecutorRuntime, OutCall};
use crate::executor::events::{
    Acknowledged, AgentErrorKind, Kill, Launch, LaunchGroup, Registered, SchedulerMessage,
    ShutdownReason,
};
use crate::executor::handle::{ExecutorHandle, StatusUpdate};
use crate::proto::{TaskState, executor};
use actix::prelude::*;

impl ExecutorRuntime {
    pub(super) fn on_event(&mut self, event: executor::Event, ctx: &mut Context<Self>) {
        use executor::event::Type;
        let kind = event.r#type.and_then(|t| Type::try_from(t).ok());
        if !matches!(kind, Some(Type::Subscribed | Type::Heartbeat) | None) {
            self.malformed_streak = 0;
        }
        let handle = self.user_handle(ctx);
        match kind {
            Some(Type::Subscribed) => {
                let Some(s) = event.subscribed else {
                    return self.missing_payload("SUBSCRIBED");
                };
                self.on_subscribed(s, handle, ctx);
            }
            Some(Type::Launch) => {
                let Some(l) = event.launch else {
                    return self.missing_payload("LAUNCH");
                };
                self.on_launch(vec![l.task], None, handle);
            }
            Some(Type::LaunchGroup) => {
                let Some(g) = event.launch_group else {
                    return self.missing_payload("LAUNCH_GROUP");
                };
                let tasks = g.task_group.tasks.clone();
                self.on_launch(tasks, Some(g.task_group), handle);
            }
            Some(Type::Kill) => {
                let Some(k) = event.kill else {
                    return self.missing_payload("KILL");
                };
                if self.ledger.is_live(&k.task_id.value)
                    && !self.ledger.terminal_sent(&k.task_id.value)
                {
                    self.sinks.kill.do_send(Kill {
                        task_id: k.task_id,
                        kill_policy: k.kill_policy,
                        handle,
                    });
                } else {
                    tracing::info!(task = %k.task_id, "KILL for a task that is unknown or already ending: ignored");
                }
            }
            Some(Type::Acknowledged) => {
                let Some(a) = event.acknowledged else {
                    return self.missing_payload("ACKNOWLEDGED");
                };
                match self.ledger.acknowledge(&a.task_id.value, &a.uuid) {
                    Some(state) => {
                        tracing::debug!(task = %a.task_id, ?state, "update acknowledged");
                        let acknowledged = Acknowledged {
                            task_id: a.task_id,
                            uuid: a.uuid,
                            state,
                        };
                        for r in &self.sinks.acknowledged {
                            r.do_send(acknowledged.clone());
                        }
                        self.check_shutdown_done(ctx);
                    }
                    None => {
                        tracing::debug!(task = %a.task_id, "duplicate or unknown ACKNOWLEDGED ignored")
                    }
                }
            }
            Some(Type::Message) => {
                let Some(m) = event.message else {
                    return self.missing_payload("MESSAGE");
                };
                if self.sinks.message.is_empty() {
                    tracing::info!(
                        bytes = m.data.len(),
                        "scheduler message dropped: no recipient"
                    );
                }
                let message = SchedulerMessage {
                    data: m.data,
                    handle,
                };
                for r in &self.sinks.message {
                    r.do_send(message.clone());
                }
            }
            Some(Type::Error) => {
                let message = event.error.map(|e| e.message).unwrap_or_default();
                self.report(AgentErrorKind::ErrorEvent, message);
            }
            Some(Type::Shutdown) => self.begin_shutdown(ShutdownReason::Requested, ctx),
            Some(Type::Heartbeat) => {}
            Some(Type::Unknown) | None => tracing::debug!("event of unknown type ignored"),
        }
    }

    pub(super) fn missing_payload(&self, what: &str) {
        self.report(
            AgentErrorKind::MalformedEvent,
            format!("{what} event without its payload: ignored"),
        );
    }

    pub(super) fn on_subscribed(
        &mut self,
        s: executor::event::Subscribed,
        handle: ExecutorHandle,
        ctx: &mut Context<Self>,
    ) {
        let resubscribed = self.ever_subscribed;
        self.ever_subscribed = true;
        self.conn = Conn::Subscribed;
        self.reconnect_deadline = None;
        if let Some(id) = s.agent_info.id.clone() {
            self.agent_id = Some(id);
        }
        tracing::info!(resubscribed, agent = ?self.agent_id.as_ref().map(|a| &a.value), "subscribed");
        // Updates made after the SUBSCRIBE was built were not carried by it.
        let carried = std::mem::take(&mut self.carried);
        let late: Vec<Vec<u8>> = self
            .ledger
            .unacknowledged_updates()
            .iter()
            .filter_map(|u| u.uuid.clone())
            .filter(|u| !carried.contains(u))
            .collect();
        let messages: Vec<OutCall> = self.outbox.drain(..).collect();
        self.outbox.extend(late.into_iter().map(OutCall::Update));
        self.outbox.extend(messages);
        let registered = Registered {
            executor_info: s.executor_info,
            framework_info: s.framework_info,
            agent_info: s.agent_info,
            container_id: s.container_id,
            resubscribed,
            handle,
        };
        for r in &self.sinks.registered {
            r.do_send(registered.clone());
        }
        self.pump(ctx);
    }

    pub(super) fn on_launch(
        &mut self,
        tasks: Vec<crate::proto::TaskInfo>,
        group: Option<crate::proto::TaskGroupInfo>,
        handle: ExecutorHandle,
    ) {
        let mut fresh = Vec::new();
        for task in tasks {
            if self.ledger.launch(task.clone()) {
                fresh.push(task);
            } else {
                tracing::warn!(task = %task.task_id, "duplicate LAUNCH of a live task ignored");
            }
        }
        if fresh.is_empty() {
            return;
        }
        if self.shutdown.is_some() {
            for task in fresh {
                self.record_update(
                    StatusUpdate::new(task.task_id, TaskState::TaskKilled)
                        .message("executor is shutting down"),
                );
            }
            return;
        }
        match (group, &self.sinks.launch_group) {
            (Some(mut task_group), Some(r)) => {
                task_group.tasks = fresh;
                r.do_send(LaunchGroup { task_group, handle });
            }
            _ => {
                for task in fresh {
                    self.sinks.launch.do_send(Launch {
                        task,
                        handle: handle.clone(),
                    });
                }
            }
        }
    }
}
