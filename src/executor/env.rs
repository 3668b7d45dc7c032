//! The executor's environment: the `MESOS_*` variables an agent sets for every executor it
//! starts (facts sheet §4.2), read and checked in one go.
//!
//! [`ExecutorEnv::from_vars`] checks every variable and reports *all* the problems at once
//! in one [`EnvError`]; [`ExecutorEnv::from_env`] does the same on the process environment,
//! which it only reads (changing the environment is unsound once other threads run). The
//! agent's secret, `MESOS_EXECUTOR_AUTHENTICATION_TOKEN`, therefore stays in this process's
//! environment: [`ExecutorEnv::scrub`] and [`ExecutorEnv::scrub_tokio`] remove it from the
//! environment of a child process before it is spawned, so the executor's tasks do not
//! inherit it.

use super::duration::parse_duration;
use crate::codec::Encoding;
use crate::proto::{AgentId, ExecutorId, FrameworkId};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// `ip:port` of the agent (always set by the agent).
pub(crate) const MESOS_AGENT_ENDPOINT: &str = "MESOS_AGENT_ENDPOINT";
/// The agent's libprocess id, `slave(1)@ip:port`.
pub(crate) const MESOS_SLAVE_PID: &str = "MESOS_SLAVE_PID";
/// The agent id.
pub(crate) const MESOS_SLAVE_ID: &str = "MESOS_SLAVE_ID";
/// The framework id.
pub(crate) const MESOS_FRAMEWORK_ID: &str = "MESOS_FRAMEWORK_ID";
/// The executor id.
pub(crate) const MESOS_EXECUTOR_ID: &str = "MESOS_EXECUTOR_ID";
/// The sandbox path on the host.
pub(crate) const MESOS_DIRECTORY: &str = "MESOS_DIRECTORY";
/// The sandbox path as seen inside the container.
pub(crate) const MESOS_SANDBOX: &str = "MESOS_SANDBOX";
/// `1` when the framework checkpoints (the executor survives agent restarts).
pub(crate) const MESOS_CHECKPOINT: &str = "MESOS_CHECKPOINT";
/// How long to keep trying to reach a restarting agent (required with checkpointing).
pub(crate) const MESOS_RECOVERY_TIMEOUT: &str = "MESOS_RECOVERY_TIMEOUT";
/// The longest wait between two re-subscription attempts (required with checkpointing).
pub(crate) const MESOS_SUBSCRIPTION_BACKOFF_MAX: &str = "MESOS_SUBSCRIPTION_BACKOFF_MAX";
/// How long the executor has to end its tasks after SHUTDOWN.
pub(crate) const MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: &str =
    "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD";
/// The bearer token for the executor API, when the agent authenticates executors.
pub(crate) const MESOS_EXECUTOR_AUTHENTICATION_TOKEN: &str = "MESOS_EXECUTOR_AUTHENTICATION_TOKEN";
/// Ours: `json` or `protobuf` (the default), the encoding to speak to the agent.
pub(crate) const MESOS_ACTIX_EXECUTOR_ENCODING: &str = "MESOS_ACTIX_EXECUTOR_ENCODING";

/// The variables a child process must not inherit from the executor.
const SENSITIVE_VARS: &[&str] = &[MESOS_EXECUTOR_AUTHENTICATION_TOKEN];

/// The grace period used when `MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD` is not set (the
/// agent's default).
pub(crate) const DEFAULT_SHUTDOWN_GRACE_PERIOD: Duration = Duration::from_secs(5);
/// The re-subscription backoff cap used when checkpointing is off (the agent's default
/// `--executor_reregistration_timeout`).
pub(crate) const DEFAULT_SUBSCRIPTION_BACKOFF_MAX: Duration = Duration::from_secs(2);

/// The longest value accepted for most variables (bytes).
const MAX_VALUE: usize = 4096;
/// The longest authentication token accepted (bytes).
const MAX_TOKEN: usize = 64 * 1024;

