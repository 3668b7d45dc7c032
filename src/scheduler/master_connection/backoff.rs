//! Exponential backoff with jitter for re-subscription.

use std::time::Duration;

/// The shortest first delay, so a zero setting cannot make a hot loop.
const MIN_DELAY: Duration = Duration::from_millis(1);

/// Doubling delays from `initial` up to `max`, each drawn at random from the upper half
/// of the current step (so many frameworks do not reconnect in lockstep).
#[derive(Debug, Clone)]
pub(super) struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// A backoff starting at `initial` and capped at `max` (never below `initial`).
    pub(super) fn new(initial: Duration, max: Duration) -> Self {
        let initial = initial.max(MIN_DELAY);
        let max = max.max(initial);
        Backoff {
            initial,
            max,
            next: initial,
        }
    }

    /// The delay to wait now; the following one will be twice as long (up to the cap).
    pub(super) fn next_delay(&mut self) -> Duration {
        let step = self.next;
        self.next = step.saturating_mul(2).min(self.max);
        step.mul_f64(rand::random_range(0.5..=1.0))
    }

    /// Back to the first step (after a successful subscription).
    pub(super) fn reset(&mut self) {
        self.next = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_with_jitter_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let steps: Vec<_> = (0..5).map(|_| b.next_delay()).collect();
        let caps = [100, 200, 350, 350, 350];
        for (d, cap) in steps.iter().zip(caps) {
            let cap = Duration::from_millis(cap);
            assert!(*d <= cap && *d >= cap / 2, "{d:?} vs {cap:?}");
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }

    #[test]
    fn zero_settings_do_not_spin() {
        let mut b = Backoff::new(Duration::ZERO, Duration::ZERO);
        assert!(b.next_delay() >= Duration::from_micros(500));
    }
}
