//! Custom executors on the local cluster: a standard-library Python executor speaking the
//! executor API (JSON), messages both ways, kill, shutdown, executor exit, task groups.

mod local_support;

use local_support::*;
use mesos_actix::Encoding;
use mesos_actix::proto::{
    CommandInfo, Environment, ExecutorInfo, Offer, TaskGroupInfo, TaskInfo, TaskState, environment,
    executor_info, offer,
    scheduler::{call, event},
    task_status::{Reason, Source},
};

fn executor(id: &str, plain_api: bool) -> ExecutorInfo {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/local_support/executor.py"
    );
    let mut env = Environment::default();
    if plain_api {
        env.variables.push(environment::Variable {
            name: "EXECUTOR_API".into(),
            value: Some("plain".into()),
            ..Default::default()
        });
    }
    ExecutorInfo {
        r#type: Some(executor_info::Type::Custom as i32),
        executor_id: id.into(),
        command: Some(CommandInfo {
            value: Some(format!("python3 {script}")),
            environment: Some(env),
            ..Default::default()
        }),
        resources: task_resources(0.05, 32.0),
        ..Default::default()
    }
}

fn exec_task(id: &str, offer: &Offer, ex: &ExecutorInfo, data: &str) -> TaskInfo {
    TaskInfo {
        name: id.into(),
        task_id: id.into(),
        agent_id: offer.agent_id.clone(),
        resources: task_resources(0.1, 32.0),
        executor: Some(ex.clone()),
        data: Some(data.as_bytes().to_vec()),
        ..Default::default()
    }
}

async fn message_event(s: &mut Sched, text: &str) -> event::Message {
    s.wait_for(&format!("message {text}"), |e| {
        e.message
            .as_ref()
            .is_some_and(|m| m.data == text.as_bytes())
    })
    .await
    .message
    .unwrap()
}

async fn exercise(encoding: Encoding, plain_api: bool) {
    let cluster = start(1).await;
    let mut s = Sched::subscribe(&cluster.url(), encoding, framework("exec")).await;
    let offers = s.offers().await;
    let ex = executor("ex1", plain_api);
    assert_eq!(
        s.launch(&offers[0], vec![exec_task("w", &offers[0], &ex, "wait")])
            .await,
        202
    );
    let running = s.until_state("w", TaskState::TaskRunning).await;
    assert_eq!(running.source(), Source::Executor);
    assert_eq!(running.executor_id.as_ref().unwrap().value, "ex1");
    assert!(running.container_status.is_some());
    let hello = message_event(&mut s, "hello w").await;
    assert_eq!(hello.executor_id.value, "ex1");
    // Scheduler -> executor -> scheduler.
    let mut m = s.call(call::Type::Message);
    m.message = Some(call::Message {
        agent_id: offers[0].agent_id.clone(),
        executor_id: "ex1".into(),
        data: b"ping".to_vec(),
    });
    assert_eq!(s.post(&m).await.0, 202);
    message_event(&mut s, "echo:ping").await;
    // A second task on the same executor finishes with data.
    let offers = s.offers().await;
    assert!(offers[0].executor_ids.iter().any(|e| e.value == "ex1"));
    s.launch(&offers[0], vec![exec_task("f", &offers[0], &ex, "finish")])
        .await;
    let done = s.until_state("f", TaskState::TaskFinished).await;
    assert_eq!(done.data.as_deref(), Some(&b"done"[..]));
    // The agent acknowledged each of the executor's three updates (its receipts).
    let mut m = s.call(call::Type::Message);
    m.message = Some(call::Message {
        agent_id: offers[0].agent_id.clone(),
        executor_id: "ex1".into(),
        data: b"acks?".to_vec(),
    });
    assert_eq!(s.post(&m).await.0, 202);
    message_event(&mut s, "acks:3").await;
    // Kill the waiting task.
    let mut k = s.call(call::Type::Kill);
    k.kill = Some(call::Kill {
        task_id: "w".into(),
        agent_id: Some(offers[0].agent_id.clone()),
        kill_policy: None,
    });
    assert_eq!(s.post(&k).await.0, 202);
    s.until_state("w", TaskState::TaskKilled).await;
    // The executor's environment.
    let state = cluster.state().await;
    let env_file = find(cluster.work_dir(), "env.txt");
    let env = std::fs::read_to_string(&env_file).unwrap();
    let port = cluster.addr().port();
    assert!(
        env.contains(&format!("MESOS_SLAVE_PID=slave(1)@127.0.0.1:{port}\n")),
        "{env}"
    );
    assert!(env.contains(&format!("MESOS_AGENT_ENDPOINT=127.0.0.1:{port}\n")));
    assert!(env.contains("MESOS_EXECUTOR_ID=ex1\n"));
    assert!(env.contains(&format!("MESOS_FRAMEWORK_ID={}\n", s.framework_id)));
    assert!(env.contains("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=1secs\n"));
    assert!(env.contains(&format!(
        "MESOS_DIRECTORY={}\n",
        env_file.parent().unwrap().display()
    )));
    assert!(env.contains(&format!(
        "MESOS_SLAVE_ID={}\n",
        state["slaves"][0]["id"].as_str().unwrap()
    )));
    // SHUTDOWN: the executor exits and the framework hears of it.
    let mut sd = s.call(call::Type::Shutdown);
    sd.shutdown = Some(call::Shutdown {
        executor_id: "ex1".into(),
        agent_id: offers[0].agent_id.clone(),
    });
    assert_eq!(s.post(&sd).await.0, 202);
    let failure = s
        .wait_for("FAILURE", |e| e.r#type() == event::Type::Failure)
        .await
        .failure
        .unwrap();
    assert_eq!(failure.executor_id.unwrap().value, "ex1");
    assert_eq!(failure.status, Some(0));
    cluster.stop().await;
}

fn find(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    find_in(dir, name).unwrap_or_else(|| panic!("{name} not found under {}", dir.display()))
}

fn find_in(dir: &std::path::Path, name: &str) -> Option<std::path::PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        // Not through `runs/latest` (a symlink to the newest run, as in Apache Mesos).
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            if let Some(found) = find_in(&p, name) {
                return Some(found);
            }
        } else if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
    }
    None
}

