//! Offer flood: runs one benchmark workload end to end over loopback against a framework,
//! prints the figures, then the harness's own limit (the same source answered by a minimal
//! client that declines everything), the machine's thread wake-up round trip and the
//! in-process ceiling, and ends with one JSON line:
//!
//! ```text
//! {"workload":"W2","offers_per_sec":...,"p50_us":...,"p99_us":...,"wake_rtt_us":...,
//!  "ceiling_offers_per_sec":...,"limit_offers_per_sec":...,...}
//! ```
//!
//! ```sh
//! cargo run --release --example offer_flood                      # W2 for 30 s, then the ceiling
//! cargo run --release --example offer_flood -- --workload W8 --encoding json
//! cargo run --example offer_flood -- --quick                     # CI smoke: a few seconds
//! cargo run --release --features jemalloc --example offer_flood   # with jemalloc
//! cargo run --release --example offer_flood -- --serve-only --port 5050 --encoding json --peer pymesos
//! ```
//!
//! `--serve-only` runs only the offer source (the run starts when a framework subscribes)
//! for a framework in another process, such as the pymesos peer in `scripts/bench/`.

use clap::Parser;
use mesos_actix::Encoding;
use mesos_actix::benchkit::ceiling::{self, CeilingConfig, CeilingResult};
use mesos_actix::benchkit::driver::drive;
use mesos_actix::benchkit::generator::OfferShape;
use mesos_actix::benchkit::limit::{self, LimitResult};
use mesos_actix::benchkit::report::Report;
use mesos_actix::benchkit::source::OfferSource;
use mesos_actix::benchkit::wake::{self, WakeRtt};
use mesos_actix::benchkit::workload::{RunConfig, TaskMix, Workload};
use mesos_actix::proto::FrameworkInfo;
use std::time::Duration;

// One build with both allocator features compares all three at run time
// (BENCH_ALLOCATOR); otherwise the features pick one, as in every binary.
#[cfg(all(feature = "jemalloc", feature = "mimalloc"))]
#[global_allocator]
static SWITCH: mesos_actix::benchkit::alloc_switch::Switch =
    mesos_actix::benchkit::alloc_switch::Switch;
#[cfg(not(all(feature = "jemalloc", feature = "mimalloc")))]
mesos_actix::global_allocator!();

fn allocator_name() -> &'static str {
    #[cfg(all(feature = "jemalloc", feature = "mimalloc"))]
    return mesos_actix::benchkit::alloc_switch::name();
    #[cfg(not(all(feature = "jemalloc", feature = "mimalloc")))]
    mesos_actix::allocator::NAME
}

// ---- The framework under test ------------------------------------------------------
use mesos_actix::scheduler::{Framework, RuntimeConfig};
const FRAMEWORK: &str = "mesos-actix";

#[derive(Parser, Debug)]
#[command(about = "Offer-throughput benchmark over loopback")]
struct Args {
    /// Workload W1..W8.
    #[arg(long, default_value = "W2")]
    workload: Workload,
    /// Seconds of offering (default: the workload's).
    #[arg(long)]
    duration: Option<f64>,
    /// Offers outstanding in open-loop pacing (W).
    #[arg(long)]
    window: Option<usize>,
    /// Tasks queued in the framework.
    #[arg(long)]
    queue: Option<usize>,
    /// Agents (offer templates).
    #[arg(long)]
    agents: Option<usize>,
    /// Roles the agents' resources are allocated to (comma-separated; default `*`).
    #[arg(long, value_delimiter = ',')]
    roles: Vec<String>,
    /// Fat offers (~2 KB: 20 resources, 10 attributes).
    #[arg(long)]
    fat: bool,
    /// Stop after this many offers.
    #[arg(long)]
    max_offers: Option<u64>,
    /// Wire encoding: protobuf or json.
    #[arg(long, default_value = "protobuf")]
    encoding: Encoding,
    /// Seed of offers and tasks.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// CI smoke: a few seconds in all.
    #[arg(long)]
    quick: bool,
    /// Run only the offer source; a framework in another process subscribes to it.
    #[arg(long)]
    serve_only: bool,
    /// Port of the offer source (0: any).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Name of the framework in the JSON line (for --serve-only).
    #[arg(long)]
    peer: Option<String>,
    /// Seconds of the in-process ceiling (0: skip it).
    #[arg(long)]
    ceiling_secs: Option<f64>,
    /// Seconds of the harness limit run (minimal client; 0: skip it).
    #[arg(long)]
    limit_secs: Option<f64>,
    /// Round trips of the thread wake-up ping-pong (0: skip it).
    #[arg(long)]
    wake_round_trips: Option<usize>,
    /// Pipelined calls (`false`: one awc request per call).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    call_pipelining: bool,
    /// Keep-alive call connections of the framework.
    #[arg(long, default_value_t = RuntimeConfig::default().call_connections)]
    call_connections: usize,
    /// Seconds to wait for the run's report.
    #[arg(long, default_value_t = 600.0)]
    timeout: f64,
}

