//! Submissions: [`Track`] and [`TrackAll`] admit new tasks and queue their first attempts
//! at the matcher (all or nothing for a batch).

use super::{SubmitError, TaskTracker, Track, TrackAll, record};
use crate::proto::TaskId;
use crate::scheduler::offer_matcher::{Place, PlaceAll};
use crate::scheduler::spec::TaskSpec;
use actix::prelude::*;
use record::TaskRecord;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
impl TaskTracker {
    /// Records a new (validated) task; answers its key, first task id and shared spec.
    fn admit(&mut self, spec: TaskSpec) -> (u64, TaskId, Arc<TaskSpec>) {
        let spec = Arc::new(spec);
        let key = self.next_key;
        self.next_key += 1;
        let task_id = record::task_id_for(&spec.name, self.nonce, key, 0);
        self.records
            .insert(key, TaskRecord::new(Arc::clone(&spec), task_id.clone()));
        self.by_id.insert(task_id.value.clone(), key);
        self.open += 1;
        self.metrics.tasks_submitted(1);
        tracing::debug!(task_id = %task_id, "tracking new task");
        (key, task_id, spec)
    }

    /// Forgets tasks admitted for a submission the matcher never got.
    fn unadmit(&mut self, admitted: &[(u64, TaskId)]) {
        for (key, task_id) in admitted {
            if self.records.remove(key).is_some_and(|r| !r.is_final) {
                self.closed();
            }
            self.by_id.remove(&task_id.value);
        }
        self.check_finished();
    }
}

impl Handler<Track> for TaskTracker {
    type Result = ResponseActFuture<Self, Result<TaskId, SubmitError>>;

    fn handle(&mut self, Track(spec): Track, _: &mut Context<Self>) -> Self::Result {
        if let Err(e) = spec.validate() {
            return Box::pin(fut::ready(Err(SubmitError::Invalid(e))));
        }
        let (key, task_id, spec) = self.admit(spec);
        let place = self.place.send(Place {
            task_id: task_id.clone(),
            spec,
        });
        Box::pin(
            place
                .into_actor(self)
                .map(move |result, act, _| match result {
                    Ok(()) => Ok(task_id),
                    Err(e) => {
                        tracing::warn!(error = %e, "matcher gone: task not submitted");
                        act.unadmit(&[(key, task_id)]);
                        Err(SubmitError::Stopped)
                    }
                }),
        )
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
        let mut admitted = Vec::with_capacity(specs.len());
        let mut places = Vec::with_capacity(specs.len());
        for spec in specs {
            let (key, task_id, spec) = self.admit(spec);
            places.push(Place {
                task_id: task_id.clone(),
                spec,
            });
            admitted.push((key, task_id));
        }
        let sent: Pin<Box<dyn Future<Output = Result<(), MailboxError>>>> = match &self.place_all {
            Some(all) => Box::pin(all.send(PlaceAll(places))),
            None => {
                let each: Vec<_> = places.into_iter().map(|p| self.place.send(p)).collect();
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
                    Ok(()) => Ok(admitted.into_iter().map(|(_, id)| id).collect()),
                    Err(e) => {
                        tracing::warn!(error = %e, "matcher gone: tasks not submitted");
                        act.unadmit(&admitted);
                        Err(SubmitError::Stopped)
                    }
                }),
        )
    }
}
