//! `TaskTracker`: every submitted task's state machine, acknowledgements, reconciliation,
//! retries, kills and the completion signal.
//!
//! An update that carries a uuid is acknowledged only after every user recipient got its
//! [`TaskUpdate`]; updates without a uuid are never
//! acknowledged. After every (re)subscription it reconciles all non-terminal tasks
//! explicitly (truncated exponential backoff until each has been heard of), and
//! implicitly on a period. Failed or lost tasks are relaunched under a new task id as
//! their [`RetryPolicy`](super::spec::RetryPolicy) allows.
//!
//! Updates reach the user strictly in arrival order, one at a time (a slow user slows
//! the acknowledgements, which is what keeps delivery at-least-once); duplicates resent
//! by Mesos (and answers of the runtime's own reconciliation repeating a known state; those
//! of a reconciliation the user asked for are all delivered) are acknowledged again
//! but delivered once; updates for task ids this tracker never issued are acknowledged and
//! logged, or adopted once the framework was resumed (`adopt.rs`). A live update for an
//! attempt already replaced by a retry gets that attempt killed: it never runs twice.
//! Per task it keeps one small record: its name, its spec (shared with the matcher, and
//! with every task whose spec differs only in its name) and its current attempt; the
//! tracker's task ids name their record (`<name>.<nonce><key>.<attempt>`), so they need no
//! index (only adopted tasks' ids have one).
//!
//! Memory is bounded ([`TrackerLimits`]): a final task's record is kept after its final
//! update was delivered (and acknowledged) for a bounded count and time, then forgotten
//! (its ids then answer "unknown task"); and while the delivery queue holds
//! `max_queued_updates` entries, updates that carry a uuid are left unacknowledged and
//! not queued: Mesos resends every unacknowledged update, so none is lost, and an agent
//! sends a task's next update only after the previous one was acknowledged.

mod adopt;
mod delivery;
mod kill;
mod reconcile;
mod record;
mod requeue;
mod retention;
mod store;
mod submit;
mod update;

use super::events::TaskUpdate;
use super::spec::{SpecError, TaskSpec};
use crate::proto::{AgentId, ExecutorId, TaskId, TaskState, TaskStatus};
use crate::scheduler::calls;
use crate::scheduler::master_connection::{SendCall, SendEncoded};
use crate::scheduler::offer_matcher::{Place, PlaceAll, Queued, Unplace};
use actix::prelude::*;
use delivery::Delivery;
use foldhash::{HashMap, HashMapExt};
use record::TaskRecord;
use retention::Retention;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

// ---------------------------------------------------------------------------------------
// Messages handled by TaskTracker.
// ---------------------------------------------------------------------------------------

/// A status update from the event stream (sent by the connection).
#[derive(Message, Debug, Clone, PartialEq)]
#[rtype(result = "()")]
pub struct UpdateReceived(pub TaskStatus);

/// One task the matcher put into an ACCEPT (the strings shared by the agent's tasks).
#[derive(Debug, Clone, PartialEq)]
pub struct Launched {
    /// The task id.
    pub task_id: TaskId,
    /// The agent it goes to.
    pub agent_id: Arc<str>,
    /// The agent's hostname.
    pub hostname: Arc<str>,
    /// The offer used (one of them, when the ACCEPT named several of the agent's offers).
    pub offer_id: Arc<str>,
    /// Its custom executor; `None` for a command task (its executor is named after it).
    pub executor_id: Option<ExecutorId>,
}

/// Sent by the matcher when the ACCEPT that carried these tasks failed (one message per
/// ACCEPT). Refused or never sent: the tasks are queued again under the same ids. Outcome
/// unknown (the request may have reached the master): they count as launched and
/// reconciliation decides.
#[derive(Message, Debug, Clone, PartialEq)]
#[rtype(result = "()")]
pub struct AcceptFailed {
    /// The tasks of the ACCEPT, as their launch notices.
    pub tasks: Vec<Launched>,
    /// The master may have acted on the ACCEPT (see [`CallError::outcome_unknown`]).
    ///
    /// [`CallError::outcome_unknown`]: crate::scheduler::CallError::outcome_unknown
    pub outcome_unknown: bool,
}
/// Sent by the matcher to the tracker once per step: the tasks of the step's ACCEPTs.
#[derive(Message, Debug, Clone, PartialEq, Default)]
#[rtype(result = "()")]
pub struct LaunchedAll(pub Vec<Launched>);

/// Start tracking a new task and queue its first attempt. Answers its first task id.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<TaskId, SubmitError>")]
pub struct Track(pub TaskSpec);

/// Start tracking several new tasks at once (one message to the matcher for all of
/// them). All or nothing: if any spec is invalid, none is tracked. Answers the first task
/// ids, in order.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<Vec<TaskId>, SubmitError>")]
pub struct TrackAll(pub Vec<TaskSpec>);

