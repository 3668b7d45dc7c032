//! Smoke tests against a real Apache Mesos 1.11.0 master and agent (separate processes, see
//! `scripts/real-mesos/`): the cluster comes up with one activated agent, and the
//! `hello_framework` example runs tasks through the `hello_executor` example, launched by the
//! real agent's containerizer, in both encodings; the master's `/state` shows every task
//! TASK_FINISHED.
//!
//! The first run downloads the PyPI artifact and a few Debian packages (cached under
//! `target/real-mesos`); without network access these tests fail with the reason.
//! `cargo test` builds the examples first; run `cargo build --example hello_framework
//! --example hello_executor` before running this file alone.

mod real_mesos_support;

use real_mesos_support::*;

#[test]
fn real_master_has_one_activated_agent() {
    let cluster = RealMesos::start_with(Options::fast_allocation());
    let state = cluster.master_json("/state");
    assert_eq!(state["version"], "1.11.0", "master version");
    assert_eq!(state["activated_slaves"], 1.0, "activated agents");
    let agents = state["slaves"].as_array().cloned().unwrap_or_default();
    assert_eq!(agents.len(), 1, "agents: {agents:?}");
    assert_eq!(agents[0]["active"], true);
    let agent_pid = agents[0]["pid"].as_str().unwrap_or_default();
    assert_eq!(agent_pid, format!("slave(1)@{}", cluster.agent));

    // Extra master flags reach the master.
    let flags = cluster.master_json("/flags");
    assert_eq!(flags["flags"]["allocation_interval"], "100ms");
    assert_eq!(flags["flags"]["registry"], "in_memory");

    // The agent is its own process on its own port, registered with this master.
    let agent_state = cluster.agent_json("/state");
    assert_eq!(agent_state["version"], "1.11.0", "agent version");
    assert_eq!(agent_state["master_hostname"], "localhost");
    assert_eq!(
        agent_state["id"], agents[0]["id"],
        "the agent's id is the one the master registered"
    );
}

#[test]
fn hello_framework_runs_custom_executor_tasks_to_finished() {
    let framework = example("hello_framework");
    let executor = example("hello_executor");
    let cluster = RealMesos::start();
    let tasks = 3;
    let executor = executor.to_str().expect("a UTF-8 path");
    for encoding in ["protobuf", "json"] {
        cluster.run_example(
            &framework,
            &[
                "--encoding",
                encoding,
                "--tasks",
                &tasks.to_string(),
                "--command",
                "echo hello from the real agent",
                "--executor",
                executor,
            ],
        );
    }

    // Both runs' tasks, every one TASK_FINISHED (the frameworks tore down after their last
    // update, so the master lists them under completed frameworks).
    let want = 2 * tasks;
    cluster.wait_state(
        "every hello_framework task finished and no framework active",
        |state| {
            let tasks: Vec<_> = all_tasks(state)
                .into_iter()
                .filter(|(name, _, _)| name == "hello_framework")
                .collect();
            tasks.len() == want
                && tasks.iter().all(|(_, _, s)| s == "TASK_FINISHED")
                && state["frameworks"].as_array().is_some_and(Vec::is_empty)
        },
    );
}
