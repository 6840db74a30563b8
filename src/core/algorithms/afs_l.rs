//! AFS-L: GPUs go one step at a time to the winner of a pairwise tournament that
//! trades a job's remaining length against its marginal speedup.
//!
//! The tournament is a left fold with a comparison that is neither transitive nor
//! associative, so it is run as written: at most `n + min(G, Σ max)` rounds, each
//! folding from the served candidate to the end, O(n) at worst.

use super::common::Bounds;
use super::{Allocator, Params, canonical_order};
use crate::core::job::JobInfo;

pub struct AfsL;

impl Allocator for AfsL {
    fn allocate(&self, gpus: u32, jobs: &[JobInfo], _params: &Params) -> Vec<u32> {
        let bounds = Bounds::all(jobs);
        let mut alloc = vec![0; jobs.len()];
        let mut free = gpus;
        let mut cands: Vec<Cand> = canonical_order(jobs)
            .into_iter()
            .filter(|&i| bounds[i].is_some())
            .map(|i| Cand::new(i, &jobs[i], 0))
            .collect();

        // `winner[q]` is the tournament's running winner after candidates 0..=q. It
        // depends on those candidates only, so when the step changes or removes
        // candidate p, entries before p stay valid and the fold resumes at p. (The
        // winner held from its own position to the end, so nothing after p can be
        // reused.)
        let mut winner: Vec<usize> = Vec::with_capacity(cands.len());
        while free > 0 && !cands.is_empty() {
            let mut run = winner.last().copied().unwrap_or(0);
            for q in winner.len()..cands.len() {
                if q == 0 || cands[run].loses_to(&cands[q]) {
                    run = q;
                }
                winner.push(run);
            }
            let p = run;
            let i = cands[p].job;
            let Some(b) = &bounds[i] else { break };
            let mut keep = true;
            if alloc[i] == 0 {
                if b.min <= free {
                    alloc[i] = b.min;
                    free -= b.min;
                } else {
                    keep = false;
                }
            } else {
                alloc[i] += 1;
                free -= 1;
            }
            if keep && alloc[i] < b.max {
                cands[p] = Cand::new(i, &jobs[i], alloc[i]);
            } else {
                cands.remove(p);
            }
            winner.truncate(p);
        }
        alloc
    }
}

/// A candidate with everything the tournament reads about it, computed from its
/// own allocation (the old code measured the second job of a pair with the
/// first job's allocation).
#[derive(Debug, Clone, Copy)]
struct Cand {
    job: usize,
    at_zero: bool,
    rem: f64,
    /// `rem / s[a]`, ∞ at 0.
    len: f64,
    /// `(s[a+1] − s[a]) / s[a+1]`: its value when it is the long job.
    up: f64,
    /// `(s[a+1] − s[a]) / s[a]`: its value when it is the short job.
    down: f64,
}

impl Cand {
    fn new(job: usize, info: &JobInfo, a: u32) -> Self {
        let s = &info.speedup;
        let (now, next) = (s.at(a), s.at(a.saturating_add(1)));
        let rem = info.remaining_seconds;
        Cand {
            job,
            at_zero: a == 0,
            rem,
            len: if a == 0 { f64::INFINITY } else { rem / now },
            up: (next - now) / next,
            down: (next - now) / now,
        }
    }

