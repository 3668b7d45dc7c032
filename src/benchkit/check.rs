//! The source's ledger: when every offer and UPDATE went out, when its answer came back,
//! and the correctness checks (no offer answered twice, launched <= offered, ACK uuid
//! matches an UPDATE, no answer to a rescinded offer).

use super::generator::{OfferGenerator, ResourceSummary};
use hdrhistogram::Histogram;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

/// The kinds of correctness violation the source detects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Violation {
    /// An offer was answered (ACCEPT or DECLINE) a second time.
    AnsweredTwice,
    /// An answer named an offer id the source never sent.
    UnknownOffer,
    /// An ACCEPT launched more than its offers held (or ports outside them, or twice).
    OverOffered,
    /// An ACKNOWLEDGE whose uuid matches no UPDATE, or whose task id differs.
    AckMismatch,
    /// An answer to an offer the source had rescinded (may be a race within one RTT).
    AnsweredRescinded,
    /// A call that failed to decode or validate (wrong stream id, framework id, type).
    BadCall,
}

impl Violation {
    /// Short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Violation::AnsweredTwice => "answered_twice",
            Violation::UnknownOffer => "unknown_offer",
            Violation::OverOffered => "over_offered",
            Violation::AckMismatch => "ack_mismatch",
            Violation::AnsweredRescinded => "answered_rescinded",
            Violation::BadCall => "bad_call",
        }
    }
}

/// How an offer was answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// ACCEPT, launching `tasks` tasks that together use `launched`.
    Accept {
        /// Resources of all launched tasks.
        launched: ResourceSummary,
        /// Number of tasks launched.
        tasks: u64,
    },
    /// DECLINE.
    Decline,
}

/// An UPDATE the source sent and awaits an ACK for.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingUpdate {
    /// When it was sent.
    pub sent: Instant,
    /// Its task.
    pub task_id: String,
    /// Its agent.
    pub agent_id: String,
    /// The `TaskState` it carried.
    pub state: i32,
}

/// Counters of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    /// Offers sent.
    pub offers_sent: u64,
    /// Offers answered (once) by ACCEPT or DECLINE.
    pub offers_answered: u64,
    /// Offers used by an ACCEPT.
    pub offers_accepted: u64,
    /// Offers declined.
    pub offers_declined: u64,
    /// Offers rescinded by the source.
    pub offers_rescinded: u64,
    /// Tasks launched by ACCEPTs.
    pub tasks_launched: u64,
    /// UPDATE events sent.
    pub updates_sent: u64,
    /// Matching ACKNOWLEDGE calls received.
    pub acks: u64,
    /// Calls received, by type name.
    pub calls: BTreeMap<String, u64>,
}

/// The ledger.
#[derive(Debug)]
pub struct Checker {
    outstanding: HashMap<u64, (Instant, usize)>,
    rescinded: HashSet<u64>,
    next_seq: u64,
    updates: HashMap<[u8; 16], PendingUpdate>,
    /// Counters.
    pub counts: Counts,
    /// Offer to answer latency, microseconds.
    pub offer_latency: Histogram<u64>,
    /// UPDATE to ACK latency, microseconds.
    pub ack_latency: Histogram<u64>,
    /// Violations by kind.
    pub violations: BTreeMap<Violation, u64>,
    /// The first few violations, described.
    pub samples: Vec<String>,
    /// When the first offer went out.
    pub first_offer: Option<Instant>,
    /// When the last answer came in.
    pub last_answer: Option<Instant>,
    /// When the first UPDATE went out.
    pub first_update: Option<Instant>,
    /// When the last ACK came in.
    pub last_ack: Option<Instant>,
}

impl Default for Checker {
    fn default() -> Self {
        Self::new()
    }
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 100 s at 3 significant digits; the bounds are valid constants.
    Histogram::new_with_bounds(1, 100_000_000, 3).expect("constant histogram bounds are valid")
}

