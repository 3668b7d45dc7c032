//! TaskTracker: explicit reconciliation after every subscription (with backoff, until all
//! are heard of), implicit reconciliation on a period, and disconnections.

mod tracker_support;

use mesos_actix::__internals::master_connection::CallError;
use mesos_actix::__internals::task_tracker::{
    PendingReconciliation, ReconcileNow, TrackerSettings,
};
use mesos_actix::proto::{FrameworkId, TaskState};
use mesos_actix::scheduler::{Disconnected, Subscribed};
use std::time::Duration;
use tracker_support::*;

fn subscribed(resubscribed: bool) -> Subscribed {
    Subscribed {
        framework_id: FrameworkId::new("fw-1"),
        heartbeat_interval: Duration::from_secs(15),
        master_info: None,
        master_url: "http://127.0.0.1:5050".into(),
        resubscribed,
    }
}

fn disconnected() -> Disconnected {
    Disconnected {
        reason: "stream cut".into(),
        will_retry: true,
    }
}

async fn pending_reconciliation(h: &Harness) -> Option<usize> {
    h.tracker.send(PendingReconciliation).await.unwrap()
}

#[actix_rt::test]
async fn explicit_reconciliation_repeats_until_every_task_is_heard_of() {
    let h = Harness::start(settings(), 1, Duration::ZERO);
    let a = h.submit(spec("a")).await;
    let b = h.submit(spec("b")).await;
    let pending = h.submit(spec("pending")).await;
    let done = h.submit(spec("done")).await;
    h.launch(&a, "agent-a").await;
    h.launch(&b, "agent-b").await;
    h.launch(&done, "agent-a").await;
    h.update(status(&done, TaskState::TaskFinished, "agent-a", Some(1)))
        .await;

    h.tracker.send(subscribed(false)).await.unwrap();
    let both = vec![
        (a.value.clone(), Some("agent-a".to_string())),
        (b.value.clone(), Some("agent-b".to_string())),
    ];
    // Only launched, non-terminal tasks, with their agents; repeated while unanswered.
    h.wait_for("two rounds", |h| h.reconciles().len() >= 2)
        .await;
    assert!(h.reconciles().iter().all(|r| *r == both));
    assert!(
        !h.reconciles()[0]
            .iter()
            .any(|(id, _)| *id == pending.value || *id == done.value)
    );

    // A answers (a reconciliation answer, no uuid): later rounds ask about B only.
    h.update(reconciliation_answer(&a, TaskState::TaskRunning, "agent-a"))
        .await;
    h.wait_for("a round for b alone", |h| {
        h.reconciles()
            .last()
            .is_some_and(|r| r.len() == 1 && r[0].0 == b.value)
    })
    .await;
    // B answers: the loop ends.
    h.update(reconciliation_answer(&b, TaskState::TaskStaging, "agent-b"))
        .await;
    eventually("the loop to end", || async {
        pending_reconciliation(&h).await.is_none()
    })
    .await;
    let rounds = h.reconciles();
    assert!(rounds.iter().all(|r| !r.is_empty()), "implicit is disabled");
    assert_eq!(rounds.last().unwrap().len(), 1);
    // Reconciliation answers are delivered, never acknowledged.
    assert_eq!(h.acks().len(), 1);
    assert_eq!(h.user_updates(0).len(), 3);
}

#[actix_rt::test]
async fn unanswered_reconciliation_keeps_going_and_restarts_on_resubscription() {
    let settings = TrackerSettings {
        implicit_reconcile: Duration::ZERO,
        reconcile_backoff_initial: Duration::from_millis(20),
        reconcile_backoff_max: Duration::from_millis(80),
    };
    let h = Harness::start(settings, 1, Duration::ZERO);
    let a = h.submit(spec("a")).await;
    h.launch(&a, "agent-a").await;
    // No answer ever: the loop keeps going (at the capped interval).
    h.tracker.send(subscribed(false)).await.unwrap();
    h.wait_for("six rounds", |h| h.reconciles().len() >= 6)
        .await;
    assert_eq!(pending_reconciliation(&h).await, Some(1));

    // A new subscription restarts it (one loop, not two): after the answer it ends.
    h.tracker.send(subscribed(true)).await.unwrap();
    h.tracker.send(subscribed(true)).await.unwrap();
    h.update(reconciliation_answer(&a, TaskState::TaskRunning, "agent-a"))
        .await;
    eventually("the loop to end", || async {
        pending_reconciliation(&h).await.is_none()
    })
    .await;

    // A disconnection stops it too; ReconcileNow starts one on demand.
    h.tracker.send(ReconcileNow).await.unwrap();
    assert_eq!(pending_reconciliation(&h).await, Some(1));
    h.tracker.send(disconnected()).await.unwrap();
    assert_eq!(pending_reconciliation(&h).await, None);
}

#[actix_rt::test]
async fn implicit_reconciliation_runs_on_its_period_while_subscribed() {
    let settings = TrackerSettings {
        implicit_reconcile: Duration::from_millis(30),
        ..settings()
    };
    let h = Harness::start(settings, 1, Duration::ZERO);
    h.tracker.send(subscribed(false)).await.unwrap();
    h.wait_for("three implicit rounds", |h| {
        h.reconciles().iter().filter(|r| r.is_empty()).count() >= 3
    })
    .await;
    // Nothing launched: no explicit round at all.
    assert!(h.reconciles().iter().all(|r| r.is_empty()));
    assert_eq!(pending_reconciliation(&h).await, None);
}

#[actix_rt::test]
async fn disconnection_loses_nothing() {
    let h = Harness::start(settings(), 1, Duration::ZERO);
    let launched = h.submit(spec("launched")).await;
    let queued = h.submit(spec("queued")).await;
    h.launch(&launched, "agent-a").await;
    h.tracker.send(subscribed(false)).await.unwrap();
    h.tracker.send(disconnected()).await.unwrap();

    // While disconnected, acks fail with NotSubscribed: the update still reaches the user.
    *h.answer.lock().unwrap() = Err(CallError::NotSubscribed);
    h.update(status(
        &launched,
        TaskState::TaskRunning,
        "agent-a",
        Some(1),
    ))
    .await;
    h.wait_for("ack attempted", |h| h.acks().len() == 1).await;
    assert_eq!(h.user_updates(0).len(), 1);

    // Mesos resends the un-acked update after re-subscription: acked again, not redelivered.
    *h.answer.lock().unwrap() = Ok(());
    h.tracker.send(subscribed(true)).await.unwrap();
    h.update(status(
        &launched,
        TaskState::TaskRunning,
        "agent-a",
        Some(1),
    ))
    .await;
    h.wait_for("ack resent", |h| h.acks().len() == 2).await;
    assert_eq!(h.user_updates(0).len(), 1);

    // The queued task stayed at the matcher, never dequeued.
    assert!(h.queue.lock().unwrap().contains(&queued.value));
    assert!(!h.entries().iter().any(|e| matches!(e, Entry::Unplace(..))));
}
