//! The Apache Mesos files API of the local cluster (`/files/browse`, `/files/read`) over a
//! real task's sandbox, its refusal of hostile paths, `/metrics/snapshot` and `/metrics`, and
//! the web page's completed tasks with links to their files.

mod local_support;

use local_support::*;
use mesos_actix::Encoding;
use mesos_actix::proto::TaskState;
use serde_json::Value;

const UNIQUE: &str = "stderr-line-4f1c9e";

async fn get(url: &str) -> (u16, String) {
    let mut resp = client().get(url).send().await.expect("request failed");
    let body = resp.body().limit(1 << 22).await.expect("body");
    (
        resp.status().as_u16(),
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn q(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A cluster with one finished-with-failure task that wrote [`UNIQUE`] to stderr and left
/// a symlink to `/etc` in its sandbox; returns the cluster and the sandbox path.
async fn failed_task() -> (mesos_actix::local::LocalCluster, Sched, String) {
    let cluster = start(1).await;
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, framework("files-fw")).await;
    let offers = s.offers().await;
    let script = format!("echo out-line; echo {UNIQUE} >&2; ln -s /etc escape; exit 1");
    s.launch(
        &offers[0],
        vec![command_task("files-task", &offers[0], &script)],
    )
    .await;
    s.until_state("files-task", TaskState::TaskFailed).await;
    let state: Value = serde_json::from_str(&get(&format!("{}/state", cluster.url())).await.1)
        .expect("state json");
    let fw = &state["frameworks"][0];
    let dir = format!(
        "{}/slaves/{}/frameworks/{}/executors/files-task/runs/latest",
        cluster.work_dir().display(),
        state["slaves"][0]["id"].as_str().unwrap(),
        fw["id"].as_str().unwrap(),
    );
    (cluster, s, dir)
}

#[actix_rt::test]
async fn browse_and_read_a_failed_tasks_sandbox() {
    let (cluster, _s, dir) = failed_task().await;
    let base = cluster.url();
    let (code, body) = get(&format!("{base}/files/browse?path={}", q(&dir))).await;
    assert_eq!(code, 200, "{body}");
    let listing: Value = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = listing
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(names.contains(&format!("{dir}/stderr").as_str()), "{body}");
    assert!(names.contains(&format!("{dir}/stdout").as_str()), "{body}");
    for entry in listing.as_array().unwrap() {
        let mut keys: Vec<&str> = entry
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["gid", "mode", "mtime", "nlink", "path", "size", "uid"]
        );
        assert_eq!(entry["mode"].as_str().unwrap().len(), 10);
    }

    let stderr = q(&format!("{dir}/stderr"));
    let (code, body) = get(&format!("{base}/files/read?path={stderr}&offset=-1")).await;
    assert_eq!(code, 200);
    let size: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(size["data"], "");
    let size = size["offset"].as_u64().unwrap();
    assert!(size > UNIQUE.len() as u64);
    let (code, body) = get(&format!("{base}/files/read?path={stderr}&offset=0")).await;
    assert_eq!(code, 200);
    let read: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(read["offset"], 0);
    assert!(read["data"].as_str().unwrap().contains(UNIQUE), "{body}");
    let (_, body) = get(&format!(
        "{base}/files/read?path={stderr}&offset=2&length=3"
    ))
    .await;
    let part: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(part["data"].as_str().unwrap().len(), 3);
    assert_eq!(part["offset"], 2);
    // jsonp, as Apache Mesos's web UI uses it
    let (_, body) = get(&format!(
        "{base}/files/read?path={stderr}&offset=-1&jsonp=cb"
    ))
    .await;
    assert!(body.starts_with("cb({") && body.ends_with(");"), "{body}");
    cluster.stop().await;
}

#[actix_rt::test]
async fn the_files_api_refuses_paths_outside_the_sandboxes() {
    let (cluster, _s, dir) = failed_task().await;
    let base = cluster.url();
    let long = format!("{dir}/{}", "a".repeat(5000));
    let cases: Vec<(String, u16)> = vec![
        (
            format!(
                "path={}",
                q(&format!("{dir}/../../../../../../../../etc/passwd"))
            ),
            400,
        ),
        (
            format!(
                "path={}%2F%2e%2e%2F%2e%2e%2F%2e%2e%2F%2e%2e%2F%2e%2e%2F%2e%2e%2F%2e%2e%2F%2e%2e%2F%2e%2e%2Fetc%2Fpasswd",
                q(&dir)
            ),
            400,
        ),
        (format!("path={}", q(&format!("{dir}/escape/passwd"))), 400),
        (format!("path={}", q(&format!("{dir}/escape"))), 400),
        (format!("path={}%00", q(&format!("{dir}/stderr"))), 400),
        (format!("path={}", q(&long)), 400),
        ("path=%2Fetc%2Fpasswd".into(), 404),
        ("path=%2Fetc".into(), 404),
        ("path=etc%2Fpasswd".into(), 404),
        (format!("path={}", q(&format!("{dir}/no-such-file"))), 404),
        ("path=".into(), 400),
        (String::new(), 400),
    ];
    for endpoint in ["browse", "read"] {
        for (query, want) in &cases {
            let url = format!("{base}/files/{endpoint}?{query}&offset=0");
            let (code, body) = get(&url).await;
            assert_eq!(code, *want, "{endpoint} {query}: {body}");
            assert!(!body.contains("root:"), "{endpoint} {query} leaked: {body}");
        }
    }
    let stderr = q(&format!("{dir}/stderr"));
    for bad in [
        "offset=-2",
        "offset=x",
        "offset=0&length=-5",
        "offset=0&length=z",
    ] {
        let (code, _) = get(&format!("{base}/files/read?path={stderr}&{bad}")).await;
        assert_eq!(code, 400, "{bad}");
    }
    let (code, _) = get(&format!("{base}/files/read?path={}&offset=0", q(&dir))).await;
    assert_eq!(code, 400, "reading a directory");
    cluster.stop().await;
}

#[actix_rt::test]
async fn metrics_count_the_failed_task() {
    let (cluster, _s, _dir) = failed_task().await;
    let base = cluster.url();
    let (code, body) = get(&format!("{base}/metrics/snapshot")).await;
    assert_eq!(code, 200);
    let m: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(m["master/tasks_failed"], 1.0, "{body}");
    assert_eq!(m["master/tasks_running"], 0.0);
    assert_eq!(m["master/slaves_active"], 1.0);
    assert_eq!(m["master/frameworks_active"], 1.0);
    assert_eq!(m["master/elected"], 1.0);
    assert!(m["master/uptime_secs"].as_f64().unwrap() >= 0.0);
    assert_eq!(m["master/cpus_total"], 2.0);
    let (code, text) = get(&format!("{base}/metrics")).await;
    assert_eq!(code, 200);
    assert!(text.contains("\nmesos_master_tasks_failed 1\n"), "{text}");
    assert!(text.contains("# TYPE mesos_master_uptime_secs gauge\n"));
    cluster.stop().await;
}

#[actix_rt::test]
async fn the_page_lists_the_completed_task_with_its_message_and_files() {
    let (cluster, _s, dir) = failed_task().await;
    let base = cluster.url();
    // The terminal update was acknowledged: the task moves to completed_tasks.
    poll("files-task among the completed tasks", || async {
        let (_, body) = get(&format!("{base}/state")).await;
        let state: Value = serde_json::from_str(&body).ok()?;
        let done = state["frameworks"][0]["completed_tasks"]
            .as_array()?
            .clone();
        done.iter()
            .any(|t| t["id"] == "files-task" && t["state"] == "TASK_FAILED")
            .then_some(())
    })
    .await;
    let (code, html) = get(&format!("{base}/")).await;
    assert_eq!(code, 200);
    let completed = html
        .split("id=\"completed\"")
        .nth(1)
        .expect("a completed-tasks table");
    assert!(completed.contains("files-task"), "{html}");
    assert!(completed.contains("TASK_FAILED"));
    assert!(
        completed.contains("class=\"message\">Command exited"),
        "{html}"
    );
    assert!(html.contains("TASK_FAILED 1"), "per-state counts: {html}");
    let stderr_link = format!("/ui/tail?path={}", q(&format!("{dir}/stderr")));
    assert!(completed.contains(&stderr_link), "{html}");
    let (code, tail) = get(&format!("{base}{stderr_link}")).await;
    assert_eq!(code, 200);
    assert!(tail.contains(UNIQUE), "{tail}");
    let (code, listing) = get(&format!("{base}/ui/browse?path={}", q(&dir))).await;
    assert_eq!(code, 200);
    assert!(listing.contains(">stderr</a>"), "{listing}");
    cluster.stop().await;
}
