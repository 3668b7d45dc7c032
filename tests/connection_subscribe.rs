//! MasterConnection against FakeMaster: subscribing in both encodings, events routed to
//! their sinks, calls carrying `Mesos-Stream-Id` and the framework id, auth, stopping.

mod conn_support;

use conn_support::{Seen, WAIT, closed_port_url, settings, start, wait_stopped};
use mesos_actix::__internals::master_connection::{CallError, GetFrameworkId, SendCall, Stop};
use mesos_actix::codec::Encoding;
use mesos_actix::proto::scheduler::{Call, Event, call, event};
use mesos_actix::proto::{AgentId, ExecutorId, OfferId, TaskId, TaskState, TaskStatus};
use mesos_actix::testkit::FakeMaster;

fn call(kind: call::Type) -> Call {
    Call {
        r#type: Some(kind as i32),
        ..Default::default()
    }
}

async fn subscribe_route_and_call(encoding: Encoding) {
    let master = FakeMaster::start().await.unwrap();
    let (conn, log) = start(settings(vec![master.url()], encoding));
    let subscribed = log.nth_subscribed(1).await;
    let framework_id = master.framework_id().unwrap();
    assert_eq!(subscribed.framework_id, framework_id);
    assert!(!subscribed.resubscribed);
    assert_eq!(
        subscribed.master_url,
        format!("{}/api/v1/scheduler", master.url())
    );
    assert_eq!(master.stream_encoding(), Some(encoding));

    // The SUBSCRIBE itself: exact media types, no stream id, no framework id yet.
    let sub = master
        .calls()
        .into_iter()
        .find(|c| c.is_subscribe())
        .unwrap();
    assert_eq!(sub.header("content-type"), Some(encoding.content_type()));
    assert_eq!(sub.header("accept"), Some(encoding.content_type()));
    assert_eq!(sub.mesos_stream_id(), None);
    assert_eq!(sub.framework_id(), None);
    let info = &sub
        .call
        .as_ref()
        .unwrap()
        .subscribe
        .as_ref()
        .unwrap()
        .framework_info;
    assert_eq!(info.id, None);
    assert_eq!(info.name, "conn-test");

    // Events reach their sinks.
    let offer = master.offer("o1", 2.0, 512.0);
    assert!(master.send_offers(vec![offer.clone()]));
    let status = TaskStatus {
        task_id: TaskId::new("t1"),
        state: TaskState::TaskRunning as i32,
        agent_id: Some(AgentId::new("fake-agent-S0")),
        uuid: Some(mesos_actix::proto::new_uuid_bytes()),
        ..Default::default()
    };
    assert!(master.send_update(status.clone()));
    assert!(master.send_events(&[
        Event {
            r#type: Some(event::Type::Rescind as i32),
            rescind: Some(event::Rescind {
                offer_id: OfferId::new("o1"),
            }),
            ..Default::default()
        },
        Event {
            r#type: Some(event::Type::Message as i32),
            message: Some(event::Message {
                agent_id: AgentId::new("fake-agent-S0"),
                executor_id: ExecutorId::new("e1"),
                data: b"hello".to_vec(),
            }),
            ..Default::default()
        },
        Event {
            r#type: Some(event::Type::Failure as i32),
            failure: Some(event::Failure {
                agent_id: Some(AgentId::new("fake-agent-S0")),
                executor_id: Some(ExecutorId::new("e1")),
                status: Some(3 << 8),
            }),
            ..Default::default()
        },
    ]));
    assert!(log.wait(|l| l.all().len() >= 6).await, "{:?}", log.all());
    let seen = log.all();
    assert!(matches!(&seen[1], Seen::Offers(o) if o.0 == vec![offer.clone()]));
    assert!(matches!(&seen[2], Seen::Update(u) if u.0 == status));
    assert!(matches!(&seen[3], Seen::Rescind(r) if r.0 == OfferId::new("o1")));
    assert!(
        matches!(&seen[4], Seen::Message(m) if m.data == b"hello" && m.executor_id == ExecutorId::new("e1"))
    );
    assert!(matches!(&seen[5], Seen::Failure(f) if f.exit_code() == Some(3)));

    // A call carries the stream id, the framework id and the media type.
    conn.send(SendCall(call(call::Type::Revive)))
        .await
        .unwrap()
        .unwrap();
    let revive = master
        .wait_for_call(|c| c.call_type() == Some(call::Type::Revive), WAIT)
        .await
        .unwrap();
    assert_eq!(revive.status, 202);
    assert_eq!(revive.mesos_stream_id(), master.stream_id().as_deref());
    assert_eq!(revive.framework_id(), Some(&framework_id));
    assert_eq!(revive.header("content-type"), Some(encoding.content_type()));

    // A call the master refuses comes back typed.
    let mut bad_ack = call(call::Type::Acknowledge);
    bad_ack.acknowledge = Some(call::Acknowledge {
        agent_id: AgentId::new("fake-agent-S0"),
        task_id: TaskId::new("t1"),
        uuid: vec![1, 2, 3],
    });
    match conn.send(SendCall(bad_ack)).await.unwrap() {
        Err(CallError::Rejected { status: 400, body }) => {
            assert!(body.contains("Not a valid UUID"), "{body}")
        }
        other => panic!("expected a 400, got {other:?}"),
    }

    assert_eq!(
        conn.send(GetFrameworkId).await.unwrap(),
        Some(framework_id.clone())
    );

    // Teardown: TEARDOWN is sent, then the actor stops.
    conn.send(Stop::Teardown).await.unwrap();
    let teardown = master
        .wait_for_call(|c| c.call_type() == Some(call::Type::Teardown), WAIT)
        .await
        .unwrap();
    assert_eq!(teardown.status, 202);
    assert!(wait_stopped(&conn).await);
    assert!(log.disconnected().iter().any(|d| !d.will_retry));
    assert_eq!(master.subscribe_count(), 1);
}

