//! MasterConnection against FakeMaster: re-subscription after a cut stream or silent
//! heartbeats, 307 leader redirects, 503 retries, and a master list with dead entries.

mod conn_support;

use conn_support::{WAIT, closed_port_url, settings, start};
use mesos_actix::__internals::master_connection::SendCall;
use mesos_actix::codec::Encoding;
use mesos_actix::proto::scheduler::{Call, call};
use mesos_actix::testkit::{FakeMaster, RecordedCall, Response};

fn revive() -> Call {
    Call {
        r#type: Some(call::Type::Revive as i32),
        ..Default::default()
    }
}

/// A re-SUBSCRIBE: the framework id in both places, no stream id.
fn assert_resubscribe(sub: &RecordedCall, framework_id: &mesos_actix::proto::FrameworkId) {
    assert!(sub.is_subscribe());
    assert_eq!(sub.framework_id(), Some(framework_id));
    let info = &sub
        .call
        .as_ref()
        .unwrap()
        .subscribe
        .as_ref()
        .unwrap()
        .framework_info;
    assert_eq!(info.id.as_ref(), Some(framework_id));
    assert_eq!(sub.mesos_stream_id(), None);
}

#[actix_rt::test]
async fn cut_stream_resubscribes_with_the_framework_id_and_new_stream_id() {
    let master = FakeMaster::start().await.unwrap();
    let (conn, log) = start(settings(vec![master.url()], Encoding::Json));
    let first = log.nth_subscribed(1).await;
    let old_stream = master.stream_id().unwrap();
    conn.send(SendCall(revive())).await.unwrap().unwrap();

    assert!(master.cut_stream());
    let second = log.nth_subscribed(2).await;
    assert!(second.resubscribed);
    assert_eq!(second.framework_id, first.framework_id);
    let disconnects = log.disconnected();
    assert_eq!(disconnects.len(), 1);
    assert!(disconnects[0].will_retry);

    let subs: Vec<_> = master
        .calls()
        .into_iter()
        .filter(|c| c.is_subscribe())
        .collect();
    assert_eq!(subs.len(), 2);
    assert_resubscribe(&subs[1], &first.framework_id);

    // Later calls use the new stream id and are accepted.
    let new_stream = master.stream_id().unwrap();
    assert_ne!(new_stream, old_stream);
    assert_eq!(
        subs[1].assigned_stream_id.as_deref(),
        Some(new_stream.as_str())
    );
    conn.send(SendCall(revive())).await.unwrap().unwrap();
    let revives: Vec<_> = master
        .calls()
        .into_iter()
        .filter(|c| c.call_type() == Some(call::Type::Revive))
        .collect();
    assert_eq!(revives.len(), 2);
    assert_eq!(revives[0].mesos_stream_id(), Some(old_stream.as_str()));
    assert_eq!(revives[1].mesos_stream_id(), Some(new_stream.as_str()));
    assert!(revives.iter().all(|c| c.status == 202));
}

#[actix_rt::test]
async fn silent_heartbeats_trigger_the_watchdog() {
    let master = FakeMaster::start().await.unwrap();
    master.set_heartbeat_interval(0.1);
    let (_conn, log) = start(settings(vec![master.url()], Encoding::Protobuf));
    let first = log.nth_subscribed(1).await;
    assert_eq!(first.heartbeat_interval.as_millis(), 100);

    master.stall_heartbeats(true);
    assert!(log.wait(|l| !l.disconnected().is_empty()).await);
    master.stall_heartbeats(false);
    let reason = &log.disconnected()[0];
    assert!(reason.will_retry);
    assert!(reason.reason.contains("no event"), "{reason:?}");
    let second = log.nth_subscribed(2).await;
    assert!(second.resubscribed);
    assert_eq!(second.framework_id, first.framework_id);
    let subs: Vec<_> = master
        .calls()
        .into_iter()
        .filter(|c| c.is_subscribe())
        .collect();
    assert_resubscribe(&subs[1], &first.framework_id);
}

#[actix_rt::test]
async fn redirect_moves_subscription_and_every_later_call_to_the_leader() {
    let follower = FakeMaster::start().await.unwrap();
    let leader = FakeMaster::start().await.unwrap();
    follower.respond_next_subscribe(Response::redirect_to(&leader));
    let (conn, log) = start(settings(vec![follower.url()], Encoding::Protobuf));
    let subscribed = log.nth_subscribed(1).await;
    let leader_url = format!("http://localhost:{}/master/api/v1/scheduler", leader.port());
    assert_eq!(subscribed.master_url, leader_url);
    assert_eq!(subscribed.framework_id, leader.framework_id().unwrap());

    conn.send(SendCall(revive())).await.unwrap().unwrap();
    let revive = leader
        .wait_for_call(|c| c.call_type() == Some(call::Type::Revive), WAIT)
        .await
        .unwrap();
    assert_eq!(revive.path, "/master/api/v1/scheduler");
    assert_eq!(revive.mesos_stream_id(), leader.stream_id().as_deref());

    // A later re-subscription goes to the leader directly.
    assert!(leader.cut_stream());
    log.nth_subscribed(2).await;
    assert_eq!(follower.calls().len(), 1);
    assert_eq!(follower.calls()[0].status, 307);
    assert_eq!(leader.subscribe_count(), 2);
    assert!(
        leader
            .calls()
            .iter()
            .all(|c| c.path == "/master/api/v1/scheduler")
    );
}

#[actix_rt::test]
async fn service_unavailable_is_retried() {
    let master = FakeMaster::start().await.unwrap();
    master.respond_next_subscribe(Response::status(503, "No leader elected"));
    master.respond_next_subscribe(Response::status(503, "Master has not finished recovery"));
    let (_conn, log) = start(settings(vec![master.url()], Encoding::Json));
    log.nth_subscribed(1).await;
    let statuses: Vec<u16> = master.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![503, 503, 200]);
    assert!(log.errors().is_empty(), "{:?}", log.errors());
}

#[actix_rt::test]
async fn master_list_with_two_dead_masters_still_subscribes() {
    for position in 0..3 {
        let master = FakeMaster::start().await.unwrap();
        let mut masters = vec![closed_port_url(), closed_port_url()];
        masters.insert(position, master.url());
        let (_conn, log) = start(settings(masters, Encoding::Protobuf));
        let subscribed = log.nth_subscribed(1).await;
        assert_eq!(subscribed.framework_id, master.framework_id().unwrap());
        assert_eq!(master.subscribe_count(), 1);
    }
}
