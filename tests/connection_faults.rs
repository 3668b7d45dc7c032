//! MasterConnection against FakeMaster: typed, final errors (ERROR event, 401, other 4xx,
//! failover timeout) and malformed stream bytes (reported, then re-subscribed; no panic).

mod conn_support;

use conn_support::{Log, settings, start, wait_stopped};
use mesos_actix::codec::Encoding;
use mesos_actix::proto::scheduler::{Event, event};
use mesos_actix::proto::{TaskId, TaskStatus};
use mesos_actix::scheduler::MesosErrorKind;
use mesos_actix::testkit::{FakeMaster, Response};

async fn assert_final(
    conn: &actix::Addr<mesos_actix::__internals::master_connection::MasterConnection>,
    log: &Log,
    kind: MesosErrorKind,
) {
    assert!(
        log.wait(|l| !l.errors_of(kind).is_empty()).await,
        "no {kind:?}; saw {:?}",
        log.all()
    );
    assert!(wait_stopped(conn).await, "the connection kept running");
    let disconnects = log.disconnected();
    assert!(!disconnects.last().unwrap().will_retry);
}

#[actix_rt::test]
async fn error_event_on_subscribe_is_typed_and_not_retried() {
    let master = FakeMaster::start().await.unwrap();
    master.respond_next_subscribe(Response::Error("Framework has been removed".into()));
    let (conn, log) = start(settings(vec![master.url()], Encoding::Json));
    assert_final(&conn, &log, MesosErrorKind::ErrorEvent).await;
    let error = &log.errors_of(MesosErrorKind::ErrorEvent)[0];
    assert_eq!(error.message, "Framework has been removed");
    assert_eq!(master.subscribe_count(), 1);
    assert!(log.subscribed().is_empty());
}

#[actix_rt::test]
async fn error_event_mid_stream_stops_the_connection() {
    let master = FakeMaster::start().await.unwrap();
    let (conn, log) = start(settings(vec![master.url()], Encoding::Protobuf));
    log.nth_subscribed(1).await;
    assert!(master.send_event(&Event {
        r#type: Some(event::Type::Error as i32),
        error: Some(event::Error {
            message: "Framework failed over".into(),
        }),
        ..Default::default()
    }));
    assert_final(&conn, &log, MesosErrorKind::ErrorEvent).await;
    assert_eq!(master.subscribe_count(), 1);
}

#[actix_rt::test]
async fn unauthorized_is_typed_and_not_retried() {
    let master = FakeMaster::start().await.unwrap();
    master.require_credentials("principal", "secret");
    let mut s = settings(vec![master.url()], Encoding::Protobuf);
    s.credentials = Some(("principal".into(), "wrong".into()));
    let (conn, log) = start(s);
    assert_final(&conn, &log, MesosErrorKind::Unauthorized).await;
    assert_eq!(master.subscribe_count(), 1);
    assert_eq!(master.calls()[0].status, 401);
}

#[actix_rt::test]
async fn other_client_errors_on_subscribe_are_typed_and_not_retried() {
    let master = FakeMaster::start().await.unwrap();
    master.respond_next_subscribe(Response::status(400, "Framework principal mismatch"));
    let (conn, log) = start(settings(vec![master.url()], Encoding::Json));
    assert_final(&conn, &log, MesosErrorKind::SubscribeRejected).await;
    let error = &log.errors_of(MesosErrorKind::SubscribeRejected)[0];
    assert!(
        error.message.contains("Framework principal mismatch"),
        "{error:?}"
    );
    assert_eq!(master.subscribe_count(), 1);
}

#[actix_rt::test]
async fn gives_up_after_the_failover_timeout() {
    let master = FakeMaster::start().await.unwrap();
    let mut s = settings(vec![master.url()], Encoding::Protobuf);
    s.framework_info.failover_timeout = Some(0.3);
    let (conn, log) = start(s);
    log.nth_subscribed(1).await;
    for _ in 0..1000 {
        master.respond_next_subscribe(Response::status(503, "No leader elected"));
    }
    assert!(master.cut_stream());
    assert_final(&conn, &log, MesosErrorKind::GaveUp).await;
    assert!(master.subscribe_count() >= 2);
    assert_eq!(log.subscribed().len(), 1);
}

