//! The reschedule rate limiter (DESIGN §4), as a pure state machine.
//!
//! At most one reschedule per window: triggers that arrive while the window
//! since the previous reschedule is open coalesce into one reschedule when it
//! closes, and a failed reschedule is retried after the window. The limiter
//! only says when; a live controller sleeps until [`RateLimiter::next_deadline`]
//! and the simulator schedules a virtual event there.

/// When a triggered reschedule should run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision {
    RunNow,
    /// Seconds on the caller's clock.
    RunAt(f64),
}

/// A failed reschedule is retried no sooner than this, even with a zero
/// window, so a persistent failure cannot become a busy loop.
pub const MIN_RETRY_SECONDS: f64 = 1.0;

#[derive(Debug, Clone, PartialEq)]
pub struct RateLimiter {
    window: f64,
    last_run: Option<f64>,
    /// Earliest time a requested reschedule may run, on its own account
    /// (the trigger time, or the retry time after a failure); `None` when
    /// nothing is requested.
    pending: Option<f64>,
}

impl RateLimiter {
    /// `window` in seconds; negative or non-finite means no limit.
    pub fn new(window: f64) -> Self {
        Self {
            window: sanitize(window),
            last_run: None,
            pending: None,
        }
    }

    pub fn window(&self) -> f64 {
        self.window
    }

    /// A changed window applies to a pending reschedule at once.
    pub fn set_window(&mut self, window: f64) {
        self.window = sanitize(window);
    }

    pub fn last_run(&self) -> Option<f64> {
        self.last_run
    }

    /// Something happened that calls for a reschedule.
    pub fn trigger(&mut self, now: f64) -> Decision {
        if self.pending.is_none() {
            self.pending = Some(now);
        }
        match self.next_deadline() {
            Some(at) if at > now => Decision::RunAt(at),
            _ => Decision::RunNow,
        }
    }

    /// When the pending reschedule may run, if one is pending.
    pub fn next_deadline(&self) -> Option<f64> {
        let pending = self.pending?;
        let window_end = self.last_run.map_or(pending, |t| t + self.window);
        Some(pending.max(window_end))
    }

    /// Whether a pending reschedule may run at `now`.
    pub fn is_due(&self, now: f64) -> bool {
        self.next_deadline().is_some_and(|at| at <= now)
    }

    /// A reschedule took its snapshot at `now`: whatever was pending is served
    /// and the window starts. Triggers after this call are new work.
    pub fn ran(&mut self, now: f64) {
        self.last_run = Some(now);
        self.pending = None;
    }

    /// The reschedule started at `now` failed: run again after the window.
    pub fn failed(&mut self, now: f64) {
        self.last_run = Some(now);
        self.pending = Some(now + self.window.max(MIN_RETRY_SECONDS));
    }
}

fn sanitize(window: f64) -> f64 {
    if window.is_finite() && window > 0.0 {
        window
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_trigger_runs_now() {
        let mut r = RateLimiter::new(30.0);
        assert_eq!(r.next_deadline(), None);
        assert_eq!(r.trigger(5.0), Decision::RunNow);
        assert!(r.is_due(5.0));
        r.ran(5.0);
        assert_eq!(r.next_deadline(), None);
        assert!(!r.is_due(100.0));
    }

    #[test]
    fn triggers_inside_the_window_coalesce_into_one_run_at_its_end() {
        let mut r = RateLimiter::new(30.0);
        r.trigger(0.0);
        r.ran(0.0);
        assert_eq!(r.trigger(3.0), Decision::RunAt(30.0));
        assert_eq!(r.trigger(10.0), Decision::RunAt(30.0));
        assert_eq!(r.trigger(29.9), Decision::RunAt(30.0));
        assert!(!r.is_due(29.9));
        assert!(r.is_due(30.0));
        r.ran(30.0);
        // All three were served by that one run.
        assert_eq!(r.next_deadline(), None);
        // After the window, a trigger runs at once again.
        assert_eq!(r.trigger(75.0), Decision::RunNow);
    }

    #[test]
    fn a_failed_reschedule_is_retried_after_the_window() {
        let mut r = RateLimiter::new(30.0);
        r.trigger(10.0);
        r.failed(10.0);
        assert_eq!(r.next_deadline(), Some(40.0));
        assert!(!r.is_due(39.0));
        // Triggers meanwhile join the retry.
        assert_eq!(r.trigger(20.0), Decision::RunAt(40.0));
        r.ran(40.0);
        assert_eq!(r.next_deadline(), None);

        let mut r = RateLimiter::new(0.0);
        r.failed(10.0);
        assert_eq!(r.next_deadline(), Some(10.0 + MIN_RETRY_SECONDS));
    }

    #[test]
    fn a_new_window_applies_to_the_pending_run() {
        let mut r = RateLimiter::new(30.0);
        r.ran(0.0);
        assert_eq!(r.trigger(1.0), Decision::RunAt(30.0));
        r.set_window(10.0);
        assert_eq!(r.next_deadline(), Some(10.0));
        r.set_window(-1.0);
        assert_eq!(r.window(), 0.0);
        assert_eq!(r.next_deadline(), Some(1.0));
        r.set_window(f64::NAN);
        assert_eq!(r.window(), 0.0);
    }
}
