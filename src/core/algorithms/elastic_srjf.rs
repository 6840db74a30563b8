//! ElasticSRJF: ElasticFIFO's two phases, walked in SRJF order.

use super::{Allocator, Params};
use super::{common, srjf};
use crate::core::job::JobInfo;

pub struct ElasticSrjf;

impl Allocator for ElasticSrjf {
    fn allocate(&self, gpus: u32, jobs: &[JobInfo], _params: &Params) -> Vec<u32> {
        common::elastic(gpus, jobs, &srjf::order(jobs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str, submit: f64, min: u32, max: u32, rem: f64) -> JobInfo {
        let mut j = JobInfo::new(name, submit, min, max);
        j.remaining_seconds = rem;
        j
    }

    fn run(gpus: u32, jobs: &[JobInfo]) -> Vec<u32> {
        ElasticSrjf.allocate(gpus, jobs, &Params::default())
    }

    #[test]
    fn phase_two_sweeps_in_srjf_order() {
        // Order by rem: b(5) c(20) a(90). G = 8.
        // Phase 1: b 1, c 2, a 2 → free 3. Sweep 1: b 2, c 3, a 3 → free 0.
        // With 7 GPUs the partial sweep stops after b and c: b 2, c 3, a 2.
        let jobs = [
            job("a", 0.0, 2, 6, 90.0),
            job("b", 1.0, 1, 6, 5.0),
            job("c", 2.0, 2, 6, 20.0),
        ];
        assert_eq!(run(8, &jobs), [3, 2, 3]);
        assert_eq!(run(7, &jobs), [2, 2, 3]);
    }

    #[test]
    fn fixed_elastic_srjf_never_gives_below_min_to_job_left_at_zero_in_phase1() {
        // Order by rem: a(1) then b(2). G = 6: a gets 3, b (min 4) does not fit in
        // 3 and must stay at 0 rather than receive 3 < min; a grows to its max 6.
        let jobs = [job("a", 5.0, 3, 6, 1.0), job("b", 0.0, 4, 8, 2.0)];
        assert_eq!(run(6, &jobs), [6, 0]);
    }
}
