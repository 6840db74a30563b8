//! Pieces shared by several algorithms: the bounds an algorithm may trust, a
//! NaN-safe float order for sorting, and the FIFO/SRJF phases (first fit at `min`,
//! then round-robin growth) that differ only in the order they walk.

use std::cmp::Ordering;

use crate::core::job::JobInfo;

/// The worker bounds an algorithm works with.
///
/// Admission guarantees `1 ≤ min ≤ requested ≤ max`, but a snapshot that slipped
/// past it must neither break the output invariant nor hang an algorithm that
/// steps by `min`. So `min = 0` counts as 1 (a job running on no workers is not
/// running), `requested` is clamped into the range, and a job whose range is empty
/// (`min > max`, including `max = 0`) is invisible to every algorithm: it gets 0,
/// takes no part in any order, prefix, count or tournament.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Bounds {
    pub min: u32,
    pub max: u32,
    pub requested: u32,
}

impl Bounds {
    pub fn of(job: &JobInfo) -> Option<Self> {
        let w = job.workers;
        let min = w.min.max(1);
        (min <= w.max).then(|| Bounds {
            min,
            max: w.max,
            requested: w.requested.clamp(min, w.max),
        })
    }

    pub fn all(jobs: &[JobInfo]) -> Vec<Option<Self>> {
        jobs.iter().map(Bounds::of).collect()
    }
}

/// Ascending order of floats that is total, as Rust's sorts require.
///
/// Numbers compare as IEEE does (so `-0.0 == 0.0`, and ties keep the stable
/// canonical order). A NaN is "not less than anything", so it sorts after every
/// number, `+∞` included; NaNs are equal among themselves, i.e. stay in canonical
/// order.
pub(super) fn cmp_nan_last(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b)
        .unwrap_or_else(|| a.is_nan().cmp(&b.is_nan()))
}

/// Ascending order of floats in which a NaN is below every number, `-∞` included.
/// Used where the highest value wins, so a NaN never beats a number.
pub(super) fn cmp_nan_first(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b)
        .unwrap_or_else(|| b.is_nan().cmp(&a.is_nan()))
}

/// Walks `order` once; each visible job gets `demand` when it fits in what is left
/// (a job that does not fit does not block later, smaller ones). Returns the
/// allocation and the GPUs left.
pub(super) fn first_fit(
    gpus: u32,
    bounds: &[Option<Bounds>],
    order: &[usize],
    demand: impl Fn(&Bounds) -> u32,
) -> (Vec<u32>, u32) {
    let mut alloc = vec![0; bounds.len()];
    let mut free = gpus;
    for &i in order {
        if let Some(b) = &bounds[i] {
            let want = demand(b);
            if want <= free {
                alloc[i] = want;
                free -= want;
            }
        }
    }
    (alloc, free)
}

/// Phase 2 of ElasticFIFO/ElasticSRJF: sweep `order` again and again giving +1 to
/// every job with `0 < alloc < max` until nothing is free or a sweep gives nothing.
///
/// Jobs left at 0 never grow here: growing them by one would hand out fewer than
/// `min` workers (the bug of the old Go code).
///
/// Rather than `free` sweeps of O(n), it computes the number `r` of complete
/// sweeps directly: after `r` sweeps a job with headroom `h` has received
/// `min(h, r)`, so `r` is the largest value with `Σ min(h, r) ≤ free`; sweep
/// `r + 1` is then partial and serves, in order, the first jobs that still have
/// headroom until `free` runs out. O(n log max) in all.
pub(super) fn grow_round_robin(
    bounds: &[Option<Bounds>],
    order: &[usize],
    alloc: &mut [u32],
    mut free: u32,
) {
    let growing: Vec<(usize, u32)> = order
        .iter()
        .filter_map(|&i| {
            let b = bounds[i].as_ref()?;
            (alloc[i] > 0 && alloc[i] < b.max).then(|| (i, b.max - alloc[i]))
        })
        .collect();
    let Some(h_max) = growing.iter().map(|&(_, h)| h).max() else {
        return;
    };
    let given_after = |r: u32| -> u64 { growing.iter().map(|&(_, h)| u64::from(h.min(r))).sum() };
    let (mut lo, mut hi) = (0u32, h_max);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if given_after(mid) <= u64::from(free) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let rounds = lo;
    for &(i, h) in &growing {
        let g = h.min(rounds);
        alloc[i] += g;
        free -= g;
    }
    for &(i, h) in &growing {
        if free == 0 {
            break;
        }
        if h > rounds {
            alloc[i] += 1;
            free -= 1;
        }
    }
}

