//! `NoPlacement`: stands in for the [`OfferMatcher`](crate::scheduler::offer_matcher::OfferMatcher) in raw
//! mode, where the user's own actor answers offers. Tasks queued through
//! [`Framework::submit`](super::Framework::submit) cannot be placed there; they are logged
//! and dropped so the mistake is visible.

use crate::scheduler::offer_matcher::{Place, Unplace};
use actix::prelude::*;

/// Refuses placements in raw mode.
#[derive(Debug, Default)]
pub(crate) struct NoPlacement;

impl Actor for NoPlacement {
    type Context = Context<Self>;
}

impl Handler<Place> for NoPlacement {
    type Result = ();
    fn handle(&mut self, msg: Place, _: &mut Context<Self>) {
        tracing::warn!(task_id = %msg.task_id, "raw offer mode: submitted tasks are not placed by the runtime");
    }
}

impl Handler<Unplace> for NoPlacement {
    type Result = bool;
    fn handle(&mut self, _: Unplace, _: &mut Context<Self>) -> bool {
        false
    }
}
