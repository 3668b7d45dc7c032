//! FakeMaster answers malformed requests the way a real master does (facts sheet §0, §1.1).

use mesos_actix::codec::Encoding;
use mesos_actix::proto::FrameworkInfo;
use mesos_actix::proto::scheduler::{Call, call};
use mesos_actix::testkit::FakeMaster;

fn subscribe(framework_id: Option<&str>, info_id: Option<&str>) -> Call {
    let mut info = FrameworkInfo::new("fake-test");
    info.id = info_id.map(mesos_actix::proto::FrameworkId::new);
    Call {
        framework_id: framework_id.map(mesos_actix::proto::FrameworkId::new),
        r#type: Some(call::Type::Subscribe as i32),
        subscribe: Some(call::Subscribe {
            framework_info: info,
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn post(
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (
    u16,
    awc::ClientResponse<
        impl futures_util::Stream<Item = Result<bytes::Bytes, awc::error::PayloadError>>,
    >,
) {
    let client = awc::Client::default();
    let mut request = client.post(format!("{url}/api/v1/scheduler"));
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    let response = request.send_body(body).await.unwrap();
    (response.status().as_u16(), response)
}

#[actix_rt::test]
async fn validates_like_a_real_master() {
    let master = FakeMaster::start().await.unwrap();
    let url = master.url();
    let pb = Encoding::Protobuf;
    let body = pb.encode(&subscribe(None, None));

    // Content-Type: missing → 400, not exact → 415.
    assert_eq!(post(&url, &[], body.clone()).await.0, 400);
    let charset = [("Content-Type", "application/json; charset=utf-8")];
    assert_eq!(post(&url, &charset, body.clone()).await.0, 415);
    // Unparsable body → 400.
    let json = [("Content-Type", "application/json")];
    assert_eq!(post(&url, &json, b"{nope".to_vec()).await.0, 400);
    // SUBSCRIBE with a stream id → 400; mismatched framework ids → 400; bad Accept → 406.
    let with_stream = [
        ("Content-Type", "application/x-protobuf"),
        ("Mesos-Stream-Id", "x"),
    ];
    assert_eq!(post(&url, &with_stream, body.clone()).await.0, 400);
    let proto = [("Content-Type", "application/x-protobuf")];
    let mismatch = pb.encode(&subscribe(None, Some("f1")));
    assert_eq!(post(&url, &proto, mismatch).await.0, 400);
    let html = [
        ("Content-Type", "application/x-protobuf"),
        ("Accept", "text/html"),
    ];
    assert_eq!(post(&url, &html, body.clone()).await.0, 406);
    assert!(master.stream_id().is_none());

    // A good SUBSCRIBE without Accept gets a JSON stream with a stream id.
    let (status, response) = post(&url, &proto, body.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/json"
    );
    let stream_id = response
        .headers()
        .get("mesos-stream-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(master.stream_id(), Some(stream_id.clone()));
    let framework_id = master.framework_id().unwrap();

    // Calls: missing or stale stream id → 400, right one → 202.
    let revive = Call {
        framework_id: Some(framework_id.clone()),
        r#type: Some(call::Type::Revive as i32),
        ..Default::default()
    };
    let revive = pb.encode(&revive);
    assert_eq!(post(&url, &proto, revive.clone()).await.0, 400);
    let stale = [
        ("Content-Type", "application/x-protobuf"),
        ("Mesos-Stream-Id", "stale"),
    ];
    assert_eq!(post(&url, &stale, revive.clone()).await.0, 400);
    let good = [
        ("Content-Type", "application/x-protobuf"),
        ("Mesos-Stream-Id", stream_id.as_str()),
    ];
    assert_eq!(post(&url, &good, revive).await.0, 202);

    // Every request was recorded with its answer.
    let statuses: Vec<u16> = master.calls().iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        vec![400, 415, 400, 400, 400, 406, 200, 400, 400, 202]
    );
    drop(response);
}
