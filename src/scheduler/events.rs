//! What the scheduler runtime tells the user's actors: the typed replacements of the old
//! driver's callbacks (`registered`, `statusUpdate`, `frameworkMessage`, `disconnected`,
//! `executorLost`, `error`, `resourceOffers`, `offerRescinded`).
//!
//! Register a `Recipient<_>` for each with the [`FrameworkBuilder`](super::FrameworkBuilder).
//! The runtime's own actors handle some of them too (for example every actor hears
//! [`Subscribed`] and [`Disconnected`]).

use crate::proto::{
    AgentId, ExecutorId, FrameworkId, MasterInfo, Offer, OfferId, TaskId, TaskState, TaskStatus,
    task_status::Reason,
};
use crate::resources::{ResourceError, Resources};
use actix::Message;
use std::time::Duration;

/// The framework is subscribed (first time or again): `registered`/`reregistered`.
#[derive(Message, Debug, Clone, PartialEq)]
#[rtype(result = "()")]
pub struct Subscribed {
    /// The framework id the master assigned (or confirmed).
    pub framework_id: FrameworkId,
    /// The master's heartbeat interval (15 s unless the master says otherwise).
    pub heartbeat_interval: Duration,
    /// The master, when it said who it is.
    pub master_info: Option<MasterInfo>,
    /// The URL the subscription is served from (after any redirect).
    pub master_url: String,
    /// `false` for the first subscription of this runtime, `true` afterwards.
    pub resubscribed: bool,
}

/// The subscription is gone (stream cut, heartbeats missed, master gone): `disconnected`.
/// Offers are void from here on; the runtime re-subscribes on its own unless
/// `will_retry` is `false`.
#[derive(Message, Debug, Clone, PartialEq)]
#[rtype(result = "()")]
pub struct Disconnected {
    /// What happened, for humans.
    pub reason: String,
    /// Whether the runtime will try to subscribe again.
    pub will_retry: bool,
}

/// A status change of one of the framework's tasks: `statusUpdate`.
///
/// Delivered before the update is acknowledged to Mesos, so a user who got it has it.
#[derive(Message, Debug, Clone, PartialEq)]
#[rtype(result = "()")]
pub struct TaskUpdate {
    /// The name of the [`TaskSpec`](super::TaskSpec) this task was launched from.
    pub name: String,
    /// The Mesos task id of this attempt.
    pub task_id: TaskId,
    /// The new state.
    pub state: TaskState,
    /// Why the task is in this state, when Mesos said (`None` when the status carries no
    /// reason, or one this library does not know). Read this rather than
    /// `status.reason()`, which answers `REASON_COMMAND_EXECUTOR_FAILED` (the protobuf
    /// default) for an unset reason.
    pub reason: Option<Reason>,
    /// The whole status as Mesos sent it (message, reason, source, data, ...).
    pub status: TaskStatus,
    /// Which attempt this is: 0 for the first launch, then 1, 2, ... for retries.
    pub attempt: u32,
    /// `true` when the task is terminal and will not be retried: its final word.
    pub is_final: bool,
}

/// The reason `status` carries: `None` when unset or unknown (never the protobuf default).
pub(crate) fn reason_of(status: &TaskStatus) -> Option<Reason> {
    status.reason.and_then(|r| Reason::try_from(r).ok())
}

/// Bytes an executor sent to the scheduler: `frameworkMessage`. Best effort in Mesos.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
#[rtype(result = "()")]
pub struct ExecutorMessage {
    /// The agent the executor runs on.
    pub agent_id: AgentId,
    /// The executor that sent it.
    pub executor_id: ExecutorId,
    /// The payload.
    pub data: Vec<u8>,
}

/// An agent or an executor is gone: `slaveLost` / `executorLost`. Informational: task
/// states always come as [`TaskUpdate`]s.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
#[rtype(result = "()")]
pub struct Failure {
    /// The agent (alone: the agent was removed).
    pub agent_id: Option<AgentId>,
    /// The executor that exited, if this is about an executor.
    pub executor_id: Option<ExecutorId>,
    /// The raw `waitpid` status, if known.
    pub status: Option<i32>,
}

