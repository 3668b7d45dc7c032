//! The matcher's offer lifecycle, driven synchronously through `MatcherCore`: declines,
//! the hold bound, suppress and revive, rescinds, resubscription, no double launch.
#![allow(deprecated)]

mod matcher_support;

use matcher_support::*;
use mesos_actix::__internals::offer_matcher::MatcherCore;
use mesos_actix::proto::scheduler::call;
use mesos_actix::proto::{FrameworkId, OfferId, TaskId};
use mesos_actix::scheduler::Strategy;
use std::time::{Duration, Instant};

#[test]
fn unused_offers_declined_in_one_call_and_suppress_once() {
    let (mut m, now) = core(Strategy::FirstFit);
    let out = m.offers(
        vec![
            offer("a", "h1", "cpus:1", None),
            offer("b", "h2", "cpus:1", None),
            offer("c", "h3", "cpus:1", None),
        ],
        now,
    );
    let d = declines(&out.calls);
    assert_eq!(out.calls.len(), 1, "one DECLINE, no second SUPPRESS");
    assert_eq!(d[0].offer_ids.len(), 3);
    assert_eq!(d[0].filters.unwrap().refuse_seconds, Some(42.0));
    assert!(m.is_suppressed());
    assert_eq!(
        out.calls[0].to_call().unwrap().framework_id,
        Some(FrameworkId::new("fw-1"))
    );
}

#[test]
fn unfit_offers_are_held_then_declined_at_the_bound() {
    let (mut m, now) = core(Strategy::FirstFit);
    place(&mut m, "big", task("big").cpus(64.0), now);
    let out = m.offers(vec![offer("a", "h1", "cpus:8;mem:4096", None)], now);
    assert!(
        out.calls.is_empty(),
        "held while work is pending: {:?}",
        out.calls
    );
    assert_eq!(m.held_offers(), 1);
    assert_eq!(m.next_wake(), Some(now + Duration::from_secs(10)));
    assert!(m.tick(now + Duration::from_secs(5)).calls.is_empty());
    let out = m.tick(now + Duration::from_secs(10));
    assert_eq!(declines(&out.calls)[0].offer_ids, vec![OfferId::new("a")]);
    assert_eq!(m.held_offers(), 0);
    // A held offer is used when fitting work arrives.
    let out = m.offers(vec![offer("b", "h1", "cpus:8;mem:4096", None)], now);
    assert!(out.calls.is_empty());
    let out = place(&mut m, "small", task("small"), now);
    assert_eq!(accepts(&out.calls).len(), 1);
    assert_eq!(&*out.launched[0].offer_id, "b");
    // Removing the last pending task declines what is held and suppresses.
    m.offers(vec![offer("c", "h2", "cpus:8;mem:4096", None)], now);
    let (was, out) = m.unplace(&TaskId::new("big"), now);
    assert!(was);
    assert_eq!(declines(&out.calls)[0].offer_ids, vec![OfferId::new("c")]);
    assert_eq!(count(&out.calls, call::Type::Suppress), 1);
}

#[test]
fn zero_hold_declines_at_once() {
    let mut s = settings(Strategy::FirstFit);
    s.offer_hold = Duration::ZERO;
    let mut m = MatcherCore::new(s);
    let now = Instant::now();
    m.subscribed(FrameworkId::new("fw"), false, now);
    place(&mut m, "big", task("big").cpus(64.0), now);
    let out = m.offers(vec![offer("a", "h1", "cpus:8;mem:4096", None)], now);
    assert_eq!(declines(&out.calls).len(), 1);
}

#[test]
fn revive_on_work_is_rate_limited_and_coalesced() {
    let (mut m, now) = core(Strategy::FirstFit);
    let out = place(&mut m, "a", task("a"), now);
    assert_eq!(count(&out.calls, call::Type::Revive), 1);
    assert!(!m.is_suppressed());
    let t1 = now + Duration::from_millis(100);
    let out = place(&mut m, "b", task("b"), t1);
    assert!(
        out.calls.is_empty(),
        "second REVIVE within the interval is coalesced"
    );
    place(&mut m, "c", task("c"), t1);
    assert_eq!(m.next_wake(), Some(now + Duration::from_secs(1)));
    let out = m.tick(now + Duration::from_secs(1));
    assert_eq!(count(&out.calls, call::Type::Revive), 1);
    assert_eq!(m.next_wake(), None);
    // Work drains -> one SUPPRESS; empty offers afterwards do not suppress again.
    let out = m.offers(vec![offer("o", "h", "cpus:8;mem:4096", None)], now);
    assert_eq!(out.launched.len(), 3);
    assert_eq!(count(&out.calls, call::Type::Suppress), 1);
    let out = m.offers(vec![offer("o2", "h", "cpus:8;mem:4096", None)], now);
    assert_eq!(count(&out.calls, call::Type::Suppress), 0);
    assert_eq!(count(&out.calls, call::Type::Decline), 1);
    // New work while suppressed revives (the interval has passed).
    let out = place(&mut m, "d", task("d"), now + Duration::from_secs(3));
    assert_eq!(count(&out.calls, call::Type::Revive), 1);
}

