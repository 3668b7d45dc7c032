//! The handle on the embedded local cluster: `reconcile()` before a subscription answers a
//! typed error; `TaskUpdate::reason` is `None` when Mesos gave no reason.
//!
//! `shutdown(Teardown)` drains first: the updates already received reach the user and are
//! acknowledged, every call in flight is answered, and only then TEARDOWN goes out and the
//! call connections close. Checked against the embedded local cluster, started apart from
//! the framework so its `/state` and its log can be read after the teardown.

use actix::prelude::*;
use mesos_actix::local::{LocalCluster, LocalClusterConfig};
use mesos_actix::proto::FrameworkInfo;
use mesos_actix::proto::TaskState;
use mesos_actix::proto::task_status::Reason;
use mesos_actix::scheduler::{
    CallError, Framework, FrameworkError, ShutdownMode, TaskSpec, TaskUpdate,
};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(120);

/// Everything logged in this test binary (runtime and local master alike).
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// One test at a time: they read the shared log.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_env_filter("info,actix_server=warn")
            .with_writer(|| LogWriter)
            .init();
    });
    LOG.lock().unwrap().clear();
}

fn log_text() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap()).into_owned()
}

/// Lines that show a call refused by the master, failed in the runtime, or a drain that
/// ran out of time.
fn call_trouble(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| {
            l.contains("scheduler call refused")
                || l.contains("call failed")
                || l.contains("TEARDOWN failed")
                || l.contains("TEARDOWN timed out")
                || l.contains("shutdown: ")
        })
        .map(str::to_owned)
        .collect()
}

/// Counts final updates and keeps them.
#[derive(Clone, Default)]
struct Counter {
    finals: Arc<AtomicUsize>,
    kept: Arc<Mutex<Vec<TaskUpdate>>>,
}

impl Actor for Counter {
    type Context = Context<Self>;
}

impl Handler<TaskUpdate> for Counter {
    type Result = ();
    fn handle(&mut self, update: TaskUpdate, _: &mut Context<Self>) {
        if update.is_final {
            self.finals.fetch_add(1, Ordering::SeqCst);
            self.kept.lock().unwrap().push(update);
        }
    }
}

async fn cluster() -> LocalCluster {
    LocalCluster::start(LocalClusterConfig {
        agents: 2,
        resources: "cpus:16;mem:8192;disk:1024;ports:[31000-31100]".into(),
        allocation_interval: Duration::from_millis(100),
        status_update_backoff: Duration::from_millis(500),
        executor_shutdown_grace_period: Duration::from_secs(1),
        ..Default::default()
    })
    .await
    .expect("local cluster starts")
}

async fn framework(cluster: &LocalCluster, counter: &Counter) -> Framework {
    let framework = Framework::builder(FrameworkInfo::new("handle-teardown"))
        .master(cluster.url())
        .on_update(counter.clone().start().recipient())
        .start()
        .await
        .expect("framework starts");
    framework
        .wait_subscribed(Duration::from_secs(30))
        .await
        .expect("subscribed");
    framework
}

fn specs(n: usize) -> Vec<TaskSpec> {
    (0..n)
        .map(|i| {
            TaskSpec::new(format!("t-{i}"))
                .cpus(0.1)
                .mem(16.0)
                .command("true")
        })
        .collect()
}

