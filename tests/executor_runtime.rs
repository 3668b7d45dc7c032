//! The executor runtime against a fake agent: launch, run, finish; kill; messages both
//! ways; SHUTDOWN cut at the grace period; reconnection without loss; malformed events.

mod executor_support;

use executor_support::*;
use mesos_actix::executor::*;
use mesos_actix::proto::{TaskState, is_valid_uuid, task_status};
use std::collections::HashSet;

fn with_json(mut vars: Vec<(String, String)>) -> Vec<(String, String)> {
    vars.push(("MESOS_ACTIX_EXECUTOR_ENCODING".into(), "json".into()));
    vars
}

async fn launch_run_finish(json: bool) {
    let agent = FakeAgent::start().await;
    let vars = if json {
        with_json(agent.env(false))
    } else {
        agent.env(false)
    };
    let (running, seen) = start_executor(vars);
    wait_for("SUBSCRIBED", || {
        seen_has(&seen, |s| {
            matches!(
                s,
                Seen::Registered {
                    resubscribed: false
                }
            )
        })
    })
    .await;
    {
        let st = agent.state.lock().unwrap();
        let sub = &st.subscribes[0];
        assert!(sub.subscribe.is_some(), "subscribe payload always present");
        let [auth, accept, content_type, stream_id] = st.subscribe_headers[0].clone();
        assert_eq!(auth.as_deref(), Some("Bearer tok.en"));
        let wanted = if json {
            "application/json"
        } else {
            "application/x-protobuf"
        };
        assert_eq!(accept.as_deref(), Some(wanted));
        assert_eq!(content_type.as_deref(), Some(wanted));
        assert_eq!(stream_id, None);
    }
    agent.send(launch("t1", "finish"));
    wait_for("two updates", || agent.updates_of("t1").len() == 2).await;
    let updates = agent.updates_of("t1");
    assert_eq!(state(&updates[0]), TaskState::TaskRunning);
    assert_eq!(state(&updates[1]), TaskState::TaskFinished);
    for u in &updates {
        assert!(is_valid_uuid(u.uuid.as_deref().unwrap()));
        assert_eq!(u.source, Some(task_status::Source::Executor as i32));
        assert_eq!(u.executor_id.as_ref().unwrap().value, EXECUTOR);
        assert_eq!(u.agent_id.as_ref().unwrap().value, AGENT);
        assert!(u.timestamp.unwrap() > 1.0e9);
    }
    assert_ne!(updates[0].uuid, updates[1].uuid);
    assert_eq!(updates[1].data.as_deref(), Some(&b"result"[..]));
    assert_eq!(updates[1].message.as_deref(), Some("done"));
    wait_for("both acknowledgements", || {
        seen_count(&seen, |s| matches!(s, Seen::Ack(t, _, _) if t == "t1")) == 2
    })
    .await;
    assert_eq!(seen_count(&seen, |s| matches!(s, Seen::Launch(_))), 1);
    // Everything is settled: a stop ends the runtime at once, successfully.
    running.handle().stop();
    let exit = running.wait().await;
    assert_eq!(exit, ExitReason::Stopped);
    assert_eq!(exit.code(), 0);
    agent.stop().await;
}

#[actix_rt::test]
async fn launch_run_finish_protobuf() {
    launch_run_finish(false).await;
}

#[actix_rt::test]
async fn launch_run_finish_json() {
    launch_run_finish(true).await;
}

#[actix_rt::test]
async fn kill_and_duplicate_launch() {
    let agent = FakeAgent::start().await;
    let (running, seen) = start_executor(agent.env(true));
    wait_for("SUBSCRIBED", || {
        seen_has(&seen, |s| matches!(s, Seen::Registered { .. }))
    })
    .await;
    agent.send(launch("k1", "killable"));
    agent.send(launch("k1", "killable"));
    wait_for("RUNNING", || agent.updates_of("k1").len() == 1).await;
    agent.send(kill("k1"));
    wait_for("KILLED", || agent.updates_of("k1").len() == 2).await;
    let updates = agent.updates_of("k1");
    assert_eq!(state(&updates[1]), TaskState::TaskKilled);
    assert_eq!(
        seen_count(&seen, |s| matches!(s, Seen::Launch(t) if t == "k1")),
        1
    );
    assert_eq!(
        seen_count(&seen, |s| matches!(s, Seen::Kill(t) if t == "k1")),
        1
    );
    // A terminal task takes no more updates; TASK_STAGING is refused.
    let h = running.handle();
    assert_eq!(
        h.update("k1", TaskState::TaskRunning, None).await,
        Err(UpdateError::AlreadyTerminal("k1".into()))
    );
    assert_eq!(
        h.update("x", TaskState::TaskStaging, None).await,
        Err(UpdateError::Staging)
    );
    agent.stop().await;
}