/// Everything an executor learns from its environment.
#[derive(Clone, PartialEq, Eq)]
pub struct ExecutorEnv {
    /// The executor API URL: `http://ip:port/slave(1)/api/v1/executor` from
    /// `MESOS_SLAVE_PID` when set, else `http://` + `MESOS_AGENT_ENDPOINT` + `/api/v1/executor`.
    pub endpoint: String,
    /// `MESOS_FRAMEWORK_ID`.
    pub framework_id: FrameworkId,
    /// `MESOS_EXECUTOR_ID`.
    pub executor_id: ExecutorId,
    /// `MESOS_SLAVE_ID`, when set (the agent id also arrives in SUBSCRIBED).
    pub agent_id: Option<AgentId>,
    /// `MESOS_DIRECTORY`, when set.
    pub directory: Option<PathBuf>,
    /// `MESOS_SANDBOX`, when set.
    pub sandbox: Option<PathBuf>,
    /// `MESOS_CHECKPOINT`: whether to wait for a restarting agent.
    pub checkpoint: bool,
    /// `MESOS_RECOVERY_TIMEOUT` (set when checkpointing).
    pub recovery_timeout: Option<Duration>,
    /// `MESOS_SUBSCRIPTION_BACKOFF_MAX`, else 2 seconds (the agent's default
    /// `--executor_reregistration_timeout`).
    pub subscription_backoff_max: Duration,
    /// `MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD`, else 5 seconds (the agent's default).
    pub shutdown_grace_period: Duration,
    /// `MESOS_EXECUTOR_AUTHENTICATION_TOKEN`, sent as `Authorization: Bearer <token>`.
    pub auth_token: Option<String>,
    /// `MESOS_ACTIX_EXECUTOR_ENCODING`, else protobuf.
    pub encoding: Encoding,
}

impl fmt::Debug for ExecutorEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecutorEnv")
            .field("endpoint", &self.endpoint)
            .field("framework_id", &self.framework_id.value)
            .field("executor_id", &self.executor_id.value)
            .field("agent_id", &self.agent_id.as_ref().map(|a| &a.value))
            .field("directory", &self.directory)
            .field("sandbox", &self.sandbox)
            .field("checkpoint", &self.checkpoint)
            .field("recovery_timeout", &self.recovery_timeout)
            .field("subscription_backoff_max", &self.subscription_backoff_max)
            .field("shutdown_grace_period", &self.shutdown_grace_period)
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "<redacted>"),
            )
            .field("encoding", &self.encoding)
            .finish()
    }
}

/// What is wrong with one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvProblem {
    /// A required variable is not set (or empty).
    Missing(&'static str),
    /// A variable is set but its value is unusable.
    Malformed {
        /// The variable.
        variable: &'static str,
        /// Its value (shortened when long; never the token).
        value: String,
        /// Why it is refused.
        reason: String,
    },
}

impl EnvProblem {
    /// The variable this problem is about.
    pub fn variable(&self) -> &'static str {
        match self {
            EnvProblem::Missing(v) => v,
            EnvProblem::Malformed { variable, .. } => variable,
        }
    }
}

impl fmt::Display for EnvProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvProblem::Missing(v) => write!(f, "{v} is not set"),
            EnvProblem::Malformed {
                variable,
                value,
                reason,
            } => write!(f, "{variable}={value:?} is invalid: {reason}"),
        }
    }
}

/// The executor's environment is unusable. Lists every problem found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct EnvError {
    /// Every problem, in the order the variables were checked.
    pub problems: Vec<EnvProblem>,
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid executor environment ({} problem{}): ",
            self.problems.len(),
            if self.problems.len() == 1 { "" } else { "s" }
        )?;
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Collects problems while reading variables.
struct Reader {
    vars: HashMap<String, String>,
    problems: Vec<EnvProblem>,
}

fn shorten(value: &str) -> String {
    if value.len() <= 80 {
        return value.to_string();
    }
    let mut end = 80;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &value[..end], value.len())
}

impl Reader {
    fn malformed(&mut self, variable: &'static str, value: &str, reason: impl Into<String>) {
        self.problems.push(EnvProblem::Malformed {
            variable,
            value: shorten(value),
            reason: reason.into(),
        });
    }

    /// The variable's value; `None` when unset or empty; oversized values are a problem.
    fn get(&mut self, variable: &'static str) -> Option<String> {
        let value = self.vars.get(variable)?.clone();
        if value.is_empty() {
            return None;
        }
        if value.len() > MAX_VALUE {
            self.malformed(variable, &value, format!("longer than {MAX_VALUE} bytes"));
            return None;
        }
        Some(value)
    }

    fn required(&mut self, variable: &'static str) -> Option<String> {
        let value = self.get(variable);
        if value.is_none() && !self.has_problem(variable) {
            self.problems.push(EnvProblem::Missing(variable));
        }
        value
    }

    fn has_problem(&self, variable: &str) -> bool {
        self.problems.iter().any(|p| p.variable() == variable)
    }

    fn id(&mut self, variable: &'static str, value: Option<String>) -> Option<String> {
        let value = value?;
        if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
            self.malformed(
                variable,
                &value,
                "contains whitespace or control characters",
            );
            return None;
        }
        Some(value)
    }

    fn duration(&mut self, variable: &'static str, value: Option<String>) -> Option<Duration> {
        let value = value?;
        match parse_duration(&value) {
            Ok(d) => Some(d),
            Err(e) => {
                self.malformed(variable, &value, e.to_string());
                None
            }
        }
    }
}

