//! The whole scheduler runtime on the embedded local cluster: black-box, through the public
//! `Framework` API only.

mod runtime_support;

use actix::prelude::*;
use mesos_actix::Encoding;
use mesos_actix::local::LocalClusterConfig;
use mesos_actix::proto::{CommandInfo, ExecutorInfo, FrameworkInfo, Resource, TaskId, TaskState};
use mesos_actix::scheduler::{Framework, ShutdownMode, TaskSpec};
use runtime_support::{Recorder, hello_executor};
use std::collections::HashSet;
use std::time::Duration;

// A lost REVIVE once left a task waiting for its first offer here; the matcher now
// REVIVEs again after the refuse filter (tests/matcher_revive_race.rs).
const WAIT: Duration = Duration::from_secs(30);

fn two_agents() -> LocalClusterConfig {
    LocalClusterConfig {
        agents: 2,
        resources: "cpus:2;mem:1024;disk:1024;ports:[31000-31100]".into(),
        allocation_interval: Duration::from_millis(100),
        status_update_backoff: Duration::from_millis(500),
        executor_shutdown_grace_period: Duration::from_secs(1),
        ..Default::default()
    }
}

async fn start(encoding: Encoding, recorder: &Recorder) -> Framework {
    let framework = Framework::builder(FrameworkInfo::new("runtime-local-test"))
        .encoding(encoding)
        .local_cluster(two_agents())
        .on_update(recorder.clone().start().recipient())
        .start()
        .await
        .expect("framework starts");
    framework.wait_subscribed(WAIT).await.expect("subscribed");
    framework
}

/// Waits (bounded) until every submitted task is final.
async fn wait_finished(framework: &Framework) {
    tokio::time::timeout(WAIT, framework.wait_finished())
        .await
        .expect("every task final in time")
        .expect("framework still running");
}

/// Waits (bounded) until task `id` reported RUNNING; panics with `what` otherwise.
async fn wait_running(recorder: &Recorder, id: &TaskId, what: &str) {
    let running = recorder
        .wait_until(WAIT, |h| {
            h.updates
                .iter()
                .any(|u| &u.task_id == id && u.state == TaskState::TaskRunning)
        })
        .await;
    assert!(running, "{what}");
}

async fn command_tasks_finish_on_two_agents(encoding: Encoding) {
    let recorder = Recorder::default();
    let framework = start(encoding, &recorder).await;
    let mut ids = HashSet::new();
    for n in 0..6 {
        let spec = TaskSpec::new(format!("echo-{n}"))
            .cpus(0.5)
            .mem(64.0)
            .command("sleep 1");
        ids.insert(framework.submit(spec).await.unwrap());
    }
    wait_finished(&framework).await;
    let finals = recorder.finals();
    assert_eq!(finals.len(), 6);
    assert!(
        finals.iter().all(|u| u.state == TaskState::TaskFinished),
        "{finals:?}"
    );
    assert_eq!(
        finals
            .iter()
            .map(|u| u.task_id.clone())
            .collect::<HashSet<_>>(),
        ids
    );
    let agents: HashSet<_> = finals
        .iter()
        .filter_map(|u| u.status.agent_id.clone())
        .collect();
    assert_eq!(
        agents.len(),
        2,
        "6 overlapping 1-second tasks of 0.5 cpus do not fit one 2-cpu agent"
    );
    // Every task went STARTING/RUNNING before FINISHED, each update delivered once.
    let updates = recorder.heard.lock().unwrap().updates.clone();
    for id in &ids {
        let states: Vec<_> = updates
            .iter()
            .filter(|u| &u.task_id == id)
            .map(|u| u.state)
            .collect();
        assert_eq!(
            states.last(),
            Some(&TaskState::TaskFinished),
            "{id}: {states:?}"
        );
        assert!(states.contains(&TaskState::TaskRunning), "{id}: {states:?}");
        let unique: HashSet<_> = states.iter().collect();
        assert_eq!(
            unique.len(),
            states.len(),
            "{id}: duplicate delivery {states:?}"
        );
    }
    framework.shutdown(ShutdownMode::Teardown).await;
}

#[actix_rt::test]
async fn command_tasks_finish_on_two_agents_protobuf() {
    command_tasks_finish_on_two_agents(Encoding::Protobuf).await;
}

#[actix_rt::test]
async fn command_tasks_finish_on_two_agents_json() {
    command_tasks_finish_on_two_agents(Encoding::Json).await;
}

