//! The executor runtime on the edges: a real agent's JSON events, task groups, updates made
//! before SUBSCRIBED, HEARTBEAT calls, refused updates.

mod executor_support;

use executor_support::*;
use mesos_actix::executor::*;
use mesos_actix::proto::{AgentId, TaskGroupInfo, TaskId, TaskInfo, TaskState, executor};
use std::time::Duration;

/// Events exactly as a real Apache Mesos 1.11.0 agent sent them (real-mesos samples).
const REAL_LAUNCH: &str = r#"{"type":"LAUNCH","launch":{"task":{"name":"x1","task_id":{"value":"x1"},"agent_id":{"value":"S0"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.1},"allocation_info":{"role":"*"}},{"name":"mem","type":"SCALAR","scalar":{"value":32.0},"allocation_info":{"role":"*"}}],"executor":{"type":"CUSTOM","executor_id":{"value":"rawexec"},"framework_id":{"value":"F-0000"},"command":{"shell":true,"value":"python3 rawexec.py"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.05},"allocation_info":{"role":"*"}}]},"data":"cGluZw=="}}}"#;
const REAL_SUBSCRIBED: &str = r#"{"type":"SUBSCRIBED","subscribed":{"executor_info":{"type":"CUSTOM","executor_id":{"value":"rawexec"},"framework_id":{"value":"F-0000"},"command":{"shell":true,"value":"python3 rawexec.py"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.05},"allocation_info":{"role":"*"}},{"name":"mem","type":"SCALAR","scalar":{"value":32.0},"allocation_info":{"role":"*"}}]},"framework_info":{"user":"root","name":"capture-exec","id":{"value":"F-0000"},"failover_timeout":60.0,"checkpoint":true,"roles":["*"],"capabilities":[{"type":"MULTI_ROLE"}]},"agent_info":{"hostname":"localhost","port":5153,"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":2.0}},{"name":"mem","type":"SCALAR","scalar":{"value":23081.0}},{"name":"disk","type":"SCALAR","scalar":{"value":252899.0}},{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]}}],"id":{"value":"REAL-S0"}},"container_id":{"value":"c-1"}}}"#;
const REAL_ACK: &str = r#"{"type":"ACKNOWLEDGED","acknowledged":{"task_id":{"value":"x1"},"uuid":"K4eB/nH7SwCz01v5VgislA=="}}"#;
const REAL_MESSAGE: &str = r#"{"type":"MESSAGE","message":{"data":"dG8tZXhlYw=="}}"#;
const REAL_SHUTDOWN: &str = r#"{"type":"SHUTDOWN"}"#;

fn framed(json: &str) -> Vec<u8> {
    mesos_actix::recordio::encode(json.as_bytes())
}

#[actix_rt::test]
async fn real_agent_json_events() {
    let agent = FakeAgent::start().await;
    agent.with(|s| s.silent = true);
    let mut vars = agent.env(false);
    vars.push(("MESOS_ACTIX_EXECUTOR_ENCODING".into(), "json".into()));
    vars.retain(|(k, _)| k != "MESOS_SLAVE_ID");
    let (running, seen) = start_executor(vars);
    wait_for("SUBSCRIBE", || agent.subscribe_count() == 1).await;
    agent.send_raw(&framed(REAL_SUBSCRIBED));
    wait_for("SUBSCRIBED", || {
        seen_has(&seen, |s| matches!(s, Seen::Registered { .. }))
    })
    .await;
    // Several records in one chunk, and a record split over two chunks.
    let mut bytes = framed(REAL_LAUNCH);
    bytes.extend(framed(REAL_ACK));
    let message = framed(REAL_MESSAGE);
    let (head, tail) = message.split_at(7);
    bytes.extend_from_slice(head);
    agent.send_raw(&bytes);
    agent.send_raw(tail);
    wait_for("message", || {
        seen_has(&seen, |s| *s == Seen::Message(b"to-exec".to_vec()))
    })
    .await;
    assert!(seen_has(&seen, |s| *s == Seen::Launch("x1".into())));
    assert_eq!(
        seen_count(&seen, |s| matches!(s, Seen::Ack(..))),
        0,
        "unknown uuid ignored"
    );
    running
        .handle()
        .update("x1", TaskState::TaskRunning, None)
        .await
        .unwrap();
    wait_for("RUNNING acknowledged", || {
        seen_count(&seen, |s| matches!(s, Seen::Ack(..))) == 1
    })
    .await;
    agent.send_raw(&framed(REAL_SHUTDOWN));
    // x1 ignores the shutdown: the runtime reports it killed and ends.
    assert_eq!(running.wait().await, ExitReason::Shutdown);
    let x1 = agent.updates_of("x1");
    assert_eq!(state(x1.last().unwrap()), TaskState::TaskKilled);
    // The agent id came from the real SUBSCRIBED.
    let ids: Vec<_> = x1.iter().map(|u| u.agent_id.clone()).collect();
    assert!(
        x1.iter()
            .all(|u| u.agent_id.as_ref().unwrap().value == "REAL-S0"),
        "{ids:?}"
    );
    agent.stop().await;
}