/// `host:port` with a non-empty host (an IPv6 host in brackets) and a port in 1..=65535.
fn check_host_port(s: &str) -> Result<(), String> {
    let (host, port) = s
        .rsplit_once(':')
        .ok_or_else(|| "expected host:port".to_string())?;
    if host.is_empty() {
        return Err("empty host".into());
    }
    let bad = |c: char| c.is_whitespace() || c.is_control() || "/?#@\\".contains(c);
    if host.chars().any(bad) {
        return Err(format!("invalid host {host:?}"));
    }
    if host.contains(':') && !(host.starts_with('[') && host.ends_with(']')) {
        return Err("an IPv6 host must be in brackets".into());
    }
    // A name or IPv4 address of URL-safe characters, or a bracketed IPv6 address: anything
    // else (`>`, `%`, `{`, non-ASCII, found by fuzzing) made an endpoint that is no URL.
    let valid = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')),
    };
    if !valid {
        return Err(format!("invalid host {host:?}"));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 && port.chars().all(|c| c.is_ascii_digit()) => Ok(()),
        _ => Err(format!("invalid port {port:?}")),
    }
}

/// Splits an optional `scheme://` off an endpoint; only http and https are known.
fn split_scheme(s: &str) -> Result<(&'static str, &str), String> {
    match s.split_once("://") {
        None => Ok(("http", s)),
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "http" => Ok(("http", rest)),
            "https" => Ok(("https", rest)),
            _ => Err(format!(
                "unknown scheme {scheme:?} (expected http or https)"
            )),
        },
    }
}

/// Parses `MESOS_SLAVE_PID` (`slave(1)@ip:port`) into the process id and `ip:port`.
fn parse_pid(pid: &str) -> Result<(&str, &str), String> {
    let (id, address) = pid
        .split_once('@')
        .ok_or_else(|| "expected id@host:port, e.g. slave(1)@10.0.0.5:5051".to_string())?;
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "()_-.".contains(c))
    {
        return Err(format!("invalid process id {id:?}"));
    }
    check_host_port(address)?;
    Ok((id, address))
}

impl ExecutorEnv {
    /// Reads the process environment (see [`from_vars`](Self::from_vars)). It only reads:
    /// `MESOS_EXECUTOR_AUTHENTICATION_TOKEN` stays in the environment of this process, so
    /// spawn every child process through [`scrub`](Self::scrub) (or
    /// [`scrub_tokio`](Self::scrub_tokio)) to keep the token out of the tasks' environment.
    /// Variables whose name or value is not Unicode are ignored. Safe to call at any time,
    /// from any thread.
    pub fn from_env() -> Result<ExecutorEnv, EnvError> {
        let vars: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Self::from_vars(vars)
    }

