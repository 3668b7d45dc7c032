//! Tasks submitted one after another leave in one ACCEPT when one offer has room for all
//! of them, whether they were submitted before or after SUBSCRIBED (a submit before
//! SUBSCRIBED is queued). Against the test kit's `FakeMaster`, through the public API.

use mesos_actix::proto::FrameworkInfo;
use mesos_actix::proto::scheduler::call::Type as CallType;
use mesos_actix::scheduler::{Framework, RuntimeConfig, ShutdownMode, TaskSpec};
use mesos_actix::testkit::{FakeMaster, RecordedCall};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

fn launched(c: &RecordedCall) -> usize {
    c.call
        .iter()
        .flat_map(|c| &c.accept)
        .flat_map(|a| &a.operations)
        .filter_map(|op| op.launch.as_ref())
        .map(|l| l.task_infos.len())
        .sum()
}

fn is_accept(c: &RecordedCall) -> bool {
    c.call_type() == Some(CallType::Accept)
}

async fn three_tasks_one_accept(before_subscribed: bool) {
    let master = FakeMaster::start().await.unwrap();
    let framework = Framework::builder(FrameworkInfo::new("matcher-batching"))
        .config(RuntimeConfig {
            offer_hold_secs: 60.0,
            ..Default::default()
        })
        .master(master.url())
        .start()
        .await
        .unwrap();
    if !before_subscribed {
        framework.wait_subscribed(WAIT).await.unwrap();
    }
    for i in 0..3 {
        let spec = TaskSpec::new(format!("t{i}"))
            .cpus(0.5)
            .mem(64.0)
            .command("true");
        framework.submit(spec).await.unwrap();
    }
    framework.wait_subscribed(WAIT).await.unwrap();
    assert!(master.send_offers(vec![master.offer("o1", 4.0, 1024.0)]));
    let accept = master
        .wait_for_call(is_accept, WAIT)
        .await
        .expect("an ACCEPT");
    assert_eq!(launched(&accept), 3, "all three tasks in the one ACCEPT");
    let accepts = master.calls().iter().filter(|c| is_accept(c)).count();
    assert_eq!(accepts, 1);
    framework.shutdown(ShutdownMode::Teardown).await;
}

#[actix_rt::test]
async fn submits_before_subscribed_leave_in_one_accept() {
    three_tasks_one_accept(true).await;
}

#[actix_rt::test]
async fn submits_after_subscribed_leave_in_one_accept() {
    three_tasks_one_accept(false).await;
}
