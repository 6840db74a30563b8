//! FfDLOptimizer: a knapsack-style dynamic programme that maximises the summed
//! speedup of the oldest jobs whose minimums fit.
//!
//! Work is O(J · band · range) with `band ≤ min(G, Σ max) − Σ min + 1`: small when
//! the minimums use most of the GPUs, largest when every `min` is 1.

use super::common::Bounds;
use super::{Allocator, Params, canonical_order};
use crate::core::job::{JobInfo, Speedup};

pub struct FfdlOptimizer;

impl Allocator for FfdlOptimizer {
    fn allocate(&self, gpus: u32, jobs: &[JobInfo], _params: &Params) -> Vec<u32> {
        let mut alloc = vec![0; jobs.len()];
        let picked = prefix(gpus, jobs);
        for (g, (i, _)) in solve(gpus, jobs, &picked).into_iter().zip(&picked) {
            alloc[*i] = g;
        }
        alloc
    }
}

/// The longest prefix of the canonical order, at most `gpus` jobs, whose minimums
/// sum to at most `gpus`: every job in it can get at least its `min`, so the
/// programme below is always feasible (the old code could be handed an infeasible
/// one and panicked).
fn prefix(gpus: u32, jobs: &[JobInfo]) -> Vec<(usize, Bounds)> {
    let mut picked = Vec::new();
    let mut sum_min = 0u64;
    for i in canonical_order(jobs) {
        let Some(b) = Bounds::of(&jobs[i]) else {
            continue;
        };
        if picked.len() as u64 >= u64::from(gpus) || sum_min + u64::from(b.min) > u64::from(gpus) {
            break;
        }
        sum_min += u64::from(b.min);
        picked.push((i, b));
    }
    picked
}

/// `P[i][k] = max over g in [min_i, min(max_i, k)] of s_i[g] + P[i−1][k−g]`,
/// `P[0][k] = 0`, traced back from `(J, G)`; returns `g` per picked job.
///
/// "Max" scans `g` upwards and replaces the best only on a strictly greater value,
/// so the smallest maximising `g` wins and a NaN value (never greater, nothing is
/// greater than it) keeps whichever came first.
///
/// Only budgets the trace-back can reach are computed. Arriving at job `i` from
/// `(J, G)`, at least `Σ_{j>i} min_j` and at most `Σ_{j>i} max_j` was spent, and a
/// feasible budget is at least `Σ_{j≤i} min_j`, so row `i` needs only
/// `k ∈ [max(Σ_{j≤i} min, G − Σ_{j>i} max), G − Σ_{j>i} min]`, a band of at most
/// `G − Σ min + 1` budgets. Every budget in the band is feasible (its `g = min_i` lands
/// in the band of row `i − 1`), and any `g` that would leave the band below is
/// infeasible, so the values and choices in the band are exactly the full
/// table's. `G` itself is first capped at `Σ max`: a larger budget cannot be spent,
/// and every row is then the same as at the cap.
fn solve(gpus: u32, jobs: &[JobInfo], picked: &[(usize, Bounds)]) -> Vec<u32> {
    let n = picked.len();
    let total_max: u64 = picked.iter().map(|(_, b)| u64::from(b.max)).sum();
    let budget = u64::from(gpus).min(total_max);
    // suffix sums over jobs after i (1-based rows; row 0 is "no job yet").
    let mut suf_min = vec![0u64; n + 1];
    let mut suf_max = vec![0u64; n + 1];
    for i in (0..n).rev() {
        suf_min[i] = suf_min[i + 1] + u64::from(picked[i].1.min);
        suf_max[i] = suf_max[i + 1] + u64::from(picked[i].1.max);
    }
    let mut pre_min = 0u64;
    let band = |pre_min: u64, i: usize| {
        (
            pre_min.max(budget.saturating_sub(suf_max[i])),
            budget - suf_min[i],
        )
    };

    let (mut lo_prev, hi0) = band(0, 0);
    let mut prev = vec![0.0f64; (hi0 - lo_prev + 1) as usize];
    // choice[row][k - lo_row], flattened.
    let mut choice: Vec<u32> = Vec::new();
    let mut rows = Vec::with_capacity(n);
    for (row, (i, b)) in picked.iter().enumerate() {
        pre_min += u64::from(b.min);
        let (lo, hi) = band(pre_min, row + 1);
        let s = speedups(&jobs[*i].speedup, b.min, u64::from(b.max).min(hi - lo_prev));
        let mut cur = Vec::with_capacity((hi - lo + 1) as usize);
        rows.push((choice.len(), lo));
        for k in lo..=hi {
            let g_top = u64::from(b.max).min(k - lo_prev);
            let at = |g: u64| s[(g - u64::from(b.min)) as usize] + prev[(k - g - lo_prev) as usize];
            let mut best_g = u64::from(b.min);
            let mut best = at(best_g);
            for g in u64::from(b.min) + 1..=g_top {
                let v = at(g);
                if v > best {
                    best = v;
                    best_g = g;
                }
            }
            cur.push(best);
            choice.push(best_g as u32);
        }
        prev = cur;
        lo_prev = lo;
    }

    let mut out = vec![0u32; n];
    let mut k = budget;
    for (row, &(start, lo)) in rows.iter().enumerate().rev() {
        let take = choice[start + (k - lo) as usize];
        out[row] = take;
        k -= u64::from(take);
    }
    out
}