    /// Removes the variables a child must not inherit (today only
    /// `MESOS_EXECUTOR_AUTHENTICATION_TOKEN`, with which anyone could act as this executor)
    /// from the environment `cmd` will give its child (`Command::env_remove`; this process's environment is left as
    /// it is). Call it on every `std::process::Command` the executor spawns for a task.
    ///
    /// ```no_run
    /// # fn run(env: &mesos_actix::executor::ExecutorEnv) -> std::io::Result<()> {
    /// let mut cmd = std::process::Command::new("/bin/sh");
    /// cmd.arg("-c").arg("env");
    /// env.scrub(&mut cmd).spawn()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn scrub<'a>(&self, cmd: &'a mut std::process::Command) -> &'a mut std::process::Command {
        for var in SENSITIVE_VARS {
            cmd.env_remove(OsStr::new(var));
        }
        cmd
    }

    /// [`scrub`](Self::scrub) for a `tokio::process::Command`.
    pub fn scrub_tokio<'a>(
        &self,
        cmd: &'a mut tokio::process::Command,
    ) -> &'a mut tokio::process::Command {
        for var in SENSITIVE_VARS {
            cmd.env_remove(OsStr::new(var));
        }
        cmd
    }

    /// Reads the variables from `vars` (later duplicates win). Checks every variable and
    /// returns one [`EnvError`] listing every missing or malformed one.
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<ExecutorEnv, EnvError> {
        let mut r = Reader {
            vars: vars.into_iter().collect(),
            problems: Vec::new(),
        };

        // Endpoint: MESOS_SLAVE_PID first (a shared master/agent port needs the process
        // id in the path), else MESOS_AGENT_ENDPOINT.
        let agent_endpoint = r.get(MESOS_AGENT_ENDPOINT);
        let slave_pid = r.get(MESOS_SLAVE_PID);
        let mut scheme = "http";
        let mut endpoint_address = None;
        if let Some(value) = &agent_endpoint {
            match split_scheme(value).and_then(|(s, rest)| {
                check_host_port(rest)?;
                Ok((s, rest))
            }) {
                Ok((s, rest)) => {
                    scheme = s;
                    endpoint_address = Some(rest.to_string());
                }
                Err(reason) => r.malformed(MESOS_AGENT_ENDPOINT, value, reason),
            }
        }
        let mut endpoint = None;
        if let Some(value) = &slave_pid {
            match parse_pid(value) {
                Ok((id, address)) => {
                    endpoint = Some(format!("{scheme}://{address}/{id}/api/v1/executor"))
                }
                Err(reason) => r.malformed(MESOS_SLAVE_PID, value, reason),
            }
        } else if let Some(address) = endpoint_address {
            endpoint = Some(format!("{scheme}://{address}/api/v1/executor"));
        }
        if agent_endpoint.is_none()
            && slave_pid.is_none()
            && !r.has_problem(MESOS_AGENT_ENDPOINT)
            && !r.has_problem(MESOS_SLAVE_PID)
        {
            r.problems.push(EnvProblem::Missing(MESOS_AGENT_ENDPOINT));
        }

        let framework_id = r.required(MESOS_FRAMEWORK_ID);
        let framework_id = r.id(MESOS_FRAMEWORK_ID, framework_id);
        let executor_id = r.required(MESOS_EXECUTOR_ID);
        let executor_id = r.id(MESOS_EXECUTOR_ID, executor_id);
        let agent_id = r.get(MESOS_SLAVE_ID);
        let agent_id = r.id(MESOS_SLAVE_ID, agent_id);
        let directory = r.get(MESOS_DIRECTORY).map(PathBuf::from);
        let sandbox = r.get(MESOS_SANDBOX).map(PathBuf::from);

        let checkpoint = match r.get(MESOS_CHECKPOINT) {
            None => false,
            Some(v) => match v.trim() {
                "1" | "true" => true,
                "0" | "false" => false,
                _ => {
                    r.malformed(MESOS_CHECKPOINT, &v, "expected 1 or 0");
                    false
                }
            },
        };
        // With checkpointing, the agent always sets both (and the C++ library requires them).
        let recovery_timeout = if checkpoint {
            r.required(MESOS_RECOVERY_TIMEOUT)
        } else {
            r.get(MESOS_RECOVERY_TIMEOUT)
        };
        let recovery_timeout = r.duration(MESOS_RECOVERY_TIMEOUT, recovery_timeout);
        let backoff = if checkpoint {
            r.required(MESOS_SUBSCRIPTION_BACKOFF_MAX)
        } else {
            r.get(MESOS_SUBSCRIPTION_BACKOFF_MAX)
        };
        let backoff = r.duration(MESOS_SUBSCRIPTION_BACKOFF_MAX, backoff);
        let grace = r.get(MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD);
        let grace = r.duration(MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD, grace);

        let auth_token = match r.vars.get(MESOS_EXECUTOR_AUTHENTICATION_TOKEN).cloned() {
            Some(t) if t.len() > MAX_TOKEN => {
                r.problems.push(EnvProblem::Malformed {
                    variable: MESOS_EXECUTOR_AUTHENTICATION_TOKEN,
                    value: "<redacted>".into(),
                    reason: format!("longer than {MAX_TOKEN} bytes"),
                });
                None
            }
            Some(t) if t.chars().any(|c| !c.is_ascii_graphic()) => {
                r.problems.push(EnvProblem::Malformed {
                    variable: MESOS_EXECUTOR_AUTHENTICATION_TOKEN,
                    value: "<redacted>".into(),
                    reason: "not a printable ASCII token".into(),
                });
                None
            }
            Some(t) if !t.is_empty() => Some(t),
            _ => None,
        };

        let encoding = match r.get(MESOS_ACTIX_EXECUTOR_ENCODING) {
            None => Encoding::Protobuf,
            Some(v) => match v.parse::<Encoding>() {
                Ok(e) => e,
                Err(reason) => {
                    r.malformed(MESOS_ACTIX_EXECUTOR_ENCODING, &v, reason);
                    Encoding::Protobuf
                }
            },
        };

        match (endpoint, framework_id, executor_id) {
            (Some(endpoint), Some(framework_id), Some(executor_id)) if r.problems.is_empty() => {
                Ok(ExecutorEnv {
                    endpoint,
                    framework_id: FrameworkId::new(framework_id),
                    executor_id: ExecutorId::new(executor_id),
                    agent_id: agent_id.map(AgentId::new),
                    directory,
                    sandbox,
                    checkpoint,
                    recovery_timeout,
                    subscription_backoff_max: backoff.unwrap_or(DEFAULT_SUBSCRIPTION_BACKOFF_MAX),
                    shutdown_grace_period: grace.unwrap_or(DEFAULT_SHUTDOWN_GRACE_PERIOD),
                    auth_token,
                    encoding,
                })
            }
            _ => Err(EnvError {
                problems: r.problems,
            }),
        }
    }
}

#[cfg(test)]
#[path = "env_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "env_fuzz_tests.rs"]
mod fuzz_tests;
