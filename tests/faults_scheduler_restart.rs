//! Fault family "scheduler restart": the scheduler process dies (its runtime is dropped
//! without TEARDOWN, as a crash would leave it) and a new process starts with the same
//! framework-id store.
//!
//! - Within `failover_timeout`: the new process subscribes as the same framework, adopts
//!   the tasks the old one left running (they reach the user and `tasks()`), and nothing is
//!   lost or launched twice (the master still has exactly the original tasks).
//! - After `failover_timeout`: the master has removed the framework and killed its tasks;
//!   the new process is told "Framework has been removed" and subscribes as a new
//!   framework with nothing adopted; the user relaunches what it wants.
//!
//! On main before the store existed, a restarted process given the old id by hand heard
//! nothing of the old tasks (the tracker dropped updates of tasks it never issued, and
//! nothing asked the master for them), and after expiry it ended with
//! `ErrorEvent: Framework has been removed`.

mod local_support;
mod runtime_support;

use actix::prelude::*;
use local_support::test_config;
use mesos_actix::local::LocalCluster;
use mesos_actix::proto::{FrameworkId, FrameworkInfo, TaskId, TaskState};
use mesos_actix::scheduler::{
    FileFrameworkIdStore, Framework, FrameworkIdStore, RuntimeConfig, ShutdownMode, TaskSpec,
};
use runtime_support::{Heard, Recorder};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(120);

fn specs() -> Vec<TaskSpec> {
    (0..2)
        .map(|i| {
            TaskSpec::new(format!("svc-{i}"))
                .cpus(0.1)
                .mem(32.0)
                .command("sleep 600")
        })
        .collect()
}

/// Where a framework keeps its id.
enum Keep<'a> {
    /// `RuntimeConfig::framework_id_file`.
    File(&'a Path),
    /// `FrameworkBuilder::framework_id_store`.
    Store(Arc<FileFrameworkIdStore>),
}

