//! The runtime's counters: one shared [`Metrics`] of relaxed atomics, created with the
//! actor graph and handed to each actor, which bumps its counters where things happen.
//! [`Framework::metrics`](super::Framework::metrics) reads them into a [`MetricsSnapshot`].

use crate::proto::TaskState;
use crate::proto::scheduler::call;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Call kinds counted apart (index into the per-call arrays).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    Accept,
    Decline,
    Revive,
    Suppress,
    Acknowledge,
    Reconcile,
    Kill,
    Other,
}

const CALL_KINDS: usize = 8;

impl CallKind {
    /// The kind of a call by its `type` field.
    pub(crate) fn of(t: Option<i32>) -> CallKind {
        match t.and_then(|t| call::Type::try_from(t).ok()) {
            Some(call::Type::Accept) => CallKind::Accept,
            Some(call::Type::Decline) => CallKind::Decline,
            Some(call::Type::Revive) => CallKind::Revive,
            Some(call::Type::Suppress) => CallKind::Suppress,
            Some(call::Type::Acknowledge) => CallKind::Acknowledge,
            Some(call::Type::Reconcile) => CallKind::Reconcile,
            Some(call::Type::Kill) => CallKind::Kill,
            _ => CallKind::Other,
        }
    }
}

/// The shared counters (see the [module docs](self)). Every update is one relaxed atomic
/// operation.
#[derive(Debug, Default)]
pub struct Metrics {
    offers_received: AtomicU64,
    offers_accepted: AtomicU64,
    offers_declined: AtomicU64,
    offers_rescinded: AtomicU64,
    tasks_submitted: AtomicU64,
    tasks_queued: AtomicU64,
    tasks_launched: AtomicU64,
    tasks_requeued: AtomicU64,
    tasks_running: AtomicU64,
    tasks_finished: AtomicU64,
    tasks_failed: AtomicU64,
    tasks_killed: AtomicU64,
    tasks_lost: AtomicU64,
    tasks_error: AtomicU64,
    tasks_dropped: AtomicU64,
    tasks_gone: AtomicU64,
    subscriptions: AtomicU64,
    disconnections: AtomicU64,
    malformed_events: AtomicU64,
    delivery_queue: AtomicU64,
    calls_in_flight: AtomicU64,
    calls_ok: [AtomicU64; CALL_KINDS],
    calls_failed: [AtomicU64; CALL_KINDS],
}

/// Adds one (relaxed).
fn bump(c: &AtomicU64) {
    c.fetch_add(1, Relaxed);
}

/// Subtracts one, never below zero.
fn drop_one(c: &AtomicU64) {
    let _ = c.fetch_update(Relaxed, Relaxed, |v| Some(v.saturating_sub(1)));
}

impl Metrics {
    /// `n` offers arrived in an OFFERS event.
    pub(crate) fn offers_received(&self, n: usize) {
        self.offers_received.fetch_add(n as u64, Relaxed);
    }
    /// An ACCEPT naming `n` offers was taken by the master.
    pub(crate) fn offers_accepted(&self, n: usize) {
        self.offers_accepted.fetch_add(n as u64, Relaxed);
    }
    /// A DECLINE of `n` offers was sent.
    pub(crate) fn offers_declined(&self, n: usize) {
        self.offers_declined.fetch_add(n as u64, Relaxed);
    }
    /// A RESCIND event arrived.
    pub(crate) fn offer_rescinded(&self) {
        bump(&self.offers_rescinded);
    }
    /// `n` tasks were submitted.
    pub(crate) fn tasks_submitted(&self, n: usize) {
        self.tasks_submitted.fetch_add(n as u64, Relaxed);
    }
    /// The matcher's queue now holds `n` tasks.
    pub(crate) fn set_queued(&self, n: usize) {
        self.tasks_queued.store(n as u64, Relaxed);
    }
    /// `n` tasks were in an ACCEPT the master took.
    pub(crate) fn tasks_launched(&self, n: usize) {
        self.tasks_launched.fetch_add(n as u64, Relaxed);
    }
    /// `n` tasks were put back in the queue after their ACCEPT was refused.
    pub(crate) fn tasks_requeued(&self, n: usize) {
        self.tasks_requeued.fetch_add(n as u64, Relaxed);
    }
    /// The current attempt of a task moved from `from` to `to` (an update applied once).
    pub(crate) fn task_state(&self, from: TaskState, to: TaskState) {
        if from == to {
            return;
        }
        if from == TaskState::TaskRunning {
            drop_one(&self.tasks_running);
        }
        let counter = match to {
            TaskState::TaskRunning => &self.tasks_running,
            TaskState::TaskFinished => &self.tasks_finished,
            TaskState::TaskFailed => &self.tasks_failed,
            TaskState::TaskKilled => &self.tasks_killed,
            TaskState::TaskLost => &self.tasks_lost,
            TaskState::TaskError => &self.tasks_error,
            TaskState::TaskDropped => &self.tasks_dropped,
            TaskState::TaskGone | TaskState::TaskGoneByOperator => &self.tasks_gone,
            _ => return,
        };
        bump(counter);
    }
    /// A SUBSCRIBED event arrived.
    pub(crate) fn subscribed(&self) {
        bump(&self.subscriptions);
    }
    /// The subscription was lost (or an attempt failed) and will be retried.
    pub(crate) fn disconnected(&self) {
        bump(&self.disconnections);
    }
    /// The event stream carried an undecodable record or an invalid event.
    pub(crate) fn malformed_event(&self) {
        bump(&self.malformed_events);
    }
    /// An update entered the tracker's delivery queue.
    pub(crate) fn delivery_queued(&self) {
        bump(&self.delivery_queue);
    }
    /// An update left the tracker's delivery queue (delivered).
    pub(crate) fn delivery_done(&self) {
        drop_one(&self.delivery_queue);
    }
    /// A call went to the master; [`Metrics::call_done`] follows with its answer.
    pub(crate) fn call_started(&self) {
        bump(&self.calls_in_flight);
    }
    /// A call started with [`Metrics::call_started`] has its answer.
    pub(crate) fn call_done(&self) {
        drop_one(&self.calls_in_flight);
    }
    /// A call of `kind` was answered: taken (`ok`) or failed.
    pub(crate) fn call_result(&self, kind: CallKind, ok: bool) {
        let counters = if ok {
            &self.calls_ok
        } else {
            &self.calls_failed
        };
        if let Some(c) = counters.get(kind as usize) {
            bump(c);
        }
    }