#[actix_rt::test]
async fn custom_executor_json_scheduler() {
    exercise(Encoding::Json, false).await;
}

#[actix_rt::test]
async fn custom_executor_protobuf_scheduler_plain_executor_path() {
    exercise(Encoding::Protobuf, true).await;
}

#[actix_rt::test]
async fn executor_exit_fails_its_tasks() {
    let cluster = start(1).await;
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, framework("exit")).await;
    let offers = s.offers().await;
    let ex = executor("dies", false);
    s.launch(&offers[0], vec![exec_task("x", &offers[0], &ex, "exit")])
        .await;
    let failed = s.until_state("x", TaskState::TaskFailed).await;
    assert_eq!(failed.message.as_deref(), Some("Executor terminated"));
    assert_eq!(failed.source(), Source::Agent);
    assert_eq!(failed.reason(), Reason::ExecutorTerminated);
    assert!(failed.uuid.is_some());
    let failure = s
        .wait_for("FAILURE", |e| e.r#type() == event::Type::Failure)
        .await
        .failure
        .unwrap();
    assert_eq!(failure.status, Some(7 << 8), "raw wait status of exit(7)");
    cluster.stop().await;
}

#[actix_rt::test]
async fn executor_resubscribing_with_unacknowledged_updates_keeps_its_tasks() {
    let cluster = start(1).await;
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, framework("resub")).await;
    let offers = s.offers().await;
    let ex = executor("again", false);
    s.launch(
        &offers[0],
        vec![exec_task("r", &offers[0], &ex, "resubscribe")],
    )
    .await;
    s.until_state("r", TaskState::TaskRunning).await;
    let done = s.until_state("r", TaskState::TaskFinished).await;
    assert_eq!(done.data.as_deref(), Some(&b"after resubscribe"[..]));
    // The executor still serves its new subscription.
    let mut m = s.call(call::Type::Message);
    m.message = Some(call::Message {
        agent_id: offers[0].agent_id.clone(),
        executor_id: "again".into(),
        data: b"still there".to_vec(),
    });
    assert_eq!(s.post(&m).await.0, 202);
    message_event(&mut s, "echo:still there").await;
    cluster.stop().await;
}

