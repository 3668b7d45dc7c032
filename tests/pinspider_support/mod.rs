//! Shared by the pinspider black-box tests: the example binary, and running it with a
//! deadline.

#![allow(dead_code)] // each test file uses a part

#[path = "../example_build/mod.rs"]
mod example_build;

use example_build::example_binary;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The example binary, built once per test run.
pub fn binary() -> PathBuf {
    example_binary("pinspider")
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
