//! A REVIVE that does not take effect must not leave a task waiting forever.
//!
//! The matcher SUPPRESSes when it subscribes with nothing pending and REVIVEs when the
//! first task arrives a moment later. Calls go out on several connections (round robin),
//! so the master can process the REVIVE before the SUPPRESS: it then stays suppressed,
//! while the matcher believes it revived, holds no offer, and waits. (A REVIVE that fails
//! in transit ends the same way.) This once stalled `runtime_local`'s first task for more
//! than 30 s on a loaded CI run.

mod conn_support;
mod matcher_support;

use actix::prelude::*;
use matcher_support::{Recorder, Seen, count, offer, place, task, wait, wait_for};
use mesos_actix::__internals::master_connection::{CallError, MasterConnection, SendCall};
use mesos_actix::__internals::offer_matcher::{MatcherCore, MatcherSettings, OfferMatcher, Place};
use mesos_actix::Encoding;
use mesos_actix::local::LocalCluster;
use mesos_actix::proto::scheduler::call;
use mesos_actix::proto::{FrameworkId, TaskId};
use mesos_actix::scheduler::{Strategy, TaskSpec};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn settings() -> MatcherSettings {
    MatcherSettings {
        strategy: Strategy::FirstFit,
        refuse_seconds: 1.0,
        offer_hold: Duration::from_secs(10),
        revive_interval: Duration::from_millis(100),
    }
}

/// The exact interleaving on the matcher's own clock: SUPPRESS, then REVIVE, which the
/// master processed first, so no offer ever comes.
#[test]
fn a_revive_answered_by_no_offer_is_sent_again() {
    let mut m = MatcherCore::new(settings());
    let t0 = Instant::now();
    let out = m.subscribed(FrameworkId::new("fw-1"), false, t0);
    assert_eq!(count(&out.calls, call::Type::Suppress), 1);
    let out = place(&mut m, "t1", task("t"), t0);
    assert_eq!(count(&out.calls, call::Type::Revive), 1);
    // A minute on, still no offer: the matcher REVIVEs again.
    let later = t0 + Duration::from_secs(60);
    let out = m.tick(later);
    assert_eq!(count(&out.calls, call::Type::Revive), 1, "{:?}", out.calls);
    // Now offers come: the task is launched, and nothing more is pending.
    let out = m.offers(vec![offer("o1", "h1", "cpus:2;mem:256", None)], later);
    assert_eq!(out.launched.len(), 1);
    assert_eq!(m.pending(), 0);
}

/// Stands between the matcher and the connection: the first REVIVE never reaches the
/// master (as if it had been processed before the SUPPRESS); every other call goes
/// through. Records the calls the master answered.
struct LoseFirstRevive {
    connection: Addr<MasterConnection>,
    lost: bool,
    answered: Arc<Mutex<Vec<call::Type>>>,
}

impl Actor for LoseFirstRevive {
    type Context = Context<Self>;
}

impl Handler<SendCall> for LoseFirstRevive {
    type Result = ResponseFuture<Result<(), CallError>>;
    fn handle(&mut self, msg: SendCall, _: &mut Context<Self>) -> Self::Result {
        let kind = msg.0.r#type();
        if kind == call::Type::Revive && !self.lost {
            self.lost = true;
            return Box::pin(std::future::ready(Ok(())));
        }
        let send = self.connection.send(msg);
        let answered = self.answered.clone();
        Box::pin(async move {
            let result = send.await.unwrap_or(Err(CallError::Stopped));
            if result.is_ok() {
                answered.lock().unwrap().push(kind);
            }
            result
        })
    }
}

/// The same against the local master: it is suppressed when the task arrives and the
/// matcher's REVIVE is lost; the task must still get an offer.
#[actix_rt::test]
async fn task_is_launched_though_the_first_revive_is_lost() {
    let cluster = LocalCluster::start(one_agent()).await.unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let tracker = Recorder(seen.clone()).start();
    let answered = Arc::new(Mutex::new(Vec::new()));
    let gate_ctx = Context::<LoseFirstRevive>::new();
    let matcher = OfferMatcher::new(
        settings(),
        gate_ctx.address().recipient(),
        tracker.recipient(),
    )
    .start();
    let collector = conn_support::Collector(conn_support::Log::default()).start();
    let mut sinks = conn_support::sinks(&collector);
    sinks.offers = matcher.clone().recipient();
    sinks.rescinds = matcher.clone().recipient();
    sinks.subscribed = vec![matcher.clone().recipient()];
    sinks.disconnected = vec![matcher.clone().recipient()];
    let connection = MasterConnection::new(
        conn_support::settings(vec![cluster.url()], Encoding::Protobuf),
        sinks,
    )
    .start();
    gate_ctx.run(LoseFirstRevive {
        connection: connection.clone(),
        lost: false,
        answered: answered.clone(),
    });
    // Subscribed with nothing pending: the master has processed the SUPPRESS.
    wait::until_true(
        "the answer to the matcher's SUPPRESS",
        conn_support::WAIT,
        || answered.lock().unwrap().contains(&call::Type::Suppress),
    )
    .await;
    matcher
        .send(Place {
            task_id: TaskId::new("t1"),
            spec: Arc::new(TaskSpec::new("t").cpus(0.1).mem(16.0).command("true")),
        })
        .await
        .unwrap();
    wait_for(&seen, "the task's launch", |s| s.launched.len() == 1).await;
    assert!(answered.lock().unwrap().contains(&call::Type::Revive));
    connection
        .send(mesos_actix::__internals::master_connection::Stop::Teardown)
        .await
        .unwrap();
    cluster.stop().await;
}

fn one_agent() -> mesos_actix::local::LocalClusterConfig {
    mesos_actix::local::LocalClusterConfig {
        agents: 1,
        resources: "cpus:2;mem:1024;disk:1024".into(),
        allocation_interval: Duration::from_millis(100),
        ..Default::default()
    }
}
