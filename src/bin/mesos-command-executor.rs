//! `mesos-command-executor`: the command executor of Apache Mesos 1.11 (the agent's
//! `mesos-executor`) on this crate's executor runtime. The agent starts it for tasks that
//! carry a `CommandInfo` and no `ExecutorInfo`, as `$MESOS_LAUNCHER_DIR/mesos-executor
//! --launcher_dir=...`, with the executor's `MESOS_*` environment; install it there under
//! that name.
//!
//! It runs the task's command (shell or argv form), reports TASK_STARTING, TASK_RUNNING,
//! then TASK_FINISHED or TASK_FAILED `Command exited with status N`; a kill sends
//! TASK_KILLING, SIGTERM, SIGKILL after the grace period, then TASK_KILLED. It exits once
//! the terminal update is acknowledged. Flags (`--launcher_dir` and the like) are accepted
//! and ignored. Set `MESOS_ACTIX_EXECUTOR_ENCODING=json` to speak JSON to the agent.

use actix::prelude::*;
use mesos_actix::executor::CommandExecutor;
use mesos_actix::executor::ExecutorBuilder;
use std::io::Write;

const USAGE: &str = "usage: mesos-command-executor [--launcher_dir=DIR] ...\n\
Run by a Mesos agent (as $MESOS_LAUNCHER_DIR/mesos-executor) with the executor's MESOS_* \
environment; runs one task's command and reports its status.";

#[actix::main]
async fn main() {
    if std::env::args().skip(1).any(|a| a == "--help" || a == "-h") {
        let _ = writeln!(std::io::stdout(), "{USAGE}");
        return;
    }
    let builder = match ExecutorBuilder::from_env() {
        Ok(builder) => builder,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "mesos-command-executor: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let executor = CommandExecutor::new(builder.env().clone()).start();
    let exit = builder
        .on_registered(executor.clone().recipient())
        .on_acknowledged(executor.clone().recipient())
        .on_message(executor.clone().recipient())
        .run(executor)
        .await;
    let _ = writeln!(std::io::stdout(), "mesos-command-executor: {exit}");
    std::process::exit(exit.code());
}
