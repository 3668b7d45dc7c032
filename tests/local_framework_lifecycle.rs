//! Framework lifecycle on the local cluster: reconciliation, decline filters, fairness
//! between frameworks, failover (ERROR on the old stream), failover timeout keep / kill,
//! status-update resends, invalid offers and tasks.

mod local_support;

use local_support::*;
use mesos_actix::Encoding;
use mesos_actix::proto::{
    Resource, TaskState,
    framework_info::capability::Type as Cap,
    scheduler::{call, event},
    task_status::{Reason, Source},
};

fn partition_aware(name: &str) -> mesos_actix::proto::FrameworkInfo {
    let mut info = framework(name);
    info.add_capability(Cap::PartitionAware);
    info
}

fn reconcile_call(
    s: &Sched,
    tasks: &[(&str, Option<&str>)],
) -> mesos_actix::proto::scheduler::Call {
    let mut c = s.call(call::Type::Reconcile);
    c.reconcile = Some(call::Reconcile {
        tasks: tasks
            .iter()
            .map(|(t, a)| call::reconcile::Task {
                task_id: (*t).into(),
                agent_id: a.map(Into::into),
            })
            .collect(),
    });
    c
}

#[actix_rt::test]
async fn reconciliation_answers() {
    let cluster = start(1).await;
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, partition_aware("rec")).await;
    let offers = s.offers().await;
    let agent = offers[0].agent_id.value.clone();
    s.launch(
        &offers[0],
        vec![
            command_task("t1", &offers[0], "true"),
            command_task("run", &offers[0], "sleep 30"),
        ],
    )
    .await;
    s.until_state("t1", TaskState::TaskFinished).await;
    s.until_state("run", TaskState::TaskRunning).await;
    // Explicit: a finished-and-acknowledged task and an unknown one are unknown; with a
    // registered agent named, unknown is GONE; a running task reports RUNNING.
    let c = reconcile_call(
        &s,
        &[
            ("t1", None),
            ("nope", None),
            ("gone", Some(&agent)),
            ("run", None),
        ],
    );
    assert_eq!(s.post(&c).await.0, 202);
    for (task, state, message) in [
        (
            "t1",
            TaskState::TaskUnknown,
            "Reconciliation: Task is unknown",
        ),
        (
            "nope",
            TaskState::TaskUnknown,
            "Reconciliation: Task is unknown",
        ),
        (
            "gone",
            TaskState::TaskGone,
            "Reconciliation: Task is unknown to the agent",
        ),
        (
            "run",
            TaskState::TaskRunning,
            "Reconciliation: Latest task state",
        ),
    ] {
        let st = s.update(task).await;
        assert_eq!(st.state(), state, "{task}");
        assert_eq!(st.message.as_deref(), Some(message));
        assert_eq!(st.source(), Source::Master);
        assert_eq!(st.reason(), Reason::Reconciliation);
        assert!(st.uuid.is_none());
    }
    // Implicit: every task the master knows.
    assert_eq!(s.post(&reconcile_call(&s, &[])).await.0, 202);
    assert_eq!(s.update("run").await.state(), TaskState::TaskRunning);
    // A non-PARTITION_AWARE framework gets TASK_LOST for unknown tasks.
    let mut old = Sched::subscribe(&cluster.url(), Encoding::Protobuf, framework("old")).await;
    assert_eq!(
        old.post(&reconcile_call(&old, &[("nope", None)])).await.0,
        202
    );
    assert_eq!(old.update("nope").await.state(), TaskState::TaskLost);
    // KILL of an unknown task is answered like reconciliation.
    let mut kill = old.call(call::Type::Kill);
    kill.kill = Some(call::Kill {
        task_id: "ghost".into(),
        agent_id: None,
        kill_policy: None,
    });
    assert_eq!(old.post(&kill).await.0, 202);
    assert_eq!(old.update("ghost").await.state(), TaskState::TaskLost);
    cluster.stop().await;
}

/// Counts OFFERS events while `heartbeats` heartbeats pass.
async fn offers_during(s: &mut Sched, heartbeats: usize) -> usize {
    let mut seen = 0;
    let mut offers = 0;
    while seen < heartbeats {
        match s.next().await.r#type() {
            event::Type::Heartbeat => seen += 1,
            event::Type::Offers => offers += 1,
            _ => {}
        }
    }
    offers
}

#[actix_rt::test]
async fn decline_filters_are_respected() {
    let cluster = start(1).await;
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, framework("decliner")).await;
    let offers = s.offers().await;
    s.decline(&offers, 3600.0).await;
    // Allocation runs every 100 ms: ten heartbeats (0.2 s each) see many rounds.
    assert_eq!(
        offers_during(&mut s, 10).await,
        0,
        "declined resources were re-offered"
    );
    // REVIVE clears the filter.
    assert_eq!(s.post(&s.call(call::Type::Revive)).await.0, 202);
    let offers = s.offers().await;
    // A short filter expires by itself.
    s.decline(&offers, 0.3).await;
    let offers = s.offers().await;
    // SUPPRESS stops offers until REVIVE.
    assert_eq!(s.post(&s.call(call::Type::Suppress)).await.0, 202);
    s.decline(&offers, 0.0).await;
    assert_eq!(offers_during(&mut s, 5).await, 0, "offers while suppressed");
    assert_eq!(s.post(&s.call(call::Type::Revive)).await.0, 202);
    s.offers().await;
    cluster.stop().await;
}

