//! `examples/hello_framework.rs` as a user runs it against HA masters: three `mesos-local
//! --zk` processes behind a real ZooKeeper (`tests/zk_support`) and
//! `hello_framework --master zk://127.0.0.1:PORT/mesos`; the framework finds the leader
//! through ZooKeeper and its tasks finish (exit 0).

mod zk_support;

mod example_build;
use example_build::example_binary;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use zk_support::ZkServer;

/// Bound on the framework's run.
const WAIT: Duration = Duration::from_secs(120);

/// The example binary, built once per test run.
fn binary() -> PathBuf {
    example_binary("hello_framework")
}

/// A `mesos-local --zk` child, killed when dropped.
struct Master(Child, String);

impl Master {
    fn start(zk: &str) -> Master {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mesos-local"))
            .args(["--port", "0", "--agents", "1"])
            .args(["--resources", "cpus:2;mem:1024"])
            .args(["--zk", zk, "--quorum", "2", "--zk-session-timeout", "2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn mesos-local");
        let stdout = child.stdout.take().expect("stdout piped");
        let line = std::io::BufReader::new(stdout)
            .lines()
            .next()
            .and_then(Result::ok)
            .unwrap_or_default();
        let url = line
            .strip_prefix("mesos-local listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Master(child, url)
    }
}

impl Drop for Master {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[actix_rt::test]
async fn hello_framework_runs_its_tasks_through_zk_leader_detection() {
    let bin = binary();
    let zk = ZkServer::start().await;
    let group = zk.url("/mesos");
    let _masters: Vec<Master> = (0..3).map(|_| Master::start(&group)).collect();
    let mut framework = Command::new(bin)
        .args(["--master", &group, "--tasks", "6", "--command", "sleep 3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hello_framework");
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = framework.try_wait().expect("wait on hello_framework") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = framework.kill();
            let _ = framework.wait();
            panic!("hello_framework did not exit within {WAIT:?}");
        }
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    };
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
    let mut masters: Vec<Master> = (0..3).map(|_| Master::start(&group)).collect();
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
    let deadline = Instant::now() + WAIT;
    let leader = loop {
        let mut found = None;
        for (i, master) in masters.iter().enumerate() {
            if leads(&master.1).await {
                found = Some(i);
            }
        }
        if let Some(i) = found {
            break i;
        }
        assert!(Instant::now() < deadline, "no leader found");
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    };
    masters.remove(leader); // dropped: SIGKILL
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = framework.try_wait().expect("wait on hello_framework") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = framework.kill();
            let _ = framework.wait();
            panic!("hello_framework did not exit within {WAIT:?}");
        }
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "hello_framework exited with {status}");
}
