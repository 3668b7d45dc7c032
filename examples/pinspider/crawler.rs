//! The `Crawler` actor: the scheduler side of pinspider. It owns the [`Crawl`] queue and
//! the [`Output`], hears the runtime's [`TaskUpdate`]s and [`FrameworkMessage`]s, and
//! asks for new tasks through a channel ([`Submission`]s), so whatever runs tasks (the
//! Mesos runtime, or the in-process runner) stays outside it.

use crate::crawl::{Crawl, CrawlTask, Summary};
use crate::model::{FetchSettings, TaskResult};
use crate::output::Output;
use actix::prelude::*;
use mesos_actix::proto::TaskState;
use mesos_actix::scheduler::{FrameworkMessage, TaskUpdate};
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

impl Handler<FrameworkMessage> for Crawler {
    type Result = ();

    fn handle(&mut self, msg: FrameworkMessage, _: &mut Context<Self>) {
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
