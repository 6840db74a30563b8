//! Step 2: map planned bins onto real nodes so that as few workers as possible move.

use std::borrow::Borrow;

use super::assignment::{Row, assign};
use super::names::Names;
use super::{CurrentBinding, DenseJob, DenseLayout, JobNodes, Layout, Nodes, PlacementError};

/// Planned workers by position: `planned[job]` lists (node, workers), ordered
/// by node.
pub type DensePlan = Vec<Vec<(usize, u32)>>;

/// Assign every non-empty bin of `layout` to a distinct node, maximising
/// Σ over jobs of min(planned workers in the bin, current workers on the node),
/// i.e. the number of workers that stay where they are, without putting more
/// workers on a node than it has GPUs.
///
/// Only workers that survive the new target count are counted: when a job
/// shrinks to `k` workers the MPI operator removes the highest indices, so
/// indices `>= k` will be gone whatever we plan. Workers on nodes that are not
/// in `nodes` (lost, cordoned) can only move, so they count for nothing.
///
/// Returns job → node → planned workers.
pub fn match_layout(
    nodes: &Nodes,
    layout: &Layout,
    current: &CurrentBinding,
) -> Result<JobNodes, PlacementError> {
    let names = Names::of_layout(nodes, layout);
    let capacity: Vec<u32> = nodes.values().copied().collect();
    let dense = names.dense_layout(layout);
    let cur = names.current(current);
    let planned = match_dense(&capacity, &dense, &cur)?;
    Ok(names.job_nodes(&planned))
}

/// [`match_layout`] by position: `current[j]` is job `j` of the layout, node
/// `i` has `capacity[i]` GPUs.
pub fn match_dense(
    capacity: &[u32],
    layout: &DenseLayout,
    current: &[impl Borrow<DenseJob>],
) -> Result<DensePlan, PlacementError> {
    let n_nodes = capacity.len();
    let caps: Vec<u64> = capacity.iter().map(|&g| u64::from(g)).collect();
    let loads = layout.loads();
    let rows: Vec<usize> = (0..layout.bins.len()).filter(|&b| loads[b] > 0).collect();
    if rows.len() > n_nodes {
        return Err(PlacementError::TooManyBins {
            bins: rows.len(),
            nodes: n_nodes,
        });
    }

    // Targets come from the layout itself, so it is the single source of truth.
    // Jobs are positions; `current` may be shorter (jobs with no pods yet).
    let n_jobs = layout
        .bins
        .iter()
        .flatten()
        .map(|&(job, _)| job + 1)
        .max()
        .unwrap_or(0)
        .max(current.len());
    let mut targets = vec![0u64; n_jobs];
    for bin in &layout.bins {
        for &(job, w) in bin {
            targets[job] += u64::from(w);
        }
    }

    // Surviving current workers per (job, node), sparse; `count` is scratch
    // indexed by node, reset after each job.
    let mut staying: Vec<Vec<(usize, u64)>> = vec![Vec::new(); n_jobs];
    let mut count = vec![0u64; n_nodes];
    // One scratch list of touched nodes for all jobs and bins: placement runs
    // hundreds of thousands of times in a simulation, and allocation was a
    // third of its time.
    let mut touched: Vec<usize> = Vec::with_capacity(n_nodes);
    for (job, cur) in current.iter().enumerate() {
        let cur: &DenseJob = cur.borrow();
        touched.clear();
        for &(index, node) in &cur.workers {
            if u64::from(index) >= targets[job] {
                break;
            }
            if let Some(n) = node.filter(|&n| n < n_nodes) {
                if count[n] == 0 {
                    touched.push(n);
                }
                count[n] += 1;
            }
        }
        touched.sort_unstable();
        staying[job] = touched
            .iter()
            .map(|&n| (n, std::mem::take(&mut count[n])))
            .collect();
    }

    // Scores are sparse: a bin scores only on nodes that hold one of its jobs.
    // `score` is scratch indexed by node, reset after each bin.
    let mut score = vec![0u64; n_nodes];
    let mut scored: Vec<Vec<(usize, u64)>> = vec![Vec::new(); layout.bins.len()];
    for &bin in &rows {
        touched.clear();
        for &(job, planned) in &layout.bins[bin] {
            for &(node, cur) in &staying[job] {
                if score[node] == 0 {
                    touched.push(node);
                }
                score[node] += u64::from(planned).min(cur);
            }
        }
        touched.sort_unstable();
        scored[bin] = touched
            .iter()
            .map(|&n| (n, std::mem::take(&mut score[n])))
            .collect();
    }

    // A bin that scores nowhere and fits on every node can take whatever node
    // is left over: it changes neither the score nor feasibility. Leaving such
    // bins out of the assignment keeps it small (they are new jobs, typically).
    let min_cap = caps.iter().copied().min().unwrap_or(0);
    let (solve, fill): (Vec<usize>, Vec<usize>) = rows
        .iter()
        .partition(|&&bin| loads[bin] > min_cap || !scored[bin].is_empty());

    let mut assigned: Vec<Option<usize>> = vec![None; layout.bins.len()];
    let mut taken = vec![false; n_nodes];
    if !solve.is_empty() {
        let problem: Vec<Row> = solve
            .iter()
            .map(|&bin| Row {
                load: loads[bin],
                scores: std::mem::take(&mut scored[bin]),
            })
            .collect();
        let nodes = assign(&caps, &problem).ok_or(PlacementError::Unplaceable)?;
        for (&bin, n) in solve.iter().zip(nodes) {
            assigned[bin] = Some(n);
            taken[n] = true;
        }
    }
    let mut left = (0..n_nodes).filter(|&n| !taken[n]);
    for bin in fill {
        // There are at least as many nodes as bins, and these bins fit anywhere.
        let n = left.next().ok_or(PlacementError::Unplaceable)?;
        assigned[bin] = Some(n);
    }

    let mut planned: DensePlan = vec![Vec::new(); n_jobs];
    for (bin, node) in assigned.iter().enumerate() {
        let Some(n) = *node else { continue };
        for &(job, w) in &layout.bins[bin] {
            if w > 0 {
                // Bins go to distinct nodes, so a (job, node) pair comes once.
                planned[job].push((n, w));
            }
        }
    }
    for p in &mut planned {
        p.sort_unstable();
    }
    Ok(planned)
}
