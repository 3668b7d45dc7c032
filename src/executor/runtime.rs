//! `ExecutorRuntime`: the actor that speaks the v1 executor API to the agent.
//!
//! It SUBSCRIBEs (one streaming connection, both encodings, Bearer token when given),
//! decodes the RecordIO event stream, keeps the books of unacknowledged tasks and updates
//! ([`Ledger`]), sends calls one at a time and in order on a second client, re-subscribes
//! after a broken connection as Mesos specifies (facts sheet §4.6), and runs the shutdown
//! sequence. The user's actor only sees typed messages (see [`super::events`]).

use super::builder::{ExecutorSettings, Sinks};
use super::events::{
    Acknowledged, Error, ErrorKind, ExitReason, FrameworkMessage, Kill, Launch, LaunchGroup,
    Shutdown, ShutdownReason, Subscribed,
};
use super::handle::{ExecutorHandle, MessageError, StatusUpdate, UpdateError};
use super::ledger::Ledger;
use super::wire::{self, CallFailure, WireEvent, WireItem};
use crate::client;
use crate::codec::Encoding;
use crate::proto::{AgentId, TaskState, TaskStatus, executor, now_seconds, task_status};
use actix::prelude::*;
use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

// ---------------------------------------------------------------------------------------
// Messages handled by ExecutorRuntime (sent through `ExecutorHandle`).
// ---------------------------------------------------------------------------------------

/// Record and send a status update; answers with the uuid the runtime gave it.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<Vec<u8>, UpdateError>")]
pub struct SendUpdate(pub StatusUpdate);

/// Send a framework message; the receiver resolves when the agent answered.
#[derive(Message, Debug)]
#[rtype(result = "oneshot::Receiver<Result<(), MessageError>>")]
pub struct SendMessage(pub Vec<u8>);

/// End the executor gracefully (as after SHUTDOWN, reason [`ShutdownReason::Stopped`]).
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct Stop;

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

/// The actor that talks to the agent for one executor. Build it with
/// [`ExecutorRuntime::from_env`] or [`ExecutorRuntime::builder`].
pub struct ExecutorRuntime {
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
    call_in_flight: bool,
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
            call_in_flight: false,
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

