//! Fault family "slow user": the user's actor stops taking task updates (its handler does
//! not finish, so its mailbox backs up) while offers keep coming.
//!
//! Offers must not wait for the user: an offer nothing needs is declined, an offer that
//! fits no pending task is declined once its hold bound (`offer_hold_secs`) is over, and a
//! task that fits is still launched. Acknowledgements still follow delivery: no update is
//! acknowledged before the user finished handling it, and they go out in order once it
//! does.
//!
//! Driven with the test kit's `FakeMaster`, which records every call (DECLINE, ACCEPT,
//! ACKNOWLEDGE) in order. This family passes on main too: updates and offers travel
//! through different actors there already.

mod runtime_support;

use actix::prelude::*;
use mesos_actix::proto::scheduler::call::Type as CallType;
use mesos_actix::proto::{FrameworkInfo, TaskId, TaskState, TaskStatus, new_uuid_bytes};
use mesos_actix::scheduler::{Framework, RuntimeConfig, ShutdownMode, TaskSpec, TaskUpdate};
use mesos_actix::testkit::{FakeMaster, RecordedCall};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

const WAIT: Duration = Duration::from_secs(60);

/// A user actor that handles each update only once `open` is true; until then its mailbox
/// is blocked. `entered` lists the updates it started handling, `done` those it finished.
struct SlowUser {
    open: watch::Receiver<bool>,
    entered: Arc<Mutex<Vec<TaskState>>>,
    done: Arc<Mutex<Vec<TaskState>>>,
}

impl Actor for SlowUser {
    type Context = Context<Self>;
}

impl Handler<TaskUpdate> for SlowUser {
    type Result = AtomicResponse<Self, ()>;

    fn handle(&mut self, update: TaskUpdate, _: &mut Context<Self>) -> Self::Result {
        self.entered.lock().unwrap().push(update.state);
        let mut open = self.open.clone();
        let done = self.done.clone();
        AtomicResponse::new(Box::pin(
            async move {
                let _ = open.wait_for(|open| *open).await;
                done.lock().unwrap().push(update.state);
            }
            .into_actor(self),
        ))
    }
}

fn calls_of(master: &FakeMaster, kind: CallType) -> Vec<RecordedCall> {
    master
        .calls()
        .into_iter()
        .filter(|c| c.call_type() == Some(kind))
        .collect()
}

/// Waits for a DECLINE naming `offer`.
async fn declined(master: &FakeMaster, offer: &str) -> bool {
    master
        .wait_for_call(
            |c| {
                c.call
                    .as_ref()
                    .and_then(|c| c.decline.as_ref())
                    .is_some_and(|d| d.offer_ids.iter().any(|o| o.value == offer))
            },
            WAIT,
        )
        .await
        .is_some()
}

/// Waits for an ACCEPT of `offer`.
async fn accepted(master: &FakeMaster, offer: &str) -> bool {
    master
        .wait_for_call(
            |c| {
                c.call
                    .as_ref()
                    .and_then(|c| c.accept.as_ref())
                    .is_some_and(|a| a.offer_ids.iter().any(|o| o.value == offer))
            },
            WAIT,
        )
        .await
        .is_some()
}

fn update(task_id: &TaskId, state: TaskState, uuid: &[u8]) -> TaskStatus {
    TaskStatus {
        task_id: task_id.clone(),
        state: state as i32,
        agent_id: Some("fake-agent-S0".into()),
        uuid: Some(uuid.to_vec()),
        ..Default::default()
    }
}

fn acked_uuids(master: &FakeMaster) -> Vec<Vec<u8>> {
    calls_of(master, CallType::Acknowledge)
        .into_iter()
        .filter_map(|c| c.call?.acknowledge.map(|a| a.uuid))
        .collect()
}

