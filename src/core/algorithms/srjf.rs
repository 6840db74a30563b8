//! SRJF: as FIFO, in order of estimated remaining time, shortest first.

use super::common::{self, cmp_nan_last};
use super::{Allocator, Params, canonical_cmp};
use crate::core::job::JobInfo;

pub struct Srjf;

impl Allocator for Srjf {
    fn allocate(&self, gpus: u32, jobs: &[JobInfo], _params: &Params) -> Vec<u32> {
        common::rigid(gpus, jobs, &order(jobs))
    }
}

/// `rem` ascending, stable over the canonical order. A job whose estimate is NaN
/// (unknown, or broken arithmetic upstream) is not shorter than anything, so it
/// goes after every number, `+∞` included; see [`cmp_nan_last`].
pub(super) fn order(jobs: &[JobInfo]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..jobs.len()).collect();
    // One stable sort on (rem, canonical) is the same as sorting the canonical
    // order stably by rem.
    idx.sort_by(|&a, &b| {
        let (a, b) = (&jobs[a], &jobs[b]);
        cmp_nan_last(a.remaining_seconds, b.remaining_seconds).then_with(|| canonical_cmp(a, b))
    });
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str, submit: f64, min: u32, rem: f64) -> JobInfo {
        let mut j = JobInfo::new(name, submit, min, min + 4);
        j.remaining_seconds = rem;
        j
    }

    #[test]
    fn shortest_remaining_first() {
        // Order by rem: c(10) a(50) b(100). G = 5.
        // c: 2 → free 3; a: min 4 > 3 → 0; b: min 3 → 3, free 0.
        let jobs = [
            job("a", 0.0, 4, 50.0),
            job("b", 1.0, 3, 100.0),
            job("c", 2.0, 2, 10.0),
        ];
        assert_eq!(Srjf.allocate(5, &jobs, &Params::default()), [0, 3, 2]);
    }

    #[test]
    fn equal_rem_keeps_canonical_order() {
        // Same rem; canonical order b(t=0) then a(t=1): b takes the only GPU.
        let jobs = [job("a", 1.0, 1, 7.0), job("b", 0.0, 1, 7.0)];
        assert_eq!(Srjf.allocate(1, &jobs, &Params::default()), [0, 1]);
    }

    #[test]
    fn nan_rem_sorts_after_infinity_and_nans_stay_in_canonical_order() {
        let jobs = [
            job("n2", 1.0, 1, f64::NAN),
            job("inf", 5.0, 1, f64::INFINITY),
            job("n1", 0.0, 1, f64::NAN),
            job("short", 9.0, 1, 1.0),
        ];
        assert_eq!(order(&jobs), [3, 1, 2, 0]);
        // With 3 GPUs the second NaN job (later submitted) is the one left out.
        assert_eq!(Srjf.allocate(3, &jobs, &Params::default()), [0, 1, 1, 1]);
    }
}
