//! Starting, killing and reaping executor and command-task processes.

use super::executor_state::{
    EnvSpec, ExecutorKind, ExecutorState, Pending, Termination, environment,
};
use super::{LaunchTasks, LocalAgent, ProcessExited};
use crate::local::executor_process::{self, Spawned, describe_exit, raw_status};
use crate::local::master::ExecutorTerminated;
use crate::local::wire::{duration_of, executor_status, stout_duration};
use crate::proto::{
    CommandInfo, ExecutorInfo, KillPolicy, TaskGroupInfo, TaskId, TaskInfo, TaskState, executor,
    executor_info,
    task_status::{Reason, Source},
};
use actix::prelude::*;
use std::path::PathBuf;

/// Makes `runs/latest` (beside the run directory `dir`) point to `dir`, as Apache Mesos
/// does, so that a task's sandbox has a path known without its container id. Failures only
/// cost the link (the web page's links then answer 404).
fn point_latest(dir: &std::path::Path) {
    let (Some(runs), Some(name)) = (dir.parent(), dir.file_name()) else {
        return;
    };
    let link = runs.join("latest");
    let made = std::fs::create_dir_all(runs)
        .and_then(|()| match std::fs::remove_file(&link) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        })
        .and_then(|()| std::os::unix::fs::symlink(name, &link));
    if let Err(e) = made {
        tracing::debug!(error = %e, link = %link.display(), "runs/latest not made");
    }
}

impl LocalAgent {
    fn sandbox(&self, framework_id: &str, executor_id: &str, container_id: &str) -> PathBuf {
        self.work_dir
            .join("slaves")
            .join(self.agent_id())
            .join("frameworks")
            .join(framework_id)
            .join("executors")
            .join(executor_id)
            .join("runs")
            .join(container_id)
    }

    fn env_for(&self, ex: &ExecutorState) -> std::collections::BTreeMap<String, String> {
        let checkpoint = self
            .frameworks
            .get(&ex.framework_id)
            .and_then(|f| f.checkpoint)
            .unwrap_or(false);
        environment(&EnvSpec {
            endpoint: &self.endpoint,
            slave_pid: &self.pid(),
            agent_id: &self.agent_id(),
            framework_id: &ex.framework_id,
            executor_id: &ex.info.executor_id.value,
            directory: &ex.directory,
            checkpoint,
            grace: ex.shutdown_grace(self.config.executor_shutdown_grace_period),
            recovery_timeout: self.config.recovery_timeout,
        })
    }

    fn new_executor(
        &self,
        framework_id: &str,
        info: ExecutorInfo,
        kind: ExecutorKind,
    ) -> ExecutorState {
        let container_id = uuid::Uuid::new_v4().to_string();
        let dir = self.sandbox(framework_id, &info.executor_id.value, &container_id);
        point_latest(&dir);
        ExecutorState::new(info, framework_id.to_string(), dir, container_id, kind)
    }

