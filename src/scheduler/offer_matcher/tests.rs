//! The matcher's decisions, driven synchronously through `MatcherCore` with a fake clock.
#![allow(deprecated)]

use super::testing::*;
use crate::proto::{
    ExecutorId, ExecutorInfo, FrameworkId, OfferId, Resource, TaskId, executor_info,
};
use crate::scheduler::{Constraint, Strategy, TaskSpec};
use crate::scheduler::{PendingReason, RejectReason};
use std::collections::HashSet;
use std::time::Duration;

#[test]
fn ports_are_concrete_and_disjoint_on_one_offer() {
    let (mut m, now) = core(Strategy::FirstFit);
    for i in 0..3 {
        place(&mut m, &format!("t{i}"), task("web").ports(2), now);
    }
    let out = m.offers(
        vec![offer(
            "o1",
            "h1",
            "cpus:8;mem:4096;ports:[31000-31001,31005-31006,31010-31010]",
            None,
        )],
        now,
    );
    let acc = accepts(&out.calls);
    assert_eq!(acc.len(), 1, "one ACCEPT for the one used offer");
    assert_eq!(acc[0].offer_ids, vec![OfferId::new("o1")]);
    assert_eq!(acc[0].filters.unwrap().refuse_seconds, Some(42.0));
    let ts = tasks(&acc[0]);
    assert_eq!(ts.len(), 2, "only 5 ports: two tasks of 2");
    let mut all = Vec::new();
    for t in &ts {
        let ports = values(t, "ports");
        assert_eq!(ports.len(), 2);
        for p in &ports {
            assert!([31000, 31001, 31005, 31006, 31010].contains(p));
        }
        all.extend(ports);
    }
    let uniq: HashSet<_> = all.iter().collect();
    assert_eq!(uniq.len(), 4, "no port given twice: {all:?}");
    assert_eq!(out.launched.len(), 2);
    // The third task is short of ports.
    match m.why_pending(&TaskId::new("t2")).unwrap() {
        PendingReason::Rejected(r) => {
            assert_eq!(r[0].hostname, "h1");
            assert_eq!(
                r[0].reason,
                RejectReason::Short {
                    name: "ports".into(),
                    needed: 2.0,
                    available: 1.0
                }
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn roles_and_allocation_info_are_echoed() {
    let (mut m, now) = core(Strategy::FirstFit);
    place(&mut m, "web-1", task("web").role("web").cpus(2.5), now);
    place(&mut m, "db-1", task("db").role("db"), now);
    let o = offer("o1", "h1", "cpus(web):2;cpus:2;mem:1024", Some("web"));
    let alloc = o.allocation_info.clone();
    let out = m.offers(vec![o], now);
    let acc = accepts(&out.calls);
    assert_eq!(acc.len(), 1);
    let ts = tasks(&acc[0]);
    assert_eq!(ts.len(), 1);
    assert_eq!(ts[0].task_id, TaskId::new("web-1"));
    assert_eq!(scalar(ts[0], "cpus"), 2.5);
    for r in &ts[0].resources {
        assert_eq!(
            r.allocation_info, alloc,
            "allocation_info echoed on {}",
            r.name
        );
    }
    // The reserved cpus were used as reserved (identity kept), then unreserved ones.
    let reserved: Vec<&Resource> = ts[0]
        .resources
        .iter()
        .filter(|r| !r.reservations.is_empty())
        .collect();
    assert_eq!(reserved.len(), 1);
    assert_eq!(reserved[0].scalar.unwrap().value, 2.0);
    assert_eq!(reserved[0].reservations[0].role.as_deref(), Some("web"));
    match m.why_pending(&TaskId::new("db-1")).unwrap() {
        PendingReason::Rejected(r) => assert_eq!(r[0].reason, RejectReason::Role("web".into())),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn constraints_unique_hostname_and_attributes() {
    let (mut m, now) = core(Strategy::FirstFit);
    for i in 0..3 {
        place(
            &mut m,
            &format!("u{i}"),
            task("uniq").constraint(Constraint::UniqueHostname),
            now,
        );
    }
    place(
        &mut m,
        "r1",
        task("rack").constraint(Constraint::equals("rack", "r2")),
        now,
    );
    let mut a = offer("a", "h1", "cpus:8;mem:4096", None);
    a.attributes.push(text_attr("rack", "r1"));
    let mut b = offer("b", "h2", "cpus:8;mem:4096", None);
    b.attributes.push(text_attr("rack", "r2"));
    let out = m.offers(vec![a, b], now);
    let acc = accepts(&out.calls);
    assert_eq!(acc.len(), 2);
    let placed: Vec<(String, String)> = out
        .launched
        .iter()
        .map(|l| (l.task_id.value.clone(), l.hostname.to_string()))
        .collect();
    assert!(placed.contains(&("u0".into(), "h1".into())), "{placed:?}");
    assert!(placed.contains(&("u1".into(), "h2".into())), "{placed:?}");
    assert!(placed.contains(&("r1".into(), "h2".into())), "{placed:?}");
    assert_eq!(placed.len(), 3);
    // u2 cannot go anywhere: both hosts have a `uniq` task, even in a new round.
    let out = m.offers(vec![offer("c", "h1", "cpus:8;mem:4096", None)], now);
    assert!(accepts(&out.calls).is_empty());
    assert_eq!(m.held_offers(), 1);
    match m.why_pending(&TaskId::new("u2")).unwrap() {
        PendingReason::Rejected(r) => {
            assert!(
                matches!(&r[0].reason, RejectReason::Constraint(c) if c.contains("unique")),
                "{r:?}"
            )
        }
        other => panic!("unexpected {other:?}"),
    }
    // Once u0 ends, h1 is free again for `uniq`: the held offer takes u2.
    let out = m.released(&TaskId::new("u0"), now);
    assert_eq!(out.launched.len(), 1);
    assert_eq!(out.launched[0].task_id, TaskId::new("u2"));
    assert_eq!(&*out.launched[0].offer_id, "c");
}

#[test]
fn first_fit_takes_the_first_offer() {
    let (mut m, now) = core(Strategy::FirstFit);
    place(&mut m, "t", task("t"), now);
    let out = m.offers(
        vec![
            offer("big", "h1", "cpus:8;mem:4096", None),
            offer("small", "h2", "cpus:1;mem:128", None),
        ],
        now,
    );
    assert_eq!(&*out.launched[0].offer_id, "big");
    assert_eq!(
        declines(&out.calls)[0].offer_ids,
        vec![OfferId::new("small")]
    );
}

#[test]
fn bin_pack_takes_the_fullest_offer() {
    let (mut m, now) = core(Strategy::BinPack);
    place(&mut m, "t", task("t"), now);
    let out = m.offers(
        vec![
            offer("big", "h1", "cpus:8;mem:4096", None),
            offer("snug", "h2", "cpus:1.5;mem:256", None),
            offer("mid", "h3", "cpus:4;mem:1024", None),
        ],
        now,
    );
    assert_eq!(out.launched.len(), 1);
    assert_eq!(&*out.launched[0].offer_id, "snug");
    // Both others are declined in one call.
    let d = declines(&out.calls);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].offer_ids.len(), 2);
}

#[test]
fn spread_takes_the_emptiest_host() {
    let (mut m, now) = core(Strategy::Spread);
    for i in 0..4 {
        place(&mut m, &format!("t{i}"), task("t"), now);
    }
    let out = m.offers(
        vec![
            offer("a", "h1", "cpus:8;mem:4096", None),
            offer("b", "h2", "cpus:8;mem:4096", None),
        ],
        now,
    );
    let on_h1 = out.launched.iter().filter(|l| &*l.hostname == "h1").count();
    let on_h2 = out.launched.iter().filter(|l| &*l.hostname == "h2").count();
    assert_eq!((on_h1, on_h2), (2, 2));
    // One more: h1 and h2 both have 2; a new host h3 has none and wins.
    place(&mut m, "t4", task("t"), now);
    let out = m.offers(
        vec![
            offer("c", "h1", "cpus:8;mem:4096", None),
            offer("d", "h3", "cpus:8;mem:4096", None),
        ],
        now,
    );
    assert_eq!(&*out.launched[0].hostname, "h3");
}

#[test]
fn why_pending_names_no_offers_then_the_short_resource() {
    let (mut m, now) = core(Strategy::FirstFit);
    place(&mut m, "big", task("big").cpus(64.0).mem(100.0), now);
    assert_eq!(
        m.why_pending(&TaskId::new("big")),
        Some(PendingReason::NoOffers)
    );
    assert_eq!(m.why_pending(&TaskId::new("nope")), None);
    m.offers(
        vec![
            offer("a", "h1", "cpus:8;mem:4096", None),
            offer("b", "h2", "cpus:32;mem:4096", None),
        ],
        now,
    );
    // No agent offered 64 cpus: it can never fit, as far as the offers show.
    let never = m.why_pending(&TaskId::new("big")).unwrap();
    assert_eq!(
        never,
        PendingReason::NeverFits {
            resource: "cpus".into(),
            needed: 64.0,
            largest: 32.0
        }
    );
    assert_eq!(
        never.to_string(),
        "no agent can ever fit this: needs 64 cpus (largest agent: 32 cpus)"
    );
    // A 64-cpu agent, busy now (a filler task took it whole), makes it a matter of room.
    place(&mut m, "fill", task("fill").cpus(64.0).mem(100.0), now);
    let out = m.offers(vec![offer("z", "h3", "cpus:64;mem:200", None)], now);
    assert_eq!(out.launched.len(), 1, "{:?}", out.calls);
    assert_eq!(
        out.launched[0].task_id,
        TaskId::new("big"),
        "first come, first placed"
    );
    match m.why_pending(&TaskId::new("fill")).unwrap() {
        PendingReason::Rejected(r) => {
            assert_eq!(r.len(), 3, "one per agent: {r:?}");
            // Nearest miss first.
            assert_eq!(r[0].hostname, "h2");
            assert_eq!(
                r[0].reason,
                RejectReason::Short {
                    name: "cpus".into(),
                    needed: 64.0,
                    available: 32.0
                }
            );
            assert!(r[1].reason.to_string().contains("cpus"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let line = m.why_pending(&TaskId::new("fill")).unwrap().to_string();
    assert!(
        line.starts_with(
            "no free room right now: agent agent-h2 (h2): not enough cpus: need 64, offered 32; agent agent-h1 (h1)"
        ),
        "{line}"
    );
    assert!(!line.contains('\n'));
    // After the held offers are declined, they are still the most recent evidence.
    m.tick(now + Duration::from_secs(11));
    assert!(matches!(
        m.why_pending(&TaskId::new("fill")),
        Some(PendingReason::Rejected(_))
    ));
    // A task queued after those offers were declined has seen no offers.
    place(
        &mut m,
        "later",
        task("later").cpus(64.0),
        now + Duration::from_secs(12),
    );
    assert_eq!(
        m.why_pending(&TaskId::new("later")),
        Some(PendingReason::NoOffers)
    );
}

#[test]
fn invalid_specs_stay_pending_with_a_reason() {
    let (mut m, now) = core(Strategy::FirstFit);
    place(&mut m, "bad", task("bad").cpus(f64::NAN), now);
    assert_eq!(m.pending(), 1);
    assert!(matches!(
        m.why_pending(&TaskId::new("bad")),
        Some(PendingReason::Rejected(r)) if matches!(r[0].reason, RejectReason::Invalid(_))
    ));
    let (was, _) = m.unplace(&TaskId::new("bad"), now);
    assert!(was);
    assert_eq!(m.pending(), 0);
}

fn executor(id: &str) -> ExecutorInfo {
    ExecutorInfo {
        executor_id: ExecutorId::new(id),
        command: Some(crate::proto::CommandInfo {
            value: Some("./exec".into()),
            ..Default::default()
        }),
        resources: vec![Resource::scalar("cpus", 0.5), Resource::scalar("mem", 64.0)],
        ..Default::default()
    }
}

#[test]
fn custom_executor_resources_paid_once_per_agent() {
    let (mut m, now) = core(Strategy::FirstFit);
    for i in 0..3 {
        place(
            &mut m,
            &format!("e{i}"),
            TaskSpec::new("crawl")
                .cpus(1.0)
                .mem(100.0)
                .executor(executor("ex"))
                .data(b"x".to_vec())
                .label("k", "v")
                .kill_grace_period(Duration::from_secs(3)),
            now,
        );
    }
    // 2.5 cpus: the executor (0.5) and two tasks (1 each).
    let o = offer("a", "h1", "cpus:2.5;mem:4096", Some("*"));
    let out = m.offers(vec![o], now);
    let acc = accepts(&out.calls);
    let ts = tasks(&acc[0]);
    assert_eq!(ts.len(), 2);
    let e0 = ts[0].executor.as_ref().unwrap();
    assert_eq!(
        e0,
        ts[1].executor.as_ref().unwrap(),
        "same ExecutorInfo for the same executor"
    );
    assert_eq!(e0.framework_id, Some(FrameworkId::new("fw-1")));
    assert_eq!(e0.r#type, Some(executor_info::Type::Custom as i32));
    assert_eq!(
        e0.resources
            .iter()
            .map(|r| r.scalar.unwrap().value)
            .sum::<f64>(),
        64.5
    );
    assert!(
        e0.resources
            .iter()
            .all(|r| r.allocation_info.as_ref().and_then(|a| a.role.as_deref()) == Some("*"))
    );
    assert!(ts[0].command.is_none());
    assert_eq!(ts[0].data.as_deref(), Some(&b"x"[..]));
    assert_eq!(ts[0].labels.as_ref().unwrap().labels[0].key, "k");
    assert_eq!(
        ts[0].kill_policy.unwrap().grace_period.unwrap().nanoseconds,
        3_000_000_000
    );
    assert_eq!(out.launched[0].executor_id, Some(ExecutorId::new("ex")));
    // The agent now runs the executor: one cpu is enough for the third task.
    let mut o = offer("b", "h1", "cpus:1;mem:4096", Some("*"));
    o.executor_ids.push(ExecutorId::new("ex"));
    let out = m.offers(vec![o], now);
    let ts = tasks(&accepts(&out.calls)[0])
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(ts.len(), 1);
    assert_eq!(
        ts[0].executor.as_ref(),
        Some(e0),
        "the ExecutorInfo sent first is sent again"
    );
}

#[test]
fn command_tasks_name_their_executor_after_the_task() {
    let (mut m, now) = core(Strategy::FirstFit);
    place(&mut m, "c1", task("c"), now);
    let out = m.offers(vec![offer("a", "h1", "cpus:1;mem:128", None)], now);
    let t = tasks(&accepts(&out.calls)[0])[0].clone();
    assert_eq!(t.command.as_ref().unwrap().value.as_deref(), Some("true"));
    assert!(t.executor.is_none());
    assert_eq!(t.agent_id.value, "agent-h1");
    // No executor of its own: the tracker names it after the task.
    assert_eq!(out.launched[0].executor_id, None);
}

#[test]
fn drain_many_offers_and_tasks() {
    let (mut m, now) = core(Strategy::FirstFit);
    let n = 2000;
    let shapes = [
        task("a"),
        task("b").cpus(0.5).ports(1),
        task("c").cpus(2.0).mem(64.0),
    ];
    for i in 0..n {
        place(&mut m, &format!("t{i}"), shapes[i % 3].clone(), now);
    }
    let offers = (0..n / 4)
        .map(|i| {
            offer(
                &format!("o{i}"),
                &format!("h{i}"),
                "cpus:8;mem:32768;ports:[31000-31010]",
                None,
            )
        })
        .collect();
    let out = m.offers(offers, now);
    assert_eq!(out.launched.len(), n);
    assert_eq!(m.pending(), 0);
    let acc = accepts(&out.calls);
    let mut used = HashSet::new();
    let mut launched = HashSet::new();
    for a in &acc {
        assert_eq!(a.offer_ids.len(), 1);
        assert!(used.insert(a.offer_ids[0].clone()), "offer used twice");
        let mut ports = HashSet::new();
        let mut cpus = 0.0;
        for t in tasks(a) {
            assert!(launched.insert(t.task_id.clone()), "task launched twice");
            for p in values(t, "ports") {
                assert!(ports.insert(p));
            }
            cpus += scalar(t, "cpus");
        }
        assert!(cpus <= 8.0);
    }
    assert_eq!(launched.len(), n);
}

#[test]
fn many_distinct_shapes_fill_many_offers() {
    // Every task a different size: one bucket each; offers fill front to back.
    let (mut m, now) = core(Strategy::FirstFit);
    let n = 3000;
    for i in 0..n {
        let spec = task("s")
            .cpus(0.5 + (i % 7) as f64 * 0.25)
            .mem(100.0 + i as f64);
        place(&mut m, &format!("t{i}"), spec, now);
    }
    let offers = (0..n / 2)
        .map(|i| offer(&format!("o{i}"), &format!("h{i}"), "cpus:4;mem:65536", None))
        .collect();
    let out = m.offers(offers, now);
    assert_eq!(out.launched.len() + m.pending(), n);
    assert!(out.launched.len() > n / 2, "{}", out.launched.len());
    // Whatever is still pending really does not fit what is left.
    for l in &out.launched {
        assert!(m.why_pending(&l.task_id).is_none());
    }
    let mut seen = HashSet::new();
    for a in accepts(&out.calls) {
        let cpus: f64 = tasks(&a).iter().map(|t| scalar(t, "cpus")).sum();
        assert!(cpus <= 4.0 + 1e-9);
        assert!(seen.insert(a.offer_ids[0].clone()));
    }
}

#[test]
fn role_without_allocation_info_and_max_per_host_and_sets() {
    let (mut m, now) = core(Strategy::FirstFit);
    // Offers without allocation_info (non-MULTI_ROLE) do not filter by role.
    place(&mut m, "r", task("r").role("web"), now);
    let out = m.offers(vec![offer("a", "h1", "cpus:8;mem:4096", None)], now);
    assert_eq!(out.launched.len(), 1);
    // MaxPerHost(2): two per host, across rounds.
    for i in 0..3 {
        place(
            &mut m,
            &format!("m{i}"),
            task("m").constraint(Constraint::MaxPerHost(2)),
            now,
        );
    }
    let out = m.offers(vec![offer("b", "h1", "cpus:8;mem:4096", None)], now);
    assert_eq!(out.launched.len(), 2);
    let out = m.offers(vec![offer("c", "h1", "cpus:8;mem:4096", None)], now);
    assert!(out.launched.is_empty());
    match m.why_pending(&TaskId::new("m2")).unwrap() {
        PendingReason::Rejected(r) => {
            assert!(
                matches!(&r[0].reason, RejectReason::Constraint(c) if c.contains("max 2")),
                "{r:?}"
            )
        }
        other => panic!("unexpected {other:?}"),
    }
    let out = m.offers(vec![offer("d", "h2", "cpus:8;mem:4096", None)], now);
    assert_eq!(out.launched[0].task_id, TaskId::new("m2"));
    // Set resources: items are taken, never shared between tasks.
    let mut spec = task("g");
    spec.resources.sets.insert("gpus_ids".into(), 1);
    place(&mut m, "g1", spec.clone(), now);
    place(&mut m, "g2", spec.clone(), now);
    place(&mut m, "g3", spec, now);
    let out = m.offers(
        vec![offer("e", "h3", "cpus:8;mem:4096;gpus_ids:{a,b}", None)],
        now,
    );
    let ts = tasks(&accepts(&out.calls)[0])
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(ts.len(), 2);
    let items: Vec<String> = ts
        .iter()
        .flat_map(|t| t.resources.iter().filter_map(|r| r.set.clone()))
        .flat_map(|s| s.item)
        .collect();
    assert_eq!(items, vec!["a".to_string(), "b".to_string()]);
    match m.why_pending(&TaskId::new("g3")).unwrap() {
        PendingReason::Rejected(r) => assert_eq!(
            r[0].reason,
            RejectReason::Short {
                name: "gpus_ids".into(),
                needed: 1.0,
                available: 0.0
            }
        ),
        other => panic!("unexpected {other:?}"),
    }
}

mod pooling;
mod wire;
