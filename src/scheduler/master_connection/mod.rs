//! `MasterConnection`: the only actor that speaks HTTP to the master.
//!
//! It owns the subscription: SUBSCRIBE on its own streaming connection, every other call on
//! separate keep-alive connections with the current `Mesos-Stream-Id` and the framework id;
//! decoding of the RecordIO event stream into typed messages for the other actors; the
//! heartbeat watchdog; reconnection with exponential backoff and jitter; 307 leader
//! redirects (scheme-less `Location`), 503 retries, a list of master candidates; failover
//! with the framework id in both places; HTTP Basic auth; JSON or protobuf; `zk://` leader
//! detection (`detection.rs`); `https://` with a configurable CA bundle.

use super::events::{
    Disconnected, ExecutorMessage, Failure, MesosError, MesosErrorKind, OfferIntake, Offers,
    Rescind, Subscribed,
};
use crate::codec::Encoding;
use crate::proto::{FrameworkId, FrameworkInfo, scheduler};
use crate::scheduler::calls;
use crate::scheduler::task_tracker::UpdateReceived;
use actix::prelude::*;
use backoff::Backoff;
use bytes::Bytes;
use futures_util::StreamExt;
use std::rc::Rc;
use std::time::{Duration, Instant};
use tracing::Instrument;
use wire::{Attempt, Wire};

mod backoff;
mod detection;
mod endpoint;
mod lifecycle;
mod resume;
mod send;
mod stream;
mod wire;

// ---------------------------------------------------------------------------------------
// Messages handled by MasterConnection.
// ---------------------------------------------------------------------------------------

/// Sends one call (anything but SUBSCRIBE) to the master. The connection fills in
/// `framework_id` and the `Mesos-Stream-Id` header. Fails fast when not subscribed.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<(), CallError>")]
pub struct SendCall(pub scheduler::Call);

/// Sends one call the matcher built as protobuf bytes (its ACCEPTs): as they are with
/// protobuf (the framework id put in place when it differs), decoded for JSON.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<(), CallError>")]
pub struct SendEncoded(pub crate::scheduler::calls::EncodedCall);

/// Stops the connection and the runtime's use of the master.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
#[rtype(result = "()")]
pub enum Stop {
    /// Close the subscription only: the master keeps the framework and its tasks for
    /// `failover_timeout`, so another instance can take over with the same framework id.
    Failover,
    /// Send TEARDOWN: the master kills every task and forgets the framework.
    Teardown,
}

/// Asks which framework id the runtime is subscribed with, if any yet.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "Option<crate::proto::FrameworkId>")]
pub struct GetFrameworkId;

/// Why a call did not reach the master or was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No subscription right now (the call is not queued: offers and stream ids die with
    /// the subscription).
    #[error("not subscribed to a master")]
    NotSubscribed,
    /// The master answered with a non-2xx status.
    #[error("master answered {status}: {body}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// Response body (truncated).
        body: String,
    },
    /// The request left (or may have left) but no answer came: the connection broke or
    /// the call timed out. The master may or may not have acted on it.
    #[error("call transport failed: {0}")]
    Transport(String),
    /// The request never left: no connection to the master could be opened. The master
    /// did not act on it.
    #[error("call not sent: {0}")]
    NotSent(String),
    /// The runtime is shutting down.
    #[error("runtime stopped")]
    Stopped,
}

impl CallError {
    /// Whether the master may have acted on the call although it failed: `true` only for
    /// [`CallError::Transport`] (the request may have arrived); every other error means
    /// the master refused it or never saw it.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, CallError::Transport(_))
    }
}

/// Where the connection sends what it hears.
#[derive(Clone)]
pub struct ConnectionSinks {
    /// OFFERS events (the matcher, or the user's actor in raw mode).
    pub offers: Recipient<Offers>,
    /// The built-in matcher, when there is one: OFFERS events of a protobuf stream go to
    /// it decoded straight from their bytes (see [`OfferIntake`]) instead of to `offers`.
    pub matcher: Option<Recipient<OfferIntake>>,
    /// RESCIND events.
    pub rescinds: Recipient<Rescind>,
    /// UPDATE events.
    pub updates: Recipient<UpdateReceived>,
    /// MESSAGE events (the message router).
    pub messages: Recipient<ExecutorMessage>,
    /// Every actor and user recipient that wants to hear of subscriptions.
    pub subscribed: Vec<Recipient<Subscribed>>,
    /// Every actor and user recipient that wants to hear of disconnections.
    pub disconnected: Vec<Recipient<Disconnected>>,
    /// FAILURE events.
    pub failures: Vec<Recipient<Failure>>,
    /// ERROR events and fatal answers.
    pub errors: Vec<Recipient<MesosError>>,
}