/// Kill a task (by any of its attempts' ids): a pending one is dequeued and reported
/// TASK_KILLED, a launched one gets a KILL call; no retry follows.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Result<(), KillError>")]
pub struct KillTask(pub TaskId);

/// Reconcile every non-terminal task explicitly now.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct ReconcileNow;

/// How many tasks the explicit reconciliation in flight asked about in its latest
/// RECONCILE and waits to hear of; `None` when no explicit reconciliation is in flight.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "Option<usize>")]
pub struct PendingReconciliation;

/// Resolves once every tracked task is final (terminal, no retry left) and its final
/// update has been delivered to every user recipient; at once when nothing is tracked.
/// Several waiters may wait together. Also resolves if the tracker stops.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct WaitFinished;

/// Resolves once the tracker is quiet: every update it received has been delivered to the
/// user's recipients and every call it sent (ACKNOWLEDGE, RECONCILE, KILL) has its answer.
/// A shutdown waits for it (bounded) before TEARDOWN, so no acknowledgement of an update
/// the user already has is lost or overtaken. Also resolves if the tracker stops.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct Quiesced;

/// Where does a task run? Takes any attempt's id and answers for the task's current
/// attempt (where it last ran once terminal); `None` while it is pending or unknown.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Option<TaskLocation>")]
pub struct LocateTask(pub TaskId);

/// A snapshot of every tracked task: every task not final yet, and the final ones still
/// kept under the retention rule ([`TrackerLimits`]).
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "Vec<TaskSummary>")]
pub struct ListTasks;

/// Where a task runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskLocation {
    /// The agent.
    pub agent_id: AgentId,
    /// The agent's hostname.
    pub hostname: String,
    /// The executor running the task.
    pub executor_id: ExecutorId,
}

/// One tracked task, as [`Framework::tasks`](super::Framework::tasks) reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSummary {
    /// Spec name.
    pub name: String,
    /// Current attempt's task id.
    pub task_id: TaskId,
    /// Last known state (TASK_STAGING while pending or launching).
    pub state: TaskState,
    /// Current attempt number (0 first).
    pub attempt: u32,
    /// Terminal with no retry left.
    pub is_final: bool,
}

/// Why a task could not be submitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SubmitError {
    /// The spec is not launchable.
    #[error("invalid task spec: {0}")]
    Invalid(#[from] SpecError),
    /// A spec of a batch is not launchable (nothing of the batch was submitted).
    #[error("invalid task spec {index} of the batch: {error}")]
    InvalidInBatch {
        /// The spec's position in the batch.
        index: usize,
        /// What is wrong with it.
        #[source]
        error: SpecError,
    },
    /// The runtime is shutting down.
    #[error("runtime stopped")]
    Stopped,
}

/// Why a kill could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KillError {
    /// No tracked task has this id: it was never submitted here, or it finished and its
    /// record was forgotten under the retention rule ([`TrackerLimits`]).
    #[error("unknown task {0} (never submitted here, or finished and forgotten)")]
    UnknownTask(String),
    /// The task is already final.
    #[error("task {0} is already terminal")]
    AlreadyTerminal(String),
    /// The KILL call failed.
    #[error("kill call failed: {0}")]
    Call(#[from] crate::scheduler::master_connection::CallError),
}

// ---------------------------------------------------------------------------------------
// The actor.
// ---------------------------------------------------------------------------------------

/// Timing of the [`TaskTracker`]'s reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerSettings {
    /// Period of implicit reconciliation (`RECONCILE` with no task) while subscribed;
    /// [`Duration::ZERO`] disables it.
    pub implicit_reconcile: Duration,
    /// First wait between repetitions of explicit reconciliation after a subscription.
    pub reconcile_backoff_initial: Duration,
    /// The wait doubles after each repetition up to this cap.
    pub reconcile_backoff_max: Duration,
}

impl Default for TrackerSettings {
    /// Implicit reconciliation every 15 minutes; explicit repetitions after 1 s, doubling
    /// up to 60 s.
    fn default() -> Self {
        TrackerSettings {
            implicit_reconcile: Duration::from_secs(900),
            reconcile_backoff_initial: Duration::from_secs(1),
            reconcile_backoff_max: Duration::from_secs(60),
        }
    }
}

/// Bounds of the [`TaskTracker`]'s memory (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerLimits {
    /// Most final, delivered task records kept (the newest); 0 keeps none.
    pub finished_retention: usize,
    /// Longest time a final, delivered task record is kept.
    pub finished_ttl: Duration,
    /// Delivery-queue length from which updates with a uuid are left unacknowledged (and
    /// resent by Mesos later) instead of queued.
    pub max_queued_updates: usize,
}

