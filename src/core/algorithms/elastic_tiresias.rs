//! ElasticTiresias: Tiresias, an optional compaction of low-priority jobs, then
//! the GPUs left go one at a time to the job with the highest marginal speedup.
//!
//! O(n log n) for the order and O(log n) per step of phase 2, which takes at most
//! `n + min(G, Σ max)` steps.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::common::{Bounds, cmp_nan_first};
use super::{Allocator, Params, tiresias};
use crate::core::job::{JobInfo, Speedup};

pub struct ElasticTiresias;

impl Allocator for ElasticTiresias {
    fn allocate(&self, gpus: u32, jobs: &[JobInfo], params: &Params) -> Vec<u32> {
        let order = tiresias::order(jobs);
        let bounds = Bounds::all(jobs);
        let mut alloc = vec![0; jobs.len()];
        let mut free = gpus;

        for &i in &order {
            if let Some(b) = &bounds[i]
                && b.requested <= free
            {
                alloc[i] = b.requested;
                free -= b.requested;
            }
        }

        let waiting = order
            .iter()
            .filter(|&&i| bounds[i].is_some() && alloc[i] == 0)
            .count();
        if waiting > params.compaction_threshold as usize {
            // Too many jobs wait: demoted (queue ≥ 1) jobs give back all but `min`.
            for &i in &order {
                if let Some(b) = &bounds[i]
                    && alloc[i] > 0
                    && jobs[i].queue >= 1
                {
                    free += alloc[i] - b.min;
                    alloc[i] = b.min;
                }
            }
        }

        // Only the job just served changes its gain, so a plain max-heap suffices:
        // pop the best, serve it, push it back with its new gain.
        let mut heap = BinaryHeap::new();
        for (pos, &i) in order.iter().enumerate() {
            let Some(b) = &bounds[i] else { continue };
            // An allocated job may grow even if its `min` exceeds `free` (the old
            // code kept it out).
            let grows = alloc[i] > 0 && alloc[i] < b.max;
            let starts = alloc[i] == 0 && b.min <= free;
            if grows || starts {
                heap.push(Candidate {
                    gain: gain(&jobs[i].speedup, alloc[i], b.min),
                    pos,
                });
            }
        }
        while free > 0
            && let Some(c) = heap.pop()
        {
            // "Stop if gain ≤ 0": a NaN gain is not ≤ 0, so it does not stop.
            if c.gain <= 0.0 {
                break;
            }
            let i = order[c.pos];
            let Some(b) = &bounds[i] else { continue };
            if alloc[i] == 0 {
                if b.min > free {
                    continue;
                }
                alloc[i] = b.min;
                free -= b.min;
            } else {
                alloc[i] += 1;
                free -= 1;
            }
            // Stopping at `max` here is what the old code forgot.
            if alloc[i] < b.max {
                heap.push(Candidate {
                    gain: gain(&jobs[i].speedup, alloc[i], b.min),
                    pos: c.pos,
                });
            }
        }
        alloc
    }
}

/// The value of the next step: the next worker, or for a job at 0 its mean speedup
/// per worker at `min`.
fn gain(s: &Speedup, alloc: u32, min: u32) -> f64 {
    if alloc == 0 {
        s.at(min) / f64::from(min)
    } else {
        s.at(alloc + 1) - s.at(alloc)
    }
}

/// Heap entry: highest gain first, then earliest in Tiresias order. The order is
/// sorted by queue first, so "earlier" already means "lower queue, then earlier".
/// A NaN gain is the lowest (it is never higher than a number), so NaN-gain jobs
/// are served only once no number is left (and, not being ≤ 0, they do not stop
/// the loop).
struct Candidate {
    gain: f64,
    pos: usize,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_nan_first(self.gain, other.gain).then_with(|| other.pos.cmp(&self.pos))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(
        name: &str,
        submit: f64,
        queue: u32,
        (min, w, max): (u32, u32, u32),
        s: &[f64],
    ) -> JobInfo {
        let mut j = JobInfo::new(name, submit, min, max);
        j.queue = queue;
        j.workers.requested = w;
        j.speedup = Speedup(s.to_vec());
        j
    }

    fn run(gpus: u32, jobs: &[JobInfo], threshold: u32) -> Vec<u32> {
        let params = Params {
            compaction_threshold: threshold,
        };
        ElasticTiresias.allocate(gpus, jobs, &params)
    }

    #[test]
    fn leftovers_follow_the_highest_marginal_gain() {
        // G = 8. Phase 1: a 2, b 2 → free 4.
        // a s = [0,1,1.9,2.7,3.4,4.0]: gains at 2,3,4: 0.8, 0.7, 0.6.
        // b s = [0,1,1.5,1.8,2.0]:      gains at 2,3:   0.3, 0.2.
        // The 4 GPUs go a(0.8), a(0.7), a(0.6), b(0.3) → a 5, b 3.
        let jobs = [
            job("a", 0.0, 0, (1, 2, 8), &[0.0, 1.0, 1.9, 2.7, 3.4, 4.0]),
            job("b", 1.0, 0, (1, 2, 8), &[0.0, 1.0, 1.5, 1.8, 2.0]),
        ];
        assert_eq!(run(8, &jobs, 10), [5, 3]);
    }

