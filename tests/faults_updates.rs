//! Fault family "update ordering": duplicate UPDATEs before and after their
//! acknowledgement, a reconciliation answer repeating a known state, and updates out of
//! order (RUNNING, then another terminal state, after FINISHED).
//!
//! Injected with the test kit's `FakeMaster` (the local cluster's agent sends one update
//! per task at a time and only the next one after an acknowledgement, so it cannot produce
//! these sequences; the fake master also records every call, which shows each ACKNOWLEDGE).
//!
//! The runtime must deliver each state change to the user once, acknowledge every update
//! that carries a uuid (duplicates included: Mesos resends until acknowledged), and never
//! move a finished task back.
//!
//! On main before this family, the reconciliation answer repeating RUNNING was delivered
//! to the user a second time.

mod runtime_support;

use actix::prelude::*;
use mesos_actix::proto::scheduler::call::Type as CallType;
use mesos_actix::proto::task_status::{Reason, Source};
use mesos_actix::proto::{FrameworkInfo, TaskId, TaskState, TaskStatus, new_uuid_bytes};
use mesos_actix::scheduler::{Framework, RuntimeConfig, ShutdownMode, TaskSpec};
use mesos_actix::testkit::FakeMaster;
use runtime_support::Recorder;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// A framework on `master` with one task launched by an ACCEPT; answers its task id.
async fn launched(master: &FakeMaster, recorder: &Recorder) -> (Framework, TaskId) {
    let config = RuntimeConfig {
        masters: vec![master.url()],
        reconcile_backoff_initial_secs: 3600.0,
        ..Default::default()
    };
    let framework = Framework::builder(FrameworkInfo::new("faults-updates"))
        .config(config)
        .on_update(recorder.clone().start().recipient())
        .start()
        .await
        .unwrap();
    framework.wait_subscribed(WAIT).await.unwrap();
    let task_id = framework
        .submit(TaskSpec::new("t").cpus(1.0).mem(64.0).command("sleep 600"))
        .await
        .unwrap();
    assert!(master.send_offers(vec![master.offer("O1", 2.0, 256.0)]));
    let accept = master
        .wait_for_call(|c| c.call_type() == Some(CallType::Accept), WAIT)
        .await;
    assert!(accept.is_some(), "the task is launched");
    (framework, task_id)
}

/// An agent's update (with a uuid) of `task_id`.
fn update(task_id: &TaskId, state: TaskState, uuid: &[u8]) -> TaskStatus {
    TaskStatus {
        task_id: task_id.clone(),
        state: state as i32,
        agent_id: Some("fake-agent-S0".into()),
        source: Some(Source::Executor as i32),
        uuid: Some(uuid.to_vec()),
        ..Default::default()
    }
}

/// The master's answer to a reconciliation (no uuid).
fn reconciliation_answer(task_id: &TaskId, state: TaskState) -> TaskStatus {
    TaskStatus {
        task_id: task_id.clone(),
        state: state as i32,
        agent_id: Some("fake-agent-S0".into()),
        source: Some(Source::Master as i32),
        reason: Some(Reason::Reconciliation as i32),
        message: Some("Reconciliation: Latest task state".into()),
        ..Default::default()
    }
}

/// How many ACKNOWLEDGEs of `uuid` the master received.
fn acks_of(master: &FakeMaster, uuid: &[u8]) -> usize {
    master
        .calls()
        .iter()
        .filter_map(|c| c.call.as_ref()?.acknowledge.as_ref())
        .filter(|a| a.uuid == uuid)
        .count()
}

/// Waits until the master received `n` ACKNOWLEDGEs of `uuid`.
async fn wait_acks(master: &FakeMaster, uuid: &[u8], n: usize) {
    let deadline = std::time::Instant::now() + WAIT;
    while acks_of(master, uuid) < n {
        assert!(
            std::time::Instant::now() < deadline,
            "{} of {n} acknowledgements",
            acks_of(master, uuid)
        );
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_rt::test]
async fn duplicates_and_out_of_order_updates_reach_the_user_once() {
    let master = FakeMaster::start().await.unwrap();
    let recorder = Recorder::default();
    let (framework, task_id) = launched(&master, &recorder).await;
    let (running, finished, late, late_failed) = (
        new_uuid_bytes(),
        new_uuid_bytes(),
        new_uuid_bytes(),
        new_uuid_bytes(),
    );

    // Duplicate before acknowledgement: both in one write.
    let first = update(&task_id, TaskState::TaskRunning, &running);
    let events =
        [first.clone(), first.clone()].map(|status| mesos_actix::proto::scheduler::Event {
            r#type: Some(mesos_actix::proto::scheduler::event::Type::Update as i32),
            update: Some(mesos_actix::proto::scheduler::event::Update { status }),
            ..Default::default()
        });
    assert!(master.send_events(&events));
    wait_acks(&master, &running, 2).await;
    // Duplicate after acknowledgement, then a reconciliation answer repeating RUNNING.
    assert!(master.send_update(first.clone()));
    wait_acks(&master, &running, 3).await;
    assert!(master.send_update(reconciliation_answer(&task_id, TaskState::TaskRunning)));

    // FINISHED, then out of order: RUNNING, FINISHED again and FAILED after it.
    assert!(master.send_update(update(&task_id, TaskState::TaskFinished, &finished)));
    wait_acks(&master, &finished, 1).await;
    assert!(master.send_update(update(&task_id, TaskState::TaskRunning, &late)));
    assert!(master.send_update(update(&task_id, TaskState::TaskFinished, &finished)));
    assert!(master.send_update(reconciliation_answer(&task_id, TaskState::TaskRunning)));
    assert!(master.send_update(update(&task_id, TaskState::TaskFailed, &late_failed)));
    wait_acks(&master, &late_failed, 1).await;

    // Every update with a uuid was acknowledged as often as it came; ACKs follow delivery
    // in order, so the user has had everything it will get.
    assert_eq!(acks_of(&master, &running), 3);
    assert_eq!(acks_of(&master, &finished), 2);
    assert_eq!(acks_of(&master, &late), 1);
    assert_eq!(acks_of(&master, &late_failed), 1);
    let heard: Vec<_> = recorder
        .heard
        .lock()
        .unwrap()
        .updates
        .iter()
        .map(|u| (u.state, u.is_final))
        .collect();
    assert_eq!(
        heard,
        vec![
            (TaskState::TaskRunning, false),
            (TaskState::TaskFinished, true)
        ],
        "each state change once, nothing after the terminal state"
    );
    let tasks = framework.tasks().await.unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].state, TaskState::TaskFinished, "never regressed");
    assert!(tasks[0].is_final);
    tokio::time::timeout(WAIT, framework.wait_finished())
        .await
        .unwrap()
        .unwrap();
    framework.shutdown(ShutdownMode::Teardown).await;
}