/// How to reach and talk to the master.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// Candidate master base URLs (`http://host:5050`), tried in turn. A single `zk://`
    /// entry (or [`zk`](Self::zk)) means: follow the leader ZooKeeper names.
    pub masters: Vec<String>,
    /// The ZooKeeper group whose leader is the master, when masters are detected.
    pub zk: Option<crate::zk::ZkUrl>,
    /// TLS settings for `https://` masters (`None`: the web PKI roots).
    pub tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    /// The framework to subscribe (its `id` is set when resuming a known framework).
    pub framework_info: FrameworkInfo,
    /// Wire encoding.
    pub encoding: Encoding,
    /// HTTP Basic credentials (principal, secret).
    pub credentials: Option<(String, String)>,
    /// First reconnect delay.
    pub backoff_initial: Duration,
    /// Reconnect delay cap.
    pub backoff_max: Duration,
    /// Silence of this many heartbeat intervals kills the subscription.
    pub heartbeat_misses: f64,
    /// Timeout for ordinary calls.
    pub call_timeout: Duration,
    /// RecordIO record cap.
    pub max_record_bytes: usize,
    /// Keep-alive connections for calls.
    pub call_connections: usize,
    /// Pipeline calls to `http://` masters (see [`RuntimeConfig::call_pipelining`]).
    ///
    /// [`RuntimeConfig::call_pipelining`]: super::RuntimeConfig::call_pipelining
    pub call_pipelining: bool,
}

impl ConnectionSettings {
    /// Settings for `framework_info` from the runtime configuration (masters, encoding,
    /// backoff, heartbeat misses, call timeout, record cap, call connections), without
    /// credentials.
    pub fn from_config(config: &super::RuntimeConfig, framework_info: FrameworkInfo) -> Self {
        use super::config::secs;
        ConnectionSettings {
            masters: config.masters.clone(),
            zk: None,
            tls: config
                .tls_ca
                .as_deref()
                .and_then(|ca| crate::transport::client::tls_config(Some(ca)).ok()),
            framework_info,
            encoding: config.encoding,
            credentials: None,
            backoff_initial: secs(config.backoff_initial_secs),
            backoff_max: secs(config.backoff_max_secs),
            heartbeat_misses: config.heartbeat_misses,
            call_timeout: secs(config.call_timeout_secs),
            max_record_bytes: config.max_record_bytes,
            call_connections: config.call_connections,
            call_pipelining: config.call_pipelining,
        }
    }
}

// ---------------------------------------------------------------------------------------
// The actor.
// ---------------------------------------------------------------------------------------

/// The heartbeat interval assumed until the master states one (Mesos' hard-coded 15 s).
const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);

/// The live subscription, shared with in-flight calls. Replaced as a whole on every
/// (re)subscription, so a call always carries a matching URL, stream id and framework id.
#[derive(Debug)]
struct Session {
    /// The scheduler endpoint (after redirects).
    url: String,
    /// `Mesos-Stream-Id` of the subscription.
    stream_id: String,
    /// The framework id the master confirmed.
    framework_id: FrameworkId,
}

/// Where the connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// A SUBSCRIBE attempt is in flight.
    Connecting,
    /// The event stream is open (subscribed once SUBSCRIBED arrived).
    Streaming,
    /// Waiting before the next attempt.
    Waiting,
    /// Stopped for good.
    Stopped,
}

