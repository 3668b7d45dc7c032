//! Starting an executor: [`ExecutorBuilder`] (environment, settings, optional recipients),
//! [`ExecutorSettings`] and [`RunningExecutor`].

use super::env::{EnvError, ExecutorEnv};
use super::events::{
    Acknowledged, AgentError, ExitReason, Kill, Launch, LaunchGroup, Registered, SchedulerMessage,
    Shutdown,
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
    pub registered: Vec<Recipient<Registered>>,
    pub launch_group: Option<Recipient<LaunchGroup>>,
    pub message: Vec<Recipient<SchedulerMessage>>,
    pub error: Vec<Recipient<AgentError>>,
    pub acknowledged: Vec<Recipient<Acknowledged>>,
}

/// Configures and starts an executor runtime: the actor that talks to the agent for this
/// executor and hands [`Launch`], [`Kill`] and [`Shutdown`] to the user's actor.
///
/// The `on_*` methods *add* a recipient: call one several times and every recipient gets
/// its own copy of each event (as with the scheduler's `FrameworkBuilder::on_*`).
/// [`with_launch_group`](Self::with_launch_group) *sets* the one recipient of task groups,
/// because it changes how groups are delivered; a later call replaces an earlier one.
///
/// ```no_run
/// # use actix::prelude::*;
/// # use mesos_actix::executor::*;
/// # struct MyExecutor;
/// # impl Actor for MyExecutor { type Context = Context<Self>; }
/// # impl Handler<Launch> for MyExecutor { type Result = (); fn handle(&mut self, _: Launch, _: &mut Context<Self>) {} }
/// # impl Handler<Kill> for MyExecutor { type Result = (); fn handle(&mut self, _: Kill, _: &mut Context<Self>) {} }
/// # impl Handler<Shutdown> for MyExecutor { type Result = (); fn handle(&mut self, _: Shutdown, _: &mut Context<Self>) {} }
/// # impl Handler<SchedulerMessage> for MyExecutor { type Result = (); fn handle(&mut self, _: SchedulerMessage, _: &mut Context<Self>) {} }
/// #[actix::main]
/// async fn main() {
///     let builder = match ExecutorBuilder::from_env() {
///         Ok(builder) => builder,
///         Err(e) => {
///             eprintln!("{e}");
///             std::process::exit(2);
///         }
///     };
///     let me = MyExecutor.start();
///     let exit = builder.on_message(me.clone().recipient()).run(me).await;
///     std::process::exit(exit.code());
/// }
/// ```
pub struct ExecutorBuilder {
    env: ExecutorEnv,
    settings: ExecutorSettings,
    registered: Vec<Recipient<Registered>>,
    launch_group: Option<Recipient<LaunchGroup>>,
    message: Vec<Recipient<SchedulerMessage>>,
    error: Vec<Recipient<AgentError>>,
    acknowledged: Vec<Recipient<Acknowledged>>,
}

impl ExecutorBuilder {
    /// A builder from the process environment (see [`ExecutorEnv::from_env`]); the error
    /// lists every missing or malformed variable. The environment is only read: spawn
    /// processes through [`ExecutorEnv::scrub`] so they do not inherit the agent's token.
    pub fn from_env() -> Result<ExecutorBuilder, EnvError> {
        Ok(Self::new(ExecutorEnv::from_env()?))
    }

    /// A builder from an environment read elsewhere (e.g. [`ExecutorEnv::from_vars`]).
    pub fn new(env: ExecutorEnv) -> ExecutorBuilder {
        ExecutorBuilder {
            env,
            settings: ExecutorSettings::default(),
            registered: Vec::new(),
            launch_group: None,
            message: Vec::new(),
            error: Vec::new(),
            acknowledged: Vec::new(),
        }
    }

    /// Replaces the settings.
    pub fn settings(mut self, settings: ExecutorSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The environment the runtime will use.
    pub fn env(&self) -> &ExecutorEnv {
        &self.env
    }

    /// Adds a recipient of [`Registered`] (each subscription, first and later ones).
    pub fn on_registered(mut self, recipient: Recipient<Registered>) -> Self {
        self.registered.push(recipient);
        self
    }

    /// Sets the recipient of [`LaunchGroup`], replacing any earlier one; without one each
    /// task of a group arrives as a [`Launch`].
    pub fn with_launch_group(mut self, recipient: Recipient<LaunchGroup>) -> Self {
        self.launch_group = Some(recipient);
        self
    }

    /// Adds a recipient of the [`SchedulerMessage`]s (they are dropped when there is none).
    pub fn on_message(mut self, recipient: Recipient<SchedulerMessage>) -> Self {
        self.message.push(recipient);
        self
    }

    /// Adds a recipient of [`AgentError`]s (they are logged either way).
    pub fn on_error(mut self, recipient: Recipient<AgentError>) -> Self {
        self.error.push(recipient);
        self
    }

    /// Adds a recipient of [`Acknowledged`] (once per update).
    pub fn on_acknowledged(mut self, recipient: Recipient<Acknowledged>) -> Self {
        self.acknowledged.push(recipient);
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
            registered: self.registered,
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
