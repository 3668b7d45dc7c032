//! [`MatcherCore`]: the offer matcher's state and decisions, without actix. The
//! [`OfferMatcher`](super::OfferMatcher) actor feeds it messages and the clock, sends the
//! calls it returns and wakes it at [`MatcherCore::next_wake`]. Benchmarks and tests can
//! drive it directly.

use super::MatcherSettings;
use super::accept_bytes::{self, OfferWire};
use super::queue::PendingQueue;
use super::{Place, Queued};
use crate::proto::{
    AgentId, ExecutorId, ExecutorInfo, Filters, FrameworkId, Offer, OfferId, Resource, TaskId,
};
use crate::resources::{Resources, Scalar};
use crate::scheduler::calls::{self, OutCall};
use crate::scheduler::spec::TaskSpec;
use crate::scheduler::task_tracker::Launched;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod executor_use;
use executor_use::ExecutorUse;

/// How many offers that left the matcher are remembered for `why_pending`.
const RECENT_OFFERS: usize = 32;
/// Most agents named in one `why_pending` answer (the nearest misses).
pub(super) const MAX_REJECTIONS: usize = 64;
/// Most pools (agents, each with its pooled offers) held unused at once; the oldest
/// beyond are declined.
pub const MAX_HELD_OFFERS: usize = 1024;
/// Most emptied ACCEPT buffers kept for reuse.
const SPARE_BUFFERS: usize = 256;
/// Largest ACCEPT buffer kept for reuse (bigger ones are freed).
const SPARE_BUFFER_BYTES: usize = 16 << 10;
/// Most offer ids in one DECLINE call.
pub const MAX_DECLINE_BATCH: usize = 4096;

/// ACCEPTs that named more than one offer, since the process started (all matchers).
static MULTI_OFFER_ACCEPTS: AtomicU64 = AtomicU64::new(0);

/// How many ACCEPTs named more than one (pooled) offer of one agent, over every matcher
/// of this process.
#[cfg_attr(not(feature = "internals"), allow(dead_code))]
pub fn multi_offer_accepts() -> u64 {
    MULTI_OFFER_ACCEPTS.load(Ordering::Relaxed)
}

/// What the matcher wants done after an input: calls for the master (in order) and
/// launch notices for the task tracker.
#[derive(Debug, Default)]
pub struct Outcome {
    /// ACCEPT (protobuf bytes), DECLINE, SUPPRESS and REVIVE calls, in the order to send
    /// them.
    pub calls: Vec<OutCall>,
    /// One per task put into an ACCEPT (the tracker gets them once their ACCEPT is taken,
    /// one message per ACCEPT).
    pub launched: Vec<Launched>,
    /// One per ACCEPT of `calls`, in the same order: what its answer needs.
    pub accepts: Vec<AcceptOffers>,
}

/// What the matcher keeps of one ACCEPT it sent as bytes, for its answer: the offers it
/// names (given back with a DECLINE when it is refused) and the offer name its tasks'
/// launch notices carry.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptOffers {
    /// The offer ids the ACCEPT names.
    pub offer_ids: Vec<OfferId>,
    /// [`Launched::offer_id`] of its tasks.
    pub launch_offer: Option<Arc<str>>,
}

/// An offer's agent id, hostname and id, shared by the launch notices of its tasks.
#[derive(Debug, Clone)]
pub(super) struct SharedNames {
    pub agent_id: Arc<str>,
    pub hostname: Arc<str>,
    pub offer_id: Arc<str>,
}

/// Offers of one agent (and one allocation role) the matcher holds, pooled: their
/// resources live together in `pool`, and one ACCEPT names them all.
#[derive(Debug)]
pub(super) struct HeldOffer {
    /// The newest offer of the agent (its hostname, attributes, executors and role are
    /// the ones placement reads); `offer.id` is one of the pooled offer ids.
    pub offer: Offer,
    /// The ids of the other pooled offers of the same agent and role.
    pub others: Vec<OfferId>,
    /// Each pooled offer's own resources, kept only once offers are pooled (to take a
    /// rescinded one back out of `pool`); empty for a single offer.
    pub parts: Vec<(OfferId, Vec<Resource>)>,
    pub pool: Resources,
    pub deadline: Instant,
    /// Tasks placed on it in the current round, as encoded `Launch.task_infos` fields.
    pub placed: Vec<u8>,
    /// The agent id, encoded once for all its tasks.
    pub wire: OfferWire,
    /// Its names for launch notices, made when the first task is placed on it.
    pub names: Option<SharedNames>,
    /// Executors first launched on it in the current round.
    pub new_execs: Vec<ExecutorInfo>,
    /// Nothing pending can fit any more (this round).
    pub dead: bool,
}