/// FIFO and SRJF: first fit at `min` in `order`.
pub(super) fn rigid(gpus: u32, jobs: &[JobInfo], order: &[usize]) -> Vec<u32> {
    let bounds = Bounds::all(jobs);
    first_fit(gpus, &bounds, order, |b| b.min).0
}

/// ElasticFIFO and ElasticSRJF: first fit at `min`, then round-robin growth, both
/// in `order`.
pub(super) fn elastic(gpus: u32, jobs: &[JobInfo], order: &[usize]) -> Vec<u32> {
    let bounds = Bounds::all(jobs);
    let (mut alloc, free) = first_fit(gpus, &bounds, order, |b| b.min);
    grow_round_robin(&bounds, order, &mut alloc, free);
    alloc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_sorts_after_every_number_and_nans_keep_their_order() {
        let mut v = [
            (f64::NAN, 0),
            (f64::INFINITY, 1),
            (1.0, 2),
            (f64::NAN, 3),
            (-0.0, 4),
            (0.0, 5),
            (f64::NEG_INFINITY, 6),
        ];
        v.sort_by(|a, b| cmp_nan_last(a.0, b.0));
        let ids: Vec<_> = v.iter().map(|x| x.1).collect();
        // -0.0 == 0.0 under IEEE, so they keep their input order.
        assert_eq!(ids, [6, 4, 5, 2, 1, 0, 3]);
    }

    #[test]
    fn nan_is_below_every_number_for_highest_wins() {
        assert_eq!(cmp_nan_first(f64::NAN, f64::NEG_INFINITY), Ordering::Less);
        assert_eq!(
            cmp_nan_first(f64::NEG_INFINITY, f64::NAN),
            Ordering::Greater
        );
        assert_eq!(cmp_nan_first(f64::NAN, f64::NAN), Ordering::Equal);
        assert_eq!(cmp_nan_first(-0.0, 0.0), Ordering::Equal);
    }

    #[test]
    fn bounds_sanitise_what_admission_should_have_refused() {
        let mut j = JobInfo::new("a", 0.0, 0, 4);
        j.workers.requested = 9;
        assert_eq!(
            Bounds::of(&j),
            Some(Bounds {
                min: 1,
                max: 4,
                requested: 4
            })
        );
        assert_eq!(Bounds::of(&JobInfo::new("b", 0.0, 3, 2)), None);
        assert_eq!(Bounds::of(&JobInfo::new("c", 0.0, 0, 0)), None);
    }

    /// The sweep exactly as DESIGN §5 words it.
    fn sweep_reference(
        bounds: &[Option<Bounds>],
        order: &[usize],
        alloc: &mut [u32],
        mut free: u32,
    ) {
        while free > 0 {
            let mut gave = false;
            for &i in order {
                if let Some(b) = &bounds[i]
                    && free > 0
                    && alloc[i] > 0
                    && alloc[i] < b.max
                {
                    alloc[i] += 1;
                    free -= 1;
                    gave = true;
                }
            }
            if !gave {
                break;
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn round_robin_closed_form_equals_the_sweeps(
            jobs in proptest::collection::vec((0u32..6, 1u32..6, 0u32..8), 0..12),
            free in 0u32..40,
        ) {
            // (alloc, min, extra headroom): any alloc ≤ max, including 0.
            let bounds: Vec<_> = jobs
                .iter()
                .map(|&(_, min, extra)| Some(Bounds { min, max: min + extra, requested: min }))
                .collect();
            let start: Vec<u32> = jobs
                .iter()
                .map(|&(a, min, extra)| if a == 0 { 0 } else { (min + a - 1).min(min + extra) })
                .collect();
            let order: Vec<usize> = (0..jobs.len()).rev().collect();
            let (mut fast, mut slow) = (start.clone(), start);
            grow_round_robin(&bounds, &order, &mut fast, free);
            sweep_reference(&bounds, &order, &mut slow, free);
            proptest::prop_assert_eq!(fast, slow);
        }
    }
}
