//! Step 1: best-fit decreasing onto empty copies of the nodes.

use std::collections::BTreeMap;

use super::{Nodes, PlacementError};

/// A planned layout: `bins[i]` holds job → workers.
///
/// [`pack`] plans bin `i` on an empty copy of the `i`-th node in name order;
/// [`super::match_layout`] only reads the counts, so any layout whose bins fit
/// some assignment to the nodes is accepted there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    pub bins: Vec<BTreeMap<String, u32>>,
}

impl Layout {
    /// Workers planned in each bin.
    pub fn loads(&self) -> Vec<u64> {
        self.bins
            .iter()
            .map(|b| b.values().map(|&w| u64::from(w)).sum())
            .collect()
    }
}

/// Best-fit decreasing: jobs by workers descending (then name); each goes whole
/// to the bin with the least free GPUs that still fits it (then the first by
/// node name); if none fits, it fills the bin with the most free GPUs and the
/// rest of it goes round again. A job is split only when no single node can
/// take it, and then over as few nodes as this greedy finds.
pub fn pack(nodes: &Nodes, targets: &BTreeMap<String, u32>) -> Result<Layout, PlacementError> {
    let requested: u64 = targets.values().map(|&w| u64::from(w)).sum();
    let available: u64 = nodes.values().map(|&g| u64::from(g)).sum();
    if requested > available {
        return Err(PlacementError::InsufficientCapacity {
            requested,
            available,
        });
    }

    let mut free: Vec<u32> = nodes.values().copied().collect();
    let mut bins = vec![BTreeMap::new(); free.len()];

    let mut jobs: Vec<(&String, u32)> = targets
        .iter()
        .filter(|&(_, &w)| w > 0)
        .map(|(j, &w)| (j, w))
        .collect();
    jobs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));

    for (job, workers) in jobs {
        let mut rest = workers;
        while rest > 0 {
            let best_fit = free
                .iter()
                .enumerate()
                .filter(|&(_, &f)| f >= rest)
                .min_by_key(|&(i, &f)| (f, i));
            let (bin, take) = match best_fit {
                Some((i, _)) => (i, rest),
                None => {
                    // Ties go to the lower index (earlier name): max_by_key keeps
                    // the last maximum, so compare on the reversed index.
                    let most_free = free
                        .iter()
                        .enumerate()
                        .max_by_key(|&(i, &f)| (f, std::cmp::Reverse(i)));
                    match most_free {
                        Some((i, &f)) if f > 0 => (i, f),
                        // Unreachable after the capacity check; an error beats a loop.
                        _ => {
                            return Err(PlacementError::InsufficientCapacity {
                                requested,
                                available,
                            });
                        }
                    }
                }
            };
            free[bin] -= take;
            *bins[bin].entry(job.clone()).or_insert(0) += take;
            rest -= take;
        }
    }
    Ok(Layout { bins })
}
