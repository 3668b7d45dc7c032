//! Submissions: [`Track`] and [`TrackAll`] admit new tasks and queue their first attempts
//! at the matcher (all or nothing for a batch).

use super::{SubmitError, TaskTracker, Track, TrackAll, record};
use crate::proto::TaskId;
use crate::scheduler::offer_matcher::{PlaceAll, Queued};
use crate::scheduler::spec::TaskSpec;
use actix::prelude::*;
use record::TaskRecord;
use std::future::Future;
use std::pin::Pin;

impl TaskTracker {
    /// Records a new (validated) task; answers its key and its first attempt for the
    /// matcher.
    fn admit(&mut self, spec: TaskSpec) -> (u64, Queued) {
        let (name, spec) = self.specs.intern(spec);
        let key = self.next_key;
        self.next_key += 1;
        let task_id = record::task_id_for(&name, self.nonce, key, 0);
        let r = TaskRecord::new(name, spec, task_id.clone());
        let queued = r.queued(task_id);
        self.records.insert(key, r);
        self.open += 1;
        self.metrics.tasks_submitted(1);
        tracing::debug!(task_id = %queued.task_id, "tracking new task");
        (key, queued)
    }

    /// Forgets tasks admitted for a submission the matcher never got.
    fn unadmit(&mut self, keys: &[u64]) {
        for key in keys {
            if self.records.remove(key).is_some_and(|r| !r.is_final) {
                self.closed();
            }
        }
        self.check_finished();
    }

    /// Admits `specs` (validated) and queues them at the matcher; answers their first task
    /// ids once the matcher has them.
    fn submit(
        &mut self,
        specs: Vec<TaskSpec>,
    ) -> ResponseActFuture<Self, Result<Vec<TaskId>, SubmitError>> {
        let mut keys = Vec::with_capacity(specs.len());
        let mut tasks = Vec::with_capacity(specs.len());
        for spec in specs {
            let (key, task) = self.admit(spec);
            keys.push(key);
            tasks.push(task);
        }
        let ids: Vec<TaskId> = tasks.iter().map(|t| t.task_id.clone()).collect();
        let sent: Pin<Box<dyn Future<Output = Result<(), MailboxError>>>> = match &self.place_all {
            Some(all) => Box::pin(all.send(PlaceAll(tasks))),
            None => {
                let each: Vec<_> = tasks
                    .into_iter()
                    .map(|t| self.place.send(t.into_place()))
                    .collect();
                Box::pin(async move {
                    futures_util::future::join_all(each)
                        .await
                        .into_iter()
                        .collect::<Result<(), MailboxError>>()
                })
            }
        };
        Box::pin(
            sent.into_actor(self)
                .map(move |result, act, _| match result {
                    Ok(()) => Ok(ids),
                    Err(e) => {
                        tracing::warn!(error = %e, "matcher gone: tasks not submitted");
                        act.unadmit(&keys);
                        Err(SubmitError::Stopped)
                    }
                }),
        )
    }
}

impl Handler<Track> for TaskTracker {
    type Result = ResponseActFuture<Self, Result<TaskId, SubmitError>>;

    fn handle(&mut self, Track(spec): Track, _: &mut Context<Self>) -> Self::Result {
        if let Err(e) = spec.validate() {
            return Box::pin(fut::ready(Err(SubmitError::Invalid(e))));
        }
        Box::pin(self.submit(vec![spec]).map(|result, _, _| {
            result.and_then(|ids| ids.into_iter().next().ok_or(SubmitError::Stopped))
        }))
    }
}

impl Handler<TrackAll> for TaskTracker {
    type Result = ResponseActFuture<Self, Result<Vec<TaskId>, SubmitError>>;

    fn handle(&mut self, TrackAll(specs): TrackAll, _: &mut Context<Self>) -> Self::Result {
        for (i, spec) in specs.iter().enumerate() {
            if let Err(e) = spec.validate() {
                let e = SubmitError::InvalidInBatch { index: i, error: e };
                return Box::pin(fut::ready(Err(e)));
            }
        }
        self.submit(specs)
    }
}
