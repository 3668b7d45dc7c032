//! Offers of one agent are pooled: on the embedded local cluster (2 agents x 2 cpus) a
//! batch of 19 short tasks of mixed sizes all finish, and the matcher launches some of
//! them from an ACCEPT that names several offers of one agent (freed fragments that no
//! single offer could hold). No time thresholds: the batch time is only printed.

use actix::prelude::*;
use mesos_actix::local::LocalClusterConfig;
use mesos_actix::proto::{FrameworkInfo, TaskState};
use mesos_actix::scheduler::{Framework, ShutdownMode, TaskSpec, TaskUpdate};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(60);

/// Records final updates.
#[derive(Clone, Default)]
struct Finals(Arc<Mutex<Vec<TaskUpdate>>>);

impl Actor for Finals {
    type Context = Context<Self>;
}

impl Handler<TaskUpdate> for Finals {
    type Result = ();
    fn handle(&mut self, u: TaskUpdate, _: &mut Context<Self>) {
        if u.is_final {
            self.0.lock().unwrap().push(u);
        }
    }
}

/// 19 sub-second tasks of mixed sizes: more than the two agents hold at once, so later
/// tasks must go into room freed piecemeal by earlier ones.
fn batch() -> Vec<TaskSpec> {
    let small = [0.3, 0.4, 0.2];
    let secs = [0.3, 0.5, 0.7, 0.4, 0.6, 0.8, 0.2, 0.9, 0.5];
    (0..19)
        .map(|i| {
            let cpus = if i < 13 {
                small[i % small.len()]
            } else {
                0.5 + 0.1 * (i % 3) as f64
            };
            TaskSpec::new(format!("mixed-{i}"))
                .cpus(cpus)
                .mem(32.0)
                .command(format!("sleep {}", secs[i % secs.len()]))
        })
        .collect()
}

#[actix_rt::test]
async fn mixed_batch_finishes_from_pooled_offers() {
    let finals = Finals::default();
    let framework = Framework::builder(FrameworkInfo::new("matcher-pooling-test"))
        .local_cluster(LocalClusterConfig {
            agents: 2,
            resources: "cpus:2;mem:1024;disk:1024;ports:[31000-31100]".into(),
            ..Default::default()
        })
        .on_update(finals.clone().start().recipient())
        .start()
        .await
        .expect("framework starts");
    framework.wait_subscribed(WAIT).await.expect("subscribed");
    let before = mesos_actix::__internals::offer_matcher::testing::multi_offer_accepts();
    let started = Instant::now();
    framework.submit_all(batch()).await.expect("batch queued");
    tokio::time::timeout(WAIT, framework.wait_finished())
        .await
        .expect("every task final in time")
        .expect("framework still running");
    eprintln!("19-task mixed batch took {:?}", started.elapsed());
    let finals = finals.0.lock().unwrap().clone();
    assert_eq!(finals.len(), 19);
    assert!(
        finals.iter().all(|u| u.state == TaskState::TaskFinished),
        "{finals:?}"
    );
    let pooled = mesos_actix::__internals::offer_matcher::testing::multi_offer_accepts() - before;
    assert!(pooled > 0, "no ACCEPT named more than one offer");
    framework.shutdown(ShutdownMode::Teardown).await;
}
