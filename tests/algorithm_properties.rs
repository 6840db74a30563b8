//! Properties of the eight allocation algorithms (DESIGN §5) over random inputs:
//! the output invariants, independence from input order, and equality with
//! straightforward reference implementations written from the spec's words.

use std::collections::HashMap;

use proptest::collection::vec;
use proptest::prelude::*;
use voda_scheduler::core::algorithms::{Algorithm, Params, canonical_order};
use voda_scheduler::core::job::{JobInfo, Speedup, WorkerRange};

// ---- generators ----------------------------------------------------------------

/// Floats with many ties and, now and then, the IEEE specials.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        12 => (0u32..12).prop_map(|x| f64::from(x) / 2.0),
        1 => prop::sample::select(vec![
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            -1.0,
            1e300,
        ]),
    ]
}

/// Linear (empty), concave monotone, or arbitrary (non-monotonic, specials).
fn speedup() -> impl Strategy<Value = Speedup> {
    prop_oneof![
        3 => Just(Speedup::linear()),
        3 => (1usize..12, 0.5f64..1.0).prop_map(|(n, p)| {
            Speedup((0..n).map(|k| (k as f64).powf(p)).collect())
        }),
        3 => vec(value(), 0..12).prop_map(Speedup),
    ]
}

fn rem() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => (0u32..40).prop_map(f64::from),
        1 => value(),
    ]
}

/// Job fields except the name: (submit, first start, queue, (min, requested, max), rem, speedup).
type Fields = (f64, Option<f64>, u32, (u32, u32, u32), f64, Speedup);

fn fields(range: BoxedStrategy<(u32, u32, u32)>) -> impl Strategy<Value = Fields> {
    (
        (0u32..8).prop_map(f64::from),
        prop::option::of((0u32..6).prop_map(f64::from)),
        0u32..3,
        range,
        rem(),
        speedup(),
    )
}

/// Valid ranges, as admission guarantees: 1 ≤ min ≤ requested ≤ max.
fn valid_range() -> BoxedStrategy<(u32, u32, u32)> {
    (1u32..8, 0u32..8, 0u32..8)
        .prop_map(|(min, r, extra)| (min, min + r.min(extra), min + extra))
        .boxed()
}

/// Anything, including min 0, min > max and requested outside the range.
fn any_range() -> BoxedStrategy<(u32, u32, u32)> {
    prop_oneof![
        4 => valid_range(),
        1 => (0u32..10, 0u32..12, 0u32..10).boxed(),
    ]
    .boxed()
}

fn build(fields: Vec<Fields>) -> Vec<JobInfo> {
    fields
        .into_iter()
        .enumerate()
        .map(
            |(i, (submit, start, queue, (min, requested, max), rem, speedup))| JobInfo {
                name: format!("job-{i:02}"),
                submit_time: submit,
                first_start_time: start,
                queue,
                workers: WorkerRange {
                    min,
                    max,
                    requested,
                },
                remaining_seconds: rem,
                speedup,
            },
        )
        .collect()
}

fn jobs(range: fn() -> BoxedStrategy<(u32, u32, u32)>) -> impl Strategy<Value = Vec<JobInfo>> {
    vec(fields(range()), 0..=64).prop_map(build)
}

fn params() -> impl Strategy<Value = Params> {
    (0u32..6).prop_map(|compaction_threshold| Params {
        compaction_threshold,
    })
}

/// 200 cases keep the file at a few seconds in debug; `PROPTEST_CASES=N` runs more.
fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 200;
    }
    config
}

