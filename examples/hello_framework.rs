//! The smallest useful framework: runs N command tasks (default `sleep 1`) and prints one
//! line per status update. Exits 0 once all N finished, 1 if any failed for good.
//!
//! ```text
//! cargo run --example hello_framework -- --tasks 3                  # embedded local cluster
//! cargo run --example hello_framework -- --master http://127.0.0.1:5050 --encoding json
//! cargo run --example hello_framework -- --executor target/debug/examples/hello_executor
//! cargo run --example hello_framework -- --master zk://h1:2181,h2:2181/mesos  # HA masters
//! ```

use actix::prelude::*;
use clap::Parser;
use mesos_actix::Encoding;
use mesos_actix::proto::{CommandInfo, ExecutorInfo, FrameworkInfo, Resource, TaskState};
use mesos_actix::scheduler::{Framework, RuntimeConfig, ShutdownMode, TaskSpec, TaskUpdate};
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(about = "Run N tasks on Mesos and report their states")]
struct Args {
    /// Master URL(s), comma-separated; the embedded local cluster when absent.
    #[arg(long, env = "MESOS_MASTER")]
    master: Option<String>,
    /// How many tasks.
    #[arg(long, default_value_t = 3)]
    tasks: u32,
    /// Wire encoding.
    #[arg(long, default_value = "protobuf")]
    encoding: Encoding,
    /// CPUs per task.
    #[arg(long, default_value_t = 0.1)]
    cpus: f64,
    /// Memory per task, in MB.
    #[arg(long, default_value_t = 32.0)]
    mem: f64,
    /// Shell command each task runs.
    #[arg(long, default_value = "sleep 1")]
    command: String,
    /// Relaunches allowed per task after a failure or loss (e.g. its master failed over).
    #[arg(long, default_value_t = 0)]
    retries: u32,
    /// Run tasks through this executor binary (e.g. the hello_executor example) instead
    /// of as command tasks; the command travels in the task's data.
    #[arg(long)]
    executor: Option<String>,
}

/// Prints updates and counts final outcomes.
struct Reporter {
    failed: u32,
}

impl Actor for Reporter {
    type Context = Context<Self>;
}

impl Handler<TaskUpdate> for Reporter {
    type Result = ();
    fn handle(&mut self, update: TaskUpdate, _: &mut Context<Self>) {
        let message = update.status.message.clone().unwrap_or_default();
        println!(
            "{} {} attempt {} {:?} {}",
            update.name, update.task_id, update.attempt, update.state, message
        );
        if update.is_final && update.state != TaskState::TaskFinished {
            self.failed += 1;
        }
    }
}

#[derive(Message)]
#[rtype(result = "u32")]
struct FailedCount;

impl Handler<FailedCount> for Reporter {
    type Result = u32;
    fn handle(&mut self, _: FailedCount, _: &mut Context<Self>) -> u32 {
        self.failed
    }
}

fn executor_info(path: &str, n: u32) -> ExecutorInfo {
    ExecutorInfo {
        executor_id: format!("hello-executor-{n}").into(),
        name: Some("hello_executor".into()),
        command: Some(CommandInfo {
            value: Some(path.to_string()),
            shell: Some(true),
            ..Default::default()
        }),
        resources: vec![
            Resource::scalar("cpus", 0.05),
            Resource::scalar("mem", 32.0),
        ],
        ..Default::default()
    }
}

#[actix::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let reporter = Reporter { failed: 0 }.start();
    let mut builder = Framework::builder(FrameworkInfo::new("hello_framework"))
        // MESOS_ACTIX_* tunables apply; masters come from --master (or MESOS_MASTER).
        .config(RuntimeConfig {
            masters: Vec::new(),
            ..RuntimeConfig::load(None)?
        })
        .encoding(args.encoding)
        .on_update(reporter.clone().recipient());
    // The builder parses the whole string (comma lists, bare `host:port`, `zk://h1,h2/path`),
    // so it is passed as given: splitting it here would break a zk:// host list.
    if let Some(master) = args.master.as_deref().map(str::trim) {
        if !master.is_empty() {
            builder = builder.master(master);
        }
    }
    let framework = builder.start().await?;
    // The whole batch is queued at once, before SUBSCRIBED: a submit before SUBSCRIBED
    // is queued (and answered) at once, and the first offer with room takes as many of
    // the tasks as fit in one ACCEPT. Submitting one task per `await` after SUBSCRIBED
    // instead lets the first offer leave with only the tasks queued so far.
    let specs = (0..args.tasks)
        .map(|n| {
            let spec = TaskSpec::new(format!("hello-{n}"))
                .cpus(args.cpus)
                .mem(args.mem)
                .retries(args.retries);
            match &args.executor {
                Some(path) => spec
                    .executor(executor_info(path, n))
                    .data(args.command.clone()),
                None => spec.command(args.command.clone()),
            }
        })
        .collect();
    framework.submit_all(specs).await?;
    let id = framework.wait_subscribed(Duration::from_secs(30)).await?;
    eprintln!("subscribed to {} as {id}", framework.master_url());
    framework.wait_finished().await?;
    let failed = reporter.send(FailedCount).await?;
    framework.shutdown(ShutdownMode::Teardown).await;
    if failed > 0 {
        eprintln!("{failed} task(s) failed");
        std::process::exit(1);
    }
    Ok(())
}
