//! Steps of a framework's life against the real Apache Mesos cluster of
//! `real_mesos_support`, shared by the tests that drive the library there.

use crate::real_mesos_support::{RealMesos, WAIT};
use mesos_actix::scheduler::{Framework, ShutdownMode};
use std::time::Duration;

/// TEARDOWN, then the master lists the framework as completed and not as active, with every
/// task it ran in a terminal state, and the agent no longer runs any of its executors.
pub async fn teardown_and_check_gone(cluster: &RealMesos, framework: &Framework) {
    let id = framework
        .framework_id()
        .await
        .unwrap_or_else(|| panic!("no framework id"));
    framework.shutdown(ShutdownMode::Teardown).await;
    let listed = |state: &serde_json::Value, list: &str| {
        state[list]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["id"] == id.value.as_str())
    };
    let state = cluster.wait_state("the framework torn down", |state| {
        !listed(state, "frameworks") && listed(state, "completed_frameworks")
    });
    let framework_state = state["completed_frameworks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["id"] == id.value.as_str())
        .cloned()
        .unwrap_or_default();
    for task in framework_state["completed_tasks"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let state = task["state"].as_str().unwrap_or_default();
        assert!(
            matches!(
                state,
                "TASK_FINISHED" | "TASK_FAILED" | "TASK_KILLED" | "TASK_LOST"
            ),
            "{task}"
        );
    }
    // The agent's SHUTDOWN ended the framework's executors: the agent forgets it.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let agent = cluster.agent_json("/state");
        let running = agent["frameworks"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["id"] == id.value.as_str());
        if !running {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the agent still runs the framework's executor: {agent}\n{}",
            cluster.log_tails(40)
        );
        actix_rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        framework_state["tasks"]
            .as_array()
            .is_none_or(|t| t.is_empty()),
        "no task left running: {framework_state}"
    );
}