fn run_config(args: &Args) -> RunConfig {
    let mut config = args.workload.config(args.quick);
    config.encoding = args.encoding;
    config.generator.seed = args.seed;
    if let Some(d) = args.duration {
        config.duration = Some(Duration::from_secs_f64(d));
    }
    if let Some(w) = args.window {
        config = config.with_window(w);
    }
    if let Some(q) = args.queue {
        config.queue = q;
        if config.target_tasks.is_some() {
            config.target_tasks = Some(q as u64);
        }
    }
    if let Some(a) = args.agents {
        config.generator.agents = a;
    }
    if !args.roles.is_empty() {
        config.generator.roles = args.roles.clone();
    }
    if args.fat {
        config.generator.shape = OfferShape::Fat;
    }
    if args.max_offers.is_some() {
        config.max_offers = args.max_offers;
    }
    config.auto_start = args.serve_only;
    config
}

async fn start_framework(url: &str, args: &Args) -> anyhow::Result<Framework> {
    let encoding = args.encoding;
    // Unused offers are declined within 1 ms (0 is refused by validation) instead of held
    // for work that may come: the source's window counts held offers as outstanding.
    let config = RuntimeConfig {
        offer_hold_secs: 0.001,
        call_pipelining: args.call_pipelining,
        call_connections: args.call_connections,
        masters: Vec::new(), // the flood's own master, below
        // Other MESOS_ACTIX_* tunables apply.
        ..RuntimeConfig::load(None)?
    };
    let framework = Framework::builder(FrameworkInfo::new("offer-flood"))
        .config(config)
        .master(url)
        .encoding(encoding)
        .start()
        .await?;
    framework.wait_subscribed(Duration::from_secs(30)).await?;
    Ok(framework)
}

/// The last line of output; field order is part of the format.
#[derive(serde::Serialize)]
struct JsonLine<'a> {
    workload: &'a str,
    offers_per_sec: f64,
    p50_us: u64,
    p99_us: u64,
    /// Median round trip of two threads waking each other (the latency floor).
    wake_rtt_us: Option<f64>,
    ceiling_offers_per_sec: Option<f64>,
    fraction_of_ceiling: Option<f64>,
    /// Offers/s of the same source against a minimal client (the harness's limit).
    limit_offers_per_sec: Option<f64>,
    fraction_of_limit: Option<f64>,
    /// p50 of the minimal client's offer -> DECLINE.
    limit_p50_us: Option<u64>,
    /// Source CPU seconds in the limit run.
    limit_source_cpu_s: Option<f64>,
    /// The global allocator of this binary (cargo features `jemalloc` / `mimalloc`).
    allocator: &'a str,
    peer: &'a str,
    encoding: &'a str,
    pacing: &'a str,
    queue: usize,
    seed: u64,
    tasks_per_sec: f64,
    acks_per_sec: f64,
    p90_us: u64,
    max_us: u64,
    ack_p50_us: u64,
    ack_p99_us: u64,
    calls_per_offer: f64,
    time_to_target_s: Option<f64>,
    offers_answered: u64,
    tasks_launched: u64,
    acks: u64,
    /// `null` when the framework runs in another process (--serve-only).
    framework_cpu_us_per_offer: Option<f64>,
    source_cpu_s: f64,
    /// Tasks the in-process ceiling launched per second (same queue and offers).
    ceiling_tasks_per_sec: Option<f64>,
    /// Resident memory grown per task queued at t0 (`null` for --serve-only).
    rss_bytes_per_queued_task: Option<f64>,
    violations: u64,
}

/// What was measured beside the run itself.
struct Beside {
    ceiling: Option<CeilingResult>,
    limit: Option<LimitResult>,
    wake: Option<WakeRtt>,
}

fn fraction(of: f64, to: Option<f64>) -> Option<f64> {
    to.filter(|c| *c > 0.0)
        .map(|c| (of / c * 1000.0).round() / 1000.0)
}

