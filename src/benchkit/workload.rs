//! Workloads W1–W8 of the benchmark suite as run parameters, and the seeded task queue the
//! framework under test is given.

use super::generator::{GeneratorConfig, OfferShape};
use super::rng::SplitMix64;
use crate::codec::Encoding;
use crate::scheduler::TaskSpec;
use std::time::Duration;

/// How the source hands out offers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// Every `interval`, one OFFERS event with an offer for every agent that has none
    /// outstanding (a real master's allocation cycle).
    AllocationCycle {
        /// Time between cycles.
        interval: Duration,
    },
    /// Keep `window` offers outstanding: each answered offer is replaced at once. A window
    /// of 1 is the closed loop.
    OpenLoop {
        /// Offers outstanding at any time.
        window: usize,
    },
}

/// The sizes of the tasks in the framework's queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TaskMix {
    /// 0.5–2 cpus, 0.5–4 GiB, 0–2 ports, seeded.
    Mixed,
    /// Every task the same.
    Uniform {
        /// cpus per task.
        cpus: f64,
        /// mem (MB) per task.
        mem: f64,
    },
    /// 64 cpus: no offer ever fits (the decline storm).
    Unplaceable,
}

/// The benchmark workloads (see `BENCHMARKS.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Workload {
    /// Steady allocation cycles over 10k agents.
    W1,
    /// Saturation: open loop, W offers outstanding, unbounded supply.
    W2,
    /// Drain: 10k offers x 10k tasks queued at t0.
    W3,
    /// Decline storm: nothing fits.
    W4,
    /// Status storm: three updates per launched task, each to acknowledge.
    W5,
    /// Mixed: W1 plus rescinds and updates.
    W6,
    /// Fat offers, 100 per event.
    W7,
    /// Latency probe: closed loop.
    W8,
}

impl Workload {
    /// All workloads, in order.
    pub const ALL: [Workload; 8] = [
        Workload::W1,
        Workload::W2,
        Workload::W3,
        Workload::W4,
        Workload::W5,
        Workload::W6,
        Workload::W7,
        Workload::W8,
    ];

    /// The workload's name (`"W2"`).
    pub fn name(self) -> &'static str {
        match self {
            Workload::W1 => "W1",
            Workload::W2 => "W2",
            Workload::W3 => "W3",
            Workload::W4 => "W4",
            Workload::W5 => "W5",
            Workload::W6 => "W6",
            Workload::W7 => "W7",
            Workload::W8 => "W8",
        }
    }

    /// The run parameters of this workload; `quick` shrinks it to a few seconds.
    pub fn config(self, quick: bool) -> RunConfig {
        let q = |full: u64, small: u64| if quick { small } else { full };
        let secs = |full: u64, small: u64| Some(Duration::from_secs(q(full, small)));
        let base = RunConfig::default();
        let cycle = Pacing::AllocationCycle {
            interval: Duration::from_millis(q(1000, 200)),
        };
        let agents = |full, small| GeneratorConfig {
            agents: q(full, small) as usize,
            ..GeneratorConfig::default()
        };
        match self {
            Workload::W1 => RunConfig {
                workload: self,
                generator: agents(10_000, 1000),
                pacing: cycle,
                offers_per_event: usize::MAX,
                duration: secs(60, 2),
                queue: q(10_000, 1000) as usize,
                ..base
            },
            Workload::W2 => RunConfig {
                workload: self,
                duration: secs(30, 2),
                ..base
            },
            Workload::W3 => {
                let n = q(10_000, 1000);
                RunConfig {
                    workload: self,
                    generator: GeneratorConfig {
                        uniform: Some((8.0, 32_768.0)),
                        ..agents(10_000, 1000)
                    },
                    pacing: cycle,
                    offers_per_event: usize::MAX,
                    duration: secs(30, 10),
                    queue: n as usize,
                    refill: false,
                    target_tasks: Some(n),
                    ..base
                }
            }
            Workload::W4 => RunConfig {
                workload: self,
                task_mix: TaskMix::Unplaceable,
                refill: false,
                max_offers: Some(q(100_000, 5000)),
                duration: secs(120, 10),
                ..base
            },
            Workload::W5 => {
                let n = q(33_334, 2000);
                RunConfig {
                    workload: self,
                    queue: n as usize,
                    refill: false,
                    target_tasks: Some(n),
                    update_fraction: 1.0,
                    duration: secs(120, 10),
                    ..base
                }
            }
            Workload::W6 => RunConfig {
                workload: self,
                rescind_rate: 0.01,
                update_fraction: 0.07,
                ..Workload::W1.config(quick)
            },
            Workload::W7 => RunConfig {
                workload: self,
                generator: GeneratorConfig {
                    shape: OfferShape::Fat,
                    ..GeneratorConfig::default()
                },
                pacing: Pacing::OpenLoop { window: 1000 },
                offers_per_event: 100,
                duration: secs(30, 2),
                ..base
            },
            Workload::W8 => RunConfig {
                workload: self,
                pacing: Pacing::OpenLoop { window: 1 },
                max_offers: Some(q(20_000, 2000)),
                duration: secs(120, 10),
                ..base
            },
        }
    }
}

