//! Learned job profiles (DESIGN §7), as pure functions.
//!
//! A training job reports each epoch it finishes: the epoch number, its worker count
//! and how long the epoch (and a step) took. From those reports — and, for a new job,
//! from what earlier jobs of its category measured — this module derives epoch seconds
//! by worker count, the speedup and efficiency tables the allocator reads, and the
//! estimated remaining seconds; it also folds a finished job into its category and
//! says when a new estimate differs enough from the old one to reschedule for.
//!
//! Interpolation is on *throughput* (epochs per second, `1 / epoch_seconds`), piecewise
//! linear through the origin (no workers, no progress) and every measured worker
//! count; past the largest measured count it continues the last segment's slope, never
//! going down. With a single measurement this is linear speedup, the default the
//! allocator assumes when nothing is known (DESIGN §5).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::job::{Speedup, WorkerRange};

/// Mean epoch and step seconds measured with one worker count.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Measurement {
    pub workers: u32,
    /// Mean seconds per epoch with `workers` workers.
    pub epoch_seconds: f64,
    /// Mean seconds per training step with `workers` workers.
    pub step_seconds: f64,
    /// How many epochs the means are over: their weight when merged.
    pub samples: u64,
}

/// One epoch, as a training job reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    /// The epoch just finished, counted from 1.
    pub epoch: u32,
    pub workers: u32,
    pub epoch_seconds: f64,
    pub step_seconds: f64,
}

/// What a report must fit: the job's worker bounds and epoch count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub min_workers: u32,
    pub max_workers: u32,
    pub epochs: Option<u32>,
}

/// Why a report is impossible for the job it claims to be about.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    #[error("epoch must be at least 1 (the number of the epoch just finished, counted from 1)")]
    EpochZero,
    #[error("epoch {epoch} is beyond the job's {epochs} epochs (spec.epochs)")]
    EpochBeyondEnd { epoch: u32, epochs: u32 },
    #[error("workers {workers} is outside the job's bounds [{min}, {max}] (spec.workers)")]
    WorkersOutOfBounds { workers: u32, min: u32, max: u32 },
    #[error("epochSeconds must be a finite number greater than 0, not {0}")]
    EpochSeconds(f64),
    #[error("stepSeconds must be a finite number of at least 0, not {0}")]
    StepSeconds(f64),
}

/// Whether `r` is possible for a job with `limits`.
pub fn check(r: &Report, limits: &Limits) -> Result<(), ReportError> {
    if r.epoch == 0 {
        return Err(ReportError::EpochZero);
    }
    if let Some(epochs) = limits.epochs
        && r.epoch > epochs
    {
        return Err(ReportError::EpochBeyondEnd {
            epoch: r.epoch,
            epochs,
        });
    }
    if r.workers < limits.min_workers || r.workers > limits.max_workers {
        return Err(ReportError::WorkersOutOfBounds {
            workers: r.workers,
            min: limits.min_workers,
            max: limits.max_workers,
        });
    }
    // `!(x > 0)` rather than `x <= 0` so NaN is refused too.
    if !(r.epoch_seconds.is_finite() && r.epoch_seconds > 0.0) {
        return Err(ReportError::EpochSeconds(r.epoch_seconds));
    }
    if !(r.step_seconds.is_finite() && r.step_seconds >= 0.0) {
        return Err(ReportError::StepSeconds(r.step_seconds));
    }
    Ok(())
}

/// Add one reported epoch to the per-worker-count means (kept sorted by workers).
pub fn record(measured: &mut Vec<Measurement>, r: &Report) {
    let one = Measurement {
        workers: r.workers,
        epoch_seconds: r.epoch_seconds,
        step_seconds: r.step_seconds,
        samples: 1,
    };
    match measured.binary_search_by_key(&r.workers, |m| m.workers) {
        Ok(i) => measured[i] = weighted_mean(&measured[i], &one, u64::MAX),
        Err(i) => measured.insert(i, one),
    }
}