fn json_line(args: &Args, report: &Report, peer: &str, beside: Beside) -> String {
    let Beside {
        ceiling,
        limit,
        wake,
    } = beside;
    let ceiling_ops = ceiling.as_ref().map(|c| c.offers_per_sec.round());
    let limit_ops = limit.as_ref().map(|l| l.report.offers_per_sec.round());
    let line = JsonLine {
        workload: &report.workload,
        offers_per_sec: report.offers_per_sec.round(),
        p50_us: report.offer_latency.p50_us,
        p99_us: report.offer_latency.p99_us,
        wake_rtt_us: wake.map(|w| (w.p50_us * 10.0).round() / 10.0),
        ceiling_offers_per_sec: ceiling_ops,
        fraction_of_ceiling: fraction(report.offers_per_sec, ceiling_ops),
        limit_offers_per_sec: limit_ops,
        fraction_of_limit: fraction(report.offers_per_sec, limit_ops),
        limit_p50_us: limit.as_ref().map(|l| l.report.offer_latency.p50_us),
        limit_source_cpu_s: limit
            .as_ref()
            .map(|l| (l.report.source_cpu_s * 100.0).round() / 100.0),
        allocator: allocator_name(),
        peer,
        encoding: &report.encoding,
        pacing: &report.pacing,
        queue: report.queue,
        seed: args.seed,
        tasks_per_sec: report.tasks_per_sec.round(),
        acks_per_sec: report.acks_per_sec.round(),
        p90_us: report.offer_latency.p90_us,
        max_us: report.offer_latency.max_us,
        ack_p50_us: report.ack_latency.p50_us,
        ack_p99_us: report.ack_latency.p99_us,
        calls_per_offer: report.calls_per_offer,
        time_to_target_s: report.time_to_target_s,
        offers_answered: report.offers_answered,
        tasks_launched: report.tasks_launched,
        acks: report.acks,
        framework_cpu_us_per_offer: (!args.serve_only)
            .then(|| (report.framework_cpu_us_per_offer() * 10.0).round() / 10.0),
        source_cpu_s: (report.source_cpu_s * 100.0).round() / 100.0,
        ceiling_tasks_per_sec: ceiling.as_ref().map(|c| c.tasks_per_sec.round()),
        rss_bytes_per_queued_task: report.rss_bytes_per_queued_task.map(f64::round),
        violations: report
            .violations
            .iter()
            .filter(|(k, _)| *k != "answered_rescinded")
            .map(|(_, v)| v)
            .sum(),
    };
    serde_json::to_string(&line).unwrap_or_default()
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    format!("{cpus} cpus ({model}); offer source and framework share them")
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
    let config = run_config(&args);
    let timeout = Duration::from_secs_f64(args.timeout);
    eprintln!("machine: {}", machine());
    let mut source = OfferSource::start(config.clone(), args.port)?;
    let (report, peer) = if args.serve_only {
        eprintln!("offer source listening on {} (serve only)", source.url());
        // What a peer needs to build the same queue (see scripts/bench/pymesos_peer.py).
        let task_mix = match config.task_mix {
            TaskMix::Mixed => "mixed".to_string(),
            TaskMix::Unplaceable => "unplaceable".to_string(),
            TaskMix::Uniform { cpus, mem } => format!("uniform:{cpus}:{mem}"),
        };
        let hello = serde_json::json!({
            "listening": source.url(),
            "queue": config.queue,
            "seed": config.generator.seed,
            "task_mix": task_mix,
            "refill": config.refill,
        });
        println!("{hello}");
        let report = source.wait_report(timeout).await?;
        (
            report,
            args.peer.clone().unwrap_or_else(|| "external".into()),
        )
    } else {
        let framework = start_framework(source.url(), &args).await?;
        let report = drive(&framework, &mut source, &config, timeout).await?;
        drop(framework);
        (report, FRAMEWORK.to_string())
    };
    source.stop();
    println!("{report}");
    let limit_secs = args
        .limit_secs
        .unwrap_or(if args.quick { 0.5 } else { 3.0 });
    let limit = if limit_secs > 0.0 {
        let l = limit::measure(&config, Duration::from_secs_f64(limit_secs), timeout).await?;
        println!(
            "harness limit (same source, minimal client declining everything): {:.0} offers/s, p50 {} us, source CPU {:.2} s; run at {:.1}% of it",
            l.report.offers_per_sec,
            l.report.offer_latency.p50_us,
            l.report.source_cpu_s,
            100.0 * report.offers_per_sec / l.report.offers_per_sec.max(1.0)
        );
        Some(l)
    } else {
        None
    };
    let round_trips = args
        .wake_round_trips
        .unwrap_or(if args.quick { 2_000 } else { 20_000 });
    let wake = (round_trips > 0)
        .then(|| wake::measure(round_trips))
        .transpose()?;
    if let Some(w) = wake {
        println!(
            "thread wake-up round trip (two threads, Unix socket ping-pong, {} round trips): p50 {:.1} us, p99 {:.1} us; run p50 at {:.1}x it",
            w.round_trips,
            w.p50_us,
            w.p99_us,
            report.offer_latency.p50_us as f64 / w.p50_us.max(0.001)
        );
    }
    let ceiling_secs = args
        .ceiling_secs
        .unwrap_or(if args.quick { 0.5 } else { 3.0 });
    let ceiling = (ceiling_secs > 0.0).then(|| {
        let c = ceiling::measure(&CeilingConfig {
            queue: config.queue,
            encoding: config.encoding,
            generator: config.generator.clone(),
            task_mix: config.task_mix,
            offers_per_event: config.offers_per_event.clamp(1, 1000),
            duration: Duration::from_secs_f64(ceiling_secs),
            ..CeilingConfig::default()
        });
        println!(
            "ceiling (in-process, one core, MatcherCore, queue {}): {} offers in {:.2} s, {:.0} offers/s, {:.0} tasks/s; run at {:.1}% of it",
            config.queue,
            c.offers,
            c.seconds,
            c.offers_per_sec,
            c.tasks_per_sec,
            100.0 * report.offers_per_sec / c.offers_per_sec.max(1.0)
        );
        c
    });
    let beside = Beside {
        ceiling,
        limit,
        wake,
    };
    println!("{}", json_line(&args, &report, &peer, beside));
    if report.has_violations() {
        anyhow::bail!("correctness checks failed: {:?}", report.violations);
    }
    Ok(())
}
