//! Shared by the pinspider black-box tests: the example binary, and running it with a
//! deadline.

#![allow(dead_code)] // each test file uses a part

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The example binary, built once per test run (`cargo test` builds the example only as a
/// test harness, not as the binary).
pub fn binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        // target/<profile>/deps/pinspider_cli-<hash> -> target/<profile>/examples/pinspider
        let profile_dir = exe.parent().unwrap().parent().unwrap();
        let bin = profile_dir.join("examples").join("pinspider");
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "--example", "pinspider", "--manifest-path"])
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
        // Without the variables cargo set for this test, so build scripts (ring's) see
        // the same environment as the outer build and nothing is rebuilt.
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
        assert!(bin.exists(), "{bin:?} missing");
        bin
    })
    .clone()
}

/// Runs the binary with a deadline (polling, no fixed sleep).
pub fn run(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("MESOS_MASTER")
        .env("RUST_LOG", "info,actix_server=warn");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("pinspider {args:?} did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}