/// `s[g]` for `g` in `[min, top]`, looked up once per job rather than per budget.
fn speedups(s: &Speedup, min: u32, top: u64) -> Vec<f64> {
    (u64::from(min)..=top).map(|g| s.at(g as u32)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str, submit: f64, min: u32, max: u32, s: &[f64]) -> JobInfo {
        let mut j = JobInfo::new(name, submit, min, max);
        j.speedup = Speedup(s.to_vec());
        j
    }

    fn run(gpus: u32, jobs: &[JobInfo]) -> Vec<u32> {
        FfdlOptimizer.allocate(gpus, jobs, &Params::default())
    }

    #[test]
    fn splits_gpus_to_maximise_total_speedup() {
        // G = 4, a s = [0,1,1.9,2.0,2.0], b s = [0,1,1.5,1.6,1.6], both in [1,4].
        // Splits (a,b): (1,3) 2.6, (2,2) 3.4, (3,1) 3.0 → a 2, b 2.
        let jobs = [
            job("a", 0.0, 1, 4, &[0.0, 1.0, 1.9, 2.0, 2.0]),
            job("b", 1.0, 1, 4, &[0.0, 1.0, 1.5, 1.6, 1.6]),
        ];
        assert_eq!(run(4, &jobs), [2, 2]);
    }

    #[test]
    fn smallest_g_wins_ties() {
        // Flat past 1 worker: every g ≥ 1 gives the same total, so each job takes
        // the smallest g: a 1, b 1, with 6 GPUs unused.
        let jobs = [
            job("a", 0.0, 1, 4, &[0.0, 1.0]),
            job("b", 1.0, 1, 4, &[0.0, 1.0]),
        ];
        assert_eq!(run(8, &jobs), [1, 1]);
    }

    #[test]
    fn prefix_stops_at_the_first_job_whose_min_does_not_fit() {
        // G = 5, canonical a(min 2) b(min 4) c(min 1): a + b = 6 > 5, so only a is
        // considered (unlike FIFO, c is not): linear a takes min(max 3, 5) = 3.
        let jobs = [
            job("a", 0.0, 2, 3, &[]),
            job("b", 1.0, 4, 4, &[]),
            job("c", 2.0, 1, 1, &[]),
        ];
        assert_eq!(run(5, &jobs), [3, 0, 0]);
    }

    #[test]
    fn fixed_ffdl_respects_min() {
        // G = 6. b's speedup is poor below its min 4: without min the optimum is
        // a 5, b 1 (5 + 1 = 6 > 2 + 3.5); with min 4, b needs 4 → a 2, b 4 (2 + 3.5).
        let jobs = [
            job("a", 0.0, 1, 6, &[]),
            job("b", 1.0, 4, 6, &[0.0, 1.0, 1.2, 1.4, 3.5, 3.6, 3.7]),
        ];
        assert_eq!(run(6, &jobs), [2, 4]);
    }

    #[test]
    fn fixed_ffdl_does_not_panic_when_minimums_exceed_gpus() {
        // The first job alone needs more than G: nothing is feasible, all get 0.
        let jobs = [job("a", 0.0, 4, 8, &[]), job("b", 1.0, 1, 2, &[])];
        assert_eq!(run(3, &jobs), [0, 0]);
        assert_eq!(run(0, &jobs), [0, 0]);
    }

    #[test]
    fn nan_speedup_keeps_the_first_value() {
        // a's value at 2 is NaN: the scan keeps g = 1 (NaN is not greater), and b
        // then takes the rest: a 1, b 3.
        let jobs = [
            job("a", 0.0, 1, 2, &[0.0, 1.0, f64::NAN]),
            job("b", 1.0, 1, 4, &[]),
        ];
        assert_eq!(run(4, &jobs), [1, 3]);
    }

    #[test]
    fn huge_gpu_count_is_capped_at_total_max() {
        let jobs = [job("a", 0.0, 1, 3, &[]), job("b", 1.0, 2, 2, &[])];
        assert_eq!(run(u32::MAX, &jobs), [3, 2]);
    }
}
