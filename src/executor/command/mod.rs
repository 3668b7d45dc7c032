//! `CommandExecutor`: the actor behind the `mesos-command-executor` binary, a v1 HTTP
//! command executor with Apache Mesos 1.11's behaviour, on this crate's executor runtime.
//!
//! It receives the runtime's [`Launch`], [`Kill`], [`Shutdown`], [`Registered`],
//! [`Acknowledged`] and [`SchedulerMessage`] (no messages of its own). One task per
//! executor, as in Mesos:
//!
//! - LAUNCH: TASK_STARTING, then the command (`process::build`), TASK_RUNNING; when it
//!   ends, TASK_FINISHED (status 0) or TASK_FAILED `Command exited with status N` /
//!   `Command terminated with signal <name>` (TASK_KILLED instead after a kill). A second
//!   task is refused with TASK_FAILED.
//! - KILL: TASK_KILLING (when the framework declares `TASK_KILLING_STATE`), SIGTERM to the
//!   command's process group, SIGKILL after the grace period (the KILL's kill policy, else
//!   the task's, else 3 seconds); a later kill may shorten it.
//! - SHUTDOWN: a kill with half the shutdown grace period.
//! - The terminal update's acknowledgement ends the executor.

mod process;

use super::{
    Acknowledged, ExecutorEnv, ExecutorHandle, Kill, Launch, Registered, SchedulerMessage,
    Shutdown, StatusUpdate,
};
use crate::proto::framework_info::capability::Type as Capability;
use crate::proto::{DurationInfo, FrameworkInfo, KillPolicy, TaskId, TaskState};
use actix::prelude::*;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

/// Writes a line to stdout (the sandbox's `stdout` file under an agent), as Mesos' command
/// executor does; a closed stdout is ignored rather than a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// The kill grace period when neither the KILL nor the task gives one (Mesos' default).
pub const DEFAULT_KILL_GRACE_PERIOD: Duration = Duration::from_secs(3);

/// The running (or ended) task.
struct Task {
    task_id: TaskId,
    /// The task's own kill policy grace period.
    grace_period: Option<Duration>,
    /// The command's process id, while it runs.
    pid: Option<u32>,
}

/// A pending SIGKILL.
struct Escalation {
    at: Instant,
    timer: SpawnHandle,
}

/// The command executor (see the module documentation).
pub struct CommandExecutor {
    env: ExecutorEnv,
    framework: Option<FrameworkInfo>,
    task: Option<Task>,
    /// The command was reaped.
    terminated: bool,
    /// A kill (or shutdown) was asked for.
    killed: bool,
    escalation: Option<Escalation>,
    handle: Option<ExecutorHandle>,
}

impl CommandExecutor {
    /// A command executor for the executor environment `env` (its `scrub_tokio` keeps the
    /// agent's token out of the command's environment).
    pub fn new(env: ExecutorEnv) -> Self {
        CommandExecutor {
            env,
            framework: None,
            task: None,
            terminated: false,
            killed: false,
            escalation: None,
            handle: None,
        }
    }

    /// Sends an update; a refusal is logged (the runtime only refuses misuse).
    fn report(&self, handle: &ExecutorHandle, update: StatusUpdate) {
        say!(
            "Sending {:?} for task '{}'{}",
            update.state,
            update.task_id.value,
            update
                .message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        );
        let handle = handle.clone();
        actix::spawn(async move {
            if let Err(e) = handle.send_update(update).await {
                say!("status update refused: {e}");
            }
        });
    }

    fn killing_state(&self) -> bool {
        self.framework
            .as_ref()
            .is_some_and(|f| f.has_capability(Capability::TaskKillingState))
    }

    /// Starts killing the task with `grace` before SIGKILL; a second kill only ever
    /// shortens the wait.
    fn kill_task(&mut self, grace: Duration, handle: &ExecutorHandle, ctx: &mut Context<Self>) {
        if self.terminated {
            return;
        }
        let Some(task) = &self.task else {
            return;
        };
        let Some(pid) = task.pid else {
            return;
        };
        let at = Instant::now() + grace;
        if let Some(escalation) = &self.escalation {
            if escalation.at <= at {
                return;
            }
            say!("Rescheduling escalation to SIGKILL in {grace:?}");
        } else {
            self.killed = true;
            if self.killing_state() {
                let killing = StatusUpdate::new(task.task_id.clone(), TaskState::TaskKilling);
                self.report(handle, killing);
            }
            say!("Sending SIGTERM to process tree at pid {pid}");
            process::signal(pid, libc::SIGTERM);
        }
        if let Some(old) = self.escalation.take() {
            ctx.cancel_future(old.timer);
        }
        let timer = ctx.run_later(grace, move |act, _ctx| {
            act.escalation = None;
            if !act.terminated {
                say!("Process {pid} did not terminate after {grace:?}, sending SIGKILL");
                process::signal(pid, libc::SIGKILL);
            }
        });
        self.escalation = Some(Escalation { at, timer });
    }