impl Default for TrackerLimits {
    /// 10,000 finished records for at most an hour; 10,000 queued updates.
    fn default() -> Self {
        TrackerLimits {
            finished_retention: 10_000,
            finished_ttl: Duration::from_secs(3600),
            max_queued_updates: 10_000,
        }
    }
}

/// Keeps every submitted task's state machine: queues attempts at the matcher, delivers
/// updates to the user before acknowledging them, reconciles, retries, kills, and tells
/// when everything is final. See the module documentation.
pub struct TaskTracker {
    settings: TrackerSettings,
    calls: Recipient<SendCall>,
    /// Where calls built as bytes go (ACKNOWLEDGEs); `None`: as messages to `calls`.
    encoded_calls: Option<Recipient<SendEncoded>>,
    place: Recipient<Place>,
    /// Where [`TrackAll`] sends its tasks in one message (else one `Place` each).
    place_all: Option<Recipient<PlaceAll>>,
    unplace: Recipient<Unplace>,
    updates: Vec<Recipient<TaskUpdate>>,
    /// Shares the specs of tasks that differ only in their names.
    specs: crate::scheduler::spec::SpecInterner,
    /// Records by submission number (ordered: [`ListTasks`] lists in submission order).
    records: store::Records,
    /// Adopted tasks' ids to their records' keys. The tracker's own ids name their key
    /// (`record::own_key`), so they need no index.
    by_id: HashMap<String, u64>,
    next_key: u64,
    /// Random per-tracker part of task ids, so ids differ across framework instances.
    nonce: u32,
    /// Records not final.
    open: usize,
    /// Counts applied updates (reconciliation rounds compare against it).
    update_seq: u64,
    outbox: VecDeque<Delivery>,
    delivering: bool,
    /// User updates queued or being delivered.
    undelivered: usize,
    waiters: Vec<tokio::sync::oneshot::Sender<()>>,
    /// Calls sent and not answered yet.
    calls_in_flight: usize,
    /// [`Quiesced`] waiters.
    quiet_waiters: Vec<tokio::sync::oneshot::Sender<()>>,
    reconcile_loop: Option<SpawnHandle>,
    /// Tasks the explicit reconciliation in flight still waits for.
    reconcile_remaining: Option<usize>,
    implicit_loop: Option<SpawnHandle>,
    /// Told when a launched attempt ends, so the matcher can forget it.
    released: Option<Recipient<crate::scheduler::offer_matcher::Released>>,
    /// Raw mode: deliver updates of tasks the user launched itself.
    deliver_untracked: bool,
    /// Adopt the tasks of a previous process of the framework (`adopt.rs`).
    adopt_unknown: bool,
    /// A reconciliation the user asked for is running: its answers reach the user even when
    /// they repeat a known state (the runtime's own rounds deliver only changes).
    user_reconciling: bool,
    /// The runtime's counters.
    metrics: Arc<crate::scheduler::metrics::Metrics>,
    /// Final, delivered records still kept, and the limits.
    retention: Retention,
    /// The timer that forgets the oldest kept record when its time is up.
    prune_timer: Option<SpawnHandle>,
    /// Updates left unacknowledged because the delivery queue was full (this episode).
    refused_updates: u64,
}

impl TaskTracker {
    /// A tracker that sends calls through `calls`, queues attempts with `place`, dequeues
    /// them with `unplace` and delivers every [`TaskUpdate`] to each of `updates`.
    pub fn new(
        settings: TrackerSettings,
        calls: Recipient<SendCall>,
        place: Recipient<Place>,
        unplace: Recipient<Unplace>,
        updates: Vec<Recipient<TaskUpdate>>,
    ) -> TaskTracker {
        TaskTracker {
            settings,
            calls,
            encoded_calls: None,
            place,
            place_all: None,
            unplace,
            updates,
            specs: Default::default(),
            records: Default::default(),
            by_id: HashMap::new(),
            next_key: 0,
            nonce: rand::random(),
            open: 0,
            update_seq: 0,
            outbox: VecDeque::new(),
            delivering: false,
            undelivered: 0,
            waiters: Vec::new(),
            calls_in_flight: 0,
            quiet_waiters: Vec::new(),
            reconcile_loop: None,
            reconcile_remaining: None,
            implicit_loop: None,
            released: None,
            deliver_untracked: false,
            adopt_unknown: false,
            user_reconciling: false,
            metrics: Default::default(),
            retention: Retention::new(TrackerLimits::default()),
            prune_timer: None,
            refused_updates: 0,
        }
    }

