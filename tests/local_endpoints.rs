//! `/state`, `/health`, `/version`, `/redirect`, the web page, and the `mesos-local` binary.

mod local_support;

use kuchiki::traits::TendrilSink;
use local_support::*;
use mesos_actix::Encoding;
use mesos_actix::proto::TaskState;

async fn get(url: &str) -> (u16, awc::http::header::HeaderMap, Vec<u8>) {
    let c = client();
    let mut resp = c.get(url).send().await.unwrap();
    let body = resp
        .body()
        .limit(1 << 24)
        .await
        .unwrap_or_default()
        .to_vec();
    (resp.status().as_u16(), resp.headers().clone(), body)
}

#[actix_rt::test]
async fn state_and_small_endpoints() {
    let mut config = test_config(2);
    config.attributes = "rack:r1;level:2".into();
    let cluster = mesos_actix::local::LocalCluster::start(config)
        .await
        .unwrap();
    let url = cluster.url();
    let mut s = Sched::subscribe(&url, Encoding::Json, framework("stateful")).await;
    let offers = s.offers().await;
    s.launch(
        &offers[0],
        vec![command_task("run", &offers[0], "sleep 30")],
    )
    .await;
    s.until_state("run", TaskState::TaskRunning).await;

    let (code, _, body) = get(&format!("{url}/state")).await;
    assert_eq!(code, 200);
    let state: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(state["version"], "1.11.0");
    assert_eq!(state["pid"], format!("master@{}", cluster.addr()));
    assert_eq!(state["leader"], state["pid"]);
    assert_eq!(state["activated_slaves"], 2);
    let slave = &state["slaves"][0];
    assert_eq!(slave["pid"], format!("slave(1)@{}", cluster.addr()));
    assert_eq!(slave["resources"]["cpus"], 2.0);
    assert_eq!(slave["resources"]["gpus"], 0.0);
    assert_eq!(slave["resources"]["ports"], "[31000-31010]");
    assert_eq!(slave["attributes"]["rack"], "r1");
    assert_eq!(slave["attributes"]["level"], 2.0);
    let fw = &state["frameworks"][0];
    assert_eq!(fw["name"], "stateful");
    assert_eq!(fw["connected"], true);
    assert_eq!(fw["active"], true);
    let task = &fw["tasks"][0];
    assert_eq!(task["id"], "run");
    assert_eq!(task["state"], "TASK_RUNNING");
    assert_eq!(task["executor_id"], "");
    assert_eq!(task["slave_id"], offers[0].agent_id.value.as_str());
    assert_eq!(task["resources"]["cpus"], 0.1);
    let states: Vec<&str> = task["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING"]);
    assert_eq!(fw["used_resources"]["cpus"], 0.1);
    let (code, _, same) = get(&format!("{url}/master/state")).await;
    assert_eq!(code, 200);
    assert!(!same.is_empty());
    let (_, _, jsonp) = get(&format!("{url}/state?jsonp=cb")).await;
    assert!(jsonp.starts_with(b"cb({"));

    for (path, key) in [
        ("tasks", "tasks"),
        ("frameworks", "frameworks"),
        ("slaves", "slaves"),
        ("flags", "flags"),
    ] {
        let (code, _, body) = get(&format!("{url}/{path}")).await;
        assert_eq!(code, 200, "{path}");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(!v[key].is_null(), "{path}: {v}");
    }
    let (_, _, body) = get(&format!("{url}/tasks")).await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["tasks"][0]["id"], "run");

    let (code, _, body) = get(&format!("{url}/health")).await;
    assert_eq!((code, body.len()), (200, 0));
    let (code, _, body) = get(&format!("{url}/version")).await;
    assert_eq!(code, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["version"], "1.11.0");
    let (code, headers, _) = get(&format!("{url}/redirect")).await;
    assert_eq!(code, 307);
    assert_eq!(
        headers.get("location").unwrap(),
        format!("//localhost:{}", cluster.addr().port()).as_str()
    );

    // The web page lists agents, frameworks and tasks and refreshes itself.
    let (code, headers, body) = get(&format!("{url}/")).await;
    assert_eq!(code, 200);
    assert!(
        headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let doc = kuchiki::parse_html().one(String::from_utf8(body).unwrap());
    let refresh = doc.select_first("meta[http-equiv=refresh]").unwrap();
    assert_eq!(refresh.attributes.borrow().get("content"), Some("2"));
    let text = doc.text_contents();
    assert!(text.contains("stateful"));
    assert!(text.contains("TASK_RUNNING"));
    assert!(text.contains(&format!("slave(2)@{}", cluster.addr())));
    // agents, frameworks, live tasks, completed tasks
    assert_eq!(doc.select("h2").unwrap().count(), 4);
    cluster.stop().await;
}

#[actix_rt::test]
async fn mesos_local_binary_serves_until_signalled() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mesos-local"))
        .args([
            "--port",
            "0",
            "--agents",
            "2",
            "--resources",
            "cpus:1;mem:256",
            "--heartbeat-interval",
            "0.5",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = std::io::BufReader::new(stdout)
        .lines()
        .next()
        .unwrap()
        .unwrap();
    let url = line
        .strip_prefix("mesos-local listening on ")
        .unwrap()
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    let (code, _, body) = get(&format!("{url}/state")).await;
    assert_eq!(code, 200);
    let state: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(state["slaves"].as_array().unwrap().len(), 2);
    assert_eq!(state["slaves"][1]["resources"]["mem"], 256.0);
    let mut s = Sched::subscribe(&url, Encoding::Protobuf, framework("bin")).await;
    let offers = s.offers().await;
    s.launch(&offers[0], vec![command_task("t", &offers[0], "true")])
        .await;
    s.until_state("t", TaskState::TaskFinished).await;
    // SAFETY: signalling our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[actix_rt::test]
async fn dropping_the_cluster_stops_it() {
    let cluster = start(1).await;
    let url = cluster.url();
    assert_eq!(cluster.scheduler_url(), format!("{url}/api/v1/scheduler"));
    let dir = cluster.work_dir().to_path_buf();
    assert!(dir.exists());
    drop(cluster);
    // Dropped inside an actix system, the directory goes on the blocking pool.
    poll("temporary work dir removed", || {
        let gone = !dir.exists();
        async move { gone.then_some(()) }
    })
    .await;
    poll("server stopped", || {
        let url = url.clone();
        async move {
            let c = client();
            c.get(format!("{url}/health"))
                .send()
                .await
                .is_err()
                .then_some(())
        }
    })
    .await;
}

#[actix_rt::test]
async fn operator_teardown_removes_a_framework() {
    let cluster = start(1).await;
    let url = cluster.url();
    let mut s = Sched::subscribe(&url, Encoding::Json, framework("doomed")).await;
    let c = client();
    let teardown = |body: String| {
        let c = c.clone();
        let url = url.clone();
        async move {
            c.post(format!("{url}/teardown"))
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .send_body(body)
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(teardown("frameworkId=nope".into()).await, 400);
    assert_eq!(teardown(String::new()).await, 400);
    assert_eq!(
        teardown(format!("frameworkId={}", s.framework_id)).await,
        200
    );
    // Its stream ends and the framework is completed.
    assert!(
        tokio::time::timeout(WAIT, async { while s.events.recv().await.is_some() {} })
            .await
            .is_ok()
    );
    let state = cluster.state().await;
    assert_eq!(
        state["completed_frameworks"][0]["id"],
        s.framework_id.as_str()
    );
    cluster.stop().await;
}
