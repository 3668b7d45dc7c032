//! TaskTracker memory bounds: finished records are forgotten under the retention rule
//! (count and time) after the user got their final update, a forgotten task answers
//! "unknown task", and a full delivery queue leaves resendable updates unacknowledged
//! instead of queueing them, losing none.

mod tracker_support;

use actix::prelude::*;
use mesos_actix::__internals::task_tracker::{
    KillError, KillTask, ListTasks, LocateTask, TrackerLimits, WaitFinished,
};
use mesos_actix::proto::{TaskId, TaskState};
use mesos_actix::scheduler::TaskUpdate;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tracker_support::*;

fn limits(count: usize, ttl: Duration, queue: usize) -> TrackerLimits {
    TrackerLimits {
        finished_retention: count,
        finished_ttl: ttl,
        max_queued_updates: queue,
    }
}

fn start(limits: TrackerLimits) -> Harness {
    Harness::start_with(settings(), limits, 1, |n, log| {
        User {
            n,
            log,
            delay: Duration::ZERO,
        }
        .start()
        .recipient()
    })
}

/// Submits and launches `n` tasks, then finishes each (with a uuid); waits for the acks.
async fn run_to_finish(h: &Harness, n: u8) -> Vec<TaskId> {
    let mut ids = Vec::new();
    for i in 0..n {
        let id = h.submit(spec(&format!("t{i}"))).await;
        h.launch(&id, "a1").await;
        ids.push(id);
    }
    for (i, id) in ids.iter().enumerate() {
        h.update(status(id, TaskState::TaskFinished, "a1", Some(i as u8)))
            .await;
    }
    h.wait_for("every ack", |h| h.acks().len() == n as usize)
        .await;
    ids
}

async fn listed(h: &Harness) -> Vec<String> {
    let list = h.tracker.send(ListTasks).await.unwrap();
    list.into_iter().map(|t| t.task_id.value).collect()
}

#[actix_rt::test]
async fn the_newest_finished_records_are_kept_up_to_the_count() {
    let h = start(limits(2, Duration::from_secs(3600), 100));
    let ids = run_to_finish(&h, 4).await;
    // The user got every final update first.
    assert_eq!(h.user_updates(0).len(), 4);
    assert!(h.user_updates(0).iter().all(|u| u.is_final));
    assert_eq!(
        listed(&h).await,
        vec![ids[2].value.clone(), ids[3].value.clone()]
    );

    // A forgotten task is unknown, clearly; a kept one is still known as terminal.
    assert_eq!(
        h.tracker.send(KillTask(ids[0].clone())).await.unwrap(),
        Err(KillError::UnknownTask(ids[0].value.clone()))
    );
    assert_eq!(
        h.tracker.send(LocateTask(ids[0].clone())).await.unwrap(),
        None
    );
    assert_eq!(
        h.tracker.send(KillTask(ids[3].clone())).await.unwrap(),
        Err(KillError::AlreadyTerminal(ids[3].value.clone()))
    );
    assert!(
        h.tracker
            .send(LocateTask(ids[3].clone()))
            .await
            .unwrap()
            .is_some()
    );

    // Mesos resends a forgotten task's final update: acknowledged again, not redelivered.
    h.update(status(&ids[0], TaskState::TaskFinished, "a1", Some(0)))
        .await;
    h.wait_for("the resent update's ack", |h| h.acks().len() == 5)
        .await;
    assert_eq!(h.user_updates(0).len(), 4);
    h.tracker.send(WaitFinished).await.unwrap();
}

