//! `examples/hello_framework.rs` as a user runs it against HA masters: three `mesos-local
//! --zk` processes behind a real ZooKeeper (`tests/zk_support`) and
//! `hello_framework --master zk://127.0.0.1:PORT/mesos`; the framework finds the leader
//! through ZooKeeper and its tasks finish (exit 0).

mod zk_support;

mod example_build;
use example_build::example_binary;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;
use zk_support::{LocalMasterProcess as Master, ZkServer, exit_status, wait};

/// Bound on the framework's run.
const WAIT: Duration = Duration::from_secs(120);

/// The example binary, built once per test run.
fn binary() -> PathBuf {
    example_binary("hello_framework")
}

#[actix_rt::test]
async fn hello_framework_runs_its_tasks_through_zk_leader_detection() {
    let bin = binary();
    let zk = ZkServer::start().await;
    let group = zk.url("/mesos");
    let _masters: Vec<Master> = (0..3)
        .map(|_| Master::start(&group, "cpus:2;mem:1024"))
        .collect();
    let mut framework = Command::new(bin)
        .args(["--master", &group, "--tasks", "6", "--command", "sleep 3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hello_framework");
    let status = exit_status(&mut framework, "hello_framework", WAIT).await;
    assert!(status.success(), "hello_framework exited with {status}");
}

/// Whether the master at `url` serves `/state` itself (it leads).
async fn leads(url: &str) -> bool {
    let client = mesos_actix::__internals::client::http_client(Duration::from_secs(10));
    match client.get(format!("{url}/state")).send().await {
        Ok(response) => response.status().as_u16() == 200,
        Err(_) => false,
    }
}

#[actix_rt::test]
async fn hello_framework_survives_a_killed_leading_master() {
    let bin = binary();
    let zk = ZkServer::start().await;
    let group = zk.url("/mesos");
    let mut masters: Vec<Master> = (0..3)
        .map(|_| Master::start(&group, "cpus:2;mem:1024"))
        .collect();
    let mut framework = Command::new(bin)
        .args(["--master", &group, "--tasks", "6", "--command", "sleep 3"])
        .args(["--retries", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hello_framework");
    let stdout = framework.stdout.take().expect("stdout piped");
    let (running_tx, running_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("TaskRunning") {
                let _ = running_tx.send(());
            }
        }
    });
    running_rx
        .recv_timeout(WAIT)
        .expect("a task reached RUNNING");
    let leader = wait::until("a leading master", WAIT, || async {
        let mut found = None;
        for (i, master) in masters.iter().enumerate() {
            if leads(&master.url).await {
                found = Some(i);
            }
        }
        found
    })
    .await;
    masters.remove(leader); // dropped: SIGKILL
    let status = exit_status(&mut framework, "hello_framework", WAIT).await;
    assert!(status.success(), "hello_framework exited with {status}");
}
