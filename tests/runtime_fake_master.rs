//! The whole scheduler runtime against the test kit's `FakeMaster`: what the facts sheet
//! says a real master expects to see (acknowledgements, stream ids, re-subscription,
//! forgotten offers, reconciliation), through the public `Framework` API only.

mod runtime_support;

use actix::prelude::*;
use mesos_actix::Encoding;
use mesos_actix::proto::scheduler::call::Type as CallType;
use mesos_actix::proto::{FrameworkInfo, TaskState, TaskStatus, new_uuid_bytes};
use mesos_actix::scheduler::{Framework, PendingReason, RuntimeConfig, ShutdownMode, TaskSpec};
use mesos_actix::testkit::{FakeMaster, RecordedCall};
use runtime_support::Recorder;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

fn fast_config() -> RuntimeConfig {
    RuntimeConfig {
        backoff_initial_secs: 0.05,
        backoff_max_secs: 0.2,
        offer_hold_secs: 60.0,
        reconcile_backoff_initial_secs: 0.2,
        ..Default::default()
    }
}

async fn start(master: &FakeMaster, encoding: Encoding, recorder: &Recorder) -> Framework {
    let framework = Framework::builder(FrameworkInfo::new("runtime-fake-master"))
        .config(fast_config())
        .master(master.url())
        .encoding(encoding)
        .failover_timeout(Duration::from_secs(3600))
        .on_update(recorder.clone().start().recipient())
        .start()
        .await
        .unwrap();
    framework.wait_subscribed(WAIT).await.unwrap();
    framework
}

fn body(c: &RecordedCall) -> mesos_actix::proto::scheduler::Call {
    c.call.clone().unwrap_or_default()
}

fn launched_task_ids(call: &RecordedCall) -> Vec<String> {
    body(call)
        .accept
        .iter()
        .flat_map(|a| &a.operations)
        .filter_map(|op| op.launch.as_ref())
        .flat_map(|l| &l.task_infos)
        .map(|t| t.task_id.value.clone())
        .collect()
}

fn status(task_id: &str, state: TaskState, uuid: Option<Vec<u8>>) -> TaskStatus {
    TaskStatus {
        task_id: task_id.into(),
        state: state as i32,
        agent_id: Some("fake-agent-S0".into()),
        uuid,
        ..Default::default()
    }
}

async fn launch_update_ack_finish(encoding: Encoding) {
    let master = FakeMaster::start().await.unwrap();
    let recorder = Recorder::default();
    let framework = start(&master, encoding, &recorder).await;
    let task_id = framework
        .submit(TaskSpec::new("t").cpus(1.0).mem(64.0).command("true"))
        .await
        .unwrap();
    assert!(master.send_offers(vec![master.offer("O1", 2.0, 256.0)]));
    let accept = master
        .wait_for_call(|c| c.call_type() == Some(CallType::Accept), WAIT)
        .await
        .expect("an ACCEPT");
    assert_eq!(launched_task_ids(&accept), vec![task_id.value.clone()]);
    assert_eq!(accept.mesos_stream_id(), master.stream_id().as_deref());
    assert_eq!(accept.framework_id(), master.framework_id().as_ref());

    // An update without uuid (as reconciliation answers) is delivered, never acknowledged.
    master.send_update(status(&task_id.value, TaskState::TaskRunning, None));
    let uuid = new_uuid_bytes();
    master.send_update(status(
        &task_id.value,
        TaskState::TaskFinished,
        Some(uuid.clone()),
    ));
    let ack = master
        .wait_for_call(|c| c.call_type() == Some(CallType::Acknowledge), WAIT)
        .await
        .expect("an ACKNOWLEDGE");
    let ack_body = body(&ack).acknowledge.clone().unwrap();
    assert_eq!(ack_body.uuid, uuid);
    assert_eq!(ack_body.task_id, task_id);
    assert_eq!(ack_body.agent_id.value, "fake-agent-S0");
    tokio::time::timeout(WAIT, framework.wait_finished())
        .await
        .unwrap()
        .unwrap();
    let acks = master
        .calls()
        .iter()
        .filter(|c| c.call_type() == Some(CallType::Acknowledge))
        .count();
    assert_eq!(acks, 1, "only the update with a uuid is acknowledged");
    let states: Vec<_> = recorder
        .heard
        .lock()
        .unwrap()
        .updates
        .iter()
        .map(|u| u.state)
        .collect();
    assert_eq!(
        states,
        vec![TaskState::TaskRunning, TaskState::TaskFinished]
    );
    framework.shutdown(ShutdownMode::Teardown).await;
    assert!(
        master
            .wait_for_call(|c| c.call_type() == Some(CallType::Teardown), WAIT)
            .await
            .is_some(),
        "shutdown with teardown sends TEARDOWN"
    );
}