    /// The command ended: the terminal update.
    fn reaped(&mut self, result: std::io::Result<ExitStatus>, handle: &ExecutorHandle) {
        self.terminated = true;
        let Some(task) = self.task.as_mut() else {
            return;
        };
        task.pid = None;
        let task_id = task.task_id.clone();
        let update = match result {
            Ok(status) => {
                let message = process::describe(&status);
                let state = if status.success() {
                    TaskState::TaskFinished
                } else if self.killed {
                    TaskState::TaskKilled
                } else {
                    TaskState::TaskFailed
                };
                StatusUpdate::new(task_id, state).message(message)
            }
            Err(e) => StatusUpdate::new(task_id, TaskState::TaskFailed)
                .message(format!("Failed to get exit status for Command: {e}")),
        };
        self.report(handle, update);
    }
}

fn grace(policy: Option<&KillPolicy>) -> Option<Duration> {
    let DurationInfo { nanoseconds } = policy?.grace_period.as_ref()?;
    Some(Duration::from_nanos(
        u64::try_from(*nanoseconds).unwrap_or(0),
    ))
}

impl Actor for CommandExecutor {
    type Context = Context<Self>;
}

impl Handler<Registered> for CommandExecutor {
    type Result = ();

    fn handle(&mut self, registered: Registered, _ctx: &mut Context<Self>) {
        say!(
            "Received SUBSCRIBED event{}",
            if registered.resubscribed {
                " (resubscribed)"
            } else {
                ""
            }
        );
        self.framework = Some(registered.framework_info);
        self.handle = Some(registered.handle);
    }
}

impl Handler<Launch> for CommandExecutor {
    type Result = ();

    fn handle(&mut self, launch: Launch, ctx: &mut Context<Self>) {
        let handle = launch.handle;
        self.handle = Some(handle.clone());
        let task_id = launch.task.task_id.clone();
        if self.task.is_some() {
            let refusal = StatusUpdate::new(task_id, TaskState::TaskFailed)
                .message("Attempted to run multiple tasks using a \"command\" executor");
            return self.report(&handle, refusal);
        }
        say!("Starting task {}", task_id.value);
        self.task = Some(Task {
            task_id: task_id.clone(),
            grace_period: grace(launch.task.kill_policy.as_ref()),
            pid: None,
        });
        self.report(
            &handle,
            StatusUpdate::new(task_id.clone(), TaskState::TaskStarting),
        );
        let spawned = process::build(&self.env, launch.task.command.as_ref())
            .map_err(|e| e.to_string())
            .and_then(|mut cmd| {
                cmd.spawn()
                    .map_err(|e| format!("Failed to launch task subprocess: {e}"))
            });
        let mut child = match spawned {
            Ok(child) => child,
            Err(message) => {
                self.terminated = true;
                let failed = StatusUpdate::new(task_id, TaskState::TaskFailed).message(message);
                return self.report(&handle, failed);
            }
        };
        let pid = child.id();
        if let Some(task) = self.task.as_mut() {
            task.pid = pid;
        }
        say!("Forked command at {}", pid.unwrap_or_default());
        self.report(&handle, StatusUpdate::new(task_id, TaskState::TaskRunning));
        let wait = async move { child.wait().await };
        ctx.spawn(wait.into_actor(self).map(move |result, act, _ctx| {
            act.reaped(result, &handle);
        }));
    }
}

impl Handler<Kill> for CommandExecutor {
    type Result = ();

    fn handle(&mut self, kill: Kill, ctx: &mut Context<Self>) {
        say!("Received KILL for task {}", kill.task_id.value);
        let ours = self
            .task
            .as_ref()
            .is_some_and(|t| t.task_id == kill.task_id);
        if !ours {
            if self.task.is_none() {
                // Killed before it was launched: nothing runs, so it is killed.
                let killed = StatusUpdate::new(kill.task_id, TaskState::TaskKilled)
                    .message("Task killed before it was launched");
                self.report(&kill.handle, killed);
            }
            return;
        }
        let task_grace = self.task.as_ref().and_then(|t| t.grace_period);
        let grace = grace(kill.kill_policy.as_ref())
            .or(task_grace)
            .unwrap_or(DEFAULT_KILL_GRACE_PERIOD);
        self.kill_task(grace, &kill.handle, ctx);
    }
}

impl Handler<Shutdown> for CommandExecutor {
    type Result = ();

    fn handle(&mut self, shutdown: Shutdown, ctx: &mut Context<Self>) {
        say!("Shutting down ({:?})", shutdown.reason);
        // The runtime reports TASK_KILLED itself at three quarters of the grace period:
        // SIGKILL comes well before that.
        self.kill_task(shutdown.grace_period / 2, &shutdown.handle, ctx);
    }
}

impl Handler<Acknowledged> for CommandExecutor {
    type Result = ();

    fn handle(&mut self, ack: Acknowledged, _ctx: &mut Context<Self>) {
        let ours = self.task.as_ref().is_some_and(|t| t.task_id == ack.task_id);
        if ack.state.is_terminal() && (ours || self.task.is_none()) {
            say!(
                "Terminal update for task {} acknowledged, exiting",
                ack.task_id.value
            );
            if let Some(handle) = &self.handle {
                handle.stop();
            }
        }
    }
}

impl Handler<SchedulerMessage> for CommandExecutor {
    type Result = ();

    fn handle(&mut self, message: SchedulerMessage, _ctx: &mut Context<Self>) {
        // Mesos' command executor ignores framework messages too.
        say!(
            "Ignoring a framework message of {} bytes",
            message.data.len()
        );
    }
}
