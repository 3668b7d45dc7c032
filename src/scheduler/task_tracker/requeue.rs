//! What the tracker does with an [`AcceptFailed`]: a refused (or unsent) ACCEPT's tasks
//! go back to the matcher's queue under the same ids (a task the user asked to kill meanwhile
//! is reported killed instead); tasks of an ACCEPT whose outcome is unknown count as
//! launched and are reconciled.

use super::{AcceptFailed, TaskTracker};
use crate::scheduler::offer_matcher::{Place, PlaceAll};
use actix::prelude::*;
use std::sync::Arc;

impl Handler<AcceptFailed> for TaskTracker {
    type Result = ();

    fn handle(&mut self, msg: AcceptFailed, ctx: &mut Context<Self>) {
        if msg.outcome_unknown {
            for launched in msg.tasks {
                self.launched(launched, ctx);
            }
            self.start_reconciliation(ctx);
            return;
        }
        let mut places = Vec::with_capacity(msg.tasks.len());
        for launched in msg.tasks {
            let Some(key) = self.key_of(&launched.task_id) else {
                continue;
            };
            let Some(r) = self.records.get_mut(&key) else {
                continue;
            };
            // Launched here means Mesos sent an update for it: it exists after all.
            if r.task_id != launched.task_id || r.is_final || r.launched {
                continue;
            }
            if r.kill_requested {
                let attempt = r.attempt;
                self.killed_while_pending(key, attempt, ctx);
                continue;
            }
            places.push(Place {
                task_id: launched.task_id,
                spec: Arc::clone(&r.spec),
            });
        }
        tracing::info!(tasks = places.len(), "ACCEPT refused: tasks queued again");
        match (&self.place_all, places.len()) {
            (_, 0) => {}
            (Some(all), _) => all.do_send(PlaceAll(places)),
            (None, _) => {
                for place in places {
                    self.place.do_send(place);
                }
            }
        }
    }
}
