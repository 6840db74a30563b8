//! Tiresias: by queue, then by first start; each job gets what it requested if it
//! fits.

use std::cmp::Ordering;

use super::common::{self, Bounds, cmp_nan_last};
use super::{Allocator, Params, canonical_cmp};
use crate::core::job::JobInfo;

pub struct Tiresias;

impl Allocator for Tiresias {
    fn allocate(&self, gpus: u32, jobs: &[JobInfo], _params: &Params) -> Vec<u32> {
        let bounds = Bounds::all(jobs);
        common::first_fit(gpus, &bounds, &order(jobs), |b| b.requested).0
    }
}

/// Queue ascending, then first start ascending, stable over the canonical order.
/// Jobs that already ran come first so a restart does not lose its place to a
/// newcomer. Never started sorts last; a NaN start time sorts after every real
/// one but before "never started" (it did start).
pub(super) fn order(jobs: &[JobInfo]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..jobs.len()).collect();
    idx.sort_by(|&a, &b| {
        let (a, b) = (&jobs[a], &jobs[b]);
        a.queue
            .cmp(&b.queue)
            .then_with(|| cmp_first_start(a.first_start_time, b.first_start_time))
            .then_with(|| canonical_cmp(a, b))
    });
    idx
}

fn cmp_first_start(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => cmp_nan_last(a, b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str, submit: f64, queue: u32, start: Option<f64>, w: u32) -> JobInfo {
        let mut j = JobInfo::new(name, submit, 1, 8);
        j.queue = queue;
        j.first_start_time = start;
        j.workers.requested = w;
        j
    }

    #[test]
    fn queue_then_first_start_then_canonical() {
        // Order: d (q0, started 5), b (q0, started 9), a (q0, never, t=0),
        // c (q0, never, t=1), e (q1, started 1).
        let jobs = [
            job("a", 0.0, 0, None, 1),
            job("b", 1.0, 0, Some(9.0), 1),
            job("c", 1.0, 0, None, 1),
            job("d", 3.0, 0, Some(5.0), 1),
            job("e", 0.0, 1, Some(1.0), 1),
        ];
        assert_eq!(order(&jobs), [3, 1, 0, 2, 4]);
    }

    #[test]
    fn gives_requested_first_fit() {
        // G = 8, order a(q0, started) b(q0, never) c(q1).
        // a requested 5 → 5, free 3; b requested 4 > 3 → 0; c requested 3 → 3.
        let jobs = [
            job("c", 0.0, 1, Some(0.0), 3),
            job("b", 1.0, 0, None, 4),
            job("a", 2.0, 0, Some(2.0), 5),
        ];
        assert_eq!(Tiresias.allocate(8, &jobs, &Params::default()), [3, 0, 5]);
    }

    #[test]
    fn nan_start_is_after_real_starts_and_before_never_started() {
        let jobs = [
            job("never", 0.0, 0, None, 1),
            job("nan", 0.0, 0, Some(f64::NAN), 1),
            job("late", 0.0, 0, Some(1e9), 1),
        ];
        assert_eq!(order(&jobs), [2, 1, 0]);
    }
}
