//! Resuming a stored framework that Mesos no longer knows: when the first SUBSCRIBE of a
//! resumed framework id is answered with `ERROR "Framework has been removed"` (its
//! failover timeout expired, or it was torn down, while no scheduler was running), the
//! connection forgets the id and subscribes as a new framework instead of giving up.

use super::MasterConnection;
use crate::scheduler::framework_id_keeper::is_removed_error;
use actix::prelude::*;
use std::time::Duration;

impl MasterConnection {
    /// Lets the connection start as a new framework when the master says the id it
    /// resumes has been removed (only before the first SUBSCRIBED of this connection).
    pub fn start_fresh_if_removed(mut self) -> Self {
        self.fresh_if_removed = true;
        self
    }

    /// Handles an `ERROR` event by subscribing afresh when allowed (see
    /// [`start_fresh_if_removed`](Self::start_fresh_if_removed)); answers whether it did.
    pub(super) fn restart_fresh(&mut self, message: &str, ctx: &mut Context<Self>) -> bool {
        if !self.fresh_if_removed || self.ever_subscribed || !is_removed_error(message) {
            return false;
        }
        self.fresh_if_removed = false;
        let old = self.framework_id.take();
        self.settings.framework_info.id = None;
        tracing::warn!(parent: &self.span, old = ?old.map(|id| id.value), %message, "the resumed framework is gone; subscribing as a new framework");
        self.close_stream(ctx);
        self.broadcast_disconnected(format!("{message}: subscribing as a new framework"), true);
        self.schedule_retry(ctx, Duration::ZERO);
        true
    }
}
