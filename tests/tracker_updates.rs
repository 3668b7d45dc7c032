//! TaskTracker: acknowledgements, duplicates, retries, kills and the completion signal,
//! with recorder actors standing in for the connection, the matcher and the user.

mod tracker_support;

use mesos_actix::__internals::task_tracker::{
    KillError, KillTask, ListTasks, LocateTask, SubmitError, Track, TrackAll, WaitFinished,
};
use mesos_actix::proto::scheduler::call;
use mesos_actix::proto::{TaskId, TaskState, task_status};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tracker_support::*;

#[actix_rt::test]
async fn ack_only_with_uuid_and_only_after_every_user_got_it() {
    let h = Harness::start(settings(), 2, Duration::from_millis(100));
    let id = h.submit(spec("ack")).await;
    h.launch(&id, "a1").await;

    h.update(status(&id, TaskState::TaskRunning, "a1", Some(1)))
        .await;
    h.update(reconciliation_answer(&id, TaskState::TaskRunning, "a1"))
        .await;
    h.update(status(&id, TaskState::TaskFinished, "a1", Some(2)))
        .await;
    h.wait_for("two acks", |h| h.acks().len() == 2).await;

    // Exactly the updates with a uuid were acknowledged, in order, with the ids they came with.
    assert_eq!(
        h.acks(),
        vec![
            (id.value.clone(), uuid_bytes(1)),
            (id.value.clone(), uuid_bytes(2))
        ]
    );
    let ack = h.calls_of(call::Type::Acknowledge)[0]
        .clone()
        .acknowledge
        .unwrap();
    assert_eq!(ack.agent_id.value, "a1");

    // Each ACK comes after both (slow) users finished handling its update.
    let entries = h.entries();
    let pos = |pred: &dyn Fn(&Entry) -> bool| entries.iter().position(pred).unwrap();
    for (uuid, state) in [(1, TaskState::TaskRunning), (2, TaskState::TaskFinished)] {
        let ack_at = pos(
            &|e| matches!(e, Entry::Call(c) if c.acknowledge.as_ref().is_some_and(|a| a.uuid == uuid_bytes(uuid))),
        );
        for user in 0..2 {
            let got_at = pos(
                &|e| matches!(e, Entry::User(n, u) if *n == user && u.state == state && u.status.uuid.is_some()),
            );
            assert!(
                got_at < ack_at,
                "user {user} got uuid {uuid} before its ack"
            );
        }
    }
    // Every user got each state change once, in order, the last one final: the
    // reconciliation answer repeating RUNNING is not delivered again.
    for user in 0..2 {
        let got = h.user_updates(user);
        let states: Vec<_> = got.iter().map(|u| u.state).collect();
        assert_eq!(
            states,
            vec![TaskState::TaskRunning, TaskState::TaskFinished]
        );
        assert!(got[1].is_final);
        assert!(got.iter().all(|u| u.name == "ack" && u.attempt == 0));
    }
}

#[actix_rt::test]
async fn duplicates_are_acked_again_but_not_redelivered() {
    let h = Harness::start(settings(), 1, Duration::ZERO);
    let id = h.submit(spec("dup")).await;
    h.launch(&id, "a1").await;
    h.update(status(&id, TaskState::TaskRunning, "a1", Some(1)))
        .await;
    h.update(status(&id, TaskState::TaskRunning, "a1", Some(1)))
        .await;
    h.update(status(&id, TaskState::TaskFinished, "a1", Some(2)))
        .await;
    h.update(status(&id, TaskState::TaskFinished, "a1", Some(2)))
        .await;
    h.wait_for("four acks", |h| h.acks().len() == 4).await;
    let uuids: Vec<_> = h.acks().into_iter().map(|(_, u)| u).collect();
    assert_eq!(
        uuids,
        vec![uuid_bytes(1), uuid_bytes(1), uuid_bytes(2), uuid_bytes(2)]
    );
    let states: Vec<_> = h.user_updates(0).iter().map(|u| u.state).collect();
    assert_eq!(
        states,
        vec![TaskState::TaskRunning, TaskState::TaskFinished]
    );
}