// ---- invariants ----------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_algorithm_respects_gpus_and_ranges(
        gpus in 0u32..=128,
        jobs in jobs(any_range),
        params in params(),
    ) {
        for algo in Algorithm::ALL {
            let alloc = algo.allocate(gpus, &jobs, &params);
            prop_assert_eq!(alloc.len(), jobs.len());
            let total: u64 = alloc.iter().map(|&a| u64::from(a)).sum();
            prop_assert!(total <= u64::from(gpus), "{algo}: {total} > {gpus}");
            for (a, j) in alloc.iter().zip(&jobs) {
                let w = j.workers;
                prop_assert!(
                    *a == 0 || (w.min..=w.max).contains(a),
                    "{algo}: {} got {a} outside [{}, {}]", j.name, w.min, w.max
                );
            }
        }
    }

    #[test]
    fn input_order_does_not_matter(
        gpus in 0u32..=128,
        (jobs, shuffled) in jobs(any_range).prop_flat_map(|j| (Just(j.clone()), Just(j).prop_shuffle())),
        params in params(),
    ) {
        for algo in Algorithm::ALL {
            let by_name = |jobs: &[JobInfo]| -> HashMap<String, u32> {
                jobs.iter()
                    .map(|j| j.name.clone())
                    .zip(algo.allocate(gpus, jobs, &params))
                    .collect()
            };
            prop_assert_eq!(by_name(&jobs), by_name(&shuffled), "{}", algo);
        }
    }

    #[test]
    fn extreme_numbers_neither_overflow_nor_panic(
        gpus in prop::sample::select(vec![0u32, 1, 7, u32::MAX - 1, u32::MAX]),
        ranges in vec(prop::sample::select(vec![
            (1u32, 1u32, 4u32),
            (0, 0, 0),
            (u32::MAX, u32::MAX, u32::MAX),
            (u32::MAX - 1, u32::MAX, u32::MAX),
            (3, u32::MAX, 16),
        ]), 0..6),
        rems in vec(value(), 6),
        tables in vec(vec(value(), 0..4), 6),
    ) {
        // Work grows with min(G, Σ max) (see the algorithms); keep that small
        // unless every job is pinned (min = max).
        let jobs: Vec<JobInfo> = ranges
            .iter()
            .enumerate()
            .map(|(i, &(min, requested, max))| {
                let mut j = JobInfo::new(format!("j{i}"), 0.0, min, max);
                j.workers.requested = requested;
                j.remaining_seconds = rems[i];
                j.speedup = Speedup(tables[i].clone());
                j
            })
            .collect();
        for algo in Algorithm::ALL {
            let alloc = algo.allocate(gpus, &jobs, &Params::default());
            let total: u64 = alloc.iter().map(|&a| u64::from(a)).sum();
            prop_assert!(total <= u64::from(gpus));
            for (a, j) in alloc.iter().zip(&jobs) {
                prop_assert!(*a == 0 || (j.workers.min..=j.workers.max).contains(a));
            }
        }
    }
}

// ---- reference implementations, straight from DESIGN §5 ---------------------------
//
// Slow and literal; inputs are valid (1 ≤ min ≤ requested ≤ max), so no
// sanitising is needed. The NaN conventions are the documented ones: in a sort a
// NaN key goes after every number; "highest gain" ranks a NaN below every number.

mod reference {
    use super::*;

    fn srjf_order(jobs: &[JobInfo]) -> Vec<usize> {
        let mut idx = canonical_order(jobs);
        idx.sort_by(|&a, &b| {
            let (x, y) = (jobs[a].remaining_seconds, jobs[b].remaining_seconds);
            match (x.is_nan(), y.is_nan()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                (false, false) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
            }
        });
        idx
    }

    fn tiresias_order(jobs: &[JobInfo]) -> Vec<usize> {
        // Key: (queue, class, start); class 0 = started with a number, 1 = NaN
        // start, 2 = never started.
        let key = |j: &JobInfo| match j.first_start_time {
            Some(t) if !t.is_nan() => (j.queue, 0, t),
            Some(_) => (j.queue, 1, 0.0),
            None => (j.queue, 2, 0.0),
        };
        let mut idx = canonical_order(jobs);
        idx.sort_by(|&a, &b| {
            let (x, y) = (key(&jobs[a]), key(&jobs[b]));
            (x.0, x.1)
                .cmp(&(y.0, y.1))
                .then(x.2.partial_cmp(&y.2).unwrap_or(std::cmp::Ordering::Equal))
        });
        idx
    }

    fn fit(
        gpus: u32,
        jobs: &[JobInfo],
        order: &[usize],
        want: impl Fn(&JobInfo) -> u32,
    ) -> (Vec<u32>, u32) {
        let mut alloc = vec![0; jobs.len()];
        let mut free = gpus;
        for &i in order {
            if want(&jobs[i]) <= free {
                alloc[i] = want(&jobs[i]);
                free -= alloc[i];
            }
        }
        (alloc, free)
    }

