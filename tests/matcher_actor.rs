//! The `OfferMatcher` actor with a recorder standing in for the connection and the tracker.

mod matcher_support;

use actix::prelude::*;
use matcher_support::*;
use mesos_actix::__internals::offer_matcher::{
    GetMatcherStats, MatcherSettings, OfferMatcher, PendingCount, PendingReason, Place, Unplace,
    WhyPending,
};
use mesos_actix::proto::scheduler::call;
use mesos_actix::proto::{FrameworkId, OfferId, TaskId};
use mesos_actix::scheduler::{Disconnected, Offers, Rescind, Strategy, Subscribed, TaskSpec};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn start(hold: Duration, revive: Duration) -> (Addr<OfferMatcher>, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let rec = Recorder(seen.clone()).start();
    let matcher = OfferMatcher::new(
        MatcherSettings {
            strategy: Strategy::FirstFit,
            refuse_seconds: 3600.0,
            offer_hold: hold,
            revive_interval: revive,
        },
        rec.clone().recipient(),
        rec.recipient(),
    )
    .start();
    (matcher, seen)
}

fn subscribed(resubscribed: bool) -> Subscribed {
    Subscribed {
        framework_id: FrameworkId::new("fw-1"),
        heartbeat_interval: Duration::from_secs(15),
        master_info: None,
        master_url: "http://127.0.0.1:5050".into(),
        resubscribed,
    }
}

fn place(id: &str, spec: TaskSpec) -> Place {
    Place {
        task_id: TaskId::new(id),
        spec: Arc::new(spec),
    }
}

fn small() -> TaskSpec {
    TaskSpec::new("small")
        .cpus(0.5)
        .mem(64.0)
        .ports(1)
        .command("sleep 1")
}

fn huge() -> TaskSpec {
    TaskSpec::new("huge")
        .cpus(64.0)
        .mem(64.0)
        .command("sleep 1")
}

#[actix_rt::test]
async fn suppress_revive_accept_decline_end_to_end() {
    let (m, seen) = start(Duration::from_secs(30), Duration::from_secs(30));
    m.send(subscribed(false)).await.unwrap();
    m.send(place("t1", small())).await.unwrap();
    m.send(place("t2", small())).await.unwrap();
    assert_eq!(m.send(PendingCount).await.unwrap(), 2);
    assert_eq!(
        m.send(WhyPending(TaskId::new("t1"))).await.unwrap(),
        Some(PendingReason::NoOffers)
    );
    m.send(Offers(vec![
        offer("o1", "h1", "cpus:1;mem:1024;ports:[31000-31001]", Some("*")),
        offer("o2", "h2", "cpus:1;mem:1024;ports:[31000-31001]", Some("*")),
    ]))
    .await
    .unwrap();
    wait_for(&seen, "launches", |s| s.launched.len() == 2).await;
    // More offers with nothing pending: declined together.
    m.send(Offers(vec![
        offer("o3", "h3", "cpus:1;mem:1024", Some("*")),
        offer("o4", "h4", "cpus:1;mem:1024", Some("*")),
    ]))
    .await
    .unwrap();
    wait_for(&seen, "declines", |s| !declines(&s.calls).is_empty()).await;
    let s = seen.lock().unwrap();
    let kinds: Vec<call::Type> = s.calls.iter().map(kind).collect();
    assert_eq!(
        kinds,
        vec![
            call::Type::Suppress,
            call::Type::Revive,
            call::Type::Accept,
            call::Type::Decline,
            call::Type::Suppress,
            call::Type::Decline,
        ],
        "calls in order"
    );
    let acc = accepts(&s.calls);
    assert_eq!(acc.len(), 1, "first-fit packs both small tasks on o1");
    assert_eq!(tasks(&acc[0]).len(), 2);
    let d = declines(&s.calls);
    assert_eq!(d[0].offer_ids, vec![OfferId::new("o2")]);
    assert_eq!(d[1].offer_ids, vec![OfferId::new("o3"), OfferId::new("o4")]);
    assert_eq!(d[1].filters.unwrap().refuse_seconds, Some(3600.0));
    assert!(
        s.calls
            .iter()
            .all(|c| c.framework_id == Some(FrameworkId::new("fw-1")))
    );
    assert_eq!(&*s.launched[0].offer_id, "o1");
}

#[actix_rt::test]
async fn held_offer_is_declined_after_the_bound() {
    let (m, seen) = start(Duration::from_millis(100), Duration::from_secs(30));
    m.send(subscribed(false)).await.unwrap();
    m.send(place("big", huge())).await.unwrap();
    m.send(Offers(vec![offer("o1", "h1", "cpus:8;mem:1024", None)]))
        .await
        .unwrap();
    let stats = m.send(GetMatcherStats).await.unwrap();
    assert_eq!(stats.held_offers, 1);
    assert!(!stats.suppressed);
    wait_for(&seen, "the held offer's decline", |s| {
        declines(&s.calls)
            .iter()
            .any(|d| d.offer_ids == vec![OfferId::new("o1")])
    })
    .await;
    assert_eq!(m.send(GetMatcherStats).await.unwrap().held_offers, 0);
    match m
        .send(WhyPending(TaskId::new("big")))
        .await
        .unwrap()
        .unwrap()
    {
        // The only agent seen offered 8 cpus in all: the task can never fit there.
        PendingReason::NeverFits {
            resource,
            needed,
            largest,
        } => assert_eq!((resource.as_str(), needed, largest), ("cpus", 64.0, 8.0)),
        other => panic!("unexpected {other:?}"),
    }
    // Unplacing the last task suppresses.
    assert!(m.send(Unplace(TaskId::new("big"))).await.unwrap());
    assert!(!m.send(Unplace(TaskId::new("big"))).await.unwrap());
    assert!(m.send(GetMatcherStats).await.unwrap().suppressed);
}

