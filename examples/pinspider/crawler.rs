//! The `Crawler` actor: the scheduler side of pinspider. It owns the [`Crawl`] queue and
//! the [`Output`], hears the runtime's [`TaskUpdate`]s and [`ExecutorMessage`]s, and
//! asks for new tasks through a channel ([`Submission`]s), so whatever runs tasks (the
//! Mesos runtime, or the in-process runner) stays outside it.

use crate::crawl::{Crawl, CrawlTask, Summary};
use crate::model::{FetchSettings, TaskResult};
use crate::output::Output;
use actix::prelude::*;
use mesos_actix::proto::TaskState;
use mesos_actix::scheduler::{ExecutorMessage, MesosError, MesosErrorKind, TaskUpdate};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// A submission could not be made; the task counts as failed.
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct SubmitFailed {
    /// The task's name.
    pub task: String,
    /// Why.
    pub reason: String,
}

/// Ends the crawl now (Ctrl-C): the summary of what was done is sent as if finished,
/// with every unfinished task counted as failed.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct Interrupt;

/// A task for the backend to run: its name and `TaskInfo.data`.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The task.
    pub task: CrawlTask,
    /// Its payload (JSON [`crate::model::TaskPayload`]).
    pub data: Vec<u8>,
}

/// The scheduler-side actor.
pub struct Crawler {
    crawl: Crawl,
    out: Output,
    fetch: FetchSettings,
    submit: mpsc::UnboundedSender<Submission>,
    done: Option<oneshot::Sender<Summary>>,
    started: Instant,
    unreadable: usize,
}

impl Crawler {
    /// A crawler; the summary is sent on `done` when every task is final.
    pub fn new(
        crawl: Crawl,
        out: Output,
        fetch: FetchSettings,
        submit: mpsc::UnboundedSender<Submission>,
        done: oneshot::Sender<Summary>,
    ) -> Self {
        Crawler {
            crawl,
            out,
            fetch,
            submit,
            done: Some(done),
            started: Instant::now(),
            unreadable: 0,
        }
    }

    fn submit_new(&mut self) {
        for task in self.crawl.take_tasks() {
            let data = serde_json::to_vec(&task.payload(&self.fetch)).unwrap_or_default();
            tracing::debug!(task = %task.name, url = %task.url, "submit");
            if self
                .submit
                .send(Submission {
                    task: task.clone(),
                    data,
                })
                .is_err()
            {
                if let Some(r) = self.crawl.on_final(&task.name, "task runner is gone") {
                    self.out.records(&[r]);
                }
            }
        }
    }

    /// Handles a result; answers a progress note when it was new.
    fn on_bytes(&mut self, data: &[u8], is_final: bool, via: &str) -> Option<String> {
        match serde_json::from_slice::<TaskResult>(data) {
            Ok(result) => {
                let task = result.task.clone();
                let note = match &result.error {
                    Some(e) => format!("{task}: {e}"),
                    None => format!("{task}: ok"),
                };
                let records = self.crawl.on_result(result, is_final)?;
                tracing::debug!(%task, via, "result");
                self.out.records(&records);
                Some(note)
            }
            Err(e) => {
                self.unreadable += 1;
                tracing::warn!(via, error = %e, "unreadable task result dropped");
                None
            }
        }
    }

    /// Submits new tasks, shows progress after news, and ends the crawl when done.
    fn step(&mut self, news: Option<String>) {
        self.submit_new();
        if let Some(what) = news {
            let (done, total) = self.crawl.progress();
            self.out.progress(done, total, &what);
        }
        if self.crawl.is_finished() {
            if let Some(tx) = self.done.take() {
                self.out.finish();
                if self.unreadable > 0 {
                    tracing::warn!(
                        count = self.unreadable,
                        "unreadable task results were dropped"
                    );
                }
                let _ = tx.send(self.crawl.summary(self.started.elapsed()));
            }
        }
    }
}

impl Actor for Crawler {
    type Context = Context<Self>;

    fn started(&mut self, _: &mut Context<Self>) {
        self.started = Instant::now();
        self.step(None);
    }
}

impl Handler<TaskUpdate> for Crawler {
    type Result = ();

    fn handle(&mut self, update: TaskUpdate, _: &mut Context<Self>) {
        let state = update.state;
        tracing::debug!(task = %update.name, state = state.as_str_name(), attempt = update.attempt, is_final = update.is_final, "update");
        let mut news = None;
        if state.is_terminal() {
            if let Some(data) = update.status.data.as_deref().filter(|d| !d.is_empty()) {
                let is_final = update.is_final || state == TaskState::TaskFinished;
                news = self.on_bytes(data, is_final, "status update");
            }
        }
        if update.is_final {
            let mut reason = state.as_str_name().to_string();
            if let Some(m) = update.status.message.as_deref().filter(|m| !m.is_empty()) {
                reason = format!("{reason}: {m}");
            }
            if update.attempt > 0 {
                reason = format!("{reason} (after {} retries)", update.attempt);
            }
            if let Some(record) = self.crawl.on_final(&update.name, &reason) {
                self.out.records(&[record]);
                news = Some(format!("{}: {reason}", update.name));
            }
        }
        self.step(news);
    }
}

