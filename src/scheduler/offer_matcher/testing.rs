//! Sans-IO helpers for the matcher's tests: offers from resource text, call inspection,
//! and a subscribed [`MatcherCore`] on a fake clock. Used by the unit tests and, through
//! the `internals` door, by the actor-level tests.
#![allow(deprecated)]
#![cfg_attr(not(feature = "internals"), allow(dead_code))]

pub use super::engine::multi_offer_accepts;
use super::{MatcherCore, MatcherSettings, Outcome, Strategy};
use crate::proto::resource::AllocationInfo;
use crate::proto::scheduler::{Call, call};
use crate::proto::{AgentId, Attribute, FrameworkId, Offer, OfferId, TaskId, TaskInfo, value};
use crate::resources::Resources;
use crate::scheduler::TaskSpec;
pub use crate::scheduler::calls::OutCall;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An offer `id` from agent `agent` on `host`, with resources in Mesos text syntax,
/// allocated to `role` when given (`allocation_info` on the offer and every resource).
pub fn offer(id: &str, host: &str, res: &str, role: Option<&str>) -> Offer {
    let mut resources = res.parse::<Resources>().unwrap().to_proto();
    let allocation_info = role.map(|r| AllocationInfo {
        role: Some(r.to_string()),
    });
    for r in &mut resources {
        r.allocation_info = allocation_info.clone();
        if r.reservations.is_empty() {
            r.role = Some("*".into());
        }
    }
    Offer {
        id: OfferId::new(id),
        framework_id: FrameworkId::new("fw-1"),
        agent_id: AgentId::new(format!("agent-{host}")),
        hostname: host.to_string(),
        resources,
        allocation_info,
        ..Default::default()
    }
}

/// A TEXT attribute.
pub fn text_attr(name: &str, v: &str) -> Attribute {
    Attribute {
        name: name.into(),
        r#type: value::Type::Text as i32,
        text: Some(value::Text { value: v.into() }),
        ..Default::default()
    }
}

/// A call as the tests read it: a prost `Call`, or what the matcher decided (its
/// encoded ACCEPTs decoded).
pub trait AsCall {
    /// The call as a prost message.
    fn as_call(&self) -> Cow<'_, Call>;
}

impl AsCall for Call {
    fn as_call(&self) -> Cow<'_, Call> {
        Cow::Borrowed(self)
    }
}

impl AsCall for OutCall {
    fn as_call(&self) -> Cow<'_, Call> {
        self.to_call().expect("the matcher's bytes decode")
    }
}

/// The call's type.
pub fn kind(c: &impl AsCall) -> call::Type {
    call::Type::try_from(c.as_call().r#type.unwrap_or(0)).unwrap()
}

/// The ACCEPT calls.
pub fn accepts(calls: &[impl AsCall]) -> Vec<call::Accept> {
    calls
        .iter()
        .filter_map(|c| c.as_call().accept.clone())
        .collect()
}

/// The DECLINE calls.
pub fn declines(calls: &[impl AsCall]) -> Vec<call::Decline> {
    calls
        .iter()
        .filter_map(|c| c.as_call().decline.clone())
        .collect()
}

/// Count of calls of a type.
pub fn count(calls: &[impl AsCall], t: call::Type) -> usize {
    calls.iter().filter(|c| kind(*c) == t).count()
}

/// The tasks launched by an ACCEPT.
pub fn tasks(a: &call::Accept) -> Vec<&TaskInfo> {
    a.operations
        .iter()
        .filter_map(|o| o.launch.as_ref())
        .flat_map(|l| l.task_infos.iter())
        .collect()
}

/// Concrete values of the ranges resource `name` in a task.
pub fn values(t: &TaskInfo, name: &str) -> Vec<u64> {
    t.resources
        .iter()
        .filter(|r| r.name == name)
        .flat_map(|r| r.ranges.iter().flat_map(|rs| rs.range.iter()))
        .flat_map(|r| r.begin..=r.end)
        .collect()
}

/// Sum of the scalar resource `name` in a task.
pub fn scalar(t: &TaskInfo, name: &str) -> f64 {
    t.resources
        .iter()
        .filter(|r| r.name == name)
        .filter_map(|r| r.scalar.map(|s| s.value))
        .sum()
}

/// Settings with a 42 s refuse filter, 10 s hold and 1 s revive interval.
pub fn settings(strategy: Strategy) -> MatcherSettings {
    MatcherSettings {
        strategy,
        refuse_seconds: 42.0,
        offer_hold: Duration::from_secs(10),
        revive_interval: Duration::from_secs(1),
    }
}

/// A subscribed core (its SUPPRESS checked) and the clock's start.
pub fn core(strategy: Strategy) -> (MatcherCore, Instant) {
    let mut m = MatcherCore::new(settings(strategy));
    let now = Instant::now();
    let out = m.subscribed(FrameworkId::new("fw-1"), false, now);
    assert_eq!(count(&out.calls, call::Type::Suppress), 1);
    (m, now)
}

/// A 1 cpu / 128 MB command task.
pub fn task(name: &str) -> TaskSpec {
    TaskSpec::new(name).cpus(1.0).mem(128.0).command("true")
}

/// Places `spec` as task `id`.
pub fn place(m: &mut MatcherCore, id: &str, spec: TaskSpec, now: Instant) -> Outcome {
    m.place(TaskId::new(id), Arc::new(spec), now)
}
