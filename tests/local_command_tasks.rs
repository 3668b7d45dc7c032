//! Command tasks end to end on the local cluster, in both encodings and on two agents.

mod local_support;

use local_support::*;
use mesos_actix::Encoding;
use mesos_actix::proto::{TaskState, scheduler::event, task_status::Source};

async fn command_task_end_to_end(encoding: Encoding) {
    let cluster = start(1).await;
    let mut s = Sched::subscribe(&cluster.url(), encoding, framework("cmd")).await;
    let hb = s.next().await;
    assert_eq!(hb.r#type(), event::Type::Heartbeat);
    let offers = s.offers().await;
    assert_eq!(offers.len(), 1);
    let offer = &offers[0];
    assert_eq!(
        offer.url.as_ref().unwrap().path.as_deref(),
        Some("/slave(1)")
    );
    assert_eq!(
        s.launch(offer, vec![command_task("t1", offer, "echo hi")])
            .await,
        202
    );
    let starting = s.update("t1").await;
    assert_eq!(starting.state(), TaskState::TaskStarting);
    assert_eq!(starting.source(), Source::Executor);
    assert_eq!(starting.executor_id.as_ref().unwrap().value, "t1");
    assert!(
        starting
            .container_status
            .as_ref()
            .unwrap()
            .container_id
            .is_some()
    );
    let running = s.update("t1").await;
    assert_eq!(running.state(), TaskState::TaskRunning);
    let finished = s.update("t1").await;
    assert_eq!(finished.state(), TaskState::TaskFinished);
    assert_eq!(
        finished.message.as_deref(),
        Some("Command exited with status 0")
    );
    // The sandbox has the command's stdout.
    let stdout = find_file(cluster.work_dir(), "stdout");
    assert!(
        stdout
            .iter()
            .any(|p| std::fs::read_to_string(p).unwrap_or_default() == "hi\n")
    );
    cluster.stop().await;
}

fn find_file(dir: &std::path::Path, name: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(find_file(&p, name));
            } else if p.file_name().is_some_and(|n| n == name) {
                out.push(p);
            }
        }
    }
    out
}

#[actix_rt::test]
async fn command_task_json() {
    command_task_end_to_end(Encoding::Json).await;
}

#[actix_rt::test]
async fn command_task_protobuf() {
    command_task_end_to_end(Encoding::Protobuf).await;
}

#[actix_rt::test]
async fn failing_command_reports_exit_status() {
    let cluster = start(1).await;
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, framework("fail")).await;
    let offers = s.offers().await;
    s.launch(&offers[0], vec![command_task("bad", &offers[0], "exit 3")])
        .await;
    let failed = s.until_state("bad", TaskState::TaskFailed).await;
    assert_eq!(
        failed.message.as_deref(),
        Some("Command exited with status 3")
    );
    cluster.stop().await;
}

#[actix_rt::test]
async fn tasks_on_two_agents() {
    let cluster = start(2).await;
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Protobuf, framework("two")).await;
    let mut agents = std::collections::HashSet::new();
    let mut launched = Vec::new();
    while agents.len() < 2 {
        for offer in s.offers().await {
            if agents.insert(offer.agent_id.value.clone()) {
                let id = format!("t-{}", agents.len());
                s.launch(&offer, vec![command_task(&id, &offer, "true")])
                    .await;
                launched.push(id);
            }
        }
    }
    for id in &launched {
        s.until_state(id, TaskState::TaskFinished).await;
    }
    let state = cluster.state().await;
    assert_eq!(state["slaves"].as_array().unwrap().len(), 2);
    cluster.stop().await;
}

#[actix_rt::test]
async fn kill_escalates_to_sigkill_after_the_grace_period() {
    use mesos_actix::proto::{DurationInfo, KillPolicy, scheduler::call};
    let cluster = start(1).await;
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, framework("stubborn")).await;
    let offers = s.offers().await;
    let mut task = command_task("stubborn", &offers[0], "trap '' TERM; echo ready; sleep 30");
    task.kill_policy = Some(KillPolicy {
        grace_period: Some(DurationInfo {
            nanoseconds: 300_000_000,
        }),
    });
    s.launch(&offers[0], vec![task]).await;
    s.until_state("stubborn", TaskState::TaskRunning).await;
    poll("trap installed", || {
        let dir = cluster.work_dir().to_path_buf();
        async move {
            find_file(&dir, "stdout")
                .iter()
                .any(|p| std::fs::read_to_string(p).unwrap_or_default() == "ready\n")
                .then_some(())
        }
    })
    .await;
    let mut kill = s.call(call::Type::Kill);
    kill.kill = Some(call::Kill {
        task_id: "stubborn".into(),
        agent_id: None,
        kill_policy: None,
    });
    assert_eq!(s.post(&kill).await.0, 202);
    let killed = s.until_state("stubborn", TaskState::TaskKilled).await;
    assert_eq!(
        killed.message.as_deref(),
        Some("Command terminated with signal Killed"),
        "SIGTERM was ignored, SIGKILL ended it"
    );
    cluster.stop().await;
}
