//! Shared scenario of the master fault tests (`faults_master`, `faults_partition`): a
//! framework on the public API runs gated command tasks on a local cluster with room for
//! only half of them, so that when the fault strikes some tasks run and the others wait in
//! the framework's queue. Each task writes its task id into a launch log when it starts
//! (executor side), then waits for a gate file. The checks: every task ends FINISHED, no
//! task id starts twice, and the only relaunches are of tasks Mesos reported lost.

#![allow(dead_code)]

use crate::runtime_support::Recorder;
use actix::prelude::*;
use mesos_actix::local::{LocalCluster, LocalClusterConfig};
use mesos_actix::proto::{FrameworkInfo, TaskState};
use mesos_actix::scheduler::{
    Disconnected, Framework, RuntimeConfig, ShutdownMode, TaskSpec, TaskUpdate,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Bound of every wait (generous: a loaded CI machine).
pub const WAIT: Duration = Duration::from_secs(120);

/// Tasks submitted; the cluster runs half of them at a time.
pub const TASKS: usize = 8;

/// Records the runtime's disconnection notices.
#[derive(Clone, Default)]
pub struct Disconnects(pub Arc<Mutex<Vec<Disconnected>>>);

impl Actor for Disconnects {
    type Context = Context<Self>;
}

impl Handler<Disconnected> for Disconnects {
    type Result = ();
    fn handle(&mut self, msg: Disconnected, _: &mut Context<Self>) {
        self.0.lock().unwrap().push(msg);
    }
}

/// A running scenario.
pub struct Scenario {
    pub cluster: LocalCluster,
    pub framework: Framework,
    pub recorder: Recorder,
    pub disconnects: Disconnects,
    dir: tempfile::TempDir,
}

/// Two agents of one cpu each: four tasks of half a cpu run, the other four wait.
fn cluster_config() -> LocalClusterConfig {
    LocalClusterConfig {
        agents: 2,
        resources: "cpus:1;mem:1024;disk:1024;ports:[31000-31010]".into(),
        heartbeat_interval: Duration::from_millis(200),
        allocation_interval: Duration::from_millis(100),
        status_update_backoff: Duration::from_millis(200),
        status_update_backoff_max: Duration::from_secs(1),
        executor_shutdown_grace_period: Duration::from_secs(1),
        ..Default::default()
    }
}

fn runtime_config() -> RuntimeConfig {
    RuntimeConfig {
        backoff_initial_secs: 0.1,
        backoff_max_secs: 1.0,
        reconcile_backoff_initial_secs: 0.2,
        reconcile_backoff_max_secs: 1.0,
        refuse_seconds: 0.2,
        ..RuntimeConfig::default()
    }
}

/// Polls `check` every 20 ms until it holds; panics with `what` after [`WAIT`].
pub async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + WAIT;
    while !check() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// States in which Mesos reports a task lost (the runtime relaunches those).
fn reported_lost(state: TaskState) -> bool {
    matches!(
        state,
        TaskState::TaskLost
            | TaskState::TaskDropped
            | TaskState::TaskGone
            | TaskState::TaskGoneByOperator
            | TaskState::TaskUnreachable
            | TaskState::TaskUnknown
    )
}

impl Scenario {
    /// Starts the cluster and the framework, submits [`TASKS`] gated tasks and waits until
    /// half of them run (started, and RUNNING heard by the framework).
    pub async fn start(name: &str) -> Scenario {
        let cluster = LocalCluster::start(cluster_config())
            .await
            .expect("local cluster starts");
        let recorder = Recorder::default();
        let disconnects = Disconnects::default();
        let framework = Framework::builder(FrameworkInfo::new(name))
            .master(cluster.url())
            .config(runtime_config())
            .failover_timeout(Duration::from_secs(3600))
            .on_update(recorder.clone().start().recipient::<TaskUpdate>())
            .on_subscribed(recorder.clone().start().recipient())
            .on_disconnected(disconnects.clone().start().recipient())
            .start()
            .await
            .expect("framework starts");
        framework.wait_subscribed(WAIT).await.expect("subscribed");
        let dir = tempfile::tempdir().expect("scratch directory");
        let scenario = Scenario {
            cluster,
            framework,
            recorder,
            disconnects,
            dir,
        };
        let specs = (0..TASKS).map(|i| scenario.gated_spec(i)).collect();
        scenario
            .framework
            .submit_all(specs)
            .await
            .expect("tasks submitted");
        let half = TASKS / 2;
        wait_until("half of the tasks run", || {
            scenario.launch_count() == half && scenario.running_heard() == half
        })
        .await;
        scenario
    }

    fn gate(&self) -> PathBuf {
        self.dir.path().join("gate")
    }

    fn launch_log(&self) -> PathBuf {
        self.dir.path().join("launches")
    }

    /// A task that logs its id (the command executor's id is the task id) when it starts,
    /// then runs until the gate opens.
    fn gated_spec(&self, i: usize) -> TaskSpec {
        let command = format!(
            "echo \"$MESOS_EXECUTOR_ID\" >> '{}'; while [ ! -e '{}' ]; do sleep 0.05; done",
            self.launch_log().display(),
            self.gate().display()
        );
        TaskSpec::new(format!("gated-{i}"))
            .cpus(0.5)
            .mem(16.0)
            .command(command)
            .retries(3)
    }

    /// How many times each task id started, from the launch log.
    pub fn launches(&self) -> BTreeMap<String, usize> {
        let text = std::fs::read_to_string(self.launch_log()).unwrap_or_default();
        let mut counts = BTreeMap::new();
        for id in text.lines().filter(|l| !l.is_empty()) {
            *counts.entry(id.to_string()).or_insert(0) += 1;
        }
        counts
    }

    /// How many task starts the launch log holds.
    pub fn launch_count(&self) -> usize {
        self.launches().values().sum()
    }

    /// How many distinct tasks the framework heard RUNNING of.
    pub fn running_heard(&self) -> usize {
        let heard = self.recorder.heard.lock().unwrap();
        let running: BTreeSet<_> = heard
            .updates
            .iter()
            .filter(|u| u.state == TaskState::TaskRunning)
            .map(|u| u.task_id.value.clone())
            .collect();
        running.len()
    }

    /// How many subscriptions the framework made.
    pub fn subscriptions(&self) -> usize {
        self.recorder.heard.lock().unwrap().subscribed.len()
    }

    /// Waits until the master, as its `/state` tells, knows of `count` running tasks.
    pub async fn master_knows_running(&self, count: usize) {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let state = self.cluster.state().await;
            let running = state["frameworks"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|fw| fw["tasks"].as_array().cloned().unwrap_or_default())
                .filter(|t| t["state"] == "TASK_RUNNING")
                .count();
            if running == count {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the master never knew of {count} running tasks: {state}"
            );
            actix_rt::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Lets every task finish.
    pub fn open_gate(&self) {
        std::fs::write(self.gate(), b"open").expect("gate file written");
    }

    /// Opens the gate, waits for every task to be final and checks: all FINISHED, zero
    /// lost, no task id started twice, and exactly the tasks reported lost relaunched.
    /// Then shuts everything down.
    pub async fn finish_and_check(self) {
        self.open_gate();
        tokio::time::timeout(WAIT, self.framework.wait_finished())
            .await
            .expect("every task final in time")
            .expect("the framework ran to the end");
        let updates = self.recorder.heard.lock().unwrap().updates.clone();
        let finals: BTreeMap<_, _> = updates
            .iter()
            .filter(|u| u.is_final)
            .map(|u| (u.name.clone(), u.state))
            .collect();
        assert_eq!(finals.len(), TASKS, "one final update per task: {finals:?}");
        assert!(
            finals.values().all(|s| *s == TaskState::TaskFinished),
            "every task FINISHED: {finals:?}"
        );
        let lost: BTreeSet<_> = updates
            .iter()
            .filter(|u| reported_lost(u.state))
            .map(|u| (u.name.clone(), u.attempt))
            .collect();
        let relaunched: BTreeSet<_> = updates
            .iter()
            .filter(|u| u.attempt > 0)
            .map(|u| (u.name.clone(), u.attempt - 1))
            .collect();
        assert_eq!(
            relaunched, lost,
            "exactly the attempts Mesos reported lost were relaunched"
        );
        assert!(lost.is_empty(), "zero tasks lost: {lost:?}");
        let launches = self.launches();
        let twice: Vec<_> = launches.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "task ids started twice: {twice:?}");
        assert_eq!(
            launches.len(),
            TASKS + lost.len(),
            "one start per task, plus one per relaunch: {launches:?}"
        );
        self.framework.shutdown(ShutdownMode::Teardown).await;
        self.cluster.stop().await;
    }
}
