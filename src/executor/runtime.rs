//! `ExecutorRuntime`: the actor that speaks the v1 executor API to the agent.
//!
//! It SUBSCRIBEs (one streaming connection, both encodings, Bearer token when given),
//! decodes the RecordIO event stream, keeps the books of unacknowledged tasks and updates
//! ([`Ledger`]), sends calls one at a time and in order on a second client, re-subscribes
//! after a broken connection as Mesos specifies (facts sheet §4.6), and runs the shutdown
//! sequence. The user's actor only sees typed messages (see [`super::events`]).

use super::builder::{ExecutorSettings, Sinks};
use super::events::{AgentError, AgentErrorKind, ExitReason, Shutdown, ShutdownReason};
use super::handle::{ExecutorHandle, MessageError, StatusUpdate, UpdateError};
use super::ledger::Ledger;
use super::wire::{self, WireEvent, WireItem};
use crate::codec::Encoding;
use crate::proto::{AgentId, TaskState, executor};
use crate::transport::client;
use actix::prelude::*;
use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

mod calls;
mod dispatch;

// ---------------------------------------------------------------------------------------
// Messages handled by ExecutorRuntime (sent through `ExecutorHandle`).
// ---------------------------------------------------------------------------------------

/// Record and send a status update; answers with the uuid the runtime gave it.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<Vec<u8>, UpdateError>")]
pub(crate) struct SendUpdate(pub StatusUpdate);

/// Send a framework message; the receiver resolves when the agent answered.
#[derive(Message, Debug)]
#[rtype(result = "oneshot::Receiver<Result<(), MessageError>>")]
pub(crate) struct SendMessage(pub Vec<u8>);

/// End the executor gracefully (as after SHUTDOWN, reason [`ShutdownReason::Stopped`]).
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub(crate) struct Stop;

// ---------------------------------------------------------------------------------------
// The actor.
// ---------------------------------------------------------------------------------------

/// Where the agent connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conn {
    /// SUBSCRIBE sent, no answer yet.
    Connecting,
    /// `200 OK`: the stream is open, SUBSCRIBED not seen yet.
    Streaming,
    /// SUBSCRIBED received: calls may flow.
    Subscribed,
    /// Waiting before the next SUBSCRIBE.
    Waiting,
    /// No more subscriptions: the runtime is winding down without an agent.
    Offline,
}

/// A call waiting for its turn (calls go out one at a time, in order).
#[derive(Debug)]
enum OutCall {
    /// The unacknowledged update with this uuid.
    Update(Vec<u8>),
    /// A framework message and who waits for its outcome.
    Message(Vec<u8>, Option<oneshot::Sender<Result<(), MessageError>>>),
    /// A HEARTBEAT call.
    Heartbeat,
}

/// The actor that talks to the agent for one executor. Users start it through
/// [`ExecutorBuilder`](super::ExecutorBuilder) and talk to it through
/// [`ExecutorHandle`].
pub(crate) struct ExecutorRuntime {
    pub(crate) env: super::env::ExecutorEnv,
    pub(crate) settings: ExecutorSettings,
    pub(crate) sinks: Sinks,
    pub(crate) exit_tx: Option<oneshot::Sender<ExitReason>>,
    subscribe_client: awc::Client,
    call_client: awc::Client,
    ledger: Ledger,
    conn: Conn,
    /// Bumped on every SUBSCRIBE and every drop: stale answers and stream items are ignored.
    generation: u64,
    stream: Option<SpawnHandle>,
    stream_encoding: Encoding,
    ever_subscribed: bool,
    agent_id: Option<AgentId>,
    /// Uuids of the updates the last SUBSCRIBE carried.
    carried: HashSet<Vec<u8>>,
    outbox: VecDeque<OutCall>,
    /// The connection generation of the call in flight, if any. A call still pending on
    /// an old connection does not hold back the new one.
    call_in_flight: Option<u64>,
    pump_paused: bool,
    /// When reconnection attempts end (set while disconnected).
    reconnect_deadline: Option<Instant>,
    malformed_streak: u32,
    shutdown: Option<ShutdownReason>,
    handle: Option<ExecutorHandle>,
}