/// The only actor that speaks HTTP to the master; see the module docs.
///
/// Starting it subscribes. Send it [`SendCall`] for every call, [`Stop`] to leave, and
/// [`GetFrameworkId`] to learn the framework id. What it hears goes to the
/// [`ConnectionSinks`].
///
/// Behaviour in short:
/// - SUBSCRIBE goes to the last known leader, else to `settings.masters` in turn (an
///   unreachable master moves on to the next at once; after a full round, and after 503,
///   5xx or 404, it waits with exponential backoff and jitter, reset by a SUBSCRIBED).
///   Redirects (307 with a protocol-relative `Location`) are followed by hand, up to 5
///   hops, and the target becomes the URL of the subscription and of every later call.
/// - Every failed attempt (unreachable, 503, 5xx...) is reported as
///   `Disconnected { will_retry: true }` with its cause. A refused TLS certificate
///   ([`MesosErrorKind::Tls`]) and a URL the client cannot use (`InvalidMaster`) are final.
/// - With a `zk://` master a [`LeaderDetector`](crate::zk::LeaderDetector) names the leader;
///   a new leader closes the stream and re-subscribes to it with the framework id. While
///   ZooKeeper is unreachable the current master is kept and one
///   [`MesosErrorKind::ZooKeeper`] error is reported per outage.
/// - 401 ([`MesosErrorKind::Unauthorized`]), 403 (`Forbidden`), other 4xx
///   (`SubscribeRejected`) and an `ERROR` event (`ErrorEvent`) are final: one
///   [`MesosError`], one `Disconnected { will_retry: false }`, and the actor stops.
/// - A stream that ends, fails, carries undecodable bytes (reported as
///   `MalformedStream`) or stays silent for `heartbeat_misses` heartbeat intervals is
///   closed, `Disconnected { will_retry: true }` is sent, and the connection re-subscribes
///   with the framework id in both places. If a framework with a positive
///   `failover_timeout` stays disconnected longer than that, it reports `GaveUp` and stops.
/// - Calls run concurrently on their own keep-alive clients; each carries the framework id
///   and the stream id of the subscription current when it was sent. Without a
///   subscription a call fails at once with [`CallError::NotSubscribed`]; after [`Stop`],
///   with [`CallError::Stopped`] (or a closed mailbox once the actor is gone).
///
/// ```no_run
/// # use actix::prelude::*;
/// # use mesos_actix::__internals::master_connection::*;
/// # use mesos_actix::scheduler::RuntimeConfig;
/// # use mesos_actix::proto::{FrameworkInfo, scheduler::{Call, call}};
/// # async fn example(sinks: ConnectionSinks) -> Result<(), Box<dyn std::error::Error>> {
/// let mut config = RuntimeConfig::default();
/// config.masters = vec!["http://m1:5050".into(), "http://m2:5050".into()];
/// let settings = ConnectionSettings::from_config(&config, FrameworkInfo::new("demo"));
/// let connection = MasterConnection::new(settings, sinks).start();
/// // ... once a `Subscribed` arrived at one of the sinks:
/// let revive = Call { r#type: Some(call::Type::Revive as i32), ..Default::default() };
/// connection.send(SendCall(revive)).await??;
/// connection.send(Stop::Failover).await?;
/// # Ok(())
/// # }
/// ```
pub struct MasterConnection {
    settings: ConnectionSettings,
    sinks: ConnectionSinks,
    wire: Rc<Wire>,
    span: tracing::Span,
    call_clients: Vec<awc::Client>,
    next_call_client: usize,
    /// Pipelined call connections of the current session (plain http masters).
    pipes: crate::transport::pipe::CallPipes,
    framework_id: Option<FrameworkId>,
    /// Index into `settings.masters` of the next candidate.
    master_index: usize,
    /// Unreachable candidates since the last answer (a full round means: back off).
    unreachable_in_round: usize,
    /// The leader learned from a redirect or a subscription: tried first.
    leader_url: Option<String>,
    /// Subscription generation: bumped on every attempt and every close, so late results
    /// of an abandoned attempt or stream are ignored.
    generation: u64,
    phase: Phase,
    stream: Option<SpawnHandle>,
    stream_encoding: Encoding,
    /// URL and stream id of the open stream, before its SUBSCRIBED event.
    pending: Option<(String, String)>,
    session: Option<Rc<Session>>,
    ever_subscribed: bool,
    heartbeat_interval: Duration,
    last_event: Instant,
    watchdog: Option<SpawnHandle>,
    backoff: Backoff,
    disconnected_since: Option<Instant>,
    /// ZooKeeper leader detection, when the master is given as `zk://`.
    detector: Option<crate::zk::LeaderDetector>,
    /// Whether ZooKeeper detection is failing (reported once per outage).
    zk_failing: bool,
    /// Subscribe as a new framework if the resumed id has been removed (`resume.rs`).
    fresh_if_removed: bool,
    /// The runtime's counters.
    metrics: std::sync::Arc<crate::scheduler::metrics::Metrics>,
}

