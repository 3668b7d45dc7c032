//! The seam between pinspider and the mesos-actix runtimes: everything that names
//! `Framework`, `TaskSpec` submission, `ExecutorBuilder`, `Launch`, `Kill` or `Shutdown`
//! lives in this one file.
//!
//! - [`run_on_mesos`]: starts the framework (a given master, or the embedded local
//!   cluster), with the [`Crawler`] as the recipient of `TaskUpdate`s and
//!   `ExecutorMessage`s, turns each [`Submission`] into a `TaskSpec` (0.1 cpu, 64 MB,
//!   the profile or boards executor, the payload as data, 3 retries), and tears the
//!   framework down when the crawl is finished.
//! - [`run_executor`]: `pinspider executor --kind profile|boards`, the process the agent
//!   launches. Each `Launch` runs [`crate::work::run_bytes`]; the result goes out as a
//!   framework message (fast, best effort) and in the terminal update's `data` (reliable):
//!   TASK_FINISHED, or TASK_FAILED when the error is transient so the runtime retries.

use crate::cli::Settings;
use crate::crawl::Summary;
use crate::crawler::{Crawler, Submission};
use crate::model::TaskKind;
use actix::Addr;
use tokio::sync::{mpsc, oneshot};

/// Why the Mesos side could not run.
#[derive(Debug, thiserror::Error)]
pub enum GlueError {
    /// The framework failed to start or ended for good.
    #[error("framework: {0}")]
    Framework(String),
    /// The crawler stopped without a summary.
    #[error("the crawler stopped without finishing")]
    CrawlerGone,
}

mod wired {
    use super::*;
    use crate::crawler::SubmitFailed;
    use crate::fetch::{FetchConfig, Fetcher};
    use crate::model::{FetchSettings, TaskPayload};
    use actix::prelude::*;
    use mesos_actix::executor::{ExecutorBuilder, Kill, Launch, Shutdown, StatusUpdate};
    use mesos_actix::proto::{
        CommandInfo, ExecutorId, ExecutorInfo, FrameworkInfo, Resource, TaskState, command_info,
        executor_info,
    };
    use mesos_actix::scheduler::{Framework, RuntimeConfig, ShutdownMode, TaskSpec};
    use std::collections::HashMap;
    use std::rc::Rc;

    /// CPUs of each executor itself (Mesos' minimum for an executor).
    const EXECUTOR_CPUS: f64 = 0.01;
    /// Memory of each executor itself, in MB (Mesos' minimum for an executor).
    const EXECUTOR_MEM_MB: f64 = 32.0;
    /// How long a finished crawl waits for its tasks' terminal updates before TEARDOWN.
    const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

    /// The `ExecutorInfo` of one kind: this binary in executor mode, or the binary
    /// fetched from `executor_uri` into the sandbox.
    fn executor_info(kind: TaskKind, executor_uri: Option<&str>) -> ExecutorInfo {
        let args = format!("executor --kind {}", kind.as_str());
        let (value, uris) = match executor_uri {
            Some(uri) => {
                let file = uri
                    .rsplit('/')
                    .next()
                    .filter(|f| !f.is_empty())
                    .unwrap_or("pinspider");
                (
                    format!("./{} {args}", shell_quote(file)),
                    vec![command_info::Uri {
                        value: uri.to_string(),
                        executable: Some(true),
                        extract: Some(false),
                        ..Default::default()
                    }],
                )
            }
            None => {
                let exe = std::env::current_exe()
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_else(|_| "pinspider".into());
                (format!("{} {args}", shell_quote(&exe)), Vec::new())
            }
        };
        ExecutorInfo {
            r#type: Some(executor_info::Type::Custom as i32),
            executor_id: ExecutorId::new(format!("pinspider-{}", kind.as_str())),
            name: Some(format!("pinspider {} executor", kind.as_str())),
            command: Some(CommandInfo {
                value: Some(value),
                shell: Some(true),
                uris,
                ..Default::default()
            }),
            // The executor's own share (the master's minimums; it warns when none is given).
            resources: vec![
                Resource::scalar("cpus", EXECUTOR_CPUS),
                Resource::scalar("mem", EXECUTOR_MEM_MB),
            ],
            ..Default::default()
        }
    }

