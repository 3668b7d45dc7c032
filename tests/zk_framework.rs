//! The scheduler runtime pointed at a `zk://` master (issue 13): a real ZooKeeper server
//! (`tests/zk_support`), two embedded local clusters registered in the group as Apache Mesos
//! masters register. The framework finds the leader, runs tasks, follows a new leader with
//! its framework id, and keeps its master while ZooKeeper is down.

mod zk_support;

use actix::prelude::*;
use mesos_actix::local::{LocalCluster, LocalClusterConfig};
use mesos_actix::proto::{FrameworkInfo, TaskState};
use mesos_actix::scheduler::{
    Framework, MesosError, MesosErrorKind, RuntimeConfig, ShutdownMode, Subscribed, TaskSpec,
    TaskUpdate,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zk_support::{FakeMesosMaster, WAIT, ZkServer, wait};

/// What the framework told the test.
#[derive(Default)]
struct Heard {
    subscribed: Vec<Subscribed>,
    updates: Vec<TaskUpdate>,
    errors: Vec<MesosError>,
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Heard>>);

impl Actor for Recorder {
    type Context = Context<Self>;
}

impl Handler<Subscribed> for Recorder {
    type Result = ();
    fn handle(&mut self, msg: Subscribed, _: &mut Context<Self>) {
        self.0.lock().unwrap().subscribed.push(msg);
    }
}

impl Handler<TaskUpdate> for Recorder {
    type Result = ();
    fn handle(&mut self, msg: TaskUpdate, _: &mut Context<Self>) {
        self.0.lock().unwrap().updates.push(msg);
    }
}

impl Handler<MesosError> for Recorder {
    type Result = ();
    fn handle(&mut self, msg: MesosError, _: &mut Context<Self>) {
        self.0.lock().unwrap().errors.push(msg);
    }
}

impl Recorder {
    /// Polls `check` until it holds (bounded by [`WAIT`]); panics naming `what` otherwise.
    async fn wait(&self, what: &str, check: impl Fn(&Heard) -> bool) {
        wait::until_true(what, WAIT, || check(&self.0.lock().unwrap())).await;
    }

    fn finished_count(&self) -> usize {
        let heard = self.0.lock().unwrap();
        heard
            .updates
            .iter()
            .filter(|u| u.is_final && u.state == TaskState::TaskFinished)
            .count()
    }
}

async fn cluster() -> LocalCluster {
    LocalCluster::start(LocalClusterConfig {
        allocation_interval: Duration::from_millis(100),
        ..LocalClusterConfig::default()
    })
    .await
    .expect("local cluster")
}

async fn framework(zk_url: &str, recorder: &Recorder) -> Framework {
    let actor = recorder.clone().start();
    let info = FrameworkInfo {
        failover_timeout: Some(3600.0),
        ..FrameworkInfo::new("zk-framework")
    };
    Framework::builder(info)
        .config(RuntimeConfig {
            backoff_initial_secs: 0.05,
            backoff_max_secs: 0.5,
            ..RuntimeConfig::default()
        })
        .master(zk_url)
        .on_subscribed(actor.clone().recipient())
        .on_update(actor.clone().recipient())
        .on_error(actor.recipient())
        .start()
        .await
        .expect("framework starts")
}

async fn run_tasks(framework: &Framework, recorder: &Recorder, prefix: &str, command: &str) {
    let before = recorder.finished_count();
    let specs = (0..2)
        .map(|n| {
            TaskSpec::new(format!("{prefix}-{n}"))
                .cpus(0.1)
                .mem(32.0)
                .command(command)
        })
        .collect();
    framework.submit_all(specs).await.expect("submit");
    tokio::time::timeout(WAIT, framework.wait_finished())
        .await
        .expect("tasks final in time")
        .expect("framework running");
    assert_eq!(recorder.finished_count(), before + 2);
}

/// A ZooKeeper server and two local clusters registered in its `/mesos` group (the first
/// leads), with their registrations.
async fn two_registered_clusters() -> (
    ZkServer,
    LocalCluster,
    LocalCluster,
    FakeMesosMaster,
    FakeMesosMaster,
) {
    let server = ZkServer::start().await;
    let first = cluster().await;
    let second = cluster().await;
    let first_node = FakeMesosMaster::register(&server, "/mesos", first.addr().port()).await;
    let second_node = FakeMesosMaster::register(&server, "/mesos", second.addr().port()).await;
    (server, first, second, first_node, second_node)
}

#[actix_rt::test]
async fn framework_follows_the_zookeeper_leader() {
    let (server, first, second, first_node, _second_node) = two_registered_clusters().await;

    let recorder = Recorder::default();
    let framework = framework(&server.url("/mesos"), &recorder).await;
    let id = framework.wait_subscribed(WAIT).await.expect("subscribed");
    assert_eq!(framework.master_url(), first.url());
    run_tasks(&framework, &recorder, "on-first", "true").await;

    // The leader goes away (its session ends and its node with it), then dies.
    drop(first_node);
    let second_url = second.url();
    recorder
        .wait("subscribed to the new leader", |h| {
            h.subscribed
                .iter()
                .any(|s| s.master_url.starts_with(&second_url) && s.resubscribed)
        })
        .await;
    first.stop().await;
    assert_eq!(framework.master_url(), second.url());
    assert_eq!(framework.framework_id().await, Some(id));
    run_tasks(&framework, &recorder, "on-second", "true").await;
    framework.shutdown(ShutdownMode::Teardown).await;
    second.stop().await;
}

#[actix_rt::test]
async fn zookeeper_outage_keeps_the_master_and_detection_resumes() {
    let mut server = ZkServer::start().await;
    let first = cluster().await;
    let second = cluster().await;
    let first_node = FakeMesosMaster::register(&server, "/mesos", first.addr().port()).await;

    let recorder = Recorder::default();
    let framework = framework(&server.url("/mesos"), &recorder).await;
    framework.wait_subscribed(WAIT).await.expect("subscribed");
    assert_eq!(framework.master_url(), first.url());

    // ZooKeeper dies: the outage is reported, the subscription stays, tasks run.
    server.stop();
    recorder
        .wait("ZooKeeper outage reported", |h| {
            h.errors.iter().any(|e| e.kind == MesosErrorKind::ZooKeeper)
        })
        .await;
    run_tasks(&framework, &recorder, "during-outage", "sleep 0.5").await;
    assert_eq!(framework.master_url(), first.url());
    assert_eq!(recorder.0.lock().unwrap().subscribed.len(), 1);

    // ZooKeeper returns; a new leader takes over and the framework follows it.
    server.restart().await;
    drop(first_node);
    let _second_node = FakeMesosMaster::register(&server, "/mesos", second.addr().port()).await;
    let second_url = second.url();
    recorder
        .wait("subscribed to the leader named after the outage", |h| {
            h.subscribed
                .iter()
                .any(|s| s.master_url.starts_with(&second_url))
        })
        .await;
    run_tasks(&framework, &recorder, "after-outage", "true").await;
    framework.shutdown(ShutdownMode::Teardown).await;
    first.stop().await;
    second.stop().await;
}

#[actix_rt::test]
async fn tasks_running_on_a_dead_leader_are_relaunched_on_the_new_one() {
    let (server, first, second, first_node, _second_node) = two_registered_clusters().await;

    let recorder = Recorder::default();
    let framework = framework(&server.url("/mesos"), &recorder).await;
    framework.wait_subscribed(WAIT).await.expect("subscribed");
    let specs = (0..2)
        .map(|n| {
            TaskSpec::new(format!("long-{n}"))
                .cpus(0.1)
                .mem(32.0)
                .retries(1)
                .command("sleep 2")
        })
        .collect();
    framework.submit_all(specs).await.expect("submit");
    recorder
        .wait("tasks running on the first leader", |h| {
            h.updates
                .iter()
                .filter(|u| u.state == TaskState::TaskRunning)
                .count()
                >= 2
        })
        .await;
    // The leader dies with its agents and their tasks.
    drop(first_node);
    first.stop().await;
    tokio::time::timeout(WAIT, framework.wait_finished())
        .await
        .expect("tasks final in time")
        .expect("framework running");
    assert_eq!(framework.master_url(), second.url());
    assert_eq!(recorder.finished_count(), 2);
    framework.shutdown(ShutdownMode::Teardown).await;
    second.stop().await;
}