    /// Handles the master's LAUNCH / LAUNCH_GROUP.
    pub(super) fn launch(&mut self, msg: LaunchTasks, ctx: &mut Context<Self>) {
        let Some(fw) = msg.framework_info.id.as_ref().map(|i| i.value.clone()) else {
            return;
        };
        self.frameworks
            .insert(fw.clone(), msg.framework_info.clone());
        let default_executor = msg
            .executor
            .as_ref()
            .is_some_and(|e| e.r#type == Some(executor_info::Type::Default as i32));
        match msg.executor {
            None => {
                for task in msg.tasks {
                    let info = command_executor_info(&fw, &task);
                    let key = (fw.clone(), info.executor_id.value.clone());
                    let ex = self.new_executor(&fw, info, ExecutorKind::Command);
                    self.executors.insert(key.clone(), ex);
                    self.start_command_task(&key, task, ctx);
                }
            }
            Some(info) if default_executor => {
                let key = (fw.clone(), info.executor_id.value.clone());
                if !self.executors.contains_key(&key) {
                    let ex = self.new_executor(&fw, info, ExecutorKind::Command);
                    self.executors.insert(key.clone(), ex);
                }
                for task in msg.tasks {
                    self.start_command_task(&key, task, ctx);
                }
            }
            Some(info) => {
                let key = (fw.clone(), info.executor_id.value.clone());
                let new = !self.executors.contains_key(&key);
                if new {
                    let ex = self.new_executor(&fw, info, ExecutorKind::Custom);
                    self.executors.insert(key.clone(), ex);
                }
                // Queue first: if the executor cannot even start, its tasks must fail.
                if msg.group {
                    self.deliver(&key, Pending::Group(TaskGroupInfo { tasks: msg.tasks }));
                } else {
                    // One LAUNCH event per task.
                    for t in msg.tasks {
                        self.deliver(&key, Pending::Task(t));
                    }
                }
                if new {
                    self.start_custom_executor(&key, ctx);
                }
            }
        }
    }

    /// Sends a launch to a subscribed executor, or queues it until it subscribes.
    pub(super) fn deliver(&mut self, key: &(String, String), pending: Pending) {
        let Some(ex) = self.executors.get_mut(key) else {
            return;
        };
        let Some(sub) = ex.subscriber.as_ref() else {
            ex.queued.push(pending);
            return;
        };
        let event = match &pending {
            Pending::Task(t) => executor::Event {
                r#type: Some(executor::event::Type::Launch as i32),
                launch: Some(executor::event::Launch { task: t.clone() }),
                ..Default::default()
            },
            Pending::Group(g) => executor::Event {
                r#type: Some(executor::event::Type::LaunchGroup as i32),
                launch_group: Some(executor::event::LaunchGroup {
                    task_group: g.clone(),
                }),
                ..Default::default()
            },
        };
        sub.send(&event);
        for t in pending.tasks() {
            ex.tasks.insert(t.task_id.value.clone(), t.clone());
            ex.states
                .insert(t.task_id.value.clone(), TaskState::TaskStaging);
        }
    }

    /// Starts a custom executor's process off the actor thread (sandbox, files, fork/exec);
    /// [`custom_executor_spawned`](Self::custom_executor_spawned) takes it from there.
    fn start_custom_executor(&mut self, key: &(String, String), ctx: &mut Context<Self>) {
        let Some(ex) = self.executors.get(key) else {
            return;
        };
        let env = self.env_for(ex);
        let command = ex.info.command.clone().unwrap_or_default();
        let dir = ex.directory.clone();
        if let Some(ex) = self.executors.get_mut(key) {
            ex.spawning = true;
        }
        let key = key.clone();
        let spawn = executor_process::spawn(command, env, dir);
        ctx.spawn(spawn.into_actor(self).map(move |result, agent, ctx| {
            agent.custom_executor_spawned(key, result, ctx);
        }));
    }

    /// A custom executor's process started (or failed to). If the executor is gone
    /// meanwhile, dropping `result` kills the process.
    fn custom_executor_spawned(
        &mut self,
        key: (String, String),
        result: std::io::Result<Spawned>,
        ctx: &mut Context<Self>,
    ) {
        let default_grace = self.config.executor_shutdown_grace_period;
        let Some(ex) = self.executors.get_mut(&key) else {
            return;
        };
        ex.spawning = false;
        let spawned = match result {
            Ok(spawned) => spawned,
            Err(e) => {
                tracing::warn!(executor = %key.1, error = %e, "executor failed to start");
                let msg = ProcessExited {
                    framework_id: key.0.clone(),
                    executor_id: key.1.clone(),
                    task_id: None,
                    status: Err(e.to_string()),
                };
                self.process_exited(msg, ctx);
                return;
            }
        };
        let pid = spawned.pid;
        let Some(child) = spawned.into_child() else {
            return;
        };
        tracing::info!(executor = %key.1, pid, dir = %ex.directory.display(), "executor started");
        ex.pid = Some(pid);
        // A SHUTDOWN that came while it was starting: as for an executor not subscribed.
        let shutdown = ex.shutting_down.then(|| ex.shutdown_grace(default_grace));
        self.reap(key.clone(), None, child, ctx);
        if let Some(grace) = shutdown {
            executor_process::signal_group(pid, libc::SIGTERM);
            kill_after(key.clone(), pid, grace, ctx);
        }
        let timeout = self.config.executor_registration_timeout;
        ctx.run_later(timeout, move |agent, _| {
            if let Some(ex) = agent.executors.get_mut(&key) {
                if !ex.subscribed_once && ex.pid == Some(pid) {
                    tracing::warn!(executor = %key.1, "executor did not subscribe in time; killing it");
                    // As Mesos' registration timeout: the container is destroyed and its
                    // tasks fail with REASON_EXECUTOR_REGISTRATION_TIMEOUT.
                    ex.termination.get_or_insert(Termination {
                        state: TaskState::TaskFailed,
                        reason: Reason::ExecutorRegistrationTimeout,
                        message: format!(
                            "Executor did not register within {}",
                            stout_duration(timeout)
                        ),
                    });
                    executor_process::signal_group(pid, libc::SIGKILL);
                }
            }
        });
    }

    /// Starts a command task's process off the actor thread;
    /// [`command_task_spawned`](Self::command_task_spawned) takes it from there.
    fn start_command_task(
        &mut self,
        key: &(String, String),
        task: TaskInfo,
        ctx: &mut Context<Self>,
    ) {
        let Some(ex) = self.executors.get(key) else {
            return;
        };
        let env = self.env_for(ex);
        let dir = ex.directory.clone();
        let command = task.command.clone().unwrap_or_default();
        let task_id = task.task_id.clone();
        if let Some(ex) = self.executors.get_mut(key) {
            ex.starting.insert(task_id.value.clone(), None);
            ex.tasks.insert(task_id.value.clone(), task);
        }
        let key = key.clone();
        let spawn = executor_process::spawn(command, env, dir);
        ctx.spawn(spawn.into_actor(self).map(move |result, agent, ctx| {
            agent.command_task_spawned(key, task_id, result, ctx);
        }));
    }

    /// A command task's process started (or failed to): STARTING and RUNNING, then any kill
    /// asked for meanwhile. If the executor is gone, dropping `result` kills the process.
    fn command_task_spawned(
        &mut self,
        key: (String, String),
        task_id: TaskId,
        result: std::io::Result<Spawned>,
        ctx: &mut Context<Self>,
    ) {
        let Some(ex) = self.executors.get_mut(&key) else {
            return;
        };
        let kill = ex.starting.remove(&task_id.value).flatten();
        match result.map(|s| (s.pid, s.into_child())) {
            Ok((pid, Some(child))) => {
                ex.task_pids.insert(task_id.value.clone(), pid);
                for state in [TaskState::TaskStarting, TaskState::TaskRunning] {
                    let status = executor_status(&task_id, state, Source::Executor, None);
                    self.handle_update(&key.0, &key.1, status);
                }
                self.reap(key.clone(), Some(task_id.value.clone()), child, ctx);
                if let Some(policy) = kill {
                    self.kill_command_task(&key, &task_id.value, policy.as_ref(), ctx);
                }
            }
            Ok((_, None)) => {}
            Err(e) => {
                let mut status = executor_status(
                    &task_id,
                    TaskState::TaskFailed,
                    Source::Agent,
                    Some(format!("Failed to launch container: {e}")),
                );
                status.reason = Some(Reason::ContainerLaunchFailed as i32);
                self.handle_update(&key.0, &key.1, status);
                self.maybe_remove_command_executor(&key);
            }
        }
    }

    fn reap(
        &mut self,
        key: (String, String),
        task_id: Option<String>,
        mut child: tokio::process::Child,
        ctx: &mut Context<Self>,
    ) {
        let fut = async move { child.wait().await.map_err(|e| e.to_string()) };
        ctx.spawn(fut.into_actor(self).map(move |status, _agent, ctx| {
            let msg = ProcessExited {
                framework_id: key.0,
                executor_id: key.1,
                task_id,
                status,
            };
            // Through the mailbox: a down agent keeps it for its recovery.
            ctx.notify(msg);
        }));
    }

    /// Kills a command task: SIGTERM to its process group, SIGKILL after the grace period.
    pub(super) fn kill_command_task(
        &mut self,
        key: &(String, String),
        task_id: &str,
        policy: Option<&KillPolicy>,
        ctx: &mut Context<Self>,
    ) {
        let default = self.config.executor_shutdown_grace_period;
        let killing_state = self.frameworks.get(&key.0).is_some_and(|f| {
            f.has_capability(crate::proto::framework_info::capability::Type::TaskKillingState)
        });
        let Some(ex) = self.executors.get_mut(key) else {
            return;
        };
        let Some(&pid) = ex.task_pids.get(task_id) else {
            // Still starting: killed as soon as its process exists.
            if let Some(kill) = ex.starting.get_mut(task_id) {
                *kill = Some(policy.cloned());
            }
            return;
        };
        let grace = policy
            .and_then(|p| duration_of(p.grace_period.as_ref()))
            .or_else(|| {
                ex.tasks
                    .get(task_id)
                    .and_then(|t| t.kill_policy.as_ref())
                    .and_then(|p| duration_of(p.grace_period.as_ref()))
            })
            .unwrap_or(default);
        let first_kill = ex.killing.insert(task_id.to_string());
        executor_process::signal_group(pid, libc::SIGTERM);
        if first_kill && killing_state {
            let status = executor_status(
                &task_id.into(),
                TaskState::TaskKilling,
                Source::Executor,
                Some("Command is being killed".into()),
            );
            self.handle_update(&key.0, &key.1, status);
        }
        let key = key.clone();
        let task_id = task_id.to_string();
        ctx.run_later(grace, move |agent, _| {
            if let Some(ex) = agent.executors.get(&key) {
                if ex.task_pids.get(&task_id) == Some(&pid) {
                    executor_process::signal_group(pid, libc::SIGKILL);
                }
            }
        });
    }

    /// SHUTDOWN of one executor: the custom executor gets a SHUTDOWN event and is killed
    /// after its grace period; command tasks are killed.
    pub(super) fn shutdown_executor(&mut self, key: (String, String), ctx: &mut Context<Self>) {
        let default = self.config.executor_shutdown_grace_period;
        let Some(ex) = self.executors.get_mut(&key) else {
            return;
        };
        ex.shutting_down = true;
        match ex.kind {
            ExecutorKind::Command => {
                let tasks: Vec<String> = ex
                    .task_pids
                    .keys()
                    .chain(ex.starting.keys())
                    .cloned()
                    .collect();
                for t in tasks {
                    self.kill_command_task(&key, &t, None, ctx);
                }
            }
            ExecutorKind::Custom => {
                let grace = ex.shutdown_grace(default);
                match (&ex.subscriber, ex.pid) {
                    (Some(sub), Some(pid)) => {
                        sub.send(&executor::Event {
                            r#type: Some(executor::event::Type::Shutdown as i32),
                            ..Default::default()
                        });
                        kill_after(key, pid, grace, ctx);
                    }
                    (None, Some(pid)) => {
                        executor_process::signal_group(pid, libc::SIGTERM);
                        kill_after(key, pid, grace, ctx);
                    }
                    // Still starting: `custom_executor_spawned` sees `shutting_down`.
                    (_, None) => {}
                }
            }
        }
    }

    /// Reaps an exited process and reports what it means for its tasks.
    pub(super) fn process_exited(&mut self, msg: ProcessExited, _ctx: &mut Context<Self>) {
        let key = (msg.framework_id.clone(), msg.executor_id.clone());
        let Some(ex) = self.executors.get_mut(&key) else {
            return;
        };
        if let Some(task_id) = msg.task_id {
            ex.task_pids.remove(&task_id);
            let killed = ex.killing.remove(&task_id);
            let already_terminal = ex.states.get(&task_id).is_some_and(|s| s.is_terminal());
            if !already_terminal {
                let (state, message) = match &msg.status {
                    Ok(st) if killed => (TaskState::TaskKilled, describe_exit(st)),
                    Ok(st) if st.success() => (TaskState::TaskFinished, describe_exit(st)),
                    Ok(st) => (TaskState::TaskFailed, describe_exit(st)),
                    Err(e) => (
                        TaskState::TaskFailed,
                        format!("Failed to wait for the command: {e}"),
                    ),
                };
                let status = executor_status(
                    &task_id.as_str().into(),
                    state,
                    Source::Executor,
                    Some(message),
                );
                self.handle_update(&key.0, &key.1, status);
            }
            self.maybe_remove_command_executor(&key);
            return;
        }
        // A custom executor exited: its remaining tasks fail (or are killed, when the
        // framework asked for the shutdown; or never started, when it did not launch).
        let live = ex.live_task_ids();
        ex.queued.clear();
        // Its container is destroyed: nothing it started outlives it.
        if let Some(pid) = ex.pid {
            executor_process::signal_group(pid, libc::SIGKILL);
        }
        let decided = ex
            .termination
            .clone()
            .map(|t| (t.state, t.reason, t.message));
        let (state, reason, message) = match (decided, &msg.status, ex.shutting_down) {
            (Some(decided), _, _) => decided,
            (None, Err(e), _) => (
                TaskState::TaskFailed,
                Reason::ContainerLaunchFailed,
                format!("Failed to launch container: {e}"),
            ),
            (None, Ok(_), true) => (
                TaskState::TaskKilled,
                Reason::ExecutorTerminated,
                "Executor terminated".to_string(),
            ),
            (None, Ok(_), false) => (
                TaskState::TaskFailed,
                Reason::ExecutorTerminated,
                "Executor terminated".to_string(),
            ),
        };
        for task_id in live {
            let mut status = executor_status(&task_id, state, Source::Agent, Some(message.clone()));
            status.reason = Some(reason as i32);
            self.handle_update(&key.0, &key.1, status);
        }
        let raw = msg.status.as_ref().ok().map(raw_status);
        tracing::info!(executor = %key.1, status = ?raw, "executor exited");
        self.executors.remove(&key);
        self.master.do_send(ExecutorTerminated {
            agent: self.index,
            framework_id: key.0,
            executor_id: key.1,
            status: raw,
            custom: true,
        });
    }

    fn maybe_remove_command_executor(&mut self, key: &(String, String)) {
        let done = self.executors.get(key).is_some_and(|ex| {
            ex.task_pids.is_empty() && ex.tasks.is_empty() && ex.queued.is_empty()
        });
        if done {
            self.executors.remove(key);
            self.master.do_send(ExecutorTerminated {
                agent: self.index,
                framework_id: key.0.clone(),
                executor_id: key.1.clone(),
                status: None,
                custom: false,
            });
        }
    }
}

/// SIGKILL to an executor's process group after `grace`, if it is still the executor's
/// process.
fn kill_after(
    key: (String, String),
    pid: u32,
    grace: std::time::Duration,
    ctx: &mut Context<LocalAgent>,
) {
    ctx.run_later(grace, move |agent, _| {
        if agent
            .executors
            .get(&key)
            .is_some_and(|e| e.pid == Some(pid))
        {
            executor_process::signal_group(pid, libc::SIGKILL);
        }
    });
}

/// Sends `signal` to every process of an executor.
pub(super) fn kill_all(ex: &ExecutorState, signal: i32) {
    if let Some(pid) = ex.pid {
        executor_process::signal_group(pid, signal);
    }
    for pid in ex.task_pids.values() {
        executor_process::signal_group(*pid, signal);
    }
}

/// The ExecutorInfo Mesos generates for a command task: the executor id is the task id.
fn command_executor_info(framework_id: &str, task: &TaskInfo) -> ExecutorInfo {
    let value = task
        .command
        .as_ref()
        .and_then(|c| c.value.clone())
        .unwrap_or_default();
    ExecutorInfo {
        r#type: Some(executor_info::Type::Default as i32),
        executor_id: task.task_id.value.as_str().into(),
        framework_id: Some(framework_id.into()),
        name: Some(format!(
            "Command Executor (Task: {}) (Command: sh -c '{}')",
            task.task_id.value, value
        )),
        command: Some(CommandInfo {
            value: Some("mesos-executor".into()),
            shell: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    }
}
