//! Call outcomes under faults, on the local cluster behind a fault-injecting proxy
//! (`proxy_support`): every task runs exactly once, none is lost.
//!
//! - An ACCEPT the master refuses (400 for a stale `Mesos-Stream-Id`) puts its task back
//!   in the queue; it then runs once.
//! - The stream and the call connections cut after an ACCEPT reached the master but before
//!   its answer came back: the outcome is unknown, reconciliation finds the task; nothing is
//!   relaunched.
//! - The event stream cut while an ACCEPT is still on its way; it reaches the master after
//!   the re-subscription and is refused (stale stream id): the task is queued again and runs
//!   once (it is not reconciled as lost meanwhile).
//! - An ACCEPT held until its agent is removed (its offer rescinded): the master answers
//!   202 and drops the task for invalid offers; it is queued again and runs once on the
//!   other agent, nothing lost.
//! - The metrics of a normal run.

mod proxy_support;
mod runtime_support;

use actix::prelude::*;
use mesos_actix::local::{LocalCluster, LocalClusterConfig};
use mesos_actix::proto::{FrameworkInfo, TaskState};
use mesos_actix::scheduler::{
    Framework, MetricsSnapshot, RuntimeConfig, ShutdownMode, TaskSpec, TaskUpdate,
};
use proxy_support::{Fault, Proxy};
use runtime_support::Recorder;
use std::time::{Duration, Instant};

/// Bound of every wait (generous: the machine is shared).
const WAIT: Duration = Duration::from_secs(90);

async fn cluster() -> LocalCluster {
    cluster_of(1).await
}

async fn cluster_of(agents: usize) -> LocalCluster {
    LocalCluster::start(LocalClusterConfig {
        agents,
        resources: "cpus:2;mem:1024;disk:1024;ports:[31000-31010]".into(),
        heartbeat_interval: Duration::from_millis(500),
        allocation_interval: Duration::from_millis(100),
        status_update_backoff: Duration::from_millis(200),
        status_update_backoff_max: Duration::from_secs(1),
        executor_shutdown_grace_period: Duration::from_secs(1),
        ..Default::default()
    })
    .await
    .expect("local cluster starts")
}

async fn framework(master: String, recorder: &Recorder) -> Framework {
    let config = RuntimeConfig {
        backoff_initial_secs: 0.05,
        backoff_max_secs: 0.5,
        revive_interval_secs: 0.2,
        refuse_seconds: 1.0,
        reconcile_backoff_initial_secs: 0.2,
        reconcile_backoff_max_secs: 1.0,
        ..Default::default()
    };
    let framework = Framework::builder(FrameworkInfo::new("faults-calls"))
        .config(config)
        .master(master)
        .failover_timeout(Duration::from_secs(300))
        .on_update(recorder.clone().start().recipient())
        .start()
        .await
        .expect("framework starts");
    framework
        .wait_subscribed(WAIT)
        .await
        .expect("framework subscribes");
    framework
}

fn spec(name: &str, command: &str) -> TaskSpec {
    TaskSpec::new(name).cpus(0.5).mem(32.0).command(command)
}

/// Every task the master knows by this name (running or completed): (id, state).
async fn launches(cluster: &LocalCluster, name: &str) -> Vec<(String, String)> {
    let state = cluster.state().await;
    let mut found = Vec::new();
    for fws in ["frameworks", "completed_frameworks"] {
        for fw in state[fws].as_array().into_iter().flatten() {
            for list in ["tasks", "completed_tasks"] {
                for t in fw[list].as_array().into_iter().flatten() {
                    if t["name"] == name {
                        found.push((
                            t["id"].as_str().unwrap_or_default().to_string(),
                            t["state"].as_str().unwrap_or_default().to_string(),
                        ));
                    }
                }
            }
        }
    }
    found
}