impl Checker {
    /// An empty ledger.
    pub fn new() -> Self {
        Checker {
            outstanding: HashMap::new(),
            rescinded: HashSet::new(),
            next_seq: 0,
            updates: HashMap::new(),
            counts: Counts::default(),
            offer_latency: histogram(),
            ack_latency: histogram(),
            violations: BTreeMap::new(),
            samples: Vec::new(),
            first_offer: None,
            last_answer: None,
            first_update: None,
            last_ack: None,
        }
    }

    /// Records a violation.
    pub fn violation(&mut self, kind: Violation, detail: impl FnOnce() -> String) {
        *self.violations.entry(kind).or_default() += 1;
        if self.samples.len() < 10 {
            self.samples.push(format!("{}: {}", kind.name(), detail()));
        }
    }

    /// Total violations, excluding answers to rescinded offers (a legitimate race).
    pub fn hard_violations(&self) -> u64 {
        self.violations
            .iter()
            .filter(|(k, _)| **k != Violation::AnsweredRescinded)
            .map(|(_, v)| v)
            .sum()
    }

    /// Counts a call of type `name`.
    pub fn call(&mut self, name: &str) {
        match self.counts.calls.get_mut(name) {
            Some(n) => *n += 1,
            None => {
                self.counts.calls.insert(name.to_string(), 1);
            }
        }
    }

    /// Offer `seq` (from template `template`) went out at `now`.
    pub fn offer_sent(&mut self, seq: u64, template: usize, now: Instant) {
        self.first_offer.get_or_insert(now);
        self.outstanding.insert(seq, (now, template));
        self.next_seq = self.next_seq.max(seq + 1);
        self.counts.offers_sent += 1;
    }

    /// Offers sent and not yet answered.
    pub fn outstanding_offers(&self) -> usize {
        self.outstanding.len()
    }

    /// The outstanding offer sent first, if any (what a rescind picks).
    pub fn oldest_outstanding(&self) -> Option<u64> {
        self.outstanding.keys().min().copied()
    }

    /// Rescinds offer `seq`; answers its template if it was outstanding.
    pub fn rescind(&mut self, seq: u64) -> Option<usize> {
        let (_, template) = self.outstanding.remove(&seq)?;
        self.rescinded.insert(seq);
        self.counts.offers_rescinded += 1;
        Some(template)
    }

    /// Forgets every outstanding offer (a new subscription voids them, as in Mesos);
    /// answers their templates.
    pub fn forget_outstanding(&mut self) -> Vec<usize> {
        let templates = self.outstanding.values().map(|(_, t)| *t).collect();
        self.rescinded.extend(self.outstanding.keys().copied());
        self.outstanding.clear();
        templates
    }