/// An offer that was considered and then accepted or declined, kept for `why_pending`.
#[derive(Debug)]
pub(super) struct Snapshot {
    pub offer: Offer,
    pub pool: Resources,
    pub round: u64,
}

/// What the matcher remembers of a launched task.
#[derive(Debug)]
pub(super) struct LaunchRecord {
    /// Spec name, when it counts toward a per-host constraint.
    pub counted_name: Option<String>,
    /// Hostname, when counted (per-host constraints or the spread strategy).
    pub host: Option<String>,
}

/// The matcher's state: pending queue, held offers, suppression and revive timing,
/// per-host counts, and the executors it launched.
///
/// ```
/// use mesos_actix::proto::{AgentId, FrameworkId, Offer, OfferId, TaskId};
/// use mesos_actix::resources::Resources;
/// use mesos_actix::scheduler::TaskSpec;
/// use mesos_actix::__internals::offer_matcher::{MatcherCore, MatcherSettings};
/// use std::{sync::Arc, time::Instant};
///
/// let mut m = MatcherCore::new(MatcherSettings::default());
/// let now = Instant::now();
/// m.subscribed(FrameworkId::new("fw"), false, now); // -> SUPPRESS (nothing pending)
/// let spec = Arc::new(TaskSpec::new("t").cpus(1.0).mem(64.0).ports(1).command("true"));
/// m.place(TaskId::new("t-1"), spec, now); // -> REVIVE
/// let offer = Offer {
///     id: OfferId::new("o-1"),
///     agent_id: AgentId::new("a-1"),
///     hostname: "h1".into(),
///     resources: "cpus:2;mem:256;ports:[31000-31009]".parse::<Resources>().unwrap().to_proto(),
///     ..Default::default()
/// };
/// let out = m.offers(vec![offer], now); // -> ACCEPT (one LAUNCH), then SUPPRESS
/// assert_eq!(out.launched.len(), 1);
/// assert!(out.calls[0].to_call().unwrap().accept.is_some());
/// ```
#[derive(Debug)]
pub struct MatcherCore {
    pub(super) settings: MatcherSettings,
    pub(super) framework_id: Option<FrameworkId>,
    pub(super) connected: bool,
    pub(super) queue: PendingQueue,
    pub(super) invalid: HashMap<TaskId, String>,
    pub(super) held: Vec<HeldOffer>,
    /// The ids of `held`, to refuse a second copy of an offer in O(1).
    pub(super) held_ids: HashSet<OfferId>,
    pub(super) recent: VecDeque<Snapshot>,
    pub(super) round: u64,
    suppressed: bool,
    last_revive: Option<Instant>,
    revive_due: Option<Instant>,
    /// The last offers, REVIVE or DECLINE (see [`MatcherCore::starved_at`]).
    pub(super) last_offer_news: Option<Instant>,
    pub(super) launched: HashMap<TaskId, LaunchRecord>,
    /// Scalar resource name -> the most of it one agent offered at once (its pool), for
    /// telling "never fits" from "no room right now".
    pub(super) largest: HashMap<String, Scalar>,
    /// Reused buffer for the resources of the task being placed.
    pub(super) scratch: Vec<u8>,
    /// Emptied `HeldOffer::placed` buffers of accepted offers, reused by the next offers
    /// that get tasks (no regrowing a buffer per ACCEPT).
    pub(super) spare_placed: Vec<Vec<u8>>,
    /// Spec name -> hostname -> tasks placed (for per-host constraints).
    pub(super) per_name_host: HashMap<String, HashMap<String, usize>>,
    /// Hostname -> our tasks placed (for spread).
    pub(super) per_host: HashMap<String, usize>,
    /// Executors we launched, by agent, to send the same `ExecutorInfo` again.
    pub(super) executors: HashMap<AgentId, HashMap<ExecutorId, ExecutorInfo>>,
    /// Live tasks per executor of `executors`: an executor is forgotten with its last task.
    pub(super) executor_use: ExecutorUse,
}