/// Polls `check` every 20 ms for up to [`WAIT`].
async fn poll<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = Instant::now() + WAIT;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for the final update of `name` and checks that it finished, on its first
/// attempt, and that the master launched it exactly once.
async fn assert_ran_once(cluster: &LocalCluster, recorder: &Recorder, name: &str) {
    let heard = recorder
        .wait_until(WAIT, |h| {
            h.updates.iter().any(|u| u.name == name && u.is_final)
        })
        .await;
    let finals: Vec<TaskUpdate> = recorder
        .finals()
        .into_iter()
        .filter(|u| u.name == name)
        .collect();
    assert!(heard, "no final update for {name}");
    assert_eq!(finals.len(), 1, "{finals:?}");
    let last = finals.first().expect("one final update");
    assert_eq!(last.state, TaskState::TaskFinished, "{last:?}");
    assert_eq!(last.attempt, 0, "no retry was needed: {last:?}");
    let launched = launches(cluster, name).await;
    assert_eq!(launched.len(), 1, "launched exactly once: {launched:?}");
    assert_eq!(launched[0].1, "TASK_FINISHED", "{launched:?}");
}

async fn finish(framework: Framework, cluster: LocalCluster) -> MetricsSnapshot {
    let metrics = framework.metrics();
    framework.shutdown(ShutdownMode::Teardown).await;
    cluster.stop().await;
    metrics
}

#[actix_rt::test]
async fn a_refused_accept_puts_its_task_back_and_it_runs_once() {
    let cluster = cluster().await;
    let proxy = Proxy::start(cluster.addr()).await;
    let recorder = Recorder::default();
    let framework = framework(proxy.url(), &recorder).await;
    proxy.on_next_accept(Fault::StaleStreamId);
    framework.submit(spec("refused", "true")).await.unwrap();
    assert_ran_once(&cluster, &recorder, "refused").await;
    assert!(proxy.accepts() >= 2, "the task went out in a second ACCEPT");
    let m = finish(framework, cluster).await;
    assert_eq!(m.calls_failed.accept, 1, "{m:?}");
    assert_eq!(m.tasks.requeued, 1, "{m:?}");
    assert_eq!(m.tasks.launched, 1, "{m:?}");
    assert_eq!(m.tasks.finished, 1, "{m:?}");
}

#[actix_rt::test]
async fn b_stream_cut_after_the_accept_reached_the_master_relaunches_nothing() {
    let cluster = cluster().await;
    let proxy = Proxy::start(cluster.addr()).await;
    let recorder = Recorder::default();
    let framework = framework(proxy.url(), &recorder).await;
    proxy.on_next_accept(Fault::SwallowAnswer);
    framework.submit(spec("unknown", "sleep 1")).await.unwrap();
    actix_rt::time::timeout(WAIT, proxy.fault_hit())
        .await
        .expect("the ACCEPT went out");
    // The master took it; its answer never reaches the framework.
    poll("the master to launch the task", || async {
        !launches(&cluster, "unknown").await.is_empty()
    })
    .await;
    proxy.cut_all();
    assert_ran_once(&cluster, &recorder, "unknown").await;
    let m = finish(framework, cluster).await;
    assert_eq!(m.calls_failed.accept, 1, "{m:?}");
    assert_eq!(
        m.tasks.requeued, 0,
        "an unknown outcome is not requeued: {m:?}"
    );
    assert!(m.subscriptions >= 2, "{m:?}");
}

#[actix_rt::test]
async fn b_stream_cut_while_an_accept_is_in_flight_loses_nothing() {
    let cluster = cluster().await;
    let proxy = Proxy::start(cluster.addr()).await;
    let recorder = Recorder::default();
    let framework = framework(proxy.url(), &recorder).await;
    proxy.on_next_accept(Fault::Hold);
    framework.submit(spec("in-flight", "true")).await.unwrap();
    actix_rt::time::timeout(WAIT, proxy.fault_hit())
        .await
        .expect("the ACCEPT went out");
    proxy.cut_streams();
    poll("the re-subscription", || async {
        framework.metrics().subscriptions >= 2
    })
    .await;
    // Reaches the master with the old stream id: refused.
    proxy.release();
    assert_ran_once(&cluster, &recorder, "in-flight").await;
    let m = finish(framework, cluster).await;
    assert_eq!(m.calls_failed.accept, 1, "{m:?}");
    assert_eq!(m.tasks.requeued, 1, "{m:?}");
    assert_eq!(m.tasks.lost, 0, "{m:?}");
}

