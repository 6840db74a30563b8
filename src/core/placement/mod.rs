//! Placement (DESIGN §6): which node each worker pod of each running job sits on.
//!
//! Workers of one job talk to each other every step, and talking across nodes
//! costs far more than inside one, so a job should span as few nodes as
//! possible. Moving a worker costs a pod restart, so among equally compact
//! layouts we want the one closest to today's. The work is split in three
//! steps, each usable (and tested) on its own:
//!
//! 1. [`pack`]: best-fit decreasing onto empty copies of the nodes — compactness,
//!    blind to where pods are now.
//! 2. [`match_layout`]: decide which real node each planned bin becomes
//!    (Kuhn–Munkres), keeping as many current workers in place as possible.
//! 3. [`assign_indices`]: hand out worker indices so that a pod already on its
//!    planned node keeps it; the others are migrations.
//!
//! [`place`] runs all three.
//!
//! Each step has a named form (maps keyed by node and job names, what the
//! controller holds) and a dense one (`*_dense`, jobs and nodes by position in
//! name order), which is the implementation: the named forms translate and
//! call it. The simulator calls [`place_dense`] directly, since it places
//! hundreds of thousands of times and the string maps dominated its run time.

mod assignment;
mod bin_packing;
mod indices;
mod matching;
mod names;

use std::borrow::Borrow;
use std::collections::BTreeMap;

pub use bin_packing::{DenseLayout, Layout, pack, pack_dense};
pub use indices::{assign_dense, assign_indices};
pub use matching::{DensePlan, match_dense, match_layout};

/// Node name → GPUs usable by this scheduler. A map so node order (and with it
/// every tie-break) is the name order, whatever order the caller saw them in.
pub type Nodes = BTreeMap<String, u32>;

/// Planned workers: job → node → how many of its workers go there.
pub type JobNodes = BTreeMap<String, BTreeMap<String, u32>>;

/// Where one job's pods are today.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurrentJob {
    /// Worker index → node, for every worker pod that is bound (or already has
    /// its node chosen). Unbound pods are left out: they are free to go anywhere.
    pub workers: BTreeMap<u32, String>,
    /// The launcher's node, if the launcher pod exists; only existing launchers
    /// are reported for deletion.
    pub launcher: Option<String>,
}

/// Where the pods of running jobs are today: job → pods.
pub type CurrentBinding = BTreeMap<String, CurrentJob>;

/// A worker pod that must be deleted so the MPI operator recreates it, after
/// which it is bound to `to`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Migration {
    pub job: String,
    pub index: u32,
    pub from: String,
    pub to: String,
}

/// The outcome of one placement round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    /// Job → worker index → node, for indices `0..target` of every job with a
    /// non-zero target.
    pub workers: BTreeMap<String, BTreeMap<u32, String>>,
    /// Worker pods to delete, ordered by job then index.
    pub migrations: Vec<Migration>,
    /// Jobs whose launcher pod should be deleted because every worker it
    /// still has after this round moves; ordered by name.
    pub launchers_to_delete: Vec<String>,
}

impl Placement {
    /// Jobs whose workers span more than one node (the
    /// `scheduler_placement_jobs_cross_node` gauge).
    pub fn jobs_cross_node(&self) -> usize {
        self.workers
            .values()
            .filter(|w| {
                let mut nodes = w.values();
                nodes.next().is_some_and(|first| nodes.any(|n| n != first))
            })
            .count()
    }

    /// Planned workers per node, over all jobs.
    pub fn node_load(&self) -> BTreeMap<String, u32> {
        let mut load = BTreeMap::new();
        for node in self.workers.values().flat_map(|w| w.values()) {
            *load.entry(node.clone()).or_insert(0) += 1;
        }
        load
    }
}

/// [`CurrentJob`] by position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DenseJob {
    /// (worker index, node position) ordered by index; `None` for a node that
    /// is not among the placement's nodes (lost or cordoned).
    pub workers: Vec<(u32, Option<usize>)>,
    pub launcher: bool,
}

/// [`Migration`] by position; `from` is `None` for a node that is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenseMigration {
    pub job: usize,
    pub index: u32,
    pub from: Option<usize>,
    pub to: usize,
}

/// [`Placement`] by position: `workers[job][index]` is a node position, empty
/// for a job with no workers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DensePlacement {
    pub workers: Vec<Vec<usize>>,
    pub migrations: Vec<DenseMigration>,
    pub launchers_to_delete: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlacementError {
    #[error("jobs need {requested} GPUs but the nodes have only {available}")]
    InsufficientCapacity { requested: u64, available: u64 },
    #[error("the layout uses {bins} bins but there are only {nodes} nodes")]
    TooManyBins { bins: usize, nodes: usize },
    #[error("the layout cannot be mapped onto the nodes without overfilling one")]
    Unplaceable,
}

/// Plan where every worker of every job in `targets` (job → workers) goes,
/// given the nodes and where pods are now.
pub fn place(
    nodes: &Nodes,
    targets: &BTreeMap<String, u32>,
    current: &CurrentBinding,
) -> Result<Placement, PlacementError> {
    let names = names::Names::of_targets(nodes, targets);
    let capacity: Vec<u32> = nodes.values().copied().collect();
    let counts: Vec<u32> = targets.values().copied().collect();
    let dense = place_dense(&capacity, &counts, &names.current(current))?;
    Ok(names.placement(&dense, current))
}

/// [`place`] by position: node `i` has `capacity[i]` GPUs; job `j` wants
/// `targets[j]` workers and has `current[j]` pods today. Give positions in
/// name order to get exactly what [`place`] would.
pub fn place_dense(
    capacity: &[u32],
    targets: &[u32],
    current: &[impl Borrow<DenseJob>],
) -> Result<DensePlacement, PlacementError> {
    let layout = pack_dense(capacity, targets)?;
    let planned = match_dense(capacity, &layout, current)?;
    Ok(assign_dense(&planned, current))
}

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;
