//! Fault suite, partition family: a one-way partition master → framework
//! ([`LocalCluster::partition_events`]). The master keeps accepting the framework's calls
//! but its event stream goes silent: no heartbeats, offers or updates. The framework notices
//! the missing heartbeats, drops the stream, re-subscribes and loses nothing: the updates
//! that fell into the partition are resent by the agents, the queued tasks launch on new
//! offers, zero tasks lost, zero launched twice.

mod local_support;
mod master_faults_support;
mod runtime_support;

use local_support::{Sched, framework, start};
use master_faults_support::{Scenario, wait_until};
use mesos_actix::Encoding;
use mesos_actix::proto::scheduler::{call, event};

#[actix_rt::test]
async fn framework_notices_silent_stream_reconnects_and_loses_nothing() {
    let scenario = Scenario::start("faults-partition").await;
    let cut = scenario.cluster.partition_events(None).await;
    assert_eq!(cut, 1, "the framework's stream is cut");
    // The running tasks finish inside the partition: their updates go nowhere until the
    // framework is back.
    scenario.open_gate();
    wait_until("the framework notices the silence", || {
        scenario
            .disconnects
            .0
            .lock()
            .unwrap()
            .iter()
            .any(|d| d.will_retry && d.reason.contains("no event from the master"))
    })
    .await;
    wait_until("the framework re-subscribes", || {
        scenario.subscriptions() >= 2
    })
    .await;
    scenario.finish_and_check().await;
}

/// The partition itself, seen by a raw scheduler: calls keep answering 202 while the stream
/// carries nothing; a new subscription gets a working stream.
#[actix_rt::test]
async fn partitioned_stream_is_silent_while_calls_succeed() {
    let cluster = start(1).await;
    let mut info = framework("raw-partition");
    info.failover_timeout = Some(3600.0);
    let mut old = Sched::subscribe(&cluster.url(), Encoding::Json, info.clone()).await;
    let id = old.framework_id.clone();
    assert_eq!(cluster.partition_events(Some("no-such-framework")).await, 0);
    assert_eq!(cluster.partition_events(Some(&id)).await, 1);

    // A RECONCILE of an unknown task is answered with an UPDATE event: it must not arrive.
    let probe = |sched: &Sched| {
        let mut c = sched.call(call::Type::Reconcile);
        c.reconcile = Some(call::Reconcile {
            tasks: vec![call::reconcile::Task {
                task_id: "probe".into(),
                agent_id: None,
            }],
        });
        c
    };
    let (code, body) = old.post(&probe(&old)).await;
    assert_eq!(code, 202, "calls succeed during the partition: {body:?}");
    let (code, _) = old.post(&old.call(call::Type::Revive)).await;
    assert_eq!(code, 202);

    info.id = Some(id.as_str().into());
    let mut new = Sched::subscribe(&cluster.url(), Encoding::Json, info).await;
    assert_eq!(new.framework_id, id);
    // The old stream ends (replaced) without having carried anything after the cut.
    let mut after_cut = Vec::new();
    while let Ok(Some(ev)) = tokio::time::timeout(local_support::WAIT, old.events.recv()).await {
        after_cut.push(ev);
    }
    assert!(
        !after_cut
            .iter()
            .any(|e| e.update.is_some() || e.r#type() == event::Type::Error),
        "the cut stream stayed silent: {after_cut:?}"
    );
    let (code, _) = new.post(&probe(&new)).await;
    assert_eq!(code, 202);
    let update = new
        .wait_for("the probe's answer", |e| e.update.is_some())
        .await;
    assert_eq!(update.update.unwrap().status.task_id.value, "probe");
    cluster.stop().await;
}