    fn report(&self, kind: ErrorKind, message: String) {
        tracing::warn!(?kind, %message, "executor runtime");
        if let Some(r) = &self.sinks.error {
            r.do_send(Error { kind, message });
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
        ctx.spawn(
            async move { request.await }
                .into_actor(self)
                .map(move |result, act, ctx| {
                    if generation != act.generation {
                        return;
                    }
                    match result {
                        Err(e) => act.connection_lost(format!("SUBSCRIBE failed: {e}"), false, ctx),
                        Ok(resp) => act.on_subscribe_response(generation, resp, ctx),
                    }
                }),
        );
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
                self.report(ErrorKind::SubscribeRejected, message.clone());
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
            self.report(ErrorKind::Disconnected, reason.clone());
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

// ----- events from the agent -------------------------------------------------------------

impl ExecutorRuntime {
    fn on_event(&mut self, event: executor::Event, ctx: &mut Context<Self>) {
        use executor::event::Type;
        let kind = event.r#type.and_then(|t| Type::try_from(t).ok());
        if !matches!(kind, Some(Type::Subscribed | Type::Heartbeat) | None) {
            self.malformed_streak = 0;
        }
        let handle = self.user_handle(ctx);
        match kind {
            Some(Type::Subscribed) => {
                let Some(s) = event.subscribed else {
                    return self.missing_payload("SUBSCRIBED");
                };
                self.on_subscribed(s, handle, ctx);
            }
            Some(Type::Launch) => {
                let Some(l) = event.launch else {
                    return self.missing_payload("LAUNCH");
                };
                self.on_launch(vec![l.task], None, handle);
            }
            Some(Type::LaunchGroup) => {
                let Some(g) = event.launch_group else {
                    return self.missing_payload("LAUNCH_GROUP");
                };
                let tasks = g.task_group.tasks.clone();
                self.on_launch(tasks, Some(g.task_group), handle);
            }
            Some(Type::Kill) => {
                let Some(k) = event.kill else {
                    return self.missing_payload("KILL");
                };
                if self.ledger.is_live(&k.task_id.value)
                    && !self.ledger.terminal_sent(&k.task_id.value)
                {
                    self.sinks.kill.do_send(Kill {
                        task_id: k.task_id,
                        kill_policy: k.kill_policy,
                        handle,
                    });
                } else {
                    tracing::info!(task = %k.task_id, "KILL for a task that is unknown or already ending: ignored");
                }
            }
            Some(Type::Acknowledged) => {
                let Some(a) = event.acknowledged else {
                    return self.missing_payload("ACKNOWLEDGED");
                };
                match self.ledger.acknowledge(&a.task_id.value, &a.uuid) {
                    Some(state) => {
                        tracing::debug!(task = %a.task_id, ?state, "update acknowledged");
                        if let Some(r) = &self.sinks.acknowledged {
                            r.do_send(Acknowledged {
                                task_id: a.task_id,
                                uuid: a.uuid,
                                state,
                            });
                        }
                        self.check_shutdown_done(ctx);
                    }
                    None => {
                        tracing::debug!(task = %a.task_id, "duplicate or unknown ACKNOWLEDGED ignored")
                    }
                }
            }
            Some(Type::Message) => {
                let Some(m) = event.message else {
                    return self.missing_payload("MESSAGE");
                };
                match &self.sinks.message {
                    Some(r) => r.do_send(FrameworkMessage {
                        data: m.data,
                        handle,
                    }),
                    None => tracing::info!(
                        bytes = m.data.len(),
                        "framework message dropped: no recipient"
                    ),
                }
            }
            Some(Type::Error) => {
                let message = event.error.map(|e| e.message).unwrap_or_default();
                self.report(ErrorKind::AgentError, message);
            }
            Some(Type::Shutdown) => self.begin_shutdown(ShutdownReason::Requested, ctx),
            Some(Type::Heartbeat) => {}
            Some(Type::Unknown) | None => tracing::debug!("event of unknown type ignored"),
        }
    }

    fn missing_payload(&self, what: &str) {
        self.report(
            ErrorKind::MalformedEvent,
            format!("{what} event without its payload: ignored"),
        );
    }

    fn on_subscribed(
        &mut self,
        s: executor::event::Subscribed,
        handle: ExecutorHandle,
        ctx: &mut Context<Self>,
    ) {
        let resubscribed = self.ever_subscribed;
        self.ever_subscribed = true;
        self.conn = Conn::Subscribed;
        self.reconnect_deadline = None;
        if let Some(id) = s.agent_info.id.clone() {
            self.agent_id = Some(id);
        }
        tracing::info!(resubscribed, agent = ?self.agent_id.as_ref().map(|a| &a.value), "subscribed");
        // Updates made after the SUBSCRIBE was built were not carried by it.
        let carried = std::mem::take(&mut self.carried);
        let late: Vec<Vec<u8>> = self
            .ledger
            .unacknowledged_updates()
            .iter()
            .filter_map(|u| u.uuid.clone())
            .filter(|u| !carried.contains(u))
            .collect();
        let messages: Vec<OutCall> = self.outbox.drain(..).collect();
        self.outbox.extend(late.into_iter().map(OutCall::Update));
        self.outbox.extend(messages);
        if let Some(r) = &self.sinks.subscribed {
            r.do_send(Subscribed {
                executor_info: s.executor_info,
                framework_info: s.framework_info,
                agent_info: s.agent_info,
                container_id: s.container_id,
                resubscribed,
                handle,
            });
        }
        self.pump(ctx);
    }

    fn on_launch(
        &mut self,
        tasks: Vec<crate::proto::TaskInfo>,
        group: Option<crate::proto::TaskGroupInfo>,
        handle: ExecutorHandle,
    ) {
        let mut fresh = Vec::new();
        for task in tasks {
            if self.ledger.launch(task.clone()) {
                fresh.push(task);
            } else {
                tracing::warn!(task = %task.task_id, "duplicate LAUNCH of a live task ignored");
            }
        }
        if fresh.is_empty() {
            return;
        }
        if self.shutdown.is_some() {
            for task in fresh {
                self.record_update(
                    StatusUpdate::new(task.task_id, TaskState::TaskKilled)
                        .message("executor is shutting down"),
                );
            }
            return;
        }
        match (group, &self.sinks.launch_group) {
            (Some(mut task_group), Some(r)) => {
                task_group.tasks = fresh;
                r.do_send(LaunchGroup { task_group, handle });
            }
            _ => {
                for task in fresh {
                    self.sinks.launch.do_send(Launch {
                        task,
                        handle: handle.clone(),
                    });
                }
            }
        }
    }
}

// ----- calls -----------------------------------------------------------------------------

impl ExecutorRuntime {
    /// Records an update in the books and queues it when subscribed; returns its uuid.
    fn record_update(&mut self, update: StatusUpdate) -> Vec<u8> {
        let uuid = crate::proto::new_uuid_bytes();
        let status = TaskStatus {
            task_id: update.task_id,
            state: update.state as i32,
            message: update.message,
            source: Some(task_status::Source::Executor as i32),
            reason: update.reason.map(|r| r as i32),
            data: update.data,
            agent_id: self.agent_id.clone(),
            executor_id: Some(self.env.executor_id.clone()),
            timestamp: Some(now_seconds()),
            uuid: Some(uuid.clone()),
            healthy: update.healthy,
            labels: update.labels,
            ..Default::default()
        };
        self.ledger.record(status);
        if matches!(self.conn, Conn::Subscribed) {
            self.outbox.push_back(OutCall::Update(uuid.clone()));
        }
        uuid
    }

    /// Sends the next queued call unless one is in flight (calls go out in order).
    fn pump(&mut self, ctx: &mut Context<Self>) {
        if self.call_in_flight || self.pump_paused || !matches!(self.conn, Conn::Subscribed) {
            return;
        }
        while let Some(out) = self.outbox.pop_front() {
            let call = match &out {
                OutCall::Update(uuid) => match self.ledger.update(uuid) {
                    Some(status) => wire::update(&self.env, status.clone()),
                    None => continue, // acknowledged meanwhile
                },
                OutCall::Message(data, _) => wire::message(&self.env, data.clone()),
                OutCall::Heartbeat => wire::heartbeat(&self.env),
            };
            self.call_in_flight = true;
            let generation = self.generation;
            let fut = wire::send_call(self.call_client.clone(), self.env.clone(), call);
            ctx.spawn(fut.into_actor(self).map(move |result, act, ctx| {
                act.call_in_flight = false;
                act.on_call_done(generation, out, result, ctx);
                act.pump(ctx);
                act.check_shutdown_done(ctx);
            }));
            return;
        }
    }

    fn on_call_done(
        &mut self,
        generation: u64,
        out: OutCall,
        result: Result<(), CallFailure>,
        ctx: &mut Context<Self>,
    ) {
        let failure = match result {
            Ok(()) => {
                if let OutCall::Message(_, Some(tx)) = out {
                    let _ = tx.send(Ok(()));
                }
                return;
            }
            Err(f) => f,
        };
        let same_connection =
            generation == self.generation && matches!(self.conn, Conn::Subscribed);
        if failure.retryable() {
            tracing::info!(%failure, "call failed; will retry");
            match out {
                OutCall::Heartbeat => {}
                // A new SUBSCRIBE carries the update; on the same connection, retry it.
                OutCall::Update(_) if !same_connection => {}
                out => {
                    if matches!(self.conn, Conn::Offline) {
                        if let OutCall::Message(_, Some(tx)) = out {
                            let _ = tx.send(Err(MessageError::Stopped));
                        }
                        return;
                    }
                    self.outbox.push_front(out);
                    self.pump_paused = true;
                    ctx.run_later(self.settings.call_retry_delay, |act, ctx| {
                        act.pump_paused = false;
                        act.pump(ctx);
                    });
                }
            }
            return;
        }
        match out {
            OutCall::Update(uuid) => {
                if let Some(status) = self.ledger.drop_update(&uuid) {
                    self.report(
                        ErrorKind::UpdateRejected,
                        format!(
                            "agent refused the update of task {}: {failure}",
                            status.task_id
                        ),
                    );
                }
            }
            OutCall::Message(_, tx) => {
                if let (Some(tx), CallFailure::Status { status, body }) = (tx, &failure) {
                    let _ = tx.send(Err(MessageError::Rejected {
                        status: *status,
                        body: body.clone(),
                    }));
                }
            }
            OutCall::Heartbeat => tracing::info!(%failure, "HEARTBEAT call refused"),
        }
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
                            ErrorKind::MalformedEvent,
                            format!("undecodable event ({} bytes): {e}", bytes.len()),
                        );
                        self.connection_lost("malformed event".into(), true, ctx);
                    }
                }
            }
            WireEvent::Broken(client::StreamError::Framing(e)) => {
                self.report(ErrorKind::MalformedEvent, format!("bad RecordIO: {e}"));
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