    /// An ACCEPT or DECLINE naming `offer_ids` arrived at `now`. Answers the templates
    /// of the offers it answered (their agents are free again).
    pub fn answer(
        &mut self,
        answer: &Answer,
        offer_ids: &[&str],
        generator: &OfferGenerator,
        now: Instant,
    ) -> Vec<usize> {
        let mut freed = Vec::with_capacity(offer_ids.len());
        let mut offered: Vec<usize> = Vec::with_capacity(offer_ids.len());
        for id in offer_ids {
            let Some(seq) = generator.parse_offer_id(id) else {
                self.violation(Violation::UnknownOffer, || format!("offer id {id:?}"));
                continue;
            };
            match self.outstanding.remove(&seq) {
                Some((sent, template)) => {
                    let micros = now.saturating_duration_since(sent).as_micros() as u64;
                    let _ = self.offer_latency.record(micros.max(1));
                    self.counts.offers_answered += 1;
                    match answer {
                        Answer::Accept { .. } => self.counts.offers_accepted += 1,
                        Answer::Decline => self.counts.offers_declined += 1,
                    }
                    freed.push(template);
                    offered.push(template);
                }
                None if self.rescinded.contains(&seq) => {
                    self.violation(Violation::AnsweredRescinded, || {
                        format!("offer {seq} (rescinded before the answer came: a race unless the framework had seen the RESCIND)")
                    });
                }
                None if seq < self.next_seq => {
                    self.violation(Violation::AnsweredTwice, || format!("offer {seq}"));
                }
                None => {
                    self.violation(Violation::UnknownOffer, || format!("offer {seq} not sent"));
                }
            }
        }
        if !freed.is_empty() {
            self.last_answer = Some(now);
        }
        // A call naming an offer that is not outstanding is already counted as a violation
        // (or a rescind race); Mesos drops its tasks, so they count neither as launched nor
        // against the offers.
        if let Answer::Accept { launched, tasks } = answer
            && offered.len() == offer_ids.len()
        {
            self.counts.tasks_launched += tasks;
            if *tasks > 0 {
                let summaries: Vec<&ResourceSummary> = offered
                    .iter()
                    .filter_map(|&t| generator.templates().get(t).map(|t| &t.resources))
                    .collect();
                if let Err(why) = fits(launched, &summaries) {
                    self.violation(Violation::OverOffered, || why);
                }
            }
        }
        freed
    }

    /// An UPDATE with `uuid` went out at `now`.
    pub fn update_sent(&mut self, uuid: [u8; 16], update: PendingUpdate) {
        self.first_update.get_or_insert(update.sent);
        self.counts.updates_sent += 1;
        self.updates.insert(uuid, update);
    }

    /// UPDATEs sent and not yet acknowledged.
    pub fn outstanding_updates(&self) -> usize {
        self.updates.len()
    }

    /// An ACKNOWLEDGE arrived; answers the update it acknowledges when it matches one.
    pub fn ack(&mut self, uuid: &[u8], task_id: &str, now: Instant) -> Option<PendingUpdate> {
        let key: Option<[u8; 16]> = uuid.try_into().ok();
        let Some(update) = key.and_then(|k| self.updates.remove(&k)) else {
            self.violation(Violation::AckMismatch, || {
                format!("ACK of task {task_id} with unknown uuid {uuid:02x?}")
            });
            return None;
        };
        if update.task_id != task_id {
            self.violation(Violation::AckMismatch, || {
                format!(
                    "ACK names task {task_id}, the UPDATE was for {}",
                    update.task_id
                )
            });
        }
        let micros = now.saturating_duration_since(update.sent).as_micros() as u64;
        let _ = self.ack_latency.record(micros.max(1));
        self.counts.acks += 1;
        self.last_ack = Some(now);
        Some(update)
    }
}

