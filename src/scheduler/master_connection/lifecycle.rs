//! Life-cycle of [`MasterConnection`]'s subscription: retries with backoff, the
//! failover-timeout limit, closing and losing the stream, fatal errors, the heartbeat
//! watchdog, and what the sinks hear about it.

use super::{MasterConnection, Phase};
use crate::scheduler::events::{Disconnected, MesosError, MesosErrorKind};
use actix::prelude::*;
use std::time::{Duration, Instant};

impl MasterConnection {
    /// Schedules the next attempt after `delay` (unless the failover timeout is over).
    pub(super) fn schedule_retry(&mut self, ctx: &mut Context<Self>, delay: Duration) {
        if self.phase == Phase::Stopped {
            return;
        }
        self.disconnected_since.get_or_insert_with(Instant::now);
        if self.check_gave_up(ctx) {
            return;
        }
        self.phase = Phase::Waiting;
        self.generation += 1;
        let generation = self.generation;
        tracing::debug!(parent: &self.span, ?delay, "re-subscribing after delay");
        ctx.run_later(delay, move |act, ctx| {
            if act.phase == Phase::Waiting && act.generation == generation {
                act.connect(ctx);
            }
        });
    }

    /// Gives up (and says so) when disconnected for longer than the failover timeout of a
    /// framework the master knows.
    pub(super) fn check_gave_up(&mut self, ctx: &mut Context<Self>) -> bool {
        let timeout = self.settings.framework_info.failover_timeout.unwrap_or(0.0);
        let Some(since) = self.disconnected_since else {
            return false;
        };
        if self.framework_id.is_none() || !(timeout.is_finite() && timeout > 0.0) {
            return false;
        }
        if since.elapsed().as_secs_f64() <= timeout {
            return false;
        }
        let message = format!(
            "no subscription for longer than the failover timeout ({timeout} s); \
             the master has removed the framework"
        );
        self.fatal(ctx, MesosErrorKind::GaveUp, message);
        true
    }

    /// Closes the open stream (if any) and forgets the subscription.
    pub(super) fn close_stream(&mut self, ctx: &mut Context<Self>) {
        self.generation += 1;
        if let Some(handle) = self.stream.take() {
            ctx.cancel_future(handle);
        }
        if let Some(handle) = self.watchdog.take() {
            ctx.cancel_future(handle);
        }
        self.pending = None;
        self.session = None;
        self.pipes.clear();
    }

    /// The stream is gone but the framework lives on: report and re-subscribe.
    pub(super) fn lose_stream(&mut self, ctx: &mut Context<Self>, reason: String) {
        tracing::warn!(parent: &self.span, %reason, "subscription lost");
        self.close_stream(ctx);
        self.broadcast_disconnected(reason, true);
        let delay = self.backoff.next_delay();
        self.schedule_retry(ctx, delay);
    }

    /// Undecodable bytes: report them as [`MesosErrorKind::MalformedStream`], reconnect.
    pub(super) fn malformed(&mut self, ctx: &mut Context<Self>, what: String) {
        self.metrics.malformed_event();
        self.broadcast_error(MesosErrorKind::MalformedStream, what.clone());
        self.lose_stream(ctx, format!("malformed event stream: {what}"));
    }

    /// Ends the connection for good with a typed error.
    pub(super) fn fatal(&mut self, ctx: &mut Context<Self>, kind: MesosErrorKind, message: String) {
        tracing::error!(parent: &self.span, ?kind, %message, "giving up the subscription");
        self.close_stream(ctx);
        self.phase = Phase::Stopped;
        self.broadcast_error(kind, message.clone());
        self.broadcast_disconnected(message, false);
        ctx.stop();
    }

    pub(super) fn broadcast_error(&self, kind: MesosErrorKind, message: String) {
        for sink in &self.sinks.errors {
            sink.do_send(MesosError {
                kind,
                message: message.clone(),
            });
        }
    }

    pub(super) fn broadcast_disconnected(&self, reason: String, will_retry: bool) {
        if will_retry {
            self.metrics.disconnected();
        }
        for sink in &self.sinks.disconnected {
            sink.do_send(Disconnected {
                reason: reason.clone(),
                will_retry,
            });
        }
    }

    /// The silence after which the stream is declared dead.
    pub(super) fn watchdog_limit(&self) -> Duration {
        let misses = self.settings.heartbeat_misses;
        let misses = if misses.is_finite() && misses > 0.0 {
            misses
        } else {
            5.0
        };
        self.heartbeat_interval.mul_f64(misses.min(1e6))
    }

    /// (Re)starts the heartbeat watchdog of the current stream. It does not move on every
    /// event: when it fires it checks the time of the last event and sleeps on if needed.
    pub(super) fn arm_watchdog(&mut self, ctx: &mut Context<Self>) {
        if let Some(handle) = self.watchdog.take() {
            ctx.cancel_future(handle);
        }
        let wait = self
            .watchdog_limit()
            .saturating_sub(self.last_event.elapsed());
        let generation = self.generation;
        self.watchdog = Some(ctx.run_later(wait, move |act, ctx| {
            act.watchdog = None;
            if act.generation != generation || act.phase != Phase::Streaming {
                return;
            }
            let silence = act.last_event.elapsed();
            let limit = act.watchdog_limit();
            if silence >= limit {
                act.lose_stream(ctx, format!("no event from the master for {silence:?}"));
            } else {
                act.arm_watchdog(ctx);
            }
        }));
    }
}