    /// Reads every counter (each on its own: the snapshot is not atomic as a whole).
    pub fn snapshot(&self) -> MetricsSnapshot {
        let get = |c: &AtomicU64| c.load(Relaxed);
        let calls = |a: &[AtomicU64; CALL_KINDS]| CallCounts {
            accept: get(&a[CallKind::Accept as usize]),
            decline: get(&a[CallKind::Decline as usize]),
            revive: get(&a[CallKind::Revive as usize]),
            suppress: get(&a[CallKind::Suppress as usize]),
            acknowledge: get(&a[CallKind::Acknowledge as usize]),
            reconcile: get(&a[CallKind::Reconcile as usize]),
            kill: get(&a[CallKind::Kill as usize]),
            other: get(&a[CallKind::Other as usize]),
        };
        MetricsSnapshot {
            offers: OfferCounts {
                received: get(&self.offers_received),
                accepted: get(&self.offers_accepted),
                declined: get(&self.offers_declined),
                rescinded: get(&self.offers_rescinded),
            },
            tasks: TaskCounts {
                submitted: get(&self.tasks_submitted),
                queued: get(&self.tasks_queued),
                launched: get(&self.tasks_launched),
                requeued: get(&self.tasks_requeued),
                running: get(&self.tasks_running),
                finished: get(&self.tasks_finished),
                failed: get(&self.tasks_failed),
                killed: get(&self.tasks_killed),
                lost: get(&self.tasks_lost),
                error: get(&self.tasks_error),
                dropped: get(&self.tasks_dropped),
                gone: get(&self.tasks_gone),
            },
            acknowledgements: get(&self.calls_ok[CallKind::Acknowledge as usize]),
            subscriptions: get(&self.subscriptions),
            disconnections: get(&self.disconnections),
            malformed_events: get(&self.malformed_events),
            calls_taken: calls(&self.calls_ok),
            calls_failed: calls(&self.calls_failed),
            queues: QueueDepths {
                matcher: get(&self.tasks_queued),
                delivery: get(&self.delivery_queue),
                calls_in_flight: get(&self.calls_in_flight),
            },
        }
    }
}

/// What [`Framework::metrics`](super::Framework::metrics) answers: the runtime's
/// counters since it started (totals) and its current queue depths (gauges).
///
/// ```no_run
/// # async fn example(framework: mesos_actix::scheduler::Framework) {
/// let m = framework.metrics();
/// println!(
///     "offers {} received / {} accepted; tasks {} finished, {} queued; {} failed ACCEPTs",
///     m.offers.received, m.offers.accepted, m.tasks.finished, m.tasks.queued,
///     m.calls_failed.accept,
/// );
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Offers.
    pub offers: OfferCounts,
    /// Tasks by state.
    pub tasks: TaskCounts,
    /// ACKNOWLEDGE calls the master took.
    pub acknowledgements: u64,
    /// SUBSCRIBED events: the first subscription and every re-subscription.
    pub subscriptions: u64,
    /// Lost subscriptions and failed subscription attempts that are retried.
    pub disconnections: u64,
    /// Undecodable records or invalid events on the event stream (each closes it).
    pub malformed_events: u64,
    /// Calls the master took (2xx), by type.
    pub calls_taken: CallCounts,
    /// Calls that failed (refused, not sent, or transport failure), by type.
    pub calls_failed: CallCounts,
    /// Queue depths now.
    pub queues: QueueDepths,
}