impl ExecutorRuntime {
    pub(crate) fn new(
        env: super::env::ExecutorEnv,
        settings: ExecutorSettings,
        sinks: Sinks,
        exit_tx: oneshot::Sender<ExitReason>,
    ) -> Self {
        let subscribe_client = client::http_client(settings.subscribe_timeout);
        let call_client = client::http_client(settings.call_timeout);
        let agent_id = env.agent_id.clone();
        let stream_encoding = env.encoding;
        ExecutorRuntime {
            env,
            settings,
            sinks,
            exit_tx: Some(exit_tx),
            subscribe_client,
            call_client,
            ledger: Ledger::default(),
            conn: Conn::Waiting,
            generation: 0,
            stream: None,
            stream_encoding,
            ever_subscribed: false,
            agent_id,
            carried: HashSet::new(),
            outbox: VecDeque::new(),
            call_in_flight: None,
            pump_paused: false,
            reconnect_deadline: None,
            malformed_streak: 0,
            shutdown: None,
            handle: None,
        }
    }

    fn user_handle(&self, ctx: &Context<Self>) -> ExecutorHandle {
        self.handle
            .clone()
            .unwrap_or_else(|| ExecutorHandle::new(ctx.address()))
    }

    fn report(&self, kind: AgentErrorKind, message: String) {
        tracing::warn!(?kind, %message, "executor runtime");
        for r in &self.sinks.error {
            r.do_send(AgentError {
                kind,
                message: message.clone(),
            });
        }
    }

    // ----- subscription -----------------------------------------------------------------

    fn connect(&mut self, ctx: &mut Context<Self>) {
        if matches!(self.conn, Conn::Offline) {
            return;
        }
        self.generation += 1;
        let generation = self.generation;
        self.conn = Conn::Connecting;
        let call = wire::subscribe(
            &self.env,
            self.ledger.unacknowledged_tasks(),
            self.ledger.unacknowledged_updates(),
        );
        self.carried = self
            .ledger
            .unacknowledged_updates()
            .iter()
            .filter_map(|u| u.uuid.clone())
            .collect();
        tracing::debug!(
            endpoint = %self.env.endpoint,
            tasks = call.subscribe.as_ref().map_or(0, |s| s.unacknowledged_tasks.len()),
            updates = self.carried.len(),
            "subscribing"
        );
        let request = wire::post(&self.subscribe_client, &self.env, &call, true);
        ctx.spawn(request.into_actor(self).map(move |result, act, ctx| {
            if generation != act.generation {
                return;
            }
            match result {
                Err(e) => act.connection_lost(format!("SUBSCRIBE failed: {e}"), false, ctx),
                Ok(resp) => act.on_subscribe_response(generation, resp, ctx),
            }
        }));
    }