#[actix_rt::test]
async fn b_an_accept_answered_202_for_a_rescinded_offer_loses_nothing_and_launches_once() {
    let cluster = cluster_of(2).await;
    let proxy = Proxy::start(cluster.addr()).await;
    let recorder = Recorder::default();
    let framework = framework(proxy.url(), &recorder).await;
    proxy.on_next_accept(Fault::Hold);
    framework.submit(spec("rescinded", "true")).await.unwrap();
    actix_rt::time::timeout(WAIT, proxy.fault_hit())
        .await
        .expect("the ACCEPT went out");
    let agent = proxy.held_agent().expect("the held ACCEPT names an agent");
    let index = cluster.agent_index(&agent).expect("a local agent");
    // The master rescinds the agent's offers: the held ACCEPT names a stale offer.
    cluster.remove_agent(index).await.unwrap();
    proxy.release();
    assert_ran_once(&cluster, &recorder, "rescinded").await;
    // The user never hears of the dropped launch.
    let states: Vec<TaskState> = recorder
        .heard
        .lock()
        .unwrap()
        .updates
        .iter()
        .map(|u| u.state)
        .collect();
    assert!(
        !states.contains(&TaskState::TaskLost) && !states.contains(&TaskState::TaskDropped),
        "{states:?}"
    );
    assert!(proxy.accepts() >= 2, "the task went out in a second ACCEPT");
    let m = finish(framework, cluster).await;
    assert_eq!(m.tasks.requeued, 1, "{m:?}");
    assert_eq!(m.tasks.finished, 1, "{m:?}");
    assert_eq!(m.tasks.lost + m.tasks.dropped, 0, "{m:?}");
}

#[actix_rt::test]
async fn c_metrics_count_a_normal_run() {
    let cluster = cluster().await;
    let recorder = Recorder::default();
    let framework = framework(cluster.url(), &recorder).await;
    let specs = (0..3).map(|i| spec(&format!("m{i}"), "true")).collect();
    framework.submit_all(specs).await.unwrap();
    actix_rt::time::timeout(WAIT, framework.wait_finished())
        .await
        .expect("tasks finish in time")
        .expect("tasks finish");
    // The last ACKNOWLEDGEs follow the delivery of the final updates.
    poll("the acknowledgements", || async {
        let m = framework.metrics();
        m.acknowledgements >= 3 && m.queues.calls_in_flight == 0
    })
    .await;
    let m = finish(framework, cluster).await;
    assert!(m.offers.received >= 1, "{m:?}");
    assert!(m.offers.accepted >= 1, "{m:?}");
    assert!(m.offers.accepted <= m.offers.received, "{m:?}");
    assert_eq!(m.offers.rescinded, 0, "{m:?}");
    assert_eq!(m.tasks.submitted, 3, "{m:?}");
    assert_eq!(m.tasks.launched, 3, "{m:?}");
    assert_eq!(m.tasks.finished, 3, "{m:?}");
    assert_eq!(m.tasks.running, 0, "{m:?}");
    assert_eq!(m.tasks.queued, 0, "{m:?}");
    assert_eq!(m.tasks.requeued, 0, "{m:?}");
    assert_eq!(m.tasks.failed + m.tasks.lost + m.tasks.killed, 0, "{m:?}");
    assert!(m.acknowledgements >= 3, "{m:?}");
    assert_eq!(m.subscriptions, 1, "{m:?}");
    assert_eq!(m.disconnections, 0, "{m:?}");
    assert_eq!(m.malformed_events, 0, "{m:?}");
    assert!(m.calls_taken.accept >= 1, "{m:?}");
    assert_eq!(m.calls_failed.total(), 0, "{m:?}");
    assert_eq!(m.queues.matcher, 0, "{m:?}");
    assert_eq!(m.queues.delivery, 0, "{m:?}");
}

// ---------------------------------------------------------------------------------------
// The matcher actor alone, with a stand-in connection that fails chosen calls.
// ---------------------------------------------------------------------------------------

