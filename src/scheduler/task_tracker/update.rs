//! A status update from Mesos: its record's state machine, duplicates, retries and the
//! delivery to the user (see the module docs of [`TaskTracker`]).

use super::delivery::Delivery;
use super::record::Outcome;
use super::{TaskTracker, UpdateReceived, adopt, requeue};
use crate::proto::TaskState;
use crate::scheduler::calls;
use crate::scheduler::events::TaskUpdate;
use actix::prelude::*;

impl Handler<UpdateReceived> for TaskTracker {
    type Result = ();

    fn handle(&mut self, UpdateReceived(status): UpdateReceived, ctx: &mut Context<Self>) {
        if self.delivery_queue_full(&status) {
            return;
        }
        let ack = self.ack_for(&status);
        let only_ack = |ack| Delivery { update: None, ack };
        let Ok(state) = TaskState::try_from(status.state) else {
            tracing::warn!(task_id = %status.task_id, state = status.state, "update with an unknown state");
            return self.enqueue(only_ack(ack), ctx);
        };
        let Some(key) = self.key_of(&status.task_id).or_else(|| self.adopt(&status)) else {
            if self.deliver_untracked {
                // Raw mode: the user launched this task itself; it gets every update.
                let update = TaskUpdate {
                    name: status.task_id.value.clone(),
                    task_id: status.task_id.clone(),
                    state,
                    reason: crate::scheduler::events::reason_of(&status),
                    attempt: 0,
                    is_final: state.is_terminal(),
                    status,
                };
                return self.enqueue(
                    Delivery {
                        update: Some(update),
                        ack,
                    },
                    ctx,
                );
            }
            tracing::info!(task_id = %status.task_id, ?state, "update for a task this tracker does not know");
            return self.enqueue(only_ack(ack), ctx);
        };
        let Some(r) = self.records.get_mut(&key) else {
            return self.enqueue(only_ack(ack), ctx);
        };
        if r.task_id != status.task_id {
            // An earlier attempt, already replaced. If it is alive again (a partitioned
            // agent came back), it would run twice: kill it.
            tracing::info!(task_id = %status.task_id, ?state, "update for a replaced attempt");
            if matches!(
                state,
                TaskState::TaskStaging | TaskState::TaskStarting | TaskState::TaskRunning
            ) {
                let call = calls::kill(status.task_id.clone(), status.agent_id.clone(), None);
                self.fire(ctx, call, "KILL");
            }
            return self.enqueue(only_ack(ack), ctx);
        }
        if let Some(uuid) = status.uuid.as_deref().filter(|u| !u.is_empty()) {
            if r.seen(uuid) {
                tracing::debug!(task_id = %status.task_id, "duplicate update: acknowledging again");
                return self.enqueue(only_ack(ack), ctx);
            }
            r.remember(uuid);
        }
        if r.is_final {
            tracing::info!(task_id = %status.task_id, ?state, "update after the task's final state");
            return self.enqueue(only_ack(ack), ctx);
        }
        if requeue::dropped_for_invalid_offers(r, &status) {
            self.requeue_dropped_launch(key);
            return self.enqueue(only_ack(ack), ctx);
        }
        if !self.user_reconciling && adopt::heard_again(r, state, &status, &mut self.update_seq) {
            return self.enqueue(only_ack(ack), ctx);
        }
        self.update_seq += 1;
        r.heard_seq = self.update_seq;
        r.launched = true;
        r.learn_place(status.agent_id.as_ref(), status.executor_id.as_ref());
        let from = r.state;
        let outcome = r.apply(state);
        self.metrics.task_state(from, state);
        if state.is_terminal() {
            if let Some(released) = &self.released {
                released.do_send(crate::scheduler::offer_matcher::Released(
                    status.task_id.clone(),
                ));
            }
        }
        let update = TaskUpdate {
            name: r.name.to_string(),
            task_id: status.task_id.clone(),
            state,
            reason: crate::scheduler::events::reason_of(&status),
            attempt: r.attempt,
            is_final: outcome == Outcome::Deliver { is_final: true },
            status,
        };
        tracing::debug!(task_id = %update.task_id, ?state, is_final = update.is_final, "task update");
        match outcome {
            Outcome::Deliver { is_final: true } => self.closed(),
            Outcome::Deliver { is_final: false } => {}
            Outcome::Retry => self.relaunch(key),
        }
        self.enqueue(
            Delivery {
                update: Some(update),
                ack,
            },
            ctx,
        );
    }
}
