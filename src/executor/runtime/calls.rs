//! How [`ExecutorRuntime`] records updates and sends calls: one at a time, in order,
//! retried on the same connection, carried by the next SUBSCRIBE otherwise.

use super::{Conn, ExecutorRuntime, OutCall};
use crate::executor::events::AgentErrorKind;
use crate::executor::handle::{MessageError, StatusUpdate};
use crate::executor::wire::{self, CallFailure};
use crate::proto::{TaskStatus, now_seconds, task_status};
use actix::prelude::*;

impl ExecutorRuntime {
    /// Records an update in the books and queues it when subscribed; returns its uuid.
    pub(super) fn record_update(&mut self, update: StatusUpdate) -> Vec<u8> {
        let uuid = crate::proto::new_uuid_bytes();
        let status = TaskStatus {
            task_id: update.task_id,
            state: update.state as i32,
            message: update.message,
            source: Some(task_status::Source::Executor as i32),
            reason: update.reason.map(|r| r as i32),
            data: update.data,
            agent_id: self.agent_id.clone(),
            executor_id: Some(self.env.executor_id.clone()),
            timestamp: Some(now_seconds()),
            uuid: Some(uuid.clone()),
            healthy: update.healthy,
            labels: update.labels,
            ..Default::default()
        };
        self.ledger.record(status);
        if matches!(self.conn, Conn::Subscribed) {
            self.outbox.push_back(OutCall::Update(uuid.clone()));
        }
        uuid
    }

    /// Sends the next queued call unless one is in flight (calls go out in order).
    pub(super) fn pump(&mut self, ctx: &mut Context<Self>) {
        if self.call_in_flight == Some(self.generation)
            || self.pump_paused
            || !matches!(self.conn, Conn::Subscribed)
        {
            return;
        }
        while let Some(out) = self.outbox.pop_front() {
            let call = match &out {
                OutCall::Update(uuid) => match self.ledger.update(uuid) {
                    Some(status) => wire::update(&self.env, status.clone()),
                    None => continue, // acknowledged meanwhile
                },
                OutCall::Message(data, _) => wire::message(&self.env, data.clone()),
                OutCall::Heartbeat => wire::heartbeat(&self.env),
            };
            let generation = self.generation;
            self.call_in_flight = Some(generation);
            let fut = wire::send_call(self.call_client.clone(), self.env.clone(), call);
            ctx.spawn(fut.into_actor(self).map(move |result, act, ctx| {
                if act.call_in_flight == Some(generation) {
                    act.call_in_flight = None;
                }
                act.on_call_done(generation, out, result, ctx);
                act.pump(ctx);
                act.check_shutdown_done(ctx);
            }));
            return;
        }
    }

    pub(super) fn on_call_done(
        &mut self,
        generation: u64,
        out: OutCall,
        result: Result<(), CallFailure>,
        ctx: &mut Context<Self>,
    ) {
        let failure = match result {
            Ok(()) => {
                if let OutCall::Message(_, Some(tx)) = out {
                    let _ = tx.send(Ok(()));
                }
                return;
            }
            Err(f) => f,
        };
        let same_connection =
            generation == self.generation && matches!(self.conn, Conn::Subscribed);
        if failure.retryable() {
            tracing::info!(%failure, "call failed; will retry");
            match out {
                OutCall::Heartbeat => {}
                // A new SUBSCRIBE carries the update; on the same connection, retry it.
                OutCall::Update(_) if !same_connection => {}
                out => {
                    if matches!(self.conn, Conn::Offline) {
                        if let OutCall::Message(_, Some(tx)) = out {
                            let _ = tx.send(Err(MessageError::Stopped));
                        }
                        return;
                    }
                    self.outbox.push_front(out);
                    self.pump_paused = true;
                    ctx.run_later(self.settings.call_retry_delay, |act, ctx| {
                        act.pump_paused = false;
                        act.pump(ctx);
                    });
                }
            }
            return;
        }
        match out {
            OutCall::Update(uuid) => {
                if let Some(status) = self.ledger.drop_update(&uuid) {
                    self.report(
                        AgentErrorKind::UpdateRejected,
                        format!(
                            "agent refused the update of task {}: {failure}",
                            status.task_id
                        ),
                    );
                }
            }
            OutCall::Message(_, tx) => {
                if let (Some(tx), CallFailure::Status { status, body }) = (tx, &failure) {
                    let _ = tx.send(Err(MessageError::Rejected {
                        status: *status,
                        body: body.clone(),
                    }));
                }
            }
            OutCall::Heartbeat => tracing::info!(%failure, "HEARTBEAT call refused"),
        }
    }
}