#[actix_rt::test]
async fn subscribe_protobuf_routes_events_and_calls_carry_ids() {
    subscribe_route_and_call(Encoding::Protobuf).await;
}

#[actix_rt::test]
async fn subscribe_json_routes_events_and_calls_carry_ids() {
    subscribe_route_and_call(Encoding::Json).await;
}

#[actix_rt::test]
async fn calls_fail_fast_when_not_subscribed() {
    let (conn, _log) = start(settings(vec![closed_port_url()], Encoding::Protobuf));
    let result = conn.send(SendCall(call(call::Type::Revive))).await.unwrap();
    assert_eq!(result, Err(CallError::NotSubscribed));
    conn.send(Stop::Failover).await.unwrap();
    assert!(wait_stopped(&conn).await);
}

#[actix_rt::test]
async fn basic_auth_on_subscribe_and_calls() {
    let master = FakeMaster::start().await.unwrap();
    master.require_credentials("principal", "secret");
    let mut s = settings(vec![master.url()], Encoding::Json);
    s.credentials = Some(("principal".into(), "secret".into()));
    let (conn, log) = start(s);
    log.nth_subscribed(1).await;
    conn.send(SendCall(call(call::Type::Suppress)))
        .await
        .unwrap()
        .unwrap();
    let expected = "Basic cHJpbmNpcGFsOnNlY3JldA==";
    let calls = master.calls();
    assert_eq!(calls.len(), 2);
    assert!(
        calls
            .iter()
            .all(|c| c.header("authorization") == Some(expected))
    );
    assert!(calls.iter().all(|c| c.status < 300));
}

#[actix_rt::test]
async fn failover_stop_closes_without_teardown() {
    let master = FakeMaster::start().await.unwrap();
    let (conn, log) = start(settings(vec![master.url()], Encoding::Protobuf));
    log.nth_subscribed(1).await;
    conn.send(Stop::Failover).await.unwrap();
    assert!(wait_stopped(&conn).await);
    assert!(log.disconnected().iter().any(|d| !d.will_retry));
    assert!(
        master
            .calls()
            .iter()
            .all(|c| c.call_type() != Some(call::Type::Teardown))
    );
    assert_eq!(master.subscribe_count(), 1);
}

#[actix_rt::test]
async fn resuming_a_known_framework_sets_both_ids_from_the_start() {
    let master = FakeMaster::start().await.unwrap();
    let known = mesos_actix::proto::FrameworkId::new("known-0042");
    let mut s = settings(vec![master.url()], Encoding::Protobuf);
    s.framework_info.id = Some(known.clone());
    s.framework_info.failover_timeout = Some(3600.0);
    let (_conn, log) = start(s);
    let subscribed = log.nth_subscribed(1).await;
    assert_eq!(subscribed.framework_id, known);
    let sub = &master.calls()[0];
    assert_eq!(sub.status, 200);
    assert_eq!(sub.framework_id(), Some(&known));
    let info = &sub
        .call
        .as_ref()
        .unwrap()
        .subscribe
        .as_ref()
        .unwrap()
        .framework_info;
    assert_eq!(info.id.as_ref(), Some(&known));
    assert_eq!(info.failover_timeout, Some(3600.0));
}