#[actix_rt::test]
async fn two_frameworks_both_get_offers() {
    let cluster = start(2).await;
    let mut a = Sched::subscribe(&cluster.url(), Encoding::Json, framework("a")).await;
    // Alone, `a` is offered both agents.
    let mut held = Vec::new();
    while held.len() < 2 {
        held.extend(a.offers().await);
    }
    let mut b = Sched::subscribe(&cluster.url(), Encoding::Protobuf, framework("b")).await;
    // `a` has nothing to run: its resources are shared out fairly.
    a.decline(&held, 0.0).await;
    let ob = b.offers().await;
    let oa = a.offers().await;
    // Never the same resources twice.
    assert!(
        oa.iter()
            .all(|x| ob.iter().all(|y| x.agent_id != y.agent_id))
    );
    // One framework declining for long lets the other one have that agent too.
    a.decline(&oa, 3600.0).await;
    let more = b.offers().await;
    assert_eq!(more[0].agent_id, oa[0].agent_id);
    let state = cluster.state().await;
    assert_eq!(state["frameworks"].as_array().unwrap().len(), 2);
    cluster.stop().await;
}

#[actix_rt::test]
async fn second_subscribe_fails_the_first_over() {
    let cluster = start(1).await;
    let mut info = framework("fo");
    info.failover_timeout = Some(60.0);
    let mut first = Sched::subscribe(&cluster.url(), Encoding::Json, info.clone()).await;
    info.id = Some(first.framework_id.as_str().into());
    let second = Sched::subscribe(&cluster.url(), Encoding::Json, info).await;
    assert_eq!(second.framework_id, first.framework_id);
    assert_ne!(second.stream_id, first.stream_id);
    let err = first
        .wait_for("ERROR", |e| e.r#type() == event::Type::Error)
        .await;
    assert_eq!(err.error.unwrap().message, "Framework failed over");
    assert!(
        tokio::time::timeout(WAIT, async { while first.events.recv().await.is_some() {} })
            .await
            .is_ok(),
        "old stream closed"
    );
    // The old stream id is now wrong.
    assert_eq!(first.post(&first.call(call::Type::Revive)).await.0, 400);
    assert_eq!(second.post(&second.call(call::Type::Revive)).await.0, 202);
    cluster.stop().await;
}

#[actix_rt::test]
async fn failover_within_timeout_keeps_tasks() {
    let cluster = start(1).await;
    let mut info = framework("keeper");
    info.failover_timeout = Some(60.0);
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Protobuf, info.clone()).await;
    let offers = s.offers().await;
    s.launch(
        &offers[0],
        vec![command_task("long", &offers[0], "sleep 30")],
    )
    .await;
    s.until_state("long", TaskState::TaskRunning).await;
    s.disconnect();
    let id = s.framework_id.clone();
    poll("disconnected", || {
        let cluster = &cluster;
        async move { (cluster.state().await["frameworks"][0]["connected"] == false).then_some(()) }
    })
    .await;
    info.id = Some(id.as_str().into());
    let mut again = Sched::subscribe(&cluster.url(), Encoding::Protobuf, info).await;
    assert_eq!(again.framework_id, id);
    assert_eq!(
        again
            .post(&reconcile_call(&again, &[("long", None)]))
            .await
            .0,
        202
    );
    assert_eq!(again.update("long").await.state(), TaskState::TaskRunning);
    let state = cluster.state().await;
    assert_eq!(state["frameworks"][0]["tasks"][0]["state"], "TASK_RUNNING");
    cluster.stop().await;
}

#[actix_rt::test]
async fn failover_timeout_expiry_kills_tasks() {
    let cluster = start(1).await;
    let mut info = framework("leaver");
    info.failover_timeout = Some(0.3);
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, info.clone()).await;
    let offers = s.offers().await;
    s.launch(
        &offers[0],
        vec![command_task(
            "long",
            &offers[0],
            "echo $$ > pid; exec sleep 30",
        )],
    )
    .await;
    s.until_state("long", TaskState::TaskRunning).await;
    let pid_file = poll("pid file", || {
        let dir = cluster.work_dir().to_path_buf();
        async move { find(&dir, "pid") }
    })
    .await;
    let pid: u32 = poll("pid written", || {
        let p = pid_file.clone();
        async move {
            std::fs::read_to_string(&p)
                .ok()
                .and_then(|t| t.trim().parse().ok())
        }
    })
    .await;
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    s.disconnect();
    let id = s.framework_id.clone();
    let state = poll("framework removed", || {
        let cluster = &cluster;
        async move {
            let st = cluster.state().await;
            (st["completed_frameworks"]
                .as_array()
                .is_some_and(|a| !a.is_empty()))
            .then_some(st)
        }
    })
    .await;
    let fw = &state["completed_frameworks"][0];
    assert_eq!(fw["id"], id.as_str());
    assert_eq!(fw["completed_tasks"][0]["state"], "TASK_KILLED");
    poll("task process killed", || async move {
        (!std::path::Path::new(&format!("/proc/{pid}")).exists()).then_some(())
    })
    .await;
    // The id can never come back.
    info.id = Some(id.as_str().into());
    let c = client();
    let mut resp = c
        .post(format!("{}/api/v1/scheduler", cluster.url()))
        .insert_header(("Content-Type", "application/json"))
        .send_body(Encoding::Json.encode(&subscribe_call(&info)))
        .await
        .unwrap();
    let body = resp.body().await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("Framework has been removed"));
    cluster.stop().await;
}

