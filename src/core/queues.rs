//! Tiresias priority queues (DESIGN §4), for Tiresias and ElasticTiresias.
//!
//! Queue 0 is the highest priority. A job that has used more GPU time since it
//! last started than its queue allows sinks one queue; a job that has waited
//! long relative to its last run (the promote knob) is lifted back to queue 0.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::accounting::Times;

/// How often queues are evaluated.
pub const EVALUATION_PERIOD_SECONDS: f64 = 5.0;

#[derive(Debug, Clone, PartialEq)]
pub struct QueuePolicy {
    /// GPU-seconds since last start allowed in queue `i`; one queue more than
    /// thresholds, and the last queue has none.
    pub thresholds: Vec<f64>,
    /// Promote when waiting since last halt ≥ knob × running since last start.
    pub promote_knob: f64,
}

impl Default for QueuePolicy {
    fn default() -> Self {
        Self {
            thresholds: vec![3600.0],
            promote_knob: 8.0,
        }
    }
}

impl QueuePolicy {
    pub fn last_queue(&self) -> u32 {
        u32::try_from(self.thresholds.len()).unwrap_or(u32::MAX)
    }

    /// A queue that exists under this policy (priorities and old queues may
    /// point past the last one after thresholds were removed).
    pub fn clamp(&self, queue: u32) -> u32 {
        queue.min(self.last_queue())
    }
}

/// A job's place in the queues.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueState {
    pub queue: u32,
    /// GPU-seconds since last start at the job's last promotion (0 after a
    /// start). Demotion counts only service after it: the last run's GPU time
    /// is what got the job demoted, and counting it again right after the
    /// promotion would demote a waiting job at the next evaluation, then
    /// promote it again, and so on, a reschedule each time.
    #[serde(default)]
    pub gpu_seconds_at_promotion: f64,
}

impl QueueState {
    pub fn new(queue: u32) -> Self {
        Self {
            queue,
            gpu_seconds_at_promotion: 0.0,
        }
    }

    /// The job (re)started: GPU-seconds since last start restart from 0.
    pub fn started(&mut self) {
        self.gpu_seconds_at_promotion = 0.0;
    }
}

/// The job's queue state after one evaluation, if it changes.
pub fn evaluate(policy: &QueuePolicy, state: &QueueState, times: &Times) -> Option<QueueState> {
    let queue = policy.clamp(state.queue);
    let attained = times.gpu_seconds_since_start - state.gpu_seconds_at_promotion;
    let threshold = usize::try_from(queue)
        .ok()
        .and_then(|q| policy.thresholds.get(q));
    if threshold.is_some_and(|&limit| attained > limit) {
        return Some(QueueState {
            queue: queue + 1,
            ..*state
        });
    }
    if queue > 0
        && times.waiting_seconds_since_halt
            >= policy.promote_knob * times.running_seconds_since_start
    {
        return Some(QueueState {
            queue: 0,
            gpu_seconds_at_promotion: times.gpu_seconds_since_start,
        });
    }
    (queue != state.queue).then_some(QueueState { queue, ..*state })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(gpu_since_start: f64, running_since_start: f64, waiting_since_halt: f64) -> Times {
        Times {
            gpu_seconds_since_start: gpu_since_start,
            running_seconds_since_start: running_since_start,
            waiting_seconds_since_halt: waiting_since_halt,
            ..Times::default()
        }
    }

    #[test]
    fn demotion_is_one_queue_past_the_threshold_and_the_last_queue_has_none() {
        let p = QueuePolicy {
            thresholds: vec![100.0, 1000.0],
            promote_knob: 8.0,
        };
        let q0 = QueueState::new(0);
        assert_eq!(evaluate(&p, &q0, &times(100.0, 50.0, 0.0)), None);
        assert_eq!(
            evaluate(&p, &q0, &times(100.5, 50.0, 0.0)).map(|s| s.queue),
            Some(1)
        );
        // Far past every threshold, still one queue per evaluation.
        assert_eq!(
            evaluate(&p, &q0, &times(5000.0, 50.0, 0.0)).map(|s| s.queue),
            Some(1)
        );
        assert_eq!(
            evaluate(&p, &QueueState::new(1), &times(5000.0, 50.0, 0.0)).map(|s| s.queue),
            Some(2)
        );
        assert_eq!(
            evaluate(&p, &QueueState::new(2), &times(1e9, 1e9, 0.0)),
            None
        );
    }

    #[test]
    fn promotion_to_queue_zero_by_the_knob() {
        let p = QueuePolicy::default();
        let q1 = QueueState::new(1);
        // Ran 100 s (800 GPU-s), so 800 s of waiting earns a promotion.
        assert_eq!(evaluate(&p, &q1, &times(800.0, 100.0, 799.0)), None);
        let promoted = evaluate(&p, &q1, &times(800.0, 100.0, 800.0)).unwrap();
        assert_eq!(promoted.queue, 0);
        assert_eq!(promoted.gpu_seconds_at_promotion, 800.0);
    }

    #[test]
    fn a_promoted_waiting_job_is_not_demoted_straight_back() {
        let p = QueuePolicy::default();
        // The last run used 4000 GPU-s, over the 3600 of queue 0.
        let promoted = evaluate(&p, &QueueState::new(1), &times(4000.0, 1000.0, 8000.0)).unwrap();
        assert_eq!(promoted.queue, 0);
        assert_eq!(
            evaluate(&p, &promoted, &times(4000.0, 1000.0, 8005.0)),
            None
        );
        // Once it runs again, new service counts (the start resets both).
        let mut started = promoted;
        started.started();
        assert_eq!(
            evaluate(&p, &started, &times(3700.0, 100.0, 8005.0)).map(|s| s.queue),
            Some(1)
        );
    }

    #[test]
    fn queues_beyond_the_last_are_clamped() {
        let p = QueuePolicy::default();
        let q5 = QueueState::new(5);
        // Not promotable (ran long, waited little): just brought back in range.
        assert_eq!(
            evaluate(&p, &q5, &times(0.0, 100.0, 1.0)).map(|s| s.queue),
            Some(1)
        );
    }
}