mod actor_level {
    use actix::prelude::*;
    use mesos_actix::__internals::master_connection::{CallError, SendCall, SendEncoded};
    use mesos_actix::__internals::offer_matcher::testing::offer;
    use mesos_actix::__internals::offer_matcher::{MatcherSettings, OfferMatcher, Place};
    use mesos_actix::__internals::task_tracker::{AcceptFailed, Launched, LaunchedAll};
    use mesos_actix::proto::scheduler::{Call, call};
    use mesos_actix::proto::{FrameworkId, TaskId};
    use mesos_actix::scheduler::{Offers, Strategy, Subscribed, TaskSpec};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// What the stand-in saw, and how it answers.
    #[derive(Default)]
    struct Seen {
        calls: Vec<Call>,
        launched: Vec<Launched>,
        /// How many `LaunchedAll` messages brought `launched`.
        launch_notices: usize,
        failed: Vec<AcceptFailed>,
        /// Answers for the next calls of a type, used up in order (then `Ok`).
        script: Vec<(call::Type, CallError)>,
    }

    struct Fake(Arc<Mutex<Seen>>);

    impl Actor for Fake {
        type Context = Context<Self>;
    }

    impl Handler<SendCall> for Fake {
        type Result = Result<(), CallError>;
        fn handle(&mut self, msg: SendCall, _: &mut Context<Self>) -> Self::Result {
            let mut seen = self.0.lock().unwrap();
            let t = msg.0.r#type;
            seen.calls.push(msg.0);
            let at = seen.script.iter().position(|(k, _)| Some(*k as i32) == t);
            match at {
                Some(i) => Err(seen.script.remove(i).1),
                None => Ok(()),
            }
        }
    }

    /// The matcher's ACCEPTs come as bytes: answered like any call (by the script).
    impl Handler<SendEncoded> for Fake {
        type Result = Result<(), CallError>;
        fn handle(&mut self, msg: SendEncoded, ctx: &mut Context<Self>) -> Self::Result {
            let call = msg.0.decode().expect("the matcher's bytes decode");
            <Self as Handler<SendCall>>::handle(self, SendCall(call), ctx)
        }
    }

    impl Handler<LaunchedAll> for Fake {
        type Result = ();
        fn handle(&mut self, msg: LaunchedAll, _: &mut Context<Self>) {
            let mut seen = self.0.lock().unwrap();
            seen.launch_notices += 1;
            seen.launched.extend(msg.0);
        }
    }

    impl Handler<AcceptFailed> for Fake {
        type Result = ();
        fn handle(&mut self, msg: AcceptFailed, _: &mut Context<Self>) {
            self.0.lock().unwrap().failed.push(msg);
        }
    }

    fn start(script: Vec<(call::Type, CallError)>) -> (Addr<OfferMatcher>, Arc<Mutex<Seen>>) {
        let seen = Arc::new(Mutex::new(Seen {
            script,
            ..Default::default()
        }));
        let fake = Fake(seen.clone()).start();
        let settings = MatcherSettings {
            strategy: Strategy::FirstFit,
            refuse_seconds: 3600.0,
            offer_hold: Duration::from_secs(30),
            revive_interval: Duration::from_millis(50),
        };
        let matcher =
            OfferMatcher::new(settings, fake.clone().recipient(), fake.clone().recipient())
                .with_accept_failures(fake.clone().recipient())
                .with_encoded(fake.recipient())
                .start();
        (matcher, seen)
    }

    fn subscribed() -> Subscribed {
        Subscribed {
            framework_id: FrameworkId::new("fw"),
            heartbeat_interval: Duration::from_secs(15),
            master_info: None,
            master_url: "http://127.0.0.1:5050".into(),
            resubscribed: false,
        }
    }

    fn place(id: &str) -> Place {
        let spec = TaskSpec::new("t").cpus(0.5).mem(32.0).command("true");
        Place {
            task_id: TaskId::new(id),
            spec: Arc::new(spec),
        }
    }