impl MasterConnection {
    /// A connection that will subscribe `settings.framework_info` (resuming its `id` when
    /// set) to one of `settings.masters` once started.
    pub fn new(mut settings: ConnectionSettings, sinks: ConnectionSinks) -> MasterConnection {
        if settings.zk.is_none()
            && let Ok(crate::zk::MasterSpec::Zk(zk)) =
                crate::zk::MasterSpec::parse(&settings.masters.join(","))
        {
            settings.zk = Some(zk);
            settings.masters.clear();
        }
        settings.masters.retain(|master| {
            let usable = endpoint::is_supported(master);
            if !usable {
                tracing::warn!(%master, "ignoring master URL: only http(s) masters are supported");
            }
            usable
        });
        let wire = Rc::new(Wire::new(
            settings.encoding,
            settings.credentials.as_ref(),
            settings.max_record_bytes,
        ));
        let span = tracing::info_span!(
            "mesos_framework",
            name = %settings.framework_info.name,
            framework_id = tracing::field::Empty,
        );
        let framework_id = settings.framework_info.id.clone();
        if let Some(id) = &framework_id {
            span.record("framework_id", tracing::field::display(id));
        }
        let backoff = Backoff::new(settings.backoff_initial, settings.backoff_max);
        MasterConnection {
            stream_encoding: settings.encoding,
            settings,
            sinks,
            wire,
            span,
            call_clients: Vec::new(),
            next_call_client: 0,
            pipes: crate::transport::pipe::CallPipes::default(),
            framework_id,
            master_index: 0,
            unreachable_in_round: 0,
            leader_url: None,
            generation: 0,
            phase: Phase::Waiting,
            stream: None,
            pending: None,
            session: None,
            ever_subscribed: false,
            heartbeat_interval: DEFAULT_HEARTBEAT,
            last_event: Instant::now(),
            watchdog: None,
            backoff,
            disconnected_since: None,
            detector: None,
            zk_failing: false,
            fresh_if_removed: false,
            metrics: Default::default(),
        }
    }

    /// Counts into `metrics` (the runtime's shared counters) instead of counters of its own.
    pub fn with_metrics(
        mut self,
        metrics: std::sync::Arc<crate::scheduler::metrics::Metrics>,
    ) -> Self {
        self.metrics = metrics;
        self
    }

    /// The SUBSCRIBE call: the framework id in both places once known, else in neither.
    fn subscribe_body(&self) -> Bytes {
        let call = calls::subscribe(
            self.settings.framework_info.clone(),
            self.framework_id.clone(),
        );
        Bytes::from(self.wire.encoding.encode(&call))
    }

    /// Starts one SUBSCRIBE attempt against the leader if known, else the next candidate.
    fn connect(&mut self, ctx: &mut Context<Self>) {
        if self.phase == Phase::Stopped || self.check_gave_up(ctx) {
            return;
        }
        let url = match (&self.leader_url, self.settings.masters.len()) {
            (Some(url), _) => url.clone(),
            (None, 0) if self.settings.zk.is_some() => {
                self.phase = Phase::Waiting;
                tracing::debug!(parent: &self.span, "waiting for ZooKeeper to name a leader");
                return;
            }
            (None, 0) => {
                self.fatal(
                    ctx,
                    MesosErrorKind::GaveUp,
                    "no usable master URL configured (http or https)".into(),
                );
                return;
            }
            (None, n) => {
                let master = self.settings.masters.get(self.master_index % n);
                endpoint::scheduler_url(master.map_or("", String::as_str))
            }
        };
        self.generation += 1;
        let generation = self.generation;
        self.phase = Phase::Connecting;
        tracing::debug!(parent: &self.span, %url, "subscribing");
        // A fresh client per attempt: the subscription gets a connection of its own.
        let client = crate::transport::client::http_client_with_tls(
            self.settings.call_timeout,
            self.settings.tls.clone(),
        );
        let attempt = wire::subscribe(client, url, self.subscribe_body(), self.wire.clone())
            .instrument(self.span.clone());
        ctx.spawn(
            attempt
                .into_actor(self)
                .map(move |attempt, act, ctx| act.on_attempt(generation, attempt, ctx)),
        );
    }