impl std::str::FromStr for Workload {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Workload::ALL
            .into_iter()
            .find(|w| w.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown workload {s:?} (W1 to W8)"))
    }
}

impl std::fmt::Display for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything one run of the source needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// Which workload this is (for the report).
    pub workload: Workload,
    /// The wire encoding of the stream (a SUBSCRIBE may ask for the other one; the source
    /// follows the `Accept` header).
    pub encoding: Encoding,
    /// Agents and offer shapes.
    pub generator: GeneratorConfig,
    /// How offers are handed out.
    pub pacing: Pacing,
    /// The most offers put in one OFFERS event.
    pub offers_per_event: usize,
    /// Stop offering after this long (measured from the first offer).
    pub duration: Option<Duration>,
    /// Stop offering after this many offers.
    pub max_offers: Option<u64>,
    /// Stop offering once this many tasks were launched.
    pub target_tasks: Option<u64>,
    /// Tasks the framework has queued at t0.
    pub queue: usize,
    /// Whether the framework keeps its queue at `queue` (one new task per launched one).
    pub refill: bool,
    /// Task sizes.
    pub task_mix: TaskMix,
    /// Share of launched tasks that then go STARTING, RUNNING, FINISHED (each to ACK).
    pub update_fraction: f64,
    /// Share of offers rescinded shortly after being sent.
    pub rescind_rate: f64,
    /// HEARTBEAT interval.
    pub heartbeat: Duration,
    /// How long to wait for the last answers once offering stopped.
    pub drain_timeout: Duration,
    /// Start the run as soon as a framework subscribes (for a peer in another process);
    /// otherwise it starts on [`SourceHandle::start_run`](super::source::SourceHandle::start_run).
    pub auto_start: bool,
}

impl Default for RunConfig {
    /// W2's shape: open loop with 64 offers outstanding, queue of 1k mixed tasks kept full.
    fn default() -> Self {
        RunConfig {
            workload: Workload::W2,
            encoding: Encoding::Protobuf,
            generator: GeneratorConfig::default(),
            pacing: Pacing::OpenLoop { window: 64 },
            offers_per_event: 1,
            duration: Some(Duration::from_secs(30)),
            max_offers: None,
            target_tasks: None,
            queue: 1000,
            refill: true,
            task_mix: TaskMix::Mixed,
            update_fraction: 0.0,
            rescind_rate: 0.0,
            heartbeat: Duration::from_secs(15),
            drain_timeout: Duration::from_secs(5),
            auto_start: false,
        }
    }
}

impl RunConfig {
    /// Sets the open-loop window (ignored for allocation cycles).
    pub fn with_window(mut self, window: usize) -> Self {
        if let Pacing::OpenLoop { .. } = self.pacing {
            self.pacing = Pacing::OpenLoop {
                window: window.max(1),
            };
        }
        self
    }
}

/// `count` task specs numbered from `start`, sized by `mix` (seeded by `seed` and each
/// task's number, so a refill draws the same tasks every run).
pub fn task_specs(mix: TaskMix, seed: u64, start: u64, count: usize) -> Vec<TaskSpec> {
    (start..start + count as u64)
        .map(|n| task_spec(mix, seed, n))
        .collect()
}

/// Task number `n` of the queue.
pub fn task_spec(mix: TaskMix, seed: u64, n: u64) -> TaskSpec {
    let spec = TaskSpec::new(format!("task-{n}")).command("true");
    match mix {
        TaskMix::Mixed => {
            let mut rng = SplitMix64::new(seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let cpus = 0.5 * (1 + rng.below(4)) as f64;
            let mem = 512.0 * (1 + rng.below(8)) as f64;
            let ports = rng.below(3);
            let spec = spec.cpus(cpus).mem(mem);
            if ports > 0 { spec.ports(ports) } else { spec }
        }
        TaskMix::Uniform { cpus, mem } => spec.cpus(cpus).mem(mem),
        TaskMix::Unplaceable => spec.cpus(64.0).mem(1024.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workloads_parse_and_are_bounded() {
        for w in Workload::ALL {
            assert_eq!(w.name().parse::<Workload>().unwrap(), w);
            for quick in [false, true] {
                let c = w.config(quick);
                assert_eq!(c.workload, w);
                assert!(c.duration.is_some() || c.max_offers.is_some());
            }
        }
        assert!("W9".parse::<Workload>().is_err());
        assert_eq!(
            Workload::W8.config(false).pacing,
            Pacing::OpenLoop { window: 1 }
        );
    }

    #[test]
    fn task_queue_is_seeded() {
        let a = task_specs(TaskMix::Mixed, 1, 0, 50);
        assert_eq!(a, task_specs(TaskMix::Mixed, 1, 0, 50));
        assert_ne!(a, task_specs(TaskMix::Mixed, 2, 0, 50));
        for t in &a {
            assert!(t.validate().is_ok());
            let cpus = t.resources.scalars["cpus"];
            assert!((0.5..=2.0).contains(&cpus));
        }
    }
}
