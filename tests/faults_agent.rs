//! Agent faults on the local cluster, through the public `Framework` API: an agent restart
//! with checkpointing (executors keep running and re-subscribe with the updates the agent
//! never got) and an agent lost for good (its tasks TASK_LOST, or TASK_UNREACHABLE for a
//! PARTITION_AWARE framework, and retried elsewhere per the spec's retry policy). Each
//! test asserts that no task is lost and none is launched twice.

mod faults_support;

use faults_support::*;
use mesos_actix::local::LocalCluster;
use mesos_actix::proto::framework_info::capability::Type as Cap;
use mesos_actix::proto::task_status::Reason;
use mesos_actix::proto::{FrameworkInfo, TaskState};
use mesos_actix::scheduler::{ShutdownMode, TaskSpec};

fn checkpointing(name: &str) -> FrameworkInfo {
    let mut info = FrameworkInfo::new(name);
    info.checkpoint = Some(true);
    info
}

/// Tasks under one hello_executor that each log their start, wait for `go`, then leave a
/// `done-N` marker and finish.
fn gated_executor_tasks(scratch: &Scratch, n: usize) -> Vec<TaskSpec> {
    let executor = hello_executor("restart-exec");
    (0..n)
        .map(|i| {
            let data = format!(
                "echo t{i} >> {starts}; while [ ! -e {go} ]; do sleep 0.05; done; touch {done}",
                starts = scratch.path("starts"),
                go = scratch.path("go"),
                done = scratch.path(&format!("done-{i}")),
            );
            TaskSpec::new(format!("t{i}"))
                .cpus(0.1)
                .mem(16.0)
                .executor(executor.clone())
                .data(data)
        })
        .collect()
}

/// The agent goes down while its executor's tasks run; they finish while it is down, so
/// their TASK_FINISHED updates can only reach the framework through the executor's
/// re-subscription (`unacknowledged_updates`) once the agent is back.
#[actix_rt::test]
async fn agent_restart_updates_made_while_down_arrive_once_nothing_relaunched() {
    let Setup {
        cluster,
        scratch,
        recorder,
        framework,
    } = setup(1, checkpointing("faults-agent-restart")).await;
    let specs = gated_executor_tasks(&scratch, 4);
    let names = submit_all_running(&framework, &recorder, specs).await;

    cluster.crash_agent(0).await.expect("agent goes down");
    scratch.touch("go");
    wait_for("every command done while the agent is down", || {
        (0..names.len()).all(|i| scratch.exists(&format!("done-{i}")))
    })
    .await;
    assert!(
        names
            .iter()
            .all(|n| !saw(&recorder, n, 0, TaskState::TaskFinished)),
        "nothing reaches the framework while the agent is down"
    );
    cluster.recover_agent(0).await.expect("agent recovers");

    wait_finished(&framework).await;
    assert_none_lost_none_twice(
        &recorder,
        &names,
        TaskState::TaskFinished,
        &scratch.lines("starts"),
    );
    assert_eq!(
        scratch.lines("starts").len(),
        names.len(),
        "each task ran once"
    );
    framework.shutdown(ShutdownMode::Teardown).await;
    cluster.stop().await;
}

/// Restarts in the middle of a stream of short tasks (updates in flight, acknowledgements
/// dropped while down): every task ends FINISHED exactly once, on its first attempt.
#[actix_rt::test]
async fn agent_restarts_amid_updates_lose_nothing() {
    let Setup {
        cluster,
        scratch,
        recorder,
        framework,
    } = setup(1, checkpointing("faults-agent-restarts")).await;
    scratch.touch("go");
    let specs = gated_executor_tasks(&scratch, 12);
    let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    framework.submit_all(specs).await.expect("submitted");
    wait_for("a first update", || {
        !recorder.heard.lock().unwrap().updates.is_empty()
    })
    .await;
    for _ in 0..3 {
        cluster.restart_agent(0).await.expect("agent restarts");
    }
    wait_finished(&framework).await;
    assert_none_lost_none_twice(
        &recorder,
        &names,
        TaskState::TaskFinished,
        &scratch.lines("starts"),
    );
    for u in recorder.finals() {
        assert_eq!(u.attempt, 0, "not relaunched: {u:#?}");
    }
    framework.shutdown(ShutdownMode::Teardown).await;
    cluster.stop().await;
}

/// Command tasks that log their task id, then wait for `go`.
fn gated_command_tasks(scratch: &Scratch, n: usize, retries: u32) -> Vec<TaskSpec> {
    (0..n)
        .map(|i| {
            let command = format!(
                "echo $MESOS_EXECUTOR_ID >> {starts}; while [ ! -e {go} ]; do sleep 0.05; done",
                starts = scratch.path("starts"),
                go = scratch.path("go"),
            );
            TaskSpec::new(format!("c{i}"))
                .cpus(0.25)
                .mem(16.0)
                .command(command)
                .retries(retries)
        })
        .collect()
}