    /// Whether challenger `b` takes over from the running winner `self`, exactly as
    /// DESIGN §5 words it; every comparison involving NaN is false.
    fn loses_to(&self, b: &Cand) -> bool {
        if self.at_zero && b.at_zero {
            return self.rem >= b.rem;
        }
        if self.len >= b.len {
            // b is the short job: self (long) stays only on a larger gain, so a
            // NaN on either side hands the round to b.
            let long_stays = self.up > b.down;
            !long_stays
        } else {
            // self is the short job: b (long) wins on a larger gain.
            b.up > self.down
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::job::Speedup;

    fn job(name: &str, submit: f64, (min, max): (u32, u32), rem: f64, s: &[f64]) -> JobInfo {
        let mut j = JobInfo::new(name, submit, min, max);
        j.remaining_seconds = rem;
        j.speedup = Speedup(s.to_vec());
        j
    }

    fn run(gpus: u32, jobs: &[JobInfo]) -> Vec<u32> {
        AfsL.allocate(gpus, jobs, &Params::default())
    }

    #[test]
    fn jobs_at_zero_start_shortest_first() {
        // G = 3, all at 0, so only rem counts. Round 1: a(30) ≥ b(10) → b; b(10) ≥
        // c(20) is false → b. b gets its 2 (= max, dropped), free 1. Round 2: a(30)
        // ≥ c(20) → c, which gets 1, free 0. a stays at 0.
        let jobs = [
            job("a", 0.0, (1, 1), 30.0, &[]),
            job("b", 1.0, (2, 2), 10.0, &[]),
            job("c", 2.0, (1, 1), 20.0, &[]),
        ];
        assert_eq!(run(3, &jobs), [0, 2, 1]);
    }

    #[test]
    fn length_against_marginal_gain() {
        // Linear speedups, both in [1, 4], G = 4.
        // 1: both at 0, 100 ≥ 40 → b starts at 1.
        // 2: a at 0 (len ∞) vs b at 1 (len 40): S = b, L = a. up(a) = 1/1 = 1,
        //    down(b) = (2−1)/1 = 1; 1 > 1 is false → b, grows to 2.
        // 3: up(a) = 1 > down(b) = (3−2)/2 = 0.5 → a, starts at 1.
        // 4: a at 1 (len 100) vs b at 2 (len 20): S = b. up(a) = (2−1)/2 = 0.5,
        //    down(b) = 0.5; not greater → b, grows to 3. free 0.
        let jobs = [
            job("a", 0.0, (1, 4), 100.0, &[]),
            job("b", 1.0, (1, 4), 40.0, &[]),
        ];
        assert_eq!(run(4, &jobs), [1, 3]);
    }

    #[test]
    fn a_job_at_zero_that_does_not_fit_is_dropped() {
        // G = 3. a (rem 1, min 4) wins round 1 but 4 > 3: dropped. b starts at 1,
        // then grows alone to its max 3.
        let jobs = [
            job("a", 0.0, (4, 4), 1.0, &[]),
            job("b", 1.0, (1, 3), 9.0, &[]),
        ];
        assert_eq!(run(3, &jobs), [0, 3]);
    }

    #[test]
    fn fixed_afs_l_measures_each_job_with_its_own_allocation() {
        // Linear, G = 5: a (rem 100, [1, 8]), b (rem 90, [3, 8]).
        // 1: 100 ≥ 90 → b starts at 3, free 2.
        // 2: a at 0 vs b at 3: up(a) = 1 > down(b) = 1/3 → a starts at 1, free 1.
        // 3: a at 1 (len 100) vs b at 3 (len 30): S = b, up(a) = 0.5 > down(b) =
        //    1/3 → a grows to 2. Measuring b with a's allocation 1 instead gives
        //    len(b) = 90, down(b) = 1, so b would win and end at 4 with a at 1.
        let jobs = [
            job("a", 0.0, (1, 8), 100.0, &[]),
            job("b", 1.0, (3, 8), 90.0, &[]),
        ];
        assert_eq!(run(5, &jobs), [2, 3]);
    }

    #[test]
    fn nan_rem_in_first_place_is_never_displaced_between_jobs_at_zero() {
        // rem_a ≥ rem_b is false when rem_a is NaN, so a keeps the round.
        let jobs = [
            job("a", 0.0, (1, 1), f64::NAN, &[]),
            job("b", 1.0, (1, 1), 1.0, &[]),
        ];
        assert_eq!(run(1, &jobs), [1, 0]);
        // Second in line, a NaN never takes over (1 ≥ NaN is false).
        let jobs = [
            job("b", 0.0, (1, 1), 1.0, &[]),
            job("a", 1.0, (1, 1), f64::NAN, &[]),
        ];
        assert_eq!(run(1, &jobs), [1, 0]);
    }
}
