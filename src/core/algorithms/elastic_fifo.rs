//! ElasticFIFO: FIFO, then the GPUs left go round-robin, one at a time, to the
//! jobs that got their `min`.

use super::common;
use super::{Allocator, Params, canonical_order};
use crate::core::job::JobInfo;

pub struct ElasticFifo;

impl Allocator for ElasticFifo {
    fn allocate(&self, gpus: u32, jobs: &[JobInfo], _params: &Params) -> Vec<u32> {
        common::elastic(gpus, jobs, &canonical_order(jobs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(gpus: u32, jobs: &[JobInfo]) -> Vec<u32> {
        ElasticFifo.allocate(gpus, jobs, &Params::default())
    }

    #[test]
    fn leftovers_go_round_robin_in_canonical_order() {
        // G = 10. Phase 1: a 2, b 1, c 3 → free 4.
        // Sweep 1: a 3, b 2 (its max), c 4 → free 1. Sweep 2: a 4 → free 0.
        let jobs = [
            JobInfo::new("a", 0.0, 2, 8),
            JobInfo::new("b", 1.0, 1, 2),
            JobInfo::new("c", 2.0, 3, 8),
        ];
        assert_eq!(run(10, &jobs), [4, 2, 4]);
    }

    #[test]
    fn stops_when_every_job_is_at_max() {
        // G = 20: a 1→3, b 2→4; 13 GPUs stay free.
        let jobs = [JobInfo::new("a", 0.0, 1, 3), JobInfo::new("b", 1.0, 2, 4)];
        assert_eq!(run(20, &jobs), [3, 4]);
    }

    #[test]
    fn fixed_elastic_fifo_never_gives_below_min_to_job_left_at_zero_in_phase1() {
        // G = 5. Phase 1: a gets 4, b (min 2) does not fit in 1. The old code then
        // gave b the last GPU (1 < min 2); now only a grows: a 5, b 0.
        let jobs = [JobInfo::new("a", 0.0, 4, 8), JobInfo::new("b", 1.0, 2, 4)];
        assert_eq!(run(5, &jobs), [5, 0]);
    }
}