impl Handler<ExecutorMessage> for Crawler {
    type Result = ();

    fn handle(&mut self, msg: ExecutorMessage, _: &mut Context<Self>) {
        let news = self.on_bytes(&msg.data, false, "framework message");
        self.step(news);
    }
}

impl Handler<SubmitFailed> for Crawler {
    type Result = ();

    fn handle(&mut self, msg: SubmitFailed, _: &mut Context<Self>) {
        tracing::error!(task = %msg.task, reason = %msg.reason, "submit failed");
        let reason = format!("submit failed: {}", msg.reason);
        let news = self.crawl.on_final(&msg.task, &reason).map(|record| {
            self.out.records(&[record]);
            format!("{}: {reason}", msg.task)
        });
        self.step(news);
    }
}

impl Handler<Interrupt> for Crawler {
    type Result = ();

    fn handle(&mut self, _: Interrupt, _: &mut Context<Self>) {
        if let Some(tx) = self.done.take() {
            tracing::warn!("interrupted: stopping the crawl");
            self.out.finish();
            let _ = tx.send(self.crawl.summary(self.started.elapsed()));
        }
    }
}

impl Handler<MesosError> for Crawler {
    type Result = ();

    /// Errors that end the subscription for good end the crawl (unfinished tasks count as
    /// failed); the others are logged.
    fn handle(&mut self, e: MesosError, ctx: &mut Context<Self>) {
        match e.kind {
            MesosErrorKind::CallRejected | MesosErrorKind::MalformedStream => {
                tracing::warn!(kind = ?e.kind, message = %e.message, "Mesos error");
            }
            _ => {
                tracing::error!(kind = ?e.kind, message = %e.message, "Mesos ended the framework; stopping the crawl");
                <Self as Handler<Interrupt>>::handle(self, Interrupt, ctx);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Profile, Record, TaskKind};
    use mesos_actix::proto::{AgentId, ExecutorId, TaskId, TaskStatus};

    fn crawler(
        urls: &[&str],
    ) -> (
        Addr<Crawler>,
        mpsc::UnboundedReceiver<Submission>,
        oneshot::Receiver<Summary>,
    ) {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let seeds: Vec<url::Url> = urls.iter().map(|u| url::Url::parse(u).unwrap()).collect();
        let (tx, rx) = mpsc::unbounded_channel();
        let (done_tx, done_rx) = oneshot::channel();
        let out = Output::open(Some(&std::env::temp_dir().join(format!(
            "pinspider-crawler-{}-{}.jsonl",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ))))
        .unwrap();
        let c = Crawler::new(
            Crawl::new(&seeds, 10, false),
            out,
            FetchSettings::default(),
            tx,
            done_tx,
        );
        (c.start(), rx, done_rx)
    }

    #[actix_rt::test]
    async fn a_fatal_mesos_error_ends_the_crawl_with_failures() {
        let (addr, _subs, done) = crawler(&["http://h/a/"]);
        addr.do_send(MesosError {
            kind: MesosErrorKind::GaveUp,
            message: "no master".into(),
        });
        let summary = done.await.unwrap();
        assert_eq!(summary.exit_code(), 1);
        assert_eq!(summary.failed_users.len(), 1);
    }

    #[actix_rt::test]
    async fn updates_and_messages_are_deduplicated_and_lost_tasks_fail() {
        let (addr, mut subs, done) = crawler(&["http://h/a/"]);
        let profile = subs.recv().await.unwrap();
        let boards = subs.recv().await.unwrap();
        assert_eq!(profile.task.kind, TaskKind::Profile);
        let result = TaskResult {
            task: profile.task.name.clone(),
            kind: TaskKind::Profile,
            url: profile.task.url.clone(),
            records: vec![Record::Profile(Profile::default())],
            discovered: vec![],
            error: None,
            transient: false,
        };
        let data = result.to_bytes();
        addr.do_send(ExecutorMessage {
            agent_id: AgentId::new("a"),
            executor_id: ExecutorId::new("e"),
            data: data.clone(),
        });
        // Garbage is dropped, not fatal.
        addr.do_send(ExecutorMessage {
            agent_id: AgentId::new("a"),
            executor_id: ExecutorId::new("e"),
            data: b"{not json".to_vec(),
        });
        let update = |name: &str, state: TaskState, data: Option<Vec<u8>>| TaskUpdate {
            name: name.to_string(),
            task_id: TaskId::new(format!("{name}-x")),
            state,
            reason: None,
            status: TaskStatus {
                task_id: TaskId::new(format!("{name}-x")),
                state: state as i32,
                data,
                ..Default::default()
            },
            attempt: 3,
            is_final: true,
        };
        addr.do_send(update(
            &profile.task.name,
            TaskState::TaskFinished,
            Some(data),
        ));
        addr.do_send(update(&boards.task.name, TaskState::TaskLost, None));
        let summary = done.await.unwrap();
        assert_eq!(summary.profiles, 1);
        assert_eq!(summary.duplicates, 1);
        assert_eq!(summary.failed_users.len(), 1);
        assert!(
            summary.failed_users[0]
                .1
                .contains("TASK_LOST (after 3 retries)"),
            "{summary}"
        );
    }
}