    #[test]
    fn non_positive_gain_stops_phase_two() {
        // a's table is flat past 2 workers: gain 0 at 2 stops everything, so b
        // (gain 0 too, later) gets nothing either and 6 GPUs stay free.
        let jobs = [
            job("a", 0.0, 0, (1, 2, 8), &[0.0, 1.0, 1.5]),
            job("b", 1.0, 0, (1, 2, 8), &[0.0, 1.0, 1.5]),
        ];
        assert_eq!(run(10, &jobs, 10), [2, 2]);
    }

    #[test]
    fn equal_gains_go_to_the_lower_queue_first() {
        // Linear speedups: every gain is 1. G = 5. Phase 1: a (q0) 2, b (q1) 2.
        // One GPU left: tie → the lower queue, a.
        let jobs = [
            job("b", 0.0, 1, (1, 2, 8), &[]),
            job("a", 9.0, 0, (1, 2, 8), &[]),
        ];
        assert_eq!(run(5, &jobs, 10), [2, 3]);
    }

    #[test]
    fn a_waiting_job_starts_at_min_when_its_per_worker_gain_wins() {
        // G = 6. a (q0, started) asks 4 → 4, free 2. b asks 3 > 2 → 0 in phase 1;
        // its min 2 ≤ 2 makes it a candidate with gain s[2]/2 = 1.8/2 = 0.9.
        // a's next gain: s[5] − s[4] = 3.5 − 3.4 = 0.1. b wins and starts at 2.
        let mut a = job("a", 0.0, 0, (1, 4, 8), &[0.0, 1.0, 1.9, 2.7, 3.4, 3.5]);
        a.first_start_time = Some(0.0);
        let b = job("b", 1.0, 0, (2, 3, 8), &[0.0, 1.0, 1.8, 2.4]);
        assert_eq!(run(6, &[a, b], 10), [4, 2]);
    }

    #[test]
    fn compaction_shrinks_demoted_jobs_when_too_many_wait() {
        // G = 4, threshold 1. Order: a (q0) gets 2, d (q1) gets 2 → free 0;
        // b and c (q2, ask 4) wait: 2 > 1 → compaction: d (q1) shrinks to min 1,
        // free 1; a stays (q0). Phase 2 (linear): candidates a (gain 1, q0), d
        // (gain 1, q1); b and c need 3 > 1. The tie goes to a: a 3, d 1.
        let jobs = [
            job("a", 0.0, 0, (1, 2, 4), &[]),
            job("d", 0.0, 1, (1, 2, 4), &[]),
            job("b", 1.0, 2, (3, 4, 4), &[]),
            job("c", 2.0, 2, (3, 4, 4), &[]),
        ];
        assert_eq!(run(4, &jobs, 1), [3, 1, 0, 0]);
        // With the default threshold (10) nothing shrinks: a 2, d 2.
        assert_eq!(run(4, &jobs, 10), [2, 2, 0, 0]);
    }

    #[test]
    fn nan_gain_is_served_last_but_does_not_stop() {
        // G = 4, both phase 1 at 1 (free 2). a's next gain is NaN, b's is 1 then 0.
        // b gets +1 (gain 1); then b's gain 0 is still above NaN, so it is taken and
        // stops phase 2: a 1, b 2, one GPU free.
        let jobs = [
            job("a", 0.0, 0, (1, 1, 4), &[0.0, 1.0, f64::NAN]),
            job("b", 1.0, 0, (1, 1, 4), &[0.0, 1.0, 2.0, 2.0]),
        ];
        assert_eq!(run(4, &jobs, 10), [1, 2]);
        // If only NaN gains are left they are served: a grows to its max.
        let only_a = [jobs[0].clone()];
        assert_eq!(run(9, &only_a, 10), [4]);
    }

    #[test]
    fn a_waiting_job_that_does_not_fit_when_phase_two_starts_is_no_candidate() {
        // G = 3: a gets 1 (free 2), b (min 4 > 2) waits with gain s[4]/4 = 0.
        // Were b a candidate, its 0 would rank above a's NaN and stop phase 2; it
        // is not, so a (NaN gain, not ≤ 0) grows to its max 3.
        let jobs = [
            job("a", 0.0, 0, (1, 1, 3), &[0.0, 1.0, f64::NAN]),
            job("b", 1.0, 0, (4, 4, 4), &[0.0, 0.0]),
        ];
        assert_eq!(run(3, &jobs, 10), [3, 0]);
    }

    #[test]
    fn fixed_elastic_tiresias_never_exceeds_max() {
        // Linear speedup keeps the gain at 1 forever; the job must stop at max 3
        // although 7 GPUs stay free.
        let jobs = [job("a", 0.0, 0, (1, 2, 3), &[])];
        assert_eq!(run(10, &jobs, 10), [3]);
        // Nor can phase 1 hand out a request above max.
        let mut over = job("b", 0.0, 0, (1, 2, 3), &[0.0, 1.0, 1.0]);
        over.workers.requested = 9;
        assert_eq!(run(10, &[over], 10), [3]);
    }

    #[test]
    fn fixed_elastic_tiresias_allocated_job_grows_even_when_its_min_exceeds_free() {
        // G = 5: a gets its 4 in phase 1, free 1 < min 4. The old code dropped a
        // from phase 2 because min > free; it is allocated, so it takes the last GPU.
        let jobs = [job("a", 0.0, 0, (4, 4, 8), &[])];
        assert_eq!(run(5, &jobs, 10), [5]);
    }
}
