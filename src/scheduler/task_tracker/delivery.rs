//! The tracker's outbox: updates go to the user's recipients strictly in order, one at a
//! time, and each update's ACKNOWLEDGE is sent only once every recipient has handled it.

use super::{Quiesced, TaskTracker};
use crate::proto::TaskStatus;
use crate::proto::scheduler::Call;
use crate::scheduler::calls::OutCall;
use crate::scheduler::events::TaskUpdate;
use crate::scheduler::master_connection::{CallError, SendCall, SendEncoded};
use crate::scheduler::resume::{Resume, await_then};
use actix::prelude::*;
use futures_util::future::join_all;
use std::future::Future;
use std::pin::Pin;

/// One entry of the outbox.
#[derive(Debug)]
pub(crate) struct Delivery {
    /// The update for the user, if any (duplicates and foreign tasks have none).
    pub update: Option<TaskUpdate>,
    /// The ACKNOWLEDGE to send once the update is delivered, if the status had a uuid.
    pub ack: Option<OutCall>,
}

impl TaskTracker {
    /// Queues a delivery and starts the pump if it is idle.
    pub(crate) fn enqueue(&mut self, delivery: Delivery, ctx: &mut Context<Self>) {
        if delivery.update.is_none() && delivery.ack.is_none() {
            return;
        }
        if delivery.update.is_some() {
            self.undelivered += 1;
            self.metrics.delivery_queued();
        }
        self.outbox.push_back(delivery);
        self.pump(ctx);
    }

    /// Whether `status` must wait: the outbox holds `max_queued_updates` entries and the
    /// status has a uuid, so leaving it unacknowledged makes Mesos send it again later.
    /// Statuses without a uuid (reconciliation answers, which are never resent) are always
    /// queued; reconciliation bounds how many of those come at once.
    pub(crate) fn delivery_queue_full(&mut self, status: &TaskStatus) -> bool {
        let has_uuid = status.uuid.as_deref().is_some_and(|u| !u.is_empty());
        if !has_uuid || self.outbox.len() < self.retention.limits().max_queued_updates {
            return false;
        }
        if self.refused_updates == 0 {
            tracing::warn!(
                queued = self.outbox.len(),
                "user recipients are behind: further task updates are left unacknowledged until the queue drains (Mesos resends them)"
            );
        }
        self.refused_updates += 1;
        tracing::debug!(task_id = %status.task_id, "delivery queue full: update left unacknowledged");
        true
    }

    /// Delivers the head of the outbox, then (on completion) acknowledges and moves on.
    fn pump(&mut self, ctx: &mut Context<Self>) {
        if self.delivering {
            return;
        }
        let Some(Delivery { update, ack }) = self.outbox.pop_front() else {
            return;
        };
        self.delivering = true;
        let had_update = update.is_some();
        // A final update's record is retired once delivered (tracked tasks only).
        let retire = update
            .as_ref()
            .filter(|u| u.is_final)
            .and_then(|u| self.key_of(&u.task_id));
        // The sends are made here (the last recipient gets the update itself, not a copy);
        // the future only waits for them.
        let sends = update.map(|update| {
            let task_id = update.task_id.clone();
            let mut sends = Vec::with_capacity(self.updates.len());
            if let Some((last, others)) = self.updates.split_last() {
                sends.extend(others.iter().map(|u| u.send(update.clone())));
                sends.push(last.send(update));
            }
            (task_id, sends)
        });
        let deliver = async move {
            if let Some((task_id, sends)) = sends {
                for result in join_all(sends).await {
                    if let Err(e) = result {
                        tracing::warn!(
                            task_id = %task_id,
                            error = %e,
                            "a user recipient did not take a task update"
                        );
                    }
                }
            }
            ack
        };
        ctx.spawn(deliver.into_actor(self).map(move |ack, act, ctx| {
            act.delivering = false;
            if had_update {
                act.undelivered = act.undelivered.saturating_sub(1);
                act.metrics.delivery_done();
            }
            if let Some(ack) = ack {
                act.fire_out(ctx, ack, "ACKNOWLEDGE");
            }
            if let Some(key) = retire {
                act.retire(key, ctx);
            }
            if act.refused_updates > 0 && act.outbox.is_empty() {
                tracing::info!(
                    refused = act.refused_updates,
                    "delivery queue drained: updates are queued again"
                );
                act.refused_updates = 0;
            }
            act.check_finished();
            act.pump(ctx);
            act.check_quiet();
        }));
    }

    /// Whether nothing is being delivered or waiting for a call's answer.
    fn is_quiet(&self) -> bool {
        self.outbox.is_empty() && !self.delivering && self.calls_in_flight == 0
    }

    /// Wakes the [`Quiesced`] waiters once the tracker is quiet.
    fn check_quiet(&mut self) {
        if self.is_quiet() {
            for waiter in self.quiet_waiters.drain(..) {
                let _ = waiter.send(());
            }
        }
    }

    /// Sends a call without waiting for the caller; failures are logged (a call refused
    /// while not subscribed is expected: Mesos resends un-acked updates, and the
    /// reconciliation after the next subscription covers the rest). Counted in flight
    /// until answered (see [`Quiesced`]).
    pub(crate) fn fire(&mut self, ctx: &mut Context<Self>, call: Call, what: &'static str) {
        self.fire_out(ctx, OutCall::from(call), what);
    }

    /// [`TaskTracker::fire`] for a call that may be built as bytes already (sent as such
    /// when the tracker has a recipient for them, else as a message).
    pub(crate) fn fire_out(&mut self, ctx: &mut Context<Self>, call: OutCall, what: &'static str) {
        type Sent = Pin<Box<dyn Future<Output = Result<Result<(), CallError>, MailboxError>>>>;
        let send: Sent = match (call, &self.encoded_calls) {
            (OutCall::Encoded(e), Some(to)) => Box::pin(to.send(SendEncoded(e))),
            (OutCall::Message(m), _) => Box::pin(self.calls.send(SendCall(*m))),
            (OutCall::Encoded(e), None) => match e.decode() {
                Ok(m) => Box::pin(self.calls.send(SendCall(m))),
                Err(e) => {
                    tracing::error!(call = what, error = %e, "an encoded call does not decode");
                    return;
                }
            },
        };
        self.calls_in_flight += 1;
        let answered = async move {
            match send.await {
                Ok(Ok(())) => {}
                Ok(Err(CallError::NotSubscribed)) => {
                    tracing::debug!(call = what, "call not sent: not subscribed");
                }
                // Refused by the closed gate of a shutdown: after TEARDOWN Mesos needs
                // no more answers, and after a failover it resends what is unanswered.
                Ok(Err(CallError::Stopped)) => {
                    tracing::debug!(call = what, "call not sent: the runtime is stopping");
                }
                Ok(Err(e)) => tracing::warn!(call = what, error = %e, "call failed"),
                Err(e) => tracing::warn!(call = what, error = %e, "connection actor gone"),
            }
        };
        await_then(ctx, answered, |act: &mut Self, (), _| {
            act.calls_in_flight = act.calls_in_flight.saturating_sub(1);
            act.check_quiet();
        });
    }
}

impl Handler<Resume<Self>> for TaskTracker {
    type Result = ();

    fn handle(&mut self, resume: Resume<Self>, ctx: &mut Context<Self>) {
        resume.run(self, ctx);
    }
}

impl Handler<Quiesced> for TaskTracker {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: Quiesced, _: &mut Context<Self>) -> Self::Result {
        if self.is_quiet() {
            return Box::pin(async {});
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.quiet_waiters.push(tx);
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}