impl MatcherCore {
    /// A matcher with nothing pending, no offers, not subscribed yet.
    pub fn new(settings: MatcherSettings) -> MatcherCore {
        MatcherCore {
            settings,
            framework_id: None,
            connected: false,
            queue: PendingQueue::default(),
            invalid: HashMap::new(),
            held: Vec::new(),
            held_ids: HashSet::new(),
            recent: VecDeque::new(),
            round: 0,
            suppressed: false,
            last_revive: None,
            revive_due: None,
            last_offer_news: None,
            launched: HashMap::new(),
            largest: HashMap::new(),
            scratch: Vec::new(),
            spare_placed: Vec::new(),
            per_name_host: HashMap::new(),
            per_host: HashMap::new(),
            executors: HashMap::new(),
            executor_use: ExecutorUse::default(),
        }
    }

    /// Tasks waiting for an offer (including ones whose spec can never be placed).
    pub fn pending(&self) -> usize {
        self.queue.len() + self.invalid.len()
    }

    /// Offers held unused right now.
    pub fn held_offers(&self) -> usize {
        self.held_ids.len()
    }

    /// Whether the matcher has suppressed offers.
    pub fn is_suppressed(&self) -> bool {
        self.suppressed
    }

    /// When [`MatcherCore::tick`] has something to do: the earliest hold deadline or a
    /// coalesced REVIVE.
    pub fn next_wake(&self) -> Option<Instant> {
        // Offers are held in arrival order with the same bound: the first expires first.
        let hold = self.held.first().map(|h| h.deadline);
        match (hold, self.revive_due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// When pending work that holds no offer has waited long enough to REVIVE again (at
    /// the next [`MatcherCore::tick`] from then; the actor wakes it): the refuse filter (at
    /// least the REVIVE interval and 1 s) after the last offers, REVIVE or DECLINE. A
    /// REVIVE can be lost: it fails in transit, or it overtakes an earlier SUPPRESS sent
    /// on another call connection and the master stays suppressed.
    pub fn starved_at(&self) -> Option<Instant> {
        if !self.connected || self.queue.is_empty() || !self.held.is_empty() {
            return None;
        }
        let refuse = Duration::try_from_secs_f64(self.settings.refuse_seconds.max(0.0))
            .unwrap_or(Duration::MAX);
        let wait = refuse
            .max(self.settings.revive_interval)
            .max(Duration::from_secs(1));
        self.last_offer_news.map(|t| later(t, wait))
    }

    pub(super) fn filters(&self) -> Filters {
        Filters {
            refuse_seconds: Some(self.settings.refuse_seconds),
        }
    }

    /// A (re)subscription: remember the framework id and forget every held offer (the
    /// master voided them without RESCIND). Suppresses at once when nothing is pending;
    /// after a re-subscription with work pending, REVIVEs (rate-limited) to clear stale
    /// filters.
    pub fn subscribed(
        &mut self,
        framework_id: FrameworkId,
        resubscribed: bool,
        now: Instant,
    ) -> Outcome {
        let mut out = Outcome::default();
        if self
            .framework_id
            .as_ref()
            .is_some_and(|old| *old != framework_id)
        {
            // A different framework: our executors are not its executors.
            self.executors.clear();
            self.executor_use.clear();
        }
        self.framework_id = Some(framework_id);
        self.connected = true;
        self.held.clear();
        self.held_ids.clear();
        self.recent.clear();
        self.suppressed = false;
        self.revive_due = None;
        self.last_offer_news = Some(now);
        if self.queue.is_empty() {
            self.suppress(&mut out);
        } else if resubscribed {
            self.revive(now, &mut out);
        }
        out
    }

    /// The subscription is gone: every held offer is void.
    pub fn disconnected(&mut self) {
        self.connected = false;
        self.held.clear();
        self.held_ids.clear();
        self.revive_due = None;
    }

    /// Queues a task and tries the held offers; REVIVEs (rate-limited) when it stays
    /// pending while suppressed or without offers. A task id already pending or already
    /// launched by this matcher is ignored: no task is launched twice.
    pub fn place(&mut self, task_id: TaskId, spec: Arc<TaskSpec>, now: Instant) -> Outcome {
        self.place_all(std::iter::once(Place { task_id, spec }.into()), now)
    }

    /// Like [`MatcherCore::place`] for several tasks, trying the held offers once for all.
    pub fn place_all(&mut self, tasks: impl IntoIterator<Item = Queued>, now: Instant) -> Outcome {
        let mut out = Outcome::default();
        let mut queued = false;
        for task in tasks {
            queued |= self.enqueue(task);
        }
        if !queued {
            return out;
        }
        if !self.held.is_empty() {
            self.run_round(0, &mut out);
            self.finish_round(now, 0, &mut out);
            self.executor_use.launched(&out.launched, &self.executors);
        }
        if !self.queue.is_empty() && (self.suppressed || self.held.is_empty()) {
            self.revive(now, &mut out);
        }
        out
    }

    /// Puts one task into the queue; `false` if it was refused (duplicate or invalid).
    fn enqueue(&mut self, task: Queued) -> bool {
        let task_id = &task.task_id;
        if self.queue.contains(task_id)
            || self.launched.contains_key(task_id)
            || self.invalid.contains_key(task_id)
        {
            tracing::warn!(task_id = %task_id, "task is already queued or launched; ignoring Place");
            return false;
        }
        if let Err((task_id, e)) = self.queue.push(task, self.round + 1) {
            tracing::error!(task_id = %task_id, error = %e, "task cannot be placed: invalid resources");
            self.invalid.insert(task_id, e.to_string());
            return false;
        }
        true
    }

    /// Removes a pending task; `true` if it was pending.
    pub fn unplace(&mut self, task_id: &TaskId, now: Instant) -> (bool, Outcome) {
        let mut out = Outcome::default();
        let was = self.queue.remove(task_id).is_some() || self.invalid.remove(task_id).is_some();
        if was && self.queue.is_empty() {
            self.finish_round(now, 0, &mut out);
        }
        (was, out)
    }

    /// A launched task is over: it no longer counts toward per-host constraints or
    /// spread, so held offers are tried again when that may change their fit.
    pub fn released(&mut self, task_id: &TaskId, now: Instant) -> Outcome {
        let mut out = Outcome::default();
        self.executor_use.ended(task_id, &mut self.executors);
        let Some(rec) = self.launched.remove(task_id) else {
            return out;
        };
        let Some(host) = rec.host else {
            return out;
        };
        let counted = rec.counted_name.is_some();
        if let Some(name) = rec.counted_name
            && let Some(hosts) = self.per_name_host.get_mut(&name)
        {
            decrement(hosts, &host);
            if hosts.is_empty() {
                self.per_name_host.remove(&name);
            }
        }
        decrement(&mut self.per_host, &host);
        if counted && !self.held.is_empty() && !self.queue.is_empty() {
            self.run_round(0, &mut out);
            self.finish_round(now, 0, &mut out);
            self.executor_use.launched(&out.launched, &self.executors);
        }
        out
    }

    /// Timers: declines offers held past their bound and sends a coalesced REVIVE, or one
    /// more REVIVE for work starved of offers ([`MatcherCore::starved_at`]).
    pub fn tick(&mut self, now: Instant) -> Outcome {
        let mut out = Outcome::default();
        if self.revive_due.is_some_and(|due| due <= now) {
            self.revive_due = None;
            if self.connected && !self.queue.is_empty() {
                self.send_revive(now, &mut out);
            }
        }
        let end = self.held.len();
        self.finish_round(now, end, &mut out);
        if self.starved_at().is_some_and(|at| at <= now) {
            self.send_revive(now, &mut out);
        }
        out
    }

    /// Settles the held offers from index `touched` on (those of the last round): ACCEPTs
    /// the ones that got tasks and keeps or DECLINEs the others; then DECLINEs every
    /// offer past its bound (they form a prefix: offers are held in arrival order) and
    /// the oldest beyond [`MAX_HELD_OFFERS`]. When nothing is pending every unused offer
    /// is declined and offers are SUPPRESSed. All declines go out in one call (per
    /// [`MAX_DECLINE_BATCH`] offers).
    pub(super) fn finish_round(&mut self, now: Instant, touched: usize, out: &mut Outcome) {
        let idle = self.queue.is_empty();
        let decline_unused = idle || self.settings.offer_hold.is_zero();
        let mut declined: Vec<OfferId> = Vec::new();
        let mut accepted = false;
        let from = if decline_unused {
            0
        } else {
            touched.min(self.held.len())
        };
        let round = self.held.split_off(from);
        for mut h in round {
            if !h.placed.is_empty() {
                let tasks = std::mem::take(&mut h.placed);
                h.new_execs.clear();
                let launch_offer = h.names.take().map(|n| n.offer_id);
                let offer_ids = self.release_ids(&mut h);
                if offer_ids.len() > 1 {
                    MULTI_OFFER_ACCEPTS.fetch_add(1, Ordering::Relaxed);
                }
                out.calls.push(OutCall::Encoded(accept_bytes::accept(
                    self.framework_id.as_ref(),
                    &offer_ids,
                    &tasks,
                    self.filters(),
                )));
                self.keep_spare(tasks);
                out.accepts.push(AcceptOffers {
                    offer_ids,
                    launch_offer,
                });
                accepted = true;
                self.remember(h);
            } else if decline_unused || h.deadline <= now {
                declined.extend(self.release_ids(&mut h));
                self.remember(h);
            } else {
                self.held.push(h);
            }
        }
        let expired = self.held.iter().take_while(|h| h.deadline <= now).count();
        let excess = self.held.len().saturating_sub(MAX_HELD_OFFERS);
        for mut h in self.held.drain(..expired.max(excess)).collect::<Vec<_>>() {
            declined.extend(self.release_ids(&mut h));
            self.remember(h);
        }
        if !declined.is_empty() {
            self.last_offer_news = Some(now);
            let filters = self.filters();
            let mut rest = declined;
            while !rest.is_empty() {
                let tail = rest.split_off(rest.len().min(MAX_DECLINE_BATCH));
                let call = calls::decline(self.framework_id.clone(), rest, filters);
                out.calls.push(call.into());
                rest = tail;
            }
        }
        if idle {
            self.suppress(out);
        } else if accepted && self.held.is_empty() {
            // Work is left and every held offer is spent: what the master keeps (left-overs
            // declined earlier under a filter) comes back at once instead of after the
            // filter.
            self.revive(now, out);
        }
        debug_assert_eq!(
            self.held.iter().map(|h| 1 + h.others.len()).sum::<usize>(),
            self.held_ids.len()
        );
    }

    /// Keeps an emptied `placed` buffer for reuse, within [`SPARE_BUFFERS`] buffers of at
    /// most [`SPARE_BUFFER_BYTES`] each.
    fn keep_spare(&mut self, mut buffer: Vec<u8>) {
        if self.spare_placed.len() < SPARE_BUFFERS && buffer.capacity() <= SPARE_BUFFER_BYTES {
            buffer.clear();
            self.spare_placed.push(buffer);
        }
    }

    /// Takes every offer id out of `h` (and out of `held_ids`).
    pub(super) fn release_ids(&mut self, h: &mut HeldOffer) -> Vec<OfferId> {
        let mut ids = Vec::with_capacity(1 + h.others.len());
        ids.push(std::mem::take(&mut h.offer.id));
        ids.append(&mut h.others);
        for id in &ids {
            self.held_ids.remove(id);
        }
        h.parts.clear();
        ids
    }

    pub(super) fn remember(&mut self, h: HeldOffer) {
        if self.recent.len() >= RECENT_OFFERS {
            self.recent.pop_front();
        }
        self.recent.push_back(Snapshot {
            offer: h.offer,
            pool: h.pool,
            round: self.round,
        });
    }

    fn suppress(&mut self, out: &mut Outcome) {
        self.revive_due = None;
        if self.connected && !self.suppressed {
            self.suppressed = true;
            out.calls
                .push(calls::suppress(self.framework_id.clone()).into());
        }
    }

    /// REVIVE now, or once the rate limit allows (coalesced).
    fn revive(&mut self, now: Instant, out: &mut Outcome) {
        if !self.connected {
            return;
        }
        match self
            .last_revive
            .map(|last| later(last, self.settings.revive_interval))
        {
            Some(allowed) if now < allowed => {
                if self.revive_due.is_none() {
                    self.revive_due = Some(allowed);
                }
            }
            _ => self.send_revive(now, out),
        }
    }

    fn send_revive(&mut self, now: Instant, out: &mut Outcome) {
        self.last_revive = Some(now);
        self.last_offer_news = Some(now);
        self.revive_due = None;
        self.suppressed = false;
        out.calls
            .push(calls::revive(self.framework_id.clone()).into());
    }

    /// A REVIVE failed: the master may still suppress or filter us, so the matcher counts
    /// itself suppressed again and, with work pending, sends REVIVE again once the rate
    /// limit allows (from [`MatcherCore::tick`]).
    pub fn revive_failed(&mut self, now: Instant) {
        self.suppressed = true;
        self.last_revive = Some(now);
        if self.connected && !self.queue.is_empty() && self.revive_due.is_none() {
            self.revive_due = Some(later(now, self.settings.revive_interval));
        }
    }
}

/// `at + d`, saturating far in the future instead of overflowing (a huge configured
/// duration must not panic).
pub(super) fn later(at: Instant, d: Duration) -> Instant {
    at.checked_add(d)
        .or_else(|| at.checked_add(Duration::from_secs(1 << 32)))
        .unwrap_or(at)
}

fn decrement(map: &mut HashMap<String, usize>, key: &str) {
    if let Some(n) = map.get_mut(key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(key);
        }
    }
}