/// A job's own measurements where it has them, its category's elsewhere: the job's
/// epochs are the better evidence for itself, the category's fill the worker counts
/// the job has not run with yet.
pub fn combine(prior: &[Measurement], own: &[Measurement]) -> Vec<Measurement> {
    let mut out: Vec<Measurement> = own.to_vec();
    for p in prior {
        if !own.iter().any(|m| m.workers == p.workers) {
            out.push(*p);
        }
    }
    out.retain(|m| m.workers > 0 && m.epoch_seconds.is_finite() && m.epoch_seconds > 0.0);
    out.sort_by_key(|m| m.workers);
    out
}

/// How much of a category's history one merge weighs at most, in epochs per worker
/// count: beyond that, each finished job still moves the mean, so a category follows
/// new code, data or drivers instead of being frozen by its first hundred jobs.
pub const CATEGORY_MEMORY_SAMPLES: u64 = 200;

/// A category's measurements after learning from one more finished job: per worker
/// count, the sample-weighted mean (the history's weight capped at
/// [`CATEGORY_MEMORY_SAMPLES`]).
pub fn merge_into_category(category: &[Measurement], job: &[Measurement]) -> Vec<Measurement> {
    let mut out: Vec<Measurement> = category.to_vec();
    for m in job {
        match out.iter_mut().find(|c| c.workers == m.workers) {
            Some(c) => *c = weighted_mean(c, m, CATEGORY_MEMORY_SAMPLES),
            None => out.push(*m),
        }
    }
    out.sort_by_key(|m| m.workers);
    out
}

fn weighted_mean(old: &Measurement, new: &Measurement, cap_old: u64) -> Measurement {
    let w_old = old.samples.min(cap_old) as f64;
    let w_new = new.samples as f64;
    let total = w_old + w_new;
    let mean = |a: f64, b: f64| {
        if total > 0.0 {
            (a * w_old + b * w_new) / total
        } else {
            b
        }
    };
    Measurement {
        workers: old.workers,
        epoch_seconds: mean(old.epoch_seconds, new.epoch_seconds),
        step_seconds: mean(old.step_seconds, new.step_seconds),
        samples: old.samples.min(cap_old).saturating_add(new.samples),
    }
}

/// Tables indexed by worker count `k` (0..=max); index 0 is 0 (no workers, no
/// progress), as in the allocator's speedup convention.
#[derive(Debug, Clone, PartialEq)]
pub struct Tables {
    pub epoch_seconds: Vec<f64>,
    /// `speedup[k] = epoch_seconds[1] / epoch_seconds[k]`.
    pub speedup: Vec<f64>,
    /// `efficiency[k] = speedup[k] / k`.
    pub efficiency: Vec<f64>,
}

impl Tables {
    /// Estimated seconds of one epoch with one worker.
    pub fn one_worker_epoch_seconds(&self) -> f64 {
        self.epoch_seconds.get(1).copied().unwrap_or(0.0)
    }
}

/// The tables up to `max_workers`, from measurements (see the module doc for the
/// interpolation); `None` when there is nothing usable to go on.
pub fn tables(points: &[Measurement], max_workers: u32) -> Option<Tables> {
    let measured = combine(&[], points);
    let mut known: Vec<(f64, f64)> = vec![(0.0, 0.0)];
    known.extend(
        measured
            .iter()
            .map(|m| (f64::from(m.workers), 1.0 / m.epoch_seconds)),
    );
    if known.len() < 2 || max_workers == 0 {
        return None;
    }
    // Measured counts keep their measured seconds exactly (1 / (1 / x) need not be
    // x); the others come from the interpolated throughput.
    let epoch_seconds: Vec<f64> = (0..=max_workers)
        .map(|k| match measured.iter().find(|m| m.workers == k) {
            _ if k == 0 => 0.0,
            Some(m) => m.epoch_seconds,
            None => 1.0 / throughput(&known, f64::from(k)),
        })
        .collect();
    let one = epoch_seconds[1];
    if !one.is_finite() || one <= 0.0 {
        return None;
    }
    let speedup: Vec<f64> = epoch_seconds
        .iter()
        .map(|&t| if t > 0.0 { one / t } else { 0.0 })
        .collect();
    let efficiency = speedup
        .iter()
        .enumerate()
        .map(|(k, s)| if k == 0 { 0.0 } else { s / k as f64 })
        .collect();
    Some(Tables {
        epoch_seconds,
        speedup,
        efficiency,
    })
}

