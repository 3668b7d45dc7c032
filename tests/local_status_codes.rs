//! Every status code of the facts sheet's table, produced by sending the bad request, and a
//! burst of malformed requests that leaves a running framework undisturbed.

mod local_support;

use local_support::*;
use mesos_actix::Encoding;
use mesos_actix::local::{LocalCluster, LocalClusterConfig};
use mesos_actix::proto::{
    CommandInfo, ExecutorInfo, TaskInfo, TaskState, executor, executor_info,
    scheduler::{Call, call, event},
};

async fn raw(
    url: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, awc::http::header::HeaderMap, String) {
    let c = client();
    let mut req = c.request(method.parse().unwrap(), url);
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let mut resp = req.send_body(body).await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = if status == 200 {
        String::new()
    } else {
        String::from_utf8_lossy(&resp.body().await.unwrap_or_default()).into_owned()
    };
    (status, headers, body)
}

fn json(call: &Call) -> Vec<u8> {
    Encoding::Json.encode(call)
}

const CT: (&str, &str) = ("Content-Type", "application/json");

#[actix_rt::test]
async fn scheduler_status_codes() {
    let cluster = LocalCluster::start(LocalClusterConfig {
        max_request_bytes: 64 * 1024,
        ..test_config(1)
    })
    .await
    .unwrap();
    let api = format!("{}/api/v1/scheduler", cluster.url());
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, framework("codes")).await;
    let sid = s.stream_id.clone();
    let revive = json(&s.call(call::Type::Revive));

    // 405: not POST.
    let (code, headers, _) = raw(&api, "GET", &[], vec![]).await;
    assert_eq!(code, 405);
    assert_eq!(headers.get("allow").unwrap(), "POST");
    // 415: Content-Type not exactly one of the two.
    let ct = ("Content-Type", "application/json; charset=utf-8");
    let (code, _, _) = raw(
        &api,
        "POST",
        &[ct, ("Mesos-Stream-Id", &sid)],
        revive.clone(),
    )
    .await;
    assert_eq!(code, 415);
    // 400: no Content-Type.
    let (code, _, body) = raw(&api, "POST", &[("Mesos-Stream-Id", &sid)], revive.clone()).await;
    assert_eq!(
        (code, body.as_str()),
        (400, "Expecting 'Content-Type' to be present")
    );
    // 400: unparsable body, in both encodings.
    let (code, _, body) = raw(&api, "POST", &[CT], b"{not json".to_vec()).await;
    assert_eq!(code, 400);
    assert!(
        body.starts_with("Failed to parse body into Call protobuf"),
        "{body}"
    );
    let pb = ("Content-Type", "application/x-protobuf");
    let (code, _, _) = raw(&api, "POST", &[pb], vec![0xff, 0xff, 0xff]).await;
    assert_eq!(code, 400);
    // 400: REVIVE without / with a wrong Mesos-Stream-Id.
    let (code, _, body) = raw(&api, "POST", &[CT], revive.clone()).await;
    assert_eq!(code, 400, "{body}");
    let (code, _, _) = raw(
        &api,
        "POST",
        &[CT, ("Mesos-Stream-Id", "nope")],
        revive.clone(),
    )
    .await;
    assert_eq!(code, 400);
    // 400: ACKNOWLEDGE with a 3-byte uuid.
    let mut ack = s.call(call::Type::Acknowledge);
    ack.acknowledge = Some(call::Acknowledge {
        agent_id: "a".into(),
        task_id: "t".into(),
        uuid: vec![1, 2, 3],
    });
    let (code, _, body) = raw(&api, "POST", &[CT, ("Mesos-Stream-Id", &sid)], json(&ack)).await;
    assert_eq!(
        (code, body.as_str()),
        (400, "Failed to validate scheduler::Call: Not a valid UUID")
    );
    // 400: no type; UNKNOWN type (as a real 1.11 master answers); no framework_id.
    let (code, _, _) = raw(&api, "POST", &[CT], b"{}".to_vec()).await;
    assert_eq!(code, 400);
    let (code, _, _) = raw(&api, "POST", &[CT], br#"{"type":"UNKNOWN"}"#.to_vec()).await;
    assert_eq!(code, 400);
    let (code, _, _) = raw(&api, "POST", &[CT], br#"{"type":"REVIVE"}"#.to_vec()).await;
    assert_eq!(code, 400);
    // 400: unknown framework.
    let mut other = s.call(call::Type::Revive);
    other.framework_id = Some("nope".into());
    let (code, _, body) = raw(&api, "POST", &[CT, ("Mesos-Stream-Id", &sid)], json(&other)).await;
    assert_eq!((code, body.as_str()), (400, "Framework cannot be found"));
    // 400: SUBSCRIBE with a stream id, and with framework ids that differ.
    let sub = subscribe_call(&framework("x"));
    let (code, _, _) = raw(&api, "POST", &[CT, ("Mesos-Stream-Id", &sid)], json(&sub)).await;
    assert_eq!(code, 400);
    let mut info = framework("x");
    info.id = Some("some-id".into());
    let mut sub = subscribe_call(&info);
    sub.framework_id = None;
    let (code, _, body) = raw(&api, "POST", &[CT], json(&sub)).await;
    assert_eq!(code, 400);
    assert!(body.contains("'framework_id' differs from 'subscribe.framework_info.id'"));
    // 406: SUBSCRIBE accepting neither encoding.
    let sub = subscribe_call(&framework("x"));
    let (code, _, _) = raw(&api, "POST", &[CT, ("Accept", "text/html")], json(&sub)).await;
    assert_eq!(code, 406);
    // 413: body over the cap.
    let (code, _, _) = raw(&api, "POST", &[CT], vec![b' '; 100 * 1024]).await;
    assert_eq!(code, 413);
    // 200 + ERROR: an invalid FrameworkInfo (roles without MULTI_ROLE).
    let mut bad = framework("bad");
    bad.roles = vec!["r".into()];
    let mut resp = client()
        .post(&api)
        .insert_header(CT)
        .send_body(json(&subscribe_call(&bad)))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body = resp.body().await.unwrap();
    let mut dec = mesos_actix::recordio::Decoder::default();
    dec.feed(&body);
    let ev: mesos_actix::proto::scheduler::Event = Encoding::Json
        .decode(&dec.next_record().unwrap().unwrap())
        .unwrap();
    assert_eq!(ev.r#type(), event::Type::Error);
    // 409: UPDATE_FRAMEWORK for a framework that was torn down.
    let mut update = s.call(call::Type::UpdateFramework);
    let mut info = framework("codes");
    info.id = Some(s.framework_id.as_str().into());
    update.update_framework = Some(call::UpdateFramework {
        framework_info: info,
        ..Default::default()
    });
    assert_eq!(
        s.post(&update).await.0,
        200,
        "UPDATE_FRAMEWORK while subscribed"
    );
    assert_eq!(s.post(&s.call(call::Type::Teardown)).await.0, 202);
    assert_eq!(s.post(&update).await.0, 409);
    // A framework that was removed cannot come back.
    let mut info = framework("codes");
    info.id = Some(s.framework_id.as_str().into());
    let mut resp = client()
        .post(&api)
        .insert_header(CT)
        .send_body(json(&subscribe_call(&info)))
        .await
        .unwrap();
    let body = resp.body().await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("Framework has been removed"));
    s.disconnect();
    cluster.stop().await;
}

#[actix_rt::test]
async fn not_subscribed_is_403() {
    let cluster = start(1).await;
    let mut info = framework("gone");
    info.failover_timeout = Some(60.0);
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, info).await;
    s.disconnect();
    let c = s.call(call::Type::Revive);
    poll("framework disconnected", || async {
        (s.post(&c).await.0 == 403).then_some(())
    })
    .await;
    let (_, body) = s.post(&c).await;
    assert_eq!(body, "Framework is not subscribed");
    cluster.stop().await;
}

