//! `examples/supervisor.rs` as a user runs it: an actor owning the cloneable handle
//! submits a batch, counts final states in its mailbox, reconciles, kills one task and
//! tears down, on the embedded cluster; exit 0. The example builds its `RuntimeConfig`
//! with `RuntimeConfig::load`, so `MESOS_ACTIX_*` variables reach it, and the executor
//! runtime's `MESOS_ACTIX_EXECUTOR_*` variables do not disturb it.

mod example_build;

use example_build::example_binary;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The example binary, built once per test run.
fn binary() -> PathBuf {
    example_binary("supervisor")
}

/// Runs the example with these variables (and no `MESOS_*` from outside), bounded.
fn run(envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(binary());
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("RUST_LOG", "warn,actix_server=warn");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("MESOS_") {
            cmd.env_remove(key);
        }
    }
    cmd.envs(envs.iter().copied());
    let mut child = cmd.spawn().unwrap();
    // Drain the pipes on threads so a chatty child never blocks on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut v).ok();
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut v).ok();
        v
    });
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the supervisor example did not exit in time");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn supervisor_owns_the_handle_and_exits_0() {
    let output = run(&[]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for line in [
        "submitted 9 tasks",
        "killing long",
        "reconcile: ok",
        "kill: ok",
        "final long TASK_KILLED",
        "torn down",
        "summary TASK_FINISHED=8 TASK_KILLED=1",
    ] {
        assert!(stdout.contains(line), "{line:?} missing:\n{stdout}");
    }
    assert!(!stderr.contains("call failed"), "{stderr}");
}

#[test]
fn runtime_config_comes_from_the_environment() {
    // The executor runtime's variable and the scheduler's own, side by side.
    let output = run(&[
        ("MESOS_ACTIX_EXECUTOR_ENCODING", "json"),
        ("MESOS_ACTIX_ENCODING", "json"),
        ("MESOS_ACTIX_CALL_PIPELINING", "false"),
        ("MESOS_ACTIX_SHUTDOWN_DRAIN_SECS", "2"),
    ]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("summary TASK_FINISHED=8 TASK_KILLED=1"));

    // A bad value proves the variables are read at all.
    let output = run(&[("MESOS_ACTIX_REFUSE_SECONDS", "lots")]);
    assert!(
        !output.status.success(),
        "a bad MESOS_ACTIX_ value is refused"
    );
    let stderr = text(&output.stderr);
    assert!(stderr.contains("refuse_seconds"), "{stderr}");
}