fn group(ids: &[&str]) -> executor::Event {
    executor::Event {
        r#type: Some(executor::event::Type::LaunchGroup as i32),
        launch_group: Some(executor::event::LaunchGroup {
            task_group: TaskGroupInfo {
                tasks: ids
                    .iter()
                    .map(|id| TaskInfo {
                        name: id.to_string(),
                        task_id: TaskId::new(*id),
                        agent_id: AgentId::new(AGENT),
                        data: Some(b"finish".to_vec()),
                        ..Default::default()
                    })
                    .collect(),
            },
        }),
        ..Default::default()
    }
}

#[actix_rt::test]
async fn task_group_without_a_group_recipient_arrives_as_launches() {
    let agent = FakeAgent::start().await;
    let (_running, seen) = start_executor(agent.env(false));
    wait_for("SUBSCRIBED", || {
        seen_has(&seen, |s| matches!(s, Seen::Registered { .. }))
    })
    .await;
    agent.send(group(&["g1", "g2"]));
    wait_for("both finished", || {
        agent.updates_of("g1").len() == 2 && agent.updates_of("g2").len() == 2
    })
    .await;
    assert_eq!(seen_count(&seen, |s| matches!(s, Seen::Launch(_))), 2);
    agent.stop().await;
}

#[actix_rt::test]
async fn updates_made_before_subscribed_are_sent_after_it() {
    let agent = FakeAgent::start().await;
    agent.with(|s| s.silent = true);
    let (running, seen) = start_executor(agent.env(true));
    wait_for("SUBSCRIBE", || agent.subscribe_count() == 1).await;
    let h = running.handle();
    let uuid = h
        .update("early", TaskState::TaskRunning, None)
        .await
        .unwrap();
    assert!(agent.updates().is_empty(), "not sent before SUBSCRIBED");
    agent.send(subscribed_event());
    wait_for("the early update", || agent.updates_of("early").len() == 1).await;
    assert_eq!(
        agent.updates_of("early")[0].uuid.as_deref(),
        Some(&uuid[..])
    );
    wait_for("its ack", || {
        seen_count(&seen, |s| matches!(s, Seen::Ack(..))) == 1
    })
    .await;
    agent.stop().await;
}

#[actix_rt::test]
async fn heartbeat_calls_are_sent() {
    let agent = FakeAgent::start().await;
    let settings = ExecutorSettings {
        heartbeat_interval: Duration::from_millis(100),
        ..settings()
    };
    let (_running, _seen) = start_executor_with(agent.env(false), settings);
    wait_for("two HEARTBEAT calls", || {
        agent
            .call_types()
            .iter()
            .filter(|t| **t == executor::call::Type::Heartbeat)
            .count()
            >= 2
    })
    .await;
    agent.stop().await;
}

#[actix_rt::test]
async fn a_refused_update_is_reported_and_dropped() {
    let agent = FakeAgent::start().await;
    let (running, seen) = start_executor(agent.env(false));
    wait_for("SUBSCRIBED", || {
        seen_has(&seen, |s| matches!(s, Seen::Registered { .. }))
    })
    .await;
    agent.with(|s| s.reject_updates = true);
    running
        .handle()
        .update("nope", TaskState::TaskRunning, None)
        .await
        .unwrap();
    wait_for("UpdateRejected", || {
        seen_has(&seen, |s| *s == Seen::Error(AgentErrorKind::UpdateRejected))
    })
    .await;
    // Nothing is left to settle, so a stop ends the runtime at once.
    running.handle().stop();
    assert_eq!(running.wait().await, ExitReason::Stopped);
    agent.stop().await;
}

#[actix_rt::test]
async fn task_group_goes_whole_to_a_group_recipient_once() {
    let agent = FakeAgent::start().await;
    let env = ExecutorEnv::from_vars(agent.env(false)).unwrap();
    let (exec, seen) = TestExecutor::new();
    let addr = actix::Actor::start(exec);
    let _running = ExecutorBuilder::new(env)
        .settings(settings())
        .on_registered(addr.clone().recipient())
        .with_launch_group(addr.clone().recipient())
        .start(addr);
    wait_for("SUBSCRIBED", || {
        seen_has(&seen, |s| matches!(s, Seen::Registered { .. }))
    })
    .await;
    agent.send(group(&["g1", "g2"]));
    agent.send(group(&["g1", "g2"]));
    agent.send(group(&["g2", "g3"]));
    wait_for("groups", || {
        seen_count(&seen, |s| matches!(s, Seen::Group(_))) == 2
    })
    .await;
    let groups: Vec<Seen> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| matches!(s, Seen::Group(_)))
        .cloned()
        .collect();
    assert_eq!(
        groups,
        vec![
            Seen::Group(vec!["g1".into(), "g2".into()]),
            Seen::Group(vec!["g3".into()]),
        ],
        "a duplicate group is dropped; a live task is never delivered twice"
    );
    assert_eq!(seen_count(&seen, |s| matches!(s, Seen::Launch(_))), 0);
    agent.stop().await;
}
