//! `examples/hello_framework.rs` as a user runs it against HA masters: three `mesos-local
//! --zk` processes behind a real ZooKeeper (`tests/zk_support`) and
//! `hello_framework --master zk://127.0.0.1:PORT/mesos`; the framework finds the leader
//! through ZooKeeper and its tasks finish (exit 0).

mod zk_support;

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use zk_support::ZkServer;

/// Bound on the framework's run.
const WAIT: Duration = Duration::from_secs(120);

/// The example binary, built once per test run (`cargo test --test` alone does not build
/// examples).
fn binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().unwrap().parent().unwrap();
        let bin = profile_dir.join("examples").join("hello_framework");
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "--example", "hello_framework", "--manifest-path"])
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if (key.starts_with("CARGO_") && key != "CARGO_HOME")
                || key.starts_with("__CARGO")
                || key == "OUT_DIR"
            {
                build.env_remove(&key);
            }
        }
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build
            .env("CARGO_TARGET_DIR", profile_dir.parent().unwrap())
            .status()
            .unwrap();
        assert!(status.success(), "building the example failed");
        bin
    })
    .clone()
}

/// A `mesos-local --zk` child, killed when dropped.
struct Master(Child);

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
        assert!(
            line.starts_with("mesos-local listening on "),
            "unexpected first line {line:?}"
        );
        Master(child)
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
