//! Between the named API (node and job names, what the controller holds) and
//! the dense one (positions, what the algorithm runs on).
//!
//! Positions follow name order — nodes as in [`Nodes`], jobs as in the sorted
//! maps — so every tie-break the dense steps make by position is the one the
//! named API documents by name.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::matching::DensePlan;
use super::{
    CurrentBinding, DenseJob, DenseLayout, DensePlacement, JobNodes, Layout, Migration, Nodes,
    Placement,
};

/// Job and node names by position, and the way back.
pub(super) struct Names<'a> {
    jobs: Vec<&'a str>,
    nodes: Vec<&'a str>,
    node_index: HashMap<&'a str, usize>,
}

impl<'a> Names<'a> {
    fn new(jobs: Vec<&'a str>, nodes: Vec<&'a str>) -> Self {
        let node_index = nodes.iter().enumerate().map(|(i, &n)| (n, i)).collect();
        Names {
            jobs,
            nodes,
            node_index,
        }
    }

    /// The nodes, and the jobs of `targets`.
    pub(super) fn of_targets(nodes: &'a Nodes, targets: &'a BTreeMap<String, u32>) -> Self {
        Self::new(
            targets.keys().map(String::as_str).collect(),
            nodes.keys().map(String::as_str).collect(),
        )
    }

    /// The nodes, and every job that appears in `layout`.
    pub(super) fn of_layout(nodes: &'a Nodes, layout: &'a Layout) -> Self {
        let jobs: BTreeSet<&str> = layout
            .bins
            .iter()
            .flat_map(|b| b.keys().map(String::as_str))
            .collect();
        Self::new(
            jobs.into_iter().collect(),
            nodes.keys().map(String::as_str).collect(),
        )
    }

    /// The jobs and the nodes a plan names.
    pub(super) fn of_plan(planned: &'a JobNodes) -> Self {
        let nodes: BTreeSet<&str> = planned
            .values()
            .flat_map(|p| p.keys().map(String::as_str))
            .collect();
        Self::new(
            planned.keys().map(String::as_str).collect(),
            nodes.into_iter().collect(),
        )
    }

    /// A dense layout built by position back to names (bins stay in order).
    pub(super) fn layout_of(dense: &DenseLayout, jobs: &[&String]) -> Layout {
        Layout {
            bins: dense
                .bins
                .iter()
                .map(|b| b.iter().map(|&(j, w)| (jobs[j].clone(), w)).collect())
                .collect(),
        }
    }

    pub(super) fn dense_layout(&self, layout: &Layout) -> DenseLayout {
        let job_index: HashMap<&str, usize> =
            self.jobs.iter().enumerate().map(|(i, &j)| (j, i)).collect();
        DenseLayout {
            bins: layout
                .bins
                .iter()
                .map(|b| {
                    b.iter()
                        .filter_map(|(j, &w)| job_index.get(j.as_str()).map(|&i| (i, w)))
                        .collect()
                })
                .collect(),
        }
    }

    pub(super) fn dense_plan(&self, planned: &JobNodes) -> DensePlan {
        self.jobs
            .iter()
            .map(|&job| {
                planned.get(job).map_or_else(Vec::new, |p| {
                    p.iter()
                        .filter_map(|(n, &w)| self.node_index.get(n.as_str()).map(|&i| (i, w)))
                        .collect()
                })
            })
            .collect()
    }

    /// Today's pods of each job, by position; a node not among ours is `None`.
    pub(super) fn current(&self, current: &CurrentBinding) -> Vec<DenseJob> {
        self.jobs
            .iter()
            .map(|&job| match current.get(job) {
                None => DenseJob::default(),
                Some(c) => DenseJob {
                    workers: c
                        .workers
                        .iter()
                        .map(|(&index, node)| (index, self.node_index.get(node.as_str()).copied()))
                        .collect(),
                    launcher: c.launcher.is_some(),
                },
            })
            .collect()
    }

    pub(super) fn job_nodes(&self, planned: &DensePlan) -> JobNodes {
        self.jobs
            .iter()
            .zip(planned)
            .filter(|(_, p)| !p.is_empty())
            .map(|(&job, p)| {
                let nodes = p
                    .iter()
                    .map(|&(n, w)| (self.nodes[n].to_owned(), w))
                    .collect();
                (job.to_owned(), nodes)
            })
            .collect()
    }

    /// The named placement; a migration's `from` is read back from `current`,
    /// since a lost node has no position.
    pub(super) fn placement(&self, dense: &DensePlacement, current: &CurrentBinding) -> Placement {
        let workers = self
            .jobs
            .iter()
            .zip(&dense.workers)
            .filter(|(_, w)| !w.is_empty())
            .map(|(&job, w)| {
                let nodes = w
                    .iter()
                    .enumerate()
                    .map(|(i, &n)| (i as u32, self.nodes[n].to_owned()))
                    .collect();
                (job.to_owned(), nodes)
            })
            .collect();
        let migrations = dense
            .migrations
            .iter()
            .map(|m| {
                let job = self.jobs[m.job];
                let from = current
                    .get(job)
                    .and_then(|c| c.workers.get(&m.index))
                    .cloned()
                    .unwrap_or_default();
                Migration {
                    job: job.to_owned(),
                    index: m.index,
                    from,
                    to: self.nodes[m.to].to_owned(),
                }
            })
            .collect();
        let launchers_to_delete = dense
            .launchers_to_delete
            .iter()
            .map(|&j| self.jobs[j].to_owned())
            .collect();
        Placement {
            workers,
            migrations,
            launchers_to_delete,
        }
    }
}