#[actix_rt::test]
async fn launch_update_ack_finish_protobuf() {
    launch_update_ack_finish(Encoding::Protobuf).await;
}

#[actix_rt::test]
async fn launch_update_ack_finish_json() {
    launch_update_ack_finish(Encoding::Json).await;
}

#[actix_rt::test]
async fn cut_stream_resubscribes_forgets_offers_reconciles_and_never_launches_twice() {
    let master = FakeMaster::start().await.unwrap();
    let recorder = Recorder::default();
    let framework = start(&master, Encoding::Protobuf, &recorder).await;
    let framework_id = master.framework_id().unwrap();
    let running = framework
        .submit(
            TaskSpec::new("running")
                .cpus(1.0)
                .mem(64.0)
                .command("sleep 100"),
        )
        .await
        .unwrap();
    master.send_offers(vec![master.offer("O1", 1.0, 64.0)]);
    master
        .wait_for_call(|c| c.call_type() == Some(CallType::Accept), WAIT)
        .await
        .expect("first task accepted");
    master.send_update(status(
        &running.value,
        TaskState::TaskRunning,
        Some(new_uuid_bytes()),
    ));
    assert!(recorder.wait_until(WAIT, |h| h.updates.len() == 1).await);

    // A big task is pending; a too-small offer is held (offer_hold is long).
    let big = framework
        .submit(TaskSpec::new("big").cpus(4.0).mem(64.0).command("true"))
        .await
        .unwrap();
    master.send_offers(vec![master.offer("O-small", 1.0, 64.0)]);
    // Wait until the matcher has considered (and kept) the small offer for the big task.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let reason = framework.why_pending(&big).await.unwrap();
        if matches!(reason, Some(PendingReason::Rejected(ref r)) if !r.is_empty())
            || matches!(reason, Some(PendingReason::NeverFits { .. }))
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "small offer never considered: {reason:?}"
        );
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
    let old_stream = master.stream_id();

    assert!(master.cut_stream());
    assert!(master.wait_for_subscribes(2, WAIT).await, "re-subscribed");
    let resubscribe = master
        .calls()
        .into_iter()
        .filter(|c| c.is_subscribe())
        .nth(1)
        .unwrap();
    assert_eq!(
        body(&resubscribe).framework_id.as_ref(),
        Some(&framework_id)
    );
    let info_id = body(&resubscribe)
        .subscribe
        .as_ref()
        .and_then(|s| s.framework_info.id.clone());
    assert_eq!(
        info_id.as_ref(),
        Some(&framework_id),
        "framework id in both places"
    );
    assert_ne!(master.stream_id(), old_stream);

    // Reconciliation of the non-terminal launched task, on the new stream.
    let reconcile = master
        .wait_for_call(
            |c| {
                c.call_type() == Some(CallType::Reconcile)
                    && body(c)
                        .reconcile
                        .as_ref()
                        .is_some_and(|r| r.tasks.iter().any(|t| t.task_id == running))
            },
            WAIT,
        )
        .await
        .expect("explicit reconciliation after re-subscribing");
    assert_eq!(reconcile.mesos_stream_id(), master.stream_id().as_deref());

    // The old offer is gone: the big task goes to a new offer, and O-small is never named
    // by any call on the new stream.
    master.send_offers(vec![master.offer("O-big", 8.0, 256.0)]);
    let accept = master
        .wait_for_call(
            |c| {
                c.call_type() == Some(CallType::Accept) && launched_task_ids(c).contains(&big.value)
            },
            WAIT,
        )
        .await
        .expect("big task accepted on the new offer");
    assert_eq!(
        body(&accept).accept.as_ref().unwrap().offer_ids[0].value,
        "O-big"
    );
    let new_stream = master.stream_id();
    let calls = master.calls();
    let names_small = calls
        .iter()
        .filter(|c| c.mesos_stream_id() == new_stream.as_deref())
        .any(|c| {
            let b = body(c);
            let accept = b.accept.iter().flat_map(|a| &a.offer_ids);
            let decline = b.decline.iter().flat_map(|d| &d.offer_ids);
            accept.chain(decline).any(|o| o.value == "O-small")
        });
    assert!(
        !names_small,
        "an offer of the old subscription was used after re-subscribing"
    );
    let launches_of_running = calls
        .iter()
        .flat_map(launched_task_ids)
        .filter(|id| *id == running.value)
        .count();
    assert_eq!(launches_of_running, 1, "no task launched twice");
    framework.shutdown(ShutdownMode::Failover).await;
}

