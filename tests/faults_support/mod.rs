//! Shared support of the `faults_*` tests on the local cluster: a cluster with short
//! timers, a framework recording every update, a scratch directory the tasks' commands
//! write markers into, and the zero-lost / zero-launched-twice checks.

#![allow(dead_code)]

#[path = "../example_build/mod.rs"]
mod example_build;
#[path = "../runtime_support/mod.rs"]
mod runtime_support;
// A test that uses two support modules compiles it twice.
#[allow(clippy::duplicate_mod)]
#[path = "../wait/mod.rs"]
pub mod wait;

pub use example_build::example_binary;
pub use runtime_support::Recorder;

use actix::prelude::*;
use mesos_actix::local::{LocalCluster, LocalClusterConfig};
use mesos_actix::proto::{CommandInfo, ExecutorInfo, FrameworkInfo, Resource, TaskState};
use mesos_actix::scheduler::{Framework, TaskUpdate};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Bound of every wait (a loaded machine is slow; nothing here waits this long normally).
pub const WAIT: Duration = Duration::from_secs(120);

/// `agents` agents with short protocol timers.
pub fn config(agents: usize) -> LocalClusterConfig {
    LocalClusterConfig {
        agents,
        resources: "cpus:4;mem:2048;disk:1024;ports:[31000-31100]".into(),
        allocation_interval: Duration::from_millis(100),
        status_update_backoff: Duration::from_millis(200),
        status_update_backoff_max: Duration::from_secs(1),
        executor_shutdown_grace_period: Duration::from_secs(1),
        executor_reregistration_timeout: WAIT,
        ..Default::default()
    }
}

/// A framework on `cluster` whose updates `recorder` keeps.
pub async fn framework(
    cluster: &LocalCluster,
    info: FrameworkInfo,
    recorder: &Recorder,
) -> Framework {
    let framework = Framework::builder(info)
        .master(cluster.url())
        .on_update(recorder.clone().start().recipient())
        .start()
        .await
        .expect("framework starts");
    framework.wait_subscribed(WAIT).await.expect("subscribed");
    framework
}

/// Waits (bounded) until every submitted task is final.
pub async fn wait_finished(framework: &Framework) {
    tokio::time::timeout(WAIT, framework.wait_finished())
        .await
        .expect("every task final in time")
        .expect("framework still running");
}

/// What every fault test starts with.
pub struct Setup {
    pub cluster: LocalCluster,
    pub scratch: Scratch,
    pub recorder: Recorder,
    pub framework: Framework,
}

/// A cluster of `agents` ([`config`]), a scratch directory, and a framework `info`
/// subscribed to it, recording every update.
pub async fn setup(agents: usize, info: FrameworkInfo) -> Setup {
    let cluster = LocalCluster::start(config(agents)).await.expect("cluster");
    let scratch = Scratch::new();
    let recorder = Recorder::default();
    let framework = framework(&cluster, info, &recorder).await;
    Setup {
        cluster,
        scratch,
        recorder,
        framework,
    }
}

/// Polls `check` up to [`WAIT`]; panics naming `what` when it never holds.
pub async fn wait_for(what: &str, check: impl FnMut() -> bool) {
    wait::until_true(what, WAIT, check).await;
}

/// Submits `specs` and waits until every one of them is RUNNING (first attempt); answers
/// their names.
pub async fn submit_all_running(
    framework: &Framework,
    recorder: &Recorder,
    specs: Vec<mesos_actix::scheduler::TaskSpec>,
) -> Vec<String> {
    let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    framework.submit_all(specs).await.expect("submitted");
    wait_for("every task RUNNING", || {
        names
            .iter()
            .all(|n| saw(recorder, n, 0, TaskState::TaskRunning))
    })
    .await;
    names
}

/// A fresh scratch directory for markers (removed by [`Scratch`]'s drop).
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("faults-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }

    pub fn exists(&self, name: &str) -> bool {
        self.0.join(name).exists()
    }

    pub fn touch(&self, name: &str) {
        std::fs::write(self.0.join(name), b"").expect("marker written");
    }

    /// The lines of a file the tasks append to (none when it does not exist).
    pub fn lines(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.0.join(name))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The hello_executor example as a custom executor `id` (its tasks' `data` is the shell
/// command it runs).
pub fn hello_executor(id: &str) -> ExecutorInfo {
    ExecutorInfo {
        executor_id: id.into(),
        command: Some(CommandInfo {
            value: Some(example_binary("hello_executor").display().to_string()),
            ..Default::default()
        }),
        resources: vec![Resource::scalar("cpus", 0.1), Resource::scalar("mem", 32.0)],
        ..Default::default()
    }
}

/// Every update heard, by task name, in arrival order.
pub fn by_name(recorder: &Recorder) -> BTreeMap<String, Vec<TaskUpdate>> {
    let mut out: BTreeMap<String, Vec<TaskUpdate>> = BTreeMap::new();
    for u in &recorder.heard.lock().unwrap().updates {
        out.entry(u.name.clone()).or_default().push(u.clone());
    }
    out
}

/// Whether some update of `name` (attempt `attempt`) is in `state`.
pub fn saw(recorder: &Recorder, name: &str, attempt: u32, state: TaskState) -> bool {
    recorder
        .heard
        .lock()
        .unwrap()
        .updates
        .iter()
        .any(|u| u.name == name && u.attempt == attempt && u.state == state)
}

/// Zero lost: every one of `names` has exactly one final update, in `expected`. Zero
/// launched twice: no attempt (task id) got two terminal updates, and `starts` (one line
/// per start of a task's command) has no more lines than task ids launched.
pub fn assert_none_lost_none_twice(
    recorder: &Recorder,
    names: &[String],
    expected: TaskState,
    starts: &[String],
) {
    let all = by_name(recorder);
    let mut launched = 0;
    for name in names {
        let updates = all.get(name).cloned().unwrap_or_default();
        let finals: Vec<_> = updates.iter().filter(|u| u.is_final).collect();
        assert_eq!(finals.len(), 1, "{name}: one final update: {updates:#?}");
        assert_eq!(finals[0].state, expected, "{name}: {:#?}", finals[0]);
        let mut terminal: HashMap<&str, usize> = HashMap::new();
        for u in updates.iter().filter(|u| u.state.is_terminal()) {
            *terminal.entry(u.task_id.value.as_str()).or_default() += 1;
        }
        assert!(
            terminal.values().all(|n| *n == 1),
            "{name}: an attempt ended twice: {updates:#?}"
        );
        launched += updates
            .iter()
            .map(|u| &u.task_id)
            .collect::<std::collections::HashSet<_>>()
            .len();
    }
    assert!(
        starts.len() <= launched,
        "{} command starts for {launched} task ids: {starts:?}",
        starts.len()
    );
}

/// Whether process `pid` is gone (or a zombie left to reap).
pub fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(Path::new("/proc").join(pid.trim()).join("stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}