    fn on_subscribe_response<S>(
        &mut self,
        generation: u64,
        resp: awc::ClientResponse<S>,
        ctx: &mut Context<Self>,
    ) where
        S: futures_util::Stream<Item = Result<bytes::Bytes, awc::error::PayloadError>>
            + Unpin
            + 'static,
    {
        let status = resp.status();
        if status.as_u16() != 200 {
            let code = status.as_u16();
            let retryable = code >= 500 || matches!(code, 404 | 408 | 429);
            if retryable {
                self.connection_lost(format!("SUBSCRIBE answered {status}"), false, ctx);
            } else {
                let message = format!("agent refused SUBSCRIBE: {status}");
                self.report(AgentErrorKind::SubscribeRejected, message.clone());
                self.go_offline(ShutdownReason::Fatal(message), ctx);
            }
            return;
        }
        let content_type = resp
            .headers()
            .get(awc::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        self.stream_encoding = wire::response_encoding(content_type.as_deref(), self.env.encoding);
        self.conn = Conn::Streaming;
        let records = client::records(resp, self.settings.max_record_bytes);
        let stream = futures_util::StreamExt::map(records, move |r| WireItem {
            generation,
            event: match r {
                Ok(bytes) => WireEvent::Record(bytes),
                Err(e) => WireEvent::Broken(e),
            },
        });
        let end = futures_util::stream::once(async move {
            WireItem {
                generation,
                event: WireEvent::Ended,
            }
        });
        self.stream = Some(ctx.add_stream(futures_util::StreamExt::chain(stream, end)));
    }

    /// The connection is gone (or unusable): reconnect if Mesos says we may.
    fn connection_lost(&mut self, reason: String, malformed: bool, ctx: &mut Context<Self>) {
        if matches!(self.conn, Conn::Offline) {
            return;
        }
        if let Some(h) = self.stream.take() {
            ctx.cancel_future(h);
        }
        let was_subscribed = matches!(self.conn, Conn::Subscribed | Conn::Streaming);
        self.generation += 1;
        self.conn = Conn::Waiting;
        // Updates are carried by the next SUBSCRIBE; messages wait in the queue.
        self.outbox.retain(|c| !matches!(c, OutCall::Update(_)));
        if was_subscribed {
            self.report(AgentErrorKind::Disconnected, reason.clone());
        } else {
            tracing::info!(%reason, "subscription attempt failed");
        }
        if malformed {
            self.malformed_streak += 1;
            if self.malformed_streak > self.settings.max_malformed_reconnects {
                let m = format!("{} malformed event streams in a row", self.malformed_streak);
                self.go_offline(ShutdownReason::Fatal(m), ctx);
                return;
            }
        } else if self.ever_subscribed && !self.env.checkpoint {
            // Mesos: without checkpointing nobody reconnects to this executor.
            self.go_offline(ShutdownReason::AgentGone, ctx);
            return;
        }
        let now = Instant::now();
        let deadline = *self.reconnect_deadline.get_or_insert_with(|| {
            let budget = if self.ever_subscribed {
                self.env
                    .recovery_timeout
                    .unwrap_or(self.settings.initial_subscribe_timeout)
            } else {
                self.settings.initial_subscribe_timeout
            };
            now + budget
        });
        if now >= deadline {
            let reason = if self.ever_subscribed {
                ShutdownReason::RecoveryTimedOut
            } else {
                ShutdownReason::Fatal(format!(
                    "could not subscribe to the agent at {}: {reason}",
                    self.env.endpoint
                ))
            };
            self.go_offline(reason, ctx);
            return;
        }
        // C++ library: a uniformly random wait in [0, backoff max].
        let max = self
            .env
            .subscription_backoff_max
            .max(Duration::from_millis(1));
        let wait = max.mul_f64(rand::random::<f64>()).min(deadline - now);
        ctx.run_later(wait, |act, ctx| {
            if matches!(act.conn, Conn::Waiting) {
                act.connect(ctx);
            }
        });
    }

    /// No more subscriptions: wind down without the agent.
    fn go_offline(&mut self, reason: ShutdownReason, ctx: &mut Context<Self>) {
        if let Some(h) = self.stream.take() {
            ctx.cancel_future(h);
        }
        self.generation += 1;
        self.conn = Conn::Offline;
        self.outbox.retain(|c| matches!(c, OutCall::Message(..)));
        for call in self.outbox.drain(..) {
            if let OutCall::Message(_, Some(tx)) = call {
                let _ = tx.send(Err(MessageError::Stopped));
            }
        }
        self.begin_shutdown(reason, ctx);
    }
}

// ----- shutdown --------------------------------------------------------------------------

impl ExecutorRuntime {
    /// Asks the user's actor to end its tasks; ends the runtime when every task's terminal
    /// update is acknowledged, or at the grace period (TASK_KILLED for the rest at 3/4 of
    /// it).
    fn begin_shutdown(&mut self, reason: ShutdownReason, ctx: &mut Context<Self>) {
        if self.shutdown.is_some() {
            self.check_shutdown_done(ctx);
            return;
        }
        let grace = self.env.shutdown_grace_period;
        tracing::info!(?reason, ?grace, "executor shutting down");
        self.shutdown = Some(reason.clone());
        self.sinks.shutdown.do_send(Shutdown {
            reason,
            grace_period: grace,
            handle: self.user_handle(ctx),
        });
        ctx.run_later(grace.mul_f64(0.75), |act, ctx| act.kill_leftovers(ctx));
        ctx.run_later(grace, |act, ctx| {
            tracing::info!("shutdown grace period over");
            act.finish(ctx);
        });
        self.check_shutdown_done(ctx);
    }

    fn kill_leftovers(&mut self, ctx: &mut Context<Self>) {
        for task in self.ledger.unfinished_tasks() {
            tracing::warn!(task = %task.task_id, "no terminal update within the grace period: TASK_KILLED");
            self.record_update(
                StatusUpdate::new(task.task_id, TaskState::TaskKilled)
                    .message("killed: executor shutdown grace period expired"),
            );
        }
        self.pump(ctx);
        self.check_shutdown_done(ctx);
    }

    fn check_shutdown_done(&mut self, ctx: &mut Context<Self>) {
        if self.shutdown.is_none() {
            return;
        }
        let done = if matches!(self.conn, Conn::Offline) {
            // Nobody can acknowledge any more: done once every task has its final word.
            self.ledger.unfinished_tasks().is_empty()
        } else {
            self.ledger.is_settled()
        };
        if done {
            self.finish(ctx);
        }
    }