    /// Counts into `metrics` (the runtime's shared counters).
    pub fn with_metrics(mut self, metrics: Arc<crate::scheduler::metrics::Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Sends the tasks of a [`TrackAll`] to `place_all` (the matcher) in one message
    /// instead of one [`Place`] each.
    pub fn with_place_all(mut self, place_all: Recipient<PlaceAll>) -> Self {
        self.place_all = Some(place_all);
        self
    }

    /// Sends ACKNOWLEDGEs built as protobuf bytes to `encoded` (the connection's call
    /// gate) instead of as messages to the `calls` recipient.
    pub fn with_encoded_calls(mut self, encoded: Recipient<SendEncoded>) -> Self {
        self.encoded_calls = Some(encoded);
        self
    }

    /// The ACKNOWLEDGE of `status`, if it needs one: bytes when they have a recipient.
    fn ack_for(&self, status: &TaskStatus) -> Option<calls::OutCall> {
        if self.encoded_calls.is_some() {
            calls::acknowledge_encoded(status).map(calls::OutCall::Encoded)
        } else {
            calls::acknowledge(status).map(calls::OutCall::from)
        }
    }

    /// Raw mode: also deliver updates of tasks this tracker did not launch (the user's own
    /// actor placed them), as `TaskUpdate`s named by their task id, attempt 0, final when
    /// terminal. They are acknowledged after delivery like any other.
    pub fn with_untracked_updates(mut self) -> Self {
        self.deliver_untracked = true;
        self
    }

    /// Also tells `released` (the matcher) whenever a launched attempt becomes terminal,
    /// so per-host placement counts and its launch bookkeeping shrink again.
    pub fn with_released(
        mut self,
        released: Recipient<crate::scheduler::offer_matcher::Released>,
    ) -> Self {
        self.released = Some(released);
        self
    }

    fn finished(&self) -> bool {
        self.open == 0 && self.undelivered == 0
    }

    /// Wakes the [`WaitFinished`] waiters once every task is final and delivered.
    fn check_finished(&mut self) {
        if self.finished() {
            for waiter in self.waiters.drain(..) {
                let _ = waiter.send(());
            }
        }
    }

    /// The key of the record that issued `task_id` (any of its attempts).
    fn key_of(&self, task_id: &TaskId) -> Option<u64> {
        let id = task_id.value.as_str();
        let Some((key, attempt)) = record::own_key(id, self.nonce) else {
            return self.by_id.get(id).copied();
        };
        let r = self.records.get(&key)?;
        let issued = if r.task_id.value == id {
            true
        } else {
            // An earlier attempt's id (rare): the same id built again.
            !r.adopted
                && attempt < r.attempt
                && record::task_id_for(&r.name, self.nonce, key, attempt).value == id
        };
        issued.then_some(key)
    }

    /// Counts a record that just became final.
    fn closed(&mut self) {
        self.open = self.open.saturating_sub(1);
    }

    /// Queues a new attempt of `key` with a new task id.
    fn relaunch(&mut self, key: u64) {
        let Some(r) = self.records.get_mut(&key) else {
            return;
        };
        let task_id = record::task_id_for(&r.name, self.nonce, key, r.attempt + 1);
        r.next_attempt(task_id.clone());
        tracing::info!(task_id = %task_id, attempt = r.attempt, "relaunching task");
        if !self.place.connected() {
            tracing::error!(task_id = %task_id, "matcher gone: the new attempt cannot be queued");
        }
        let task = r.queued(task_id);
        self.queue_tasks(vec![task]);
    }

    /// Queues tasks at the matcher (fire and forget): one [`PlaceAll`], or one [`Place`]
    /// each (with the whole spec) when the tracker has no `place_all`.
    fn queue_tasks(&self, tasks: Vec<Queued>) {
        match &self.place_all {
            _ if tasks.is_empty() => {}
            Some(all) => all.do_send(PlaceAll(tasks)),
            None => {
                for task in tasks {
                    self.place.do_send(task.into_place());
                }
            }
        }
    }
}

impl Actor for TaskTracker {
    type Context = Context<Self>;

    fn stopped(&mut self, _: &mut Context<Self>) {
        // Waiters resolve when their sender is dropped.
        self.waiters.clear();
        self.quiet_waiters.clear();
    }
}

impl Handler<WaitFinished> for TaskTracker {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: WaitFinished, _: &mut Context<Self>) -> Self::Result {
        if self.finished() {
            return Box::pin(async {});
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.waiters.push(tx);
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

impl Handler<LocateTask> for TaskTracker {
    type Result = Option<TaskLocation>;

    fn handle(&mut self, LocateTask(id): LocateTask, _: &mut Context<Self>) -> Self::Result {
        self.key_of(&id)
            .and_then(|key| self.records.get(&key))
            .and_then(|r| r.location())
    }
}

impl Handler<ListTasks> for TaskTracker {
    type Result = MessageResult<ListTasks>;

    fn handle(&mut self, _: ListTasks, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.records.values().map(|r| r.summary()).collect())
    }
}