#[actix_rt::test]
async fn unknown_tasks_are_acked_and_never_delivered() {
    let h = Harness::start(settings(), 1, Duration::ZERO);
    let id = h.submit(spec("known")).await;
    h.launch(&id, "a1").await;
    let stranger = TaskId::new("stranger");
    h.update(status(&stranger, TaskState::TaskRunning, "a1", Some(7)))
        .await;
    h.update(reconciliation_answer(
        &stranger,
        TaskState::TaskUnknown,
        "a1",
    ))
    .await;
    h.update(status(&id, TaskState::TaskRunning, "a1", Some(8)))
        .await;
    h.wait_for("two acks", |h| h.acks().len() == 2).await;
    assert_eq!(
        h.acks(),
        vec![
            ("stranger".to_string(), uuid_bytes(7)),
            (id.value.clone(), uuid_bytes(8))
        ]
    );
    let got = h.user_updates(0);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].task_id, id);
}

#[actix_rt::test]
async fn retries_use_new_ids_until_final() {
    let h = Harness::start(settings(), 1, Duration::ZERO);
    let id0 = h.submit(spec("flaky").retries(2)).await;
    assert!(id0.value.starts_with("flaky."));
    h.launch(&id0, "a1").await;
    h.update(status(&id0, TaskState::TaskFailed, "a1", Some(1)))
        .await;
    h.wait_for("second attempt queued", |h| h.places().len() == 2)
        .await;
    let id1 = h.places()[1].clone();
    assert_ne!(id1, id0);
    assert!(id1.value.starts_with("flaky."));

    h.launch(&id1, "a2").await;
    h.update(reconciliation_answer(&id1, TaskState::TaskLost, "a2"))
        .await;
    h.wait_for("third attempt queued", |h| h.places().len() == 3)
        .await;
    let id2 = h.places()[2].clone();
    assert!(id2 != id0 && id2 != id1);

    h.launch(&id2, "a1").await;
    h.update(status(&id2, TaskState::TaskFailed, "a1", Some(3)))
        .await;
    tokio::time::timeout(Duration::from_secs(10), h.tracker.send(WaitFinished))
        .await
        .unwrap()
        .unwrap();

    let got = h.user_updates(0);
    let seen: Vec<_> = got
        .iter()
        .map(|u| (u.task_id.clone(), u.state, u.attempt, u.is_final))
        .collect();
    assert_eq!(
        seen,
        vec![
            (id0.clone(), TaskState::TaskFailed, 0, false),
            (id1.clone(), TaskState::TaskLost, 1, false),
            (id2.clone(), TaskState::TaskFailed, 2, true),
        ]
    );
    assert_eq!(h.places().len(), 3, "no attempt after the last retry");
    let list = h.tracker.send(ListTasks).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].task_id.clone(), list[0].attempt, list[0].is_final),
        (id2.clone(), 2, true)
    );

    // An old attempt coming back to life is killed, not delivered.
    h.update(status(&id0, TaskState::TaskRunning, "a1", Some(9)))
        .await;
    h.wait_for("zombie killed", |h| !h.kills().is_empty()).await;
    assert_eq!(h.kills()[0].task_id, id0);
    h.wait_for("zombie update acked", |h| h.acks().len() == 3)
        .await;
    assert_eq!(h.user_updates(0).len(), 3);
}

#[actix_rt::test]
async fn finished_and_killed_are_never_retried_and_failed_only_if_asked() {
    let h = Harness::start(settings(), 1, Duration::ZERO);
    let mut no_failed = spec("nofail").retries(3);
    no_failed.retry.retry_failed = false;
    let a = h.submit(no_failed).await;
    let b = h.submit(spec("done").retries(3)).await;
    for id in [&a, &b] {
        h.launch(id, "a1").await;
    }
    h.update(status(&a, TaskState::TaskFailed, "a1", Some(1)))
        .await;
    h.update(status(&b, TaskState::TaskFinished, "a1", Some(2)))
        .await;
    tokio::time::timeout(Duration::from_secs(10), h.tracker.send(WaitFinished))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h.places().len(), 2);
    assert!(h.user_updates(0).iter().all(|u| u.is_final));
}