#[actix_rt::test]
async fn failing_task_is_retried_with_new_ids_then_final() {
    let recorder = Recorder::default();
    let framework = start(Encoding::Protobuf, &recorder).await;
    framework
        .submit(
            TaskSpec::new("flaky")
                .cpus(0.1)
                .mem(16.0)
                .command("exit 3")
                .retries(2),
        )
        .await
        .unwrap();
    wait_finished(&framework).await;
    let updates = recorder.heard.lock().unwrap().updates.clone();
    let failed: Vec<_> = updates
        .iter()
        .filter(|u| u.state == TaskState::TaskFailed)
        .collect();
    assert_eq!(failed.len(), 3, "first attempt and two retries");
    assert_eq!(
        failed.iter().map(|u| u.attempt).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert_eq!(
        failed
            .iter()
            .map(|u| u.task_id.clone())
            .collect::<HashSet<_>>()
            .len(),
        3
    );
    assert_eq!(failed.iter().filter(|u| u.is_final).count(), 1);
    assert!(failed[2].is_final);
    framework.shutdown(ShutdownMode::Teardown).await;
}

#[actix_rt::test]
async fn running_task_is_killed_and_not_retried() {
    let recorder = Recorder::default();
    let framework = start(Encoding::Json, &recorder).await;
    let id = framework
        .submit(
            TaskSpec::new("sleeper")
                .cpus(0.1)
                .mem(16.0)
                .command("sleep 60")
                .retries(3),
        )
        .await
        .unwrap();
    wait_running(&recorder, &id, "task reached RUNNING").await;
    framework.kill(&id).await.unwrap();
    wait_finished(&framework).await;
    let finals = recorder.finals();
    assert_eq!(finals.len(), 1);
    assert_eq!(finals[0].state, TaskState::TaskKilled);
    assert_eq!(finals[0].attempt, 0);
    framework.shutdown(ShutdownMode::Teardown).await;
}

#[actix_rt::test]
async fn custom_executor_runs_tasks_and_messages_flow_both_ways() {
    let executor = hello_executor();
    assert!(
        executor.exists(),
        "hello_executor example is built by `cargo test`: {executor:?}"
    );
    let recorder = Recorder::default();
    let user = recorder.clone().start();
    let framework = Framework::builder(FrameworkInfo::new("runtime-executor-test"))
        .local_cluster(two_agents())
        .on_update(user.clone().recipient())
        .on_message(user.recipient())
        .start()
        .await
        .unwrap();
    framework.wait_subscribed(WAIT).await.unwrap();
    let info = ExecutorInfo {
        executor_id: "hello-exec".into(),
        command: Some(CommandInfo {
            value: Some(executor.display().to_string()),
            ..Default::default()
        }),
        resources: vec![Resource::scalar("cpus", 0.1), Resource::scalar("mem", 32.0)],
        ..Default::default()
    };
    let id = framework
        .submit(
            TaskSpec::new("via-executor")
                .cpus(0.1)
                .mem(16.0)
                .executor(info)
                .data("sleep 30"),
        )
        .await
        .unwrap();
    wait_running(&recorder, &id, "custom executor reported RUNNING").await;
    framework
        .send_message_to_task(&id, b"ping".to_vec())
        .await
        .unwrap();
    let echoed = recorder.wait_until(WAIT, |h| !h.messages.is_empty()).await;
    assert!(echoed, "hello_executor echoes framework messages back");
    let msg = recorder.heard.lock().unwrap().messages[0].clone();
    assert_eq!(msg.executor_id.value, "hello-exec");
    assert!(
        String::from_utf8_lossy(&msg.data).contains("ping"),
        "{:?}",
        msg.data
    );
    framework.kill(&id).await.unwrap();
    wait_finished(&framework).await;
    assert_eq!(recorder.finals()[0].state, TaskState::TaskKilled);
    framework.shutdown(ShutdownMode::Teardown).await;
}

/// `submit_all` queues a batch in one message: all or nothing, ids in order, and every
/// task of an accepted batch runs to the end on the real cluster.
#[actix_rt::test]
async fn submit_all_queues_a_batch_all_or_nothing() {
    let recorder = Recorder::default();
    let framework = start(Encoding::Protobuf, &recorder).await;
    let spec = |n: usize| {
        TaskSpec::new(format!("batch-{n}"))
            .cpus(0.25)
            .mem(32.0)
            .command("true")
    };
    // One spec without a command: the whole batch is refused, nothing is tracked.
    let mut bad: Vec<TaskSpec> = (0..3).map(spec).collect();
    bad.insert(1, TaskSpec::new("no-command").cpus(0.1));
    let err = framework.submit_all(bad).await.unwrap_err();
    assert!(err.to_string().contains("no-command"), "{err}");
    assert!(framework.tasks().await.unwrap().is_empty());

    let ids = framework
        .submit_all((0..8).map(spec).collect())
        .await
        .unwrap();
    assert_eq!(ids.len(), 8);
    for (n, id) in ids.iter().enumerate() {
        assert!(id.value.starts_with(&format!("batch-{n}")), "{id:?}");
    }
    wait_finished(&framework).await;
    let finals = recorder.finals();
    assert_eq!(finals.len(), 8);
    assert!(finals.iter().all(|u| u.state == TaskState::TaskFinished));
    assert_eq!(
        finals
            .iter()
            .map(|u| u.task_id.clone())
            .collect::<HashSet<_>>(),
        ids.into_iter().collect::<HashSet<_>>()
    );
    framework.shutdown(ShutdownMode::Teardown).await;
}

/// The handle is cheap to clone: clones share one runtime, dropping a clone leaves the
/// runtime running, and `shutdown` on any clone stops it for every clone.
#[actix_rt::test]
async fn cloned_handles_share_one_runtime_until_one_shuts_it_down() {
    let recorder = Recorder::default();
    let framework = start(Encoding::Protobuf, &recorder).await;
    let dropped = framework.clone();
    drop(dropped);
    let owner = framework.clone();
    let id = owner
        .submit(TaskSpec::new("cloned").cpus(0.1).mem(32.0).command("true"))
        .await
        .expect("a clone submits");
    wait_finished(&framework).await;
    assert!(recorder.finals().iter().any(|u| u.task_id == id));
    owner.shutdown(ShutdownMode::Teardown).await;
    let err = framework.tasks().await.unwrap_err();
    assert!(
        matches!(err, mesos_actix::scheduler::FrameworkError::Stopped),
        "{err:?}"
    );
}
