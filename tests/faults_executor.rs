//! Executor faults on the local cluster, through the public `Framework` API: an executor
//! that dies mid-task, a task that ignores its kill, and executors that never subscribe.
//! Each test asserts that no task is lost and none is launched twice.

mod faults_support;

use faults_support::*;
use mesos_actix::local::LocalCluster;
use mesos_actix::proto::task_status::Reason;
use mesos_actix::proto::{CommandInfo, ExecutorInfo, FrameworkInfo, Resource, TaskState};
use mesos_actix::scheduler::{ShutdownMode, TaskSpec};
use std::time::Duration;

/// The executor process is killed while its task runs: the task fails with
/// REASON_EXECUTOR_TERMINATED, nothing the executor started outlives it (its container is
/// destroyed), and the retry runs in a new executor and finishes.
#[actix_rt::test]
async fn executor_crash_fails_the_task_kills_its_processes_and_the_retry_finishes() {
    let Setup {
        cluster,
        scratch,
        recorder,
        framework,
    } = setup(1, FrameworkInfo::new("faults-exec-crash")).await;
    // First attempt: note its shell's pid, kill the executor (its parent), then linger.
    // The retry finds the marker and finishes.
    let data = format!(
        "echo $$ >> {starts}; if [ -e {crashed} ]; then exit 0; fi; \
         touch {crashed}; echo $$ > {orphan}; kill -KILL $PPID; sleep 600",
        starts = scratch.path("starts"),
        crashed = scratch.path("crashed"),
        orphan = scratch.path("orphan"),
    );
    let spec = TaskSpec::new("crashy")
        .cpus(0.1)
        .mem(16.0)
        .executor(hello_executor("crash-exec"))
        .data(data)
        .retries(1);
    framework.submit(spec).await.expect("submitted");
    wait_finished(&framework).await;

    let all = by_name(&recorder);
    let failed = all["crashy"]
        .iter()
        .find(|u| u.attempt == 0 && u.state.is_terminal())
        .expect("first attempt ended");
    assert_eq!(failed.state, TaskState::TaskFailed, "{failed:#?}");
    assert_eq!(failed.reason, Some(Reason::ExecutorTerminated));
    let names = vec!["crashy".to_string()];
    let starts = scratch.lines("starts");
    assert_none_lost_none_twice(&recorder, &names, TaskState::TaskFinished, &starts);
    assert_eq!(starts.len(), 2, "one start per attempt: {starts:?}");
    let orphan = scratch.lines("orphan").concat();
    wait_for("the crashed executor's task process to be killed", || {
        gone(&orphan)
    })
    .await;
    framework.shutdown(ShutdownMode::Teardown).await;
    cluster.stop().await;
}

/// A command task that ignores SIGTERM is killed: SIGKILL follows after its kill policy's
/// grace period and the task ends TASK_KILLED, not retried.
#[actix_rt::test]
async fn task_ignoring_its_kill_is_killed_after_the_grace_period() {
    let Setup {
        cluster,
        scratch,
        recorder,
        framework,
    } = setup(1, FrameworkInfo::new("faults-exec-hang")).await;
    let command = format!(
        "echo $$ >> {starts}; trap '' TERM; sleep 600",
        starts = scratch.path("starts"),
    );
    let spec = TaskSpec::new("stubborn")
        .cpus(0.1)
        .mem(16.0)
        .command(command)
        .kill_grace_period(Duration::from_millis(500))
        .retries(2);
    let id = framework.submit(spec).await.expect("submitted");
    wait_for("RUNNING", || {
        saw(&recorder, "stubborn", 0, TaskState::TaskRunning)
    })
    .await;
    wait_for("the command started", || {
        !scratch.lines("starts").is_empty()
    })
    .await;
    framework.kill(&id).await.expect("kill sent");
    wait_finished(&framework).await;

    let names = vec!["stubborn".to_string()];
    let starts = scratch.lines("starts");
    assert_none_lost_none_twice(&recorder, &names, TaskState::TaskKilled, &starts);
    assert_eq!(starts.len(), 1, "not relaunched: {starts:?}");
    assert!(gone(&starts[0]), "the command is dead");
    framework.shutdown(ShutdownMode::Teardown).await;
    cluster.stop().await;
}

fn executor_running(id: &str, command: String) -> ExecutorInfo {
    ExecutorInfo {
        executor_id: id.into(),
        command: Some(CommandInfo {
            value: Some(command),
            ..Default::default()
        }),
        resources: vec![Resource::scalar("cpus", 0.1), Resource::scalar("mem", 32.0)],
        ..Default::default()
    }
}

/// An executor that never subscribes is killed after `executor_registration_timeout` and
/// its task fails with REASON_EXECUTOR_REGISTRATION_TIMEOUT; one that exits before
/// subscribing fails it with REASON_EXECUTOR_TERMINATED. Each attempt is retried per the
/// policy, launched once, and its executor process does not linger.
#[actix_rt::test]
async fn executors_that_never_subscribe_fail_their_tasks_retried_per_policy() {
    let mut config = config(1);
    config.executor_registration_timeout = Duration::from_millis(500);
    let cluster = LocalCluster::start(config).await.expect("cluster");
    let scratch = Scratch::new();
    let recorder = Recorder::default();
    let framework = framework(
        &cluster,
        FrameworkInfo::new("faults-exec-silent"),
        &recorder,
    )
    .await;
    let silent = executor_running(
        "silent",
        format!("echo $$ >> {}; exec sleep 600", scratch.path("silent")),
    );
    let quitter = executor_running(
        "quitter",
        format!("echo $$ >> {}; exit 3", scratch.path("quitter")),
    );
    for (name, executor) in [("silent", silent), ("quitter", quitter)] {
        let spec = TaskSpec::new(name)
            .cpus(0.1)
            .mem(16.0)
            .executor(executor)
            .data("true")
            .retries(1);
        framework.submit(spec).await.expect("submitted");
    }
    wait_finished(&framework).await;

    let all = by_name(&recorder);
    for (name, reason) in [
        ("silent", Reason::ExecutorRegistrationTimeout),
        ("quitter", Reason::ExecutorTerminated),
    ] {
        let ends: Vec<_> = all[name].iter().filter(|u| u.state.is_terminal()).collect();
        assert_eq!(ends.len(), 2, "{name}: two attempts: {:#?}", all[name]);
        for (attempt, end) in ends.iter().enumerate() {
            assert_eq!(end.attempt as usize, attempt, "{end:#?}");
            assert_eq!(end.state, TaskState::TaskFailed, "{end:#?}");
            assert_eq!(end.reason, Some(reason), "{end:#?}");
        }
        let starts = scratch.lines(name);
        assert_none_lost_none_twice(
            &recorder,
            &[name.to_string()],
            TaskState::TaskFailed,
            &starts,
        );
        assert_eq!(
            starts.len(),
            2,
            "{name}: one executor per attempt: {starts:?}"
        );
        for pid in &starts {
            wait_for("the executor process to be gone", || gone(pid)).await;
        }
    }
    framework.shutdown(ShutdownMode::Teardown).await;
    cluster.stop().await;
}