#[actix_rt::test]
async fn finished_records_go_when_their_time_is_up() {
    // Time to live 0: forgotten as soon as the final update was delivered.
    let h = start(limits(100, Duration::ZERO, 100));
    run_to_finish(&h, 3).await;
    assert!(listed(&h).await.is_empty());

    // A short time to live: forgotten by the tracker's own timer (that they are kept until
    // then is the unit test of the rule, with an injected clock).
    let h = start(limits(100, Duration::from_millis(200), 100));
    run_to_finish(&h, 2).await;
    let tracker = h.tracker.clone();
    eventually("records forgotten after their time", || {
        let tracker = tracker.clone();
        async move { tracker.send(ListTasks).await.unwrap().is_empty() }
    })
    .await;
    // Records not final are never forgotten.
    let open = h.submit(spec("open")).await;
    h.launch(&open, "a1").await;
    h.update(status(&open, TaskState::TaskRunning, "a1", Some(9)))
        .await;
    h.wait_for("the running ack", |h| h.acks().len() == 3).await;
    assert_eq!(listed(&h).await, vec![open.value.clone()]);
}

/// A user actor that takes an update only when a permit is given.
struct GatedUser {
    log: Log,
    gate: Arc<Semaphore>,
}
impl Actor for GatedUser {
    type Context = Context<Self>;
}
impl Handler<TaskUpdate> for GatedUser {
    type Result = ResponseActFuture<Self, ()>;
    fn handle(&mut self, msg: TaskUpdate, _: &mut Context<Self>) -> Self::Result {
        let gate = self.gate.clone();
        Box::pin(
            async move {
                if let Ok(permit) = gate.acquire().await {
                    permit.forget();
                }
                msg
            }
            .into_actor(self)
            .map(|msg, act, _| act.log.lock().unwrap().push(Entry::User(0, Box::new(msg)))),
        )
    }
}

#[actix_rt::test]
async fn a_full_delivery_queue_leaves_updates_unacknowledged_and_loses_none() {
    let gate = Arc::new(Semaphore::new(0));
    let g = gate.clone();
    let h = Harness::start_with(
        settings(),
        limits(100, Duration::from_secs(3600), 3),
        1,
        |_, log| {
            GatedUser {
                log,
                gate: g.clone(),
            }
            .start()
            .recipient()
        },
    );
    let mut ids = Vec::new();
    for i in 0..10 {
        let id = h.submit(spec(&format!("q{i}"))).await;
        h.launch(&id, "a1").await;
        ids.push(id);
    }
    for (i, id) in ids.iter().enumerate() {
        h.update(status(id, TaskState::TaskRunning, "a1", Some(i as u8)))
            .await;
    }
    // One update is with the (blocked) user, three wait in the queue; the other six were
    // neither applied nor queued. A reconciliation answer (never resent) is still queued.
    h.update(reconciliation_answer(&ids[9], TaskState::TaskRunning, "a1"))
        .await;
    let states: Vec<TaskState> = h
        .tracker
        .send(ListTasks)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.state)
        .collect();
    let running = |from: usize, to: usize| {
        states[from..to]
            .iter()
            .all(|s| *s == TaskState::TaskRunning)
    };
    assert!(running(0, 4), "{states:?}");
    assert!(
        states[4..9].iter().all(|s| *s == TaskState::TaskStaging),
        "{states:?}"
    );
    assert_eq!(
        states[9],
        TaskState::TaskRunning,
        "the reconciliation answer applies"
    );
    assert!(h.acks().is_empty());

    // The user catches up: exactly the four queued updates are acknowledged.
    gate.add_permits(1000);
    h.wait_for("four acks", |h| h.acks().len() == 4).await;
    h.wait_for("five deliveries", |h| h.user_updates(0).len() == 5)
        .await;
    // Mesos resends the six unacknowledged ones: each is delivered and acknowledged once.
    for (i, id) in ids.iter().enumerate().skip(4) {
        h.update(status(id, TaskState::TaskRunning, "a1", Some(i as u8)))
            .await;
    }
    h.wait_for("ten acks", |h| h.acks().len() == 10).await;
    let mut acked: Vec<String> = h.acks().into_iter().map(|(id, _)| id).collect();
    acked.sort();
    let mut expected: Vec<String> = ids.iter().map(|id| id.value.clone()).collect();
    expected.sort();
    assert_eq!(acked, expected);
    h.wait_for("eleven deliveries", |h| h.user_updates(0).len() == 11)
        .await;
}
