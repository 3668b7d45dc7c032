//! Starting an executor: [`ExecutorBuilder`] (environment, settings, optional recipients),
//! [`ExecutorSettings`] and [`RunningExecutor`].

use super::env::{EnvError, ExecutorEnv};
use super::events::{
    Acknowledged, Error, ExitReason, FrameworkMessage, Kill, Launch, LaunchGroup, Shutdown,
    Subscribed,
};
use super::handle::ExecutorHandle;
use super::runtime::ExecutorRuntime;
use actix::dev::ToEnvelope;
use actix::prelude::*;
use std::time::Duration;
use tokio::sync::oneshot;

/// Knobs of the runtime that the environment does not set. The defaults suit production;
/// tests shorten them.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutorSettings {
    /// How often to send a HEARTBEAT call while subscribed (Mesos: 30 minutes).
    pub heartbeat_interval: Duration,
    /// How long to wait for the headers of the SUBSCRIBE answer.
    pub subscribe_timeout: Duration,
    /// How long to wait for the answer to any other call.
    pub call_timeout: Duration,
    /// The wait before re-sending a call that failed on a live connection.
    pub call_retry_delay: Duration,
    /// How long to keep trying to subscribe the first time (the agent destroys an
    /// executor that has not subscribed within its `--executor_registration_timeout`,
    /// 1 minute by default), and the reconnection budget when no recovery timeout is set.
    pub initial_subscribe_timeout: Duration,
    /// The largest event accepted (bytes).
    pub max_record_bytes: usize,
    /// How many malformed event streams in a row end the executor.
    pub max_malformed_reconnects: u32,
    /// How many framework messages may wait for the agent.
    pub max_queued_messages: usize,
}

impl Default for ExecutorSettings {
    fn default() -> Self {
        ExecutorSettings {
            heartbeat_interval: Duration::from_secs(30 * 60),
            subscribe_timeout: Duration::from_secs(20),
            call_timeout: Duration::from_secs(60),
            call_retry_delay: Duration::from_secs(1),
            initial_subscribe_timeout: Duration::from_secs(60),
            max_record_bytes: 16 * 1024 * 1024,
            max_malformed_reconnects: 10,
            max_queued_messages: 1024,
        }
    }
}

/// Where the runtime delivers what it hears.
#[derive(Clone)]
pub(crate) struct Sinks {
    pub launch: Recipient<Launch>,
    pub kill: Recipient<Kill>,
    pub shutdown: Recipient<Shutdown>,
    pub subscribed: Option<Recipient<Subscribed>>,
    pub launch_group: Option<Recipient<LaunchGroup>>,
    pub message: Option<Recipient<FrameworkMessage>>,
    pub error: Option<Recipient<Error>>,
    pub acknowledged: Option<Recipient<Acknowledged>>,
}

/// Configures and starts an [`ExecutorRuntime`].
///
/// ```no_run
/// # use actix::prelude::*;
/// # use mesos_actix::executor::*;
/// # struct MyExecutor;
/// # impl Actor for MyExecutor { type Context = Context<Self>; }
/// # impl Handler<Launch> for MyExecutor { type Result = (); fn handle(&mut self, _: Launch, _: &mut Context<Self>) {} }
/// # impl Handler<Kill> for MyExecutor { type Result = (); fn handle(&mut self, _: Kill, _: &mut Context<Self>) {} }
/// # impl Handler<Shutdown> for MyExecutor { type Result = (); fn handle(&mut self, _: Shutdown, _: &mut Context<Self>) {} }
/// # impl Handler<FrameworkMessage> for MyExecutor { type Result = (); fn handle(&mut self, _: FrameworkMessage, _: &mut Context<Self>) {} }
/// #[actix::main]
/// async fn main() {
///     let runtime = match ExecutorRuntime::from_env() {
///         Ok(runtime) => runtime,
///         Err(e) => {
///             eprintln!("{e}");
///             std::process::exit(2);
///         }
///     };
///     let me = MyExecutor.start();
///     let exit = runtime.on_message(me.clone().recipient()).run(me).await;
///     std::process::exit(exit.code());
/// }
/// ```
pub struct ExecutorBuilder {
    env: ExecutorEnv,
    settings: ExecutorSettings,
    subscribed: Option<Recipient<Subscribed>>,
    launch_group: Option<Recipient<LaunchGroup>>,
    message: Option<Recipient<FrameworkMessage>>,
    error: Option<Recipient<Error>>,
    acknowledged: Option<Recipient<Acknowledged>>,
}