    fn finish(&mut self, ctx: &mut Context<Self>) {
        let reason = self
            .shutdown
            .clone()
            .map(ExitReason::from)
            .unwrap_or(ExitReason::Stopped);
        tracing::info!(%reason, "executor runtime ends");
        if let Some(tx) = self.exit_tx.take() {
            let _ = tx.send(reason);
        }
        ctx.stop();
    }
}

// ----- actor plumbing --------------------------------------------------------------------

impl Actor for ExecutorRuntime {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.handle = Some(ExecutorHandle::new(ctx.address()));
        self.reconnect_deadline = Some(Instant::now() + self.settings.initial_subscribe_timeout);
        ctx.run_interval(self.settings.heartbeat_interval, |act, ctx| {
            if matches!(act.conn, Conn::Subscribed) {
                act.outbox.push_back(OutCall::Heartbeat);
                act.pump(ctx);
            }
        });
        self.connect(ctx);
    }

    fn stopped(&mut self, _ctx: &mut Context<Self>) {
        self.handle = None;
        if let Some(tx) = self.exit_tx.take() {
            let reason = self
                .shutdown
                .clone()
                .map(ExitReason::from)
                .unwrap_or(ExitReason::Stopped);
            let _ = tx.send(reason);
        }
    }
}

impl StreamHandler<WireItem> for ExecutorRuntime {
    fn handle(&mut self, item: WireItem, ctx: &mut Context<Self>) {
        if item.generation != self.generation {
            return;
        }
        match item.event {
            WireEvent::Record(bytes) => {
                match self.stream_encoding.decode::<executor::Event>(&bytes) {
                    Ok(event) => self.on_event(event, ctx),
                    Err(e) => {
                        self.report(
                            AgentErrorKind::MalformedEvent,
                            format!("undecodable event ({} bytes): {e}", bytes.len()),
                        );
                        self.connection_lost("malformed event".into(), true, ctx);
                    }
                }
            }
            WireEvent::Broken(client::StreamError::Framing(e)) => {
                self.report(AgentErrorKind::MalformedEvent, format!("bad RecordIO: {e}"));
                self.connection_lost("malformed event stream".into(), true, ctx);
            }
            WireEvent::Broken(client::StreamError::Transport(e)) => {
                self.connection_lost(format!("event stream broke: {e}"), false, ctx);
            }
            WireEvent::Ended => {
                self.connection_lost("the agent closed the event stream".into(), false, ctx);
            }
        }
    }

    /// The end of a stream is signalled by [`WireEvent::Ended`]; never stop the actor here.
    fn finished(&mut self, _ctx: &mut Context<Self>) {}
}

impl Handler<SendUpdate> for ExecutorRuntime {
    type Result = Result<Vec<u8>, UpdateError>;

    fn handle(&mut self, SendUpdate(update): SendUpdate, ctx: &mut Context<Self>) -> Self::Result {
        if update.state == TaskState::TaskStaging {
            return Err(UpdateError::Staging);
        }
        if update.task_id.value.is_empty() {
            return Err(UpdateError::EmptyTaskId);
        }
        if self.ledger.terminal_sent(&update.task_id.value) {
            return Err(UpdateError::AlreadyTerminal(update.task_id.value));
        }
        let uuid = self.record_update(update);
        self.pump(ctx);
        self.check_shutdown_done(ctx);
        Ok(uuid)
    }
}

impl Handler<SendMessage> for ExecutorRuntime {
    type Result = MessageResult<SendMessage>;

    fn handle(&mut self, SendMessage(data): SendMessage, ctx: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        let queued = self
            .outbox
            .iter()
            .filter(|c| matches!(c, OutCall::Message(..)))
            .count();
        if matches!(self.conn, Conn::Offline) {
            let _ = tx.send(Err(MessageError::Stopped));
        } else if queued >= self.settings.max_queued_messages {
            let _ = tx.send(Err(MessageError::QueueFull));
        } else {
            self.outbox.push_back(OutCall::Message(data, Some(tx)));
            self.pump(ctx);
        }
        MessageResult(rx)
    }
}

impl Handler<Stop> for ExecutorRuntime {
    type Result = ();

    fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
        self.begin_shutdown(ShutdownReason::Stopped, ctx);
    }
}