impl Failure {
    /// The executor's exit code (`WEXITSTATUS`), if it exited normally.
    pub fn exit_code(&self) -> Option<i32> {
        self.status
            .filter(|s| s & 0x7f == 0)
            .map(|s| (s >> 8) & 0xff)
    }
}

/// Why the runtime gave up on something, or what Mesos refused: `error`.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
#[rtype(result = "()")]
pub struct MesosError {
    /// What kind of failure.
    pub kind: MesosErrorKind,
    /// The master's message or ours.
    pub message: String,
}

/// The kinds of [`MesosError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MesosErrorKind {
    /// The master sent an `ERROR` event (failed over, removed, invalid FrameworkInfo...).
    /// The subscription is over and the runtime does not re-subscribe.
    ErrorEvent,
    /// `401 Unauthorized`: credentials missing or wrong. Not retried.
    Unauthorized,
    /// `403 Forbidden`.
    Forbidden,
    /// Another 4xx answer to SUBSCRIBE (the request itself is wrong). Not retried.
    SubscribeRejected,
    /// A call (not SUBSCRIBE) was refused by the master.
    CallRejected,
    /// No master could be reached for longer than the framework's failover timeout, or the
    /// configured retry limit was reached.
    GaveUp,
    /// The stream carried bytes that could not be decoded (reported, then reconnected).
    MalformedStream,
    /// A master URL the HTTP client cannot use (bad host, bad port). Not retried.
    InvalidMaster,
    /// The master's TLS certificate was refused (wrong or missing CA). Not retried.
    Tls,
    /// ZooKeeper master detection is failing; the current master is kept and detection
    /// retries by itself. Reported, not fatal.
    ZooKeeper,
}

/// New offers (`resourceOffers`). They go to the built-in offer matcher, or in raw mode
/// (see [`FrameworkBuilder::raw_offers`](super::FrameworkBuilder::raw_offers)) to the
/// user's own actor, which answers them with [`Framework::call`](super::Framework::call) (ACCEPT or DECLINE).
#[derive(Message, Debug, Clone, PartialEq)]
#[rtype(result = "()")]
pub struct Offers(pub Vec<Offer>);

/// An offer as the built-in matcher takes it: its resources already built into a
/// [`Resources`] pool (`offer.resources` is left empty), with why each invalid offered
/// resource was left out.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingOffer {
    /// The offer without its resources (and, when read from the wire by the slim
    /// decode, without the fields the matcher does not read: `url`, `domain`,
    /// `unavailability`).
    pub offer: Offer,
    /// Its valid resources.
    pub pool: Resources,
    /// Why each invalid offered resource was left out.
    pub invalid: Vec<ResourceError>,
}

impl IncomingOffer {
    /// A fully decoded offer, its resources moved into the pool.
    pub fn from_offer(mut offer: Offer) -> IncomingOffer {
        let (pool, invalid) = Resources::from_proto_lossy(std::mem::take(&mut offer.resources));
        IncomingOffer {
            offer,
            pool,
            invalid,
        }
    }
}

/// New offers for the built-in matcher, decoded straight from the event's bytes (the
/// protobuf stream's OFFERS events, when raw mode is off). Internal to the runtime.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub struct OfferIntake(pub Vec<IncomingOffer>);

/// An offer was rescinded (`offerRescinded`): it must not be used any more.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
#[rtype(result = "()")]
pub struct Rescind(pub OfferId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_from_wait_status() {
        let f = |status| Failure {
            agent_id: None,
            executor_id: None,
            status,
        };
        assert_eq!(f(Some(0)).exit_code(), Some(0));
        assert_eq!(f(Some(3 << 8)).exit_code(), Some(3));
        assert_eq!(f(Some(9)).exit_code(), None); // killed by SIGKILL
        assert_eq!(f(None).exit_code(), None);
    }

    #[test]
    fn unset_reason_is_none_not_the_protobuf_default() {
        let mut status = TaskStatus::default();
        assert_eq!(reason_of(&status), None);
        status.reason = Some(Reason::CommandExecutorFailed as i32);
        assert_eq!(reason_of(&status), Some(Reason::CommandExecutorFailed));
        status.reason = Some(i32::MAX);
        assert_eq!(reason_of(&status), None);
    }
}