impl ExecutorRuntime {
    /// A builder from the process environment (see [`ExecutorEnv::from_env`]); the error
    /// lists every missing or malformed variable.
    pub fn from_env() -> Result<ExecutorBuilder, EnvError> {
        Ok(Self::builder(ExecutorEnv::from_env()?))
    }

    /// A builder from an environment read elsewhere (e.g. [`ExecutorEnv::from_vars`]).
    pub fn builder(env: ExecutorEnv) -> ExecutorBuilder {
        ExecutorBuilder {
            env,
            settings: ExecutorSettings::default(),
            subscribed: None,
            launch_group: None,
            message: None,
            error: None,
            acknowledged: None,
        }
    }
}

impl ExecutorBuilder {
    /// Replaces the settings.
    pub fn settings(mut self, settings: ExecutorSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The environment the runtime will use.
    pub fn env(&self) -> &ExecutorEnv {
        &self.env
    }

    /// Where to deliver [`Subscribed`] (each subscription, first and later ones).
    pub fn on_subscribed(mut self, recipient: Recipient<Subscribed>) -> Self {
        self.subscribed = Some(recipient);
        self
    }

    /// Where to deliver [`LaunchGroup`]; without it each task of a group is a [`Launch`].
    pub fn on_launch_group(mut self, recipient: Recipient<LaunchGroup>) -> Self {
        self.launch_group = Some(recipient);
        self
    }

    /// Where to deliver [`FrameworkMessage`]s from the scheduler (dropped without one).
    pub fn on_message(mut self, recipient: Recipient<FrameworkMessage>) -> Self {
        self.message = Some(recipient);
        self
    }

    /// Where to deliver [`Error`]s (they are logged either way).
    pub fn on_error(mut self, recipient: Recipient<Error>) -> Self {
        self.error = Some(recipient);
        self
    }

    /// Where to deliver [`Acknowledged`] (once per update).
    pub fn on_acknowledged(mut self, recipient: Recipient<Acknowledged>) -> Self {
        self.acknowledged = Some(recipient);
        self
    }

    /// Starts the runtime on the current arbiter, delivering [`Launch`], [`Kill`] and
    /// [`Shutdown`] to `executor`. Must be called inside a running actix system.
    pub fn start<A>(self, executor: Addr<A>) -> RunningExecutor
    where
        A: Actor + Handler<Launch> + Handler<Kill> + Handler<Shutdown>,
        A::Context: ToEnvelope<A, Launch> + ToEnvelope<A, Kill> + ToEnvelope<A, Shutdown>,
    {
        let sinks = Sinks {
            launch: executor.clone().recipient(),
            kill: executor.clone().recipient(),
            shutdown: executor.recipient(),
            subscribed: self.subscribed,
            launch_group: self.launch_group,
            message: self.message,
            error: self.error,
            acknowledged: self.acknowledged,
        };
        let (tx, rx) = oneshot::channel();
        let addr = ExecutorRuntime::new(self.env, self.settings, sinks, tx).start();
        RunningExecutor {
            handle: ExecutorHandle::new(addr),
            exit: rx,
        }
    }

    /// [`start`](Self::start)s the runtime and waits for it to end; exit the process with
    /// [`ExitReason::code`].
    pub async fn run<A>(self, executor: Addr<A>) -> ExitReason
    where
        A: Actor + Handler<Launch> + Handler<Kill> + Handler<Shutdown>,
        A::Context: ToEnvelope<A, Launch> + ToEnvelope<A, Kill> + ToEnvelope<A, Shutdown>,
    {
        self.start(executor).wait().await
    }
}

/// A started runtime: its handle, and a way to wait for its end.
pub struct RunningExecutor {
    handle: ExecutorHandle,
    exit: oneshot::Receiver<ExitReason>,
}

impl RunningExecutor {
    /// The handle (the same one every event carries).
    pub fn handle(&self) -> ExecutorHandle {
        self.handle.clone()
    }

    /// Waits for the runtime to end.
    pub async fn wait(self) -> ExitReason {
        self.exit.await.unwrap_or(ExitReason::Stopped)
    }
}
