//! The ACCEPT bytes the matcher writes decode (with prost) to exactly the call the prost
//! builder makes from `TaskInfo`s built the way the matcher built them before.

use super::super::testing::*;
use crate::proto::scheduler::Call;
use crate::proto::{
    AgentId, CommandInfo, ContainerInfo, Environment, ExecutorId, ExecutorInfo, Filters,
    FrameworkId, Offer, OfferId, Resource, TaskId, TaskInfo, environment, executor_info,
};
use crate::resources::{Demand, Resources};
use crate::scheduler::calls;
use crate::scheduler::{Strategy, TaskSpec};
use std::time::Duration;

/// The prost-built `TaskInfo` of `spec` as task `id`, its resources (and its executor's)
/// taken from `pool`, as the matcher built it before it wrote bytes.
fn expected_task(spec: &TaskSpec, id: &str, offer: &Offer, pool: &mut Resources) -> TaskInfo {
    let demand = Demand::from_request(&spec.resources).unwrap();
    let resources = pool.take(&demand).unwrap();
    let executor = spec.executor.as_ref().map(|e| {
        let mut info = (**e).clone();
        info.resources = pool
            .take(&Demand::from_resources(&e.resources).unwrap())
            .unwrap();
        info.framework_id = Some(FrameworkId::new("fw-1"));
        if info.r#type.is_none() {
            info.r#type = Some(executor_info::Type::Custom as i32);
        }
        info
    });
    TaskInfo {
        name: spec.name.clone(),
        task_id: TaskId::new(id),
        agent_id: offer.agent_id.clone(),
        resources,
        command: if executor.is_some() {
            None
        } else {
            spec.command.clone()
        },
        executor,
        container: spec.container.as_deref().cloned(),
        data: spec.data.clone(),
        labels: spec.mesos_labels(),
        kill_policy: spec.kill_grace_period.map(calls::kill_policy),
        ..Default::default()
    }
}

/// Places `specs` (in order, all fitting) on `offer` and checks the one ACCEPT against
/// the prost-built call.
fn check(specs: &[TaskSpec], offer: Offer) {
    let (mut m, now) = core(Strategy::FirstFit);
    let mut pool = Resources::from_proto(offer.resources.clone()).unwrap();
    let mut want = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let id = format!("{}-{i}", spec.name);
        want.push(expected_task(spec, &id, &offer, &mut pool));
        m.place(TaskId::new(id), std::sync::Arc::new(spec.clone()), now);
    }
    let offer_id = offer.id.clone();
    let out = m.offers(vec![offer], now);
    assert_eq!(out.launched.len(), specs.len(), "every task fits");
    let Some(OutCall::Encoded(got)) = out.calls.first() else {
        panic!("the first call is an encoded ACCEPT: {:?}", out.calls);
    };
    let expected: Call = calls::accept(
        Some(FrameworkId::new("fw-1")),
        vec![offer_id],
        want,
        Filters {
            refuse_seconds: Some(42.0),
        },
    );
    assert_eq!(got.decode().unwrap(), expected);
    // The framework id of the subscription replaces the one it was built with.
    let other = FrameworkId::new("fw-2");
    let moved = got.clone().into_bytes_for(&other);
    let decoded: Call = prost::Message::decode(moved.as_slice()).unwrap();
    assert_eq!(decoded.framework_id, Some(other));
    assert_eq!(decoded.accept, expected.accept);
    let same = got.clone().into_bytes_for(&FrameworkId::new("fw-1"));
    assert_eq!(same, got.bytes(), "no copy when the id is the same");
}

fn executor(id: &str) -> ExecutorInfo {
    ExecutorInfo {
        executor_id: ExecutorId::new(id),
        command: Some(CommandInfo {
            value: Some("./exec".into()),
            ..Default::default()
        }),
        resources: vec![Resource::scalar("cpus", 0.5), Resource::scalar("mem", 64.0)],
        ..Default::default()
    }
}

#[test]
fn a_shell_command_with_ports() {
    let spec = TaskSpec::new("web")
        .cpus(0.5)
        .mem(128.0)
        .ports(2)
        .command("sleep 1");
    check(
        &[spec],
        offer("o1", "h1", "cpus:4;mem:1024;ports:[31000-31009]", None),
    );
}

#[test]
fn argv_env_data_container_and_kill_policy() {
    let mut spec = TaskSpec::new("argv")
        .cpus(1.0)
        .mem(64.0)
        .disk(10.0)
        .data(vec![0u8, 1, 2, 255])
        .kill_grace_period(Duration::from_millis(2500))
        .container(ContainerInfo {
            r#type: 1,
            hostname: Some("box".into()),
            ..Default::default()
        });
    spec.command = Some(CommandInfo {
        shell: Some(false),
        value: Some("/bin/echo".into()),
        arguments: vec!["echo".into(), "hello world".into()],
        environment: Some(Environment {
            variables: vec![environment::Variable {
                name: "A".into(),
                value: Some("1".into()),
                ..Default::default()
            }],
        }),
        ..Default::default()
    });
    check(&[spec], offer("o1", "h1", "cpus:2;mem:256;disk:100", None));
}

#[test]
fn labels_sets_and_several_tasks() {
    let a = TaskSpec::new("a")
        .cpus(0.25)
        .mem(16.0)
        .label("k", "v")
        .label("team", "infra")
        .command("true");
    let mut b = TaskSpec::new("b").cpus(0.5).mem(32.0).ports(1).command("b");
    b.resources.sets.insert("gpus_ids".into(), 2);
    let c = TaskSpec::new("c").scalar("custom", 3.0).command("c");
    check(
        &[a, b, c],
        offer(
            "o1",
            "h1",
            "cpus:2;mem:256;ports:[31000-31000,31005-31009];gpus_ids:{x,y,z};custom:10",
            None,
        ),
    );
}

#[test]
fn a_custom_executor_pays_its_resources() {
    let spec = TaskSpec::new("ex")
        .cpus(1.0)
        .mem(128.0)
        .executor(executor("e1"));
    check(&[spec], offer("o1", "h1", "cpus:4;mem:1024", None));
}

#[test]
fn reservations_and_allocation_roles_are_echoed() {
    // Reserved and unreserved pieces of one name, allocated to a role: the task takes
    // from both and each piece keeps its identity.
    let spec = TaskSpec::new("r")
        .cpus(3.0)
        .mem(64.0)
        .ports(3)
        .role("web")
        .command("r");
    let mut o = offer(
        "o1",
        "h1",
        "cpus(web):2;cpus:4;mem:256;ports(web):[31000-31001];ports:[32000-32010]",
        Some("web"),
    );
    o.agent_id = AgentId::new("agent-with-a-longer-id-0000-1111-2222");
    check(&[spec], o);
}

#[test]
fn pooled_offers_are_named_together() {
    let (mut m, now) = core(Strategy::FirstFit);
    place(&mut m, "big", task("big"), now);
    m.offers(vec![offer("a", "h1", "cpus:0.5;mem:64", None)], now);
    let out = m.offers(vec![offer("b", "h1", "cpus:0.5;mem:64", None)], now);
    let acc = accepts(&out.calls);
    assert_eq!(acc.len(), 1);
    let mut ids: Vec<&str> = acc[0].offer_ids.iter().map(|o| o.value.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(scalar(tasks(&acc[0])[0], "cpus"), 1.0);
    assert_eq!(acc[0].offer_ids.first(), Some(&OfferId::new("b")));
}