    fn sweeps(jobs: &[JobInfo], order: &[usize], alloc: &mut [u32], mut free: u32) {
        loop {
            let mut gave = false;
            for &i in order {
                if free > 0 && alloc[i] > 0 && alloc[i] < jobs[i].workers.max {
                    alloc[i] += 1;
                    free -= 1;
                    gave = true;
                }
            }
            if free == 0 || !gave {
                return;
            }
        }
    }

    pub fn fifo(gpus: u32, jobs: &[JobInfo]) -> Vec<u32> {
        fit(gpus, jobs, &canonical_order(jobs), |j| j.workers.min).0
    }

    pub fn srjf(gpus: u32, jobs: &[JobInfo]) -> Vec<u32> {
        fit(gpus, jobs, &srjf_order(jobs), |j| j.workers.min).0
    }

    fn elastic(gpus: u32, jobs: &[JobInfo], order: &[usize]) -> Vec<u32> {
        let (mut alloc, free) = fit(gpus, jobs, order, |j| j.workers.min);
        sweeps(jobs, order, &mut alloc, free);
        alloc
    }

    pub fn elastic_fifo(gpus: u32, jobs: &[JobInfo]) -> Vec<u32> {
        elastic(gpus, jobs, &canonical_order(jobs))
    }

    pub fn elastic_srjf(gpus: u32, jobs: &[JobInfo]) -> Vec<u32> {
        elastic(gpus, jobs, &srjf_order(jobs))
    }

    pub fn tiresias(gpus: u32, jobs: &[JobInfo]) -> Vec<u32> {
        fit(gpus, jobs, &tiresias_order(jobs), |j| j.workers.requested).0
    }

