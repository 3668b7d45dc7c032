//! Starting executor and command processes: `/bin/sh -c <value>` (or a direct exec when
//! `shell` is false) in the sandbox directory, with `stdout`/`stderr` files there, its own
//! process group (so a kill reaches its children), and the `MESOS_*` environment.
//! Killing sends a signal to the whole process group through `libc`.

use crate::proto::CommandInfo;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;

/// A started process: its pid (also its process group id) and the child to wait on. If it
/// is dropped before [`into_child`](Self::into_child) (its agent went away while it was
/// starting), its process group is killed, so no process outlives its agent.
#[derive(Debug)]
pub struct Spawned {
    /// Process id and process group id.
    pub pid: u32,
    child: Option<tokio::process::Child>,
}

impl Spawned {
    /// The child process (await `wait()` for its exit status); the process is now the
    /// caller's to reap.
    pub fn into_child(mut self) -> Option<tokio::process::Child> {
        self.child.take()
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if self.child.is_some() {
            signal_group(self.pid, libc::SIGKILL);
        }
    }
}

/// Starts `command` in `sandbox` (created, with its `stdout`/`stderr` files) with `env`
/// added to the agent's environment. The file-system work and the fork/exec run on the
/// blocking pool, off the actor's thread.
pub async fn spawn(
    command: CommandInfo,
    env: BTreeMap<String, String>,
    sandbox: std::path::PathBuf,
) -> std::io::Result<Spawned> {
    tokio::task::spawn_blocking(move || spawn_now(&command, &env, &sandbox))
        .await
        .map_err(std::io::Error::other)?
}

fn spawn_now(
    command: &CommandInfo,
    env: &BTreeMap<String, String>,
    sandbox: &Path,
) -> std::io::Result<Spawned> {
    std::fs::create_dir_all(sandbox)?;
    let stdout = std::fs::File::create(sandbox.join("stdout"))?;
    let stderr = std::fs::File::create(sandbox.join("stderr"))?;
    let value = command.value.clone().unwrap_or_default();
    let mut cmd = if command.shell.unwrap_or(true) {
        let mut c = tokio::process::Command::new("/bin/sh");
        c.arg("-c").arg(&value);
        c
    } else {
        if value.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "CommandInfo.value is empty",
            ));
        }
        let mut c = tokio::process::Command::new(&value);
        // `arguments` includes argv[0].
        c.args(command.arguments.iter().skip(1));
        c
    };
    cmd.current_dir(sandbox)
        .stdin(Stdio::null())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr))
        .process_group(0)
        .kill_on_drop(false);
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(e) = &command.environment {
        for var in &e.variables {
            if let Some(v) = &var.value {
                cmd.env(&var.name, v);
            }
        }
    }
    let child = cmd.spawn()?;
    let pid = child.id().unwrap_or(0);
    Ok(Spawned {
        pid,
        child: Some(child),
    })
}

/// Sends `signal` to the process group `pgid` (ignored for pid 0 or 1).
pub fn signal_group(pgid: u32, signal: i32) {
    if pgid > 1 {
        if let Ok(pgid) = i32::try_from(pgid) {
            // SAFETY: kill(2) with a negative pid signals a process group; no memory is touched.
            unsafe {
                libc::kill(-pgid, signal);
            }
        }
    }
}

/// The raw `waitpid` status of an exit status (what FAILURE events carry).
pub fn raw_status(status: &std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.into_raw()
}

/// "Command exited with status N" / "Command terminated with signal S", as Mesos' command
/// executor words it.
pub fn describe_exit(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("Command exited with status {code}"),
        (None, Some(sig)) => format!("Command terminated with signal {}", signal_name(sig)),
        _ => "Command terminated".to_string(),
    }
}

fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGTERM => "Terminated".into(),
        libc::SIGKILL => "Killed".into(),
        libc::SIGINT => "Interrupt".into(),
        other => format!("{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `pid` has exited (gone, or a zombie waiting to be reaped).
    fn exited(pid: u32) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            // The state is the field after the parenthesised command name.
            Ok(stat) => stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        }
    }

    fn sleeper() -> CommandInfo {
        CommandInfo {
            value: Some("sleep 60".into()),
            shell: Some(true),
            ..Default::default()
        }
    }

    #[actix_rt::test]
    async fn sandbox_files_are_made_and_an_unclaimed_process_is_killed() {
        let dir = std::env::temp_dir().join(format!("spawn-test-{}", uuid::Uuid::new_v4()));
        let sandbox = dir.join("a").join("b");
        let spawned = spawn(sleeper(), BTreeMap::new(), sandbox.clone())
            .await
            .expect("spawns");
        assert!(sandbox.join("stdout").is_file() && sandbox.join("stderr").is_file());
        let pid = spawned.pid;
        assert!(!exited(pid));
        drop(spawned);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !exited(pid) {
            assert!(
                std::time::Instant::now() < deadline,
                "process {pid} still runs"
            );
            actix_rt::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[actix_rt::test]
    async fn a_claimed_process_is_left_running() {
        let dir = std::env::temp_dir().join(format!("spawn-test-{}", uuid::Uuid::new_v4()));
        let spawned = spawn(sleeper(), BTreeMap::new(), dir.clone())
            .await
            .expect("spawns");
        let pid = spawned.pid;
        let mut child = spawned.into_child().expect("child");
        assert!(!exited(pid));
        signal_group(pid, libc::SIGKILL);
        let status = child.wait().await.expect("reaped");
        assert_eq!(
            describe_exit(&status),
            "Command terminated with signal Killed"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
