//! What a run measured: rates, latency percentiles, calls per offer, CPU, violations.

use super::check::Checker;
use super::workload::{Pacing, RunConfig};
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Maximum.
    pub max_us: u64,
}

impl Percentiles {
    /// Percentiles of `h`.
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: h.len(),
            p50_us: h.value_at_quantile(0.5),
            p90_us: h.value_at_quantile(0.9),
            p99_us: h.value_at_quantile(0.99),
            max_us: h.max(),
        }
    }
}

/// The figures of one run of the source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Workload name.
    pub workload: String,
    /// Wire encoding of the stream.
    pub encoding: String,
    /// Pacing, described.
    pub pacing: String,
    /// Tasks queued at t0.
    pub queue: usize,
    /// Seconds from the first offer to the last answer (or ACK).
    pub elapsed_s: f64,
    /// Offers sent.
    pub offers_sent: u64,
    /// Offers answered.
    pub offers_answered: u64,
    /// Answered offers per second.
    pub offers_per_sec: f64,
    /// Offers used by ACCEPTs.
    pub offers_accepted: u64,
    /// Offers declined.
    pub offers_declined: u64,
    /// Offers rescinded.
    pub offers_rescinded: u64,
    /// Tasks launched.
    pub tasks_launched: u64,
    /// Tasks launched per second.
    pub tasks_per_sec: f64,
    /// Seconds from the first offer until the target number of tasks was launched.
    pub time_to_target_s: Option<f64>,
    /// UPDATE events sent.
    pub updates_sent: u64,
    /// Matching ACKs.
    pub acks: u64,
    /// ACKs per second (first UPDATE to last ACK).
    pub acks_per_sec: f64,
    /// Calls received by type.
    pub calls: BTreeMap<String, u64>,
    /// ACCEPT + DECLINE calls per answered offer (lower is better).
    pub calls_per_offer: f64,
    /// Offer to ACCEPT/DECLINE latency.
    pub offer_latency: Percentiles,
    /// UPDATE to ACK latency.
    pub ack_latency: Percentiles,
    /// CPU seconds the source's threads used.
    pub source_cpu_s: f64,
    /// CPU seconds the whole process used during the run (source included).
    pub process_cpu_s: f64,
    /// Resident memory the process grew by per task queued at t0, measured before the
    /// first offer (`None` when not measured).
    pub rss_bytes_per_queued_task: Option<f64>,
    /// Violations by kind (`answered_rescinded` may be a race, not a bug).
    pub violations: BTreeMap<String, u64>,
    /// The first violations, described.
    pub violation_samples: Vec<String>,
}

/// `n` per second over `secs` (0 when no time passed).
pub(crate) fn rate(n: u64, secs: f64) -> f64 {
    if secs > 0.0 { n as f64 / secs } else { 0.0 }
}

impl Report {
    /// Builds the report of a finished run.
    pub fn new(
        config: &RunConfig,
        encoding: crate::Encoding,
        checker: &Checker,
        target_reached: Option<Instant>,
        cpu: (f64, f64),
    ) -> Self {
        let span = |a: Option<Instant>, b: Option<Instant>| match (a, b) {
            (Some(a), Some(b)) => b.saturating_duration_since(a).as_secs_f64(),
            _ => 0.0,
        };
        let offers_span = span(checker.first_offer, checker.last_answer);
        let ack_span = span(checker.first_update, checker.last_ack);
        let c = &checker.counts;
        let answers = c.calls.get("ACCEPT").copied().unwrap_or(0)
            + c.calls.get("DECLINE").copied().unwrap_or(0);
        Report {
            workload: config.workload.name().to_string(),
            encoding: format!("{encoding:?}").to_lowercase(),
            pacing: match config.pacing {
                Pacing::AllocationCycle { interval } => {
                    format!("allocation cycle {} ms", interval.as_millis())
                }
                Pacing::OpenLoop { window } => format!("open loop W={window}"),
            },
            queue: config.queue,
            elapsed_s: offers_span.max(ack_span),
            offers_sent: c.offers_sent,
            offers_answered: c.offers_answered,
            offers_per_sec: rate(c.offers_answered, offers_span),
            offers_accepted: c.offers_accepted,
            offers_declined: c.offers_declined,
            offers_rescinded: c.offers_rescinded,
            tasks_launched: c.tasks_launched,
            tasks_per_sec: rate(c.tasks_launched, offers_span),
            time_to_target_s: target_reached.map(|t| span(checker.first_offer, Some(t))),
            updates_sent: c.updates_sent,
            acks: c.acks,
            acks_per_sec: rate(c.acks, ack_span),
            calls: c.calls.clone(),
            calls_per_offer: if c.offers_answered > 0 {
                answers as f64 / c.offers_answered as f64
            } else {
                0.0
            },
            offer_latency: Percentiles::of(&checker.offer_latency),
            ack_latency: Percentiles::of(&checker.ack_latency),
            source_cpu_s: cpu.0,
            process_cpu_s: cpu.1,
            rss_bytes_per_queued_task: None,
            violations: checker
                .violations
                .iter()
                .map(|(k, v)| (k.name().to_string(), *v))
                .collect(),
            violation_samples: checker.samples.clone(),
        }
    }

