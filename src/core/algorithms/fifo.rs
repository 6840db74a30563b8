//! FIFO: in canonical order, each job gets `min` if it fits.

use super::common;
use super::{Allocator, Params, canonical_order};
use crate::core::job::JobInfo;

pub struct Fifo;

impl Allocator for Fifo {
    fn allocate(&self, gpus: u32, jobs: &[JobInfo], _params: &Params) -> Vec<u32> {
        common::rigid(gpus, jobs, &canonical_order(jobs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(gpus: u32, jobs: &[JobInfo]) -> Vec<u32> {
        Fifo.allocate(gpus, jobs, &Params::default())
    }

    #[test]
    fn first_come_gets_min_and_a_later_smaller_job_still_fits() {
        // Canonical order a(t=0) b(t=1) c(t=2), G = 6.
        // a: min 4 ≤ 6 → 4, free 2; b: min 3 > 2 → 0; c: min 2 ≤ 2 → 2, free 0.
        let jobs = [
            JobInfo::new("c", 2.0, 2, 8),
            JobInfo::new("a", 0.0, 4, 8),
            JobInfo::new("b", 1.0, 3, 8),
        ];
        assert_eq!(run(6, &jobs), [2, 4, 0]);
    }

    #[test]
    fn submit_time_ties_break_by_name() {
        // Both submitted at t=0, "x" < "y": x gets its 2, y (min 2) finds 1 free.
        let jobs = [JobInfo::new("y", 0.0, 2, 2), JobInfo::new("x", 0.0, 2, 2)];
        assert_eq!(run(3, &jobs), [0, 2]);
    }

    #[test]
    fn no_gpus_or_no_jobs() {
        assert_eq!(run(0, &[JobInfo::new("a", 0.0, 1, 1)]), [0]);
        assert!(run(8, &[]).is_empty());
    }
}