#[actix_rt::test]
async fn messages_both_ways() {
    let agent = FakeAgent::start().await;
    let (running, seen) = start_executor(agent.env(false));
    wait_for("SUBSCRIBED", || {
        seen_has(&seen, |s| matches!(s, Seen::Registered { .. }))
    })
    .await;
    agent.send(message(b"ping"));
    wait_for("echo", || agent.messages() == vec![b"echo:ping".to_vec()]).await;
    assert!(seen_has(&seen, |s| *s == Seen::Message(b"ping".to_vec())));
    running
        .handle()
        .send_message(b"hello".to_vec())
        .await
        .unwrap();
    assert_eq!(agent.messages().last().unwrap(), b"hello");
    agent.stop().await;
}

#[actix_rt::test]
async fn shutdown_cuts_a_stubborn_task_at_the_grace_period() {
    let agent = FakeAgent::start().await;
    let (running, seen) = start_executor(agent.env(true));
    wait_for("SUBSCRIBED", || {
        seen_has(&seen, |s| matches!(s, Seen::Registered { .. }))
    })
    .await;
    agent.send(launch("nice", "killable"));
    agent.send(launch("stubborn", "stubborn"));
    wait_for("both RUNNING", || agent.updates().len() == 2).await;
    agent.send(shutdown());
    let exit = running.wait().await;
    assert_eq!(exit, ExitReason::Shutdown);
    assert_eq!(exit.code(), 0);
    assert!(seen_has(&seen, |s| *s == Seen::Shutdown(ShutdownReason::Requested)));
    let nice = agent.updates_of("nice");
    assert_eq!(state(nice.last().unwrap()), TaskState::TaskKilled);
    assert_eq!(nice.last().unwrap().message.as_deref(), Some("shutdown"));
    let stubborn = agent.updates_of("stubborn");
    assert_eq!(stubborn.len(), 2, "RUNNING, then the runtime's TASK_KILLED");
    assert_eq!(state(&stubborn[1]), TaskState::TaskKilled);
    assert!(
        stubborn[1]
            .message
            .as_deref()
            .unwrap()
            .contains("grace period")
    );
    agent.stop().await;
}

#[actix_rt::test]
async fn shutdown_without_tasks_ends_at_once() {
    let agent = FakeAgent::start().await;
    let (running, seen) = start_executor(agent.env(false));
    wait_for("SUBSCRIBED", || {
        seen_has(&seen, |s| matches!(s, Seen::Registered { .. }))
    })
    .await;
    agent.send(shutdown());
    assert_eq!(running.wait().await, ExitReason::Shutdown);
    agent.stop().await;
}

#[actix_rt::test]
async fn agent_restart_loses_no_update_and_acknowledges_once() {
    let agent = FakeAgent::start().await;
    let (running, seen) = start_executor(agent.env(true));
    let h = running.handle();
    wait_for("SUBSCRIBED", || {
        seen_has(&seen, |s| matches!(s, Seen::Registered { .. }))
    })
    .await;
    agent.send(launch("a", "manual"));
    agent.send(launch("b", "manual"));
    wait_for("launches", || {
        seen_count(&seen, |s| matches!(s, Seen::Launch(_))) == 2
    })
    .await;
    let first = h.update("a", TaskState::TaskRunning, None).await.unwrap();
    wait_for("first ack", || {
        seen_count(&seen, |s| matches!(s, Seen::Ack(..))) == 1
    })
    .await;

    // The agent goes away.
    agent.with(|s| s.down = true);
    agent.cut();
    wait_for("disconnection", || {
        seen_has(&seen, |s| *s == Seen::Error(AgentErrorKind::Disconnected))
    })
    .await;
    let mut sent = Vec::new();
    sent.push(
        h.update("a", TaskState::TaskRunning, Some("still".into()))
            .await
            .unwrap(),
    );
    sent.push(
        h.send_update(StatusUpdate::new("a", TaskState::TaskFinished).data(b"r".to_vec()))
            .await
            .unwrap(),
    );
    sent.push(h.update("b", TaskState::TaskRunning, None).await.unwrap());
    let attempts = agent.attempts();
    wait_for("retries while down", || agent.attempts() > attempts + 1).await;
    assert!(
        agent.updates().len() == 1,
        "no UPDATE call while disconnected"
    );

    // It comes back: the re-SUBSCRIBE carries the three updates, in order.
    agent.with(|s| s.down = false);
    wait_for("resubscribed", || {
        seen_has(&seen, |s| {
            matches!(s, Seen::Registered { resubscribed: true })
        })
    })
    .await;
    let last = agent
        .state
        .lock()
        .unwrap()
        .subscribes
        .last()
        .cloned()
        .unwrap();
    let sub = last.subscribe.unwrap();
    let carried: Vec<Vec<u8>> = sub
        .unacknowledged_updates
        .iter()
        .map(|u| u.status.uuid.clone().unwrap())
        .collect();
    assert_eq!(carried, sent);
    let tasks: Vec<_> = sub
        .unacknowledged_tasks
        .iter()
        .map(|t| t.task_id.value.clone())
        .collect();
    assert_eq!(
        tasks,
        vec!["b".to_string()],
        "a had an update acknowledged, b had none"
    );
    wait_for("all acknowledged", || {
        seen_count(&seen, |s| matches!(s, Seen::Ack(..))) == 4
    })
    .await;

    // The agent repeats acknowledgements: the user hears of each update once.
    let old = agent.updates()[0].clone();
    assert_eq!(old.uuid.as_deref(), Some(&first[..]));
    agent.send(ack_event(&old));
    agent.send(message(b"sync"));
    wait_for("sync message", || {
        seen_has(&seen, |s| *s == Seen::Message(b"sync".to_vec()))
    })
    .await;
    let acked: Vec<Vec<u8>> = seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|s| match s {
            Seen::Ack(_, _, uuid) => Some(uuid.clone()),
            _ => None,
        })
        .collect();
    let unique: HashSet<_> = acked.iter().cloned().collect();
    assert_eq!(acked.len(), 4);
    assert_eq!(unique.len(), 4);
    // Updates after the reconnection go out as calls again.
    h.update("b", TaskState::TaskFinished, None).await.unwrap();
    wait_for("b finished", || agent.updates_of("b").len() == 1).await;
    agent.stop().await;
}

