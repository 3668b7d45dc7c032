//! The executor runtime: one actor, started by an [`ExecutorBuilder`], that talks to the
//! agent's v1 executor API and hands [`Launch`], [`Kill`], [`SchedulerMessage`] and
//! [`Shutdown`] to the user's actor, which answers through an [`ExecutorHandle`].
//!
//! ```text
//!  agent  /slave(1)/api/v1/executor
//!    |  SUBSCRIBE stream (RecordIO events)           ^ UPDATE, MESSAGE, HEARTBEAT (in order)
//!    v                                               |
//!  executor runtime -- Launch, Kill, Shutdown, SchedulerMessage, ... --> user's actor
//!        ^------------- ExecutorHandle::send_update / send_message ------------'
//! ```
//!
//! The runtime keeps every update until the agent acknowledges it, and every launched task
//! until one of its updates is acknowledged; both travel in each re-SUBSCRIBE, and an
//! UPDATE call that fails on a live connection is sent again (calls go out one at a time,
//! in order, so a task's updates reach the agent in the order they were made). As in the
//! C++ library, an update the agent answered with 202 is not re-sent on the same
//! connection: the agent owns it from then on. A broken
//! connection is retried with a random wait of at most `MESOS_SUBSCRIPTION_BACKOFF_MAX`
//! for up to `MESOS_RECOVERY_TIMEOUT` when the framework checkpoints, and ends the executor
//! at once when it does not. SHUTDOWN asks the user's actor to end its tasks, waits for
//! their terminal updates to be acknowledged within the grace period, reports TASK_KILLED
//! for the rest, and ends [`ExecutorBuilder::run`] with [`ExitReason::Shutdown`] (exit
//! status 0).
//!
//! The environment is only read, never changed: the agent's authentication token stays in
//! this process's environment, so spawn task processes through [`ExecutorEnv::scrub`] (or
//! [`ExecutorEnv::scrub_tokio`]), which keeps it out of theirs.
//!
//! ```no_run
//! use actix::prelude::*;
//! use mesos_actix::executor::*;
//! use mesos_actix::proto::TaskState;
//!
//! struct Echo;
//! impl Actor for Echo {
//!     type Context = Context<Self>;
//! }
//! impl Handler<Launch> for Echo {
//!     type Result = ();
//!     fn handle(&mut self, launch: Launch, ctx: &mut Context<Self>) {
//!         let id = launch.task.task_id.clone();
//!         let data = launch.task.data.clone().unwrap_or_default();
//!         let handle = launch.handle;
//!         ctx.spawn(actix::fut::wrap_future(async move {
//!             let _ = handle.update(id.clone(), TaskState::TaskRunning, None).await;
//!             let _ = handle
//!                 .send_update(StatusUpdate::new(id, TaskState::TaskFinished).data(data))
//!                 .await;
//!         }));
//!     }
//! }
//! impl Handler<Kill> for Echo {
//!     type Result = ();
//!     fn handle(&mut self, kill: Kill, ctx: &mut Context<Self>) {
//!         let handle = kill.handle;
//!         ctx.spawn(actix::fut::wrap_future(async move {
//!             let _ = handle.update(kill.task_id, TaskState::TaskKilled, None).await;
//!         }));
//!     }
//! }
//! impl Handler<Shutdown> for Echo {
//!     type Result = ();
//!     fn handle(&mut self, _: Shutdown, _: &mut Context<Self>) {}
//! }
//!
//! #[actix::main]
//! async fn main() {
//!     let builder = ExecutorBuilder::from_env().unwrap_or_else(|e| {
//!         eprintln!("{e}");
//!         std::process::exit(2)
//!     });
//!     let exit = builder.run(Echo.start()).await;
//!     std::process::exit(exit.code());
//! }
//! ```
//!
//! | file | contents |
//! |---|---|
//! | `runtime.rs` | `ExecutorRuntime`, the actor, and its messages |
//! | `builder.rs` | [`ExecutorBuilder`], [`ExecutorSettings`], [`RunningExecutor`] |
//! | `handle.rs` | [`ExecutorHandle`], [`StatusUpdate`] |
//! | `events.rs` | what the user's actor receives, [`ExitReason`] |
//! | `env.rs` | [`ExecutorEnv`]: the `MESOS_*` environment |
//! | `duration.rs` | stout duration strings (`5secs`) |
//! | `ledger.rs` | unacknowledged tasks and updates |
//! | `wire.rs` | calls on the wire |
//! | `command/` | [`CommandExecutor`], the `mesos-command-executor` binary's actor |

mod builder;
mod command;
mod duration;
mod env;
mod events;
mod handle;
mod ledger;
mod runtime;
mod wire;

pub use builder::{ExecutorBuilder, ExecutorSettings, RunningExecutor};
pub use command::{CommandExecutor, DEFAULT_KILL_GRACE_PERIOD};
pub use env::{EnvError, EnvProblem, ExecutorEnv};
pub use events::{
    Acknowledged, AgentError, AgentErrorKind, ExitReason, Kill, Launch, LaunchGroup, Registered,
    SchedulerMessage, Shutdown, ShutdownReason,
};
pub use handle::{ExecutorHandle, MessageError, StatusUpdate, UpdateError};