#[actix_rt::test]
async fn offers_do_not_wait_for_a_slow_user_and_acks_follow_delivery() {
    let master = FakeMaster::start().await.unwrap();
    let (open_tx, open) = watch::channel(false);
    let entered = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(Mutex::new(Vec::new()));
    let user = SlowUser {
        open,
        entered: entered.clone(),
        done: done.clone(),
    }
    .start();
    let config = RuntimeConfig {
        masters: vec![master.url()],
        offer_hold_secs: 0.5,
        reconcile_backoff_initial_secs: 3600.0,
        ..Default::default()
    };
    let framework = Framework::builder(FrameworkInfo::new("faults-slow-user"))
        .config(config)
        .on_update(user.recipient())
        .start()
        .await
        .unwrap();
    framework.wait_subscribed(WAIT).await.unwrap();
    let first = framework
        .submit(TaskSpec::new("a").cpus(1.0).mem(64.0).command("sleep 600"))
        .await
        .unwrap();
    assert!(master.send_offers(vec![master.offer("O1", 1.0, 256.0)]));
    assert!(accepted(&master, "O1").await);

    // The user takes RUNNING and does not finish handling it; FINISHED queues behind.
    let (running, finished) = (new_uuid_bytes(), new_uuid_bytes());
    assert!(master.send_update(update(&first, TaskState::TaskRunning, &running)));
    assert!(master.send_update(update(&first, TaskState::TaskFinished, &finished)));
    let deadline = std::time::Instant::now() + WAIT;
    while entered.lock().unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the user never got RUNNING"
        );
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }

    // Meanwhile: an offer nothing needs is declined, one too small for the pending task is
    // declined once its hold bound is over, and a task that fits is launched.
    assert!(master.send_offers(vec![master.offer("O2", 1.0, 256.0)]));
    assert!(declined(&master, "O2").await, "idle offer declined");
    let big = framework
        .submit(
            TaskSpec::new("big")
                .cpus(4.0)
                .mem(64.0)
                .command("sleep 600"),
        )
        .await
        .unwrap();
    assert!(master.send_offers(vec![master.offer("O3", 1.0, 256.0)]));
    assert!(
        declined(&master, "O3").await,
        "unusable offer declined within its bound"
    );
    let small = framework
        .submit(
            TaskSpec::new("small")
                .cpus(1.0)
                .mem(64.0)
                .command("sleep 600"),
        )
        .await
        .unwrap();
    assert!(master.send_offers(vec![master.offer("O4", 1.0, 256.0)]));
    assert!(
        accepted(&master, "O4").await,
        "placement does not wait for the user"
    );

    // Nothing was acknowledged while the user held RUNNING.
    assert_eq!(entered.lock().unwrap().as_slice(), [TaskState::TaskRunning]);
    assert!(done.lock().unwrap().is_empty());
    assert!(
        acked_uuids(&master).is_empty(),
        "acknowledged before delivery"
    );

    open_tx.send_replace(true);
    let ack = |uuid: Vec<u8>| {
        master.wait_for_call(
            move |c| {
                c.call
                    .as_ref()
                    .and_then(|c| c.acknowledge.as_ref())
                    .is_some_and(|a| a.uuid == uuid)
            },
            WAIT,
        )
    };
    assert!(ack(finished.clone()).await.is_some());
    assert!(ack(running.clone()).await.is_some());
    // Each update acknowledged once. Not necessarily in order: ACKNOWLEDGEs are spread over
    // the call connections (a real agent has one unacknowledged update per task at a time).
    let mut acked = acked_uuids(&master);
    acked.sort();
    let mut expected = vec![running, finished];
    expected.sort();
    assert_eq!(acked, expected, "each update acknowledged once");
    assert_eq!(
        done.lock().unwrap().as_slice(),
        [TaskState::TaskRunning, TaskState::TaskFinished]
    );
    framework.kill(&big).await.unwrap();
    framework.kill(&small).await.unwrap();
    framework.shutdown(ShutdownMode::Teardown).await;
}
