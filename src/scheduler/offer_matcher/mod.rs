//! `OfferMatcher`: the queue of pending tasks and the placement of tasks onto offers.
//!
//! On [`Offers`] it pools the held offers of each agent (and allocation role), places
//! pending tasks with the resource algebra of [`crate::resources`] under the configured
//! [`Strategy`] and the tasks' constraints, sends one ACCEPT per used pool (naming every
//! offer in it) and declines the rest (batched) with the configured refuse filter. It SUPPRESSes when nothing is pending, REVIVEs
//! (rate-limited) when work arrives, never holds an offer past a bound, forgets every offer
//! on a new subscription, and can say why a pending task is not placed.
//!
//! Details a user may rely on:
//! - Tasks are tried in submission order. Tasks with the same needs (resources, executor,
//!   role, constraints) share an index bucket, so an offer costs one check per distinct
//!   shape, not per task; a round stops as soon as no offer can hold even the smallest
//!   pending task.
//! - A task with a [`TaskSpec::role`] only takes offers whose `allocation_info.role` is
//!   that role (offers without `allocation_info`, as non-MULTI_ROLE frameworks get them,
//!   are not filtered). Resources are taken from plain entries (not revocable, shared or
//!   volumes), reserved and unreserved alike, and echoed with their `allocation_info`,
//!   `role` and reservations exactly as offered. Ports are the lowest free values.
//! - A custom executor's own resources are taken once per agent: not when the offer lists
//!   the executor in `executor_ids`, and not for a second task on the same offer. The
//!   same `ExecutorInfo` (with `framework_id` set and type CUSTOM when unset) is sent for
//!   every task of that executor on that agent.
//! - `UniqueHostname`/`MaxPerHost` count this matcher's placed tasks of the same spec
//!   name per hostname until the tracker sends [`Released`]; spread counts all of them.
//! - Offers of one agent and one allocation role pool: placement sees their sum, and the
//!   ACCEPT names all of them (Mesos allows several offers of one agent and role in one
//!   ACCEPT). Room freed piecemeal by finishing tasks arrives as separate small offers;
//!   held together, they take a task as soon as their sum fits, so a fitting task never
//!   waits out `offer_hold` on fragments. A new offer joins its agent's pool, which then
//!   takes the new offer's hold deadline (the pool is declined as a whole when it ends).
//! - When a round launched tasks, work is left and no held offer remains, the matcher
//!   REVIVEs (rate-limited) so that left-overs declined earlier under a filter come back
//!   at once.
//! - While work is pending and no offer is held, and no offer, REVIVE or DECLINE happened
//!   for the refuse filter's time (at least the REVIVE interval and 1 s), the matcher
//!   REVIVEs again: a REVIVE can be lost in transit, or overtake an earlier SUPPRESS sent
//!   on another call connection and leave the master suppressed.
//! - Tasks queued before SUBSCRIBED wait in the queue; the first offer takes as many of
//!   them as fit in one ACCEPT. Queue a batch before the offers come (`submit_all`, or
//!   submits before SUBSCRIBED) to launch it in as few ACCEPTs as possible.
//! - Unused offers are held at most `offer_hold` (and at most [`MAX_HELD_OFFERS`] of
//!   them) while work is pending, and declined at once when nothing is. Declines of one
//!   round or timer go out as one DECLINE call, and so do those of one burst of mailbox
//!   messages (offers arriving one per event are declined together).
//! - ACCEPTs are written as protobuf bytes (`accept_bytes.rs`) and sent with
//!   [`SendEncoded`]; the other calls are prost messages sent with [`SendCall`].
//! - The matcher never waits on the network: each call's answer comes back later as one
//!   future per call (`answers.rs`). An ACCEPT's tasks go to the tracker in one
//!   [`LaunchedAll`] once it is taken; a refused or unsent ACCEPT's tasks are queued again
//!   through the tracker ([`AcceptFailed`]); a failed REVIVE is sent again after the rate
//!   limit.
//!
//! [`AcceptFailed`]: crate::scheduler::task_tracker::AcceptFailed
//!
//! The decisions live in [`MatcherCore`], which needs no actix system (the benchmarks and
//! tests drive it directly with their own clock).