/// Polls `store` until it holds `id` (the keeper saves it just after SUBSCRIBED).
async fn wait_stored(store: &impl FrameworkIdStore, id: &FrameworkId) {
    let deadline = Instant::now() + WAIT;
    while store.load().unwrap().as_ref() != Some(id) {
        assert!(Instant::now() < deadline, "{id} never stored");
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A framework on `cluster` that keeps its id as `keep` says, reporting to `recorder`.
async fn start(
    cluster: &LocalCluster,
    keep: Keep<'_>,
    failover: f64,
    recorder: &Recorder,
) -> Framework {
    let mut config = RuntimeConfig {
        masters: vec![cluster.url()],
        ..Default::default()
    };
    let builder = Framework::builder(FrameworkInfo::new("restarting"));
    let builder = match keep {
        Keep::File(file) => {
            config.framework_id_file = Some(file.to_path_buf());
            builder
        }
        Keep::Store(store) => builder.framework_id_store(store),
    };
    builder
        .config(config)
        .failover_timeout(Duration::from_secs_f64(failover))
        .on_update(recorder.clone().start().recipient())
        .start()
        .await
        .unwrap()
}

fn running(heard: &Heard, ids: &[TaskId]) -> bool {
    ids.iter().all(|id| {
        heard
            .updates
            .iter()
            .any(|u| &u.task_id == id && u.state == TaskState::TaskRunning)
    })
}

/// The framework `id` in the master's `/state`, under `key` (`frameworks` or
/// `completed_frameworks`).
fn framework_in(state: &Value, key: &str, id: &FrameworkId) -> Option<Value> {
    state[key]
        .as_array()?
        .iter()
        .find(|f| f["id"] == id.value.as_str())
        .cloned()
}

/// (task id, state) of every task under `key` of a framework's `/state` object, sorted.
fn tasks_of(framework: &Value, key: &str) -> Vec<(String, String)> {
    let mut tasks: Vec<_> = framework[key]
        .as_array()
        .map(|tasks| {
            tasks
                .iter()
                .map(|t| {
                    let id = t["id"].as_str().unwrap_or_default().to_string();
                    (id, t["state"].as_str().unwrap_or_default().to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    tasks.sort();
    tasks
}

/// Polls the master until `check` holds on its `/state`; answers that state.
async fn wait_state(cluster: &LocalCluster, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let state = cluster.state().await;
        if check(&state) {
            return state;
        }
        assert!(
            Instant::now() < deadline,
            "master state never matched: {state}"
        );
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sorted(ids: &[TaskId]) -> Vec<String> {
    let mut ids: Vec<_> = ids.iter().map(|i| i.value.clone()).collect();
    ids.sort();
    ids
}

#[actix_rt::test]
async fn restart_within_failover_timeout_resumes_and_adopts_running_tasks() {
    let cluster = LocalCluster::start(test_config(1)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("framework.id");
    let store = FileFrameworkIdStore::new(&file);

    let first = Recorder::default();
    let framework = start(&cluster, Keep::File(&file), 3600.0, &first).await;
    let id = framework.wait_subscribed(WAIT).await.unwrap();
    let ids = framework.submit_all(specs()).await.unwrap();
    assert!(first.wait_until(WAIT, |h| running(h, &ids)).await);
    wait_stored(&store, &id).await; // saved on SUBSCRIBED
    drop(framework); // the process dies: no TEARDOWN

    let second = Recorder::default();
    let framework = start(&cluster, Keep::File(&file), 3600.0, &second).await;
    assert_eq!(
        framework.wait_subscribed(WAIT).await.unwrap(),
        id,
        "same framework"
    );
    assert!(
        second.wait_until(WAIT, |h| running(h, &ids)).await,
        "the running tasks reach the new process"
    );
    let mut adopted = framework.tasks().await.unwrap();
    adopted.sort_by(|a, b| a.task_id.value.cmp(&b.task_id.value));
    let adopted_ids: Vec<_> = adopted.iter().map(|t| t.task_id.clone()).collect();
    assert_eq!(sorted(&adopted_ids), sorted(&ids));
    assert!(adopted.iter().all(|t| t.state == TaskState::TaskRunning));
    let mut names: Vec<_> = adopted.iter().map(|t| t.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        ["svc-0", "svc-1"],
        "names read back from the task ids"
    );

    // Nothing lost, nothing launched twice: the master has exactly the original tasks.
    let state = cluster.state().await;
    let master_view = framework_in(&state, "frameworks", &id).expect("framework kept");
    let expected: Vec<_> = sorted(&ids)
        .into_iter()
        .map(|t| (t, "TASK_RUNNING".to_string()))
        .collect();
    assert_eq!(tasks_of(&master_view, "tasks"), expected);
    assert_eq!(tasks_of(&master_view, "completed_tasks"), vec![]);

    // An adopted task is the new process's to kill; TEARDOWN clears the store.
    framework.kill(&ids[0]).await.unwrap();
    assert!(
        second
            .wait_until(WAIT, |h| h.updates.iter().any(|u| u.task_id == ids[0]
                && u.state == TaskState::TaskKilled
                && u.is_final))
            .await
    );
    framework.shutdown(ShutdownMode::Teardown).await;
    assert_eq!(store.load().unwrap(), None, "cleared on TEARDOWN");
    cluster.stop().await;
}

#[actix_rt::test]
async fn restart_after_failover_timeout_starts_a_new_framework() {
    let cluster = LocalCluster::start(test_config(1)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("framework.id");
    let store = Arc::new(FileFrameworkIdStore::new(&file));

    let first = Recorder::default();
    let framework = start(&cluster, Keep::File(&file), 0.5, &first).await;
    let old_id = framework.wait_subscribed(WAIT).await.unwrap();
    let old_tasks = framework.submit_all(specs()).await.unwrap();
    assert!(first.wait_until(WAIT, |h| running(h, &old_tasks)).await);
    drop(framework);

    // The master removes the framework once its failover timeout has passed, killing its
    // tasks.
    let state = wait_state(&cluster, |s| {
        framework_in(s, "completed_frameworks", &old_id).is_some()
    })
    .await;
    let removed = framework_in(&state, "completed_frameworks", &old_id).unwrap();
    let killed: Vec<_> = sorted(&old_tasks)
        .into_iter()
        .map(|t| (t, "TASK_KILLED".to_string()))
        .collect();
    assert_eq!(tasks_of(&removed, "completed_tasks"), killed);
    assert_eq!(
        store.load().unwrap(),
        Some(old_id.clone()),
        "the dead process left its id"
    );

    let second = Recorder::default();
    let framework = start(&cluster, Keep::Store(store.clone()), 0.5, &second).await;
    let new_id = framework.wait_subscribed(WAIT).await.unwrap();
    assert_ne!(new_id, old_id, "a new framework");
    wait_stored(&store, &new_id).await; // the new id replaces the old one
    assert!(
        framework.tasks().await.unwrap().is_empty(),
        "nothing adopted"
    );

    // The user's choice: relaunch the same work under the new framework.
    let new_tasks = framework.submit_all(specs()).await.unwrap();
    assert!(second.wait_until(WAIT, |h| running(h, &new_tasks)).await);
    assert!(new_tasks.iter().all(|t| !old_tasks.contains(t)));
    let state = cluster.state().await;
    let live = framework_in(&state, "frameworks", &new_id).unwrap();
    assert_eq!(tasks_of(&live, "tasks").len(), 2);
    assert!(framework_in(&state, "frameworks", &old_id).is_none());
    framework.shutdown(ShutdownMode::Teardown).await;
    assert_eq!(store.load().unwrap(), None);
    cluster.stop().await;
}