#[actix_rt::test]
async fn unauthorized_surfaces_as_a_typed_error() {
    let master = FakeMaster::start().await.unwrap();
    master.require_credentials("p", "s");
    let framework = Framework::builder(FrameworkInfo::new("no-creds"))
        .config(fast_config())
        .master(master.url())
        .start()
        .await
        .unwrap();
    let err = framework.wait_subscribed(WAIT).await.unwrap_err();
    assert!(
        err.to_string().contains("401") || err.to_string().to_lowercase().contains("unauthorized"),
        "{err}"
    );
    assert_eq!(master.subscribe_count(), 1, "no retry loop on 401");
    let with_creds = Framework::builder(FrameworkInfo::new("creds"))
        .config(fast_config())
        .master(master.url())
        .credentials("p", "s")
        .start()
        .await
        .unwrap();
    with_creds.wait_subscribed(WAIT).await.unwrap();
}

/// Raw mode: the user's actor gets the offers and answers them itself.
struct RawUser {
    offers: std::sync::Arc<std::sync::Mutex<Vec<mesos_actix::proto::Offer>>>,
}

impl Actor for RawUser {
    type Context = Context<Self>;
}

impl Handler<mesos_actix::scheduler::Offers> for RawUser {
    type Result = ();
    fn handle(&mut self, msg: mesos_actix::scheduler::Offers, _: &mut Context<Self>) {
        self.offers.lock().unwrap().extend(msg.0);
    }
}

impl Handler<mesos_actix::scheduler::Rescind> for RawUser {
    type Result = ();
    fn handle(&mut self, _: mesos_actix::scheduler::Rescind, _: &mut Context<Self>) {}
}

#[actix_rt::test]
async fn raw_mode_hands_offers_to_the_user_and_delivers_its_tasks_updates() {
    use mesos_actix::proto::scheduler::{Call, call};
    let master = FakeMaster::start().await.unwrap();
    let offers = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let user = RawUser {
        offers: offers.clone(),
    }
    .start();
    let recorder = Recorder::default();
    let framework = Framework::builder(FrameworkInfo::new("raw"))
        .config(fast_config())
        .master(master.url())
        .raw_offers(user.clone().recipient(), user.recipient())
        .on_update(recorder.clone().start().recipient())
        .start()
        .await
        .unwrap();
    framework.wait_subscribed(WAIT).await.unwrap();
    master.send_offers(vec![master.offer("R1", 1.0, 64.0)]);
    let deadline = std::time::Instant::now() + WAIT;
    while offers.lock().unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "raw offers never arrived"
        );
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
    let offer_id = offers.lock().unwrap()[0].id.clone();
    let decline = Call {
        r#type: Some(call::Type::Decline as i32),
        decline: Some(call::Decline {
            offer_ids: vec![offer_id],
            filters: None,
        }),
        ..Default::default()
    };
    framework.call(decline).await.unwrap();
    let declined = master
        .wait_for_call(|c| c.call_type() == Some(CallType::Decline), WAIT)
        .await;
    assert!(declined.is_some(), "the user's DECLINE reached the master");
    master.send_update(status(
        "users-own-task",
        TaskState::TaskRunning,
        Some(new_uuid_bytes()),
    ));
    assert!(
        recorder
            .wait_until(WAIT, |h| h
                .updates
                .iter()
                .any(|u| u.task_id.value == "users-own-task"))
            .await
    );
    assert!(
        master
            .wait_for_call(|c| c.call_type() == Some(CallType::Acknowledge), WAIT)
            .await
            .is_some(),
        "raw-mode updates are acknowledged after delivery"
    );
}