#[actix_rt::test]
async fn user_kill_of_a_launched_task_sends_kill_and_prevents_retries() {
    let h = Harness::start(settings(), 1, Duration::ZERO);
    let id = h
        .submit(
            spec("victim")
                .retries(3)
                .kill_grace_period(Duration::from_secs(2)),
        )
        .await;
    h.launch(&id, "a1").await;
    h.update(status(&id, TaskState::TaskRunning, "a1", Some(1)))
        .await;
    h.tracker.send(KillTask(id.clone())).await.unwrap().unwrap();
    let kills = h.kills();
    assert_eq!(kills.len(), 1);
    assert_eq!(kills[0].task_id, id);
    assert_eq!(kills[0].agent_id.as_ref().unwrap().value, "a1");
    assert_eq!(
        kills[0]
            .kill_policy
            .as_ref()
            .unwrap()
            .grace_period
            .as_ref()
            .unwrap()
            .nanoseconds,
        2_000_000_000
    );
    // Even a retryable terminal state is final after a user kill.
    h.update(status(&id, TaskState::TaskFailed, "a1", Some(2)))
        .await;
    tokio::time::timeout(Duration::from_secs(10), h.tracker.send(WaitFinished))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h.places().len(), 1);
    let last = h.user_updates(0).pop().unwrap();
    assert!(last.is_final);
    assert_eq!(
        h.tracker.send(KillTask(id.clone())).await.unwrap(),
        Err(KillError::AlreadyTerminal(id.value.clone()))
    );
}

#[actix_rt::test]
async fn kill_of_a_pending_task_dequeues_and_reports_killed() {
    let h = Harness::start(settings(), 1, Duration::ZERO);
    let id = h.submit(spec("pending").retries(2)).await;
    h.tracker.send(KillTask(id.clone())).await.unwrap().unwrap();
    tokio::time::timeout(Duration::from_secs(10), h.tracker.send(WaitFinished))
        .await
        .unwrap()
        .unwrap();
    assert!(
        h.entries()
            .iter()
            .any(|e| matches!(e, Entry::Unplace(u, true) if *u == id))
    );
    let got = h.user_updates(0);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].state, TaskState::TaskKilled);
    assert!(got[0].is_final);
    assert_eq!(got[0].status.uuid, None);
    assert_eq!(
        got[0].status.source,
        Some(task_status::Source::Master as i32)
    );
    assert!(h.kills().is_empty() && h.acks().is_empty());
    assert!(
        h.tracker
            .send(LocateTask(id.clone()))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        h.tracker.send(KillTask(TaskId::new("nope"))).await.unwrap(),
        Err(KillError::UnknownTask("nope".into()))
    );
}

#[actix_rt::test]
async fn kill_while_being_launched_kills_on_launch() {
    let h = Harness::start(settings(), 1, Duration::ZERO);
    let id = h.submit(spec("racing")).await;
    // The matcher already put it into an ACCEPT, but Launched has not arrived yet.
    assert!(h.queue.lock().unwrap().remove(&id.value));
    h.tracker.send(KillTask(id.clone())).await.unwrap().unwrap();
    assert!(h.kills().is_empty());
    h.queue.lock().unwrap().insert(id.value.clone());
    h.launch(&id, "a3").await;
    h.wait_for("kill after launch", |h| h.kills().len() == 1)
        .await;
    assert_eq!(h.kills()[0].agent_id.as_ref().unwrap().value, "a3");
}

