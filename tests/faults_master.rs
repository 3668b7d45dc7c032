//! Fault suite, master family: the master restarts mid-stream with its state lost
//! ([`LocalCluster::restart_master`]) while a framework has running and queued tasks. The
//! agents keep their executors and re-report their tasks; the framework re-subscribes,
//! reconciles, relaunches exactly what Mesos reports lost (here: nothing) and runs every
//! task to the end: zero tasks lost, zero launched twice.

mod master_faults_support;
mod runtime_support;

use master_faults_support::{Scenario, TASKS, wait_until};

#[actix_rt::test]
async fn master_restart_with_state_lost_loses_no_task_and_launches_none_twice() {
    let scenario = Scenario::start("faults-master-restart").await;
    let half = TASKS / 2;
    let before = scenario.launch_count();
    assert_eq!(before, half, "half of the tasks run, half wait");

    scenario.cluster.restart_master().await;

    wait_until("the framework re-subscribes", || {
        scenario.subscriptions() >= 2
    })
    .await;
    // The agents re-registered with the tasks they run: the new master knows them again.
    scenario.master_knows_running(half).await;
    assert_eq!(
        scenario.launch_count(),
        before,
        "nothing was started again across the restart"
    );
    scenario.finish_and_check().await;
}

#[actix_rt::test]
async fn master_restart_twice_in_a_row_loses_no_task() {
    let scenario = Scenario::start("faults-master-restart-twice").await;
    scenario.cluster.restart_master().await;
    // The second restart may strike before or after the framework's re-subscription.
    scenario.cluster.restart_master().await;
    wait_until("the framework re-subscribes", || {
        scenario.subscriptions() >= 2
    })
    .await;
    scenario.master_knows_running(TASKS / 2).await;
    scenario.finish_and_check().await;
}
