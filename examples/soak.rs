//! Soak: pushes a million tasks through the runtime against the benchmark's offer source
//! (each launched task then goes STARTING -> RUNNING -> FINISHED, every update acknowledged
//! after the user's actor got it) and reports the process's resident memory when a tenth,
//! half and all of the tasks have finished. With the tracker's retention rule and the
//! matcher forgetting finished launches, it stays flat.
//!
//! The user's actor keeps `--queue` tasks alive: it submits the next task whenever one
//! finishes (a framework with bounded concurrency), so what is in flight stays the same
//! from the first task to the last and any growth is bookkeeping of finished tasks. Ends
//! with one JSON line:
//!
//! ```text
//! {"tasks":1000000,"finished":1000000,"checkpoints":[{"finished":100000,"rss_mib":...},...],...}
//! ```
//!
//! ```sh
//! cargo run --release --example soak                    # one million tasks
//! cargo run --release --example soak -- --tasks 50000   # CI smoke
//! ```
//!
//! The offer source runs in the same process (its bookkeeping is bounded by what is in
//! flight), so the figures are the whole process's.

use actix::prelude::*;
use clap::Parser;
use mesos_actix::Encoding;
use mesos_actix::benchkit::driver::drive;
use mesos_actix::benchkit::memory::resident_bytes;
use mesos_actix::benchkit::source::OfferSource;
use mesos_actix::benchkit::workload::{TaskMix, Workload, task_spec};
use mesos_actix::proto::FrameworkInfo;
use mesos_actix::scheduler::{Framework, RuntimeConfig, TaskUpdate};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Memory over a million tasks, against the benchmark offer source")]
struct Args {
    /// Tasks to run to completion; memory is read at a tenth, half and all of them.
    #[arg(long, default_value_t = 1_000_000)]
    tasks: u64,
    /// Tasks alive at once (queued or running): a new one is submitted as one finishes.
    #[arg(long, default_value_t = 1000)]
    queue: usize,
    /// Wire encoding: protobuf or json.
    #[arg(long, default_value = "protobuf")]
    encoding: Encoding,
    /// Seed of offers and tasks.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Finished task records the tracker keeps (default: `RuntimeConfig`'s).
    #[arg(long)]
    retention: Option<usize>,
    /// Seconds to wait for the whole run.
    #[arg(long, default_value_t = 3600.0)]
    timeout: f64,
}

/// Resident memory when `finished` tasks had finished.
#[derive(Debug, Clone, Copy, serde::Serialize)]
struct Checkpoint {
    finished: u64,
    rss_mib: f64,
}

fn mib(bytes: Option<u64>) -> f64 {
    (bytes.unwrap_or(0) as f64 / (1024.0 * 1024.0) * 10.0).round() / 10.0
}

/// The user's actor: counts final updates, submits the next task for each, and reads
/// resident memory at the checkpoints.
struct Finals {
    finished: u64,
    at: Vec<u64>,
    seen: Arc<Mutex<Vec<Checkpoint>>>,
    done: Arc<tokio::sync::Notify>,
    total: u64,
    /// Where the next tasks go (set once the framework runs).
    framework: Option<Framework>,
    /// Number of the next task to submit.
    next: u64,
    mix: TaskMix,
    seed: u64,
}

/// Hands the running framework to [`Finals`].
#[derive(Message)]
#[rtype(result = "()")]
struct Refill(Framework);

impl Handler<Refill> for Finals {
    type Result = ();
    fn handle(&mut self, Refill(framework): Refill, _: &mut Context<Self>) {
        self.framework = Some(framework);
    }
}

impl Actor for Finals {
    type Context = Context<Self>;
}

impl Handler<TaskUpdate> for Finals {
    type Result = ();
    fn handle(&mut self, update: TaskUpdate, _: &mut Context<Self>) {
        if !update.is_final {
            return;
        }
        self.finished += 1;
        if self.at.contains(&self.finished)
            && let Ok(mut seen) = self.seen.lock()
        {
            seen.push(Checkpoint {
                finished: self.finished,
                rss_mib: mib(resident_bytes()),
            });
        }
        if self.finished == self.total {
            self.done.notify_one();
        }
        if let Some(framework) = self.framework.clone().filter(|_| self.next < self.total) {
            let spec = task_spec(self.mix, self.seed, self.next);
            self.next += 1;
            actix::spawn(async move {
                if let Err(e) = framework.submit(spec).await {
                    eprintln!("refill refused: {e}");
                }
            });
        }
    }
}