mod accept_bytes;
mod answers;
pub(crate) mod engine;
mod outbox;
pub(crate) mod placement;
mod pooling;
mod queue;
mod round;
#[cfg(any(test, feature = "internals"))]
pub mod testing;
#[cfg(test)]
mod tests;
mod why;

#[cfg_attr(not(feature = "internals"), allow(unused_imports))]
pub use engine::{AcceptOffers, MatcherCore, Outcome};

use super::events::{Disconnected, OfferIntake, Offers, Rescind, Subscribed};
use super::spec::TaskSpec;
use crate::proto::TaskId;
use crate::scheduler::calls::OutCall;
use crate::scheduler::master_connection::{SendCall, SendEncoded};
use crate::scheduler::offer_matcher::placement::Strategy;
use crate::scheduler::task_tracker::LaunchedAll;
use actix::prelude::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------
// Messages handled by OfferMatcher.
// ---------------------------------------------------------------------------------------

/// Queue one attempt of a task for placement (sent by the tracker).
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct Place {
    /// The Mesos task id of this attempt.
    pub task_id: TaskId,
    /// The spec to launch.
    pub spec: Arc<TaskSpec>,
}

/// Queue several tasks at once (sent by the tracker); held offers are tried once for all
/// of them.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct PlaceAll(pub Vec<Queued>);

/// One task of a [`PlaceAll`]. Tasks whose specs differ only in their names share one
/// `spec` (its own `name` is not read: `name` is the task's).
#[derive(Debug, Clone)]
pub struct Queued {
    /// The Mesos task id of this attempt.
    pub task_id: TaskId,
    /// The spec's name.
    pub name: Arc<str>,
    /// The spec to launch, but for its name.
    pub spec: Arc<TaskSpec>,
}

impl Queued {
    /// The same task as a [`Place`], its spec named again.
    pub fn into_place(self) -> Place {
        let spec = if self.spec.name.as_str() == &*self.name {
            self.spec
        } else {
            Arc::new(TaskSpec {
                name: self.name.to_string(),
                ..(*self.spec).clone()
            })
        };
        Place {
            task_id: self.task_id,
            spec,
        }
    }
}

impl From<Place> for Queued {
    fn from(Place { task_id, spec }: Place) -> Queued {
        Queued {
            task_id,
            name: Arc::from(spec.name.as_str()),
            spec,
        }
    }
}

/// Remove a task from the queue if it is still pending. Answers whether it was.
#[derive(Message, Debug, Clone)]
#[rtype(result = "bool")]
pub struct Unplace(pub TaskId);

/// Sends the DECLINE merged from the last burst of messages (the matcher sends it to
/// itself).
#[derive(Message, Debug)]
#[rtype(result = "()")]
struct FlushDeclines;

/// Why is this pending task not placed? `None` when it is not pending.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Option<PendingReason>")]
pub struct WhyPending(pub TaskId);

/// A launched task is terminal: it stops counting toward `UniqueHostname`/`MaxPerHost`
/// and spread (the tracker sends this; without it the counts only grow).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
#[rtype(result = "()")]
pub struct Released(pub TaskId);

/// How many tasks are pending. Answers the count.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "usize")]
pub struct PendingCount;

/// A snapshot of the matcher's state, for tests and monitoring.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "MatcherStats")]
pub struct GetMatcherStats;

/// What [`GetMatcherStats`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MatcherStats {
    /// Tasks waiting for an offer.
    pub pending: usize,
    /// Offers held unused.
    pub held_offers: usize,
    /// Whether offers are suppressed.
    pub suppressed: bool,
}

