//! The scheduler runtime and the executor runtime against a real Apache Mesos 1.11.0 master
//! and agent (see `scripts/real-mesos/`), in both encodings: command tasks through our
//! `mesos-command-executor` (installed as the agent's `mesos-executor`), a custom executor
//! (`hello_executor`) with messages both ways, kills, reconciliation answers, suppression,
//! the agent's SHUTDOWN of executors, and TEARDOWN (the framework gone from `/state`).
//!
//! One master and agent serve every test of this file (they run in parallel, each with its
//! own framework). `cargo test` builds the examples first; run `cargo build --example
//! hello_executor` before running this file alone.

mod real_mesos_framework_support;
mod real_mesos_support;
mod runtime_support;

use actix::prelude::*;
use mesos_actix::Encoding;
use mesos_actix::proto::framework_info::capability::Type as Capability;
use mesos_actix::proto::scheduler::{Call, call};
use mesos_actix::proto::{
    CommandInfo, Environment, ExecutorInfo, FrameworkInfo, Resource, TaskId, TaskState,
    environment, task_status,
};
use mesos_actix::scheduler::{Framework, Offers, Rescind, TaskSpec, TaskUpdate};
use real_mesos_framework_support::teardown_and_check_gone;
use real_mesos_support::{Options, RealMesos, WAIT, all_tasks};
use runtime_support::{Heard, Recorder};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The one cluster of this file, with our command executor installed.
fn cluster() -> &'static RealMesos {
    static CLUSTER: OnceLock<RealMesos> = OnceLock::new();
    CLUSTER.get_or_init(|| RealMesos::start_with(Options::with_our_command_executor()))
}

fn info(name: &str) -> FrameworkInfo {
    let mut info = FrameworkInfo::new(name);
    info.add_capability(Capability::TaskKillingState);
    info
}

async fn start(name: &str, encoding: Encoding, recorder: &Recorder) -> Framework {
    let framework = Framework::builder(info(name))
        .master(cluster().master_url())
        .encoding(encoding)
        .on_update(recorder.clone().start().recipient())
        .on_message(recorder.clone().start().recipient())
        .start()
        .await
        .unwrap_or_else(|e| panic!("framework starts: {e}"));
    framework
        .wait_subscribed(WAIT)
        .await
        .unwrap_or_else(|e| panic!("subscribed: {e}\n{}", cluster().log_tails(30)));
    framework
}

/// The states `recorder` heard for `task`, in order.
fn states(heard: &Heard, task: &TaskId) -> Vec<TaskState> {
    heard
        .updates
        .iter()
        .filter(|u| &u.task_id == task)
        .map(|u| u.state)
        .collect()
}

fn last(heard: &Heard, task: &TaskId) -> Option<TaskUpdate> {
    heard
        .updates
        .iter()
        .rev()
        .find(|u| &u.task_id == task)
        .cloned()
}

async fn wait_for(recorder: &Recorder, what: &str, check: impl Fn(&Heard) -> bool) {
    if !recorder.wait_until(WAIT, check).await {
        let heard = recorder.heard.lock().map(|h| h.updates.clone());
        panic!(
            "never saw {what}; updates: {heard:#?}\n{}",
            cluster().log_tails(40)
        );
    }
}

async fn wait_state(recorder: &Recorder, task: &TaskId, state: TaskState) {
    let what = format!("{} reach {state:?}", task.value);
    wait_for(recorder, &what, |h| states(h, task).contains(&state)).await;
}