#[actix_rt::test]
async fn checkpoint_off_disconnection_ends_the_runtime() {
    let agent = FakeAgent::start().await;
    let (running, seen) = start_executor(agent.env(false));
    wait_for("SUBSCRIBED", || {
        seen_has(&seen, |s| matches!(s, Seen::Registered { .. }))
    })
    .await;
    agent.cut();
    let exit = running.wait().await;
    assert_eq!(exit, ExitReason::AgentGone);
    assert_ne!(exit.code(), 0);
    assert!(seen_has(&seen, |s| *s == Seen::Shutdown(ShutdownReason::AgentGone)));
    assert_eq!(
        agent.subscribe_count(),
        1,
        "no re-subscription without checkpointing"
    );
    agent.stop().await;
}

#[actix_rt::test]
async fn recovery_timeout_ends_the_runtime() {
    let agent = FakeAgent::start().await;
    let mut vars = agent.env(true);
    vars.retain(|(k, _)| k != "MESOS_RECOVERY_TIMEOUT");
    vars.push(("MESOS_RECOVERY_TIMEOUT".into(), "500ms".into()));
    let (running, seen) = start_executor(vars);
    wait_for("SUBSCRIBED", || {
        seen_has(&seen, |s| matches!(s, Seen::Registered { .. }))
    })
    .await;
    agent.with(|s| s.down = true);
    agent.cut();
    assert_eq!(running.wait().await, ExitReason::RecoveryTimedOut);
    assert!(agent.attempts() > 1, "it tried again before giving up");
    agent.stop().await;
}

#[actix_rt::test]
async fn malformed_events_are_reported_and_the_runtime_reconnects() {
    let agent = FakeAgent::start().await;
    // Checkpointing off: a malformed stream is not the agent going away.
    let (running, seen) = start_executor(agent.env(false));
    wait_for("SUBSCRIBED", || {
        seen_has(&seen, |s| matches!(s, Seen::Registered { .. }))
    })
    .await;
    agent.send_raw(b"12x\n{}");
    wait_for("second SUBSCRIBE", || agent.subscribe_count() == 2).await;
    wait_for("second SUBSCRIBED", || {
        seen_count(&seen, |s| matches!(s, Seen::Registered { .. })) == 2
    })
    .await;
    // Valid framing, invalid protobuf.
    agent.send_raw(&mesos_actix::recordio::encode(&[0xff, 0xff, 0xff, 0xff]));
    wait_for("third SUBSCRIBE", || agent.subscribe_count() == 3).await;
    wait_for("third SUBSCRIBED", || {
        seen_count(&seen, |s| matches!(s, Seen::Registered { .. })) == 3
    })
    .await;
    // A record announcing more than the size cap: refused before any allocation.
    agent.send_raw(b"99999999999999\n");
    wait_for("fourth SUBSCRIBE", || agent.subscribe_count() == 4).await;
    wait_for("fourth SUBSCRIBED", || {
        seen_count(&seen, |s| matches!(s, Seen::Registered { .. })) == 4
    })
    .await;
    assert_eq!(
        seen_count(&seen, |s| *s == Seen::Error(AgentErrorKind::MalformedEvent)),
        3
    );
    // Still fully working.
    agent.send(launch("after", "finish"));
    wait_for("task done", || agent.updates_of("after").len() == 2).await;
    assert!(running.handle().is_running());
    agent.stop().await;
}

#[actix_rt::test]
async fn refused_subscription_is_fatal() {
    let agent = FakeAgent::start().await;
    agent.with(|s| s.reject_subscribe = Some(401));
    let (running, seen) = start_executor(agent.env(true));
    let exit = running.wait().await;
    assert!(
        matches!(exit, ExitReason::Fatal(ref m) if m.contains("401")),
        "{exit:?}"
    );
    assert!(seen_has(&seen, |s| *s
        == Seen::Error(AgentErrorKind::SubscribeRejected)));
    agent.stop().await;
}
