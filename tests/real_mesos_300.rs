//! 300 command tasks of `hello_framework` through our `mesos-command-executor` on a real
//! Apache Mesos 1.11.0 master and agent (see `scripts/real-mesos/`), checked from the
//! master's `/state` (every task TASK_FINISHED, the framework gone) and its log (no call
//! refused after TEARDOWN, no connection reset under the master). Its own cluster, so that
//! the log holds this run only.
//!
//! `cargo test` builds the examples first; run `cargo build --example hello_framework`
//! before running this file alone.

mod real_mesos_support;

use real_mesos_support::{Options, RealMesos, all_tasks, example};
use std::path::PathBuf;
use std::process::Command;

/// Master log lines that mean a call reached the master after TEARDOWN, or a connection
/// was broken under it.
const BAD_LOG_LINES: &[&str] = &["Framework cannot be found", "Failed to recv"];

fn bad_log_lines(cluster: &RealMesos) -> Vec<String> {
    let log = std::fs::read_to_string(cluster.run_dir.join("master.log")).unwrap_or_default();
    log.lines()
        .filter(|line| BAD_LOG_LINES.iter().any(|bad| line.contains(bad)))
        .map(str::to_string)
        .collect()
}

/// The tasks of the frameworks named `name` the master knows, and whether any such
/// framework is still active.
fn tasks_of(state: &serde_json::Value, name: &str) -> (Vec<(String, String)>, bool) {
    let tasks = all_tasks(state)
        .into_iter()
        .filter(|(framework, _, _)| framework == name)
        .map(|(_, id, state)| (id, state))
        .collect();
    let active = state["frameworks"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|f| f["name"] == name);
    (tasks, active)
}

#[test]
fn three_hundred_command_tasks_finish_and_teardown_is_clean() {
    let cluster = RealMesos::start_with(Options {
        command_executor: Some(PathBuf::from(env!("CARGO_BIN_EXE_mesos-command-executor"))),
        master_env: vec![("MESOS_ALLOCATION_INTERVAL".into(), "100ms".into())],
        ..Options::default()
    });
    let framework = example("hello_framework");
    let tasks = 300;
    let out = Command::new(&framework)
        .args(["--master", &cluster.master_url()])
        .args(["--tasks", &tasks.to_string()])
        .args(["--cpus", "0.05", "--mem", "16"])
        .args(["--command", "true"])
        .env_remove("MESOS_MASTER")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", framework.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "hello_framework exited with {:?}\n--- stderr ---\n{stderr}\n{}",
        out.status,
        cluster.log_tails(40)
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.contains("TaskFinished"))
            .count(),
        tasks,
        "{stdout}"
    );
    let state = cluster.wait_state("300 tasks finished and the framework gone", |state| {
        let (seen, active) = tasks_of(state, "hello_framework");
        !active && seen.len() == tasks
    });
    let (seen, _) = tasks_of(&state, "hello_framework");
    let unfinished: Vec<_> = seen.iter().filter(|(_, s)| s != "TASK_FINISHED").collect();
    assert!(unfinished.is_empty(), "not finished: {unfinished:?}");
    // No call refused or unanswered around TEARDOWN, from either side.
    assert!(!stderr.contains("call failed"), "a call failed:\n{stderr}");
    let bad = bad_log_lines(&cluster);
    assert!(bad.is_empty(), "the master log has:\n{}", bad.join("\n"));
}
