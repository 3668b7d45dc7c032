//! Fuzz target of the executor environment (see `crate::fuzzing`).

use super::*;
use crate::fuzzing::run;
use proptest::collection::vec;
use proptest::prelude::*;

const NAMES: &[&str] = &[
    MESOS_AGENT_ENDPOINT,
    MESOS_SLAVE_PID,
    MESOS_SLAVE_ID,
    MESOS_FRAMEWORK_ID,
    MESOS_EXECUTOR_ID,
    MESOS_DIRECTORY,
    MESOS_SANDBOX,
    MESOS_CHECKPOINT,
    MESOS_RECOVERY_TIMEOUT,
    MESOS_SUBSCRIPTION_BACKOFF_MAX,
    MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD,
    MESOS_EXECUTOR_AUTHENTICATION_TOKEN,
    MESOS_ACTIX_EXECUTOR_ENCODING,
    "LIBPROCESS_IP",
];

/// Values near what an agent sets, and junk.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("127.0.0.1:5051".to_string()),
        Just("slave(1)@10.0.0.5:5051".to_string()),
        Just("https://[::1]:5051".to_string()),
        Just("5secs".to_string()),
        Just("1".to_string()),
        Just("json".to_string()),
        Just("abc-0001".to_string()),
        "[a-z0-9]{1,8}(\\([0-9]\\))?@[a-z0-9.:\\[\\]%<>^|`{}]{0,12}:[0-9]{0,6}",
        "([a-zA-Z]{1,5}://)?[a-z0-9.:\\[\\]%<>^|`{} \"]{0,16}:[0-9+\\-]{0,6}",
        "[0-9.]{0,6}(ns|us|ms|secs|mins|hrs|days|weeks|x)?",
        any::<String>(),
        "[ -~]{0,5000}",
    ]
}

/// Any variables: an environment or an error listing problems, never a panic; an accepted
/// endpoint is a valid URL, and the token's value never shows in an error.
#[test]
fn fuzz_executor_env() {
    // A working environment with a few variables replaced, removed or added, or any
    // variables at all.
    let edits = vec(
        (0..NAMES.len() + 1, proptest::option::weighted(0.9, value())),
        0..5,
    );
    let input = (any::<bool>(), edits);
    run("executor_env", input, |(from_scratch, edits)| {
        let mut vars: Vec<(String, String)> = if from_scratch {
            Vec::new()
        } else {
            [
                (MESOS_AGENT_ENDPOINT, "127.0.0.1:5051"),
                (MESOS_FRAMEWORK_ID, "abc-0001"),
                (MESOS_EXECUTOR_ID, "e1"),
                (MESOS_CHECKPOINT, "1"),
                (MESOS_RECOVERY_TIMEOUT, "15mins"),
                (MESOS_SUBSCRIPTION_BACKOFF_MAX, "2secs"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
        };
        for (i, value) in edits {
            let name = NAMES.get(i).map_or("OTHER", |n| n).to_string();
            vars.retain(|(k, _)| *k != name);
            if let Some(v) = value {
                vars.push((name, v));
            }
        }
        match ExecutorEnv::from_vars(vars) {
            Ok(env) => {
                let url = url::Url::parse(&env.endpoint)
                    .map_err(|e| TestCaseError::fail(format!("{}: {e}", env.endpoint)))?;
                prop_assert!(matches!(url.scheme(), "http" | "https"));
                prop_assert!(url.host().is_some() && url.port_or_known_default().is_some());
                prop_assert!(
                    env.endpoint.parse::<actix_web::http::Uri>().is_ok(),
                    "{} is not an HTTP URI",
                    env.endpoint
                );
                prop_assert!(!env.executor_id.value.chars().any(char::is_whitespace));
                let _ = format!("{env:?}");
            }
            Err(e) => {
                prop_assert!(!e.problems.is_empty());
                let _ = e.to_string();
                for p in &e.problems {
                    if let EnvProblem::Malformed {
                        variable, value, ..
                    } = p
                    {
                        if *variable == MESOS_EXECUTOR_AUTHENTICATION_TOKEN {
                            prop_assert_eq!(value.as_str(), "<redacted>");
                        }
                    }
                }
            }
        }
        Ok(())
    });
}

/// Any text as a stout duration: a duration within the cap or an error.
#[test]
fn fuzz_duration_text() {
    let input = prop_oneof![
        any::<String>(),
        "[ 0-9.\\-+e]{0,30}(ns|us|ms|secs|mins|hrs|days|weeks)?"
    ];
    run("duration_text", input, |text| {
        if let Ok(d) = parse_duration(&text) {
            prop_assert!(d <= super::super::duration::MAX_DURATION);
        }
        Ok(())
    });
}