#[actix_rt::test]
async fn coalesced_revive_fires_after_the_interval() {
    let (m, seen) = start(Duration::from_secs(30), Duration::from_millis(150));
    m.send(subscribed(false)).await.unwrap();
    m.send(place("a", huge())).await.unwrap();
    m.send(place("b", huge())).await.unwrap();
    m.send(place("c", huge())).await.unwrap();
    // One REVIVE at once; the two requests within the interval become one more.
    wait_for(&seen, "the coalesced REVIVE", |s| {
        count(&s.calls, call::Type::Revive) >= 2
    })
    .await;
    // The timer has fired and is not re-armed: a round trip later there are still two.
    assert_eq!(m.send(PendingCount).await.unwrap(), 3);
    let s = seen.lock().unwrap();
    assert_eq!(count(&s.calls, call::Type::Revive), 2);
    assert_eq!(count(&s.calls, call::Type::Suppress), 1);
}

#[actix_rt::test]
async fn rescinded_and_resubscribed_offers_are_never_used() {
    let (m, seen) = start(Duration::from_secs(30), Duration::from_millis(10));
    m.send(subscribed(false)).await.unwrap();
    m.send(place("big", huge())).await.unwrap();
    m.send(Offers(vec![
        offer("r1", "h1", "cpus:8;mem:1024;ports:[1-10]", None),
        offer("s1", "h2", "cpus:8;mem:1024;ports:[1-10]", None),
        offer("d1", "h3", "cpus:8;mem:1024;ports:[1-10]", None),
    ]))
    .await
    .unwrap();
    assert_eq!(m.send(GetMatcherStats).await.unwrap().held_offers, 3);
    m.send(Rescind(OfferId::new("r1"))).await.unwrap();
    m.send(Disconnected {
        reason: "test".into(),
        will_retry: true,
    })
    .await
    .unwrap();
    m.send(subscribed(true)).await.unwrap();
    assert_eq!(m.send(GetMatcherStats).await.unwrap().held_offers, 0);
    m.send(place("t", small())).await.unwrap();
    m.send(Offers(vec![offer(
        "new",
        "h1",
        "cpus:8;mem:1024;ports:[1-10]",
        None,
    )]))
    .await
    .unwrap();
    wait_for(&seen, "the launch", |s| s.launched.len() == 1).await;
    let s = seen.lock().unwrap();
    let used: Vec<OfferId> = s
        .calls
        .iter()
        .filter_map(|c| {
            c.accept
                .as_ref()
                .map(|a| a.offer_ids.clone())
                .or(c.decline.as_ref().map(|d| d.offer_ids.clone()))
        })
        .flatten()
        .collect();
    assert_eq!(
        used,
        vec![OfferId::new("new")],
        "old offers are neither accepted nor declined"
    );
}

/// Offers that arrive one per message in a burst (as offers one per event do) and fit
/// nothing are declined in one DECLINE call, after an ACCEPT that does not wait for them.
#[actix_rt::test]
async fn declines_of_a_burst_go_out_as_one_call() {
    let (m, seen) = start(Duration::ZERO, Duration::from_secs(30));
    m.send(subscribed(false)).await.unwrap();
    m.send(place("t1", small())).await.unwrap();
    m.send(place("big", huge())).await.unwrap();
    // Queued without waiting: the matcher handles them in one go.
    m.do_send(Offers(vec![offer("o1", "h1", "cpus:1;mem:128", None)]));
    m.do_send(Offers(vec![offer(
        "o2",
        "h2",
        "cpus:1;mem:1024;ports:[1-2]",
        None,
    )]));
    m.do_send(Offers(vec![offer("o3", "h3", "cpus:1;mem:128", None)]));
    m.do_send(Offers(vec![offer("o4", "h4", "cpus:1;mem:128", None)]));
    wait_for(&seen, "the burst's decline", |s| {
        !declines(&s.calls).is_empty()
    })
    .await;
    // A later message is answered after the flush.
    assert_eq!(m.send(PendingCount).await.unwrap(), 1);
    let s = seen.lock().unwrap().calls.clone();
    let d = declines(&s);
    assert_eq!(d.len(), 1, "one DECLINE for the burst: {s:?}");
    let ids: Vec<&str> = d[0].offer_ids.iter().map(|o| o.value.as_str()).collect();
    assert_eq!(ids, ["o1", "o3", "o4"]);
    assert_eq!(d[0].filters.unwrap().refuse_seconds, Some(3600.0));
    let a = accepts(&s);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].offer_ids, vec![OfferId::new("o2")]);
}