fn find(dir: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.is_dir() {
            if let Some(f) = find(&p, name) {
                return Some(f);
            }
        } else if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
    }
    None
}

#[actix_rt::test]
async fn unacknowledged_updates_are_resent_and_block_later_ones() {
    let cluster = start(1).await;
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, framework("lazy")).await;
    let offers = s.offers().await;
    s.launch(&offers[0], vec![command_task("t", &offers[0], "true")])
        .await;
    let first = s
        .wait_for("STARTING", |e| {
            e.update
                .as_ref()
                .is_some_and(|u| u.status.task_id.value == "t")
        })
        .await
        .update
        .unwrap()
        .status;
    assert_eq!(first.state(), TaskState::TaskStarting);
    // Not acknowledged: the same update comes again, and nothing newer before it.
    let again = s
        .wait_for("resend", |e| {
            e.update
                .as_ref()
                .is_some_and(|u| u.status.task_id.value == "t")
        })
        .await
        .update
        .unwrap()
        .status;
    assert_eq!(again.uuid, first.uuid);
    assert_eq!(again.state(), TaskState::TaskStarting);
    s.ack(&first).await;
    s.until_state("t", TaskState::TaskFinished).await;
    cluster.stop().await;
}

#[actix_rt::test]
async fn invalid_offers_and_invalid_tasks() {
    let cluster = start(1).await;
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, framework("inv")).await;
    let offers = s.offers().await;
    let mut stale = offers[0].clone();
    stale.id = "no-such-offer".into();
    assert_eq!(
        s.launch(&stale, vec![command_task("lost", &offers[0], "true")])
            .await,
        202
    );
    let st = s.update("lost").await;
    assert_eq!(st.state(), TaskState::TaskLost);
    assert_eq!(st.reason(), Reason::InvalidOffers);
    assert!(st.uuid.is_none());
    // The offer is still valid; a task asking for too much, and one with no resources.
    let mut greedy = command_task("greedy", &offers[0], "true");
    greedy.resources = vec![Resource::scalar("cpus", 1000.0)];
    let mut empty = command_task("empty", &offers[0], "true");
    empty.resources.clear();
    let ok = command_task("ok", &offers[0], "true");
    s.launch(&offers[0], vec![greedy, empty, ok]).await;
    for t in ["greedy", "empty"] {
        let st = s.update(t).await;
        assert_eq!(st.state(), TaskState::TaskError, "{t}");
        assert_eq!(st.reason(), Reason::TaskInvalid);
    }
    s.until_state("ok", TaskState::TaskFinished).await;
    assert_eq!(s.post(&s.call(call::Type::Teardown)).await.0, 202);
    // A PARTITION_AWARE framework gets TASK_DROPPED; a used offer is invalid.
    let mut p = Sched::subscribe(&cluster.url(), Encoding::Json, partition_aware("pa")).await;
    let po = p.offers().await;
    p.launch(&po[0], vec![command_task("a", &po[0], "true")])
        .await;
    p.launch(&po[0], vec![command_task("b", &po[0], "true")])
        .await;
    p.until_state("a", TaskState::TaskFinished).await;
    let st = p.update("b").await;
    assert_eq!(st.state(), TaskState::TaskDropped);
    cluster.stop().await;
}

#[actix_rt::test]
async fn gpu_agents_only_offered_to_gpu_frameworks() {
    let mut config = test_config(1);
    config.resources = "cpus:1;mem:256;gpus:1".into();
    let cluster = mesos_actix::local::LocalCluster::start(config)
        .await
        .unwrap();
    let mut plain = Sched::subscribe(&cluster.url(), Encoding::Json, framework("no-gpu")).await;
    assert_eq!(offers_during(&mut plain, 5).await, 0);
    let mut info = framework("gpu");
    info.add_capability(Cap::GpuResources);
    let mut gpu = Sched::subscribe(&cluster.url(), Encoding::Json, info).await;
    let offers = gpu.offers().await;
    assert!(offers[0].resources.iter().any(|r| r.name == "gpus"));
    cluster.stop().await;
}
