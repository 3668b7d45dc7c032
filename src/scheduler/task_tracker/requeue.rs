//! What the tracker does with an [`AcceptFailed`]: a refused (or unsent) ACCEPT's tasks
//! go back to the matcher's queue under the same ids (a task the user asked to kill meanwhile
//! is reported killed instead); tasks of an ACCEPT whose outcome is unknown count as
//! launched and are reconciled. A launch the master answered 202 but then dropped for
//! invalid offers (the offer was rescinded meanwhile) goes back the same way.

use super::{AcceptFailed, TaskRecord, TaskTracker};
use crate::proto::{TaskState, TaskStatus, task_status::Reason};
use crate::scheduler::offer_matcher::Released;
use actix::prelude::*;

impl Handler<AcceptFailed> for TaskTracker {
    type Result = ();

    fn handle(&mut self, msg: AcceptFailed, ctx: &mut Context<Self>) {
        if msg.outcome_unknown {
            for launched in msg.tasks {
                self.launched(launched, ctx);
            }
            self.start_reconciliation(ctx);
            return;
        }
        let mut places = Vec::with_capacity(msg.tasks.len());
        for launched in msg.tasks {
            let Some(key) = self.key_of(&launched.task_id) else {
                continue;
            };
            let Some(r) = self.records.get_mut(&key) else {
                continue;
            };
            // Launched here means Mesos sent an update for it: it exists after all.
            if r.task_id != launched.task_id || r.is_final || r.launched {
                continue;
            }
            if r.kill_requested {
                let attempt = r.attempt;
                self.killed_while_pending(key, attempt, ctx);
                continue;
            }
            places.push(r.queued(launched.task_id));
        }
        tracing::info!(tasks = places.len(), "ACCEPT refused: tasks queued again");
        self.queue_tasks(places);
    }
}

/// Whether `status` says the master dropped the current attempt of `r` before any agent
/// saw it (TASK_LOST or TASK_DROPPED with `REASON_INVALID_OFFERS`) and it is to be queued
/// again: the user did not ask to kill it and it is not final.
pub(super) fn dropped_for_invalid_offers(r: &TaskRecord, status: &TaskStatus) -> bool {
    status.reason == Some(Reason::InvalidOffers as i32)
        && matches!(
            TaskState::try_from(status.state),
            Ok(TaskState::TaskLost | TaskState::TaskDropped)
        )
        && !r.kill_requested
        && !r.state.is_terminal()
}

impl TaskTracker {
    /// Queues the current attempt of `key` again under the same id, as for a refused
    /// ACCEPT (see [`dropped_for_invalid_offers`]); the user hears nothing of it.
    pub(super) fn requeue_dropped_launch(&mut self, key: u64) {
        let Some(r) = self.records.get_mut(&key) else {
            return;
        };
        tracing::info!(task_id = %r.task_id, "launch dropped for invalid offers: task queued again");
        r.launched = false;
        r.forget_place();
        if let Some(released) = &self.released {
            released.do_send(Released(r.task_id.clone()));
        }
        self.metrics.tasks_requeued(1);
        let task = r.queued(r.task_id.clone());
        self.queue_tasks(vec![task]);
    }
}