async fn command_tasks(encoding: Encoding) {
    let recorder = Recorder::default();
    let name = format!("real-command-{encoding:?}");
    let framework = start(&name, encoding, &recorder).await;
    let ok = framework
        .submit(TaskSpec::new("ok").cpus(0.1).mem(32.0).command("echo ok"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let failing = framework
        .submit(TaskSpec::new("fails").cpus(0.1).mem(32.0).command("exit 3"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The argv form (`shell: false`, `arguments[0]` is argv[0]) with the command's own
    // environment.
    let mut argv_spec = TaskSpec::new("argv").cpus(0.1).mem(32.0);
    argv_spec.command = Some(CommandInfo {
        shell: Some(false),
        value: Some("/bin/sh".into()),
        arguments: vec![
            "sh".into(),
            "-c".into(),
            "test \"$GREETING\" = hi && test \"$0\" = sh".into(),
        ],
        environment: Some(Environment {
            variables: vec![environment::Variable {
                name: "GREETING".into(),
                value: Some("hi".into()),
                ..Default::default()
            }],
        }),
        ..Default::default()
    });
    let argv = framework
        .submit(argv_spec)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // A command that ignores SIGTERM: killed by SIGKILL after the 1 s grace period.
    let stubborn = framework
        .submit(
            TaskSpec::new("stubborn")
                .cpus(0.1)
                .mem(32.0)
                .command("trap '' TERM; sleep 60")
                .kill_grace_period(Duration::from_secs(1)),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sleeper = framework
        .submit(
            TaskSpec::new("sleeper")
                .cpus(0.1)
                .mem(32.0)
                .command("sleep 60"),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Left running at TEARDOWN: the agent's SHUTDOWN reaches our command executor.
    let left = framework
        .submit(
            TaskSpec::new("left")
                .cpus(0.1)
                .mem(32.0)
                .command("sleep 60"),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    wait_state(&recorder, &ok, TaskState::TaskFinished).await;
    wait_state(&recorder, &failing, TaskState::TaskFailed).await;
    wait_state(&recorder, &argv, TaskState::TaskFinished).await;
    wait_state(&recorder, &stubborn, TaskState::TaskRunning).await;
    wait_state(&recorder, &sleeper, TaskState::TaskRunning).await;
    wait_state(&recorder, &left, TaskState::TaskRunning).await;
    {
        let heard = recorder.heard.lock().unwrap_or_else(|e| e.into_inner());
        assert_eq!(
            states(&heard, &ok),
            [
                TaskState::TaskStarting,
                TaskState::TaskRunning,
                TaskState::TaskFinished
            ]
        );
        let finished = last(&heard, &ok).unwrap_or_else(|| panic!("no update"));
        assert_eq!(
            finished.status.message.as_deref(),
            Some("Command exited with status 0")
        );
        assert_eq!(
            finished.status.source,
            Some(task_status::Source::Executor as i32)
        );
        assert_eq!(
            states(&heard, &failing),
            [
                TaskState::TaskStarting,
                TaskState::TaskRunning,
                TaskState::TaskFailed
            ]
        );
        let failed = last(&heard, &failing).unwrap_or_else(|| panic!("no update"));
        assert_eq!(
            failed.status.message.as_deref(),
            Some("Command exited with status 3")
        );
        // Mesos' command executor gives no reason, and the 1.11 agent adds none.
        assert_eq!(failed.status.reason, None, "{failed:?}");
        assert!(failed.is_final);
    }

    // Explicit reconciliation of the running tasks: the master answers with their latest
    // state, reason RECONCILIATION, source MASTER.
    framework
        .reconcile()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for(&recorder, "a reconciliation answer for the sleeper", |h| {
        h.updates.iter().any(|u| {
            u.task_id == sleeper
                && u.state == TaskState::TaskRunning
                && u.status.reason == Some(task_status::Reason::Reconciliation as i32)
                && u.status.source == Some(task_status::Source::Master as i32)
        })
    })
    .await;

    framework
        .kill(&sleeper)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    framework
        .kill(&stubborn)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_state(&recorder, &sleeper, TaskState::TaskKilled).await;
    wait_state(&recorder, &stubborn, TaskState::TaskKilled).await;
    {
        let heard = recorder.heard.lock().unwrap_or_else(|e| e.into_inner());
        for (task, message) in [
            (&sleeper, "Command terminated with signal Terminated"),
            (&stubborn, "Command terminated with signal Killed"),
        ] {
            let seen = states(&heard, task);
            let killing = seen.iter().position(|s| *s == TaskState::TaskKilling);
            assert!(
                killing.is_some_and(|k| seen[k + 1..] == [TaskState::TaskKilled]),
                "{}: {seen:?}",
                task.value
            );
            let killed = last(&heard, task).unwrap_or_else(|| panic!("no update"));
            assert_eq!(killed.status.message.as_deref(), Some(message));
        }
    }
    teardown_and_check_gone(cluster(), &framework).await;
}

#[actix_rt::test]
async fn command_tasks_protobuf() {
    command_tasks(Encoding::Protobuf).await;
}

#[actix_rt::test]
async fn command_tasks_json() {
    command_tasks(Encoding::Json).await;
}

fn hello_executor(id: &str) -> ExecutorInfo {
    ExecutorInfo {
        executor_id: id.into(),
        name: Some("hello_executor".into()),
        command: Some(CommandInfo {
            value: Some(
                runtime_support::hello_executor()
                    .to_string_lossy()
                    .into_owned(),
            ),
            shell: Some(true),
            ..Default::default()
        }),
        resources: vec![
            Resource::scalar("cpus", 0.01),
            Resource::scalar("mem", 32.0),
        ],
        ..Default::default()
    }
}

/// The executor runtime (`hello_executor`) under the real agent: subscribe, updates and
/// their acknowledgements (the master sees them), messages both ways, an agent-side kill,
/// and the agent's SHUTDOWN when the framework is torn down.
async fn custom_executor(encoding: Encoding) {
    let recorder = Recorder::default();
    let name = format!("real-executor-{encoding:?}");
    let framework = start(&name, encoding, &recorder).await;
    let executor = hello_executor("hello-exec");
    let spec = |name: &str, command: &str| {
        TaskSpec::new(name)
            .cpus(0.1)
            .mem(32.0)
            .executor(executor.clone())
            .data(command.as_bytes().to_vec())
    };
    let done = framework
        .submit(spec("done", "true"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let talker = framework
        .submit(spec("talker", "sleep 60"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let lingering = framework
        .submit(spec("lingering", "sleep 60"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_state(&recorder, &done, TaskState::TaskFinished).await;
    wait_state(&recorder, &talker, TaskState::TaskRunning).await;
    wait_state(&recorder, &lingering, TaskState::TaskRunning).await;

    framework
        .send_message_to_task(&talker, b"ping".to_vec())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for(&recorder, "the executor's reply", |h| {
        h.messages
            .iter()
            .any(|m| m.data == b"hello_executor got: ping" && m.executor_id.value == "hello-exec")
    })
    .await;

    framework
        .kill(&talker)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_state(&recorder, &talker, TaskState::TaskKilled).await;

    // The master shows what the executor reported and the scheduler acknowledged.
    cluster().wait_state("the executor's updates at the master", |state| {
        let tasks = all_tasks(state);
        let state_of = |task: &TaskId| {
            tasks
                .iter()
                .find(|(_, t, _)| t == &task.value)
                .map(|(_, _, s)| s.clone())
        };
        state_of(&done).as_deref() == Some("TASK_FINISHED")
            && state_of(&talker).as_deref() == Some("TASK_KILLED")
            && state_of(&lingering).as_deref() == Some("TASK_RUNNING")
    });

    // TEARDOWN: the agent sends SHUTDOWN to the executor, which kills the lingering task
    // and exits; the agent then has no executor of this framework.
    teardown_and_check_gone(cluster(), &framework).await;
    let state = cluster().master_json("/state");
    let lingering_state = all_tasks(&state)
        .into_iter()
        .find(|(_, t, _)| t == &lingering.value)
        .map(|(_, _, s)| s);
    assert_eq!(lingering_state.as_deref(), Some("TASK_KILLED"));
}

#[actix_rt::test]
async fn custom_executor_protobuf() {
    custom_executor(Encoding::Protobuf).await;
}

#[actix_rt::test]
async fn custom_executor_json() {
    custom_executor(Encoding::Json).await;
}

/// A counter from the master's `/metrics/snapshot`.
fn metric(name: &str) -> f64 {
    cluster().master_json("/metrics/snapshot")[name]
        .as_f64()
        .unwrap_or_else(|| panic!("no metric {name}"))
}

/// Waits (bounded) until the master's counter `name` exceeds `before`.
fn wait_metric_above(name: &str, before: f64) {
    let deadline = std::time::Instant::now() + WAIT;
    while metric(name) <= before {
        assert!(
            std::time::Instant::now() < deadline,
            "{name} stayed at {before}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Collects offers in raw mode.
#[derive(Clone, Default)]
struct OfferSink {
    offers: Arc<Mutex<Vec<mesos_actix::proto::Offer>>>,
}

impl Actor for OfferSink {
    type Context = Context<Self>;
}

impl Handler<Offers> for OfferSink {
    type Result = ();
    fn handle(&mut self, Offers(offers): Offers, _: &mut Context<Self>) {
        if let Ok(mut all) = self.offers.lock() {
            all.extend(offers);
        }
    }
}

impl Handler<Rescind> for OfferSink {
    type Result = ();
    fn handle(&mut self, _: Rescind, _: &mut Context<Self>) {}
}

/// Raw mode: the master's answers to explicit reconciliation of tasks it does not know, and
/// DECLINE with a filter, SUPPRESS and REVIVE as the master's `/state` shows them.
async fn raw_calls(encoding: Encoding) {
    let recorder = Recorder::default();
    let sink = OfferSink::default();
    let sink_addr = sink.clone().start();
    let framework = Framework::builder(info(&format!("real-raw-{encoding:?}")))
        .master(cluster().master_url())
        .encoding(encoding)
        .on_update(recorder.clone().start().recipient())
        .raw_offers(sink_addr.clone().recipient(), sink_addr.recipient())
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let id = framework
        .wait_subscribed(WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let offers = sink.offers.clone();
    wait_for(&recorder, "an offer", move |_| {
        offers.lock().map(|o| !o.is_empty()).unwrap_or(false)
    })
    .await;
    let offer = sink.offers.lock().map(|o| o[0].clone()).unwrap_or_default();
    let agent = offer.agent_id.clone();

    // Unknown task on a registered agent, and with no agent: a framework that is not
    // partition-aware hears TASK_LOST for both, reason RECONCILIATION, from the master.
    let unknown_on_agent = TaskId::from("no-such-task-on-agent");
    let unknown = TaskId::from("no-such-task");
    let reconcile = Call {
        r#type: Some(call::Type::Reconcile as i32),
        reconcile: Some(call::Reconcile {
            tasks: vec![
                call::reconcile::Task {
                    task_id: unknown_on_agent.clone(),
                    agent_id: Some(agent.clone()),
                },
                call::reconcile::Task {
                    task_id: unknown.clone(),
                    agent_id: None,
                },
            ],
        }),
        ..Default::default()
    };
    framework
        .call(reconcile)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_for(&recorder, "both reconciliation answers", |h| {
        !states(h, &unknown_on_agent).is_empty() && !states(h, &unknown).is_empty()
    })
    .await;
    {
        let heard = recorder.heard.lock().unwrap_or_else(|e| e.into_inner());
        for task in [&unknown_on_agent, &unknown] {
            let answer = last(&heard, task).unwrap_or_else(|| panic!("no answer"));
            assert_eq!(answer.state, TaskState::TaskLost, "{answer:?}");
            assert_eq!(
                answer.status.reason,
                Some(task_status::Reason::Reconciliation as i32),
                "{answer:?}"
            );
            assert_eq!(
                answer.status.source,
                Some(task_status::Source::Master as i32)
            );
        }
    }

    // DECLINE with a long filter: the master no longer offers the agent to us.
    let decline = Call {
        r#type: Some(call::Type::Decline as i32),
        decline: Some(call::Decline {
            offer_ids: vec![offer.id.clone()],
            filters: Some(mesos_actix::proto::Filters {
                refuse_seconds: Some(3600.0),
            }),
        }),
        ..Default::default()
    };
    framework
        .call(decline)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let offered = |state: &serde_json::Value| {
        state["frameworks"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["id"] == id.value.as_str())
            .map(|f| f["offers"].as_array().map_or(0, Vec::len))
    };
    cluster().wait_state("the declined offer gone", |s| offered(s) == Some(0));
    // REVIVE clears the filter: offers come back.
    sink.offers
        .lock()
        .map(|mut o| o.clear())
        .unwrap_or_default();
    let revived_before = metric("master/messages_revive_offers");
    let revive = Call {
        r#type: Some(call::Type::Revive as i32),
        ..Default::default()
    };
    framework
        .call(revive)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_metric_above("master/messages_revive_offers", revived_before);
    let offers = sink.offers.clone();
    wait_for(&recorder, "an offer after REVIVE", move |_| {
        offers.lock().map(|o| !o.is_empty()).unwrap_or(false)
    })
    .await;
    // SUPPRESS: the master counts it (its /frameworks shows no suppression in 1.11).
    let suppressed_before = metric("master/messages_suppress_offers");
    let suppress = Call {
        r#type: Some(call::Type::Suppress as i32),
        ..Default::default()
    };
    framework
        .call(suppress)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait_metric_above("master/messages_suppress_offers", suppressed_before);
    teardown_and_check_gone(cluster(), &framework).await;
}

#[actix_rt::test]
async fn raw_calls_protobuf() {
    raw_calls(Encoding::Protobuf).await;
}

#[actix_rt::test]
async fn raw_calls_json() {
    raw_calls(Encoding::Json).await;
}