#[actix_rt::test]
async fn authentication_401_and_principal_400() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("creds.json");
    std::fs::write(
        &creds,
        r#"{"credentials":[{"principal":"p","secret":"s"}]}"#,
    )
    .unwrap();
    let cluster = LocalCluster::start(LocalClusterConfig {
        credentials: Some(creds),
        ..test_config(1)
    })
    .await
    .unwrap();
    let api = format!("{}/api/v1/scheduler", cluster.url());
    let sub = json(&subscribe_call(&framework("auth")));
    let (code, headers, body) = raw(&api, "POST", &[CT], sub.clone()).await;
    assert_eq!(code, 401);
    assert_eq!(
        headers.get("www-authenticate").unwrap(),
        "Basic realm=\"mesos-master-scheduler\""
    );
    assert_eq!(body, "401 Unauthorized.");
    let wrong = format!("Basic {}", base64_encode("p:wrong"));
    let (code, _, _) = raw(&api, "POST", &[CT, ("Authorization", &wrong)], sub.clone()).await;
    assert_eq!(code, 401);
    let mut other = framework("auth");
    other.principal = Some("someone-else".into());
    let good = format!("Basic {}", base64_encode("p:s"));
    let (code, _, _) = raw(
        &api,
        "POST",
        &[CT, ("Authorization", &good)],
        json(&subscribe_call(&other)),
    )
    .await;
    assert_eq!(code, 400);
    let mut s = Sched::subscribe_auth(
        &cluster.url(),
        Encoding::Json,
        framework("auth"),
        Some(("p".into(), "s".into())),
    )
    .await;
    s.offers().await;
    assert_eq!(s.post(&s.call(call::Type::Suppress)).await.0, 202);
    let state = cluster.state().await;
    assert_eq!(state["frameworks"][0]["principal"], "p");
    cluster.stop().await;
}