/// Why a pending task has not been placed. Its `Display` is one line, e.g. `no agent can
/// ever fit this: needs 3 cpus (largest agent: 2 cpus)` or `no free room right now:
/// agent S1 (localhost): not enough cpus: need 0.5, offered 0.3; agent S2 ...`.
#[derive(Debug, Clone, PartialEq)]
pub enum PendingReason {
    /// No offer has been seen since the task was queued (or all were declined earlier).
    NoOffers,
    /// No agent seen so far is big enough, even with nothing of ours running: the task
    /// asks for more of a scalar resource than the largest amount any one agent offered.
    NeverFits {
        /// The resource (`cpus`, `mem`, `gpus`, ...).
        resource: String,
        /// What the task (with its executor) needs.
        needed: f64,
        /// The most any one agent offered at once (its size, as far as offers showed).
        largest: f64,
    },
    /// The offers seen were each rejected; one entry per agent (its nearest miss), best
    /// first.
    Rejected(Vec<OfferRejection>),
}

impl std::fmt::Display for PendingReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PendingReason::NoOffers => write!(f, "no offer seen since the task was queued"),
            PendingReason::NeverFits {
                resource,
                needed,
                largest,
            } => write!(
                f,
                "no agent can ever fit this: needs {needed} {resource} (largest agent: {largest} {resource})"
            ),
            PendingReason::Rejected(r) => {
                let room = r
                    .iter()
                    .all(|x| matches!(x.reason, RejectReason::Short { .. }));
                let head = if room {
                    "no free room right now"
                } else {
                    "no offer fits"
                };
                write!(f, "{head}: ")?;
                for (i, x) in r.iter().enumerate() {
                    if i > 0 {
                        write!(f, "; ")?;
                    }
                    write!(f, "{x}")?;
                }
                Ok(())
            }
        }
    }
}

/// Why the offers of one agent did not fit a task.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferRejection {
    /// The agent (several agents can share a hostname).
    pub agent_id: crate::proto::AgentId,
    /// The agent's hostname.
    pub hostname: String,
    /// What did not fit.
    pub reason: RejectReason,
}

/// What did not fit in one offer.
#[derive(Debug, Clone, PartialEq)]
pub enum RejectReason {
    /// A resource was short: `needed` of `name`, only `available` offered.
    Short {
        /// Resource name (`cpus`, `mem`, `ports`, ...).
        name: String,
        /// Amount needed.
        needed: f64,
        /// Amount available.
        available: f64,
    },
    /// A constraint failed (its description).
    Constraint(String),
    /// The offer is for another role than the task's.
    Role(String),
    /// The task itself can never be placed (for example invalid resource amounts).
    Invalid(String),
}