/// One executor id on two agents, both on the plain `/api/v1/executor` path (as pymesos).
#[actix_rt::test]
async fn same_executor_id_on_two_agents_plain_path() {
    let cluster = start(2).await;
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, framework("twins")).await;
    let mut offers = Vec::new();
    while offers.len() < 2 {
        offers.extend(s.offers().await);
    }
    let ex = executor("twin", true);
    for (i, offer) in offers.iter().take(2).enumerate() {
        let id = format!("t{i}");
        s.launch(offer, vec![exec_task(&id, offer, &ex, "finish")])
            .await;
    }
    let a = s.until_state("t0", TaskState::TaskFinished).await;
    let b = s.until_state("t1", TaskState::TaskFinished).await;
    assert_ne!(a.agent_id, b.agent_id);
    cluster.stop().await;
}

fn launch_group(
    s: &Sched,
    offer: &Offer,
    ex: ExecutorInfo,
    tasks: Vec<TaskInfo>,
) -> mesos_actix::proto::scheduler::Call {
    let mut c = s.call(call::Type::Accept);
    c.accept = Some(call::Accept {
        offer_ids: vec![offer.id.clone()],
        operations: vec![offer::Operation {
            r#type: Some(offer::operation::Type::LaunchGroup as i32),
            launch_group: Some(offer::operation::LaunchGroup {
                executor: ex,
                task_group: TaskGroupInfo { tasks },
            }),
            ..Default::default()
        }],
        filters: None,
    });
    c
}

#[actix_rt::test]
async fn task_groups_default_and_custom_executors() {
    let cluster = start(1).await;
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, framework("groups")).await;
    let offers = s.offers().await;
    let default = ExecutorInfo {
        r#type: Some(executor_info::Type::Default as i32),
        executor_id: "default".into(),
        resources: task_resources(0.05, 32.0),
        ..Default::default()
    };
    let tasks = vec![
        command_task("g1", &offers[0], "true"),
        command_task("g2", &offers[0], "true"),
    ];
    let c = launch_group(&s, &offers[0], default, tasks);
    assert_eq!(s.post(&c).await.0, 202);
    s.until_state("g1", TaskState::TaskFinished).await;
    s.until_state("g2", TaskState::TaskFinished).await;
    let offers = s.offers().await;
    let ex = executor("grp", false);
    let mut a = exec_task("c1", &offers[0], &ex, "finish");
    let mut b = exec_task("c2", &offers[0], &ex, "finish");
    a.executor = None;
    b.executor = None;
    let c = launch_group(&s, &offers[0], ex, vec![a, b]);
    assert_eq!(s.post(&c).await.0, 202);
    s.until_state("c1", TaskState::TaskFinished).await;
    s.until_state("c2", TaskState::TaskFinished).await;
    cluster.stop().await;
}

#[actix_rt::test]
async fn executor_that_cannot_start_or_never_subscribes() {
    let mut config = test_config(1);
    config.executor_registration_timeout = std::time::Duration::from_millis(500);
    let cluster = mesos_actix::local::LocalCluster::start(config)
        .await
        .unwrap();
    let mut s = Sched::subscribe(&cluster.url(), Encoding::Json, framework("broken")).await;
    let offers = s.offers().await;
    let missing = ExecutorInfo {
        r#type: Some(executor_info::Type::Custom as i32),
        executor_id: "missing".into(),
        command: Some(CommandInfo {
            value: Some("/nonexistent/executor".into()),
            shell: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    };
    let silent = ExecutorInfo {
        r#type: Some(executor_info::Type::Custom as i32),
        executor_id: "silent".into(),
        command: Some(CommandInfo {
            value: Some("sleep 30".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    s.launch(
        &offers[0],
        vec![
            exec_task("m", &offers[0], &missing, "finish"),
            exec_task("q", &offers[0], &silent, "finish"),
        ],
    )
    .await;
    let m = s.until_state("m", TaskState::TaskFailed).await;
    assert_eq!(m.reason(), Reason::ContainerLaunchFailed);
    let q = s.until_state("q", TaskState::TaskFailed).await;
    assert_eq!(q.reason(), Reason::ExecutorRegistrationTimeout);
    cluster.stop().await;
}