/// Sends each bad input in turn; each must be reported as `MalformedStream` and followed
/// by a re-subscription with the same framework id, while the connection keeps running.
async fn malformed_inputs_reconnect(encoding: Encoding, bad: Vec<BadInput>) {
    let master = FakeMaster::start().await.unwrap();
    let (conn, log) = start(settings(vec![master.url()], encoding));
    let first = log.nth_subscribed(1).await;

    // An unknown event type is skipped, not an error (forward compatibility).
    let unknown_type: &[u8] = match encoding {
        Encoding::Protobuf => &[0x08, 99],
        Encoding::Json => br#"{"type":"SOMETHING_NEW"}"#,
    };
    assert!(master.send_record(unknown_type));
    assert!(master.send_offers(vec![master.offer("o1", 1.0, 64.0)]));
    assert!(
        log.wait(|l| l
            .pick(|s| match s {
                conn_support::Seen::Offers(o) => Some(o.clone()),
                _ => None,
            })
            .len()
            == 1)
            .await
    );
    assert!(log.errors().is_empty());

    for (i, (expected, send_bad)) in bad.iter().enumerate() {
        send_bad(&master);
        let round = i + 1;
        assert!(
            log.wait(|l| l.errors_of(MesosErrorKind::MalformedStream).len() >= round)
                .await,
            "input #{i} not reported; saw {:?}",
            log.all()
        );
        let error = &log.errors_of(MesosErrorKind::MalformedStream)[i];
        assert!(
            error.message.contains(expected),
            "{error:?} lacks {expected:?}"
        );
        let again = log.nth_subscribed(round + 1).await;
        assert!(again.resubscribed);
        assert_eq!(again.framework_id, first.framework_id);
    }
    assert_eq!(log.errors().len(), bad.len(), "{:?}", log.errors());
    assert_eq!(log.disconnected().len(), bad.len());
    assert!(log.disconnected().iter().all(|d| d.will_retry));
    assert!(conn.connected());
    assert_eq!(master.subscribe_count(), bad.len() + 1);
}

/// What the error must say, and how to send the bad bytes.
type BadInput = (&'static str, Box<dyn Fn(&FakeMaster)>);

fn common_framing_faults() -> Vec<BadInput> {
    vec![
        // Bad length header.
        (
            "not a digit",
            Box::new(|m: &FakeMaster| assert!(m.send_raw(&b"12x\nabc"[..]))),
        ),
        // Length over the 1 MiB cap of the test settings.
        (
            "exceeds the 1048576-byte cap",
            Box::new(|m: &FakeMaster| assert!(m.send_raw(format!("{}\n", 64 * 1024 * 1024)))),
        ),
        // Truncated record: the stream ends inside it.
        (
            "ended inside a record",
            Box::new(|m: &FakeMaster| {
                assert!(m.send_raw(&b"100\nabc"[..]));
                assert!(m.cut_stream());
            }),
        ),
    ]
}

#[actix_rt::test]
async fn malformed_protobuf_stream_is_reported_and_reconnected() {
    let mut bad = common_framing_faults();
    // Invalid protobuf (a varint cut short).
    bad.push((
        "invalid protobuf",
        Box::new(|m: &FakeMaster| assert!(m.send_record(&[0x08, 0xff]))),
    ));
    // An unknown enum value in a required field (TaskStatus.state = 999).
    bad.push((
        "unknown state 999",
        Box::new(|m: &FakeMaster| {
            assert!(m.send_update(TaskStatus {
                task_id: TaskId::new("t1"),
                state: 999,
                ..Default::default()
            }))
        }),
    ));
    malformed_inputs_reconnect(Encoding::Protobuf, bad).await;
}

#[actix_rt::test]
async fn malformed_json_stream_is_reported_and_reconnected() {
    let mut bad = common_framing_faults();
    // Invalid JSON.
    bad.push((
        "invalid JSON",
        Box::new(|m: &FakeMaster| assert!(m.send_record(br#"{"type":"#))),
    ));
    // An unknown name for a required enum.
    bad.push((
        "TASK_BOGUS",
        Box::new(|m: &FakeMaster| {
            assert!(m.send_record(
                br#"{"type":"UPDATE","update":{"status":{"task_id":{"value":"t1"},"state":"TASK_BOGUS"}}}"#
            ))
        }),
    ));
    malformed_inputs_reconnect(Encoding::Json, bad).await;
}

#[actix_rt::test]
async fn no_usable_master_url_is_a_typed_error() {
    let (conn, log) = start(settings(
        // (`zk://` is detected through ZooKeeper now; see tests/zk_framework.rs.)
        vec!["ftp://127.0.0.1:2181/mesos".into()],
        Encoding::Protobuf,
    ));
    assert_final(&conn, &log, MesosErrorKind::GaveUp).await;
}
