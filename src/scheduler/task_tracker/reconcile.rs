//! Reconciliation: explicit after every subscription (truncated exponential backoff until
//! every non-terminal task has been heard of), implicit on a period; plus the tracker's
//! reactions to [`Subscribed`] and [`Disconnected`].

use super::{PendingReconciliation, ReconcileNow, TaskTracker};
use crate::scheduler::calls;
use crate::scheduler::events::{Disconnected, Subscribed};
use actix::prelude::*;
use std::time::Duration;

/// One explicit reconciliation loop: the tasks not heard of since it started.
#[derive(Debug)]
struct Round {
    /// The update sequence number when the round started.
    start_seq: u64,
    /// (record key, attempt) of the tasks still to hear of.
    remaining: Vec<(u64, u32)>,
    /// Wait before the next repetition.
    delay: Duration,
}

/// The wait after `delay`: doubled, truncated at `max` (never below `delay` itself, so a
/// cap smaller than the initial wait keeps the initial wait).
fn next_delay(delay: Duration, max: Duration) -> Duration {
    delay.saturating_mul(2).min(max.max(delay))
}

impl TaskTracker {
    /// Starts (or restarts) explicit reconciliation of every non-terminal launched task.
    pub(crate) fn start_reconciliation(&mut self, ctx: &mut Context<Self>) {
        if let Some(handle) = self.reconcile_loop.take() {
            ctx.cancel_future(handle);
        }
        let remaining = self
            .records
            .iter()
            .filter(|(_, r)| r.needs_reconcile())
            .map(|(key, r)| (key, r.attempt))
            .collect();
        let round = Round {
            start_seq: self.update_seq,
            remaining,
            delay: self.settings.reconcile_backoff_initial,
        };
        self.reconcile_step(round, ctx);
    }

    fn reconcile_step(&mut self, mut round: Round, ctx: &mut Context<Self>) {
        self.reconcile_loop = None;
        self.reconcile_remaining = None;
        let records = &self.records;
        round.remaining.retain(|(key, attempt)| {
            records.get(key).is_some_and(|r| {
                r.attempt == *attempt && r.needs_reconcile() && r.heard_seq <= round.start_seq
            })
        });
        if round.remaining.is_empty() {
            self.user_reconciling = false;
            tracing::debug!("explicit reconciliation complete");
            return;
        }
        let tasks = round
            .remaining
            .iter()
            .filter_map(|(key, _)| records.get(key))
            .map(|r| (r.task_id.clone(), r.agent()))
            .collect::<Vec<_>>();
        tracing::debug!(tasks = tasks.len(), "explicit reconciliation");
        self.fire(ctx, calls::reconcile(tasks), "RECONCILE");
        self.reconcile_remaining = Some(round.remaining.len());
        let delay = round.delay;
        round.delay = next_delay(delay, self.settings.reconcile_backoff_max);
        self.reconcile_loop =
            Some(ctx.run_later(delay, move |act, ctx| act.reconcile_step(round, ctx)));
    }

    /// Starts (or restarts) the implicit reconciliation period, unless it is disabled.
    fn start_implicit(&mut self, ctx: &mut Context<Self>) {
        self.stop_implicit(ctx);
        let period = self.settings.implicit_reconcile;
        if period.is_zero() {
            return;
        }
        self.implicit_loop = Some(ctx.run_interval(period, |act, ctx| {
            tracing::debug!("implicit reconciliation");
            act.fire(ctx, calls::reconcile(Vec::new()), "RECONCILE");
        }));
    }

    fn stop_implicit(&mut self, ctx: &mut Context<Self>) {
        if let Some(handle) = self.implicit_loop.take() {
            ctx.cancel_future(handle);
        }
    }

    /// Resends KILL for every launched, non-final task the user asked to kill.
    fn resend_kills(&mut self, ctx: &mut Context<Self>) {
        let kills = self
            .records
            .values()
            .filter(|r| r.kill_requested && r.launched && !r.is_final)
            .map(|r| calls::kill(r.task_id.clone(), r.agent(), r.spec.kill_grace_period))
            .collect::<Vec<_>>();
        for call in kills {
            self.fire(ctx, call, "KILL");
        }
    }
}

impl Handler<Subscribed> for TaskTracker {
    type Result = ();

    fn handle(&mut self, msg: Subscribed, ctx: &mut Context<Self>) {
        tracing::info!(
            framework_id = %msg.framework_id,
            resubscribed = msg.resubscribed,
            "subscribed: reconciling tasks"
        );
        self.resend_kills(ctx);
        self.start_reconciliation(ctx);
        self.start_implicit(ctx);
    }
}

impl Handler<Disconnected> for TaskTracker {
    type Result = ();

    fn handle(&mut self, msg: Disconnected, ctx: &mut Context<Self>) {
        tracing::info!(reason = %msg.reason, "disconnected: pausing reconciliation");
        if let Some(handle) = self.reconcile_loop.take() {
            ctx.cancel_future(handle);
        }
        self.reconcile_remaining = None;
        self.user_reconciling = false;
        self.stop_implicit(ctx);
    }
}

impl Handler<ReconcileNow> for TaskTracker {
    type Result = ();

    fn handle(&mut self, _: ReconcileNow, ctx: &mut Context<Self>) {
        self.user_reconciling = true;
        self.start_reconciliation(ctx);
    }
}

impl Handler<PendingReconciliation> for TaskTracker {
    type Result = Option<usize>;

    fn handle(&mut self, _: PendingReconciliation, _: &mut Context<Self>) -> Option<usize> {
        self.reconcile_remaining
    }
}

#[cfg(test)]
mod tests {
    use super::next_delay;
    use std::time::Duration;

    #[test]
    fn truncated_exponential_backoff() {
        let ms = Duration::from_millis;
        let mut d = ms(20);
        let mut seen = vec![d];
        for _ in 0..5 {
            d = next_delay(d, ms(80));
            seen.push(d);
        }
        assert_eq!(seen, vec![ms(20), ms(40), ms(80), ms(80), ms(80), ms(80)]);
        assert_eq!(next_delay(ms(100), ms(10)), ms(100));
        assert_eq!(next_delay(Duration::MAX, Duration::MAX), Duration::MAX);
    }
}