    fn on_attempt(&mut self, generation: u64, attempt: Attempt, ctx: &mut Context<Self>) {
        if generation != self.generation || self.phase != Phase::Connecting {
            return; // abandoned (stopped meanwhile); dropping it closes any stream
        }
        match attempt {
            Attempt::Stream {
                url,
                stream_id,
                encoding,
                records,
            } => {
                tracing::info!(parent: &self.span, %url, %stream_id, "event stream open");
                self.unreachable_in_round = 0;
                self.leader_url = Some(url.clone());
                self.pending = Some((url, stream_id));
                self.phase = Phase::Streaming;
                self.stream_encoding = encoding;
                self.last_event = Instant::now();
                let items = records
                    .map(move |r| stream::StreamItem::record(generation, r))
                    .chain(futures_util::stream::once(async move {
                        stream::StreamItem::end(generation)
                    }));
                self.stream = Some(ctx.add_stream(items));
                self.arm_watchdog(ctx);
            }
            Attempt::Unreachable { url, error } => {
                tracing::warn!(parent: &self.span, %url, %error, "master unreachable");
                if crate::transport::client::is_certificate_error(&error) {
                    let message = format!("TLS certificate of {url} refused: {error}");
                    return self.fatal(ctx, MesosErrorKind::Tls, message);
                }
                self.broadcast_disconnected(format!("{url} unreachable: {error}"), true);
                if self.leader_url.take().is_none() {
                    self.master_index = self.master_index.wrapping_add(1);
                }
                self.unreachable_in_round += 1;
                if self.unreachable_in_round < self.settings.masters.len().max(1) {
                    self.schedule_retry(ctx, Duration::ZERO);
                } else {
                    self.unreachable_in_round = 0;
                    let delay = self.backoff.next_delay();
                    self.schedule_retry(ctx, delay);
                }
            }
            Attempt::Retry { reason } => {
                tracing::warn!(parent: &self.span, %reason, "subscription refused for now");
                self.broadcast_disconnected(reason, true);
                if self.leader_url.take().is_none() {
                    self.master_index = self.master_index.wrapping_add(1);
                }
                let delay = self.backoff.next_delay();
                self.schedule_retry(ctx, delay);
            }
            Attempt::Fatal { kind, message } => self.fatal(ctx, kind, message),
        }
    }

    /// The next keep-alive client for a call (created on first use, up to
    /// `call_connections`).
    fn call_client(&mut self) -> awc::Client {
        let wanted = self.settings.call_connections.max(1);
        let index = self.next_call_client % wanted;
        self.next_call_client = self.next_call_client.wrapping_add(1);
        if let Some(client) = self.call_clients.get(index) {
            return client.clone();
        }
        let client = crate::transport::client::http_client_with_tls(
            self.settings.call_timeout,
            self.settings.tls.clone(),
        );
        self.call_clients.push(client.clone());
        client
    }
}

impl Actor for MasterConnection {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        tracing::info!(parent: &self.span, masters = ?self.settings.masters, zk = ?self.settings.zk, "starting");
        self.start_detection(ctx);
        self.connect(ctx);
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        tracing::info!(parent: &self.span, "stopped");
    }
}

impl Handler<Stop> for MasterConnection {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, stop: Stop, _ctx: &mut Self::Context) -> Self::Result {
        let already_stopping = self.phase == Phase::Stopped;
        let session = self.session.clone().filter(|_| !already_stopping);
        let was_subscribed = session.is_some();
        self.phase = Phase::Stopped;
        let teardown = match (stop, session) {
            (Stop::Teardown, Some(session)) => {
                let call = calls::teardown(session.framework_id.clone());
                let body = Bytes::from(self.wire.encoding.encode(&call));
                Some(wire::call(
                    self.call_client(),
                    session,
                    body,
                    self.wire.clone(),
                ))
            }
            _ => None,
        };
        let timeout = self.settings.call_timeout;
        tracing::info!(parent: &self.span, ?stop, "stopping");
        let done = async move {
            if let Some(teardown) = teardown {
                match actix_rt::time::timeout(timeout, teardown).await {
                    Ok(Ok(())) => tracing::info!("framework torn down"),
                    Ok(Err(e)) => tracing::warn!(error = %e, "TEARDOWN failed"),
                    Err(_) => tracing::warn!("TEARDOWN timed out"),
                }
            }
        }
        .instrument(self.span.clone());
        Box::pin(done.into_actor(self).map(move |(), act, ctx| {
            act.close_stream(ctx);
            if was_subscribed {
                act.broadcast_disconnected(format!("stopped ({stop:?})"), false);
            }
            ctx.stop();
        }))
    }
}

impl Handler<GetFrameworkId> for MasterConnection {
    type Result = MessageResult<GetFrameworkId>;

    fn handle(&mut self, _: GetFrameworkId, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(self.framework_id.clone())
    }
}