    async fn wait_for(seen: &Arc<Mutex<Seen>>, what: &str, cond: impl Fn(&Seen) -> bool) {
        let deadline = std::time::Instant::now() + super::WAIT;
        while !cond(&seen.lock().unwrap()) {
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            actix_rt::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn count(seen: &Seen, t: call::Type) -> usize {
        seen.calls
            .iter()
            .filter(|c| c.r#type == Some(t as i32))
            .count()
    }

    #[actix_rt::test]
    async fn a_failed_revive_is_sent_again() {
        let refused = CallError::Rejected {
            status: 503,
            body: "busy".into(),
        };
        let (m, seen) = start(vec![(call::Type::Revive, refused)]);
        m.send(subscribed()).await.unwrap();
        m.send(place("t1")).await.unwrap();
        wait_for(&seen, "a second REVIVE", |s| {
            count(s, call::Type::Revive) >= 2
        })
        .await;
    }

    #[actix_rt::test]
    async fn a_refused_accept_goes_back_a_lost_answer_is_launched() {
        let refused = CallError::Rejected {
            status: 400,
            body: "stale".into(),
        };
        let lost = CallError::Transport("connection reset".into());
        let (m, seen) = start(vec![
            (call::Type::Accept, refused),
            (call::Type::Accept, lost),
        ]);
        m.send(subscribed()).await.unwrap();
        m.send(place("t1")).await.unwrap();
        m.send(Offers(vec![offer("o1", "h1", "cpus:1;mem:256", None)]))
            .await
            .unwrap();
        wait_for(&seen, "the refused ACCEPT's tasks", |s| s.failed.len() == 1).await;
        {
            let s = seen.lock().unwrap();
            assert!(!s.failed[0].outcome_unknown);
            assert_eq!(s.failed[0].tasks[0].task_id, TaskId::new("t1"));
            assert!(s.launched.is_empty(), "not launched: {:?}", s.launched);
            // Its offer is given back without a filter.
            let release = s
                .calls
                .iter()
                .find(|c| c.r#type == Some(call::Type::Decline as i32))
                .and_then(|c| c.decline.clone())
                .expect("a DECLINE of the refused ACCEPT's offer");
            assert_eq!(release.offer_ids[0].value, "o1");
            assert_eq!(release.filters.and_then(|f| f.refuse_seconds), Some(0.0));
        }
        // The tracker queues it again under the same id: the matcher takes it.
        m.send(place("t1")).await.unwrap();
        m.send(Offers(vec![offer("o2", "h1", "cpus:1;mem:256", None)]))
            .await
            .unwrap();
        wait_for(&seen, "the lost answer's tasks", |s| s.failed.len() == 2).await;
        let s = seen.lock().unwrap();
        assert!(s.failed[1].outcome_unknown);
        assert_eq!(s.failed[1].tasks[0].task_id, TaskId::new("t1"));
        assert_eq!(count(&s, call::Type::Accept), 2);
    }

    /// Two ACCEPTs of one step (one per agent): the refused one's tasks go back, the
    /// taken one's tasks are launched in one notice of their own.
    #[actix_rt::test]
    async fn each_accept_of_a_step_is_answered_on_its_own() {
        let refused = CallError::Rejected {
            status: 400,
            body: "stale".into(),
        };
        let (m, seen) = start(vec![(call::Type::Accept, refused)]);
        m.send(subscribed()).await.unwrap();
        for id in ["t1", "t2", "t3", "t4"] {
            m.send(place(id)).await.unwrap();
        }
        m.send(Offers(vec![
            offer("o1", "h1", "cpus:1;mem:64", None),
            offer("o2", "h2", "cpus:1;mem:64", None),
        ]))
        .await
        .unwrap();
        wait_for(&seen, "both answers", |s| {
            s.failed.len() == 1 && s.launched.len() == 2
        })
        .await;
        let s = seen.lock().unwrap();
        assert_eq!(count(&s, call::Type::Accept), 2);
        assert_eq!(s.launch_notices, 1, "one notice for the taken ACCEPT");
        let failed = &s.failed[0];
        assert!(!failed.outcome_unknown);
        assert_eq!(failed.tasks.len(), 2);
        // Each ACCEPT's tasks are on its own agent.
        assert!(
            failed
                .tasks
                .iter()
                .all(|l| l.agent_id == failed.tasks[0].agent_id)
        );
        assert!(
            s.launched
                .iter()
                .all(|l| l.agent_id == s.launched[0].agent_id)
        );
        assert_ne!(failed.tasks[0].agent_id, s.launched[0].agent_id);
        let mut ids: Vec<_> = failed
            .tasks
            .iter()
            .chain(&s.launched)
            .map(|l| l.task_id.value.clone())
            .collect();
        ids.sort();
        assert_eq!(ids, ["t1", "t2", "t3", "t4"]);
    }
}