    fn shell_quote(s: &str) -> String {
        format!("'{}'", s.replace('\'', r"'\''"))
    }

    pub async fn run_on_mesos(
        settings: &Settings,
        crawler: Addr<Crawler>,
        mut submissions: mpsc::UnboundedReceiver<Submission>,
        mut done: oneshot::Receiver<Summary>,
    ) -> Result<Summary, GlueError> {
        // MESOS_ACTIX_* variables and their defaults; the master comes from --master below.
        let config = RuntimeConfig::load(None).map_err(|e| GlueError::Framework(e.to_string()))?;
        let mut builder = Framework::builder(FrameworkInfo::new("pinspider"))
            .config(RuntimeConfig {
                masters: Vec::new(),
                ..config
            })
            .encoding(settings.encoding.into())
            .on_update(crawler.clone().recipient())
            .on_message(crawler.clone().recipient())
            .on_error(crawler.clone().recipient());
        if let Some(m) = &settings.master {
            builder = builder.masters(m.split(',').map(|s| s.trim().to_string()).collect());
        }
        let framework = Rc::new(
            builder
                .start()
                .await
                .map_err(|e| GlueError::Framework(e.to_string()))?,
        );
        tracing::info!(master = %framework.master_url(), "framework started");
        let uri = settings.executor_uri.as_deref();
        let profile = executor_info(TaskKind::Profile, uri);
        let boards = executor_info(TaskKind::Boards, uri);
        let mut interrupted = false;
        let summary = {
            let mut finished = Box::pin(framework.wait_finished());
            let mut watching = true;
            loop {
                tokio::select! {
                    Some(s) = submissions.recv() => {
                        let executor = match s.task.kind {
                            TaskKind::Profile => profile.clone(),
                            TaskKind::Boards => boards.clone(),
                        };
                        let spec = TaskSpec::new(s.task.name.clone())
                            .cpus(0.1)
                            .mem(64.0)
                            .executor(executor)
                            .data(s.data)
                            .retries(3);
                        // Submitted inline (the tracker answers at once), so `finished`
                        // can be re-armed knowing the task is counted.
                        if let Err(e) = framework.submit(spec).await {
                            crawler.do_send(SubmitFailed { task: s.task.name, reason: e.to_string() });
                        }
                        finished = Box::pin(framework.wait_finished());
                        watching = true;
                    }
                    summary = &mut done => break summary.map_err(|_| GlueError::CrawlerGone),
                    Ok(()) = tokio::signal::ctrl_c() => {
                        interrupted = true;
                        crawler.do_send(crate::crawler::Interrupt);
                    }
                    // Resolves Ok whenever every task submitted so far is final (the
                    // crawl may still grow), or with the error that ended the
                    // subscription for good.
                    res = &mut finished, if watching => {
                        watching = false;
                        if let Err(e) = res {
                            break Err(GlueError::Framework(e.to_string()));
                        }
                    }
                }
            }
        };
        // Results travel by framework message and can arrive before the tasks' terminal
        // updates: TEARDOWN now would kill tasks that are about to finish. Wait (bounded)
        // until every task is final, unless the user interrupted the crawl.
        if summary.is_ok() && !interrupted {
            match tokio::time::timeout(DRAIN_TIMEOUT, framework.wait_finished()).await {
                Ok(Ok(())) => tracing::debug!("every task has its terminal update"),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "framework ended before every task was final")
                }
                Err(_) => {
                    tracing::warn!(?DRAIN_TIMEOUT, "tasks still not final; tearing down anyway")
                }
            }
        }
        match Rc::try_unwrap(framework) {
            Ok(fw) => fw.shutdown(ShutdownMode::Teardown).await,
            Err(_) => tracing::warn!("framework still referenced; dropping it without TEARDOWN"),
        }
        summary
    }

    /// The executor actor: one per executor process.
    struct PinExecutor {
        kind: TaskKind,
        fetcher: Option<(FetchSettings, Rc<Fetcher>)>,
        running: HashMap<String, SpawnHandle>,
    }

    impl PinExecutor {
        fn fetcher(&mut self, data: &[u8]) -> Rc<Fetcher> {
            let settings = serde_json::from_slice::<TaskPayload>(data)
                .map(|p| p.fetch)
                .unwrap_or_default();
            match &self.fetcher {
                Some((s, f)) if *s == settings => f.clone(),
                _ => {
                    let f = Rc::new(Fetcher::new(FetchConfig::from_settings(&settings)));
                    self.fetcher = Some((settings, f.clone()));
                    f
                }
            }
        }
    }

    impl Actor for PinExecutor {
        type Context = Context<Self>;
    }

    impl Handler<Launch> for PinExecutor {
        type Result = ();

        fn handle(&mut self, launch: Launch, ctx: &mut Context<Self>) {
            let task_id = launch.task.task_id.clone();
            let key = task_id.value.clone();
            let data = launch.task.data.clone().unwrap_or_default();
            let fetcher = self.fetcher(&data);
            let kind = self.kind;
            let handle = launch.handle;
            let work = async move {
                let _ = handle
                    .update(task_id.clone(), TaskState::TaskRunning, None)
                    .await;
                let result = crate::work::run_bytes(&data, &fetcher, kind).await;
                let bytes = result.to_bytes();
                if !result.transient {
                    if let Err(e) = handle.send_message(bytes.clone()).await {
                        tracing::warn!(error = %e, "message to the scheduler not sent; the status update carries the result");
                    }
                }
                let state = if result.transient {
                    TaskState::TaskFailed
                } else {
                    TaskState::TaskFinished
                };
                let mut update = StatusUpdate::new(task_id, state).data(bytes);
                if let Some(e) = result.error {
                    update = update.message(e);
                }
                if let Err(e) = handle.send_update(update).await {
                    tracing::error!(error = %e, "terminal update refused");
                }
            };
            let done_key = key.clone();
            let spawned = ctx.spawn(work.into_actor(self).map(move |_, act, _| {
                act.running.remove(&done_key);
            }));
            self.running.insert(key, spawned);
        }
    }

    impl Handler<Kill> for PinExecutor {
        type Result = ();

        fn handle(&mut self, kill: Kill, ctx: &mut Context<Self>) {
            if let Some(h) = self.running.remove(&kill.task_id.value) {
                ctx.cancel_future(h);
            }
            let handle = kill.handle;
            let task_id = kill.task_id;
            ctx.spawn(
                async move {
                    let _ = handle
                        .update(
                            task_id,
                            TaskState::TaskKilled,
                            Some("killed by the scheduler".into()),
                        )
                        .await;
                }
                .into_actor(self),
            );
        }
    }

    impl Handler<Shutdown> for PinExecutor {
        type Result = ();

        fn handle(&mut self, _: Shutdown, ctx: &mut Context<Self>) {
            // The runtime reports TASK_KILLED for whatever has no terminal update yet.
            for (_, h) in self.running.drain() {
                ctx.cancel_future(h);
            }
        }
    }

    pub async fn run_executor(kind: TaskKind) -> i32 {
        let builder = match ExecutorBuilder::from_env() {
            Ok(b) => b,
            Err(e) => {
                eprintln!("pinspider executor: {e}");
                return 2;
            }
        };
        let executor = PinExecutor {
            kind,
            fetcher: None,
            running: HashMap::new(),
        }
        .start();
        let exit = builder.run(executor).await;
        tracing::info!(?exit, "executor finished");
        exit.code()
    }
}

pub use wired::{run_executor, run_on_mesos};
