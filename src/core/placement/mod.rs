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

mod bin_packing;
mod indices;
mod matching;

use std::collections::BTreeMap;

pub use bin_packing::{Layout, pack};
pub use indices::assign_indices;
pub use matching::match_layout;

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
    let layout = pack(nodes, targets)?;
    let planned = match_layout(nodes, &layout, current)?;
    Ok(assign_indices(&planned, current))
}

#[cfg(test)]
mod tests;