/// Whether `launched` fits in the union of `offered`: every scalar within the offered sum,
/// every range inside an offered range, no range used twice.
pub fn fits(launched: &ResourceSummary, offered: &[&ResourceSummary]) -> Result<(), String> {
    for (name, used) in &launched.scalars {
        let have: f64 = offered.iter().map(|o| o.scalar(name)).sum();
        if *used > have + 1e-6 {
            return Err(format!("launched {used} {name}, offered {have}"));
        }
    }
    for (name, used) in &launched.ranges {
        let have: Vec<(u64, u64)> = offered
            .iter()
            .flat_map(|o| o.ranges(name).iter().copied())
            .collect();
        let mut sorted = used.clone();
        sorted.sort_unstable();
        for pair in sorted.windows(2) {
            if let [a, b] = pair
                && b.0 <= a.1
            {
                return Err(format!("{name} {a:?} and {b:?} overlap"));
            }
        }
        for &(b, e) in used {
            if b > e || !have.iter().any(|&(hb, he)| hb <= b && e <= he) {
                return Err(format!("{name} [{b}, {e}] not offered"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchkit::generator::GeneratorConfig;
    use crate::proto::Resource;

    fn generator() -> OfferGenerator {
        OfferGenerator::new(GeneratorConfig {
            agents: 4,
            uniform: Some((8.0, 32768.0)),
            ..Default::default()
        })
    }

    fn launched(cpus: f64, ports: &[(u64, u64)]) -> Answer {
        Answer::Accept {
            launched: ResourceSummary::of(&[
                Resource::scalar("cpus", cpus),
                Resource::ranges("ports", ports),
            ]),
            tasks: 1,
        }
    }

    #[test]
    fn each_offer_answered_once() {
        let g = generator();
        let mut c = Checker::new();
        let t0 = Instant::now();
        c.offer_sent(1, 1, t0);
        c.offer_sent(2, 2, t0);
        let id1 = g.offer_id(1).value;
        let id2 = g.offer_id(2).value;
        assert_eq!(
            c.answer(&Answer::Decline, &[&id1], &g, Instant::now()),
            vec![1]
        );
        assert_eq!(c.hard_violations(), 0);
        assert!(
            c.answer(&Answer::Decline, &[&id1], &g, Instant::now())
                .is_empty()
        );
        assert_eq!(c.violations[&Violation::AnsweredTwice], 1);
        c.answer(
            &Answer::Decline,
            &["nope", &g.offer_id(99).value],
            &g,
            Instant::now(),
        );
        assert_eq!(c.violations[&Violation::UnknownOffer], 2);
        assert_eq!(c.rescind(2), Some(2));
        c.answer(&Answer::Decline, &[&id2], &g, Instant::now());
        assert_eq!(c.violations[&Violation::AnsweredRescinded], 1);
        assert_eq!(c.hard_violations(), 3);
        assert_eq!(c.counts.offers_answered, 1);
        assert_eq!(c.offer_latency.len(), 1);
    }

    #[test]
    fn launched_must_fit_the_offer() {
        let g = generator();
        let ports = g.templates()[0].resources.ranges("ports")[0];
        let mut c = Checker::new();
        let now = Instant::now();
        for seq in 0..4 {
            c.offer_sent(seq, 0, now);
        }
        let ok = launched(8.0, &[(ports.0, ports.0 + 1)]);
        c.answer(&ok, &[&g.offer_id(0).value], &g, now);
        assert_eq!(c.hard_violations(), 0);
        assert_eq!(c.counts.tasks_launched, 1);
        c.answer(&launched(8.5, &[]), &[&g.offer_id(1).value], &g, now);
        assert_eq!(c.violations[&Violation::OverOffered], 1);
        c.answer(&launched(1.0, &[(1, 2)]), &[&g.offer_id(2).value], &g, now);
        assert_eq!(c.violations[&Violation::OverOffered], 2);
        let twice = launched(1.0, &[(ports.0, ports.0 + 2), (ports.0 + 1, ports.0 + 1)]);
        c.answer(&twice, &[&g.offer_id(3).value], &g, now);
        assert_eq!(c.violations[&Violation::OverOffered], 3);
    }

    #[test]
    fn acks_must_match_updates() {
        let mut c = Checker::new();
        let sent = Instant::now();
        let update = |task: &str| PendingUpdate {
            sent,
            task_id: task.into(),
            agent_id: "a".into(),
            state: 1,
        };
        c.update_sent([7; 16], update("t1"));
        c.update_sent([8; 16], update("t2"));
        assert!(c.ack(&[7; 16], "t1", Instant::now()).is_some());
        assert_eq!(c.hard_violations(), 0);
        assert!(c.ack(&[7; 16], "t1", Instant::now()).is_none());
        assert!(c.ack(&[8; 16], "t3", Instant::now()).is_some());
        assert!(c.ack(&[1, 2], "t1", Instant::now()).is_none());
        assert_eq!(c.violations[&Violation::AckMismatch], 3);
        assert_eq!(c.counts.acks, 2);
        assert_eq!(c.outstanding_updates(), 0);
    }
}
