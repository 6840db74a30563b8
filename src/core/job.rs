//! What the allocator knows about one ready job.

use serde::{Deserialize, Serialize};

/// Worker bounds of a job: every allocation is 0 or within `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerRange {
    pub min: u32,
    pub max: u32,
    /// What the user asked for; non-elastic algorithms (Tiresias) give exactly this.
    pub requested: u32,
}

/// Speedup with `k` workers. An empty table means linear (`s[k] = k`).
///
/// `s[0]` is always 0, and an index past the end of the table reads its last value,
/// so a short measured table never makes a job look infinitely scalable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Speedup(pub Vec<f64>);

impl Speedup {
    pub fn linear() -> Self {
        Self(Vec::new())
    }

    pub fn at(&self, k: u32) -> f64 {
        if k == 0 {
            return 0.0;
        }
        match self.0.last() {
            None => f64::from(k),
            Some(&last) => self.0.get(k as usize).copied().unwrap_or(last),
        }
    }
}

/// One ready (waiting or running) job as the allocator sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobInfo {
    pub name: String,
    /// Seconds; with `name` it fixes the canonical order.
    pub submit_time: f64,
    /// Seconds; `None` if the job never started (sorts last in Tiresias order).
    pub first_start_time: Option<f64>,
    /// Tiresias queue, 0 is the highest priority.
    pub queue: u32,
    pub workers: WorkerRange,
    /// Estimated remaining seconds with one worker.
    pub remaining_seconds: f64,
    pub speedup: Speedup,
}

impl JobInfo {
    /// A job with linear speedup and no estimates; handy for tests and traces.
    pub fn new(name: impl Into<String>, submit_time: f64, min: u32, max: u32) -> Self {
        Self {
            name: name.into(),
            submit_time,
            first_start_time: None,
            queue: 0,
            workers: WorkerRange {
                min,
                max,
                requested: min,
            },
            remaining_seconds: 0.0,
            speedup: Speedup::linear(),
        }
    }
}