    pub fn elastic_tiresias(gpus: u32, jobs: &[JobInfo], params: &Params) -> Vec<u32> {
        let order = tiresias_order(jobs);
        let (mut alloc, mut free) = fit(gpus, jobs, &order, |j| j.workers.requested);
        let gain = |i: usize, a: u32| {
            let (s, min) = (&jobs[i].speedup, jobs[i].workers.min);
            if a == 0 {
                s.at(min) / f64::from(min)
            } else {
                s.at(a + 1) - s.at(a)
            }
        };
        let waiting = alloc.iter().filter(|&&a| a == 0).count();
        if waiting > params.compaction_threshold as usize {
            for &i in &order {
                if alloc[i] > 0 && jobs[i].queue >= 1 {
                    free += alloc[i] - jobs[i].workers.min;
                    alloc[i] = jobs[i].workers.min;
                }
            }
        }
        let mut cands: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| {
                let w = jobs[i].workers;
                (alloc[i] > 0 && alloc[i] < w.max) || (alloc[i] == 0 && w.min <= free)
            })
            .collect();
        let higher = |a: f64, b: f64| if b.is_nan() { !a.is_nan() } else { a > b };
        while free > 0 && !cands.is_empty() {
            // Highest gain; scanning in order with a strict "higher" keeps the
            // earliest (lowest queue first) on ties.
            let mut best = 0;
            for c in 1..cands.len() {
                if higher(
                    gain(cands[c], alloc[cands[c]]),
                    gain(cands[best], alloc[cands[best]]),
                ) {
                    best = c;
                }
            }
            let i = cands[best];
            if gain(i, alloc[i]) <= 0.0 {
                break;
            }
            if alloc[i] == 0 {
                if jobs[i].workers.min <= free {
                    alloc[i] = jobs[i].workers.min;
                    free -= alloc[i];
                } else {
                    cands.remove(best);
                    continue;
                }
            } else {
                alloc[i] += 1;
                free -= 1;
            }
            if alloc[i] == jobs[i].workers.max {
                cands.remove(best);
            }
        }
        alloc
    }

    pub fn ffdl(gpus: u32, jobs: &[JobInfo]) -> Vec<u32> {
        let g = gpus as usize;
        let mut prefix = Vec::new();
        let mut sum = 0u64;
        for i in canonical_order(jobs) {
            sum += u64::from(jobs[i].workers.min);
            if prefix.len() >= g || sum > u64::from(gpus) {
                break;
            }
            prefix.push(i);
        }
        // p[i][k]: None = infeasible (−∞); choice[i][k]: the g that reached it.
        let mut p = vec![vec![Some(0.0f64); g + 1]];
        let mut choice = vec![vec![0u32; g + 1]];
        for &i in &prefix {
            let w = jobs[i].workers;
            let (mut row, mut pick) = (vec![None; g + 1], vec![0u32; g + 1]);
            for k in 0..=g {
                let mut best: Option<f64> = None;
                for x in w.min..=w.max.min(k as u32) {
                    if let Some(prev) = p[p.len() - 1][k - x as usize] {
                        let v = jobs[i].speedup.at(x) + prev;
                        if best.is_none_or(|b| v > b) {
                            best = Some(v);
                            pick[k] = x;
                        }
                    }
                }
                row[k] = best;
            }
            p.push(row);
            choice.push(pick);
        }
        let mut alloc = vec![0; jobs.len()];
        let mut k = g;
        for (r, &i) in prefix.iter().enumerate().rev() {
            alloc[i] = choice[r + 1][k];
            k -= alloc[i] as usize;
        }
        alloc
    }

    pub fn afs_l(gpus: u32, jobs: &[JobInfo]) -> Vec<u32> {
        let mut alloc = vec![0u32; jobs.len()];
        let mut free = gpus;
        let mut cands = canonical_order(jobs);
        let s = |x: usize, k: u32| jobs[x].speedup.at(k);
        while free > 0 && !cands.is_empty() {
            let mut j = cands[0];
            for &b in &cands[1..] {
                if alloc[j] == 0 && alloc[b] == 0 {
                    if jobs[j].remaining_seconds >= jobs[b].remaining_seconds {
                        j = b;
                    }
                    continue;
                }
                let len = |x: usize| {
                    if alloc[x] == 0 {
                        f64::INFINITY
                    } else {
                        jobs[x].remaining_seconds / s(x, alloc[x])
                    }
                };
                let (short, long) = if len(j) >= len(b) { (b, j) } else { (j, b) };
                let (al, as_) = (alloc[long], alloc[short]);
                j = if (s(long, al + 1) - s(long, al)) / s(long, al + 1)
                    > (s(short, as_ + 1) - s(short, as_)) / s(short, as_)
                {
                    long
                } else {
                    short
                };
            }
            let pos = cands.iter().position(|&c| c == j).unwrap_or(0);
            let w = jobs[j].workers;
            if alloc[j] == 0 {
                if w.min <= free {
                    alloc[j] = w.min;
                    free -= w.min;
                } else {
                    cands.remove(pos);
                    continue;
                }
            } else {
                alloc[j] += 1;
                free -= 1;
            }
            if alloc[j] == w.max {
                cands.remove(pos);
            }
        }
        alloc
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_algorithm_matches_its_reference(
        gpus in 0u32..=128,
        jobs in jobs(valid_range),
        params in params(),
    ) {
        for algo in Algorithm::ALL {
            let expected = match algo {
                Algorithm::Fifo => reference::fifo(gpus, &jobs),
                Algorithm::Srjf => reference::srjf(gpus, &jobs),
                Algorithm::ElasticFifo => reference::elastic_fifo(gpus, &jobs),
                Algorithm::ElasticSrjf => reference::elastic_srjf(gpus, &jobs),
                Algorithm::Tiresias => reference::tiresias(gpus, &jobs),
                Algorithm::ElasticTiresias => reference::elastic_tiresias(gpus, &jobs, &params),
                Algorithm::FfdlOptimizer => reference::ffdl(gpus, &jobs),
                Algorithm::AfsL => reference::afs_l(gpus, &jobs),
            };
            prop_assert_eq!(algo.allocate(gpus, &jobs, &params), expected, "{}", algo);
        }
    }

    /// Few jobs, few GPUs: the regime where ties, drops and early stops dominate.
    #[test]
    fn small_cases_match_their_reference(
        gpus in 0u32..=12,
        jobs in vec(fields(valid_range()), 0..=6).prop_map(build),
        params in params(),
    ) {
        prop_assert_eq!(
            Algorithm::ElasticTiresias.allocate(gpus, &jobs, &params),
            reference::elastic_tiresias(gpus, &jobs, &params)
        );
        prop_assert_eq!(
            Algorithm::FfdlOptimizer.allocate(gpus, &jobs, &params),
            reference::ffdl(gpus, &jobs)
        );
        prop_assert_eq!(
            Algorithm::AfsL.allocate(gpus, &jobs, &params),
            reference::afs_l(gpus, &jobs)
        );
    }
}
