//! The agent's side of the executor API: SUBSCRIBE (stream), UPDATE, MESSAGE, HEARTBEAT.
//! Stateless validation (content type, body, uuid rules) happens in the HTTP layer; this
//! file checks what needs the agent's state.

use super::{LocalAgent, StreamClosed};
use crate::codec::Encoding;
use crate::local::master::ExecutorMessage;
use crate::local::wire::{ApiError, EventStream, event_stream};
use crate::proto::executor;
use actix::prelude::*;

/// HTTP front → agent: a validated executor call.
#[derive(Message, Debug)]
#[rtype(result = "Result<ExecutorReply, ApiError>")]
pub struct ExecutorApiCall {
    /// The call.
    pub call: executor::Call,
    /// Response encoding for SUBSCRIBE (from `Accept`).
    pub accept: Encoding,
}

/// The agent's answer to an executor call.
#[derive(Debug)]
pub enum ExecutorReply {
    /// 202 Accepted.
    Accepted,
    /// 200 with this event stream (SUBSCRIBE).
    Stream(EventStream),
}

/// HTTP front → agent: how well does this agent match an executor call on the plain
/// `/api/v1/executor` path? 0: it does not run that executor; 1: it does; 2: it does and the
/// call fits it best (a SUBSCRIBE of a not yet subscribed executor, an UPDATE of a task it
/// runs). Disambiguates one executor id used by a framework on several agents.
#[derive(Message, Debug)]
#[rtype(result = "u8")]
pub struct HasExecutor {
    /// Framework id.
    pub framework_id: String,
    /// Executor id.
    pub executor_id: String,
    /// The call's type.
    pub kind: executor::call::Type,
    /// The task an UPDATE is about.
    pub task_id: Option<String>,
}

impl Handler<HasExecutor> for LocalAgent {
    type Result = u8;
    fn handle(&mut self, msg: HasExecutor, _: &mut Self::Context) -> u8 {
        let Some(ex) = self.executors.get(&(msg.framework_id, msg.executor_id)) else {
            return 0;
        };
        let best = match msg.kind {
            executor::call::Type::Subscribe => ex.subscriber.is_none(),
            executor::call::Type::Update => msg
                .task_id
                .is_some_and(|t| ex.tasks.contains_key(&t) || ex.states.contains_key(&t)),
            _ => ex.subscriber.is_some(),
        };
        if best { 2 } else { 1 }
    }
}

impl Handler<ExecutorApiCall> for LocalAgent {
    type Result = Result<ExecutorReply, ApiError>;

    fn handle(&mut self, msg: ExecutorApiCall, ctx: &mut Self::Context) -> Self::Result {
        if self.unavailable() {
            return Err(ApiError::new(503, "Agent has not finished recovery"));
        }
        let call = msg.call;
        let fw = call.framework_id.value.clone();
        let exec = call.executor_id.value.clone();
        if !self.frameworks.contains_key(&fw) {
            return Err(ApiError::bad_request("Framework cannot be found"));
        }
        let key = (fw.clone(), exec.clone());
        if !self.executors.contains_key(&key) {
            return Err(ApiError::bad_request("Executor cannot be found"));
        }
        match call.r#type() {
            executor::call::Type::Subscribe => {
                let sub = call.subscribe.unwrap_or_default();
                Ok(ExecutorReply::Stream(
                    self.subscribe(key, sub, msg.accept, ctx),
                ))
            }
            executor::call::Type::Update => {
                let subscribed = self
                    .executors
                    .get(&key)
                    .is_some_and(|e| e.subscriber.is_some());
                if !subscribed {
                    return Err(ApiError::forbidden("Executor is not subscribed"));
                }
                let status = call.update.map(|u| u.status).unwrap_or_default();
                let ack = acknowledged(&status);
                self.handle_update(&fw, &exec, status);
                self.send_to_executor(&fw, &exec, &ack);
                Ok(ExecutorReply::Accepted)
            }
            executor::call::Type::Message => {
                let subscribed = self
                    .executors
                    .get(&key)
                    .is_some_and(|e| e.subscriber.is_some());
                if !subscribed {
                    return Err(ApiError::forbidden("Executor is not subscribed"));
                }
                self.master.do_send(ExecutorMessage {
                    agent: self.index,
                    framework_id: fw,
                    executor_id: exec,
                    data: call.message.map(|m| m.data).unwrap_or_default(),
                });
                Ok(ExecutorReply::Accepted)
            }
            executor::call::Type::Heartbeat => Ok(ExecutorReply::Accepted),
            executor::call::Type::Unknown => Err(ApiError::new(501, "")),
        }
    }
}