/// The last line of output; field order is part of the format.
#[derive(serde::Serialize)]
struct JsonLine {
    tasks: u64,
    finished: u64,
    seconds: f64,
    tasks_per_sec: f64,
    rss_baseline_mib: f64,
    checkpoints: Vec<Checkpoint>,
    /// Growth from the half-way checkpoint to the last one, in percent.
    rss_growth_second_half_pct: Option<f64>,
    /// Task records the tracker still held at the end (queued ones included).
    tracked_at_end: usize,
    finished_task_retention: usize,
    queue: usize,
    encoding: String,
    violations: u64,
}

#[actix::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let timeout = Duration::from_secs_f64(args.timeout);
    let mut config = Workload::W5.config(false);
    config.encoding = args.encoding;
    config.generator.seed = args.seed;
    config.queue = args.queue;
    // Refilled by the user's actor as tasks finish, not by the driver as they launch.
    config.refill = false;
    config.target_tasks = Some(args.tasks);
    config.update_fraction = 1.0;
    config.duration = Some(timeout);
    let mut source = OfferSource::start(config.clone(), 0)?;

    let defaults = RuntimeConfig::load(None)?;
    let runtime = RuntimeConfig {
        // Unused offers are declined at once, as in offer_flood: the source counts on it.
        offer_hold_secs: 0.001,
        finished_task_retention: args.retention.unwrap_or(defaults.finished_task_retention),
        masters: Vec::new(),
        ..defaults
    };
    let retention = runtime.finished_task_retention;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(tokio::sync::Notify::new());
    let finals = Finals {
        finished: 0,
        at: vec![args.tasks / 10, args.tasks / 2, args.tasks],
        seen: seen.clone(),
        done: done.clone(),
        total: args.tasks,
        framework: None,
        next: args.queue as u64,
        mix: config.task_mix,
        seed: args.seed,
    }
    .start();
    let framework = Framework::builder(FrameworkInfo::new("soak"))
        .config(runtime)
        .master(source.url())
        .encoding(args.encoding)
        .on_update(finals.clone().recipient())
        .start()
        .await?;
    finals.send(Refill(framework.clone())).await?;
    framework.wait_subscribed(Duration::from_secs(30)).await?;
    let baseline = mib(resident_bytes());
    let started = Instant::now();
    let all_finished = done.notified();
    let report = drive(&framework, &mut source, &config, timeout).await?;
    // The run ends once every update was acknowledged, hence delivered; this is immediate.
    if tokio::time::timeout(Duration::from_secs(30), all_finished)
        .await
        .is_err()
    {
        eprintln!("not every task finished within the run");
    }
    let seconds = started.elapsed().as_secs_f64();
    let tracked_at_end = framework.tasks().await?.len();
    source.stop();
    println!("{report}");
    let checkpoints = seen.lock().map(|s| s.clone()).unwrap_or_default();
    let finished = checkpoints.last().map_or(0, |c| c.finished);
    let growth = match checkpoints.as_slice() {
        [_, mid, last] if mid.rss_mib > 0.0 => {
            Some(((last.rss_mib - mid.rss_mib) / mid.rss_mib * 1000.0).round() / 10.0)
        }
        _ => None,
    };
    for c in &checkpoints {
        println!(
            "{:>9} finished: {:>8.1} MiB resident",
            c.finished, c.rss_mib
        );
    }
    let line = JsonLine {
        tasks: args.tasks,
        finished,
        seconds: (seconds * 10.0).round() / 10.0,
        tasks_per_sec: (args.tasks as f64 / seconds.max(1e-9)).round(),
        rss_baseline_mib: baseline,
        checkpoints,
        rss_growth_second_half_pct: growth,
        tracked_at_end,
        finished_task_retention: retention,
        queue: args.queue,
        encoding: format!("{:?}", args.encoding).to_lowercase(),
        violations: report
            .violations
            .iter()
            .filter(|(k, _)| *k != "answered_rescinded")
            .map(|(_, v)| v)
            .sum(),
    };
    println!("{}", serde_json::to_string(&line)?);
    if report.has_violations() {
        anyhow::bail!("correctness checks failed: {:?}", report.violations);
    }
    if finished < args.tasks {
        anyhow::bail!("only {finished} of {} tasks finished", args.tasks);
    }
    Ok(())
}
