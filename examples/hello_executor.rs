//! A tiny Mesos executor built on the executor runtime: it runs each task's `data` as a
//! shell command (`/bin/sh -c`), reports TASK_RUNNING, then TASK_FINISHED or TASK_FAILED
//! with the exit status in the message. A kill sends SIGTERM to the command and reports
//! TASK_KILLED; SHUTDOWN does that for every task. Framework messages are echoed back.
//!
//! The agent starts it with the `MESOS_*` environment (see `ExecutorEnv`); run by hand
//! without one, it prints every missing variable and exits with status 2. The commands are
//! spawned through `ExecutorEnv::scrub_tokio`, so they do not inherit the agent's
//! authentication token.
//!
//! ```text
//! cargo build --example hello_executor
//! hello_framework --executor target/debug/examples/hello_executor
//! ```

use actix::prelude::*;
use mesos_actix::executor::{
    ExecutorBuilder, ExecutorEnv, ExecutorHandle, Kill, Launch, SchedulerMessage, Shutdown,
    StatusUpdate,
};
use mesos_actix::proto::TaskState;
use std::collections::{HashMap, HashSet};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use tracing_subscriber::EnvFilter;

/// Runs tasks as shell commands.
struct HelloExecutor {
    /// The executor's environment: spawns go through its `scrub_tokio`.
    env: ExecutorEnv,
    /// Running commands: task id -> process id.
    running: HashMap<String, u32>,
    /// Tasks we were asked to kill.
    killing: HashSet<String>,
}

impl Actor for HelloExecutor {
    type Context = Context<Self>;
}

/// Sends an update, logging a refusal (the runtime only refuses programming errors).
fn report(handle: ExecutorHandle, update: StatusUpdate) {
    actix::spawn(async move {
        if let Err(e) = handle.send_update(update).await {
            tracing::warn!(error = %e, "status update refused");
        }
    });
}

fn describe(status: &ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("Command exited with status {code}"),
        (None, Some(signal)) => format!("Command terminated by signal {signal}"),
        _ => "Command ended".to_string(),
    }
}

impl HelloExecutor {
    fn new(env: ExecutorEnv) -> Self {
        HelloExecutor {
            env,
            running: HashMap::new(),
            killing: HashSet::new(),
        }
    }

    fn terminate(&mut self, task: &str) -> bool {
        let Some(&pid) = self.running.get(task) else {
            return false;
        };
        self.killing.insert(task.to_string());
        tracing::info!(task, pid, "sending SIGTERM");
        let Ok(pid) = i32::try_from(pid) else {
            return false;
        };
        // SAFETY: plain kill(2) on a child we started and have not reaped yet.
        unsafe { libc::kill(pid, libc::SIGTERM) == 0 }
    }
}

impl Handler<Launch> for HelloExecutor {
    type Result = ();

    fn handle(&mut self, launch: Launch, ctx: &mut Context<Self>) {
        let task_id = launch.task.task_id.clone();
        let handle = launch.handle;
        let command = match launch.task.data.as_deref().filter(|d| !d.is_empty()) {
            Some(data) => String::from_utf8_lossy(data).into_owned(),
            None => match launch.task.command.as_ref().and_then(|c| c.value.clone()) {
                Some(value) => value,
                None => {
                    let update = StatusUpdate::new(task_id, TaskState::TaskFailed)
                        .message("no command: the task's data is empty");
                    return report(handle, update);
                }
            },
        };
        tracing::info!(task = %task_id, %command, "launching");
        let mut cmd = tokio::process::Command::new("/bin/sh");
        cmd.arg("-c").arg(&command).kill_on_drop(true);
        let child = self.env.scrub_tokio(&mut cmd).spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(e) => {
                let update = StatusUpdate::new(task_id, TaskState::TaskFailed)
                    .message(format!("could not start /bin/sh: {e}"));
                return report(handle, update);
            }
        };
        if let Some(pid) = child.id() {
            self.running.insert(task_id.value.clone(), pid);
        }
        report(
            handle.clone(),
            StatusUpdate::new(task_id.clone(), TaskState::TaskRunning),
        );
        let wait = async move { child.wait().await };
        ctx.spawn(wait.into_actor(self).map(move |result, act, _ctx| {
            act.running.remove(&task_id.value);
            let killed = act.killing.remove(&task_id.value);
            let update = match result {
                Ok(status) if killed => StatusUpdate::new(task_id, TaskState::TaskKilled)
                    .message(describe(&status)),
                Ok(status) if status.success() => {
                    StatusUpdate::new(task_id, TaskState::TaskFinished).message(describe(&status))
                }
                Ok(status) => {
                    StatusUpdate::new(task_id, TaskState::TaskFailed).message(describe(&status))
                }
                Err(e) => StatusUpdate::new(task_id, TaskState::TaskFailed)
                    .message(format!("could not wait for the command: {e}")),
            };
            tracing::info!(task = %update.task_id, state = ?update.state, message = ?update.message, "task ended");
            report(handle, update);
        }));
    }
}

impl Handler<Kill> for HelloExecutor {
    type Result = ();

    fn handle(&mut self, kill: Kill, _ctx: &mut Context<Self>) {
        if !self.terminate(&kill.task_id.value) {
            // Not running (any more): nothing to stop, say it is killed.
            let update = StatusUpdate::new(kill.task_id, TaskState::TaskKilled);
            report(kill.handle, update.message("not running"));
        }
    }
}

impl Handler<Shutdown> for HelloExecutor {
    type Result = ();

    fn handle(&mut self, shutdown: Shutdown, ctx: &mut Context<Self>) {
        tracing::info!(reason = ?shutdown.reason, tasks = self.running.len(), "shutting down");
        let tasks: Vec<String> = self.running.keys().cloned().collect();
        for task in tasks {
            self.terminate(&task);
        }
        // Commands that ignore SIGTERM get SIGKILL halfway through the grace period.
        ctx.run_later(shutdown.grace_period / 2, |act, _ctx| {
            for (task, &pid) in &act.running {
                tracing::warn!(task, pid, "still running: SIGKILL");
                if let Ok(pid) = i32::try_from(pid) {
                    // SAFETY: kill(2) on a child we started and have not reaped yet.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
            }
        });
    }
}

impl Handler<SchedulerMessage> for HelloExecutor {
    type Result = ();

    fn handle(&mut self, message: SchedulerMessage, _ctx: &mut Context<Self>) {
        tracing::info!(bytes = message.data.len(), "scheduler message");
        let mut reply = b"hello_executor got: ".to_vec();
        reply.extend_from_slice(&message.data);
        let handle = message.handle;
        actix::spawn(async move {
            if let Err(e) = handle.send_message(reply).await {
                tracing::warn!(error = %e, "reply not sent");
            }
        });
    }
}

#[actix::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let builder = match ExecutorBuilder::from_env() {
        Ok(builder) => builder,
        Err(e) => {
            eprintln!("hello_executor: {e}");
            std::process::exit(2);
        }
    };
    tracing::info!(endpoint = %builder.env().endpoint, "hello_executor starting");
    let executor = HelloExecutor::new(builder.env().clone()).start();
    let exit = builder
        .on_message(executor.clone().recipient())
        .run(executor)
        .await;
    tracing::info!(%exit, "hello_executor done");
    std::process::exit(exit.code());
}