impl LocalAgent {
    fn subscribe(
        &mut self,
        key: (String, String),
        sub: executor::call::Subscribe,
        accept: Encoding,
        ctx: &mut Context<Self>,
    ) -> EventStream {
        let (subscriber, stream, closed) = event_stream(accept);
        let framework_info = self.frameworks.get(&key.0).cloned().unwrap_or_default();
        let agent_info = self.info.clone();
        let Some(ex) = self.executors.get_mut(&key) else {
            return stream;
        };
        ex.generation += 1;
        let resubscribed = ex.subscribed_once;
        ex.subscribed_once = true;
        let generation = ex.generation;
        // A second SUBSCRIBE closes the previous stream (dropping its sender).
        ex.subscriber = Some(subscriber.clone());
        subscriber.send(&executor::Event {
            r#type: Some(executor::event::Type::Subscribed as i32),
            subscribed: Some(executor::event::Subscribed {
                executor_info: ex.info.clone(),
                framework_info,
                agent_info,
                container_id: Some(ex.container_id.as_str().into()),
            }),
            ..Default::default()
        });
        let shutting_down = ex.shutting_down;
        let queued = std::mem::take(&mut ex.queued);
        let (fw, exec) = key.clone();
        ctx.spawn(
            async move {
                let _ = closed.await;
            }
            .into_actor(self)
            .map(move |_, _, ctx| {
                ctx.notify(StreamClosed {
                    framework_id: fw,
                    executor_id: exec,
                    generation,
                })
            }),
        );
        // Updates the executor never got a receipt for: process again (duplicates ignored)
        // and give the receipt, so the executor stops carrying them.
        for update in sub.unacknowledged_updates {
            let ack = acknowledged(&update.status);
            self.handle_update(&key.0, &key.1, update.status);
            subscriber.send(&ack);
        }
        if resubscribed {
            self.drop_unknown_launches(&key, &sub.unacknowledged_tasks);
        }
        if shutting_down {
            subscriber.send(&executor::Event {
                r#type: Some(executor::event::Type::Shutdown as i32),
                ..Default::default()
            });
        } else {
            for pending in queued {
                self.deliver(&key, pending);
            }
        }
        stream
    }
}

impl LocalAgent {
    /// Tasks handed to the executor that it does not know after re-subscribing (still
    /// STAGING here, not among its `unacknowledged_tasks`): their LAUNCH was lost with the
    /// old connection. As Mesos, they end TASK_DROPPED (PARTITION_AWARE) or TASK_LOST with
    /// REASON_AGENT_RESTARTED; they are never launched again under the same id.
    fn drop_unknown_launches(&mut self, key: &(String, String), known: &[crate::proto::TaskInfo]) {
        use crate::proto::{TaskState, framework_info::capability::Type as Cap};
        let partition_aware = self
            .frameworks
            .get(&key.0)
            .is_some_and(|f| f.has_capability(Cap::PartitionAware));
        let Some(ex) = self.executors.get(key) else {
            return;
        };
        let lost: Vec<_> = ex
            .tasks
            .values()
            .filter(|t| ex.states.get(&t.task_id.value) == Some(&TaskState::TaskStaging))
            .filter(|t| !known.iter().any(|k| k.task_id == t.task_id))
            .map(|t| t.task_id.clone())
            .collect();
        let state = if partition_aware {
            TaskState::TaskDropped
        } else {
            TaskState::TaskLost
        };
        for task_id in lost {
            tracing::warn!(task = %task_id.value, "executor re-subscribed without the task: its launch was lost");
            let mut status = crate::local::wire::executor_status(
                &task_id,
                state,
                crate::proto::task_status::Source::Agent,
                Some("Task launched during agent restart".into()),
            );
            status.reason = Some(crate::proto::task_status::Reason::AgentRestarted as i32);
            self.handle_update(&key.0, &key.1, status);
        }
    }
}

/// The agent's receipt for an executor's status update.
fn acknowledged(status: &crate::proto::TaskStatus) -> executor::Event {
    executor::Event {
        r#type: Some(executor::event::Type::Acknowledged as i32),
        acknowledged: Some(executor::event::Acknowledged {
            task_id: status.task_id.clone(),
            uuid: status.uuid.clone().unwrap_or_default(),
        }),
        ..Default::default()
    }
}