/// Offer counters (totals).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OfferCounts {
    /// Offers received in OFFERS events (raw mode included).
    pub received: u64,
    /// Offers named in ACCEPT calls the master took.
    pub accepted: u64,
    /// Offers named in DECLINE calls sent by the matcher.
    pub declined: u64,
    /// RESCIND events received.
    pub rescinded: u64,
}

/// Task counters: `queued` and `running` are gauges (now), the others totals over every
/// attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskCounts {
    /// Tasks submitted.
    pub submitted: u64,
    /// Tasks waiting in the matcher's queue now.
    pub queued: u64,
    /// Attempts in ACCEPT calls the master took (or whose outcome was unknown).
    pub launched: u64,
    /// Attempts put back in the queue because their ACCEPT was refused or not sent.
    pub requeued: u64,
    /// Attempts whose last state is TASK_RUNNING now.
    pub running: u64,
    /// Attempts that reached TASK_FINISHED.
    pub finished: u64,
    /// Attempts that reached TASK_FAILED.
    pub failed: u64,
    /// Attempts that reached TASK_KILLED (killed while pending included).
    pub killed: u64,
    /// Attempts that reached TASK_LOST.
    pub lost: u64,
    /// Attempts that reached TASK_ERROR.
    pub error: u64,
    /// Attempts that reached TASK_DROPPED.
    pub dropped: u64,
    /// Attempts that reached TASK_GONE or TASK_GONE_BY_OPERATOR.
    pub gone: u64,
}

/// Calls by type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallCounts {
    /// ACCEPT.
    pub accept: u64,
    /// DECLINE.
    pub decline: u64,
    /// REVIVE.
    pub revive: u64,
    /// SUPPRESS.
    pub suppress: u64,
    /// ACKNOWLEDGE.
    pub acknowledge: u64,
    /// RECONCILE.
    pub reconcile: u64,
    /// KILL.
    pub kill: u64,
    /// Any other call (MESSAGE, SHUTDOWN, user calls...).
    pub other: u64,
}

impl CallCounts {
    /// All types together.
    pub fn total(&self) -> u64 {
        self.accept
            + self.decline
            + self.revive
            + self.suppress
            + self.acknowledge
            + self.reconcile
            + self.kill
            + self.other
    }
}

/// Queue depths (gauges).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueDepths {
    /// Tasks waiting in the matcher's queue for an offer.
    pub matcher: u64,
    /// Task updates waiting for (or in) delivery to the user's recipients.
    pub delivery: u64,
    /// Calls sent to the master and not answered yet (queued on a call connection or in
    /// flight).
    pub calls_in_flight: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_gauges() {
        let m = Metrics::default();
        m.offers_received(3);
        m.offers_accepted(1);
        m.offers_declined(2);
        m.task_state(TaskState::TaskStaging, TaskState::TaskRunning);
        m.task_state(TaskState::TaskRunning, TaskState::TaskRunning);
        m.task_state(TaskState::TaskRunning, TaskState::TaskFinished);
        m.task_state(TaskState::TaskStaging, TaskState::TaskGoneByOperator);
        m.call_started();
        m.call_done();
        m.call_done();
        m.call_result(CallKind::of(Some(call::Type::Acknowledge as i32)), true);
        m.call_result(CallKind::of(Some(call::Type::Accept as i32)), false);
        m.call_result(CallKind::of(None), false);
        m.delivery_queued();
        let s = m.snapshot();
        assert_eq!(s.offers.received, 3);
        assert_eq!(s.offers.declined, 2);
        assert_eq!(s.tasks.running, 0);
        assert_eq!(s.tasks.finished, 1);
        assert_eq!(s.tasks.gone, 1);
        assert_eq!(s.acknowledgements, 1);
        assert_eq!(s.calls_failed.accept, 1);
        assert_eq!(s.calls_failed.other, 1);
        assert_eq!(s.calls_failed.total(), 2);
        assert_eq!(s.queues.calls_in_flight, 0);
        assert_eq!(s.queues.delivery, 1);
    }
}
