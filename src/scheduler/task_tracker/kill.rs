//! Kills: a pending task is dequeued and reported TASK_KILLED, a launched one gets a KILL
//! call with its spec's kill policy, one caught between the two is killed once launched.
//! Also where the matcher's [`LaunchedAll`] lands, since a kill may be waiting for it.

use super::delivery::Delivery;
use super::{KillError, KillTask, Launched, LaunchedAll, TaskTracker};
use crate::proto::{TaskState, TaskStatus, task_status};
use crate::scheduler::calls;
use crate::scheduler::events::TaskUpdate;
use crate::scheduler::master_connection::{CallError, SendCall};
use crate::scheduler::offer_matcher::Unplace;
use actix::prelude::*;

impl TaskTracker {
    /// Sends KILL for the current attempt of `key` (fire and forget).
    fn kill_launched(&mut self, key: u64, ctx: &mut Context<Self>) {
        if let Some(r) = self.records.get(&key) {
            let call = calls::kill(r.task_id.clone(), r.agent(), r.spec.kill_grace_period);
            self.fire(ctx, call, "KILL");
        }
    }

    /// Reports a task killed before it was launched, as a master would.
    pub(super) fn killed_while_pending(&mut self, key: u64, attempt: u32, ctx: &mut Context<Self>) {
        let Some(r) = self.records.get_mut(&key) else {
            return;
        };
        if r.attempt != attempt || r.is_final {
            return;
        }
        r.killed_before_launch();
        self.metrics
            .task_state(TaskState::TaskStaging, TaskState::TaskKilled);
        let status = TaskStatus {
            task_id: r.task_id.clone(),
            state: TaskState::TaskKilled as i32,
            message: Some("Killed before it was launched".into()),
            source: Some(task_status::Source::Master as i32),
            reason: Some(task_status::Reason::TaskKilledDuringLaunch as i32),
            timestamp: Some(crate::proto::now_seconds()),
            ..Default::default()
        };
        let update = TaskUpdate {
            name: r.name.to_string(),
            task_id: r.task_id.clone(),
            state: TaskState::TaskKilled,
            reason: crate::scheduler::events::reason_of(&status),
            status,
            attempt,
            is_final: true,
        };
        self.closed();
        self.enqueue(
            Delivery {
                update: Some(update),
                ack: None,
            },
            ctx,
        );
    }
}

impl Handler<LaunchedAll> for TaskTracker {
    type Result = ();

    fn handle(&mut self, LaunchedAll(tasks): LaunchedAll, ctx: &mut Context<Self>) {
        for task in tasks {
            self.launched(task, ctx);
        }
    }
}

impl TaskTracker {
    /// One task of a [`LaunchedAll`]: the record learns where it runs (and is killed
    /// now if a kill was waiting for the launch).
    pub(super) fn launched(&mut self, msg: Launched, ctx: &mut Context<Self>) {
        // The current attempt's record, found with one lookup (its id names its key).
        let current = super::record::own_key(&msg.task_id.value, self.nonce)
            .and_then(|(key, _)| Some((key, self.records.get_mut(&key)?)))
            .filter(|(_, r)| r.task_id == msg.task_id && !r.is_final);
        let Some((key, r)) = current else {
            if self.key_of(&msg.task_id).is_none() {
                tracing::warn!(task_id = %msg.task_id, "launch of a task this tracker does not know");
            } else {
                tracing::warn!(task_id = %msg.task_id, "launch of a replaced or final attempt");
            }
            return;
        };
        r.launched = true;
        r.set_launch(msg.agent_id, msg.hostname, msg.executor_id);
        if r.kill_requested {
            tracing::info!(task_id = %msg.task_id, "launched after a kill request: killing");
            self.kill_launched(key, ctx);
        }
    }
}

impl Handler<KillTask> for TaskTracker {
    type Result = ResponseActFuture<Self, Result<(), KillError>>;

    fn handle(&mut self, KillTask(id): KillTask, _: &mut Context<Self>) -> Self::Result {
        let Some((key, r)) = self
            .key_of(&id)
            .and_then(|key| self.records.get_mut(&key).map(|r| (key, r)))
        else {
            return Box::pin(fut::ready(Err(KillError::UnknownTask(id.value))));
        };
        if r.is_final {
            return Box::pin(fut::ready(Err(KillError::AlreadyTerminal(id.value))));
        }
        r.kill_requested = true;
        tracing::info!(task_id = %r.task_id, launched = r.launched, "killing task");
        if r.launched {
            let call = calls::kill(r.task_id.clone(), r.agent(), r.spec.kill_grace_period);
            let send = self.calls.send(SendCall(call));
            return Box::pin(fut::wrap_future(async move {
                match send.await {
                    Ok(result) => result.map_err(KillError::Call),
                    Err(_) => Err(KillError::Call(CallError::Stopped)),
                }
            }));
        }
        let attempt = r.attempt;
        let unplace = self.unplace.send(Unplace(r.task_id.clone()));
        Box::pin(
            unplace
                .into_actor(self)
                .map(move |result, act, ctx| match result {
                    Ok(true) => {
                        act.killed_while_pending(key, attempt, ctx);
                        Ok(())
                    }
                    Ok(false) => {
                        // Already in an ACCEPT: KILL now if we know where, else on Launched.
                        if act
                            .records
                            .get(&key)
                            .is_some_and(|r| r.attempt == attempt && r.launched && !r.is_final)
                        {
                            act.kill_launched(key, ctx);
                        }
                        Ok(())
                    }
                    Err(_) => Err(KillError::Call(CallError::Stopped)),
                }),
        )
    }
}
