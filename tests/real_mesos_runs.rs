//! Whole programs against a real Apache Mesos 1.11.0 master and agent (see
//! `scripts/real-mesos/`): `pinspider --demo` with its executors launched by the real
//! containerizer; the master's `/state` shows every task TASK_FINISHED (pinspider waits
//! for every terminal update before TEARDOWN) and no warning about executor resources.
//! (pinspider is built by its support module.)

mod pinspider_support;
mod real_mesos_support;

use real_mesos_support::{Options, RealMesos, tasks_of};
use std::sync::OnceLock;

/// The one cluster of this file, with our command executor installed.
fn cluster() -> &'static RealMesos {
    static CLUSTER: OnceLock<RealMesos> = OnceLock::new();
    CLUSTER.get_or_init(|| RealMesos::start_with(Options::with_our_command_executor()))
}

#[test]
fn pinspider_demo_on_the_real_agent() {
    let cluster = cluster();
    let out = pinspider_support::run(&["--demo", "--master", &cluster.master_url()], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stderr}\n{}",
        cluster.log_tails(40)
    );
    assert!(stderr.contains("5 users (5 ok, 0 failed)"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 15, "{stdout}");
    // pinspider waited for every terminal update before TEARDOWN: no task was killed by it.
    let state = cluster.wait_state("pinspider torn down", |state| {
        let (tasks, active) = tasks_of(state, "pinspider");
        !active && !tasks.is_empty()
    });
    let (tasks, _) = tasks_of(&state, "pinspider");
    assert!(
        tasks.iter().all(|(_, state)| state == "TASK_FINISHED"),
        "{tasks:?}"
    );
    // The executors declared their resources (the master warns otherwise).
    let log = std::fs::read_to_string(cluster.run_dir.join("master.log")).unwrap_or_default();
    let warnings: Vec<_> = log
        .lines()
        .filter(|l| l.contains("pinspider") && l.contains("Please update your executor"))
        .collect();
    assert!(warnings.is_empty(), "{warnings:#?}");
}