    /// CPU microseconds per answered offer spent outside the source (the framework, when
    /// it runs in the same process).
    pub fn framework_cpu_us_per_offer(&self) -> f64 {
        if self.offers_answered == 0 {
            return 0.0;
        }
        (self.process_cpu_s - self.source_cpu_s).max(0.0) * 1e6 / self.offers_answered as f64
    }

    /// Whether a correctness check failed (answers to rescinded offers excepted).
    pub fn has_violations(&self) -> bool {
        self.violations
            .iter()
            .any(|(k, v)| k != "answered_rescinded" && *v > 0)
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let l = &self.offer_latency;
        let a = &self.ack_latency;
        writeln!(
            f,
            "{} ({}, {}, queue {}) over {:.2} s",
            self.workload, self.encoding, self.pacing, self.queue, self.elapsed_s
        )?;
        writeln!(
            f,
            "  offers   {:>10} sent {:>10} answered ({} accepted, {} declined, {} rescinded)  {:>12.0}/s",
            self.offers_sent,
            self.offers_answered,
            self.offers_accepted,
            self.offers_declined,
            self.offers_rescinded,
            self.offers_per_sec
        )?;
        writeln!(
            f,
            "  tasks    {:>10} launched  {:>12.0}/s{}",
            self.tasks_launched,
            self.tasks_per_sec,
            self.time_to_target_s
                .map(|t| format!("  (target reached after {t:.3} s)"))
                .unwrap_or_default()
        )?;
        writeln!(
            f,
            "  updates  {:>10} sent {:>10} acked  {:>12.0}/s",
            self.updates_sent, self.acks, self.acks_per_sec
        )?;
        writeln!(
            f,
            "  offer->answer us  p50 {} p90 {} p99 {} max {} (n={})",
            l.p50_us, l.p90_us, l.p99_us, l.max_us, l.count
        )?;
        if a.count > 0 {
            writeln!(
                f,
                "  update->ack us    p50 {} p90 {} p99 {} max {} (n={})",
                a.p50_us, a.p90_us, a.p99_us, a.max_us, a.count
            )?;
        }
        writeln!(
            f,
            "  calls {:?}, {:.3} answer calls per offer",
            self.calls, self.calls_per_offer
        )?;
        writeln!(
            f,
            "  cpu: source {:.2} s, process {:.2} s, {:.1} framework cpu-us per offer",
            self.source_cpu_s,
            self.process_cpu_s,
            self.framework_cpu_us_per_offer()
        )?;
        if let Some(b) = self.rss_bytes_per_queued_task {
            writeln!(f, "  memory: {b:.0} bytes resident per queued task")?;
        }
        if self.violations.is_empty() {
            write!(f, "  checks: all passed")
        } else {
            write!(f, "  VIOLATIONS {:?}", self.violations)?;
            for s in &self.violation_samples {
                write!(f, "\n    {s}")?;
            }
            Ok(())
        }
    }
}