#[actix_rt::test]
async fn locate_and_validation() {
    let h = Harness::start(settings(), 1, Duration::ZERO);
    let err = h
        .tracker
        .send(Track(mesos_actix::scheduler::TaskSpec::new(
            "nothing-to-run",
        )))
        .await
        .unwrap();
    assert!(matches!(err, Err(SubmitError::Invalid(_))));
    let id = h.submit(spec("where")).await;
    assert!(
        h.tracker
            .send(LocateTask(id.clone()))
            .await
            .unwrap()
            .is_none()
    );
    h.launch(&id, "a9").await;
    let loc = h
        .tracker
        .send(LocateTask(id.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(loc.agent_id.value, "a9");
    assert_eq!(loc.hostname, "a9.example");
    assert_eq!(loc.executor_id.value, id.value);
}

#[actix_rt::test]
async fn wait_finished_resolves_exactly_when_all_are_final() {
    let h = Harness::start(settings(), 1, Duration::from_millis(50));
    // Nothing tracked: at once.
    tokio::time::timeout(Duration::from_secs(10), h.tracker.send(WaitFinished))
        .await
        .unwrap()
        .unwrap();

    let a = h.submit(spec("a")).await;
    let b = h.submit(spec("b")).await;
    let done = [
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    ];
    for flag in &done {
        let (flag, wait) = (flag.clone(), h.tracker.send(WaitFinished));
        actix_rt::spawn(async move {
            wait.await.unwrap();
            flag.store(true, Ordering::SeqCst);
        });
    }
    h.launch(&a, "a1").await;
    h.launch(&b, "a1").await;
    h.update(status(&a, TaskState::TaskFinished, "a1", Some(1)))
        .await;
    h.wait_for("a's ack", |h| h.acks().len() == 1).await;
    h.tracker.send(ListTasks).await.unwrap();
    assert!(
        done.iter().all(|f| !f.load(Ordering::SeqCst)),
        "b is not final yet"
    );

    h.update(status(&b, TaskState::TaskRunning, "a1", Some(2)))
        .await;
    h.update(status(&b, TaskState::TaskKilled, "a1", Some(3)))
        .await;
    eventually("both waiters resolved", || async {
        done.iter().all(|f| f.load(Ordering::SeqCst))
    })
    .await;
    // Resolved only once the final update reached the (slow) user.
    assert!(
        h.user_updates(0)
            .iter()
            .any(|u| u.task_id == b && u.is_final)
    );
}

/// The UPDATE events a real Mesos 1.11 master sent for a command task, then its
/// reconciliation answers (no uuid), decoded from JSON exactly as the master wrote them.
#[actix_rt::test]
async fn real_mesos_command_task_sequence() {
    use mesos_actix::proto::scheduler::Event;
    let h = Harness::start(settings(), 1, Duration::ZERO);
    let id = h.submit(spec("t1")).await;
    h.launch(&id, "abc-S0").await;
    let t = &id.value;
    let events = [
        format!(
            r#"{{"type":"UPDATE","update":{{"status":{{"task_id":{{"value":"{t}"}},"state":"TASK_STARTING","source":"SOURCE_EXECUTOR","agent_id":{{"value":"abc-S0"}},"executor_id":{{"value":"{t}"}},"timestamp":1795547662.775977,"uuid":"GxRCH4TcTriZaGtZk6nj4w==","container_status":{{"container_id":{{"value":"52c26897"}},"network_infos":[{{"ip_addresses":[{{"protocol":"IPv4","ip_address":"127.0.0.1"}}]}}],"executor_pid":1861}}}}}}}}"#
        ),
        format!(
            r#"{{"type":"UPDATE","update":{{"status":{{"task_id":{{"value":"{t}"}},"state":"TASK_RUNNING","source":"SOURCE_EXECUTOR","agent_id":{{"value":"abc-S0"}},"executor_id":{{"value":"{t}"}},"timestamp":1795547662.8,"uuid":"K4eB/nH7SwCz01v5VgislA=="}}}}}}"#
        ),
        format!(
            r#"{{"type":"UPDATE","update":{{"status":{{"task_id":{{"value":"{t}"}},"state":"TASK_FINISHED","message":"Command exited with status 0","source":"SOURCE_EXECUTOR","agent_id":{{"value":"abc-S0"}},"executor_id":{{"value":"{t}"}},"timestamp":1795547663.8,"uuid":"llJDrQBtRLafn0psEnJLVQ=="}}}}}}"#
        ),
        format!(
            r#"{{"type":"UPDATE","update":{{"status":{{"task_id":{{"value":"{t}"}},"state":"TASK_UNKNOWN","message":"Reconciliation: Task is unknown","source":"SOURCE_MASTER","reason":"REASON_RECONCILIATION","timestamp":1795547670.1}}}}}}"#
        ),
        r#"{"type":"UPDATE","update":{"status":{"task_id":{"value":"nope"},"state":"TASK_UNKNOWN","message":"Reconciliation: Task is unknown","source":"SOURCE_MASTER","reason":"REASON_RECONCILIATION","timestamp":1795547670.1}}}"#.to_string(),
    ];
    for json in &events {
        let event: Event = mesos_actix::json::decode(json.as_bytes()).unwrap();
        h.update(event.update.unwrap().status).await;
    }
    tokio::time::timeout(Duration::from_secs(10), h.tracker.send(WaitFinished))
        .await
        .unwrap()
        .unwrap();
    h.wait_for("three acks", |h| h.acks().len() == 3).await;
    let states: Vec<_> = h.user_updates(0).iter().map(|u| u.state).collect();
    assert_eq!(
        states,
        vec![
            TaskState::TaskStarting,
            TaskState::TaskRunning,
            TaskState::TaskFinished
        ]
    );
    let acks = h.calls_of(call::Type::Acknowledge);
    assert!(acks.iter().all(|c| {
        let a = c.acknowledge.as_ref().unwrap();
        a.agent_id.value == "abc-S0"
            && a.task_id == id
            && mesos_actix::proto::is_valid_uuid(&a.uuid)
    }));
    // The reconciliation answers (no uuid) were neither acknowledged nor delivered.
    assert_eq!(h.acks().len(), 3);
}

/// A matcher that is already gone.
struct GoneMatcher;
impl actix::Actor for GoneMatcher {
    type Context = actix::Context<Self>;
    fn started(&mut self, ctx: &mut Self::Context) {
        use actix::ActorContext;
        ctx.stop();
    }
}
impl actix::Handler<mesos_actix::__internals::offer_matcher::Place> for GoneMatcher {
    type Result = ();
    fn handle(&mut self, _: mesos_actix::__internals::offer_matcher::Place, _: &mut Self::Context) {
    }
}
impl actix::Handler<mesos_actix::__internals::offer_matcher::Unplace> for GoneMatcher {
    type Result = bool;
    fn handle(
        &mut self,
        _: mesos_actix::__internals::offer_matcher::Unplace,
        _: &mut Self::Context,
    ) -> bool {
        false
    }
}

#[actix_rt::test]
async fn submit_fails_cleanly_when_the_matcher_is_gone() {
    use actix::Actor;
    let conn = Conn {
        log: Default::default(),
        answer: Arc::new(std::sync::Mutex::new(Ok(()))),
    }
    .start();
    let matcher = GoneMatcher.start();
    eventually("the matcher to stop", || async { !matcher.connected() }).await;
    let tracker = mesos_actix::__internals::task_tracker::TaskTracker::new(
        settings(),
        conn.recipient(),
        matcher.clone().recipient(),
        matcher.recipient(),
        Vec::new(),
    )
    .start();
    assert_eq!(
        tracker.send(Track(spec("x"))).await.unwrap(),
        Err(SubmitError::Stopped)
    );
    assert!(tracker.send(ListTasks).await.unwrap().is_empty());
    tokio::time::timeout(Duration::from_secs(10), tracker.send(WaitFinished))
        .await
        .unwrap()
        .unwrap();
}

/// A batch goes to a matcher without `PlaceAll` as one `Place` per task, in order; a
/// batch with an invalid spec is refused whole.
#[actix_rt::test]
async fn track_all_places_every_task_in_order_or_none() {
    let h = Harness::start(settings(), 1, Duration::ZERO);
    let bad = vec![
        spec("a"),
        mesos_actix::scheduler::TaskSpec::new("")
            .cpus(1.0)
            .command("true"),
    ];
    let err = h.tracker.send(TrackAll(bad)).await.unwrap().unwrap_err();
    assert!(
        matches!(err, SubmitError::InvalidInBatch { index: 1, .. }),
        "{err:?}"
    );
    let ids = h
        .tracker
        .send(TrackAll(vec![spec("a"), spec("b"), spec("c")]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h.places(), ids);
    let listed = h.tracker.send(ListTasks).await.unwrap();
    assert_eq!(listed.len(), 3);
}