impl std::fmt::Display for OfferRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.agent_id.value.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(
                f,
                "agent {} ({}): {}",
                self.agent_id.value, self.hostname, self.reason
            )
        }
    }
}

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RejectReason::Short {
                name,
                needed,
                available,
            } => {
                write!(f, "not enough {name}: need {needed}, offered {available}")
            }
            RejectReason::Constraint(c) => write!(f, "constraint failed: {c}"),
            RejectReason::Role(r) => write!(f, "offer is for role {r}"),
            RejectReason::Invalid(why) => write!(f, "task cannot be placed: {why}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The actor.
// ---------------------------------------------------------------------------------------

/// Tunables of the [`OfferMatcher`].
#[derive(Debug, Clone)]
pub struct MatcherSettings {
    /// How to choose among offers that fit a task.
    pub strategy: Strategy,
    /// `refuse_seconds` of the filter sent with every ACCEPT and DECLINE: how long the
    /// master keeps the declined (or left-over) resources from us.
    pub refuse_seconds: f64,
    /// Longest time an unused offer is held for work that may arrive before it is
    /// declined; unused offers are declined at once when nothing is pending, and always
    /// when this is zero.
    pub offer_hold: Duration,
    /// Shortest time between two REVIVE calls; requests in between are coalesced into one
    /// REVIVE at the end of the interval.
    pub revive_interval: Duration,
}

impl Default for MatcherSettings {
    fn default() -> Self {
        MatcherSettings {
            strategy: Strategy::FirstFit,
            refuse_seconds: 5.0,
            offer_hold: Duration::from_secs(10),
            revive_interval: Duration::from_secs(1),
        }
    }
}

/// The offer matcher actor: wraps a [`MatcherCore`], sends the calls it decides to the
/// connection (their answers come back later, never awaited in a handler) and launch
/// notices to the tracker, and wakes it for held-offer deadlines and coalesced REVIVEs.
pub struct OfferMatcher {
    core: MatcherCore,
    calls: Recipient<SendCall>,
    /// Where ACCEPTs go as protobuf bytes (else decoded and sent to `calls`).
    encoded: Option<Recipient<SendEncoded>>,
    launched: Recipient<LaunchedAll>,
    /// Where the tasks of a failed ACCEPT go (the tracker).
    accept_failed: Option<Recipient<crate::scheduler::task_tracker::AcceptFailed>>,
    /// The runtime's counters.
    metrics: Arc<crate::scheduler::metrics::Metrics>,
    wake: Option<(Instant, SpawnHandle)>,
    /// DECLINEs held until the mailbox burst is over, then sent as one call.
    outbox: outbox::Outbox,
    /// A [`FlushDeclines`] is on its way.
    flush_queued: bool,
}

impl OfferMatcher {
    /// A matcher that sends its calls to `calls` (the `MasterConnection`) and one
    /// [`LaunchedAll`] per step that launched tasks to `launched` (the `TaskTracker`).
    pub fn new(
        settings: MatcherSettings,
        calls: Recipient<SendCall>,
        launched: Recipient<LaunchedAll>,
    ) -> OfferMatcher {
        OfferMatcher {
            core: MatcherCore::new(settings),
            calls,
            encoded: None,
            launched,
            wake: None,
            outbox: outbox::Outbox::default(),
            flush_queued: false,
            accept_failed: None,
            metrics: Default::default(),
        }
    }

    /// Sends the tasks of every failed ACCEPT to `to` (the tracker) in one
    /// [`AcceptFailed`](crate::scheduler::task_tracker::AcceptFailed) per ACCEPT. Without it
    /// they count as launched (and only reconciliation finds them).
    pub fn with_accept_failures(
        mut self,
        to: Recipient<crate::scheduler::task_tracker::AcceptFailed>,
    ) -> Self {
        self.accept_failed = Some(to);
        self
    }

    /// Counts into `metrics` (the runtime's shared counters).
    pub fn with_metrics(mut self, metrics: Arc<crate::scheduler::metrics::Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Sends ACCEPTs to `encoded` as the protobuf bytes the matcher built.
    pub fn with_encoded(mut self, encoded: Recipient<SendEncoded>) -> OfferMatcher {
        self.encoded = Some(encoded);
        self
    }

    fn apply(&mut self, out: Outcome, ctx: &mut Context<Self>) {
        let mut send = Vec::with_capacity(out.calls.len());
        let mut routed = Vec::new();
        for call in out.calls {
            match call {
                OutCall::Message(call) => {
                    self.outbox.route(*call, &mut routed);
                    send.extend(routed.drain(..).map(OutCall::from));
                }
                encoded @ OutCall::Encoded(_) => send.push(encoded),
            }
        }
        self.send_calls(send, out.launched, out.accepts, ctx);
        if self.outbox.is_holding() && !self.flush_queued {
            // Goes behind the messages already queued: their DECLINEs join this one.
            self.flush_queued = true;
            ctx.notify(FlushDeclines);
        }
        self.schedule(ctx);
    }

    /// Keeps exactly one timer, at the core's next wake-up.
    fn schedule(&mut self, ctx: &mut Context<Self>) {
        self.metrics.set_queued(self.core.pending());
        let next = self
            .core
            .next_wake()
            .into_iter()
            .chain(self.core.starved_at())
            .min();
        match (&self.wake, next) {
            (Some((at, _)), Some(n)) if *at <= n => {}
            (_, None) => {
                if let Some((_, handle)) = self.wake.take() {
                    ctx.cancel_future(handle);
                }
            }
            (_, Some(n)) => {
                if let Some((_, handle)) = self.wake.take() {
                    ctx.cancel_future(handle);
                }
                let delay = n.saturating_duration_since(Instant::now());
                let handle = ctx.run_later(delay, |this, ctx| {
                    this.wake = None;
                    let out = this.core.tick(Instant::now());
                    this.apply(out, ctx);
                });
                self.wake = Some((n, handle));
            }
        }
    }
}

impl Actor for OfferMatcher {
    type Context = Context<Self>;
}

impl Handler<Offers> for OfferMatcher {
    type Result = ();
    fn handle(&mut self, msg: Offers, ctx: &mut Context<Self>) {
        let out = self.core.offers(msg.0, Instant::now());
        self.apply(out, ctx);
    }
}

impl Handler<OfferIntake> for OfferMatcher {
    type Result = ();
    fn handle(&mut self, msg: OfferIntake, ctx: &mut Context<Self>) {
        let out = self.core.intake(msg.0, Instant::now());
        self.apply(out, ctx);
    }
}

impl Handler<FlushDeclines> for OfferMatcher {
    type Result = ();
    fn handle(&mut self, _msg: FlushDeclines, ctx: &mut Context<Self>) {
        self.flush_queued = false;
        if let Some(call) = self.outbox.take() {
            self.send_calls(vec![call.into()], Vec::new(), Vec::new(), ctx);
        }
    }
}

impl Handler<Rescind> for OfferMatcher {
    type Result = ();
    fn handle(&mut self, msg: Rescind, ctx: &mut Context<Self>) {
        self.core.rescind(&msg.0);
        self.schedule(ctx);
    }
}

impl Handler<Subscribed> for OfferMatcher {
    type Result = ();
    fn handle(&mut self, msg: Subscribed, ctx: &mut Context<Self>) {
        self.outbox.clear();
        let out = self
            .core
            .subscribed(msg.framework_id, msg.resubscribed, Instant::now());
        self.apply(out, ctx);
    }
}

impl Handler<Disconnected> for OfferMatcher {
    type Result = ();
    fn handle(&mut self, _msg: Disconnected, ctx: &mut Context<Self>) {
        self.outbox.clear();
        self.core.disconnected();
        self.schedule(ctx);
    }
}

impl Handler<Place> for OfferMatcher {
    type Result = ();
    fn handle(&mut self, msg: Place, ctx: &mut Context<Self>) {
        let out = self.core.place(msg.task_id, msg.spec, Instant::now());
        self.apply(out, ctx);
    }
}

impl Handler<PlaceAll> for OfferMatcher {
    type Result = ();
    fn handle(&mut self, msg: PlaceAll, ctx: &mut Context<Self>) {
        let out = self.core.place_all(msg.0, Instant::now());
        self.apply(out, ctx);
    }
}

impl Handler<Unplace> for OfferMatcher {
    type Result = bool;
    fn handle(&mut self, msg: Unplace, ctx: &mut Context<Self>) -> bool {
        let (was, out) = self.core.unplace(&msg.0, Instant::now());
        self.apply(out, ctx);
        was
    }
}

impl Handler<Released> for OfferMatcher {
    type Result = ();
    fn handle(&mut self, msg: Released, ctx: &mut Context<Self>) {
        let out = self.core.released(&msg.0, Instant::now());
        self.apply(out, ctx);
    }
}

impl Handler<WhyPending> for OfferMatcher {
    type Result = Option<PendingReason>;
    fn handle(&mut self, msg: WhyPending, _ctx: &mut Context<Self>) -> Option<PendingReason> {
        self.core.why_pending(&msg.0)
    }
}

impl Handler<PendingCount> for OfferMatcher {
    type Result = usize;
    fn handle(&mut self, _msg: PendingCount, _ctx: &mut Context<Self>) -> usize {
        self.core.pending()
    }
}

impl Handler<GetMatcherStats> for OfferMatcher {
    type Result = MessageResult<GetMatcherStats>;
    fn handle(&mut self, _msg: GetMatcherStats, _ctx: &mut Context<Self>) -> Self::Result {
        MessageResult(MatcherStats {
            pending: self.core.pending(),
            held_offers: self.core.held_offers(),
            suppressed: self.core.is_suppressed(),
        })
    }
}
