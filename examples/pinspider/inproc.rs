//! `--in-process`: runs the tasks inside the scheduler process instead of on Mesos, with
//! the same task code ([`crate::work`]) and the same messages the runtime would deliver
//! (a [`ExecutorMessage`] and then a terminal [`TaskUpdate`] carrying the result), and
//! the same retry rule (transient failures retried up to 3 times). Useful for trying the
//! crawler without a cluster, and for testing the queue and the de-duplication.

use crate::crawler::{Crawler, Submission};
use crate::fetch::{FetchConfig, Fetcher};
use crate::model::{FetchSettings, TaskKind, TaskPayload};
use actix::Addr;
use mesos_actix::proto::{AgentId, ExecutorId, TaskId, TaskState, TaskStatus};
use mesos_actix::scheduler::{ExecutorMessage, TaskUpdate};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Relaunches after a transient failure, as `TaskSpec::retries(3)` asks of the runtime.
pub const MAX_RETRIES: u32 = 3;

/// Fetchers by (kind, serialized fetch settings).
type Fetchers = Rc<RefCell<HashMap<(TaskKind, String), Rc<Fetcher>>>>;

/// Runs submissions on the current actix thread.
pub struct InProcess {
    crawler: Addr<Crawler>,
    fetchers: Fetchers,
}

impl InProcess {
    /// A runner that reports to `crawler`.
    pub fn new(crawler: Addr<Crawler>) -> Self {
        InProcess {
            crawler,
            fetchers: Rc::new(RefCell::new(HashMap::new())),
        }
    }

    /// One fetcher per kind (like one executor per kind) and fetch settings.
    fn fetcher(&self, kind: TaskKind, settings: &FetchSettings) -> Rc<Fetcher> {
        let key = (kind, serde_json::to_string(settings).unwrap_or_default());
        self.fetchers
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| Rc::new(Fetcher::new(FetchConfig::from_settings(settings))))
            .clone()
    }

    /// Runs the task in the background.
    pub fn submit(&self, s: Submission) {
        let settings = serde_json::from_slice::<TaskPayload>(&s.data)
            .map(|p| p.fetch)
            .unwrap_or_default();
        let fetcher = self.fetcher(s.task.kind, &settings);
        let crawler = self.crawler.clone();
        actix_rt::spawn(async move {
            let executor_id = ExecutorId::new(format!("pinspider-{}", s.task.kind.as_str()));
            for attempt in 0..=MAX_RETRIES {
                let task_id = TaskId::new(format!("{}-{attempt}", s.task.name));
                let result = crate::work::run_bytes(&s.data, &fetcher, s.task.kind).await;
                let data = result.to_bytes();
                if !result.transient {
                    crawler.do_send(ExecutorMessage {
                        agent_id: AgentId::new("in-process"),
                        executor_id: executor_id.clone(),
                        data: data.clone(),
                    });
                }
                let state = if result.transient {
                    TaskState::TaskFailed
                } else {
                    TaskState::TaskFinished
                };
                let retry = result.transient && attempt < MAX_RETRIES;
                crawler.do_send(TaskUpdate {
                    name: s.task.name.clone(),
                    task_id: task_id.clone(),
                    state,
                    reason: None,
                    status: TaskStatus {
                        task_id,
                        state: state as i32,
                        message: result.error.clone(),
                        data: Some(data),
                        executor_id: Some(executor_id.clone()),
                        ..Default::default()
                    },
                    attempt,
                    is_final: !retry,
                });
                if !retry {
                    break;
                }
            }
        });
    }
}
