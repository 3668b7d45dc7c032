//! Offers in and ACCEPTs out: a real master's offer, pooling of one agent's offers, and
//! a rescinded offer leaving its pool.
#![allow(deprecated)]

use super::super::testing::*;
use crate::proto::OfferId;
use crate::proto::scheduler::call;
use crate::scheduler::{Strategy, TaskSpec};
use std::time::Duration;

/// The OFFERS event a real Mesos 1.11 master sent (see the reference samples).
const REAL_OFFERS: &str = r#"{"type":"OFFERS","offers":{"offers":[{"id":{"value":"X-O1"},"framework_id":{"value":"X-0001"},"agent_id":{"value":"X-S0"},"hostname":"localhost","url":{"scheme":"http","address":{"hostname":"localhost","ip":"127.0.0.1","port":5151},"path":"/slave(1)"},"resources":[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]},"role":"*","allocation_info":{"role":"*"}},{"name":"cpus","type":"SCALAR","scalar":{"value":2.0},"role":"*","allocation_info":{"role":"*"}},{"name":"mem","type":"SCALAR","scalar":{"value":23081.0},"role":"*","allocation_info":{"role":"*"}},{"name":"disk","type":"SCALAR","scalar":{"value":252899.0},"role":"*","allocation_info":{"role":"*"}}],"allocation_info":{"role":"*"}}]}}"#;

#[test]
fn real_mesos_offer_round_trips_into_an_accept() {
    use crate::proto::scheduler::Event;
    let event: Event = crate::json::decode(REAL_OFFERS.as_bytes()).unwrap();
    let offers = event.offers.unwrap().offers;
    let (mut m, now) = core(Strategy::FirstFit);
    place(
        &mut m,
        "t1",
        TaskSpec::new("t1")
            .cpus(0.1)
            .mem(32.0)
            .ports(1)
            .command("echo hi"),
        now,
    );
    let out = m.offers(offers, now);
    let acc = accepts(&out.calls);
    assert_eq!(acc[0].offer_ids[0].value, "X-O1");
    let t = tasks(&acc[0])[0].clone();
    assert_eq!(t.agent_id.value, "X-S0");
    assert_eq!(values(&t, "ports"), vec![31000]);
    assert_eq!(scalar(&t, "cpus"), 0.1);
    for r in &t.resources {
        assert_eq!(
            r.allocation_info.as_ref().unwrap().role.as_deref(),
            Some("*")
        );
        assert_eq!(r.role.as_deref(), Some("*"));
    }
    // And it encodes as Mesos JSON with the allocation echoed.
    let json = String::from_utf8(crate::json::encode(&*out.calls[0].as_call()).unwrap()).unwrap();
    assert!(json.contains(r#""type":"ACCEPT""#), "{json}");
    assert!(json.contains(r#""allocation_info":{"role":"*"}"#), "{json}");
    assert!(json.contains(r#""refuse_seconds":42"#), "{json}");
}

/// The offer ids an ACCEPT names, as text, sorted.
fn accepted_ids(a: &crate::proto::scheduler::call::Accept) -> Vec<String> {
    let mut ids: Vec<String> = a.offer_ids.iter().map(|o| o.value.clone()).collect();
    ids.sort();
    ids
}

#[test]
fn fragments_of_one_agent_pool_into_one_accept() {
    let (mut m, now) = core(Strategy::FirstFit);
    place(
        &mut m,
        "big",
        TaskSpec::new("big").cpus(0.5).mem(64.0).command("true"),
        now,
    );
    // Two fragments of agent-h1, each too small alone, arriving in separate events, and
    // one of another agent that must not join them.
    let out = m.offers(vec![offer("o1", "h1", "cpus:0.3;mem:100", None)], now);
    assert!(accepts(&out.calls).is_empty());
    let out = m.offers(vec![offer("o2", "h2", "cpus:0.4;mem:100", None)], now);
    assert!(accepts(&out.calls).is_empty());
    assert_eq!(m.held_offers(), 2);
    let out = m.offers(vec![offer("o3", "h1", "cpus:0.2;mem:100", None)], now);
    let acc = accepts(&out.calls);
    assert_eq!(acc.len(), 1, "{:?}", out.calls);
    assert_eq!(
        accepted_ids(&acc[0]),
        ["o1", "o3"],
        "both offers of h1, not h2's"
    );
    let ts = tasks(&acc[0]);
    assert_eq!(ts.len(), 1);
    assert!((scalar(ts[0], "cpus") - 0.5).abs() < 1e-9);
    assert_eq!(out.launched.len(), 1);
    assert_eq!(m.pending(), 0);
    // Nothing is pending: h2's offer is declined.
    let declined: Vec<OfferId> = declines(&out.calls)
        .into_iter()
        .flat_map(|d| d.offer_ids)
        .collect();
    assert_eq!(declined, [OfferId::new("o2")]);
}

#[test]
fn offers_of_one_agent_in_one_event_pool_and_roles_stay_apart() {
    let (mut m, now) = core(Strategy::FirstFit);
    place(
        &mut m,
        "t",
        TaskSpec::new("t").cpus(1.0).mem(64.0).command("true"),
        now,
    );
    let out = m.offers(
        vec![
            offer("a", "h1", "cpus:0.5;mem:100", Some("r1")),
            offer("b", "h1", "cpus:0.5;mem:100", Some("r2")),
        ],
        now,
    );
    assert!(accepts(&out.calls).is_empty(), "different roles never pool");
    let out = m.offers(vec![offer("c", "h1", "cpus:0.5;mem:100", Some("r2"))], now);
    let acc = accepts(&out.calls);
    assert_eq!(acc.len(), 1);
    assert_eq!(accepted_ids(&acc[0]), ["b", "c"]);
}

#[test]
fn a_rescinded_offer_leaves_its_pool() {
    let (mut m, now) = core(Strategy::FirstFit);
    place(
        &mut m,
        "t",
        TaskSpec::new("t").cpus(1.0).mem(64.0).command("true"),
        now,
    );
    m.offers(vec![offer("o1", "h1", "cpus:0.6;mem:100", None)], now);
    m.offers(vec![offer("o2", "h1", "cpus:0.3;mem:100", None)], now);
    assert_eq!(m.held_offers(), 2);
    m.rescind(&OfferId::new("o1"));
    assert_eq!(m.held_offers(), 1);
    // 0.3 + 0.6 would fit; 0.3 + 0.5 does not: o1's resources left with it.
    let out = m.offers(vec![offer("o3", "h1", "cpus:0.5;mem:100", None)], now);
    assert!(accepts(&out.calls).is_empty(), "{:?}", out.calls);
    let out = m.offers(vec![offer("o4", "h1", "cpus:0.2;mem:100", None)], now);
    let acc = accepts(&out.calls);
    assert_eq!(acc.len(), 1);
    assert_eq!(accepted_ids(&acc[0]), ["o2", "o3", "o4"]);
}

#[test]
fn spent_offers_with_work_left_revive() {
    let (mut m, now) = core(Strategy::FirstFit);
    for i in 0..2 {
        place(&mut m, &format!("t{i}"), task("w"), now);
    }
    let later = now + Duration::from_secs(5);
    let out = m.offers(vec![offer("o1", "h1", "cpus:1;mem:256", None)], later);
    assert_eq!(accepts(&out.calls).len(), 1);
    assert_eq!(m.pending(), 1);
    assert_eq!(count(&out.calls, call::Type::Revive), 1, "{:?}", out.calls);
}