/// The agent (index) each task's first attempt runs on.
fn first_agents(cluster: &LocalCluster, recorder: &Recorder, names: &[String]) -> Vec<usize> {
    let all = by_name(recorder);
    names
        .iter()
        .map(|n| {
            let running = all[n]
                .iter()
                .find(|u| u.attempt == 0 && u.state == TaskState::TaskRunning)
                .expect("RUNNING seen");
            let agent = running.status.agent_id.as_ref().expect("agent id");
            cluster.agent_index(&agent.value).expect("known agent")
        })
        .collect()
}

/// One of two agents is lost: its tasks are TASK_LOST (REASON_AGENT_REMOVED) and each is
/// relaunched once on the other agent; nothing else is relaunched.
#[actix_rt::test]
async fn agent_lost_tasks_lost_and_retried_on_the_other_agent() {
    let Setup {
        cluster,
        scratch,
        recorder,
        framework,
    } = setup(2, FrameworkInfo::new("faults-agent-lost")).await;
    // 2.5 cpus in all: either agent can run every task.
    let specs = gated_command_tasks(&scratch, 10, 1);
    let names = submit_all_running(&framework, &recorder, specs).await;
    let agents = first_agents(&cluster, &recorder, &names);
    let victim = agents[0];
    let on_victim: Vec<String> = names
        .iter()
        .zip(&agents)
        .filter(|(_, a)| **a == victim)
        .map(|(n, _)| n.clone())
        .collect();

    cluster.remove_agent(victim).await.expect("agent removed");
    wait_for("the lost tasks RUNNING again", || {
        on_victim
            .iter()
            .all(|n| saw(&recorder, n, 1, TaskState::TaskRunning))
    })
    .await;
    scratch.touch("go");
    wait_finished(&framework).await;

    let all = by_name(&recorder);
    for name in &names {
        let lost: Vec<_> = all[name]
            .iter()
            .filter(|u| u.state == TaskState::TaskLost)
            .collect();
        if on_victim.contains(name) {
            assert_eq!(lost.len(), 1, "{name}: {:#?}", all[name]);
            assert_eq!(lost[0].reason, Some(Reason::AgentRemoved));
            assert_eq!(lost[0].attempt, 0);
            let last = all[name].iter().find(|u| u.is_final).expect("final");
            assert_eq!(last.attempt, 1, "{name} retried once");
            let agent = last.status.agent_id.as_ref().expect("agent id");
            assert_ne!(cluster.agent_index(&agent.value), Some(victim));
        } else {
            assert!(lost.is_empty(), "{name}: {:#?}", all[name]);
            assert!(
                all[name].iter().all(|u| u.attempt == 0),
                "{name} not relaunched"
            );
        }
    }
    let starts = scratch.lines("starts");
    let unique: std::collections::HashSet<_> = starts.iter().collect();
    assert_eq!(
        unique.len(),
        starts.len(),
        "a task id started twice: {starts:?}"
    );
    assert_eq!(starts.len(), names.len() + on_victim.len());
    assert_none_lost_none_twice(&recorder, &names, TaskState::TaskFinished, &starts);
    framework.shutdown(ShutdownMode::Teardown).await;
    cluster.stop().await;
}

/// A PARTITION_AWARE framework hears TASK_UNREACHABLE (not terminal: Mesos may see the
/// task again) for the tasks of a lost agent, and reconciliation answers the same.
#[actix_rt::test]
async fn agent_lost_partition_aware_framework_hears_unreachable() {
    let mut info = FrameworkInfo::new("faults-agent-unreachable");
    info.add_capability(Cap::PartitionAware);
    let Setup {
        cluster,
        scratch,
        recorder,
        framework,
    } = setup(2, info).await;
    let specs = gated_command_tasks(&scratch, 4, 1);
    let names = submit_all_running(&framework, &recorder, specs).await;
    let agents = first_agents(&cluster, &recorder, &names);
    let victim = agents[0];
    cluster.remove_agent(victim).await.expect("agent removed");
    let on_victim: Vec<&String> = names
        .iter()
        .zip(&agents)
        .filter(|(_, a)| **a == victim)
        .map(|(n, _)| n)
        .collect();
    wait_for("TASK_UNREACHABLE for the lost agent's tasks", || {
        on_victim
            .iter()
            .all(|n| saw(&recorder, n, 0, TaskState::TaskUnreachable))
    })
    .await;
    let state = cluster.state().await;
    let tasks = state["frameworks"][0]["tasks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let unreachable = tasks
        .iter()
        .filter(|t| t["state"] == "TASK_UNREACHABLE")
        .count();
    assert_eq!(unreachable, on_victim.len(), "{state}");
    for u in recorder.heard.lock().unwrap().updates.iter() {
        assert_ne!(
            u.state,
            TaskState::TaskLost,
            "no TASK_LOST when PARTITION_AWARE: {u:#?}"
        );
    }
    framework.shutdown(ShutdownMode::Teardown).await;
    cluster.stop().await;
}
