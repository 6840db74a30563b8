//! Step 1: best-fit decreasing onto empty copies of the nodes.

use std::collections::BTreeMap;

use super::names::Names;
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

/// [`Layout`] by position: `bins[i]` lists (job, workers), a job at most once
/// per bin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DenseLayout {
    pub bins: Vec<Vec<(usize, u32)>>,
}

impl DenseLayout {
    /// Workers planned in each bin.
    pub fn loads(&self) -> Vec<u64> {
        self.bins
            .iter()
            .map(|b| b.iter().map(|&(_, w)| u64::from(w)).sum())
            .collect()
    }
}

/// Best-fit decreasing: jobs by workers descending (then name); each goes whole
/// to the bin with the least free GPUs that still fits it (then the first by
/// node name); if none fits, it fills the bin with the most free GPUs and the
/// rest of it goes round again. A job is split only when no single node can
/// take it, and then over as few nodes as this greedy finds.
pub fn pack(nodes: &Nodes, targets: &BTreeMap<String, u32>) -> Result<Layout, PlacementError> {
    let capacity: Vec<u32> = nodes.values().copied().collect();
    let jobs: Vec<&String> = targets.keys().collect();
    let counts: Vec<u32> = targets.values().copied().collect();
    let dense = pack_dense(&capacity, &counts)?;
    Ok(Names::layout_of(&dense, &jobs))
}

/// [`pack`] by position: node `i` has `capacity[i]` GPUs, job `j` wants
/// `targets[j]` workers; ties go to the lower position, which callers make the
/// name order.
pub fn pack_dense(capacity: &[u32], targets: &[u32]) -> Result<DenseLayout, PlacementError> {
    let requested: u64 = targets.iter().map(|&w| u64::from(w)).sum();
    let available: u64 = capacity.iter().map(|&g| u64::from(g)).sum();
    if requested > available {
        return Err(PlacementError::InsufficientCapacity {
            requested,
            available,
        });
    }

    let mut free = capacity.to_vec();
    let mut bins = vec![Vec::new(); free.len()];

    let mut jobs: Vec<usize> = (0..targets.len()).filter(|&j| targets[j] > 0).collect();
    // Stable: equal counts keep position (name) order.
    jobs.sort_by(|&a, &b| targets[b].cmp(&targets[a]));

    for job in jobs {
        let mut rest = targets[job];
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
            // A job never lands in one bin twice: a whole fit ends it, and a
            // partial fill leaves that bin with no room.
            bins[bin].push((job, take));
            rest -= take;
        }
    }
    Ok(DenseLayout { bins })
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
