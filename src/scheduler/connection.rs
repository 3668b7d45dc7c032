//! `MasterConnection`: the only actor that speaks HTTP to the master.
//!
//! It owns the subscription: SUBSCRIBE on its own streaming connection, every other call on
//! separate keep-alive connections with the current `Mesos-Stream-Id` and the framework id;
//! decoding of the RecordIO event stream into typed messages for the other actors; the
//! heartbeat watchdog; reconnection with exponential backoff and jitter; 307 leader
//! redirects (scheme-less `Location`), 503 retries, a list of master candidates; failover
//! with the framework id in both places; HTTP Basic auth; JSON or protobuf.

use super::events::{
    Disconnected, Failure, FrameworkMessage, MesosError, Offers, Rescind, Subscribed,
};
use crate::codec::Encoding;
use crate::proto::{FrameworkInfo, TaskStatus, scheduler};
use actix::prelude::*;
use std::time::Duration;

// ---------------------------------------------------------------------------------------
// Messages handled by MasterConnection.
// ---------------------------------------------------------------------------------------

/// Sends one call (anything but SUBSCRIBE) to the master. The connection fills in
/// `framework_id` and the `Mesos-Stream-Id` header. Fails fast when not subscribed.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<(), CallError>")]
pub struct SendCall(pub scheduler::Call);

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

/// A status update from the event stream, for the [`TaskTracker`](super::tasks::TaskTracker).
#[derive(Message, Debug, Clone, PartialEq)]
#[rtype(result = "()")]
pub struct StatusUpdate(pub TaskStatus);

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
    /// The request could not be sent or the response not received.
    #[error("call transport failed: {0}")]
    Transport(String),
    /// The runtime is shutting down.
    #[error("runtime stopped")]
    Stopped,
}

/// Where the connection sends what it hears.
#[derive(Clone)]
pub struct ConnectionSinks {
    /// OFFERS events (the matcher, or the user's actor in raw mode).
    pub offers: Recipient<Offers>,
    /// RESCIND events.
    pub rescinds: Recipient<Rescind>,
    /// UPDATE events.
    pub updates: Recipient<StatusUpdate>,
    /// MESSAGE events (the message router).
    pub messages: Recipient<FrameworkMessage>,
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
    /// Candidate master base URLs (`http://host:5050`), tried in turn.
    pub masters: Vec<String>,
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
}
