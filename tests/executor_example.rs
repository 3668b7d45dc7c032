//! `examples/hello_executor` as a real process against the fake agent: shell commands run
//! and report, kill, messages, SHUTDOWN exits 0, and a bad environment exits non-zero with
//! every problem listed.
//!
//! `cargo test` builds the examples before it runs tests; run `cargo build --example
//! hello_executor` first when running this file alone.

mod executor_support;

use executor_support::*;
use mesos_actix::proto::TaskState;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps")
        .join("examples")
        .join("hello_executor");
    assert!(
        path.exists(),
        "{} not built (run `cargo build --example hello_executor`)",
        path.display()
    );
    path
}

/// Starts the example; its stderr is captured only when asked (an unread pipe could
/// fill up and block it).
fn spawn(bin: &PathBuf, vars: Vec<(String, String)>, capture_stderr: bool) -> Child {
    Command::new(bin)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .envs(vars)
        .stdout(Stdio::null())
        .stderr(if capture_stderr {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .spawn()
        .unwrap()
}

/// Waits (polling, bounded) for the process to exit.
async fn exit_code(child: &mut Child) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("hello_executor did not exit");
        }
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_rt::test]
async fn bad_environment_exits_non_zero_listing_every_problem() {
    let bin = binary();
    let vars = vec![
        (
            "MESOS_AGENT_ENDPOINT".to_string(),
            "ftp://10.0.0.1:5051".to_string(),
        ),
        ("MESOS_CHECKPOINT".to_string(), "1".to_string()),
        ("MESOS_RECOVERY_TIMEOUT".to_string(), "5parsecs".to_string()),
        (
            "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD".to_string(),
            "-1secs".to_string(),
        ),
    ];
    let mut child = spawn(&bin, vars, true);
    let code = exit_code(&mut child).await;
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(code, 2, "{stderr}");
    for needle in [
        "MESOS_AGENT_ENDPOINT",
        "unknown scheme",
        "MESOS_FRAMEWORK_ID is not set",
        "MESOS_EXECUTOR_ID is not set",
        "MESOS_RECOVERY_TIMEOUT",
        "parsecs",
        "MESOS_SUBSCRIPTION_BACKOFF_MAX is not set",
        "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD",
        "negative",
    ] {
        assert!(stderr.contains(needle), "{needle:?} missing from: {stderr}");
    }
    assert!(!stderr.contains("panicked"));
}

#[actix_rt::test]
async fn runs_commands_kills_and_shuts_down() {
    let bin = binary();
    let agent = FakeAgent::start().await;
    let mut child = spawn(&bin, agent.env(false), false);
    wait_for("SUBSCRIBE", || agent.subscribe_count() == 1).await;

    agent.send(launch("ok", "echo hi"));
    agent.send(launch("bad", "exit 3"));
    agent.send(launch("long", "sleep 30"));
    wait_for("ok finished", || agent.updates_of("ok").len() == 2).await;
    let ok = agent.updates_of("ok");
    assert_eq!(state(&ok[0]), TaskState::TaskRunning);
    assert_eq!(state(&ok[1]), TaskState::TaskFinished);
    assert_eq!(
        ok[1].message.as_deref(),
        Some("Command exited with status 0")
    );
    wait_for("bad failed", || agent.updates_of("bad").len() == 2).await;
    let bad = agent.updates_of("bad");
    assert_eq!(state(&bad[1]), TaskState::TaskFailed);
    assert_eq!(
        bad[1].message.as_deref(),
        Some("Command exited with status 3")
    );

    wait_for("long running", || agent.updates_of("long").len() == 1).await;
    agent.send(kill("long"));
    wait_for("long killed", || agent.updates_of("long").len() == 2).await;
    assert_eq!(state(&agent.updates_of("long")[1]), TaskState::TaskKilled);

    agent.send(message(b"ping"));
    wait_for("reply", || {
        agent.messages() == vec![b"hello_executor got: ping".to_vec()]
    })
    .await;

    agent.send(launch("last", "sleep 30"));
    wait_for("last running", || agent.updates_of("last").len() == 1).await;
    agent.send(shutdown());
    assert_eq!(exit_code(&mut child).await, 0);
    let last = agent.updates_of("last");
    assert_eq!(state(last.last().unwrap()), TaskState::TaskKilled);
    agent.stop().await;
}

#[actix_rt::test]
async fn tasks_do_not_inherit_the_agent_token() {
    let bin = binary();
    let agent = FakeAgent::start().await;
    let mut child = spawn(&bin, agent.env(false), false);
    wait_for("SUBSCRIBE", || agent.subscribe_count() == 1).await;
    // The executor itself still authenticates with the token...
    let auth = agent.state.lock().unwrap().subscribe_headers[0][0].clone();
    assert_eq!(auth.as_deref(), Some("Bearer tok.en"));
    // ...but its commands do not see it (exit 0 only when the variable is unset).
    agent.send(launch(
        "env",
        r#"test -z "${MESOS_EXECUTOR_AUTHENTICATION_TOKEN+set}" && test -n "$MESOS_EXECUTOR_ID""#,
    ));
    wait_for("env done", || agent.updates_of("env").len() == 2).await;
    let env = agent.updates_of("env");
    assert_eq!(
        state(&env[1]),
        TaskState::TaskFinished,
        "{:?}",
        env[1].message
    );
    agent.send(shutdown());
    assert_eq!(exit_code(&mut child).await, 0);
    agent.stop().await;
}