fn base64_encode(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[actix_rt::test]
async fn executor_api_status_codes() {
    let cluster = start(1).await;
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, framework("ex-codes")).await;
    let offers = s.offers().await;
    // An executor that never subscribes.
    let ex = ExecutorInfo {
        r#type: Some(executor_info::Type::Custom as i32),
        executor_id: "silent".into(),
        command: Some(CommandInfo {
            value: Some("sleep 30".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let task = TaskInfo {
        name: "t".into(),
        task_id: "t".into(),
        agent_id: offers[0].agent_id.clone(),
        resources: task_resources(0.1, 32.0),
        executor: Some(ex),
        ..Default::default()
    };
    assert_eq!(s.launch(&offers[0], vec![task]).await, 202);
    let api = format!("{}/slave(1)/api/v1/executor", cluster.url());
    let update = |uuid: Vec<u8>| executor::Call {
        executor_id: "silent".into(),
        framework_id: s.framework_id.as_str().into(),
        r#type: Some(executor::call::Type::Update as i32),
        update: Some(executor::call::Update {
            status: mesos_actix::proto::TaskStatus {
                task_id: "t".into(),
                state: TaskState::TaskRunning as i32,
                source: Some(mesos_actix::proto::task_status::Source::Executor as i32),
                uuid: Some(uuid),
                ..Default::default()
            },
        }),
        ..Default::default()
    };
    let enc = |c: &executor::Call| Encoding::Json.encode(c);
    let good = enc(&update(mesos_actix::proto::new_uuid_bytes()));
    // 403 before subscribing (once the launch reached the agent).
    poll("executor known to the agent", || async {
        (raw(&api, "POST", &[CT], good.clone()).await.0 == 403).then_some(())
    })
    .await;
    // 400: invalid uuid; 405; 415; 501 for UNKNOWN; 400 unknown framework; 404 unknown agent.
    let (code, _, body) = raw(&api, "POST", &[CT], enc(&update(vec![1, 2, 3]))).await;
    assert_eq!(
        (code, body.as_str()),
        (400, "Failed to validate Executor::Call: Not a valid UUID")
    );
    assert_eq!(raw(&api, "GET", &[], vec![]).await.0, 405);
    let ct = ("Content-Type", "text/plain");
    assert_eq!(raw(&api, "POST", &[ct], good.clone()).await.0, 415);
    let mut unknown = update(mesos_actix::proto::new_uuid_bytes());
    unknown.r#type = Some(executor::call::Type::Unknown as i32);
    assert_eq!(raw(&api, "POST", &[CT], enc(&unknown)).await.0, 501);
    let mut other = update(mesos_actix::proto::new_uuid_bytes());
    other.framework_id = "nope".into();
    let (code, _, body) = raw(&api, "POST", &[CT], enc(&other)).await;
    assert_eq!((code, body.as_str()), (400, "Framework cannot be found"));
    let api9 = format!("{}/slave(9)/api/v1/executor", cluster.url());
    assert_eq!(raw(&api9, "POST", &[CT], good.clone()).await.0, 404);
    // 406 on SUBSCRIBE.
    let sub = executor::Call {
        executor_id: "silent".into(),
        framework_id: s.framework_id.as_str().into(),
        r#type: Some(executor::call::Type::Subscribe as i32),
        subscribe: Some(Default::default()),
        ..Default::default()
    };
    assert_eq!(
        raw(&api, "POST", &[CT, ("Accept", "text/html")], enc(&sub))
            .await
            .0,
        406
    );
    cluster.stop().await;
}

/// Garbage from many clients must not disturb a subscribed framework with a running task.
#[actix_rt::test]
async fn malformed_burst_leaves_framework_undisturbed() {
    let cluster = start(1).await;
    let url = cluster.url();
    let mut s = Sched::subscribe(&url, Encoding::Protobuf, framework("victim")).await;
    let offers = s.offers().await;
    s.launch(
        &offers[0],
        vec![command_task("long", &offers[0], "sleep 30")],
    )
    .await;
    s.until_state("long", TaskState::TaskRunning).await;

    let api = format!("{url}/api/v1/scheduler");
    let exec_api = format!("{url}/api/v1/executor");
    let fid = s.framework_id.clone();
    let deep = "[".repeat(5000) + &"]".repeat(5000);
    type Request<'a> = (Vec<(&'a str, String)>, Vec<u8>);
    let bodies: Vec<Request> = vec![
        (vec![("Content-Type", "application/json".into())], b"\x00\x01garbage".to_vec()),
        (vec![("Content-Type", "application/json".into())], deep.into_bytes()),
        (vec![("Content-Type", "application/json".into())], br#"{"type":42}"#.to_vec()),
        (vec![("Content-Type", "application/json".into())], br#"{"type":"SUBSCRIBE"}"#.to_vec()),
        (vec![("Content-Type", "application/json".into())], br#"{"type":"SUBSCRIBE","subscribe":{"framework_info":{}}}"#.to_vec()),
        (vec![("Content-Type", "application/x-protobuf".into())], vec![0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        (vec![("Content-Type", "application/x-protobuf".into())], (0..255u8).collect()),
        (
            vec![("Content-Type", "application/json".into())],
            format!(r#"{{"type":"KILL","framework_id":{{"value":"{fid}"}},"kill":{{"task_id":{{"value":"long"}}}}}}"#).into_bytes(),
        ),
        (
            vec![("Content-Type", "application/json".into()), ("Mesos-Stream-Id", "forged".into())],
            format!(r#"{{"type":"TEARDOWN","framework_id":{{"value":"{fid}"}}}}"#).into_bytes(),
        ),
        (
            vec![("Content-Type", "application/json".into())],
            format!(r#"{{"type":"ACCEPT","framework_id":{{"value":"{fid}"}},"accept":{{"offer_ids":[{{"value":"x"}}]}}}}"#).into_bytes(),
        ),
        (vec![("Content-Type", "application/json".into())], vec![b'{'; 70_000]),
    ];
    let mut codes = std::collections::BTreeMap::new();
    for round in 0..10 {
        for (headers, body) in &bodies {
            for target in [&api, &exec_api] {
                let c = client();
                let mut req = c.post(target.as_str());
                for (k, v) in headers {
                    req = req.insert_header((*k, v.as_str()));
                }
                let resp = req.send_body(body.clone()).await.unwrap();
                *codes.entry(resp.status().as_u16()).or_insert(0) += 1;
            }
        }
        // A half-sent request and an abandoned connection.
        if round % 3 == 0 {
            use std::io::Write;
            let mut tcp = std::net::TcpStream::connect(cluster.addr()).unwrap();
            let _ =
                tcp.write_all(b"POST /api/v1/scheduler HTTP/1.1\r\nContent-Length: 100\r\n\r\n{");
        }
    }
    // 4xx everywhere; 501 only for an executor call whose type number is unknown.
    assert!(
        codes.keys().all(|c| (400..500).contains(c) || *c == 501),
        "{codes:?}"
    );
    // The framework is untouched: same stream, heartbeats keep coming, task still running.
    s.wait_for("heartbeat", |e| e.r#type() == event::Type::Heartbeat)
        .await;
    let mut rec = s.call(call::Type::Reconcile);
    rec.reconcile = Some(call::Reconcile { tasks: vec![] });
    assert_eq!(s.post(&rec).await.0, 202);
    let status = s.update("long").await;
    assert_eq!(status.state(), TaskState::TaskRunning);
    assert!(
        status.uuid.is_none(),
        "reconciliation answers carry no uuid"
    );
    let mut kill = s.call(call::Type::Kill);
    kill.kill = Some(call::Kill {
        task_id: "long".into(),
        agent_id: None,
        kill_policy: None,
    });
    assert_eq!(s.post(&kill).await.0, 202);
    s.until_state("long", TaskState::TaskKilled).await;
    cluster.stop().await;
}
