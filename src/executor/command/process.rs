//! The task's process for [`CommandExecutor`](super::CommandExecutor): building it from a
//! `CommandInfo`, signalling its process group, and describing how it ended in Mesos' words.

use crate::executor::ExecutorEnv;
use crate::proto::{CommandInfo, environment};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

/// Why a task's command could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CommandError {
    /// The task has no `CommandInfo`.
    #[error("Task has no command")]
    NoCommand,
    /// The `CommandInfo` has no `value`.
    #[error("Task's command has no value")]
    NoValue,
    /// A `SECRET` environment variable: the command executor cannot resolve secrets.
    #[error("Environment variable {0} is a secret, which this executor cannot resolve")]
    Secret(String),
}

/// The process a `CommandInfo` describes: `/bin/sh -c value` when `shell` is unset or true,
/// else `value` executed with `arguments` (whose first element is `argv[0]`, as in Mesos),
/// with the command's environment added to the executor's. The process gets its own process
/// group, so that a kill reaches everything it started; the agent's token is scrubbed.
pub(crate) fn build(
    env: &ExecutorEnv,
    command: Option<&CommandInfo>,
) -> Result<tokio::process::Command, CommandError> {
    let command = command.ok_or(CommandError::NoCommand)?;
    let value = command
        .value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or(CommandError::NoValue)?;
    let mut cmd = if command.shell.unwrap_or(true) {
        let mut cmd = tokio::process::Command::new("/bin/sh");
        cmd.arg("-c").arg(value);
        cmd
    } else {
        let mut cmd = tokio::process::Command::new(value);
        let mut args = command.arguments.iter();
        if let Some(argv0) = args.next() {
            cmd.arg0(argv0);
        }
        cmd.args(args);
        cmd
    };
    for variable in command
        .environment
        .as_ref()
        .map(|e| e.variables.as_slice())
        .unwrap_or_default()
    {
        let secret = variable.r#type == Some(environment::variable::Type::Secret as i32);
        if secret {
            return Err(CommandError::Secret(variable.name.clone()));
        }
        cmd.env(
            &variable.name,
            variable.value.as_deref().unwrap_or_default(),
        );
    }
    cmd.process_group(0);
    env.scrub_tokio(&mut cmd);
    Ok(cmd)
}

/// Sends `signal` to the process group `pid` leads, and to `pid` itself (in case it left
/// the group). Returns whether either reached a process.
pub(crate) fn signal(pid: u32, signal: i32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill(2) with a positive pid we spawned (not yet reaped: the caller checks)
    // and its negation, the process group it leads.
    let group = unsafe { libc::kill(-pid, signal) } == 0;
    // SAFETY: as above.
    let leader = unsafe { libc::kill(pid, signal) } == 0;
    group || leader
}

/// Mesos' words for how a command ended (stout's `WSTRINGIFY` after `Command `):
/// `Command exited with status 3`, `Command terminated with signal Terminated`.
pub(crate) fn describe(status: &ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("Command exited with status {code}"),
        (None, Some(signal)) => format!("Command terminated with signal {}", signal_name(signal)),
        _ => "Command ended with an unknown status".to_string(),
    }
}

/// glibc's `strsignal` text for the common signals.
pub(crate) fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGHUP => "Hangup",
        libc::SIGINT => "Interrupt",
        libc::SIGQUIT => "Quit",
        libc::SIGILL => "Illegal instruction",
        libc::SIGTRAP => "Trace/breakpoint trap",
        libc::SIGABRT => "Aborted",
        libc::SIGBUS => "Bus error",
        libc::SIGFPE => "Floating point exception",
        libc::SIGKILL => "Killed",
        libc::SIGUSR1 => "User defined signal 1",
        libc::SIGSEGV => "Segmentation fault",
        libc::SIGUSR2 => "User defined signal 2",
        libc::SIGPIPE => "Broken pipe",
        libc::SIGALRM => "Alarm clock",
        libc::SIGTERM => "Terminated",
        libc::SIGXCPU => "CPU time limit exceeded",
        libc::SIGXFSZ => "File size limit exceeded",
        _ => return format!("Unknown signal {signal}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::Environment;

    #[test]
    fn words_match_mesos() {
        assert_eq!(
            describe(&ExitStatus::from_raw(3 << 8)),
            "Command exited with status 3"
        );
        assert_eq!(
            describe(&ExitStatus::from_raw(0)),
            "Command exited with status 0"
        );
        assert_eq!(
            describe(&ExitStatus::from_raw(libc::SIGTERM)),
            "Command terminated with signal Terminated"
        );
        assert_eq!(
            describe(&ExitStatus::from_raw(libc::SIGKILL)),
            "Command terminated with signal Killed"
        );
        assert_eq!(signal_name(99), "Unknown signal 99");
    }

    fn env() -> ExecutorEnv {
        let vars = [
            ("MESOS_AGENT_ENDPOINT", "127.0.0.1:5051"),
            ("MESOS_FRAMEWORK_ID", "f"),
            ("MESOS_EXECUTOR_ID", "e"),
        ];
        ExecutorEnv::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn commands_are_refused_with_reasons() {
        assert_eq!(build(&env(), None).err(), Some(CommandError::NoCommand));
        let empty = CommandInfo::default();
        assert_eq!(
            build(&env(), Some(&empty)).err(),
            Some(CommandError::NoValue)
        );
        let secret = CommandInfo {
            value: Some("true".into()),
            environment: Some(Environment {
                variables: vec![environment::Variable {
                    name: "S".into(),
                    r#type: Some(environment::variable::Type::Secret as i32),
                    ..Default::default()
                }],
            }),
            ..Default::default()
        };
        assert_eq!(
            build(&env(), Some(&secret)).err(),
            Some(CommandError::Secret("S".into()))
        );
    }

    #[actix_rt::test]
    async fn shell_and_argv_forms_run_with_the_environment() {
        let shell = CommandInfo {
            value: Some("test \"$GREETING\" = hi && exit 4".into()),
            environment: Some(Environment {
                variables: vec![environment::Variable {
                    name: "GREETING".into(),
                    value: Some("hi".into()),
                    ..Default::default()
                }],
            }),
            ..Default::default()
        };
        let status = build(&env(), Some(&shell))
            .unwrap_or_else(|e| panic!("{e}"))
            .status()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status.code(), Some(4));
        let argv = CommandInfo {
            shell: Some(false),
            value: Some("/bin/sh".into()),
            arguments: vec!["sh".into(), "-c".into(), "exit 5".into()],
            ..Default::default()
        };
        let status = build(&env(), Some(&argv))
            .unwrap_or_else(|e| panic!("{e}"))
            .status()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status.code(), Some(5));
    }
}
