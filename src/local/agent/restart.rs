//! Agent faults driven by the cluster: a restart with checkpointing (the agent goes down,
//! its executors keep running, and it recovers its checkpointed state) and the loss of the
//! agent's machine.
//!
//! While down, the agent answers executor calls `503` ("Agent has not finished recovery",
//! as a recovering Mesos agent does), so checkpointing executors keep retrying SUBSCRIBE
//! and carry their unacknowledged updates and tasks; it drops acknowledgements and
//! executor messages (the master does not reach a disconnected agent: the updates are
//! resent after recovery and acknowledged again), holds what the master asks of it and
//! what its own command tasks report, and resends nothing. On recovery it replays what it
//! held, resends the head of every status-update stream, and gives the executors that were
//! subscribed `executor_reregistration_timeout` to re-subscribe before it kills them.

use super::executor_state::{ExecutorKind, Termination};
use super::{
    KillTask, LaunchTasks, LocalAgent, ProcessExited, ShutdownExecutor, ShutdownFramework,
};
use crate::local::executor_process;
use crate::local::master::ForwardUpdate;
use crate::local::status_updates::StatusUpdateManager;
use crate::local::wire::stout_duration;
use crate::proto::framework_info::capability::Type as Capability;
use crate::proto::{TaskState, TaskStatus, task_status::Reason};
use actix::prelude::*;

/// Cluster → agent: the agent process dies. Its executors and command tasks keep running;
/// their subscriptions close.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct GoDown;

/// Cluster → agent: the agent process is back and recovers its checkpointed state.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct Recover;

/// Cluster → agent: the agent's machine is gone: every process dies with it, nothing it
/// knew is reported any more.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct Lose;

/// What a down agent keeps for when it is back, in arrival order.
#[derive(Debug)]
pub(super) enum Held {
    /// A status update of one of its command tasks (or one it generated).
    Update {
        framework_id: String,
        executor_id: String,
        status: Box<TaskStatus>,
    },
    /// A process exit it reaped while down.
    Exited(ProcessExited),
    /// Requests from the master.
    Launch(Box<LaunchTasks>),
    Kill(KillTask),
    ShutdownExecutor(ShutdownExecutor),
    ShutdownFramework(ShutdownFramework),
}

impl Handler<GoDown> for LocalAgent {
    type Result = ();
    fn handle(&mut self, _: GoDown, _: &mut Self::Context) {
        if self.down || self.lost {
            return;
        }
        tracing::info!(agent = %self.agent_id(), "agent going down; its executors keep running");
        self.down = true;
        for ex in self.executors.values_mut() {
            // Dropping the sender ends the stream; the bumped generation makes the close
            // signal stale (the recovery decides what happens to the executor).
            ex.subscriber = None;
            ex.generation += 1;
        }
    }
}

impl Handler<Recover> for LocalAgent {
    type Result = ();
    fn handle(&mut self, _: Recover, ctx: &mut Self::Context) {
        if !self.down || self.lost {
            return;
        }
        tracing::info!(agent = %self.agent_id(), "agent recovered its checkpointed state");
        self.down = false;
        for held in std::mem::take(&mut self.held) {
            match held {
                Held::Update {
                    framework_id,
                    executor_id,
                    status,
                } => self.handle_update(&framework_id, &executor_id, *status),
                Held::Exited(msg) => self.process_exited(msg, ctx),
                Held::Launch(msg) => self.launch(*msg, ctx),
                Held::Kill(msg) => {
                    self.kill_task(msg, ctx);
                }
                Held::ShutdownExecutor(msg) => {
                    self.shutdown_executor((msg.framework_id, msg.executor_id), ctx)
                }
                Held::ShutdownFramework(msg) => self.shutdown_framework(&msg.framework_id, ctx),
            }
        }
        for (framework_id, status) in self.updates.all_heads() {
            self.master.do_send(ForwardUpdate {
                framework_id,
                status,
            });
        }
        self.await_reregistrations(ctx);
    }
}

impl Handler<Lose> for LocalAgent {
    type Result = ();
    fn handle(&mut self, _: Lose, _: &mut Self::Context) {
        tracing::warn!(agent = %self.agent_id(), "agent lost with everything on it");
        self.lost = true;
        self.down = false;
        for ex in self.executors.values() {
            super::launch::kill_all(ex, libc::SIGKILL);
        }
        self.executors.clear();
        self.frameworks.clear();
        self.held.clear();
        self.updates = StatusUpdateManager::new(
            self.config.status_update_backoff,
            self.config.status_update_backoff_max,
        );
    }
}

impl LocalAgent {
    /// Executors that were subscribed when the agent went down get
    /// `executor_reregistration_timeout` to subscribe again; then they are killed and their
    /// tasks are lost (TASK_GONE for a PARTITION_AWARE framework).
    fn await_reregistrations(&mut self, ctx: &mut Context<Self>) {
        let timeout = self.config.executor_reregistration_timeout;
        let waiting: Vec<_> = self
            .executors
            .iter()
            .filter(|(_, ex)| {
                ex.kind == ExecutorKind::Custom && ex.subscribed_once && ex.subscriber.is_none()
            })
            .map(|(key, ex)| (key.clone(), ex.generation))
            .collect();
        for (key, generation) in waiting {
            ctx.run_later(timeout, move |agent, _| {
                let partition_aware = agent
                    .frameworks
                    .get(&key.0)
                    .is_some_and(|f| f.has_capability(Capability::PartitionAware));
                let Some(ex) = agent.executors.get_mut(&key) else {
                    return;
                };
                if ex.generation != generation || ex.subscriber.is_some() {
                    return;
                }
                tracing::warn!(executor = %key.1, "executor did not re-subscribe after the agent restart; killing it");
                ex.termination.get_or_insert(Termination {
                    state: if partition_aware {
                        TaskState::TaskGone
                    } else {
                        TaskState::TaskLost
                    },
                    reason: Reason::ExecutorReregistrationTimeout,
                    message: format!(
                        "Executor did not reregister within {}",
                        stout_duration(timeout)
                    ),
                });
                if let Some(pid) = ex.pid {
                    executor_process::signal_group(pid, libc::SIGKILL);
                }
            });
        }
    }

    /// Whether the agent cannot act now (down, or lost).
    pub(super) fn unavailable(&self) -> bool {
        self.down || self.lost
    }

    /// Keeps `held` for the recovery (a lost agent drops it).
    pub(super) fn keep(&mut self, held: Held) {
        if self.down && !self.lost {
            self.held.push(held);
        }
    }
}