#[actix_rt::test]
async fn slow_calls_run_concurrently_and_do_not_block_the_mailbox() {
    let master = FakeMaster::start().await.unwrap();
    let (conn, log) = start(settings(vec![master.url()], Encoding::Protobuf));
    log.nth_subscribed(1).await;
    master.hold_calls(true);
    let first = actix_rt::spawn(conn.send(SendCall(call(call::Type::Revive))));
    // (Not SUPPRESS: it shares REVIVE's connection, to keep their order, so it would wait
    // for REVIVE's answer.)
    let mut reconcile = call(call::Type::Reconcile);
    reconcile.reconcile = Some(Default::default());
    let second = actix_rt::spawn(conn.send(SendCall(reconcile)));
    // Both reach the master while neither is answered, and the mailbox still serves.
    for kind in [call::Type::Revive, call::Type::Reconcile] {
        assert!(
            master
                .wait_for_call(|c| c.call_type() == Some(kind), WAIT)
                .await
                .is_some()
        );
    }
    assert!(conn.send(GetFrameworkId).await.unwrap().is_some());
    assert!(!first.is_finished() && !second.is_finished());
    master.hold_calls(false);
    first.await.unwrap().unwrap().unwrap();
    second.await.unwrap().unwrap().unwrap();
}

/// Records as a real Mesos 1.11 master sent them (reference/real-mesos-1.11-samples.md).
const REAL_OFFERS: &str = r#"{"type":"OFFERS","offers":{"offers":[{"id":{"value":"a1-O1"},"framework_id":{"value":"a1-0001"},"agent_id":{"value":"a1-S0"},"hostname":"localhost","url":{"scheme":"http","address":{"hostname":"localhost","ip":"127.0.0.1","port":5151},"path":"/slave(1)"},"resources":[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]},"role":"*","allocation_info":{"role":"*"}},{"name":"cpus","type":"SCALAR","scalar":{"value":2.0},"role":"*","allocation_info":{"role":"*"}},{"name":"mem","type":"SCALAR","scalar":{"value":23081.0},"role":"*","allocation_info":{"role":"*"}},{"name":"disk","type":"SCALAR","scalar":{"value":252899.0},"role":"*","allocation_info":{"role":"*"}}],"allocation_info":{"role":"*"}}]}}"#;
const REAL_UPDATE: &str = r#"{"type":"UPDATE","update":{"status":{"task_id":{"value":"t1"},"state":"TASK_STARTING","source":"SOURCE_EXECUTOR","agent_id":{"value":"a1-S0"},"executor_id":{"value":"t1"},"timestamp":1795547662.775977,"uuid":"GxRCH4TcTriZaGtZk6nj4w==","container_status":{"container_id":{"value":"52c26897-1"},"network_infos":[{"ip_addresses":[{"protocol":"IPv4","ip_address":"127.0.0.1"}]}],"executor_pid":1861}}}}"#;
const REAL_MESSAGE: &str = r#"{"type":"MESSAGE","message":{"agent_id":{"value":"a1-S0"},"executor_id":{"value":"rawexec"},"data":"aGVsbG8gc2NoZWR1bGVy"}}"#;
const REAL_FAILURE: &str = r#"{"type":"FAILURE","failure":{"agent_id":{"value":"a1-S0"},"executor_id":{"value":"envdump"},"status":9}}"#;

#[actix_rt::test]
async fn real_mesos_json_records_decode() {
    let master = FakeMaster::start().await.unwrap();
    let (_conn, log) = start(settings(vec![master.url()], Encoding::Json));
    log.nth_subscribed(1).await;
    for record in [REAL_OFFERS, REAL_UPDATE, REAL_MESSAGE, REAL_FAILURE] {
        assert!(master.send_record(record.as_bytes()));
    }
    assert!(log.wait(|l| l.all().len() >= 5).await, "{:?}", log.all());
    assert!(log.errors().is_empty(), "{:?}", log.errors());
    let seen = log.all();
    assert!(matches!(&seen[1], Seen::Offers(o) if o.0.len() == 1 && o.0[0].resources.len() == 4));
    match &seen[2] {
        Seen::Update(u) => {
            assert_eq!(u.0.state(), TaskState::TaskStarting);
            assert_eq!(u.0.uuid.as_ref().map(Vec::len), Some(16));
        }
        other => panic!("expected an update, got {other:?}"),
    }
    assert!(matches!(&seen[3], Seen::Message(m) if m.data == b"hello scheduler"));
    assert!(matches!(&seen[4], Seen::Failure(f) if f.status == Some(9) && f.exit_code().is_none()));
}
