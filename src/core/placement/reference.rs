//! The string-keyed placement as first written (before the dense rewrite), kept
//! only as a test oracle: the dense implementation must agree with it exactly.

use std::collections::{BTreeMap, HashMap};

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;

use super::{CurrentBinding, JobNodes, Layout, Migration, Nodes, Placement, PlacementError};

pub fn place(
    nodes: &Nodes,
    targets: &BTreeMap<String, u32>,
    current: &CurrentBinding,
) -> Result<Placement, PlacementError> {
    let layout = pack(nodes, targets)?;
    let planned = match_layout(nodes, &layout, current)?;
    Ok(assign_indices(&planned, current))
}
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
pub fn match_layout(
    nodes: &Nodes,
    layout: &Layout,
    current: &CurrentBinding,
) -> Result<JobNodes, PlacementError> {
    let names: Vec<&String> = nodes.keys().collect();
    let caps: Vec<u64> = nodes.values().map(|&g| u64::from(g)).collect();
    let node_index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();

    let loads = layout.loads();
    let rows: Vec<usize> = (0..layout.bins.len()).filter(|&b| loads[b] > 0).collect();
    if rows.len() > names.len() {
        return Err(PlacementError::TooManyBins {
            bins: rows.len(),
            nodes: names.len(),
        });
    }

    // Targets come from the layout itself, so it is the single source of truth.
    let mut targets: BTreeMap<&str, u64> = BTreeMap::new();
    for bin in &layout.bins {
        for (job, &w) in bin {
            *targets.entry(job.as_str()).or_insert(0) += u64::from(w);
        }
    }

    // Surviving current workers per (job, node), sparse.
    let mut staying: HashMap<&str, Vec<(usize, u64)>> = HashMap::new();
    let mut total_staying: u64 = 0;
    for (job, &target) in &targets {
        let Some(cur) = current.get(*job) else {
            continue;
        };
        let mut per_node: BTreeMap<usize, u64> = BTreeMap::new();
        for (&index, node) in &cur.workers {
            if u64::from(index) >= target {
                continue;
            }
            if let Some(&n) = node_index.get(node.as_str()) {
                *per_node.entry(n).or_insert(0) += 1;
            }
        }
        total_staying += per_node.values().sum::<u64>();
        staying.insert(job, per_node.into_iter().collect());
    }

    // Scores are sparse: a bin scores only on nodes that hold one of its jobs.
    let mut scores: HashMap<(usize, usize), u64> = HashMap::new();
    for &bin in &rows {
        for (job, &planned) in &layout.bins[bin] {
            for &(node, cur) in staying.get(job.as_str()).into_iter().flatten() {
                *scores.entry((bin, node)).or_insert(0) += u64::from(planned).min(cur);
            }
        }
    }

    // A bin that scores nowhere and fits on every node can take whatever node
    // is left over: it changes neither the score nor feasibility. Leaving such
    // bins out of the Hungarian keeps it small (they are new jobs, typically)
    // and avoids its worst case, long chains of zero-slack ties.
    let min_cap = caps.iter().copied().min().unwrap_or(0);
    let mut scored = vec![false; layout.bins.len()];
    for &(bin, _) in scores.keys() {
        scored[bin] = true;
    }
    let (solve, fill): (Vec<usize>, Vec<usize>) = rows
        .iter()
        .partition(|&&bin| loads[bin] > min_cap || scored[bin]);

    // Any pair that overfills a node costs more than every kept worker is
    // worth, so the optimum is infeasible only when nothing feasible exists.
    let forbidden = -(i64::try_from(total_staying).unwrap_or(i64::MAX / 2) + 1);
    let mut assigned: Vec<Option<usize>> = vec![None; layout.bins.len()];
    let mut taken = vec![false; names.len()];
    if !solve.is_empty() {
        let mut weights = Matrix::from_fn(solve.len(), names.len(), |(r, n)| {
            if loads[solve[r]] > caps[n] {
                forbidden
            } else {
                0
            }
        });
        let mut row_of = vec![None; layout.bins.len()];
        for (r, &bin) in solve.iter().enumerate() {
            row_of[bin] = Some(r);
        }
        for (&(bin, n), &score) in &scores {
            if let Some(r) = row_of[bin]
                && loads[bin] <= caps[n]
            {
                weights[(r, n)] = i64::try_from(score).unwrap_or(0);
            }
        }
        let (_, columns) = kuhn_munkres(&weights);
        for (r, &n) in columns.iter().enumerate() {
            let bin = solve[r];
            if loads[bin] > caps[n] {
                return Err(PlacementError::Unplaceable);
            }
            assigned[bin] = Some(n);
            taken[n] = true;
        }
    }
    let mut left = (0..names.len()).filter(|&n| !taken[n]);
    for bin in fill {
        // There are at least as many nodes as bins, and these bins fit anywhere.
        let n = left.next().ok_or(PlacementError::Unplaceable)?;
        assigned[bin] = Some(n);
    }

    let mut planned: JobNodes = BTreeMap::new();
    for (bin, node) in assigned.iter().enumerate() {
        let Some(n) = *node else { continue };
        for (job, &w) in &layout.bins[bin] {
            if w > 0 {
                *planned
                    .entry(job.clone())
                    .or_default()
                    .entry(names[n].clone())
                    .or_insert(0) += w;
            }
        }
    }
    Ok(planned)
}
pub fn assign_indices(planned: &JobNodes, current: &CurrentBinding) -> Placement {
    let mut out = Placement::default();
    for (job, per_node) in planned {
        let target: u32 = per_node.values().sum();
        if target == 0 {
            continue;
        }
        let mut room: BTreeMap<&str, u32> = per_node
            .iter()
            .filter(|&(_, &w)| w > 0)
            .map(|(n, &w)| (n.as_str(), w))
            .collect();
        let cur = current.get(job);
        let survivors = cur.into_iter().flat_map(|c| c.workers.range(..target));

        let mut binding: BTreeMap<u32, String> = BTreeMap::new();
        for (&index, node) in survivors.clone() {
            if let Some(r) = room.get_mut(node.as_str())
                && *r > 0
            {
                *r -= 1;
                binding.insert(index, node.clone());
            }
        }
        let mut spare = room
            .iter()
            .flat_map(|(&n, &r)| std::iter::repeat_n(n, r as usize));
        for index in 0..target {
            if binding.contains_key(&index) {
                continue;
            }
            if let Some(node) = spare.next() {
                binding.insert(index, node.to_owned());
            }
        }

        let mut kept = 0usize;
        let mut moved = 0usize;
        for (&index, from) in survivors {
            match binding.get(&index) {
                Some(to) if to == from => kept += 1,
                Some(to) => {
                    moved += 1;
                    out.migrations.push(Migration {
                        job: job.clone(),
                        index,
                        from: from.clone(),
                        to: to.clone(),
                    });
                }
                None => {}
            }
        }
        if moved > 0 && kept == 0 && cur.is_some_and(|c| c.launcher.is_some()) {
            out.launchers_to_delete.push(job.clone());
        }
        out.workers.insert(job.clone(), binding);
    }
    out
}