/// Epochs per second with `k` workers: piecewise linear through `known` (sorted,
/// starting at the origin), extended past the end by the last slope, never down.
fn throughput(known: &[(f64, f64)], k: f64) -> f64 {
    let segment = known
        .windows(2)
        .find(|w| k <= w[1].0)
        .or_else(|| known.windows(2).last());
    let Some(&[(x0, y0), (x1, y1)]) = segment else {
        return 0.0;
    };
    let y = y0 + (y1 - y0) * (k - x0) / (x1 - x0);
    if k > x1 { y.max(y1) } else { y }
}

/// Estimated seconds left with one worker: the epochs still to run times one worker's
/// epoch seconds (DESIGN §7). Unknown (0, the allocator's default) without an epoch
/// count or a measured speed.
pub fn remaining_seconds(epochs: Option<u32>, current_epoch: u32, tables: Option<&Tables>) -> f64 {
    match (epochs, tables) {
        (Some(e), Some(t)) => {
            f64::from(e.saturating_sub(current_epoch)) * t.one_worker_epoch_seconds()
        }
        _ => 0.0,
    }
}

/// A relative change of the remaining time above this (20 %) is worth a reschedule...
pub const REMAINING_CHANGE: f64 = 0.20;
/// ...unless it is under this many seconds: a minute either way reorders nothing that
/// matters and would reschedule (restart) jobs for nothing.
pub const REMAINING_CHANGE_FLOOR_SECONDS: f64 = 60.0;
/// A relative change of the speedup at any worker count the job may get above this
/// (10 %) is worth a reschedule.
pub const SPEEDUP_CHANGE: f64 = 0.10;

/// How a job's estimate changed, where the change is past the thresholds above.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EstimateChange {
    /// Remaining seconds before and after.
    pub remaining: Option<(f64, f64)>,
    /// The worker count whose speedup changed most, with its speedup before and after.
    pub speedup: Option<(u32, f64, f64)>,
}

impl EstimateChange {
    pub fn is_empty(&self) -> bool {
        self.remaining.is_none() && self.speedup.is_none()
    }
}

impl std::fmt::Display for EstimateChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some((a, b)) = self.remaining {
            parts.push(format!("remaining time {a:.0}s -> {b:.0}s"));
        }
        if let Some((k, a, b)) = self.speedup {
            parts.push(format!("speedup with {k} workers {a:.2} -> {b:.2}"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// What changed past the thresholds between two estimates of a job whose workers are
/// in `range` (only speedups the allocator can use are compared).
pub fn estimate_change(
    old: (f64, &Speedup),
    new: (f64, &Speedup),
    range: WorkerRange,
) -> EstimateChange {
    let (old_rem, old_s) = old;
    let (new_rem, new_s) = new;
    let remaining = (relative(old_rem, new_rem) > REMAINING_CHANGE
        && (new_rem - old_rem).abs() >= REMAINING_CHANGE_FLOOR_SECONDS)
        .then_some((old_rem, new_rem));
    let speedup = (range.min.max(1)..=range.max)
        .map(|k| (k, old_s.at(k), new_s.at(k)))
        .filter(|&(_, a, b)| relative(a, b) > SPEEDUP_CHANGE)
        .max_by(|x, y| relative(x.1, x.2).total_cmp(&relative(y.1, y.2)));
    EstimateChange { remaining, speedup }
}

/// |a - b| relative to the larger magnitude; 0 when both are 0, 1 when one is.
fn relative(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale > 0.0 {
        (a - b).abs() / scale
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests;
