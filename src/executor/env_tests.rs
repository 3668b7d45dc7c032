use super::*;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// What the real 1.11 agent set (real-mesos samples).
fn real() -> Vec<(String, String)> {
    vars(&[
        ("LIBPROCESS_IP", "127.0.0.1"),
        ("MESOS_AGENT_ENDPOINT", "127.0.0.1:5151"),
        ("MESOS_CHECKPOINT", "1"),
        ("MESOS_DIRECTORY", "/tmp/sandbox"),
        ("MESOS_EXECUTOR_ID", "envdump"),
        ("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "5secs"),
        ("MESOS_FRAMEWORK_ID", "abc-0003"),
        ("MESOS_HTTP_COMMAND_EXECUTOR", "0"),
        ("MESOS_RECOVERY_TIMEOUT", "15mins"),
        ("MESOS_SANDBOX", "/tmp/sandbox"),
        ("MESOS_SLAVE_ID", "abc-S0"),
        ("MESOS_SLAVE_PID", "slave(1)@127.0.0.1:5151"),
        ("MESOS_SUBSCRIPTION_BACKOFF_MAX", "2secs"),
    ])
}

fn with(mut base: Vec<(String, String)>, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    for (k, v) in pairs {
        base.retain(|(key, _)| key != k);
        base.push((k.to_string(), v.to_string()));
    }
    base
}

fn without(mut base: Vec<(String, String)>, keys: &[&str]) -> Vec<(String, String)> {
    base.retain(|(k, _)| !keys.contains(&k.as_str()));
    base
}

#[test]
fn real_agent_environment() {
    let env = ExecutorEnv::from_vars(real()).unwrap();
    assert_eq!(
        env.endpoint,
        "http://127.0.0.1:5151/slave(1)/api/v1/executor"
    );
    assert_eq!(env.framework_id.value, "abc-0003");
    assert_eq!(env.executor_id.value, "envdump");
    assert_eq!(env.agent_id.unwrap().value, "abc-S0");
    assert!(env.checkpoint);
    assert_eq!(env.recovery_timeout, Some(Duration::from_secs(900)));
    assert_eq!(env.subscription_backoff_max, Duration::from_secs(2));
    assert_eq!(env.shutdown_grace_period, Duration::from_secs(5));
    assert_eq!(env.directory, Some(PathBuf::from("/tmp/sandbox")));
    assert_eq!(env.auth_token, None);
    assert_eq!(env.encoding, Encoding::Protobuf);
}

#[test]
fn agent_endpoint_without_pid() {
    let env = ExecutorEnv::from_vars(without(real(), &["MESOS_SLAVE_PID"])).unwrap();
    assert_eq!(env.endpoint, "http://127.0.0.1:5151/api/v1/executor");
    let env = ExecutorEnv::from_vars(with(
        without(real(), &["MESOS_SLAVE_PID"]),
        &[("MESOS_AGENT_ENDPOINT", "https://agent:5051")],
    ))
    .unwrap();
    assert_eq!(env.endpoint, "https://agent:5051/api/v1/executor");
    let env = ExecutorEnv::from_vars(without(real(), &["MESOS_AGENT_ENDPOINT"])).unwrap();
    assert_eq!(
        env.endpoint,
        "http://127.0.0.1:5151/slave(1)/api/v1/executor"
    );
}

#[test]
fn checkpoint_off_needs_no_recovery_settings() {
    let env = ExecutorEnv::from_vars(with(
        without(
            real(),
            &["MESOS_RECOVERY_TIMEOUT", "MESOS_SUBSCRIPTION_BACKOFF_MAX"],
        ),
        &[("MESOS_CHECKPOINT", "0")],
    ))
    .unwrap();
    assert!(!env.checkpoint);
    assert_eq!(env.recovery_timeout, None);
    assert_eq!(
        env.subscription_backoff_max,
        DEFAULT_SUBSCRIPTION_BACKOFF_MAX
    );
}

#[test]
fn token_and_encoding() {
    let env = ExecutorEnv::from_vars(with(
        real(),
        &[
            ("MESOS_EXECUTOR_AUTHENTICATION_TOKEN", "aaa.bbb.ccc"),
            ("MESOS_ACTIX_EXECUTOR_ENCODING", "json"),
        ],
    ))
    .unwrap();
    assert_eq!(env.auth_token.as_deref(), Some("aaa.bbb.ccc"));
    assert_eq!(env.encoding, Encoding::Json);
    assert!(!format!("{env:?}").contains("aaa.bbb"));
}

#[test]
fn every_problem_is_listed_at_once() {
    let err = ExecutorEnv::from_vars(with(
        without(
            real(),
            &[
                "MESOS_AGENT_ENDPOINT",
                "MESOS_SLAVE_PID",
                "MESOS_FRAMEWORK_ID",
                "MESOS_SUBSCRIPTION_BACKOFF_MAX",
            ],
        ),
        &[
            ("MESOS_RECOVERY_TIMEOUT", "5parsecs"),
            ("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "-3secs"),
            ("MESOS_CHECKPOINT", "yes"),
            ("MESOS_ACTIX_EXECUTOR_ENCODING", "xml"),
        ],
    ))
    .unwrap_err();
    let names: Vec<_> = err.problems.iter().map(|p| p.variable()).collect();
    assert_eq!(
        names,
        vec![
            MESOS_AGENT_ENDPOINT,
            MESOS_FRAMEWORK_ID,
            MESOS_CHECKPOINT,
            MESOS_RECOVERY_TIMEOUT,
            MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD,
            MESOS_ACTIX_EXECUTOR_ENCODING,
        ]
    );
    let text = err.to_string();
    for needle in [
        "6 problems",
        "MESOS_AGENT_ENDPOINT is not set",
        "MESOS_FRAMEWORK_ID is not set",
        "parsecs",
        "negative",
        "xml",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
}

#[test]
fn checkpoint_on_requires_recovery_variables() {
    let err = ExecutorEnv::from_vars(without(
        real(),
        &["MESOS_RECOVERY_TIMEOUT", "MESOS_SUBSCRIPTION_BACKOFF_MAX"],
    ))
    .unwrap_err();
    assert_eq!(
        err.problems,
        vec![
            EnvProblem::Missing(MESOS_RECOVERY_TIMEOUT),
            EnvProblem::Missing(MESOS_SUBSCRIPTION_BACKOFF_MAX)
        ]
    );
}

#[test]
fn unknown_scheme_and_bad_addresses() {
    let cases = [
        (
            "MESOS_AGENT_ENDPOINT",
            "ftp://1.2.3.4:5051",
            "unknown scheme",
        ),
        ("MESOS_AGENT_ENDPOINT", "1.2.3.4", "host:port"),
        ("MESOS_AGENT_ENDPOINT", "1.2.3.4:0", "invalid port"),
        ("MESOS_AGENT_ENDPOINT", "1.2.3.4:99999", "invalid port"),
        ("MESOS_AGENT_ENDPOINT", "1.2.3.4:-1", "invalid port"),
        ("MESOS_AGENT_ENDPOINT", "::1:5051", "brackets"),
        ("MESOS_AGENT_ENDPOINT", "a/b:5051", "invalid host"),
        ("MESOS_AGENT_ENDPOINT", ":5051", "empty host"),
        ("MESOS_SLAVE_PID", "127.0.0.1:5051", "id@host:port"),
        (
            "MESOS_SLAVE_PID",
            "sl ave@127.0.0.1:5051",
            "invalid process id",
        ),
        ("MESOS_SLAVE_PID", "@127.0.0.1:5051", "invalid process id"),
        ("MESOS_SLAVE_PID", "slave(1)@127.0.0.1:x", "invalid port"),
    ];
    for (var, value, needle) in cases {
        let err = ExecutorEnv::from_vars(with(real(), &[(var, value)])).unwrap_err();
        assert_eq!(err.problems.len(), 1, "{var}={value}: {err}");
        assert_eq!(err.problems[0].variable(), var);
        assert!(err.to_string().contains(needle), "{var}={value}: {err}");
    }
    let env = ExecutorEnv::from_vars(with(real(), &[("MESOS_SLAVE_PID", "slave(1)@[::1]:5051")]))
        .unwrap();
    assert_eq!(env.endpoint, "http://[::1]:5051/slave(1)/api/v1/executor");
}

#[test]
fn hostile_values() {
    let huge = "9".repeat(1_000_000);
    let err = ExecutorEnv::from_vars(with(
        real(),
        &[
            ("MESOS_FRAMEWORK_ID", huge.as_str()),
            ("MESOS_RECOVERY_TIMEOUT", "99999999999999999999999weeks"),
            ("MESOS_SUBSCRIPTION_BACKOFF_MAX", "1e309secs"),
            ("MESOS_EXECUTOR_ID", "bad\nid"),
            ("MESOS_EXECUTOR_AUTHENTICATION_TOKEN", "sEcReT\u{7}x"),
        ],
    ))
    .unwrap_err();
    let names: Vec<_> = err.problems.iter().map(|p| p.variable()).collect();
    assert_eq!(
        names,
        vec![
            MESOS_FRAMEWORK_ID,
            MESOS_EXECUTOR_ID,
            MESOS_RECOVERY_TIMEOUT,
            MESOS_SUBSCRIPTION_BACKOFF_MAX,
            MESOS_EXECUTOR_AUTHENTICATION_TOKEN,
        ]
    );
    // The message stays readable: the huge value is shortened and the token never shown.
    let text = err.to_string();
    assert!(text.len() < 2000, "{}", text.len());
    assert!(!text.contains("sEcReT"));
}

#[test]
fn empty_values_count_as_missing() {
    let err = ExecutorEnv::from_vars(with(
        real(),
        &[
            ("MESOS_EXECUTOR_ID", ""),
            ("MESOS_SLAVE_PID", ""),
            ("MESOS_AGENT_ENDPOINT", ""),
        ],
    ))
    .unwrap_err();
    assert_eq!(
        err.problems,
        vec![
            EnvProblem::Missing(MESOS_AGENT_ENDPOINT),
            EnvProblem::Missing(MESOS_EXECUTOR_ID)
        ]
    );
}

fn env_with_token() -> ExecutorEnv {
    ExecutorEnv::from_vars(with(
        real(),
        &[("MESOS_EXECUTOR_AUTHENTICATION_TOKEN", "aaa.bbb.ccc")],
    ))
    .unwrap()
}

/// A shell that succeeds only when the token variable is not set at all.
const TOKEN_UNSET: &str = r#"test -z "${MESOS_EXECUTOR_AUTHENTICATION_TOKEN+set}""#;

#[test]
fn scrub_removes_the_token_from_the_child_environment() {
    let env = env_with_token();
    let mut cmd = std::process::Command::new("/bin/sh");
    // As if the token were in this process's environment (the agent puts it there).
    cmd.arg("-c")
        .arg(TOKEN_UNSET)
        .env(MESOS_EXECUTOR_AUTHENTICATION_TOKEN, "aaa.bbb.ccc");
    // Control: without scrubbing the child sees it.
    assert!(!cmd.status().unwrap().success());
    env.scrub(&mut cmd);
    let removed: Vec<_> = cmd.get_envs().filter(|(_, v)| v.is_none()).collect();
    assert_eq!(
        removed,
        vec![(OsStr::new(MESOS_EXECUTOR_AUTHENTICATION_TOKEN), None)]
    );
    assert!(cmd.status().unwrap().success());
}

#[test]
fn scrub_leaves_other_variables_alone() {
    let env = env_with_token();
    let mut cmd = std::process::Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(r#"test "$MESOS_EXECUTOR_ID" = kept"#)
        .env("MESOS_EXECUTOR_ID", "kept");
    assert!(env.scrub(&mut cmd).status().unwrap().success());
}

#[actix_rt::test]
async fn scrub_tokio_removes_the_token_from_the_child_environment() {
    let env = env_with_token();
    let mut cmd = tokio::process::Command::new("/bin/sh");
    cmd.arg("-c")
        .arg(TOKEN_UNSET)
        .env(MESOS_EXECUTOR_AUTHENTICATION_TOKEN, "aaa.bbb.ccc");
    assert!(!cmd.status().await.unwrap().success());
    let status = env.scrub_tokio(&mut cmd).status().await.unwrap();
    assert!(status.success());
}

#[test]
fn from_env_leaves_the_process_environment_as_it_was() {
    let before: Vec<_> = std::env::vars_os().collect();
    // The test process has no executor environment: an error, but no change either way.
    let _ = ExecutorEnv::from_env();
    let after: Vec<_> = std::env::vars_os().collect();
    assert_eq!(before, after);
}

/// Fuzzing regression (`fuzz_executor_env`): `MESOS_SLAVE_PID=a@>:1` was accepted and made
/// the endpoint `http://>:1/a/api/v1/executor`, which is no URL.
#[test]
fn fuzz_regression_endpoint_host_must_make_a_url() {
    for (var, value) in [
        ("MESOS_SLAVE_PID", "a@>:1"),
        ("MESOS_SLAVE_PID", "slave(1)@ho%st:5051"),
        ("MESOS_AGENT_ENDPOINT", "h{o}st:5051"),
        ("MESOS_AGENT_ENDPOINT", "hôst:5051"),
        ("MESOS_AGENT_ENDPOINT", "[not-v6]:5051"),
    ] {
        let err = ExecutorEnv::from_vars(with(real(), &[(var, value)])).unwrap_err();
        assert!(err.to_string().contains("invalid host"), "{value}: {err}");
    }
    let env = ExecutorEnv::from_vars(with(real(), &[("MESOS_SLAVE_PID", "slave(1)@[::1]:5051")]))
        .unwrap();
    assert_eq!(env.endpoint, "http://[::1]:5051/slave(1)/api/v1/executor");
}
