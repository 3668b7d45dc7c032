//! 300 command tasks of `hello_framework` through our `mesos-command-executor` on a real
//! Apache Mesos 1.11.0 master and agent (see `scripts/real-mesos/`), checked from the
//! master's `/state` (every task TASK_FINISHED, the framework gone) and its log (no call
//! refused after TEARDOWN, no connection reset under the master). Its own cluster, so that
//! the log holds this run only.
//!
//! `cargo test` builds the examples first; run `cargo build --example hello_framework`
//! before running this file alone.

mod real_mesos_support;

use real_mesos_support::{Options, RealMesos, example, tasks_of};

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

#[test]
fn three_hundred_command_tasks_finish_and_teardown_is_clean() {
    let cluster = RealMesos::start_with(Options::with_our_command_executor());
    let tasks = 300;
    let (stdout, stderr) = cluster.run_example(
        &example("hello_framework"),
        &[
            "--tasks",
            &tasks.to_string(),
            "--cpus",
            "0.05",
            "--mem",
            "16",
            "--command",
            "true",
        ],
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
