//! An actor that owns the [`Framework`] handle: it submits a batch, counts the terminal
//! states in its own mailbox, kills one task, reconciles and tears the framework down. The
//! handle is cheap to clone, so each step runs as a future the actor spawns with its own
//! clone, and the actor's mailbox keeps taking updates meanwhile.
//!
//! ```text
//! cargo run --example supervisor                 # embedded local cluster
//! MESOS_MASTER=http://127.0.0.1:5050 cargo run --example supervisor
//! ```
//!
//! Prints one line per step and a summary; exits 0 when every batch task finished and the
//! long one was killed, 1 otherwise.

use actix::prelude::*;
use mesos_actix::local::LocalClusterConfig;
use mesos_actix::proto::{FrameworkInfo, TaskId, TaskState};
use mesos_actix::scheduler::{
    Framework, FrameworkError, RuntimeConfig, ShutdownMode, TaskSpec, TaskUpdate,
};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::oneshot;

/// Short tasks in the batch (plus one long task, the one that gets killed).
const BATCH: usize = 8;

/// What the supervisor reports when it is done.
#[derive(Debug, Default)]
struct Summary {
    /// Final states and how many tasks ended in each.
    finals: BTreeMap<String, usize>,
    /// The first error of a step, if any.
    error: Option<String>,
}

/// Owns the handle and counts final states.
struct Supervisor {
    framework: Framework,
    /// The long task, once submitted.
    victim: Option<TaskId>,
    /// Whether the kill of the victim was asked for.
    kill_sent: bool,
    /// Final updates heard.
    finals: BTreeMap<String, usize>,
    /// Where the summary goes (taken once).
    done: Option<oneshot::Sender<Summary>>,
}

impl Supervisor {
    fn total_finals(&self) -> usize {
        self.finals.values().sum()
    }

    /// Ends the run: tears the framework down, then reports.
    fn finish(&mut self, error: Option<String>, ctx: &mut Context<Self>) {
        let Some(done) = self.done.take() else {
            return;
        };
        let summary = Summary {
            finals: self.finals.clone(),
            error,
        };
        let framework = self.framework.clone();
        ctx.spawn(
            async move {
                framework.shutdown(ShutdownMode::Teardown).await;
                println!("torn down");
                let _ = done.send(summary);
            }
            .into_actor(self),
        );
    }

    /// Runs `step` on a clone of the handle; a failure ends the run.
    fn step<F, Fut>(&mut self, ctx: &mut Context<Self>, what: &'static str, step: F)
    where
        F: FnOnce(Framework) -> Fut,
        Fut: std::future::Future<Output = Result<(), FrameworkError>> + 'static,
    {
        let run = step(self.framework.clone());
        ctx.spawn(
            run.into_actor(self)
                .map(move |result, act, ctx| match result {
                    Ok(()) => println!("{what}: ok"),
                    Err(e) => act.finish(Some(format!("{what}: {e}")), ctx),
                }),
        );
    }
}

impl Actor for Supervisor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let mut specs: Vec<TaskSpec> = (0..BATCH)
            .map(|n| {
                TaskSpec::new(format!("short-{n}"))
                    .cpus(0.1)
                    .mem(16.0)
                    .command("true")
            })
            .collect();
        specs.push(
            TaskSpec::new("long")
                .cpus(0.1)
                .mem(16.0)
                .command("sleep 600"),
        );
        let framework = self.framework.clone();
        // The whole batch in one message, so the first offer can carry all of it.
        ctx.spawn(
            async move { framework.submit_all(specs).await }
                .into_actor(self)
                .map(|result, act, ctx| match result {
                    Ok(ids) => {
                        println!("submitted {} tasks", ids.len());
                        act.victim = ids.last().cloned();
                    }
                    Err(e) => act.finish(Some(format!("submit: {e}")), ctx),
                }),
        );
    }
}

impl Handler<TaskUpdate> for Supervisor {
    type Result = ();

    fn handle(&mut self, update: TaskUpdate, ctx: &mut Context<Self>) {
        let is_victim = self.victim.as_ref() == Some(&update.task_id);
        if is_victim && update.state == TaskState::TaskRunning && !self.kill_sent {
            self.kill_sent = true;
            // Reconcile while the long task runs, then kill it.
            self.step(ctx, "reconcile", |fw| async move { fw.reconcile().await });
            let victim = update.task_id.clone();
            println!("killing {}", update.name);
            self.step(ctx, "kill", move |fw| async move { fw.kill(&victim).await });
        }
        if !update.is_final {
            return;
        }
        let state = update.state.as_str_name().to_string();
        let reason = update
            .reason
            .map_or_else(|| "-".to_string(), |r| r.as_str_name().to_string());
        println!("final {} {state} reason={reason}", update.name);
        *self.finals.entry(state).or_default() += 1;
        if self.total_finals() == BATCH + 1 {
            self.finish(None, ctx);
        }
    }
}

// jemalloc or mimalloc with the cargo feature of that name (README "Allocator").
mesos_actix::global_allocator!();

#[actix::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    // Tunables from MESOS_ACTIX_* (and MESOS_MASTER); without a master, the embedded
    // cluster with two small agents.
    let config = RuntimeConfig::load(None)?;
    let cluster = LocalClusterConfig {
        agents: 2,
        resources: "cpus:2;mem:1024;disk:1024;ports:[31000-31100]".into(),
        allocation_interval: Duration::from_millis(100),
        executor_shutdown_grace_period: Duration::from_secs(1),
        ..Default::default()
    };
    // The actor's address exists before the actor runs, so the framework can be built
    // with it as a recipient and then handed to the actor.
    let ctx = Context::<Supervisor>::new();
    let framework = Framework::builder(FrameworkInfo::new("supervisor"))
        .config(config)
        .local_cluster(cluster)
        .on_update(ctx.address().recipient())
        .start()
        .await?;
    framework.wait_subscribed(Duration::from_secs(30)).await?;
    println!("subscribed to {}", framework.master_url());
    let (done, summary) = oneshot::channel();
    ctx.run(Supervisor {
        framework,
        victim: None,
        kill_sent: false,
        finals: BTreeMap::new(),
        done: Some(done),
    });
    let summary = tokio::time::timeout(Duration::from_secs(120), summary)
        .await
        .map_err(|_| anyhow::anyhow!("the supervisor did not finish in 120 s"))??;
    let counts: Vec<String> = summary
        .finals
        .iter()
        .map(|(state, n)| format!("{state}={n}"))
        .collect();
    println!("summary {}", counts.join(" "));
    let finished = summary.finals.get("TASK_FINISHED").copied().unwrap_or(0);
    let killed = summary.finals.get("TASK_KILLED").copied().unwrap_or(0);
    if let Some(error) = summary.error {
        eprintln!("failed: {error}");
        std::process::exit(1);
    }
    if finished != BATCH || killed != 1 {
        eprintln!("expected {BATCH} finished and 1 killed");
        std::process::exit(1);
    }
    Ok(())
}
