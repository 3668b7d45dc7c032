//! The offer source's state machine: the subscription, pacing, the ledger, and the end of
//! the run. Shared by the HTTP handlers and the timers behind one mutex; nothing awaits
//! while holding it.

use super::check::{Answer, Checker, Violation};
use super::cpu;
use super::generator::{OfferGenerator, ResourceSummary};
use super::report::Report;
use super::rng::SplitMix64;
use super::workload::{Pacing, RunConfig};
use crate::codec::Encoding;
use crate::proto::scheduler::{Call, Event, call, event};
use crate::proto::{MasterInfo, TaskState};
use crate::server::stream::{EventSender, EventStream, event_stream};
use bytes::Bytes;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, watch};

mod updates;

/// Where the run is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Phase {
    /// Waiting for a subscription and the start signal.
    Waiting,
    /// Offering since the instant given.
    Running(Instant),
    /// No more offers; waiting (since the instant given) for the last answers.
    Draining(Instant),
    /// The report is out.
    Done,
}

/// Most bytes the event stream may hold for a framework that does not keep up; past it the
/// framework is disconnected (far above what any pacing mode keeps in flight).
const STREAM_LIMIT: usize = 256 << 20;

/// The live subscription.
#[derive(Debug)]
struct Subscription {
    tx: EventSender,
    stream_id: String,
}

/// The state behind the source's mutex.
#[derive(Debug)]
pub struct SourceState {
    config: RunConfig,
    generator: Arc<OfferGenerator>,
    checker: Checker,
    subscription: Option<Subscription>,
    phase: Phase,
    next_seq: u64,
    agent_busy: Vec<bool>,
    rng: SplitMix64,
    update_counter: u64,
    uuid_prefix: [u8; 8],
    target_reached: Option<Instant>,
    launched_tx: mpsc::UnboundedSender<u64>,
    report_tx: watch::Sender<Option<Report>>,
    cpu_start: f64,
    source_threads: Vec<i64>,
    thread_cpu_start: f64,
    wanted_start: bool,
}

/// Decides what a call does to the state; answered with an HTTP status by the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// 202.
    Accepted,
    /// 400 with this message.
    BadRequest(&'static str),
}

impl SourceState {
    /// A fresh state; the run starts on [`start`](Self::start) (or on subscription when
    /// `auto_start`).
    pub fn new(
        config: RunConfig,
        launched_tx: mpsc::UnboundedSender<u64>,
        report_tx: watch::Sender<Option<Report>>,
    ) -> Self {
        let generator = Arc::new(OfferGenerator::new(config.generator.clone()));
        let agents = generator.templates().len();
        let mut rng = SplitMix64::new(config.generator.seed ^ 0x5eed);
        let mut uuid_prefix = rng.next_u64().to_be_bytes();
        uuid_prefix[6] = (uuid_prefix[6] & 0x0f) | 0x40;
        SourceState {
            config,
            generator,
            checker: Checker::new(),
            subscription: None,
            phase: Phase::Waiting,
            next_seq: 0,
            agent_busy: vec![false; agents],
            rng,
            update_counter: 0,
            uuid_prefix,
            target_reached: None,
            launched_tx,
            report_tx,
            cpu_start: 0.0,
            source_threads: Vec::new(),
            thread_cpu_start: 0.0,
            wanted_start: false,
        }
    }

    /// The generator (shared, immutable).
    pub fn generator(&self) -> &Arc<OfferGenerator> {
        &self.generator
    }

    /// The run's configuration.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Where the run is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Registers a thread whose CPU time counts as the source's.
    pub fn add_source_thread(&mut self, tid: i64) {
        self.source_threads.push(tid);
    }

    /// The current stream id, if subscribed.
    pub fn stream_id(&self) -> Option<&str> {
        self.subscription.as_ref().map(|s| s.stream_id.as_str())
    }