#[test]
fn rescinded_offers_are_never_accepted() {
    let (mut m, now) = core(Strategy::FirstFit);
    place(&mut m, "big", task("big").cpus(64.0), now);
    m.offers(vec![offer("a", "h1", "cpus:8;mem:4096", None)], now);
    m.rescind(&OfferId::new("a"));
    let out = place(&mut m, "small", task("small"), now + Duration::from_secs(5));
    assert!(accepts(&out.calls).is_empty());
    assert!(
        declines(&out.calls).is_empty(),
        "a rescinded offer is not declined either"
    );
    assert_eq!(m.held_offers(), 0);
}

#[test]
fn offers_are_forgotten_on_subscribed_and_disconnected() {
    let (mut m, now) = core(Strategy::FirstFit);
    place(&mut m, "big", task("big").cpus(64.0), now);
    m.offers(vec![offer("a", "h1", "cpus:8;mem:4096", None)], now);
    let out = m.subscribed(FrameworkId::new("fw-1"), true, now + Duration::from_secs(5));
    assert_eq!(m.held_offers(), 0);
    assert_eq!(
        count(&out.calls, call::Type::Revive),
        1,
        "stale filters cleared"
    );
    let out = place(&mut m, "small", task("small"), now + Duration::from_secs(5));
    assert!(accepts(&out.calls).is_empty());
    m.offers(vec![offer("b", "h1", "cpus:1;mem:1", None)], now);
    m.disconnected();
    assert_eq!(m.held_offers(), 0);
    assert!(m.why_pending(&TaskId::new("small")).is_some());
}

#[test]
fn no_task_is_launched_twice() {
    let (mut m, now) = core(Strategy::FirstFit);
    place(&mut m, "t", task("t"), now);
    place(&mut m, "t", task("t"), now);
    assert_eq!(m.pending(), 1);
    let out = m.offers(vec![offer("a", "h1", "cpus:8;mem:4096", None)], now);
    assert_eq!(out.launched.len(), 1);
    // A Place of an id already launched is ignored too.
    place(&mut m, "t", task("t"), now);
    assert_eq!(m.pending(), 0);
    let out = m.offers(vec![offer("b", "h1", "cpus:8;mem:4096", None)], now);
    assert!(accepts(&out.calls).is_empty());
    // The same offer delivered twice is used once.
    place(&mut m, "u", task("u").cpus(64.0), now);
    place(&mut m, "v", task("v").cpus(5.0), now);
    let out = m.offers(
        vec![
            offer("dup", "h1", "cpus:8;mem:4096", None),
            offer("dup", "h1", "cpus:8;mem:4096", None),
        ],
        now,
    );
    assert_eq!(out.launched.len(), 1);
    let used: Vec<_> = accepts(&out.calls)
        .iter()
        .flat_map(|a| a.offer_ids.clone())
        .collect();
    assert_eq!(used, vec![OfferId::new("dup")]);
}

#[test]
fn held_offers_are_capped() {
    let (mut m, now) = core(Strategy::FirstFit);
    place(&mut m, "big", task("big").cpus(64.0), now);
    let n = mesos_actix::__internals::offer_matcher::MAX_HELD_OFFERS + 5;
    let offers = (0..n)
        // One agent each: offers of one agent pool, and the cap counts pools.
        .map(|i| offer(&format!("o{i}"), &format!("h{i}"), "cpus:1", None))
        .collect();
    let out = m.offers(offers, now);
    assert_eq!(
        m.held_offers(),
        mesos_actix::__internals::offer_matcher::MAX_HELD_OFFERS
    );
    let d = declines(&out.calls);
    assert_eq!(d.len(), 1);
    let expect: Vec<OfferId> = (0..5).map(|i| OfferId::new(format!("o{i}"))).collect();
    assert_eq!(d[0].offer_ids, expect, "the oldest go first");
    // Expiry declines everything held, in batches of at most MAX_DECLINE_BATCH.
    let out = m.tick(now + Duration::from_secs(60));
    let total: usize = declines(&out.calls).iter().map(|d| d.offer_ids.len()).sum();
    assert_eq!(
        total,
        mesos_actix::__internals::offer_matcher::MAX_HELD_OFFERS
    );
    assert!(
        declines(&out.calls).iter().all(
            |d| d.offer_ids.len() <= mesos_actix::__internals::offer_matcher::MAX_DECLINE_BATCH
        )
    );
}

#[test]
fn huge_durations_do_not_overflow() {
    let mut s = settings(Strategy::FirstFit);
    s.offer_hold = Duration::MAX;
    s.revive_interval = Duration::MAX;
    let mut m = MatcherCore::new(s);
    let now = Instant::now();
    m.subscribed(FrameworkId::new("fw"), false, now);
    place(&mut m, "a", task("a").cpus(64.0), now);
    place(&mut m, "b", task("b").cpus(64.0), now);
    let out = m.offers(vec![offer("o", "h", "cpus:1", None)], now);
    assert!(out.calls.is_empty());
    assert!(m.next_wake().is_some());
    assert!(m.tick(now + Duration::from_secs(3600)).calls.is_empty());
}