/// The one completed framework of the master's `/state`, and the states of its tasks.
async fn torn_down_tasks(cluster: &LocalCluster) -> Vec<String> {
    let state = cluster.state().await;
    let active = state["frameworks"].as_array().map_or(0, Vec::len);
    assert_eq!(active, 0, "the framework is gone after TEARDOWN: {state}");
    let completed = state["completed_frameworks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(completed.len(), 1, "one torn-down framework");
    let fw = &completed[0];
    ["tasks", "completed_tasks"]
        .iter()
        .flat_map(|key| fw[*key].as_array().cloned().unwrap_or_default())
        .map(|t| t["state"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[actix_rt::test]
async fn teardown_after_300_tasks_every_task_finished_and_no_call_refused() {
    let _serial = SERIAL.lock().await;
    capture_logs();
    let cluster = cluster().await;
    let counter = Counter::default();
    let framework = framework(&cluster, &counter).await;
    framework.submit_all(specs(300)).await.expect("submitted");
    tokio::time::timeout(WAIT, framework.wait_finished())
        .await
        .expect("every task final in time")
        .expect("framework still running");
    framework.shutdown(ShutdownMode::Teardown).await;

    assert_eq!(counter.finals.load(Ordering::SeqCst), 300);
    let states = torn_down_tasks(&cluster).await;
    assert_eq!(states.len(), 300, "{states:?}");
    assert!(
        states.iter().all(|s| s == "TASK_FINISHED"),
        "every task FINISHED at the master: {states:?}"
    );
    let log = log_text();
    assert!(log.contains("framework torn down"), "TEARDOWN answered");
    let trouble = call_trouble(&log);
    assert!(trouble.is_empty(), "calls refused or failed: {trouble:#?}");
    cluster.stop().await;
}

#[actix_rt::test]
async fn teardown_while_updates_flow_logs_no_acknowledge_error() {
    let _serial = SERIAL.lock().await;
    capture_logs();
    let cluster = cluster().await;
    let counter = Counter::default();
    let framework = framework(&cluster, &counter).await;
    framework.submit_all(specs(60)).await.expect("submitted");
    // Tear down while updates are still arriving and being acknowledged.
    let deadline = std::time::Instant::now() + WAIT;
    while counter.finals.load(Ordering::SeqCst) < 10 {
        assert!(std::time::Instant::now() < deadline, "no task finished");
        actix_rt::time::sleep(Duration::from_millis(5)).await;
    }
    framework.shutdown(ShutdownMode::Teardown).await;

    let log = log_text();
    assert!(log.contains("framework torn down"), "TEARDOWN answered");
    let acks: Vec<_> = log
        .lines()
        .filter(|l| l.contains("ACKNOWLEDGE") && (l.contains("WARN") || l.contains("ERROR")))
        .collect();
    assert!(acks.is_empty(), "acknowledgement errors: {acks:#?}");
    let trouble = call_trouble(&log);
    assert!(trouble.is_empty(), "calls refused or failed: {trouble:#?}");
    cluster.stop().await;
}

#[actix_rt::test]
async fn reconcile_before_subscription_answers_not_subscribed() {
    // Nothing listens on port 1: the runtime keeps trying and is never subscribed.
    let framework = Framework::builder(FrameworkInfo::new("handle-reconcile"))
        .master("http://127.0.0.1:1")
        .start()
        .await
        .expect("framework starts");
    let answer = framework.reconcile().await;
    assert!(
        matches!(answer, Err(FrameworkError::Call(CallError::NotSubscribed))),
        "{answer:?}"
    );
    framework.shutdown(ShutdownMode::Failover).await;
}

#[actix_rt::test]
async fn reason_is_none_when_unset_and_set_when_given() {
    let cluster = cluster().await;
    let counter = Counter::default();
    let framework = framework(&cluster, &counter).await;
    framework
        .reconcile()
        .await
        .expect("reconcile while subscribed");
    let done = framework
        .submit(TaskSpec::new("ok").cpus(0.1).mem(16.0).command("true"))
        .await
        .unwrap();
    let failed = framework
        .submit(TaskSpec::new("bad").cpus(0.1).mem(16.0).command("exit 3"))
        .await
        .unwrap();
    tokio::time::timeout(WAIT, framework.wait_finished())
        .await
        .expect("final in time")
        .expect("running");
    let finals = counter.kept.lock().unwrap().clone();
    let of = |id| finals.iter().find(|u| &u.task_id == id).cloned().unwrap();
    let ok = of(&done);
    assert_eq!(ok.state, TaskState::TaskFinished);
    if ok.status.reason.is_none() {
        assert_eq!(ok.reason, None, "an unset reason reads as None: {ok:?}");
    } else {
        // A reconciliation answer can be the final word; it carries its reason.
        assert_eq!(ok.reason, Some(Reason::Reconciliation), "{ok:?}");
    }
    let bad = of(&failed);
    assert_eq!(bad.state, TaskState::TaskFailed);
    let expected = bad.status.reason.and_then(|r| Reason::try_from(r).ok());
    assert_eq!(bad.reason, expected, "{bad:?}");
    framework.shutdown(ShutdownMode::Teardown).await;
    cluster.stop().await;
}
