//! Retention of finished task records: a task that is final (terminal, no retry left) and
//! whose final update reached every user recipient (and whose ACKNOWLEDGE went out) is
//! kept for a while, for [`ListTasks`](super::ListTasks), [`LocateTask`](super::LocateTask)
//! and kills by id, then forgotten. At most [`TrackerLimits::finished_retention`] such
//! records are kept, none longer than [`TrackerLimits::finished_ttl`]; the oldest go first.
//!
//! The clock is passed in (`now`), so the rule is tested without waiting.

use super::{TaskTracker, TrackerLimits};
use actix::prelude::*;
use std::collections::VecDeque;
use std::time::Instant;

/// The finished records still kept, oldest first, with the time each finished.
#[derive(Debug)]
pub(crate) struct Retention {
    limits: TrackerLimits,
    finished: VecDeque<(u64, Instant)>,
}

impl Retention {
    /// Nothing finished yet.
    pub fn new(limits: TrackerLimits) -> Self {
        Retention {
            limits,
            finished: VecDeque::new(),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &TrackerLimits {
        &self.limits
    }

    /// Record `key` finished (delivered) at `now`.
    pub fn finished(&mut self, key: u64, now: Instant) {
        self.finished.push_back((key, now));
    }

    /// The records to forget at `now`: beyond the count, or older than the time to live.
    pub fn expired(&mut self, now: Instant) -> Vec<u64> {
        let mut gone = Vec::new();
        while let Some(&(key, at)) = self.finished.front() {
            let too_many = self.finished.len() > self.limits.finished_retention;
            let too_old = now.saturating_duration_since(at) >= self.limits.finished_ttl;
            if !(too_many || too_old) {
                break;
            }
            self.finished.pop_front();
            gone.push(key);
        }
        gone
    }

    /// When the oldest kept record expires by time (`None` when none is kept).
    pub fn next_deadline(&self) -> Option<Instant> {
        let (_, at) = self.finished.front()?;
        Some(at.checked_add(self.limits.finished_ttl).unwrap_or(*at))
    }

    /// Finished records kept now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.finished.len()
    }
}

impl TaskTracker {
    /// Bounds the tracker's memory with `limits` instead of [`TrackerLimits::default`].
    pub fn with_limits(mut self, limits: TrackerLimits) -> Self {
        self.retention = Retention::new(limits);
        self
    }

    /// The final update of `key` was delivered (and its ACKNOWLEDGE sent): keep its record
    /// under the retention rule, forgetting the ones it pushes out.
    pub(super) fn retire(&mut self, key: u64, ctx: &mut Context<Self>) {
        self.retention.finished(key, Instant::now());
        self.prune(ctx);
    }

    /// Forgets the records the retention rule lets go now, and sets the timer for the next.
    fn prune(&mut self, ctx: &mut Context<Self>) {
        let now = Instant::now();
        for key in self.retention.expired(now) {
            self.forget(key);
        }
        if self.prune_timer.is_some() {
            return;
        }
        if let Some(deadline) = self.retention.next_deadline() {
            let wait = deadline.saturating_duration_since(now);
            self.prune_timer = Some(ctx.run_later(wait, |act, ctx| {
                act.prune_timer = None;
                act.prune(ctx);
            }));
        }
    }

    /// Drops a final record (and an adopted one's id index entry).
    fn forget(&mut self, key: u64) {
        let Some(r) = self.records.remove(&key) else {
            return;
        };
        if r.adopted {
            self.by_id.remove(&r.task_id.value);
        }
        tracing::trace!(task_id = %r.task_id, "finished task forgotten");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn retention(count: usize, ttl_secs: u64) -> Retention {
        Retention::new(TrackerLimits {
            finished_retention: count,
            finished_ttl: Duration::from_secs(ttl_secs),
            ..TrackerLimits::default()
        })
    }

    #[test]
    fn count_keeps_the_newest() {
        let mut r = retention(3, 3600);
        let t0 = Instant::now();
        for key in 0..5 {
            r.finished(key, t0);
        }
        assert_eq!(r.expired(t0), vec![0, 1]);
        assert_eq!(r.len(), 3);
        assert!(r.expired(t0).is_empty());
        r.finished(5, t0);
        assert_eq!(r.expired(t0), vec![2]);
    }

    #[test]
    fn time_to_live_expires_in_finishing_order() {
        let mut r = retention(100, 10);
        let t0 = Instant::now();
        r.finished(7, t0);
        r.finished(8, t0 + Duration::from_secs(4));
        assert_eq!(r.next_deadline(), Some(t0 + Duration::from_secs(10)));
        assert!(r.expired(t0 + Duration::from_secs(9)).is_empty());
        assert_eq!(r.expired(t0 + Duration::from_secs(10)), vec![7]);
        assert_eq!(r.next_deadline(), Some(t0 + Duration::from_secs(14)));
        assert_eq!(r.expired(t0 + Duration::from_secs(60)), vec![8]);
        assert_eq!(r.next_deadline(), None);
    }

    #[test]
    fn zero_keeps_nothing() {
        let t0 = Instant::now();
        let mut r = retention(0, 3600);
        r.finished(1, t0);
        assert_eq!(r.expired(t0), vec![1]);
        let mut r = retention(10, 0);
        r.finished(1, t0);
        assert_eq!(r.expired(t0), vec![1]);
    }
}