    /// A SUBSCRIBE was accepted: answers the stream id and the event receiver. Voids the
    /// outstanding offers of any previous subscription, as Mesos does.
    pub(crate) fn subscribe(&mut self, encoding: Encoding) -> (String, EventStream) {
        let (tx, rx, _closed) = event_stream(encoding, STREAM_LIMIT);
        let stream_id = uuid::Uuid::new_v4().to_string();
        for template in self.checker.forget_outstanding() {
            self.free_agent(template);
        }
        let subscribed = Event {
            r#type: Some(event::Type::Subscribed as i32),
            subscribed: Some(event::Subscribed {
                framework_id: self.generator.framework_id().clone(),
                heartbeat_interval_seconds: Some(self.config.heartbeat.as_secs_f64()),
                master_info: Some(MasterInfo {
                    id: "bench-master".into(),
                    ip: 0x0100_007f,
                    port: 5050,
                    hostname: Some("localhost".into()),
                    version: Some("1.11.0".into()),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        };
        self.subscription = Some(Subscription {
            tx,
            stream_id: stream_id.clone(),
        });
        self.send_event(&subscribed);
        self.heartbeat();
        if self.config.auto_start || self.wanted_start {
            self.start();
        } else {
            self.fill(Instant::now());
        }
        (stream_id, rx)
    }

    /// Starts offering (once subscribed; remembered until then).
    pub fn start(&mut self) {
        self.wanted_start = true;
        if self.phase != Phase::Waiting || self.subscription.is_none() {
            return;
        }
        let now = Instant::now();
        self.cpu_start = cpu::process_cpu_seconds();
        self.thread_cpu_start = self.source_cpu();
        self.phase = Phase::Running(now);
        match self.config.pacing {
            Pacing::OpenLoop { .. } => self.fill(now),
            Pacing::AllocationCycle { .. } => self.allocation_cycle(now),
        }
    }

    fn source_cpu(&self) -> f64 {
        self.source_threads
            .iter()
            .map(|&t| cpu::thread_cpu_seconds(t))
            .sum()
    }

    /// Sends a HEARTBEAT.
    pub fn heartbeat(&mut self) {
        let hb = Event {
            r#type: Some(event::Type::Heartbeat as i32),
            ..Default::default()
        };
        self.send_event(&hb);
    }

    fn send_event(&mut self, event: &Event) {
        if let Some(sub) = &self.subscription {
            let _ = sub.tx.send(event);
        }
    }

    fn free_agent(&mut self, template: usize) {
        if let Some(busy) = self.agent_busy.get_mut(template) {
            *busy = false;
        }
    }

    /// Whether offering may go on; moves to draining when a limit is reached.
    fn may_offer(&mut self, now: Instant) -> bool {
        let Phase::Running(started) = self.phase else {
            return false;
        };
        let c = &self.config;
        let over = c.duration.is_some_and(|d| now.duration_since(started) >= d)
            || c.max_offers
                .is_some_and(|m| self.checker.counts.offers_sent >= m)
            || self.target_reached.is_some();
        if over {
            self.phase = Phase::Draining(now);
            self.maybe_finish(now);
        }
        !over
    }

    /// Open loop: tops the outstanding offers up to the window.
    pub fn fill(&mut self, now: Instant) {
        let Pacing::OpenLoop { window } = self.config.pacing else {
            return;
        };
        let mut batch = Vec::new();
        while self.checker.outstanding_offers() < window && self.may_offer(now) {
            let room = window - self.checker.outstanding_offers();
            let room = room.min(self.config.offers_per_event.max(1));
            let room = match self.config.max_offers {
                Some(m) => room.min(m.saturating_sub(self.checker.counts.offers_sent) as usize),
                None => room,
            };
            batch.clear();
            for _ in 0..room {
                let seq = self.next_seq;
                self.next_seq += 1;
                batch.push((self.generator.template_for(seq), seq));
            }
            self.emit(&batch, now);
        }
    }

    /// Allocation cycle: one OFFERS event for every agent with no outstanding offer.
    pub fn allocation_cycle(&mut self, now: Instant) {
        if !self.may_offer(now) {
            return;
        }
        let mut batch = Vec::new();
        let cap = self.config.offers_per_event.max(1);
        for (agent, busy) in self.agent_busy.iter_mut().enumerate() {
            if batch.len() >= cap {
                break;
            }
            if !*busy {
                *busy = true;
                batch.push((agent, self.next_seq));
                self.next_seq += 1;
            }
        }
        if !batch.is_empty() {
            self.emit(&batch, now);
        }
    }

    fn emit(&mut self, batch: &[(usize, u64)], now: Instant) {
        let Some(sub) = &self.subscription else {
            return;
        };
        let mut out = Vec::with_capacity(
            batch
                .iter()
                .filter_map(|&(t, _)| self.generator.templates().get(t))
                .map(|t| t.encoded_len(sub.tx.encoding) + 4)
                .sum::<usize>()
                + 64,
        );
        self.generator
            .encode_offers_event(sub.tx.encoding, batch, &mut out);
        let _ = sub.tx.push(Bytes::from(out));
        for &(template, seq) in batch {
            if let Some(busy) = self.agent_busy.get_mut(template) {
                *busy = true;
            }
            self.checker.offer_sent(seq, template, now);
        }
        if self.config.rescind_rate > 0.0 {
            for _ in batch {
                if self.rng.unit() < self.config.rescind_rate {
                    self.rescind_oldest();
                }
            }
        }
    }

    fn rescind_oldest(&mut self) {
        let Some(seq) = self.checker.oldest_outstanding() else {
            return;
        };
        if let Some(template) = self.checker.rescind(seq) {
            self.free_agent(template);
        }
        let ev = Event {
            r#type: Some(event::Type::Rescind as i32),
            rescind: Some(event::Rescind {
                offer_id: self.generator.offer_id(seq),
            }),
            ..Default::default()
        };
        self.send_event(&ev);
    }

    /// A non-SUBSCRIBE call arrived (already checked for stream id and framework id).
    pub fn on_call(&mut self, call: &Call, now: Instant) -> CallOutcome {
        let kind = call
            .r#type
            .and_then(|t| call::Type::try_from(t).ok())
            .unwrap_or(call::Type::Unknown);
        self.checker.call(kind.as_str_name());
        let outcome = match (kind, call) {
            (
                call::Type::Accept,
                Call {
                    accept: Some(a), ..
                },
            ) => {
                self.on_accept(a, now);
                CallOutcome::Accepted
            }
            (
                call::Type::Decline,
                Call {
                    decline: Some(d), ..
                },
            ) => {
                let ids: Vec<&str> = d.offer_ids.iter().map(|o| o.value.as_str()).collect();
                for t in self
                    .checker
                    .answer(&Answer::Decline, &ids, &self.generator.clone(), now)
                {
                    self.free_agent(t);
                }
                self.fill(now);
                CallOutcome::Accepted
            }
            (
                call::Type::Acknowledge,
                Call {
                    acknowledge: Some(a),
                    ..
                },
            ) => {
                if let Some(update) = self.checker.ack(&a.uuid, &a.task_id.value, now) {
                    self.next_update(update, now);
                }
                CallOutcome::Accepted
            }
            (call::Type::Unknown, _) => CallOutcome::BadRequest("Expecting 'type' to be present"),
            (call::Type::Accept | call::Type::Decline | call::Type::Acknowledge, _) => {
                CallOutcome::BadRequest("Expecting the call's payload to be present")
            }
            _ => CallOutcome::Accepted,
        };
        if let CallOutcome::BadRequest(why) = outcome {
            self.checker
                .violation(Violation::BadCall, || format!("{kind:?}: {why}"));
        }
        self.maybe_finish(now);
        outcome
    }

    /// Records a call refused before it reached [`on_call`](Self::on_call).
    pub fn bad_call(&mut self, why: String) {
        self.checker.violation(Violation::BadCall, || why);
    }

    fn on_accept(&mut self, accept: &call::Accept, now: Instant) {
        let ids: Vec<&str> = accept.offer_ids.iter().map(|o| o.value.as_str()).collect();
        let tasks: Vec<&crate::proto::TaskInfo> = accept
            .operations
            .iter()
            .filter_map(|op| op.launch.as_ref())
            .flat_map(|l| l.task_infos.iter())
            .collect();
        let all: Vec<crate::proto::Resource> = tasks
            .iter()
            .flat_map(|t| t.resources.iter().cloned())
            .collect();
        let answer = Answer::Accept {
            launched: ResourceSummary::of(&all),
            tasks: tasks.len() as u64,
        };
        let generator = self.generator.clone();
        let before = self.checker.counts.tasks_launched;
        for t in self.checker.answer(&answer, &ids, &generator, now) {
            self.free_agent(t);
        }
        let launched = self.checker.counts.tasks_launched - before;
        if launched > 0 {
            let _ = self.launched_tx.send(launched);
        }
        if let Some(target) = self.config.target_tasks
            && self.target_reached.is_none()
            && self.checker.counts.tasks_launched >= target
        {
            self.target_reached = Some(now);
        }
        if self.config.update_fraction > 0.0 && launched > 0 {
            for t in tasks {
                if self.rng.unit() < self.config.update_fraction {
                    self.send_update(&t.task_id, &t.agent_id, TaskState::TaskStarting, now);
                }
            }
        }
        self.fill(now);
    }

    /// Periodic check: ends the offering phase on time, and the drain on its timeout.
    pub fn tick(&mut self, now: Instant) {
        let phase = self.phase;
        match phase {
            Phase::Running(_) if self.may_offer(now) => self.fill(now),
            Phase::Draining(since) => {
                if now.duration_since(since) >= self.config.drain_timeout {
                    self.finish();
                } else {
                    self.maybe_finish(now);
                }
            }
            _ => {}
        }
    }

    fn maybe_finish(&mut self, _now: Instant) {
        if let Phase::Draining(_) = self.phase
            && self.checker.outstanding_offers() == 0
            && self.checker.outstanding_updates() == 0
        {
            self.finish();
        }
    }

    fn finish(&mut self) {
        if self.phase == Phase::Done {
            return;
        }
        self.phase = Phase::Done;
        let encoding = self
            .subscription
            .as_ref()
            .map_or(self.config.encoding, |s| s.tx.encoding);
        let cpu = (
            self.source_cpu() - self.thread_cpu_start,
            cpu::process_cpu_seconds() - self.cpu_start,
        );
        let report = Report::new(
            &self.config,
            encoding,
            &self.checker,
            self.target_reached,
            cpu,
        );
        let _ = self.report_tx.send(Some(report));
    }
}
